#include <sys/prctl.h>

#include "cli/command.h"
#include "cli/create_options.h"
#include "linux/console.h"
#include "linux/spawn.h"
#include "runtime/commands.h"
#include "shim/shim.h"

namespace berth::cli {

int cmd_run(Context& ctx, CommandArgs args) {
  Args a;
  if (!parse_command(ctx, args, create_options(), true, a)) return 1;
  if (!check_positional(ctx, a, "run", 1, 1, "<container-id>")) return 1;
  runtime::CreateOptions opts;
  if (!to_create_options(ctx, a, opts)) return 1;
  opts.detach = a.flag("detach");
  if (a.flag("shim") || a.has("shim-log")) {
    if (!opts.detach) return fail(ctx, invalid("run: --shim needs --detach (in the foreground, berth is the parent)"));
    std::vector<std::string> warnings;
    auto shim = shim::launch(ctx.store, {opts, a.get("shim-log"), a.flag("shim-stdio"), true}, warnings);
    for (const auto& w : warnings) ctx.log.warn(w);
    if (!shim) return fail(ctx, shim.error());
    return 0;
  }

  if (!opts.detach) {
    lnx::block_signals();
    // berth waits for the init, which is not always its own child (a user
    // namespace joined by path needs an intermediate process), so it is a
    // subreaper even with --no-subreaper, which is accepted for runc's callers.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  }
  auto created = runtime::create(ctx.store, opts, lnx::Park::kSync);
  if (!created) return fail(ctx, created.error());
  for (const auto& w : created->warnings) ctx.log.warn(w);
  created->warnings.clear();
  if (auto r = runtime::start_now(*created); !r) {
    (void)runtime::destroy(created->c);
    return fail(ctx, std::move(r).error().wrap("run " + opts.id));
  }
  for (const auto& w : created->warnings) ctx.log.warn(w);
  created->warnings.clear();
  if (opts.detach) return 0;

  pid_t pid = created->init.pid;
  lnx::Child init = std::move(created->init);
  { runtime::Loaded unlock = std::move(created->c); }  // others may act on it while it runs
  int status;
  if (created->console) {
    // The init sent the master before it reported ready: it is waiting here.
    auto master = lnx::recv_pty_master(created->console.get());
    if (!master) {
      fail(ctx, master.error());
      status = lnx::wait_forwarding_signals(pid, init.pidfd.get());
    } else {
      status = lnx::proxy_pty(master->get(), pid, init.pidfd.get());
    }
  } else {
    status = lnx::wait_forwarding_signals(pid, init.pidfd.get());
  }
  if (!a.flag("keep")) {
    std::vector<std::string> warnings;
    if (auto r = runtime::remove(ctx.store, opts.id, true, &warnings); !r) fail(ctx, r.error());
    for (const auto& w : warnings) ctx.log.warn(w);
  }
  return lnx::exit_code_of(status);
}

}  // namespace berth::cli
