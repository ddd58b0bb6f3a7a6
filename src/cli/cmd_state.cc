#include <unistd.h>

#include "cli/command.h"
#include "runtime/container.h"

namespace berth::cli {

namespace {

int run_state(Context& ctx, const Args& a) {
  auto c = runtime::load(ctx.store, a.positional[0], false);
  if (!c) return fail(ctx, c.error());
  std::string out = runtime::oci_state_json(*c, true) + "\n";
  (void)!::write(1, out.data(), out.size());
  return 0;
}

}  // namespace

const Command kStateCommand = {"state",
                               nullptr,
                               "<container-id>",
                               1,
                               1,
                               "print the state of a container",
                               "Prints the runtime-spec state of the container as JSON: ociVersion, id, status "
                               "(creating, created, running, paused or stopped), pid, bundle and annotations, with "
                               "runc's extra fields (rootfs, created, owner).",
                               {},
                               true,
                               run_state};

}  // namespace berth::cli
