#!/usr/bin/env bash
# `make colab-check`: the framework-free tests on Colab's Python (3.13) and Colab's versions of
# the light packages, read from the GPU runtime's freeze (tests/fixtures/colab/pip-freeze.gpu.txt).
# tlkit is installed with --no-deps, as the notebooks' setup cell does on Colab.
# Usage: scripts/colab-check.sh TEST_FILE...   (the Makefile passes its COLAB_TESTS list)
# Exits 0 with a "skipped" line when no Python 3.13 is found (set PYTHON313 to point at one).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${COLAB_VENV:-.venv-colab}
FREEZE=tests/fixtures/colab/pip-freeze.gpu.txt
# The packages a student's notebook imports (pyproject's base dependencies), plus what the
# framework-free tests need; every version comes from Colab's freeze.
LIGHT="numpy pandas matplotlib pillow scikit-learn scikit-image pooch tqdm requests nbformat pytest"
start=$(date +%s)
pip_q() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@" 2> >(grep -v "^WARNING: Location" >&2); }

is_python313() { [[ -x "$1" ]] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; }
find_python313() {
  local candidates=("${PYTHON313:-}" "$(command -v python3.13 || true)")
  local root; root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  candidates+=("$root"/versions/3.13*/bin/python3.13)
  for p in "${candidates[@]}"; do is_python313 "$p" && { echo "$p"; return; }; done
  return 1
}

if ! PY=$(find_python313); then
  echo "colab-check: skipped: no Python 3.13 found (install it, e.g. 'pyenv install 3.13', or set PYTHON313)"
  exit 0
fi

pins=$(mktemp)
trap 'rm -f "$pins"' EXIT
# name==version of the light packages, and of everything else as constraints (local
# versions such as +cu128 dropped: those builds are not on the package registry).
sed -nE 's/^([A-Za-z0-9_.-]+)==([^+ ]+).*$/\1==\2/p' "$FREEZE" > "$pins"
req=()
for name in $LIGHT; do
  line=$(grep -iE "^${name//-/[-_]}==" "$pins" || true)
  [[ -n "$line" ]] || { echo "colab-check: $name is not in $FREEZE" >&2; exit 1; }
  req+=("$line")
done

stamp="$VENV/.colab-$(cat "$FREEZE" pyproject.toml scripts/colab-check.sh | sha256sum | cut -c1-12)"
if [[ ! -f "$stamp" ]]; then
  rm -rf "$VENV"
  echo "colab-check: building $VENV with $("$PY" --version) and Colab's versions: ${req[*]}"
  "$PY" -m venv "$VENV"
  pip_q install -c "$pins" "${req[@]}" pytest-timeout
  touch "$stamp"
fi
# What the setup cell installs on Colab, as it does (--no-deps): tlkit, reinstalled every run so
# it is this tree's (built from a copy: no build/ or egg-info in the work tree), and the
# packages Colab lacks (tlkit/course.py COLAB_PACKAGES); plus emnist for one download test.
src=$(mktemp -d)
trap 'rm -rf "$pins" "$src"' EXIT
mkdir "$src/tlkit-src"
cp -r pyproject.toml README.md tlkit "$src/tlkit-src/"
pip_q install --no-deps --force-reinstall "$src/tlkit-src"
colab_packages=$(cd "$src" && "$OLDPWD/$VENV/bin/python" -c 'from tlkit.course import COLAB_PACKAGES; print(*COLAB_PACKAGES)')
pip_q install --no-deps $colab_packages "emnist==$(sed -nE 's/^emnist==(.*)$/\1/p' requirements/base.txt)"
"$VENV/bin/python" -c "import sys, numpy, pandas, sklearn, skimage; print('colab-check: Python', sys.version.split()[0], '· numpy', numpy.__version__, '· pandas', pandas.__version__, '· scikit-learn', sklearn.__version__, '· scikit-image', skimage.__version__)"
set +e
# From a folder outside the tree, so the installed tlkit (not the source folder) is imported.
(cd "$src" && env -u PYTHONPATH TF_CPP_MIN_LOG_LEVEL=1 TLKIT_PROFILE=fast TLKIT_OFFLINE=1 TLKIT_CHECK_STRICT=1 \
  "$OLDPWD/$VENV/bin/python" -m pytest -p no:cacheprovider -q --rootdir "$OLDPWD" \
  -c "$OLDPWD/pyproject.toml" "${@/#/$OLDPWD/}")
rc=$?
echo "colab-check: pytest exited $rc after $(( $(date +%s) - start )) s"
exit $rc
