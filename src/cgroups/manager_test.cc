#include "cgroups/manager.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "base/testutil.h"

#include "cgroups/v2.h"

namespace berth::cgroups {
namespace {

namespace fs = std::filesystem;
using testutil::put;
using testutil::read;
using testutil::TempDir;

// A hybrid host: v1 memory, co-mounted cpu,cpuacct, name=systemd, and cgroup2.
Layout hybrid() {
  Layout l;
  l.v1 = {{"/sys/fs/cgroup/memory", "memory", {"memory"}},
          {"/sys/fs/cgroup/cpu,cpuacct", "cpu,cpuacct", {"cpu", "cpuacct"}},
          {"/sys/fs/cgroup/systemd", "name=systemd", {}}};
  l.v2 = "/sys/fs/cgroup/unified";
  return l;
}

// /proc/self/cgroup of a process in a login session.
const Paths kOwn = {{"memory", "/user.slice/user-0.slice/session-1.scope"},
                    {"cpu,cpuacct", "/user.slice"},
                    {"name=systemd", "/user.slice/user-0.slice/session-1.scope"},
                    {"", "/user.slice/user-0.slice/session-1.scope"}};

TEST(ResolvePaths, AbsolutePathIsBelowEveryMount) {
  auto p = resolve_paths(hybrid(), "/a/b", "web", false, kOwn);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(*p, (Paths{{"memory", "/sys/fs/cgroup/memory/a/b"},
                       {"cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/a/b"},
                       {"name=systemd", "/sys/fs/cgroup/systemd/a/b"},
                       {"", "/sys/fs/cgroup/unified/a/b"}}));

  auto cleaned = resolve_paths(hybrid(), "//a/./b/../c/", "web", false, kOwn);
  ASSERT_TRUE(cleaned) << cleaned.error().message;
  EXPECT_EQ(cleaned->at("memory"), "/sys/fs/cgroup/memory/a/c");
}

TEST(ResolvePaths, PureV2HasOnlyTheUnifiedKey) {
  Layout l;
  l.v2 = "/sys/fs/cgroup";
  auto p = resolve_paths(l, "/a/b", "web", false, {{"", "/init.scope"}});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(*p, (Paths{{"", "/sys/fs/cgroup/a/b"}}));
}

TEST(ResolvePaths, RelativePathIsBelowOwnCgroupOfEachHierarchy) {
  auto p = resolve_paths(hybrid(), "a/b", "web", false, kOwn);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->at("memory"), "/sys/fs/cgroup/memory/user.slice/user-0.slice/session-1.scope/a/b");
  EXPECT_EQ(p->at("cpu,cpuacct"), "/sys/fs/cgroup/cpu,cpuacct/user.slice/a/b");
  EXPECT_EQ(p->at(""), "/sys/fs/cgroup/unified/user.slice/user-0.slice/session-1.scope/a/b");

  // A hierarchy missing from /proc/self/cgroup counts as the root.
  auto bare = resolve_paths(hybrid(), "a/b", "web", false, {});
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_EQ(bare->at("memory"), "/sys/fs/cgroup/memory/a/b");
}

TEST(ResolvePaths, EmptyPathIsTheIdBelowOwnCgroup) {
  auto p = resolve_paths(hybrid(), "", "web", false, kOwn);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->at("memory"), "/sys/fs/cgroup/memory/user.slice/user-0.slice/session-1.scope/web");
  EXPECT_EQ(p->at("cpu,cpuacct"), "/sys/fs/cgroup/cpu,cpuacct/user.slice/web");
  EXPECT_EQ(p->at(""), "/sys/fs/cgroup/unified/user.slice/user-0.slice/session-1.scope/web");
}

TEST(ResolvePaths, SystemdSliceScope) {
  auto p = resolve_paths(hybrid(), "system.slice:berth:web", "web", true, kOwn);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->at("memory"), "/sys/fs/cgroup/memory/system.slice/berth-web.scope");
  EXPECT_EQ(p->at("name=systemd"), "/sys/fs/cgroup/systemd/system.slice/berth-web.scope");
  EXPECT_EQ(p->at(""), "/sys/fs/cgroup/unified/system.slice/berth-web.scope");

  auto nested = resolve_paths(hybrid(), "a-b.slice:p:n", "web", true, kOwn);
  ASSERT_TRUE(nested) << nested.error().message;
  EXPECT_EQ(nested->at("cpu,cpuacct"), "/sys/fs/cgroup/cpu,cpuacct/a.slice/a-b.slice/p-n.scope");

  // Empty: system.slice and the id; a name that is a slice is used as it is.
  auto dflt = resolve_paths(hybrid(), "", "web", true, kOwn);
  ASSERT_TRUE(dflt) << dflt.error().message;
  EXPECT_EQ(dflt->at(""), "/sys/fs/cgroup/unified/system.slice/berth-web.scope");
  auto slice = resolve_paths(hybrid(), "user.slice:p:mine.slice", "web", true, kOwn);
  ASSERT_TRUE(slice) << slice.error().message;
  EXPECT_EQ(slice->at(""), "/sys/fs/cgroup/unified/user.slice/mine.slice");
}

TEST(ResolvePaths, BadSystemdValuesNameTheField) {
  for (const char* bad : {"system.slice:web", "a:b:c:d", "nodot:p:n", "a--b.slice:p:n", "x/y.slice:p:n"}) {
    auto p = resolve_paths(hybrid(), bad, "web", true, kOwn);
    ASSERT_FALSE(p) << bad;
    EXPECT_NE(p.error().message.find("linux.cgroupsPath"), std::string::npos) << p.error().message;
    EXPECT_EQ(p.error().kind, ErrorKind::kInvalidArgument);
  }
}

TEST(ResolvePaths, RootCgroupIsRefused) {
  for (const char* root : {"/", "/a/..", "../../.."}) {
    auto p = resolve_paths(hybrid(), root, "web", false, {});
    ASSERT_FALSE(p) << root;
    EXPECT_NE(p.error().message.find("linux.cgroupsPath"), std::string::npos) << p.error().message;
    EXPECT_NE(p.error().message.find("root cgroup"), std::string::npos) << p.error().message;
  }
  Layout v2;
  v2.v2 = "/sys/fs/cgroup";
  EXPECT_FALSE(resolve_paths(v2, "/", "web", false, {}));
}

TEST(ReadPids, SortedUniqueUnionOfTheTree) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  fs::create_directories(tmp / "a/b");
  fs::create_directories(tmp / "c");
  put(tmp / "cgroup.procs", "12\n5\n");
  put(tmp / "a/cgroup.procs", "7\n5\n");
  put(tmp / "a/b/cgroup.procs", "3\n\n0\n-4\nnot-a-pid\n12\n");
  put(tmp / "c/cgroup.procs", "");
  auto pids = read_pids(tmp.path());
  ASSERT_TRUE(pids) << pids.error().message;
  EXPECT_EQ(*pids, (std::vector<pid_t>{3, 5, 7, 12}));
}

TEST(ReadPids, EmptyAndMissing) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  put(tmp / "cgroup.procs", "");
  auto empty = read_pids(tmp.path());
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_TRUE(empty->empty());

  auto missing = read_pids(tmp / "gone");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT);
  EXPECT_NE(missing.error().message.find(tmp / "gone/cgroup.procs"), std::string::npos) << missing.error().message;
}

// On cgroupfs, rmdir removes a cgroup with its interface files. In a temp
// tree rmdir only succeeds on empty directories, so these trees hold no
// files: no cgroup.procs (pids() fails, and destroy kills nothing) and no
// cgroup.freeze (not frozen).
TEST(CgroupDestroy, RemovesTheWholeTreeDeepestFirst) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  std::string dir = tmp / "ctr";
  fs::create_directories(dir + "/a/b/c");
  fs::create_directories(dir + "/d");
  auto m = make_v2_manager({{"", dir}});
  auto st = m->destroy();
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_TRUE(fs::exists(tmp.path()));

  // Nothing left: a second destroy is fine.
  auto again = m->destroy();
  EXPECT_TRUE(again) << again.error().message;
}

TEST(CgroupDestroy, V1RemovesEveryHierarchy) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  Layout l;
  l.v1 = {{tmp / "memory", "memory", {"memory"}}, {tmp / "pids", "pids", {"pids"}}};
  Paths paths{{"memory", tmp / "memory/berth/web"}, {"pids", tmp / "pids/berth/web"}};
  fs::create_directories(paths["memory"] + "/sub");
  fs::create_directories(paths["pids"]);
  auto m = make_manager(l, paths);
  auto st = m->destroy();
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_FALSE(fs::exists(paths["memory"]));
  EXPECT_FALSE(fs::exists(paths["pids"]));
  EXPECT_TRUE(fs::exists(tmp / "memory/berth"));  // only the container's own directory goes
}

TEST(CgroupDestroy, ThawsFirstAndReportsADirectoryItCannotRemove) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  std::string dir = tmp / "ctr";
  fs::create_directories(dir);
  put(dir + "/cgroup.procs", "");
  put(dir + "/cgroup.freeze", "1");
  auto m = make_v2_manager({{"", dir}});
  ASSERT_TRUE(m->frozen());
  auto st = m->destroy();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ENOTEMPTY);
  EXPECT_NE(st.error().message.find("remove cgroup " + dir), std::string::npos) << st.error().message;
  EXPECT_EQ(read(dir + "/cgroup.freeze"), "0");  // thawed before the kill and the removal
  EXPECT_FALSE(m->frozen());
}

}  // namespace
}  // namespace berth::cgroups
