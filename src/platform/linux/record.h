// The Linux platform's part of a container's state record (state.json's
// "linux" object; the top-level fields of records written before the
// platform split).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::platform::linux_ {

struct Record {
  pid_t pid = 0;           // the init, 0 until cloned
  uint64_t pid_start = 0;  // its start time (/proc/PID/stat field 22), guards pid reuse
  // The container's cgroup directories, recorded before they are made:
  // hierarchy key ("memory", "cpu,cpuacct", "" for cgroup2) -> absolute path.
  std::map<std::string, std::string> cgroups;
  // linux.seccomp as given, for exec'd processes (the bundle may change).
  // Only in records of berth 0.1: the profile (often tens of kilobytes) now
  // has a file of its own in the state directory, kSeccompFile, which only
  // exec reads, so that state and list do not parse it for every container.
  std::string seccomp;
};

inline constexpr char kSeccompFile[] = "seccomp.json";

std::string encode_record(const Record& r);
// Every type is checked: a hand-edited file must not aim kill at the host's
// init (pid 1, or a pid without its start time, decodes as no pid).
Result<Record> decode_record(std::string_view text);

}  // namespace berth::platform::linux_
