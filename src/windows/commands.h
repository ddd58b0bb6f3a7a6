// berth.exe's commands: runc's command line on Windows, over HCS
// (platform/hcs/system.h) and the Windows state store (store.h). Each
// returns the process's exit code and prints its own error, as
// "berth: <message>" on stderr, like the Linux berth.
#pragma once

#include <string>
#include <vector>

#include "cli/args.h"
#include "windows/store.h"

namespace berth::win {

struct Global {
  Store store;
};

// create [--bundle DIR] [--pid-file FILE] <id>
int cmd_create(const Global& g, const cli::Args& a);
// start <id>
int cmd_start(const Global& g, const cli::Args& a);
// kill <id> [SIGNAL]
int cmd_kill(const Global& g, const cli::Args& a);
// delete [--force] <id>
int cmd_delete(const Global& g, const cli::Args& a);
// pause <id>, resume <id>: HcsPauseComputeSystem, HcsResumeComputeSystem
int cmd_pause(const Global& g, const cli::Args& a, bool resume);
// state <id>
int cmd_state(const Global& g, const cli::Args& a);
// list [--quiet] [--format table|json]
int cmd_list(const Global& g, const cli::Args& a);
// ps [--format table|json] <id>: HCS's ProcessList
int cmd_ps(const Global& g, const cli::Args& a);
// events --stats <id>: HCS's Statistics in runc's stats shape
int cmd_events(const Global& g, const cli::Args& a);
// exec [--process FILE] [--cwd DIR] [--env K=V] <id> [ARGS...]
int cmd_exec(const Global& g, const cli::Args& a);

// "berth: <message>" on stderr; returns 1.
int fail(const Error& e);

}  // namespace berth::win
