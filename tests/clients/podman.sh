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
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "$rtname"]
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
  pm system prune -af >/dev/null 2>&1
}

img=localhost/berth-busybox
pm import -q "$rootfs_tar" "$img" >/dev/null
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
finish
