#include "cgroups/devices.h"

namespace berth::cgroups {

std::vector<oci::DeviceCgroup> effective_device_rules(const std::vector<oci::DeviceCgroup>& spec) {
  std::vector<oci::DeviceCgroup> rules = spec;
  auto add = [&](const char* type, std::optional<int64_t> major, std::optional<int64_t> minor, const char* access) {
    oci::DeviceCgroup d;
    d.allow = true;
    d.type = type;
    d.major = major;
    d.minor = minor;
    d.access = access;
    rules.push_back(d);
  };
  add("c", std::nullopt, std::nullopt, "m");
  add("b", std::nullopt, std::nullopt, "m");
  add("c", 1, 3, "rwm");  // null
  add("c", 1, 8, "rwm");  // random
  add("c", 1, 7, "rwm");  // full
  add("c", 5, 0, "rwm");  // tty
  add("c", 1, 5, "rwm");  // zero
  add("c", 1, 9, "rwm");  // urandom
  // Not 5:1, the host's console: a container's /dev/console is its pty
  // (136:*), as in runc's list, which has no 5:1 either.
  add("c", 136, std::nullopt, "rwm");  // pts/*
  add("c", 5, 2, "rwm");               // ptmx
  add("c", 10, 200, "rwm");            // net/tun
  return rules;
}

std::vector<std::pair<bool, std::string>> v1_device_lines(const std::vector<oci::DeviceCgroup>& spec) {
  std::vector<std::pair<bool, std::string>> out;
  for (const auto& d : effective_device_rules(spec)) {
    std::string type = d.type.empty() ? "a" : d.type;
    std::string access = d.access.empty() ? "rwm" : d.access;
    std::string line = type == "a" ? "a"
                                   : type + " " + (d.major ? std::to_string(*d.major) : "*") + ":" +
                                         (d.minor ? std::to_string(*d.minor) : "*") + " " + access;
    out.emplace_back(d.allow, line);
  }
  return out;
}

}  // namespace berth::cgroups
