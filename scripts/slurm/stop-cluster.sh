#!/usr/bin/env bash
# Stops the test cluster scripts/slurm/start-cluster.sh started: removes the env file (so the tests skip from now on),
# cancels the cluster's jobs of this user, then stops slurmd, slurmctld and munged, each through its pid file in
# $ATTNXAI_SLURM_DIR (no other process is touched). Keeps the folder (key, configuration, state, logs), so the next start
# is quick. Safe to run when nothing runs. --quiet: say nothing when there was nothing to stop.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"

quiet=0
[[ ${1:-} == --quiet ]] && quiet=1
rm -f "$slurm_env"

if live_pid "$slurm_dir/run/slurmctld.pid" slurmctld >/dev/null; then
  SLURM_CONF=$slurm_conf timeout 10 scancel --user="$(id -un)" 2>/dev/null || true
fi

# Each daemon takes about 2 s to exit after SIGTERM: all three are signalled, then awaited together (10 s at most,
# then SIGKILL).
stopped=() pids=()
for daemon in slurmd slurmctld munged; do
  pid=$(live_pid "$slurm_dir/run/$daemon.pid" "$daemon") || continue
  kill -TERM "$pid" 2>/dev/null || continue
  stopped+=("$daemon") pids+=("$pid")
done
for pid in "${pids[@]}"; do
  for ((i = 0; i < 100; i++)); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
  if [[ -d /proc/$pid ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
done
rm -f "$slurm_dir/run/"*.pid

if ((${#stopped[@]})); then echo "slurm: stopped ${stopped[*]} ($slurm_dir)"
elif ((!quiet)); then echo "slurm: nothing was running ($slurm_dir)"
fi
