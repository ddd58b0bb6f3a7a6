#!/bin/sh
# Installs the Debian packages berth needs to build and test (clang and its
# runtime libraries for the libFuzzer harnesses), and nothing when
# they are all present (so `make test` stays fast and works offline then).
set -eu
# Extra packages may be named on the command line (make bench: runc crun python3;
# make windows: g++-mingw-w64-x86-64-posix, the Windows cross-compiler;
# make windows-test: wine64, which runs what it builds).
# podman, containerd and docker.io are the clients tests/clients/ drives;
# qemu-system-x86 (with virtiofsd) runs the VM platform's utility VMs (platform/vm/);
# iproute2 makes the network namespaces and veths the VM network tests use;
# protobuf-compiler and libprotobuf-dev build containerd-shim-berth-v2's
# messages (src/containerd); python3 (with grpcio and protobuf) runs its
# tests' ttrpc and CRI clients, containernetworking-plugins the CRI pod's loopback;
# clang builds the libFuzzer harnesses (tests/fuzz); runc is the reference the
# integration scenarios also run against (differential.runc); clang-format,
# clang-tidy, cppcheck and shellcheck are make lint's (scripts/lint.sh); lld
# links the shims in their link order (CMakeLists.txt, berth_link_order).
pkgs="g++ make cmake pkg-config file lld nlohmann-json3-dev libgtest-dev libseccomp-dev busybox-static uidmap
  protobuf-compiler libprotobuf-dev python3 python3-grpcio python3-protobuf containernetworking-plugins
  qemu-system-x86 iproute2 podman containerd docker.io clang libclang-rt-14-dev runc clang-format clang-tidy cppcheck shellcheck $*"
missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages:$missing (run as root or install them)" >&2
  exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# The docker.io and containerd packages would start their system services:
# the tests never use them, so a policy-rc.d refuses every start during the
# install (only when the machine has none of its own; it goes afterwards).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
