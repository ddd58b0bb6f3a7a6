#include "containerd/ttrpc.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace berth::containerd {
namespace {

TEST(Ttrpc, FrameHeaderIsBigEndianLengthStreamTypeFlags) {
  std::string f = encode_frame({0, 0x01020304, kTypeResponse, 7}, "abc");
  ASSERT_EQ(f.size(), kFrameHeaderSize + 3);
  EXPECT_EQ(f.substr(0, 10), std::string("\0\0\0\3\1\2\3\4\2\7", 10));
  FrameHeader h = decode_frame_header(reinterpret_cast<const unsigned char*>(f.data()));
  EXPECT_EQ(h.length, 3u);
  EXPECT_EQ(h.stream_id, 0x01020304u);
  EXPECT_EQ(h.type, kTypeResponse);
  EXPECT_EQ(h.flags, 7);
}

Reply echo(const Call& c) {
  if (c.method == "Fail") return Reply::error(Code::kNotFound, "no " + c.payload);
  return Reply::ok(c.service + "/" + c.method + ":" + c.payload);
}

// The reply to one request frame, decoded.
Reply answer(uint32_t stream, uint8_t type, const std::string& message) {
  std::string out = answer_frame({static_cast<uint32_t>(message.size()), stream, type, 0}, message, echo);
  EXPECT_GE(out.size(), kFrameHeaderSize);
  FrameHeader h = decode_frame_header(reinterpret_cast<const unsigned char*>(out.data()));
  EXPECT_EQ(h.stream_id, stream);
  EXPECT_EQ(h.type, kTypeResponse);
  EXPECT_EQ(h.length, out.size() - kFrameHeaderSize);
  auto r = parse_response(std::string_view(out).substr(kFrameHeaderSize));
  EXPECT_TRUE(r.has_value());
  return r ? *r : Reply{};
}

TEST(Ttrpc, RequestReachesItsMethodAndTheReplyItsStream) {
  std::string req = encode_request("svc", "Echo", "hi", std::chrono::seconds(1));
  Reply r = answer(5, kTypeRequest, req);
  EXPECT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.payload, "svc/Echo:hi");
  r = answer(7, kTypeRequest, encode_request("svc", "Fail", "x", {}));
  EXPECT_EQ(r.code, Code::kNotFound);
  EXPECT_EQ(r.message, "no x");
}

TEST(Ttrpc, BadFramesGetAnErrorStatusOnTheirStream) {
  // Not protobuf: a field with wire type 7 does not exist.
  EXPECT_EQ(answer(1, kTypeRequest, "\x0f\xff\xff").code, Code::kInvalidArgument);
  // Even stream ids belong to the server.
  EXPECT_EQ(answer(2, kTypeRequest, encode_request("svc", "Echo", "", {})).code, Code::kInvalidArgument);
  // Other frame types are ignored: no reply at all.
  EXPECT_EQ(answer_frame({0, 1, 9, 0}, "", echo), "");
}

TEST(Ttrpc, ServerAnswersUnknownMethodsAndTooLongFramesAndGoesOn) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Server server;
  server.add("svc", "Echo", echo);
  // Unknown service and method.
  EXPECT_EQ(server.dispatch({"nope", "Echo", "", std::nullopt}).code, Code::kUnimplemented);
  EXPECT_EQ(server.dispatch({"svc", "Nope", "", std::nullopt}).code, Code::kUnimplemented);
  // A frame longer than the limit is read past whole: the next one is answered.
  std::string big_header = encode_frame({0, 1, kTypeRequest, 0}, "");
  big_header[0] = 0x00;
  big_header[1] = 0x50;  // 0x500000 > 4 MiB
  std::thread writer([&] {
    std::string junk(0x500000, 'x');
    ASSERT_TRUE(write_all(sv[0], big_header + junk));
    ASSERT_TRUE(write_all(sv[0], encode_frame({0, 3, kTypeRequest, 0}, encode_request("svc", "Echo", "ok", {}))));
  });
  auto f = read_frame(sv[1]);
  ASSERT_TRUE(f && *f);
  EXPECT_TRUE((*f)->too_long);
  EXPECT_EQ((*f)->header.stream_id, 1u);
  f = read_frame(sv[1]);
  ASSERT_TRUE(f && *f);
  EXPECT_FALSE((*f)->too_long);
  EXPECT_EQ((*f)->header.stream_id, 3u);
  writer.join();
  ::close(sv[0]);
  f = read_frame(sv[1]);  // EOF between frames: no frame, no error
  ASSERT_TRUE(f);
  EXPECT_FALSE(*f);
  ::close(sv[1]);
}

}  // namespace
}  // namespace berth::containerd
