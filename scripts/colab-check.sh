#!/usr/bin/env bash
# `make colab-check`: the framework-free tests on Colab's Python (3.13) and Colab's versions of
# the light packages, read from the GPU runtime's freeze (tests/fixtures/colab/pip-freeze.gpu.txt).
# tlkit is installed with --no-deps, as the notebooks' setup cell does on Colab.
# Usage: scripts/colab-check.sh TEST_FILE...   (the Makefile passes its COLAB_TESTS list)
# Exits 0 with a "skipped" line when no Python 3.13 is found (set PYTHON313 to point at one).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/colab-env.sh
VENV=${COLAB_VENV:-.venv-colab}
# The packages a student's notebook imports (pyproject's base dependencies), plus what the
# framework-free tests need; every version comes from Colab's freeze.
LIGHT="numpy pandas matplotlib pillow scikit-learn scikit-image pooch tqdm requests nbformat pytest"
start=$(date +%s)

colab_start colab-check $LIGHT
stamp=$(colab_stamp pyproject.toml scripts/colab-check.sh)
if [[ ! -f "$stamp" ]]; then
  rm -rf "$VENV"
  echo "colab-check: building $VENV with $("$PY" --version) and Colab's versions: ${req[*]}"
  "$PY" -m venv "$VENV"
  pip_q install -c "$pins" "${req[@]}" pytest-timeout
  touch "$stamp"
fi
# What the setup cell installs on Colab, as it does; plus emnist for one download test.
install_tlkit_as_setup_cell "$src"
pip_q install --no-deps $(colab_packages "$src") "emnist==$(sed -nE 's/^emnist==(.*)$/\1/p' requirements/base.txt)"
"$VENV/bin/python" -c "import sys, numpy, pandas, sklearn, skimage; print('colab-check: Python', sys.version.split()[0], '· numpy', numpy.__version__, '· pandas', pandas.__version__, '· scikit-learn', sklearn.__version__, '· scikit-image', skimage.__version__)"
set +e
# From a folder outside the tree, so the installed tlkit (not the source folder) is imported.
(cd "$src" && env -u PYTHONPATH TF_CPP_MIN_LOG_LEVEL=1 TLKIT_PROFILE=fast TLKIT_OFFLINE=1 TLKIT_CHECK_STRICT=1 \
  "$OLDPWD/$VENV/bin/python" -m pytest -p no:cacheprovider -q --rootdir "$OLDPWD" \
  -c "$OLDPWD/pyproject.toml" "${@/#/$OLDPWD/}")
rc=$?
echo "colab-check: pytest exited $rc after $(( $(date +%s) - start )) s"
exit $rc
