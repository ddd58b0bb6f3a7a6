#include "linux/process_setup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/file.h"

namespace berth::lnx {
namespace {

class FindExecutableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/berth-findexec.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
    for (const char* d : {"d1", "d2", "empty"}) ASSERT_EQ(::mkdir(at(d).c_str(), 0755), 0);
  }
  void TearDown() override {
    std::error_code ec;
    if (!tmp_.empty()) std::filesystem::remove_all(tmp_, ec);
  }

  std::string at(const std::string& rel) const { return tmp_ + "/" + rel; }
  void make_file(const std::string& rel, mode_t mode) {
    std::string p = at(rel);
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0) << p;
    ::close(fd);
    ASSERT_EQ(::chmod(p.c_str(), mode), 0);  // exact bits, whatever the umask
  }

  std::string tmp_;
};

TEST_F(FindExecutableTest, SearchesPathFromTheGivenEnvInOrder) {
  make_file("d1/tool", 0755);
  make_file("d2/tool", 0755);
  auto first = find_executable("tool", {"HOME=/root", "PATH=" + at("d1") + ":" + at("d2")});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, at("d1/tool"));

  auto swapped = find_executable("tool", {"PATH=" + at("empty") + ":" + at("d2") + ":" + at("d1")});
  ASSERT_TRUE(swapped) << swapped.error().message;
  EXPECT_EQ(*swapped, at("d2/tool"));
}

TEST_F(FindExecutableTest, IgnoresTheCallersOwnPath) {
  make_file("d1/only-here", 0755);
  const char* old = std::getenv("PATH");
  std::string saved = old ? old : "";
  // The test's own PATH, changed while no other thread runs.
  // NOLINTBEGIN(concurrency-mt-unsafe)
  ASSERT_EQ(::setenv("PATH", at("d1").c_str(), 1), 0);
  auto r = find_executable("only-here", {"PATH=" + at("empty")});
  auto found = find_executable("only-here", {"PATH=" + at("d1")});
  if (old)
    ::setenv("PATH", saved.c_str(), 1);
  else
    ::unsetenv("PATH");
  // NOLINTEND(concurrency-mt-unsafe)

  ASSERT_FALSE(r) << "found " << *r << " through the test's own PATH";
  EXPECT_EQ(r.error().code, ENOENT);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(*found, at("d1/only-here"));
}

TEST_F(FindExecutableTest, SkipsNonExecutablesAndDirectories) {
  make_file("d1/tool", 0644);
  ASSERT_EQ(::mkdir(at("empty/tool").c_str(), 0755), 0);  // a directory named like it
  make_file("d2/tool", 0700);
  auto r = find_executable("tool", {"PATH=" + at("d1") + ":" + at("empty") + ":" + at("d2")});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, at("d2/tool"));

  auto none = find_executable("tool", {"PATH=" + at("d1") + ":" + at("empty")});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "exec: \"tool\": executable file not found in $PATH");
}

TEST_F(FindExecutableTest, NameWithSlashIsUsedAsIs) {
  make_file("d1/plain", 0755);
  auto r = find_executable(at("d1/plain"), {"PATH=" + at("empty")});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, at("d1/plain"));

  // Without an exec bit: runc's words, at create.
  make_file("d1/data", 0644);
  auto data = find_executable(at("d1/data"), {"PATH=" + at("d1")});
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().code, EACCES);
  EXPECT_EQ(data.error().message, "exec: \"" + at("d1/data") + "\": permission denied");

  auto missing = find_executable(at("d1/missing"), {"PATH=" + at("d1")});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT);
  EXPECT_NE(missing.error().message.find("stat " + at("d1/missing")), std::string::npos) << missing.error().message;
  for (const auto* e : {&data.error(), &missing.error()}) EXPECT_EQ(e->kind, ErrorKind::kInvalidArgument);

  auto dir = find_executable(at("d1"), {});
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code, EISDIR);
  EXPECT_NE(dir.error().message.find(at("d1")), std::string::npos) << dir.error().message;
  EXPECT_NE(dir.error().message.find("directory"), std::string::npos) << dir.error().message;
}

TEST_F(FindExecutableTest, NotFoundMessageMatchesRunc) {
  auto r = find_executable("nope", {"PATH=" + at("d1") + ":" + at("d2")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "exec: \"nope\": executable file not found in $PATH");
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);  // the process's mistake, as runc's exec says
}

}  // namespace
}  // namespace berth::lnx
