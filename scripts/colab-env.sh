# Sourced by scripts/colab-check.sh and scripts/colab-runtime.sh: build a Python 3.13 venv at
# Colab's versions (read from Colab's published freeze) and install tlkit in it as the
# notebooks' setup cell does on Colab (--no-deps).
FREEZE=tests/fixtures/colab/pip-freeze.gpu.txt

pip_q() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@" 2> >(grep -v "^WARNING: Location" >&2); }

is_python313() { [[ -x "$1" ]] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; }
find_python313() {
  local candidates=("${PYTHON313:-}" "$(command -v python3.13 || true)")
  local root; root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  candidates+=("$root"/versions/3.13*/bin/python3.13)
  for p in "${candidates[@]}"; do is_python313 "$p" && { echo "$p"; return; }; done
  return 1
}

# colab_start LABEL PACKAGE...: sets PY (a Python 3.13: without one, says "LABEL: skipped" and
# exits 0), pins (Colab's versions as constraints), src (a work folder) and req (each PACKAGE at
# Colab's version); pins and src are removed on exit.
colab_start() {
  local label=$1; shift
  if ! PY=$(find_python313); then
    echo "$label: skipped: no Python 3.13 found (install it, e.g. 'pyenv install 3.13', or set PYTHON313)"
    exit 0
  fi
  pins=$(mktemp)
  src=$(mktemp -d)
  trap 'rm -rf "$pins" "$src"' EXIT
  colab_pins "$pins"
  req=($(colab_requirements "$pins" "$@"))
}

# colab_stamp FILE...: the venv's stamp, named after the freeze and FILE...; a venv without it is rebuilt.
colab_stamp() { echo "$VENV/.colab-$(cat "$FREEZE" "$@" scripts/colab-env.sh | sha256sum | cut -c1-12)"; }

# True when the package registry answers (pip's index, or PyPI).
registry_reachable() {
  "$1" - "${PIP_INDEX_URL:-https://pypi.org/simple/}" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1].rstrip("/") + "/pip/", timeout=15)
PY
}

# colab_pins FILE: name==version of every package of the freeze, used as constraints. Local
# versions such as +cu128 are dropped (those builds are not on the package registry), and so are
# the CUDA libraries (nvidia-*, cuda-*): Colab's torch is the +cu128 build, PyPI's the CUDA 13
# one, which pins CUDA 13 libraries of its own.
colab_pins() {
  sed -nE 's/^([A-Za-z0-9_.-]+)==([^+ ]+).*$/\1==\2/p' "$FREEZE" | grep -viE '^(nvidia|cuda)-' > "$1"
}

# colab_requirements PINS NAME...: prints name==version of each NAME at Colab's version.
colab_requirements() {
  local pins=$1 name line; shift
  for name in "$@"; do
    line=$(grep -iE "^${name//-/[-_]}==" "$pins" || true)
    [[ -n "$line" ]] || { echo "$name is not in $FREEZE" >&2; return 1; }
    echo "$line"
  done
}

# install_tlkit_as_setup_cell WORKDIR: tlkit from a copy of this tree (no build/ or egg-info in
# the work tree), reinstalled every run so it is this tree's, with --no-deps as on Colab.
install_tlkit_as_setup_cell() {
  mkdir "$1/tlkit-src"
  cp -r pyproject.toml README.md tlkit "$1/tlkit-src/"
  pip_q install --no-deps --force-reinstall "$1/tlkit-src"
}

# What the setup cell installs besides tlkit (tlkit/course.py COLAB_PACKAGES).
colab_packages() { (cd "$1" && "$OLDPWD/$VENV/bin/python" -c 'from tlkit.course import COLAB_PACKAGES; print(*COLAB_PACKAGES)'); }
