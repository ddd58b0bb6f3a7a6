# Scenarios docker and podman share: their command lines are the same here.
# The sourcing script defines run (a `run` with its own flags), $cli (the
# client's wrapper command in $work/bin) and $img.

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
