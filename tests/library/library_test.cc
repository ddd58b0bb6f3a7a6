// libberth driven in-process, through its public API only (libberth.so):
// the order of events, restore after a "daemon restart", force delete, the
// shim's stdio, and a typed error for each misuse.
#include <berth/berth.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "../integration/harness.h"

namespace {

using berth::test::default_config;
using berth::test::exists;
using berth::test::pid_alive;
using libberth::Code;
using libberth::EventType;

class Library : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-lib-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    root_ = tmp_ + "/state";
    open_client();
  }

  void TearDown() override {
    client_.reset();
    // Whatever the test did, leave nothing.
    auto ids = berth::test::run_cmd({BERTH_BINARY, "--root", root_, "list", "-q"});
    std::istringstream in(ids.out);
    for (std::string id; std::getline(in, id);)
      if (!id.empty()) berth::test::run_cmd({BERTH_BINARY, "--root", root_, "delete", "--force", id});
    berth::test::run_cmd({"/bin/rm", "-rf", tmp_});
  }

  void open_client() {
    libberth::ClientOptions o;
    o.root = root_;
    o.berth_binary = BERTH_BINARY;
    ASSERT_TRUE(libberth::Client::open(o, &client_).ok());
    client_->set_event_handler([this](const libberth::Event& e) { record(e); });
  }

  // Every event, per container; and whether a container's handler ever ran
  // twice at once.
  void record(const libberth::Event& e) {
    std::atomic<int>* busy;
    {
      std::lock_guard lock(mu_);
      busy = &busy_[e.container_id];
    }
    if (busy->fetch_add(1) != 0) overlapped_ = true;
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // room for a second delivery to collide
    {
      std::lock_guard lock(mu_);
      events_[e.container_id].push_back(e);
    }
    busy->fetch_sub(1);
  }

  std::vector<libberth::Event> events_of(const std::string& id) {
    std::lock_guard lock(mu_);
    return events_[id];
  }

  // Waits (up to 10 s) until id has an exit event for process key.
  bool await_exit_event(const std::string& id, const std::string& key = "init") {
    for (int i = 0; i < 1000; ++i) {
      for (const auto& e : events_of(id))
        if (e.type == EventType::kExit && e.process_id == key) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // A bundle for id whose process is args.
  std::string bundle(const std::string& id, const std::vector<std::string>& args,
                     const std::function<void(nlohmann::json&)>& edit = nullptr) {
    std::string dir = tmp_ + "/" + id;
    ::mkdir(dir.c_str(), 0755);
    nlohmann::json c = default_config();
    c["process"]["args"] = args;
    if (edit) edit(c);
    specs_[id] = c.dump();
    return dir;
  }

  std::shared_ptr<libberth::Container> container(const std::string& id, const std::vector<std::string>& args,
                                                 const std::function<void(nlohmann::json&)>& edit = nullptr) {
    std::string dir = bundle(id, args, edit);
    std::shared_ptr<libberth::Container> c;
    libberth::Status s = client_->create_container(id, specs_[id], {.bundle = dir}, &c);
    EXPECT_TRUE(s.ok()) << s.to_string();
    return c;
  }

  std::shared_ptr<libberth::Task> task(const std::shared_ptr<libberth::Container>& c,
                                       const libberth::Stdio& stdio = {}) {
    std::shared_ptr<libberth::Task> t;
    libberth::Status s = c->new_task(stdio, &t);
    EXPECT_TRUE(s.ok()) << s.to_string();
    return t;
  }

  std::string id(const std::string& name) { return "lib" + std::to_string(::getpid()) + "-" + name; }

  std::string tmp_, root_;
  std::unique_ptr<libberth::Client> client_;
  std::mutex mu_;
  std::map<std::string, std::vector<libberth::Event>> events_;
  std::map<std::string, std::atomic<int>> busy_;
  std::map<std::string, std::string> specs_;
  std::atomic<bool> overlapped_{false};
};

const char* kShortExec = R"({"args":["/bin/sh","-c","exit 7"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}})";

// The events of lifecycle(), in order.
const std::vector<EventType> kLifecycleEvents = {EventType::kCreate,      EventType::kStart, EventType::kExecAdded,
                                                 EventType::kExecStarted, EventType::kExit,  EventType::kPaused,
                                                 EventType::kResumed,     EventType::kExit};

// One container's whole life, as a daemon drives it.
void lifecycle(Library* t, const std::shared_ptr<libberth::Task>& task, std::string* failure) {
  auto check = [&](const libberth::Status& s, const char* what) {
    if (!s.ok() && failure->empty()) *failure = std::string(what) + ": " + s.to_string();
    return s.ok();
  };
  if (!check(task->start(), "start")) return;
  std::shared_ptr<libberth::Process> p;
  if (!check(task->exec("short", kShortExec, {}, &p), "exec")) return;
  libberth::ExitStatus pe;
  if (!check(p->wait(&pe), "exec wait")) return;
  if (pe.exit_code != 7 && failure->empty()) *failure = "exec exit code " + std::to_string(pe.exit_code);
  check(p->remove(), "exec remove");
  if (!check(task->pause(), "pause")) return;
  if (!check(task->resume(), "resume")) return;
  if (!check(task->kill(SIGKILL), "kill")) return;
  libberth::ExitStatus e;
  if (!check(task->wait(&e), "wait")) return;
  if (e.exit_code != 137 && failure->empty()) *failure = "init exit code " + std::to_string(e.exit_code);
  check(task->remove(), "remove");
  (void)t;
}

TEST_F(Library, EventsOfEachContainerArriveInOrderOverAHundredRuns) {
  constexpr int kRounds = 34, kParallel = 3;  // 102 runs
  const std::vector<EventType>& want = kLifecycleEvents;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::string> ids;
    std::vector<std::shared_ptr<libberth::Task>> tasks;
    std::vector<std::shared_ptr<libberth::Container>> containers;
    for (int i = 0; i < kParallel; ++i) {
      ids.push_back(id("order" + std::to_string(round) + "-" + std::to_string(i)));
      containers.push_back(container(ids.back(), {"/bin/probe", "sleep"}));
      ASSERT_TRUE(containers.back());
      tasks.push_back(task(containers.back()));
      ASSERT_TRUE(tasks.back());
    }
    std::vector<std::string> failures(kParallel);
    std::vector<std::thread> threads;
    for (int i = 0; i < kParallel; ++i) threads.emplace_back(lifecycle, this, tasks[i], &failures[i]);
    for (auto& th : threads) th.join();
    for (int i = 0; i < kParallel; ++i) {
      ASSERT_EQ(failures[i], "") << ids[i];
      ASSERT_TRUE(await_exit_event(ids[i])) << ids[i];
      auto got = events_of(ids[i]);
      std::vector<EventType> types;
      for (const auto& e : got) types.push_back(e.type);
      std::string seen;
      for (auto ty : types) seen += std::string(libberth::event_name(ty)) + " ";
      ASSERT_EQ(types, want) << ids[i] << ": " << seen;
      EXPECT_EQ(got[4].process_id, "short");
      EXPECT_EQ(got[4].exit.exit_code, 7);
      EXPECT_EQ(got[7].process_id, "init");
      EXPECT_EQ(got[7].exit.exit_code, 137);
      EXPECT_EQ(got[7].exit.signal, SIGKILL);
      EXPECT_EQ(got[1].pid, got[7].pid);
      EXPECT_FALSE(got[7].exit.exited_at.empty());
      EXPECT_TRUE(containers[i]->remove().ok());
    }
  }
  EXPECT_FALSE(overlapped_) << "a container's handler ran twice at once";
}

// The same life for a task in a utility VM (platform/vm/): the same
// events, in the same order, with the exit codes the guest's processes had.
TEST_F(Library, EventsOfAVmHostedTaskArriveInTheSameOrder) {
  std::string berth = BERTH_BINARY;
  if (!exists(berth.substr(0, berth.rfind('/')) + "/vm/initramfs.cpio"))
    GTEST_SKIP() << "no utility VM image beside " << berth << " (a sanitizer build is dynamic: make vm-image skips it)";
  auto c = container(id("vm"), {"/bin/probe", "sleep"}, [](nlohmann::json& j) {
    j["annotations"] = {{"io.berth.platform", "vm"}};
  });
  ASSERT_TRUE(c);
  auto t = task(c);
  ASSERT_TRUE(t);
  auto state = nlohmann::json::parse(berth::test::read_text(root_ + "/" + c->id() + "/state.json"));
  ASSERT_EQ(state.value("platform", ""), "vm");
  ASSERT_TRUE(state["vm"].value("isHost", false));
  std::string failure;
  lifecycle(this, t, &failure);
  ASSERT_EQ(failure, "");
  ASSERT_TRUE(await_exit_event(c->id()));
  std::vector<EventType> types;
  std::string seen;
  auto got = events_of(c->id());
  for (const auto& e : got) {
    types.push_back(e.type);
    seen += std::string(libberth::event_name(e.type)) + " ";
  }
  ASSERT_EQ(types, kLifecycleEvents) << seen;
  EXPECT_EQ(got[4].process_id, "short");
  EXPECT_EQ(got[4].exit.exit_code, 7);
  EXPECT_EQ(got[7].exit.exit_code, 137);
  EXPECT_EQ(got[1].pid, got[7].pid);
  EXPECT_TRUE(c->remove().ok());
  EXPECT_FALSE(exists(root_ + "/" + c->id()));
}

TEST_F(Library, ForceDeleteOfARunningTaskLeavesNothing) {
  auto c = container(id("force"), {"/bin/probe", "sleep"});
  auto t = task(c);
  ASSERT_TRUE(t->start().ok());
  int pid = t->pid();
  ASSERT_TRUE(pid_alive(pid));
  EXPECT_TRUE(t->remove().is_conflict());  // not while running
  libberth::Status s = t->force_remove();
  ASSERT_TRUE(s.ok()) << s.to_string();
  libberth::ExitStatus e;
  ASSERT_TRUE(t->wait(&e).ok());
  EXPECT_EQ(e.signal, SIGKILL);
  EXPECT_FALSE(pid_alive(pid));
  EXPECT_FALSE(exists(root_ + "/" + c->id()));
  EXPECT_TRUE(await_exit_event(c->id()));
  std::shared_ptr<libberth::Task> none;
  EXPECT_TRUE(c->task(&none).is_not_found());
  std::shared_ptr<libberth::Container> gone;
  EXPECT_TRUE(client_->load_container(id("force-never"), &gone).is_not_found());
  EXPECT_TRUE(c->remove().ok());
}

TEST_F(Library, LoadContainerAfterARestartSeesTheRunningTaskAndItsLaterExit) {
  const std::string name = id("restore");
  int pid = 0;
  {
    auto c = container(name, {"/bin/probe", "sleep"});
    auto t = task(c);
    ASSERT_TRUE(t->start().ok());
    pid = t->pid();
  }
  client_.reset();  // the daemon goes away; the container does not
  ASSERT_TRUE(pid_alive(pid));
  open_client();
  std::shared_ptr<libberth::Container> c;
  libberth::Status s = client_->load_container(name, &c);
  ASSERT_TRUE(s.ok()) << s.to_string();
  std::shared_ptr<libberth::Task> t;
  ASSERT_TRUE(c->task(&t).ok());
  EXPECT_EQ(t->pid(), pid);
  libberth::TaskStatus st;
  ASSERT_TRUE(t->status(&st).ok());
  EXPECT_EQ(st, libberth::TaskStatus::kRunning);
  std::vector<std::string> ids;
  ASSERT_TRUE(client_->containers(&ids).ok());
  EXPECT_NE(std::find(ids.begin(), ids.end(), name), ids.end());
  // The exit after the restart reaches the new client, from the shim.
  ASSERT_TRUE(t->kill(SIGKILL).ok());  // pid 1 of its namespace: TERM has no default action
  libberth::ExitStatus e;
  ASSERT_TRUE(t->wait(&e).ok());
  EXPECT_EQ(e.pid, pid);
  EXPECT_EQ(e.signal, SIGKILL);
  ASSERT_TRUE(await_exit_event(name));
  EXPECT_EQ(events_of(name).back().exit.exit_code, 128 + SIGKILL);
  ASSERT_TRUE(t->remove().ok());
}

TEST_F(Library, AnExitWhileNoClientIsRunningIsFoundOnLoad) {
  const std::string name = id("while-away");
  {
    auto c = container(name, {"/bin/sh", "-c", "read x; exit 5"});
    int in[2];
    ASSERT_EQ(::pipe(in), 0);
    auto t = task(c, {.stdin_fd = in[0]});
    ::close(in[0]);
    ASSERT_TRUE(t->start().ok());
    client_.reset();
    ASSERT_EQ(::write(in[1], "go\n", 3), 3);  // exits while no daemon listens
    ::close(in[1]);
  }
  for (int i = 0; i < 500 && !exists(root_ + "/" + name + "/exit.json"); ++i) ::usleep(10000);
  open_client();
  std::shared_ptr<libberth::Container> c;
  ASSERT_TRUE(client_->load_container(name, &c).ok());
  std::shared_ptr<libberth::Task> t;
  ASSERT_TRUE(c->task(&t).ok());
  libberth::ExitStatus e;
  ASSERT_TRUE(t->wait(&e).ok());
  EXPECT_EQ(e.exit_code, 5);
  EXPECT_FALSE(e.exited_at.empty());
  ASSERT_TRUE(t->remove().ok());
}

TEST_F(Library, TheShimHoldsStdioAndClosesStdinOnRequest) {
  int in[2], out[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  auto c = container(id("stdio"), {"/bin/cat"});
  auto t = task(c, {.stdin_fd = in[0], .stdout_fd = out[1]});
  ::close(in[0]);
  ::close(out[1]);
  ASSERT_TRUE(t->start().ok());
  ASSERT_EQ(::write(in[1], "hello\n", 6), 6);
  // The container's stdio are the shim's pipes, never ours.
  struct stat ours_in, ours_out, its_in, its_out;
  ASSERT_EQ(::fstat(in[1], &ours_in), 0);
  ASSERT_EQ(::fstat(out[0], &ours_out), 0);
  const std::string fds = "/proc/" + std::to_string(t->pid()) + "/fd/";
  ASSERT_EQ(::stat((fds + "0").c_str(), &its_in), 0);
  ASSERT_EQ(::stat((fds + "1").c_str(), &its_out), 0);
  EXPECT_TRUE(S_ISFIFO(its_in.st_mode));
  EXPECT_NE(its_in.st_ino, ours_in.st_ino);
  EXPECT_NE(its_out.st_ino, ours_out.st_ino);
  EXPECT_EQ(t->resize(80, 24).code(), Code::kConflict);  // pipes, no terminal
  // Our write end stays open: only close_stdin can end cat.
  ASSERT_TRUE(t->close_stdin().ok());
  libberth::ExitStatus e;
  ASSERT_TRUE(t->wait(&e).ok());
  EXPECT_EQ(e.exit_code, 0);
  char buf[64] = {};
  ASSERT_GT(::read(out[0], buf, sizeof buf - 1), 0);
  EXPECT_STREQ(buf, "hello\n");
  ::close(in[1]);
  ::close(out[0]);
  ASSERT_TRUE(t->remove().ok());
}

TEST_F(Library, AMegabyteThroughStdinArrivesWholeOnStdout) {
  int in[2], out[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  auto c = container(id("mega"), {"/bin/cat"});
  auto t = task(c, {.stdin_fd = in[0], .stdout_fd = out[1]});
  ::close(in[0]);
  ::close(out[1]);
  ASSERT_TRUE(t->start().ok());
  std::string sent;
  for (int i = 0; sent.size() < (1 << 20); ++i) sent += "line " + std::to_string(i) + "\n";
  std::thread writer([&] {
    for (size_t off = 0; off < sent.size();) {
      ssize_t n = ::write(in[1], sent.data() + off, sent.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(in[1]);  // the caller's EOF reaches cat through the shim
  });
  // A slow reader: cat is done long before we are, and the shim, whose
  // init has exited, must still hand over everything it holds.
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) {
    got.append(buf, static_cast<size_t>(n));
    ::usleep(200);
  }
  writer.join();
  ::close(out[0]);
  EXPECT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent);
  libberth::ExitStatus e;
  ASSERT_TRUE(t->wait(&e).ok());
  EXPECT_EQ(e.exit_code, 0);
  ASSERT_TRUE(t->remove().ok());
}

TEST_F(Library, AReaderThatStopsReadingDoesNotStallTheShim) {
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  // yes fills our pipe, which we never read: the shim must keep answering.
  auto c = container(id("stall"), {"/bin/yes"});
  auto t = task(c, {.stdout_fd = out[1]});
  ::close(out[1]);
  ASSERT_TRUE(t->start().ok());
  ::usleep(300000);
  std::shared_ptr<libberth::Process> p;
  libberth::Status s = t->exec("still-there", kShortExec, {}, &p);  // through the shim
  ASSERT_TRUE(s.ok()) << s.to_string();
  libberth::ExitStatus e;
  ASSERT_TRUE(p->wait(&e).ok());
  EXPECT_EQ(e.exit_code, 7);
  ASSERT_TRUE(t->kill(SIGKILL).ok());
  ASSERT_TRUE(t->wait(&e).ok());
  EXPECT_EQ(e.signal, SIGKILL);
  ::close(out[0]);
  ASSERT_TRUE(t->remove().ok());
}

TEST_F(Library, AKilledShimStillEndsInAnExit) {
  auto c = container(id("shimless"), {"/bin/probe", "sleep"});
  auto t = task(c);
  ASSERT_TRUE(t->start().ok());
  std::string status = berth::test::read_text("/proc/" + std::to_string(t->pid()) + "/status");
  int shim = std::stoi(status.substr(status.find("PPid:") + 5));
  ASSERT_EQ(::kill(shim, SIGKILL), 0);
  for (int i = 0; i < 500 && pid_alive(shim); ++i) ::usleep(10000);
  libberth::TaskStatus st;
  ASSERT_TRUE(t->status(&st).ok());
  EXPECT_EQ(st, libberth::TaskStatus::kRunning);  // the container does not depend on its shim
  ASSERT_TRUE(t->force_remove().ok());
  libberth::ExitStatus e;
  ASSERT_TRUE(t->wait(&e).ok());  // from the pid, since nobody recorded it
  EXPECT_EQ(e.exit_code, 255);
  EXPECT_TRUE(await_exit_event(c->id()));
  EXPECT_FALSE(exists(root_ + "/" + c->id()));
}

TEST_F(Library, AnExecWithATerminalIsResized) {
  auto c = container(id("tty"), {"/bin/probe", "sleep"});
  auto t = task(c);
  ASSERT_TRUE(t->start().ok());
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  const char* process =
      R"({"terminal":true,"args":["/bin/sh","-c","sleep 0.5; stty size"],"cwd":"/","env":["PATH=/bin"],)"
      R"("user":{"uid":0,"gid":0}})";
  std::shared_ptr<libberth::Process> p;
  libberth::Status s = t->exec("tty", process, {.stdout_fd = out[1]}, &p);
  ::close(out[1]);
  ASSERT_TRUE(s.ok()) << s.to_string();
  ASSERT_TRUE(p->resize(123, 45).ok());
  libberth::ExitStatus e;
  ASSERT_TRUE(p->wait(&e).ok());
  EXPECT_EQ(e.exit_code, 0);
  std::string got;
  char buf[256];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  EXPECT_NE(got.find("45 123"), std::string::npos) << got;
  EXPECT_TRUE(p->remove().ok());
  ASSERT_TRUE(t->force_remove().ok());
}

TEST_F(Library, TheShimHoldsTheInitsTerminalAndResizesIt) {
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  auto c = container(id("init-tty"), {"/bin/sh", "-c", "sleep 0.5; stty size; tty"},
                     [](nlohmann::json& j) { j["process"]["terminal"] = true; });
  auto t = task(c, {.stdout_fd = out[1]});
  ::close(out[1]);
  ASSERT_TRUE(t->start().ok());
  ASSERT_TRUE(t->resize(132, 43).ok());
  libberth::ExitStatus e;
  ASSERT_TRUE(t->wait(&e).ok());
  EXPECT_EQ(e.exit_code, 0);
  std::string got;
  char buf[256];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  EXPECT_NE(got.find("43 132"), std::string::npos) << got;
  EXPECT_NE(got.find("/dev/pts/"), std::string::npos) << got;
  ASSERT_TRUE(t->remove().ok());
}

TEST_F(Library, StatsProcessesAndTheOomEvent) {
  auto c = container(id("oom"), {"/bin/probe", "sleep"}, [](nlohmann::json& j) {
    j["linux"]["resources"] = {{"memory", {{"limit", 32 << 20}, {"swap", 32 << 20}}}};
  });
  auto t = task(c);
  ASSERT_TRUE(t->start().ok());
  libberth::Stats stats;
  ASSERT_TRUE(t->stats(&stats).ok());
  EXPECT_GT(stats.memory_usage, 0u);
  EXPECT_EQ(stats.memory_limit, 32u << 20);
  EXPECT_GE(stats.pids_current, 1u);
  std::vector<libberth::ProcessInfo> procs;
  ASSERT_TRUE(t->processes(&procs).ok());
  ASSERT_EQ(procs.size(), 1u);
  EXPECT_EQ(procs[0].pid, t->pid());
  EXPECT_EQ(procs[0].command, "/bin/probe sleep");
  EXPECT_GT(procs[0].rss_bytes, 0u);
  // dd touches its whole 64 MiB buffer: twice the limit.
  const char* hog = R"({"args":["/bin/dd","if=/dev/zero","of=/dev/null","bs=64M","count=1"],"cwd":"/",)"
                    R"("env":["PATH=/bin"],"user":{"uid":0,"gid":0}})";
  std::shared_ptr<libberth::Process> p;
  ASSERT_TRUE(t->exec("hog", hog, {}, &p).ok());
  libberth::ExitStatus e;
  ASSERT_TRUE(p->wait(&e).ok());
  EXPECT_EQ(e.signal, SIGKILL);
  bool oom = false;
  for (int i = 0; i < 300 && !oom; ++i) {
    for (const auto& ev : events_of(c->id())) oom = oom || ev.type == EventType::kOom;
    ::usleep(10000);
  }
  EXPECT_TRUE(oom);
  ASSERT_TRUE(t->force_remove().ok());
}

// With a shim, Task::start goes through it: the poststart hook runs under
// the `berth start` the shim ran, whose parent is the shim, not under us.
TEST_F(Library, StartGoesThroughTheShim) {
  const std::string record = tmp_ + "/poststart-parent";
  auto c = container(id("via-shim"), {"/bin/probe", "sleep"}, [&](nlohmann::json& j) {
    j["hooks"]["poststart"] = {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "cat /proc/$PPID/stat > " + record}}}};
  });
  auto t = task(c);
  ASSERT_TRUE(t->start().ok());
  // /proc/<the hook's parent>/stat: "pid (comm) state ppid ..."
  const std::string stat = berth::test::read_text(record);
  const auto paren = stat.rfind(')');
  ASSERT_NE(paren, std::string::npos) << stat;
  const int starter = std::atoi(stat.c_str());
  const int starter_parent = std::atoi(stat.c_str() + paren + 4);
  std::string status = berth::test::read_text("/proc/" + std::to_string(t->pid()) + "/status");
  const int shim = std::stoi(status.substr(status.find("PPid:") + 5));
  EXPECT_NE(starter, ::getpid());
  EXPECT_EQ(starter_parent, shim);
  libberth::TaskStatus st;
  ASSERT_TRUE(t->status(&st).ok());
  EXPECT_EQ(st, libberth::TaskStatus::kRunning);
  ASSERT_TRUE(t->force_remove().ok());
}

// A shim that has gone cannot start anything: the start runs here instead.
TEST_F(Library, StartWithoutItsShimRunsHere) {
  auto c = container(id("shim-gone"), {"/bin/probe", "sleep"});
  auto t = task(c);
  std::string status = berth::test::read_text("/proc/" + std::to_string(t->pid()) + "/status");
  const int shim = std::stoi(status.substr(status.find("PPid:") + 5));
  ASSERT_EQ(::kill(shim, SIGKILL), 0);
  for (int i = 0; i < 500 && pid_alive(shim); ++i) ::usleep(10000);
  libberth::Status s = t->start();
  ASSERT_TRUE(s.ok()) << s.to_string();
  libberth::TaskStatus st;
  ASSERT_TRUE(t->status(&st).ok());
  EXPECT_EQ(st, libberth::TaskStatus::kRunning);
  ASSERT_TRUE(t->force_remove().ok());
}

// The header's lifetime rules: handles outlive their Client. Every call
// still works; only the events stop.
TEST_F(Library, ATaskKeptAfterItsClientIsDestroyedKeepsWorking) {
  const std::string name = id("orphan");
  int in[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  auto c = container(name, {"/bin/sh", "-c", "read x; exit 3"});
  auto t = task(c, {.stdin_fd = in[0]});
  ::close(in[0]);
  ASSERT_TRUE(t->start().ok());
  const int pid = t->pid();
  client_.reset();

  libberth::TaskStatus st;
  ASSERT_TRUE(t->status(&st).ok());
  EXPECT_EQ(st, libberth::TaskStatus::kRunning);
  std::vector<libberth::ProcessInfo> procs;
  ASSERT_TRUE(t->processes(&procs).ok());
  EXPECT_FALSE(procs.empty());
  std::shared_ptr<libberth::Process> p;
  libberth::Status s = t->exec("after", kShortExec, {}, &p);
  ASSERT_TRUE(s.ok()) << s.to_string();
  libberth::ExitStatus pe;
  s = p->wait(&pe);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(pe.exit_code, 7);
  ASSERT_TRUE(p->remove().ok());
  ASSERT_TRUE(t->pause().ok());
  ASSERT_TRUE(t->resume().ok());

  ASSERT_EQ(::write(in[1], "go\n", 3), 3);
  ::close(in[1]);
  libberth::ExitStatus e;
  s = t->wait(&e);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(e.pid, pid);
  EXPECT_EQ(e.exit_code, 3);
  EXPECT_FALSE(e.exited_at.empty());
  ASSERT_TRUE(t->remove().ok());
  EXPECT_TRUE(c->remove().ok());
  EXPECT_FALSE(exists(root_ + "/" + name));
  // Delivered: what was queued before the Client went; nothing after.
  std::vector<EventType> types;
  for (const auto& ev : events_of(name)) types.push_back(ev.type);
  EXPECT_EQ(types, (std::vector<EventType>{EventType::kCreate, EventType::kStart}));
}

TEST_F(Library, AWaitUnderWayWhenTheClientGoesGetsTheRealExit) {
  int in[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  auto c = container(id("waiting"), {"/bin/sh", "-c", "read x; exit 4"});
  auto t = task(c, {.stdin_fd = in[0]});
  ::close(in[0]);
  ASSERT_TRUE(t->start().ok());
  libberth::ExitStatus e;
  libberth::Status s;
  std::thread waiter([&] { s = t->wait(&e); });
  ::usleep(300000);  // the waiter is waiting on the watcher's thread
  client_.reset();
  ::usleep(300000);  // and now on its own
  ASSERT_EQ(::write(in[1], "go\n", 3), 3);
  ::close(in[1]);
  waiter.join();
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(e.exit_code, 4);
  ASSERT_TRUE(t->remove().ok());
}

// The state, exit record included, goes with the task: the real end of a
// force-removed task is still what wait() says, without the Client too.
TEST_F(Library, AForceRemoveWithoutTheClientStillReportsTheKill) {
  auto c = container(id("forced-alone"), {"/bin/probe", "sleep"});
  auto t = task(c);
  ASSERT_TRUE(t->start().ok());
  client_.reset();
  ASSERT_TRUE(t->force_remove().ok());
  libberth::ExitStatus e;
  libberth::Status s = t->wait(&e);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(e.signal, SIGKILL);
  EXPECT_EQ(e.exit_code, 128 + SIGKILL);
}

// Without the Client and without the shim: the pid's end, as a lost exit.
TEST_F(Library, AWaitWithNeitherClientNorShimEndsInALostExit) {
  auto c = container(id("alone"), {"/bin/probe", "sleep"});
  auto t = task(c);
  ASSERT_TRUE(t->start().ok());
  client_.reset();
  std::string status = berth::test::read_text("/proc/" + std::to_string(t->pid()) + "/status");
  int shim = std::stoi(status.substr(status.find("PPid:") + 5));
  ASSERT_EQ(::kill(shim, SIGKILL), 0);
  for (int i = 0; i < 500 && pid_alive(shim); ++i) ::usleep(10000);
  libberth::ExitStatus e;
  libberth::Status s;
  std::thread waiter([&] { s = t->wait(&e); });
  ::usleep(200000);
  ASSERT_TRUE(t->force_remove().ok());
  waiter.join();
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(e.exit_code, 255);
}

// As runc's exec: a process that cannot be started is the caller's mistake
// (kInvalidArgument), said once; it sends no event and leaves its id free.
TEST_F(Library, AnExecThatCannotStartIsInvalidAndSendsNoEvent) {
  auto c = container(id("badexec"), {"/bin/probe", "sleep"});
  auto t = task(c);
  ASSERT_TRUE(t->start().ok());
  std::shared_ptr<libberth::Process> p;
  // The program, and what the error says of it.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"/no/such/program", "no such file or directory"},
      {"no-such-program", "executable file not found in $PATH"},
      {"/etc/passwd", "permission denied"},
      {"/bin", "is a directory"},
  };
  for (const auto& [program, why] : bad) {
    nlohmann::json process = nlohmann::json::parse(kShortExec);
    process["args"] = {program};
    libberth::Status s = t->exec("x", process.dump(), {}, &p);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.to_string();
    // Said once: whose exec, then runc's words.
    const std::string& m = s.message();
    EXPECT_EQ(m.rfind("exec " + c->id() + "/x: exec: \"" + program + "\": ", 0), 0u) << m;
    EXPECT_EQ(m.find(c->id()), m.rfind(c->id())) << m;
    EXPECT_NE(m.find(why), std::string::npos) << m;
  }
  ASSERT_TRUE(t->exec("x", kShortExec, {}, &p).ok());  // the id is free again
  libberth::ExitStatus e;
  ASSERT_TRUE(p->wait(&e).ok());
  EXPECT_EQ(e.exit_code, 7);
  ASSERT_TRUE(await_exit_event(c->id(), "x"));
  std::vector<EventType> types;
  for (const auto& ev : events_of(c->id())) types.push_back(ev.type);
  EXPECT_EQ(types, (std::vector<EventType>{EventType::kCreate, EventType::kStart, EventType::kExecAdded,
                                           EventType::kExecStarted, EventType::kExit}));
  ASSERT_TRUE(p->remove().ok());
  ASSERT_TRUE(t->force_remove().ok());
}

// ClientOptions::berth_binary "": $BERTH_BINARY, the berth of the library's
// install prefix (none for this build tree's library; library.install
// covers it), then PATH. Found nowhere: a typed error that says where it looked.
TEST_F(Library, OpenFindsBerthOrSaysWhereItLooked) {
  const char* old_path = ::getenv("PATH");
  const std::string path = old_path ? old_path : "";
  const char* old_binary = ::getenv("BERTH_BINARY");
  const std::string binary = old_binary ? old_binary : "";
  ::unsetenv("BERTH_BINARY");
  ::setenv("PATH", (tmp_ + "/nowhere").c_str(), 1);
  std::unique_ptr<libberth::Client> other;
  libberth::Status s = libberth::Client::open({.root = root_}, &other);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find("BERTH_BINARY"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("$PATH"), std::string::npos) << s.message();
  // On PATH.
  const std::string bin = tmp_ + "/bin";
  ::mkdir(bin.c_str(), 0755);
  ASSERT_EQ(::symlink(BERTH_BINARY, (bin + "/berth").c_str()), 0);
  ::setenv("PATH", ("relative:" + bin).c_str(), 1);
  s = libberth::Client::open({.root = root_}, &other);
  EXPECT_TRUE(s.ok()) << s.to_string();
  // $BERTH_BINARY first, as given.
  ::setenv("BERTH_BINARY", (tmp_ + "/not-there").c_str(), 1);
  s = libberth::Client::open({.root = root_}, &other);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.to_string();
  EXPECT_EQ(s.message().rfind("$BERTH_BINARY: " + tmp_ + "/not-there: ", 0), 0u) << s.message();
  ::setenv("PATH", path.c_str(), 1);
  if (old_binary) {
    ::setenv("BERTH_BINARY", binary.c_str(), 1);
  } else {
    ::unsetenv("BERTH_BINARY");
  }
}

TEST_F(Library, EachMisuseGetsItsTypedError) {
  std::shared_ptr<libberth::Container> c;
  std::string dir = bundle("x", {"/bin/probe", "sleep"});
  EXPECT_EQ(client_->create_container("bad/id", specs_["x"], {.bundle = dir}, &c).code(), Code::kInvalidArgument);
  libberth::Status s = client_->create_container(id("spec"), R"({"ociVersion":"1.0.2","process":{"args":7}})",
                                                 {.bundle = dir}, &c);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("process.args"), std::string::npos) << s.message();
  EXPECT_EQ(client_->create_container(id("nobundle"), specs_["x"], {.bundle = tmp_ + "/none"}, &c).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(client_->load_container(id("ghost"), &c).code(), Code::kNotFound);
  // An error raised inside the container's init keeps its kind on the way
  // out (the sync socket, then berth's JSON log): proc mounted over a file in
  // the image is bad input, not an internal failure.
  std::string rootfs = tmp_ + "/procfile-rootfs";
  ASSERT_EQ(std::system(("cp -a " BERTH_TEST_ROOTFS " " + rootfs).c_str()), 0);
  ::rmdir((rootfs + "/proc").c_str());
  std::ofstream(rootfs + "/proc") << "a file\n";
  auto pf = container(id("procfile"), {"/bin/probe", "sleep"}, [&](nlohmann::json& j) { j["root"]["path"] = rootfs; });
  std::shared_ptr<libberth::Task> pt;
  libberth::Status ps = pf->new_task({}, &pt);
  EXPECT_EQ(ps.code(), Code::kInvalidArgument) << ps.to_string();
  EXPECT_TRUE(pf->remove().ok());

  c = container(id("misuse"), {"/bin/probe", "sleep"});
  std::shared_ptr<libberth::Container> dup;
  EXPECT_EQ(client_->create_container(c->id(), specs_[id("misuse")], {.bundle = dir}, &dup).code(),
            Code::kAlreadyExists);
  std::shared_ptr<libberth::Task> t;
  EXPECT_EQ(c->task(&t).code(), Code::kNotFound);
  t = task(c);
  std::shared_ptr<libberth::Task> t2;
  EXPECT_EQ(c->new_task({}, &t2).code(), Code::kAlreadyExists);
  EXPECT_EQ(c->remove().code(), Code::kConflict);  // it has a task
  EXPECT_EQ(t->resume().code(), Code::kConflict);  // created, not paused
  ASSERT_TRUE(t->start().ok());
  EXPECT_EQ(t->start().code(), Code::kConflict);
  EXPECT_EQ(t->remove().code(), Code::kConflict);  // running
  EXPECT_EQ(t->update(R"({"memory":{"limit":"lots"}})").code(), Code::kInvalidArgument);
  std::shared_ptr<libberth::Process> p;
  EXPECT_EQ(t->exec("init", kShortExec, {}, &p).code(), Code::kInvalidArgument);
  EXPECT_EQ(t->exec("bad id", kShortExec, {}, &p).code(), Code::kInvalidArgument);
  EXPECT_EQ(t->exec("e", R"({"args":[]})", {}, &p).code(), Code::kInvalidArgument);
  const char* sleeper = R"({"args":["/bin/probe","sleep"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}})";
  ASSERT_TRUE(t->exec("long", sleeper, {}, &p).ok());
  std::shared_ptr<libberth::Process> p2;
  EXPECT_EQ(t->exec("long", sleeper, {}, &p2).code(), Code::kAlreadyExists);
  EXPECT_EQ(p->remove().code(), Code::kConflict);        // still running
  EXPECT_EQ(p->resize(80, 24).code(), Code::kConflict);  // no terminal
  ASSERT_TRUE(p->kill(SIGKILL).ok());
  libberth::ExitStatus e;
  ASSERT_TRUE(p->wait(&e).ok());
  EXPECT_EQ(p->kill(SIGKILL).code(), Code::kNotFound);  // already finished
  EXPECT_TRUE(p->remove().ok());
  ASSERT_TRUE(t->kill(SIGKILL).ok());
  ASSERT_TRUE(t->wait(&e).ok());
  EXPECT_EQ(t->pause().code(), Code::kConflict);  // stopped
  EXPECT_EQ(t->kill(SIGKILL).code(), Code::kConflict);
  ASSERT_TRUE(t->remove().ok());
  EXPECT_EQ(t->status(nullptr).code(), Code::kNotFound);
  EXPECT_TRUE(c->remove().ok());
}

TEST_F(Library, SandboxMembersAreRecordedAndGoWithAForcedSandboxDelete) {
  const std::string pod = id("pod"), app = id("app");
  auto sb = container(pod, {"/bin/probe", "sleep"}, [&](nlohmann::json& j) {
    j["annotations"] = {{"io.kubernetes.cri.container-type", "sandbox"}, {"io.kubernetes.cri.sandbox-id", pod}};
  });
  auto member = container(app, {"/bin/probe", "sleep"}, [&](nlohmann::json& j) {
    j["annotations"] = {{"io.kubernetes.cri.container-type", "container"}, {"io.kubernetes.cri.sandbox-id", pod}};
  });
  EXPECT_EQ(sb->sandbox(), pod);
  EXPECT_EQ(member->sandbox(), pod);
  std::shared_ptr<libberth::Task> mt;
  EXPECT_EQ(member->new_task({}, &mt).code(), Code::kNotFound);  // no sandbox task yet
  auto st = task(sb);
  ASSERT_TRUE(st->start().ok());
  mt = task(member);
  ASSERT_TRUE(mt->start().ok());
  EXPECT_TRUE(st->kill(SIGKILL).ok());
  libberth::ExitStatus e;
  ASSERT_TRUE(st->wait(&e).ok());
  EXPECT_EQ(st->remove().code(), Code::kConflict);  // a live member
  ASSERT_TRUE(st->force_remove().ok());
  ASSERT_TRUE(mt->wait(&e).ok());
  EXPECT_FALSE(exists(root_ + "/" + app));
}

}  // namespace
