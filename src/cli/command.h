// What every CLI command gets, and the commands themselves (one file each).
#pragma once

#include <span>
#include <string>

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

using CommandArgs = std::span<const std::string>;

// Reports err once (stderr and the log) and returns exit code 1.
int fail(const Context& ctx, const Error& err);

// Parses a command's options; on error reports it and sets exit to 1.
bool parse_command(const Context& ctx, CommandArgs args, std::span<const Option> options,
                   bool interleaved, Args& out);
// Checks the count of positional arguments; reports "NAME: usage" otherwise.
bool check_positional(const Context& ctx, const Args& a, const char* command, size_t min, size_t max,
                      const char* usage);

int cmd_create(Context& ctx, CommandArgs args);
int cmd_start(Context& ctx, CommandArgs args);
int cmd_run(Context& ctx, CommandArgs args);
int cmd_state(Context& ctx, CommandArgs args);
int cmd_list(Context& ctx, CommandArgs args);
int cmd_kill(Context& ctx, CommandArgs args);
int cmd_delete(Context& ctx, CommandArgs args);
int cmd_spec(Context& ctx, CommandArgs args);
int cmd_features(Context& ctx, CommandArgs args);
int cmd_exec(Context& ctx, CommandArgs args);
int cmd_pause(Context& ctx, CommandArgs args);
int cmd_resume(Context& ctx, CommandArgs args);
int cmd_update(Context& ctx, CommandArgs args);
int cmd_ps(Context& ctx, CommandArgs args);
int cmd_events(Context& ctx, CommandArgs args);

// --preserve-fds N, 0 when absent.
Result<int> preserve_fds_of(const Args& a);

// Options create and run share.
std::span<const Option> create_options();

}  // namespace berth::cli
