#include "base/proc.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

extern char** environ;

namespace berth {

namespace {

// Reads /proc/PID/stat and returns the text after the command name, which may
// itself hold spaces and parentheses: "S 1 2 3 ...".
bool read_stat_tail(pid_t pid, char* buf, size_t size, const char** tail) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = ::read(fd, buf, size - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* rparen = std::strrchr(buf, ')');
  if (rparen == nullptr || rparen[1] == '\0') return false;
  *tail = rparen + 2;
  return true;
}

}  // namespace

char process_state(pid_t pid) {
  char buf[1024];
  const char* tail;
  if (!read_stat_tail(pid, buf, sizeof buf, &tail)) return 0;
  return tail[0];
}

namespace {

// Field 22 (starttime) of a stat tail that starts at field 3 (state).
uint64_t start_time_of(const char* tail) {
  const char* p = tail;
  for (int field = 3; field < 22; ++field) {
    p = std::strchr(p, ' ');
    if (p == nullptr) return 0;
    ++p;
  }
  return std::strtoull(p, nullptr, 10);
}

}  // namespace

uint64_t process_start_time(pid_t pid) {
  char buf[1024];
  const char* tail;
  if (!read_stat_tail(pid, buf, sizeof buf, &tail)) return 0;
  return start_time_of(tail);
}

bool process_alive(pid_t pid, uint64_t start) {
  if (pid <= 0) return false;
  char buf[1024];
  const char* tail;
  if (!read_stat_tail(pid, buf, sizeof buf, &tail)) return false;
  if (tail[0] == 'Z' || tail[0] == 'X') return false;
  return start == 0 || start_time_of(tail) == start;
}

}  // namespace berth

#include <poll.h>
#include <sys/syscall.h>

#include "base/fd.h"

namespace berth {

Status signal_process(pid_t pid, uint64_t start, int sig) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return sys_error("pidfd_open " + std::to_string(pid));
  Fd owner(pidfd);
  if (!process_alive(pid, start)) return Error{ESRCH, "process " + std::to_string(pid) + " is gone"};
  if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0)
    return sys_error("signal " + std::to_string(sig) + " to pid " + std::to_string(pid));
  return {};
}

Status wait_exited(pid_t pid, int timeout_ms) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    if (errno == ESRCH) return {};
    return sys_error("pidfd_open " + std::to_string(pid));
  }
  Fd owner(pidfd);
  struct pollfd p = {pidfd, POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return sys_error("poll pidfd");
  if (r == 0) return Error{ETIMEDOUT, "process " + std::to_string(pid) + " did not exit"};
  return {};
}

Result<int> run_program(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  if (int rc = ::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ); rc != 0)
    return sys_error("run " + argv[0], rc);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return sys_error("wait for " + argv[0]);
  }
  return exit_code_of(status);
}

int wait_status_of(const siginfo_t& info) {
  switch (info.si_code) {
    case CLD_EXITED: return (info.si_status & 0xff) << 8;
    case CLD_KILLED: return info.si_status & 0x7f;
    case CLD_DUMPED: return (info.si_status & 0x7f) | 0x80;  // WCOREFLAG
    default: return 0xff << 8;                               // not an exit (WEXITED only asks for those)
  }
}

pid_t peek_exited_child() {
  siginfo_t info{};
  if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0) return 0;  // ECHILD: no children
  return info.si_pid;
}

void reap_child(pid_t pid) {
  int status;
  while (::waitpid(pid, &status, WNOHANG) < 0 && errno == EINTR) {
  }
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

}  // namespace berth
