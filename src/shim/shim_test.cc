#include "shim/shim.h"

#include <gtest/gtest.h>

#include "base/testutil.h"

namespace berth::shim {
namespace {

TEST(ShimExit, ReadsTheRecordOrNothingYet) {
  testutil::TempDir tmp;
  state::Store store(tmp.path() + "/root");
  {
    auto dir = store.create("c1");
    ASSERT_TRUE(dir) << dir.error().message;
  }
  auto none = read_exit(store, "c1");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(none->has_value());
  testutil::put(tmp.path() + "/root/c1/exit.json",
                R"({"pid":42,"exitCode":137,"signal":9,"exitedAt":"2026-11-22T19:50:00.5Z"})");
  auto got = read_exit(store, "c1");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->pid, 42);
  EXPECT_EQ((*got)->exit_code, 137);
  EXPECT_EQ((*got)->signal, 9);
  EXPECT_EQ((*got)->exited_at, "2026-11-22T19:50:00.5Z");
  testutil::put(tmp.path() + "/root/c1/exit.json", "[1,");
  EXPECT_FALSE(read_exit(store, "c1"));
  EXPECT_FALSE(read_exit(store, "ghost"));
}

}  // namespace
}  // namespace berth::shim
