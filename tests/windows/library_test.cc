// libberth for Windows (src/windows/library.cc) under Wine, against the
// stand-in computecore.dll: the daemon-side API of include/berth/berth.h
// over berth.exe's shims and HCS, with events in order. Built by
// cmake/windows, run by `make windows-test`. What the stand-in's processes
// do: `cmd /c echo X` prints X and exits 0, `cmd /c exit N` exits N,
// anything else runs until stopped.
#include <fcntl.h>
#include <io.h>
#include <windows.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "berth/berth.h"

namespace {

namespace fs = std::filesystem;
namespace lb = libberth;

// The Windows path of a file of this build (BERTH_WINDOWS_BUILD is the
// build directory as the Linux host names it; Wine maps / to Z:).
std::string build_path(const std::string& name) {
  std::string p = std::string("Z:") + BERTH_WINDOWS_BUILD + "/" + name;
  for (char& c : p)
    if (c == '/') c = '\\';
  return p;
}

std::string spec(const std::string& args) {
  return R"({"ociVersion": "1.1.0",
    "process": {"user": {"username": "ContainerUser"}, "args": )" +
         args + R"(, "cwd": "C:\\"},
    "root": {"path": "\\\\?\\Volume{66d1ef4c-7a00-11e6-8948-00155ddbef9d}\\"},
    "windows": {"layerFolders": ["C:\\layers\\app", "C:\\layers\\base", "C:\\layers\\scratch"]}})";
}

const char* kRuns = R"(["cmd", "/c", "ping", "-t", "localhost"])";

class Library : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("berth-lib-" + std::to_string(GetCurrentProcessId()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "hcs");
    fs::create_directories(dir_ / "bundle");
    _putenv_s("BERTH_HCS_STANDIN_DIR", (dir_ / "hcs").string().c_str());
    _putenv_s("BERTH_HCS_STANDIN_FAIL", "");
    open_client();
  }
  void TearDown() override {
    client_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void open_client() {
    client_.reset();
    ASSERT_TRUE(
        lb::Client::open({.root = (dir_ / "root").string(), .berth_binary = build_path("berth.exe")}, &client_).ok());
    client_->set_event_handler([this](const lb::Event& e) {
      std::lock_guard lock(mu_);
      events_.push_back(std::string(lb::event_name(e.type)) + ":" + e.container_id + "/" + e.process_id);
      cv_.notify_all();
    });
  }
  // The events seen, once there are n of them (or after 20 s).
  std::vector<std::string> events(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [&] { return events_.size() >= n; });
    return events_;
  }
  std::vector<std::string> records() {
    std::vector<std::string> out;
    if (fs::exists(dir_ / "root"))
      for (const auto& e : fs::directory_iterator(dir_ / "root")) out.push_back(e.path().filename().string());
    return out;
  }
  std::vector<std::string> systems() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_ / "hcs"))
      if (e.path().extension() == ".json") out.push_back(e.path().stem().string());
    return out;
  }
  // A file for a process's output, as a C runtime fd.
  int out_fd(const std::string& name) {
    return _open((dir_ / name).string().c_str(), _O_CREAT | _O_WRONLY | _O_TRUNC | _O_BINARY, _S_IREAD | _S_IWRITE);
  }
  std::string read(const std::string& name) {
    std::ifstream f(dir_ / name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }

  fs::path dir_;
  std::unique_ptr<lb::Client> client_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

TEST_F(Library, TaskRunsAndEndsWithItsOutputAndEventsInOrder) {
  std::shared_ptr<lb::Container> c;
  ASSERT_TRUE(client_
                  ->create_container("web", spec(R"(["cmd", "/c", "echo", "hello"])"),
                                     {.bundle = (dir_ / "bundle").string()}, &c)
                  .ok());
  int out = out_fd("out.txt");
  std::shared_ptr<lb::Task> t;
  lb::Status s = c->new_task({.stdout_fd = out}, &t);
  _close(out);  // the library has its own copy
  ASSERT_TRUE(s.ok()) << s.to_string();
  lb::TaskStatus st;
  ASSERT_TRUE(t->status(&st).ok());
  EXPECT_EQ(st, lb::TaskStatus::kCreated);
  ASSERT_TRUE(t->start().ok());
  lb::ExitStatus exit;
  ASSERT_TRUE(t->wait(&exit).ok());
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(exit.pid, 100);  // the stand-in's first process
  EXPECT_EQ(read("out.txt"), "hello\r\n");
  EXPECT_EQ(events(3), (std::vector<std::string>{"create:web/init", "start:web/init", "exit:web/init"}));
  ASSERT_TRUE(t->status(&st).ok());
  EXPECT_EQ(st, lb::TaskStatus::kStopped);
  ASSERT_TRUE(t->remove().ok());
  EXPECT_TRUE(records().empty());
  EXPECT_TRUE(systems().empty());
}

TEST_F(Library, ExecPauseStatsAndKill) {
  std::shared_ptr<lb::Container> c;
  ASSERT_TRUE(client_->create_container("db", spec(kRuns), {.bundle = (dir_ / "bundle").string()}, &c).ok());
  std::shared_ptr<lb::Task> t;
  ASSERT_TRUE(c->new_task({}, &t).ok());
  ASSERT_TRUE(t->start().ok());
  int out = out_fd("exec.txt");
  std::shared_ptr<lb::Process> p;
  lb::Status s = t->exec("e1", R"({"args": ["cmd", "/c", "echo", "from-exec"], "cwd": "C:\\"})", {.stdout_fd = out},
                         &p);
  _close(out);
  ASSERT_TRUE(s.ok()) << s.to_string();
  lb::ExitStatus exit;
  ASSERT_TRUE(p->wait(&exit).ok());
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(read("exec.txt"), "from-exec\r\n");
  ASSERT_TRUE(t->exec("e2", R"({"args": ["cmd", "/c", "exit", "3"], "cwd": "C:\\"})", {}, &p).ok());
  ASSERT_TRUE(p->wait(&exit).ok());
  EXPECT_EQ(exit.exit_code, 3);
  EXPECT_TRUE(t->exec("e3", R"({"args": 7})", {}, &p).is_invalid_argument());

  std::vector<lb::ProcessInfo> procs;
  ASSERT_TRUE(t->processes(&procs).ok());
  ASSERT_EQ(procs.size(), 1u);  // the init; the execs have ended
  EXPECT_EQ(procs[0].pid, t->pid());
  lb::Stats stats;
  ASSERT_TRUE(t->stats(&stats).ok());
  EXPECT_EQ(stats.cpu_usage_ns, 1000000u);  // the stand-in's 1 ms per process
  EXPECT_EQ(stats.memory_usage, 1u << 20);

  ASSERT_TRUE(t->pause().ok());
  lb::TaskStatus st;
  ASSERT_TRUE(t->status(&st).ok());
  EXPECT_EQ(st, lb::TaskStatus::kPaused);
  ASSERT_TRUE(t->resume().ok());
  EXPECT_TRUE(t->remove().is_conflict());  // running
  ASSERT_TRUE(t->kill(9).ok());
  ASSERT_TRUE(t->wait(&exit).ok());
  EXPECT_EQ(exit.exit_code, 1);  // the stand-in's code for a terminated process
  EXPECT_EQ(events(11),
            (std::vector<std::string>{"create:db/init", "start:db/init", "exec-added:db/e1", "exec-started:db/e1",
                                      "exit:db/e1", "exec-added:db/e2", "exec-started:db/e2", "exit:db/e2",
                                      "paused:db/init", "resumed:db/init", "exit:db/init"}));
  ASSERT_TRUE(t->remove().ok());
  EXPECT_TRUE(records().empty());
  EXPECT_TRUE(systems().empty());
}

TEST_F(Library, ATaskOutlivesItsClient) {
  std::shared_ptr<lb::Container> c;
  ASSERT_TRUE(client_->create_container("svc", spec(kRuns), {.bundle = (dir_ / "bundle").string()}, &c).ok());
  std::shared_ptr<lb::Task> t;
  ASSERT_TRUE(c->new_task({}, &t).ok());
  ASSERT_TRUE(t->start().ok());
  const int pid = t->pid();
  c.reset();
  t.reset();
  open_client();  // a daemon's restart
  std::vector<std::string> ids;
  ASSERT_TRUE(client_->containers(&ids).ok());
  EXPECT_EQ(ids, std::vector<std::string>{"svc"});
  ASSERT_TRUE(client_->load_container("svc", &c).ok());
  ASSERT_TRUE(c->task(&t).ok());
  EXPECT_EQ(t->pid(), pid);
  lb::TaskStatus st;
  ASSERT_TRUE(t->status(&st).ok());
  EXPECT_EQ(st, lb::TaskStatus::kRunning);
  ASSERT_TRUE(t->kill(15).ok());  // shutdown
  lb::ExitStatus exit;
  ASSERT_TRUE(t->wait(&exit).ok());
  EXPECT_EQ(exit.exit_code, 1);
  ASSERT_TRUE(t->remove().ok());
  EXPECT_TRUE(records().empty());
}

TEST_F(Library, BadInputAndHcsFailuresLeaveNothing) {
  std::shared_ptr<lb::Container> c;
  lb::Status s = client_->create_container("x", "{\"ociVersion\": 1}", {.bundle = (dir_ / "bundle").string()}, &c);
  EXPECT_TRUE(s.is_invalid_argument());
  EXPECT_NE(s.message().find("ociVersion"), std::string::npos) << s.message();
  // A Linux spec: a Windows berth has nothing to run it with.
  s = client_->create_container("x", R"({"ociVersion": "1.1.0", "root": {"path": "rootfs"},
                                         "process": {"args": ["sh"], "cwd": "/"}})",
                                {.bundle = (dir_ / "bundle").string()}, &c);
  EXPECT_TRUE(s.is_invalid_argument());
  EXPECT_NE(s.message().find("windows"), std::string::npos) << s.message();
  EXPECT_TRUE(client_->create_container("bad/id", spec(kRuns), {.bundle = (dir_ / "bundle").string()}, &c)
                  .is_invalid_argument());

  ASSERT_TRUE(client_->create_container("f1", spec(kRuns), {.bundle = (dir_ / "bundle").string()}, &c).ok());
  _putenv_s("BERTH_HCS_STANDIN_FAIL", "HcsCreateComputeSystem");
  std::shared_ptr<lb::Task> t;
  s = c->new_task({}, &t);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("HcsCreateComputeSystem"), std::string::npos) << s.message();
  EXPECT_TRUE(records().empty());
  EXPECT_TRUE(systems().empty());
  _putenv_s("BERTH_HCS_STANDIN_FAIL", "");
  ASSERT_TRUE(c->new_task({}, &t).ok());  // the same container, once HCS answers
  EXPECT_TRUE(c->new_task({}, &t).is_already_exists());
  ASSERT_TRUE(t->force_remove().ok());
  EXPECT_TRUE(records().empty());
  EXPECT_TRUE(systems().empty());
}

}  // namespace
