#include "base/proc.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "base/file.h"

namespace berth {
namespace {

// A forked child that owns its pid: killed and reaped on destruction unless
// the test reaped it already.
class Child {
 public:
  // Child that exits at once with status 7.
  static Child exiting() { return Child(true); }
  // Child that sleeps until killed.
  static Child sleeping() { return Child(false); }

  Child(Child&& o) noexcept : pid_(std::exchange(o.pid_, -1)) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }

  // Waits until the child has exited without reaping it: it stays a zombie.
  bool wait_zombie() const {
    siginfo_t info = {};
    return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) == 0;
  }

  // Reaps the child; returns its wait status.
  int reap() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  explicit Child(bool exit_now) : pid_(::fork()) {
    if (pid_ == 0) {
      if (exit_now) ::_exit(7);
      for (;;) ::pause();
    }
  }
  pid_t pid_;
};

// A pid the kernel never hands out: pids are below pid_max.
pid_t unused_pid() {
  auto text = read_file("/proc/sys/kernel/pid_max");
  int64_t max = 0;
  if (!text || !parse_int64(trim(*text), max)) return 4194304;
  return static_cast<pid_t>(max);
}

TEST(ProcessStartTime, SelfIsNonZeroAndStable) {
  uint64_t a = process_start_time(::getpid());
  ASSERT_NE(a, 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(process_start_time(::getpid()), a);
}

TEST(ProcessStartTime, ZeroForMissingProcess) { EXPECT_EQ(process_start_time(unused_pid()), 0u); }

TEST(ProcessStartTime, ChildStartsNoEarlierThanParent) {
  Child c = Child::sleeping();
  ASSERT_GT(c.pid(), 0);
  uint64_t child = process_start_time(c.pid());
  ASSERT_NE(child, 0u);
  EXPECT_GE(child, process_start_time(::getpid()));
}

TEST(ProcessAlive, SelfWithMatchingOrNoStartTime) {
  uint64_t start = process_start_time(::getpid());
  ASSERT_NE(start, 0u);
  EXPECT_TRUE(process_alive(::getpid(), start));
  EXPECT_TRUE(process_alive(::getpid(), 0));
  EXPECT_FALSE(process_alive(::getpid(), start + 1));
}

TEST(ProcessAlive, InvalidAndMissingPids) {
  EXPECT_FALSE(process_alive(0, 0));
  EXPECT_FALSE(process_alive(-1, 0));
  EXPECT_FALSE(process_alive(unused_pid(), 0));
}

TEST(ProcessAlive, ReapedChildIsNotAlive) {
  Child c = Child::exiting();
  ASSERT_GT(c.pid(), 0);
  pid_t pid = c.pid();
  int status = c.reap();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  EXPECT_FALSE(process_alive(pid, 0));
  EXPECT_EQ(process_state(pid), 0);
}

TEST(ProcessAlive, ZombieChildIsNotAlive) {
  Child c = Child::exiting();
  ASSERT_GT(c.pid(), 0);
  uint64_t start = process_start_time(c.pid());
  ASSERT_TRUE(c.wait_zombie());
  // Still in the process table, so /proc has it, but it runs nothing.
  EXPECT_EQ(process_state(c.pid()), 'Z');
  EXPECT_EQ(process_start_time(c.pid()), start);
  EXPECT_FALSE(process_alive(c.pid(), start));
  EXPECT_FALSE(process_alive(c.pid(), 0));
}

TEST(ProcessAlive, SleepingChildIsAliveOnlyWithItsStartTime) {
  Child c = Child::sleeping();
  ASSERT_GT(c.pid(), 0);
  uint64_t start = process_start_time(c.pid());
  EXPECT_TRUE(process_alive(c.pid(), start));
  EXPECT_FALSE(process_alive(c.pid(), start + 100));
  char st = process_state(c.pid());
  EXPECT_TRUE(st == 'S' || st == 'R') << st;
}

TEST(SignalProcess, WrongStartTimeIsEsrchAndDoesNotSignal) {
  Child c = Child::sleeping();
  ASSERT_GT(c.pid(), 0);
  uint64_t start = process_start_time(c.pid());
  ASSERT_NE(start, 0u);

  auto r = signal_process(c.pid(), start + 1, SIGKILL);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ESRCH);

  // Give a wrongly delivered SIGKILL time to land, then check it did not.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(::waitpid(c.pid(), nullptr, WNOHANG), 0);
  EXPECT_TRUE(process_alive(c.pid(), start));

  auto ok = signal_process(c.pid(), start, SIGTERM);
  ASSERT_TRUE(ok) << ok.error().message;
  int status = c.reap();
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

TEST(SignalProcess, ZombieAndReapedAreEsrch) {
  Child c = Child::exiting();
  ASSERT_GT(c.pid(), 0);
  uint64_t start = process_start_time(c.pid());
  ASSERT_TRUE(c.wait_zombie());
  auto zombie = signal_process(c.pid(), start, SIGKILL);
  ASSERT_FALSE(zombie);
  EXPECT_EQ(zombie.error().code, ESRCH);

  pid_t pid = c.pid();
  c.reap();
  auto gone = signal_process(pid, start, SIGKILL);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ESRCH);
}

TEST(WaitExited, ExitedChildReturnsOk) {
  Child c = Child::exiting();
  ASSERT_GT(c.pid(), 0);
  auto r = wait_exited(c.pid(), 5000);
  ASSERT_TRUE(r) << r.error().message;
  // wait_exited only observes: the child is still there to be reaped.
  int status = c.reap();
  EXPECT_TRUE(WIFEXITED(status));
}

TEST(WaitExited, ReapedChildReturnsOk) {
  Child c = Child::exiting();
  ASSERT_GT(c.pid(), 0);
  pid_t pid = c.pid();
  c.reap();
  EXPECT_TRUE(wait_exited(pid, 50));
}

TEST(WaitExited, SleepingChildTimesOut) {
  Child c = Child::sleeping();
  ASSERT_GT(c.pid(), 0);
  auto t0 = std::chrono::steady_clock::now();
  auto r = wait_exited(c.pid(), 50);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ETIMEDOUT);
  EXPECT_GE(elapsed, std::chrono::milliseconds(45));
  EXPECT_EQ(::waitpid(c.pid(), nullptr, WNOHANG), 0);  // still running
}

TEST(WaitExited, WakesWhenChildIsKilled) {
  Child c = Child::sleeping();
  ASSERT_GT(c.pid(), 0);
  std::thread killer([pid = c.pid()] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    ::kill(pid, SIGKILL);
  });
  auto r = wait_exited(c.pid(), 5000);
  killer.join();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(process_state(c.pid()), 'Z');
}

TEST(ExitCodeOf, TheCodeOr128PlusTheSignal) {
  Child exited = Child::exiting();
  EXPECT_EQ(exit_code_of(exited.reap()), 7);
  Child killed = Child::sleeping();
  ::kill(killed.pid(), SIGTERM);
  EXPECT_EQ(exit_code_of(killed.reap()), 128 + SIGTERM);
  EXPECT_EQ(exit_code_of(0x137f), 255);  // stopped by SIGSTOP: neither
}

}  // namespace
}  // namespace berth
