#!/usr/bin/env bash
# Runs a small sweep on a one-node Slurm cluster on localhost as a 4-task job array plus a merge
# job, and checks that the merged Parquet equals the local (unsharded) run byte for byte.
# Needs root and target/release/counterpulse. Usage: .ci/slurm-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/target/release/counterpulse
spec=experiments/slurm/ci-sweep.toml
work=$(mktemp -d)
export LOCAL_SLURM_DIR=${LOCAL_SLURM_DIR:-/tmp/counterpulse-ci-slurm}
experiments/slurm/start-local-slurm.sh
trap 'experiments/slurm/stop-local-slurm.sh; rm -rf "$work"' EXIT
# shellcheck disable=SC1091
source "$LOCAL_SLURM_DIR/env.sh"

t0=$(date +%s%N)
experiments/slurm/submit-sweep.sh -n 4 -c 1 -b "$bin" -o "$work/array" --wait "$spec"
t1=$(date +%s%N)
echo "slurm: 4-task array + merge in $(( (t1 - t0) / 1000000 )) ms"
"$bin" sweep "$spec" --out "$work/local" > /dev/null
cmp "$work/array/points.parquet" "$work/local/points.parquet"
echo "slurm: merged job-array output is byte-identical to the local run"
python3 .ci/check_sweep.py "$work/array"
