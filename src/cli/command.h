// What every CLI command gets, and the table of commands (one file each).
//
// The table is the single source of a command's syntax: the parser accepts
// exactly the options a Command lists (plus -h/--help), and `--help`, the man
// pages and the shell completion (cli/docs.h) are printed from the same
// entries, so help and flags cannot disagree.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "cli/args.h"
#include "cli/log.h"
#include "state/store.h"

namespace berth::cli {

struct Context {
  state::Store store{"/run/berth"};
  Logger log;
  bool systemd_cgroup = false;
  bool rootless = false;  // --rootless, with auto resolved (true for a non-root user)
};

struct Command {
  const char* name;
  const char* alias;      // a second name ("ls"), or nullptr
  const char* arguments;  // the positional arguments as usage shows them: "<container-id>"
  size_t min_args, max_args;
  const char* summary;      // one line, for `berth --help`
  const char* description;  // paragraphs (blank-line separated), for --help and berth-NAME(8)
  std::span<const Option> options;
  bool interleaved;  // options may follow positional arguments (parse_args)
  // Runs with the options parsed and the count of positional arguments checked.
  int (*run)(Context& ctx, const Args& a);
};

// Every command, in the order `berth --help` lists them.
std::span<const Command* const> commands();
// By name or alias; nullptr for an unknown one.
const Command* find_command(std::string_view name);
// The options before the command (--root, --log, ...).
std::span<const Option> global_options();
// What c's parser accepts: its own options, then -h/--help.
std::vector<Option> accepted_options(const Command& c);

// `berth --help` and `berth CMD --help`.
std::string global_help();
std::string command_help(const Command& c);

// Parses args for c, answers --help, checks the argument count and runs it.
int run_command(Context& ctx, const Command& c, std::span<const std::string> args);

// Reports err once (stderr and the log) and returns exit code 1.
int fail(const Context& ctx, const Error& err);

// --preserve-fds N, 0 when absent.
Result<int> preserve_fds_of(const Args& a);

extern const Command kCreateCommand, kStartCommand, kRunCommand, kExecCommand, kPauseCommand, kResumeCommand,
    kUpdateCommand, kPsCommand, kEventsCommand, kStateCommand, kListCommand, kKillCommand, kDeleteCommand, kSpecCommand,
    kFeaturesCommand;

}  // namespace berth::cli
