// berth.exe: runc's command line on Windows (commands.h). Global options
// come before the command, as runc's do.
#include <cstdio>
#include <cstdlib>

#include "windows/commands.h"
#include "windows/shim.h"

namespace berth::win {

namespace {

struct Command {
  const char* name;
  int (*run)(const Global&, const cli::Args&);
  std::vector<cli::Option> options;
};

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"create", cmd_create, {{{"bundle", "b"}, true}, {{"pid-file"}, true}, {{"console-socket"}, true}}},
      {"start", cmd_start, {}},
      {"kill", cmd_kill, {{{"all", "a"}, false}}},
      {"delete", cmd_delete, {{{"force", "f"}, false}}},
      {"pause", [](const Global& g, const cli::Args& a) { return cmd_pause(g, a, false); }, {}},
      {"resume", [](const Global& g, const cli::Args& a) { return cmd_pause(g, a, true); }, {}},
      {"state", cmd_state, {}},
      {"ps", cmd_ps, {{{"format", "f"}, true}}},
      {"events", cmd_events, {{{"stats"}, false}, {{"interval"}, true}}},
      {"list", cmd_list, {{{"quiet", "q"}, false}, {{"format", "f"}, true}}},
      {"exec",
       cmd_exec,
       {{{"process", "p"}, true},
        {{"cwd"}, true},
        {{"env", "e"}, true},
        {{"detach", "d"}, false},
        {{"tty", "t"}, false},
        {{"pid-file"}, true}}},
  };
  return kCommands;
}

int usage() {
  std::fprintf(stderr, "usage: berth [--root DIR] COMMAND [OPTIONS] ID\ncommands:");
  for (const auto& c : commands()) std::fprintf(stderr, " %s", c.name);
  std::fprintf(stderr, "\n(Windows build: Windows containers through the Host Compute Service)\n");
  return 1;
}

}  // namespace

int main_utf8(const std::vector<std::string>& argv) {
  static const std::vector<cli::Option> kGlobal = {
      {{"root"}, true}, {{"log"}, true}, {{"log-format"}, true}, {{"debug"}, false}, {{"systemd-cgroup"}, false}};
  std::vector<std::string> rest;
  if (argv.size() > 1) rest.assign(argv.begin() + 1, argv.end());
  auto global = cli::parse_args(rest, kGlobal, false);
  if (!global) return fail(global.error());
  if (global->positional.empty()) return usage();
  Global g{Store(global->get("root", default_root()))};
  const std::string name = global->positional[0];
  std::vector<std::string> args(global->positional.begin() + 1, global->positional.end());
  if (name == "shim") {
    static const std::vector<cli::Option> kShim = {{{"ready"}, true}};
    auto a = cli::parse_args(args, kShim, true);
    if (!a || a->positional.size() != 1) return usage();
    auto ready = reinterpret_cast<HANDLE>(
        static_cast<uintptr_t>(std::strtoull(a->get("ready", "0").c_str(), nullptr, 10)));
    return run_shim(g.store, a->positional[0], ready);
  }
  for (const auto& c : commands()) {
    if (name != c.name) continue;
    // exec stops at the container id, so the command's own flags stay its own.
    auto a = cli::parse_args(args, c.options, name != "exec");
    if (!a) return fail(std::move(a).error().wrap(name));
    return c.run(g, *a);
  }
  std::fprintf(stderr, "berth: unknown command \"%s\"\n", name.c_str());
  return usage();
}

}  // namespace berth::win

int wmain(int argc, wchar_t** argv) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) args.push_back(berth::win::utf8(argv[i]));
  int rc = berth::win::main_utf8(args);
  std::fflush(nullptr);
  return rc;
}
