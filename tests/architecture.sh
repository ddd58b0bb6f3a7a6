#!/bin/sh
# The compute-system seam, checked on the source: nothing above it
# (src/runtime, src/cli, src/client, src/shim, src/containerd), nor the Windows
# platform (src/platform/hcs, src/windows), includes a header of the
# libraries only the Linux platform may use, or reads the host's /proc or
# /sys/fs/cgroup files itself. CMakeLists.txt checks the link edges.
set -eu
src=${1:-$(dirname "$0")/../src}
status=0
for dir in runtime cli client shim containerd windows platform/hcs; do
  if grep -rnE '#include "(linux|cgroups|seccomp|platform/linux)/' "$src/$dir"; then
    echo "architecture: src/$dir includes a library below the seam (README, \"Architecture\")" >&2
    status=1
  fi
  # Paths of host files: the platform reads them. /proc/self/fd/N (an fd of
  # our own) and /proc/self/exe are not host state.
  if grep -rnE '"/proc/"|/proc/[a-z0-9]+/(stat|status|cmdline|ns)|/sys/fs/cgroup' "$src/$dir" \
      --include='*.cc' --include='*.h' | grep -v -e '_test\.cc:' -e '/fd/'; then
    echo "architecture: src/$dir reads host files the platform owns" >&2
    status=1
  fi
done
exit $status
