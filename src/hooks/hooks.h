// OCI hooks: programs the runtime runs at fixed points of the lifecycle, with
// the container's state JSON on stdin.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace berth::hooks {

// Runs hooks in order, each with state_json on its stdin, its args (argv[0]
// included, as the spec says; just the path when args is empty) and env, and
// its timeout, in the directory cwd (runc runs hooks in the bundle; "": this
// process's). Stops at the first failure, an error like
//   hooks.prestart[1]: /usr/bin/setup: exit status 2: <what it printed>
// kind is the spec's name for the list ("prestart", "createRuntime", ...).
Status run(const std::vector<oci::Hook>& hooks, const char* kind, const std::string& state_json,
           const std::string& cwd = "");

// The same for the hooks whose failure the spec makes a warning (poststart,
// poststop): every hook runs, and each failure's error goes to warnings
// (which may be null).
void run_all(const std::vector<oci::Hook>& hooks, const char* kind, const std::string& state_json,
             std::vector<std::string>* warnings, const std::string& cwd = "");

}  // namespace berth::hooks
