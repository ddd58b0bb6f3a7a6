#!/bin/sh
# Installs the Debian packages berth needs to build and test (clang and its
# runtime libraries for the libFuzzer harnesses), and nothing when
# they are all present (so `make test` stays fast and works offline then).
set -eu
# Extra packages may be named on the command line (make bench: runc crun python3).
pkgs="g++ make cmake pkg-config file nlohmann-json3-dev libgtest-dev libseccomp-dev busybox-static clang libclang-rt-14-dev $*"
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
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
