# shellcheck shell=sh
# Shared by the client suites (podman.sh, containerd.sh, docker.sh); sourced,
# not run, after the suite set $needs (its client's programs). The suite gets
# the runtime as $1, a private scratch directory $work and a busybox rootfs
# tarball; it registers scenarios with `scenario` and ends with `finish`. Its
# own cleanup goes in a function named cleanup_client, which runs on every
# exit (also on failure or ^C) before $work is removed.
#
# CLIENTS_ONLY="NAME..." runs only the scenarios named.
# CLIENTS_VERBOSE=1 shows every scenario's output and the daemon's log.
# CLIENTS_TRACE=FILE puts a wrapper in front of the runtime that appends each
# argv it is called with to FILE: the way to see what a client sends.
set -eu

suite=$(basename "$0" .sh)
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 /path/to/runtime (berth, runc or crun)" >&2; exit 2; }
runtime=$(readlink -f "$1")
[ -x "$runtime" ] || { echo "$suite: $1: not an executable" >&2; exit 2; }
rtname=$(basename "$runtime")

# ctest treats 77 as "skipped" (SKIP_RETURN_CODE).
skip() { echo "$suite: SKIPPED: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
# $needs: the suite's programs; without them it is skipped, not failed.
for b in unshare script ${needs:-}; do
  command -v "$b" >/dev/null || skip "$b is not installed (make deps)"
done

# The suite runs in a private mount namespace with empty tmpfs over /run and
# /var/lib (and whatever $private_dirs adds): paths the clients hard-code
# (containerd's shim sockets in /run/containerd/s, its fifos, podman's blob
# cache in /var/lib/containers) land there, never in the host's.
if [ -z "${CLIENTS_PRIVATE_NS:-}" ]; then
  CLIENTS_PRIVATE_NS=1 exec unshare --mount --propagation private -- "$0" "$@"
fi
for d in /run /var/lib ${private_dirs:-}; do
  mount -t tmpfs -o mode=755 tmpfs "$d"
done
echo "$suite: runtime $runtime"

# Short path: unix socket paths must stay under 108 bytes.
work=$(mktemp -d /tmp/bc.XXXXXX)
cleanup_client() { :; }
# Every container's cgroup goes under this parent, removed at the end.
cgparent=berth-clients-$suite-$$
on_exit() {
  rc=$?
  trap - EXIT INT TERM
  set +e
  cleanup_client
  # The cgroup directories left empty under the suite's own parent.
  for d in /sys/fs/cgroup/"$cgparent" /sys/fs/cgroup/*/"$cgparent"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  # Anything a daemon mounted under $work (overlay, shm, netns) goes first.
  grep -o " ${work}[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$work"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# The runtime the clients are given: the binary itself, or a tracing wrapper
# with the same basename (podman picks features by the runtime's name).
mkdir -p "$work/bin" "$work/tmp"
# Temporary files of the clients and daemons stay in the scratch directory,
# e.g. containerd's stack dump on SIGUSR1, which dockerd sends before it kills
# a containerd that is slow to stop.
export TMPDIR="$work/tmp"
if [ -n "${CLIENTS_TRACE:-}" ]; then
  rt="$work/bin/$rtname"
  printf '#!/bin/sh\necho "$*" >> %s\nexec %s "$@"\n' "$CLIENTS_TRACE" "$runtime" > "$rt"
  chmod +x "$rt"
else
  rt=$runtime
fi

# A busybox rootfs as a tarball, for the clients' image import.
rootfs_tar="$work/rootfs.tar"
"$here/../make-rootfs.sh" "$work/rootfs"
tar -C "$work/rootfs" -cf "$rootfs_tar" .
rm -rf "$work/rootfs"

passed=0
failed=0
failures=""
# scenario NAME FUNCTION: runs FUNCTION in a subshell with errexit; its output
# is shown when it fails (or with CLIENTS_VERBOSE).
scenario() {
  name=$1
  shift
  case " ${CLIENTS_ONLY:-$name} " in *" $name "*) ;; *) return 0 ;; esac
  start=$(date +%s)
  # Not in an if or && list: errexit would be ignored inside the subshell.
  set +e
  (set -e; "$@") > "$work/scenario.log" 2>&1
  rc=$?
  set -e
  if [ "$rc" = 0 ]; then
    passed=$((passed + 1))
    echo "ok   $suite/$name ($(( $(date +%s) - start ))s)"
    if [ -n "${CLIENTS_VERBOSE:-}" ]; then sed 's/^/    | /' "$work/scenario.log"; fi
  else
    failed=$((failed + 1))
    failures="$failures $name"
    echo "FAIL $suite/$name"
    sed 's/^/    | /' "$work/scenario.log"
  fi
}

# Assertions for scenarios; each says what it expected on failure.
expect_eq() {  # expect_eq WHAT EXPECTED ACTUAL
  [ "$2" = "$3" ] || { echo "$1: expected [$2], got [$3]"; return 1; }
}
expect_contains() {  # expect_contains WHAT NEEDLE HAYSTACK
  case $3 in *"$2"*) ;; *) echo "$1: [$2] not in [$3]"; return 1 ;; esac
}
# wait_for SECONDS CMD...: retries CMD until it succeeds.
wait_for() {
  n=$(( $1 * 10 ))
  shift
  while ! "$@" >/dev/null 2>&1; do
    n=$((n - 1))
    [ $n -gt 0 ] || { echo "timed out waiting for: $*"; return 1; }
    sleep 0.1
  done
}
# cg PID WHAT: what the host's cgroup files say of PID's cgroup, in v1 terms
# on either layout. WHAT: memory (limit, bytes), pids (max), cpu-quota (us),
# freezer (FROZEN or THAWED).
cg() {
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then  # cgroup v2 alone
    dir=/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup")
    case $2 in
      memory) cat "$dir/memory.max" ;;
      pids) cat "$dir/pids.max" ;;
      cpu-quota) cut -d' ' -f1 "$dir/cpu.max" ;;
      freezer) if [ "$(cat "$dir/cgroup.freeze")" = 1 ]; then echo FROZEN; else echo THAWED; fi ;;
    esac
    return
  fi
  case $2 in
    memory) set -- "$1" memory memory.limit_in_bytes ;;
    pids) set -- "$1" pids pids.max ;;
    cpu-quota) set -- "$1" cpu cpu.cfs_quota_us ;;
    freezer) set -- "$1" freezer freezer.state ;;
  esac
  # The v1 hierarchy holding the controller ("cpu" in "cpu,cpuacct").
  dir=$(awk -F: -v c="$2" '{ n = split($2, cs, ","); for (i = 1; i <= n; i++) if (cs[i] == c) print $3 }' \
    "/proc/$1/cgroup")
  cat "/sys/fs/cgroup/$2$dir/$3"
}
# A container command that prints the memory limit it sees in its own
# /sys/fs/cgroup (v1 or hybrid layout, then cgroup2).
# shellcheck disable=SC2034 # for the suites that source this file
mem_inside='cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
# A container command that prints is-a-tty when its stdio is a terminal.
# containerd's shim may drop what a process printed on a terminal right before
# it exited: it shuts the console down when it reaps the process, racing the
# copy of the last output (seen twice in ~300 ctr runs with berth, never in
# ~250 with runc). The sleep keeps this check about the terminal off that race.
# shellcheck disable=SC2034 # for the suites that source this file
tty_check='test -t 0 && test -t 1 && echo is-a-tty && sleep 0.2'
# run_tty CMD...: runs CMD with a pseudo-terminal as its stdio (script(1)).
run_tty() {
  script -qec "$*" /dev/null < /dev/null
}

finish() {
  if [ -n "$failures" ]; then echo "$suite: failed:$failures"; fi
  echo "$suite: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}
