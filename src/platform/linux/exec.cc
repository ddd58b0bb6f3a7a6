// The Linux platform's exec: a process that joins the container's
// namespaces, cgroups, seccomp profile and root.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/crash.h"
#include "base/file.h"
#include "base/log.h"
#include "base/proc.h"
#include "linux/cgroup_join.h"
#include "linux/console.h"
#include "linux/exec_child.h"
#include "linux/lsm.h"
#include "linux/own_ns.h"
#include "linux/spawn.h"
#include "linux/sync.h"
#include "oci/parse.h"
#include "oci/validate.h"
#include "platform/linux/console_pair.h"
#include "platform/linux/container.h"
#include "platform/linux/seccomp_notify.h"
#include "platform/pidfd_process.h"
#include "seccomp/seccomp.h"

namespace berth::platform::linux_ {

namespace {

// True when pid's namespace of this kind is not berth's own.
bool differs(pid_t pid, const char* ns) {
  struct stat theirs, ours;
  std::string p = "/proc/" + std::to_string(pid) + "/ns/" + ns;
  std::string s = std::string("/proc/self/ns/") + ns;
  if (::stat(p.c_str(), &theirs) < 0 || ::stat(s.c_str(), &ours) < 0) return false;
  return theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev;
}

int namespaces_to_join(pid_t pid) {
  static constexpr std::pair<const char*, int> kTypes[] = {{"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},
                                                           {"net", CLONE_NEWNET},   {"ipc", CLONE_NEWIPC},
                                                           {"uts", CLONE_NEWUTS},   {"cgroup", CLONE_NEWCGROUP}};
  int flags = 0;
  for (auto [name, flag] : kTypes)
    if (differs(pid, name)) flags |= flag;
  return flags;
}

bool key_has(const std::string& key, const std::string& ctrl) {
  return ("," + key + ",").find("," + ctrl + ",") != std::string::npos;
}

// A controller named by --cgroup must be one the container has: a v1
// hierarchy's key, or a controller of its cgroup2 directory.
bool has_controller(const Record& st, const std::string& ctrl) {
  for (const auto& [key, dir] : st.cgroups) {
    if (!key.empty() && key_has(key, ctrl)) return true;
    if (!key.empty()) continue;
    auto text = read_file(path_join(dir, "cgroup.controllers"));
    if (!text) continue;
    for (const auto& c : split(trim(*text), ' '))
      if (c == ctrl) return true;
  }
  return false;
}

// A sub-cgroup never leads out of the container's ("..") and never names a
// controller the container does not have: both are errors, not ignored.
Status check_sub_cgroups(const Record& st, const ExecRequest& opts) {
  for (const auto& [ctrl, path] : opts.sub_cgroups) {
    for (const auto& part : split(path, '/'))
      if (part == "..") return invalid("--cgroup: " + oci::quote(path) + " leads out of the container's cgroup");
    if (!ctrl.empty() && !has_controller(st, ctrl))
      return invalid("--cgroup: unknown controller " + oci::quote(ctrl) + " (the container has no such cgroup)");
  }
  return {};
}

// Moves pid into the container's cgroups, or into the sub-cgroups --cgroup
// names below them (which must exist, as with runc).
Status join_container_cgroups(const Record& st, const ExecRequest& opts, pid_t pid) {
  if (opts.sub_cgroups.empty() || st.cgroups.empty()) return lnx::join_cgroups_of(st.pid, pid);
  for (const auto& [key, dir] : st.cgroups) {
    std::string sub;
    for (const auto& [ctrl, path] : opts.sub_cgroups) {
      bool match = ctrl.empty() || key_has(key, ctrl);
      if (match && (sub.empty() || !ctrl.empty())) sub = path;
    }
    std::string clean = path_clean("/" + sub);
    std::string target = sub.empty() ? dir : dir + clean;
    if (!path_exists(target)) return invalid("--cgroup: " + target + " does not exist");
    if (auto r = write_file(path_join(target, "cgroup.procs"), std::to_string(pid)); !r)
      return std::move(r).error().wrap("--cgroup");
  }
  return {};
}

}  // namespace

Result<Execed> LinuxContainer::create_process(const ExecRequest& opts) {
  Execed out;
  oci::Process process = opts.process;  // labels an LSM-less host cannot apply are dropped
  BERTH_TRY(lnx::resolve_process_labels(process, lnx::LabelsOf::kExec, out.warnings));
  BERTH_TRY(check_sub_cgroups(rec_, opts));
  pid_t init = rec_.pid;
  int pidfd_raw = static_cast<int>(::syscall(SYS_pidfd_open, init, 0));
  if (pidfd_raw < 0) return sys_error("pidfd_open");
  Fd pidfd(pidfd_raw);
  // Checked after the pidfd is held: it cannot now refer to a recycled pid.
  if (!process_alive(init, rec_.pid_start)) return make_error(ErrorKind::kConflict, "container is not running");

  lnx::ExecChildConfig cfg;
  cfg.process = &process;
  cfg.init_pidfd = pidfd.get();
  cfg.join_flags = namespaces_to_join(init);
  cfg.preserve_fds = opts.preserve_fds;
  // As for the init: no capabilities object, no capabilities (runc's exec).
  cfg.has_caps = true;
  if (opts.process.capabilities) cfg.caps = lnx::resolve_caps(*opts.process.capabilities, out.warnings);
  // The container's seccomp profile binds exec'd processes too.
  std::optional<seccomp::Filter> filter;
  std::optional<oci::Seccomp> profile;  // kept for listenerPath
  std::string recorded = rec_.seccomp;
  if (recorded.empty()) {
    auto f = open_at(dir_fd_, kSeccompFile, O_RDONLY);
    if (f) {
      auto text = read_fd(f->get());
      if (!text) return std::move(text).error().wrap(kSeccompFile);
      recorded = std::move(*text);
    } else if (f.error().code != ENOENT) {
      return std::move(f).error();
    }
  }
  if (!recorded.empty()) {
    auto parsed = oci::parse_seccomp(recorded);
    if (!parsed) return std::move(parsed).error().wrap("recorded seccomp profile");
    profile = std::move(*parsed);
    auto compiled = seccomp::compile(*profile, out.warnings);
    if (!compiled) return std::move(compiled).error();
    filter.emplace(std::move(*compiled));
    cfg.seccomp = &*filter;
  }
  auto root = open_file("/proc/" + std::to_string(init) + "/root", O_PATH | O_DIRECTORY);
  if (!root) return std::move(root).error();
  cfg.init_root = root->get();
  auto sync = lnx::make_sync_pair();
  if (!sync) return std::move(sync).error();
  cfg.sync_fd = sync->child.get();
  ConsolePair console;
  if (opts.process.terminal) {
    auto con = open_console(opts.console_socket);
    if (!con) return std::move(con).error();
    console = std::move(*con);
    cfg.console_fd = console.child.get();
  }
  cfg.close_fds = {sync->parent.get(), console.parent.get()};

  // The pid and time namespaces apply to children: join them here, so the
  // child is born inside them and needs no second fork.
  int for_children = (differs(init, "pid") ? CLONE_NEWPID : 0) | (differs(init, "time") ? CLONE_NEWTIME : 0);
  Result<lnx::Child> child = Error{};
  {
    lnx::OwnNamespaces own;  // back in ours right after the clone
    BERTH_TRY(own.save(for_children));
    if (for_children != 0 && ::setns(pidfd.get(), for_children) < 0)
      return sys_error("setns into the container's pid namespace");
    child = lnx::clone_child(0);
    if (child && child->pid == 0) lnx::run_exec_child(cfg);
  }
  if (!child) return std::move(child).error();
  crash_point("exec:clone");
  const pid_t pid = child->pid;
  BERTH_DEBUG("exec into " + id_ + ": process pid " + std::to_string(pid));
  auto made = std::make_unique<PidfdProcess>(pid, std::move(child->pidfd));
  sync->child.reset();
  console.child.reset();
  out.console = std::move(console.parent);
  auto fail = [&](Error e) -> Error {
    made->terminate();
    return e;
  };
  if (auto r = join_container_cgroups(rec_, opts, pid); !r) return fail(std::move(r).error());
  crash_point("exec:cgroup-join");
  if (auto r = lnx::sync_send(sync->parent.get(), lnx::SyncType::kGo); !r) return fail(std::move(r).error());
  // EOF: the child's end closed on execve. Anything else is its error.
  const bool listener = filter && filter->needs_listener();
  auto m = sync_recv_passing_listener(sync->parent.get(), "exec child", listener ? &*profile : nullptr,
                                      listener ? opts.state_json : "", pid);
  if (m) {
    Error e = m->type == lnx::SyncType::kError ? std::move(*m).as_error() : Error{EPROTO, "sync: unexpected message"};
    return fail(std::move(e));
  }
  if (m.error().code != EPIPE) return fail(std::move(m).error());
  if (out.console) {
    // Sent before the child's execve, so it is waiting here.
    auto master = lnx::recv_pty_master(out.console.get());
    if (!master) return fail(std::move(master).error());
    out.console = std::move(*master);
  }
  out.process = std::move(made);
  return out;
}

}  // namespace berth::platform::linux_
