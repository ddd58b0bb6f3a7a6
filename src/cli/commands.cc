// The command table, and the help printed from it.
#include <unistd.h>

#include "base/file.h"
#include "cli/command.h"

namespace berth::cli {

namespace {

const Command* const kCommands[] = {
    &kCreateCommand, &kStartCommand,  &kRunCommand,    &kExecCommand,   &kPauseCommand,
    &kResumeCommand, &kUpdateCommand, &kPsCommand,     &kEventsCommand, &kStateCommand,
    &kListCommand,   &kKillCommand,   &kDeleteCommand, &kSpecCommand,   &kFeaturesCommand,
};

const Option kGlobal[] = {
    {{"root"}, true, "root directory for storage of container state (default: /run/berth)"},
    {{"log"}, true, "log file (default: stderr only)"},
    {{"log-format"}, true, "log format: text or json (default: text)"},
    {{"debug"}, false, "log what berth does, step by step (debug level)"},
    {{"systemd-cgroup"}, false, "manage cgroups with systemd (cgroupsPath as slice:prefix:name)"},
    {{"rootless"}, true, "ignore cgroup permission errors: true, false or auto (default: auto)"},
    {{"criu"}, true, "accepted for runc compatibility; checkpoint is not supported"},
    {{"help", "h"}, false, "show help"},
    {{"version", "v"}, false, "print the version"},
};

const Option kHelp = {{"help", "h"}, false, "show help"};

// Text wrapped at width, each line indented.
std::string wrap(std::string_view text, size_t indent, size_t width) {
  std::string out, line;
  auto flush = [&] {
    out += std::string(indent, ' ') + line + "\n";
    line.clear();
  };
  for (size_t i = 0; i <= text.size();) {
    size_t end = text.find_first_of(" \n", i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(i, end - i);
    if (!word.empty()) {
      if (!line.empty() && indent + line.size() + 1 + word.size() > width) flush();
      if (!line.empty()) line += ' ';
      line += word;
    }
    if (end < text.size() && text[end] == '\n') {
      if (!line.empty()) flush();
      if (end + 1 < text.size() && text[end + 1] == '\n') out += "\n";
      while (end + 1 < text.size() && text[end + 1] == '\n') ++end;
    }
    i = end + 1;
  }
  if (!line.empty()) flush();
  return out;
}

}  // namespace

std::span<const Command* const> commands() { return kCommands; }

const Command* find_command(std::string_view name) {
  for (const Command* c : kCommands)
    if (name == c->name || (c->alias != nullptr && name == c->alias)) return c;
  return nullptr;
}

std::span<const Option> global_options() { return kGlobal; }

std::vector<Option> accepted_options(const Command& c) {
  std::vector<Option> options(c.options.begin(), c.options.end());
  options.push_back(kHelp);
  return options;
}

std::string global_help() {
  std::string h =
      "NAME:\n   berth - an OCI container runtime\n\n"
      "USAGE:\n   berth [global options] command [command options] [arguments...]\n\n"
      "VERSION:\n   " BERTH_VERSION "\n\nCOMMANDS:\n";
  for (const Command* c : kCommands) {
    std::string name = c->name;
    if (c->alias) name += ", " + std::string(c->alias);
    h += "   " + name + std::string(name.size() < 12 ? 12 - name.size() : 1, ' ') + c->summary + "\n";
  }
  h += "   help        show the help of a command (berth help COMMAND)\n";
  h += "\nGLOBAL OPTIONS:\n" + describe_options(kGlobal);
  return h;
}

std::string command_help(const Command& c) {
  std::string h = std::string("NAME:\n   berth ") + c.name + " - " + c.summary + "\n\nUSAGE:\n   berth " + c.name +
                  " [command options]" + (*c.arguments ? " " : "") + c.arguments + "\n";
  if (c.alias) h += "\nALIASES:\n   " + std::string(c.alias) + "\n";
  h += "\nDESCRIPTION:\n" + wrap(c.description, 3, 80);
  h += "\nOPTIONS:\n" + describe_options(accepted_options(c));
  return h;
}

int run_command(Context& ctx, const Command& c, std::span<const std::string> args) {
  auto parsed = parse_args(args, accepted_options(c), c.interleaved);
  if (!parsed) {
    Error e = std::move(parsed).error().wrap(c.name);
    e.message += " (see berth " + std::string(c.name) + " --help)";
    return fail(ctx, e);
  }
  if (parsed->flag("help")) {
    std::string h = command_help(c);
    (void)!::write(1, h.data(), h.size());
    return 0;
  }
  size_t n = parsed->positional.size();
  if (n < c.min_args || n > c.max_args) {
    std::string want = c.min_args == c.max_args ? std::to_string(c.min_args)
                       : n < c.min_args         ? "at least " + std::to_string(c.min_args)
                                                : "at most " + std::to_string(c.max_args);
    return fail(ctx, invalid(std::string(c.name) + ": expected " + want + " argument(s) (" +
                             (*c.arguments ? c.arguments : "none") + "), got " + std::to_string(n) + " (see berth " +
                             c.name + " --help)"));
  }
  return c.run(ctx, *parsed);
}

int fail(const Context& ctx, const Error& err) {
  ctx.log.error(err.message, err.kind);
  return 1;
}

Result<int> preserve_fds_of(const Args& a) {
  if (!a.has("preserve-fds")) return 0;
  int64_t n = 0;
  if (!parse_int64(a.get("preserve-fds"), n) || n < 0 || n > 65536)
    return invalid("--preserve-fds: invalid count \"" + a.get("preserve-fds") + "\"");
  return static_cast<int>(n);
}

}  // namespace berth::cli
