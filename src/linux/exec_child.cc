#include "linux/exec_child.h"

#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/crash.h"
#include "base/log.h"
#include "linux/console.h"
#include "linux/process_attrs.h"
#include "linux/process_setup.h"
#include "linux/sync.h"
#include "oci/names.h"

namespace berth::lnx {

namespace {

Status exec_steps(const ExecChildConfig& cfg) {
  // The parent moves us into the container's cgroups before kGo, so nothing
  // this process forks can escape them.
  BERTH_TRY(sync_expect(cfg.sync_fd, SyncType::kGo, "berth"));
  const auto& affinity = cfg.process->exec_cpu_affinity;
  if (affinity && !affinity->initial.empty())
    BERTH_TRY(set_cpu_affinity(affinity->initial, "process.execCPUAffinity.initial"));
  // One setns(pidfd) joins every namespace at once; the kernel enters the
  // user namespace first. The pid namespace was joined by the parent (it
  // applies to children, which we are).
  if (cfg.join_flags != 0 && ::setns(cfg.init_pidfd, cfg.join_flags) < 0) return sys_error("setns into the container");
  crash_point("exec:child-setns");
  BERTH_DEBUG("exec: joined the container's namespaces [" +
              oci::namespace_names(static_cast<unsigned long>(cfg.join_flags)) + "]");
  // The mount namespace's root is not necessarily the container's (--no-pivot
  // uses chroot): take the init's root directory itself.
  if (::fchdir(cfg.init_root) < 0 || ::chroot(".") < 0) return sys_error("enter the container's root");
  if (cfg.process->terminal) {
    BERTH_TRY(setup_terminal(cfg.console_fd, cfg.process->console_size, false));
    ::close(cfg.console_fd);
  }
  auto prepared = prepare_process(*cfg.process, cfg.has_caps ? &cfg.caps : nullptr, cfg.seccomp);
  if (!prepared) return std::move(prepared).error();
  // The parent passes the notify fd to listenerPath; execve closes our end
  // of the sync socket, which tells it the process runs.
  if (prepared->seccomp_listener) {
    BERTH_TRY(sync_send_fd(cfg.sync_fd, SyncType::kSeccompListener, prepared->seccomp_listener.get()));
    prepared->seccomp_listener.reset();
  }
  return exec_process(*cfg.process, *prepared, cfg.preserve_fds);
}

}  // namespace

void run_exec_child(const ExecChildConfig& cfg) {
  // Born inside the container's pid namespace as a copy of berth: keep
  // /proc/PID/exe (the berth binary) and its memory out of the container's
  // reach until execve (CVE-2019-5736).
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  for (int fd : cfg.close_fds) ::close(fd);
  Status st = exec_steps(cfg);
  sync_send_error(cfg.sync_fd, st.error());
  ::_exit(127);
}

}  // namespace berth::lnx
