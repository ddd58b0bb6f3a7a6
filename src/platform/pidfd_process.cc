#include "platform/pidfd_process.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "base/proc.h"

namespace berth::platform {

Result<int> PidfdProcess::exit_status() {
  if (!pidfd_) return make_error(ErrorKind::kNotFound, "process " + std::to_string(pid_) + " has gone");
  siginfo_t info{};
  for (;;) {
    if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.get()), &info, WEXITED) == 0) break;
    if (errno != EINTR) return sys_error("wait for process " + std::to_string(pid_));
  }
  pidfd_.reset();
  return wait_status_of(info);
}

Status PidfdProcess::signal(int sig) {
  if (!pidfd_) return Error{ESRCH, "process " + std::to_string(pid_) + " has gone"};
  if (::syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0) < 0) return sys_error("kill");
  return {};
}

void PidfdProcess::terminate() {
  if (!pidfd_) return;
  (void)signal(SIGKILL);
  (void)exit_status();
}

}  // namespace berth::platform
