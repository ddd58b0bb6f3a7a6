// Pump: copies one stream of a container's process (stdin from the caller,
// stdout or stderr to the caller) without ever blocking the shim's loop.
// What is read waits in a buffer until the destination polls writable, and
// goes out PIPE_BUF bytes at a time, which a pipe that polls writable always
// takes whole; a reader that stops reading holds up its own stream only, and
// the shim keeps reaping and answering. The caller's fds are never made
// non-blocking (their flags belong to the caller's open file too).
#pragma once

#include <string>

#include "base/fd.h"

namespace berth::shim {

class Pump {
 public:
  Fd from, to;
  int log = -1;  // output also appended here (a regular file), as it is read

  bool wants_read() const { return from.valid() && pending_.size() < kMaxPending; }
  bool wants_write() const { return to.valid() && !pending_.empty(); }
  // Some data is still to be written somewhere.
  bool busy() const { return from.valid() || wants_write(); }

  // One read of from (poll said readable); EOF or an error ends reading,
  // and to closes once what is buffered is written (the EOF handed on).
  void on_readable();
  // One write to to (poll said writable); a reader that has gone (EPIPE)
  // drops what was buffered for it.
  void on_writable();
  // What from has now and to takes now, without waiting (a process exited:
  // its last words are in the pipe). Bounded, so a writer that never stops
  // cannot keep the shim here.
  void drain();
  // No more input: what from has now is read, then from closes, and to
  // closes once the buffer is written (close_stdin).
  void finish();
  // Drops everything.
  void close();

 private:
  static constexpr size_t kMaxPending = 1 << 20;
  std::string pending_;
  bool eof_ = false;
};

// Writes all of data to fd (a regular file or a blocking pipe of our own).
bool write_all(int fd, const char* data, size_t size);

}  // namespace berth::shim
