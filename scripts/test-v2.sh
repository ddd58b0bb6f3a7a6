#!/bin/sh
# Runs berth's cgroup v2 tests on a pure cgroup v2 host: a QEMU microvm
# booting Debian's cloud kernel under software emulation (hardware KVM is not
# usable here), with an initramfs holding busybox, the freshly built berth,
# the integration test binary and the test rootfs at the same paths as on the
# host. The guest mounts cgroup2 with every controller delegated.
#   scripts/test-v2.sh [BUILD_DIR] [GTEST_FILTER] [LIBRARY_GTEST_FILTER]
set -eu
build=$(cd "${1:-build}" && pwd)
filter=${2:-'CgroupsV2.*:Lifecycle.*:Shim.*'}
lib_filter=${3:-'Library.*'}
vm=$build/vm
mkdir -p "$vm"

# The kernel: linux-image-cloud-amd64's image, unpacked (never installed),
# as the VM platform's guest has it.
"$(dirname "$0")/vm-image.sh" "$build/berth" "$vm" kernel

# The initramfs.
stage=$vm/initramfs
rm -rf "$stage" && mkdir -p "$stage/bin" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/newroot"
cp /bin/busybox "$stage/bin/busybox"
tests=$build/tests/berth_integration_tests
lib_tests=$build/tests/berth_library_tests
for f in "$build/berth" "$build/berth-shim" "$tests" "$lib_tests"; do
  mkdir -p "$stage$(dirname "$f")" && cp "$f" "$stage$f"
  # The shared libraries, at their own paths (the binaries keep their interpreter).
  for lib in $(ldd "$f" | awk '/=> \// {print $3} /^\t\// {print $1}'); do
    mkdir -p "$stage$(dirname "$lib")" && cp -L "$lib" "$stage$lib"
  done
done
[ -d /lib64 ] && [ ! -e "$stage/lib64" ] && mkdir -p "$stage/lib64"
mkdir -p "$stage$build" && cp -a "$build/test-rootfs" "$stage$build/"

# Stage 1 copies the initramfs onto a tmpfs and switches to it: pivot_root
# (which every container does) cannot leave the initramfs itself.
cat > "$stage/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t tmpfs -o size=90% tmpfs /newroot
for d in /*; do
  case $d in /proc|/sys|/dev|/newroot) mkdir -p "/newroot$d" ;; *) cp -a "$d" /newroot/ ;; esac
done
exec switch_root /newroot /stage2
EOF
cat > "$stage/stage2" <<EOF
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /tmp /run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup
for c in \$(cat /sys/fs/cgroup/cgroup.controllers); do echo "+\$c" > /sys/fs/cgroup/cgroup.subtree_control; done
echo "berth-v2: kernel \$(uname -r), cgroup2 controllers: \$(cat /sys/fs/cgroup/cgroup.subtree_control)"
cd /tmp
$tests --gtest_filter='$filter' --gtest_color=no; rc=\$?
# libberth in-process: its OOM watch reads memory.events here.
$lib_tests --gtest_filter='$lib_filter' --gtest_color=no || rc=1
echo "berth-v2: exit=\$rc"
reboot -f
EOF
chmod +x "$stage/init" "$stage/stage2"
(cd "$stage" && find . | busybox cpio -o -H newc 2>/dev/null) > "$vm/test-v2.cpio"

# The guest's TSC runs at the host's rate: telling the kernel avoids a long
# calibration that can hang on a busy host.
khz=$(awk '/^cpu MHz/ {printf "%d", $4 * 1000; exit}' /proc/cpuinfo)
log=$vm/console.log
echo "test-v2: booting $(basename "$vm/vmlinuz") in a microvm (tests: $filter)"
timeout 1200 qemu-system-x86_64 -M microvm -accel tcg -cpu max -smp 2 -m 1024 -nographic -no-reboot \
  -kernel "$vm/vmlinuz" -initrd "$vm/test-v2.cpio" \
  -append "console=ttyS0 tsc_early_khz=$khz reboot=t panic=-1 quiet" </dev/null | tee "$log" || true
rm -rf "$stage" "$vm/test-v2.cpio"
code=$(sed -n 's/.*berth-v2: exit=\([0-9]*\).*/\1/p' "$log" | tail -1)
if [ "$code" != 0 ]; then
  echo "test-v2: FAILED (exit ${code:-none}; console log in $log)" >&2
  exit 1
fi
echo "test-v2: passed"
