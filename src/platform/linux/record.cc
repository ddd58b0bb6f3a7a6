#include "platform/linux/record.h"

#include <climits>

#include <nlohmann/json.hpp>

namespace berth::platform::linux_ {

using nlohmann::json;

std::string encode_record(const Record& r) {
  return json{{"pid", r.pid}, {"pidStart", r.pid_start}, {"cgroups", r.cgroups}, {"seccomp", r.seccomp}}.dump();
}

Result<Record> decode_record(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return invalid("state.json: linux: not a JSON object");
  return decode_record(j);
}

Result<Record> decode_record(const json& j) {
  if (!j.is_object()) return invalid("state.json: linux: not a JSON object");
  Record r;
  try {
    // Absent until the first record of a create. get<int>() reads true, 1.5
    // and 4294967297 as pid 1.
    const json& pid = j.contains("pid") ? j.at("pid") : json(0);
    if (!pid.is_number_integer()) return invalid("state.json: pid: not an integer");
    if (!pid.is_number_unsigned() && pid.get<int64_t>() < 0) return invalid("state.json: pid: negative");
    if (pid.get<uint64_t>() > INT_MAX) return invalid("state.json: pid: out of range");
    r.pid = pid.get<int>();
    if (j.contains("pidStart") && !j.at("pidStart").is_number_unsigned())
      return invalid("state.json: pidStart: not an unsigned integer");
    r.pid_start = j.value("pidStart", uint64_t{0});
    // berth records the start time with the pid, and its children are never
    // pid 1 in its namespace: without both, the pid is not the container's
    // and nothing may be signalled (the cgroups are still worth keeping).
    if (r.pid == 1 || r.pid_start == 0) r.pid = 0;
    r.cgroups = j.value("cgroups", std::map<std::string, std::string>{});
    r.seccomp = j.value("seccomp", "");
  } catch (const json::exception& e) {
    return invalid(std::string("state.json: ") + e.what());
  }
  return r;
}

}  // namespace berth::platform::linux_
