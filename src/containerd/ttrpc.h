// ttrpc, containerd's small RPC protocol between containerd and its shims:
// protobuf messages in frames over a unix socket, as containerd/ttrpc 1.1
// (what containerd 1.6 speaks) has them.
//
// A frame is a 10-byte header, then the message:
//   uint32 length (big-endian, at most kMaxMessage), uint32 stream id,
//   uint8 type (1 request, 2 response), uint8 flags.
// A client numbers its calls with odd stream ids; the reply to a call comes
// on the call's stream id, as a Response holding a google.rpc.Status (gRPC's
// codes) and the method's reply. Frames of other types are ignored, as
// ttrpc ignores them for compatibility.
//
// Contracts:
// - decode_frame_header and parse_request never trust their input: a frame
//   too long, a request that is not protobuf, a stream id that is even are
//   errors answered on the stream, and the connection goes on serving.
// - A Server answers every request on its own thread, so a Wait that blocks
//   for hours holds up no other call; replies are written whole, one at a
//   time per connection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/fd.h"
#include "base/result.h"

namespace berth::containerd {

inline constexpr size_t kFrameHeaderSize = 10;
inline constexpr uint32_t kMaxMessage = 4u << 20;  // ttrpc's messageLengthMax
inline constexpr uint8_t kTypeRequest = 1;
inline constexpr uint8_t kTypeResponse = 2;

struct FrameHeader {
  uint32_t length = 0;
  uint32_t stream_id = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
};

FrameHeader decode_frame_header(const unsigned char* p);
std::string encode_frame(const FrameHeader& h, std::string_view message);

// gRPC's status codes, which ttrpc carries (and containerd's errdefs map).
enum class Code : int32_t {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kFailedPrecondition = 9,
  kResourceExhausted = 8,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
};

// What a method returns: a reply payload, or a status that is not OK.
struct Reply {
  Code code = Code::kOk;
  std::string message;  // the error, when code is not kOk
  std::string payload;  // the serialized reply, when it is
  static Reply ok(std::string payload) { return Reply{Code::kOk, "", std::move(payload)}; }
  static Reply error(Code code, std::string message) { return Reply{code, std::move(message), ""}; }
};

// One call as a method sees it.
struct Call {
  std::string service;
  std::string method;
  std::string payload;
  // From the request's timeout_nano; nullopt for none.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// A request frame's message, decoded; an error names what was wrong.
Result<Call> parse_request(std::string_view message);
// A Response message with the reply (its status, or its payload).
std::string encode_response(const Reply& reply);
// A Request message; timeout 0 means none.
std::string encode_request(const std::string& service, const std::string& method, std::string_view payload,
                           std::chrono::nanoseconds timeout);
// A Response message's reply.
Result<Reply> parse_response(std::string_view message);

// The answer to one request frame, as the server sends it: the frame bytes
// (a whole response frame), or "" for a frame to ignore. Pure: the server's
// loop and the fuzz harness share it. dispatch runs the method.
using Dispatch = std::function<Reply(const Call&)>;
std::string answer_frame(const FrameHeader& h, std::string_view message, const Dispatch& dispatch);

// Serves ttrpc on a listening unix socket.
class Server {
 public:
  using Method = std::function<Reply(const Call&)>;
  // service "containerd.task.v2.Task", method "Create".
  void add(const std::string& service, const std::string& method, Method m);
  // Accepts connections on listener until stop() is called; each
  // connection is read on a thread of its own, each request answered on one.
  Status serve(int listener);
  // From any thread (a method's, a signal thread's): serve() returns, once
  // the requests being answered are (a second at most: a Wait may never be).
  void stop();
  Reply dispatch(const Call& call) const;

 private:
  void serve_connection(int raw);
  void finished();
  std::map<std::string, std::map<std::string, Method>> services_;
  Fd wake_;  // an eventfd serve() polls besides the listener
  std::mutex mu_;
  std::condition_variable idle_;
  int in_flight_ = 0;  // requests being answered
};

// Reads one frame from a stream socket: nullopt at a clean EOF between
// frames. A frame longer than kMaxMessage is read and dropped whole, and
// comes back with too_long set (and no message) so the caller can answer it.
struct Frame {
  FrameHeader header;
  std::string message;
  bool too_long = false;
};
Result<std::optional<Frame>> read_frame(int fd);
// Writes all of data (MSG_NOSIGNAL: a peer gone is EPIPE, not a signal).
Status write_all(int fd, std::string_view data);

// A ttrpc client on one connection, for one call at a time: the shim's
// connection to containerd, to forward events.
class Client {
 public:
  // address: a unix socket path, with or without "unix://".
  static Result<Client> connect(const std::string& address);
  Result<Reply> call(const std::string& service, const std::string& method, std::string_view payload,
                     std::chrono::milliseconds timeout);

 private:
  Fd fd_;
  uint32_t next_stream_ = 1;
};

}  // namespace berth::containerd
