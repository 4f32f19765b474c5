#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment in .venv with pip.
# torch 2.14.1 / torchvision 0.29.1 install from this machine's disk; elsewhere pip downloads them.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${TLKIT_VENV:-.venv}
PY=${PYTHON:-python3}
start=$(date +%s)
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "tlkit: creating $VENV with $($PY --version) ..."
  "$PY" -m venv "$VENV"
fi
pip_q() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@" 2> >(grep -v "^WARNING: Location" >&2); }
echo "tlkit: installing pinned packages (requirements/test.txt) ..."
pip_q install -r requirements/test.txt
pip_q install --no-deps -e .
# triton ships with torch's CUDA build and segfaults when imported after TensorFlow
# (DESIGN §2). CPU and most GPU lessons do not need it; GPU users who want torch.compile
# can reinstall it.
if "$VENV/bin/python" -m pip show triton >/dev/null 2>&1; then
  pip_q uninstall -y triton
fi
touch "$VENV/.installed"
echo "tlkit: environment ready in $VENV ($(( $(date +%s) - start )) s, $(du -sh "$VENV" | cut -f1))"
