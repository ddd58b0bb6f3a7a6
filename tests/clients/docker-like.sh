# shellcheck shell=sh
# Scenarios docker and podman share: their command lines are the same here.
# The sourcing script defines run (a `run` with its own flags), $cli (the
# client's wrapper command in $work/bin), $rmf (its forced remove) and $img.
: "${cli:?}" "${rmf:?}" "${img:?}" "${suite:?}"

# The host's view of a container's cgroup (see cg in common.sh).
cgroup_of() { cg "$($cli inspect -f '{{.State.Pid}}' "$1")" "$2"; }

t_echo() { expect_eq output hi "$(run --rm "$img" echo hi)"; }

t_exit_code() {
  rc=0
  run --rm "$img" sh -c 'exit 3' || rc=$?
  expect_eq "exit code" 3 "$rc"
}

t_detached() {
  run -d --name det "$img" sleep 1000 >/dev/null
  expect_eq "exec output" in "$($cli exec det echo in)"
  rc=0
  $cli exec det sh -c 'exit 5' || rc=$?
  expect_eq "exec exit code" 5 "$rc"
  $cli stop -t 1 det >/dev/null
  expect_eq status exited "$($cli inspect -f '{{.State.Status}}' det)"
  $cli rm det >/dev/null
  if $cli inspect det >/dev/null 2>&1; then echo "det still exists"; return 1; fi
}

t_pause() {
  run -d --name pau "$img" sleep 1000 >/dev/null
  $cli pause pau >/dev/null
  expect_eq status paused "$($cli inspect -f '{{.State.Status}}' pau)"
  expect_eq freezer FROZEN "$(cgroup_of pau freezer)"
  $cli unpause pau >/dev/null
  expect_eq status running "$($cli inspect -f '{{.State.Status}}' pau)"
  expect_eq "exec after unpause" in "$($cli exec pau echo in)"
  # A paused container is removed by force.
  $cli pause pau >/dev/null
  $rmf pau >/dev/null
  if $cli inspect pau >/dev/null 2>&1; then echo "pau still exists"; return 1; fi
}

t_top() {
  run -d --name top "$img" sleep 1000 >/dev/null
  expect_contains top "sleep 1000" "$($cli top top)"
  $rmf top >/dev/null
}

t_kill() {
  # The init traps USR1 and exits 7: the signal arrived.
  run -d --name sig "$img" \
    sh -c 'trap "echo got-usr1; exit 7" USR1; echo ready; while :; do sleep 0.1; done' >/dev/null
  wait_for 10 sh -c "$cli logs sig | grep -q ready"
  $cli kill -s USR1 sig >/dev/null
  expect_eq "exit code" 7 "$($cli wait sig)"
  expect_contains logs got-usr1 "$($cli logs sig)"
  $cli rm sig >/dev/null
  run -d --name sig9 "$img" sleep 1000 >/dev/null
  $cli kill -s KILL sig9 >/dev/null
  expect_eq "exit code after SIGKILL" 137 "$($cli wait sig9)"
  $cli rm sig9 >/dev/null
}

t_missing_exec() {
  rc=0
  out=$(run --rm "$img" /no-such-binary 2>&1) || rc=$?
  echo "$suite said: $out (exit $rc)"
  expect_contains message no-such-binary "$out"
  expect_eq "exit code (not found)" 127 "$rc"
  # A file that is not executable: the client exits 126.
  rc=0
  out=$(run --rm "$img" /etc/passwd 2>&1) || rc=$?
  echo "$suite said: $out (exit $rc)"
  expect_eq "exit code (not executable)" 126 "$rc"
}
