#include "runtime/create.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/crash.h"
#include "base/file.h"
#include "base/log.h"
#include "hooks/hooks.h"
#include "oci/parse.h"
#include "runtime/sandbox.h"

namespace berth::runtime {

namespace {

std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path_clean(path);
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return path_clean(path);
  return path_clean(path_join(cwd, path));
}

// Undoes a half-made create: what the platform made, then the state
// directory. Runs on every error path after the directory exists.
void rollback(Created& c) {
  if (c.creation) (void)c.creation->container().destroy(nullptr);
  (void)c.c.dir.remove();
  // The spec's lifecycle goes on to delete, which runs poststop; a failure
  // there is only a warning, and the create error is what the caller sees.
  hooks::run_all(c.c.st.poststop, "poststop", oci_state_json(c.c.st, 0, state::Status::kStopped, false), nullptr);
}

}  // namespace

Status write_pid_file(const std::string& path, int pid) {
  std::string abs = absolute(path);
  auto slash = abs.rfind('/');
  std::string dir = slash == 0 ? "/" : abs.substr(0, slash);
  auto dfd = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (!dfd) return std::move(dfd).error().wrap("write pid file");
  return write_file_atomic(dfd->get(), abs.substr(slash + 1), std::to_string(pid), 0644);
}

// validate, choose the platform, check the sandbox and open its host, make
// the record, let the platform create, save, write the pid file.
Result<Created> create(const state::Store& store, const CreateOptions& opts, Park park) {
  std::string ctx = (park == Park::kStartNow ? "run " : "create ") + opts.id;
  BERTH_TRY_CTX(state::validate_id(opts.id), ctx);
  auto req = std::make_unique<platform::CreateRequest>();
  req->opts = opts;
  req->bundle = absolute(opts.bundle);
  req->park = park;
  std::string path = path_join(req->bundle, "config.json");
  auto text = read_input_file(path);
  if (!text) return std::move(text).error().wrap(ctx);
  auto parsed = oci::parse_spec(*text);
  if (!parsed) return std::move(parsed).error().wrap(path).wrap(ctx);
  auto spec = std::make_unique<oci::Spec>(std::move(*parsed));
  req->spec = spec.get();
  req->config_text = std::move(*text);
  if (opts.listen_fds > 0 && spec->process) {
    // systemd socket activation passes through, now for the container's pid 1.
    auto& env = spec->process->env;
    std::erase_if(env,
                  [](const std::string& e) { return e.starts_with("LISTEN_FDS=") || e.starts_with("LISTEN_PID="); });
    env.push_back("LISTEN_FDS=" + std::to_string(opts.listen_fds));
    env.push_back("LISTEN_PID=1");
  }
  // A member's sandbox is checked (and locked: see runtime/sandbox.h for the
  // lock order) before anything is made; its container is the new one's host.
  auto membership = sandbox::parse(spec->annotations, opts.id);
  if (!membership) return std::move(membership).error().wrap(ctx);
  std::optional<sandbox::Sandbox> sb;
  if (!membership->is_sandbox && !membership->sandbox_id.empty()) {
    auto s = sandbox::check_member(store, *membership);
    if (!s) return std::move(s).error().wrap(ctx);
    if (*s) {
      sb.emplace(std::move(**s));
      req->host = sb->c.container.get();
      req->host_id = sb->c.st.id;
      req->host_annotation = membership->id_annotation;
    } else {
      membership->sandbox_id.clear();  // names a plain container: not a sandbox member
    }
  }
  auto platform = platform::registry().choose(*spec);
  if (!platform) return std::move(platform).error().wrap(ctx);
  // A member that names no platform goes where its sandbox is (runhcs: into
  // the sandbox's utility VM).
  if (sb && !platform::Registry::names_platform(*spec)) {
    auto own = platform::registry().find(sb->c.st.platform);
    if (own) platform = *own;
  }
  if (sb && sb->c.st.platform != (*platform)->name())
    return invalid(ctx + ": annotations[\"" + membership->id_annotation + "\"]: sandbox " + sb->c.st.id + " runs on " +
                   sb->c.st.platform + ", this container would run on " + std::string((*platform)->name()));
  BERTH_DEBUG(ctx + ": bundle " + req->bundle + ", platform " + std::string((*platform)->name()) +
              (sb ? ", in sandbox " + sb->c.st.id : ""));
  auto creation = (*platform)->prepare(*req);
  if (!creation) return std::move(creation).error().wrap(ctx);

  auto dir = store.create(opts.id);
  if (!dir) return std::move(dir).error().wrap(ctx);
  crash_point("create:state-dir");
  Created out{Loaded{std::move(*dir), {}, state::Status::kCreating, ::geteuid(), nullptr},
              std::move(spec),
              std::move(req),
              std::move(*creation),
              {}};
  auto fail = [&](Error e) -> Error {
    rollback(out);
    return std::move(e).wrap(ctx);
  };

  state::ContainerState& st = out.c.st;
  const oci::Spec& s = *out.spec;
  st.id = opts.id;
  st.oci_version = s.oci_version;
  st.bundle = out.request->bundle;
  st.rootfs = s.root.path[0] == '/' ? path_clean(s.root.path) : path_clean(path_join(st.bundle, s.root.path));
  st.created = now_rfc3339_nano();
  st.annotations = s.annotations;
  st.sandbox = membership->sandbox_id;
  st.platform = std::string((*platform)->name());
  st.host = sb ? sb->c.st.id : "";
  if (s.hooks) {
    st.poststart = s.hooks->poststart;
    st.poststop = s.hooks->poststop;
  }
  platform::CreateCallbacks cb;
  cb.record = [&]() -> Status {
    st.platform_state = out.creation->container().record();
    BERTH_DEBUG(ctx + ": record saved to " + store.root() + "/" + opts.id + "/state.json");
    return out.c.dir.save(st);
  };
  // A delete of the sandbox that waited for its lock now finds this member;
  // the sandbox's container goes with its lock.
  cb.recorded = [&] {
    out.request->host = nullptr;
    sb.reset();
  };
  cb.create_hooks = [&](const std::string& state_json) -> Status {
    if (!s.hooks) return {};
    BERTH_DEBUG(ctx + ": running the prestart and createRuntime hooks");
    BERTH_TRY(hooks::run(s.hooks->prestart, "prestart", state_json, st.bundle));
    return hooks::run(s.hooks->create_runtime, "createRuntime", state_json, st.bundle);
  };
  cb.state_json = [&](pid_t pid) { return oci_state_json(st, pid, state::Status::kCreating, false); };
  if (auto r = out.creation->make(out.c.dir, cb); !r) return fail(std::move(r).error());
  out.warnings = std::move(out.creation->warnings());
  if (!opts.pid_file.empty()) {
    if (auto r = write_pid_file(opts.pid_file, out.init().pid()); !r) return fail(std::move(r).error());
  }
  crash_point("create:pid-file");
  BERTH_DEBUG(ctx + ": created, init pid " + std::to_string(out.init().pid()));
  out.c.container = out.creation->take_container();
  out.c.status = park == Park::kStartCommand ? state::Status::kCreated : state::Status::kRunning;
  return out;
}

Status start_now(Created& c) {
  BERTH_TRY(c.creation->start_now());
  std::string state_json = oci_state_json(c.c.st, c.init().pid(), state::Status::kRunning, false);
  hooks::run_all(c.c.st.poststart, "poststart", state_json, &c.warnings, c.c.st.bundle);
  return {};
}

}  // namespace berth::runtime
