#include "state/store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/proc.h"
#include "state/status.h"

namespace berth::state {
namespace {

using namespace std::chrono_literals;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/berth-store-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
    root_ = tmp_ + "/run/berth";  // not there yet: create makes it
  }
  void TearDown() override {
    std::error_code ec;
    if (!tmp_.empty()) std::filesystem::remove_all(tmp_, ec);
  }

  ContainerDir must_create(const std::string& id) {
    auto d = store().create(id);
    EXPECT_TRUE(d) << d.error().message;
    return std::move(d).value();
  }
  ContainerDir must_open(const std::string& id) {
    auto d = store().open(id);
    EXPECT_TRUE(d) << d.error().message;
    return std::move(d).value();
  }
  Store store() const { return Store(root_); }

  std::string tmp_, root_;
};

ContainerState sample_state() {
  ContainerState st;
  st.id = "web1";
  st.oci_version = "1.2.0";
  st.bundle = "/srv/bundles/web1";
  st.rootfs = "/srv/bundles/web1/rootfs";
  st.created = "2024-01-02T03:04:05.123456789Z";
  st.annotations = {{"org.example/a", "1"}, {"b", "with \"quotes\" and \n"}};
  st.sandbox = "pod1";
  st.platform = "vm";
  st.host = "pod1";
  st.platform_state = R"({"guest":{"pid":7},"vsock":3})";
  return st;
}

// The platform's part as JSON text, however the state holds it.
std::string part_of(const ContainerState& st) { return nlohmann::json::parse(st.platform_state).dump(); }

void expect_same(const ContainerState& a, const ContainerState& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.oci_version, b.oci_version);
  EXPECT_EQ(a.bundle, b.bundle);
  EXPECT_EQ(a.rootfs, b.rootfs);
  EXPECT_EQ(a.created, b.created);
  EXPECT_EQ(a.annotations, b.annotations);
  EXPECT_EQ(a.sandbox, b.sandbox);
  EXPECT_EQ(a.platform, b.platform);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(part_of(a), part_of(b));
}

TEST(ValidateId, Table) {
  const std::vector<std::string> valid = {"a", "A-b_c.d+e", "0", "...", std::string(255, 'x')};
  for (const auto& id : valid) EXPECT_TRUE(validate_id(id)) << "\"" << id << "\"";
  const std::vector<std::string> bad = {"",   ".",   "..",      "../x", "a/b", "a b", std::string(256, 'x'),
                                        "\n", "a\n", "\xc3\xa9"};
  for (const auto& id : bad) {
    auto r = validate_id(id);
    ASSERT_FALSE(r) << "\"" << id << "\"";
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument) << "\"" << id << "\"";
  }
}

TEST(StateCodec, RoundTripsEveryField) {
  ContainerState in = sample_state();
  auto out = decode_state(encode_state(in));
  ASSERT_TRUE(out) << out.error().message;
  expect_same(*out, in);

  ContainerState empty;
  empty.id = "x";
  auto out2 = decode_state(encode_state(empty));
  ASSERT_TRUE(out2) << out2.error().message;
  expect_same(*out2, empty);
}

TEST(StateCodec, RejectsNonObjectsWrongTypesAndMissingFields) {
  const char* cases[] = {
      "",
      "[]",
      "42",
      "\"s\"",
      "null",
      "{",
      "{} trailing",
      R"({"pid":0})",
      R"({"id":"a"})",  // written before the platform split, and without its pid
      R"({"id":1,"pid":0})",
      R"({"id":"a","pid":0,"ociVersion":1})",
      R"({"id":"a","pid":0,"bundle":5})",
      R"({"id":"a","pid":0,"annotations":"x"})",
      R"({"id":"a","pid":0,"annotations":{"k":1}})",
      R"({"id":"a","pid":0,"sandbox":5})",
      R"({"id":"a","platform":"linux"})",
      R"({"id":"a","platform":"linux","linux":[]})",
      R"({"id":"a","platform":"","":{}})",
      R"({"id":"a","platform":5,"linux":{}})",
      R"({"id":"a","platform":"linux","linux":{},"host":7})",
      R"({"id":"a","platform":"annotations","annotations":{}})",
      // The platform's own fields are the platform's to check
      // (platform/linux/record_test.cc).
  };
  for (const char* text : cases) {
    std::optional<Result<ContainerState>> r;
    EXPECT_NO_THROW(r.emplace(decode_state(text))) << text;
    ASSERT_TRUE(r.has_value()) << text;
    if (r->has_value()) {
      ADD_FAILURE() << text << " decoded, platform " << r->value().platform << " " << part_of(r->value());
      continue;
    }
    EXPECT_EQ(r->error().kind, ErrorKind::kInvalidArgument) << text;
    EXPECT_EQ(r->error().message.rfind("state.json: ", 0), 0u) << r->error().message;
  }
}

TEST(StateCodec, FilesWithoutSandboxDecodeAsOutsideAnySandbox) {
  // Written by a berth from before sandboxes; a container outside any
  // sandbox writes no field either.
  auto r = decode_state(R"({"id":"a","pid":0,"annotations":{"io.kubernetes.cri.container-type":"sandbox"}})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->sandbox, "");
  ContainerState plain;
  plain.id = "x";
  EXPECT_EQ(encode_state(plain).find("sandbox"), std::string::npos);
}

TEST(StateCodec, RecordsFromBeforeThePlatformSplitDecodeAsLinux) {
  // berth 0.1's state.json: the Linux fields at the top level.
  auto r = decode_state(
      R"({"id":"a","ociVersion":"1.2.0","pid":42,"pidStart":7,"bundle":"/b","rootfs":"/b/rootfs",)"
      R"("created":"2026-01-01T00:00:00Z","annotations":{},"cgroups":{"memory":"/sys/fs/cgroup/memory/a"},)"
      R"("poststart":[],"poststop":[],"seccomp":"{}"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->platform, "linux");
  EXPECT_EQ(r->host, "");
  EXPECT_EQ(r->bundle, "/b");
  EXPECT_EQ(part_of(*r), R"({"cgroups":{"memory":"/sys/fs/cgroup/memory/a"},"pid":42,"pidStart":7,"seccomp":"{}"})");
  // Written again, it takes the new shape, and reads back the same.
  auto again = decode_state(encode_state(*r));
  ASSERT_TRUE(again) << again.error().message;
  expect_same(*again, *r);
  EXPECT_NE(encode_state(*r).find(R"("linux":{)"), std::string::npos) << encode_state(*r);
}

TEST_F(StoreTest, CreateTwiceIsAlreadyExists) {
  {
    ContainerDir d = must_create("web");
    EXPECT_TRUE(d.locked());
    EXPECT_EQ(d.id(), "web");
    EXPECT_EQ(d.path(), root_ + "/web");
  }
  struct stat sb;
  ASSERT_EQ(::stat((root_ + "/web").c_str(), &sb), 0);
  EXPECT_TRUE(S_ISDIR(sb.st_mode));
  EXPECT_EQ(sb.st_mode & 07777, 0700u);

  auto again = store().create("web");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kAlreadyExists);
  EXPECT_NE(again.error().message.find("web"), std::string::npos);
}

TEST_F(StoreTest, CreateWithInvalidIdMakesNothing) {
  auto r = store().create("../escape");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_FALSE(path_exists(root_));
  EXPECT_FALSE(path_exists(tmp_ + "/run/escape"));
}

TEST_F(StoreTest, LockAndOpenOfMissingIdAreNotFound) {
  for (bool take_lock : {true, false}) {
    auto r = take_lock ? store().lock("ghost") : store().open("ghost");
    ASSERT_FALSE(r) << take_lock;
    EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
    EXPECT_NE(r.error().message.find("ghost"), std::string::npos);
  }
  must_create("real");
  auto bad = store().lock("a/b");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
}

TEST_F(StoreTest, SaveLoadRoundTrip) {
  ContainerState st = sample_state();
  {
    ContainerDir d = must_create("web1");
    EXPECT_FALSE(d.has(kStateFile));
    ASSERT_TRUE(d.save(st));
    EXPECT_TRUE(d.has(kStateFile));
  }
  ContainerDir reader = must_open("web1");
  EXPECT_FALSE(reader.locked());
  auto loaded = reader.load();
  ASSERT_TRUE(loaded) << loaded.error().message;
  expect_same(*loaded, st);

  struct stat sb;
  ASSERT_EQ(::stat((root_ + "/web1/state.json").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0600u);
}

TEST_F(StoreTest, LoadWithoutStateFileErrorsButRemoveWorks) {
  ContainerDir d = must_create("half");
  auto r = d.load();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_NE(r.error().message.find("half"), std::string::npos) << r.error().message;
  ASSERT_TRUE(d.remove());
  EXPECT_FALSE(path_exists(root_ + "/half"));
}

TEST_F(StoreTest, ListIsSortedAndSkipsNonContainers) {
  auto none = store().list();
  ASSERT_TRUE(none) << none.error().message;  // no root yet is an empty list
  EXPECT_TRUE(none->empty());

  for (const char* id : {"b", "c", "a", "A1"}) must_create(id);
  ASSERT_EQ(::mkdir((root_ + "/bad name").c_str(), 0700), 0);
  int fd = ::open((root_ + "/file").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ASSERT_EQ(::symlink((root_ + "/a").c_str(), (root_ + "/link").c_str()), 0);

  auto ids = store().list();
  ASSERT_TRUE(ids) << ids.error().message;
  EXPECT_EQ(*ids, (std::vector<std::string>{"A1", "a", "b", "c"}));
}

TEST_F(StoreTest, RemoveDeletesEverything) {
  ContainerDir d = must_create("gone");
  ASSERT_TRUE(d.save(sample_state()));
  ASSERT_EQ(::mkfifoat(d.fd(), kExecFifo, 0600), 0);
  ASSERT_EQ(::mkdirat(d.fd(), "sub", 0700), 0);
  ASSERT_EQ(::mkdirat(d.fd(), "sub/deeper", 0700), 0);
  ASSERT_EQ(::symlinkat(tmp_.c_str(), d.fd(), "escape"), 0);

  ASSERT_TRUE(d.remove());
  EXPECT_FALSE(path_exists(root_ + "/gone"));
  EXPECT_TRUE(path_exists(tmp_));  // the symlink's target survives
  EXPECT_TRUE(path_exists(root_));
  auto ids = store().list();
  ASSERT_TRUE(ids);
  EXPECT_TRUE(ids->empty());
  auto l = store().lock("gone");
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().kind, ErrorKind::kNotFound);
}

// Runs store.lock(id) on a thread; done() says whether it has returned.
class LockWaiter {
 public:
  LockWaiter(const Store& s, std::string id)
      : thread_([this, s, id = std::move(id)] {
          result_.emplace(s.lock(id));
          done_ = true;
        }) {}
  ~LockWaiter() {
    if (thread_.joinable()) thread_.join();
  }
  bool done() const { return done_; }
  Result<ContainerDir>& join() {
    thread_.join();
    return *result_;
  }

 private:
  std::optional<Result<ContainerDir>> result_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

TEST_F(StoreTest, SecondLockWaitsForFirstHolder) {
  std::optional<ContainerDir> holder(must_create("web"));
  LockWaiter waiter(store(), "web");
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(waiter.done()) << "lock() returned while another ContainerDir held it";

  holder.reset();
  auto& got = waiter.join();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(got->locked());
}

TEST_F(StoreTest, WaiterForRemovedContainerGetsNotFound) {
  std::optional<ContainerDir> holder(must_create("web"));
  LockWaiter waiter(store(), "web");
  std::this_thread::sleep_for(200ms);
  ASSERT_FALSE(waiter.done());

  ASSERT_TRUE(holder->remove());
  holder.reset();
  auto& got = waiter.join();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kNotFound);

  must_create("web");  // the id is free again
}

TEST_F(StoreTest, IsLockedSeesOtherHoldersOnly) {
  std::optional<ContainerDir> holder(must_create("web"));
  ContainerDir reader = must_open("web");
  EXPECT_FALSE(is_locked(*holder));
  EXPECT_TRUE(is_locked(reader));
  EXPECT_TRUE(is_locked(reader));  // checking does not disturb the holder

  holder.reset();
  EXPECT_FALSE(is_locked(reader));
  // Checking did not leave the lock taken either.
  auto again = store().lock("web");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(is_locked(reader));
}

TEST_F(StoreTest, IsLockedSeesAHolderInAnotherProcess) {
  must_create("web");
  int ready[2], release[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(release, O_CLOEXEC), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // holds the lock until the parent closes `release`
    ::close(release[1]);
    auto held = store().lock("web");
    char c = held ? '1' : '0';
    if (::write(ready[1], &c, 1) == 1 && ::read(release[0], &c, 1) >= 0) ::_exit(0);
    ::_exit(1);
  }
  ::close(ready[1]);
  ::close(release[0]);
  char c = 0;
  EXPECT_EQ(::read(ready[0], &c, 1), 1);
  EXPECT_EQ(c, '1');

  ContainerDir reader = must_open("web");
  EXPECT_TRUE(is_locked(reader));

  ::close(release[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ::close(ready[0]);
  EXPECT_FALSE(is_locked(reader));
}

TEST(StatusTable, NamesAndAllowedOperations) {
  struct Row {
    Status s;
    const char* name;
    bool start, kill, del;
  } rows[] = {
      {Status::kCreating, "creating", false, false, false}, {Status::kCreated, "created", true, true, true},
      {Status::kRunning, "running", false, true, false},    {Status::kPaused, "paused", false, true, false},
      {Status::kStopped, "stopped", false, false, true},
  };
  for (const auto& r : rows) {
    EXPECT_STREQ(status_name(r.s), r.name);
    EXPECT_EQ(can_start(r.s), r.start) << r.name;
    EXPECT_EQ(can_kill(r.s), r.kill) << r.name;
    EXPECT_EQ(can_delete(r.s), r.del) << r.name;
  }
}

}  // namespace
}  // namespace berth::state
