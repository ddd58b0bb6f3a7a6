#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "base/file.h"
#include "cli/command.h"
#include "cli/create_options.h"
#include "shim/shim.h"

namespace berth::cli {

const Option kCreateOptions[kCreateOptionCount] = {
    {{"bundle", "b"}, true, "path to the bundle directory (default: current directory)"},
    {{"console-socket"}, true, "unix socket that receives the pty master of a terminal"},
    {{"pid-file"}, true, "file to write the init's pid to"},
    {{"no-pivot"}, false, "do not use pivot_root (rootfs on ramfs)"},
    {{"no-new-keyring"}, false, "do not create a new session keyring"},
    {{"preserve-fds"}, true, "pass N more fds (3..3+N-1) to the container"},
    {{"shim"}, false, "leave a small shim process as the container's parent; it records how each process ended"},
    {{"shim-log"}, true, "with --shim: append the container's stdout and stderr to this file"},
    {{"shim-stdio"},
     false,
     "with --shim: the shim holds the container's stdio, relaying berth's own stdin, stdout, stderr"},
    // run only; create accepts and ignores them as runc does not, but
    // parsing one table keeps the two commands' syntax identical.
    {{"detach", "d"}, false, "run: detach from the container's process"},
    {{"keep"}, false, "run: keep the container's state after it exits"},
    {{"no-subreaper"}, false, "run: do not become the subreaper of the container"},
};

bool to_create_options(const Context& ctx, const Args& a, runtime::CreateOptions& opts) {
  opts.id = a.positional.at(0);
  opts.bundle = a.get("bundle", ".");
  opts.pid_file = a.get("pid-file");
  opts.console_socket = a.get("console-socket");
  opts.no_pivot = a.flag("no-pivot");
  opts.no_new_keyring = a.flag("no-new-keyring");
  auto preserve = preserve_fds_of(a);
  if (!preserve) {
    fail(ctx, preserve.error());
    return false;
  }
  opts.preserve_fds = *preserve;
  // Socket activation (sd_listen_fds): honoured when meant for this process.
  int64_t listen = 0, listen_pid = 0;
  const char* lf = ::getenv("LISTEN_FDS");
  const char* lp = ::getenv("LISTEN_PID");
  if (lf && lp && parse_int64(lf, listen) && parse_int64(lp, listen_pid) && listen_pid == ::getpid() && listen > 0 &&
      listen < 65536)
    opts.listen_fds = static_cast<int>(listen);
  opts.rootless = ctx.rootless;
  if (ctx.systemd_cgroup) {
    // Without systemd, slice:prefix:name maps onto cgroupfs directories (see
    // cgroups/manager.h). With systemd running, units would have to be made
    // over D-Bus, which berth does not do yet.
    struct stat sb;
    if (::stat("/run/systemd/system", &sb) == 0) {
      fail(ctx, make_error(ErrorKind::kNotImplemented,
                           "--systemd-cgroup: creating systemd units is not supported yet; "
                           "drop the flag to use cgroupfs"));
      return false;
    }
    opts.systemd_cgroup = true;
  }
  return true;
}

namespace {

int run_create(Context& ctx, const Args& a) {
  runtime::CreateOptions opts;
  if (!to_create_options(ctx, a, opts)) return 1;
  if (a.flag("shim") || a.has("shim-log")) {
    std::vector<std::string> warnings;
    auto shim = shim::launch(ctx.store, {opts, a.get("shim-log"), a.flag("shim-stdio"), false}, warnings);
    for (const auto& w : warnings) ctx.log.warn(w);
    if (!shim) return fail(ctx, shim.error());
    return 0;
  }
  auto created = runtime::create(ctx.store, opts, runtime::Park::kStartCommand);
  if (!created) return fail(ctx, created.error());
  for (const auto& w : created->warnings) ctx.log.warn(w);
  return 0;
}

}  // namespace

const Command kCreateCommand = {
    "create",
    nullptr,
    "<container-id>",
    1,
    1,
    "create a container",
    "Creates a container from the bundle's config.json (--bundle, default the current "
    "directory): the namespaces, cgroups, mounts, devices and security settings the config "
    "asks for, with its init process parked until start. The container's state is recorded "
    "under the state root (--root) before anything is made, so delete --force can always "
    "clean up. The prestart, createRuntime and createContainer hooks run here.\n\n"
    "A process with \"terminal\": true needs --console-socket, a unix socket that receives the "
    "pty master. With --shim a small process stays behind as the container's parent, holds "
    "its stdio if asked and records how each process ended.",
    kCreateOptions,
    true,
    run_create};

}  // namespace berth::cli
