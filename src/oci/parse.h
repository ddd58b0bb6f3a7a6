// Parsing and validating runtime-spec JSON.
//
// Contract: every error names the JSON path of the offending value, e.g.
//   process.rlimits[2].type: unknown rlimit "RLIMIT_FOO"
// and has ErrorKind::kInvalidArgument. Unknown fields are ignored, as the spec
// says. Checks that need the host (does the rootfs exist, is a namespace path a
// namespace) are not done here; see runtime/create.cc.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "oci/spec.h"

namespace berth::oci {

// Parses and validates a whole config.json.
Result<Spec> parse_spec(std::string_view json_text);

// Parses a runtime-spec Process object (exec --process FILE). Paths in errors
// are relative to the object ("args", "user.uid").
Result<Process> parse_process(std::string_view json_text);
// The same for a Windows container's process (exec on Windows): Windows
// paths, and commandLine may stand in for args.
Result<Process> parse_windows_process(std::string_view json_text);

// Parses a LinuxResources object (update --resources FILE).
Result<Resources> parse_resources(std::string_view json_text);

// Parses a linux.seccomp object on its own (as kept in the state store).
Result<Seccomp> parse_seccomp(std::string_view json_text);

// The config `berth spec` writes: runc's default, or its --rootless variant for
// the given host uid/gid. Pretty-printed with tabs like runc.
std::string default_spec_json(bool rootless, uint32_t uid, uint32_t gid);

// linux.seccomp as container engines set it by default (an allow-list;
// everything else fails with EPERM), as JSON.
std::string default_seccomp_json();

}  // namespace berth::oci
