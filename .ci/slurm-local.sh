#!/usr/bin/env bash
# A one-node Slurm cluster on this machine (Debian's slurm-wlm + munge), for the sweep tests
# (test/main/runs/sweep-slurm.test.ts); .ci/run starts it before npm test and stops it on exit.
#   slurm-local.sh start   install if missing, write config into $SLURM_LOCAL_DIR, start munged,
#                          slurmctld and slurmd, wait until sinfo shows the node idle; prints the
#                          line to eval: export SLURM_CONF=...
#   slurm-local.sh stop    stop the three daemons started here and remove $SLURM_LOCAL_DIR
#   slurm-local.sh status  exit 0 when the cluster answers
# Idempotent: start on a running cluster only prints the export line; stop on a stopped one is a no-op.
# Nothing in /etc is changed: config, keys, sockets, state and logs live in $SLURM_LOCAL_DIR.
set -euo pipefail

DIR="${SLURM_LOCAL_DIR:-/tmp/tcgm-slurm-local}"
PORT_BASE="${SLURM_LOCAL_PORT_BASE:-6817}"   # slurmctld, slurmd = base, base+1
CPUS="${SLURM_LOCAL_CPUS:-$(nproc)}"
WAIT_S="${SLURM_LOCAL_WAIT_S:-60}"
export SLURM_CONF="$DIR/slurm.conf"

die() { echo "slurm-local: $*" >&2; exit 1; }
log() { echo "slurm-local: $*" >&2; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_if_missing() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null \
     && command -v munged >/dev/null; then return 0; fi
  [ "$(id -u)" -eq 0 ] || die "slurm-wlm is not installed and installing it needs root (apt-get install slurmctld slurmd slurm-client munge)"
  log "installing slurmctld slurmd slurm-client munge"
  # Another apt-get may hold the lock on a shared machine: wait for it rather than fail.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends \
    slurmctld slurmd slurm-client munge >"${TMPDIR:-/tmp}/slurm-local-install.log" 2>&1 \
    || { apt-get -o DPkg::Lock::Timeout=300 update >/dev/null 2>&1 && \
         DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends \
           slurmctld slurmd slurm-client munge >>"${TMPDIR:-/tmp}/slurm-local-install.log" 2>&1; } \
    || die "apt-get install failed, see ${TMPDIR:-/tmp}/slurm-local-install.log"
}

write_config() {
  local host mem
  host="$(hostname -s)"
  # RealMemory a little under what is free now, so the node is not drained for having less.
  mem=$(( $(awk '/MemAvailable/ {print int($2/1024)}' /proc/meminfo) * 8 / 10 ))
  mkdir -p "$DIR"/{state,spool,log,munge}
  chmod 0755 "$DIR"   # munged wants its socket's folders open to all (a mktemp folder is 0700)
  chown munge:munge "$DIR/munge"; chmod 0755 "$DIR/munge"
  if [ ! -s "$DIR/munge/munge.key" ]; then
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
    chown munge:munge "$DIR/munge/munge.key"; chmod 0400 "$DIR/munge/munge.key"
  fi
  cat >"$DIR/slurm.conf" <<EOF
# Written by slurm-local.sh: one node, this machine, for tests.
ClusterName=local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$PORT_BASE
SlurmdPort=$((PORT_BASE + 1))
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
# A container has no delegated cgroup tree: track processes by /proc, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# No slurmdbd (it needs a MySQL/MariaDB server): finished jobs go to a text file that
# 'sacct --completion' reads.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
# Jobs share the node by CPU, so an array's tasks run side by side.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=600
# Job ids start elsewhere at each start, so a sweep's logs from an earlier cluster (named by job
# id) are never taken for a new task's.
FirstJobId=$(( $(date +%s) % 50000000 + 1000 ))
MaxArraySize=10001
NodeName=$host NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  # slurmd reads cgroup.conf even with proctrack/linuxproc on some versions; keep it harmless.
  cat >"$DIR/cgroup.conf" <<EOF
CgroupPlugin=autodetect
IgnoreSystemd=yes
EOF
}

node_state() { sinfo -h -N -o '%T' 2>/dev/null | head -1; }

start() {
  if alive "$DIR/slurmctld.pid" && alive "$DIR/slurmd.pid" && [[ "$(node_state)" =~ ^(idle|mixed|allocated)$ ]]; then
    log "already running ($DIR)"; echo "export SLURM_CONF=$SLURM_CONF"; return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "starting slurmd needs root"
  local t0; t0=$(date +%s%N)
  install_if_missing
  local t1; t1=$(date +%s%N)
  stop_daemons quiet
  local port
  for port in "$PORT_BASE" "$((PORT_BASE + 1))"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      die "port $port is in use (another Slurm?); set SLURM_LOCAL_PORT_BASE to a free pair of ports"
    fi
  done
  write_config
  if ! alive "$DIR/munge/munged.pid"; then
    runuser -u munge -- munged --socket="$DIR/munge/munge.socket" --key-file="$DIR/munge/munge.key" \
      --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" \
      --seed-file="$DIR/munge/munged.seed" \
      || die "munged did not start: $(tail -3 "$DIR/munge/munged.log" 2>/dev/null)"
  fi
  munge -n --socket="$DIR/munge/munge.socket" | unmunge --socket="$DIR/munge/munge.socket" >/dev/null \
    || die "munge credentials do not round-trip (see $DIR/munge/munged.log)"
  slurmctld -f "$SLURM_CONF" || die "slurmctld did not start: $(tail -5 "$DIR/log/slurmctld.log" 2>/dev/null)"
  slurmd -f "$SLURM_CONF" || die "slurmd did not start: $(tail -5 "$DIR/log/slurmd.log" 2>/dev/null)"
  local deadline=$(( $(date +%s) + WAIT_S )) state=""
  while [ "$(date +%s)" -lt "$deadline" ]; do
    state="$(node_state)"
    [ "$state" = idle ] && break
    sleep 0.5
  done
  if [ "$state" != idle ]; then
    echo "--- slurmctld.log" >&2; tail -15 "$DIR/log/slurmctld.log" >&2 || true
    echo "--- slurmd.log" >&2; tail -15 "$DIR/log/slurmd.log" >&2 || true
    stop_daemons quiet
    die "the node did not become idle within ${WAIT_S}s (state: ${state:-no answer})"
  fi
  local t2; t2=$(date +%s%N)
  log "up in $(( (t2 - t0) / 1000000 )) ms (install check $(( (t1 - t0) / 1000000 )) ms), node $(hostname -s) idle, config $SLURM_CONF"
  echo "export SLURM_CONF=$SLURM_CONF"
}

# Stop by pid file only (never by name: other people's daemons on a shared machine stay up).
stop_one() {
  local pidfile="$1" pid i
  alive "$pidfile" || return 0
  pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
}

stop_daemons() {
  if [ -f "$SLURM_CONF" ] && alive "$DIR/slurmctld.pid"; then
    scancel --quiet --user="$(id -un)" 2>/dev/null || true
  fi
  stop_one "$DIR/slurmd.pid"
  stop_one "$DIR/slurmctld.pid"
  stop_one "$DIR/munge/munged.pid"
  [ "${1:-}" = quiet ] || log "stopped"
}

stop() {
  [ -d "$DIR" ] || { log "not running"; return 0; }
  stop_daemons
  rm -rf "$DIR"
}

status() {
  [ -f "$SLURM_CONF" ] || die "not running (no $SLURM_CONF)"
  sinfo -N -o '%N %T %c' || die "not answering"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
