#include "cli/command.h"
#include "runtime/commands.h"

namespace berth::cli {

namespace {

int run_pause(Context& ctx, const Args& a) {
  if (auto r = runtime::pause(ctx.store, a.positional[0]); !r) return fail(ctx, r.error());
  return 0;
}

int run_resume(Context& ctx, const Args& a) {
  if (auto r = runtime::resume(ctx.store, a.positional[0]); !r) return fail(ctx, r.error());
  return 0;
}

}  // namespace

const Command kPauseCommand = {"pause",
                               nullptr,
                               "<container-id>",
                               1,
                               1,
                               "freeze every process of a container",
                               "Freezes every process of a running container with the cgroup freezer; the container is "
                               "then paused until resume. A paused container can be killed and deleted with --force.",
                               {},
                               true,
                               run_pause};

const Command kResumeCommand = {"resume",
                                nullptr,
                                "<container-id>",
                                1,
                                1,
                                "thaw a paused container",
                                "Thaws every process of a paused container, which is running again.",
                                {},
                                true,
                                run_resume};

}  // namespace berth::cli
