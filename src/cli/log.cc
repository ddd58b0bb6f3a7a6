#include "cli/log.h"

#include <cstdio>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/log.h"

namespace berth::cli {

namespace {

// The log that --debug made the process's debug sink.
const Logger* g_debug_log = nullptr;

void debug_sink(const std::string& msg) {
  if (g_debug_log) g_debug_log->debug(msg);
}

// What reaches stderr as text is one readable line whatever the input held:
// control bytes (a newline in an id) are escaped and a huge message is cut.
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

void write_line(int fd, const std::string& line) { (void)!::write(fd, line.data(), line.size()); }

}  // namespace

Logger::~Logger() {
  if (g_debug_log == this) {
    set_debug_sink(nullptr);
    g_debug_log = nullptr;
  }
}

Status Logger::open(const std::string& path, const std::string& format, bool debug) {
  if (format != "text" && format != "json")
    return invalid("--log-format: unknown format \"" + format + "\" (want text or json)");
  json_ = format == "json";
  owner_ = ::getpid();
  if (!path.empty()) {
    auto fd = open_file(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (!fd) return std::move(fd).error().wrap("--log");
    file_ = std::move(*fd);
  }
  debug_ = debug;
  if (debug) {
    g_debug_log = this;
    set_debug_sink(debug_sink);
  }
  return {};
}

void Logger::write(int fd, const char* level, const std::string& msg, const char* kind) const {
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
    line = "time=\"" + now_rfc3339_nano() + "\" level=" + level +
           " msg=" + nlohmann::json(msg).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  write_line(fd, line);
}

void Logger::error(const std::string& msg, ErrorKind kind) const {
  if (file_) write(file_.get(), "error", msg, kind_name(kind));
  if (json_ && !file_)
    write(2, "error", msg, kind_name(kind));
  else
    write_line(2, "berth: " + one_line(msg) + "\n");
}

void Logger::warn(const std::string& msg) const {
  if (file_)
    write(file_.get(), "warning", msg);
  else if (json_)
    write(2, "warning", msg);
  else
    write_line(2, "berth: warning: " + one_line(msg) + "\n");
}

void Logger::debug(const std::string& msg) const {
  if (!debug_) return;
  if (file_)
    write(file_.get(), "debug", msg);
  else if (::getpid() != owner_)
    return;  // a child's stderr is the container's
  else if (json_)
    write(2, "debug", msg);
  else
    write_line(2, "berth: debug: " + one_line(msg) + "\n");
}

}  // namespace berth::cli
