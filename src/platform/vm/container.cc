#include "platform/vm/container.h"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/proc.h"
#include "base/scm_rights.h"
#include "platform/pidfd_process.h"
#include "platform/vm/config.h"
#include "platform/vm/guest.h"
#include "platform/vm/pod_network.h"
#include "platform/vm/protocol.h"
#include "platform/vm/share.h"

namespace berth::vm {

// ---- the record ----

std::string encode_record(const Record& r) {
  nlohmann::ordered_json j = {{"isHost", r.is_host}, {"socket", r.socket},      {"share", r.share},
                              {"pid", r.pid},        {"pidStart", r.pid_start}, {"guestPid", r.guest_pid}};
  if (r.is_host) {
    j["shimPid"] = r.shim_pid;
    j["shimStart"] = r.shim_start;
    j["qemuPid"] = r.qemu_pid;
    j["accel"] = r.accel;
    j["kernel"] = r.kernel;
    if (!r.netns.empty()) {
      j["netns"] = r.netns;
      j["link"] = r.link;
    }
  }
  return j.dump();
}

Result<Record> decode_record(std::string_view text) {
  Record r;
  try {
    auto j = nlohmann::json::parse(text);
    r.is_host = j.value("isHost", false);
    r.socket = j.value("socket", "");
    r.share = j.value("share", "");
    r.pid = j.value("pid", 0);
    r.pid_start = j.value("pidStart", uint64_t{0});
    r.guest_pid = j.value("guestPid", 0);
    r.shim_pid = j.value("shimPid", 0);
    r.shim_start = j.value("shimStart", uint64_t{0});
    r.qemu_pid = j.value("qemuPid", 0);
    r.accel = j.value("accel", "");
    r.kernel = j.value("kernel", "");
    r.netns = j.value("netns", "");
    r.link = j.value("link", "");
  } catch (const std::exception& e) {
    return invalid(std::string("vm: ") + e.what());
  }
  // A pid without its start time could be anything by now: never signalled.
  if (r.pid <= 1 || r.pid_start == 0) r.pid = 0;
  if (r.shim_pid <= 1 || r.shim_start == 0) r.shim_pid = 0;
  return r;
}

// ---- the container ----

Result<std::string> VmContainer::guest(const std::vector<std::string>& argv) const {
  return guest_output(rec_.socket, argv);
}

Status VmContainer::guest_do(const std::vector<std::string>& argv) const {
  auto out = guest(argv);
  if (!out) return std::move(out).error();
  return {};
}

state::Status VmContainer::status() {
  if (rec_.pid == 0) return state::Status::kCreating;
  // The stand-in's end is the process's end (the agent kills what a closed
  // channel ran).
  if (!process_alive(rec_.pid, rec_.pid_start)) return state::Status::kStopped;
  auto out = guest({"state", id_});
  if (!out) return state::Status::kStopped;
  try {
    std::string s = nlohmann::json::parse(*out).at("status").get<std::string>();
    for (auto st : {state::Status::kCreated, state::Status::kRunning, state::Status::kPaused, state::Status::kCreating})
      if (s == state::status_name(st)) return st;
    return state::Status::kStopped;
  } catch (const std::exception&) {
    return state::Status::kStopped;
  }
}

Status VmContainer::start() { return guest_do({"start", id_}); }

Status VmContainer::signal(int sig, bool all) {
  std::vector<std::string> argv = {"kill"};
  if (all) argv.push_back("--all");
  argv.insert(argv.end(), {id_, std::to_string(sig)});
  return guest_do(argv);
}

Status VmContainer::pause() { return guest_do({"pause", id_}); }
Status VmContainer::resume() { return guest_do({"resume", id_}); }

Status VmContainer::update(const oci::Resources& r) {
  std::vector<std::string> argv = {"update"};
  if (r.memory && r.memory->limit) argv.insert(argv.end(), {"--memory", std::to_string(*r.memory->limit)});
  if (r.memory && r.memory->reservation)
    argv.insert(argv.end(), {"--memory-reservation", std::to_string(*r.memory->reservation)});
  if (r.memory && r.memory->swap) argv.insert(argv.end(), {"--memory-swap", std::to_string(*r.memory->swap)});
  if (r.cpu && r.cpu->shares) argv.insert(argv.end(), {"--cpu-shares", std::to_string(*r.cpu->shares)});
  if (r.cpu && r.cpu->quota) argv.insert(argv.end(), {"--cpu-quota", std::to_string(*r.cpu->quota)});
  if (r.cpu && r.cpu->period) argv.insert(argv.end(), {"--cpu-period", std::to_string(*r.cpu->period)});
  if (r.cpu && !r.cpu->cpus.empty()) argv.insert(argv.end(), {"--cpuset-cpus", r.cpu->cpus});
  if (r.cpu && !r.cpu->mems.empty()) argv.insert(argv.end(), {"--cpuset-mems", r.cpu->mems});
  if (r.pids && r.pids->limit) argv.insert(argv.end(), {"--pids-limit", std::to_string(*r.pids->limit)});
  argv.push_back(id_);
  return guest_do(argv);
}

Result<platform::Stats> VmContainer::statistics() {
  auto out = guest({"events", "--stats", id_});
  if (!out) return std::move(out).error();
  platform::Stats s;
  try {
    auto d = nlohmann::json::parse(*out).at("data");
    auto u64 = [](const nlohmann::json& o, const char* k) { return o.is_object() ? o.value(k, uint64_t{0}) : 0; };
    auto cpu = d.value("cpu", nlohmann::json::object()).value("usage", nlohmann::json::object());
    s.cpu_usage_ns = u64(cpu, "total");
    s.cpu_user_ns = u64(cpu, "user");
    s.cpu_system_ns = u64(cpu, "kernel");
    auto mem = d.value("memory", nlohmann::json::object());
    auto usage = mem.value("usage", nlohmann::json::object());
    s.memory_usage = u64(usage, "usage");
    s.memory_max_usage = u64(usage, "max");
    s.memory_limit = u64(usage, "limit");
    s.memory_failcnt = u64(usage, "failcnt");
    s.memory_cache = u64(mem, "cache");
    auto swap = mem.value("swap", nlohmann::json::object());
    s.swap_usage = u64(swap, "usage");
    s.swap_limit = u64(swap, "limit");
    if (mem.contains("raw") && mem["raw"].is_object())
      for (auto& [k, v] : mem["raw"].items())
        if (v.is_number_unsigned()) s.memory_raw[k] = v.get<uint64_t>();
    auto pids = d.value("pids", nlohmann::json::object());
    s.pids_current = u64(pids, "current");
    s.pids_limit = u64(pids, "limit");
    if (auto it = s.memory_raw.find("oom_kill"); it != s.memory_raw.end()) s.oom_kills = it->second;
  } catch (const std::exception& e) {
    return make_error(ErrorKind::kInternal, std::string("statistics from the utility VM: ") + e.what());
  }
  return s;
}

Result<std::vector<pid_t>> VmContainer::pids(state::Status) {
  auto out = guest({"ps", "--format", "json", id_});
  if (!out) return std::move(out).error();
  try {
    return nlohmann::json::parse(*out).get<std::vector<pid_t>>();
  } catch (const std::exception& e) {
    return make_error(ErrorKind::kInternal, std::string("process list from the utility VM: ") + e.what());
  }
}

Result<std::vector<platform::ProcessInfo>> VmContainer::processes(state::Status) {
  // What runs in the guest, as the guest's berth reads it there.
  auto out = guest({"ps", "--format", "processes", id_});
  if (!out) return std::move(out).error();
  try {
    std::vector<platform::ProcessInfo> list;
    for (const auto& p : nlohmann::json::parse(*out))
      list.push_back({.pid = p.at("pid").get<int>(),
                      .ppid = p.at("ppid").get<int>(),
                      .uid = p.at("uid").get<unsigned>(),
                      .cpu_time_ns = p.at("cpuTimeNs").get<uint64_t>(),
                      .rss_bytes = p.at("rssBytes").get<uint64_t>(),
                      .start_time_ticks = p.at("startTimeTicks").get<uint64_t>(),
                      .command = p.at("command").get<std::string>(),
                      .in_guest = true});
    return list;
  } catch (const std::exception& e) {
    return make_error(ErrorKind::kInternal, std::string("process list from the utility VM: ") + e.what());
  }
}

namespace {

// The process's stdio on the host: the caller's, or a pty whose master goes
// to the console socket (or back to berth, which proxies it).
struct HostStdio {
  Fd slave, master;
  int fds[3] = {0, 1, 2};
};

Result<HostStdio> host_stdio(bool terminal, const std::string& console_socket) {
  HostStdio h;
  if (!terminal) return h;
  int m = -1, s = -1;
  if (::openpty(&m, &s, nullptr, nullptr, nullptr) < 0) return sys_error("openpty");
  h.master = Fd(m);
  h.slave = Fd(s);
  ::fcntl(m, F_SETFD, FD_CLOEXEC);
  ::fcntl(s, F_SETFD, FD_CLOEXEC);
  for (int& fd : h.fds) fd = s;
  if (!console_socket.empty()) {
    auto sock = connect_unix(console_socket);
    if (!sock) return std::move(sock).error().wrap("console socket " + console_socket);
    auto sent = send_with_fd(sock->get(), "/dev/ptmx", m);
    if (!sent) return std::move(sent).error().wrap("send the pty master to " + console_socket);
    h.master.reset();
  }
  return h;
}

}  // namespace

Result<platform::Execed> VmContainer::create_process(const platform::ExecRequest& req) {
  // The process as the guest's berth reads it (exec --process), in the share.
  static int serial = 0;
  std::string name = "exec-" + std::to_string(::getpid()) + "-" + std::to_string(++serial) + ".json";
  auto share = open_share_dir(rec_.share);
  if (!share) return std::move(share).error();
  BERTH_TRY(write_into_share(share->get(), name, process_json(req.process)));
  auto stdio = host_stdio(req.process.terminal, req.console_socket);
  if (!stdio) return std::move(stdio).error();
  ProxyRequest pr;
  pr.socket = rec_.socket;
  pr.tty = req.process.terminal;
  pr.argv = {"exec", "--detach", "--pid-file", "{pid-file}", "--process", "/share/" + id_ + "/" + name};
  if (pr.tty) pr.argv.insert(pr.argv.end(), {"--console-socket", "{console}"});
  pr.argv.push_back(id_);
  std::copy(std::begin(stdio->fds), std::end(stdio->fds), pr.stdio);
  auto proxy = spawn_proxy(pr);
  if (!proxy) return std::move(proxy).error();
  auto pid = go(*proxy, 60000);
  ::unlinkat(share->get(), name.c_str(), 0);
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, proxy->pid, 0)));
  if (!pid) {
    siginfo_t info;
    (void)::waitid(P_PID, static_cast<id_t>(proxy->pid), &info, WEXITED);
    return std::move(pid).error();
  }
  platform::Execed e;
  e.process = std::make_unique<platform::PidfdProcess>(proxy->pid, std::move(pidfd));
  e.console = std::move(stdio->master);
  return e;
}

Result<std::unique_ptr<platform::Process>> VmContainer::open_process(pid_t pid) {
  if (pid == 0) pid = rec_.pid;
  if (pid == rec_.pid && !process_alive(rec_.pid, rec_.pid_start)) return std::unique_ptr<platform::Process>();
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    if (errno == ESRCH) return std::unique_ptr<platform::Process>();
    return sys_error("pidfd_open " + std::to_string(pid));
  }
  return std::unique_ptr<platform::Process>(std::make_unique<platform::PidfdProcess>(pid, Fd(fd)));
}

namespace {

// The guest's `berth events` for the container, read for its oom events: the
// guest's berth watches the container's memory cgroup there.
class VmOomWatch final : public platform::OomWatch {
 public:
  explicit VmOomWatch(Fd conn) : conn_(std::move(conn)) {}
  int fd() const override { return conn_.get(); }
  Seen check() override {
    Seen seen;
    if (!read_into(conn_.get(), reader_)) seen.gone = true;
    while (auto m = reader_.next()) {
      if (m->type == Frame::kEnd) seen.gone = true;
      if (m->type != Frame::kStdout) continue;
      line_ += m->data;
      for (size_t nl; (nl = line_.find('\n')) != std::string::npos; line_.erase(0, nl + 1))
        if (std::string_view(line_).substr(0, nl).starts_with(R"({"type":"oom")")) seen.oom = true;
    }
    return seen;
  }

 private:
  Fd conn_;
  FrameReader reader_;
  std::string line_;
};

}  // namespace

Result<std::unique_ptr<platform::OomWatch>> VmContainer::oom_events() {
  // Stats events only once a day: the oom events are what is read.
  auto conn = open_in_guest(rec_.socket, {"events", "--interval", "24h", id_});
  if (!conn) return std::move(conn).error();
  ::fcntl(conn->get(), F_SETFL, O_NONBLOCK);
  return std::unique_ptr<platform::OomWatch>(std::make_unique<VmOomWatch>(std::move(*conn)));
}

Status VmContainer::destroy(std::vector<std::string>* warnings) {
  auto warn = [&](const std::string& w) {
    if (warnings) warnings->push_back(w);
  };
  // The guest's container first, while the VM runs; a stopped VM took it along.
  if (!rec_.socket.empty()) {
    auto o = run_in_guest(rec_.socket, {"delete", "--force", id_}, 30000);
    if (o && o->status != 0 && o->error.find("does not exist") == std::string::npos)
      warn("delete in the utility VM: " + o->error);
  }
  if (rec_.pid != 0) (void)signal_process(rec_.pid, rec_.pid_start, SIGKILL);
  if (rec_.is_host) {
    // The shim stops QEMU and virtiofsd and reaps them; killed, it takes
    // them along all the same (PR_SET_PDEATHSIG). Then the share is unused.
    if (rec_.shim_pid != 0 && signal_process(rec_.shim_pid, rec_.shim_start, SIGTERM) &&
        !wait_exited(rec_.shim_pid, 5000) && signal_process(rec_.shim_pid, rec_.shim_start, SIGKILL))
      (void)wait_exited(rec_.shim_pid, 5000);
    if (rec_.qemu_pid > 1 && process_alive(rec_.qemu_pid, 0)) {
      char exe[4096] = {};
      std::string link = "/proc/" + std::to_string(rec_.qemu_pid) + "/exe";
      const bool named = ::readlink(link.c_str(), exe, sizeof exe - 1) > 0;
      if (named && std::strstr(exe, "qemu") != nullptr) ::kill(rec_.qemu_pid, SIGKILL);
      // Killed here, or still dying of its shim's death (PDEATHSIG: an exiting
      // process has lost its exe link but not yet its pid): gone before
      // delete returns. A pid that names another program was reused.
      if (!named || std::strstr(exe, "qemu") != nullptr) (void)wait_exited(rec_.qemu_pid, 10000);
    }
    // The pod's interface back to itself (its tap went with QEMU, stopped above); a
    // namespace CNI already removed took it along.
    if (!rec_.netns.empty()) {
      auto ns = PodNetns::open(rec_.netns);
      if (ns) {
        if (auto st = ns->disconnect(rec_.link); !st) warn(st.error().message);
      } else if (ns.error().code != ENOENT) {
        warn(ns.error().message);
      }
    }
  }
  if (!rec_.share.empty()) {
    if (auto r = remove_share(rec_.share); !r) return r;
    if (rec_.is_host) {
      std::string root = rec_.share.substr(0, rec_.share.rfind('/'));
      if (::rmdir(root.c_str()) < 0 && errno != ENOENT) warn(sys_error("rmdir " + root).message);
    }
  }
  return {};
}

// ---- the platform ----

Result<std::unique_ptr<platform::Container>> VmPlatform::open(const state::ContainerDir&,
                                                              const state::ContainerState& st) {
  auto rec = decode_record(st.platform_state);
  if (!rec) return std::move(rec).error().wrap("state of " + st.id);
  return std::unique_ptr<platform::Container>(std::make_unique<VmContainer>(st.id, std::move(*rec)));
}

void VmPlatform::features(nlohmann::ordered_json& out) const {
  // What a VM sandbox is, for a client reading the features document.
  out["annotations"]["io.berth.vm.hypervisor"] = "qemu-system-x86_64 -M microvm";
  out["annotations"]["io.berth.vm.share"] = "virtio-fs";
}

}  // namespace berth::vm
