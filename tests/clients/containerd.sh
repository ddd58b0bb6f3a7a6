#!/bin/sh
# containerd drives the runtime given as $1 through its runc v2 shim:
#   tests/clients/containerd.sh build/berth   (or /usr/sbin/runc)
# or, run as containerd-shim.sh, through berth's own shim
# (containerd-shim-berth-v2 beside berth, ctr --runtime io.containerd.berth.v2):
#   tests/clients/containerd-shim.sh build/berth
# A private containerd (own config, root, state and socket under a scratch
# directory) runs for the suite; ctr imports an OCI archive of busybox-static
# and runs containers with --runc-binary or --runtime. The same scenarios
# run both ways; the shim's own (restart, events, pods, bad input) follow.
needs="containerd ctr containerd-shim-runc-v2"
. "$(dirname "$0")/common.sh"

if [ "$suite" = containerd-shim ]; then
  # containerd finds containerd-shim-berth-v2 on its PATH; the shim's
  # containers live under $BERTH_CONTAINERD_ROOT/<namespace>.
  bindir=$(dirname "$runtime")
  [ -x "$bindir/containerd-shim-berth-v2" ] || { echo "no containerd-shim-berth-v2 beside $runtime"; exit 1; }
  PATH="$bindir:$PATH"
  export BERTH_CONTAINERD_ROOT="$work/berth-state"
  rtflags="--runtime io.containerd.berth.v2"
  state_root="$BERTH_CONTAINERD_ROOT/berth-clients"
else
  rtflags="--runc-binary $rt"
  state_root=/run/containerd/runc/berth-clients
fi

# No CRI (it wants CNI and more), no snapshotters but native and overlayfs,
# no /opt/containerd.
cat > "$work/containerd.toml" <<CONF
version = 2
root = "$work/root"
state = "$work/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$work/containerd.sock"
[ttrpc]
  address = "$work/containerd.sock.ttrpc"
CONF
. "$here/containerd-common.sh"
start_containerd

# c: ctr against the private containerd, in a namespace of the suite's own.
cat > "$work/bin/c" <<C
#!/bin/sh
exec ctr --address "$work/containerd.sock" --namespace berth-clients "\$@"
C
chmod +x "$work/bin/c"
PATH="$work/bin:$PATH"

cleanup_client() {
  for t in $(c task ls -q 2>/dev/null); do c task rm -f "$t" >/dev/null 2>&1; done
  for t in $(c container ls -q 2>/dev/null); do c container rm "$t" >/dev/null 2>&1; done
  stop_containerd
}
wait_for 20 c version

img=localhost/berth-busybox:latest
"$here/oci-archive.sh" "$rootfs_tar" "$img" "$work/image.tar"
c images import --snapshotter native "$work/image.tar" >/dev/null
# run ID [ctr run flags] -- ARGS...: a container of the image with the runtime.
run() {
  id=$1
  shift
  flags=""
  while [ "$1" != -- ]; do flags="$flags $1"; shift; done
  shift
  # shellcheck disable=SC2086
  c run --snapshotter native $rtflags --cgroup "/$cgparent/$id" $flags "$img" "$id" "$@"
}
remove() {  # remove ID: the task (killed) and the container
  c task kill -s KILL "$1" >/dev/null 2>&1 || true
  wait_for 10 sh -c "! c task ls | grep -q '^$1 .*RUNNING'"
  c task rm "$1" >/dev/null 2>&1 || true
  c container rm "$1"
}
status() { c task ls | awk -v id="$1" '$1 == id { print $3 }'; }
# The host's view of a task's cgroup (see cg in common.sh).
cgroup_of() { cg "$(c task ls | awk -v id="$1" '$1 == id { print $2 }')" "$2"; }

t_echo() { expect_eq output hi "$(run echo1 --rm -- echo hi)"; }

t_exit_code() {
  rc=0
  run exit3 --rm -- sh -c 'exit 3' || rc=$?
  expect_eq "exit code" 3 "$rc"
}

t_detached() {
  run det -d -- sleep 1000
  expect_eq status RUNNING "$(status det)"
  expect_eq "exec output" in "$(c task exec --exec-id e1 det echo in)"
  rc=0
  c task exec --exec-id e2 det sh -c 'exit 5' || rc=$?
  expect_eq "exec exit code" 5 "$rc"
  # sleep as pid 1 ignores SIGTERM: stopping takes a SIGKILL.
  c task kill -s TERM det
  sleep 0.5
  expect_eq "status after SIGTERM" RUNNING "$(status det)"
  c task kill -s KILL det
  wait_for 10 sh -c "c task ls | grep -q '^det .*STOPPED'"
  c task rm det >/dev/null
  c container rm det
  expect_eq "containers left" "" "$(c container ls -q)"
}

t_tty() {
  # shellcheck disable=SC2086
  out=$(run_tty c run --snapshotter native $rtflags --cgroup "/$cgparent/tty" --rm -t \
    "$img" tty sh -c "'$tty_check'")
  expect_contains output is-a-tty "$out"
  run ttyd -d -- sleep 1000
  out=$(run_tty c task exec -t --exec-id et ttyd sh -c "'$tty_check'")
  expect_contains "exec output" is-a-tty "$out"
  remove ttyd
}

t_limits() {
  # ctr has no pids flag; cpu quota stands in for the second limit.
  run lim -d --memory-limit 67108864 --cpus 0.5 -- sleep 1000
  expect_eq "memory limit" 67108864 "$(cgroup_of lim memory)"
  expect_eq "cpu quota" 50000 "$(cgroup_of lim cpu-quota)"
  # (ctr's default spec mounts no cgroupfs, so the limit is not read inside.)
  remove lim
}

t_pause() {
  run pau -d -- sleep 1000
  c task pause pau
  expect_eq status PAUSED "$(status pau)"
  expect_eq freezer FROZEN "$(cgroup_of pau freezer)"
  c task resume pau
  expect_eq status RUNNING "$(status pau)"
  expect_eq "exec after resume" in "$(c task exec --exec-id e1 pau echo in)"
  # A paused task is removed by force.
  c task pause pau
  c task rm -f pau >/dev/null
  c container rm pau
  expect_eq "containers left" "" "$(c container ls -q)"
}

t_ps() {
  run psc -d -- sleep 1000
  pid=$(c task ls | awk '$1 == "psc" { print $2 }')
  out=$(c task ps psc)
  echo "$out"
  expect_contains "task ps" "$pid" "$out"
  remove psc
}

t_stats() {
  run sta -d -- sleep 1000
  out=$(c task metrics sta)
  echo "$out"
  expect_contains metrics memory "$out"
  # What newer shims also call, with their global flags: events --stats, features.
  out=$("$rt" --root "$state_root" --log "$work/direct.json" --log-format json \
    events --stats sta)
  echo "$out"
  expect_contains "events --stats" '"type":"stats"' "$out"
  expect_contains features ociVersionMax "$("$rt" --log "$work/direct.json" --log-format json features)"
  remove sta
}

t_kill() {
  # The init traps USR1 and exits 7: the signal arrived.
  run sig --rm -- sh -c 'trap "echo got-usr1; exit 7" USR1; echo ready; while :; do sleep 0.1; done' \
    > "$work/sig.out" 2>&1 &
  ctr_pid=$!
  wait_for 10 grep -q ready "$work/sig.out"
  c task kill -s USR1 sig
  rc=0
  wait "$ctr_pid" || rc=$?
  expect_eq "exit code" 7 "$rc"
  expect_contains output got-usr1 "$(cat "$work/sig.out")"
}

t_missing_exec() {
  rc=0
  out=$(run miss --rm -- /no-such-binary 2>&1) || rc=$?
  echo "ctr said: $out (exit $rc)"
  [ "$rc" -ne 0 ]
  expect_contains message no-such-binary "$out"
  c container rm miss >/dev/null 2>&1 || true
}

# berth-vm as the runc binary: the task runs in a utility VM, on its kernel.
t_vm() {
  out=$(c run --snapshotter native --runc-binary "$(dirname "$runtime")/berth-vm" --cgroup "/$cgparent/vm1" --rm \
    "$img" vm1 uname -r)
  echo "guest kernel: $out"
  [ -n "$out" ] && [ "$out" != "$(uname -r)" ]
}

# The topics of a task's events, in the order containerd got them: a task
# run, exec'd in, paused, resumed, killed and removed.
t_events() {
  c events > "$work/events.out" 2>&1 &
  events_pid=$!
  sleep 0.3
  run evt -d -- sleep 1000
  c task exec --exec-id e1 evt true
  c task pause evt
  c task resume evt
  c task kill -s KILL evt
  wait_for 10 sh -c "c task ls | grep -q '^evt .*STOPPED'"
  c task rm evt >/dev/null
  c container rm evt
  sleep 0.5
  kill "$events_pid"
  cat "$work/events.out"
  got=$(grep '"container_id":"evt"' "$work/events.out" | grep -o '/tasks/[a-z-]*' | tr '\n' ' ')
  expect_eq topics "/tasks/create /tasks/start /tasks/exec-added /tasks/exec-started /tasks/exit \
/tasks/paused /tasks/resumed /tasks/exit /tasks/delete " "$got"
}

# containerd dies (SIGKILL) and comes back while tasks run: they are still
# listed, one that exited meanwhile as stopped with its exit code, and the
# running one still answers exec, kill and delete.
t_restart() {
  run rs1 -d -- sleep 1000
  run rs2 -d -- sh -c 'sleep 1; exit 7'
  kill -9 "$containerd_pid"
  wait "$containerd_pid" 2>/dev/null || true
  sleep 2
  start_containerd
  wait_for 20 c version
  c task ls
  expect_eq "rs1 after the restart" RUNNING "$(status rs1)"
  wait_for 10 sh -c "c task ls | grep -q '^rs2 .*STOPPED'"
  # ctr shows no exit code; berth's shim is asked (containerd got it as
  # /tasks/exit, sent again until containerd was back to take it).
  if [ "$suite" = containerd-shim ]; then
    expect_eq "rs2's state" "STOPPED 7" "$(shim_call state rs2)"
  fi
  c task rm rs2 >/dev/null
  c container rm rs2
  expect_eq "exec after the restart" in "$(c task exec --exec-id e1 rs1 echo in)"
  remove rs1
  expect_eq "containers left" "" "$(c container ls -q)"
}

# shim_call state|bad-input ID: berth's shim of task ID, asked directly.
shim_call() {
  python3 "$here/ttrpc_client.py" "$1" "$(cat "$work/state/io.containerd.runtime.v2.task/berth-clients/$2/address")" "$2"
}
# The pids of the shims serving this suite's containerd.
shims() {
  for p in $(pgrep -f containerd-shim-berth); do
    grep -qs "$work/containerd.sock" "/proc/$p/cmdline" && echo "$p"
  done
  return 0
}

# A pod: a sandbox and a member, named by containerd's CRI annotations, are
# served by one shim process, which stays while either is left.
t_pod() {
  sb="--annotation io.kubernetes.cri.container-type=sandbox --annotation io.kubernetes.cri.sandbox-id=pod1"
  member="--annotation io.kubernetes.cri.container-type=container --annotation io.kubernetes.cri.sandbox-id=pod1"
  # shellcheck disable=SC2086
  run pod1 -d $sb -- sleep 1000
  # shellcheck disable=SC2086
  run pod1-app -d $member -- sleep 1000
  bundles="$work/state/io.containerd.runtime.v2.task/berth-clients"
  expect_eq "one address" "$(cat "$bundles/pod1/address")" "$(cat "$bundles/pod1-app/address")"
  expect_eq "shim processes" 1 "$(shims | wc -l)"
  expect_eq "exec in the member" in "$(c task exec --exec-id e1 pod1-app echo in)"
  remove pod1-app
  expect_eq "shim processes with the sandbox left" 1 "$(shims | wc -l)"
  expect_eq "sandbox after its member went" RUNNING "$(status pod1)"
  remove pod1
  i=0
  while [ -n "$(shims)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  expect_eq "shims once the pod is gone" "" "$(shims)"
  # A container of no pod has a shim of its own.
  run solo -d -- sleep 1000
  expect_eq "shim processes" 1 "$(shims | wc -l)"
  remove solo
}

# The pod's shim killed: containerd's cleanup (the shim's delete) kills the
# container and forgets the task, and leaves no process, state or mount.
t_shim_killed() {
  run lost -d -- sleep 1000
  pid=$(c task ls | awk '$1 == "lost" { print $2 }')
  kill -9 "$(shims)"
  wait_for 10 sh -c "! c task ls | grep -q '^lost '"
  wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
  c task rm lost >/dev/null 2>&1 || true
  c container rm lost
  expect_eq "berth's containers left" "" "$("$rt" --root "$state_root" list -q)"
  expect_eq "rootfs mounts left" "" "$(grep -o " $work/state/[^ ]*lost[^ ]*" /proc/self/mounts || true)"
}

# Malformed frames and payloads, unknown methods and ids sent to the shim:
# each gets an error status, and the shim and its task go on.
t_bad_input() {
  run bad -d -- sleep 1000
  shim_call bad-input bad
  expect_eq status RUNNING "$(status bad)"
  remove bad
}

# The RuntimeClass handler berth-vm: containerd-shim-berth-vm-v2 runs the
# task in a utility VM (berth-vm), on the guest's kernel; a pod's member
# joins its sandbox's VM, and the pod still has one containerd shim.
t_vm_shim() {
  vm="--runtime io.containerd.berth-vm.v2"
  # shellcheck disable=SC2086
  out=$(c run --snapshotter native $vm --cgroup "/$cgparent/vm2" --rm "$img" vm2 uname -r)
  echo "guest kernel: $out"
  [ -n "$out" ] && [ "$out" != "$(uname -r)" ]
  sb="--annotation io.kubernetes.cri.container-type=sandbox --annotation io.kubernetes.cri.sandbox-id=vmpod"
  member="--annotation io.kubernetes.cri.container-type=container --annotation io.kubernetes.cri.sandbox-id=vmpod"
  # shellcheck disable=SC2086
  c run -d --snapshotter native $vm --cgroup "/$cgparent/vmpod" $sb "$img" vmpod sleep 1000
  # shellcheck disable=SC2086
  c run -d --snapshotter native $vm --cgroup "/$cgparent/vmpod-app" $member "$img" vmpod-app sleep 1000
  expect_eq "shim processes for the VM pod" 1 "$(shims | wc -l)"
  boot_sb=$(c task exec --exec-id b1 vmpod cat /proc/sys/kernel/random/boot_id)
  boot_app=$(c task exec --exec-id b2 vmpod-app cat /proc/sys/kernel/random/boot_id)
  expect_eq "one kernel for the pod" "$boot_sb" "$boot_app"
  [ "$boot_app" != "$(cat /proc/sys/kernel/random/boot_id)" ] || { echo "the member runs on the host's kernel"; return 1; }
  remove vmpod-app
  remove vmpod
}

scenario echo t_echo
scenario exit-code t_exit_code
scenario detached-exec-stop-rm t_detached
scenario tty t_tty
scenario limits t_limits
scenario pause-resume t_pause
scenario ps t_ps
scenario stats t_stats
scenario kill-signal t_kill
scenario missing-executable t_missing_exec
scenario events t_events
scenario containerd-restart t_restart
if [ "$suite" = containerd-shim ]; then
  scenario pod-one-shim t_pod
  scenario bad-input t_bad_input
  scenario shim-killed t_shim_killed
  scenario vm-shim t_vm_shim
fi
[ "$rtname" = berth ] && scenario vm t_vm
finish
