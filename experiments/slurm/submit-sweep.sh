#!/usr/bin/env bash
# Submits a counterpulse sweep to Slurm as a job array of N shards plus a dependent merge job.
#
#   experiments/slurm/submit-sweep.sh [-n SHARDS] [-c CPUS] [-o OUT] [-b BIN] [--wait] [SPEC.toml] [-- SBATCH_ARGS...]
#
#   -n SHARDS  array tasks (default 4); each runs `counterpulse sweep --shard I/SHARDS`
#   -c CPUS    CPUs per task, passed to --threads (default 2)
#   -o OUT     output folder (default notebooks-data/<sweep name>)
#   -b BIN     counterpulse binary (default $COUNTERPULSE, else target/release/counterpulse,
#              else `counterpulse` on PATH)
#   --wait     poll squeue until both jobs are gone; exit 1 unless every task COMPLETED
#   SPEC.toml  the sweep (default: the embedded default sweep)
#   -- ARGS    extra options for both sbatch calls, e.g. -- --partition=short --account=lab
#
# Prints the array and merge job ids. The shards and the merge write into OUT, which must be
# on a file system shared by the nodes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=4; cpus=2; out=""; bin=${COUNTERPULSE:-}; wait=0; spec=""; extra=()
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        -n) shards=$2; shift 2 ;;
        -c) cpus=$2; shift 2 ;;
        -o) out=$2; shift 2 ;;
        -b) bin=$2; shift 2 ;;
        --wait) wait=1; shift ;;
        -h|--help) usage ;;
        --) shift; extra=("$@"); break ;;
        -*) echo "submit-sweep: unknown option $1" >&2; usage ;;
        *) spec=$1; shift ;;
    esac
done
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit-sweep: -n $shards: expected a positive integer" >&2; exit 2; }
[[ $cpus =~ ^[1-9][0-9]*$ ]] || { echo "submit-sweep: -c $cpus: expected a positive integer" >&2; exit 2; }
if [ -z "$bin" ]; then
    if [ -x "$here/../../target/release/counterpulse" ]; then
        bin="$here/../../target/release/counterpulse"
    else
        bin=$(command -v counterpulse) || { echo "submit-sweep: no counterpulse binary; build with cargo build --release or pass -b" >&2; exit 2; }
    fi
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
if [ -n "$spec" ]; then
    [ -f "$spec" ] || { echo "submit-sweep: no such spec file: $spec" >&2; exit 2; }
    spec=$(cd "$(dirname "$spec")" && pwd)/$(basename "$spec")
fi
# Checks the spec (exit 2 on a bad one) and learns its name before anything is queued.
dry=$("$bin" sweep ${spec:+"$spec"} --dry-run --shard "0/$shards")
name=$(sed -n 's/^sweep `\([^`]*\)`.*/\1/p' <<<"$dry")
[ -n "$out" ] || out="notebooks-data/$name"
mkdir -p "$out"
out=$(cd "$out" && pwd)
echo "$dry"
export CP_BIN=$bin CP_SPEC=$spec CP_OUT=$out CP_SHARDS=$shards
arr=$(sbatch --parsable --array="0-$((shards - 1))" --cpus-per-task="$cpus" \
    --output="$out/slurm-%A_%a.log" --export=ALL "${extra[@]}" "$here/sweep-shard.sbatch")
arr=${arr%%;*}
mrg=$(sbatch --parsable --dependency="afterok:$arr" --kill-on-invalid-dep=yes \
    --output="$out/slurm-merge-%j.log" --export=ALL "${extra[@]}" "$here/merge.sbatch")
mrg=${mrg%%;*}
echo "array job $arr ($shards shards), merge job $mrg; output in $out"
[ "$wait" = 1 ] || exit 0

wait_job() { # gone from the queue, and every task COMPLETED
    local jid=$1 info
    while [ -n "$(squeue -h -j "$jid" -o %i 2>/dev/null)" ]; do sleep 0.5; done
    info=$(scontrol show job -o "$jid") || return 1
    [ -n "$info" ] && ! grep -qv 'JobState=COMPLETED' <<<"$info"
}
ok=1
wait_job "$arr" || { echo "submit-sweep: a shard of job $arr did not complete; see $out/slurm-${arr}_*.log" >&2; ok=0; }
wait_job "$mrg" || { echo "submit-sweep: merge job $mrg did not complete; see $out/slurm-merge-$mrg.log" >&2; ok=0; }
[ "$ok" = 1 ] && cat "$out/slurm-merge-$mrg.log"
[ "$ok" = 1 ]
