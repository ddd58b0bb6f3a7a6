#include "cli/command.h"
#include "runtime/commands.h"

namespace berth::cli {

int cmd_pause(Context& ctx, CommandArgs args) {
  Args a;
  if (!parse_command(ctx, args, {}, true, a)) return 1;
  if (!check_positional(ctx, a, "pause", 1, 1, "<container-id>")) return 1;
  if (auto r = runtime::pause(ctx.store, a.positional[0]); !r) return fail(ctx, r.error());
  return 0;
}

int cmd_resume(Context& ctx, CommandArgs args) {
  Args a;
  if (!parse_command(ctx, args, {}, true, a)) return 1;
  if (!check_positional(ctx, a, "resume", 1, 1, "<container-id>")) return 1;
  if (auto r = runtime::resume(ctx.store, a.positional[0]); !r) return fail(ctx, r.error());
  return 0;
}

}  // namespace berth::cli
