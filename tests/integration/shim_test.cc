// The shim (`create --shim`, `run -d --shim`): it stays behind as the
// container's parent, copies its output to a log and records how it ended.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <set>
#include <sstream>

#include "base/result.h"
#include "harness.h"

namespace berth::test {
namespace {

class Shim : public BerthTest {
 protected:
  void SetUp() override {
    BerthTest::SetUp();
    BERTH_ONLY("--shim is berth's extension (runc has no shim)");
  }
  // The exit record, once the shim has written it.
  nlohmann::json wait_exit(const std::string& id) {
    std::string path = root_ + "/" + id + "/exit.json";
    for (int i = 0; i < 500 && !exists(path); ++i) ::usleep(20000);
    return nlohmann::json::parse(read_text(path), nullptr, false);
  }
  int pid_of(const std::string& id) { return nlohmann::json::parse(berth({"state", id}).out)["pid"]; }
  // The shim is the init's parent.
  int parent_of(int pid) {
    std::string status = read_text("/proc/" + std::to_string(pid) + "/status");
    auto at = status.find("PPid:");
    return at == std::string::npos ? -1 : std::stoi(status.substr(at + 5));
  }
  // One request to id's shim over its control socket (shim/protocol.h) and
  // the reply; "" when the shim cannot be reached or does not answer in 30 s.
  std::string shim_request(const std::string& id, const std::string& request) {
    int dir = ::open((root_ + "/" + id).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    int s = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/shim.sock", dir);
    timeval timeout{30, 0};
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string reply(4096, '\0');
    ssize_t n = -1;
    if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::send(s, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()))
      n = ::recv(s, reply.data(), reply.size(), 0);
    ::close(s);
    ::close(dir);
    reply.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return reply;
  }
  // The kind of an "error <errno> <kind> <message>" reply, or -1.
  static int error_kind(const std::string& reply) {
    int err, kind;
    return std::sscanf(reply.c_str(), "error %d %d ", &err, &kind) == 2 ? kind : -1;
  }
  // The shim's children (zombies included: they are its children until reaped).
  static std::set<int> children_of(int pid) {
    std::string p = std::to_string(pid);
    std::istringstream in(read_text("/proc/" + p + "/task/" + p + "/children"));
    std::set<int> out;
    for (int c; in >> c;) out.insert(c);
    return out;
  }
};

TEST_F(Shim, RecordsTheExitCodeAndTimeAndKeepsTheOutput) {
  set_args({"/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"});
  std::string log = tmp_ + "/output.log";
  RunResult c = berth({"create", "--shim", "--shim-log", log, "--bundle", bundle_, "sh1"});
  ASSERT_EQ(c.code, 0) << c.err;
  int init = pid_of("sh1");
  int shim = parent_of(init);
  EXPECT_NE(shim, ::getpid());
  EXPECT_TRUE(pid_alive(shim));
  ASSERT_EQ(berth({"start", "sh1"}).code, 0);
  auto exit = wait_exit("sh1");
  ASSERT_TRUE(exit.is_object());
  EXPECT_EQ(exit["exitCode"], 3);
  EXPECT_EQ(exit["signal"], 0);
  EXPECT_EQ(exit["pid"], init);
  // exitedAt is this minute's.
  std::string at = exit["exitedAt"];
  char now[32];
  std::time_t t = std::time(nullptr);
  std::strftime(now, sizeof now, "%Y-%m-%dT%H:", std::gmtime(&t));
  EXPECT_EQ(at.rfind(now, 0), 0u) << at;
  std::string out = read_text(log);
  EXPECT_NE(out.find("to-stdout"), std::string::npos) << out;
  EXPECT_NE(out.find("to-stderr"), std::string::npos) << out;
  EXPECT_EQ(status_of("sh1"), "stopped");
  for (int i = 0; i < 250 && pid_alive(shim); ++i) ::usleep(20000);
  EXPECT_FALSE(pid_alive(shim));  // its container is gone, so is it
  ASSERT_EQ(berth({"delete", "sh1"}).code, 0);
  EXPECT_FALSE(exists(root_ + "/sh1"));
}

TEST_F(Shim, RunDetachedRecordsAKillBySignal) {
  set_args({"/bin/probe", "sleep"});
  RunResult r = berth({"run", "-d", "--shim", "--bundle", bundle_, "sh2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(status_of("sh2"), "running");
  // The waiting half is the small berth-shim binary next to berth, not berth.
  char exe[4096] = {};
  int shim = parent_of(pid_of("sh2"));
  ASSERT_GT(::readlink(("/proc/" + std::to_string(shim) + "/exe").c_str(), exe, sizeof exe - 1), 0);
  EXPECT_EQ(std::string(exe), std::string(BERTH_BINARY) + "-shim");
  ASSERT_EQ(berth({"kill", "sh2", "KILL"}).code, 0);
  auto exit = wait_exit("sh2");
  ASSERT_TRUE(exit.is_object());
  EXPECT_EQ(exit["exitCode"], 128 + SIGKILL);
  EXPECT_EQ(exit["signal"], SIGKILL);
  EXPECT_EQ(berth({"run", "--shim", "--bundle", bundle_, "fg"}).code, 1);  // --shim needs -d
}

TEST_F(Shim, AKilledShimLeavesAContainerDeleteStillRemoves) {
  set_args({"/bin/probe", "sleep"});
  auto mounts = mount_points();
  ASSERT_EQ(berth({"run", "-d", "--shim", "--bundle", bundle_, "sh3"}).code, 0);
  int init = pid_of("sh3");
  int shim = parent_of(init);
  ASSERT_EQ(::kill(shim, SIGKILL), 0);
  for (int i = 0; i < 250 && pid_alive(shim); ++i) ::usleep(20000);
  EXPECT_EQ(status_of("sh3"), "running");  // the container does not depend on its shim
  ASSERT_EQ(berth({"delete", "--force", "sh3"}).code, 0);
  EXPECT_FALSE(exists(root_ + "/sh3"));
  EXPECT_FALSE(pid_alive(init));
  EXPECT_EQ(mount_points(), mounts);
}

TEST_F(Shim, AStartUpErrorReachesTheCallerAndLeavesNothing) {
  set_args({"/no/such/program"});
  auto mounts = mount_points();
  RunResult r = berth({"create", "--shim", "--bundle", bundle_, "sh4"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("/no/such/program"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(root_ + "/sh4"));
  EXPECT_EQ(mount_points(), mounts);
}

// An exec'd process that exits at once is reparented to the shim and may be
// a zombie before its `berth exec` has written its pid: the shim must not
// reap it as an orphan, and collects its status once the pid is known.
TEST_F(Shim, AnExecThatExitsAtOnceGetsItsExitCode) {
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--shim", "--bundle", bundle_, "sh5"}).code, 0);
  const std::string quick = R"({"args":["/bin/sh","-c","exit 3"],"cwd":"/","env":["PATH=/bin"],)"
                            R"("user":{"uid":0,"gid":0}})";
  for (int i = 0; i < 8; ++i) {
    const std::string key = "quick" + std::to_string(i);
    std::string started = shim_request("sh5", "exec " + key + " - " + quick);
    ASSERT_EQ(started.rfind("started ", 0), 0u) << started;
    const int pid = std::stoi(started.substr(8));
    std::string exit = shim_request("sh5", "wait " + key);
    EXPECT_EQ(exit.rfind("exit " + std::to_string(pid) + " 3 0 ", 0), 0u) << exit;
    // Written just after the reply, when the shim next has the lock.
    const std::string file = root_ + "/sh5/exit." + key + ".json";
    for (int j = 0; j < 250 && !exists(file); ++j) ::usleep(20000);
    auto record = nlohmann::json::parse(read_text(file), nullptr, false);
    ASSERT_TRUE(record.is_object()) << key;
    EXPECT_EQ(record["pid"], pid);
    EXPECT_EQ(record["exitCode"], 3);
  }
  EXPECT_EQ(status_of("sh5"), "running");
}

// Without a pid namespace, what the container's processes orphan is
// reparented to the shim, its subreaper: it must reap them, not keep zombies.
TEST_F(Shim, ReapsTheOrphansItInherits) {
  auto& nss = config_["linux"]["namespaces"];
  for (size_t i = 0; i < nss.size(); ++i)
    if (nss[i]["type"] == "pid") nss.erase(i--);
  set_args({"/bin/sh", "-c", "/bin/sh -c '/bin/sleep 2 &'; exec /bin/sleep 100"});
  ASSERT_EQ(berth({"run", "-d", "--shim", "--bundle", bundle_, "sh6"}).code, 0);
  const int init = pid_of("sh6");
  const int shim = parent_of(init);
  int orphan = 0;
  for (int i = 0; i < 150 && !orphan; ++i) {
    for (int c : children_of(shim))
      if (c != init) orphan = c;
    if (!orphan) ::usleep(10000);
  }
  ASSERT_GT(orphan, 0) << "the background sleep never became the shim's";
  std::set<int> left;
  for (int i = 0; i < 500; ++i) {
    left = children_of(shim);
    if (left == std::set<int>{init}) break;
    ::usleep(10000);
  }
  EXPECT_EQ(left, std::set<int>{init}) << "orphan " << orphan << " left unreaped";
  EXPECT_EQ(status_of("sh6"), "running");
}

// `start init` over the socket: the shim runs the start, and still records
// the init's exit afterwards.
TEST_F(Shim, StartsTheContainerOnRequest) {
  set_args({"/bin/sh", "-c", "sleep 1; exit 4"});
  ASSERT_EQ(berth({"create", "--shim", "--bundle", bundle_, "sh7"}).code, 0);
  const int init = pid_of("sh7");
  EXPECT_EQ(error_kind(shim_request("sh7", "start quick")), static_cast<int>(ErrorKind::kInvalidArgument));
  EXPECT_EQ(status_of("sh7"), "created");
  EXPECT_EQ(shim_request("sh7", "start init"), "ok");
  EXPECT_EQ(status_of("sh7"), "running");
  std::string again = shim_request("sh7", "start init");
  EXPECT_EQ(error_kind(again), static_cast<int>(ErrorKind::kConflict)) << again;
  auto exit = wait_exit("sh7");
  ASSERT_TRUE(exit.is_object());
  EXPECT_EQ(exit["exitCode"], 4);
  EXPECT_EQ(exit["pid"], init);
}

}  // namespace
}  // namespace berth::test
