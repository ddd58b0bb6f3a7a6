// Rootless: an ordinary user (made by the test, removed after) runs
// containers with `berth spec --rootless` configs. The user's uid is root
// inside; state lives under $XDG_RUNTIME_DIR/berth; cgroups the user may not
// make are skipped, as with runc's --rootless auto.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "harness.h"

namespace berth::test {
namespace {

// uid_map pads its columns: "         0       1001          1" -> "0 1001 1".
std::string squeeze(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' && (out.empty() || out.back() == ' ' || out.back() == '\n')) continue;
    out += c;
  }
  return out;
}

class Rootless : public BerthTest {
 protected:
  void SetUp() override {
    BerthTest::SetUp();
    user_ = "berth-rl-" + std::to_string(::getpid() % 100000);
    RunResult add = run_cmd({"/usr/sbin/useradd", "--no-create-home", "--shell", "/bin/false", user_});
    ASSERT_EQ(add.code, 0) << add.err;
    struct passwd* pw = ::getpwnam(user_.c_str());
    ASSERT_NE(pw, nullptr);
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
    // The user needs to reach the bundle and own its runtime directory.
    ::chmod(tmp_.c_str(), 0755);
    xdg_ = tmp_ + "/xdg";
    ::mkdir(xdg_.c_str(), 0700);
    ASSERT_EQ(::chown(xdg_.c_str(), uid_, gid_), 0);
    ASSERT_EQ(::chown(bundle_.c_str(), uid_, gid_), 0);
  }
  void TearDown() override {
    if (!user_.empty()) {
      as_user({"delete", "--force", "rl"});
      run_cmd({"/usr/sbin/userdel", user_});
    }
    BerthTest::TearDown();
  }
  // The runtime as the user, with no capabilities and no --root.
  RunResult as_user(std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/setpriv",        "--reuid",        std::to_string(uid_), "--regid",
                                     std::to_string(gid_),      "--clear-groups", "--inh-caps=-all",    "/usr/bin/env",
                                     "XDG_RUNTIME_DIR=" + xdg_, runtime()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_cmd(argv);
  }
  // The user's `berth spec --rootless`, pointed at the test rootfs.
  void rootless_config(const std::vector<std::string>& args) {
    ::unlink((bundle_ + "/config.json").c_str());  // the harness's
    RunResult spec = as_user({"spec", "--rootless", "--bundle", bundle_});
    ASSERT_EQ(spec.code, 0) << spec.err;
    config_ = nlohmann::json::parse(read_text(bundle_ + "/config.json"));
    config_["root"] = {{"path", BERTH_TEST_ROOTFS}, {"readonly", true}};
    config_["process"]["terminal"] = false;
    config_["process"]["args"] = args;
    write_config();
  }

  std::string user_, xdg_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

TEST_F(Rootless, OrdinaryUserRunsAContainerAsRootInside) {
  rootless_config({"/bin/sh", "-c", "/bin/probe id; cat /proc/self/uid_map"});
  RunResult r = as_user({"run", "--bundle", bundle_, "rl"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["uid"], "0");
  EXPECT_EQ(p["gid"], "0");
  // uid 0 inside is the user outside, and nothing else is mapped.
  EXPECT_NE(squeeze(r.out).find("\n0 " + std::to_string(uid_) + " 1\n"), std::string::npos) << r.out;
  EXPECT_EQ(squeeze(r.out).find("\n0 0 "), std::string::npos) << r.out;
}

TEST_F(Rootless, StateLivesInTheUsersRuntimeDirAndDeleteCleansUp) {
  rootless_config({"/bin/probe", "sleep"});
  auto mounts = mount_points();
  RunResult r = as_user({"run", "-d", "--bundle", bundle_, "rl"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(exists(xdg_ + "/" + runtime_name() + "/rl/state.json"));
  RunResult st = as_user({"state", "rl"});
  ASSERT_EQ(st.code, 0) << st.err;
  auto state = nlohmann::json::parse(st.out);
  EXPECT_EQ(state["status"], "running");
  int pid = state["pid"];
  // The container's process belongs to the user on the host.
  struct stat sb {};
  ASSERT_EQ(::stat(("/proc/" + std::to_string(pid)).c_str(), &sb), 0);
  EXPECT_EQ(sb.st_uid, uid_);
  RunResult k = as_user({"kill", "rl", "KILL"});
  EXPECT_EQ(k.code, 0) << k.err;
  EXPECT_EQ(as_user({"delete", "--force", "rl"}).code, 0);
  EXPECT_FALSE(exists(xdg_ + "/" + runtime_name() + "/rl"));
  EXPECT_FALSE(pid_alive(pid));
  EXPECT_EQ(mount_points(), mounts);
}

TEST_F(Rootless, SubordinateIdsAreMappedWithNewuidmap) {
  if (!exists("/usr/bin/newuidmap")) GTEST_SKIP() << "newuidmap missing (Debian's uidmap package)";
  if (read_text("/etc/subuid").find(user_ + ":") == std::string::npos)
    GTEST_SKIP() << "useradd gave the user no /etc/subuid range";
  rootless_config({"/bin/sh", "-c", "cat /proc/self/uid_map; chown 1000:1000 /dev/shm && stat -c owner=%u /dev/shm"});
  // uid 1.. inside are the user's subordinate ids.
  std::string sub = read_text("/etc/subuid");
  sub = sub.substr(sub.find(user_ + ":") + user_.size() + 1);
  int64_t first = std::stoll(sub.substr(0, sub.find(':')));
  for (const char* key : {"uidMappings", "gidMappings"})
    config_["linux"][key].push_back({{"containerID", 1}, {"hostID", first}, {"size", 65536}});
  config_["process"]["capabilities"]["bounding"].push_back("CAP_CHOWN");
  config_["process"]["capabilities"]["effective"].push_back("CAP_CHOWN");
  config_["process"]["capabilities"]["permitted"].push_back("CAP_CHOWN");
  write_config();
  RunResult r = as_user({"run", "--bundle", bundle_, "rl"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(squeeze(r.out).find("\n1 " + std::to_string(first) + " 65536\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("owner=1000"), std::string::npos) << r.out;
}

// Rootless podman on cgroup v1 passes "resources": {}: nothing is lost when
// the user may not make a cgroup, so nothing is said; a limit that is lost is.
TEST_F(Rootless, OnlyLimitsThatCannotBeAppliedAreWarnedAbout) {
  rootless_config({"/bin/true"});
  config_["linux"]["resources"] = nlohmann::json::object();
  write_config();
  RunResult r = as_user({"run", "--bundle", bundle_, "rl"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("not applied"), std::string::npos) << r.err;
  BERTH_ONLY("the warning's words are berth's");
  config_["linux"]["resources"] = {{"pids", {{"limit", 50}}}};
  write_config();
  r = as_user({"run", "--bundle", bundle_, "rl"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("linux.resources not applied"), std::string::npos) << r.err;
}

TEST_F(Rootless, MappingOtherIdsWithoutHelpersIsAClearError) {
  rootless_config({"/bin/true"});
  config_["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 0}, {"size", 1}}};
  write_config();
  RunResult r = as_user({"run", "--bundle", bundle_, "rl"});
  EXPECT_EQ(r.code, 1);
  if (runtime_is_berth()) {
    EXPECT_NE(r.err.find("linux.uidMappings"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(exists(xdg_ + "/" + runtime_name() + "/rl"));
}

}  // namespace
}  // namespace berth::test
