#!/usr/bin/env python3
"""The resident cost of a container's monitor: berth's shim beside conmon.

Run by `make bench` (as root). Both monitor the same container, made by the
same runtime (berth), from the same bundle (busybox `sleep`): only the
process that stays behind differs. For N containers at once (1, then
--count), each monitor's PSS and RSS (/proc/PID/smaps_rollup) are read once
it has been idle for a second, and its CPU time over the idle period. PSS
shares each shared page among the processes mapping it, so it is what one
more container costs the machine.

This is a benchmark, not a test: nothing here asserts a size.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import ROOT, make_bundle, write_section  # noqa: E402


def smaps(pid):
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                fields[parts[0][:-1]] = int(parts[1])
    return fields


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])  # utime + stime


def wait_for(path, seconds=10):
    deadline = time.time() + seconds
    while not os.path.exists(path):
        if time.time() > deadline:
            raise RuntimeError(f"{path} did not appear")
        time.sleep(0.01)


def start_berth_shim(berth, root, bundle, cid, work):
    subprocess.run([berth, "--root", root, "create", "--shim", "--shim-log", os.path.join(work, cid + ".log"),
                    "--bundle", bundle, cid], check=True, stdin=subprocess.DEVNULL)
    subprocess.run([berth, "--root", root, "start", cid], check=True)
    out = subprocess.run(["pgrep", "-f", f"^berth-shim .*root={root} id={cid} "], capture_output=True, text=True)
    return int(out.stdout.split()[0])


def start_conmon(conmon, berth, root, bundle, cid, work):
    d = os.path.join(work, cid)
    os.makedirs(d)
    subprocess.run([conmon, "-c", cid, "-u", cid, "-n", cid, "-r", berth, "-b", bundle,
                    "-p", os.path.join(d, "pid"), "-P", os.path.join(d, "conmon.pid"), "--exit-dir", d,
                    "--socket-dir-path", d, "-l", "k8s-file:" + os.path.join(d, "log"), "--log-level", "error",
                    "--runtime-arg", "--root=" + root], check=True, stdin=subprocess.DEVNULL)
    wait_for(os.path.join(d, "pid"))  # conmon's create runs after it has daemonized
    subprocess.run([berth, "--root", root, "start", cid], check=True)
    with open(os.path.join(d, "conmon.pid")) as f:
        return int(f.read().strip())


def measure(kind, count, args, bundle, work):
    root = os.path.join(work, f"{kind}-{count}-root")
    pids = []
    try:
        for i in range(count):
            cid = f"{kind}{count}-{i}"
            if kind == "berth-shim":
                pids.append(start_berth_shim(args.berth, root, bundle, cid, work))
            else:
                pids.append(start_conmon(args.conmon, args.berth, root, bundle, cid, work))
        time.sleep(1)  # settle: start-up pages that are going away, go
        ticks = [cpu_ticks(p) for p in pids]
        time.sleep(args.idle)
        idle_cpu = [cpu_ticks(p) - t for p, t in zip(pids, ticks)]
        sizes = [smaps(p) for p in pids]
        return {
            "pss": statistics.median(s["Pss"] for s in sizes),
            "rss": statistics.median(s["Rss"] for s in sizes),
            "idle_cpu_ticks": sum(idle_cpu),
        }
    finally:
        ids = subprocess.run([args.berth, "--root", root, "list", "-q"], capture_output=True, text=True).stdout.split()
        for cid in ids:
            subprocess.run([args.berth, "--root", root, "delete", "--force", cid], capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--berth", default=os.path.join(ROOT, "build-release/berth"))
    ap.add_argument("--conmon", default=shutil.which("conmon"))
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--idle", type=float, default=2.0, help="seconds of idle CPU measured")
    ap.add_argument("--write", action="store_true", help="append to docs/performance.md")
    args = ap.parse_args()
    if not args.conmon:
        print("shim bench: conmon is not installed; berth's shim alone")
    work = tempfile.mkdtemp(prefix="berth-shim-bench-")
    rows = []
    try:
        bundle = make_bundle(work, args.berth, ["/bin/sleep", "100000"])
        for count in (1, args.count):
            got = {kind: measure(kind, count, args, bundle, work)
                   for kind in ("berth-shim", "conmon") if kind == "berth-shim" or args.conmon}
            rows.append((count, got))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = ["| containers | monitor | PSS KiB (median) | RSS KiB (median) | idle CPU ticks (all) | PSS berth-shim/conmon |",
             "|---|---|---|---|---|---|"]
    for count, got in rows:
        for kind, m in got.items():
            ratio = "-"
            if kind == "berth-shim" and "conmon" in got and got["conmon"]["pss"] > 0:
                ratio = f"{m['pss'] / got['conmon']['pss']:.2f}"
            lines.append(f"| {count} | {kind} | {m['pss']:.0f} | {m['rss']:.0f} | {m['idle_cpu_ticks']} | {ratio} |")
    conmon_version = "-"
    if args.conmon:
        conmon_version = subprocess.run([args.conmon, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    report = (f"Shim footprint (`bench/shim.py`, runtime berth for both; {conmon_version}):\n\n" + "\n".join(lines) + "\n")
    print(report)
    if args.write:
        write_section("<!-- shim results -->", report)


if __name__ == "__main__":
    sys.exit(main())
