#include "cli/command.h"
#include "runtime/commands.h"

namespace berth::cli {

namespace {

const Option kDeleteOptions[] = {
    {{"force", "f"}, false, "kill the container first if it is running"},
};

}  // namespace

int cmd_delete(Context& ctx, CommandArgs args) {
  Args a;
  if (!parse_command(ctx, args, kDeleteOptions, true, a)) return 1;
  if (!check_positional(ctx, a, "delete", 1, SIZE_MAX, "<container-id> [container-id...]")) return 1;
  int rc = 0;
  for (const auto& id : a.positional) {
    std::vector<std::string> warnings;
    auto r = runtime::remove(ctx.store, id, a.flag("force"), &warnings);
    for (const auto& w : warnings) ctx.log.warn(w);
    if (!r) rc = fail(ctx, r.error());
  }
  return rc;
}

}  // namespace berth::cli
