#include "linux/mounts.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace berth::lnx {
namespace {

using Opts = std::vector<std::string>;

TEST(ParseMountOptions, EmptyIsAllZero) {
  MountOptions o = parse_mount_options({});
  EXPECT_EQ(o.flags, 0u);
  EXPECT_EQ(o.propagation, 0u);
  EXPECT_EQ(o.attr_set, 0u);
  EXPECT_EQ(o.attr_clr, 0u);
  EXPECT_EQ(o.data, "");
  EXPECT_FALSE(o.bind());
}

TEST(ParseMountOptions, SimpleFlags) {
  struct Case {
    const char* opt;
    unsigned long flag;
  } cases[] = {
      {"ro", MS_RDONLY},       {"nosuid", MS_NOSUID},         {"nodev", MS_NODEV},
      {"noexec", MS_NOEXEC},   {"relatime", MS_RELATIME},     {"strictatime", MS_STRICTATIME},
      {"noatime", MS_NOATIME}, {"nodiratime", MS_NODIRATIME}, {"sync", MS_SYNCHRONOUS},
      {"bind", MS_BIND},       {"rbind", MS_BIND | MS_REC},   {"nosymfollow", MS_NOSYMFOLLOW},
  };
  for (const auto& c : cases) {
    MountOptions o = parse_mount_options({c.opt});
    EXPECT_EQ(o.flags, c.flag) << c.opt;
    EXPECT_EQ(o.data, "") << c.opt;
    EXPECT_EQ(o.propagation, 0u) << c.opt;
  }
}

TEST(ParseMountOptions, FlagsAccumulateAndTheirOppositesClear) {
  MountOptions o = parse_mount_options({"nosuid", "nodev", "noexec", "ro"});
  EXPECT_EQ(o.flags, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY);

  EXPECT_EQ(parse_mount_options({"ro", "rw"}).flags, 0u);
  EXPECT_EQ(parse_mount_options({"rw", "ro"}).flags, static_cast<unsigned long>(MS_RDONLY));
  EXPECT_EQ(parse_mount_options({"ro", "rw", "ro"}).flags, static_cast<unsigned long>(MS_RDONLY));
  EXPECT_EQ(parse_mount_options({"nosuid", "nodev", "suid"}).flags, static_cast<unsigned long>(MS_NODEV));
  EXPECT_EQ(parse_mount_options({"noexec", "exec", "dev"}).flags, 0u);
  EXPECT_EQ(parse_mount_options({"noatime", "atime"}).flags, 0u);
}

TEST(ParseMountOptions, BindAndRbind) {
  MountOptions b = parse_mount_options({"bind", "ro"});
  EXPECT_TRUE(b.bind());
  EXPECT_EQ(b.flags, MS_BIND | MS_RDONLY);

  MountOptions rb = parse_mount_options({"rbind"});
  EXPECT_TRUE(rb.bind());
  EXPECT_EQ(rb.flags, MS_BIND | MS_REC);

  EXPECT_FALSE(parse_mount_options({"ro", "nosuid", "mode=755"}).bind());
}

TEST(ParseMountOptions, PropagationLastOneWins) {
  EXPECT_EQ(parse_mount_options({"rprivate"}).propagation, MS_PRIVATE | MS_REC);
  EXPECT_EQ(parse_mount_options({"private"}).propagation, static_cast<unsigned long>(MS_PRIVATE));
  EXPECT_EQ(parse_mount_options({"rshared"}).propagation, MS_SHARED | MS_REC);
  EXPECT_EQ(parse_mount_options({"slave"}).propagation, static_cast<unsigned long>(MS_SLAVE));
  EXPECT_EQ(parse_mount_options({"runbindable"}).propagation, MS_UNBINDABLE | MS_REC);

  MountOptions o = parse_mount_options({"rbind", "rshared", "ro", "rslave"});
  EXPECT_EQ(o.propagation, MS_SLAVE | MS_REC);
  EXPECT_EQ(o.flags, MS_BIND | MS_REC | MS_RDONLY) << "propagation stays out of flags";

  EXPECT_EQ(parse_mount_options({"rprivate", "shared"}).propagation, static_cast<unsigned long>(MS_SHARED));
}

TEST(ParseMountOptions, RecursiveAttributes) {
  MountOptions rro = parse_mount_options({"rro"});
  EXPECT_EQ(rro.attr_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
  EXPECT_EQ(rro.attr_clr, 0u);
  EXPECT_EQ(rro.flags, 0u) << "rro is an attribute, not MS_RDONLY";

  MountOptions rrw = parse_mount_options({"rrw"});
  EXPECT_EQ(rrw.attr_clr, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
  EXPECT_EQ(rrw.attr_set, 0u);

  MountOptions flip = parse_mount_options({"rro", "rrw"});
  EXPECT_EQ(flip.attr_set, 0u);
  EXPECT_EQ(flip.attr_clr, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));

  MountOptions many = parse_mount_options({"rnosuid", "rnodev", "rnoexec", "rdiratime"});
  EXPECT_EQ(many.attr_set, static_cast<uint64_t>(MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  EXPECT_EQ(many.attr_clr, static_cast<uint64_t>(MOUNT_ATTR_NODIRATIME));
}

TEST(ParseMountOptions, RecursiveAtimeClearsTheWholeAtimeField) {
  MountOptions noatime = parse_mount_options({"rnoatime"});
  EXPECT_EQ(noatime.attr_clr & MOUNT_ATTR__ATIME, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
  EXPECT_EQ(noatime.attr_set & MOUNT_ATTR__ATIME, static_cast<uint64_t>(MOUNT_ATTR_NOATIME));

  MountOptions atime = parse_mount_options({"ratime"});
  EXPECT_EQ(atime.attr_clr & MOUNT_ATTR__ATIME, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
  EXPECT_EQ(atime.attr_set & MOUNT_ATTR_NOATIME, 0u);

  // One field: the later setting replaces the earlier one, other bits stay.
  MountOptions later = parse_mount_options({"rro", "rnoatime", "rstrictatime"});
  EXPECT_EQ(later.attr_set & MOUNT_ATTR__ATIME, static_cast<uint64_t>(MOUNT_ATTR_STRICTATIME));
  EXPECT_EQ(later.attr_set & MOUNT_ATTR_RDONLY, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
  EXPECT_EQ(later.attr_clr, static_cast<uint64_t>(MOUNT_ATTR__ATIME));

  MountOptions rel = parse_mount_options({"rnoatime", "rrelatime"});
  EXPECT_EQ(rel.attr_set & MOUNT_ATTR__ATIME, static_cast<uint64_t>(MOUNT_ATTR_RELATIME));
  EXPECT_EQ(rel.attr_clr, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

TEST(ParseMountOptions, UnknownOptionsBecomeDataInOrder) {
  MountOptions o = parse_mount_options({"nosuid", "mode=755", "strictatime", "size=65536k"});
  EXPECT_EQ(o.data, "mode=755,size=65536k");
  EXPECT_EQ(o.flags, MS_NOSUID | MS_STRICTATIME);

  EXPECT_EQ(parse_mount_options({"size=1", "mode=1777", "uid=5"}).data, "size=1,mode=1777,uid=5");
  EXPECT_EQ(parse_mount_options({"newinstance", "ptmxmode=0666"}).data, "newinstance,ptmxmode=0666");
}

TEST(ParseMountOptions, IgnoredOptionsAreNotData) {
  MountOptions o = parse_mount_options({"tmpcopyup", "mode=755", "defaults"});
  EXPECT_EQ(o.data, "mode=755");
  EXPECT_EQ(parse_mount_options({"tmpcopyup"}).data, "");
}

TEST(FdPath, NamesTheFdInProcSelf) {
  EXPECT_EQ(fd_path(0), "/proc/self/fd/0");
  EXPECT_EQ(fd_path(123), "/proc/self/fd/123");

  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/berth-fdpath.XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  ASSERT_GE(fd, 0);
  char buf[PATH_MAX];
  ssize_t n = ::readlink(fd_path(fd).c_str(), buf, sizeof buf - 1);
  ::unlink(tmpl.c_str());
  ::close(fd);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), tmpl);
}

}  // namespace
}  // namespace berth::lnx
