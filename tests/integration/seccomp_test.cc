// seccomp: the profile's actions, errno values and argument filters take
// effect inside the container, for its init and for exec'd processes, with
// or without no_new_privs.
#include "harness.h"

namespace berth::test {
namespace {

using nlohmann::json;

class Seccomp : public BerthTest {
 protected:
  void profile(json syscalls, const char* default_action = "SCMP_ACT_ALLOW") {
    config_["linux"]["seccomp"] = {
        {"defaultAction", default_action},
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
  profile({{{"names", {"chmod"}}, {"action", "SCMP_ACT_ERRNO"},
            {"args", {{{"index", 1}, {"value", 0777}, {"op", "SCMP_CMP_EQ"}}}}},
           {{"names", {"fchmodat", "fchmodat2"}}, {"action", "SCMP_ACT_ERRNO"},
            {"args", {{{"index", 2}, {"value", 0777}, {"op", "SCMP_CMP_EQ"}}}}}});
  set_args({"/bin/sh", "-c",
            "touch /dev/shm/f; chmod 755 /dev/shm/f; echo a=$?; chmod 777 /dev/shm/f; echo b=$?"});
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
  EXPECT_NE(r.err.find("nosuchsyscall"), std::string::npos) << r.err;  // the warning
}

TEST_F(Seccomp, DefaultErrnoWithAnAllowList) {
  // Everything not listed fails with ENOSYS... except what a shell needs.
  json allow = json::array();
  for (const char* n : {"execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq",
                        "prlimit64", "mprotect", "mmap", "munmap", "getrandom", "readlink", "uname",
                        "write", "exit_group", "getpid", "getppid", "fstat", "newfstatat", "ioctl",
                        "rt_sigprocmask", "rt_sigaction", "geteuid", "getuid", "getegid", "getgid",
                        "getcwd", "statx", "close", "sigaltstack", "read", "lseek", "dup2", "fcntl"})
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

TEST_F(Seccomp, NotifyIsRefusedClearlyForNow) {
  config_["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                 {"listenerPath", "/run/agent.sock"},
                                 {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  write_config();
  RunResult r = berth({"run", "--bundle", bundle_, "snot"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("linux.seccomp.syscalls[0].action"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(root_ + "/snot"));
}

}  // namespace
}  // namespace berth::test
