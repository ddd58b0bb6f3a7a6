#include <sys/prctl.h>

#include "base/proc.h"
#include "cli/command.h"
#include "cli/create_options.h"
#include "runtime/commands.h"
#include "runtime/foreground.h"
#include "shim/shim.h"

namespace berth::cli {

namespace {

int run_run(Context& ctx, const Args& a) {
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
    runtime::block_signals();
    // berth waits for the init, which is not always its own child (a user
    // namespace joined by path needs an intermediate process), so it is a
    // subreaper even with --no-subreaper, which is accepted for runc's callers.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  }
  auto created = runtime::create(ctx.store, opts, runtime::Park::kStartNow);
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

  // The init and the creation stay; the container's lock goes, so others
  // may act on it while it runs.
  { runtime::Loaded unlock = std::move(created->c); }
  platform::Process& init = created->init();
  int status;
  // The init sent a terminal's master before it reported ready: it is waiting here.
  auto master = created->creation->take_console();
  if (!master) {
    fail(ctx, master.error());
    status = runtime::wait_forwarding_signals(init);
  } else if (*master) {
    status = runtime::proxy_pty(master->get(), init);
  } else {
    status = runtime::wait_forwarding_signals(init);
  }
  if (!a.flag("keep")) {
    std::vector<std::string> warnings;
    if (auto r = runtime::remove(ctx.store, opts.id, true, &warnings); !r) fail(ctx, r.error());
    for (const auto& w : warnings) ctx.log.warn(w);
  }
  return exit_code_of(status);
}

}  // namespace

const Command kRunCommand = {"run",
                             nullptr,
                             "<container-id>",
                             1,
                             1,
                             "create and start a container",
                             "Creates the container from the bundle (as create) and starts it at once. In the "
                             "foreground berth stays the container's parent: stdio is passed through (a terminal is "
                             "proxied), signals are forwarded, the container is deleted when it exits (unless --keep) "
                             "and berth exits with its exit code. With --detach berth returns once the process runs; "
                             "with --detach --shim a shim stays behind as the container's parent and records how it "
                             "ended.",
                             kCreateOptions,
                             true,
                             run_run};

}  // namespace berth::cli
