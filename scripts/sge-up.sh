#!/usr/bin/env bash
# Bring up a single-node Grid Engine cell (Son of Grid Engine, Debian's
# packages) on this machine, for mensemble's tests. Idempotent: daemons that
# already run are left alone, and the cell's hosts, queue and settings are
# only added where missing.
#
#   scripts/sge-up.sh
#
# Needs root and Debian's packages (scripts/test-deps.sh installs them, with
# the debconf answers that make the master's postinst create the cell). No
# systemd: the daemons are started by hand and stopped by their pid files
# (scripts/sge-down.sh). The facts behind each step are in
# ../shared/reference/gridengine-on-one-machine.md.
set -euo pipefail

export SGE_ROOT=/var/lib/gridengine SGE_CELL=default SGE_ARCH=lx-amd64
bin=/usr/lib/gridengine
spool=/var/spool/gridengine
common="$SGE_ROOT/$SGE_CELL/common"
host="$(hostname)"
work="${MENSEMBLE_SGE_DIR:-/var/tmp/mensemble-sge}"

say() { echo "sge-up: $*" >&2; }
die() { echo "sge-up: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (it starts daemons)"
for p in gridengine-master gridengine-exec gridengine-client; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || die "$p is not installed (as root: bash scripts/test-deps.sh install)"
done
mkdir -p "$work"

# The binaries themselves: the /usr/bin wrappers run util/arch on every call (about 0.4 s each).
q() { "$bin/$1" "${@:2}"; }

# alive <pidfile> <program>: the pid file names a running <program>. A pid file outlives its daemon, and its
# pid may since belong to another process (a restarted slurmctld once): the program is checked, not assumed.
alive() { [ -s "$1" ] && [ "$(basename "$(readlink "/proc/$(cat "$1")/exe" 2>/dev/null)")" = "$2" ]; }

wait_for() { # wait_for <seconds> <description> <log or -> <command...>
  local limit=$(( $1 * 10 )) what="$2" log="$3" i=0
  shift 3
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -ge "$limit" ]; then
      if [ "$log" != - ] && [ -s "$log" ]; then
        echo "sge-up: the last lines of $log:" >&2
        tail -n 15 "$log" | sed 's/^/  /' >&2
      fi
      die "timed out waiting for $what"
    fi
    sleep 0.1
  done
}

# --- the cell: created by the master's postinst; again here if it is not there ---
if [ ! -s "$common/bootstrap" ]; then
  say "creating the cell"
  su -s /bin/sh sgeadmin -c "/usr/share/gridengine/scripts/init_cluster $SGE_ROOT $SGE_CELL $spool/spooldb sgeadmin" >"$work/init_cluster.log" 2>&1 || {
    tail -n 15 "$work/init_cluster.log" >&2
    die "init_cluster failed"
  }
fi

# Clients report their host name; qmaster compares it with the reverse lookup of
# their address, which says `localhost` here: an alias makes them one host.
printf '%s localhost\n' "$host" >"$common/host_aliases.new"
if ! cmp -s "$common/host_aliases.new" "$common/host_aliases" 2>/dev/null; then mv "$common/host_aliases.new" "$common/host_aliases"; else rm -f "$common/host_aliases.new"; fi
echo "$host" >"$common/act_qmaster"
chown sgeadmin:sgeadmin "$common/host_aliases" "$common/act_qmaster"

# --- qmaster ----------------------------------------------------------------
qmaster_pid="$spool/qmaster/qmaster.pid"
if ! alive "$qmaster_pid" sge_qmaster; then
  say "starting sge_qmaster"
  "$bin/sge_qmaster"
  wait_for 30 sge_qmaster "$spool/qmaster/messages" q qconf -sh
fi

# --- the cell's contents (it starts empty) ------------------------------------
q qconf -ss 2>/dev/null | grep -qx "$host" || q qconf -as "$host" >/dev/null

# Root may submit (min_uid/min_gid are 1000); accounting written at once, for qacct.
q qconf -sconf global | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' >"$work/global.conf"
# -Mconf takes the configuration's name from the file's name.
mkdir -p "$work/mconf"
global_new="$work/mconf/global"
sed -E -e 's/^(min_uid|min_gid)( +).*/\1\20/' \
  -e 's/^reporting_params .*/reporting_params             accounting=true reporting=false flush_time=00:00:01 joblog=false sharelog=00:00:00 accounting_flush_time=00:00:00/' \
  "$work/global.conf" >"$global_new"
if ! cmp -s "$work/global.conf" "$global_new"; then q qconf -Mconf "$global_new" >/dev/null; fi

# The scheduler every second, submissions and ends flushed at once.
q qconf -ssconf >"$work/sched.conf"
sed -E -e 's/^schedule_interval .*/schedule_interval                 0:0:1/' \
  -e 's/^flush_submit_sec .*/flush_submit_sec                  1/' \
  -e 's/^flush_finish_sec .*/flush_finish_sec                  1/' \
  "$work/sched.conf" >"$work/sched.conf.new"
if ! cmp -s "$work/sched.conf" "$work/sched.conf.new"; then q qconf -Msconf "$work/sched.conf.new" >/dev/null; fi

slots="$(nproc)"
[ "$slots" -ge 4 ] || slots=4
if ! q qconf -sel 2>/dev/null | grep -qx "$host"; then
  cat >"$work/exec.conf" <<EOF
hostname              $host
load_scaling          NONE
complex_values        NONE
user_lists            NONE
xuser_lists           NONE
projects              NONE
xprojects             NONE
usage_scaling         NONE
report_variables      NONE
EOF
  q qconf -Ae "$work/exec.conf" >/dev/null
fi
if ! q qconf -spl 2>/dev/null | grep -qx smp; then
  cat >"$work/smp.conf" <<EOF
pe_name            smp
slots              $slots
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    \$pe_slots
control_slaves     FALSE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
EOF
  q qconf -Ap "$work/smp.conf" >/dev/null
fi
if ! q qconf -sql 2>/dev/null | grep -qx all.q; then
  # The template of `qconf -sq` for a new queue, with this host, its slots, smp and no load alarms.
  q qconf -sq all.q >/dev/null 2>&1 || true
  cat >"$work/all.q.conf" <<EOF
qname                 all.q
hostlist              $host
seq_no                0
load_thresholds       NONE
suspend_thresholds    NONE
nsuspend              1
suspend_interval      00:05:00
priority              0
min_cpu_interval      00:05:00
processors            UNDEFINED
qtype                 BATCH INTERACTIVE
ckpt_list             NONE
pe_list               smp
rerun                 FALSE
slots                 $slots
tmpdir                /tmp
shell                 /bin/sh
prolog                NONE
epilog                NONE
shell_start_mode      unix_behavior
starter_method        NONE
suspend_method        NONE
resume_method         NONE
terminate_method      NONE
notify                00:00:60
owner_list            NONE
user_lists            NONE
xuser_lists           NONE
subordinate_list      NONE
complex_values        NONE
projects              NONE
xprojects             NONE
calendar              NONE
initial_state         default
s_rt                  INFINITY
h_rt                  INFINITY
s_cpu                 INFINITY
h_cpu                 INFINITY
s_fsize               INFINITY
h_fsize               INFINITY
s_data                INFINITY
h_data                INFINITY
s_stack               INFINITY
h_stack               INFINITY
s_core                INFINITY
h_core                INFINITY
s_rss                 INFINITY
h_rss                 INFINITY
s_vmem                INFINITY
h_vmem                INFINITY
EOF
  q qconf -Aq "$work/all.q.conf" >/dev/null
fi

# --- execd ------------------------------------------------------------------
execd_ready() {
  local line
  line="$(q qstat -f -q all.q 2>/dev/null | grep "^all.q@" || true)"
  [ -n "$line" ] || return 1
  # Columns: queuename qtype resv/used/tot. load_avg arch [states]; ready: a load value and no state flags.
  awk '{ exit !($4 != "-NA-" && NF == 5) }' <<<"$line"
}
if ! ls "$spool"/execd/*/execd.pid >/dev/null 2>&1 || ! alive "$(ls "$spool"/execd/*/execd.pid | head -1)" sge_execd; then
  say "starting sge_execd"
  "$bin/sge_execd"
fi
wait_for 30 "all.q@$host to be ready" - execd_ready
say "ready: $(q qstat -f -q all.q | grep '^all.q@' | awk '{print $1, $3}')"
