#!/usr/bin/env bash
# Starts the one-node Slurm cluster that AttnXai's Slurm tests (tests/AttnXai.Slurm.Tests) submit to, on this machine
# only: munged, slurmctld and slurmd with a private configuration, all files in $ATTNXAI_SLURM_DIR (default
# /var/tmp/attnxai-slurm; common.sh lists what is where). .ci/run calls it before ./test.sh. Users never need it: the
# AttnXai set-up is the .NET SDK alone, and the Slurm tests are reported as skipped, with the reason, where no cluster
# runs.
#
#   scripts/slurm/start-cluster.sh        # then, by hand: source /var/tmp/attnxai-slurm/env; export SLURM_CONF; sinfo
#   scripts/slurm/stop-cluster.sh
#
# It installs Debian's `slurm-wlm` and `munge` packages when the programs are missing (with sudo when not root),
# writes slurm.conf for ONE node named after this machine (`hostname -s`; CPUs and memory as `slurmd -C` reads them),
# creates the cluster's own munge key, starts the three daemons, resumes the node if it is down, waits until `sinfo`
# shows it idle and only then writes the env file the tests read. Idempotent: a cluster that answers is left running;
# anything else of ours (a daemon left over, a stale pid) is stopped and started afresh.
#
# Exit status 0 when the cluster is up, and also when Slurm cannot be installed here (no apt-get, not root and no
# password-less sudo, apt failing): it prints why and the tests skip. Exit status 1 when the daemons do not come up
# (the logs' last lines are printed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"

say() { echo "slurm: $*"; }
timeout_s=${ATTNXAI_SLURM_START_TIMEOUT:-60}
node=$(hostname -s)
started=$EPOCHREALTIME
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }'; } # elapsed SINCE

# --- 1. The programs, from Debian's packages when missing ----------------------------------------------------------

programs=(munged mungekey munge slurmctld slurmd slurmstepd sinfo sbatch scontrol squeue sacct)
missing_programs() { local p; for p in "${programs[@]}"; do command -v "$p" >/dev/null 2>&1 || echo "$p"; done; }

# Installs slurm-wlm and munge when they are not installed. Returns 1, having said why, when that cannot be done.
install_packages() {
  local packages=(slurm-wlm munge) need=() p sudo=() log
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    say "cannot install Slurm: $(missing_programs | tr '\n' ' ')not found and this is not a Debian-like system (no apt-get)"
    return 1
  fi
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qx 'install ok installed' || need+=("$p")
  done
  if ((${#need[@]} == 0)); then
    say "cannot start: the packages ${packages[*]} are installed but $(missing_programs | tr '\n' ' ')is missing"
    return 1
  fi
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n)
    else
      say "cannot install ${need[*]}: not root, and sudo is missing or asks for a password; run: sudo apt-get install --no-install-recommends ${need[*]}"
      return 1
    fi
  fi
  mkdir -p "$slurm_dir/log"
  log=$slurm_dir/log/apt.log
  say "installing ${need[*]} with apt-get (output in $log)"
  local t=$EPOCHREALTIME
  # --no-install-recommends: 8 packages instead of 35 (the recommends are mail, docs and accounting back ends).
  # The lock timeout waits for another apt run instead of failing; the index is refreshed only when the first
  # attempt fails (an empty or stale package list).
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300)
  if ! "${apt[@]}" install --no-install-recommends "${need[@]}" >"$log" 2>&1; then
    if ! { "${apt[@]}" update && "${apt[@]}" install --no-install-recommends "${need[@]}"; } >>"$log" 2>&1; then
      say "cannot install ${need[*]}: apt-get failed; its last lines:"
      tail -n 5 "$log" | sed 's/^/  /'
      return 1
    fi
  fi
  say "installed ${need[*]} in $(elapsed "$t")"
}

if [[ -n $(missing_programs) ]]; then
  install_packages || { say "no cluster started; the Slurm tests will be skipped"; exit 0; }
fi

# --- 2. Configuration and munge key --------------------------------------------------------------------------------

user=$(id -un)
install -d -m 0755 "$slurm_dir" "$slurm_dir/etc" "$slurm_dir/state" "$slurm_dir/spool" "$slurm_dir/run" "$slurm_dir/log"
# munged refuses a key others can read and a socket directory others can write or cannot traverse.
install -d -m 0755 "$slurm_dir/munge"
[[ -f $slurm_dir/munge/munge.key ]] || mungekey --create --keyfile="$slurm_dir/munge/munge.key"
chmod 0600 "$slurm_dir/munge/munge.key"

# "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105": the machine's
# own figures, without the name (ours is given below).
hardware=$(slurmd -C | sed -n 's/^NodeName=[^ ]* //p' | head -n 1)
[[ $hardware == *CPUs=* ]] || { say "error: slurmd -C did not describe this machine: $(slurmd -C 2>&1 | head -n 1)"; exit 1; }

cat >"$slurm_conf.new" <<EOF
# AttnXai's one-node test cluster, written by scripts/slurm/start-cluster.sh (a start that would write another
# configuration restarts the cluster).
ClusterName=attnxai
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
# Bind to 127.0.0.1 (the addresses above), not to every interface.
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$slurm_dir/state
SlurmdSpoolDir=$slurm_dir/spool
SlurmctldPidFile=$slurm_dir/run/slurmctld.pid
SlurmdPidFile=$slurm_dir/run/slurmd.pid
SlurmctldLogFile=$slurm_dir/log/slurmctld.log
SlurmdLogFile=$slurm_dir/log/slurmd.log
PlugStackConfig=$slurm_dir/etc/plugstack.conf
# No cgroups: processes are tracked through /proc, tasks are not bound to CPUs (works in containers).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# No accounting database; finished jobs stay in scontrol/squeue for an hour and in the completion log (sacct -c).
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$slurm_dir/log/jobcomp.log
MinJobAge=3600
# A job whose dependency can never be satisfied (a failed array task before an afterok job) is cancelled rather than
# left pending for ever.
DependencyParameters=kill_invalid_depend
ReturnToService=2
# Start a batch job as soon as it can run (Slurm's default batch_sched_delay of 3 s batches high submission rates).
SchedulerParameters=batch_sched_delay=0
# No mail program is installed; jobs asking for mail (--mail-type) get none.
MailProg=/bin/true
NodeName=$node NodeAddr=127.0.0.1 $hardware State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

# --- 3. Already up? ------------------------------------------------------------------------------------------------

# The node's state as sinfo reports it through our configuration ("idle", "down*", "drained"...), empty when the
# controller does not answer.
node_state() { SLURM_CONF=$slurm_conf timeout 15 sinfo -h -N -n "$node" -o %T 2>/dev/null | head -n 1 || true; }

# (sinfo takes about 9 s to give up on a controller that is not running: the pid file answers that at once.)
if [[ -f $slurm_env && -f $slurm_conf ]] && live_pid "$slurm_dir/run/slurmctld.pid" slurmctld >/dev/null &&
  [[ $(node_state) =~ ^(idle|mixed|allocated|completing) ]]; then
  if cmp -s "$slurm_conf.new" "$slurm_conf"; then
    rm -f "$slurm_conf.new"
    say "the cluster is already up (node $node $(node_state); $slurm_env)"
    exit 0
  fi
  say "the configuration changed: restarting the cluster"
fi
"$here/stop-cluster.sh" --quiet
mv "$slurm_conf.new" "$slurm_conf"
: >"$slurm_dir/etc/plugstack.conf"

# --- 4. The daemons ------------------------------------------------------------------------------------------------

# Says what went wrong, stops what did start (the logs stay) and exits with status 1.
fail() { say "error: $*"; "$here/stop-cluster.sh" --quiet; exit 1; }

# Waits until a pid file names the live program; fails with the log's tail otherwise.
await_daemon() { # await_daemon PIDFILE PROGRAM LOG
  local i
  for ((i = 0; i < 100; i++)); do live_pid "$1" "$2" >/dev/null && return 0; sleep 0.1; done
  fail "$2 did not start; the last lines of $3:
$(tail -n 15 "$3" 2>/dev/null | sed 's/^/  /')"
}

munged --socket="$munge_socket" --key-file="$slurm_dir/munge/munge.key" --pid-file="$slurm_dir/run/munged.pid" \
  --log-file="$slurm_dir/munge/munged.log" --seed-file="$slurm_dir/munge/munged.seed" --origin=127.0.0.1 ||
  fail "munged did not start (its message is above)"
await_daemon "$slurm_dir/run/munged.pid" munged "$slurm_dir/munge/munged.log"
munge -n -S "$munge_socket" | unmunge -S "$munge_socket" >/dev/null ||
  fail "munged does not answer on $munge_socket"

slurmctld -f "$slurm_conf" || fail "slurmctld did not start (its message is above)"
await_daemon "$slurm_dir/run/slurmctld.pid" slurmctld "$slurm_dir/log/slurmctld.log"
slurmd -f "$slurm_conf" -N "$node" || fail "slurmd did not start (its message is above)"
await_daemon "$slurm_dir/run/slurmd.pid" slurmd "$slurm_dir/log/slurmd.log"

# --- 5. Wait for the node -------------------------------------------------------------------------------------------

resumed=0
deadline=$((SECONDS + timeout_s))
while :; do
  state=$(node_state)
  # (mixed or allocated: jobs recovered from the saved state already run.)
  [[ $state =~ ^(idle|mixed|allocated)$ ]] && break
  # A node the saved state remembers as down or drained (an earlier run) is resumed once; ReturnToService=2 brings
  # back a node that was down for any reason as soon as it registers.
  if ((!resumed)) && [[ $state =~ ^(down|drain) ]]; then
    SLURM_CONF=$slurm_conf scontrol update NodeName="$node" State=RESUME 2>/dev/null || true
    resumed=1
  fi
  if ((SECONDS >= deadline)); then
    fail "node $node is not idle after ${timeout_s} s (sinfo says: ${state:-no answer}); the logs' last lines:
$(for f in slurmctld slurmd; do echo "  $f.log:"; tail -n 8 "$slurm_dir/log/$f.log" 2>/dev/null | sed 's/^/    /'; done)"
  fi
  sleep 0.5
done

cat >"$slurm_env.tmp" <<EOF
# Written by scripts/slurm/start-cluster.sh once the cluster answered; removed by stop-cluster.sh. KEY=VALUE lines
# (shell-sourceable): the settings a Slurm client needs to reach this cluster.
SLURM_CONF=$slurm_conf
ATTNXAI_SLURM_CONTROLLER=127.0.0.1:$ctld_port
ATTNXAI_SLURM_PARTITION=debug
ATTNXAI_SLURM_NODE=$node
EOF
mv "$slurm_env.tmp" "$slurm_env"
say "cluster up in $(elapsed "$started"): node $node $state, partition debug ($hardware); settings in $slurm_env"
