#include "cli/log.h"

#include <cstdio>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/file.h"

namespace berth::cli {

Status Logger::open(const std::string& path, const std::string& format, bool debug) {
  debug_ = debug;
  if (format != "text" && format != "json")
    return invalid("--log-format: unknown format \"" + format + "\" (want text or json)");
  json_ = format == "json";
  if (path.empty()) return {};
  auto fd = open_file(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (!fd) return std::move(fd).error().wrap("--log");
  file_ = std::move(*fd);
  return {};
}

void Logger::write(const char* level, const std::string& msg, const char* kind) const {
  std::string line;
  if (json_) {
    // logrus's JSON formatter, keys sorted: level, msg, time.
    nlohmann::ordered_json j;
    if (kind) j["kind"] = kind;
    j["level"] = level;
    j["msg"] = msg;
    j["time"] = now_rfc3339_nano();
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else {
    line = "time=\"" + now_rfc3339_nano() + "\" level=" + level + " msg=" +
           nlohmann::json(msg).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  (void)!::write(file_.get(), line.data(), line.size());
}

namespace {

// What reaches stderr is one readable line whatever the input held: control
// bytes (a newline in an id) are escaped and a huge message is cut.
std::string one_line(const std::string& msg) {
  constexpr size_t kMax = 4096;
  std::string out;
  for (char c : std::string_view(msg).substr(0, kMax)) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  if (msg.size() > kMax) out += "... (" + std::to_string(msg.size()) + " bytes)";
  return out;
}

}  // namespace

void Logger::error(const std::string& msg, ErrorKind kind) const {
  if (file_) write("error", msg, kind_name(kind));
  std::string line = "berth: " + one_line(msg) + "\n";
  (void)!::write(2, line.data(), line.size());
}

void Logger::warn(const std::string& msg) const {
  if (file_) {
    write("warning", msg);
    return;
  }
  std::string line = "berth: warning: " + one_line(msg) + "\n";
  (void)!::write(2, line.data(), line.size());
}

void Logger::debug(const std::string& msg) const {
  if (!debug_) return;
  if (file_) {
    write("debug", msg);
    return;
  }
  std::string line = "berth: debug: " + one_line(msg) + "\n";
  (void)!::write(2, line.data(), line.size());
}

}  // namespace berth::cli
