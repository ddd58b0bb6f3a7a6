# shellcheck shell=sh
# shellcheck disable=SC2154 # $work and $runtime are common.sh's
# What containerd.sh and cri.sh share, sourced after common.sh: their
# private containerd, run from the $work/containerd.toml the suite wrote,
# and its stopping (the suite's cleanup_client calls stop_containerd).

start_containerd() {
  containerd --config "$work/containerd.toml" --log-level warn >> "$work/containerd.log" 2>&1 &
  containerd_pid=$!
}

# Stops containerd, kills the shims a failure left (they are named by its
# private socket), and force-deletes the containers berth's shim left in
# $BERTH_CONTAINERD_ROOT (their berth-shims keep them running otherwise).
stop_containerd() {
  kill "$containerd_pid" 2>/dev/null
  wait "$containerd_pid" 2>/dev/null
  grep -l "$work/containerd.sock" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 |
    while read -r p; do kill -9 "$p" 2>/dev/null; done
  if [ -n "${BERTH_CONTAINERD_ROOT:-}" ]; then
    for ns in "$BERTH_CONTAINERD_ROOT"/*/; do
      [ -d "$ns" ] || continue
      for id in $("$runtime" --root "$ns" list -q 2>/dev/null); do
        "$runtime" --root "$ns" delete --force "$id" >/dev/null 2>&1
      done
    done
  fi
  if [ -n "${CLIENTS_VERBOSE:-}" ]; then cat "$work/containerd.log"; fi
}
