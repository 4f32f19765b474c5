#!/usr/bin/env bash
# System packages the grader needs: bubblewrap (Debian/Ubuntu `bubblewrap`) for its sandbox;
# chromium, in which tests open the kit's HTML (the class report, `tlkit grade`'s page, and the
# exercise's last cell; the tests skip, saying so, without it); with --slurm also Slurm and munge
# (`slurm-wlm`, `munge`) for the single-node cluster of tests/test_grading_slurm.py (CI).
# Installs what is missing when running as root with apt-get; otherwise only says what is there.
# What each host's isolation then guarantees is the "Isolation matrix" of docs/grading.md;
# `tlkit grade` prints the isolation it used.
set -uo pipefail
want_slurm=0
[[ ${1:-} == --slurm ]] && want_slurm=1

install() {  # package names; 0 when installed
  [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1 || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
}

if command -v bwrap >/dev/null 2>&1; then
  echo "setup-system: bubblewrap present ($(bwrap --version 2>/dev/null))"
elif echo "setup-system: installing bubblewrap with apt-get (grader sandbox) ..." && install bubblewrap; then
  echo "setup-system: bubblewrap installed"
else
  echo "setup-system: bubblewrap is missing and could not be installed (needs root and" \
       "apt-get): install the 'bubblewrap' package, or grade with --isolation basic" >&2
fi
if ((want_slurm)); then
  if command -v slurmctld >/dev/null 2>&1 && command -v munged >/dev/null 2>&1; then
    echo "setup-system: slurm and munge present ($(slurmctld -V 2>/dev/null))"
  elif echo "setup-system: installing slurm-wlm and munge with apt-get ..." && install slurm-wlm munge; then
    echo "setup-system: slurm-wlm and munge installed ($(slurmctld -V 2>/dev/null))"
  else
    echo "setup-system: could not install slurm-wlm and munge: the Slurm test will skip" >&2
  fi
fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  echo "setup-system: chromium present (the browser tests: class report, last cell)"
elif echo "setup-system: installing chromium with apt-get (the browser tests: class report, last cell) ..." && install chromium; then
  echo "setup-system: chromium installed"
else
  echo "setup-system: chromium is missing and could not be installed (needs root and apt-get):" \
       "install Debian's 'chromium' package to run the browser tests (they skip" \
       "otherwise)" >&2
fi
if [[ -w /sys/fs/cgroup/memory && -w /sys/fs/cgroup/pids ]]; then
  echo "setup-system: cgroup v1 memory and pids controllers writable (whole-tree budgets)"
elif [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
  echo "setup-system: cgroup v2 ($(cat /sys/fs/cgroup/cgroup.controllers)); the grader nests" \
       "its budgets in its own cgroup when that is delegated (root, systemd-run --scope" \
       "-p Delegate=yes, a Slurm job as root)"
else
  echo "setup-system: no writable cgroup memory/pids controllers: no whole-tree memory budget" >&2
fi
exit 0
