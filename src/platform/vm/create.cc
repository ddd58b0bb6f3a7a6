// Creating a VM-hosted container: a sandbox boots its utility VM first (the
// VM shim, recorded before it runs), then every container, the sandbox's own
// included, is made in the VM by the guest's berth, stood for on the host by
// a vm-proxy (recorded before it runs).
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

#include "base/file.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/scm_rights.h"
#include "platform/pidfd_process.h"
#include "platform/vm/config.h"
#include "platform/vm/container.h"
#include "platform/vm/guest.h"
#include "platform/vm/pod_network.h"
#include "platform/vm/protocol.h"
#include "platform/vm/share.h"
#include "platform/vm/vm_shim.h"

namespace berth::vm {

namespace {

constexpr int kCreateTimeoutMs = 120000;

class VmCreation final : public platform::Creation {
 public:
  VmCreation(platform::CreateRequest& req, VmConfig config, GuestConfig guest, Record host)
      : req_(req), config_(std::move(config)), guest_(std::move(guest)), c_(req.opts.id, std::move(host)) {}
  // The pod's network namespace and its interface, to connect to the VM.
  void connect_to(std::string path, PodNetns ns, PodInterface iface) {
    netns_path_ = std::move(path);
    netns_.emplace(std::move(ns));
    iface_ = std::move(iface);
  }

  Status make(const state::ContainerDir& dir, const platform::CreateCallbacks& cb) override;
  platform::Container& container() override { return c_; }
  // A copy: start_now() (run) still asks the guest through this one.
  std::unique_ptr<platform::Container> take_container() override { return std::make_unique<VmContainer>(c_); }
  platform::Process& init() override { return *init_; }
  Status start_now() override { return c_.start(); }
  Result<Fd> take_console() override { return std::move(console_); }
  std::vector<std::string>& warnings() override { return warnings_; }

 private:
  Status boot(const state::ContainerDir& dir, const platform::CreateCallbacks& cb);
  Status make_in_guest(const platform::CreateCallbacks& cb);

  platform::CreateRequest& req_;
  VmConfig config_;
  GuestConfig guest_;
  VmContainer c_;
  std::string netns_path_;
  std::optional<PodNetns> netns_;
  std::optional<PodInterface> iface_;
  std::unique_ptr<platform::PidfdProcess> init_;
  Fd console_;
  std::vector<std::string> warnings_;
};

// The VM: the shim is recorded, then let go; it answers once the agent does.
Status VmCreation::boot(const state::ContainerDir& dir, const platform::CreateCallbacks& cb) {
  Record& r = c_.rec();
  std::string share_root = dir.path() + "/share";
  if (::mkdir(share_root.c_str(), 0700) < 0 && errno != EEXIST) return sys_error("mkdir " + share_root);
  // The pod's network first (recorded before it is touched): its tap
  // goes to QEMU, its address to the guest.
  Fd tap;
  std::string mac, net;
  if (iface_) {
    r.netns = netns_path_;
    r.link = iface_->name;
    BERTH_TRY(cb.record());
    auto t = netns_->connect(*iface_);
    if (!t) return std::move(t).error();
    tap = std::move(*t);
    mac = iface_->mac;
    net = iface_->address + "," + iface_->gateway + "," + std::to_string(iface_->mtu);
  }
  std::string accel = choose_accel(config_);
  bool probing = accel == "kvm?";
  for (;;) {
    std::string use = probing ? "kvm" : accel;
    auto cmds = vm_commands(config_, use, dir.path(), share_root, mac, net);
    int timeout_ms = probing ? 20000 : config_.boot_timeout_s * 1000;
    std::vector<std::string> args = {"vm-shim", dir.path(), std::to_string(timeout_ms)};
    args.insert(args.end(), cmds.virtiofsd.begin(), cmds.virtiofsd.end());
    args.push_back("--");
    args.insert(args.end(), cmds.qemu.begin(), cmds.qemu.end());
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    int stdio[3] = {null, null, null};
    auto shim = spawn_berth(args, stdio, true, tap.valid() ? tap.get() : -1);
    ::close(null);
    if (!shim) return std::move(shim).error();
    r.shim_pid = shim->pid;
    r.shim_start = process_start_time(shim->pid);
    BERTH_TRY(cb.record());
    auto said = say_go(*shim, timeout_ms + 10000);
    std::string answer = said ? *said : "";
    if (answer.starts_with("ready ")) {
      auto parts = split(answer.substr(6), ' ');
      r.qemu_pid = std::atoi(parts[0].c_str());
      r.kernel = parts.size() > 1 ? std::string(trim(parts[1])) : "";
      r.accel = use;
      if (probing) (void)create_file("/run/berth-vm-accel", use, 0644);
      BERTH_DEBUG("create " + req_.opts.id + ": utility VM up (" + use + ", kernel " + r.kernel + ", qemu pid " +
                  std::to_string(r.qemu_pid) + ")");
      break;
    }
    if (signal_process(shim->pid, r.shim_start, SIGKILL)) (void)wait_exited(shim->pid, 5000);
    if (probing) {
      // KVM opened but did not boot a stock kernel here: emulate, and remember.
      (void)create_file("/run/berth-vm-accel", "tcg", 0644);
      warnings_.push_back("utility VM: KVM did not boot the guest kernel; using software emulation (tcg)");
      probing = false;
      accel = "tcg";
      continue;
    }
    std::string console;
    if (auto log = read_file(dir.path() + "/" + kConsoleLog)) {
      console = *log;
      if (console.size() > 600) console = "..." + console.substr(console.size() - 600);
    }
    std::string msg = answer.starts_with("error ") ? answer.substr(6) : "the VM shim exited";
    return make_error(ErrorKind::kInternal,
                      "start the utility VM (" + use + "): " + msg + (console.empty() ? "" : "; console: " + console));
  }
  r.socket = dir.path() + "/" + kVmSocket;
  return cb.record();
}

// The container in the guest: its share (recorded, then mounted), its
// config, then the guest's `berth create` through a recorded stand-in.
Status VmCreation::make_in_guest(const platform::CreateCallbacks& cb) {
  Record& r = c_.rec();
  r.share = r.socket.substr(0, r.socket.rfind('/')) + "/share/" + req_.opts.id;
  BERTH_TRY(cb.record());
  auto share = make_share_dir(r.share);
  if (!share) return std::move(share).error();
  for (const auto& m : guest_.mounts) BERTH_TRY(bind_into_share(share->get(), m.source, m.name));
  BERTH_TRY(write_into_share(share->get(), "config.json", guest_.config_json));

  const oci::Spec& spec = *req_.spec;
  bool terminal = spec.process && spec.process->terminal;
  ProxyRequest pr;
  pr.socket = r.socket;
  pr.tty = terminal;
  pr.argv = {"create", "--bundle", "/share/" + req_.opts.id, "--pid-file", "{pid-file}"};
  Fd slave;  // with a terminal, the stand-in's stdio; else the caller's, as runc passes it to the init
  if (terminal) {
    int m = -1, s = -1;
    if (::openpty(&m, &s, nullptr, nullptr, nullptr) < 0) return sys_error("openpty");
    Fd master(m);
    slave = Fd(s);
    ::fcntl(m, F_SETFD, FD_CLOEXEC);
    ::fcntl(s, F_SETFD, FD_CLOEXEC);
    if (!req_.opts.console_socket.empty()) {
      auto sock = connect_unix(req_.opts.console_socket);
      if (!sock) return std::move(sock).error().wrap("console socket " + req_.opts.console_socket);
      auto sent = send_with_fd(sock->get(), "/dev/ptmx", m);
      if (!sent) return std::move(sent).error().wrap("send the pty master");
    } else {
      console_ = std::move(master);
    }
    pr.argv.insert(pr.argv.end(), {"--console-socket", "{console}"});
    for (int& fd : pr.stdio) fd = s;
  }
  pr.argv.push_back(req_.opts.id);
  auto proxy = spawn_proxy(pr);
  if (!proxy) return std::move(proxy).error();
  slave.reset();
  r.pid = proxy->pid;
  r.pid_start = process_start_time(proxy->pid);
  init_ = std::make_unique<platform::PidfdProcess>(proxy->pid,
                                                   Fd(static_cast<int>(::syscall(SYS_pidfd_open, proxy->pid, 0))));
  BERTH_TRY(cb.record());
  auto pid = go(*proxy, kCreateTimeoutMs);
  if (!pid) return std::move(pid).error();
  r.guest_pid = *pid;
  BERTH_TRY(cb.record());
  return cb.create_hooks(cb.state_json(r.pid));
}

Status VmCreation::make(const state::ContainerDir& dir, const platform::CreateCallbacks& cb) {
  BERTH_TRY(cb.record());
  cb.recorded();
  if (c_.rec().is_host) BERTH_TRY(boot(dir, cb));
  return make_in_guest(cb);
}

}  // namespace

Result<std::unique_ptr<platform::Creation>> VmPlatform::prepare(platform::CreateRequest& req) {
  const oci::Spec& spec = *req.spec;
  if (!spec.process) return invalid("process: required");
  if (spec.process->terminal && req.opts.console_socket.empty() && req.opts.detach)
    return invalid("process.terminal: a terminal needs --console-socket (or berth run in the foreground)");
  Record host;
  VmConfig config;
  if (req.host != nullptr) {
    // A member: in its sandbox's VM, which must be one (runhcs: the host
    // must be a VM host, and the sandbox's).
    auto* h = dynamic_cast<VmContainer*>(req.host);
    if (h == nullptr || !h->rec().is_host || h->rec().socket.empty())
      return invalid("annotations[\"" + req.host_annotation + "\"]: " + req.host_id + " is not a utility VM's host");
    if (spec.vm)
      return invalid("vm: a member of sandbox " + req.host_id +
                     " runs in the sandbox's utility VM and names none of "
                     "its own");
    host.socket = h->rec().socket;
  } else {
    auto c = load_config(spec);
    if (!c) return std::move(c).error();
    config = std::move(*c);
    host.is_host = true;
  }
  if (auto it = spec.annotations.find("io.berth.vm.host"); it != spec.annotations.end()) {
    // Placement into a named VM host: only the sandbox's own.
    if (req.host == nullptr)
      return invalid("annotations[\"io.berth.vm.host\"]: " + it->second +
                     " is not this container's sandbox (a VM host takes the members of its sandbox)");
    if (it->second != req.host_id)
      return invalid("annotations[\"io.berth.vm.host\"]: " + it->second + " is not the host of sandbox " + req.host_id +
                     " (" + req.host_id + " is)");
  }
  auto guest = guest_config(req.config_text, spec, req.bundle, req.opts.id);
  if (!guest) return std::move(guest).error();
  // The pod's network: the interface CNI made in the namespace the sandbox
  // names. A sandbox in a new namespace, or the host's, gets none (the
  // host's interfaces are never the VM's).
  std::string netns_path;
  if (host.is_host && config.network == "auto" && spec.linux_)
    for (const auto& ns : spec.linux_->namespaces)
      if (ns.type == oci::NamespaceType::kNetwork) netns_path = ns.path;
  std::optional<PodNetns> netns;
  std::optional<PodInterface> iface;
  if (!netns_path.empty()) {
    auto ns = PodNetns::open(netns_path);
    if (!ns) return std::move(ns).error().wrap("linux.namespaces[network].path");
    auto found = ns->find_interface();
    if (!found) return std::move(found).error().wrap("linux.namespaces[network].path");
    iface = std::move(*found);
    netns.emplace(std::move(*ns));
  }
  for (const auto& m : guest->mounts)
    if (::access(m.source.c_str(), F_OK) < 0) {
      if (m.name == "rootfs") return sys_error("root.path: " + m.source);
      return sys_error("mounts[" + m.name.substr(1) + "].source: " + m.source);
    }
  auto creation = std::make_unique<VmCreation>(req, std::move(config), std::move(*guest), std::move(host));
  if (iface) creation->connect_to(netns_path, std::move(*netns), std::move(*iface));
  return std::unique_ptr<platform::Creation>(std::move(creation));
}

}  // namespace berth::vm
