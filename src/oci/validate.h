// Value checks on a parsed runtime-spec config (private to src/oci).
//
// The parser checks shapes (types, required members); these functions check
// values. Each returns the first problem as a kInvalidArgument error naming the
// JSON path, e.g. `process.env[3]: "FOO" is not of the form KEY=VALUE`.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "oci/spec.h"

namespace berth::oci {

Status validate_spec(const Spec& spec);

// base is the JSON path of the object: "process" inside a config, "" for a
// standalone process.json or resources.json.
Status validate_process(const Process& process, const std::string& base);
// A Windows container's process: Windows paths, and a command line may
// stand in for args. The rest is HCS's to judge (platform/hcs/translate.h).
Status validate_windows_process(const Process& process, const std::string& base);
Status validate_resources(const Resources& resources, const std::string& base);
// A linux.seccomp object on its own (paths still start at linux.seccomp).
Status validate_seccomp_section(const Seccomp& s);

// s in double quotes, with quotes, backslashes and control bytes escaped, for
// error messages.
std::string quote(std::string_view s);

}  // namespace berth::oci
