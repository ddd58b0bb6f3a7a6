#include "platform/vm/netlink.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace berth::vm {

namespace {

size_t align(size_t n) { return NLMSG_ALIGN(n); }

}  // namespace

NetlinkMessage::NetlinkMessage(uint16_t type, uint16_t flags, const void* header, size_t size)
    : buf_(align(sizeof(nlmsghdr)) + align(size), 0) {
  auto* h = reinterpret_cast<nlmsghdr*>(buf_.data());
  h->nlmsg_type = type;
  h->nlmsg_flags = flags | NLM_F_REQUEST;
  std::memcpy(buf_.data() + align(sizeof(nlmsghdr)), header, size);
}

void NetlinkMessage::attr(uint16_t type, const void* data, size_t size) {
  size_t at = buf_.size();
  buf_.resize(at + align(RTA_LENGTH(size)), 0);
  auto* a = reinterpret_cast<rtattr*>(buf_.data() + at);
  a->rta_type = type;
  a->rta_len = static_cast<uint16_t>(RTA_LENGTH(size));
  if (size > 0) std::memcpy(RTA_DATA(a), data, size);
}

size_t NetlinkMessage::begin_nest(uint16_t type) {
  size_t at = buf_.size();
  attr(type, nullptr, 0);
  return at;
}

void NetlinkMessage::end_nest(size_t at) {
  reinterpret_cast<rtattr*>(buf_.data() + at)->rta_len = static_cast<uint16_t>(buf_.size() - at);
}

std::vector<char>& NetlinkMessage::bytes() {
  reinterpret_cast<nlmsghdr*>(buf_.data())->nlmsg_len = static_cast<uint32_t>(buf_.size());
  return buf_;
}

const NetlinkAttr* NetlinkReply::find(uint16_t t) const {
  for (const auto& a : attrs)
    if (a.type == t) return &a;
  return nullptr;
}

Status Netlink::send(NetlinkMessage& m) {
  auto& b = m.bytes();
  reinterpret_cast<nlmsghdr*>(b.data())->nlmsg_seq = ++seq_;
  struct sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(sock_.get(), b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return sys_error("netlink send");
  return {};
}

Status Netlink::each_reply(const std::function<std::optional<Status>(const nlmsghdr&)>& fn) {
  std::vector<char> buf(65536);
  for (;;) {
    ssize_t n = ::recv(sock_.get(), buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("netlink receive");
    auto left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
      if (h->nlmsg_seq == seq_)
        if (auto done = fn(*h)) return *done;
  }
}

Status Netlink::request(NetlinkMessage& m) {
  reinterpret_cast<nlmsghdr*>(m.bytes().data())->nlmsg_flags |= NLM_F_ACK;
  BERTH_TRY(send(m));
  return each_reply([](const nlmsghdr& h) -> std::optional<Status> {
    if (h.nlmsg_type != NLMSG_ERROR) return std::nullopt;
    int err = -static_cast<const nlmsgerr*>(NLMSG_DATA(&h))->error;
    if (err == 0) return Status{};
    return Status(sys_error("netlink", err));
  });
}

Result<std::vector<NetlinkReply>> Netlink::dump(NetlinkMessage& m, size_t header_size) {
  // A dump the kernel marks interrupted (the table changed under it) is
  // asked for again.
  for (int attempt = 0;; ++attempt) {
    bool interrupted = false;
    auto out = dump_once(m, header_size, interrupted);
    if (!out || !interrupted) return out;
    if (attempt == 4) return sys_error("netlink dump", EINTR);
  }
}

Result<std::vector<NetlinkReply>> Netlink::dump_once(NetlinkMessage& m, size_t header_size, bool& interrupted) {
  reinterpret_cast<nlmsghdr*>(m.bytes().data())->nlmsg_flags |= NLM_F_DUMP;
  BERTH_TRY(send(m));
  std::vector<NetlinkReply> out;
  BERTH_TRY(each_reply([&](const nlmsghdr& h) -> std::optional<Status> {
    if ((h.nlmsg_flags & NLM_F_DUMP_INTR) != 0) interrupted = true;
    if (h.nlmsg_type == NLMSG_DONE) {
      // Its payload, when there is one, is the dump's error.
      int err = 0;
      if (h.nlmsg_len >= NLMSG_LENGTH(sizeof err)) std::memcpy(&err, NLMSG_DATA(&h), sizeof err);
      if (err < 0) return Status(sys_error("netlink dump", -err));
      return Status{};
    }
    if (h.nlmsg_type == NLMSG_ERROR)
      return Status(sys_error("netlink dump", -static_cast<const nlmsgerr*>(NLMSG_DATA(&h))->error));
    if (h.nlmsg_len < NLMSG_LENGTH(header_size)) return std::nullopt;
    NetlinkReply r;
    r.type = h.nlmsg_type;
    const char* data = static_cast<const char*>(NLMSG_DATA(&h));
    r.header.assign(data, header_size);
    auto attr_len = static_cast<int>(h.nlmsg_len - NLMSG_LENGTH(align(header_size)));
    for (auto* a = reinterpret_cast<const rtattr*>(data + align(header_size)); RTA_OK(a, attr_len);
         a = RTA_NEXT(a, attr_len))
      r.attrs.push_back({a->rta_type, std::string(static_cast<const char*>(RTA_DATA(a)), RTA_PAYLOAD(a))});
    out.push_back(std::move(r));
    return std::nullopt;
  }));
  return out;
}

}  // namespace berth::vm
