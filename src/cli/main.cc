// berth: an OCI runtime with runc's command line.
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/file.h"
#include "cli/command.h"
#include "cli/version.h"
#include "platform/builtin.h"
#include "platform/platform.h"
#include "platform/vm/agent.h"
#include "platform/vm/guest.h"
#include "platform/vm/vm_shim.h"
#include "shim/monitor.h"
#include "shim/shim.h"

namespace berth::cli {

namespace {

// Known to runc's callers but not done by berth yet: a clear error, never a silent no-op.
const char* const kNotImplemented[] = {"checkpoint", "restore"};

void print(const std::string& text) { (void)!::write(1, text.data(), text.size()); }

// Where berth was started from, for the helpers it starts again: the shim's
// monitor binary beside it (create and run) and berth itself (the VM
// platform's shim and stand-ins). After the re-exec berth runs from a
// detached mount and no longer knows where it was installed.
void remember_binaries(bool shim_too) {
  const char* shim = ::getenv(shim::kShimEnv);
  const char* self = ::getenv("BERTH_BINARY");
  bool want_shim = shim_too && !(shim && *shim);
  if (!want_shim && self && *self) return;
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return;
  std::string path(exe, static_cast<size_t>(n));
  if (!(self && *self)) ::setenv("BERTH_BINARY", path.c_str(), 1);
  auto slash = path.rfind('/');
  if (want_shim && slash != std::string::npos)
    ::setenv(shim::kShimEnv, (path.substr(0, slash + 1) + "berth-shim").c_str(), 1);
}

}  // namespace

// runc's rule for $XDG_RUNTIME_DIR: a user other than root uses it; the
// host's root never does (/run/berth, as always); root of another user
// namespace (rootless podman, which sets XDG_RUNTIME_DIR) does unless $USER
// says it is the real root.
static bool honour_xdg_runtime_dir() {
  if (::geteuid() != 0) return true;
  if (!platform::registry().native()->in_user_namespace()) return false;
  const char* user = ::getenv("USER");
  return user == nullptr || std::string(user) != "root";
}

int run_main(int argc, char** argv) {
  platform::register_builtin();
  // Installed or linked as berth-vm, every sandbox gets a utility VM: podman's
  // --runtime, containerd's BinaryName and a RuntimeClass select it by name.
  std::string_view self = argv[0];
  if (self.substr(self.rfind('/') + 1) == "berth-vm") (void)platform::registry().set_default("vm");
  std::vector<std::string> args(argv + 1, argv + argc);
  Context ctx;
  auto global = parse_args(args, global_options(), false);
  if (!global) {
    Error e = std::move(global).error();
    e.message += " (see berth --help)";
    return fail(ctx, e);
  }
  if (global->flag("version")) {
    print(version_text());
    return 0;
  }
  if (global->flag("help") || global->positional.empty()) {
    print(global_help());
    return global->positional.empty() && !global->flag("help") ? 1 : 0;
  }
  // Everything after the command name belongs to it.
  size_t cmd_index = args.size() - global->positional.size();
  const std::string& name = args[cmd_index];
  std::span<const std::string> rest(args.data() + cmd_index + 1, args.size() - cmd_index - 1);
  if (name == "help") {
    // berth help [COMMAND], as urfave/cli answers it.
    if (rest.empty()) {
      print(global_help());
      return 0;
    }
    const Command* c = find_command(rest[0]);
    if (c == nullptr) return fail(ctx, invalid("help: unknown command \"" + rest[0] + "\" (see berth --help)"));
    print(command_help(*c));
    return 0;
  }
  const Command* command = find_command(name);
  if (command == nullptr) {
    for (const char* n : kNotImplemented)
      if (name == n) return fail(ctx, make_error(ErrorKind::kNotImplemented, name + ": not implemented yet"));
    return fail(ctx, invalid("unknown command \"" + name + "\" (see berth --help)"));
  }
  // Commands that put berth's code inside a container run it from a
  // read-only mount of itself (linux/self_exe.h); first, before anything
  // with an effect, since the re-exec starts over.
  if (command == &kCreateCommand || command == &kRunCommand || command == &kExecCommand) {
    remember_binaries(command != &kExecCommand);  // only create and run launch a shim
    if (auto r = platform::registry().native()->protect_self(argv); !r) return fail(ctx, r.error());
  }
  if (auto r = ctx.log.open(global->get("log"), global->get("log-format", "text"), global->flag("debug")); !r)
    return fail(ctx, r.error());
  if (global->has("root")) {
    std::string root = global->get("root");
    if (root.empty()) return fail(ctx, invalid("--root: must not be empty"));
    ctx.store = state::Store(root);
  } else if (const char* xdg = ::getenv("XDG_RUNTIME_DIR"); xdg && *xdg && honour_xdg_runtime_dir()) {
    // An ordinary user's containers live in their runtime directory, as runc's do.
    ctx.store = state::Store(std::string(xdg) + "/berth");
  }
  ctx.systemd_cgroup = global->flag("systemd-cgroup");
  std::string rootless = global->get("rootless", "auto");
  if (rootless != "auto" && rootless != "true" && rootless != "false")
    return fail(ctx, invalid("--rootless: want true, false or auto, got \"" + rootless + "\""));
  // auto: a user other than root, or root of a user namespace that is not the
  // host's (rootless podman), as runc decides it.
  ctx.rootless = rootless == "true" ||
                 (rootless == "auto" && (::geteuid() != 0 || platform::registry().native()->in_user_namespace()));
  ctx.log.debug("berth " + std::string(command->name) + ": state root " + ctx.store.root() +
                (ctx.rootless ? ", rootless" : ""));
  return run_command(ctx, *command, rest);
}

}  // namespace berth::cli

int main(int argc, char** argv) {
  // The shim's waiting half (shim/shim.h), not a command for people.
  if (argc > 1 && std::strcmp(argv[1], "shim-monitor") == 0) return berth::shim::monitor_main(argc, argv);
  // A utility VM's parts (platform/vm/): the guest agent (pid 1 started by
  // the kernel as the initramfs's /init: not berth run as a container's pid
  // 1), the VM shim and a guest process's stand-in on the host.
  bool kernel_init = ::getpid() == 1 && argc == 1 && std::strcmp(argv[0], "/init") == 0;
  if (kernel_init || (argc > 1 && std::strcmp(argv[1], "vm-agent") == 0)) return berth::vm::agent_main(argc, argv);
  if (argc > 1 && std::strcmp(argv[1], "vm-shim") == 0) return berth::vm::vm_shim_main(argc, argv);
  if (argc > 1 && std::strcmp(argv[1], "vm-proxy") == 0) return berth::vm::proxy_main(argc, argv);
  return berth::cli::run_main(argc, argv);
}
