#!/bin/sh
# Rootless podman drives the runtime given as $1, as an ordinary user:
# tests/clients/podman-rootless.sh build/berth (or /usr/sbin/runc, to check
# the scenarios themselves). The suite makes a throwaway user with its own
# /etc/subuid and /etc/subgid range, home, XDG_RUNTIME_DIR (0700, its own)
# and podman config (vfs, cgroupfs, events to a file, no network), and runs
# every podman command as that user: podman then runs conmon and the runtime
# as uid 0 of a user namespace it made with newuidmap, which is where a
# runtime must act as rootless (cgroups it may not create are skipped, device
# nodes are bind mounts, state goes under $XDG_RUNTIME_DIR). The user, its
# id ranges and its processes go at exit, also on failure.
needs="podman conmon newuidmap newgidmap setpriv useradd userdel timeout"
. "$(dirname "$0")/common.sh"

# / shared, as systemd leaves it on a host, so rootless podman does not warn:
# in the suite's private mount namespace this reaches no mount of the host's.
mount --make-rshared /

# The user gets its own range of 65536 ids, after every range in use.
user=berthrl$$
ids_start=$(cat /etc/subuid /etc/subgid 2>/dev/null |
  awk -F: 'BEGIN { m = 200000 } NF == 3 && $2 + $3 > m { m = $2 + $3 } END { print m }')
ids_count=65536
home="$work/home"
xdg="$work/xdg"
cleanup_client() {
  # podman's own teardown first, then whatever of the user still runs
  # (conmon, a container, podman's pause process): by pid, the user's alone.
  if id "$user" >/dev/null 2>&1; then
    pu rm -af -t 0 >/dev/null 2>&1
    pu pod rm -af -t 0 >/dev/null 2>&1
    uid=$(id -u "$user")
    for s in /proc/[0-9]*/status; do
      awk -v u="$uid" '$1 == "Uid:" && $2 == u { found = 1 } END { exit !found }' "$s" 2>/dev/null || continue
      p=${s#/proc/}
      kill -9 "${p%/status}" 2>/dev/null
    done
    # A container's processes run as the user's subordinate ids.
    for s in /proc/[0-9]*/status; do
      awk -v a="$ids_start" -v n="$ids_count" '$1 == "Uid:" && $2 >= a && $2 < a + n { f = 1 } END { exit !f }' \
        "$s" 2>/dev/null || continue
      p=${s#/proc/}
      kill -9 "${p%/status}" 2>/dev/null
    done
    sleep 0.2
    userdel "$user" >/dev/null 2>&1 || echo "podman-rootless: userdel $user failed" >&2
  fi
  for f in /etc/subuid /etc/subgid; do
    if grep -q "^$user:" "$f" 2>/dev/null; then sed -i "/^$user:/d" "$f"; fi
  done
}

# No home made by useradd, no ranges of its own (SUB_*_COUNT=0): ours below.
useradd -M -d "$home" -s /bin/sh -U -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$user"
echo "$user:$ids_start:$ids_count" >> /etc/subuid
echo "$user:$ids_start:$ids_count" >> /etc/subgid
uid=$(id -u "$user")
gid=$(id -g "$user")
echo "podman-rootless: user $user ($uid:$gid), subordinate ids $ids_start+$ids_count"

# The user reaches its directories through $work (root's, 0700 by mktemp).
chmod 711 "$work"
mkdir -p "$home/tmp" "$home/data" "$xdg" "$work/rt"
chown -R "$uid:$gid" "$home" "$xdg"
chmod 700 "$xdg"

# The runtime as the user can run it, under its own basename (podman picks
# its features by it), with berth's shim beside it.
cp "$runtime" "$work/rt/$rtname"
[ ! -x "$(dirname "$runtime")/berth-shim" ] || cp "$(dirname "$runtime")/berth-shim" "$work/rt/"
chmod 755 "$work/rt" "$work/rt"/*
urt="$work/rt/$rtname"
if [ -n "${CLIENTS_TRACE:-}" ]; then
  urt="$work/rt/trace/$rtname"
  mkdir -p "$work/rt/trace"
  printf '#!/bin/sh\necho "$*" >> %s\nexec %s "$@"\n' "$CLIENTS_TRACE" "$work/rt/$rtname" > "$urt"
  chmod 755 "$work/rt/trace" "$urt"
  touch "$CLIENTS_TRACE"
  chmod a+w "$CLIENTS_TRACE"
fi

cat > "$home/containers.conf" <<CONF
[containers]
netns = "none"
default_ulimits = ["nofile=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$home/events.log"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "$rtname"]
# A pod's infra container, as podman.sh makes it (no catatonit needed).
infra_image = "localhost/berth-pause"
[engine.runtimes]
$rtname = ["$urt"]
CONF
cat > "$home/storage.conf" <<CONF
[storage]
driver = "vfs"
# A user's graphroot comes from rootless_storage_path (graphroot is root's).
rootless_storage_path = "$home/storage"
runroot = "$xdg/containers"
CONF
cp "$rootfs_tar" "$home/rootfs.tar"
chown "$uid:$gid" "$home/containers.conf" "$home/storage.conf" "$home/rootfs.tar"

# pu: podman as the user, in a clean environment, from its home, each call
# bounded in time (in the foreground: run_tty gives it a terminal).
cat > "$work/bin/pu" <<PU
#!/bin/sh
cd "$home" || exit 1
exec timeout --foreground -k 10 180 setpriv --reuid $uid --regid $gid --init-groups \\
  env -i HOME="$home" USER=$user LOGNAME=$user PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM="\${TERM:-dumb}" \\
  XDG_RUNTIME_DIR="$xdg" TMPDIR="$home/tmp" \\
  CONTAINERS_CONF="$home/containers.conf" CONTAINERS_STORAGE_CONF="$home/storage.conf" \\
  CONTAINERS_REGISTRIES_CONF=/dev/null \\
  podman --runtime "$urt" "\$@"
PU
chmod 755 "$work/bin/pu"
PATH="$work/bin:$PATH"

img=localhost/berth-busybox
pu import -q --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' "$home/rootfs.tar" "$img" >/dev/null
pu import -q --change 'ENTRYPOINT ["/bin/sh", "-c", "trap \"exit 0\" TERM INT; sleep 1000000 & wait"]' \
  "$home/rootfs.tar" localhost/berth-pause >/dev/null

# Whether the runtime has a container in the state it keeps for the user
# (in podman's user namespace, as podman calls it).
runtime_has() { pu unshare "$urt" list -q | grep -qx "$1"; }
# A host pid's real uid, as the host sees it.
host_uid() { awk '$1 == "Uid:" { print $2 }' "/proc/$1/status"; }

t_echo() {
  expect_eq output hi "$(pu run --rm "$img" echo hi)"
  rc=0
  pu run --rm "$img" sh -c 'exit 3' || rc=$?
  expect_eq "exit code" 3 "$rc"
}

t_detached() {
  pu run -d --name det "$img" sleep 1000 >/dev/null
  id=$(pu inspect -f '{{.Id}}' det)
  pid=$(pu inspect -f '{{.State.Pid}}' det)
  # Root in the container is the user on the host.
  expect_eq "host uid of the container's root" "$uid" "$(host_uid "$pid")"
  expect_eq "container uid" 0 "$(pu exec det id -u)"
  expect_eq "exec output" in "$(pu exec det echo in)"
  rc=0
  pu exec det sh -c 'exit 5' || rc=$?
  expect_eq "exec exit code" 5 "$rc"
  # The runtime keeps the user's state under its XDG_RUNTIME_DIR.
  runtime_has "$id" || { echo "$rtname has no state for $id in $xdg"; return 1; }
  # /dev/null works (a bind mount of the host's in a user namespace).
  expect_eq "/dev/null" ok "$(pu exec det sh -c 'echo x > /dev/null && head -c1 /dev/zero | wc -c | grep -q 1 && echo ok')"
  pu stop -t 1 det >/dev/null
  expect_eq status exited "$(pu inspect -f '{{.State.Status}}' det)"
  pu rm det >/dev/null
  if pu container exists det; then echo "det still exists"; return 1; fi
  if runtime_has "$id"; then echo "$rtname still has $id"; return 1; fi
}

t_tty() {
  out=$(run_tty pu run --rm -t "$img" sh -c "'$tty_check'")
  expect_contains output is-a-tty "$out"
  pu run -d --name tty "$img" sleep 1000 >/dev/null
  out=$(run_tty pu exec -t tty sh -c "'$tty_check'")
  expect_contains "exec output" is-a-tty "$out"
  pu rm -f -t 0 tty >/dev/null
}

t_user() {
  expect_eq "uid" 1000 "$(pu run --rm --user 1000 "$img" id -u)"
  expect_eq "gid" 0 "$(pu run --rm --user 1000 "$img" id -g)"
  pu run -d --name usr --user 1000 "$img" sleep 1000 >/dev/null
  # uid 1000 of the container: the 1000th of the user's subordinate ids.
  expect_eq "host uid of uid 1000" "$((ids_start + 999))" "$(host_uid "$(pu inspect -f '{{.State.Pid}}' usr)")"
  pu rm -f -t 0 usr >/dev/null
}

t_bind() {
  echo from-host > "$home/data/in"
  chown "$uid:$gid" "$home/data/in"
  expect_eq "read through -v" from-host "$(pu run --rm -v "$home/data:/data" "$img" cat /data/in)"
  pu run --rm -v "$home/data:/data" "$img" sh -c 'echo from-container > /data/out'
  expect_eq "written through -v" from-container "$(cat "$home/data/out")"
  # Written by the container's root: the user's file on the host.
  expect_eq "owner on the host" "$uid" "$(stat -c %u "$home/data/out")"
}

t_pod() {
  pu pod create --name pd --network none >/dev/null
  pu run -d --pod pd --name pd1 "$img" sleep 1000 >/dev/null
  pu run -d --pod pd --name pd2 "$img" sleep 1000 >/dev/null
  infra=$(pu pod inspect -f '{{.InfraContainerID}}' pd)
  ipid=$(pu inspect -f '{{.State.Pid}}' "$infra")
  net=$(readlink "/proc/$ipid/ns/net")
  if [ "$net" = "$(readlink /proc/self/ns/net)" ]; then echo "pod in the host's netns"; return 1; fi
  for m in pd1 pd2; do
    p=$(pu inspect -f '{{.State.Pid}}' $m)
    expect_eq "$m netns" "$net" "$(readlink "/proc/$p/ns/net")"
    expect_eq "$m netns inside" "$net" "$(pu exec $m readlink /proc/self/ns/net)"
    expect_eq "$m utsns" "$(readlink "/proc/$ipid/ns/uts")" "$(readlink "/proc/$p/ns/uts")"
    expect_eq "$m ipcns" "$(readlink "/proc/$ipid/ns/ipc")" "$(readlink "/proc/$p/ns/ipc")"
  done
  expect_eq "interfaces" lo "$(pu exec pd1 ls /sys/class/net)"
  rc=0
  pu run --rm --pod pd "$img" sh -c 'exit 4' || rc=$?
  expect_eq "member exit code" 4 "$rc"
  pu pod stop -t 1 pd >/dev/null
  for c in pd1 pd2 "$infra"; do
    expect_eq "$c after pod stop" exited "$(pu inspect -f '{{.State.Status}}' "$c")"
  done
  pu pod rm pd >/dev/null
  if pu pod exists pd; then echo "pod pd still exists"; return 1; fi
  for c in pd1 pd2 "$infra"; do
    if pu container exists "$c"; then echo "$c still exists"; return 1; fi
  done
  if runtime_has "$infra"; then echo "$rtname still has the infra"; return 1; fi
}

scenario echo-exit-code t_echo
scenario detached-exec-stop-rm t_detached
scenario tty t_tty
scenario user t_user
scenario bind-mount t_bind
scenario pod t_pod
finish
