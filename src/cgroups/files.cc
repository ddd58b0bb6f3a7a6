#include "cgroups/files.h"

#include <unistd.h>

#include "base/file.h"

namespace berth::cgroups {

Status write_value(const std::string& dir, const std::string& file, const std::string& value,
                   const std::string& field) {
  if (auto r = write_file(path_join(dir, file), value); !r) {
    Error e = std::move(r).error().wrap(field);
    e.message += " (value \"" + value + "\")";
    return e;
  }
  return {};
}

std::string read_value(const std::string& dir, const std::string& file) {
  auto text = read_file(path_join(dir, file));
  return text ? std::string(trim(*text)) : std::string();
}

uint64_t read_u64(const std::string& dir, const std::string& file) {
  uint64_t v = 0;
  return parse_uint64(read_value(dir, file), v) ? v : 0;
}

std::map<std::string, uint64_t> read_keyed(const std::string& dir, const std::string& file) {
  std::map<std::string, uint64_t> out;
  auto text = read_file(path_join(dir, file));
  if (!text) return out;
  for (const auto& line : split(*text, '\n')) {
    auto sp = line.find(' ');
    uint64_t v = 0;
    if (sp != std::string::npos && parse_uint64(line.substr(sp + 1), v)) out[line.substr(0, sp)] = v;
  }
  return out;
}

Status wait_for_value(const std::string& dir, const std::string& file, const std::string& want, int timeout_ms) {
  for (int waited = 0;; waited += 1) {
    std::string got = read_value(dir, file);
    if (got == want) return {};
    if (waited >= timeout_ms)
      return Error{ETIMEDOUT, path_join(dir, file) + " is \"" + got + "\", not \"" + want + "\""};
    ::usleep(1000);
  }
}

}  // namespace berth::cgroups
