// A small rtnetlink client: just what connecting a pod's network to a
// utility VM needs (pod_network.h). Its socket belongs to the network
// namespace it was opened in, and every request acts there, whatever
// namespace the calling thread is in later.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/result.h"

namespace berth::vm {

// One request: a header struct (ifinfomsg, tcmsg, ...) and its attributes,
// nests closed in the order they were opened.
class NetlinkMessage {
 public:
  NetlinkMessage(uint16_t type, uint16_t flags, const void* header, size_t size);
  void attr(uint16_t type, const void* data, size_t size);
  void attr(uint16_t type, const std::string& text) { attr(type, text.c_str(), text.size() + 1); }
  void attr_u32(uint16_t type, uint32_t v) { attr(type, &v, sizeof v); }
  size_t begin_nest(uint16_t type);  // returns what end_nest takes
  void end_nest(size_t at);
  std::vector<char>& bytes();  // with the header's length filled in

 private:
  std::vector<char> buf_;
};

// An attribute of a reply: its type and payload.
struct NetlinkAttr {
  uint16_t type = 0;
  std::string data;
};

// A reply message: its type, its header struct's bytes, its attributes.
struct NetlinkReply {
  uint16_t type = 0;
  std::string header;
  std::vector<NetlinkAttr> attrs;
  const NetlinkAttr* find(uint16_t type) const;
};

class Netlink {
 public:
  // A NETLINK_ROUTE socket already opened (in the namespace to act in).
  explicit Netlink(Fd sock) : sock_(std::move(sock)) {}
  // Sends a request and waits for its acknowledgement: the kernel's errno
  // as the error.
  Status request(NetlinkMessage& m);
  // A dump (NLM_F_DUMP): every reply, header_size bytes of header each.
  Result<std::vector<NetlinkReply>> dump(NetlinkMessage& m, size_t header_size);

 private:
  Status send(NetlinkMessage& m);
  // Receives until fn, given each message answering the last request,
  // returns a status to end with.
  Status each_reply(const std::function<std::optional<Status>(const nlmsghdr&)>& fn);
  Result<std::vector<NetlinkReply>> dump_once(NetlinkMessage& m, size_t header_size, bool& interrupted);
  Fd sock_;
  uint32_t seq_ = 0;
};

}  // namespace berth::vm
