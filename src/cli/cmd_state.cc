#include <unistd.h>

#include "cli/command.h"
#include "runtime/container.h"

namespace berth::cli {

int cmd_state(Context& ctx, CommandArgs args) {
  Args a;
  if (!parse_command(ctx, args, {}, true, a)) return 1;
  if (!check_positional(ctx, a, "state", 1, 1, "<container-id>")) return 1;
  auto c = runtime::load(ctx.store, a.positional[0], false);
  if (!c) return fail(ctx, c.error());
  std::string out = runtime::oci_state_json(*c, true) + "\n";
  (void)!::write(1, out.data(), out.size());
  return 0;
}

}  // namespace berth::cli
