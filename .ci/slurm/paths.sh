# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# Where the suite's own SLURM cluster lives.  Sourced by setup.sh and stop.sh;
# tests/support/slurm.py has the same SLURM_CONF path (a test checks they agree).
#
# Nothing here is a SLURM default: the suite's cluster never reads or writes
# /etc/slurm, /etc/munge, /var/spool/slurm*, /run/munge or the default ports
# 6817/6818, so it can run beside another cluster on the same machine (and
# clients reach it only through SLURM_CONF=$SK_CONF).

SK_CLUSTER=sktest

# Persistent: configuration, controller state, slurmd spool, logs, munge key.
SK_DIR=/var/lib/scriptkeeper-slurm
SK_CONF_DIR=$SK_DIR/etc
SK_CONF=$SK_CONF_DIR/slurm.conf
SK_GRES_CONF=$SK_CONF_DIR/gres.conf
SK_PLUGSTACK_CONF=$SK_CONF_DIR/plugstack.conf
SK_STATE_DIR=$SK_DIR/state
SK_SPOOL_DIR=$SK_DIR/spool
SK_LOG_DIR=$SK_DIR/log
SK_CTLD_LOG=$SK_LOG_DIR/slurmctld.log
SK_SLURMD_LOG=$SK_LOG_DIR/slurmd.log
SK_MUNGE_DIR=$SK_DIR/munge # owned by munge: munged refuses a key or log others can write
SK_MUNGE_KEY=$SK_MUNGE_DIR/munge.key
SK_MUNGE_SEED=$SK_MUNGE_DIR/munged.seed
SK_MUNGE_LOG=$SK_MUNGE_DIR/munged.log

# Per boot (tmpfs): pid files, the munge socket, the setup lock.  A pid file
# never outlives a reboot, so it cannot name a recycled pid.
SK_RUN_DIR=/run/scriptkeeper-slurm
SK_CTLD_PID=$SK_RUN_DIR/slurmctld.pid
SK_SLURMD_PID=$SK_RUN_DIR/slurmd.pid
SK_LOCK=$SK_RUN_DIR/setup.lock
SK_MUNGE_RUN_DIR=$SK_RUN_DIR/munge
SK_MUNGE_SOCKET=$SK_MUNGE_RUN_DIR/munge.socket
SK_MUNGE_PID=$SK_MUNGE_RUN_DIR/munged.pid

# Not the defaults (6817/6818, which another cluster on this machine would
# use) and below Linux's ephemeral range (32768-60999), so no client socket
# takes them either.
SK_CTLD_PORT=${SK_SLURM_CTLD_PORT:-16817}
SK_SLURMD_PORT=${SK_SLURM_SLURMD_PORT:-16818}

# sk_cmdline PID: the command line of PID, arguments separated by spaces.
sk_cmdline() {
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null
}

# sk_running PID: PID is a process that has not exited.  An exited daemon
# stays a zombie until init reaps it, which on some machines takes seconds.
sk_running() {
    local stat
    { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# sk_ours PIDFILE NAME MARK: the pid in PIDFILE is alive, is a NAME process,
# and has MARK (our slurm.conf, or our munge socket) on its command line.  A
# daemon of another cluster never passes, whatever its pid file says.
sk_ours() {
    local pid
    [[ -s $1 ]] || return 1
    pid=$(<"$1")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/comm && $(<"/proc/$pid/comm") == "$2" ]] || return 1
    [[ " $(sk_cmdline "$pid")" == *" $3 "* ]]
}

# sk_mark NAME: what sk_ours looks for on a NAME daemon's command line.
sk_mark() {
    case $1 in
        munged) echo "--socket=$SK_MUNGE_SOCKET" ;;
        *) echo "$SK_CONF" ;;
    esac
}
