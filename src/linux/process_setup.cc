#include "linux/process_setup.h"

#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

#include "base/file.h"
#include "linux/lsm.h"
#include "linux/process_attrs.h"

namespace berth::lnx {

Status set_rlimits(const std::vector<oci::Rlimit>& rlimits) {
  for (const auto& r : rlimits) {
    struct rlimit lim = {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &lim) < 0) {
      Error e = sys_error("setrlimit " + r.type + " soft " + std::to_string(r.soft) + " hard " +
                          std::to_string(r.hard));
      if (e.code == EPERM) e.message += " (raising a hard limit above the caller's needs CAP_SYS_RESOURCE)";
      return e;
    }
  }
  return {};
}

Status set_oom_score_adj(int value) {
  if (auto r = write_file("/proc/self/oom_score_adj", std::to_string(value)); !r)
    return std::move(r).error().wrap("set oom_score_adj " + std::to_string(value));
  return {};
}

Status set_user(const oci::User& user, const CapSets* caps) {
  if (caps) {
    BERTH_TRY(drop_bounding(*caps));
    // Keep the permitted set across the uid change; apply_caps trims it after.
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return sys_error("prctl PR_SET_KEEPCAPS");
  }
  std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
  // setgroups is denied in a user namespace whose gid_map was written with
  // "deny"; then the process has no supplementary groups to drop anyway.
  if (::setgroups(groups.size(), groups.data()) < 0 && !(errno == EPERM && groups.empty()))
    return sys_error("setgroups");
  if (::setresgid(user.gid, user.gid, user.gid) < 0) return sys_error("setgid " + std::to_string(user.gid));
  if (::setresuid(user.uid, user.uid, user.uid) < 0) return sys_error("setuid " + std::to_string(user.uid));
  if (caps) {
    if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return sys_error("prctl PR_SET_KEEPCAPS");
    BERTH_TRY(apply_caps(*caps));
  }
  if (user.umask) ::umask(static_cast<mode_t>(*user.umask & 0777));
  return {};
}

Status enter_cwd(const std::string& cwd) {
  if (::chdir(cwd.c_str()) < 0) return sys_error("chdir to cwd " + cwd);
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof buf) == nullptr || buf[0] != '/') return invalid("cwd " + cwd + " is outside the container");
  return {};
}

namespace {

bool is_executable(const std::string& path) {
  struct stat sb;
  return ::stat(path.c_str(), &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0111) != 0;
}

}  // namespace

Result<std::string> find_executable(const std::string& name, const std::vector<std::string>& env) {
  // The process names what is not there (or cannot be run): the caller's
  // mistake, as runc's exec reports it, whatever errno said so.
  auto bad = [](Error e) {
    e.kind = ErrorKind::kInvalidArgument;
    return e;
  };
  if (name.find('/') != std::string::npos) {
    struct stat sb;
    if (::stat(name.c_str(), &sb) < 0) return bad(sys_error("exec: \"" + name + "\": stat " + name));
    if (S_ISDIR(sb.st_mode)) return bad(Error{EISDIR, "exec: \"" + name + "\": is a directory"});
    // As Go's exec.LookPath in runc's init: refused at create, not at start,
    // so the client gets it from create (docker exits 126 on it).
    if ((sb.st_mode & 0111) == 0) return bad(Error{EACCES, "exec: \"" + name + "\": permission denied"});
    return name;
  }
  std::string path;
  bool have_path = false;
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) {
      path = e.substr(5);
      have_path = true;
    }
  }
  if (!have_path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& dir : split(path, ':')) {
    std::string candidate = path_join(dir.empty() ? "." : dir, name);
    if (is_executable(candidate)) return candidate;
  }
  return bad(Error{ENOENT, "exec: \"" + name + "\": executable file not found in $PATH"});
}

std::string home_of(uid_t uid) {
  // The container's own file (we are in its root): bounded, regular only,
  // so an image cannot make berth hang or read a device.
  auto text = read_input_file("/etc/passwd", 4 << 20);
  if (!text) return "/";
  for (const auto& line : split(*text, '\n')) {
    auto f = split(line, ':');
    int64_t id = -1;
    if (f.size() >= 7 && parse_int64(f[2], id) && id == static_cast<int64_t>(uid) && !f[5].empty()) return f[5];
  }
  return "/";
}

std::vector<std::string> with_home(const std::vector<std::string>& env, uid_t uid) {
  for (const auto& e : env)
    if (e.starts_with("HOME=")) return env;
  std::vector<std::string> out = env;
  out.push_back("HOME=" + home_of(uid));
  return out;
}

void reset_signals() {
  struct sigaction sa = {};
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &sa, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace berth::lnx

namespace berth::lnx {

bool seccomp_loads_late(const oci::Process& proc, const CapSets* caps) {
  if (proc.no_new_privileges) return true;
  constexpr uint64_t kSysAdmin = uint64_t{1} << 21;  // CAP_SYS_ADMIN
  if (caps) return (caps->effective & kSysAdmin) != 0;
  return proc.user.uid == 0;  // root without a capabilities list keeps them all
}

Result<PreparedProcess> prepare_process(const oci::Process& proc, const CapSets* caps, const seccomp::Filter* filter) {
  PreparedProcess out;
  const bool late = seccomp_loads_late(proc, caps);
  // Limits, the OOM score and scheduling need privileges the user switch drops.
  BERTH_TRY(set_rlimits(proc.rlimits));
  if (proc.oom_score_adj) BERTH_TRY(set_oom_score_adj(*proc.oom_score_adj));
  if (proc.io_priority) BERTH_TRY(set_io_priority(*proc.io_priority));
  if (proc.scheduler) BERTH_TRY(set_scheduler(*proc.scheduler));
  // "final": the affinity once in the container's cgroups (a cpuset there may narrow it).
  if (proc.exec_cpu_affinity && !proc.exec_cpu_affinity->final.empty())
    BERTH_TRY(set_cpu_affinity(proc.exec_cpu_affinity->final, "process.execCPUAffinity.final"));
  if (filter && !late) {
    auto listener = filter->load();
    if (!listener) return std::move(listener).error();
    out.seccomp_listener = std::move(*listener);
  }
  // A session of its own, as runc's processes have (a terminal's setup
  // already made one).
  if (::getsid(0) != ::getpid() && ::setsid() < 0) return sys_error("setsid");
  out.env = with_home(proc.env, proc.user.uid);
  // The cwd is entered with the runtime's rights first (a 0700 directory of
  // root's for a container user), and again as the user only if that was
  // refused (a directory only the user may enter), as runc does.
  auto cwd = enter_cwd(proc.cwd);
  if (!cwd && cwd.error().code != EACCES && cwd.error().code != EPERM) return std::move(cwd).error();
  BERTH_TRY(set_user(proc.user, caps));
  if (!cwd) BERTH_TRY(enter_cwd(proc.cwd));
  // The LSM labels take effect at execve; written before no_new_privs and
  // seccomp, which could forbid the change or the write.
  BERTH_TRY(apply_exec_labels(proc));
  if (proc.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return sys_error("prctl PR_SET_NO_NEW_PRIVS");
  if (filter && late && filter->needs_listener()) {
    auto listener = filter->load();
    if (!listener) return std::move(listener).error();
    out.seccomp_listener = std::move(*listener);
  } else if (filter && late) {
    out.late_filter = filter;
  }
  auto path = find_executable(proc.args[0], proc.env);
  if (!path) return std::move(path).error();
  out.path = std::move(*path);
  return out;
}

Error exec_process(const oci::Process& proc, const PreparedProcess& prepared, int preserve_fds) {
  const std::string& path = prepared.path;
  const seccomp::Filter* late_filter = prepared.late_filter;
  reset_signals();
  // Only stdio and the preserved fds survive execve; ours are O_CLOEXEC, and
  // anything else the caller leaked to us is marked so here.
  ::syscall(SYS_close_range, 3 + preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  std::vector<char*> argv, envp;
  for (const auto& a : proc.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : prepared.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  if (late_filter) {
    if (auto r = late_filter->load(); !r) return std::move(r).error();
  }
  ::execve(path.c_str(), argv.data(), envp.data());
  return sys_error("exec " + path);
}

}  // namespace berth::lnx
