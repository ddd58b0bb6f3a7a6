// Sandboxes (runhcs's model), in each annotation dialect: members join the
// sandbox's network, ipc and uts namespaces; create of a member checks its
// sandbox and leaves nothing when it fails; list shows the sandbox; delete
// of a sandbox guards (or, forced, removes) its members.
#include <unistd.h>

#include <sstream>
#include <thread>

#include "harness.h"
#include "leftovers.h"

namespace berth::test {
namespace {

struct Dialect {
  const char* name;
  const char* type_key;
  const char* id_key;
  const char* sandbox_type;  // the value that makes a sandbox
};

const Dialect kDialects[] = {
    {"containerd", "io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id", "sandbox"},
    {"crio", "io.kubernetes.cri-o.ContainerType", "io.kubernetes.cri-o.SandboxID", "sandbox"},
    {"docker", "io.kubernetes.docker.type", "io.kubernetes.sandbox.id", "podsandbox"},
};

std::string ns_of(int pid, const std::string& ns) {
  char buf[128] = {};
  ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/ns/" + ns).c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, n) : "";
}

std::vector<std::string> fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

class Sandbox : public BerthTest, public ::testing::WithParamInterface<Dialect> {
 protected:
  void SetUp() override {
    BerthTest::SetUp();
    BERTH_ONLY("sandbox annotations are berth's extension (runc ignores annotations)");
    ::setenv("BERTH_TEST_TAG", tmp_.c_str(), 1);
    before_ = snapshot_host();
  }
  void TearDown() override {
    BerthTest::TearDown();
    ::unsetenv("BERTH_TEST_TAG");
  }

  // A fresh default config annotated as a sandbox (sandbox_id) or a member
  // of one (type "container").
  void annotate(const std::string& type, const std::string& sandbox_id) {
    config_ = default_config();
    config_["annotations"] = {{GetParam().type_key, type}, {GetParam().id_key, sandbox_id}};
    write_config();
  }
  void as_sandbox(const std::string& id) { annotate(GetParam().sandbox_type, id); }
  void as_member(const std::string& sandbox_id) { annotate("container", sandbox_id); }
  bool crio() const { return std::string(GetParam().name) == "crio"; }

  // Runs a detached container of the current config sleeping; returns its pid.
  int run_sleeping(const std::string& id) {
    set_args({"/bin/probe", "sleep"});
    RunResult r = berth({"run", "-d", "--bundle", bundle_, id});
    EXPECT_EQ(r.code, 0) << id << ": " << r.err;
    return pid_of(id);
  }
  int start_sandbox(const std::string& id) {
    as_sandbox(id);
    config_["hostname"] = "pod-host";
    return run_sleeping(id);
  }
  int pid_of(const std::string& id) {
    auto j = nlohmann::json::parse(berth({"state", id}).out, nullptr, false);
    return j.is_object() ? j.value("pid", 0) : 0;
  }

  HostSnapshot before_;
};

TEST_P(Sandbox, MemberSharesNetIpcUtsAndHasItsOwnPidNamespace) {
  int sb = start_sandbox("pod");
  ASSERT_GT(sb, 0);
  // Listed without a path (Kubernetes' way), with a hostname of its own.
  as_member("pod");
  config_["hostname"] = "member-host";
  set_args({"/bin/probe", "ns", "pid", "hostname"});
  RunResult r = berth({"run", "--bundle", bundle_, "app"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  for (const char* ns : {"net", "ipc", "uts"}) EXPECT_EQ(p[std::string("ns.") + ns], ns_of(sb, ns)) << ns;
  for (const char* ns : {"pid", "mnt", "cgroup"}) EXPECT_NE(p[std::string("ns.") + ns], ns_of(sb, ns)) << ns;
  EXPECT_EQ(p["pid"], "1");
  EXPECT_EQ(p["hostname"], "pod-host");  // the pod's name, not renamed by the member
  EXPECT_NE(r.err.find("hostname"), std::string::npos) << "a warning names the dropped field: " << r.err;

  // Not listed at all: joined too.
  as_member("pod");
  config_.erase("hostname");
  config_["linux"]["namespaces"] = {{{"type", "pid"}}, {{"type", "mount"}}};
  set_args({"/bin/probe", "ns"});
  r = berth({"run", "--bundle", bundle_, "app2"});
  ASSERT_EQ(r.code, 0) << r.err;
  p = parse_probe(r.out);
  for (const char* ns : {"net", "ipc", "uts"}) EXPECT_EQ(p[std::string("ns.") + ns], ns_of(sb, ns)) << ns;
  EXPECT_EQ(berth({"state", "pod"}).code, 0);
  EXPECT_EQ(status_of("pod"), "running");
}

TEST_P(Sandbox, AnExplicitPathInTheMemberWins) {
  int sb = start_sandbox("pod");
  config_ = default_config();
  int other = run_sleeping("other");
  ASSERT_GT(sb, 0);
  ASSERT_GT(other, 0);
  as_member("pod");
  config_.erase("hostname");
  for (auto& ns : config_["linux"]["namespaces"])
    if (ns["type"] == "network") ns["path"] = "/proc/" + std::to_string(other) + "/ns/net";
  set_args({"/bin/probe", "ns"});
  RunResult r = berth({"run", "--bundle", bundle_, "app"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["ns.net"], ns_of(other, "net"));
  EXPECT_NE(p["ns.net"], ns_of(sb, "net"));
  EXPECT_EQ(p["ns.ipc"], ns_of(sb, "ipc"));
  EXPECT_EQ(p["ns.uts"], ns_of(sb, "uts"));
}

TEST_P(Sandbox, MemberOfAMissingSandboxFailsAndLeavesNothing) {
  as_member("m-nopod");
  RunResult r = berth({"create", "--bundle", bundle_, "m-app"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(GetParam().id_key), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sandbox \"m-nopod\" does not exist"), std::string::npos) << r.err;
  EXPECT_EQ(leftovers(before_, root_, tmp_, "m-"), "");
}

// podman's `pod create --infra=false`: the members name the pod itself as
// their CRI-O sandbox, and no container has its id. Such a member runs on
// the namespaces of its config, in no sandbox, as with runc. Only podman's
// (io.container.manager "libpod"): podman never makes a sandbox.
TEST_P(Sandbox, PodmanMemberOfAPodWithoutInfraRunsOnItsPaths) {
  if (!crio()) GTEST_SKIP() << "podman writes CRI-O's annotations";
  config_ = default_config();
  int other = run_sleeping("m-other");
  ASSERT_GT(other, 0);
  as_member("m-nopod");
  config_["annotations"]["io.container.manager"] = "libpod";
  for (auto& ns : config_["linux"]["namespaces"])
    if (ns["type"] == "network") ns["path"] = "/proc/" + std::to_string(other) + "/ns/net";
  set_args({"/bin/probe", "ns"});
  RunResult r = berth({"run", "--bundle", bundle_, "m-app"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(parse_probe(r.out)["ns.net"], ns_of(other, "net"));
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "m-app2"}).code, 0);
  auto rows = nlohmann::json::parse(berth({"list", "--format", "json"}).out, nullptr, false);
  bool listed = false;
  for (const auto& c : rows)
    if (c.value("id", "") == "m-app2") {
      listed = true;
      EXPECT_FALSE(c.contains("sandbox")) << c.dump();
    }
  EXPECT_TRUE(listed);
  ASSERT_EQ(berth({"delete", "--force", "m-app2"}).code, 0);
  ASSERT_EQ(berth({"delete", "--force", "m-other"}).code, 0);
  EXPECT_EQ(leftovers(before_, root_, tmp_, "m-"), "");
}

// podman's pods: the infra container carries no type annotation, the members
// name it as their sandbox and pass each shared namespace as a path. Such a
// member runs, joins what its paths say (and nothing more), and belongs to
// no sandbox: the infra's delete does not wait for it.
TEST_P(Sandbox, MemberOfAPlainContainerJoinsWhatItsPathsSay) {
  config_ = default_config();
  int infra = run_sleeping("m-plain");
  ASSERT_GT(infra, 0);
  as_member("m-plain");
  for (auto& ns : config_["linux"]["namespaces"])
    if (ns["type"] == "network") ns["path"] = "/proc/" + std::to_string(infra) + "/ns/net";
  set_args({"/bin/probe", "ns"});
  RunResult r = berth({"run", "--bundle", bundle_, "m-app"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["ns.net"], ns_of(infra, "net"));
  EXPECT_NE(p["ns.uts"], ns_of(infra, "uts"));  // no path given: its own
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "m-app2"}).code, 0);
  auto row = nlohmann::json::parse(berth({"list", "--format", "json"}).out, nullptr, false);
  for (const auto& c : row)
    if (c.value("id", "") == "m-app2") {
      EXPECT_FALSE(c.contains("sandbox")) << c.dump();
    }
  EXPECT_EQ(berth({"delete", "--force", "m-plain"}).code, 0);
  EXPECT_EQ(status_of("m-app2"), "running");
  ASSERT_EQ(berth({"delete", "--force", "m-app2"}).code, 0);
  EXPECT_EQ(leftovers(before_, root_, tmp_, "m-"), "");
}

TEST_P(Sandbox, MemberOfAStoppedSandboxFailsAndLeavesNothing) {
  as_sandbox("m-pod");
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "m-pod"}).code, 0);
  ASSERT_EQ(berth({"kill", "m-pod", "KILL"}).code, 0);
  ASSERT_EQ(wait_status("m-pod", "stopped"), "stopped");
  as_member("m-pod");
  RunResult r = berth({"create", "--bundle", bundle_, "m-app"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(GetParam().id_key), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sandbox \"m-pod\" is stopped"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(root_ + "/m-app"));
  // Unforced: a member left behind would stay and show below.
  ASSERT_EQ(berth({"delete", "m-pod"}).code, 0);
  EXPECT_EQ(leftovers(before_, root_, tmp_, "m-"), "");
}

TEST_P(Sandbox, SandboxIdThatIsNotTheContainersFails) {
  annotate(GetParam().sandbox_type, "m-other");
  RunResult r = berth({"create", "--bundle", bundle_, "m-pod"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("sandbox ID must match ID"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(GetParam().id_key), std::string::npos) << r.err;
  EXPECT_EQ(leftovers(before_, root_, tmp_, "m-"), "");
}

TEST_P(Sandbox, ListShowsTheSandboxColumnAndField) {
  ASSERT_GT(start_sandbox("pod"), 0);
  as_member("pod");
  config_.erase("hostname");
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "app"}).code, 0);
  config_ = default_config();
  ASSERT_GT(run_sleeping("solo"), 0);

  RunResult t = berth({"list"});
  ASSERT_EQ(t.code, 0) << t.err;
  std::map<std::string, std::vector<std::string>> rows;
  std::istringstream in(t.out);
  for (std::string line; std::getline(in, line);) {
    auto f = fields(line);
    if (!f.empty()) rows[f[0]] = f;
  }
  // runc's six columns first, unchanged; SANDBOX last.
  EXPECT_EQ(rows["ID"], (std::vector<std::string>{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER", "SANDBOX"}));
  ASSERT_EQ(rows["pod"].size(), 7u) << t.out;
  EXPECT_EQ(rows["pod"][2], "running");
  EXPECT_EQ(rows["pod"][6], "pod");
  ASSERT_EQ(rows["app"].size(), 7u) << t.out;
  EXPECT_EQ(rows["app"][2], "created");
  EXPECT_EQ(rows["app"][6], "pod");
  EXPECT_EQ(rows["solo"].size(), 6u) << t.out;

  RunResult j = berth({"list", "--format", "json"});
  ASSERT_EQ(j.code, 0) << j.err;
  auto list = nlohmann::json::parse(j.out);
  std::map<std::string, nlohmann::json> by_id;
  for (const auto& e : list) by_id[e["id"]] = e;
  EXPECT_EQ(by_id["pod"].value("sandbox", ""), "pod");
  EXPECT_EQ(by_id["app"].value("sandbox", ""), "pod");
  EXPECT_FALSE(by_id["solo"].contains("sandbox")) << j.out;
  EXPECT_EQ(by_id["app"]["status"], "created");
}

TEST_P(Sandbox, DeleteGuardsLiveMembersAndForceRemovesThemFirst) {
  int sb = start_sandbox("m-pod");
  as_member("m-pod");
  config_.erase("hostname");
  int app = run_sleeping("m-app");
  ASSERT_GT(sb, 0);
  ASSERT_GT(app, 0);

  RunResult r = berth({"delete", "m-pod"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("m-app"), std::string::npos) << r.err;
  EXPECT_EQ(status_of("m-pod"), "running");
  EXPECT_EQ(status_of("m-app"), "running");

  // Stopped sandbox, running member: still refused.
  ASSERT_EQ(berth({"kill", "m-pod", "KILL"}).code, 0);
  ASSERT_EQ(wait_status("m-pod", "stopped"), "stopped");
  r = berth({"delete", "m-pod"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("m-app"), std::string::npos) << r.err;
  EXPECT_TRUE(exists(root_ + "/m-pod"));
  EXPECT_EQ(status_of("m-app"), "running");

  r = berth({"delete", "--force", "m-pod"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(exists(root_ + "/m-pod"));
  EXPECT_FALSE(exists(root_ + "/m-app"));
  EXPECT_FALSE(pid_alive(app));
  EXPECT_FALSE(pid_alive(sb));
  EXPECT_EQ(leftovers(before_, root_, tmp_, "m-"), "");
}

TEST_P(Sandbox, ForceDeleteOfARunningSandboxRemovesCreatedAndRunningMembers) {
  int sb = start_sandbox("m-pod");
  as_member("m-pod");
  config_.erase("hostname");
  int running = run_sleeping("m-run");
  ASSERT_EQ(berth({"create", "--bundle", bundle_, "m-parked"}).code, 0);
  int parked = pid_of("m-parked");
  ASSERT_GT(sb, 0);
  ASSERT_GT(running, 0);
  ASSERT_GT(parked, 0);
  RunResult r = berth({"delete", "--force", "m-pod"});
  EXPECT_EQ(r.code, 0) << r.err;
  for (int pid : {sb, running, parked}) EXPECT_FALSE(pid_alive(pid)) << pid;
  EXPECT_EQ(leftovers(before_, root_, tmp_, "m-"), "");
}

TEST_P(Sandbox, StoppedSandboxWithStoppedMembersDeletesOnlyItself) {
  int sb = start_sandbox("pod");
  as_member("pod");
  config_.erase("hostname");
  ASSERT_GT(run_sleeping("app"), 0);
  ASSERT_GT(sb, 0);
  ASSERT_EQ(berth({"kill", "app", "KILL"}).code, 0);
  ASSERT_EQ(berth({"kill", "pod", "KILL"}).code, 0);
  ASSERT_EQ(wait_status("app", "stopped"), "stopped");
  ASSERT_EQ(wait_status("pod", "stopped"), "stopped");
  RunResult r = berth({"delete", "pod"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(exists(root_ + "/pod"));
  EXPECT_EQ(status_of("app"), "stopped");  // named containers only, unless forced
  EXPECT_EQ(berth({"delete", "app"}).code, 0);
}

TEST_P(Sandbox, MemberWithoutAUserNamespaceJoinsASandboxThatHasOne) {
  as_sandbox("pod");
  config_["linux"]["namespaces"].push_back({{"type", "user"}});
  config_["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 500000}, {"size", 65536}}};
  config_["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 500000}, {"size", 65536}}};
  int sb = run_sleeping("pod");
  ASSERT_GT(sb, 0);
  as_member("pod");
  config_.erase("hostname");
  set_args({"/bin/probe", "ns", "id"});
  RunResult r = berth({"run", "--bundle", bundle_, "app"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  for (const char* ns : {"net", "ipc", "uts"}) EXPECT_EQ(p[std::string("ns.") + ns], ns_of(sb, ns)) << ns;
  EXPECT_EQ(p["ns.user"], ns_of(::getpid(), "user"));  // left alone: the host's
}

TEST_P(Sandbox, MembersCreatedDuringAForcedDeleteNeverOutliveTheSandbox) {
  // Lock order at work: each member create either saw the sandbox (and the
  // delete then found and removed it) or found it gone.
  for (int round = 0; round < 3; ++round) {
    ASSERT_GT(start_sandbox("m-pod"), 0);
    as_member("m-pod");
    config_.erase("hostname");
    set_args({"/bin/probe", "sleep"});
    std::vector<std::thread> creates;
    for (int i = 0; i < 4; ++i)
      creates.emplace_back([this, i] { berth({"create", "--bundle", bundle_, "m-app" + std::to_string(i)}); });
    RunResult del = berth({"delete", "--force", "m-pod"});
    for (auto& t : creates) t.join();
    EXPECT_EQ(del.code, 0) << del.err;
    EXPECT_EQ(berth({"list", "-q"}).out, "") << "round " << round;
    EXPECT_EQ(leftovers(before_, root_, tmp_, "m-"), "") << "round " << round;
    for (int i = 0; i < 4; ++i) berth({"delete", "--force", "m-app" + std::to_string(i)});
  }
}

INSTANTIATE_TEST_SUITE_P(Dialects, Sandbox, ::testing::ValuesIn(kDialects),
                         [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace berth::test
