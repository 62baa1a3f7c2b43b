# The paths and helpers start-cluster.sh and stop-cluster.sh share. Sourced.
#
# Everything of the test cluster lives in one private folder, $ATTNXAI_SLURM_DIR (default /var/tmp/attnxai-slurm,
# which survives reboots' /tmp cleaning but is not in the repository):
#   env            written last by start-cluster.sh once the node is idle, removed first by stop-cluster.sh: the
#                  settings the tests read (SLURM_CONF=..., the controller, partition and node); the tests still ask sinfo
#   etc/slurm.conf the cluster's configuration (the daemons and the clients read only this one, through -f/SLURM_CONF)
#   munge/         the cluster's own munge key, socket, seed and log (the system's munged is never touched)
#   state/ spool/  slurmctld's StateSaveLocation and slurmd's SlurmdSpoolDir
#   run/ log/      the daemons' pid files and logs, the job-completion log sacct -c reads, apt's output
# The daemons run as the user who starts them (root on CI), listen on 127.0.0.1 only, on ports 6917 and 6918 (not
# Slurm's default 6817/6818, so a real Slurm installation on the machine is left alone).

slurm_dir=${ATTNXAI_SLURM_DIR:-/var/tmp/attnxai-slurm}
slurm_conf=$slurm_dir/etc/slurm.conf
slurm_env=$slurm_dir/env
munge_socket=$slurm_dir/munge/munge.socket
ctld_port=6917
slurmd_port=6918
# The daemons and the Slurm tools live in /usr/sbin and /usr/bin on Debian; a non-root PATH may lack /usr/sbin.
export PATH=$PATH:/usr/sbin:/sbin LC_ALL=C

# The pid in a pid file when that process is alive and is the named program (a stale file's recycled pid is not ours).
live_pid() { # live_pid PIDFILE PROGRAM
  local pid
  [[ -r $1 ]] || return 1
  pid=$(<"$1") || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
  echo "$pid"
}
