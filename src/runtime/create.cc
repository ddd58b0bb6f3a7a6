#include "runtime/create.h"

#include <fcntl.h>
#include <poll.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crash.h"
#include "base/file.h"
#include "base/proc.h"
#include "cgroups/manager.h"
#include "hooks/hooks.h"
#include "linux/cgroup_join.h"
#include "linux/console.h"
#include "linux/lsm.h"
#include "linux/mounts.h"
#include "linux/sync.h"
#include "linux/sysctl.h"
#include "linux/userns.h"
#include "oci/names.h"
#include "oci/parse.h"
#include "runtime/sandbox.h"
#include "runtime/seccomp_notify.h"
#include "seccomp/seccomp.h"

#include <nlohmann/json.hpp>

namespace berth::runtime {

namespace {

std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path_clean(path);
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return path_clean(path);
  return path_clean(path_join(cwd, path));
}

struct Config {
  oci::Spec spec;
  std::string seccomp_json;  // linux.seccomp as written, kept for exec
};

Result<Config> load_config(const std::string& bundle) {
  std::string path = path_join(bundle, "config.json");
  auto text = read_input_file(path);
  if (!text) return std::move(text).error();
  auto spec = oci::parse_spec(*text);
  if (!spec) return std::move(spec).error().wrap(path);
  Config c{std::move(*spec), ""};
  if (c.spec.linux_ && c.spec.linux_->seccomp) {
    auto j = nlohmann::json::parse(*text, nullptr, false);
    c.seccomp_json = j["linux"]["seccomp"].dump();
  }
  return c;
}

// What the parent resolves before clone: host-dependent checks that the
// parser cannot do, and the fds of namespaces to join.
struct Prepared {
  lnx::InitConfig init;
  unsigned long clone_flags = 0;
  std::vector<Fd> ns_fds;
  std::vector<std::pair<int, int>> for_children;  // (fd, CLONE_NEWPID/NEWTIME) joined by path
  bool new_time = false;
  int join_user = -1;  // fd of a user namespace joined by path
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
      if (ns.type == oci::NamespaceType::kTime) p.new_time = true;
      else p.clone_flags |= static_cast<unsigned long>(flag);
      continue;
    }
    auto fd = open_file(ns.path, O_RDONLY);
    if (!fd) return std::move(fd).error().wrap(field + ".path");
    int type = ::ioctl(fd->get(), NS_GET_NSTYPE);
    if (type != flag)
      return invalid(field + ".path: " + ns.path + " is not a namespace of type " +
                     oci::namespace_name(ns.type));
    // pid and time apply to children: the parent joins them before clone.
    // A user namespace must be joined before the others are made (they
    // belong to it): an intermediate process does that.
    if (ns.type == oci::NamespaceType::kUser) p.join_user = fd->get();
    else (for_children ? p.for_children : p.init.join_ns).emplace_back(fd->get(), flag);
    p.ns_fds.push_back(std::move(*fd));
  }
  return {};
}

Status unsupported(const std::string& field) {
  return make_error(ErrorKind::kNotImplemented, field + ": not supported by this berth yet");
}

}  // namespace

namespace {

// Fields berth parses but does not apply yet are refused, never ignored: a
// container must not run with less isolation than its config asks for.
Status check_spec_supported(oci::Spec& spec, std::vector<std::string>& warnings) {
  // A VM or Windows container run as a plain Linux one would be less isolated
  // than asked: refused until a platform applies the section.
  for (const auto& section : spec.other_platforms) BERTH_TRY(unsupported(section));
  if (spec.process) BERTH_TRY(lnx::resolve_process_labels(*spec.process, lnx::LabelsOf::kConfig, warnings));
  if (!spec.linux_) return {};
  auto& lx = *spec.linux_;
  BERTH_TRY(lnx::check_mount_label(lx.mount_label));
  if (lx.intel_rdt) return unsupported("linux.intelRdt");
  return {};
}

Result<Prepared> prepare(const oci::Spec& spec, const std::string& bundle, const CreateOptions& opts,
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
  init.new_uts_ns = p.clone_flags & CLONE_NEWUTS;
  init.new_user_ns = p.clone_flags & CLONE_NEWUSER;
  init.new_cgroup_ns = p.clone_flags & CLONE_NEWCGROUP;
  init.dumpable_until_go = init.new_user_ns && ::geteuid() != 0;
  init.become_root = (p.clone_flags & CLONE_NEWUSER) || p.join_user >= 0;
  init.park = park;
  init.preserve_fds = opts.listen_fds + opts.preserve_fds;
  if (!opts.no_new_keyring) init.session_keyring = "_ses." + opts.id;
  if ((!spec.hostname.empty() || !spec.domainname.empty()) && !init.new_uts_ns)
    return invalid("hostname: setting it needs a new uts namespace in linux.namespaces");
  if (!init.new_mount_ns)
    return make_error(ErrorKind::kNotImplemented, "linux.namespaces: a new mount namespace is required");
  if (spec.process->capabilities) {
    init.has_caps = true;
    init.caps = lnx::resolve_caps(*spec.process->capabilities, p.warnings);
  }
  if (spec.linux_ && spec.linux_->seccomp) {
    // Compiled here, once: the init only loads it.
    auto filter = seccomp::compile(*spec.linux_->seccomp, p.warnings);
    if (!filter) return std::move(filter).error();
    p.seccomp.emplace(std::move(*filter));
  }
  return p;
}

// Sets the namespaces berth's next child is born in (pid and time apply to
// children only) and puts berth's own back afterwards, so the hooks berth
// forks later still run in the runtime's namespaces.
class ChildNamespaces {
 public:
  ~ChildNamespaces() { restore(); }
  void restore() {
    if (pid_) (void)::setns(pid_.get(), CLONE_NEWPID);
    if (time_) (void)::setns(time_.get(), CLONE_NEWTIME);
    pid_.reset();
    time_.reset();
  }
  // With an intermediate process (a user namespace involved with joined
  // ones), it enters the joined pid/time namespaces itself, so it stays in
  // ours and reports the init's pid as the host sees it.
  Status enter(const Prepared& p, const oci::Spec& spec) {
    bool here = p.join_user < 0 && !((p.clone_flags & CLONE_NEWUSER) && !p.init.join_ns.empty());
    bool pid = false, time = p.new_time;
    for (auto [fd, type] : p.for_children) {
      pid = pid || (here && type == CLONE_NEWPID);
      time = time || (here && type == CLONE_NEWTIME);
    }
    // Only the namespaces touched are saved: a kernel without time
    // namespaces has no /proc/self/ns/time.
    if (pid) BERTH_TRY(save(pid_, "/proc/self/ns/pid"));
    if (time) BERTH_TRY(save(time_, "/proc/self/ns/time"));
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
      if (!offsets.empty())
        BERTH_TRY_CTX(write_file("/proc/self/timens_offsets", offsets), "linux.timeOffsets");
    }
    return {};
  }

 private:
  static Status save(Fd& fd, const char* path) {
    auto f = open_file(path, O_RDONLY);
    if (!f) return std::move(f).error();
    fd = std::move(*f);
    return {};
  }
  Fd pid_, time_;
};

// Undoes a half-made create: the init (and with it its mount namespace) and
// the state directory. Runs on every error path after the directory exists.
void rollback(Created& c, cgroups::Manager* cg) {
  if (c.init.pid > 0) {
    ::kill(c.init.pid, SIGKILL);
    (void)lnx::wait_child(c.init.pid);
  }
  if (cg) (void)cg->destroy();
  (void)c.c.dir.remove();
  // The spec's lifecycle goes on to delete, which runs poststop; a failure
  // there is only a warning, and the create error is what the caller sees.
  (void)hooks::run(c.c.st.poststop, "poststop", oci_state_json(c.c.st, state::Status::kStopped, false));
}

bool permission_error(int code) { return code == EACCES || code == EPERM || code == EROFS; }

// Whether linux.resources sets any limit or rule: rootless podman on cgroup v1
// passes an empty object, which loses nothing when no cgroup can be made.
bool sets_limits(const oci::Resources& r) {
  auto any = [](const auto&... v) { return (v.has_value() || ...); };
  if (!r.devices.empty() || !r.hugepage_limits.empty() || !r.rdma.empty() || !r.unified.empty()) return true;
  if (const auto& m = r.memory; m && any(m->limit, m->reservation, m->swap, m->kernel, m->kernel_tcp,
                                         m->swappiness, m->disable_oom_killer, m->use_hierarchy,
                                         m->check_before_update))
    return true;
  if (const auto& c = r.cpu; c && (any(c->shares, c->quota, c->burst, c->period, c->realtime_runtime,
                                       c->realtime_period, c->idle) ||
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
Result<std::unique_ptr<cgroups::Manager>> plan_cgroups(const oci::Spec& spec, const CreateOptions& opts,
                                                       state::ContainerState& st) {
  auto layout = cgroups::host_layout();
  if (!layout) return std::move(layout).error();
  auto own = lnx::proc_cgroups("self");
  if (!own) return std::move(own).error();
  std::string path = spec.linux_ ? spec.linux_->cgroups_path : "";
  auto paths = cgroups::resolve_paths(*layout, path, opts.id, opts.systemd_cgroup, *own);
  if (!paths) return std::move(paths).error();
  st.cgroups = *paths;
  return cgroups::make_manager(*layout, *paths);
}

}  // namespace

Result<ConsolePair> open_console(const std::string& console_socket) {
  ConsolePair p;
  if (!console_socket.empty()) {
    auto s = lnx::connect_console_socket(console_socket);
    if (!s) return std::move(s).error();
    p.child = std::move(*s);
    return p;
  }
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) return sys_error("socketpair");
  p.parent.reset(fds[0]);
  p.child.reset(fds[1]);
  return p;
}

Status write_pid_file(const std::string& path, int pid) {
  std::string abs = absolute(path);
  auto slash = abs.rfind('/');
  std::string dir = slash == 0 ? "/" : abs.substr(0, slash);
  auto dfd = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (!dfd) return std::move(dfd).error().wrap("write pid file");
  return write_file_atomic(dfd->get(), abs.substr(slash + 1), std::to_string(pid), 0644);
}

Result<Created> create(const state::Store& store, const CreateOptions& opts, lnx::Park park) {
  std::string ctx = "create " + opts.id;
  BERTH_TRY_CTX(state::validate_id(opts.id), ctx);
  std::string bundle = absolute(opts.bundle);
  auto config = load_config(bundle);
  if (!config) return std::move(config).error().wrap(ctx);
  oci::Spec* spec = &config->spec;
  if (opts.listen_fds > 0 && spec->process) {
    // systemd socket activation passes through, now for the container's pid 1.
    auto& env = spec->process->env;
    std::erase_if(env, [](const std::string& e) { return e.starts_with("LISTEN_FDS=") || e.starts_with("LISTEN_PID="); });
    env.push_back("LISTEN_FDS=" + std::to_string(opts.listen_fds));
    env.push_back("LISTEN_PID=1");
  }
  // A member's sandbox is checked (and locked: see runtime/sandbox.h for the
  // lock order) before anything is made, and its namespaces put into the
  // spec as paths, so prepare() opens and checks them like any other.
  auto membership = sandbox::parse(spec->annotations, opts.id);
  if (!membership) return std::move(membership).error().wrap(ctx);
  std::optional<sandbox::Sandbox> sb;
  std::vector<std::string> early_warnings;
  if (!membership->is_sandbox && !membership->sandbox_id.empty()) {
    auto s = sandbox::check_member(store, *membership);
    if (!s) return std::move(s).error().wrap(ctx);
    if (*s) {
      sb.emplace(std::move(**s));
      sandbox::join_namespaces(*spec, *sb, early_warnings);
    } else {
      membership->sandbox_id.clear();  // names a plain container: not a sandbox member
    }
  }
  if (auto r = check_spec_supported(*spec, early_warnings); !r) return std::move(r).error().wrap(ctx);
  auto prep = prepare(*spec, bundle, opts, park);
  if (!prep) return std::move(prep).error().wrap(ctx);
  // The namespaces are open now; the sandbox's init must still be the one
  // whose /proc/<pid>/ns they came from (not a reused pid).
  if (sb) BERTH_TRY_CTX(sandbox::check_still_alive(*sb, *membership), ctx);
  prep->warnings.insert(prep->warnings.begin(), early_warnings.begin(), early_warnings.end());
  lnx::InitConfig& init = prep->init;
  init.spec = spec;
  if (prep->seccomp) init.seccomp = &*prep->seccomp;

  auto dir = store.create(opts.id);
  if (!dir) return std::move(dir).error().wrap(ctx);
  crash_point("create:state-dir");
  Created out{Loaded{std::move(*dir), {}, state::Status::kCreating}, {}, {}, {}, std::move(prep->warnings)};
  std::unique_ptr<cgroups::Manager> cg;
  auto fail = [&](Error e) -> Error {
    rollback(out, cg.get());
    return std::move(e).wrap(ctx);
  };

  state::ContainerState& st = out.c.st;
  st.id = opts.id;
  st.oci_version = spec->oci_version;
  st.bundle = bundle;
  st.rootfs = init.rootfs.rootfs;
  st.created = now_rfc3339_nano();
  st.annotations = spec->annotations;
  st.seccomp = config->seccomp_json;
  st.sandbox = membership->sandbox_id;
  if (spec->hooks) {
    st.poststart = spec->hooks->poststart;
    st.poststop = spec->hooks->poststop;
    init.parent_hooks = !spec->hooks->prestart.empty() || !spec->hooks->create_runtime.empty();
  }
  auto planned = plan_cgroups(*spec, opts, st);
  if (!planned) return fail(std::move(planned).error());
  // An existing cgroup is joined only while empty: delete (and a failed
  // create) kills what is in the container's cgroup, which must never be
  // someone else's processes. Checked before the paths are recorded.
  for (const auto& [key, cg_dir] : st.cgroups) {
    if (!path_exists(cg_dir)) continue;
    auto pids = cgroups::read_pids(cg_dir);
    if (pids && !pids->empty())
      return fail(make_error(ErrorKind::kConflict, "linux.cgroupsPath: cgroup " + cg_dir +
                                                       " already has processes; a container needs its own"));
  }
  // A frozen cgroup would hold the init in D state forever (runc: "container's
  // cgroup unexpectedly frozen"). A parent's freezer is checked below, once
  // the directories exist.
  if ((*planned)->frozen())
    return fail(make_error(ErrorKind::kConflict, "linux.cgroupsPath: the container's cgroup is frozen"));
  // Recorded before they are made: from here on delete --force finds them.
  crash_point("create:state-write-before");
  if (auto r = out.c.dir.save(st); !r) return fail(std::move(r).error());
  crash_point("create:state-write-after");
  // A delete of the sandbox that waited for its lock now finds this member.
  sb.reset();
  cg = std::move(*planned);
  if (auto r = cg->create(); !r) {
    // Rootless, as runc's --rootless auto: a user who may not make cgroups
    // runs the container in its own cgroup, with no limits of its own.
    if (!opts.rootless || !permission_error(r.error().code)) return fail(std::move(r).error());
    if (spec->linux_ && spec->linux_->resources && sets_limits(*spec->linux_->resources))
      out.warnings.push_back("rootless: linux.resources not applied, no cgroup for the container (" +
                             r.error().message + ")");
    (void)cg->destroy();
    cg.reset();
    st.cgroups.clear();
    if (auto s = out.c.dir.save(st); !s) return fail(std::move(s).error());
  }
  if (cg && cg->frozen())
    return fail(make_error(ErrorKind::kConflict, "linux.cgroupsPath: the container's cgroup is frozen (by a parent)"));
  if (cg && spec->linux_ && spec->linux_->resources) {
    if (auto r = cg->set(*spec->linux_->resources); !r) return fail(std::move(r).error());
  }
  crash_point("create:cgroup-limits");
  // cgroup v2: the init is born in its cgroup, so nothing it does escapes.
  Fd clone_into;
  if (std::string cg_dir = cg ? cg->clone_dir() : ""; !cg_dir.empty()) {
    auto fd = open_file(cg_dir, O_RDONLY | O_DIRECTORY);
    if (!fd) return fail(std::move(fd).error());
    clone_into = std::move(*fd);
  }

  Fd fifo;
  if (park == lnx::Park::kExecFifo) {
    if (::mkfifoat(out.c.dir.fd(), state::kExecFifo, 0622) < 0) return fail(sys_error("mkfifo exec.fifo"));
    // O_RDWR never blocks; the init keeps this end and blocks reading it.
    auto f = open_at(out.c.dir.fd(), state::kExecFifo, O_RDWR);
    if (!f) return fail(std::move(f).error());
    fifo = std::move(*f);
    init.exec_fifo = fifo.get();
    crash_point("create:exec-fifo");
  }
  auto sync = lnx::make_sync_pair();
  if (!sync) return fail(std::move(sync).error());
  init.sync_fd = sync->child.get();
  ConsolePair console;
  if (spec->process->terminal) {
    auto c = open_console(opts.console_socket);
    if (!c) return fail(std::move(c).error());
    console = std::move(*c);
    init.console_fd = console.child.get();
  }
  init.close_fds = {out.c.dir.fd(), sync->parent.get(), console.parent.get(), clone_into.get()};

  ChildNamespaces child_ns;
  if (auto r = child_ns.enter(*prep, *spec); !r) {
    child_ns.restore();  // before rollback forks poststop hooks
    return fail(std::move(r).error());
  }
  // Namespaces joined by path that a new user namespace must not own are
  // joined before it exists, by an intermediate process.
  bool via = prep->join_user >= 0 || ((prep->clone_flags & CLONE_NEWUSER) && !init.join_ns.empty());
  std::vector<std::pair<int, int>> joins;
  if (via) joins.swap(init.join_ns);
  // The init unshares a new cgroup namespace itself, once in its cgroups.
  unsigned long flags = prep->clone_flags & ~static_cast<unsigned long>(CLONE_NEWCGROUP);
  auto child = via ? lnx::clone_child_via(flags, clone_into.get(), prep->join_user, joins, prep->for_children)
                   : lnx::clone_child(flags, clone_into.get());
  if (!child) {
    child_ns.restore();
    return fail(std::move(child).error());
  }
  if (child->pid == 0) lnx::run_init(init);
  crash_point("create:clone");
  child_ns.restore();
  out.init = std::move(*child);
  sync->child.reset();
  fifo.reset();
  console.child.reset();
  out.sync = std::move(sync->parent);
  out.console = std::move(console.parent);

  // Record the pid before the init does anything, so a crash from here on
  // leaves a container that delete --force can find and kill.
  st.pid = out.init.pid;
  st.pid_start = process_start_time(st.pid);
  crash_point("create:pid-write-before");
  if (auto r = out.c.dir.save(st); !r) return fail(std::move(r).error());
  crash_point("create:pid-write-after");
  if (init.new_user_ns) {
    if (auto r = lnx::write_id_maps(st.pid, spec->linux_->uid_mappings, spec->linux_->gid_mappings); !r)
      return fail(std::move(r).error());
  }
  std::string state_json = oci_state_json(st, state::Status::kCreating, false);
  if (auto r = lnx::sync_send(out.sync.get(), lnx::SyncType::kGo, 0, state_json); !r)
    return fail(std::move(r).error());
  // Moving a task between cgroups waits for an RCU grace period (milliseconds
  // of idle time); the init does its mounts meanwhile and waits for
  // kCgroups only before it runs anything of the container's.
  // If the init failed meanwhile, its own error (already queued, if any) is
  // the one to report. Never block: a live init waits for us.
  auto init_error_or = [&](Error e) -> Error {
    struct pollfd p = {out.sync.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) == 1) {
      auto m = lnx::sync_recv(out.sync.get(), "container init");
      if (m && m->type == lnx::SyncType::kError) return fail(std::move(*m).as_error());
    }
    return fail(std::move(e));
  };
  crash_point("create:go");
  if (!clone_into && cg) {
    if (auto r = cg->add(st.pid); !r) return init_error_or(std::move(r).error());
  }
  crash_point("create:cgroup-join");
  if (auto r = lnx::sync_send(out.sync.get(), lnx::SyncType::kCgroups); !r)
    return init_error_or(std::move(r).error());
  if (init.parent_hooks) {
    // The init stops before pivot_root for the hooks that run in our namespaces.
    if (auto r = lnx::sync_expect(out.sync.get(), lnx::SyncType::kHooks, "container init"); !r)
      return fail(std::move(r).error());
    crash_point("create:hooks");
    if (auto r = hooks::run(spec->hooks->prestart, "prestart", state_json); !r) return fail(std::move(r).error());
    if (auto r = hooks::run(spec->hooks->create_runtime, "createRuntime", state_json); !r)
      return fail(std::move(r).error());
    if (auto r = lnx::sync_send(out.sync.get(), lnx::SyncType::kHooksDone); !r) return fail(std::move(r).error());
  }
  const oci::Seccomp* profile = spec->linux_ && spec->linux_->seccomp ? &*spec->linux_->seccomp : nullptr;
  auto ready = sync_recv_passing_listener(out.sync.get(), "container init", profile, state_json, st.pid);
  if (!ready) return fail(std::move(ready).error());
  if (ready->type == lnx::SyncType::kError) return fail(std::move(*ready).as_error());
  if (ready->type != lnx::SyncType::kReady) return fail(Error{EPROTO, "sync: expected ready"});
  crash_point("create:ready");
  if (!opts.pid_file.empty()) {
    if (auto r = write_pid_file(opts.pid_file, st.pid); !r) return fail(std::move(r).error());
  }
  crash_point("create:pid-file");
  out.c.status = park == lnx::Park::kExecFifo ? state::Status::kCreated : state::Status::kRunning;
  return out;
}

Status start_now(Created& c) {
  BERTH_TRY(lnx::sync_send(c.sync.get(), lnx::SyncType::kStart));
  // The init's end of the socket is close-on-exec: EOF means execve succeeded.
  auto m = lnx::sync_recv(c.sync.get(), "container init");
  c.sync.reset();
  if (m) {
    if (m->type == lnx::SyncType::kError) return std::move(*m).as_error();
    return Error{EPROTO, "sync: unexpected message after start"};
  }
  if (m.error().code != EPIPE) return std::move(m).error();
  if (auto r = hooks::run(c.c.st.poststart, "poststart", oci_state_json(c.c.st, state::Status::kRunning, false)); !r)
    c.warnings.push_back(r.error().message);
  return {};
}

}  // namespace berth::runtime
