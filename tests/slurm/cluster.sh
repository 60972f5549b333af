#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for the Slurm end-to-end test and .ci/run:
#
#   tests/slurm/cluster.sh start    install slurm-wlm + munge if missing, start the daemons, wait
#                                   until a test job completes; prints the env line callers need
#   tests/slurm/cluster.sh stop     cancel every job, then stop the daemons it started
#   tests/slurm/cluster.sh status   says whether the cluster is up (exit 0) or not (exit 1)
#
# Callers then `source "$SLURM_STATE_DIR/env"` (it exports SLURM_CONF) before sbatch/squeue.
# Everything — config, munge key and socket, Slurm state, spool, logs, pid files — lives in the
# state folder ($SLURM_STATE_DIR, default /tmp/pipeline-slurm); /etc/slurm and /etc/munge of the
# machine are never read or written (apt's post-install scripts aside). Runs as root, without
# systemd: the daemons run in the foreground under setsid and are stopped by their recorded PIDs.
set -euo pipefail

STATE_DIR=${SLURM_STATE_DIR:-/tmp/pipeline-slurm}
CONF=$STATE_DIR/slurm.conf
MUNGE_DIR=$STATE_DIR/munge
MUNGE_SOCKET=$MUNGE_DIR/munge.socket.2
LOG_DIR=$STATE_DIR/log
# Bounds of every wait, in seconds.
START_TIMEOUT=30
DAEMON_EXIT_TIMEOUT=10
# Slurm's grace between a cancel's SIGTERM and its SIGKILL; `stop` waits a little longer.
KILL_WAIT=10
PARTITION=debug
# The daemons this script starts, in start order (stopped in reverse).
DAEMONS=(munged slurmctld slurmd)

# Every Slurm command (ours, the caller's, the daemons') reads our config, not /etc/slurm.
export SLURM_CONF=$CONF

say() { echo "cluster: $*"; }
fail() {
  echo "cluster: $*" >&2
  exit 1
}

# --- installation -------------------------------------------------------------------------------

# Debian's maintainer scripts try to start munge, slurmctld and slurmd after installing them; on a
# machine without an init that fails (or starts daemons with /etc's config). A policy-rc.d exiting
# 101 ("action forbidden") makes invoke-rc.d skip it. Ours is removed however the install ends;
# one already there (Docker's Debian images ship one that exits 101) is left as it is.
POLICY_RC=/usr/sbin/policy-rc.d
remove_policy_rc() { rm -f "$POLICY_RC"; }

install_packages() {
  local missing=() package
  for package in slurm-wlm munge procps; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$' ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return
  say "installing ${missing[*]} (apt)"
  local started=$SECONDS
  local own_policy=
  if [ ! -e "$POLICY_RC" ]; then
    own_policy=1
    trap remove_policy_rc EXIT
    printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC"
    chmod 0755 "$POLICY_RC"
  fi
  apt-get update -qq || fail "apt-get update failed (see above)"
  # Waits (bounded) for another apt/dpkg run instead of failing on its lock.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
    --no-install-recommends "${missing[@]}" >/dev/null ||
    fail "apt-get install ${missing[*]} failed (see above)"
  if [ -n "$own_policy" ]; then
    remove_policy_rc
    trap - EXIT
  fi
  say "installed in $((SECONDS - started)) s"
}

# --- configuration ------------------------------------------------------------------------------

write_config() {
  local host cpus memory_mb
  # slurmctld checks that this name is its own host's; slurmd registers under it (-N).
  host=$(hostname -s)
  # nproc honours affinity/cgroup limits, so it never claims more CPUs than slurmd can see.
  cpus=$(nproc)
  # 90 % of the total: slurmd drains a node that has less memory than configured, and the kernel
  # reports a little less than free -m after some boots.
  memory_mb=$(free -m | awk '/^Mem:/ { print int($2 * 0.9) }')
  mkdir -p "$STATE_DIR"/{state,spool,run} "$LOG_DIR"
  # munged refuses to run below a directory others may write to (whatever the caller's umask).
  chmod 0755 "$STATE_DIR"
  cat >"$CONF" <<EOF
# Written by tests/slurm/cluster.sh; rewritten on every start.
ClusterName=pipeline
# The controller on this host, reached over loopback (the host's name may not resolve).
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=6817
SlurmdPort=6818
# Root runs the daemons and the jobs: no slurm user needed on a fresh machine.
SlurmUser=root
SlurmdUser=root

# Munge at our own socket, so a system munged (if any) and its key are not involved.
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET

# State, spool, logs and pid files all in the state folder.
StateSaveLocation=$STATE_DIR/state
SlurmdSpoolDir=$STATE_DIR/spool
SlurmctldPidFile=$STATE_DIR/run/slurmctld.pid
SlurmdPidFile=$STATE_DIR/run/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
# The machine's /etc/slurm/plugstack.conf (SPANK plugins) is not ours to load.
PlugStackConfig=$STATE_DIR/plugstack.conf

# Track a job's processes by process group. proctrack/linuxproc finds them by walking /proc by
# name, and scancel then never kills a process whose name contains a space ("npm exec deno@…"),
# which keeps running and holding its lock. cgroup tracking needs systemd/cgroupfs set up.
ProctrackType=proctrack/pgid
# No CPU binding or cgroup confinement (both need cgroups configured for Slurm).
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
# Jobs get cores, not whole nodes, so array tasks run side by side; memory is not a resource.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core

# No accounting: no slurmdbd/database to run. sacct is therefore unavailable; finished jobs stay
# visible to "squeue -t all" for MinJobAge seconds instead.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=600

# Schedule at once and at most every 0.1 s: waves of dependent jobs ~1 s apart instead of ~3 s.
SchedulerParameters=batch_sched_delay=0,sched_min_interval=100000
# Cancel a job whose dependency can never be met (an afterok on a failed job) instead of leaving
# it pending forever (reason DependencyNeverSatisfied). Slurm 22.05 reads this option here; under
# SchedulerParameters it is silently ignored.
DependencyParameters=kill_invalid_depend
# A node that was down (e.g. slurmd restarted) returns to service as soon as it registers.
ReturnToService=2
# Seconds between SIGTERM and SIGKILL on cancel or time limit: short, so tests end quickly, yet
# long enough for a task to write its checkpoint.
KillWait=$KILL_WAIT
# No mail on this machine.
MailProg=/bin/true

NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=$PARTITION Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  : >"$STATE_DIR/plugstack.conf"
  echo "export SLURM_CONF=$CONF" >"$STATE_DIR/env"
}

# A fresh munge key for this cluster only; munged refuses keys that others may read.
write_munge_key() {
  # munged checks that its socket directory is not writable by others and is traversable.
  mkdir -p "$MUNGE_DIR"
  chmod 0755 "$MUNGE_DIR"
  local key=$MUNGE_DIR/munge.key
  if [ ! -s "$key" ]; then
    (umask 0277 && head -c 1024 /dev/urandom >"$key")
  fi
  chown root:root "$key"
  chmod 0400 "$key"
}

# --- processes ----------------------------------------------------------------------------------

pid_file() { echo "$STATE_DIR/$1.pid"; }

# The recorded PID of daemon $1 when that process still runs that program (a PID reused by
# another program after a crash or reboot does not count); fails otherwise.
running_pid() {
  local file pid
  file=$(pid_file "$1")
  [ -s "$file" ] || return 1
  pid=$(<"$file")
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
  echo "$pid"
}

# Starts "$@" in the foreground form, in its own session (so it survives the caller's terminal
# and Ctrl-C), and records its PID. In a script, a background job is not a process-group
# leader, so setsid execs the daemon itself and $! is the daemon's PID.
launch() {
  local name=$1
  shift
  setsid "$@" </dev/null >>"$LOG_DIR/$name.out" 2>&1 &
  echo $! >"$(pid_file "$name")"
}

# Waits until "$@" succeeds, at most until $deadline (in $SECONDS); fails with message $1.
wait_for() {
  local what=$1
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || fail_with_logs "timed out waiting for $what"
    sleep 0.2
  done
}

fail_with_logs() {
  echo "cluster: $1" >&2
  local log
  for log in "$LOG_DIR"/*; do
    [ -s "$log" ] || continue
    echo "----- last lines of $log" >&2
    tail -n 20 "$log" >&2
  done
  exit 1
}

munge_works() { munge --socket="$MUNGE_SOCKET" -n | unmunge --socket="$MUNGE_SOCKET"; }
controller_up() { scontrol ping | grep -q 'is UP'; }
node_idle() { [ "$(sinfo -h -N -n "$(hostname -s)" -o %T)" = idle ]; }
# Submits a trivial batch job and waits (bounded by $deadline) for it to complete. Polled here
# rather than with `sbatch --wait`, which polls at 2 s, 4 s, 8 s… and adds ~10 s to a start.
run_test_job() {
  local job state
  job=$(sbatch --parsable --job-name=cluster-check --chdir="$STATE_DIR" --output=/dev/null \
    --wrap true) || fail_with_logs "sbatch failed"
  while :; do
    state=$(squeue -h -t all -j "$job" -o %T 2>/dev/null || true)
    case "$state" in
    COMPLETED) return ;;
    FAILED | CANCELLED | TIMEOUT | NODE_FAIL | BOOT_FAIL | OUT_OF_MEMORY)
      fail_with_logs "test job $job ended $state" ;;
    esac
    [ "$SECONDS" -lt "$deadline" ] || fail_with_logs "timed out waiting for test job $job (${state:-not listed})"
    sleep 0.2
  done
}

is_up() {
  local daemon pid
  for daemon in "${DAEMONS[@]}"; do
    pid=$(running_pid "$daemon") && alive "$pid" || return 1
  done
  controller_up >/dev/null 2>&1
}

# Another Slurm on this machine would hold the ports, and jobs would talk to it instead.
refuse_foreign_daemons() {
  local daemon pid ours
  for daemon in slurmctld slurmd; do
    ours=$(running_pid "$daemon" || true)
    for pid in $(pgrep -x "$daemon" || true); do
      [ "$pid" = "$ours" ] || ! alive "$pid" ||
        fail "another $daemon (pid $pid) runs on this machine, not started from $STATE_DIR; stop it first"
    done
  done
}

# --- commands -----------------------------------------------------------------------------------

start() {
  [ "$(id -u)" = 0 ] || fail "must run as root (the daemons and their jobs run as root)"
  if is_up; then
    say "already up ($STATE_DIR)"
    print_env
    return
  fi
  # A partly running cluster (one daemon died) is restarted whole.
  stop_daemons
  # Every start is a new, empty cluster. The state a cluster saved is stale when it ended
  # without `stop` (its session killed, daemons and jobs alike): slurmctld would count its jobs
  # as running, so the node would not be idle for minutes, and it would start the pending
  # ones again. Job ids then start again at 1; a test's store is new each time.
  rm -rf "${STATE_DIR:?}/state" "${STATE_DIR:?}/spool"
  refuse_foreign_daemons
  install_packages
  local started=$SECONDS deadline=$((SECONDS + START_TIMEOUT))
  write_config
  write_munge_key
  # --force: take over a socket left behind by a munged that was killed.
  launch munged munged --foreground --force --socket="$MUNGE_SOCKET" \
    --key-file="$MUNGE_DIR/munge.key" --pid-file="$MUNGE_DIR/munged.pid" \
    --seed-file="$MUNGE_DIR/munged.seed" --log-file="$LOG_DIR/munged.log"
  wait_for "munged to answer on $MUNGE_SOCKET" munge_works
  launch slurmctld slurmctld -D -i -f "$CONF"
  wait_for "slurmctld to answer (scontrol ping)" controller_up
  launch slurmd slurmd -D -N "$(hostname -s)" -f "$CONF"
  wait_for "node $(hostname -s) to be idle (sinfo)" node_idle
  run_test_job
  say "up in $((SECONDS - started)) s ($STATE_DIR, partition $PARTITION, $(nproc) CPUs)"
  print_env
}

print_env() {
  say "callers: source $STATE_DIR/env, or run:"
  cat "$STATE_DIR/env"
}

# Cancels every job (steps otherwise outlive slurmd) and waits for them to be gone: SIGTERM,
# then SIGKILL after KillWait. Cancels again on each round, for jobs submitted meanwhile.
cancel_jobs() {
  running_pid slurmctld >/dev/null && controller_up >/dev/null 2>&1 || return 0
  local deadline=$((SECONDS + KILL_WAIT + 5))
  while [ -n "$(squeue -h -t running,completing,pending,suspended -o %i 2>/dev/null)" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "jobs still listed after $((KILL_WAIT + 5)) s; stopping the daemons anyway"
      return
    fi
    scancel --partition="$PARTITION" 2>/dev/null || true
    sleep 0.5
  done
}

# Whether process $1 runs. A zombie does not: without an init that reaps orphans, an exited
# daemon can stay one ("Z"; "Zl" is a leader that exited while its other threads still run).
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ "${state:0:1}" != Z ] || [[ $state == *l* ]]
}

# Waits until process $1 has exited, at most $2 seconds; fails if it has not.
wait_exit() {
  local deadline=$((SECONDS + $2))
  while alive "$1"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

stop_daemons() {
  local i daemon pid
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    daemon=${DAEMONS[i]}
    if pid=$(running_pid "$daemon") && alive "$pid"; then
      kill -TERM "$pid"
      if ! wait_exit "$pid" "$DAEMON_EXIT_TIMEOUT"; then
        say "$daemon (pid $pid) ignored SIGTERM for $DAEMON_EXIT_TIMEOUT s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_exit "$pid" 5 || fail "$daemon (pid $pid) survived SIGKILL"
      fi
      say "stopped $daemon (pid $pid)"
    fi
    rm -f "$(pid_file "$daemon")"
  done
}

stop() {
  cancel_jobs
  stop_daemons
  say "down"
}

status() {
  if is_up; then
    say "up ($STATE_DIR)"
    sinfo
  else
    say "down ($STATE_DIR)"
    return 1
  fi
}

case "${1:-}" in
start | stop | status) "$1" ;;
*) fail "usage: $0 start|stop|status (state folder: \$SLURM_STATE_DIR, default /tmp/pipeline-slurm)" ;;
esac
