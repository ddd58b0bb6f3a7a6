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

int run_spec(Context& ctx, const Args& a) {
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

}  // namespace

const Command kSpecCommand = {
    "spec",
    nullptr,
    "",
    0,
    0,
    "write a default config.json",
    "Writes runc's default config.json into the bundle directory (never over an existing one): "
    "a container running sh with a terminal, the usual namespaces, masked and read-only paths, "
    "and the default capabilities. The rootfs is expected in rootfs/ next to it.\n\n"
    "The default process has \"terminal\": true, so create and run -d need --console-socket "
    "(or set \"terminal\" to false); run in the foreground gives it the caller's terminal.",
    kSpecOptions,
    true,
    run_spec};

}  // namespace berth::cli
