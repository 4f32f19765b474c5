#!/usr/bin/env bash
# A single-node Slurm cluster on localhost, in a folder of its own (for tests and CI; root only).
#   bash scripts/slurm-localhost.sh start DIR   # prints SLURM_CONF=DIR/slurm.conf when it is up
#   bash scripts/slurm-localhost.sh stop DIR
# Debian's slurm-wlm 22.05 and munge (scripts/setup-system.sh installs them). It works in a
# container: ProctrackType=proctrack/linuxproc, TaskPlugin=task/none (no cgroups of Slurm's own),
# MpiDefault=none; munged and the daemons use sockets, ports and state under DIR only, so it never
# touches a cluster the machine may belong to. Exit 77 (skip) when something it needs is missing.
set -euo pipefail
action=${1:?start or stop}
dir=$(realpath -m "${2:?folder for the cluster}")

stop() {
  for name in slurmd slurmctld munged; do
    if [[ -s $dir/$name.pid ]]; then
      kill "$(cat "$dir/$name.pid")" 2>/dev/null || true
    fi
  done
  sleep 1
  for name in slurmd slurmctld munged; do
    if [[ -s $dir/$name.pid ]] && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then
      kill -9 "$(cat "$dir/$name.pid")" 2>/dev/null || true
    fi
    rm -f "$dir/$name.pid"
  done
}

if [[ $action == stop ]]; then stop; exit 0; fi
[[ $action == start ]] || { echo "slurm-localhost: unknown action $action" >&2; exit 2; }
for tool in slurmctld slurmd munged sbatch; do
  command -v "$tool" >/dev/null || { echo "slurm-localhost: $tool is not installed (apt-get install slurm-wlm munge)" >&2; exit 77; }
done
[[ $(id -u) -eq 0 ]] || { echo "slurm-localhost: needs root (slurmd runs jobs as their users)" >&2; exit 77; }
[[ -r /etc/munge/munge.key ]] || { echo "slurm-localhost: no /etc/munge/munge.key (the munge package makes it)" >&2; exit 77; }

mkdir -p "$dir"/{state,spool,munge,log}
chmod 700 "$dir/munge"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
host=$(hostname -s)
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
cat >"$dir/slurm.conf" <<EOF
ClusterName=tlkit-test
SlurmctldHost=$host
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
MaxArraySize=100
KillWait=5
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
stop
munged --socket="$dir/munge/munge.socket" --pid-file="$dir/munged.pid" \
  --seed-file="$dir/munge/seed" --log-file="$dir/log/munged.log" --force 2>"$dir/log/munged.err" || {
  echo "slurm-localhost: munged did not start: $(cat "$dir/log/munged.err")" >&2; exit 77; }
export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$SLURM_CONF" || { echo "slurm-localhost: slurmctld did not start (see $dir/log)" >&2; stop; exit 77; }
slurmd -f "$SLURM_CONF" || { echo "slurm-localhost: slurmd did not start (see $dir/log)" >&2; stop; exit 77; }
for _ in $(seq 60); do
  if sinfo -h -o %T 2>/dev/null | grep -qx idle; then
    echo "SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 1
done
echo "slurm-localhost: the node never became idle: $(sinfo 2>&1 | tail -2); logs in $dir/log" >&2
stop
exit 77
