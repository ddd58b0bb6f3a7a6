#include "platform/linux/container.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/crash.h"
#include "base/file.h"
#include "base/proc.h"
#include "linux/spawn.h"
#include "platform/linux/proc_info.h"
#include "platform/pidfd_process.h"

namespace berth::platform::linux_ {

// ---------------------------------------------------------------- container

bool LinuxContainer::init_alive() const { return rec_.pid > 0 && process_alive(rec_.pid, rec_.pid_start); }

Result<std::unique_ptr<cgroups::Manager>> LinuxContainer::cgroups() const { return manager_for(id_, rec_); }

// As runc derives it: no init yet -> creating (the runtime tells a dead
// create by the lock); init gone or its pid reused -> stopped; exec fifo
// present -> created (the init is parked until start); cgroup frozen ->
// paused; otherwise running.
state::Status LinuxContainer::status() {
  if (rec_.pid <= 0) return state::Status::kCreating;
  if (!init_alive()) return state::Status::kStopped;
  struct stat sb;
  if (::fstatat(dir_fd_, state::kExecFifo, &sb, AT_SYMLINK_NOFOLLOW) == 0) return state::Status::kCreated;
  auto m = cgroups();
  if (m && *m && (*m)->frozen()) return state::Status::kPaused;
  return state::Status::kRunning;
}

Status LinuxContainer::start() {
  // The init holds the fifo open for reading; O_NONBLOCK makes a vanished
  // init an ENXIO instead of a hang.
  int fd = ::openat(dir_fd_, state::kExecFifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    Error e = sys_error("open exec fifo");
    if (e.code == ENXIO) {
      (void)::unlinkat(dir_fd_, state::kExecFifo, 0);
      return make_error(ErrorKind::kConflict, "the container's init is not waiting to start");
    }
    return e;
  }
  Fd fifo(fd);
  if (::write(fd, "0", 1) != 1) return sys_error("write exec fifo");
  crash_point("start:fifo-write");
  // The init's end is close-on-exec: when it closes, the fifo has no reader
  // and poll reports POLLERR (always reported, even for events 0). Then the
  // user's process runs (or the init died).
  struct pollfd p = {fd, 0, 0};
  while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
  // Unlinked after the write: a crash in between leaves "created" and a retry
  // finds no reader, rather than an init that waits forever.
  if (::unlinkat(dir_fd_, state::kExecFifo, 0) < 0) return sys_error("remove exec fifo");
  crash_point("start:fifo-unlink");
  return {};
}

Status LinuxContainer::signal(int sig, bool all) {
  auto cg = cgroups();
  if (!cg) return std::move(cg).error();
  Status r;
  // --all reaches whatever is left in the cgroup even once the init is gone
  // (a pod sharing a pid namespace: containerd kills its others this way).
  if (all && *cg) {
    auto pids = (*cg)->pids();
    if (!pids) return std::move(pids).error();
    for (pid_t p : *pids) ::kill(p, sig);
  } else {
    r = signal_process(rec_.pid, rec_.pid_start, sig);
  }
  // A frozen process only dies once thawed; runc once hung here.
  if (sig == SIGKILL && *cg && (*cg)->frozen()) (void)(*cg)->freeze(false);
  return r;
}

Status LinuxContainer::set_frozen(bool frozen) {
  auto cg = cgroups();
  if (!cg) return std::move(cg).error();
  if (!*cg) return make_error(ErrorKind::kNotImplemented, "the container has no cgroup");
  return (*cg)->freeze(frozen);
}

Status LinuxContainer::update(const oci::Resources& r) {
  auto cg = cgroups();
  if (!cg) return std::move(cg).error();
  if (!*cg) return make_error(ErrorKind::kNotImplemented, "the container has no cgroup");
  return (*cg)->set(r);
}

Result<Stats> LinuxContainer::statistics() {
  auto cg = cgroups();
  if (!cg) return std::move(cg).error();
  if (!*cg) return Stats{};
  return (*cg)->stats();
}

Result<std::vector<pid_t>> LinuxContainer::pids(state::Status status) {
  auto cg = cgroups();
  if (!cg) return std::move(cg).error();
  // A stopped container's cgroup may still hold processes (its init gone,
  // a shared pid namespace's others not): runc lists them, and so do we.
  if (!*cg) {
    if (status == state::Status::kStopped) return std::vector<pid_t>{};
    return std::vector<pid_t>{rec_.pid};
  }
  return (*cg)->pids();
}

Result<std::vector<ProcessInfo>> LinuxContainer::processes(state::Status status) {
  auto pids_now = pids(status);
  if (!pids_now) return std::move(pids_now).error();
  std::vector<ProcessInfo> out;
  for (pid_t p : *pids_now)
    if (auto info = read_process_info(p)) out.push_back(std::move(*info));  // gone meanwhile: skipped
  return out;
}

Result<std::unique_ptr<Process>> LinuxContainer::open_process(pid_t pid) {
  const bool init = pid == 0;
  if (init) pid = rec_.pid;
  if (pid <= 0) return std::unique_ptr<Process>();
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  // Checked after the pidfd is held: the pid cannot be reused under it. The
  // init's start time says it is still the one recorded.
  if (!pidfd || process_state(pid) == 'Z' || (init && !process_alive(pid, rec_.pid_start)))
    return std::unique_ptr<Process>();
  return std::unique_ptr<Process>(std::make_unique<PidfdProcess>(pid, std::move(pidfd)));
}

Status LinuxContainer::destroy(std::vector<std::string>* warnings) {
  auto cg = cgroups();
  if (!cg) {
    // Recorded paths that are not a container's cgroups (a state file
    // edited by hand) are never touched; the rest is still removed.
    if (warnings) warnings->push_back(cg.error().message + "; cgroups left as they are");
    cg = std::unique_ptr<cgroups::Manager>();
  }
  // A frozen init cannot die: thaw before the kill. Without an init (a
  // create refused or crashed before its clone), the cgroups' own destroy
  // below decides: an empty cgroup frozen by its parent cannot thaw, and
  // needs not.
  if (init_alive()) {
    if (*cg && (*cg)->frozen()) BERTH_TRY((*cg)->freeze(false));
    if (auto r = signal_process(rec_.pid, rec_.pid_start, SIGKILL); !r && r.error().code != ESRCH)
      return std::move(r).error();
    crash_point("delete:kill");
    BERTH_TRY(wait_exited(rec_.pid, 10000));
  }
  // The cgroup holds whatever else the container started (without a pid
  // namespace, or exec'd processes reparented away).
  if (*cg) BERTH_TRY((*cg)->destroy());
  crash_point("delete:cgroups");
  return {};
}

}  // namespace berth::platform::linux_
