// Behaviour clients depend on, as runc has it: what real clients (podman,
// buildah, containerd's CRI plugin, the kubelet) hit when berth differed.
// Each test checks what the container or the host sees.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "harness.h"

namespace berth::test {
namespace {

// Kills pid when the test ends, however it ends: a runtime that loses a
// container (the bugs these tests are about) must not leave it running.
struct KillOnExit {
  int pid;
  ~KillOnExit() { ::kill(pid, SIGKILL); }
};

class Parity : public BerthTest {
 protected:
  int pid_of(const std::string& id) {
    auto j = nlohmann::json::parse(berth({"state", id}).out, nullptr, false);
    return j.is_object() ? j.value("pid", 0) : 0;
  }
  std::vector<int> ps_json(const std::string& id) {
    RunResult r = berth({"ps", "--format", "json", id});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_array() ? j.get<std::vector<int>>() : std::vector<int>{-1};
  }
  void drop_namespace(const std::string& type) {
    auto& nss = config_["linux"]["namespaces"];
    for (size_t i = 0; i < nss.size(); ++i)
      if (nss[i]["type"] == type) {
        nss.erase(i);
        break;
      }
    write_config();
  }
};

// A pod sharing one pid namespace: a container's init exits, its other
// processes live on in its cgroup. containerd stops it with `kill --all ID
// KILL`; runc kills them and exits 0, and `ps` still lists them.
TEST_F(Parity, KillAllOfAStoppedContainerKillsWhatIsLeftInItsCgroup) {
  if (!exists("/sys/fs/cgroup/pids/cgroup.procs")) GTEST_SKIP() << "no cgroup v1 pids hierarchy here";
  drop_namespace("pid");
  set_args({"/bin/sh", "-c", "sleep 1000 & exit 0"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "left"}).code, 0);
  EXPECT_EQ(wait_status("left", "stopped"), "stopped");
  std::vector<int> rest = ps_json("left");
  ASSERT_EQ(rest.size(), 1u) << "ps of a stopped container lists what its cgroup holds";
  EXPECT_TRUE(pid_alive(rest[0]));
  RunResult table = berth({"ps", "left"});
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("PID"), std::string::npos) << table.out;
  RunResult k = berth({"kill", "--all", "left", "KILL"});
  EXPECT_EQ(k.code, 0) << k.err;
  for (int i = 0; i < 100 && pid_alive(rest[0]); ++i) ::usleep(10000);
  EXPECT_FALSE(pid_alive(rest[0]));
  EXPECT_EQ(berth({"delete", "left"}).code, 0);
}

// kill(2)'s signal 0: does the container's process exist? (runc accepts it.)
TEST_F(Parity, SignalZeroProbesARunningContainer) {
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "zero"}).code, 0);
  EXPECT_EQ(berth({"kill", "zero", "0"}).code, 0);
  EXPECT_EQ(status_of("zero"), "running");
}

// buildah never sets HOME; docker exec -u 1000 neither: runc takes it from
// the container's /etc/passwd for the process's uid, or "/".
TEST_F(Parity, HomeComesFromTheContainersPasswdWhenTheConfigHasNone) {
  set_args({"/bin/probe", "env", "HOME"});
  RunResult r = berth({"run", "--bundle", bundle_, "home0"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(parse_probe(r.out)["env.HOME"], "/root");
  config_["process"]["user"] = {{"uid", 65534}, {"gid", 65534}};
  write_config();
  r = berth({"run", "--bundle", bundle_, "home1"});
  EXPECT_EQ(parse_probe(r.out)["env.HOME"], "/nonexistent") << r.err;
  config_["process"]["user"] = {{"uid", 4242}, {"gid", 4242}};
  write_config();
  r = berth({"run", "--bundle", bundle_, "home2"});
  EXPECT_EQ(parse_probe(r.out)["env.HOME"], "/") << r.err;

  // exec without HOME in its environment: the same rule.
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "homex"}).code, 0);
  r = berth({"exec", "--user", "65534", "homex", "/bin/probe", "env", "HOME"});
  EXPECT_EQ(parse_probe(r.out)["env.HOME"], "/nonexistent") << r.err;

  config_["process"]["env"].push_back("HOME=/given");
  set_args({"/bin/probe", "env", "HOME"});
  r = berth({"run", "--bundle", bundle_, "home3"});
  EXPECT_EQ(parse_probe(r.out)["env.HOME"], "/given") << r.err;
}

// runc makes every process a session leader (setsid), with or without a
// terminal: getpgrp() is its own pid, not 0.
TEST_F(Parity, InitAndExecAreSessionLeaders) {
  set_args({"/bin/probe", "pid", "session"});
  RunResult r = berth({"run", "--bundle", bundle_, "sess"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["sid"], p["pid"]);
  EXPECT_EQ(p["pgrp"], p["pid"]);
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "sessx"}).code, 0);
  r = berth({"exec", "sessx", "/bin/probe", "pid", "session"});
  p = parse_probe(r.out);
  EXPECT_EQ(p["sid"], p["pid"]) << r.out << r.err;
  EXPECT_EQ(p["pgrp"], p["pid"]);
}

// The cwd is entered with the runtime's rights: uid 42 may start in /root
// (0700, root's) as with runc.
TEST_F(Parity, CwdIsEnteredBeforeTheUserSwitch) {
  std::string rootfs = own_rootfs();
  ASSERT_EQ(::chmod((rootfs + "/root").c_str(), 0700), 0);
  config_["process"]["user"] = {{"uid", 42}, {"gid", 42}};
  config_["process"]["cwd"] = "/root";
  set_args({"/bin/probe", "cwd", "id"});
  RunResult r = berth({"run", "--bundle", bundle_, "cwd"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["cwd"], "/root");
  EXPECT_EQ(p["uid"], "42");
}

// With a user namespace the init is root only inside it; a bind source below
// a 0700 directory of the host's root is still reached, by berth.
TEST_F(Parity, BindSourcesAreReachedWithTheRuntimesRights) {
  std::string priv = tmp_ + "/private";
  ASSERT_EQ(::mkdir(priv.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((priv + "/data").c_str(), 0755), 0);
  std::ofstream(priv + "/data/file") << "reached\n";
  ::chmod((priv + "/data/file").c_str(), 0644);
  ::chmod(tmp_.c_str(), 0755);
  config_["linux"]["namespaces"].push_back({{"type", "user"}});
  config_["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  config_["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  config_["mounts"].push_back(
      {{"destination", "/home"}, {"type", "bind"}, {"source", priv + "/data"}, {"options", {"rbind", "ro"}}});
  set_args({"/bin/probe", "read", "/home/file"});
  RunResult r = berth({"run", "--bundle", bundle_, "bindsrc"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(parse_probe(r.out)["read./home/file"], "reached");
}

// exec -p takes a pipe or /dev/stdin, as runc does (`-p <(...)`).
TEST_F(Parity, ExecProcessFileMayBeAPipe) {
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "pipe"}).code, 0);
  std::string json = R"({"args":["/bin/probe","hostname"],"cwd":"/","env":["PATH=/bin"]})";
  std::string cmd = "printf '%s' '" + json + "' | " + runtime() + " --root " + root_ + " exec -p /dev/stdin pipe";
  RunResult r = run_cmd({"/bin/sh", "-c", cmd});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(parse_probe(r.out)["hostname"], "berth-test");
}

// A read-only /dev still gets its devices, links and /dev/pts (runc mounts it
// writable and remounts it read-only at the end).
TEST_F(Parity, AReadOnlyDevMountStillGetsItsDevices) {
  for (auto& m : config_["mounts"])
    if (m["destination"] == "/dev") m["options"].push_back("ro");
  set_args({"/bin/sh", "-c",
            "test -c /dev/null && test -L /dev/fd && test -d /dev/pts && echo devices-ok; "
            "touch /dev/x 2>/dev/null || echo read-only"});
  RunResult r = berth({"run", "--bundle", bundle_, "rodev"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("devices-ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("read-only"), std::string::npos) << r.out;
}

// Kubernetes' Bidirectional propagation: rootfsPropagation "rshared" with a
// rootfs that is itself a mount point (containerd's overlay always is). Run
// in a mount namespace of the test's own, so nothing touches the host's.
TEST_F(Parity, RsharedWithAMountPointRootfs) {
  std::string rootfs = own_rootfs();
  config_["linux"]["rootfsPropagation"] = "rshared";
  set_args({"/bin/probe", "hostname"});
  std::string script = "mount --make-rshared / && mount --bind " + rootfs + " " + rootfs + " && exec " + runtime() +
                       " --root " + root_ + " run --bundle " + bundle_ + " shared";
  RunResult r = run_cmd({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(parse_probe(r.out)["hostname"], "berth-test");
}

// The kubelet resizes a pod with a smaller period and quota under a parent
// that has a quota: written in the order the kernel accepts, as runc does.
TEST_F(Parity, UpdateWritesCpuPeriodAndQuotaInAnOrderTheKernelAccepts) {
  std::string parent = "berth-cpu-" + std::to_string(::getpid());
  std::string cpu = exists("/sys/fs/cgroup/cpu,cpuacct/cgroup.procs") ? "/sys/fs/cgroup/cpu,cpuacct"
                                                                      : "/sys/fs/cgroup/cpu";
  if (!exists(cpu + "/cpu.cfs_quota_us")) GTEST_SKIP() << "no cgroup v1 cpu hierarchy here";
  std::string dir = cpu + "/" + parent;
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  std::ofstream(dir + "/cpu.cfs_period_us") << "100000";
  std::ofstream(dir + "/cpu.cfs_quota_us") << "50000";
  config_["linux"]["cgroupsPath"] = "/" + parent + "/pod";
  config_["linux"]["resources"] = {{"cpu", {{"period", 100000}, {"quota", 50000}}}};
  set_args({"/bin/probe", "sleep"});
  RunResult r = berth({"run", "-d", "--bundle", bundle_, "cpu"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = berth({"update", "--cpu-period", "10000", "--cpu-quota", "3000", "cpu"});
  EXPECT_EQ(r.code, 0) << r.err;
  auto value = [&](const char* f) { return std::stol(read_text(dir + "/pod/" + f)); };
  EXPECT_EQ(value("cpu.cfs_period_us"), 10000);
  EXPECT_EQ(value("cpu.cfs_quota_us"), 3000);
  berth({"delete", "--force", "cpu"});
  for (const char* c : {"cpu,cpuacct", "cpu", "cpuacct", "memory", "pids", "devices", "freezer", "blkio", "cpuset",
                        "unified", "systemd"})
    ::rmdir(("/sys/fs/cgroup/" + std::string(c) + "/" + parent).c_str());
}

// Anything the container cannot honour is refused, never ignored: a "vm" or
// "windows" section asks for an isolation no platform of this berth gives.
TEST_F(Parity, VmAndWindowsSectionsAreRefused) {
  BERTH_ONLY("runc ignores these sections; berth refuses less isolation than asked (README)");
  config_["vm"] = {{"hypervisor", {{"path", "/usr/bin/qemu-system-x86_64"}}}, {"kernel", {{"path", "/vmlinuz"}}}};
  write_config();
  RunResult r = berth({"run", "--bundle", bundle_, "vm"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("vm"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(root_ + "/vm"));
  config_.erase("vm");
  config_["windows"] = {{"layerFolders", {"C:\\layers\\1"}}};
  write_config();
  EXPECT_EQ(berth({"run", "--bundle", bundle_, "win"}).code, 1);
  EXPECT_FALSE(exists(root_ + "/win"));
}

// exec --cgroup never leads out of the container's cgroup and never names a
// controller it does not have; neither is silently ignored.
TEST_F(Parity, ExecCgroupOutsideTheContainerIsAnError) {
  if (!exists("/sys/fs/cgroup/memory/cgroup.procs")) GTEST_SKIP() << "no cgroup v1 memory hierarchy here";
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "sub"}).code, 0);
  RunResult r = berth({"exec", "--cgroup", "../..", "sub", "/bin/probe", "hostname"});
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.out.find("hostname="), std::string::npos) << r.out;
  r = berth({"exec", "--cgroup", "nosuchctl:/", "sub", "/bin/probe", "hostname"});
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.out.find("hostname="), std::string::npos) << r.out;
}

// A damaged state.json must not orphan a running container: berth reads its
// backup; with both gone, every command refuses and the directory stays, so
// nothing is deleted while its processes run unseen.
TEST_F(Parity, ADamagedRecordNeverOrphansARunningContainer) {
  BERTH_ONLY("the state directory's layout is berth's own");
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "rec"}).code, 0);
  int pid = pid_of("rec");
  ASSERT_GT(pid, 0);
  KillOnExit reaper{pid};
  std::string dir = root_ + "/rec";
  std::ofstream(dir + "/state.json", std::ios::trunc).close();
  EXPECT_EQ(status_of("rec"), "running");
  EXPECT_EQ(pid_of("rec"), pid);

  std::string saved = read_text(dir + "/state.json.bak");
  std::ofstream(dir + "/state.json.bak", std::ios::trunc).close();
  EXPECT_EQ(berth({"state", "rec"}).code, 1);
  EXPECT_NE(berth({"list", "-q"}).out.find("rec"), std::string::npos);
  EXPECT_EQ(berth({"delete", "--force", "rec"}).code, 1);
  EXPECT_TRUE(pid_alive(pid));
  EXPECT_TRUE(exists(dir));

  std::ofstream(dir + "/state.json") << saved;
  ASSERT_EQ(berth({"delete", "--force", "rec"}).code, 0);
  for (int i = 0; i < 100 && pid_alive(pid); ++i) ::usleep(10000);
  EXPECT_FALSE(pid_alive(pid));
  EXPECT_FALSE(exists(dir));
}

// A state directory written by berth 0.1, before the record split its
// neutral fields from the platform's: the Linux fields (pid, pidStart,
// cgroups, seccomp) at the top level and no "platform". It must still be
// read, listed, killed and deleted, its cgroups removed with it.
TEST_F(Parity, ARecordWrittenBeforeThePlatformSplitStillWorks) {
  BERTH_ONLY("the state directory's layout is berth's own");
  config_["linux"]["cgroupsPath"] = "/berth-test-oldrec-" + std::to_string(::getpid());
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "oldrec"}).code, 0);
  int pid = pid_of("oldrec");
  ASSERT_GT(pid, 0);
  KillOnExit reaper{pid};
  std::string dir = root_ + "/oldrec";
  auto now = nlohmann::json::parse(read_text(dir + "/state.json"));
  ASSERT_EQ(now["platform"], "linux");
  nlohmann::json old = now;
  old.erase("platform");
  old.erase("linux");
  for (const char* key : {"pid", "pidStart", "cgroups", "seccomp"})
    if (now["linux"].contains(key)) old[key] = now["linux"][key];
  const auto cgroups = now["linux"]["cgroups"];
  ASSERT_FALSE(cgroups.empty());
  for (const char* name : {"/state.json", "/state.json.bak"}) std::ofstream(dir + name, std::ios::trunc) << old.dump();

  EXPECT_EQ(status_of("oldrec"), "running");
  EXPECT_EQ(pid_of("oldrec"), pid);
  RunResult list = berth({"list", "--format", "json"});
  ASSERT_EQ(list.code, 0) << list.err;
  auto listed = nlohmann::json::parse(list.out);
  ASSERT_EQ(listed.size(), 1u) << list.out;
  EXPECT_EQ(listed[0]["id"], "oldrec");
  EXPECT_EQ(listed[0]["pid"], pid);
  EXPECT_EQ(listed[0]["status"], "running");
  RunResult ps = berth({"ps", "--format", "json", "oldrec"});
  ASSERT_EQ(ps.code, 0) << ps.err;
  EXPECT_NE(ps.out.find(std::to_string(pid)), std::string::npos) << ps.out;

  ASSERT_EQ(berth({"kill", "oldrec", "KILL"}).code, 0);
  for (int i = 0; i < 200 && pid_alive(pid); ++i) ::usleep(10000);
  EXPECT_FALSE(pid_alive(pid));
  EXPECT_EQ(wait_status("oldrec", "stopped"), "stopped");
  ASSERT_EQ(berth({"delete", "oldrec"}).code, 0);
  EXPECT_FALSE(exists(dir));
  for (const auto& [key, path] : cgroups.items()) EXPECT_FALSE(exists(path.get<std::string>())) << key;
}

// An error raised inside the init keeps its kind on the way out (the JSON
// log's "kind", which libberth reads back): proc over a file is bad input.
TEST_F(Parity, AnInitErrorKeepsItsKind) {
  BERTH_ONLY("the JSON log's kind field is berth's");
  std::string rootfs = own_rootfs();
  ::rmdir((rootfs + "/proc").c_str());
  std::ofstream(rootfs + "/proc") << "a file\n";
  write_config();
  std::string log = tmp_ + "/log.json";
  RunResult r = berth({"--log", log, "--log-format", "json", "run", "--bundle", bundle_, "kind"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(read_text(log).find("\"kind\":\"invalid argument\""), std::string::npos) << read_text(log);
}

// Rootless podman runs the runtime as uid 0 of a user namespace that is not
// the host's: berth must treat that as rootless (no cgroups it may not make,
// device nodes bind-mounted), as runc does. unshare reproduces it.
TEST_F(Parity, RootOfANonInitialUserNamespaceIsRootless) {
  // Only uid and gid 0 are mapped there: no devpts gid=5 (podman leaves it out too).
  for (auto& m : config_["mounts"])
    if (m["destination"] == "/dev/pts")
      m["options"] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
  set_args({"/bin/probe", "id", "hostname"});
  RunResult r = run_cmd({"/usr/bin/unshare", "--user", "--map-root-user", "--mount", runtime(), "--root", root_, "run",
                         "--bundle", bundle_, "rl"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["uid"], "0");
  EXPECT_EQ(p["hostname"], "berth-test");
}

}  // namespace
}  // namespace berth::test
