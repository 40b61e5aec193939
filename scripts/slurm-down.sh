#!/usr/bin/env bash
# Stop the cluster scripts/slurm-up.sh started, by its pid files (never by
# process name: other SLURM daemons on the machine are not ours to kill).
#
#   scripts/slurm-down.sh                 stop every daemon
#   scripts/slurm-down.sh slurmctld ...   stop only the named daemons
#                                          (slurmctld slurmd slurmdbd mariadb munged)
#   scripts/slurm-down.sh --purge         stop everything and delete the state folder
set -euo pipefail

dir="${MENSEMBLE_SLURM_DIR:-/var/tmp/mensemble-slurm}"
purge=no
daemons=()
for a in "$@"; do
  case "$a" in
    --purge) purge=yes ;;
    slurmctld|slurmd|slurmdbd|mariadb|munged) daemons+=("$a") ;;
    *) echo "usage: $0 [--purge] [slurmctld|slurmd|slurmdbd|mariadb|munged ...]" >&2; exit 2 ;;
  esac
done
[ "${#daemons[@]}" -gt 0 ] || daemons=(slurmd slurmctld slurmdbd mariadb munged)

pidfile() {
  case "$1" in
    munged) echo /run/munge/munged.pid ;;
    *) echo "$dir/$1.pid" ;;
  esac
}

for d in "${daemons[@]}"; do
  f="$(pidfile "$d")"
  [ -s "$f" ] || continue
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null; do
      i=$((i + 1))
      if [ "$i" -ge 150 ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
      sleep 0.1
    done
    echo "slurm-down: stopped $d (pid $pid)" >&2
  fi
  rm -f "$f"
done

if [ "$purge" = yes ]; then
  rm -rf "$dir"
fi
