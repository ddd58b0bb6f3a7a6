// A process the host knows by pid, held by a pidfd: the Process of any
// platform whose processes (or their host stand-ins) are host processes.
#pragma once

#include <sys/types.h>

#include "base/fd.h"
#include "platform/platform.h"

namespace berth::platform {

class PidfdProcess final : public Process {
 public:
  // pidfd may be empty (the process had gone when it was opened).
  PidfdProcess(pid_t pid, Fd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  pid_t pid() const override { return pid_; }
  int exit_fd() const override { return pidfd_.get(); }
  Result<int> exit_status() override;
  Status signal(int sig) override;
  void terminate() override;

 private:
  pid_t pid_;
  Fd pidfd_;
};

}  // namespace berth::platform
