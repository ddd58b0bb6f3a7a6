#include "linux/init.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/crash.h"
#include "base/log.h"
#include "hooks/hooks.h"
#include "linux/console.h"
#include "linux/process_attrs.h"
#include "linux/process_setup.h"
#include "linux/sync.h"
#include "linux/sysctl.h"
#include "oci/names.h"

namespace berth::lnx {

namespace {

// A parked init is pid 1 of its namespace, which ignores every signal it has
// no handler for; runc's parked init (a Go program) dies of TERM, INT, HUP
// and the rest, so `kill <created> TERM` stops the container there (podman's
// stop of a created container relies on it). Until execve, which resets
// them, these handlers end the init as such a signal would: 128+signal. The
// signals whose default is to be ignored or to stop, and the faults, stay
// as they are.
void exit_on_signals_while_parked() {
  struct sigaction sa {};
  sa.sa_handler = [](int sig) { ::_exit(128 + sig); };
  sigemptyset(&sa.sa_mask);
  sigset_t handled;
  sigemptyset(&handled);
  for (int sig = 1; sig < NSIG; ++sig) {
    switch (sig) {
      case SIGKILL:
      case SIGSTOP:
      case SIGCHLD:
      case SIGCONT:
      case SIGTSTP:
      case SIGTTIN:
      case SIGTTOU:
      case SIGURG:
      case SIGWINCH:
      case SIGSEGV:
      case SIGBUS:
      case SIGILL:
      case SIGFPE:
      case SIGTRAP:
      case SIGSYS:
      case SIGABRT: continue;
      default:
        // glibc's own real-time signals refuse a handler: skipped.
        if (::sigaction(sig, &sa, nullptr) == 0) sigaddset(&handled, sig);
    }
  }
  ::pthread_sigmask(SIG_UNBLOCK, &handled, nullptr);
}

Status wait_for_start(const InitConfig& cfg, bool& parent_gone) {
  if (cfg.park == Park::kSync) return sync_expect(cfg.sync_fd, SyncType::kStart, "berth");
  // `berth start` writes one byte. The parent that created us is gone by now,
  // so nothing more goes over the sync socket.
  ::close(cfg.sync_fd);
  parent_gone = true;
  exit_on_signals_while_parked();
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

  // The parent writes uid/gid maps before kGo, which carries the
  // container's state for the hooks; it moves us into our cgroups after.
  auto go = sync_recv(cfg.sync_fd, "berth");
  if (!go) return std::move(go).error();
  if (go->type != SyncType::kGo) return Error{EPROTO, "sync: expected go"};
  if (cfg.dumpable_until_go) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  crash_point("init:go");
  const std::string& state = go->text;
  const oci::Hooks no_hooks;
  const oci::Hooks& hooks = spec.hooks ? *spec.hooks : no_hooks;
  // "initial": the affinity the process has while berth sets it up.
  if (proc.exec_cpu_affinity && !proc.exec_cpu_affinity->initial.empty())
    BERTH_TRY(set_cpu_affinity(proc.exec_cpu_affinity->initial, "process.execCPUAffinity.initial"));
  if (cfg.become_root) {
    // Be root of the new user namespace: mounts below need its capabilities
    // with a mapped uid.
    if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0) return sys_error("become root in the user namespace");
  }
  for (auto [fd, type] : cfg.join_ns) {
    if (::setns(fd, type) < 0) return sys_error("setns");
    BERTH_DEBUG("init: joined the " + oci::namespace_names(static_cast<unsigned long>(type)) + " namespace by path");
  }
  if (!cfg.session_keyring.empty()) BERTH_TRY(join_session_keyring(cfg.session_keyring));
  if (cfg.own_uts_ns) {
    if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
      return sys_error("sethostname " + spec.hostname);
    if (!spec.domainname.empty() && ::setdomainname(spec.domainname.data(), spec.domainname.size()) < 0)
      return sys_error("setdomainname " + spec.domainname);
  }
  RootfsConfig rootfs = cfg.rootfs;
  bool in_cgroups = false;
  auto wait_cgroups = [&]() -> Status {
    if (in_cgroups) return {};
    in_cgroups = true;
    BERTH_TRY(sync_expect(cfg.sync_fd, SyncType::kCgroups, "berth"));
    if (cfg.new_cgroup_ns && ::unshare(CLONE_NEWCGROUP) < 0) return sys_error("unshare cgroup namespace");
    return {};
  };
  rootfs.mount.before_cgroup = wait_cgroups;
  rootfs.before_pivot = [&]() -> Status {
    // Hooks and everything after run inside the container's cgroups.
    BERTH_TRY(wait_cgroups());
    if (cfg.parent_hooks) {
      BERTH_TRY(sync_send(cfg.sync_fd, SyncType::kHooks));
      BERTH_TRY(sync_expect(cfg.sync_fd, SyncType::kHooksDone, "berth"));
    }
    // In the rootfs, as runc runs them.
    return hooks::run(hooks.create_container, "createContainer", state, rootfs.rootfs);
  };
  if (cfg.new_mount_ns) BERTH_TRY(setup_rootfs(spec, rootfs));
  BERTH_TRY(wait_cgroups());
  crash_point("init:cgroups");
  // Sysctls go through the container's /proc/sys, before readonlyPaths seals it.
  if (spec.linux_) BERTH_TRY(write_sysctls(spec.linux_->sysctl));
  if (cfg.new_mount_ns) BERTH_TRY(finish_rootfs(spec));
  // The pty comes from the container's own devpts, so after the root is final.
  if (proc.terminal) {
    BERTH_TRY(setup_terminal(cfg.console_fd, proc.console_size, true));
    ::close(cfg.console_fd);
  }

  if (spec.linux_ && spec.linux_->personality) BERTH_TRY(set_personality(*spec.linux_->personality));
  // The program is resolved here, so a missing one fails create, not start.
  auto prepared = prepare_process(proc, cfg.has_caps ? &cfg.caps : nullptr, cfg.seccomp);
  if (!prepared) return std::move(prepared).error();
  // The parent passes the notify fd to listenerPath before create returns.
  if (prepared->seccomp_listener) {
    BERTH_TRY(sync_send_fd(cfg.sync_fd, SyncType::kSeccompListener, prepared->seccomp_listener.get()));
    prepared->seccomp_listener.reset();
  }

  BERTH_TRY(sync_send(cfg.sync_fd, SyncType::kReady));
  crash_point("init:ready");
  BERTH_TRY(wait_for_start(cfg, parent_gone));
  crash_point("init:started");
  BERTH_DEBUG("init: started, running " + (proc.args.empty() ? std::string("?") : proc.args[0]));
  // By now the container is "created" (start was called): say so to the hooks.
  std::string started = state;
  const std::string creating = "\"status\":\"creating\"";
  if (auto at = started.find(creating); at != std::string::npos)
    started.replace(at, creating.size(), "\"status\":\"created\"");
  BERTH_TRY(hooks::run(hooks.start_container, "startContainer", started));
  return exec_process(proc, *prepared, cfg.preserve_fds);
}

}  // namespace

void run_init(const InitConfig& cfg) {
  // Until execve this process is a copy of berth: non-dumpable, so nothing in
  // the container can open its /proc/PID/exe (the berth binary) or its
  // memory, even as root (CVE-2019-5736). execve resets it.
  if (!cfg.dumpable_until_go) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
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
