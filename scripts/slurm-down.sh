#!/usr/bin/env bash
# Stop the cluster scripts/slurm-up.sh started, by the pid files it and its
# daemons wrote (never by process name: other SLURM daemons on the machine are
# not ours to kill).
#
#   scripts/slurm-down.sh                 cancel every job, then stop every daemon
#   scripts/slurm-down.sh slurmctld ...   stop only the named daemons, jobs untouched
#                                          (slurmctld slurmd slurmdbd mariadb munged)
#   scripts/slurm-down.sh --purge         stop everything and delete the state folder
#
# Stopping everything also ends the jobs' slurmstepd processes: first every job
# is cancelled while the controller still runs, and once slurmd is gone any
# slurmstepd still holding a file of this cluster's folder open (its log, its
# spool socket) is stopped too. munged is stopped only if slurm-up.sh started it
# (the marker munged.ours); a munged that was already running is left alone.
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
everything=no
if [ "${#daemons[@]}" -eq 0 ]; then
  everything=yes
  daemons=(slurmd slurmctld slurmdbd mariadb)
  [ -e "$dir/munged.ours" ] && daemons+=(munged)
fi

say() { echo "slurm-down: $*" >&2; }

pidfile() {
  case "$1" in
    munged) echo /run/munge/munged.pid ;;
    *) echo "$dir/$1.pid" ;;
  esac
}

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pid() { # stop_pid <pid> <name>: TERM, then KILL after 15 s
  local pid="$1" i=0
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -ge 150 ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
    sleep 0.1
  done
  say "stopped $2 (pid $pid)"
}

# slurmstepd processes of this cluster: those holding open a file under $dir.
our_stepds() {
  local p exe fd
  for p in /proc/[0-9]*; do
    exe="$(readlink "$p/exe" 2>/dev/null)" || continue
    case "${exe##*/}" in slurmstepd*) ;; *) continue ;; esac
    for fd in "$p"/fd/*; do
      case "$(readlink "$fd" 2>/dev/null)" in
        "$dir"/*) echo "${p#/proc/}"; break ;;
      esac
    done
  done
}

if [ "$everything" = yes ] && alive "$dir/slurmctld.pid" && command -v squeue >/dev/null 2>&1; then
  jobs="$(squeue -h -o %A 2>/dev/null | tr '\n' ' ' || true)"
  if [ -n "${jobs// /}" ]; then
    say "cancelling jobs still queued or running: $jobs"
    # shellcheck disable=SC2086 # job ids, one word each
    scancel $jobs 2>/dev/null || true
    for _ in $(seq 1 150); do
      [ -z "$(squeue -h -o %A 2>/dev/null)" ] && [ -z "$(our_stepds)" ] && break
      sleep 0.1
    done
  fi
fi

for d in "${daemons[@]}"; do
  f="$(pidfile "$d")"
  [ -s "$f" ] || continue
  if alive "$f"; then stop_pid "$(cat "$f")" "$d"; fi
  rm -f "$f"
  [ "$d" = munged ] && rm -f "$dir/munged.ours"
done

descendants() { # descendants <pid>: its children, theirs, and so on
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

if [ "$everything" = yes ]; then
  # Only when the controller could not cancel them: the job's processes first
  # (a slurmstepd stopped alone leaves its job running, orphaned), then the step.
  for pid in $(our_stepds); do
    tree="$(descendants "$pid" | tr '\n' ' ')"
    # shellcheck disable=SC2086 # pids
    [ -z "${tree// /}" ] || kill -9 $tree 2>/dev/null || true
    stop_pid "$pid" "slurmstepd (and its job's processes: ${tree:-none})"
  done
fi

if [ "$purge" = yes ]; then
  rm -rf "$dir"
fi
