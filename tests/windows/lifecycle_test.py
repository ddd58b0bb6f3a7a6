#!/usr/bin/env python3
"""berth.exe's lifecycle under Wine, against the stand-in computecore.dll
(tests/hcs_standin): create, start, exec, state, list, ps, events --stats,
pause, resume, kill and delete, the sequence of HCS calls each makes and the
documents it sends, and that a failure from HCS at each step of create leaves
no state behind (the rollback runhcs does with c.Remove()).

Run by `make windows-test` (after the build): python3 lifecycle_test.py
BUILD_DIR. Every scenario has a state root and stand-in directory of its
own under a temporary directory, removed at the end; the Wine prefix is the
build's. What the stand-in's processes do: `cmd /c echo X` prints X and
exits 0, `cmd /c exit N` exits N, anything else runs until stopped.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build-windows")
WINE = "/usr/lib/wine/wine64"
VOLUME = "\\\\?\\Volume{66d1ef4c-7a00-11e6-8948-00155ddbef9d}\\"
LAYERS = ["C:\\layers\\app", "C:\\layers\\base", "C:\\layers\\scratch"]
failures = []


def winpath(p):
    return "Z:" + p.replace("/", "\\")


class Case:
    def __init__(self, name, work):
        self.name = name
        self.dir = os.path.join(work, name)
        self.root = os.path.join(self.dir, "root")
        self.hcs = os.path.join(self.dir, "hcs")
        os.makedirs(self.hcs)
        self.env = dict(os.environ, WINEPREFIX=os.path.join(BUILD, "wine"), WINEDEBUG="-all",
                        BERTH_HCS_STANDIN_DIR=winpath(self.hcs))

    def bundle(self, name="b", args=("cmd", "/c", "ping", "-t", "localhost"), **extra):
        path = os.path.join(self.dir, name)
        os.makedirs(path, exist_ok=True)
        config = {"ociVersion": "1.1.0",
                  "process": {"user": {"username": "ContainerUser"}, "args": list(args), "cwd": "C:\\"},
                  "root": {"path": VOLUME}, "hostname": "web1", "windows": {"layerFolders": LAYERS}}
        for k, v in extra.items():
            if v is None:
                config.pop(k, None)
            else:
                config[k] = v
        with open(os.path.join(path, "config.json"), "w") as f:
            json.dump(config, f)
        return winpath(path)

    def berth(self, *args, fail=None, stdout=None):
        """(exit code, stdout, stderr) of berth.exe ARGS. Both outputs go
        through files, not pipes: a shim started by create keeps create's
        stdio open for as long as the container lives."""
        env = dict(self.env)
        if fail:
            env["BERTH_HCS_STANDIN_FAIL"] = fail
        cmd = [WINE, os.path.join(BUILD, "berth.exe"), "--root", winpath(self.root), *args]
        out_path, err_path = os.path.join(self.dir, "out.txt"), os.path.join(self.dir, "err.txt")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            p = subprocess.run(cmd, env=env, stdout=stdout or out, stderr=err, stdin=subprocess.DEVNULL, timeout=60)
        with open(out_path) as o, open(err_path) as e:
            return p.returncode, o.read(), e.read()

    def calls(self):
        path = os.path.join(self.hcs, "calls.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def call_names(self, since=0):
        return [c["call"] for c in self.calls()[since:]]

    def systems(self):
        return sorted(n[:-5] for n in os.listdir(self.hcs) if n.endswith(".json"))

    def containers(self):
        return sorted(os.listdir(self.root)) if os.path.isdir(self.root) else []

    def state(self, cid):
        rc, out, err = self.berth("state", cid)
        return json.loads(out) if rc == 0 else None

    def wait_status(self, cid, status, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            s = self.state(cid)
            if s and s["status"] == status:
                return True
            time.sleep(0.2)
        return False


def check(case, what, ok, detail=""):
    if not ok:
        failures.append(f"{case.name}: {what} {detail}")
        print(f"  FAIL {what} {detail}")


def scenario_lifecycle(work):
    c = Case("lifecycle", work)
    b = c.bundle()
    rc, _, err = c.berth("create", "--bundle", b, "c1")
    check(c, "create exits 0", rc == 0, err)
    names = c.call_names()
    check(c, "create: the system is created, then the shim opens it", names == [
        "HcsCreateComputeSystem", "HcsOpenComputeSystem", "HcsCloseComputeSystem"], str(names))
    doc = c.calls()[0]["document"]
    check(c, "the v2 document is the container's", doc.get("Owner") == "berth" and doc.get("SchemaVersion") and
          [layer["Path"] for layer in doc["Container"]["Storage"]["Layers"]] == LAYERS[:-1] and
          doc["Container"]["GuestOs"]["HostName"] == "web1", json.dumps(doc)[:300])
    st = c.state("c1")
    check(c, "state: created, with the shim's pid", st and st["status"] == "created" and st["pid"] > 0, str(st))
    rc, out, _ = c.berth("list", "--format", "json")
    check(c, "list names c1", rc == 0 and [s["id"] for s in json.loads(out)] == ["c1"], out)
    n = len(c.calls())
    rc, _, err = c.berth("start", "c1")
    check(c, "start exits 0", rc == 0, err)
    check(c, "start: the system starts, then the shim creates the init (runhcs's order)", c.call_names(n) == [
        "HcsOpenComputeSystem", "HcsStartComputeSystem", "HcsCreateProcess", "HcsCloseComputeSystem"],
        str(c.call_names(n)))
    create = [x for x in c.calls()[n:] if x["call"] == "HcsCreateProcess"]
    check(c, "the init is the config's process",
          len(create) == 1 and create[0]["document"]["CommandLine"] == "cmd /c ping -t localhost" and
          create[0]["document"]["User"] == "ContainerUser", str(create))
    st = c.state("c1")
    check(c, "state: running, with the init's pid", st and st["status"] == "running" and st["pid"] == 100, str(st))
    rc, out, err = c.berth("exec", "c1", "cmd", "/c", "echo", "from-exec")
    check(c, "exec's output and exit code", rc == 0 and out.strip() == "from-exec", f"{rc} {out!r} {err}")
    rc, _, _ = c.berth("exec", "c1", "cmd", "/c", "exit", "7")
    check(c, "exec's exit code 7", rc == 7, str(rc))
    n = len(c.calls())
    rc, _, err = c.berth("kill", "c1", "TERM")
    check(c, "kill TERM exits 0", rc == 0, err)
    check(c, "TERM shuts the system down", "HcsShutDownComputeSystem" in c.call_names(n), str(c.call_names(n)))
    check(c, "the container stops", c.wait_status("c1", "stopped"))
    rc, _, err = c.berth("delete", "c1")
    check(c, "delete exits 0", rc == 0, err)
    check(c, "nothing left: no record, no system", c.containers() == [] and c.systems() == [],
          f"{c.containers()} {c.systems()}")


def scenario_init_output_and_kill(work):
    c = Case("kill", work)
    out_path = os.path.join(c.dir, "init-out.txt")
    with open(out_path, "w") as out:
        rc, _, err = c.berth("create", "--bundle", c.bundle("echo", args=("cmd", "/c", "echo", "hello")), "e1",
                             stdout=out)
    check(c, "create (echo) exits 0", rc == 0, err)
    c.berth("start", "e1")
    check(c, "an init that ends is stopped", c.wait_status("e1", "stopped"))
    with open(out_path) as f:
        check(c, "the init's output reaches create's stdout", f.read().strip() == "hello")
    rc, _, err = c.berth("kill", "e1", "KILL")
    check(c, "kill of a stopped container fails", rc == 1, err)
    rc, _, err = c.berth("create", "--bundle", c.bundle(), "k1")
    c.berth("start", "k1")
    n = len(c.calls())
    rc, _, err = c.berth("kill", "k1", "SIGKILL")
    check(c, "KILL terminates the system", rc == 0 and "HcsTerminateComputeSystem" in c.call_names(n),
          f"{err} {c.call_names(n)}")
    check(c, "the killed container stops", c.wait_status("k1", "stopped"))
    c.berth("create", "--bundle", c.bundle(), "t1")
    rc, _, err = c.berth("kill", "t1", "TERM")
    check(c, "TERM stops a created container (as on Linux)", rc == 0 and c.wait_status("t1", "stopped"), err)
    c.berth("delete", "t1")
    rc, _, err = c.berth("create", "--bundle", c.bundle(), "d1")
    rc, _, err = c.berth("delete", "d1")
    check(c, "a created container is deleted without --force (runc's)", rc == 0 and "d1" not in c.containers() and
          "d1" not in c.systems(), err)
    rc, _, err = c.berth("create", "--bundle", c.bundle(), "r1")
    c.berth("start", "r1")
    rc, _, err = c.berth("delete", "r1")
    check(c, "delete of a running container is refused", rc == 1 and c.state("r1")["status"] == "running", err)
    for cid in ("e1", "k1"):
        c.berth("delete", cid)
    rc, _, err = c.berth("delete", "--force", "r1")
    check(c, "delete --force of a running one", rc == 0, err)
    check(c, "nothing left", c.containers() == [] and c.systems() == [], f"{c.containers()} {c.systems()}")


def scenario_pause_resume(work):
    c = Case("pause", work)
    c.berth("create", "--bundle", c.bundle(), "p1")
    rc, _, err = c.berth("pause", "p1")
    check(c, "pause of a created container is refused", rc == 1, err)
    c.berth("start", "p1")
    n = len(c.calls())
    rc, _, err = c.berth("pause", "p1")
    check(c, "pause: HcsPauseComputeSystem, status paused", rc == 0 and c.call_names(n) == [
        "HcsOpenComputeSystem", "HcsPauseComputeSystem", "HcsCloseComputeSystem"] and
        c.state("p1")["status"] == "paused", f"{err} {c.call_names(n)}")
    n = len(c.calls())
    rc, _, err = c.berth("resume", "p1")
    check(c, "resume: HcsResumeComputeSystem, status running", rc == 0 and "HcsResumeComputeSystem" in
          c.call_names(n) and c.state("p1")["status"] == "running", err)
    rc, _, err = c.berth("pause", "p1", fail="HcsPauseComputeSystem")
    check(c, "a pause HCS refuses: exit 1, still running", rc == 1 and "HcsPauseComputeSystem" in err and
          c.state("p1")["status"] == "running", err)
    c.berth("delete", "--force", "p1")
    check(c, "nothing left", c.containers() == [] and c.systems() == [])


def scenario_ps_and_stats(work):
    c = Case("ps", work)
    c.berth("create", "--bundle", c.bundle(), "q1")
    c.berth("start", "q1")
    n = len(c.calls())
    rc, out, err = c.berth("ps", "--format", "json", "q1")
    check(c, "ps lists the init by its pid", rc == 0 and json.loads(out) == [100], f"{rc} {out!r} {err}")
    asked = [x.get("document") for x in c.calls()[n:] if x["call"] == "HcsGetComputeSystemProperties"]
    check(c, "ps asks HCS for the ProcessList", asked == [{"PropertyTypes": ["ProcessList"]}], str(asked))
    rc, out, err = c.berth("ps", "q1")
    check(c, "ps's table names the image", rc == 0 and "100\tcmd" in out, out)
    rc, out, err = c.berth("events", "--stats", "q1")
    ev = json.loads(out) if rc == 0 else {}
    check(c, "events --stats: HCS's Statistics in runc's shape, 100 ns units as ns",
          ev.get("type") == "stats" and ev.get("id") == "q1" and
          ev["data"]["cpu"]["usage"]["total"] == 1000000 and ev["data"]["memory"]["usage"]["usage"] == 1 << 20,
          f"{rc} {out!r} {err}")
    c.berth("kill", "q1", "KILL")
    c.wait_status("q1", "stopped")
    rc, _, err = c.berth("ps", "q1")
    check(c, "ps of a stopped container fails", rc == 1, err)
    c.berth("delete", "q1")
    check(c, "nothing left", c.containers() == [] and c.systems() == [])


def scenario_crash_recovery(work):
    # What a crash leaves: a record still "creating" with its system made, a
    # directory made before its first record, and a container whose shim was
    # killed. delete finds and removes them; create may reuse the id.
    c = Case("crash", work)
    os.makedirs(os.path.join(c.root, "c8"))
    rc, _, err = c.berth("create", "--bundle", c.bundle(), "c8")
    check(c, "create reuses a directory a crash left without a record", rc == 0, err)
    c.berth("delete", "--force", "c8")
    os.makedirs(os.path.join(c.root, "c7"))
    rc, _, err = c.berth("delete", "--force", "c7")
    check(c, "delete --force removes a directory without a record", rc == 0 and c.containers() == [], err)
    os.makedirs(os.path.join(c.root, "c9"))
    with open(os.path.join(c.root, "c9", "state.json"), "w") as f:
        json.dump({"id": "c9", "status": "creating", "systemRequested": True}, f)
    with open(os.path.join(c.hcs, "c9.json"), "w") as f:
        json.dump({"id": "c9", "state": "Running", "document": {}}, f)
    rc, _, err = c.berth("delete", "--force", "c9")
    check(c, "delete --force of a half-made container", rc == 0 and c.containers() == [] and c.systems() == [],
          f"{err} {c.containers()} {c.systems()}")
    c.berth("create", "--bundle", c.bundle(), "k9")
    c.berth("start", "k9")
    shim = c.state("k9")
    rc, _, err = c.berth("state", "k9")
    rec = json.load(open(os.path.join(c.root, "k9", "state.json")))
    subprocess.run([WINE, "taskkill", "/F", "/PID", str(rec["shimPid"])], env=c.env, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    check(c, "a container whose shim died is stopped", c.wait_status("k9", "stopped"), str(shim))
    rc, _, err = c.berth("delete", "k9")
    check(c, "and delete removes it and its running system", rc == 0 and c.containers() == [] and
          c.systems() == [], f"{err} {c.containers()} {c.systems()}")


def scenario_create_failures(work):
    # Each step of create failing in HCS: exit 1, the call named, nothing left.
    for call in ("HcsCreateComputeSystem", "HcsOpenComputeSystem"):
        c = Case("fail-" + call, work)
        rc, _, err = c.berth("create", "--bundle", c.bundle(), "f1", fail=call)
        check(c, f"{call} failing fails create", rc == 1, err)
        check(c, "the error names the call (the shim's own, through its ready pipe)", call in err, err)
        check(c, "nothing left", c.containers() == [] and c.systems() == [], f"{c.containers()} {c.systems()}")
        rc, _, err = c.berth("create", "--bundle", c.bundle(), "f1")
        check(c, "the id can be used again", rc == 0, err)
        c.berth("delete", "--force", "f1")
        check(c, "nothing left after", c.containers() == [] and c.systems() == [], f"{c.containers()} {c.systems()}")


def scenario_later_failures(work):
    c = Case("later-failures", work)
    # A running container: exec, kill, pause and ps that HCS refuses fail
    # and change nothing.
    c.berth("create", "--bundle", c.bundle(), "s1")
    c.berth("start", "s1")
    for args, call in ((("exec", "s1", "cmd", "/c", "exit", "0"), "HcsCreateProcess"),
                       (("ps", "s1"), "HcsGetComputeSystemProperties"),
                       (("pause", "s1"), "HcsPauseComputeSystem")):
        rc, _, err = c.berth(*args, fail=call)
        check(c, f"{args[0]} fails when {call} does", rc == 1 and call in err, err)
        check(c, f"and s1 still runs after the failed {args[0]}", c.state("s1")["status"] == "running")
    c.berth("delete", "--force", "s1")
    # The shim makes the init: a shim started under the failure (the
    # stand-in's failures are per process) cannot.
    c.berth("create", "--bundle", c.bundle(), "s2", fail="HcsCreateProcess")
    rc, _, err = c.berth("start", "s2")
    check(c, "start fails when HCS cannot create the init", rc == 1 and "HcsCreateProcess" in err, err)
    check(c, "and the container stays created (runc's start)", c.state("s2")["status"] == "created")
    rc, _, err = c.berth("delete", "--force", "s2")
    check(c, "delete --force removes it", rc == 0 and c.containers() == [] and c.systems() == [],
          f"{err} {c.containers()} {c.systems()}")
    c.berth("create", "--bundle", c.bundle(), "s4")
    rc, _, err = c.berth("start", "s4", fail="HcsStartComputeSystem")
    check(c, "start fails when HCS cannot start the system", rc == 1 and "HcsStartComputeSystem" in err, err)
    check(c, "and the container stays created", c.state("s4")["status"] == "created")
    rc, _, err = c.berth("delete", "--force", "s4")
    check(c, "delete --force removes it", rc == 0 and c.containers() == [] and c.systems() == [],
          f"{err} {c.containers()} {c.systems()}")
    c.berth("create", "--bundle", c.bundle(), "s3")
    c.berth("start", "s3")
    rc, _, err = c.berth("delete", "--force", "s3", fail="HcsTerminateComputeSystem")
    check(c, "a delete HCS refuses fails and keeps the record", rc == 1 and c.containers() == ["s3"], err)
    rc, _, err = c.berth("delete", "--force", "s3")
    check(c, "and a second delete removes it", rc == 0 and c.containers() == [] and c.systems() == [],
          f"{err} {c.containers()} {c.systems()}")


def scenario_bad_input(work):
    c = Case("bad-input", work)
    cases = [
        # (a Linux config: a Windows cwd without a windows section is refused
        # earlier, as process.cwd)
        ("no windows section", c.bundle("nowin", windows=None, process={"args": ["sh"], "cwd": "/"}), "windows"),
        ("one layer folder", c.bundle("onelayer", windows={"layerFolders": ["C:\\l"]}), "windows.layerFolders"),
        ("a read-only root", c.bundle("ro", root={"path": VOLUME, "readonly": True}), "root.readonly"),
        ("a mount type", c.bundle("mt", mounts=[{"destination": "C:\\d", "source": "C:\\s", "type": "bind"}]),
         "mounts[0].type"),
        ("a member of no sandbox", c.bundle("member", annotations={
            "io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-id": "nope"}),
         "io.kubernetes.cri.sandbox-id"),
        ("Hyper-V", c.bundle("hv", windows={"layerFolders": LAYERS, "hyperv": {}}, root=None), "windows.hyperv"),
    ]
    for what, bundle, path in cases:
        rc, _, err = c.berth("create", "--bundle", bundle, "x1")
        check(c, f"{what}: exit 1 naming {path}", rc == 1 and path in err, f"rc={rc} {err}")
        check(c, f"{what}: nothing left", c.containers() == [] and c.systems() == [] and
              "HcsCreateComputeSystem" not in c.call_names(), str(c.call_names()))
    rc, _, err = c.berth("create", "--bundle", c.bundle(), "bad/id")
    check(c, "a bad id: exit 1", rc == 1 and c.containers() == [], err)
    rc, _, err = c.berth("state", "nosuch")
    check(c, "state of no container: exit 1", rc == 1 and "nosuch" in err, err)
    rc, _, err = c.berth("delete", "--force", "nosuch")
    check(c, "delete --force of no container: exit 0 (runc's)", rc == 0, err)


def main():
    work = tempfile.mkdtemp(prefix="berth-win.")
    # The prefix's wineserver, started here with no stdio of the test's, and
    # persistent: by default it exits a few seconds after its last client,
    # and a berth.exe starting just then loses its connection
    # ("recvmsg: Connection reset by peer"). Killed at the end.
    prefix_env = dict(os.environ, WINEPREFIX=os.path.join(BUILD, "wine"), WINEDEBUG="-all")
    subprocess.run(["/usr/lib/wine/wineserver64", "-p"], env=prefix_env, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([WINE, "cmd", "/c", "exit"], env=prefix_env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    try:
        for fn in (scenario_lifecycle, scenario_init_output_and_kill, scenario_pause_resume, scenario_ps_and_stats,
                   scenario_crash_recovery,
                   scenario_create_failures, scenario_later_failures, scenario_bad_input):
            print(fn.__name__[len("scenario_"):])
            fn(work)
    finally:
        subprocess.run(["/usr/lib/wine/wineserver64", "-k"], env=dict(os.environ, WINEPREFIX=os.path.join(BUILD, "wine")))
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} failed:\n  " + "\n  ".join(failures))
        return 1
    print("windows lifecycle: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
