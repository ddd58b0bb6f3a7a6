#include "runtime/exec.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/crash.h"
#include "base/file.h"
#include "base/proc.h"
#include "linux/cgroup_join.h"
#include "linux/exec_child.h"
#include "linux/lsm.h"
#include "linux/sync.h"
#include "oci/parse.h"
#include "oci/validate.h"
#include "runtime/cgroup.h"
#include "seccomp/seccomp.h"
#include "runtime/container.h"
#include "runtime/create.h"
#include "runtime/seccomp_notify.h"

namespace berth::runtime {

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
  static constexpr std::pair<const char*, int> kTypes[] = {
      {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},   {"net", CLONE_NEWNET},
      {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP}};
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
bool has_controller(const state::ContainerState& st, const std::string& ctrl) {
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
Status check_sub_cgroups(const state::ContainerState& st, const ExecOptions& opts) {
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
Status join_container_cgroups(const state::ContainerState& st, const ExecOptions& opts, pid_t pid) {
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

Result<std::string> container_process_json(const state::Store& store, const std::string& id) {
  auto c = load(store, id, false);
  if (!c) return std::move(c).error();
  std::string path = path_join(c->st.bundle, "config.json");
  auto text = read_input_file(path);
  if (!text) return std::move(text).error();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("process") || !j["process"].is_object())
    return invalid(path + ": no process object");
  return j["process"].dump();
}

Result<Execed> exec(const state::Store& store, const ExecOptions& opts) {
  std::string ctx = "exec " + opts.id;
  auto c = load(store, opts.id, false);
  if (!c) return std::move(c).error().wrap(ctx);
  // As runc: a created container's namespaces and root are complete (its
  // init is parked before execve), so a process can join them.
  bool ok = c->status == state::Status::kRunning || c->status == state::Status::kCreated ||
            (c->status == state::Status::kPaused && opts.ignore_paused);
  if (!ok)
    return make_error(ErrorKind::kConflict,
                      ctx + ": cannot exec in a " + state::status_name(c->status) + " container" +
                          (c->status == state::Status::kPaused ? " (use --ignore-paused)" : ""));
  Execed out;
  oci::Process process = opts.process;  // labels an LSM-less host cannot apply are dropped
  BERTH_TRY_CTX(lnx::resolve_process_labels(process, lnx::LabelsOf::kExec, out.warnings), ctx);
  BERTH_TRY_CTX(check_sub_cgroups(c->st, opts), ctx);
  pid_t init = c->st.pid;
  int pidfd_raw = static_cast<int>(::syscall(SYS_pidfd_open, init, 0));
  if (pidfd_raw < 0) return sys_error("pidfd_open").wrap(ctx);
  Fd pidfd(pidfd_raw);
  // Checked after the pidfd is held: it cannot now refer to a recycled pid.
  if (!process_alive(init, c->st.pid_start))
    return make_error(ErrorKind::kConflict, ctx + ": container is not running");

  lnx::ExecChildConfig cfg;
  cfg.process = &process;
  cfg.init_pidfd = pidfd.get();
  cfg.join_flags = namespaces_to_join(init);
  cfg.preserve_fds = opts.preserve_fds;
  if (opts.process.capabilities) {
    cfg.has_caps = true;
    cfg.caps = lnx::resolve_caps(*opts.process.capabilities, out.warnings);
  }
  // The container's seccomp profile binds exec'd processes too.
  std::optional<seccomp::Filter> filter;
  std::optional<oci::Seccomp> profile;  // kept for listenerPath
  if (!c->st.seccomp.empty()) {
    auto parsed = oci::parse_seccomp(c->st.seccomp);
    if (!parsed) return std::move(parsed).error().wrap(ctx + ": recorded seccomp profile");
    profile = std::move(*parsed);
    auto compiled = seccomp::compile(*profile, out.warnings);
    if (!compiled) return std::move(compiled).error().wrap(ctx);
    filter.emplace(std::move(*compiled));
    cfg.seccomp = &*filter;
  }
  auto root = open_file("/proc/" + std::to_string(init) + "/root", O_PATH | O_DIRECTORY);
  if (!root) return std::move(root).error().wrap(ctx);
  cfg.init_root = root->get();
  auto sync = lnx::make_sync_pair();
  if (!sync) return std::move(sync).error().wrap(ctx);
  cfg.sync_fd = sync->child.get();
  ConsolePair console;
  if (opts.process.terminal) {
    auto con = open_console(opts.console_socket);
    if (!con) return std::move(con).error().wrap(ctx);
    console = std::move(*con);
    cfg.console_fd = console.child.get();
  }
  cfg.close_fds = {sync->parent.get(), console.parent.get()};

  // The pid and time namespaces apply to children: join them here, so the
  // child is born inside them and needs no second fork.
  int for_children = (differs(init, "pid") ? CLONE_NEWPID : 0) | (differs(init, "time") ? CLONE_NEWTIME : 0);
  // Our own, to go back to after the clone: later children of berth (and
  // LeakSanitizer's helper thread at exit, in test builds) belong here.
  Fd own_pid, own_time;
  if (for_children & CLONE_NEWPID) {
    auto f = open_file("/proc/self/ns/pid", O_RDONLY);
    if (!f) return std::move(f).error().wrap(ctx);
    own_pid = std::move(*f);
  }
  if (for_children & CLONE_NEWTIME) {
    auto f = open_file("/proc/self/ns/time", O_RDONLY);
    if (!f) return std::move(f).error().wrap(ctx);
    own_time = std::move(*f);
  }
  if (for_children != 0 && ::setns(pidfd.get(), for_children) < 0)
    return sys_error("setns into the container's pid namespace").wrap(ctx);

  auto child = lnx::clone_child(0);
  if (child && child->pid != 0) {
    if (own_pid) (void)::setns(own_pid.get(), CLONE_NEWPID);
    if (own_time) (void)::setns(own_time.get(), CLONE_NEWTIME);
  }
  if (!child) return std::move(child).error().wrap(ctx);
  if (child->pid == 0) lnx::run_exec_child(cfg);
  crash_point("exec:clone");
  out.child = std::move(*child);
  sync->child.reset();
  console.child.reset();
  out.console = std::move(console.parent);
  auto fail = [&](Error e) -> Error {
    ::kill(out.child.pid, SIGKILL);
    (void)lnx::wait_child(out.child.pid);
    return std::move(e).wrap(ctx);
  };
  if (auto r = join_container_cgroups(c->st, opts, out.child.pid); !r) return fail(std::move(r).error());
  crash_point("exec:cgroup-join");
  if (auto r = lnx::sync_send(sync->parent.get(), lnx::SyncType::kGo); !r) return fail(std::move(r).error());
  // EOF: the child's end closed on execve. Anything else is its error.
  const bool listener = filter && filter->needs_listener();
  auto m = sync_recv_passing_listener(sync->parent.get(), "exec child", listener ? &*profile : nullptr,
                                      listener ? oci_state_json(c->st, state::Status::kRunning, false) : "",
                                      out.child.pid);
  if (m) {
    Error e = m->type == lnx::SyncType::kError ? std::move(*m).as_error()
                                               : Error{EPROTO, "sync: unexpected message"};
    return fail(std::move(e));
  }
  if (m.error().code != EPIPE) return fail(std::move(m).error());
  if (!opts.pid_file.empty()) {
    if (auto r = write_pid_file(opts.pid_file, out.child.pid); !r) return fail(std::move(r).error());
  }
  return out;
}

}  // namespace berth::runtime
