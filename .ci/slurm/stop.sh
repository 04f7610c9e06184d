#!/usr/bin/env bash
# Stop the suite's own cluster started by .ci/slurm/setup.sh: slurmd,
# slurmctld, then its munged.  A daemon is signalled only when its pid file
# (in /run/scriptkeeper-slurm) names a live process that runs with the suite's
# slurm.conf (or munge socket): another SLURM cluster on this machine, and its
# munged, are never touched.  Harmless when nothing is running.  Job/node
# state under /var/lib/scriptkeeper-slurm is kept; pass --purge to delete it as
# well (the next setup.sh starts clean; the configuration and munge key stay).
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
    echo "stop.sh: must run as root" >&2
    exit 1
fi
# shellcheck source=paths.sh
source "$(dirname "${BASH_SOURCE[0]}")/paths.sh"

purge=0
if [[ ${1:-} == --purge ]]; then
    purge=1
fi

# Wait for a setup.sh that is starting the daemons.
if [[ -d $SK_RUN_DIR ]]; then
    exec 9>"$SK_LOCK"
    flock -w "${SK_SLURM_LOCK_WAIT:-600}" 9 || {
        echo "stop.sh: setup.sh still holds $SK_LOCK" >&2
        exit 1
    }
fi

stop_ours() { # stop_ours PIDFILE NAME
    local pid i
    [[ -s $1 ]] || { echo "stop.sh: $2 not running (no $1)"; return 0; }
    pid=$(<"$1")
    if ! sk_ours "$1" "$2" "$(sk_mark "$2")"; then
        echo "stop.sh: $2 not running (stale $1: pid $pid is not the suite's $2)"
        rm -f "$1"
        return 0
    fi
    echo "stop.sh: stopping $2 (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 75; i++)); do
        sk_running "$pid" || { rm -f "$1"; return 0; }
        sleep 0.2
    done
    echo "stop.sh: $2 (pid $pid) ignored SIGTERM, sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$1"
}

stop_ours "$SK_SLURMD_PID" slurmd
stop_ours "$SK_CTLD_PID" slurmctld
stop_ours "$SK_MUNGE_PID" munged

if ((purge)); then
    echo "stop.sh: purging $SK_STATE_DIR and $SK_SPOOL_DIR"
    rm -rf "$SK_STATE_DIR" "$SK_SPOOL_DIR"
fi
