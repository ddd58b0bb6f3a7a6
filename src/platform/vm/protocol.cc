#include "platform/vm/protocol.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace berth::vm {

namespace {

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

std::string encode_frame(uint32_t channel, Frame type, std::string_view data) {
  std::string out;
  out.reserve(kFrameHeader + data.size());
  put_u32(out, channel);
  out.push_back(static_cast<char>(type));
  put_u32(out, static_cast<uint32_t>(data.size()));
  out.append(data);
  return out;
}

Status FrameReader::feed(std::string_view bytes) {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  buf_.append(bytes);
  if (buf_.size() - pos_ >= kFrameHeader && get_u32(buf_.data() + pos_ + 5) > kMaxPayload)
    return make_error(ErrorKind::kInvalidArgument, "vm protocol: a frame of " +
                                                       std::to_string(get_u32(buf_.data() + pos_ + 5)) +
                                                       " bytes is over the limit");
  return {};
}

std::optional<Message> FrameReader::next() {
  if (buf_.size() - pos_ < kFrameHeader) return std::nullopt;
  const char* p = buf_.data() + pos_;
  uint32_t len = get_u32(p + 5);
  if (len > kMaxPayload || buf_.size() - pos_ < kFrameHeader + len) return std::nullopt;
  Message m{get_u32(p), static_cast<Frame>(static_cast<unsigned char>(p[4])), std::string(p + kFrameHeader, len)};
  pos_ += kFrameHeader + len;
  if (pos_ > 65536 && pos_ * 2 > buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return m;
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p = {fd, POLLOUT, 0};
        (void)::poll(&p, 1, -1);
        continue;
      }
      return sys_error("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

bool read_into(int fd, FrameReader& reader) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 && errno == EAGAIN;
    return static_cast<bool>(reader.feed(std::string_view(buf, static_cast<size_t>(n))));
  }
}

}  // namespace berth::vm
