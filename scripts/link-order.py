#!/usr/bin/env python3
"""Writes the link orders of the two long-lived binaries a pod keeps
running: src/containerd/link.order (containerd-shim-berth-v2) and
src/shim/link.order (berth-shim). Run as root, after a change to what they
execute: `scripts/link-order.py [--build build-release]` (a build with lld,
its binaries built; they are relinked in the new orders as it goes). It
needs valgrind and containerd, and takes a minute.

Why: a process's code is resident by 64 KB windows (the kernel maps a
faulting page's neighbours too, when they are in the page cache), and the
few hundred KB a waiting shim runs were spread over most of its 3.7 MB of
code. lld places the functions a link order names first, in its order, so
what a shim runs is packed into as few windows as it fills (CMakeLists.txt).

How: a pod runs under a private containerd (as bench/containerd_shim.py's
do), its shim under valgrind's callgrind (through a wrapper), which records
every function the shim runs in two phases:
  1. the pod's start (`ctr run -d` and a moment's rest);
  2. what a pod asks of its shim later (LATER: exec, metrics, pause,
     resume, ps).
valgrind's CPU is not this one, so glibc picks other variants of its string
functions (memcpy's AVX-512 one, say): every variant of one that ran is
named. Then each binary is relinked and the two phases run natively with
its page cache dropped and readahead off, so that only the pages it touches
are read and mapped (the device's read_ahead_kb is restored at once; the
shims keep theirs off): in each phase, the functions on pages it touched
first that no order names yet are added after callgrind's, and those added
before that are on untouched pages now dropped, pass after pass, as the
layout moves. That is all berth-shim's order: valgrind 3.19 emulates
neither execveat nor pidfd_open, which it needs.
"""
import argparse
import glob
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import containerd_shim as bench  # noqa: E402

SHIM = "containerd-shim-berth-v2"
MONITOR = "berth-shim"
ORDERS = {SHIM: os.path.join(ROOT, "src/containerd/link.order"), MONITOR: os.path.join(ROOT, "src/shim/link.order")}
# glibc's variants of one string function: __memmove_evex_unaligned_erms, ...
VARIANT = re.compile(r"^(__(?:mem|str|stp|wcs|wmem|raw)[a-z]*?)_(?:sse2|sse4|sse42|ssse3|avx|avx2|evex|avx512|erms|"
                     r"unaligned|rtm|movbe)")
# What a pod asks of its shim after its start (ctr's words).
LATER = (("task", "exec", "--exec-id", "e1", "p0", "echo", "hi"), ("task", "metrics", "p0"),
         ("task", "pause", "p0"), ("task", "resume", "p0"), ("task", "ps", "p0"))


def text_symbols(binary):
    """(address, size, mangled name) of each of binary's functions."""
    out = subprocess.run(["nm", "-S", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        p = line.split(" ", 3)
        if len(p) == 4 and p[2] in "tTwWiI":
            syms.append((int(p[0], 16), int(p[1], 16), p[3]))
    return syms


def demangled_to_mangled(binary):
    """callgrind names functions demangled; the link order wants them mangled."""
    def names(demangle):
        by_addr = {}
        args = ["nm", "--defined-only", *(["-C"] if demangle else []), binary]
        for line in subprocess.run(args, capture_output=True, text=True, check=True).stdout.splitlines():
            p = line.split(" ", 2)
            if len(p) == 3 and p[1] in "tTwWiI":
                by_addr.setdefault(p[0], []).append(p[2])
        return by_addr
    plain, mangled = names(True), names(False)
    table = {}
    for addr, ds in plain.items():
        for d, m in zip(ds, mangled.get(addr, [])):
            table.setdefault(d, []).append(m)
    return table


def callgrind_functions(path):
    """The functions a callgrind output file records, in its order."""
    names = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^c?fn=\(\d+\) (.*)$", line.rstrip("\n"))
            if m:
                names.setdefault(m.group(1))
    return list(names)


def with_variants(order, binary):
    """order, each glibc string function followed by all its variants."""
    variants = {}
    for name in sorted({s[2] for s in text_symbols(binary)}):
        if m := VARIANT.match(name):
            variants.setdefault(m.group(1), []).append(name)
    out = {}
    for name in order:
        out.setdefault(name)
        if m := VARIANT.match(name):
            for v in variants[m.group(1)]:
                out.setdefault(v)
    return list(out)


def write_wrapper(path, binary, out_dir):
    """A script that runs binary under callgrind, and what it executes but
    berth (the shim's start executes the shim)."""
    with open(path, "w") as f:
        f.write(f"#!/bin/sh\n# {os.path.basename(binary)} under callgrind (scripts/link-order.py)\n"
                f"exec valgrind -q --tool=callgrind --trace-children=yes --trace-children-skip='*/berth,*/berth-vm' "
                f"--callgrind-out-file={out_dir}/cg.%p {binary} \"$@\"\n")
    os.chmod(path, 0o755)


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().split(b"\0")


def wait_for(what, cond, seconds=60):
    for _ in range(seconds * 10):
        if cond():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def ctr(cd, *args):
    r = subprocess.run(cd.ctr(*args), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"ctr {' '.join(args)}: {r.stderr.strip()}")


def start_pod(cd, image, cid):
    ctr(cd, "run", "-d", "--snapshotter", "native", "--cgroup", f"/{bench.CGROUP_PARENT}/{cid}",
        "--runtime", "io.containerd.berth.v2", image, cid, "sleep", "100000")


def profile(build, work):
    """The functions the shim runs, as callgrind names them: those of a
    pod's start, and those of what it asks later."""
    # The outputs outlive work, which clean_up removes.
    bindir, out_dir = os.path.join(work, "bin"), tempfile.mkdtemp(prefix="blo-cg.", dir="/tmp")
    os.makedirs(bindir)
    write_wrapper(os.path.join(bindir, SHIM), os.path.join(build, SHIM), out_dir)
    os.symlink(os.path.join(build, "berth"), os.path.join(bindir, "berth"))
    os.symlink(os.path.join(build, MONITOR), os.path.join(bindir, MONITOR))
    cd, pid = None, None
    try:
        cd = bench.Containerd(work, bindir)
        image = bench.import_busybox(cd)
        start_pod(cd, image, "p0")
        time.sleep(2)
        # The shim serving (its command line has no action word; start's has).
        for f in glob.glob(f"{out_dir}/cg.*"):
            p = int(f.rsplit(".", 1)[1])
            try:
                if not {b"start", b"delete"} & set(cmdline(p)):
                    pid = p
            except OSError:
                continue
        if pid is None:
            raise RuntimeError("no shim under callgrind")
        subprocess.run(["callgrind_control", "-d", str(pid)], check=True, capture_output=True)
        wait_for("callgrind's dump", lambda: os.path.exists(f"{out_dir}/cg.{pid}.1"))
        for args in LATER:
            ctr(cd, *args)
        # Not kill: valgrind 3.19 emulates no pidfd_open, which it needs.
        subprocess.run(["callgrind_control", "-d", str(pid)], check=True, capture_output=True)
        wait_for("callgrind's dump", lambda: os.path.exists(f"{out_dir}/cg.{pid}.2"))
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        subprocess.run([os.path.join(build, "berth"), "--root", os.path.join(work, "berth-state", bench.NS),
                        "delete", "--force", "p0"], capture_output=True)
        bench.clean_up(cd, work)
    first = callgrind_functions(f"{out_dir}/cg.{pid}.1")
    later = [n for n in callgrind_functions(f"{out_dir}/cg.{pid}.2") if n not in first]
    shutil.rmtree(out_dir)
    return first, later


def to_order(functions, binary):
    """The link order (mangled names) of callgrind's functions."""
    table = demangled_to_mangled(binary)
    order = {}
    for f in functions:
        for m in sorted(table.get(f, [])):
            order.setdefault(m)
    return with_variants(list(order), binary)


def relink(build):
    subprocess.run(["cmake", "--build", build, "--target", SHIM, MONITOR], check=True, capture_output=True)


def read_ahead_file(path):
    """The read_ahead_kb of the block device path is on (a partition's is its disk's)."""
    dev = os.stat(path).st_dev
    d = os.path.realpath(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}")
    q = os.path.join(d, "queue/read_ahead_kb")
    return q if os.path.exists(q) else os.path.join(os.path.dirname(d), "queue/read_ahead_kb")


def touched_pages(pid, binary):
    """The pages of binary's code mapped in pid, as offsets from its base."""
    base, pages = None, set()
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for m in (line.split() for line in maps):
            if len(m) < 6 or os.path.realpath(m[5]) != os.path.realpath(binary):
                continue
            lo, hi = (int(x, 16) for x in m[0].split("-"))
            if base is None:
                base = lo - int(m[2], 16)
            if m[1] != "r-xp":
                continue
            for page in range(lo, hi, 4096):
                pagemap.seek(page // 4096 * 8)
                if struct.unpack("Q", pagemap.read(8))[0] >> 63:
                    pages.add((page - base) >> 12)
    return pages


class Order:
    """A binary's link order, in two phases, a pod's start and what it asks
    later (LATER): for each, what callgrind saw run, then what a native run
    touched besides (by pages: the functions on them). So a pod's start
    touches one run of windows, and its later requests the next."""

    def __init__(self, binary, start=(), later=()):
        self.binary = binary
        self.callgrind = [list(start), [n for n in later if n not in set(start)]]
        self.native = [[], []]

    def names(self):
        out = {}
        for cg, native in zip(self.callgrind, self.native):
            for n in cg + native:
                out.setdefault(n)
        return list(out)

    def touched(self, phases):
        """Takes the pages a native run touched by the end of each phase (of
        the binary linked in this order): a phase's native part becomes the
        functions on the pages it touched first that no earlier part names,
        those of the last pass first. Functions of the last pass on pages
        now untouched go, so the pages fill with touched ones."""
        # Each function with the pages it spans.
        spans = [(s[2], set(range(s[0] >> 12, ((s[0] + max(s[1], 1) - 1) >> 12) + 1)))
                 for s in sorted(text_symbols(self.binary))]
        placed, seen_pages, counts = set(), set(), []
        for i, pages in enumerate(phases):
            fresh = pages - seen_pages
            seen_pages |= pages
            on = [name for name, span in spans if span & fresh]
            placed |= set(self.callgrind[i])
            on_set = set(on) - placed
            kept = [n for n in self.native[i] if n in on_set]
            new = on_set - set(kept)
            added = [n for n in on if n in new]
            self.native[i] = kept + added
            placed |= set(self.native[i])
            counts.append((len(pages), len(kept), len(added)))
        return counts


def native_pass(build, orders):
    """Runs a pod's start, then LATER, natively, the binaries in their
    orders, and gives each order the pages it touched by the end of each."""
    relink(build)
    os.sync()
    for o in orders.values():
        fd = os.open(o.binary, os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
    work = tempfile.mkdtemp(prefix="blo.", dir="/tmp")
    cd = None
    ra_file = read_ahead_file(orders[SHIM].binary)
    with open(ra_file) as f:
        ra = f.read().strip()
    try:
        cd = bench.Containerd(work, build)
        image = bench.import_busybox(cd)
        # A process keeps the readahead of when it opened its binary: the
        # shims' stays off after the device's is restored.
        try:
            with open(ra_file, "w") as f:
                f.write("0")
            start_pod(cd, image, "p0")
            time.sleep(1)
        finally:
            with open(ra_file, "w") as f:
                f.write(ra)
        shim = bench.shim_pids(cd, "berth-v2")
        monitor = bench.monitor_pids(cd)
        if len(shim) != 1 or len(monitor) != 1:
            raise RuntimeError(f"expected one shim and one berth-shim, found {shim} and {monitor}")
        pids = {SHIM: shim[0], MONITOR: monitor[0]}
        phases = {name: [touched_pages(pid, orders[name].binary)] for name, pid in pids.items()}
        for args in LATER:
            ctr(cd, *args)
        time.sleep(1)
        for name, pid in pids.items():
            phases[name].append(touched_pages(pid, orders[name].binary))
            counts = orders[name].touched(phases[name])
            print(f"{name}: " + "; ".join(f"{p} pages of code touched, {k} functions kept, {a} added"
                                          for p, k, a in counts))
    finally:
        bench.clean_up(cd, work)


def write_orders(orders):
    for name, order in orders.items():
        with open(ORDERS[name], "w") as f:
            f.write("\n".join(order.names()) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build-release"),
                    help="a BERTH_STATIC build with lld, its binaries built")
    ap.add_argument("--no-native", action="store_true", help="callgrind's lists only")
    ap.add_argument("--passes", type=int, default=4, help="native passes")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    bench.enter_private_namespace()
    start, later = profile(args.build, tempfile.mkdtemp(prefix="blo.", dir="/tmp"))
    binary = os.path.join(args.build, SHIM)
    orders = {SHIM: Order(binary, to_order(start, binary), to_order(later, binary)),
              MONITOR: Order(os.path.join(args.build, MONITOR))}
    print(f"{SHIM}: callgrind saw {len(start)} functions run for a start, {len(later)} more later")
    write_orders(orders)
    if not args.no_native:
        for _ in range(args.passes):
            native_pass(args.build, orders)
            write_orders(orders)
    relink(args.build)
    return 0


if __name__ == "__main__":
    sys.exit(main())
