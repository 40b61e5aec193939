#!/usr/bin/env bash
# The one place that knows which system packages mensemble's test suite needs,
# and the one place that installs them (Debian's packages, with apt-get).
#
#   scripts/test-deps.sh install           install every missing package (root)
#   scripts/test-deps.sh missing <group>   print the group's missing packages, one a line
#   scripts/test-deps.sh list [group]      print the packages (all groups, or one)
#   scripts/test-deps.sh groups            print the group names
#
# scripts/run-tests.mjs runs `install` once, before any test file starts, so
# that no two test files ever run apt-get at the same time. Concurrent callers
# of `install` are serialised by a lock of our own, and apt-get itself waits
# for dpkg's lock (DPkg::Lock::Timeout) instead of failing on it. Test files
# only ask `missing` (test/system-packages.ts) and skip or fail with what it
# says.
#
# Exit codes of `install`: 0 everything is installed; 1 an installation failed
# (the last lines of apt-get's log are printed); 3 packages are missing and
# this user cannot install them (not root, or no apt-get).
set -euo pipefail

# group -> packages. Later work adds groups here and nowhere else.
declare -A GROUPS_PKGS=(
  [slurm]="slurm-wlm munge slurmdbd mariadb-server"
  [chromium]="chromium"
  [jinja2]="python3-jinja2 python3-yaml"
  # model-ensembler's own code (../shared/model-ensembler/src) run as the specification: it also imports jsonschema and copies templates with rsync.
  [model-ensembler]="python3-jinja2 python3-yaml python3-jsonschema rsync"
  # Grid Engine (Son of Grid Engine): the test cell of scripts/sge-up.sh.
  [gridengine]="gridengine-master gridengine-exec gridengine-client"
)
GROUP_ORDER=(slurm chromium jinja2 model-ensembler gridengine)

LOG="${MENSEMBLE_TEST_DEPS_LOG:-/tmp/mensemble-test-deps-apt.log}"
LOCK="${MENSEMBLE_TEST_DEPS_LOCK:-/tmp/mensemble-test-deps.lock}"
APT_WAIT_SECONDS=600

say() { echo "test-deps: $*" >&2; }

installed() { # installed <package>
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

packages_of() { # packages_of [group]
  if [ $# -eq 0 ]; then
    local g
    # Groups may share packages: each once.
    for g in "${GROUP_ORDER[@]}"; do echo ${GROUPS_PKGS[$g]}; done | tr ' ' '\n' | awk '!seen[$0]++'
  else
    [ -n "${GROUPS_PKGS[$1]+x}" ] || { say "unknown group '$1' (groups: ${GROUP_ORDER[*]})"; exit 2; }
    echo ${GROUPS_PKGS[$1]} | tr ' ' '\n'
  fi
}

missing_of() { # missing_of [group]
  local p
  for p in $(packages_of "$@"); do installed "$p" || echo "$p"; done
}

apt() { # apt <apt-get arguments...>: waits for dpkg's lock rather than failing on it
  DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout="$APT_WAIT_SECONDS" "$@"
}

# Grid Engine's packages ask for the master's host and cell; with these answers
# the master's postinst creates the cell (init_cluster) on a fresh install.
preseed_gridengine() { # preseed_gridengine <missing packages>
  case " $1 " in *" gridengine-"*) ;; *) return 0 ;; esac
  local host p
  host="$(hostname)"
  for p in gridengine-common gridengine-client gridengine-master gridengine-exec; do
    printf '%s shared/gridenginemaster string %s\n%s shared/gridenginecell string default\n%s shared/gridengineconfig boolean true\n' "$p" "$host" "$p" "$p"
  done | debconf-set-selections
}

install_missing() {
  command -v dpkg-query >/dev/null 2>&1 || { say "this machine has no dpkg: install $(packages_of | tr '\n' ' ')by hand"; exit 3; }
  # One installer at a time, whoever started it; the second one then finds nothing missing.
  exec 9>"$LOCK"
  flock -w "$APT_WAIT_SECONDS" 9 || { say "timed out waiting for another scripts/test-deps.sh ($LOCK)"; exit 1; }
  local missing
  missing="$(missing_of | tr '\n' ' ')"
  missing="${missing% }"
  if [ -z "$missing" ]; then
    say "all test packages are installed"
    return 0
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "missing: $missing (installing them needs root and apt-get)"
    exit 3
  fi
  say "installing $missing"
  local start=$SECONDS
  preseed_gridengine "$missing"
  # shellcheck disable=SC2086 # the list is ours: package names without spaces
  if ! apt install $missing >"$LOG" 2>&1; then
    # A fresh machine may have stale or no package lists.
    say "apt-get install failed once; running apt-get update and trying again"
    # shellcheck disable=SC2086
    apt update >>"$LOG" 2>&1 && apt install $missing >>"$LOG" 2>&1 || {
      say "apt-get install $missing failed; the end of $LOG:"
      tail -n 5 "$LOG" | sed 's/^/test-deps:   /' >&2
      exit 1
    }
  fi
  missing="$(missing_of | tr '\n' ' ')"
  [ -z "${missing% }" ] || { say "apt-get succeeded but ${missing% } is still not installed; see $LOG"; exit 1; }
  say "installed in $((SECONDS - start)) s"
}

case "${1:-}" in
  install) install_missing ;;
  missing) shift; missing_of "$@" ;;
  list) shift; packages_of "$@" ;;
  groups) printf '%s\n' "${GROUP_ORDER[@]}" ;;
  *) echo "usage: $0 install | missing [group] | list [group] | groups" >&2; exit 2 ;;
esac
