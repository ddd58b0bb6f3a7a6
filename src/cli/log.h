// The runtime's log, as runc's callers read it: one line per message, in
// text (time="..." level=error msg="...") or JSON ({"level":"error",
// "msg":"...","time":"..."}) as --log-format says, to --log FILE or, without
// one, to stderr. Every line berth writes about itself goes through here, so
// --log-format json covers all of them. With --log, an error also goes to
// stderr as plain text (where a person at a terminal looks), as runc does.
//
// --debug installs this log as the process's debug sink (base/log.h). In a
// child of berth (the container's init before execve) debug lines go to the
// log file only: its stderr is already the container's.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/fd.h"
#include "base/result.h"

namespace berth::cli {

class Logger {
 public:
  Logger() = default;
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;
  ~Logger();

  // path empty: messages go to stderr.
  Status open(const std::string& path, const std::string& format, bool debug);

  // kind: written as the JSON log's "kind" field (libberth reads it).
  void error(const std::string& msg, ErrorKind kind = ErrorKind::kInternal) const;
  void warn(const std::string& msg) const;
  void debug(const std::string& msg) const;

 private:
  // One line at level to fd, in the log's format.
  void write(int fd, const char* level, const std::string& msg, const char* kind = nullptr) const;
  Fd file_;
  bool json_ = false;
  bool debug_ = false;
  pid_t owner_ = 0;  // the berth process that opened the log
};

}  // namespace berth::cli
