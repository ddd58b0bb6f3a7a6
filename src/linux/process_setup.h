// Process attributes of the container's init, applied between the rootfs set-up
// and execve.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "linux/caps.h"
#include "oci/spec.h"
#include "seccomp/seccomp.h"

namespace berth::lnx {

Status set_rlimits(const std::vector<oci::Rlimit>& rlimits);

Status set_oom_score_adj(int value);

// Supplementary groups, gid, uid, in that order; with caps, the bounding set is
// trimmed first and the other sets applied after the uid change.
Status set_user(const oci::User& user, const CapSets* caps);

// chdir(cwd), then proof that the new cwd is inside the container's root: a
// directory fd leaked from outside would make getcwd report "(unreachable)".
Status enter_cwd(const std::string& cwd);

// Finds args[0] like execvp, with PATH from the process's env (not berth's).
// Errors read like runc's: exec: "nope": executable file not found in $PATH;
// they are kInvalidArgument (the process names it).
Result<std::string> find_executable(const std::string& name, const std::vector<std::string>& env);

// The home directory of uid in the container's /etc/passwd, or "/" (runc's
// default when the user has no entry). Call once in the container's root.
std::string home_of(uid_t uid);

// env with HOME=home_of(uid) added when env has no HOME, as runc does.
std::vector<std::string> with_home(const std::vector<std::string>& env, uid_t uid);

// Restores the signal mask and dispositions a freshly exec'd program expects.
void reset_signals();

// Whether the seccomp filter can wait until right before execve, so none of
// berth's own system calls are filtered: loading needs no_new_privs or
// CAP_SYS_ADMIN, and the user switch may drop the latter.
bool seccomp_loads_late(const oci::Process& proc, const CapSets* caps);

struct PreparedProcess {
  std::string path;                              // args[0], resolved
  std::vector<std::string> env;                  // process.env, with HOME added if missing
  Fd seccomp_listener;                           // the filter's notify fd, for listenerPath
  const seccomp::Filter* late_filter = nullptr;  // to load right before execve
};

// The common tail of init and exec, once in the container's namespaces and
// root: rlimits, OOM score, user and capabilities, cwd, no_new_privs, in that
// order. The seccomp filter is loaded here before the user switch when it
// cannot load late (runc's order); a filter with SCMP_ACT_NOTIFY rules is
// loaded here at the latest, so the caller can hand its listener fd to the
// parent before reporting ready; any other is left for exec_process. Then
// args[0] is resolved, so a missing program fails before the caller reports
// success.
Result<PreparedProcess> prepare_process(const oci::Process& proc, const CapSets* caps, const seccomp::Filter* filter);

// execve(prepared.path, args, prepared.env) with default signals and only
// stdio and the preserved fds (3 .. 3+preserve_fds-1) left open; the late
// seccomp filter, if any, is loaded just before. Returns only on failure.
Error exec_process(const oci::Process& proc, const PreparedProcess& prepared, int preserve_fds);

}  // namespace berth::lnx
