#!/usr/bin/env bash
# `make colab-runtime`: every lesson and solution (fast profile, nbval) and the framework tests
# on a CPU replica of Colab's runtime: Python 3.13 with Colab's exact versions from its published
# freeze (tests/fixtures/colab/pip-freeze.gpu.txt): PyPI's tensorflow 2.20.0 (the regular build,
# as Colab has, not tensorflow-cpu), keras 3.13.2, torch 2.11.0 and torchvision 0.26.0 (PyPI's
# CUDA builds: the +cu128 builds Colab has are not on PyPI; without a GPU they run on the CPU),
# ipykernel 6.17.1, jupyter_client 7.4.9 ... and every other package at Colab's version. tlkit is
# installed as the setup cell installs it (--no-deps, with course.COLAB_PACKAGES).
# The venv is kept between runs while its stamp (freeze, pyproject, these scripts, course.py)
# holds. Exits 0 with a "skipped" line when no Python 3.13 is found or, for a build, the package
# registry does not answer.
# Usage: scripts/colab-runtime.sh TEST_PATH...   (the Makefile passes COLAB_RUNTIME_TESTS)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/colab-env.sh
VENV=${COLAB_RUNTIME_VENV:-.venv-colab-runtime}
# The lessons' imports (pyproject's base dependencies and the frameworks) and the kernel
# machinery of Colab (ipywidgets too: tqdm.auto draws its bars with it there), at Colab's
# versions; nbval and pytest-timeout are not in Colab's freeze (constrained by it all the same).
COLAB="numpy pandas matplotlib pillow scikit-learn scikit-image pooch tqdm requests
  tensorflow keras torch torchvision ipykernel jupyter_client ipython ipywidgets traitlets
  nbformat nbclient pytest"
start=$(date +%s)

colab_start colab-runtime $COLAB
stamp=$(colab_stamp pyproject.toml tlkit/course.py scripts/colab-runtime.sh)
if [[ ! -f "$stamp" ]]; then
  if ! registry_reachable "$PY"; then
    echo "colab-runtime: skipped: the package registry (${PIP_INDEX_URL:-https://pypi.org/simple/}) does not answer, and $VENV is not built"
    exit 0
  fi
  rm -rf "$VENV"
  echo "colab-runtime: building $VENV with $("$PY" --version) and Colab's versions: ${req[*]}"
  build_start=$(date +%s)
  "$PY" -m venv "$VENV"
  pip_q install -c "$pins" "${req[@]}" nbval pytest-timeout
  install_tlkit_as_setup_cell "$src"
  pip_q install --no-deps $(colab_packages "$src")
  echo "colab-runtime: built in $(( $(date +%s) - build_start )) s ($(du -sh "$VENV" | cut -f1))"
  touch "$stamp"
else
  install_tlkit_as_setup_cell "$src"
fi
"$VENV/bin/python" - <<'PY'
import sys, importlib.metadata as md
names = "tensorflow keras torch torchvision numpy ipykernel jupyter_client".split()
print("colab-runtime: Python", sys.version.split()[0], "·", " · ".join(f"{n} {md.version(n)}" for n in names))
PY
set +e
# From a folder outside the tree, so the installed tlkit (not the source folder) is imported;
# the notebooks' kernels run in the notebooks' folders, which hold no tlkit either.
report="$VENV/last-run.xml"
(cd "$src" && env -u PYTHONPATH PYDEVD_DISABLE_FILE_VALIDATION=1 TF_CPP_MIN_LOG_LEVEL=1 TLKIT_PROFILE=fast TLKIT_OFFLINE=1 TLKIT_CHECK_STRICT=1 \
  "$OLDPWD/$VENV/bin/python" -m pytest -p no:cacheprovider -q --rootdir "$OLDPWD" \
  -c "$OLDPWD/pyproject.toml" --nbval-lax --nbval-current-env --junitxml "$OLDPWD/$report" \
  "${@/#/$OLDPWD/}")
rc=$?
# Seconds per notebook and per test file, from pytest's report.
"$VENV/bin/python" - "$report" <<'PY'
import collections, sys, xml.etree.ElementTree as ET
per_file = collections.Counter()
for case in ET.parse(sys.argv[1]).iter("testcase"):
    per_file[case.get("file") or case.get("classname", "?").split("::")[0]] += float(case.get("time", 0))
for name, seconds in sorted(per_file.items()):
    print(f"colab-runtime: {seconds:7.1f} s  {name}")
PY
echo "colab-runtime: pytest exited $rc after $(( $(date +%s) - start )) s"
exit $rc
