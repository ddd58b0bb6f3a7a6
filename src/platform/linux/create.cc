// The Linux platform's create: the checks and resolutions that need no
// state (prepare), then the container made in the order runtime-spec and
// runc fix (make). The neutral half is runtime/create.cc.
#include <fcntl.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "base/crash.h"
#include "base/file.h"
#include "base/log.h"
#include "base/proc.h"
#include "cgroups/manager.h"
#include "linux/cgroup_join.h"
#include "linux/console.h"
#include "linux/init.h"
#include "linux/lsm.h"
#include "linux/mounts.h"
#include "linux/own_ns.h"
#include "linux/spawn.h"
#include "linux/sync.h"
#include "linux/sysctl.h"
#include "linux/userns.h"
#include "oci/names.h"
#include "oci/validate.h"
#include "platform/linux/console_pair.h"
#include "platform/linux/container.h"
#include "platform/linux/seccomp_notify.h"
#include "platform/pidfd_process.h"
#include "seccomp/seccomp.h"

#include <nlohmann/json.hpp>

namespace berth::platform::linux_ {

namespace {

// What the parent resolves before clone: host-dependent checks that the
// parser cannot do, and the fds of namespaces to join.
struct Prepared {
  lnx::InitConfig init;
  unsigned long clone_flags = 0;
  std::vector<Fd> ns_fds;
  std::vector<std::pair<int, int>> for_children;  // (fd, CLONE_NEWPID/NEWTIME) joined by path
  bool new_time = false;
  int join_user = -1;                // fd of a user namespace joined by path
  bool uts_joined_not_ours = false;  // a uts namespace joined by path, not berth's own
  std::optional<seccomp::Filter> seccomp;
  std::vector<std::string> warnings;
};

Status prepare_namespaces(const oci::Spec& spec, Prepared& p) {
  if (!spec.linux_) return {};
  const auto& nss = spec.linux_->namespaces;
  for (size_t i = 0; i < nss.size(); ++i) {
    const auto& ns = nss[i];
    int flag = oci::namespace_clone_flag(ns.type);
    std::string field = "linux.namespaces[" + std::to_string(i) + "]";
    bool for_children = ns.type == oci::NamespaceType::kPid || ns.type == oci::NamespaceType::kTime;
    if (ns.path.empty()) {
      // A new time namespace comes from unshare in the parent (its offsets
      // can only be set before a process is in it), not from clone.
      if (ns.type == oci::NamespaceType::kTime)
        p.new_time = true;
      else
        p.clone_flags |= static_cast<unsigned long>(flag);
      continue;
    }
    auto fd = open_file(ns.path, O_RDONLY);
    if (!fd) return std::move(fd).error().wrap(field + ".path");
    int type = ::ioctl(fd->get(), NS_GET_NSTYPE);
    if (type != flag)
      return invalid(field + ".path: " + ns.path + " is not a namespace of type " + oci::namespace_name(ns.type));
    // pid and time apply to children: the parent joins them before clone.
    // A user namespace must be joined before the others are made (they
    // belong to it): an intermediate process does that.
    if (ns.type == oci::NamespaceType::kUts) {
      // Setting a hostname in berth's own uts namespace would set the host's.
      struct stat joined, ours;
      p.uts_joined_not_ours = ::fstat(fd->get(), &joined) == 0 && ::stat("/proc/self/ns/uts", &ours) == 0 &&
                              (joined.st_ino != ours.st_ino || joined.st_dev != ours.st_dev);
    }
    if (ns.type == oci::NamespaceType::kUser)
      p.join_user = fd->get();
    else
      (for_children ? p.for_children : p.init.join_ns).emplace_back(fd->get(), flag);
    p.ns_fds.push_back(std::move(*fd));
  }
  return {};
}

Status unsupported(const std::string& field) {
  return make_error(ErrorKind::kNotImplemented, field + ": not supported by this berth yet");
}

// Fields berth parses but does not apply yet are refused, never ignored: a
// container must not run with less isolation than its config asks for.
Status check_spec_supported(oci::Spec& spec, std::vector<std::string>& warnings) {
  if (spec.process) BERTH_TRY(lnx::resolve_process_labels(*spec.process, lnx::LabelsOf::kConfig, warnings));
  if (!spec.linux_) return {};
  auto& lx = *spec.linux_;
  BERTH_TRY(lnx::check_mount_label(lx.mount_label));
  if (lx.intel_rdt) return unsupported("linux.intelRdt");
  return {};
}

Result<Prepared> prepare_init(const oci::Spec& spec, const std::string& bundle, const CreateOptions& opts,
                              lnx::Park park) {
  Prepared p;
  if (!spec.process) return invalid("process: required to create a container");
  if (spec.process->terminal && opts.console_socket.empty() && opts.detach)
    return invalid("process.terminal: a terminal needs --console-socket when berth detaches");
  std::string rootfs = spec.root.path[0] == '/' ? spec.root.path : path_join(bundle, spec.root.path);
  struct stat sb;
  if (::stat(rootfs.c_str(), &sb) < 0) {
    Error e = sys_error("root.path: rootfs " + rootfs);
    e.kind = ErrorKind::kInvalidArgument;
    return e;
  }
  if (!S_ISDIR(sb.st_mode)) return invalid("root.path: rootfs " + rootfs + " is not a directory");
  BERTH_TRY(prepare_namespaces(spec, p));
  // A sysctl outside the container's own namespaces would change the host's.
  if (spec.linux_) BERTH_TRY(lnx::check_sysctls(*spec.linux_));
  // Idmapped mounts: one user namespace per mount carries its mappings.
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const auto& m = spec.mounts[i];
    int fd = -1;
    if (!m.uid_mappings.empty() || !m.gid_mappings.empty()) {
      auto ns = lnx::make_userns(m.uid_mappings, m.gid_mappings);
      if (!ns) return std::move(ns).error().wrap("mounts[" + std::to_string(i) + "].uidMappings");
      fd = ns->get();
      p.ns_fds.push_back(std::move(*ns));
    }
    p.init.rootfs.mount.idmap_userns.push_back(fd);
  }

  // With a user namespace, bind sources are reached with berth's rights,
  // not the init's (see lnx::clone_bind_source).
  if ((p.clone_flags & CLONE_NEWUSER) || p.join_user >= 0) {
    for (size_t i = 0; i < spec.mounts.size(); ++i) {
      auto tree = lnx::clone_bind_source(spec.mounts[i], bundle);
      if (!tree) return std::move(tree).error().wrap("mounts[" + std::to_string(i) + "].source");
      p.init.rootfs.mount.bind_trees.push_back(tree->get());
      if (*tree) p.ns_fds.push_back(std::move(*tree));
    }
  }
  auto& init = p.init;
  init.spec = &spec;
  init.rootfs.rootfs = path_clean(rootfs);
  init.rootfs.mount.bundle = bundle;
  init.rootfs.mount.new_cgroup_ns = p.clone_flags & CLONE_NEWCGROUP;
  if (spec.linux_) init.rootfs.mount.mount_label = spec.linux_->mount_label;
  // Device nodes cannot be made in a user namespace: they are bind-mounted
  // from the host's /dev (also when berth itself runs in one: rootless podman).
  init.rootfs.userns = (p.clone_flags & CLONE_NEWUSER) || p.join_user >= 0 || lnx::in_user_namespace();
  init.rootfs.no_pivot = opts.no_pivot;
  // runc refuses the pair: under chroot a private root holds references to
  // mounts the namespace can then never free (runc#1606).
  if (opts.no_pivot && spec.linux_ &&
      (spec.linux_->rootfs_propagation == "private" || spec.linux_->rootfs_propagation == "rprivate"))
    return invalid("linux.rootfsPropagation: \"" + spec.linux_->rootfs_propagation +
                   "\" cannot be used with --no-pivot");
  init.new_mount_ns = p.clone_flags & CLONE_NEWNS;
  init.own_uts_ns = (p.clone_flags & CLONE_NEWUTS) || p.uts_joined_not_ours;
  init.new_user_ns = p.clone_flags & CLONE_NEWUSER;
  init.new_cgroup_ns = p.clone_flags & CLONE_NEWCGROUP;
  init.dumpable_until_go = init.new_user_ns && ::geteuid() != 0;
  init.become_root = (p.clone_flags & CLONE_NEWUSER) || p.join_user >= 0;
  init.park = park;
  init.preserve_fds = opts.listen_fds + opts.preserve_fds;
  if (!opts.no_new_keyring) init.session_keyring = "_ses." + opts.id;
  if ((!spec.hostname.empty() || !spec.domainname.empty()) && !init.own_uts_ns)
    return invalid(std::string(spec.hostname.empty() ? "domainname" : "hostname") +
                   ": setting it needs a uts namespace of the container's own in linux.namespaces (a new one, "
                   "or one joined by path that is not the host's)");
  if (!init.new_mount_ns)
    return make_error(ErrorKind::kNotImplemented, "linux.namespaces: a new mount namespace is required");
  // No capabilities object means no capabilities, as runc reads it (and the
  // runtime-tools suite checks): never the caller's full set.
  init.has_caps = true;
  if (spec.process->capabilities) init.caps = lnx::resolve_caps(*spec.process->capabilities, p.warnings);
  if (spec.linux_ && spec.linux_->seccomp) {
    // Compiled here, once: the init only loads it.
    auto filter = seccomp::compile(*spec.linux_->seccomp, p.warnings);
    if (!filter) return std::move(filter).error();
    p.seccomp.emplace(std::move(*filter));
  }
  return p;
}

// Sets the namespaces berth's next child is born in (pid and time apply to
// children only); OwnNamespaces puts berth's own back afterwards.
// With an intermediate process (a user namespace involved with joined
// ones), it enters the joined pid/time namespaces itself, so it stays in
// ours and reports the init's pid as the host sees it.
Status enter_child_namespaces(const Prepared& p, const oci::Spec& spec, lnx::OwnNamespaces& own) {
  bool here = p.join_user < 0 && !((p.clone_flags & CLONE_NEWUSER) && !p.init.join_ns.empty());
  int touched = p.new_time ? CLONE_NEWTIME : 0;
  if (here)
    for (auto [fd, type] : p.for_children) touched |= type;
  BERTH_TRY(own.save(touched));
  if (here) {
    for (auto [fd, type] : p.for_children)
      if (::setns(fd, type) < 0) return sys_error(type == CLONE_NEWPID ? "setns pid" : "setns time");
  }
  if (p.new_time) {
    if (::unshare(CLONE_NEWTIME) < 0) return sys_error("linux.namespaces: unshare time namespace");
    std::string offsets;
    for (const auto& [clock, off] : spec.linux_->time_offsets) {
      int id = clock == "monotonic" ? CLOCK_MONOTONIC : CLOCK_BOOTTIME;
      offsets += std::to_string(id) + " " + std::to_string(off.secs) + " " + std::to_string(off.nanosecs) + "\n";
    }
    if (!offsets.empty()) BERTH_TRY_CTX(write_file("/proc/self/timens_offsets", offsets), "linux.timeOffsets");
  }
  return {};
}

bool permission_error(int code) { return code == EACCES || code == EPERM || code == EROFS; }

// Whether linux.resources sets any limit or rule: rootless podman on cgroup v1
// passes an empty object, which loses nothing when no cgroup can be made.
bool sets_limits(const oci::Resources& r) {
  auto any = [](const auto&... v) { return (v.has_value() || ...); };
  if (!r.devices.empty() || !r.hugepage_limits.empty() || !r.rdma.empty() || !r.unified.empty()) return true;
  if (const auto& m = r.memory; m && any(m->limit, m->reservation, m->swap, m->kernel, m->kernel_tcp, m->swappiness,
                                         m->disable_oom_killer, m->use_hierarchy, m->check_before_update))
    return true;
  if (const auto& c = r.cpu;
      c && (any(c->shares, c->quota, c->burst, c->period, c->realtime_runtime, c->realtime_period, c->idle) ||
            !c->cpus.empty() || !c->mems.empty()))
    return true;
  if (r.pids && r.pids->limit) return true;
  if (const auto& b = r.block_io;
      b && (any(b->weight, b->leaf_weight) || !b->weight_device.empty() || !b->throttle_read_bps_device.empty() ||
            !b->throttle_write_bps_device.empty() || !b->throttle_read_iops_device.empty() ||
            !b->throttle_write_iops_device.empty()))
    return true;
  return r.network && (r.network->class_id || !r.network->priorities.empty());
}

// Decides the container's cgroup directories from cgroupsPath.
struct PlannedCgroups {
  std::map<std::string, std::string> paths;
  std::unique_ptr<cgroups::Manager> manager;
};
Result<PlannedCgroups> plan_cgroups(const oci::Spec& spec, const CreateOptions& opts) {
  auto layout = cgroups::host_layout();
  if (!layout) return std::move(layout).error();
  auto own = lnx::proc_cgroups("self");
  if (!own) return std::move(own).error();
  std::string path = spec.linux_ ? spec.linux_->cgroups_path : "";
  auto paths = cgroups::resolve_paths(*layout, path, opts.id, opts.systemd_cgroup, *own);
  if (!paths) return std::move(paths).error();
  auto m = cgroups::make_manager(*layout, *paths);
  return PlannedCgroups{std::move(*paths), std::move(m)};
}

// A sandbox member joins the sandbox init's network, ipc and uts namespaces
// (/proc/<pid>/ns/...) where its config lists one without a path or not at
// all; explicit paths win. pid, mount, cgroup, user, time are left alone (a
// member lists pid without a path to get its own, as Kubernetes does). A
// hostname or domainname in a member that shares the sandbox's uts
// namespace is dropped with a warning: setting it would rename the pod.
void join_sandbox_namespaces(oci::Spec& spec, pid_t host_pid, const std::string& host_id,
                             std::vector<std::string>& warnings) {
  if (!spec.linux_) spec.linux_.emplace();
  auto& nss = spec.linux_->namespaces;
  std::string proc = "/proc/" + std::to_string(host_pid) + "/ns/";
  for (auto type : {oci::NamespaceType::kNetwork, oci::NamespaceType::kIpc, oci::NamespaceType::kUts}) {
    auto it = std::find_if(nss.begin(), nss.end(), [&](const oci::Namespace& ns) { return ns.type == type; });
    if (it == nss.end()) it = nss.insert(nss.end(), oci::Namespace{type, ""});
    if (!it->path.empty()) continue;  // the config's own choice
    it->path = proc + oci::namespace_proc_name(type);
    if (type == oci::NamespaceType::kUts && (!spec.hostname.empty() || !spec.domainname.empty())) {
      warnings.push_back("hostname " + oci::quote(spec.hostname) +
                         " not set: the container shares the uts namespace of sandbox " + oci::quote(host_id));
      spec.hostname.clear();
      spec.domainname.clear();
    }
  }
}

class LinuxCreation final : public Creation {
 public:
  LinuxCreation(CreateRequest& req, Prepared prep) : req_(req), prep_(std::move(prep)) {
    // Pointers into prep_, set once it has its final address.
    prep_.init.spec = req_.spec;
    if (prep_.seccomp) prep_.init.seccomp = &*prep_.seccomp;
  }

  Status make(const state::ContainerDir& dir, const CreateCallbacks& cb) override;
  Container& container() override { return *container_; }
  std::unique_ptr<Container> take_container() override { return std::move(container_); }
  Process& init() override { return *init_; }
  Status start_now() override;
  Result<Fd> take_console() override {
    if (!console_) return Fd();
    Fd sock = std::move(console_);
    return lnx::recv_pty_master(sock.get());
  }
  std::vector<std::string>& warnings() override { return prep_.warnings; }

 private:
  // The init's side of the work, after the clone: the id maps, the go, the
  // cgroups, the hooks, until it reports ready.
  Status finish(const CreateCallbacks& cb, cgroups::Manager* cg, bool clone_into);

  CreateRequest& req_;
  Prepared prep_;
  std::unique_ptr<LinuxContainer> container_;
  std::unique_ptr<PidfdProcess> init_;
  Fd sync_;     // to the init; closed when the init execs
  Fd console_;  // foreground run with a terminal: receives the pty master
};

}  // namespace

Result<std::unique_ptr<Creation>> LinuxPlatform::prepare(CreateRequest& req) {
  oci::Spec& spec = *req.spec;
  std::vector<std::string> early_warnings;
  // A sandbox member's namespaces go into the spec as paths, so prepare
  // opens and checks them like any other.
  auto* host = static_cast<LinuxContainer*>(req.host);
  if (host) join_sandbox_namespaces(spec, host->pid(), req.host_id, early_warnings);
  BERTH_TRY(check_spec_supported(spec, early_warnings));
  auto park = req.park == Park::kStartCommand ? lnx::Park::kExecFifo : lnx::Park::kSync;
  auto prep = prepare_init(spec, req.bundle, req.opts, park);
  if (!prep) return std::move(prep).error();
  // The namespaces are open now; the sandbox's init must still be the one
  // whose /proc/<pid>/ns they came from (not a reused pid).
  if (host && !host->init_alive())
    return make_error(ErrorKind::kConflict, "annotations[" + oci::quote(req.host_annotation) + "]: sandbox " +
                                                oci::quote(req.host_id) + " stopped during create");
  prep->warnings.insert(prep->warnings.begin(), early_warnings.begin(), early_warnings.end());
  return std::unique_ptr<Creation>(std::make_unique<LinuxCreation>(req, std::move(*prep)));
}

namespace {

Status LinuxCreation::make(const state::ContainerDir& dir, const CreateCallbacks& cb) {
  const oci::Spec& spec = *req_.spec;
  const CreateOptions& opts = req_.opts;
  lnx::InitConfig& init = prep_.init;
  container_ = std::make_unique<LinuxContainer>(opts.id, dir.fd(), Record{});
  Record& rec = container_->rec();
  if (spec.linux_ && spec.linux_->seccomp) {
    // linux.seccomp as written, kept for exec'd processes (Record::seccomp).
    auto j = nlohmann::json::parse(req_.config_text, nullptr, false);
    BERTH_TRY(write_file_atomic(dir.fd(), kSeccompFile, j["linux"]["seccomp"].dump(), 0600));
  }
  if (spec.hooks) init.parent_hooks = !spec.hooks->prestart.empty() || !spec.hooks->create_runtime.empty();
  auto planned = plan_cgroups(spec, opts);
  if (!planned) return std::move(planned).error();
  // An existing cgroup is joined only while empty: delete (and a failed
  // create) kills what is in the container's cgroup, which must never be
  // someone else's processes. Checked before the paths are recorded.
  for (const auto& [key, cg_dir] : planned->paths) {
    if (!path_exists(cg_dir)) continue;
    auto pids = cgroups::read_pids(cg_dir);
    if (pids && !pids->empty())
      return make_error(ErrorKind::kConflict,
                        "linux.cgroupsPath: cgroup " + cg_dir + " already has processes; a container needs its own");
  }
  // A frozen cgroup would hold the init in D state forever (runc: "container's
  // cgroup unexpectedly frozen"). A parent's freezer is checked below, once
  // the directories exist.
  if (planned->manager->frozen())
    return make_error(ErrorKind::kConflict, "linux.cgroupsPath: the container's cgroup is frozen");
  // Recorded before they are made: from here on delete --force finds them.
  rec.cgroups = planned->paths;
  if (debug_enabled())
    for (const auto& [key, cg_dir] : planned->paths)
      log_debug("create " + opts.id + ": cgroup " + (key.empty() ? std::string("(unified)") : key) + " at " + cg_dir);
  crash_point("create:state-write-before");
  BERTH_TRY(cb.record());
  crash_point("create:state-write-after");
  cb.recorded();
  std::unique_ptr<cgroups::Manager> cg = std::move(planned->manager);
  if (auto r = cg->create(); !r) {
    // Rootless, as runc's --rootless auto: a user who may not make cgroups
    // runs the container in its own cgroup, with no limits of its own.
    if (!opts.rootless || !permission_error(r.error().code)) return std::move(r).error();
    if (spec.linux_ && spec.linux_->resources && sets_limits(*spec.linux_->resources))
      prep_.warnings.push_back("rootless: linux.resources not applied, no cgroup for the container (" +
                               r.error().message + ")");
    (void)cg->destroy();
    cg.reset();
    rec.cgroups.clear();
    BERTH_TRY(cb.record());
  }
  if (cg && cg->frozen())
    return make_error(ErrorKind::kConflict, "linux.cgroupsPath: the container's cgroup is frozen (by a parent)");
  if (cg && spec.linux_ && spec.linux_->resources) BERTH_TRY(cg->set(*spec.linux_->resources));
  crash_point("create:cgroup-limits");
  // cgroup v2: the init is born in its cgroup, so nothing it does escapes.
  Fd clone_into;
  if (std::string cg_dir = cg ? cg->clone_dir() : ""; !cg_dir.empty()) {
    auto fd = open_file(cg_dir, O_RDONLY | O_DIRECTORY);
    if (!fd) return std::move(fd).error();
    clone_into = std::move(*fd);
  }

  Fd fifo;
  if (init.park == lnx::Park::kExecFifo) {
    if (::mkfifoat(dir.fd(), state::kExecFifo, 0622) < 0) return sys_error("mkfifo exec.fifo");
    // O_RDWR never blocks; the init keeps this end and blocks reading it.
    auto f = open_at(dir.fd(), state::kExecFifo, O_RDWR);
    if (!f) return std::move(f).error();
    fifo = std::move(*f);
    init.exec_fifo = fifo.get();
    crash_point("create:exec-fifo");
  }
  auto sync = lnx::make_sync_pair();
  if (!sync) return std::move(sync).error();
  init.sync_fd = sync->child.get();
  ConsolePair console;
  if (spec.process->terminal) {
    auto c = open_console(opts.console_socket);
    if (!c) return std::move(c).error();
    console = std::move(*c);
    init.console_fd = console.child.get();
  }
  init.close_fds = {dir.fd(), sync->parent.get(), console.parent.get(), clone_into.get()};

  // Namespaces joined by path that a new user namespace must not own are
  // joined before it exists, by an intermediate process.
  bool via = prep_.join_user >= 0 || ((prep_.clone_flags & CLONE_NEWUSER) && !init.join_ns.empty());
  std::vector<std::pair<int, int>> joins;
  if (via) joins.swap(init.join_ns);
  // The init unshares a new cgroup namespace itself, once in its cgroups.
  unsigned long flags = prep_.clone_flags & ~static_cast<unsigned long>(CLONE_NEWCGROUP);
  Result<lnx::Child> child = Error{};
  {
    lnx::OwnNamespaces own;  // back in ours before anything else is forked (hooks)
    BERTH_TRY(enter_child_namespaces(prep_, spec, own));
    child = via ? lnx::clone_child_via(flags, clone_into.get(), prep_.join_user, joins, prep_.for_children)
                : lnx::clone_child(flags, clone_into.get());
    if (child && child->pid == 0) lnx::run_init(init);
  }
  if (!child) return std::move(child).error();
  crash_point("create:clone");
  BERTH_DEBUG("create " + opts.id + ": init pid " + std::to_string(child->pid) + ", new namespaces [" +
              oci::namespace_names(flags) + "]" + (clone_into ? ", born in its cgroup (CLONE_INTO_CGROUP)" : "") +
              (via ? ", namespaces joined by path through an intermediate process" : ""));
  init_ = std::make_unique<PidfdProcess>(child->pid, std::move(child->pidfd));
  sync->child.reset();
  fifo.reset();
  console.child.reset();
  sync_ = std::move(sync->parent);
  console_ = std::move(console.parent);

  // Record the pid before the init does anything, so a crash from here on
  // leaves a container that delete --force can find and kill.
  rec.pid = init_->pid();
  rec.pid_start = process_start_time(rec.pid);
  crash_point("create:pid-write-before");
  Status r = cb.record();
  if (r) {
    crash_point("create:pid-write-after");
    r = finish(cb, cg.get(), bool(clone_into));
  }
  // A half-made init is killed and reaped here, before the caller destroys
  // the rest (it is our child: a zombie left would outlive the create).
  if (!r) init_->terminate();
  return r;
}

Status LinuxCreation::finish(const CreateCallbacks& cb, cgroups::Manager* cg, bool clone_into) {
  const oci::Spec& spec = *req_.spec;
  const Record& rec = container_->rec();
  if (prep_.init.new_user_ns)
    BERTH_TRY(lnx::write_id_maps(rec.pid, spec.linux_->uid_mappings, spec.linux_->gid_mappings));
  std::string state_json = cb.state_json(rec.pid);
  BERTH_TRY(lnx::sync_send(sync_.get(), lnx::SyncType::kGo, 0, state_json));
  // Moving a task between cgroups waits for an RCU grace period (milliseconds
  // of idle time); the init does its mounts meanwhile and waits for
  // kCgroups only before it runs anything of the container's.
  // If the init failed meanwhile, its own error (already queued, if any) is
  // the one to report. Never block: a live init waits for us.
  auto init_error_or = [&](Error e) -> Error {
    struct pollfd p = {sync_.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) == 1) {
      auto m = lnx::sync_recv(sync_.get(), "container init");
      if (m && m->type == lnx::SyncType::kError) return std::move(*m).as_error();
    }
    return e;
  };
  crash_point("create:go");
  if (!clone_into && cg) {
    if (auto r = cg->add(rec.pid); !r) return init_error_or(std::move(r).error());
    BERTH_DEBUG("create " + req_.opts.id + ": init moved into its cgroups");
  }
  crash_point("create:cgroup-join");
  if (auto r = lnx::sync_send(sync_.get(), lnx::SyncType::kCgroups); !r) return init_error_or(std::move(r).error());
  if (prep_.init.parent_hooks) {
    // The init stops before pivot_root for the hooks that run in our namespaces.
    BERTH_TRY(lnx::sync_expect(sync_.get(), lnx::SyncType::kHooks, "container init"));
    crash_point("create:hooks");
    BERTH_TRY(cb.create_hooks(state_json));
    BERTH_TRY(lnx::sync_send(sync_.get(), lnx::SyncType::kHooksDone));
  }
  const oci::Seccomp* profile = spec.linux_ && spec.linux_->seccomp ? &*spec.linux_->seccomp : nullptr;
  auto ready = sync_recv_passing_listener(sync_.get(), "container init", profile, state_json, rec.pid);
  if (!ready) return std::move(ready).error();
  if (ready->type == lnx::SyncType::kError) return std::move(*ready).as_error();
  if (ready->type != lnx::SyncType::kReady) return Error{EPROTO, "sync: expected ready"};
  BERTH_DEBUG("create " + req_.opts.id + ": init ready, parked until start");
  crash_point("create:ready");
  return {};
}

Status LinuxCreation::start_now() {
  BERTH_TRY(lnx::sync_send(sync_.get(), lnx::SyncType::kStart));
  // The init's end of the socket is close-on-exec: EOF means execve succeeded.
  auto m = lnx::sync_recv(sync_.get(), "container init");
  sync_.reset();
  if (m) {
    if (m->type == lnx::SyncType::kError) return std::move(*m).as_error();
    return Error{EPROTO, "sync: unexpected message after start"};
  }
  if (m.error().code != EPIPE) return std::move(m).error();
  return {};
}

}  // namespace

}  // namespace berth::platform::linux_
