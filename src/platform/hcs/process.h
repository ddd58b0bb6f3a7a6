// An OCI process as HCS's ProcessParameters (HcsCreateProcess's document),
// as moby's local client builds it for a task's init and for an exec.
//
// Pure functions, like translate.h: nothing here calls Windows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oci/spec.h"

namespace berth::platform::hcs {

// One argument quoted so that Windows' command line parsing
// (CommandLineToArgvW, the C runtime) gives it back unchanged: quoted when
// empty or holding a space or tab; a quote escaped with a backslash, and
// backslashes doubled only where they come before a quote.
std::string escape_arg(std::string_view arg);

// args as one command line, each argument escaped, separated by spaces.
std::string escape_args(const std::vector<std::string>& args);

// The ProcessParameters document (compact JSON) for p. HCS has no parked
// init: the init is created at start, from the container's own process
// (init == nullptr). An exec passes the container's process as init: its
// working directory stands in when p has none, and its console size counts
// only with a terminal. Always stdin and stdout pipes (docker reads the
// output of every container); stderr only without a terminal, which merges
// them. The command line is process.commandLine when set, else the escaped
// args; the user is process.user.username; env entries without '=' are
// left out.
std::string process_parameters(const oci::Process& p, const oci::Process* init = nullptr);

}  // namespace berth::platform::hcs
