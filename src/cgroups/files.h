// Reading and writing cgroup files.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/result.h"

namespace berth::cgroups {

// Writes value to dir/file. The error names the resource's JSON path and the
// file: "linux.resources.memory.limit: write /sys/fs/cgroup/.../memory.limit_in_bytes: ...".
Status write_value(const std::string& dir, const std::string& file, const std::string& value, const std::string& field);

// The trimmed content of dir/file, or "" when it cannot be read.
std::string read_value(const std::string& dir, const std::string& file);

// A number from dir/file ("max" counts as 0: no limit).
uint64_t read_u64(const std::string& dir, const std::string& file);

// "key value" lines (memory.stat, cpu.stat, cgroup.events).
std::map<std::string, uint64_t> read_keyed(const std::string& dir, const std::string& file);

// Waits until dir/file reads want (freezer state), up to timeout_ms.
Status wait_for_value(const std::string& dir, const std::string& file, const std::string& want, int timeout_ms);

}  // namespace berth::cgroups
