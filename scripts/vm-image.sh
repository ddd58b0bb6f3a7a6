#!/bin/sh
# Makes a utility VM's guest for berth's VM platform (platform/vm/):
#   OUT/vmlinuz         Debian's cloud kernel (linux-image-cloud-amd64), unpacked
#                       from its package, never installed on the host
#   OUT/initramfs.cpio  berth itself as /init (the guest agent), stripped, and the
#                       few modules the agent loads; no other userland
#   scripts/vm-image.sh BERTH_BINARY OUT_DIR [kernel]
# With "kernel", only the kernel (scripts/test-v2.sh boots the same one).
set -eu
berth=$1
out=$2
mkdir -p "$out"

# The kernel package's contents, kept for the modules.
deb=$out/kernel-deb
if [ ! -f "$out/vmlinuz" ] || [ ! -d "$deb/lib/modules" ]; then
  pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
  [ -n "$pkg" ] || { echo "vm-image: no linux-image-cloud-amd64 in the apt lists (apt-get update?)" >&2; exit 1; }
  tmp=$out/kernel-dl
  rm -rf "$tmp" "$deb" && mkdir -p "$tmp"
  (cd "$tmp" && apt-get download -qq "$pkg" 2>/dev/null)
  dpkg-deb -x "$tmp"/*.deb "$deb"
  rm -rf "$tmp"
  cp "$deb"/boot/vmlinuz-* "$out/vmlinuz"
fi
[ "${3:-}" = kernel ] && exit 0

# The guest has no libc: its /init must be a static berth. A sanitizer build
# links berth dynamically; it gets no guest (its VM tests say so and skip).
if ! file -L "$berth" | grep -q 'static'; then
  rm -f "$out/initramfs.cpio"
  echo "vm-image: $berth is not linked statically (a sanitizer build?): no guest image"
  exit 0
fi

# What the agent needs, dependencies first: the virtio-mmio transport
# (microvm's), the serial port it talks over, virtio-fs for the share,
# virtio-net for the pod's network (pod_network.h).
modules="kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
  kernel/drivers/virtio/virtio_mmio.ko kernel/drivers/char/virtio_console.ko
  kernel/fs/fuse/fuse.ko kernel/fs/fuse/virtiofs.ko
  kernel/net/core/failover.ko kernel/drivers/net/net_failover.ko kernel/drivers/net/virtio_net.ko"
stage=$out/initramfs.d
rm -rf "$stage" && mkdir -p "$stage/modules" "$stage/dev"
strip -o "$stage/init" "$berth"
: > "$stage/modules/order"
for m in $modules; do
  f=$(ls "$deb"/lib/modules/*/"$m"*)
  name=$(basename "$f")
  case $name in
    *.xz) xz -dc "$f" > "$stage/modules/${name%.xz}"; name=${name%.xz} ;;
    *) cp "$f" "$stage/modules/$name" ;;
  esac
  echo "$name" >> "$stage/modules/order"
done
# The kernel opens /dev/console for /init's stdio before anything is mounted.
mknod -m 600 "$stage/dev/console" c 5 1
(cd "$stage" && find . | busybox cpio -o -H newc 2>/dev/null) > "$out/initramfs.cpio.tmp"
mv "$out/initramfs.cpio.tmp" "$out/initramfs.cpio"
rm -rf "$stage"
echo "vm-image: $out/vmlinuz ($(uname -m)), $out/initramfs.cpio ($(du -k "$out/initramfs.cpio" | cut -f1) KiB)"
