// The wire between the host and berth's guest agent in a utility VM, and
// between the VM shim and the host's berth processes (platform/vm/).
//
// One byte stream carries every conversation: a frame is a 9-byte header
// (channel, u32 little-endian; type, u8; payload length, u32 little-endian)
// and the payload. The agent's stream is a virtio-serial port, which is all
// this machine's emulator offers (no vhost-vsock); the VM shim multiplexes
// it, giving each host connection a channel of its own, so a stuck exec
// never holds up a `state`.
//
// A conversation: the host opens a channel with kOpen (a JSON request: the
// guest berth command line to run, whether to watch the process it makes,
// whether it has a terminal), the agent answers with the command's output
// (kStdout, kStderr), kDone when the command has exited (its wait status and
// the pid it made), kExit when that process has exited (its wait status),
// and kEnd when nothing more will come. The host may send stdin (kStdin, an
// empty payload closing it), window sizes (kResize) and signals (kSignal).
// When the host's end goes away (the VM shim sends kClose), the agent kills
// what the channel still runs: a process's host stand-in dying is the
// process dying, as SIGKILL of runc's init would be.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::vm {

enum class Frame : uint8_t {
  // host -> guest
  kOpen = 1,
  kStdin = 2,
  kResize = 3,
  kSignal = 4,
  kClose = 5,
  // guest -> host
  kReady = 16,  // the agent is up (channel 0): {"kernel": "6.1.0-..."}
  kStdout = 17,
  kStderr = 18,
  kDone = 19,  // {"status": wait status, "pid": the watched process or 0}
  kExit = 20,  // {"status": wait status}
  kEnd = 21,
};

inline constexpr size_t kFrameHeader = 9;
inline constexpr size_t kMaxPayload = 1 << 20;

struct Message {
  uint32_t channel = 0;
  Frame type = Frame::kOpen;
  std::string data;
};

std::string encode_frame(uint32_t channel, Frame type, std::string_view data);

// Splits a byte stream into frames: feed() what was read, then next()
// until it returns nothing. A payload over kMaxPayload is an error.
class FrameReader {
 public:
  Status feed(std::string_view bytes);
  std::optional<Message> next();

 private:
  std::string buf_;
  size_t pos_ = 0;
};

// write(2) until all of data is written (EINTR and short writes retried;
// EAGAIN waits with poll).
Status write_all(int fd, std::string_view data);

// Reads what one read(2) gives into reader: false at EOF or on an error.
bool read_into(int fd, FrameReader& reader);

}  // namespace berth::vm
