#include "cli/command.h"
#include "runtime/commands.h"

namespace berth::cli {

namespace {

const Option kDeleteOptions[] = {
    {{"force", "f"}, false, "kill the container first if it is running"},
};

int run_delete(Context& ctx, const Args& a) {
  int rc = 0;
  for (const auto& id : a.positional) {
    std::vector<std::string> warnings;
    auto r = runtime::remove(ctx.store, id, a.flag("force"), &warnings);
    for (const auto& w : warnings) ctx.log.warn(w);
    if (!r) rc = fail(ctx, r.error());
  }
  return rc;
}

}  // namespace

const Command kDeleteCommand = {
    "delete",
    nullptr,
    "<container-id> [container-id...]",
    1,
    SIZE_MAX,
    "delete a container and everything it holds",
    "Deletes a stopped (or created) container: its cgroups, the namespaces it owns, its shim and "
    "its state. A running container is refused unless --force is given, which kills every one of "
    "its processes first. Deleting a container that does not exist fails; with --force it "
    "succeeds, as runc's does.\n\n"
    "The poststop hooks run after the container is gone.",
    kDeleteOptions,
    true,
    run_delete};

}  // namespace berth::cli
