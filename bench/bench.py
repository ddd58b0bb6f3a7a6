#!/usr/bin/env python3
"""berth's benchmark: berth, crun and runc side by side, interleaved.

Run by `make bench` (as root). Every runtime runs the same bundle (a busybox
rootfs and runc's default config with /bin/true); each step is measured per
command with wait4(2): wall time, CPU time (user+sys of the runtime and its
children) and peak RSS. Steps run A B C A B C ... so drift on a busy machine
hits every runtime alike. Medians are reported, with berth/crun and
berth/runc ratios, as a markdown table (also written to docs/performance.md
when --write is given).

This is a benchmark, not a test: nothing here asserts a time.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


RUSAGE = os.path.join(ROOT, "build-release/rusage")


def measure(argv):
    """Runs argv under bench/rusage.c; returns (wall ms, cpu ms, peak RSS KiB)."""
    # stderr goes to a file: a created container keeps the runtime's stdio
    # open, so a pipe would not reach EOF until the container exits.
    with tempfile.TemporaryFile() as errf:
        out = subprocess.run([RUSAGE, *argv], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errf)
        errf.seek(0)
        err = errf.read().decode(errors="replace")
    wall, cpu, rss, code = out.stdout.decode().split()
    if int(code) != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {code}: {err.strip()}")
    return float(wall), float(cpu), int(rss)


class Runtime:
    def __init__(self, name, binary, work):
        self.name = name
        self.binary = binary
        self.root = os.path.join(work, name + "-root")
        os.makedirs(self.root, exist_ok=True)

    def cmd(self, *args):
        return [self.binary, "--root", self.root, *args]

    def version(self):
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True).stdout
        return out.splitlines()[0] if out else "?"

    def cleanup(self):
        ids = subprocess.run(self.cmd("list", "-q"), capture_output=True, text=True).stdout.split()
        for cid in ids:
            subprocess.run(self.cmd("delete", "--force", cid), capture_output=True)


def make_bundle(work, berth, args):
    bundle = os.path.join(work, "bundle-" + "-".join(a.strip("/").replace("/", "_") for a in args[:2]))
    os.makedirs(bundle, exist_ok=True)
    if not os.path.exists(os.path.join(work, "rootfs")):
        subprocess.run([os.path.join(ROOT, "tests/make-rootfs.sh"), os.path.join(work, "rootfs")], check=True)
    if not os.path.exists(os.path.join(bundle, "config.json")):
        subprocess.run([berth, "spec", "--bundle", bundle], check=True)
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    config["process"]["terminal"] = False
    config["process"]["args"] = args
    config["root"]["path"] = os.path.join(work, "rootfs")
    config["ociVersion"] = "1.0.2"  # the oldest of the three runtimes' spec versions
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f)
    return bundle


class Results:
    def __init__(self):
        self.data = {}  # (step, metric) -> runtime -> [values]

    def add(self, step, runtime, wall, cpu=None, rss=None):
        self.data.setdefault((step, "wall ms"), {}).setdefault(runtime, []).append(wall)
        if cpu is not None:
            self.data.setdefault((step, "cpu ms"), {}).setdefault(runtime, []).append(cpu)
        if rss is not None:
            self.data.setdefault((step, "peak RSS KiB"), {}).setdefault(runtime, []).append(rss)

    def table(self, names):
        others = [o for o in ("crun", "runc", "before") if o in names]
        head = "| step | metric | " + " | ".join(names) + " | " + " | ".join(f"berth/{o}" for o in others) + " |"
        rows = [head, "|" + "---|" * (len(names) + len(others) + 2)]
        for (step, metric), per in self.data.items():
            med = {n: statistics.median(per[n]) for n in names if n in per}
            cells = [f"{med[n]:.2f}" if n in med else "-" for n in names]

            def ratio(other):
                if "berth" in med and other in med and med[other] > 0:
                    return f"{med['berth'] / med[other]:.2f}"
                return "-"

            rows.append(f"| {step} | {metric} | " + " | ".join(cells) + " | "
                        + " | ".join(ratio(o) for o in others) + " |")
        return "\n".join(rows)


def rotated(rts, i):
    """The runtimes in a different order each round: what ran just before a
    command can change its time (the kernel's RCU grace periods for cgroup
    moves), so every runtime takes every place equally often."""
    k = i % len(rts)
    return rts[k:] + rts[:k]


def bench_lifecycle(rts, res, bundle, n):
    for i in range(n):
        for rt in rotated(rts, i):
            w, c, _ = measure(rt.cmd("run", "--bundle", bundle, f"run{i}"))
            res.add("run /bin/true", rt.name, w, c)
        for rt in rotated(rts, i):
            cid = f"life{i}"
            tw = tc = 0.0
            w, c, rss = measure(rt.cmd("create", "--bundle", bundle, cid))
            res.add("create", rt.name, w, c, rss)
            tw, tc = tw + w, tc + c
            w, c, _ = measure(rt.cmd("start", cid))
            tw, tc = tw + w, tc + c
            w, c, _ = measure(rt.cmd("delete", "--force", cid))
            tw, tc = tw + w, tc + c
            res.add("create+start+delete", rt.name, tw, tc)


def bench_exec(rts, res, bundle, n):
    # One box per runtime, all at once: distinct ids, so distinct cgroups.
    for rt in rts:
        measure(rt.cmd("run", "-d", "--bundle", bundle, f"execbox-{rt.name}"))
    try:
        for i in range(n):
            for rt in rotated(rts, i):
                w, c, rss = measure(rt.cmd("exec", f"execbox-{rt.name}", "/bin/true"))
                res.add("exec /bin/true", rt.name, w, c, rss)
    finally:
        for rt in rts:
            subprocess.run(rt.cmd("delete", "--force", f"execbox-{rt.name}"), capture_output=True)


def bench_scale(rts, res, bundle, count):
    for rt in rts:
        wall = cpu = 0.0
        for i in range(count):
            w, c, _ = measure(rt.cmd("create", "--bundle", bundle, f"s{i}"))
            wall, cpu = wall + w, cpu + c
        res.add(f"create x{count} (total)", rt.name, wall, cpu)
        for _ in range(5):
            w, c, _ = measure(rt.cmd("list", "--format", "json"))
            res.add(f"list --format json ({count})", rt.name, w, c)
            w, c, _ = measure(rt.cmd("state", f"s{count // 2}"))
            res.add(f"state (of {count})", rt.name, w, c)
        wall = cpu = 0.0
        for i in range(count):
            w, c, _ = measure(rt.cmd("delete", "--force", f"s{i}"))
            wall, cpu = wall + w, cpu + c
        res.add(f"delete --force x{count} (total)", rt.name, wall, cpu)
        rt.cleanup()
    # A pod-start burst: 200 creates, 8 at a time, each runtime in turn.
    burst = min(200, count)
    for rt in rts:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda i: measure(rt.cmd("create", "--bundle", bundle, f"p{i}")), range(burst)))
        res.add(f"create x{burst}, 8 in parallel (total)", rt.name, (time.perf_counter() - t0) * 1000)
        rt.cleanup()


def bench_floor(res, rootfs, n):
    for _ in range(n):
        w, c, _ = measure(["unshare", "-fmpinu", "chroot", rootfs, "/bin/true"])
        res.add("run /bin/true", "floor", w, c)


def move_hugetlb_to_v1():
    """crun refuses the hybrid layout while the cgroup2 tree holds a controller."""
    unified = "/sys/fs/cgroup/unified"
    if not os.path.exists(os.path.join(unified, "cgroup.controllers")):
        return False
    with open(os.path.join(unified, "cgroup.controllers")) as f:
        if "hugetlb" not in f.read().split():
            return False
    print("note: moving hugetlb from the cgroup2 tree to a v1 mount, which crun needs on this hybrid host:")
    print("      mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb")
    with open(os.path.join(unified, "cgroup.subtree_control"), "w") as f:
        f.write("-hugetlb")
    os.makedirs("/sys/fs/cgroup/hugetlb", exist_ok=True)
    subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb", "cgroup", "/sys/fs/cgroup/hugetlb"], check=True)
    return True


def restore_hugetlb():
    """Gives hugetlb back to the cgroup2 tree, as the host had it. The v1
    hierarchy lingers while dying cgroups remain in it; a second mount and
    unmount after they are gone lets it go."""
    for _ in range(5):
        subprocess.run(["umount", "/sys/fs/cgroup/hugetlb"], check=False, capture_output=True)
        try:
            os.rmdir("/sys/fs/cgroup/hugetlb")
        except OSError:
            pass
        time.sleep(1)
        with open("/sys/fs/cgroup/unified/cgroup.controllers") as f:
            if "hugetlb" in f.read().split():
                print("note: hugetlb is back in the cgroup2 tree")
                return
        os.makedirs("/sys/fs/cgroup/hugetlb", exist_ok=True)
        subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb", "cgroup", "/sys/fs/cgroup/hugetlb"], check=False)
    print("warning: hugetlb did not return to the cgroup2 tree; unmount /sys/fs/cgroup/hugetlb later")


def write_section(marker, report):
    """Replaces the section of docs/performance.md that starts at marker (up
    to the next marker, or the end) with report; appends it when missing.
    bench.py and shim.py each own one section."""
    path = os.path.join(ROOT, "docs/performance.md")
    with open(path) as f:
        text = f.read()
    if marker in text:
        head, rest = text.split(marker, 1)
        nxt = rest.find("\n<!-- ")
        tail = rest[nxt:] if nxt >= 0 else ""
    else:
        head, tail = text.rstrip() + "\n\n", ""
    with open(path, "w") as f:
        f.write(head + marker + "\n\n" + report + tail)
    print(f"written to {path}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--berth", default=os.path.join(ROOT, "build-release/berth"))
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--scale", type=int, default=1000)
    ap.add_argument("--baseline", help="an earlier berth build, measured beside the others as 'before'")
    ap.add_argument("--write", action="store_true", help="write docs/performance.md")
    args = ap.parse_args()

    moved = move_hugetlb_to_v1()
    work = tempfile.mkdtemp(prefix="berth-bench-")
    rts = [Runtime("berth", args.berth, work)]
    if args.baseline:
        rts.append(Runtime("before", args.baseline, work))
    for name in ("crun", "runc"):
        path = shutil.which(name)
        if path:
            rts.append(Runtime(name, path, work))
    names = [rt.name for rt in rts] + ["floor"]
    res = Results()
    try:
        true_bundle = make_bundle(work, args.berth, ["/bin/true"])
        sleep_bundle = make_bundle(work, args.berth, ["/bin/sh", "-c", "sleep 1000"])
        for rt in rts:  # warm up: page cache, cgroup parents
            measure(rt.cmd("run", "--bundle", true_bundle, "warm"))
        print(f"lifecycle, {args.iterations} iterations ...", flush=True)
        bench_lifecycle(rts, res, true_bundle, args.iterations)
        bench_floor(res, os.path.join(work, "rootfs"), args.iterations)
        print(f"exec, {args.iterations} iterations ...", flush=True)
        bench_exec(rts, res, sleep_bundle, args.iterations)
        print(f"scale, {args.scale} containers ...", flush=True)
        bench_scale(rts, res, sleep_bundle, args.scale)
    finally:
        for rt in rts:
            rt.cleanup()
        shutil.rmtree(work, ignore_errors=True)
        if moved:
            restore_hugetlb()

    versions = "\n".join(f"- {rt.name}: `{rt.version()}`" for rt in rts)
    machine = f"{platform.node()}: {os.cpu_count()} cores, Linux {platform.release()}"
    report = (f"Machine: {machine}\n\nVersions:\n{versions}\n\n"
              f"Command: `make bench` ({args.iterations} iterations, {args.scale} containers for scale)\n\n"
              + res.table(names) + "\n")
    print(report)
    if args.write:
        write_section("<!-- results -->", report)


if __name__ == "__main__":
    sys.exit(main())
