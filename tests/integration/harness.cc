#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace berth::test {

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool exists(const std::string& path) {
  struct stat sb;
  return ::lstat(path.c_str(), &sb) == 0;
}

bool pid_alive(int pid) {
  if (pid <= 0) return false;
  std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  auto rparen = stat.rfind(')');
  return rparen != std::string::npos && rparen + 2 < stat.size() && stat[rparen + 2] != 'Z';
}

RunResult run_cmd(const std::vector<std::string>& argv, int timeout_ms, std::atomic<pid_t>* started) {
  char out_path[] = "/tmp/berth-out-XXXXXX";
  char err_path[] = "/tmp/berth-err-XXXXXX";
  int out_fd = ::mkstemp(out_path);
  int err_fd = ::mkstemp(err_path);
  RunResult r;
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::close_range(3, ~0U, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(126);
  }
  if (started) *started = pid;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  struct pollfd p = {pidfd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) == 0) {
    ::kill(pid, SIGKILL);
    ADD_FAILURE() << "timed out: " << argv[0] << " " << (argv.size() > 3 ? argv[3] : "");
  }
  ::close(pidfd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(out_path);
  r.err = read_text(err_path);
  ::close(out_fd);
  ::close(err_fd);
  ::unlink(out_path);
  ::unlink(err_path);
  return r;
}

const std::string& runtime() {
  static const std::string path = [] {
    const char* env = std::getenv("BERTH_RUNTIME");
    return std::string(env != nullptr && *env != '\0' ? env : BERTH_BINARY);
  }();
  return path;
}

bool runtime_is_berth() {
  static const bool is_berth = runtime() == BERTH_BINARY ||
                               run_cmd({runtime(), "--version"}, 10000).out.rfind("berth version", 0) == 0;
  return is_berth;
}

std::string runtime_name() {
  if (runtime_is_berth()) return "berth";
  const std::string& p = runtime();
  return p.substr(p.rfind('/') + 1);
}

const nlohmann::json& runtime_features() {
  static const nlohmann::json features = [] {
    auto j = nlohmann::json::parse(run_cmd({runtime(), "features"}, 10000).out, nullptr, false);
    return j.is_object() ? j : nlohmann::json::object();
  }();
  return features;
}

bool runtime_spec_at_least(const std::string& version) {
  // "1.0.2-dev" -> {1, 0, 2}; a runtime without `features` is taken at its word (berth's).
  auto parse = [](const std::string& v) {
    std::vector<int> out;
    std::istringstream in(v);
    for (std::string part; std::getline(in, part, '.') && out.size() < 3;) out.push_back(std::atoi(part.c_str()));
    out.resize(3, 0);
    return out;
  };
  if (!runtime_features().contains("ociVersionMax")) return runtime_is_berth();
  return parse(runtime_features()["ociVersionMax"].get<std::string>()) >= parse(version);
}

std::vector<std::string> mount_points() {
  std::vector<std::string> out;
  std::istringstream in(read_text("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mp;
    f >> id >> parent >> dev >> root >> mp;
    out.push_back(mp);
  }
  return out;
}

std::map<std::string, std::string> parse_probe(const std::string& out) {
  std::map<std::string, std::string> m;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) m[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return m;
}

nlohmann::json default_config() {
  using nlohmann::json;
  json caps = json::array({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
  return json{
      {"ociVersion", "1.2.0"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"/bin/probe", "id"}},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", BERTH_TEST_ROOTFS}, {"readonly", true}}},
      {"hostname", "berth-test"},
      {"mounts",
       {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
        {{"destination", "/dev"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/dev/pts"},
         {"type", "devpts"},
         {"source", "devpts"},
         {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
        {{"destination", "/dev/shm"},
         {"type", "tmpfs"},
         {"source", "shm"},
         {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
        {{"destination", "/dev/mqueue"},
         {"type", "mqueue"},
         {"source", "mqueue"},
         {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/sys"},
         {"type", "sysfs"},
         {"source", "sysfs"},
         {"options", {"nosuid", "noexec", "nodev", "ro"}}},
        {{"destination", "/sys/fs/cgroup"},
         {"type", "cgroup"},
         {"source", "cgroup"},
         {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}}}},
      {"linux",
       {{"namespaces",
         {{{"type", "pid"}},
          {{"type", "network"}},
          {{"type", "ipc"}},
          {{"type", "uts"}},
          {{"type", "mount"}},
          {{"type", "cgroup"}}}},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
        {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
  };
}

std::string BerthTest::own_rootfs() {
  std::string dir = tmp_ + "/rootfs";
  EXPECT_EQ(run_cmd({"/bin/cp", "-a", BERTH_TEST_ROOTFS, dir}).code, 0);
  config_["root"]["path"] = dir;
  return dir;
}

void BerthTest::SetUp() {
  char tmpl[] = "/tmp/berth-it-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  tmp_ = tmpl;
  root_ = tmp_ + "/state";
  bundle_ = tmp_ + "/bundle";
  ::mkdir(bundle_.c_str(), 0755);
  config_ = default_config();
  write_config();
}

void BerthTest::TearDown() {
  // Whatever the test did, leave nothing: containers, then files.
  RunResult ids = berth({"list", "-q"});
  std::istringstream in(ids.out);
  std::string id;
  while (std::getline(in, id))
    if (!id.empty()) berth({"delete", "--force", id});
  // rm -rf walks into mounts: one a failed test left below tmp_ (a bind of
  // the shared test rootfs) would be emptied. Detached first, deepest first.
  std::vector<std::string> below;
  for (const auto& m : mount_points())
    if (m.starts_with(tmp_ + "/")) below.push_back(m);
  std::sort(below.begin(), below.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& m : below) ::umount2(m.c_str(), MNT_DETACH);
  run_cmd({"/bin/rm", "-rf", "--one-file-system", tmp_});
}

RunResult BerthTest::berth(std::vector<std::string> args, int timeout_ms, std::atomic<pid_t>* started) {
  args.insert(args.begin(), {runtime(), "--root", root_});
  return run_cmd(args, timeout_ms, started);
}

void BerthTest::write_config() { std::ofstream(bundle_ + "/config.json") << config_.dump(2); }

void BerthTest::set_args(const std::vector<std::string>& args) {
  config_["process"]["args"] = args;
  write_config();
}

std::string BerthTest::status_of(const std::string& id) {
  RunResult r = berth({"state", id});
  if (r.code != 0) return "";
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  return j.is_object() ? j.value("status", "") : "";
}

std::string BerthTest::wait_status(const std::string& id, const std::string& status, int timeout_ms) {
  std::string s;
  for (int waited = 0; waited <= timeout_ms; waited += 20) {
    s = status_of(id);
    if (s == status) return s;
    ::usleep(20000);
  }
  return s;
}

}  // namespace berth::test
