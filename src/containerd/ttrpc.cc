#include "containerd/ttrpc.h"

#include <malloc.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <thread>

#include "ttrpc.pb.h"

namespace berth::containerd {

FrameHeader decode_frame_header(const unsigned char* p) {
  auto be32 = [](const unsigned char* b) {
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
  };
  return FrameHeader{be32(p), be32(p + 4), p[8], p[9]};
}

std::string encode_frame(const FrameHeader& h, std::string_view message) {
  std::string out(kFrameHeaderSize, '\0');
  const auto len = static_cast<uint32_t>(message.size());
  for (int i = 0; i < 4; i++) {
    out[i] = static_cast<char>((len >> (24 - 8 * i)) & 0xff);
    out[4 + i] = static_cast<char>((h.stream_id >> (24 - 8 * i)) & 0xff);
  }
  out[8] = static_cast<char>(h.type);
  out[9] = static_cast<char>(h.flags);
  out.append(message);
  return out;
}

Result<Call> parse_request(std::string_view message) {
  ::ttrpc::Request req;
  if (!req.ParseFromArray(message.data(), static_cast<int>(message.size())))
    return invalid("unmarshal request error: not a ttrpc Request");
  Call call{req.service(), req.method(), req.payload(), std::nullopt};
  // A day at most: a timeout past that is none in practice, and the sum
  // with the clock must not overflow (found by fuzz_ttrpc).
  constexpr int64_t kDay = int64_t{24} * 3600 * 1000 * 1000 * 1000;
  if (req.timeout_nano() > 0)
    call.deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(std::min(req.timeout_nano(), kDay));
  return call;
}

std::string encode_response(const Reply& reply) {
  ::ttrpc::Response resp;
  if (reply.code != Code::kOk) {
    resp.mutable_status()->set_code(static_cast<int32_t>(reply.code));
    resp.mutable_status()->set_message(reply.message);
  } else {
    resp.set_payload(reply.payload);
  }
  return resp.SerializeAsString();
}

std::string encode_request(const std::string& service, const std::string& method, std::string_view payload,
                           std::chrono::nanoseconds timeout) {
  ::ttrpc::Request req;
  req.set_service(service);
  req.set_method(method);
  req.set_payload(std::string(payload));
  req.set_timeout_nano(timeout.count());
  return req.SerializeAsString();
}

Result<Reply> parse_response(std::string_view message) {
  ::ttrpc::Response resp;
  if (!resp.ParseFromArray(message.data(), static_cast<int>(message.size())))
    return invalid("unmarshal response error: not a ttrpc Response");
  if (resp.has_status() && resp.status().code() != 0)
    return Reply::error(static_cast<Code>(resp.status().code()), resp.status().message());
  return Reply::ok(resp.payload());
}

std::string answer_frame(const FrameHeader& h, std::string_view message, const Dispatch& dispatch) {
  // ttrpc ignores message types it does not know, for compatibility.
  if (h.type != kTypeRequest) return "";
  const FrameHeader out{0, h.stream_id, kTypeResponse, 0};
  if (h.stream_id % 2 != 1)
    return encode_frame(out, encode_response(Reply::error(Code::kInvalidArgument,
                                                          "StreamID must be odd for client initiated streams")));
  auto call = parse_request(message);
  if (!call) return encode_frame(out, encode_response(Reply::error(Code::kInvalidArgument, call.error().message)));
  return encode_frame(out, encode_response(dispatch(*call)));
}

Result<std::optional<Frame>> read_frame(int fd) {
  auto read_exact = [fd](char* buf, size_t n, bool eof_ok) -> Result<bool> {
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::read(fd, buf + got, n - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return sys_error("read ttrpc frame");
      if (r == 0) {
        if (got == 0 && eof_ok) return false;
        return make_error(ErrorKind::kInvalidArgument, "read ttrpc frame: connection closed mid-frame");
      }
      got += static_cast<size_t>(r);
    }
    return true;
  };
  unsigned char head[kFrameHeaderSize];
  auto got = read_exact(reinterpret_cast<char*>(head), sizeof head, true);
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<Frame>();
  Frame f;
  f.header = decode_frame_header(head);
  if (f.header.length > kMaxMessage) {
    // Read and drop it, so the stream stays in step with the frames.
    char sink[65536];
    for (uint32_t left = f.header.length; left > 0;) {
      const size_t n = std::min<size_t>(left, sizeof sink);
      if (auto r = read_exact(sink, n, false); !r) return std::move(r).error();
      left -= static_cast<uint32_t>(n);
    }
    f.too_long = true;
    return std::optional<Frame>(std::move(f));
  }
  f.message.resize(f.header.length);
  if (auto r = read_exact(f.message.data(), f.message.size(), false); !r) return std::move(r).error();
  return std::optional<Frame>(std::move(f));
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("write ttrpc frame");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

void Server::add(const std::string& service, const std::string& method, Method m) {
  services_[service][method] = std::move(m);
}

Reply Server::dispatch(const Call& call) const {
  auto s = services_.find(call.service);
  if (s == services_.end()) return Reply::error(Code::kUnimplemented, "service " + call.service);
  auto m = s->second.find(call.method);
  if (m == s->second.end()) return Reply::error(Code::kUnimplemented, "method " + call.method);
  return m->second(call);
}

namespace {

// One connection: its socket and the lock that keeps replies whole.
struct Connection {
  Fd fd;
  std::mutex write_mu;
  void send(const std::string& frame) {
    std::lock_guard lock(write_mu);
    (void)write_all(fd.get(), frame);  // a peer gone: its reader sees EOF
  }
};

}  // namespace

void Server::serve_connection(int raw) {
  auto conn = std::make_shared<Connection>();
  conn->fd.reset(raw);
  for (;;) {
    auto frame = read_frame(conn->fd.get());
    if (!frame || !*frame) return;  // EOF, or a stream out of step: drop the connection
    Frame& f = **frame;
    if (f.too_long) {
      if (f.header.type == kTypeRequest)
        conn->send(encode_frame({0, f.header.stream_id, kTypeResponse, 0},
                                encode_response(Reply::error(Code::kResourceExhausted,
                                                             "message length " + std::to_string(f.header.length) +
                                                                 " exceed maximum message size of " +
                                                                 std::to_string(kMaxMessage)))));
      continue;
    }
    {
      std::lock_guard lock(mu_);
      in_flight_++;
    }
    std::thread([this, conn, f = std::move(f)] {
      std::string out = answer_frame(f.header, f.message, [this](const Call& c) { return dispatch(c); });
      if (!out.empty()) conn->send(out);
      // A shim waits for long between requests: what this one freed goes
      // back to the kernel (the heap's free pages, not only its top).
      ::malloc_trim(0);
      finished();
    }).detach();
  }
}

void Server::finished() {
  std::lock_guard lock(mu_);
  in_flight_--;
  idle_.notify_all();
}

Status Server::serve(int listener) {
  {
    std::lock_guard lock(mu_);
    wake_.reset(::eventfd(0, EFD_CLOEXEC));
    if (!wake_) return sys_error("eventfd");
  }
  for (;;) {
    pollfd p[2] = {{listener, POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return sys_error("poll ttrpc listener");
    }
    if (p[1].revents) {
      std::unique_lock lock(mu_);
      idle_.wait_for(lock, std::chrono::seconds(1), [this] { return in_flight_ == 0; });
      return {};
    }
    if (!(p[0].revents & POLLIN)) continue;
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // ECONNABORTED, EMFILE: the next one may do
    std::thread([this, fd] { serve_connection(fd); }).detach();
  }
}

void Server::stop() {
  std::lock_guard lock(mu_);
  if (wake_) {
    const uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
  }
}

Result<Client> Client::connect(const std::string& address) {
  std::string path = address;
  if (path.rfind("unix://", 0) == 0) path.erase(0, 7);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sa.sun_path) return invalid("ttrpc address " + address + ": bad length");
  path.copy(sa.sun_path, path.size());
  Client c;
  c.fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!c.fd_) return sys_error("socket");
  if (::connect(c.fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return sys_error("connect " + address);
  return c;
}

Result<Reply> Client::call(const std::string& service, const std::string& method, std::string_view payload,
                           std::chrono::milliseconds timeout) {
  const uint32_t stream = next_stream_;
  next_stream_ += 2;
  std::string frame = encode_frame({0, stream, kTypeRequest, 0}, encode_request(service, method, payload, timeout));
  if (auto s = write_all(fd_.get(), frame); !s) return std::move(s).error();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                            std::chrono::steady_clock::now());
    pollfd p{fd_.get(), POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return sys_error("poll ttrpc reply");
    if (r == 0) return make_error(ErrorKind::kInternal, service + "/" + method + ": no reply in time");
    auto f = read_frame(fd_.get());
    if (!f) return std::move(f).error();
    if (!*f) return make_error(ErrorKind::kInternal, service + "/" + method + ": connection closed");
    if ((*f)->header.type != kTypeResponse || (*f)->header.stream_id != stream || (*f)->too_long) continue;
    return parse_response((*f)->message);
  }
}

}  // namespace berth::containerd
