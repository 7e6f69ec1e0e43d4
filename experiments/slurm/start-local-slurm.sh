#!/usr/bin/env bash
# Starts a one-node Slurm cluster on localhost (munged, slurmctld, slurmd as plain background
# processes; no systemd, no cgroups), for CI and for trying the job-array scripts on a laptop.
#
# Root required. Environment:
#   LOCAL_SLURM_DIR      work dir (default /tmp/local-slurm), wiped on start if this script made it
#   LOCAL_SLURM_PORT     slurmctld port (default 6817; slurmd gets +1)
#   LOCAL_SLURM_TIMEOUT  seconds to wait for each daemon (default 60)
#   LOCAL_SLURM_NO_INSTALL=1  never run apt-get
#
# Afterwards: `source $LOCAL_SLURM_DIR/env.sh` sets SLURM_CONF for sbatch/squeue/scontrol.
# Stop with stop-local-slurm.sh. Recipe and pitfalls: ../shared/notes/slurm.md (Debian 12,
# Slurm 22.05).
set -euo pipefail

DIR=${LOCAL_SLURM_DIR:-/tmp/local-slurm}
PORT=${LOCAL_SLURM_PORT:-6817}
TIMEOUT=${LOCAL_SLURM_TIMEOUT:-60}
MARKER=.counterpulse-local-slurm

die() { echo "start-local-slurm: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (slurmd starts jobs as the submitting user)"

need_install=0
for b in munged munge unmunge slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v "$b" >/dev/null 2>&1 || need_install=1
done
if [ "$need_install" = 1 ]; then
    [ "${LOCAL_SLURM_NO_INSTALL:-0}" = 1 ] && die "Slurm or munge is missing and LOCAL_SLURM_NO_INSTALL=1"
    # Packages must not start system-wide daemons (no systemd here): deny starts during install.
    added_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        added_policy=1
    fi
    echo "start-local-slurm: installing slurmctld slurmd slurm-client munge"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurmctld slurmd slurm-client munge >/dev/null
    [ "$added_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# Refuse to clobber a running cluster or a directory this script did not make.
if [ -f "$DIR/pids" ]; then
    while read -r name pid; do
        if [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ] \
            && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
            die "$name (pid $pid) from an earlier start is still running; run stop-local-slurm.sh"
        fi
    done < "$DIR/pids"
fi
if [ -e "$DIR" ] && [ ! -f "$DIR/$MARKER" ]; then
    die "$DIR exists and was not made by this script; set LOCAL_SLURM_DIR"
fi
for p in "$PORT" "$((PORT + 1))"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        die "port $p is in use; set LOCAL_SLURM_PORT"
    fi
done
rm -rf "$DIR"
mkdir -p "$DIR"/{etc,state,spool,run,log,munge-key,run-munge}
touch "$DIR/$MARKER"
chmod 0700 "$DIR/munge-key"
chmod 0755 "$DIR/run-munge"   # munged needs an executable-for-all socket directory
: > "$DIR/pids"

started=()
cleanup_on_error() {
    echo "start-local-slurm: failed; logs follow" >&2
    for f in "$DIR"/log/*; do echo "--- $f" >&2; tail -n 30 "$f" >&2 || true; done
    for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup_on_error ERR

wait_for() { # description, command...
    local what=$1; shift
    local t0=$SECONDS
    until "$@" >/dev/null 2>&1; do
        if (( SECONDS - t0 > TIMEOUT )); then
            echo "start-local-slurm: timed out waiting for $what" >&2
            false
        fi
        sleep 0.1
    done
}

# munge: a fresh random key, our own socket and pid file.
dd if=/dev/urandom of="$DIR/munge-key/munge.key" bs=1024 count=1 status=none
chmod 0400 "$DIR/munge-key/munge.key"
SOCKET="$DIR/run-munge/munge.socket.2"
munged --foreground --force --key-file="$DIR/munge-key/munge.key" --socket="$SOCKET" \
    --pid-file="$DIR/run-munge/munged.pid" --seed-file="$DIR/munge-key/munge.seed" \
    > "$DIR/log/munged.log" 2>&1 < /dev/null &
started+=($!); echo "munged $!" >> "$DIR/pids"
wait_for "munge" bash -c "munge -n -S '$SOCKET' | unmunge -S '$SOCKET'"

CPUS=$(nproc)
MEM_MB=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
cat > "$DIR/etc/slurm.conf" <<EOF
ClusterName=localci
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$DIR/etc/slurm.conf"
echo "export SLURM_CONF=$SLURM_CONF" > "$DIR/env.sh"

slurmctld -D -f "$SLURM_CONF" > "$DIR/log/slurmctld.out" 2>&1 < /dev/null &
started+=($!); echo "slurmctld $!" >> "$DIR/pids"
wait_for "slurmctld" bash -c "scontrol ping | grep -q UP"

slurmd -D -N localhost -f "$SLURM_CONF" > "$DIR/log/slurmd.out" 2>&1 < /dev/null &
started+=($!); echo "slurmd $!" >> "$DIR/pids"
wait_for "node idle" bash -c "sinfo -h -n localhost -o %T | grep -qx idle"

trap - ERR
echo "start-local-slurm: cluster up ($CPUS CPUs); source $DIR/env.sh"
