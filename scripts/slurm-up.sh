#!/usr/bin/env bash
# Bring up a single-node SLURM cluster on this Debian machine, for mensemble's
# tests. Idempotent: daemons that already run with the wanted configuration
# are left alone; a changed mode restarts only what it must.
#
#   scripts/slurm-up.sh [accounting|no-accounting]   (default: accounting)
#
# Needs root and Debian's packages (scripts/test-deps.sh installs them). No
# systemd: every daemon is started by hand and stopped by its pid file
# (scripts/slurm-down.sh). Everything the cluster writes lives under
# $MENSEMBLE_SLURM_DIR (default /var/tmp/mensemble-slurm); the configuration
# goes to /etc/slurm so that sbatch and friends find it without SLURM_CONF.
# See ../shared/reference/slurm-on-one-machine.md (and docs/development.md).
set -euo pipefail

mode="${1:-accounting}"
case "$mode" in
  accounting|no-accounting) ;;
  *) echo "usage: $0 [accounting|no-accounting]" >&2; exit 2 ;;
esac

dir="${MENSEMBLE_SLURM_DIR:-/var/tmp/mensemble-slurm}"
host="$(hostname -s)"
cluster=mensemble
dbpass=mensemble-slurm-test

say() { echo "slurm-up: $*" >&2; }
die() { echo "slurm-up: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (it installs packages and starts daemons)"

alive() { # alive <pidfile>: the process the pid file names is running
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# The log a daemon that did not come up left, for the message that says so.
log_of() { # log_of <description>
  case "$1" in
    slurmdbd) echo "$dir/log/slurmdbd.log" ;;
    slurmctld) echo "$dir/log/slurmctld.log" ;;
    node*) echo "$dir/log/slurmd.log" ;;
    munged) echo /var/log/munge/munged.log ;;
    *) echo "" ;;
  esac
}

wait_for() { # wait_for <seconds> <description> <command...>
  local limit=$(( $1 * 10 )) what="$2" i=0 log
  shift 2
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -ge "$limit" ]; then
      log="$(log_of "$what")"
      if [ -n "$log" ] && [ -s "$log" ]; then
        echo "slurm-up: the last lines of $log:" >&2
        tail -n 15 "$log" | sed 's/^/  /' >&2
      fi
      die "timed out waiting for $what${log:+ (its log: $log)}"
    fi
    sleep 0.1
  done
}

# --- packages (installed by scripts/test-deps.sh, the one place that installs) ---
packages=(slurm-wlm munge)
[ "$mode" = accounting ] && packages+=(slurmdbd mariadb-server)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] || die "missing packages: ${missing[*]} (install them with: bash scripts/test-deps.sh install)"

mkdir -p "$dir/state" "$dir/spool" "$dir/log"

# --- munge -----------------------------------------------------------------
install -d -o munge -g munge -m 700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
if ! alive /run/munge/munged.pid; then
  say "starting munged"
  runuser -u munge -- /usr/sbin/munged
  # Ours to stop: slurm-down.sh stops munged only when this marker says we started it.
  touch "$dir/munged.ours"
  wait_for 10 munged sh -c 'munge -n | unmunge'
fi

# --- slurm.conf (first: sacctmgr reads it too) ---------------------------------------------------------------
if [ "$mode" = accounting ]; then
  accounting="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/linux"
else
  accounting="AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none"
fi
cat >"$dir/slurm.conf.new" <<EOF
# Written by mensemble's scripts/slurm-up.sh ($mode); rewritten on each run.
ClusterName=$cluster
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
# Memory is enforced with cgroups as real sites do (cgroup.conf beside this file): a job past its --mem
# ends OUT_OF_MEMORY, and jobs without --mem get DefMemPerCPU rather than the whole node.
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup
DefMemPerCPU=256
SchedulerType=sched/backfill
# Schedule a batch job when it is submitted rather than up to 3 s later (SLURM's default delay, meant for sites
# that take thousands of submissions a second): a test waits on hundreds of short jobs.
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ReturnToService=2
MinJobAge=300
MaxArraySize=25
KillWait=2
OverTimeLimit=0
SlurmdParameters=config_overrides
$accounting
JobCompType=jobcomp/none
# CPUs and RealMemory above the machine's (config_overrides): the SLURM tests run side by
# side and their jobs mostly sleep, and model-ensembler's example jobs ask for --mem=20gb each.
NodeName=$host CPUs=32 RealMemory=262144 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
# model-ensembler's examples submit to partitions named short and long.
PartitionName=short Nodes=$host MaxTime=INFINITE State=UP
PartitionName=long Nodes=$host MaxTime=INFINITE State=UP
EOF
cat >"$dir/cgroup.conf.new" <<EOF
# Written by mensemble's scripts/slurm-up.sh; rewritten on each run.
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainRAMSpace=yes
ConstrainSwapSpace=yes
EOF
restart=no
if ! cmp -s "$dir/cgroup.conf.new" /etc/slurm/cgroup.conf; then
  mv "$dir/cgroup.conf.new" /etc/slurm/cgroup.conf
  restart=yes
else
  rm -f "$dir/cgroup.conf.new"
fi
if ! cmp -s "$dir/slurm.conf.new" /etc/slurm/slurm.conf; then
  mv "$dir/slurm.conf.new" /etc/slurm/slurm.conf
  restart=yes
else
  rm -f "$dir/slurm.conf.new"
fi

# --- accounting: mariadb and slurmdbd ---------------------------------------
if [ "$mode" = accounting ]; then
  install -d -o mysql -g mysql -m 755 /run/mysqld
  if ! alive "$dir/mariadb.pid"; then
    say "starting mariadb"
    start-stop-daemon --start --background --make-pidfile --pidfile "$dir/mariadb.pid" \
      --exec /usr/sbin/mariadbd -- --user=mysql
    wait_for 30 mariadb mysqladmin ping
  fi
  mysql -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
            CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$dbpass';
            ALTER USER 'slurm'@'localhost' IDENTIFIED BY '$dbpass';
            GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
  umask 077
  cat >"$dir/slurmdbd.conf.new" <<EOF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=$dir/slurmdbd.pid
LogFile=$dir/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$dbpass
StorageLoc=slurm_acct_db
EOF
  umask 022
  # A slurmdbd that runs but cannot reach its database (it started with another password) is started again too.
  if ! cmp -s "$dir/slurmdbd.conf.new" /etc/slurm/slurmdbd.conf || ! alive "$dir/slurmdbd.pid" || ! sacctmgr -n list cluster >/dev/null 2>&1; then
    mv "$dir/slurmdbd.conf.new" /etc/slurm/slurmdbd.conf
    chmod 600 /etc/slurm/slurmdbd.conf
    if alive "$dir/slurmdbd.pid"; then kill "$(cat "$dir/slurmdbd.pid")"; sleep 1; fi
    say "starting slurmdbd"
    slurmdbd
    wait_for 30 slurmdbd sacctmgr -n list cluster
  else
    rm -f "$dir/slurmdbd.conf.new"
  fi
  if ! sacctmgr -n -P list cluster format=Cluster | grep -qx "$cluster"; then
    sacctmgr -i add cluster "$cluster" >/dev/null
  fi
fi

stop() { # stop <pidfile>
  if alive "$1"; then
    local pid; pid="$(cat "$1")"
    kill "$pid"
    local i=0
    while kill -0 "$pid" 2>/dev/null; do
      i=$((i + 1)); [ "$i" -lt 100 ] || { kill -9 "$pid" 2>/dev/null || true; break; }
      sleep 0.1
    done
  fi
}
if [ "$restart" = yes ]; then
  stop "$dir/slurmd.pid"
  stop "$dir/slurmctld.pid"
fi

# --- slurmctld and slurmd -----------------------------------------------------
if ! alive "$dir/slurmctld.pid"; then
  say "starting slurmctld ($mode)"
  slurmctld
  wait_for 30 slurmctld scontrol ping
fi
if ! alive "$dir/slurmd.pid"; then
  say "starting slurmd"
  slurmd
fi
node_ready() {
  local s; s="$(sinfo -h -n "$host" -o %T 2>/dev/null || true)"
  case "$s" in
    idle*|mixed*|allocated*|completing*) return 0 ;;
    down*|drain*) scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true; return 1 ;;
    *) return 1 ;;
  esac
}
wait_for 30 "node $host to be ready" node_ready
say "ready ($mode): $(sinfo -h -o '%P %T %C' | head -1)"
