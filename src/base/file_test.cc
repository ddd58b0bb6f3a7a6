#include "base/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace berth {
namespace {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/berth-file-test.XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {  // independent of remove_all_at, which is under test here
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> names;
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return names;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  return names;
}

mode_t mode_of(const std::string& path) {
  struct stat sb;
  if (::lstat(path.c_str(), &sb) < 0) return 0;
  return sb.st_mode;
}

void write_plain(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(fd);
}

TEST(PathClean, MatchesGoFilepathClean) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"", "."},
      {".", "."},
      {"//a/./b/../c/", "/a/c"},
      {"../x", "../x"},
      {"/..", "/"},
      {"a/..", "."},
      {"/", "/"},
      {"a//b", "a/b"},
      {"a/b/", "a/b"},
      {"a/../../b", "../b"},
      {"../../a/..", "../.."},
      {"/../a/../../b", "/b"},
      {"./a/./b/.", "a/b"},
  };
  for (const auto& c : cases) EXPECT_EQ(path_clean(c.in), c.want) << "input \"" << c.in << "\"";
}

TEST(PathJoin, InsertsExactlyOneSlash) {
  EXPECT_EQ(path_join("/run", "x"), "/run/x");
  EXPECT_EQ(path_join("/run/", "x"), "/run/x");
  EXPECT_EQ(path_join("/run", "/x"), "/run/x");
  EXPECT_EQ(path_join("/run/", "//x/y"), "/run/x/y");
  EXPECT_EQ(path_join("/", "x"), "/x");
  EXPECT_EQ(path_join("", "x"), "x");
  EXPECT_EQ(path_join("a", "b/c"), "a/b/c");
}

TEST(Split, KeepsEmptyFields) {
  EXPECT_EQ(split("a,b,,c", ','), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(split(",", ','), (std::vector<std::string>{"", ""}));
  EXPECT_EQ(split("abc", ','), (std::vector<std::string>{"abc"}));
  EXPECT_EQ(split("/a/b", '/'), (std::vector<std::string>{"", "a", "b"}));
}

TEST(Trim, StripsSpacesTabsAndNewlinesAtBothEnds) {
  EXPECT_EQ(trim("  \tx y\n"), "x y");
  EXPECT_EQ(trim("40\n"), "40");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t\n "), "");
  EXPECT_EQ(trim("a"), "a");
}

TEST(ParseInt64, AcceptsWholeDecimalStringsInRange) {
  int64_t v = 0;
  ASSERT_TRUE(parse_int64("42", v));
  EXPECT_EQ(v, 42);
  ASSERT_TRUE(parse_int64("-42", v));
  EXPECT_EQ(v, -42);
  ASSERT_TRUE(parse_int64("0", v));
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(parse_int64("9223372036854775807", v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(parse_int64("-9223372036854775808", v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::min());
}

TEST(ParseInt64, RejectsPartialEmptyAndOverflowingInput) {
  int64_t v = 0;
  for (const char* s : {"", "-", "12a", " 1", "1 ", "0x10", "1.5", "9223372036854775808", "-9223372036854775809",
                        "99999999999999999999"}) {
    EXPECT_FALSE(parse_int64(s, v)) << "input \"" << s << "\"";
  }
}

TEST(ParseUint64, AcceptsFullRangeAndRejectsNegatives) {
  uint64_t v = 0;
  ASSERT_TRUE(parse_uint64("18446744073709551615", v));
  EXPECT_EQ(v, std::numeric_limits<uint64_t>::max());
  ASSERT_TRUE(parse_uint64("7", v));
  EXPECT_EQ(v, 7u);
  for (const char* s : {"", "-1", "-0", "18446744073709551616", "1x", " 7", "+"}) {
    EXPECT_FALSE(parse_uint64(s, v)) << "input \"" << s << "\"";
  }
}

TEST(FormatRfc3339Nano, TrimsFractionLikeGo) {
  EXPECT_EQ(format_rfc3339_nano(0, 0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339_nano(1, 500000000), "1970-01-01T00:00:01.5Z");
  EXPECT_EQ(format_rfc3339_nano(1, 120000000), "1970-01-01T00:00:01.12Z");
  EXPECT_EQ(format_rfc3339_nano(1, 1), "1970-01-01T00:00:01.000000001Z");
  EXPECT_EQ(format_rfc3339_nano(1700000000, 123456789), "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(format_rfc3339_nano(951782400, 0), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339_nano(-1, 0), "1969-12-31T23:59:59Z");
}

TEST(FormatRfc3339Nano, NowIsUtcWithSuffixZ) {
  std::string now = now_rfc3339_nano();
  ASSERT_GE(now.size(), 20u);
  EXPECT_EQ(now.back(), 'Z');
  EXPECT_EQ(now[4], '-');
  EXPECT_EQ(now[10], 'T');
  EXPECT_EQ(now[19] == '.' || now[19] == 'Z', true) << now;
}

TEST(WriteFileAtomic, ReplacesContentLeavesNoTempAndHonorsMode) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  int dfd = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dfd, 0);
  Fd dir(dfd);

  ASSERT_TRUE(write_file_atomic(dir.get(), "state.json", "a much longer first version", 0640));
  auto first = read_file(tmp / "state.json");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, "a much longer first version");
  EXPECT_EQ(mode_of(tmp / "state.json") & 07777, 0640u);

  ASSERT_TRUE(write_file_atomic(dir.get(), "state.json", "short", 0600));
  auto second = read_file(tmp / "state.json");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(*second, "short");  // replaced, not overwritten in place
  EXPECT_EQ(mode_of(tmp / "state.json") & 07777, 0600u);

  EXPECT_EQ(list_dir(tmp.path()), std::vector<std::string>{"state.json"});
}

TEST(WriteFileAtomic, FailsInMissingDirectoryAndNamesTempFile) {
  TempDir tmp;
  int dfd = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dfd, 0);
  Fd dir(dfd);
  auto r = write_file_atomic(dir.get(), "missing/x", "data", 0600);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_NE(r.error().message.find("missing/x"), std::string::npos) << r.error().message;
  EXPECT_TRUE(list_dir(tmp.path()).empty());
}

TEST(MkdirAll, CreatesEveryComponentWithMode) {
  TempDir tmp;
  std::string deep = tmp / "a/b/c";
  ASSERT_TRUE(mkdir_all(deep, 0750));
  for (const char* p : {"a", "a/b", "a/b/c"}) {
    mode_t m = mode_of(tmp / p);
    EXPECT_TRUE(S_ISDIR(m)) << p;
    EXPECT_EQ(m & 07777, 0750u) << p;
  }
  // Existing directories are fine, and are left as they are.
  ASSERT_TRUE(mkdir_all(deep, 0700));
  EXPECT_EQ(mode_of(deep) & 07777, 0750u);
  ASSERT_TRUE(mkdir_all(tmp.path() + "//a/./b//d/", 0700));
  EXPECT_TRUE(S_ISDIR(mode_of(tmp / "a/b/d")));
}

TEST(MkdirAll, RegularFileInThePathIsAnError) {
  TempDir tmp;
  write_plain(tmp / "file", "x");
  auto below = mkdir_all(tmp / "file/sub", 0700);
  ASSERT_FALSE(below);
  EXPECT_EQ(below.error().code, ENOTDIR);
  EXPECT_NE(below.error().message.find(tmp / "file/sub"), std::string::npos) << below.error().message;

  // Like "mkdir -p file": an existing non-directory is not a directory.
  auto at = mkdir_all(tmp / "file", 0700);
  ASSERT_FALSE(at);
  EXPECT_EQ(at.error().code, ENOTDIR);
  EXPECT_NE(at.error().message.find(tmp / "file"), std::string::npos) << at.error().message;
}

TEST(RemoveAllAt, RemovesTreeButNotSymlinkTargets) {
  TempDir tmp;
  ASSERT_TRUE(mkdir_all(tmp / "outside/dir", 0755));
  write_plain(tmp / "outside/keep", "precious");
  write_plain(tmp / "outside/dir/keep2", "precious");

  ASSERT_TRUE(mkdir_all(tmp / "tree/a/b/c", 0755));
  ASSERT_TRUE(mkdir_all(tmp / "tree/empty", 0755));
  write_plain(tmp / "tree/f", "1");
  write_plain(tmp / "tree/a/b/f", "2");
  ASSERT_EQ(::symlink((tmp / "outside").c_str(), (tmp / "tree/a/to-outside").c_str()), 0);
  ASSERT_EQ(::symlink((tmp / "outside/keep").c_str(), (tmp / "tree/a/b/c/to-file").c_str()), 0);
  ASSERT_EQ(::symlink("../../outside/dir", (tmp / "tree/a/rel").c_str()), 0);
  ASSERT_EQ(::mkfifo((tmp / "tree/fifo").c_str(), 0600), 0);

  int dfd = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dfd, 0);
  Fd dir(dfd);
  auto r = remove_all_at(dir.get(), "tree");
  ASSERT_TRUE(r) << r.error().message;

  EXPECT_FALSE(path_exists(tmp / "tree"));
  EXPECT_TRUE(path_exists(tmp / "outside/keep"));
  EXPECT_TRUE(path_exists(tmp / "outside/dir/keep2"));
  EXPECT_EQ(list_dir(tmp.path()), std::vector<std::string>{"outside"});
}

TEST(RemoveAllAt, RemovesSymlinkItselfAndToleratesMissingName) {
  TempDir tmp;
  ASSERT_TRUE(mkdir_all(tmp / "target", 0755));
  write_plain(tmp / "target/keep", "x");
  ASSERT_EQ(::symlink((tmp / "target").c_str(), (tmp / "link").c_str()), 0);
  int dfd = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dfd, 0);
  Fd dir(dfd);

  ASSERT_TRUE(remove_all_at(dir.get(), "link"));
  EXPECT_FALSE(path_exists(tmp / "link"));
  EXPECT_TRUE(path_exists(tmp / "target/keep"));

  EXPECT_TRUE(remove_all_at(dir.get(), "never-existed"));
}

TEST(ReadFile, ReturnsContentAndErrorsNameThePath) {
  TempDir tmp;
  std::string data(20000, 'z');  // more than one read() buffer
  write_plain(tmp / "big", data);
  auto ok = read_file(tmp / "big");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(*ok, data);

  auto missing = read_file(tmp / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT);
  EXPECT_NE(missing.error().message.find(tmp / "nope"), std::string::npos) << missing.error().message;

  auto dir = read_file(tmp.path());
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code, EISDIR);
  EXPECT_NE(dir.error().message.find(tmp.path()), std::string::npos) << dir.error().message;
}

TEST(WriteFile, WritesExistingFileOnlyAndNamesPath) {
  TempDir tmp;
  write_plain(tmp / "f", "old-old");
  ASSERT_TRUE(write_file(tmp / "f", "new"));
  auto got = read_file(tmp / "f");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->substr(0, 3), "new");

  auto r = write_file(tmp / "absent", "x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(tmp / "absent"), std::string::npos) << r.error().message;
  EXPECT_FALSE(path_exists(tmp / "absent"));
}

// A directory mounted below the tree (a bind of a rootfs left behind) stops
// the removal; what the mount shows is untouched.
TEST(RemoveAllAt, NeverWalksIntoAMount) {
  if (::geteuid() != 0) GTEST_SKIP() << "bind mounts need root";
  char tmpl[] = "/tmp/berth-rmmount.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string t = tmpl;
  ASSERT_EQ(::mkdir((t + "/precious").c_str(), 0755), 0);
  { std::ofstream(t + "/precious/file") << "keep"; }
  ASSERT_EQ(::mkdir((t + "/tree").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((t + "/tree/m").c_str(), 0755), 0);
  ASSERT_EQ(::mount((t + "/precious").c_str(), (t + "/tree/m").c_str(), nullptr, MS_BIND, nullptr), 0);
  auto r = remove_all_at(AT_FDCWD, t + "/tree");
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error().code, EBUSY);
  EXPECT_TRUE(path_exists(t + "/precious/file"));
  ::umount2((t + "/tree/m").c_str(), MNT_DETACH);
  EXPECT_TRUE(remove_all_at(AT_FDCWD, t + "/tree"));
  std::filesystem::remove_all(t);
}

}  // namespace
}  // namespace berth
