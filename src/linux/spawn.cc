#include "linux/spawn.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::lnx {

Result<Child> clone_child(unsigned long flags, int cgroup_fd) {
  int pidfd = -1;
  struct clone_args args;
  std::memset(&args, 0, sizeof args);
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && errno == ENOSYS && cgroup_fd < 0) {
    // Kernels before 5.3: clone(2) with a NULL stack behaves like fork.
    pid = ::syscall(SYS_clone, flags | CLONE_PIDFD | SIGCHLD, nullptr, &pidfd, nullptr, 0);
  }
  if (pid < 0) return sys_error("clone");
  Child c;
  c.pid = static_cast<pid_t>(pid);
  if (pid > 0) c.pidfd.reset(pidfd);
  return c;
}

Result<Child> clone_child_via(unsigned long flags, int cgroup_fd, int userns_fd,
                              const std::vector<std::pair<int, int>>& joins,
                              const std::vector<std::pair<int, int>>& for_children) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return sys_error("pipe");
  pid_t mid = ::fork();
  if (mid < 0) {
    Error e = sys_error("fork");
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return e;
  }
  if (mid == 0) {
    ::close(pipe_fds[0]);
    int32_t reply[2] = {0, 0};  // {pid, errno}
    bool joined = userns_fd < 0 || ::setns(userns_fd, CLONE_NEWUSER) == 0;
    for (auto [fd, type] : for_children) joined = joined && ::setns(fd, type) == 0;
    for (auto [fd, type] : joins) joined = joined && ::setns(fd, type) == 0;
    if (!joined) {
      reply[1] = errno;
    } else {
      auto child = clone_child(flags, cgroup_fd);
      if (child && child->pid == 0) {
        ::close(pipe_fds[1]);
        return Child{};  // the grandchild goes on as the container's process
      }
      if (child)
        reply[0] = child->pid;
      else
        reply[1] = child.error().code;
    }
    (void)!::write(pipe_fds[1], reply, sizeof reply);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  int32_t reply[2] = {0, EPIPE};
  ssize_t n;
  do {
    n = ::read(pipe_fds[0], reply, sizeof reply);
  } while (n < 0 && errno == EINTR);
  ::close(pipe_fds[0]);
  (void)wait_child(mid);
  if (n != sizeof reply || reply[0] <= 0) return sys_error("clone in the joined namespaces", reply[1]);
  Child c;
  c.pid = reply[0];
  c.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, c.pid, 0)));
  if (!c.pidfd) return sys_error("pidfd_open");
  return c;
}

Result<int> wait_child(pid_t pid) {
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, 0);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return sys_error("waitpid");
  }
}

}  // namespace berth::lnx
