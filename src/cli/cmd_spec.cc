#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "cli/command.h"
#include "oci/parse.h"

namespace berth::cli {

namespace {

const Option kSpecOptions[] = {
    {{"bundle", "b"}, true, "directory to write config.json to (default: current directory)"},
    {{"rootless"}, false, "a config for a container run by a non-root user"},
    {{"seccomp"}, false, "add the seccomp profile container engines use by default"},
};

}  // namespace

int cmd_spec(Context& ctx, CommandArgs args) {
  Args a;
  if (!parse_command(ctx, args, kSpecOptions, true, a)) return 1;
  if (!check_positional(ctx, a, "spec", 0, 0, "no arguments")) return 1;
  std::string path = path_join(a.get("bundle", "."), "config.json");
  // Like runc: never overwrite an existing config.
  if (path_exists(path)) return fail(ctx, invalid("spec: " + path + " already exists"));
  std::string text = oci::default_spec_json(a.flag("rootless"), ::geteuid(), ::getegid());
  if (a.flag("seccomp")) {
    auto spec = nlohmann::ordered_json::parse(text);
    spec["linux"]["seccomp"] = nlohmann::ordered_json::parse(oci::default_seccomp_json());
    text = spec.dump(1, '\t');
  }
  auto fd = open_file(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
  if (!fd) return fail(ctx, std::move(fd).error().wrap("spec"));
  if (::write(fd->get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return fail(ctx, sys_error("spec: write " + path));
  return 0;
}

}  // namespace berth::cli
