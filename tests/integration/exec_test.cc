// berth exec into running containers, as containerd and CRI-O use it.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include <fstream>
#include <thread>

#include "harness.h"

namespace berth::test {
namespace {

class Exec : public BerthTest {
 protected:
  void SetUp() override {
    BerthTest::SetUp();
    set_args({"/bin/probe", "sleep"});
    RunResult r = berth({"run", "-d", "--bundle", bundle_, "box"});
    ASSERT_EQ(r.code, 0) << r.err;
    init_pid_ = nlohmann::json::parse(berth({"state", "box"}).out)["pid"];
  }
  std::string host_ns(const char* ns) {
    char buf[128] = {};
    std::string p = "/proc/" + std::to_string(init_pid_) + "/ns/" + ns;
    ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, n) : "";
  }
  int init_pid_ = 0;
};

TEST_F(Exec, JoinsEveryNamespaceAndSeesTheContainersMounts) {
  RunResult r = berth({"exec", "box", "/bin/probe", "hostname", "pid", "ns"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["hostname"], "berth-test");
  EXPECT_LT(std::stoi(p["pid"]), 10);  // numbered inside the container's pid namespace
  for (const char* ns : {"mnt", "pid", "net", "ipc", "uts", "cgroup", "user"})
    EXPECT_EQ(p[std::string("ns.") + ns], host_ns(ns)) << ns;
  // It sees the container's mounts, e.g. the read-only root and its /proc.
  RunResult m = berth({"exec", "box", "/bin/sh", "-c", "touch /x 2>&1; cat /proc/1/cmdline"});
  EXPECT_NE(m.out.find("Read-only file system"), std::string::npos) << m.out;
  EXPECT_NE(m.out.find("/bin/probe"), std::string::npos) << m.out;
}

TEST_F(Exec, JoinsTheContainersCgroups) {
  // The container's cgroups are not the caller's (<own>/box), so sharing
  // every one of them with the init is observable.
  std::string pid_file = tmp_ + "/exec.pid";
  ASSERT_EQ(berth({"exec", "-d", "--pid-file", pid_file, "box", "/bin/probe", "sleep"}).code, 0);
  std::string init_cgroups = read_text("/proc/" + std::to_string(init_pid_) + "/cgroup");
  EXPECT_NE(init_cgroups, read_text("/proc/self/cgroup"));
  EXPECT_EQ(read_text("/proc/" + read_text(pid_file) + "/cgroup"), init_cgroups);
}

TEST_F(Exec, FollowsAnInitMovedToAnotherCgroup) {
  // runc 1.1.5 joins the cgroups recorded at create, wherever the init is now.
  BERTH_ONLY("berth's exec joins the init's current cgroups");
  // Move the init into a cgroup of its own, so joining it is observable.
  std::string cg = "/sys/fs/cgroup/pids/berth-exec-test-" + std::to_string(::getpid());
  if (!exists("/sys/fs/cgroup/pids/cgroup.procs")) GTEST_SKIP() << "no cgroup v1 pids hierarchy";
  ASSERT_EQ(::mkdir(cg.c_str(), 0755), 0);
  std::ofstream(cg + "/cgroup.procs") << init_pid_;
  std::string pid_file = tmp_ + "/cg.pid";
  RunResult r = berth({"exec", "-d", "--pid-file", pid_file, "box", "/bin/probe", "sleep"});
  std::string procs = read_text(cg + "/cgroup.procs");
  // Empty the cgroup (kill the container) before removing it.
  berth({"delete", "--force", "box"});
  for (int i = 0; i < 100 && ::rmdir(cg.c_str()) != 0; ++i) ::usleep(10000);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(procs.find(read_text(pid_file) + "\n"), std::string::npos) << procs;
  EXPECT_FALSE(exists(cg));
}

TEST_F(Exec, UserGroupsEnvAndCwdApply) {
  // One spelling per flag: runc's flag library refuses --env and -e together.
  RunResult r = berth({"exec", "--user", "1000:1000", "-g", "10", "--env", "FOO=bar", "--env", "X=1", "--cwd", "/tmp",
                       "box", "/bin/probe", "id", "env", "FOO", "env", "X", "cwd"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["uid"], "1000");
  EXPECT_EQ(p["gid"], "1000");
  EXPECT_EQ(p["groups"], "10");
  EXPECT_EQ(p["env.FOO"], "bar");
  EXPECT_EQ(p["env.X"], "1");
  EXPECT_EQ(p["cwd"], "/tmp");
}

TEST_F(Exec, ProcessFileOverridesTheContainersProcess) {
  std::string file = tmp_ + "/process.json";
  std::ofstream(file) << R"({"args": ["/bin/probe", "id", "cwd", "env", "TERM", "nnp"],
                            "cwd": "/dev", "user": {"uid": 7, "gid": 8}})";
  RunResult r = berth({"exec", "--process", file, "box"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["uid"], "7");
  EXPECT_EQ(p["gid"], "8");
  EXPECT_EQ(p["cwd"], "/dev");
  // The file is the whole process, as runc takes it: nothing of the
  // container's process fills what it leaves out.
  EXPECT_EQ(p["env.TERM"], "<unset>");
  EXPECT_EQ(p["nnp"], "0");
}

// containerd writes the exec process with Go's omitempty, so a process
// without a terminal has no "terminal" key at all; it must not inherit the
// container's terminal (berth once took the container's `terminal: true`
// and refused the detached exec: "needs --console-socket").
TEST_F(Exec, ProcessFileWithoutTerminalIntoATtyContainerGetsNoTty) {
  config_["process"]["terminal"] = true;
  set_args({"/bin/probe", "sleep"});
  std::string sock = tmp_ + "/console.sock";
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  int master = -1;  // held while the container runs: its init's terminal
  std::thread accept_one([&] {
    int c = ::accept(listener, nullptr, nullptr);
    if (c < 0) return;
    char buf[256];
    char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov = {buf, sizeof buf};
    msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(c, &msg, MSG_CMSG_CLOEXEC) > 0 && CMSG_FIRSTHDR(&msg) != nullptr)
      std::memcpy(&master, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof master);
    ::close(c);
  });
  RunResult r = berth({"run", "-d", "--console-socket", sock, "--bundle", bundle_, "ttybox"});
  accept_one.join();
  ::close(listener);
  ASSERT_EQ(r.code, 0) << r.err;
  std::string file = tmp_ + "/process.json";
  std::ofstream(file) << R"({"args": ["/bin/sh", "-c", "tty > /dev/shm/tty; true"], "cwd": "/",
                            "user": {"uid": 0, "gid": 0}, "env": ["PATH=/bin"]})";
  RunResult e = berth({"exec", "-d", "--process", file, "ttybox"});
  ASSERT_EQ(e.code, 0) << e.err;
  int init = nlohmann::json::parse(berth({"state", "ttybox"}).out)["pid"];
  std::string out = "/proc/" + std::to_string(init) + "/root/dev/shm/tty";
  for (int i = 0; i < 250 && read_text(out).empty(); ++i) ::usleep(20000);
  EXPECT_EQ(read_text(out), "not a tty\n");
  berth({"delete", "--force", "ttybox"});
  if (master >= 0) ::close(master);
}

TEST_F(Exec, ExitCodesPassThrough) {
  EXPECT_EQ(berth({"exec", "box", "/bin/sh", "-c", "exit 5"}).code, 5);
  EXPECT_EQ(berth({"exec", "box", "/bin/true"}).code, 0);
}

TEST_F(Exec, DetachedExecWritesThePidFile) {
  std::string pid_file = tmp_ + "/exec.pid";
  ASSERT_EQ(berth({"exec", "-d", "--pid-file", pid_file, "box", "/bin/probe", "sleep"}).code, 0);
  int pid = std::stoi(read_text(pid_file));
  ASSERT_TRUE(pid_alive(pid));
  std::string cmdline = "/proc/" + std::to_string(pid) + "/cmdline";
  // berth returns once the program runs; runc 1.1.5 may return while its
  // `runc init` is still to exec it.
  if (runtime_is_berth()) {
    EXPECT_NE(read_text(cmdline).find("probe"), std::string::npos);
  }
  for (int i = 0; i < 250 && read_text(cmdline).find("probe") == std::string::npos; ++i) ::usleep(20000);
  EXPECT_NE(read_text(cmdline).find("probe"), std::string::npos);
  char a[128] = {}, b[128] = {};
  EXPECT_GT(::readlink(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), a, sizeof a - 1), 0);
  EXPECT_GT(::readlink(("/proc/" + std::to_string(init_pid_) + "/ns/pid").c_str(), b, sizeof b - 1), 0);
  EXPECT_STREQ(a, b);
}

TEST_F(Exec, OnlyStdioAndPreservedFdsReachTheProcess) {
  RunResult r = berth({"exec", "box", "/bin/probe", "fds"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(parse_probe(r.out)["fds"].find("3:"), std::string::npos) << r.out;
  // fd 3 opened by the caller and preserved; fd 4 leaked by the caller, not preserved.
  std::string cmd = "exec 3</etc/hostname 4</etc/hostname; " + runtime() + " --root " + root_ +
                    " exec --preserve-fds 1 box /bin/probe fds";
  RunResult pr = run_cmd({"/bin/sh", "-c", cmd});
  ASSERT_EQ(pr.code, 0) << pr.err;
  std::string fds = parse_probe(pr.out)["fds"];
  EXPECT_NE(fds.find("3:/etc/hostname"), std::string::npos) << fds;
  EXPECT_EQ(fds.find("4:"), std::string::npos) << fds;
}

TEST_F(Exec, RefusesWhatItCannotRun) {
  RunResult missing = berth({"exec", "box", "nope"});
  EXPECT_EQ(missing.code, 255);  // runc's exit code for a failed exec
  // The words docker and podman turn into exit code 127 (runc's log quotes them as \").
  EXPECT_NE(missing.err.find("executable file not found in $PATH"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("nope"), std::string::npos) << missing.err;
  if (runtime_is_berth()) {
    EXPECT_NE(missing.err.find("exec: \"nope\": executable file not found in $PATH"), std::string::npos) << missing.err;
  }
  EXPECT_EQ(berth({"exec", "ghost", "/bin/true"}).code, 255);
  // No command, or a bad process file: 255 as for any failed exec (runc's
  // code; docker and podman read 255 as "the runtime failed").
  int bad_input = 255;
  EXPECT_EQ(berth({"exec", "box"}).code, bad_input);  // no command
  std::string bad = tmp_ + "/bad.json";
  std::ofstream(bad) << R"({"args": "not-an-array"})";
  RunResult b = berth({"exec", "--process", bad, "box"});
  EXPECT_EQ(b.code, bad_input);
  if (runtime_is_berth()) {
    EXPECT_NE(b.err.find("args"), std::string::npos) << b.err;
  }
  // A created container can be joined, as with runc; it stays created.
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "parked"}).code, 0);
  RunResult c = berth({"exec", "parked", "/bin/probe", "hostname", "pid"});
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(parse_probe(c.out)["hostname"], "berth-test");
  EXPECT_NE(parse_probe(c.out)["pid"], "1");  // the parked init is pid 1
  EXPECT_EQ(status_of("parked"), "created");
  ASSERT_EQ(berth({"kill", "box", "KILL"}).code, 0);
  EXPECT_EQ(wait_status("box", "stopped"), "stopped");
  EXPECT_EQ(berth({"exec", "box", "/bin/true"}).code, 255);
}

TEST_F(Exec, FiftyConcurrentExecsAllComplete) {
  constexpr int kN = 50;
  std::vector<RunResult> results(kN);
  std::vector<std::thread> threads;
  for (int i = 0; i < kN; ++i)
    threads.emplace_back([&, i] {
      results[i] = berth({"exec", "-e", "N=" + std::to_string(i), "box", "/bin/probe", "env", "N", "exit",
                          std::to_string(i % 7)},
                         120000);
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(results[i].code, i % 7) << i << ": " << results[i].err;
    EXPECT_EQ(results[i].out, "env.N=" + std::to_string(i) + "\n") << i;
  }
}

}  // namespace
}  // namespace berth::test
