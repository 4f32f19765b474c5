#!/usr/bin/env bash
# Grade a class with a Slurm job array of N shards, then merge them in a dependent job.
#
#   OUT=grading/tarea1 N=4 bash docs/recipes/grade-slurm.sh "Curso-Tarea 1-1234.zip" entregas-tarde/
#
# Run it from the course repository, on a filesystem the compute nodes share. Every argument is a
# submission (a file, a folder or a Moodle/Canvas zip; quoted names with spaces are fine).
# Variables (defaults in brackets):
#   OUT          the run's own output folder [grading/run-<date>-<time>]; refused if it exists
#   N            shards [4]           CPUS  CPUs per shard [2]     MEM  memory per shard [16G]
#   TIME         time per shard [02:00:00]                          SOLUTIONS [solutions]
#   TLKIT        the tlkit command [.venv/bin/tlkit]
#   GRADE_OPTS   more `tlkit grade` options, split on spaces, e.g.
#                "--isolation basic --timeout-total 900 --memory-mb 3000 --allow-weaker"
#   JOBS         submissions graded at once per shard [$SLURM_CPUS_PER_TASK, i.e. CPUS]
#   SBATCH_OPTS  more sbatch options for both jobs, e.g. "--partition=short --account=curso"
# Re-run the shards of a run that produced nothing (same run id, same options), then merge:
#   RESUME=grading/tarea1 bash docs/recipes/grade-slurm.sh
# What it writes: OUT/shard-<i>/ (gradebook.csv, its manifest, feedback/, exit), OUT/logs/,
# then OUT/gradebook.csv and OUT/feedback/ from the merge job. Each kernel computes on
# CPUS / JOBS threads (tlkit reads SLURM_CPUS_PER_TASK, not the node's core count).
# Exit status of a shard task: 0 when it graded its students (some rows may be `error`: the
# file OUT/shard-<i>/exit says 1 and the log lists them), non-zero when the grader failed (no
# solutions, bad options, isolation unavailable): that shard is FAILED and the merge fails
# naming it. The merge job also fails when a shard produced nothing (killed, out of time).
# Isolation: as root on the nodes, `full` (bubblewrap + cgroups nested in the job's cgroup, so
# --mem bounds every submission too); without root, tlkit grades rootless (docs/grading.md,
# "Isolation matrix"). TMPDIR is a folder per task, removed when the task ends.
set -euo pipefail

task() {  # one shard; arguments: the submissions
  local i=${SLURM_ARRAY_TASK_ID:?not a Slurm array task}
  local shard="$OUT/shard-$i"
  rm -rf "$shard"  # never leave an older gradebook where the merge looks
  mkdir -p "$shard"
  TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/tlkit-$SLURM_JOB_ID-XXXXXX")
  export TMPDIR
  trap 'rm -rf "$TMPDIR"' EXIT
  trap 'exit 143' TERM INT  # scancel, time limit: still remove TMPDIR (bash skips EXIT on TERM)
  local cpus=${SLURM_CPUS_PER_TASK:-1}
  local status=0
  # shellcheck disable=SC2086  # GRADE_OPTS: words on purpose
  "$TLKIT" grade "$@" --solutions "$SOLUTIONS" --shard "$i/$N" --run-id "$RUN_ID" \
    -j "${JOBS:-$cpus}" --out "$shard/gradebook.csv" --feedback "$shard/feedback" \
    ${GRADE_OPTS:-} &
  wait $! || status=$?  # in the background, so that a TERM runs the trap at once
  echo "$status" >"$shard/exit"
  case $status in
    0) echo "shard $i/$N: graded" ;;
    1) echo "shard $i/$N: graded; some rows are 'error' or a control run lost points (see above)" ;;
    *) echo "shard $i/$N: THE GRADER FAILED (exit $status)" >&2; exit "$status" ;;
  esac
}

merge() {
  local missing=()
  for i in $(seq 1 "$N"); do
    [[ -s $OUT/shard-$i/gradebook.csv && -s $OUT/shard-$i/gradebook.manifest.json ]] \
      || missing+=("$i")
  done
  if ((${#missing[@]})); then
    echo "merge: shard(s) ${missing[*]} of $N produced no gradebook (failed, killed or out of" \
         "time: see $OUT/logs/shard-<i>.log); nothing merged" >&2
    exit 1
  fi
  local books=()
  for i in $(seq 1 "$N"); do books+=("$OUT/shard-$i/gradebook.csv"); done
  "$TLKIT" merge-grades "${books[@]}" --run-id "$RUN_ID" --out "$OUT/gradebook.csv" \
    --feedback "$OUT/feedback"
}

case ${1:-} in
  --task) shift; task "$@"; exit ;;
  --merge) shift; merge; exit ;;
esac

submit() {  # the array of shards $1 (e.g. 1-4 or 2,3) and its merge job; then the submissions
  local shards=$1
  shift
  local self
  self=$(realpath "${BASH_SOURCE[0]}")
  local array merge_job
  # shellcheck disable=SC2086  # SBATCH_OPTS: words on purpose
  array=$(sbatch --parsable --array="$shards" --cpus-per-task="$CPUS" --mem="$MEM" \
    --time="$TIME" --job-name=tlkit-grade --output="$OUT/logs/shard-%a.log" --export=ALL \
    ${SBATCH_OPTS:-} "$self" --task "$@")
  # shellcheck disable=SC2086
  merge_job=$(sbatch --parsable --dependency=afterany:"$array" --job-name=tlkit-merge \
    --output="$OUT/logs/merge.log" --open-mode=append --export=ALL ${SBATCH_OPTS:-} \
    "$self" --merge)
  echo "array $array (shards $shards of $N) and merge job $merge_job submitted; results in $OUT"
}

if [[ -n ${RESUME:-} ]]; then
  OUT=$(cd "$RESUME" && pwd)
  # shellcheck source=/dev/null
  source "$OUT/run.env"
  mapfile -d '' submissions <"$OUT/submissions"
  todo=()
  for i in $(seq 1 "$N"); do
    [[ -s $OUT/shard-$i/gradebook.manifest.json && $(cat "$OUT/shard-$i/exit" 2>/dev/null) =~ ^[01]$ ]] \
      || todo+=("$i")
  done
  ((${#todo[@]})) || { echo "every shard of $OUT produced its gradebook: nothing to re-run" >&2; exit 0; }
  export OUT RUN_ID N CPUS MEM TIME SOLUTIONS TLKIT GRADE_OPTS JOBS
  submit "$(IFS=,; echo "${todo[*]}")" "${submissions[@]}"
  exit
fi

(($#)) || { echo "usage: OUT=folder N=4 bash $0 SUBMISSION..." >&2; exit 2; }
export N=${N:-4} CPUS=${CPUS:-2} MEM=${MEM:-16G} TIME=${TIME:-02:00:00}
export SOLUTIONS=${SOLUTIONS:-solutions} TLKIT=${TLKIT:-.venv/bin/tlkit}
export GRADE_OPTS=${GRADE_OPTS:-} JOBS=${JOBS:-}
OUT=${OUT:-grading/run-$(date +%Y%m%d-%H%M%S)}
if [[ -e $OUT ]]; then
  echo "$OUT exists: give each run its own OUT (an older run's shards would be merged)," \
       "or re-run its missing shards with RESUME=$OUT" >&2
  exit 2
fi
[[ -x $TLKIT ]] || command -v "$TLKIT" >/dev/null || { echo "no tlkit at $TLKIT (set TLKIT)" >&2; exit 2; }
[[ -d $SOLUTIONS ]] || { echo "no solutions folder $SOLUTIONS (set SOLUTIONS)" >&2; exit 2; }
for submission in "$@"; do
  [[ -e $submission ]] || { echo "no such submission: $submission" >&2; exit 2; }
done
mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
RUN_ID=$(basename "$OUT")-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
export OUT RUN_ID
for name in N CPUS MEM TIME SOLUTIONS TLKIT GRADE_OPTS JOBS RUN_ID; do
  printf '%s=%q\n' "$name" "${!name}"
done >"$OUT/run.env"
printf '%s\0' "$@" >"$OUT/submissions"
submit "1-$N" "$@"
