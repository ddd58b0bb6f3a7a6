// seccomp: the profile's actions, errno values and argument filters take
// effect inside the container, for its init and for exec'd processes, with
// or without no_new_privs.
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

#include "base/scm_rights.h"
#include "harness.h"

namespace berth::test {
namespace {

using nlohmann::json;

class Seccomp : public BerthTest {
 protected:
  void profile(json syscalls, const char* default_action = "SCMP_ACT_ALLOW") {
    config_["linux"]["seccomp"] = {{"defaultAction", default_action},
                                   {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
                                   {"syscalls", syscalls}};
    write_config();
  }
};

TEST_F(Seccomp, DeniedMkdirFailsWithTheGivenErrnoWhileLsWorks) {
  profile({{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}});
  set_args({"/bin/sh", "-c", "ls / >/dev/null && echo ls-ok; mkdir /dev/shm/x; echo mkdir=$?"});
  RunResult r = berth({"run", "--bundle", bundle_, "sc"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("ls-ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mkdir=1"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;  // errno 1: EPERM
}

TEST_F(Seccomp, ErrnoRetChoosesTheErrorAndExecIsFilteredToo) {
  profile({{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 13}}});
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "sx"}).code, 0);
  RunResult r = berth({"exec", "sx", "/bin/mkdir", "/dev/shm/y"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;  // errno 13: EACCES
}

TEST_F(Seccomp, KillProcessActionKillsWithSigsys) {
  profile({{{"names", {"getppid"}}, {"action", "SCMP_ACT_KILL_PROCESS"}}});
  set_args({"/bin/probe", "pid"});
  EXPECT_EQ(berth({"run", "--bundle", bundle_, "sk"}).code, 128 + 31);  // SIGSYS
}

TEST_F(Seccomp, ArgumentFiltersMatchOnlyTheirValues) {
  profile({{{"names", {"chmod"}},
            {"action", "SCMP_ACT_ERRNO"},
            {"args", {{{"index", 1}, {"value", 0777}, {"op", "SCMP_CMP_EQ"}}}}},
           {{"names", {"fchmodat", "fchmodat2"}},
            {"action", "SCMP_ACT_ERRNO"},
            {"args", {{{"index", 2}, {"value", 0777}, {"op", "SCMP_CMP_EQ"}}}}}});
  set_args({"/bin/sh", "-c", "touch /dev/shm/f; chmod 755 /dev/shm/f; echo a=$?; chmod 777 /dev/shm/f; echo b=$?"});
  RunResult r = berth({"run", "--bundle", bundle_, "sa"});
  EXPECT_NE(r.out.find("a=0"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("b=1"), std::string::npos) << r.out << r.err;
}

TEST_F(Seccomp, WorksWithoutNoNewPrivsAndSkipsUnknownSyscalls) {
  config_["process"]["noNewPrivileges"] = false;
  profile({{{"names", {"nosuchsyscall", "mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}}});
  set_args({"/bin/sh", "-c", "mkdir /dev/shm/z; echo mkdir=$?; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status"});
  RunResult r = berth({"run", "--bundle", bundle_, "sn"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("mkdir=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NoNewPrivs:\t0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << r.out;  // filter mode
  // berth warns; runc 1.1.5 skips it at debug level only.
  if (runtime_is_berth()) {
    EXPECT_NE(r.err.find("nosuchsyscall"), std::string::npos) << r.err;
  }
}

TEST_F(Seccomp, DefaultErrnoWithAnAllowList) {
  // Everything not listed fails with ENOSYS... except what a shell needs.
  json allow = json::array();
  for (const char* n :
       {"execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "mprotect", "mmap",
        "munmap", "getrandom", "readlink", "uname", "write", "exit_group", "getpid", "getppid", "fstat", "newfstatat",
        "ioctl", "rt_sigprocmask", "rt_sigaction", "geteuid", "getuid", "getegid", "getgid", "getcwd", "statx", "close",
        "sigaltstack", "read", "lseek", "dup2", "fcntl",
        // What runc's init still does after loading the filter: check that
        // /proc/self/fd is procfs, open and write the exec fifo, and its Go
        // runtime's own calls (berth loads it right before execve).
        "openat", "futex", "nanosleep", "sched_yield", "epoll_pwait", "epoll_ctl", "rt_sigreturn", "tgkill", "gettid",
        "madvise", "statfs", "fstatfs", "getdents64", "close_range"})
    allow.push_back(n);
  config_["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ERRNO"},
                                 {"defaultErrnoRet", 38},
                                 {"syscalls", {{{"names", allow}, {"action", "SCMP_ACT_ALLOW"}}}}};
  write_config();
  set_args({"/bin/probe", "pid", "hostname"});
  RunResult r = berth({"run", "--bundle", bundle_, "sd"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("pid=1"), std::string::npos) << r.out;
}

TEST_F(Seccomp, TheDefaultProfileOfSpecAllowsOrdinaryWorkAndDeniesTheRest) {
  std::string dir = tmp_ + "/specdir";
  ::mkdir(dir.c_str(), 0755);
  ASSERT_EQ(run_cmd({BERTH_BINARY, "spec", "--seccomp", "--bundle", dir}).code, 0);
  auto spec = json::parse(read_text(dir + "/config.json"));
  ASSERT_TRUE(spec["linux"].contains("seccomp"));
  config_["linux"]["seccomp"] = spec["linux"]["seccomp"];
  // With CAP_SYS_ADMIN, only the filter stands between the process and unshare.
  for (const char* set : {"bounding", "effective", "permitted"})
    config_["process"]["capabilities"][set].push_back("CAP_SYS_ADMIN");
  set_args({"/bin/sh", "-c",
            "ls / >/dev/null && mkdir /dev/shm/d && ps >/dev/null && echo ordinary-ok; "
            "unshare -n true 2>/dev/null; echo unshare=$?; "
            "grep -q 'Seccomp:.*2' /proc/self/status && echo filtered"});
  RunResult r = berth({"run", "--bundle", bundle_, "dflt"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("ordinary-ok"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("unshare=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("filtered"), std::string::npos) << r.out;
}

// A seccomp agent on a unix socket: it records each ContainerProcessState it
// receives and answers every notified system call with success, without
// performing it (so a notified mkdir "succeeds" and creates nothing).
class Agent {
 public:
  explicit Agent(const std::string& path) : path_(path) {
    listen_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    EXPECT_EQ(::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_, 8), 0);
    thread_ = std::thread([this] { loop(); });
  }
  ~Agent() {
    stop_ = true;
    thread_.join();
    ::close(listen_);
    ::unlink(path_.c_str());
  }
  std::vector<json> states() {
    std::lock_guard<std::mutex> l(mu_);
    return states_;
  }
  int answered() const { return answered_; }

 private:
  void loop() {
    std::vector<int> listeners;
    while (!stop_) {
      std::vector<pollfd> p = {{listen_, POLLIN, 0}};
      for (int fd : listeners) p.push_back({fd, POLLIN, 0});
      if (::poll(p.data(), p.size(), 50) <= 0) continue;
      if (p[0].revents & POLLIN) receive(listeners);
      for (size_t i = 1; i < p.size(); ++i) {
        if (p[i].revents & POLLIN)
          answer(p[i].fd);
        else if (p[i].revents & (POLLHUP | POLLERR)) {
          ::close(p[i].fd);
          listeners.erase(std::find(listeners.begin(), listeners.end(), p[i].fd));
        }
      }
    }
    for (int fd : listeners) ::close(fd);
  }
  void receive(std::vector<int>& listeners) {
    int conn = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return;
    char buf[65536];
    Fd passed;
    auto n = recv_with_fd(conn, buf, sizeof buf, passed);
    ::close(conn);
    if (!n || *n == 0 || !passed) return;
    int fd = passed.release();
    listeners.push_back(fd);
    std::lock_guard<std::mutex> l(mu_);
    states_.push_back(json::parse(std::string(buf, *n), nullptr, false));
  }
  void answer(int fd) {
    seccomp_notif req{};
    if (::ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return;
    seccomp_notif_resp resp{};
    resp.id = req.id;
    if (::ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0) ++answered_;
  }

  std::string path_;
  int listen_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0};
  std::mutex mu_;
  std::vector<json> states_;
};

TEST_F(Seccomp, NotifyHandsTheListenerFdAndStateToTheAgentWhichAnswers) {
  Agent agent(tmp_ + "/agent.sock");
  config_["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                 {"listenerPath", tmp_ + "/agent.sock"},
                                 {"listenerMetadata", "hello-agent"},
                                 {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  // The flag (runtime-spec 1.1.0) where the runtime lists it as supported
  // (runc 1.1.5 refuses every flag: "seccomp flags are not yet supported").
  auto supported = runtime_features().value("/linux/seccomp/supportedFlags"_json_pointer, json::array());
  if (std::find(supported.begin(), supported.end(), "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") != supported.end())
    config_["linux"]["seccomp"]["flags"] = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  set_args({"/bin/sh", "-c", "mkdir /dev/shm/x; echo mkdir=$?; [ -d /dev/shm/x ] && echo made || echo absent"});
  RunResult r = berth({"run", "--bundle", bundle_, "notify"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("mkdir=0\nabsent"), std::string::npos) << r.out;  // the agent answered
  EXPECT_GE(agent.answered(), 1);
  auto states = agent.states();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0]["fds"], json::array({"seccompFd"}));
  EXPECT_EQ(states[0]["metadata"], "hello-agent");
  EXPECT_GT(states[0]["pid"].get<int>(), 0);
  EXPECT_EQ(states[0]["state"]["id"], "notify");
  EXPECT_EQ(states[0]["state"]["status"], "creating");

  // exec'd processes get the container's filter, and the agent their fd.
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "notify2"}).code, 0);
  RunResult e = berth({"exec", "notify2", "/bin/sh", "-c", "mkdir /dev/shm/y; [ -d /dev/shm/y ] || echo absent"});
  EXPECT_EQ(e.out, "absent\n") << e.err;
  states = agent.states();
  ASSERT_EQ(states.size(), 3u);
  EXPECT_EQ(states[2]["state"]["status"], "running");
}

TEST_F(Seccomp, NotifyWithoutAListeningAgentFailsCleanly) {
  config_["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                 {"listenerPath", tmp_ + "/nobody.sock"},
                                 {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  write_config();
  auto mounts = mount_points();
  RunResult r = berth({"run", "--bundle", bundle_, "snot"});
  EXPECT_EQ(r.code, 1);
  if (runtime_is_berth()) {
    EXPECT_NE(r.err.find("linux.seccomp.listenerPath"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(exists(root_ + "/snot"));
  EXPECT_EQ(mount_points(), mounts);
  // A profile with SCMP_ACT_NOTIFY as the default is refused.
  config_["linux"]["seccomp"]["defaultAction"] = "SCMP_ACT_NOTIFY";
  write_config();
  RunResult d = berth({"run", "--bundle", bundle_, "snot"});
  EXPECT_EQ(d.code, 1);
  if (runtime_is_berth()) {
    EXPECT_NE(d.err.find("linux.seccomp.defaultAction"), std::string::npos) << d.err;
  }
}

// glibc falls back to an older system call (clone3 to clone, and more each
// release) only on ENOSYS: under an allow-list profile, a call newer than
// every call the profile names gets ENOSYS, as with runc; an older one it
// leaves out still gets the profile's default (EPERM here).
TEST_F(Seccomp, SyscallsNewerThanTheProfileGetEnosys) {
  std::string dir = tmp_ + "/spec";
  ASSERT_EQ(
      run_cmd({"/bin/sh", "-c", "mkdir -p " + dir + " && cd " + dir + " && " + BERTH_BINARY + " spec --seccomp"}).code,
      0);
  auto spec = json::parse(read_text(dir + "/config.json"));
  config_["linux"]["seccomp"] = spec["linux"]["seccomp"];
  set_args({"/bin/probe", "syscall", "1000", "syscall", "163"});  // 163: acct, not allowed
  RunResult r = berth({"run", "--bundle", bundle_, "nosys"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["syscall.1000"], "38") << r.out;  // ENOSYS
  EXPECT_EQ(p["syscall.163"], "1") << r.out;    // EPERM, the default
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "nosysx"}).code, 0);
  r = berth({"exec", "nosysx", "/bin/probe", "syscall", "1000"});
  EXPECT_EQ(parse_probe(r.out)["syscall.1000"], "38") << r.out << r.err;
}

}  // namespace
}  // namespace berth::test
