// Inputs found by the libFuzzer harnesses (tests/fuzz) that once crashed or
// misbehaved, kept as regression tests. Each must give an error, not a crash.
#include <gtest/gtest.h>

#include <string>

#include "oci/parse.h"

namespace berth::oci {
namespace {

// nlohmann's parser throws out_of_range (not parse_error) for a number too
// large for a double; it escaped parse_object and terminated berth.
TEST(FuzzRegression, NumberOverflowIsAnError) {
  const char* process =
      R"({"user": {"uid": 1000, "g)id": 166666666e6666000000000000000004928297080341222740, "final":}})";
  auto p = parse_process(process);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("invalid JSON"), std::string::npos) << p.error().message;
  auto s = parse_spec(R"({"ociVersion": "1.2.0", "process": {"user": {"uid": 1e400}}})");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("number overflow"), std::string::npos) << s.error().message;
  EXPECT_FALSE(parse_resources(R"({"memory": {"limit": -1e999}})"));
  EXPECT_FALSE(parse_seccomp(R"({"defaultAction": 9e9999})"));
}

}  // namespace
}  // namespace berth::oci
