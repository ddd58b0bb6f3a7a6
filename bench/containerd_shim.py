#!/usr/bin/env python3
"""containerd's shims side by side: containerd-shim-berth-v2 beside
containerd-shim-runc-v2 (running runc, and running berth as its runc).

Run by `make bench` (as root). A private containerd (own root, state and
sockets, in a private mount namespace with tmpfs over /run and /var/lib)
imports busybox as an image; ctr runs `sleep` containers, each a pod of its
own (one shim each), through each runtime in turn:

- memory: with 1 and with --pods pods running, the PSS of each pod's shim
  (/proc/PID/smaps_rollup, read after a second idle) and, for berth, also
  with the berth-shim that is each container's parent (runc's shim is that
  parent itself, so "per pod, all" is the fair total); once with the pods
  just started, once more with each pod also asked an exec and its metrics
  (what a liveness probe and a stats poll ask);
- latency: `ctr run -d` from the command to a running task, median of
  --runs, which includes what ctr and containerd do (the same for all).

This is a benchmark, not a test: nothing here asserts a size or a time.
"""
import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import ROOT, write_section  # noqa: E402
from shim import smaps  # noqa: E402

NS = "berth-bench"
# Every container's cgroup goes under this parent, removed at the end
# (containerd's default, /<namespace>/<id>, would leave /berth-bench behind).
CGROUP_PARENT = f"berth-bench-{os.getpid()}"


def remove_cgroup_parent():
    for top in glob.glob(f"/sys/fs/cgroup/{CGROUP_PARENT}") + glob.glob(f"/sys/fs/cgroup/*/{CGROUP_PARENT}"):
        for d, _, _ in sorted(os.walk(top), key=lambda w: -len(w[0])):
            try:
                os.rmdir(d)
            except OSError:
                pass


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw).stdout


class Containerd:
    def __init__(self, work, bindir):
        self.work = work
        self.sock = os.path.join(work, "containerd.sock")
        conf = os.path.join(work, "containerd.toml")
        with open(conf, "w") as f:
            f.write(f'''version = 2
root = "{work}/root"
state = "{work}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "{self.sock}"
[ttrpc]
  address = "{self.sock}.ttrpc"
''')
        env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"],
                   BERTH_CONTAINERD_ROOT=os.path.join(work, "berth-state"))
        self.log = open(os.path.join(work, "containerd.log"), "w")
        self.proc = subprocess.Popen(["containerd", "--config", conf, "--log-level", "error"],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)
        for _ in range(200):
            if subprocess.run(self.ctr("version"), capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("containerd did not come up")

    def ctr(self, *args):
        return ["ctr", "--address", self.sock, "--namespace", NS, *args]

    def stop(self):
        for t in sh(*self.ctr("task", "ls", "-q")).split():
            subprocess.run(self.ctr("task", "rm", "-f", t), capture_output=True)
        for c in sh(*self.ctr("container", "ls", "-q")).split():
            subprocess.run(self.ctr("container", "rm", c), capture_output=True)
        self.proc.terminate()
        self.proc.wait()


def enter_private_namespace():
    """Re-executes this script in a mount namespace of its own, with tmpfs
    over /run and /var/lib: containerd's fifos and shim sockets
    (/run/containerd) stay private."""
    if not os.environ.get("BERTH_BENCH_PRIVATE"):
        os.environ["BERTH_BENCH_PRIVATE"] = "1"
        os.execvp("unshare", ["unshare", "--mount", "--propagation", "private", "--", sys.executable,
                              *sys.argv])
    for d in ("/run", "/var/lib"):
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", d], check=True)


def import_busybox(cd):
    """Imports busybox (tests/make-rootfs.sh) into cd as an image; returns its name."""
    rootfs = os.path.join(cd.work, "rootfs")
    subprocess.run([os.path.join(ROOT, "tests/make-rootfs.sh"), rootfs], check=True, capture_output=True)
    subprocess.run(["tar", "-C", rootfs, "-cf", os.path.join(cd.work, "rootfs.tar"), "."], check=True)
    image = "localhost/berth-busybox:latest"
    subprocess.run([os.path.join(ROOT, "tests/clients/oci-archive.sh"), os.path.join(cd.work, "rootfs.tar"), image,
                    os.path.join(cd.work, "image.tar")], check=True)
    sh(*cd.ctr("images", "import", "--snapshotter", "native", os.path.join(cd.work, "image.tar")))
    return image


def clean_up(cd, work):
    """Stops containerd (its tasks removed), removes the cgroups and work."""
    if cd:
        cd.stop()
    remove_cgroup_parent()
    subprocess.run(["sh", "-c", f"grep -o ' {work}[^ ]*' /proc/self/mounts | sort -r | xargs -r umount -l"])
    shutil.rmtree(work, ignore_errors=True)


def run_flags(kind, bindir):
    if kind == "berth-v2":
        return ["--runtime", "io.containerd.berth.v2"]
    if kind == "runc-v2+berth":
        return ["--runc-binary", os.path.join(bindir, "berth")]
    return ["--runc-binary", shutil.which("runc")]


def shim_pids(cd, kind):
    name = "containerd-shim-berth-v2" if kind == "berth-v2" else "containerd-shim-runc-v2"
    out = subprocess.run(["pgrep", "-f", f"^\\S*{name} .*{cd.sock}"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def monitor_pids(cd):
    out = subprocess.run(["pgrep", "-f", f"^berth-shim .*root={cd.work}/berth-state/"], capture_output=True,
                         text=True).stdout
    return [int(p) for p in out.split()]


def measure(cd, kind, bindir, pods, runs, image, busy=False):
    """PSS with 1 and with pods pods, and the median create-to-running
    latency of max(pods, runs) runs; busy: each pod is asked an exec and its
    metrics once started (as a liveness probe and a stats poll would), and
    only pods are run, untimed."""
    ids = []

    def pss(with_monitors):
        total = sum(smaps(p)["Pss"] for p in shim_pids(cd, kind))
        if with_monitors and kind == "berth-v2":
            total += sum(smaps(p)["Pss"] for p in monitor_pids(cd))
        return total

    got = {}
    try:
        latency = []
        for i in range(pods if busy else max(pods, runs)):
            cid = f"{kind.replace('+', '-')}-{i}"
            t0 = time.monotonic()
            sh(*cd.ctr("run", "-d", "--snapshotter", "native", "--cgroup", f"/{CGROUP_PARENT}/{cid}",
                       *run_flags(kind, bindir), image, cid, "sleep", "100000"))
            latency.append(time.monotonic() - t0)
            ids.append(cid)
            if busy:
                sh(*cd.ctr("task", "exec", "--exec-id", "probe", cid, "true"))
                sh(*cd.ctr("task", "metrics", cid))
            if i == 0 or i == pods - 1:
                time.sleep(1)  # settle: start-up pages that are going away, go
                n = i + 1
                got[n] = {"pss": pss(False) / n, "pss_all": pss(True) / n, "shims": len(shim_pids(cd, kind))}
        return {"pss1": got[1]["pss"], "pss1_all": got[1]["pss_all"], "pssn": got[pods]["pss"],
                "pssn_all": got[pods]["pss_all"], "shims": got[pods]["shims"],
                "latency_ms": statistics.median(latency) * 1000}
    finally:
        for cid in ids:
            subprocess.run(cd.ctr("task", "kill", "-s", "KILL", cid), capture_output=True)
        for cid in ids:
            for _ in range(50):
                if subprocess.run(cd.ctr("task", "rm", cid), capture_output=True).returncode == 0:
                    break
                time.sleep(0.1)
            subprocess.run(cd.ctr("container", "rm", cid), capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", default=os.path.join(ROOT, "build-release"),
                    help="where berth, berth-shim and containerd-shim-berth-v2 are")
    ap.add_argument("--pods", type=int, default=10)
    ap.add_argument("--runs", type=int, default=10, help="ctr runs timed per runtime")
    ap.add_argument("--write", action="store_true", help="write docs/performance.md's section")
    args = ap.parse_args()
    args.bindir = os.path.abspath(args.bindir)
    enter_private_namespace()
    work = tempfile.mkdtemp(prefix="bcs.", dir="/tmp")
    cd = None
    try:
        cd = Containerd(work, args.bindir)
        image = import_busybox(cd)
        kinds = ("runc-v2+runc", "runc-v2+berth", "berth-v2")
        got = {k: measure(cd, k, args.bindir, args.pods, args.runs, image) for k in kinds}
        busy = {k: measure(cd, k, args.bindir, args.pods, args.runs, image, busy=True) for k in kinds}
    finally:
        clean_up(cd, work)
    lines = ["| shim (+ runtime) | state | PSS KiB, 1 pod (with berth-shim) | PSS KiB per pod, "
             f"{args.pods} pods (with berth-shims) | shims for {args.pods} pods | PSS / runc-v2's, 1 pod | "
             f"PSS / runc-v2's, {args.pods} pods |",
             "|---|---|---|---|---|---|---|"]
    for state, results in (("started", got), ("after an exec and metrics", busy)):
        base = results["runc-v2+runc"]
        for k, m in results.items():
            lines.append(f"| {k} | {state} | {m['pss1']:.0f} ({m['pss1_all']:.0f}) | {m['pssn']:.0f} "
                         f"({m['pssn_all']:.0f}) | {m['shims']} | {m['pss1_all'] / base['pss1']:.2f} | "
                         f"{m['pssn_all'] / base['pssn']:.2f} |")
    base = got["runc-v2+runc"]
    lines += ["", f"| shim (+ runtime) | create-to-running ms (median of {max(args.pods, args.runs)}) | "
              "latency / runc-v2's |", "|---|---|---|"]
    for k, m in got.items():
        lines.append(f"| {k} | {m['latency_ms']:.0f} | {m['latency_ms'] / base['latency_ms']:.2f} |")
    version = sh("containerd", "--version").split()[2]
    report = (f"containerd's shims (`bench/containerd_shim.py`, containerd {version}; each `ctr run -d` a pod "
              f"of its own; berth-v2's totals include each container's berth-shim):\n\n" + "\n".join(lines) + "\n")
    print(report)
    if args.write:
        write_section("<!-- containerd shim results -->", report)


if __name__ == "__main__":
    sys.exit(main())
