#!/bin/sh
# The README's "Using berth" steps, run as written: the first ```sh block of
# that section, line by line with `set -e -x`, from a directory laid out like
# the source tree (build/ and tests/). Runs in a mount namespace of its own
# with a tmpfs on /run, so the default state root (/run/berth) the README
# uses is private to this test and never the host's; every container left
# in it is deleted on the way out, even when a step fails.
set -eu
src=$(realpath "$1")
build=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk '/^## Using berth/ { in_section = 1 }
     in_section && /^```sh$/ { in_block = 1; next }
     in_block && /^```$/ { exit }
     in_block { print }' "$src/README.md" > "$work/steps.sh"
if [ ! -s "$work/steps.sh" ]; then
  echo "readme_test: no sh block under \"## Using berth\" in README.md" >&2
  exit 1
fi
ln -s "$build" "$work/build"
ln -s "$src/tests" "$work/tests"
cat > "$work/run.sh" <<STEPS
set -eu
mount -t tmpfs tmpfs /run
cleanup() {
  for id in \$("$build/berth" list -q); do "$build/berth" delete --force "\$id"; done
}
trap cleanup EXIT
cd "$work"
set -x
. "$work/steps.sh"
STEPS
if ! unshare --mount --propagation private sh "$work/run.sh" > "$work/out" 2>&1; then
  cat "$work/out" >&2
  echo "readme_test: a step of README's \"Using berth\" failed (above)" >&2
  exit 1
fi
# What the steps must have shown: the foreground container's output, the
# exec'd ps listing the container's process, and its state.
for want in "hello from berth" "sleep 600" '"status": "running"'; do
  if ! grep -q "$want" "$work/out"; then
    cat "$work/out" >&2
    echo "readme_test: the output lacks \"$want\"" >&2
    exit 1
  fi
done
echo "readme_test: $(grep -c '^+ ' "$work/out") README steps ran"
