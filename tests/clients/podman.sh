#!/bin/sh
# podman drives the runtime given as $1: tests/clients/podman.sh build/berth
# (or /usr/sbin/runc, to check the scenarios themselves). podman runs with its
# own root, runroot, tmpdir and config under a scratch directory, cgroupfs,
# no network, and an image imported from busybox-static.
needs="podman conmon"
. "$(dirname "$0")/common.sh"

# podman picks the runtime's features (JSON errors from --log) by its
# basename, so it is listed in runtime_supports_json; root would get
# nofile=1048576 and nproc=1048576 by default, above the hard limits here.
mkdir -p "$work/net"
cat > "$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[network]
network_backend = "cni"
network_config_dir = "$work/net"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$work/events.log"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "$rtname", "berth-vm"]
# A pod's infra container: without this podman builds a pause image around
# catatonit, which Debian installs only as a recommendation.
infra_image = "localhost/berth-pause"
[engine.runtimes]
$rtname = ["$rt"]
CONF
cat > "$work/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$work/root"
runroot = "$work/run"
CONF
export CONTAINERS_CONF="$work/containers.conf" CONTAINERS_STORAGE_CONF="$work/storage.conf"
export CONTAINERS_REGISTRIES_CONF=/dev/null

# pm: podman with every private setting (a script, so run_tty can call it).
cat > "$work/bin/pm" <<PM
#!/bin/sh
exec podman --root "$work/root" --runroot "$work/run" --tmpdir "$work/tmp" --storage-driver vfs \\
  --cgroup-manager cgroupfs --events-backend file --runtime "$rt" "\$@"
PM
chmod +x "$work/bin/pm"
PATH="$work/bin:$PATH"
cleanup_client() {
  pm rm -af -t 0 >/dev/null 2>&1
  pm pod rm -af -t 0 >/dev/null 2>&1
  pm system prune -af >/dev/null 2>&1
  # kube play has no --cgroup-parent: its pods go under podman's default
  # parent, removed when this suite made it and left it empty.
  for d in $libpod_parents; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
}
libpod_parents=""
for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
  [ -d "$h" ] && [ ! -e "$h/libpod_parent" ] && libpod_parents="$libpod_parents $h/libpod_parent"
done

img=localhost/berth-busybox
# With a PATH, as real images have: kube play, unlike run, adds none.
pm import -q --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' "$rootfs_tar" "$img" >/dev/null
# The infra image: busybox whose entrypoint waits for a signal and exits 0.
pm import -q --change 'ENTRYPOINT ["/bin/sh", "-c", "trap \"exit 0\" TERM INT; sleep 1000000 & wait"]' \
  "$rootfs_tar" localhost/berth-pause >/dev/null
run() { pm run --network none --cgroup-parent "/$cgparent" "$@"; }
# The client (a wrapper in $work/bin) and its forced remove, for docker-like.sh.
cli=pm
rmf="pm rm -f -t 0"
. "$(dirname "$0")/docker-like.sh"





t_tty() {
  out=$(run_tty pm run --rm -t --network none --cgroup-parent "/$cgparent" "$img" \
    sh -c "'$tty_check'")
  expect_contains output is-a-tty "$out"
  run -d --name tty "$img" sleep 1000 >/dev/null
  out=$(run_tty pm exec -t tty sh -c "'$tty_check'")
  expect_contains "exec output" is-a-tty "$out"
  pm rm -f -t 0 tty >/dev/null
}

t_limits() {
  run -d --name lim --memory 64m --pids-limit 50 "$img" sleep 1000 >/dev/null
  expect_eq "memory limit" 67108864 "$(cgroup_of lim memory)"
  expect_eq "pids limit" 50 "$(cgroup_of lim pids)"
  expect_eq "memory limit inside" 67108864 "$(pm exec lim sh -c "$mem_inside")"
  pm rm -f -t 0 lim >/dev/null
}



t_stats() {
  run -d --name sta "$img" sleep 1000 >/dev/null
  out=$(pm stats --no-stream --format '{{.ID}} {{.MemUsage}} {{.PIDs}}' sta)
  echo "stats: $out"
  expect_contains pids " 1" "$out"
  pm rm -f -t 0 sta >/dev/null
}

# The pod's infra container (its host pid) and its netns, never the host's.
infra_pid() {
  pm inspect -f '{{.State.Pid}}' "$(pm pod inspect -f '{{.InfraContainerID}}' "$1")"
}
not_host_netns() {
  if [ "$1" = "$(readlink /proc/self/ns/net)" ]; then echo "pod in the host's netns"; return 1; fi
}
# Whether the runtime still has a container (its state under the runtime's
# root: podman passes none, so the runtime's default, in the private /run).
runtime_has() { "$rt" list -q | grep -qx "$1"; }

t_pod() {
  # Members run with the pod's network and cgroup parent (run's --network
  # none would give a member a netns of its own).
  pm pod create --name pd --network none --cgroup-parent "/$cgparent" >/dev/null
  pm run -d --pod pd --name pd1 "$img" sleep 1000 >/dev/null
  infra=$(pm pod inspect -f '{{.InfraContainerID}}' pd)
  ipid=$(infra_pid pd)
  net=$(readlink "/proc/$ipid/ns/net")
  not_host_netns "$net"
  # podman shares net, ipc and uts in a pod by default; pid stays the member's.
  expect_eq "member 1 netns" "$net" "$(pm exec pd1 readlink /proc/self/ns/net)"
  expect_eq "member 2 netns" "$net" "$(pm run --rm --pod pd "$img" readlink /proc/self/ns/net)"
  expect_eq "member 1 ipcns" "$(readlink "/proc/$ipid/ns/ipc")" "$(pm exec pd1 readlink /proc/self/ns/ipc)"
  expect_eq "member 2 utsns" "$(readlink "/proc/$ipid/ns/uts")" \
    "$(pm run --rm --pod pd "$img" readlink /proc/self/ns/uts)"
  expect_eq "member 1 hostname" "$(pm exec "$infra" hostname)" "$(pm exec pd1 hostname)"
  expect_eq "member 1 pid 1" "sleep 1000" "$(pm exec pd1 sh -c 'tr "\0" " " < /proc/1/cmdline' | sed 's/ $//')"
  expect_eq "interfaces" lo "$(pm run --rm --pod pd "$img" ls /sys/class/net)"
  rc=0
  pm run --rm --pod pd "$img" sh -c 'exit 4' || rc=$?
  expect_eq "member exit code" 4 "$rc"
  expect_eq "member 1 after the others" running "$(pm inspect -f '{{.State.Status}}' pd1)"
  # The pod's cgroup, on the host, while it runs.
  cgdir=/sys/fs/cgroup/memory$(pm pod inspect -f '{{.CgroupPath}}' pd)
  [ -d "$cgdir" ] || { echo "no pod cgroup $cgdir"; return 1; }
  pm pod stop -t 1 pd >/dev/null
  expect_eq "member 1 after pod stop" exited "$(pm inspect -f '{{.State.Status}}' pd1)"
  expect_eq "infra after pod stop" exited "$(pm inspect -f '{{.State.Status}}' "$infra")"
  pm pod rm pd >/dev/null
  if pm pod exists pd; then echo "pod pd still exists"; return 1; fi
  if pm container exists pd1; then echo "pd1 still exists"; return 1; fi
  if pm container exists "$infra"; then echo "infra still exists"; return 1; fi
  if runtime_has "$infra"; then echo "$rtname still has the infra"; return 1; fi
  if [ -d "$cgdir" ]; then echo "pod cgroup $cgdir left behind"; return 1; fi
}

# A pod without an infra container: its members name the pod itself as
# their sandbox, and each has namespaces of its own.
t_pod_no_infra() {
  pm pod create --name ni --infra=false --cgroup-parent "/$cgparent" >/dev/null
  # --network none: no infra to share a network from, and no CNI here.
  pm run -d --pod ni --network none --name ni1 "$img" sleep 1000 >/dev/null
  id=$(pm inspect -f '{{.Id}}' ni1)
  expect_eq "member output" hi "$(pm run --rm --pod ni --network none "$img" echo hi)"
  rc=0
  pm run --rm --pod ni --network none "$img" sh -c 'exit 6' || rc=$?
  expect_eq "member exit code" 6 "$rc"
  expect_eq "exec" in "$(pm exec ni1 echo in)"
  pm pod stop -t 1 ni >/dev/null
  expect_eq "member after pod stop" exited "$(pm inspect -f '{{.State.Status}}' ni1)"
  pm pod rm ni >/dev/null
  if pm container exists ni1; then echo "ni1 still exists"; return 1; fi
  if runtime_has "$id"; then echo "$rtname still has $id"; return 1; fi
}

t_kube_play() {
  cat > "$work/kp.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: kp
spec:
  restartPolicy: Never
  containers:
  - name: a
    image: $img
    command: ["sleep", "1000"]
  - name: b
    image: $img
    command: ["sleep", "1000"]
YAML
  pm kube play --network none "$work/kp.yaml"
  expect_eq "kp-a" running "$(pm inspect -f '{{.State.Status}}' kp-a)"
  expect_eq "kp-b" running "$(pm inspect -f '{{.State.Status}}' kp-b)"
  net=$(readlink "/proc/$(infra_pid kp)/ns/net")
  not_host_netns "$net"
  expect_eq "kp-a netns" "$net" "$(pm exec kp-a readlink /proc/self/ns/net)"
  expect_eq "kp-b netns" "$net" "$(pm exec kp-b readlink /proc/self/ns/net)"
  expect_eq "kp-a pid 1" "sleep 1000" "$(pm exec kp-a sh -c 'tr "\0" " " < /proc/1/cmdline' | sed 's/ $//')"
  ids=$(pm ps -a -q --no-trunc --filter pod=kp)
  pm kube down "$work/kp.yaml"
  if pm pod exists kp; then echo "pod kp still exists"; return 1; fi
  for id in $ids; do
    if runtime_has "$id"; then echo "$rtname still has $id"; return 1; fi
  done
}

# berth-vm, berth by the name that gives every sandbox a utility VM: the
# container runs on the guest's kernel and its exit code comes back.
t_vm() {
  vm_rt="$(dirname "$runtime")/berth-vm"
  out=$(pm --runtime "$vm_rt" run --rm --network none "$img" uname -r)
  echo "guest kernel: $out"
  [ -n "$out" ] && [ "$out" != "$(uname -r)" ]
  rc=0
  pm --runtime "$vm_rt" run --rm --network none "$img" sh -c 'exit 6' || rc=$?
  expect_eq "exit code" 6 "$rc"
}

scenario echo t_echo
scenario exit-code t_exit_code
scenario detached-exec-stop-rm t_detached
scenario tty t_tty
scenario limits t_limits
scenario pause-unpause t_pause
scenario top t_top
scenario stats t_stats
scenario kill-signal t_kill
scenario missing-executable t_missing_exec
scenario pod t_pod
scenario pod-without-infra t_pod_no_infra
scenario kube-play t_kube_play
[ "$rtname" = berth ] && scenario vm t_vm
finish
