// berth: an OCI runtime with runc's command line.
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/file.h"
#include "cli/command.h"
#include "platform/builtin.h"
#include "platform/platform.h"
#include "shim/monitor.h"
#include "shim/shim.h"

namespace berth::cli {

namespace {

const Option kGlobal[] = {
    {{"root"}, true, "root directory for storage of container state (default: /run/berth)"},
    {{"log"}, true, "log file (default: stderr only)"},
    {{"log-format"}, true, "log format: text or json (default: text)"},
    {{"debug"}, false, "enable debug logging"},
    {{"systemd-cgroup"}, false, "manage cgroups with systemd (cgroupsPath as slice:prefix:name)"},
    {{"rootless"}, true, "ignore cgroup permission errors: true, false or auto (default: auto)"},
    {{"criu"}, true, "accepted for runc compatibility; checkpoint is not supported"},
    {{"help", "h"}, false, "show help"},
    {{"version", "v"}, false, "print the version"},
};

struct CommandEntry {
  const char* name;
  int (*run)(Context&, CommandArgs);
  const char* summary;
};

const CommandEntry kCommands[] = {
    {"create", cmd_create, "create a container"},
    {"start", cmd_start, "start the user process of a created container"},
    {"run", cmd_run, "create and start a container"},
    {"exec", cmd_exec, "run a new process inside a running container"},
    {"pause", cmd_pause, "freeze every process of a container"},
    {"resume", cmd_resume, "thaw a paused container"},
    {"update", cmd_update, "change a container's resource limits"},
    {"ps", cmd_ps, "list the processes of a container"},
    {"events", cmd_events, "print stats and OOM events of a container"},
    {"state", cmd_state, "print the state of a container"},
    {"list", cmd_list, "list containers"},
    {"ls", cmd_list, "list containers"},
    {"kill", cmd_kill, "send a signal to a container's init process"},
    {"delete", cmd_delete, "delete a container and everything it holds"},
    {"spec", cmd_spec, "write a default config.json"},
    {"features", cmd_features, "print the features berth supports (JSON)"},
};

// Known to runc's callers but not done by berth yet: a clear error, never a silent no-op.
const char* const kNotImplemented[] = {"checkpoint", "restore"};

void print_version() {
  std::string v = std::string("berth version ") + BERTH_VERSION + "\nspec: 1.2.0\n";
  (void)!::write(1, v.data(), v.size());
}

void print_help() {
  std::string h =
      "berth - an OCI container runtime\n\nUSAGE:\n   berth [global options] command [command "
      "options] [arguments...]\n\nCOMMANDS:\n";
  for (const auto& c : kCommands) {
    std::string name = c.name;
    h += "   " + name + std::string(12 - name.size(), ' ') + c.summary + "\n";
  }
  h += "\nGLOBAL OPTIONS:\n" + describe_options(kGlobal);
  (void)!::write(1, h.data(), h.size());
}

// The shim's monitor binary sits next to berth; after the re-exec berth runs
// from a detached mount and no longer knows where it was installed.
void remember_shim_binary() {
  const char* set = ::getenv(shim::kShimEnv);
  if (set && *set) return;
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return;
  std::string path(exe, static_cast<size_t>(n));
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return;
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
  std::vector<std::string> args(argv + 1, argv + argc);
  Context ctx;
  auto global = parse_args(args, kGlobal, false);
  if (!global) return fail(ctx, global.error());
  if (global->flag("version")) {
    print_version();
    return 0;
  }
  if (global->flag("help") || global->positional.empty()) {
    print_help();
    return global->positional.empty() && !global->flag("help") ? 1 : 0;
  }
  // Everything after the command name belongs to it.
  size_t cmd_index = args.size() - global->positional.size();
  const std::string& name = args[cmd_index];
  // Commands that put berth's code inside a container run it from a
  // read-only mount of itself (linux/self_exe.h); first, before anything
  // with an effect, since the re-exec starts over.
  if (name == "create" || name == "run" || name == "exec") {
    if (name != "exec") remember_shim_binary();  // only create and run launch a shim
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
  ctx.rootless = rootless == "true" || (rootless == "auto" && (::geteuid() != 0 || platform::registry().native()->in_user_namespace()));

  CommandArgs rest(args.data() + cmd_index + 1, args.size() - cmd_index - 1);
  for (const auto& c : kCommands)
    if (name == c.name) return c.run(ctx, rest);
  if (name == "help") {
    print_help();
    return 0;
  }
  for (const char* n : kNotImplemented)
    if (name == n)
      return fail(ctx, make_error(ErrorKind::kNotImplemented, name + ": not implemented yet"));
  return fail(ctx, invalid("unknown command \"" + name + "\" (see berth --help)"));
}

int fail(const Context& ctx, const Error& err) {
  ctx.log.error(err.message, err.kind);
  return 1;
}

bool parse_command(const Context& ctx, CommandArgs args, std::span<const Option> options,
                   bool interleaved, Args& out) {
  auto r = parse_args(args, options, interleaved);
  if (!r) {
    fail(ctx, r.error());
    return false;
  }
  out = std::move(*r);
  return true;
}

Result<int> preserve_fds_of(const Args& a) {
  if (!a.has("preserve-fds")) return 0;
  int64_t n = 0;
  if (!parse_int64(a.get("preserve-fds"), n) || n < 0 || n > 65536)
    return invalid("--preserve-fds: invalid count \"" + a.get("preserve-fds") + "\"");
  return static_cast<int>(n);
}

bool check_positional(const Context& ctx, const Args& a, const char* command, size_t min, size_t max,
                      const char* usage) {
  size_t n = a.positional.size();
  if (n >= min && n <= max) return true;
  fail(ctx, invalid(std::string(command) + ": expected " + usage + ", got " + std::to_string(n) +
                    " argument(s)"));
  return false;
}

}  // namespace berth::cli

int main(int argc, char** argv) {
  // The shim's waiting half (shim/shim.h), not a command for people.
  if (argc > 1 && std::strcmp(argv[1], "shim-monitor") == 0) return berth::shim::monitor_main(argc, argv);
  return berth::cli::run_main(argc, argv);
}
