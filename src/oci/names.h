// Tables that map runtime-spec names to kernel values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "oci/spec.h"

namespace berth::oci {

// "pid" -> kPid; nullopt for an unknown type.
std::optional<NamespaceType> namespace_from_name(std::string_view name);
// kPid -> "pid" (the spec's name).
const char* namespace_name(NamespaceType t);
// kPid -> "pid", kNetwork -> "net", kMount -> "mnt" (the name under /proc/PID/ns/).
const char* namespace_proc_name(NamespaceType t);
// kPid -> CLONE_NEWPID, ...
int namespace_clone_flag(NamespaceType t);
// CLONE_NEWNS|CLONE_NEWPID -> "mount,pid" (for logs); "" for none.
std::string namespace_names(unsigned long clone_flags);

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE; nullopt if unknown.
std::optional<int> rlimit_from_name(std::string_view name);

}  // namespace berth::oci
