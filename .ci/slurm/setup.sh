#!/usr/bin/env bash
# Start the suite's own single-node SLURM 22.05 cluster (Debian's slurm-wlm) on
# this machine, for tests and CI.  Run as root.  Idempotent: a second run only
# checks that everything is up (daemons are restarted only when the generated
# configuration changed, a daemon died, or the node does not become ready).
#
# The cluster is isolated from any other SLURM cluster on the machine (see
# paths.sh and README.md): its own slurm.conf (reached by clients through
# SLURM_CONF, never /etc/slurm), ClusterName, ports, state, spool, log and pid
# files, and its own munged with its own key and socket.  Only daemons whose
# pid file is ours *and* whose command line names our slurm.conf (or munge
# socket) are ever treated as ours.  When another program holds one of our
# ports, setup.sh says which and exits 3 instead of using it.
#
# The node is a fake 8x H200 box: 128 CPUs, 2000G memory, gpu:h200:8 backed by
# character devices /dev/nvidia[0-7].  SlurmdParameters=config_overrides lets
# slurmd accept a node bigger than the machine it runs on.
#
# Environment knobs (all optional):
#   SK_SLURM_TIMEOUT      seconds to wait for the node to become idle (default 60)
#   SK_SLURM_NODE         node name (default: `hostname -s`)
#   SK_SLURM_LOCK_WAIT    seconds to wait for a concurrent setup.sh (default 600)
#   SK_SLURM_CTLD_PORT    SlurmctldPort (default 16817)
#   SK_SLURM_SLURMD_PORT  SlurmdPort (default 16818)
#
# Exit status: 0 up, 1 could not start, 3 a port of ours is held by a program
# that is not this cluster's daemon (e.g. another SLURM cluster).
set -euo pipefail

# Everything is in main() so bash has parsed the whole file before running
# any of it: editing or checking out this file while it runs is then safe.
main() {
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup.sh: must run as root" >&2
        exit 1
    fi
    # shellcheck source=paths.sh
    source "$(dirname "${BASH_SOURCE[0]}")/paths.sh"

    # Our own commands (sinfo, scontrol, munge) talk to our cluster only.
    export SLURM_CONF=$SK_CONF
    unset SLURM_CLUSTERS

    install -d -o root -g root -m 0755 "$SK_RUN_DIR"

    # Serialise concurrent runs (e.g. several pytest workers calling
    # ensure_cluster() at once), and runs of stop.sh.
    # The daemons started below get 9>&- so they never inherit (and hold) the lock.
    exec 9>"$SK_LOCK"
    if ! flock -w "${SK_SLURM_LOCK_WAIT:-600}" 9; then
        echo "setup.sh: another setup.sh or stop.sh still holds $SK_LOCK" >&2
        exit 1
    fi

    TIMEOUT=${SK_SLURM_TIMEOUT:-60}
    NODE=${SK_SLURM_NODE:-$(hostname -s)}
    CTLD_HOST=$(hostname -s)

    log() { echo "setup.sh: $*"; }

    # ---------------------------------------------------------------- packages
    need_pkgs=()
    for bin in sbatch slurmctld slurmd munged; do
        if ! command -v "$bin" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$bin ]]; then
            need_pkgs=(slurm-wlm munge)
            break
        fi
    done
    if ((${#need_pkgs[@]})); then
        log "installing ${need_pkgs[*]}"
        export DEBIAN_FRONTEND=noninteractive
        # Only refresh the package lists when apt has none (fresh machine) or the
        # install fails with the lists we have.
        if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
            apt-get update -qq
        fi
        if ! apt-get install -y -qq "${need_pkgs[@]}" >/tmp/sk-slurm-apt.log 2>&1; then
            apt-get update -qq
            apt-get install -y -qq "${need_pkgs[@]}" >/tmp/sk-slurm-apt.log 2>&1 || {
                cat /tmp/sk-slurm-apt.log >&2
                exit 1
            }
        fi
    fi

    # ---------------------------------------------------------------- devices
    for i in 0 1 2 3 4 5 6 7; do
        if [[ ! -e /dev/nvidia$i ]]; then
            mknod -m 666 "/dev/nvidia$i" c 195 "$i"
        fi
    done

    # ---------------------------------------------------------------- dirs
    install -d -o root -g root -m 0755 \
        "$SK_DIR" "$SK_CONF_DIR" "$SK_STATE_DIR" "$SK_SPOOL_DIR" "$SK_LOG_DIR"
    install -d -o munge -g munge -m 0700 "$SK_MUNGE_DIR"
    install -d -o munge -g munge -m 0755 "$SK_MUNGE_RUN_DIR"

    # ---------------------------------------------------------------- munge key
    # Our own key: a munged of another cluster (with /etc/munge/munge.key) can
    # neither vouch for our daemons nor be vouched for by ours.
    if [[ ! -s $SK_MUNGE_KEY ]]; then
        log "creating munge key $SK_MUNGE_KEY"
        if command -v mungekey >/dev/null 2>&1; then
            mungekey --create --keyfile="$SK_MUNGE_KEY"
        else
            dd if=/dev/urandom of="$SK_MUNGE_KEY" bs=1024 count=1 status=none
        fi
    fi
    chown munge:munge "$SK_MUNGE_KEY"
    chmod 0400 "$SK_MUNGE_KEY"

    # ---------------------------------------------------------------- config
    new_conf=$(mktemp)
    new_gres=$(mktemp)
    new_plugstack=$(mktemp)
    trap 'rm -f "$new_conf" "$new_gres" "$new_plugstack"' EXIT

    cat >"$new_conf" <<EOF
# Generated by .ci/slurm/setup.sh (scriptkeeper test cluster). Do not edit:
# rerunning setup.sh rewrites it and restarts the daemons if it changed.
# Clients reach this cluster with SLURM_CONF=${SK_CONF}.
ClusterName=${SK_CLUSTER}
SlurmctldHost=${CTLD_HOST}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${SK_MUNGE_SOCKET}
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
PlugStackConfig=${SK_PLUGSTACK_CONF}
ReturnToService=2
SlurmctldPidFile=${SK_CTLD_PID}
SlurmdPidFile=${SK_SLURMD_PID}
SlurmctldPort=${SK_CTLD_PORT}
SlurmdPort=${SK_SLURMD_PORT}
StateSaveLocation=${SK_STATE_DIR}
SlurmdSpoolDir=${SK_SPOOL_DIR}
SlurmctldLogFile=${SK_CTLD_LOG}
SlurmdLogFile=${SK_SLURMD_LOG}
SlurmctldDebug=info
SlurmdDebug=info
SlurmdParameters=config_overrides
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without a default, a job that asks for no memory gets the whole node (2000G)
# and every job runs alone.  2048000 MB / 128 CPUs = 16000 MB per CPU.
DefMemPerCPU=16000
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
InactiveLimit=0
KillWait=5
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=60
Waittime=0
GresTypes=gpu

NodeName=${NODE} NodeHostname=${NODE} NodeAddr=127.0.0.1 CPUs=128 Boards=1 SocketsPerBoard=2 CoresPerSocket=64 ThreadsPerCore=1 RealMemory=2048000 Gres=gpu:h200:8 State=UNKNOWN

PartitionName=h200 Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP
PartitionName=debug Nodes=${NODE} Default=NO MaxTime=00:30:00 State=UP
EOF

    cat >"$new_gres" <<EOF
# Generated by .ci/slurm/setup.sh: 8 fake H200s backed by mknod'ed devices.
AutoDetect=off
NodeName=${NODE} Name=gpu Type=h200 File=/dev/nvidia[0-7]
EOF

    cat >"$new_plugstack" <<EOF
# Generated by .ci/slurm/setup.sh: no SPANK plugins (and none from /etc/slurm).
EOF

    conf_changed=0
    for pair in "$new_conf:$SK_CONF" "$new_gres:$SK_GRES_CONF" "$new_plugstack:$SK_PLUGSTACK_CONF"; do
        src=${pair%%:*}
        dst=${pair#*:}
        if ! cmp -s "$src" "$dst"; then
            install -m 0644 "$src" "$dst"
            conf_changed=1
            log "wrote $dst"
        fi
    done

    # ---------------------------------------------------------------- daemons
    stop_ours() { # stop_ours PIDFILE NAME
        local pid i
        sk_ours "$1" "$2" "$(sk_mark "$2")" || { rm -f "$1"; return 0; }
        pid=$(<"$1")
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            sk_running "$pid" || { rm -f "$1"; return 0; }
            sleep 0.2
        done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$1"
    }

    # port_holder PORT: describe what listens on TCP PORT (nothing if free).
    port_holder() {
        local out
        if command -v ss >/dev/null 2>&1; then
            out=$(ss -Hltnp "sport = :$1" 2>/dev/null) || out=""
            [[ -n $out ]] && echo "$out"
            return 0
        fi
        if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; then
            echo "a program that accepts connections on 127.0.0.1:$1"
        fi
        return 0
    }

    # require_port PORT NAME: exit 3 if a program other than our NAME holds PORT.
    require_port() {
        local holder
        holder=$(port_holder "$1")
        [[ -z $holder ]] && return 0
        {
            echo "setup.sh: port $1 (the suite cluster's $2 port) is in use by something that is"
            echo "setup.sh: not the suite's $2 (e.g. the daemon of another SLURM cluster):"
            echo "$holder" | sed 's/^/    /'
            echo "setup.sh: the suite never uses a cluster it did not start.  Stop that program,"
            echo "setup.sh: or choose free ports with SK_SLURM_CTLD_PORT / SK_SLURM_SLURMD_PORT."
        } >&2
        exit 3
    }

    dump_logs() {
        echo "----- sinfo (SLURM_CONF=$SLURM_CONF) -----" >&2
        sinfo -N -l 2>&1 >&2 || true
        echo "----- scontrol show node -----" >&2
        scontrol show node 2>&1 >&2 || true
        for f in "$SK_MUNGE_LOG" "$SK_CTLD_LOG" "$SK_SLURMD_LOG"; do
            echo "----- $f (tail) -----" >&2
            tail -n 60 "$f" >&2 2>/dev/null || true
        done
    }

    munge_ok() {
        munge -n --socket="$SK_MUNGE_SOCKET" </dev/null 2>/dev/null |
            unmunge --socket="$SK_MUNGE_SOCKET" >/dev/null 2>&1
    }

    # munged: our own, on our own socket with our own key.
    if munge_ok; then
        log "munged already running ($SK_MUNGE_SOCKET)"
    else
        stop_ours "$SK_MUNGE_PID" munged
        rm -f "$SK_MUNGE_SOCKET" "$SK_MUNGE_SOCKET.lock"
        log "starting munged ($SK_MUNGE_SOCKET)"
        runuser -u munge -- /usr/sbin/munged "$(sk_mark munged)" --key-file="$SK_MUNGE_KEY" \
            --pid-file="$SK_MUNGE_PID" --log-file="$SK_MUNGE_LOG" --seed-file="$SK_MUNGE_SEED" 9>&-
        for ((i = 0; i < 50; i++)); do
            munge_ok && break
            sleep 0.2
        done
        if ! munge_ok; then
            echo "setup.sh: munged did not come up on $SK_MUNGE_SOCKET" >&2
            dump_logs
            exit 1
        fi
    fi

    stop_slurm() {
        stop_ours "$SK_SLURMD_PID" slurmd
        stop_ours "$SK_CTLD_PID" slurmctld
    }

    start_slurm() {
        if sk_ours "$SK_CTLD_PID" slurmctld "$SK_CONF"; then
            log "slurmctld already running (pid $(<"$SK_CTLD_PID"))"
        else
            require_port "$SK_CTLD_PORT" slurmctld
            log "starting slurmctld (port $SK_CTLD_PORT)"
            /usr/sbin/slurmctld -f "$SK_CONF" 9>&-
        fi
        if sk_ours "$SK_SLURMD_PID" slurmd "$SK_CONF"; then
            log "slurmd already running (pid $(<"$SK_SLURMD_PID"))"
        else
            require_port "$SK_SLURMD_PORT" slurmd
            log "starting slurmd (port $SK_SLURMD_PORT)"
            /usr/sbin/slurmd -f "$SK_CONF" -N "$NODE" 9>&-
        fi
    }

    # slurmd_registered: the running slurmd has registered with slurmctld, i.e.
    # the node's SlurmdStartTime is not older than the slurmd process.  (After a
    # restart slurmctld reloads the old node state, which may already say idle.)
    slurmd_registered() {
        local pid age reg reg_s
        sk_ours "$SK_SLURMD_PID" slurmd "$SK_CONF" || return 1
        pid=$(<"$SK_SLURMD_PID")
        age=$(ps -o etimes= -p "$pid" | tr -d ' ')
        [[ $age =~ ^[0-9]+$ ]] || return 1
        reg=$(scontrol show node "$NODE" 2>/dev/null | grep -o 'SlurmdStartTime=[^ ]*' | cut -d= -f2)
        [[ -n $reg && $reg != None ]] || return 1
        reg_s=$(date -d "$reg" +%s 2>/dev/null) || return 1
        ((reg_s + 2 >= $(date +%s) - age))
    }

    # wait_ready: wait up to TIMEOUT for the node to be usable; sets $state.
    wait_ready() {
        local resumed=0 deadline=$((SECONDS + TIMEOUT))
        state=""
        while ((SECONDS < deadline)); do
            state=$(sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -n 1 || true)
            case $state in
                idle | mixed | allocated | completing)
                    slurmd_registered && return 0
                    ;;
                down* | drain* | drained*)
                    # A node that went down (e.g. slurmd restarted before slurmctld
                    # noticed) is healthy again once slurmd registers; resume it once.
                    if ((!resumed)); then
                        scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
                        resumed=1
                    fi
                    ;;
            esac
            sleep 1
        done
        case $state in
            idle | mixed | allocated | completing)
                slurmd_registered && return 0
                state="$state, slurmd not registered"
                ;;
        esac
        state=${state:-none}
        return 1
    }

    if ((conf_changed)); then
        # Node definitions and plugins are only read at daemon start.
        if sk_ours "$SK_SLURMD_PID" slurmd "$SK_CONF" || sk_ours "$SK_CTLD_PID" slurmctld "$SK_CONF"; then
            log "configuration changed: restarting slurm daemons"
        fi
        stop_slurm
    fi

    # Daemons that were already running but do not give a ready node (hung,
    # or left behind in a bad state) are restarted once.
    started_fresh=0
    if ! sk_ours "$SK_CTLD_PID" slurmctld "$SK_CONF" && ! sk_ours "$SK_SLURMD_PID" slurmd "$SK_CONF"; then
        started_fresh=1
    fi
    start_slurm
    if ! wait_ready; then
        if ((started_fresh)); then
            echo "setup.sh: node $NODE not ready after ${TIMEOUT}s (state: '$state')" >&2
            dump_logs
            exit 1
        fi
        log "node $NODE not ready after ${TIMEOUT}s (state: '$state'): restarting slurm daemons"
        stop_slurm
        start_slurm
        if ! wait_ready; then
            echo "setup.sh: node $NODE not ready after a restart and ${TIMEOUT}s (state: '$state')" >&2
            dump_logs
            exit 1
        fi
    fi

    log "cluster $SK_CLUSTER is up: node $NODE is $state"
    sinfo
    log "slurm.conf: $SK_CONF (clients: export SLURM_CONF=$SK_CONF)"
    log "gres.conf:  $SK_GRES_CONF"
}

main "$@"
