#!/bin/sh
# make run: a bundle from busybox-static and a config from `berth spec`, run
# once in the foreground. Prints a line from inside the container.
set -eu
build=${1:-build}
berth=${BERTH:-$(realpath "$build/berth")}
demo=$(pwd)/demo
rm -rf "$demo"
mkdir -p "$demo"
tests/make-rootfs.sh "$demo/rootfs"
cd "$demo"
"$berth" spec
# No terminal (make may run without one), and a command that shows where it is.
sed -i 's/"terminal": true/"terminal": false/' config.json
# shellcheck disable=SC2016 # $(hostname) and $$ are for the container's shell
sed -i 's/^\t\t\t"sh"$/\t\t\t"sh", "-c", "echo \\"hello from $(hostname), $(id), pid $$\\""/' config.json
"$berth" --root "$demo/state" run "demo-$$"
