#!/usr/bin/env bash
# Stop the test cluster started by .ci/slurm/setup.sh: slurmd, slurmctld, then
# munged.  Only the processes named in the daemons' pid files are signalled.
# Harmless when nothing is running.  Job/node state under /var/spool/slurm*
# is kept; pass --purge to delete it as well (the next setup.sh starts clean).
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
    echo "stop.sh: must run as root" >&2
    exit 1
fi

purge=0
if [[ ${1:-} == --purge ]]; then
    purge=1
fi

stop_pid() { # stop_pid PIDFILE NAME
    local pid i
    [[ -s $1 ]] || { echo "stop.sh: $2 not running (no $1)"; return 0; }
    pid=$(<"$1")
    if [[ ! $pid =~ ^[0-9]+$ || ! -r /proc/$pid/comm || $(<"/proc/$pid/comm") != "$2" ]]; then
        echo "stop.sh: $2 not running (stale $1)"
        rm -f "$1"
        return 0
    fi
    echo "stop.sh: stopping $2 (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 75; i++)); do
        [[ -d /proc/$pid ]] || { rm -f "$1"; return 0; }
        sleep 0.2
    done
    echo "stop.sh: $2 (pid $pid) ignored SIGTERM, sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$1"
}

stop_pid /run/slurmd.pid slurmd
stop_pid /run/slurmctld.pid slurmctld
stop_pid /run/munge/munged.pid munged

if ((purge)); then
    echo "stop.sh: purging /var/spool/slurmctld and /var/spool/slurmd"
    rm -rf /var/spool/slurmctld /var/spool/slurmd
fi
