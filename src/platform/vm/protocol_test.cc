#include "platform/vm/protocol.h"

#include <gtest/gtest.h>

namespace berth::vm {
namespace {

TEST(VmProtocol, FramesSurviveAnyReadBoundary) {
  std::string stream = encode_frame(7, Frame::kStdout, "hello") + encode_frame(1, Frame::kEnd, "") +
                       encode_frame(0x01020304, Frame::kOpen, std::string(70000, 'x'));
  // Fed one byte at a time, then all at once: the same three frames.
  for (size_t step : {size_t{1}, stream.size()}) {
    FrameReader r;
    std::vector<Message> got;
    for (size_t i = 0; i < stream.size(); i += step) {
      ASSERT_TRUE(r.feed(std::string_view(stream).substr(i, step)));
      while (auto m = r.next()) got.push_back(*m);
    }
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].channel, 7u);
    EXPECT_EQ(got[0].type, Frame::kStdout);
    EXPECT_EQ(got[0].data, "hello");
    EXPECT_EQ(got[1].type, Frame::kEnd);
    EXPECT_EQ(got[1].data, "");
    EXPECT_EQ(got[2].channel, 0x01020304u);
    EXPECT_EQ(got[2].data.size(), 70000u);
  }
}

TEST(VmProtocol, AnOversizedFrameIsAnError) {
  std::string header = encode_frame(1, Frame::kStdin, "").substr(0, 5);
  header += std::string("\xff\xff\xff\x7f", 4);  // 2 GiB
  FrameReader r;
  EXPECT_FALSE(r.feed(header));
  EXPECT_FALSE(r.next().has_value());
}

}  // namespace
}  // namespace berth::vm
