#include "platform/linux/record.h"

#include <climits>

#include <nlohmann/json.hpp>

#include "base/json_view.h"

namespace berth::platform::linux_ {

std::string encode_record(const Record& r) {
  return nlohmann::json{{"pid", r.pid}, {"pidStart", r.pid_start}, {"cgroups", r.cgroups}, {"seccomp", r.seccomp}}
      .dump();
}

Result<Record> decode_record(std::string_view text) {
  auto doc = json::parse(text);
  if (!doc || !doc->is_object()) return invalid("state.json: linux: not a JSON object");
  Record r;
  // Absent until the first record of a create.
  int64_t pid = 0;
  json::Members m(*doc);
  std::string key;
  json::View v;
  while (m.next(key, v)) {
    if (key == "pid") {
      // Not true, 1.5 or 4294967297 read as some other pid.
      uint64_t big = 0;
      if (!v.get(pid)) return invalid(v.get(big) ? "state.json: pid: out of range" : "state.json: pid: not an integer");
      if (pid < 0) return invalid("state.json: pid: negative");
      if (pid > INT_MAX) return invalid("state.json: pid: out of range");
    } else if (key == "pidStart") {
      if (!v.get(r.pid_start)) return invalid("state.json: pidStart: not an unsigned integer");
    } else if (key == "cgroups") {
      if (!v.is_object()) return invalid("state.json: cgroups: not an object");
      r.cgroups.clear();
      json::Members c(v);
      std::string hierarchy;
      json::View path;
      while (c.next(hierarchy, path)) {
        if (!path.is_string()) return invalid("state.json: cgroups: " + hierarchy + ": not a string");
        r.cgroups[hierarchy] = path.str();
      }
    } else if (key == "seccomp") {
      if (!v.is_string()) return invalid("state.json: seccomp: not a string");
      r.seccomp = v.str();
    }
  }
  r.pid = static_cast<pid_t>(pid);
  // berth records the start time with the pid, and its children are never
  // pid 1 in its namespace: without both, the pid is not the container's
  // and nothing may be signalled (the cgroups are still worth keeping).
  if (r.pid == 1 || r.pid_start == 0) r.pid = 0;
  return r;
}

}  // namespace berth::platform::linux_
