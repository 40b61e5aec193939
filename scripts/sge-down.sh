#!/usr/bin/env bash
# Stop the Grid Engine cell scripts/sge-up.sh started, by the pid files its
# daemons wrote (never by process name). Jobs still running are deleted first;
# their sge_shepherd processes are children of sge_execd and end with it.
#
#   scripts/sge-down.sh           delete every job, stop execd, then qmaster
#   scripts/sge-down.sh --purge   also delete the scripts' own folder
set -euo pipefail

export SGE_ROOT=/var/lib/gridengine SGE_CELL=default SGE_ARCH=lx-amd64
bin=/usr/lib/gridengine
spool=/var/spool/gridengine
work="${MENSEMBLE_SGE_DIR:-/var/tmp/mensemble-sge}"
purge=no
for a in "$@"; do
  case "$a" in
    --purge) purge=yes ;;
    *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
  esac
done

say() { echo "sge-down: $*" >&2; }
# alive <pidfile> <program>: the pid file names a running <program>. A pid file outlives its daemon and its pid
# may since be another process's (this script once stopped a slurmctld that way): never signal what is not ours.
alive() { [ -s "$1" ] && [ "$(basename "$(readlink "/proc/$(cat "$1")/exe" 2>/dev/null)")" = "$2" ]; }

stop_pid() { # stop_pid <pidfile> <name>: wait up to 20 s after asking, then TERM, then KILL
  local file="$1" name="$2" pid i=0
  alive "$file" "$name" || return 0
  pid="$(cat "$file")"
  while alive "$file" "$name" && [ "$i" -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
  if alive "$file" "$name"; then
    say "$name ($pid) still runs; sending TERM"
    kill "$pid" 2>/dev/null || true
    i=0
    while alive "$file" "$name" && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    if alive "$file" "$name"; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
}

qmaster_pid="$spool/qmaster/qmaster.pid"
if [ -x "$bin/qdel" ] && alive "$qmaster_pid" sge_qmaster; then
  "$bin/qdel" -u '*' >/dev/null 2>&1 || true
  "$bin/qconf" -ke all >/dev/null 2>&1 || true
fi
for f in "$spool"/execd/*/execd.pid; do
  [ -e "$f" ] && stop_pid "$f" sge_execd
done
if alive "$qmaster_pid" sge_qmaster; then
  "$bin/qconf" -km >/dev/null 2>&1 || true
  stop_pid "$qmaster_pid" sge_qmaster
fi
[ "$purge" = no ] || rm -rf "$work"
say "stopped"
