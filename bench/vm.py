#!/usr/bin/env python3
"""The VM platform's benchmark (issue 18's rows), beside process isolation.

Each round, interleaved: a VM sandbox is created and started (time to its
first container running), then further members (create + start each); a
process-isolated container of the same bundle is created and started for the
ratio; exec latency (exec of `true`) into a VM-hosted member and into the
process-isolated container; memory: QEMU's PSS and virtiofsd's, and what each
further member adds on the host (its stand-in's PSS). Medians; a markdown
table on stdout.

    python3 bench/vm.py [--berth build/berth] [--rounds 5] [--members 3]

This is a benchmark, not a test: nothing here asserts a time.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(argv):
    start = time.monotonic()
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.monotonic() - start) * 1000


def bundle(tmp, name, rootfs, args, annotations):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    subprocess.run([ARGS.berth, "spec"], cwd=d, check=True)
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    cfg["root"] = {"path": rootfs, "readonly": True}
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = args
    cfg["annotations"] = annotations
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)
    return d


def one_round(tmp, rootfs, n):
    root = os.path.join(tmp, f"root{n}")
    b = [ARGS.berth, "--root", root]
    sb_ann = {"io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-id": "sb", "io.berth.platform": "vm"}
    member = {"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-id": "sb"}
    r = {}
    sb = bundle(tmp, f"sb{n}", rootfs, ["sleep", "1000"], sb_ann)
    r["sandbox"] = timed(b + ["create", "--bundle", sb, "sb"]) + timed(b + ["start", "sb"])
    with open(os.path.join(root, "sb", "state.json")) as f:
        state = json.load(f)["vm"]
    qemu, shim = state["qemuPid"], state["shimPid"]
    with open(f"/proc/{shim}/task/{shim}/children") as f:
        fs = [int(p) for p in f.read().split() if int(p) != qemu]
    r["qemu_pss"] = pss_kib(qemu)
    r["virtiofsd_pss"] = sum(pss_kib(p) for p in fs)
    r["shim_pss"] = pss_kib(shim)
    members = []
    for i in range(ARGS.members):
        m = bundle(tmp, f"m{n}-{i}", rootfs, ["sleep", "1000"], member)
        members.append(timed(b + ["create", "--bundle", m, f"m{i}"]) + timed(b + ["start", f"m{i}"]))
    r["member"] = statistics.median(members)
    r["stand_in_pss"] = pss_kib(json.loads(subprocess.run(b + ["state", "m0"], capture_output=True).stdout)["pid"])
    r["qemu_pss_after"] = pss_kib(qemu)
    p = bundle(tmp, f"p{n}", rootfs, ["sleep", "1000"], {})
    r["process"] = timed(b + ["create", "--bundle", p, "plain"]) + timed(b + ["start", "plain"])
    r["exec_vm"] = statistics.median(timed(b + ["exec", "m0", "true"]) for _ in range(5))
    r["exec_process"] = statistics.median(timed(b + ["exec", "plain", "true"]) for _ in range(5))
    for c in ["plain"] + [f"m{i}" for i in range(ARGS.members)] + ["sb"]:
        subprocess.run(b + ["delete", "--force", c], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r


def main():
    tmp = tempfile.mkdtemp(prefix="berth-vm-bench-")
    try:
        rootfs = os.path.join(tmp, "rootfs")
        shutil.copytree(os.path.join(os.path.dirname(ARGS.berth), "test-rootfs"), rootfs, symlinks=True)
        rounds = [one_round(tmp, rootfs, n) for n in range(ARGS.rounds)]
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", tmp])
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    print(f"{ARGS.rounds} rounds, {ARGS.members} members each, medians; accel: software emulation (tcg)\n")
    print("| what | figure |")
    print("|---|---|")
    print(f"| VM sandbox: create + start to its first container running | {med['sandbox']:.0f} ms |")
    print(f"| each further member in the running VM (create + start) | {med['member']:.0f} ms |")
    print(f"| a process-isolated container (create + start) | {med['process']:.0f} ms |")
    print(f"| member / process-isolated | {med['member'] / med['process']:.2f}x |")
    print(f"| exec into a VM-hosted member | {med['exec_vm']:.0f} ms |")
    print(f"| exec into a process-isolated container | {med['exec_process']:.0f} ms |")
    print(f"| QEMU PSS (sandbox only, then with {ARGS.members} members) | {med['qemu_pss'] / 1024:.1f} MiB, "
          f"{med['qemu_pss_after'] / 1024:.1f} MiB |")
    print(f"| virtiofsd PSS; VM shim PSS | {med['virtiofsd_pss'] / 1024:.1f} MiB; {med['shim_pss'] / 1024:.1f} MiB |")
    print(f"| per member on the host (its stand-in's PSS) | {med['stand_in_pss'] / 1024:.2f} MiB |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # The build tree's berth: its vm/ and test-rootfs/ are beside it.
    parser.add_argument("--berth", default=os.path.join(ROOT, "build/berth"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--members", type=int, default=3)
    ARGS = parser.parse_args()
    ARGS.berth = os.path.abspath(ARGS.berth)
    main()
