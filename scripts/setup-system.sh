#!/usr/bin/env bash
# System packages: bubblewrap (Debian/Ubuntu `bubblewrap`), which the grader needs for full
# isolation, and chromium, in which a test opens the class report (`tlkit grade`'s HTML page;
# the test skips, saying so, without it). Installs what is missing when running as root with
# apt-get; otherwise only says what is there.
# Without bwrap (or without root, or without cgroup v1 memory/pids controllers) `tlkit grade`
# stops with a clear error, unless run with `--isolation basic` or `--allow-weaker`, which grade
# with rlimits only: network reachable, host files readable, no whole-tree memory cap.
set -uo pipefail
if command -v bwrap >/dev/null 2>&1; then
  echo "setup-system: bubblewrap present ($(bwrap --version 2>/dev/null))"
elif [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: installing bubblewrap with apt-get (grader sandbox) ..."
  if ! { apt-get install -y -qq bubblewrap >/dev/null 2>&1 ||
         { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq bubblewrap >/dev/null; }; }; then
    echo "setup-system: could not install bubblewrap; the grader will need --isolation basic" >&2
  fi
else
  echo "setup-system: bubblewrap is missing and this is not root with apt-get: install the" \
       "'bubblewrap' package, or grade with --isolation basic (limits only)" >&2
fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  echo "setup-system: chromium present (the class report's browser test)"
elif [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: installing chromium with apt-get (the class report's browser test) ..."
  if ! { apt-get install -y -qq chromium >/dev/null 2>&1 ||
         { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null; }; }; then
    echo "setup-system: could not install chromium; tests/test_grading_report.py skips its browser test" >&2
  fi
else
  echo "setup-system: chromium is missing: install Debian's 'chromium' package to run the" \
       "class report's browser test (it skips otherwise)" >&2
fi
if [[ -w /sys/fs/cgroup/memory && -w /sys/fs/cgroup/pids ]]; then
  echo "setup-system: cgroup v1 memory and pids controllers writable (whole-tree budgets)"
else
  echo "setup-system: no writable cgroup v1 memory/pids controllers: full isolation unavailable" \
       "here; the grader needs --isolation basic or --allow-weaker" >&2
fi
exit 0
