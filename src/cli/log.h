// The runtime's log, as runc's callers read it: --log FILE receives one line
// per message, in text (time="..." level=error msg="...") or JSON
// ({"level":"error","msg":"...","time":"..."}) as --log-format says.
// Errors also go to stderr, which is where a person at a terminal looks.
#pragma once

#include <string>

#include "base/fd.h"
#include "base/result.h"

namespace berth::cli {

class Logger {
 public:
  // path empty: messages go to stderr only.
  Status open(const std::string& path, const std::string& format, bool debug);

  // kind: written as the JSON log's "kind" field (libberth reads it).
  void error(const std::string& msg, ErrorKind kind = ErrorKind::kInternal) const;
  void warn(const std::string& msg) const;
  void debug(const std::string& msg) const;

 private:
  void write(const char* level, const std::string& msg, const char* kind = nullptr) const;
  Fd file_;
  bool json_ = false;
  bool debug_ = false;
};

}  // namespace berth::cli
