#!/bin/sh
# libberth as a user gets it: `cmake --install` into a scratch prefix, the
# example compiled from its source against the installed header with
# pkg-config, then run on a bundle of the test rootfs. It must print its
# events in order and leave no container behind.
# usage: install_test.sh BUILD_DIR SOURCE_DIR TEST_ROOTFS
set -eu
build=$1 src=$2 rootfs=$3
tmp=$(mktemp -d /tmp/berth-install-XXXXXX)
cleanup() {
  for id in $("$tmp/prefix/bin/berth" --root "$tmp/state" list -q 2>/dev/null); do
    "$tmp/prefix/bin/berth" --root "$tmp/state" delete --force "$id"
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name libberth.pc)
libdir=$(dirname "$(dirname "$pc")")
export PKG_CONFIG_PATH=$(dirname "$pc")
# --define-prefix: the .pc names the configured prefix; this one is elsewhere.
flags=$(pkg-config --define-prefix --cflags --libs libberth)
# A sanitizer build of the library (make test-asan) wants its runtime first.
if ldd "$libdir/libberth.so" | grep -q libasan; then flags="-fsanitize=address,undefined $flags"; fi
c++ -o "$tmp/example" "$src/examples/run_and_exec.cc" $flags

mkdir -p "$tmp/bundle"
"$tmp/prefix/bin/berth" spec --bundle "$tmp/bundle"
sed -i -e "s|\"path\": \"rootfs\"|\"path\": \"$rootfs\"|" \
       -e 's|"terminal": true|"terminal": false|' \
       -e 's|"sh"$|"sleep", "30"|' "$tmp/bundle/config.json"
out=$(BERTH_BINARY="$tmp/prefix/bin/berth" LD_LIBRARY_PATH="$libdir" timeout 60 "$tmp/example" "$tmp/bundle" "$tmp/state")
echo "$out"
# The events of the one container, in order.
got=$(echo "$out" | sed -n 's/^event: \([a-z-]*\) .*/\1/p' | tr '\n' ' ')
want="create start exec-added exec-started exit exit "
[ "$got" = "$want" ] || { echo "events: got '$got', want '$want'" >&2; exit 1; }
echo "$out" | grep -q "hello from an exec in" || { echo "no output from the exec" >&2; exit 1; }
[ -z "$("$tmp/prefix/bin/berth" --root "$tmp/state" list -q)" ] || { echo "a container was left" >&2; exit 1; }
echo "install test: ok"
