// Reading /proc/self/mountinfo.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace berth::lnx {

struct MountInfo {
  std::string root;         // field 4: the mount's root within its filesystem
  std::string mount_point;  // field 5
  std::string fs_type;      // after the separator
  std::string source;
  std::string super_options;
};

Result<std::vector<MountInfo>> read_mountinfo(const std::string& path = "/proc/self/mountinfo");

// Parses one line; false on malformed input.
bool parse_mountinfo_line(const std::string& line, MountInfo& out);

}  // namespace berth::lnx
