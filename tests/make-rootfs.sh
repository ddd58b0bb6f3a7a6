#!/bin/sh
# Builds a minimal root filesystem from Debian's busybox-static:
#   make-rootfs.sh DEST [PROBE]
# DEST gets bin/busybox with a symlink per applet, the directories a container
# expects, /etc/passwd and /etc/group, and (optionally) the test probe as
# /bin/probe. Idempotent: an existing DEST is rebuilt.
set -eu
dest=$1
probe=${2:-}
busybox=/bin/busybox  # from busybox-static: runs with no libraries in the rootfs
[ -x "$busybox" ] || { echo "make-rootfs.sh: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
cd "$dest.tmp"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root home run var/tmp
chmod 1777 tmp var/tmp
cp "$busybox" bin/busybox
for applet in $(bin/busybox --list); do
  [ -e "bin/$applet" ] || ln -s busybox "bin/$applet"
done
cat > etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > etc/group <<'GROUP'
root:x:0:
tty:x:5:
nogroup:x:65534:
GROUP
echo berth > etc/hostname
if [ -n "$probe" ]; then cp "$probe" bin/probe; fi
cd - >/dev/null
rm -rf "$dest"
mv "$dest.tmp" "$dest"
