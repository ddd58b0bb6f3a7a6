#!/bin/sh
# CI: the Debian package as a user gets it. Installs berth_*.deb with apt on
# this machine, checks the installed berth names the commit it was built
# from, that `man berth-run` renders, that the demo container runs with the
# installed binaries, then `apt remove`s it and checks no file of it is left.
# Changes the machine (it installs a package): run by .ci/run, not make test.
set -eu
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then
  deb=$1
else
  deb=""
  for d in berth_*.deb; do [ -e "$d" ] && deb=$d; done
  [ -n "$deb" ] || { echo "deb_test: no berth_*.deb here (make deb)" >&2; exit 1; }
fi
case $deb in /*) ;; *) deb=./$deb ;; esac
fail() {
  echo "deb_test: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || fail "must run as root (apt install)"
if dpkg-query -W -f='${Status}' berth 2>/dev/null | grep -q "ok installed"; then
  fail "a berth package is already installed; not touching it"
fi
# man (to render the pages) and a compiler for the library check.
scripts/deps.sh man-db
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "$deb" >/dev/null
files=$(dpkg-query -L berth)
removed=0
tmp=$(mktemp -d /tmp/berth-deb-XXXXXX)
remove() {
  rm -rf "$tmp"
  [ "$removed" = 1 ] && return
  removed=1
  apt-get remove -y -qq berth >/dev/null
}
trap remove EXIT

# The commit the package was built from.
want=$(git rev-parse HEAD)
/usr/bin/berth --version | grep -q "^commit: $want" || fail "berth --version does not name commit $want: $(/usr/bin/berth --version)"
echo "deb_test: $(/usr/bin/berth --version | tr '\n' ' ')"
# berth-vm: the name that selects utility VMs, beside berth.
[ "$(readlink /usr/bin/berth-vm)" = berth ] || fail "/usr/bin/berth-vm is not a link to berth"
[ -x /usr/bin/containerd-shim-berth-v2 ] || fail "no /usr/bin/containerd-shim-berth-v2"
/usr/bin/containerd-shim-berth-v2 -v | grep -q containerd-shim-berth-v2 || fail "containerd-shim-berth-v2 -v"
[ "$(readlink /usr/bin/containerd-shim-berth-vm-v2)" = containerd-shim-berth-v2 ] ||
  fail "/usr/bin/containerd-shim-berth-vm-v2 is not a link to containerd-shim-berth-v2"

# The man pages render (where man-db is installed and dpkg keeps man pages).
if command -v man >/dev/null; then
  man -P cat berth-run 2>/dev/null | grep -q "create and start a container" || fail "man berth-run does not render"
  man -P cat berth 2>/dev/null | grep -q "berth-exec" || fail "man berth does not list the commands"
else
  fail "man is not installed (apt install man-db)"
fi
[ -f /usr/share/bash-completion/completions/berth ] || fail "no bash completion"

# The demo container, with the installed berth.
out=$(BERTH=/usr/bin/berth scripts/demo.sh)
rm -rf demo
echo "$out" | grep -q "hello from" || fail "demo container: $out"
echo "deb_test: demo: $out"

# The README's libberth program, built against the package with plain
# pkg-config and run without LD_LIBRARY_PATH or BERTH_BINARY: the library
# finds /usr/bin/berth itself.
tests/library/extract_snippets.sh . "$tmp/snippets" > "$tmp/snippets.list"
app=$(grep '/readme-[0-9]*\.cc$' "$tmp/snippets.list" | xargs grep -l '^int main(' | head -n 1)
[ -n "$app" ] || fail "no program in the README's c++ blocks"
# shellcheck disable=SC2046
c++ -o "$tmp/app" "$app" $(pkg-config --cflags --libs libberth) || fail "the README's program does not build"
mkdir -p "$tmp/bundle"
tests/make-rootfs.sh "$tmp/bundle/rootfs" >/dev/null
/usr/bin/berth spec --bundle "$tmp/bundle"
sed -i -e 's|"terminal": true|"terminal": false|' -e 's|"sh"$|"sleep", "60"|' \
       -e "s|^\\(\\s*\\)\"linux\": {|&\\n\\1\\t\"cgroupsPath\": \"/berth-deb-test-$$\",|" "$tmp/bundle/config.json"
out=$(env -u LD_LIBRARY_PATH -u BERTH_BINARY timeout 60 "$tmp/app" "$tmp/bundle" "$tmp/state") ||
  fail "the README's program failed: $out"
echo "$out" | grep -qx "exit code 137" || fail "the README's program: $out"
[ -z "$(/usr/bin/berth --root "$tmp/state" list -q)" ] || fail "the README's program left a container"
echo "deb_test: the README's libberth program built with pkg-config and ran"

remove
left=""
for f in $files; do
  [ -d "$f" ] && continue
  [ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
[ -z "$left" ] || fail "apt remove left:$left"
if dpkg-query -W -f='${Status}' berth 2>/dev/null | grep -q "ok installed"; then fail "still installed"; fi
echo "deb_test: installed, used and removed $deb; nothing left"
