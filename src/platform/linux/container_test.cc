// The Linux platform's record and status rules, moved here from the state
// store's tests with the fields they check.
#include "platform/linux/container.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "base/proc.h"

namespace berth::platform::linux_ {
namespace {

TEST(LinuxRecord, RoundTripsEveryField) {
  Record in;
  in.pid = 4242;
  in.pid_start = 18446744073709551000ull;
  in.cgroups = {{"", "/sys/fs/cgroup/berth/web1"}, {"cpu", "/sys/fs/cgroup/cpu/berth/web1"}};
  in.seccomp = R"({"defaultAction":"SCMP_ACT_ALLOW"})";
  auto out = decode_record(encode_record(in));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->pid, in.pid);
  EXPECT_EQ(out->pid_start, in.pid_start);
  EXPECT_EQ(out->cgroups, in.cgroups);
  EXPECT_EQ(out->seccomp, in.seccomp);
  auto empty = decode_record("{}");  // before the first record of a create
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_EQ(empty->pid, 0);
}

TEST(LinuxRecord, RejectsWrongTypes) {
  const char* cases[] = {
      "",
      "[]",
      "42",
      "null",
      R"({"pid":"1"})",
      R"({"pid":null})",
      R"({"pid":true})",
      R"({"pid":1.5})",
      R"({"pid":4294967297})",
      R"({"pid":-5})",
      R"({"pid":0,"pidStart":"x"})",
      R"({"pid":0,"pidStart":-1})",
      R"({"pid":0,"cgroups":"x"})",
      R"({"pid":0,"cgroups":{"memory":1}})",
      R"({"pid":0,"seccomp":5})",
  };
  for (const char* text : cases) {
    auto r = decode_record(text);
    ASSERT_FALSE(r) << text << " decoded, pid " << r->pid;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument) << text;
    EXPECT_EQ(r.error().message.rfind("state.json: ", 0), 0u) << r.error().message;
  }
}

TEST(LinuxRecord, APidWithoutItsStartTimeOrPidOneIsNoPid) {
  // A hand-edited record must not aim kill at the host's init, or at a pid
  // whose reuse cannot be detected.
  for (const char* text : {R"({"pid":1,"pidStart":5})", R"({"pid":777})", R"({"pid":777,"pidStart":0})"}) {
    auto r = decode_record(text);
    ASSERT_TRUE(r) << text;
    EXPECT_EQ(r->pid, 0) << text;
  }
}

// A child that sleeps until killed; killed and reaped on destruction.
struct SleepingChild {
  SleepingChild() : pid(::fork()) {
    if (pid == 0)
      for (;;) ::pause();
  }
  ~SleepingChild() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  pid_t pid;
};

class LinuxStatus : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/berth-linux-status.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override {
    ::close(fd_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
  int fd_ = -1;
};

TEST_F(LinuxStatus, NoInitYetIsCreating) {
  LinuxContainer c("web", fd_, Record{});
  EXPECT_EQ(c.status(), state::Status::kCreating);  // the runtime tells a dead create by the lock
}

TEST_F(LinuxStatus, FromTheLiveProcessAndTheFifo) {
  SleepingChild child;
  ASSERT_GT(child.pid, 0);
  Record rec;
  rec.pid = child.pid;
  rec.pid_start = process_start_time(child.pid);
  ASSERT_NE(rec.pid_start, 0u);
  LinuxContainer c("web", fd_, rec);

  ASSERT_EQ(::mkfifoat(fd_, state::kExecFifo, 0600), 0);
  EXPECT_EQ(c.status(), state::Status::kCreated);
  ASSERT_EQ(::unlinkat(fd_, state::kExecFifo, 0), 0);
  EXPECT_EQ(c.status(), state::Status::kRunning);

  Record reused = rec;
  reused.pid_start = rec.pid_start + 1;
  EXPECT_EQ(LinuxContainer("web", fd_, reused).status(), state::Status::kStopped);

  ::kill(child.pid, SIGKILL);
  ASSERT_EQ(::waitpid(child.pid, nullptr, 0), child.pid);
  child.pid = -1;
  EXPECT_EQ(c.status(), state::Status::kStopped);
}

TEST_F(LinuxStatus, AProcessHandleReportsTheExitOfItsChild) {
  int go[2];
  ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(go[1]);
    char c;
    (void)!::read(go[0], &c, 1);
    ::_exit(7);
  }
  ::close(go[0]);
  LinuxContainer c("web", fd_, Record{});
  auto p = c.open_process(pid);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_TRUE(*p);
  ::close(go[1]);  // now it exits
  auto st = (*p)->exit_status();
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(WIFEXITED(*st));
  EXPECT_EQ(WEXITSTATUS(*st), 7);
  // Reaped: a second open finds nothing.
  auto again = c.open_process(pid);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

}  // namespace
}  // namespace berth::platform::linux_
