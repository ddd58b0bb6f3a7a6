#include "base/result.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

// runc's messages carry Go's errno texts, which clients match on.
TEST(SysError, ReadsLikeGoErrnoText) {
  EXPECT_EQ(sys_error("stat /x", ENOENT).message, "stat /x: no such file or directory");
  EXPECT_EQ(sys_error("open /y", EACCES).message, "open /y: permission denied");
  EXPECT_EQ(sys_error("mount", EPERM).message, "mount: operation not permitted");
  EXPECT_EQ(sys_error("stat /x", ENOENT).code, ENOENT);
}

}  // namespace
}  // namespace berth
