#!/bin/sh
# docker drives the runtime given as $1: tests/clients/docker.sh build/berth
# (or /usr/sbin/runc). A private dockerd (own data-root, exec-root, socket,
# pidfile and config, no bridge, no iptables) runs with the containerd it
# manages itself, the runtime added with --add-runtime, and an image from
# `docker import` of busybox-static.
# dockerd 20.10 writes /etc/docker/key.json, its containerd makes /opt/containerd.
private_dirs="/etc/docker /opt"
needs="dockerd containerd containerd-shim-runc-v2"
. "$(dirname "$0")/common.sh"
# The client of the same package as dockerd (another may come first in PATH).
docker=/usr/bin/docker
[ -x "$docker" ] || docker=$(command -v docker) || skip "the docker client is not installed"

# "runc" is a name dockerd reserves for its own runc.
rtalias=$rtname
[ "$rtalias" != runc ] || rtalias=runc-checked
echo '{}' > "$work/daemon.json"
dockerd --config-file "$work/daemon.json" --data-root "$work/data" --exec-root "$work/exec" \
  -H "unix://$work/docker.sock" --pidfile "$work/docker.pid" \
  --iptables=false --ip-masq=false --ip-forward=false --bridge=none --userland-proxy=false \
  --storage-driver vfs --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/$cgparent" \
  --add-runtime "$rtalias=$rt" --log-level warn > "$work/dockerd.log" 2>&1 &
dockerd_pid=$!

# d: the docker client against the private dockerd.
cat > "$work/bin/d" <<D
#!/bin/sh
DOCKER_CONFIG="$work/client" exec $docker -H "unix://$work/docker.sock" "\$@"
D
chmod +x "$work/bin/d"
PATH="$work/bin:$PATH"

cleanup_client() {
  d ps -aq 2>/dev/null | xargs -r d rm -f >/dev/null 2>&1
  kill "$dockerd_pid" 2>/dev/null
  wait "$dockerd_pid" 2>/dev/null
  # A containerd or shims left behind by a failure: named by the exec-root.
  grep -l "$work/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 |
    while read -r p; do kill -9 "$p" 2>/dev/null; done
  if [ -n "${CLIENTS_VERBOSE:-}" ]; then cat "$work/dockerd.log"; fi
}
wait_for 30 d version

img=localhost/berth-busybox
d import "$rootfs_tar" "$img" >/dev/null
run() { d run --runtime "$rtalias" --network none "$@"; }
# The client (a wrapper in $work/bin) and its forced remove, for docker-like.sh.
cli=d
rmf="d rm -f"
. "$(dirname "$0")/docker-like.sh"




t_tty() {
  out=$(run_tty d run --runtime "$rtalias" --network none --rm -t "$img" \
    sh -c "'$tty_check'")
  expect_contains output is-a-tty "$out"
  run -d --name tty "$img" sleep 1000 >/dev/null
  out=$(run_tty d exec -t tty sh -c "'$tty_check'")
  expect_contains "exec output" is-a-tty "$out"
  d rm -f tty >/dev/null
}

t_limits() {
  run -d --name lim --memory 64m --pids-limit 50 "$img" sleep 1000 >/dev/null
  expect_eq "memory limit" 67108864 "$(cgroup_of lim memory)"
  expect_eq "pids limit" 50 "$(cgroup_of lim pids)"
  expect_eq "memory limit inside" 67108864 "$(d exec lim sh -c "$mem_inside")"
  # docker update goes to the runtime as `update --resources -`.
  d update --memory 128m --memory-swap 256m --pids-limit 60 lim >/dev/null
  expect_eq "memory after update" 134217728 "$(cgroup_of lim memory)"
  expect_eq "pids after update" 60 "$(cgroup_of lim pids)"
  d rm -f lim >/dev/null
}



t_stats() {
  run -d --name sta "$img" sleep 1000 >/dev/null
  out=$(d stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' sta)
  echo "stats: $out"
  expect_contains pids " 1" "$out"
  d rm -f sta >/dev/null
}

scenario echo t_echo
scenario exit-code t_exit_code
scenario detached-exec-stop-rm t_detached
scenario tty t_tty
scenario limits-and-update t_limits
scenario pause-unpause t_pause
scenario top t_top
scenario stats t_stats
scenario kill-signal t_kill
scenario missing-executable t_missing_exec
finish
