#include "linux/mountinfo.h"

#include <string>

#include <gtest/gtest.h>

namespace berth::lnx {
namespace {

TEST(ParseMountinfoLine, WithoutOptionalFields) {
  MountInfo mi;
  ASSERT_TRUE(parse_mountinfo_line("22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw", mi));
  EXPECT_EQ(mi.root, "/");
  EXPECT_EQ(mi.mount_point, "/proc");
  EXPECT_EQ(mi.fs_type, "proc");
  EXPECT_EQ(mi.source, "proc");
  EXPECT_EQ(mi.super_options, "rw");
}

TEST(ParseMountinfoLine, WithOptionalFields) {
  MountInfo mi;
  ASSERT_TRUE(
      parse_mountinfo_line("36 35 98:0 /mnt1 /mnt2 rw,noatime shared:1 master:2 - ext3 /dev/root "
                           "rw,errors=continue",
                           mi));
  EXPECT_EQ(mi.root, "/mnt1");
  EXPECT_EQ(mi.mount_point, "/mnt2");
  EXPECT_EQ(mi.fs_type, "ext3");
  EXPECT_EQ(mi.source, "/dev/root");
  EXPECT_EQ(mi.super_options, "rw,errors=continue");

  MountInfo one;
  ASSERT_TRUE(
      parse_mountinfo_line("30 23 0:26 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate", one));
  EXPECT_EQ(one.mount_point, "/sys/fs/cgroup");
  EXPECT_EQ(one.fs_type, "cgroup2");
  EXPECT_EQ(one.source, "cgroup2");
  EXPECT_EQ(one.super_options, "rw,nsdelegate");
}

TEST(ParseMountinfoLine, OctalEscapesAreDecoded) {
  MountInfo mi;
  ASSERT_TRUE(parse_mountinfo_line("100 30 0:50 /my\\040dir /mnt/with\\040space\\011tab rw - tmpfs my\\134src rw", mi));
  EXPECT_EQ(mi.root, "/my dir");
  EXPECT_EQ(mi.mount_point, "/mnt/with space\ttab");
  EXPECT_EQ(mi.source, "my\\src");

  MountInfo end;
  ASSERT_TRUE(parse_mountinfo_line("101 30 0:51 / /mnt/trailing\\040 rw - tmpfs tmpfs rw", end));
  EXPECT_EQ(end.mount_point, "/mnt/trailing ");

  MountInfo raw;  // not a valid escape: kept as it is
  ASSERT_TRUE(parse_mountinfo_line("102 30 0:52 / /mnt/a\\9x9 rw - tmpfs tmpfs rw", raw));
  EXPECT_EQ(raw.mount_point, "/mnt/a\\9x9");
}

TEST(ParseMountinfoLine, MalformedLinesAreRejected) {
  const char* bad[] = {
      "",
      "garbage",
      "22 1 0:21 / /proc rw,nosuid - proc",                 // separator but no source
      "22 1 0:21 / /proc rw,nosuid shared:1 master:2 x y",  // no separator
      "22 1 0:21 / /proc rw shared:1 master:2 - proc",      // fs type only
      "22 1 0:21 / /proc",
  };
  for (const char* line : bad) {
    MountInfo mi;
    EXPECT_FALSE(parse_mountinfo_line(line, mi)) << "\"" << line << "\"";
  }
}

}  // namespace
}  // namespace berth::lnx
