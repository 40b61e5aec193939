#!/usr/bin/env bash
# Does what landed on main work on a new machine, as a new user runs it?
#
#   sudo bash scripts/fresh-machine-check.sh [--keep]
#
# 1. stops the project's test cluster and Grid Engine cell
#    (scripts/slurm-down.sh --purge, scripts/sge-down.sh --purge);
# 2. removes the system packages the project installs for itself (the list in
#    scripts/test-deps.sh, with what apt pulled in for them) and the files its
#    scripts wrote outside the checkout (/etc/slurm, the munge key, MariaDB's
#    data, Grid Engine's cell and spool, and its debconf answers), so the
#    machine is as a new one of our kind;
# 3. clones main (committed work only) into a temporary folder;
# 4. runs the README's two commands there exactly as written, the test
#    command with CI=true, printing each one's exit code and the test
#    runner's summary;
# 5. checks that no process the suite starts (slurmctld, slurmd, slurmdbd,
#    slurmstepd, munged, mariadbd, sge_qmaster, sge_execd, sge_shepherd) is
#    left running.
#
# Exits 0 only if both commands exit 0 and nothing is left running. The
# clone is deleted afterwards unless --keep is given. Destructive: run it only
# on a machine whose SLURM, munge and MariaDB are the project's own.
set -uo pipefail

keep=no
[ "${1:-}" = --keep ] && keep=yes
repo="$(cd "$(dirname "$0")/.." && pwd)"
say() { echo "fresh-machine-check: $*"; }

[ "$(id -u)" = 0 ] || { say "needs root (it removes and installs system packages)"; exit 2; }

# Processes the suite may start, found by executable (this only looks).
suite_processes() {
  local p exe
  for p in /proc/[0-9]*; do
    exe="$(readlink "$p/exe" 2>/dev/null)" || continue
    case "${exe##*/}" in
      slurmctld*|slurmd|slurmd-*|slurmdbd*|slurmstepd*|munged|mariadbd|sge_qmaster|sge_execd|sge_shepherd)
        [ "$(awk '{print $3}' "$p/stat" 2>/dev/null)" = Z ] && continue # exited, not yet reaped
        echo "${p#/proc/} ${exe##*/}" ;;
    esac
  done
}

# --- 1. stop the test cluster ------------------------------------------------
say "stopping the project's test cluster"
bash "$repo/scripts/slurm-down.sh" --purge 2>&1 | sed 's/^/  /'
[ ! -f "$repo/scripts/sge-down.sh" ] || bash "$repo/scripts/sge-down.sh" --purge 2>&1 | sed 's/^/  /'
before="$(suite_processes)"
[ -z "$before" ] || { say "still running after slurm-down, not started by the suite's scripts:"; echo "$before" | sed 's/^/  /'; }

# --- 2. remove the project's system packages ---------------------------------
mapfile -t packages < <(bash "$repo/scripts/test-deps.sh" list)
installed=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' && installed+=("$p")
done
# A package that something installed outside our list needs (python3-yaml, which
# a new machine already has for yq and llvm-14-tools) is not ours to remove.
manual="$(apt-mark showmanual 2>/dev/null)"
ours=" ${packages[*]} "
keep=()
removable=()
for p in "${installed[@]}"; do
  needed_by="$(apt-get -s purge "$p" 2>/dev/null | awk '/^Purg /{print $2}' | while read -r q; do
    case "$ours" in *" $q "*) continue ;; esac
    grep -qx "$q" <<<"$manual" && echo "$q"
  done | tr '\n' ' ')"
  if [ -n "$needed_by" ]; then keep+=("$p (needed by ${needed_by% })"); else removable+=("$p"); fi
done
[ "${#keep[@]}" -eq 0 ] || say "keeping ${keep[*]}"
installed=("${removable[@]}")
if [ "${#installed[@]}" -gt 0 ]; then
  say "removing ${installed[*]} (and what apt installed for them)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -y -q -o DPkg::Lock::Timeout=600 purge "${installed[@]}" >/tmp/mensemble-fresh-purge.log 2>&1 &&
    apt-get -y -q -o DPkg::Lock::Timeout=600 autoremove --purge >>/tmp/mensemble-fresh-purge.log 2>&1 ||
    { say "removing packages failed; see /tmp/mensemble-fresh-purge.log"; exit 2; }
  say "removed $(grep -c '^Removing ' /tmp/mensemble-fresh-purge.log) packages"
else
  say "none of the project's system packages is installed"
fi
rm -rf /etc/slurm /etc/munge /var/lib/munge /var/log/munge /run/munge /var/lib/mysql /run/mysqld /var/log/mysql /var/lib/gridengine /var/spool/gridengine
# Grid Engine's debconf answers go with it: test-deps.sh gives them again.
command -v debconf-communicate >/dev/null && for p in gridengine-common gridengine-client gridengine-master gridengine-exec; do echo "PURGE $p" | debconf-communicate "$p" >/dev/null 2>&1 || true; done
rm -f /tmp/mensemble-test-deps-apt.log /tmp/mensemble-slurm-apt.log

# --- 3. clone main -------------------------------------------------------------
work="$(mktemp -d /tmp/mensemble-fresh.XXXXXX)"
say "cloning main into $work/mensemble"
git clone -q --branch main "$repo" "$work/mensemble" || { say "git clone failed"; exit 2; }
cd "$work/mensemble" || exit 2
say "main is $(git log -1 --format='%h %s' | cut -c1-100)"

# --- 4. the README's two commands, exactly as written ---------------------------
# They are the first lines of the README's first ```sh block.
mapfile -t commands < <(awk '/^```sh$/ {inside=1; next} inside && /^```/ {exit} inside && NF {print}' README.md | head -n 2)
[ "${#commands[@]}" -eq 2 ] || { say "could not find the README's two commands"; exit 2; }

status=0
run() { # run <label> <env assignments...> -- <command line>
  local label="$1"; shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  local log="$work/$label.log"
  say "running (${envs[*]:-no extra environment}): $1"
  local start=$SECONDS
  env "${envs[@]}" bash -c "$1" >"$log" 2>&1
  local code=$?
  say "$label: exit $code after $((SECONDS - start)) s (output in $log)"
  [ "$code" = 0 ] || status=1
  return "$code"
}

run install-and-example -- "${commands[0]}"
tail -n 3 "$work/install-and-example.log" | sed 's/^/  | /'

run test CI=true -- "${commands[1]}"
say "the test runner's summary:"
grep -E '^ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$work/test.log" | tail -n 8 | sed 's/^/  /'
failed="$(grep -E '^✖ ' "$work/test.log" | grep -v '^✖ failing tests:' | sort -u)"
[ -z "$failed" ] || { say "failing tests:"; echo "$failed" | sed 's/^/  /'; }
grep -E '^(test-deps|run-tests): ' "$work/test.log" | sed 's/^/  /'

# --- 5. nothing left running -----------------------------------------------------
sleep 1
left="$(suite_processes)"
if [ -n "$left" ]; then
  if [ -n "$before" ]; then left="$(comm -13 <(echo "$before" | sort) <(echo "$left" | sort))"; fi
fi
if [ -n "$left" ]; then
  say "left running after the suite:"
  echo "$left" | sed 's/^/  /'
  status=1
else
  say "left running after the suite: none"
fi

cd / && [ "$keep" = yes ] || rm -rf "$work"
say "result: $([ "$status" = 0 ] && echo PASS || echo FAIL)"
exit "$status"
