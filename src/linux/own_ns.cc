#include "linux/own_ns.h"

#include <fcntl.h>
#include <sched.h>

#include "base/file.h"

namespace berth::lnx {

Status OwnNamespaces::save(int types) {
  auto open = [](Fd& fd, const char* path) -> Status {
    auto f = open_file(path, O_RDONLY);
    if (!f) return std::move(f).error();
    fd = std::move(*f);
    return {};
  };
  if (types & CLONE_NEWPID) BERTH_TRY(open(pid_, "/proc/self/ns/pid"));
  if (types & CLONE_NEWTIME) BERTH_TRY(open(time_, "/proc/self/ns/time"));
  return {};
}

void OwnNamespaces::restore() {
  if (pid_) (void)::setns(pid_.get(), CLONE_NEWPID);
  if (time_) (void)::setns(time_.get(), CLONE_NEWTIME);
  pid_.reset();
  time_.reset();
}

}  // namespace berth::lnx
