#!/bin/sh
# libberth as a user gets it, from `cmake --install` into a scratch prefix:
#   - the installed libberth.pc names that prefix (and an rpath to its lib
#     directory, which is no system one);
#   - the README's program (extracted as the snippets test does) and
#     examples/run_and_exec.cc build with plain `pkg-config --cflags --libs
#     libberth` (no --define-prefix) and run without LD_LIBRARY_PATH and
#     without BERTH_BINARY: the library finds the berth installed beside it,
#     before a decoy berth first on PATH; both run their container on a
#     bundle of the test rootfs, with events in order, and leave nothing;
#   - `cmake --install --prefix /usr` with DESTDIR writes a .pc that says
#     /usr, with no rpath and nothing of DESTDIR in it.
# usage: install_test.sh BUILD_DIR SOURCE_DIR TEST_ROOTFS
set -eu
build=$1 src=$2 rootfs=$3
tmp=$(mktemp -d /tmp/berth-install-XXXXXX)
prefix=$tmp/p
cgroup=/berth-install-test-$$
cleanup() {
  for state in "$tmp"/state-*; do
    [ -d "$state" ] || continue
    for id in $("$prefix/bin/berth" --root "$state" list -q 2>/dev/null); do
      "$prefix/bin/berth" --root "$state" delete --force "$id"
    done
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "install test: $*" >&2
  exit 1
}

cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name libberth.pc)
[ -n "$pc" ] || fail "no libberth.pc under $prefix"
libdir=$(dirname "$(dirname "$pc")")
grep -qx "prefix=$prefix" "$pc" || fail "$pc does not say prefix=$prefix: $(cat "$pc")"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs libberth)
case $flags in
  *"-L$libdir "*"-Wl,-rpath,$libdir"*) ;;
  *) fail "pkg-config --libs: want -L$libdir and an rpath to it: $flags" ;;
esac
# A sanitizer build of the library (make test-asan) wants its runtime first.
if ldd "$libdir/libberth.so" | grep -q libasan; then flags="-fsanitize=address,undefined $flags"; fi

"$src/tests/library/extract_snippets.sh" "$src" "$tmp/snippets" > "$tmp/snippets.list"
readme_app=$(grep '/readme-[0-9]*\.cc$' "$tmp/snippets.list" | xargs grep -l '^int main(' | head -n 1)
[ -n "$readme_app" ] || fail "no program in the README's c++ blocks"
# shellcheck disable=SC2086
c++ -o "$tmp/readme-app" "$readme_app" $flags
# shellcheck disable=SC2086
c++ -o "$tmp/example" "$src/examples/run_and_exec.cc" $flags

# A bundle of the test rootfs whose process keeps running, in a cgroup of
# this run's own.
mkdir -p "$tmp/bundle"
"$prefix/bin/berth" spec --bundle "$tmp/bundle"
sed -i -e "s|\"path\": \"rootfs\"|\"path\": \"$rootfs\"|" \
       -e 's|"terminal": true|"terminal": false|' \
       -e 's|"sh"$|"sleep", "60"|' \
       -e "s|^\\(\\s*\\)\"linux\": {|&\\n\\1\\t\"cgroupsPath\": \"$cgroup\",|" "$tmp/bundle/config.json"
grep -q "\"cgroupsPath\": \"$cgroup\"" "$tmp/bundle/config.json" || fail "could not set linux.cgroupsPath"

# What the library must not take: a berth first on PATH.
mkdir -p "$tmp/decoy"
printf '#!/bin/sh\necho "the berth on PATH ran" >&2\nexit 1\n' > "$tmp/decoy/berth"
chmod +x "$tmp/decoy/berth"
run() {
  env -u LD_LIBRARY_PATH -u BERTH_BINARY PATH="$tmp/decoy:/usr/bin:/bin" timeout 60 "$@"
}

# events: the event names the program printed, in order.
events() { sed -n 's/^event: \([a-z-]*\) .*/\1/p' | tr '\n' ' '; }

out=$(run "$tmp/readme-app" "$tmp/bundle" "$tmp/state-readme") || fail "the README's program failed: $out"
echo "$out"
got=$(echo "$out" | events)
[ "$got" = "create start exec-added exec-started exit exit " ] || fail "README program's events: '$got'"
echo "$out" | grep -q "hello from an exec" || fail "no output from the README program's exec"
echo "$out" | grep -qx "exit code 137" || fail "the README program's container did not end with SIGKILL"
[ -z "$("$prefix/bin/berth" --root "$tmp/state-readme" list -q)" ] || fail "the README program left a container"

out=$(run "$tmp/example" "$tmp/bundle" "$tmp/state-example") || fail "the example failed: $out"
echo "$out"
got=$(echo "$out" | events)
[ "$got" = "create start exec-added exec-started exit exit " ] || fail "the example's events: '$got'"
echo "$out" | grep -q "hello from an exec in" || fail "no output from the example's exec"
[ -z "$("$prefix/bin/berth" --root "$tmp/state-example" list -q)" ] || fail "the example left a container"

# The multiarch layout (P/lib/x86_64-linux-gnu/libberth.so.0): the library
# still finds P/bin/berth (here a wrapper that says it ran). LD_LIBRARY_PATH
# only to load the library from there instead of the prefix above.
multi=$tmp/m/lib/$(uname -m)-linux-gnu
mkdir -p "$multi" "$tmp/m/bin"
cp -P "$libdir"/libberth.so* "$multi/"
printf '#!/bin/sh\necho ran > "%s"\nexec "%s" "$@"\n' "$tmp/m/ran" "$prefix/bin/berth" > "$tmp/m/bin/berth"
chmod +x "$tmp/m/bin/berth"
out=$(env -u BERTH_BINARY LD_LIBRARY_PATH="$multi" PATH="$tmp/decoy:/usr/bin:/bin" timeout 60 \
      "$tmp/readme-app" "$tmp/bundle" "$tmp/state-multiarch") || fail "the README's program (multiarch) failed: $out"
[ -e "$tmp/m/ran" ] || fail "the library in $multi did not run $tmp/m/bin/berth"
[ -z "$("$prefix/bin/berth" --root "$tmp/state-multiarch" list -q)" ] || fail "the multiarch run left a container"

# A package's layout: staged in DESTDIR, it says /usr.
DESTDIR="$tmp/d" cmake --install "$build" --prefix /usr >/dev/null
pc=$(find "$tmp/d" -name libberth.pc)
[ -n "$pc" ] || fail "no libberth.pc under DESTDIR $tmp/d"
case $pc in "$tmp/d/usr/"*) ;; *) fail "$pc is not under DESTDIR/usr" ;; esac
grep -qx "prefix=/usr" "$pc" || fail "$pc does not say prefix=/usr: $(cat "$pc")"
if grep -q -e "$tmp" -e rpath "$pc"; then fail "$pc names DESTDIR or an rpath: $(cat "$pc")"; fi
echo "install test: ok"
