#include "linux/init.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/process_setup.h"
#include "linux/sync.h"

namespace berth::lnx {

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

Status wait_for_start(const InitConfig& cfg, bool& parent_gone) {
  if (cfg.park == Park::kSync) return sync_expect(cfg.sync_fd, SyncType::kStart, "berth");
  // `berth start` writes one byte. The parent that created us is gone by now,
  // so nothing more goes over the sync socket.
  ::close(cfg.sync_fd);
  parent_gone = true;
  char byte;
  for (;;) {
    ssize_t n = ::read(cfg.exec_fifo, &byte, 1);
    if (n == 1) return {};
    if (n < 0 && errno == EINTR) continue;
    ::_exit(1);  // nobody to report to
  }
}

// The recipe. Each step's position is a constraint, noted where it is not obvious.
Status init_steps(const InitConfig& cfg, bool& parent_gone) {
  const oci::Spec& spec = *cfg.spec;
  const oci::Process& proc = *spec.process;

  // The parent writes uid/gid maps and places us in cgroups before kGo.
  BERTH_TRY(sync_expect(cfg.sync_fd, SyncType::kGo, "berth"));
  if (cfg.new_user_ns) {
    // Be root of the new user namespace: mounts below need its capabilities
    // with a mapped uid.
    if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)
      return sys_error("become root in the user namespace");
  }
  for (auto [fd, type] : cfg.join_ns) {
    if (::setns(fd, type) < 0) return sys_error("setns");
  }
  if (cfg.new_uts_ns) {
    if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
      return sys_error("sethostname " + spec.hostname);
    if (!spec.domainname.empty() &&
        ::setdomainname(spec.domainname.data(), spec.domainname.size()) < 0)
      return sys_error("setdomainname " + spec.domainname);
  }
  if (cfg.new_mount_ns) BERTH_TRY(setup_rootfs(spec, cfg.rootfs));
  // Sysctls go through the container's /proc/sys, before readonlyPaths seals it.
  if (spec.linux_) BERTH_TRY(write_sysctls(spec.linux_->sysctl));
  if (cfg.new_mount_ns) BERTH_TRY(finish_rootfs(spec));

  // Limits and the OOM score need privileges the user switch drops.
  BERTH_TRY(set_rlimits(proc.rlimits));
  if (proc.oom_score_adj) BERTH_TRY(set_oom_score_adj(*proc.oom_score_adj));
  BERTH_TRY(set_user(proc.user, cfg.has_caps ? &cfg.caps : nullptr));
  // After the user switch, so the cwd is checked with the user's permissions.
  BERTH_TRY(enter_cwd(proc.cwd));
  if (proc.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return sys_error("prctl PR_SET_NO_NEW_PRIVS");
  // Resolve the program now so a missing one fails create, not start.
  auto path = find_executable(proc.args[0], proc.env);
  if (!path) return std::move(path).error();

  BERTH_TRY(sync_send(cfg.sync_fd, SyncType::kReady));
  BERTH_TRY(wait_for_start(cfg, parent_gone));

  reset_signals();
  // Only stdio and the preserved fds survive execve; ours are O_CLOEXEC, and
  // anything else the caller leaked to us is marked so here.
  ::syscall(SYS_close_range, 3 + cfg.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  auto argv = c_strings(proc.args);
  auto envp = c_strings(proc.env);
  ::execve(path->c_str(), argv.data(), envp.data());
  return sys_error("exec " + *path);
}

}  // namespace

void run_init(const InitConfig& cfg) {
  for (int fd : cfg.close_fds) ::close(fd);
  bool parent_gone = false;
  Status st = init_steps(cfg, parent_gone);
  // Reaching here means a step failed (execve does not return on success).
  // After `start` the parent is gone: stderr is all that is left.
  if (parent_gone) {
    std::string msg = "berth: " + st.error().message + "\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  sync_send_error(cfg.sync_fd, st.error());
  ::_exit(127);
}

}  // namespace berth::lnx
