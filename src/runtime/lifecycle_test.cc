// The platform-neutral lifecycle over a fake platform: create, start, kill,
// pause, delete, a sandbox member and a rollback, with no namespace, cgroup
// or process of Linux's. What the runtime asks of a platform, and in which
// order, is the contract src/platform/platform.h states; the fake records
// it, and these tests check it.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "oci/parse.h"
#include "platform/platform.h"
#include "runtime/commands.h"
#include "runtime/container.h"
#include "runtime/create.h"

namespace berth::runtime {
namespace {

// What the fake "system" holds of one container: the truth its status is
// derived from, as a kernel would hold it for Linux.
struct FakeSystem {
  bool made = false;  // an init exists
  bool started = false;
  bool paused = false;
  bool exited = false;
  bool destroyed = false;
  std::string host;  // the container it was created in
  std::vector<int> signals;
  std::vector<std::string> calls;  // in order
};

class FakeProcess final : public platform::Process {
 public:
  explicit FakeProcess(FakeSystem* s) : s_(s) {}
  pid_t pid() const override { return 4242; }
  int exit_fd() const override { return -1; }
  Result<int> exit_status() override { return 0; }
  Status signal(int sig) override {
    s_->signals.push_back(sig);
    return {};
  }
  void terminate() override { s_->exited = true; }

 private:
  FakeSystem* s_;
};

class FakeContainer final : public platform::Container {
 public:
  explicit FakeContainer(FakeSystem* s) : s_(s) {}
  pid_t pid() const override { return s_->made ? 4242 : 0; }
  std::string record() const override { return nlohmann::json{{"made", s_->made}}.dump(); }
  state::Status status() override {
    if (!s_->made) return state::Status::kCreating;
    if (s_->exited || s_->destroyed) return state::Status::kStopped;
    if (!s_->started) return state::Status::kCreated;
    return s_->paused ? state::Status::kPaused : state::Status::kRunning;
  }
  Status start() override {
    s_->calls.push_back("start");
    s_->started = true;
    return {};
  }
  Status signal(int sig, bool) override {
    s_->calls.push_back("signal");
    s_->signals.push_back(sig);
    if (sig == SIGKILL) s_->exited = true;
    return {};
  }
  bool can_signal_all() const override { return false; }
  Status pause() override {
    s_->calls.push_back("pause");
    s_->paused = true;
    return {};
  }
  Status resume() override {
    s_->calls.push_back("resume");
    s_->paused = false;
    return {};
  }
  Status update(const oci::Resources&) override { return {}; }
  Result<platform::Stats> statistics() override { return platform::Stats{}; }
  Result<std::vector<pid_t>> pids(state::Status) override { return std::vector<pid_t>{4242}; }
  Result<std::vector<platform::ProcessInfo>> processes(state::Status) override {
    return std::vector<platform::ProcessInfo>{};
  }
  Result<platform::Execed> create_process(const platform::ExecRequest&) override {
    platform::Execed e;
    e.process = std::make_unique<FakeProcess>(s_);
    return e;
  }
  Result<std::unique_ptr<platform::Process>> open_process(pid_t) override {
    return std::unique_ptr<platform::Process>(std::make_unique<FakeProcess>(s_));
  }
  Result<std::unique_ptr<platform::OomWatch>> oom_events() override { return std::unique_ptr<platform::OomWatch>(); }
  Status destroy(std::vector<std::string>*) override {
    s_->calls.push_back("destroy");
    s_->destroyed = true;
    return {};
  }

 private:
  FakeSystem* s_;
};

class FakePlatform;

class FakeCreation final : public platform::Creation {
 public:
  FakeCreation(FakePlatform* p, platform::CreateRequest& req);
  Status make(const state::ContainerDir& dir, const platform::CreateCallbacks& cb) override;
  platform::Container& container() override { return *container_; }
  std::unique_ptr<platform::Container> take_container() override { return std::move(container_); }
  platform::Process& init() override { return init_; }
  Status start_now() override { return container_->start(); }
  Result<Fd> take_console() override { return Fd(); }
  std::vector<std::string>& warnings() override { return warnings_; }

 private:
  FakePlatform* p_;
  FakeSystem* s_;
  std::unique_ptr<FakeContainer> container_;
  FakeProcess init_;
  std::vector<std::string> warnings_;
};

class FakePlatform final : public platform::Platform {
 public:
  explicit FakePlatform(std::string name, std::string section = "")
      : name_(std::move(name)), section_(std::move(section)) {}
  std::string_view name() const override { return name_; }
  bool honours(std::string_view section) const override { return !section_.empty() && section == section_; }
  Result<std::unique_ptr<platform::Creation>> prepare(platform::CreateRequest& req) override {
    return std::unique_ptr<platform::Creation>(std::make_unique<FakeCreation>(this, req));
  }
  Result<std::unique_ptr<platform::Container>> open(const state::ContainerDir&,
                                                    const state::ContainerState& st) override {
    auto part = nlohmann::json::parse(st.platform_state, nullptr, false);
    if (!part.is_object()) return invalid("state.json: fake: not an object");
    return std::unique_ptr<platform::Container>(std::make_unique<FakeContainer>(&systems[st.id]));
  }
  void features(nlohmann::ordered_json&) const override {}
  Status protect_self(char**) override { return {}; }
  bool in_user_namespace() const override { return false; }

  std::map<std::string, FakeSystem> systems;
  std::string fail_after_record;  // the id whose make fails once its record is saved
  int records = 0;                // record() calls seen, all creates
  std::vector<std::string> hook_states;

 private:
  std::string name_, section_;
};

FakeCreation::FakeCreation(FakePlatform* p, platform::CreateRequest& req)
    : p_(p), s_(&p->systems[req.opts.id]), container_(std::make_unique<FakeContainer>(s_)), init_(s_) {
  if (req.host) s_->host = req.host_id;
}

Status FakeCreation::make(const state::ContainerDir&, const platform::CreateCallbacks& cb) {
  // Recorded before it is made, as every platform must.
  BERTH_TRY(cb.record());
  ++p_->records;
  cb.recorded();
  if (!p_->fail_after_record.empty() && &p_->systems[p_->fail_after_record] == s_) {
    s_->made = true;  // half made: an init exists, the rest failed
    return make_error(ErrorKind::kInternal, "fake: failed half-way");
  }
  s_->made = true;
  BERTH_TRY(cb.record());
  ++p_->records;
  p_->hook_states.push_back(cb.state_json(init_.pid()));
  return cb.create_hooks(p_->hook_states.back());
}

class Lifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/berth-lifecycle.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
    store_ = std::make_unique<state::Store>(tmp_ + "/root");
    saved_ = platform::registry();
    platform::registry().clear();
    platform::registry().add(&fake_);
  }
  void TearDown() override {
    platform::registry() = saved_;
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }

  // A bundle whose config.json is `berth spec`'s with these annotations.
  std::string bundle(const std::string& name, const std::map<std::string, std::string>& annotations = {},
                     const std::string& extra_section = "") {
    std::string dir = tmp_ + "/" + name;
    std::filesystem::create_directories(dir + "/rootfs");
    auto j = nlohmann::json::parse(oci::default_spec_json(false, 0, 0));
    j["process"]["terminal"] = false;
    for (const auto& [k, v] : annotations) j["annotations"][k] = v;
    if (!extra_section.empty()) j[extra_section] = nlohmann::json::object();
    if (extra_section == "vm") j["vm"]["kernel"]["path"] = "/boot/vmlinuz";  // the one required field
    std::ofstream(dir + "/config.json") << j.dump();
    return dir;
  }

  Result<Created> create(const std::string& id, const std::string& bundle_dir, Park park = Park::kStartCommand) {
    CreateOptions opts;
    opts.id = id;
    opts.bundle = bundle_dir;
    return runtime::create(*store_, opts, park);
  }

  // A state directory with this record, unlocked, as a create that died leaves it.
  void record_by_hand(const std::string& id, const std::string& platform, const std::string& part) {
    auto dir = store_->create(id);
    ASSERT_TRUE(dir) << dir.error().message;
    state::ContainerState st;
    st.id = id;
    st.platform = platform;
    st.platform_state = part;
    ASSERT_TRUE(dir->save(st));
  }

  state::Status status(const std::string& id) {
    auto c = load(*store_, id, false);
    EXPECT_TRUE(c) << c.error().message;
    return c ? c->status : state::Status::kStopped;
  }

  std::string tmp_;
  std::unique_ptr<state::Store> store_;
  FakePlatform fake_{"fake"};
  platform::Registry saved_;
};

TEST_F(Lifecycle, CreateStartKillPauseDeleteOverTheInterface) {
  {
    auto c = create("web", bundle("b"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->c.status, state::Status::kCreated);
  }  // the create's lock goes with it
  // The record names its platform and keeps the platform's part apart.
  auto text = read_file(store_->root() + "/web/state.json");
  ASSERT_TRUE(text);
  auto j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["platform"], "fake");
  EXPECT_EQ(j["fake"]["made"], true);
  EXPECT_FALSE(j.contains("pid")) << "a platform's fields stay in its part";
  EXPECT_EQ(status("web"), state::Status::kCreated);
  EXPECT_EQ(fake_.records, 2);
  // The create hooks saw "creating" and the pid the platform gave.
  ASSERT_EQ(fake_.hook_states.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(fake_.hook_states[0])["status"], "creating");
  EXPECT_EQ(nlohmann::json::parse(fake_.hook_states[0])["pid"], 4242);

  ASSERT_TRUE(start(*store_, "web"));
  EXPECT_EQ(status("web"), state::Status::kRunning);
  auto again = start(*store_, "web");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict);

  ASSERT_TRUE(pause(*store_, "web"));
  EXPECT_EQ(status("web"), state::Status::kPaused);
  EXPECT_FALSE(pause(*store_, "web"));  // paused already: the runtime's rule, not the platform's
  ASSERT_TRUE(resume(*store_, "web"));
  EXPECT_EQ(status("web"), state::Status::kRunning);

  auto not_stopped = remove(*store_, "web", false);
  ASSERT_FALSE(not_stopped);
  EXPECT_EQ(not_stopped.error().kind, ErrorKind::kConflict);
  ASSERT_TRUE(kill(*store_, "web", SIGTERM, false));
  ASSERT_TRUE(kill(*store_, "web", SIGKILL, false));
  EXPECT_EQ(fake_.systems["web"].signals, (std::vector<int>{SIGTERM, SIGKILL}));
  EXPECT_EQ(status("web"), state::Status::kStopped);
  auto dead = kill(*store_, "web", SIGTERM, false);
  ASSERT_FALSE(dead);
  EXPECT_EQ(dead.error().kind, ErrorKind::kConflict);

  ASSERT_TRUE(remove(*store_, "web", false));
  EXPECT_TRUE(fake_.systems["web"].destroyed);
  EXPECT_FALSE(path_exists(store_->root() + "/web"));
  EXPECT_EQ(fake_.systems["web"].calls,
            (std::vector<std::string>{"start", "pause", "resume", "signal", "signal", "destroy"}));
}

TEST_F(Lifecycle, ASandboxMemberIsCreatedInItsHostAndGoesFirst) {
  const std::string type = "io.kubernetes.cri.container-type", sid = "io.kubernetes.cri.sandbox-id";
  auto pod = create("pod", bundle("pod", {{type, "sandbox"}, {sid, "pod"}}));
  ASSERT_TRUE(pod) << pod.error().message;
  pod = Error{};  // unlocks the sandbox, as the create command's exit does
  auto app = create("app", bundle("app", {{type, "container"}, {sid, "pod"}}));
  ASSERT_TRUE(app) << app.error().message;
  app = Error{};
  EXPECT_EQ(fake_.systems["app"].host, "pod") << "the platform got the sandbox's container as the host";
  auto rec = nlohmann::json::parse(*read_file(store_->root() + "/app/state.json"));
  EXPECT_EQ(rec["sandbox"], "pod");
  EXPECT_EQ(rec["host"], "pod");

  // A member of a sandbox that is not there is refused before anything is made.
  auto orphan = create("lost", bundle("lost", {{type, "container"}, {sid, "nopod"}}));
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().kind, ErrorKind::kNotFound);
  EXPECT_FALSE(path_exists(store_->root() + "/lost"));

  auto busy = remove(*store_, "pod", false);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().kind, ErrorKind::kConflict);
  ASSERT_TRUE(remove(*store_, "pod", true));
  EXPECT_TRUE(fake_.systems["app"].destroyed);
  EXPECT_TRUE(fake_.systems["pod"].destroyed);
  EXPECT_FALSE(path_exists(store_->root() + "/app"));
  EXPECT_FALSE(path_exists(store_->root() + "/pod"));
}

TEST_F(Lifecycle, AFailedCreateIsRolledBackThroughThePlatform) {
  fake_.fail_after_record = "half";
  fake_.systems["half"];  // known to the fake before the create
  auto c = create("half", bundle("half"));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("create half"), std::string::npos) << c.error().message;
  EXPECT_TRUE(fake_.systems["half"].destroyed) << "what the platform made is destroyed";
  EXPECT_FALSE(path_exists(store_->root() + "/half")) << "and the state directory removed";
}

TEST_F(Lifecycle, ACrashAfterTheRecordLeavesADeletableContainer) {
  // A create that died after its first record: the directory and a record
  // whose platform part says nothing was made, no lock held.
  record_by_hand("crashed", "fake", R"({"made":false})");
  EXPECT_EQ(status("crashed"), state::Status::kStopped) << "no process and no create holding it: stopped";
  ASSERT_TRUE(remove(*store_, "crashed", false));
  EXPECT_TRUE(fake_.systems["crashed"].destroyed);
  EXPECT_FALSE(path_exists(store_->root() + "/crashed"));
}

TEST_F(Lifecycle, ASectionIsRoutedToThePlatformThatHonoursItOrRefused) {
  auto refused = create("v1", bundle("v1", {}, "vm"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kNotImplemented);
  EXPECT_NE(refused.error().message.find("vm:"), std::string::npos) << refused.error().message;
  EXPECT_FALSE(path_exists(store_->root() + "/v1"));

  FakePlatform vm("fakevm", "vm");
  platform::registry().add(&vm);
  auto v2 = create("v2", bundle("v2", {}, "vm"));
  ASSERT_TRUE(v2) << v2.error().message;
  v2 = Error{};
  EXPECT_EQ(nlohmann::json::parse(*read_file(store_->root() + "/v2/state.json"))["platform"], "fakevm");
  EXPECT_TRUE(vm.systems.count("v2"));
  ASSERT_TRUE(remove(*store_, "v2", true));
  EXPECT_TRUE(vm.systems["v2"].destroyed);
}

TEST_F(Lifecycle, ARecordOfAPlatformThisBuildLacksIsRefusedAndKept) {
  record_by_hand("alien", "hcs", "{}");
  auto del = remove(*store_, "alien", true);
  ASSERT_FALSE(del) << "it may run somewhere berth cannot see";
  EXPECT_TRUE(path_exists(store_->root() + "/alien"));
}

}  // namespace
}  // namespace berth::runtime
