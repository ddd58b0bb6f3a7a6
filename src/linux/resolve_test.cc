// Both resolvers, each with openat2 and with the component walk kernels
// without openat2 (or a seccomp profile filtering it) get: the same answers.
#include "linux/resolve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <string>

#include <gtest/gtest.h>

#include "base/testutil.h"

namespace berth::lnx {
namespace {

std::string where(const Fd& fd) {
  char buf[PATH_MAX] = {};
  ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(fd.get())).c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

class Resolve : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    force_resolve_walk(GetParam());
    ::mkdir((tmp_ / "root").c_str(), 0755);
    ::mkdir((tmp_ / "root/etc").c_str(), 0755);
    ::mkdir((tmp_ / "root/a").c_str(), 0755);
    ::mkdir((tmp_ / "root/a/b").c_str(), 0755);
    testutil::put(tmp_ / "root/etc/passwd", "inside\n");
    testutil::put(tmp_ / "outside", "outside\n");
    ::symlink("/etc", (tmp_ / "root/abs").c_str());               // absolute: from root
    ::symlink("../../../../..", (tmp_ / "root/a/b/up").c_str());  // climbs: stops at root
    ::symlink("b/up/etc/passwd", (tmp_ / "root/a/rel").c_str());
    ::symlink((tmp_ / "outside").c_str(), (tmp_ / "root/host").c_str());
    ::symlink("loop2", (tmp_ / "root/loop1").c_str());
    ::symlink("loop1", (tmp_ / "root/loop2").c_str());
    root_.reset(::open((tmp_ / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  void TearDown() override { force_resolve_walk(false); }
  testutil::TempDir tmp_;
  Fd root_;
};

TEST_P(Resolve, SymlinksResolveInsideTheRoot) {
  std::string passwd = tmp_ / "root/etc/passwd";
  for (const char* p : {"/etc/passwd", "abs/passwd", "a/rel", "a/b/up/etc/passwd", "/../../etc/passwd"}) {
    auto fd = open_in_root(root_.get(), p, O_RDONLY);
    ASSERT_TRUE(fd) << p << ": " << fd.error().message;
    EXPECT_EQ(where(*fd), passwd) << p;
  }
  // An absolute symlink to a host file names root/<that path>, which is absent.
  auto host = open_in_root(root_.get(), "host", O_RDONLY);
  EXPECT_FALSE(host);
  auto up = open_in_root(root_.get(), "a/b/up", O_PATH | O_DIRECTORY);
  ASSERT_TRUE(up) << up.error().message;
  EXPECT_EQ(where(*up), tmp_.path() + "/root");
}

TEST_P(Resolve, ErrorsAreTheKernels) {
  auto loop = open_in_root(root_.get(), "loop1", O_RDONLY);
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error().code, ELOOP);
  auto missing = open_in_root(root_.get(), "/etc/nope", O_RDONLY);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT);
  auto notdir = open_in_root(root_.get(), "/etc/passwd/x", O_RDONLY);
  ASSERT_FALSE(notdir);
  EXPECT_EQ(notdir.error().code, ENOTDIR);
  // O_NOFOLLOW on the last component opens the link itself with O_PATH.
  auto link = open_in_root(root_.get(), "abs", O_PATH | O_NOFOLLOW);
  ASSERT_TRUE(link) << link.error().message;
  struct stat sb;
  ASSERT_EQ(::fstat(link->get(), &sb), 0);
  EXPECT_TRUE(S_ISLNK(sb.st_mode));
}

TEST_P(Resolve, BeneathFollowsNoSymlinkAndNeverLeaves) {
  auto ok = open_beneath(root_.get(), "etc/passwd", O_RDONLY);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(where(*ok), tmp_ / "root/etc/passwd");
  auto back = open_beneath(root_.get(), "a/../etc/passwd", O_RDONLY);  // stays beneath
  ASSERT_TRUE(back) << back.error().message;
  for (const char* p : {"abs/passwd", "host", "a/rel", "../outside", "a/../../outside"}) {
    auto fd = open_beneath(root_.get(), p, O_RDONLY);
    EXPECT_FALSE(fd) << p << " opened " << (fd ? where(*fd) : "");
  }
}

INSTANTIATE_TEST_SUITE_P(Openat2AndWalk, Resolve, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Walk" : "Openat2"; });

}  // namespace
}  // namespace berth::lnx
