#include "cli/command.h"
#include "runtime/commands.h"

namespace berth::cli {

int cmd_start(Context& ctx, CommandArgs args) {
  Args a;
  if (!parse_command(ctx, args, {}, true, a)) return 1;
  if (!check_positional(ctx, a, "start", 1, 1, "<container-id>")) return 1;
  std::vector<std::string> warnings;
  auto r = runtime::start(ctx.store, a.positional[0], &warnings);
  for (const auto& w : warnings) ctx.log.warn(w);
  if (!r) return fail(ctx, r.error());
  return 0;
}

}  // namespace berth::cli
