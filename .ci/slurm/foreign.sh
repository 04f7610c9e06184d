#!/usr/bin/env bash
# Start or stop a *foreign* SLURM cluster: the kind a user already runs on the
# machine, set up the default way, to check that the suite's own cluster
# (setup.sh) and the tests never use it and never stop it.  Run as root.
#
#   bash .ci/slurm/foreign.sh start    # up and idle within a few seconds
#   bash .ci/slurm/foreign.sh status   # exit 0 when it runs
#   bash .ci/slurm/foreign.sh stop     # stops what start started, removes its config
#
# The foreign cluster uses everything the suite's cluster must not: the default
# config /etc/slurm/slurm.conf (daemons and clients find it with no -f and no
# SLURM_CONF), the default ports 6817/6818, the default pid files
# /run/slurmctld.pid and /run/slurmd.pid, the machine's munged on the default
# socket with /etc/munge/munge.key, and the same node name (`hostname -s`) and
# /dev/nvidia* files.  It differs in what a test would notice: ClusterName
# `other`, one partition `gpu` (no h200/debug), 2 `a100` GPUs.  Only its state
# lives apart, in /var/lib/sk-foreign-slurm.
#
# start refuses to overwrite a /etc/slurm/slurm.conf it did not write, or to
# start beside a slurmctld/slurmd already on the default pid files or ports.
set -euo pipefail

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
GRES_CONF=$CONF_DIR/gres.conf
MARK="# Written by scriptkeeper's .ci/slurm/foreign.sh"
DIR=/var/lib/sk-foreign-slurm
RUN=/run/sk-foreign-slurm
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_PID=/run/munge/munged.pid
NODE=$(hostname -s)

log() { echo "foreign.sh: $*"; }
die() { echo "foreign.sh: $*" >&2; exit 1; }

# Clients of the foreign cluster use the defaults, like a user's shell.
unset SLURM_CONF

alive() { # alive PIDFILE NAME
    local pid
    [[ -s $1 ]] || return 1
    pid=$(<"$1")
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/comm && $(<"/proc/$pid/comm") == "$2" ]]
}

exited() { # exited PID: gone, or a zombie init has not reaped yet
    local stat
    { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 0
    stat=${stat##*) }
    [[ ${stat:0:1} == Z ]]
}

stop_pid() { # stop_pid PIDFILE NAME
    local pid i
    alive "$1" "$2" || { rm -f "$1"; return 0; }
    pid=$(<"$1")
    log "stopping $2 (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 75; i++)); do
        exited "$pid" && { rm -f "$1"; return 0; }
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$1"
}

ours_conf() { [[ -f $CONF ]] && head -n 1 "$CONF" | grep -qxF "$MARK"; }

listening() { # listening PORT
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

start() {
    if [[ -e $CONF ]] && ! ours_conf; then
        die "$CONF exists and was not written by foreign.sh: not touching a real cluster's config"
    fi
    if running; then
        log "already running"
        status
        return 0
    fi
    for pair in "$CTLD_PID:slurmctld" "$SLURMD_PID:slurmd"; do
        if alive "${pair%%:*}" "${pair#*:}"; then
            die "a ${pair#*:} is already running with ${pair%%:*} (pid $(<"${pair%%:*}")): stop it first"
        fi
    done
    for port in 6817 6818; do
        if listening "$port"; then
            die "port $port is already in use"
        fi
    done

    install -d -m 0755 "$CONF_DIR" "$DIR" "$DIR/state" "$DIR/spool" "$DIR/log" "$RUN"
    for i in 0 1; do
        [[ -e /dev/nvidia$i ]] || mknod -m 666 "/dev/nvidia$i" c 195 "$i"
    done
    cat >"$CONF" <<EOF
$MARK
# A stand-in for another cluster on this machine; 'foreign.sh stop' removes it.
ClusterName=other
SlurmctldHost=${NODE}
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmdParameters=config_overrides
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
GresTypes=gpu
NodeName=${NODE} CPUs=$(nproc) RealMemory=1000 Gres=gpu:a100:2 State=UNKNOWN
PartitionName=gpu Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP
EOF
    cat >"$GRES_CONF" <<EOF
$MARK
AutoDetect=off
NodeName=${NODE} Name=gpu Type=a100 File=/dev/nvidia[0-1]
EOF

    # The machine's munged, as the munge package sets it up.
    if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
        log "using the munged already running on the default socket"
    else
        [[ -s /etc/munge/munge.key ]] || mungekey --create --keyfile=/etc/munge/munge.key
        chown munge:munge /etc/munge/munge.key
        chmod 0400 /etc/munge/munge.key
        install -d -o munge -g munge -m 0755 /run/munge
        install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
        log "starting munged (default socket)"
        runuser -u munge -- /usr/sbin/munged
        touch "$RUN/munged.started"
        for ((i = 0; i < 50; i++)); do
            munge -n </dev/null | unmunge >/dev/null 2>&1 && break
            sleep 0.2
        done
    fi

    log "starting slurmctld and slurmd (default config, ports 6817/6818)"
    /usr/sbin/slurmctld
    /usr/sbin/slurmd
    for ((i = 0; i < 60; i++)); do
        [[ $(sinfo -h -o '%t' 2>/dev/null) == idle ]] && break
        sleep 1
    done
    [[ $(sinfo -h -o '%t' 2>/dev/null) == idle ]] || {
        tail -n 30 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 || true
        die "the foreign cluster's node did not become idle"
    }
    status
}

running() { ours_conf && alive "$CTLD_PID" slurmctld && alive "$SLURMD_PID" slurmd; }

# status: print the daemons and sinfo; exit 0 when the foreign cluster runs.
status() {
    log "slurmctld: $(alive "$CTLD_PID" slurmctld && echo "pid $(<"$CTLD_PID")" || echo down)," \
        "slurmd: $(alive "$SLURMD_PID" slurmd && echo "pid $(<"$SLURMD_PID")" || echo down)"
    sinfo 2>&1 || true
    running
}

stop() {
    if [[ -e $CONF ]] && ! ours_conf; then
        die "$CONF was not written by foreign.sh: not stopping that cluster"
    fi
    stop_pid "$SLURMD_PID" slurmd
    stop_pid "$CTLD_PID" slurmctld
    if [[ -e $RUN/munged.started ]]; then
        stop_pid "$MUNGE_PID" munged
        rm -f "$RUN/munged.started"
    fi
    if ours_conf; then
        rm -f "$CONF"
    fi
    if [[ -f $GRES_CONF ]] && head -n 1 "$GRES_CONF" | grep -qxF "$MARK"; then
        rm -f "$GRES_CONF"
    fi
    rm -rf "$DIR"
    log "stopped"
}

if [[ $(id -u) -ne 0 ]]; then
    die "must run as root"
fi
case ${1:-} in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) die "usage: foreign.sh start|stop|status" ;;
esac
