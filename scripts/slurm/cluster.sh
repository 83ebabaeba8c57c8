#!/usr/bin/env bash
# A throw-away single-node Slurm cluster (munged + slurmctld + slurmd) for tests, CI and benchmarks:
# no systemd, cgroups, slurmdbd or /etc edits; keys, sockets, state and logs all live in one scratch dir.
#
#   scripts/slurm/cluster.sh start    # prints `export SLURM_CONF=...`; safe to rerun
#   scripts/slurm/cluster.sh status
#   scripts/slurm/cluster.sh stop     # kills the daemons by their pid files; safe to rerun
#
# It installs nothing. On Debian 12 the packages are (as root, e.g. in .ci/run):
#   apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge
# Environment: STAGECRAFT_SLURM_DIR (default /tmp/stagecraft-slurm), SLURMCTLD_PORT (6817), SLURMD_PORT (6818).
# Recipe and measurements: shared/research/feasibility-slurm-snakemake.md (Slurm 22.05).
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
B=${STAGECRAFT_SLURM_DIR:-/tmp/stagecraft-slurm}
CONF="$B/etc/slurm.conf"
export SLURM_CONF="$CONF"

pid_of() { [ -s "$1" ] && cat "$1" 2>/dev/null || true; }
alive() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
node_state() { timeout 5 sinfo -h -o '%t' 2>/dev/null | head -n1 || true; }

# Sends SIGTERM to the process in a pid file, waits up to 10 s, then SIGKILL.
stop_pidfile() {
  local f=$1 p i
  p=$(pid_of "$f")
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
    kill "$p" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null || true
  fi
  rm -f "$f"
}

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "cluster.sh: '$1' not found; install: apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge" >&2
    exit 3
  }
}

write_conf() {
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(free -m | awk '/^Mem:/{print $2}')
  # Only lines with a value: an empty `Key=` line is fatal to slurmctld.
  cat > "$CONF" <<EOF
ClusterName=stagecraft
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${SLURMCTLD_PORT:-6817}
SlurmdPort=${SLURMD_PORT:-6818}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$B/munge/munge.socket.2
StateSaveLocation=$B/state/ctld
SlurmdSpoolDir=$B/state/d
SlurmctldPidFile=$B/run/slurmctld.pid
SlurmdPidFile=$B/run/slurmd.pid
SlurmctldLogFile=$B/log/slurmctld.log
SlurmdLogFile=$B/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$B/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
MinJobAge=3600
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

do_stop() {
  stop_pidfile "$B/run/slurmd.pid"
  stop_pidfile "$B/run/slurmctld.pid"
  stop_pidfile "$B/munge/munged.pid"
}

do_start() {
  for c in munged mungekey slurmctld slurmd sinfo sbatch squeue scontrol; do need "$c"; done
  if alive "$B/munge/munged.pid" && alive "$B/run/slurmctld.pid" && alive "$B/run/slurmd.pid" && [ -n "$(node_state)" ]; then
    echo "export SLURM_CONF=$CONF"
    return 0
  fi
  do_stop # whatever is left of an earlier, partial start
  mkdir -p "$B"/{etc,state/ctld,state/d,log,run,munge}
  chmod 755 "$B" "$B/munge" # munged refuses a socket directory others cannot traverse
  [ -s "$B/munge/munge.key" ] || mungekey --create --keyfile="$B/munge/munge.key"
  chmod 600 "$B/munge/munge.key"
  # `9>&-`: the daemons must not inherit the lock, or the next start or stop would wait for them forever.
  munged --key-file="$B/munge/munge.key" --socket="$B/munge/munge.socket.2" \
    --pid-file="$B/munge/munged.pid" --log-file="$B/munge/munged.log" --seed-file="$B/munge/munged.seed" 9>&-
  write_conf
  slurmctld -c -f "$CONF" 9>&- # -c: forget jobs of an earlier cluster; daemonizes
  slurmd -f "$CONF" 9>&-
  local i s
  for i in $(seq 1 300); do
    s=$(node_state)
    case "$s" in
      idle | mix | alloc) echo "export SLURM_CONF=$CONF"; return 0 ;;
    esac
    sleep 0.1
  done
  echo "cluster.sh: node not idle after 30 s (state '${s:-none}'); logs in $B/log" >&2
  tail -n 20 "$B/log/slurmctld.log" "$B/log/slurmd.log" >&2 || true
  exit 1
}

do_status() {
  local d
  for d in munge/munged run/slurmctld run/slurmd; do
    if alive "$B/$d.pid"; then echo "$(basename "$d"): running (pid $(pid_of "$B/$d.pid"))"; else echo "$(basename "$d"): stopped"; fi
  done
  if alive "$B/run/slurmctld.pid"; then
    echo "node: $(node_state)"
    echo "export SLURM_CONF=$CONF"
  else
    return 1
  fi
}

# One start or stop at a time (test files and benchmarks may call this concurrently).
lock() { mkdir -p "$(dirname "$B")"; exec 9>"$B.lock"; flock 9; }

case "${1:-}" in
  start) lock; do_start ;;
  stop) lock; do_stop ;;
  status) do_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 64 ;;
esac
