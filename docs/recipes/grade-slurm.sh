#!/usr/bin/env bash
# Grade a class with a Slurm job array of N tasks, then merge in a dependent job.
# Usage (from the course repository, on the cluster's shared filesystem):
#   N=8 bash docs/recipes/grade-slurm.sh entregas/ solutions/
# Each task grades its shard (whole students) into out/shard-<i>/; the merge job checks the
# shards cover the class exactly once and writes out/gradebook.csv and out/feedback/.
# Full isolation needs root on the compute nodes (bubblewrap + cgroup v1); elsewhere add
# --isolation basic and keep the nodes off the network.
set -euo pipefail
SUBMISSIONS=${1:?folder of submissions}
SOLUTIONS=${2:-solutions}
N=${N:-4}
TLKIT=${TLKIT:-.venv/bin/tlkit}
mkdir -p out
array=$(sbatch --parsable --array=1-"$N" --cpus-per-task=2 --mem=16G --time=02:00:00 \
  --job-name=tlkit-grade --output=out/slurm-%A_%a.log --wrap \
  "$TLKIT grade $SUBMISSIONS --solutions $SOLUTIONS -j 2 --shard \${SLURM_ARRAY_TASK_ID}/$N \
     --out out/shard-\${SLURM_ARRAY_TASK_ID}/gradebook.csv \
     --feedback out/shard-\${SLURM_ARRAY_TASK_ID}/feedback")
sbatch --dependency=afterany:"$array" --job-name=tlkit-merge --output=out/slurm-merge.log --wrap \
  "$TLKIT merge-grades out/shard-*/gradebook.csv --out out/gradebook.csv --feedback out/feedback"
echo "submitted array $array ($N shards) and its merge job; results in out/"
