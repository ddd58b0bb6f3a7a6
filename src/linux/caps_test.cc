#include "linux/caps.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/file.h"

namespace berth::lnx {
namespace {

constexpr uint64_t bit(int c) { return uint64_t{1} << c; }

TEST(CapFromName, KnownNames) {
  EXPECT_EQ(cap_from_name("CAP_CHOWN"), 0);
  EXPECT_EQ(cap_from_name("CAP_KILL"), 5);
  EXPECT_EQ(cap_from_name("CAP_NET_RAW"), 13);
  EXPECT_EQ(cap_from_name("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(cap_from_name("CAP_AUDIT_READ"), 37);
  EXPECT_EQ(cap_from_name("CAP_BPF"), 39);
  EXPECT_EQ(cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
}

TEST(CapFromName, UnknownNames) {
  for (const char* n : {"", "CAP_NOPE", "cap_chown", "CHOWN", "CAP_CHOWN ", "CAP_"})
    EXPECT_EQ(cap_from_name(n), std::nullopt) << "\"" << n << "\"";
}

TEST(CapLastCap, AtLeastCheckpointRestoreAndMatchesProc) {
  EXPECT_GE(cap_last_cap(), 40);
  auto text = read_file("/proc/sys/kernel/cap_last_cap");
  ASSERT_TRUE(text) << text.error().message;
  int64_t v = -1;
  ASSERT_TRUE(parse_int64(trim(*text), v));
  EXPECT_EQ(cap_last_cap(), v);
}

TEST(ResolveCaps, BuildsOneMaskPerSet) {
  oci::Capabilities c;
  c.bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"};
  c.effective = {"CAP_KILL"};
  c.inheritable = {};
  c.permitted = {"CAP_CHECKPOINT_RESTORE", "CAP_CHOWN", "CAP_CHOWN"};
  c.ambient = {"CAP_NET_RAW"};
  std::vector<std::string> warnings;
  CapSets s = resolve_caps(c, warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(s.bounding, bit(0) | bit(5) | bit(21));
  EXPECT_EQ(s.effective, bit(5));
  EXPECT_EQ(s.inheritable, 0u);
  EXPECT_EQ(s.permitted, bit(40) | bit(0));
  EXPECT_EQ(s.ambient, bit(13));
}

TEST(ResolveCaps, WarnsPerUnknownNameAndKeepsGoing) {
  oci::Capabilities c;
  c.bounding = {"CAP_NOPE", "CAP_CHOWN"};
  c.effective = {"CAP_SYS_ADMIN", "CAP_FUTURE_THING"};
  c.ambient = {"CAP_X", "CAP_Y"};
  std::vector<std::string> warnings = {"earlier warning"};
  CapSets s = resolve_caps(c, warnings);

  EXPECT_EQ(s.bounding, bit(0));
  EXPECT_EQ(s.effective, bit(21));
  EXPECT_EQ(s.ambient, 0u);
  ASSERT_EQ(warnings.size(), 5u);
  EXPECT_EQ(warnings[0], "earlier warning") << "warnings are appended";
  struct Want {
    const char* name;
    const char* set;
  } want[] = {{"CAP_NOPE", "bounding"}, {"CAP_FUTURE_THING", "effective"}, {"CAP_X", "ambient"}, {"CAP_Y", "ambient"}};
  for (size_t i = 0; i < std::size(want); ++i) {
    const std::string& w = warnings[i + 1];
    EXPECT_NE(w.find(want[i].name), std::string::npos) << w;
    EXPECT_NE(w.find(want[i].set), std::string::npos) << w;
  }
}

}  // namespace
}  // namespace berth::lnx
