#include "platform/vm/share.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "base/file.h"

namespace berth::vm {
namespace {

class Share : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-share.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    t_ = tmpl;
    ::mkdir((t_ + "/share").c_str(), 0700);
    ::mkdir((t_ + "/outside").c_str(), 0700);
  }
  void TearDown() override {
    ::umount2((t_ + "/share/c1/rootfs").c_str(), MNT_DETACH);
    std::filesystem::remove_all(t_);
  }
  std::string t_;
};

// What the guest can plant in the share (it serves it read-write): a
// symlink in place of a container's directory or of a file the host
// writes. The host follows none of them.
TEST_F(Share, AGuestsSymlinkIsNeverFollowed) {
  ASSERT_EQ(::symlink((t_ + "/outside").c_str(), (t_ + "/share/c2").c_str()), 0);
  EXPECT_FALSE(make_share_dir(t_ + "/share/c2"));
  auto opened = open_share_dir(t_ + "/share/c2");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().kind, ErrorKind::kNotFound);

  auto dir = make_share_dir(t_ + "/share/c1");
  ASSERT_TRUE(dir) << dir.error().message;
  ASSERT_EQ(::symlink((t_ + "/outside/planted").c_str(), (t_ + "/share/c1/exec-1.json").c_str()), 0);
  EXPECT_FALSE(write_into_share(dir->get(), "exec-1.json", "{}"));
  EXPECT_FALSE(path_exists(t_ + "/outside/planted"));
  // remove_share removes the symlink itself, not what it names.
  EXPECT_TRUE(remove_share(t_ + "/share/c1"));
  EXPECT_TRUE(path_exists(t_ + "/outside"));
  EXPECT_FALSE(path_exists(t_ + "/share/c1"));
}

TEST_F(Share, ABindIsUnmountedBeforeTheDirectoryGoes) {
  if (::geteuid() != 0) GTEST_SKIP() << "bind mounts need root";
  std::ofstream(t_ + "/outside/keep") << "x";
  auto dir = make_share_dir(t_ + "/share/c1");
  ASSERT_TRUE(dir);
  ASSERT_TRUE(bind_into_share(dir->get(), t_ + "/outside", "rootfs"));
  EXPECT_TRUE(path_exists(t_ + "/share/c1/rootfs/keep"));
  ASSERT_TRUE(write_into_share(dir->get(), "config.json", "{}"));
  EXPECT_TRUE(remove_share(t_ + "/share/c1"));
  EXPECT_FALSE(path_exists(t_ + "/share/c1"));
  EXPECT_TRUE(path_exists(t_ + "/outside/keep"));
}

}  // namespace
}  // namespace berth::vm
