#!/usr/bin/env bash
# Stops the cluster started by start-local-slurm.sh: cancels leftover jobs, then stops slurmd,
# slurmctld and munged by their recorded PIDs. `--purge` also deletes the work dir (otherwise
# the logs are kept for the CI log).
set -uo pipefail

DIR=${LOCAL_SLURM_DIR:-/tmp/local-slurm}
[ -f "$DIR/pids" ] || { echo "stop-local-slurm: no $DIR/pids; nothing to stop"; exit 0; }

if [ -f "$DIR/env.sh" ]; then
    # shellcheck disable=SC1091
    source "$DIR/env.sh"
    jobs=$(squeue -h -o %A 2>/dev/null || true)
    if [ -n "$jobs" ]; then
        scancel $jobs 2>/dev/null || true
        for _ in $(seq 1 50); do
            [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
fi

alive() { # name pid: running (not a zombie) and still that program
    [ -r "/proc/$2/comm" ] && [ "$(cat "/proc/$2/comm" 2>/dev/null)" = "$1" ] \
        && ! grep -q '^State:.*Z' "/proc/$2/status" 2>/dev/null
}

# slurmd first, munged last (the others authenticate through it).
for name in slurmd slurmctld munged; do
    pid=$(awk -v n="$name" '$1 == n { print $2 }' "$DIR/pids")
    [ -n "$pid" ] || continue
    alive "$name" "$pid" || continue
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do
        alive "$name" "$pid" || break
        sleep 0.1
    done
    if alive "$name" "$pid"; then
        echo "stop-local-slurm: $name ($pid) ignored SIGTERM; SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
done
rm -f "$DIR/pids"
if [ "${1:-}" = "--purge" ] && [ -f "$DIR/.counterpulse-local-slurm" ]; then
    rm -rf "$DIR"
fi
echo "stop-local-slurm: stopped"
