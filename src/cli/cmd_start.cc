#include "cli/command.h"
#include "runtime/commands.h"

namespace berth::cli {

namespace {

int run_start(Context& ctx, const Args& a) {
  std::vector<std::string> warnings;
  auto r = runtime::start(ctx.store, a.positional[0], &warnings);
  for (const auto& w : warnings) ctx.log.warn(w);
  if (!r) return fail(ctx, r.error());
  return 0;
}

}  // namespace

const Command kStartCommand = {"start",
                               nullptr,
                               "<container-id>",
                               1,
                               1,
                               "start the user process of a created container",
                               "Lets the init process of a created container run the program of its config's process "
                               "(it was parked by create, with everything set up). The startContainer hooks run in the "
                               "container first, the poststart hooks after the program was started. A container can be "
                               "started once.",
                               {},
                               true,
                               run_start};

}  // namespace berth::cli
