// berth exec: runc's flags, turned into a runtime-spec Process. The base is
// the container's own process (from its bundle's config.json); a --process
// file overrides the fields it gives, and flags override both.
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/proc.h"
#include "cli/command.h"
#include "oci/parse.h"
#include "runtime/exec.h"
#include "runtime/foreground.h"

namespace berth::cli {

namespace {

using nlohmann::json;

const Option kExecOptions[] = {
    {{"process", "p"}, true, "path to a process.json (runtime-spec Process)"},
    {{"tty", "t"}, false, "allocate a pseudo-TTY"},
    {{"console-socket"}, true, "unix socket that receives the pty master"},
    {{"detach", "d"}, false, "detach from the process"},
    {{"pid-file"}, true, "file to write the process's pid to"},
    {{"env", "e"}, true, "set an environment variable (repeatable)"},
    {{"cwd"}, true, "working directory inside the container"},
    {{"user", "u"}, true, "uid[:gid]"},
    {{"additional-gids", "g"}, true, "additional gid (repeatable)"},
    {{"cap", "c"}, true, "add a capability (repeatable)"},
    {{"no-new-privs"}, false, "set no_new_privs"},
    {{"process-label"}, true, "SELinux label of the process"},
    {{"apparmor"}, true, "AppArmor profile of the process"},
    {{"preserve-fds"}, true, "pass N more fds (3..3+N-1) to the process"},
    {{"cgroup"}, true, "[controller:]path of a sub-cgroup to run in"},
    {{"ignore-paused"}, false, "exec even into a paused container"},
};

// Exit code of every exec failure after the flags parsed, as runc's exec
// (docker and podman tell berth's failures from the process's by it).
constexpr int kExecFailed = 255;

int exec_failed(const Context& ctx, const Error& e) {
  fail(ctx, e);
  return kExecFailed;
}

Result<uint32_t> parse_id(const std::string& what, const std::string& text) {
  uint64_t v = 0;
  if (!parse_uint64(text, v) || v > UINT32_MAX) return invalid(what + ": invalid id \"" + text + "\"");
  return static_cast<uint32_t>(v);
}

// Applies the flags on top of the container's process (JSON), as runc's
// getProcess does without --process.
Status apply_flags(const Args& a, json& p) {
  p["args"] = std::vector<std::string>(a.positional.begin() + 1, a.positional.end());
  if (a.has("cwd")) p["cwd"] = a.get("cwd");
  if (a.has("apparmor")) p["apparmorProfile"] = a.get("apparmor");
  if (a.has("process-label")) p["selinuxLabel"] = a.get("process-label");
  for (const auto& e : a.all("env")) p["env"].push_back(e);
  p["terminal"] = a.has("tty") && a.flag("tty");
  if (a.has("no-new-privs")) p["noNewPrivileges"] = a.flag("no-new-privs");
  if (a.has("user")) {
    auto parts = split(a.get("user"), ':');
    if (parts.size() > 2) return invalid("--user: want uid[:gid], got \"" + a.get("user") + "\"");
    auto uid = parse_id("--user", parts[0]);
    if (!uid) return uid.error();
    p["user"]["uid"] = *uid;
    if (parts.size() == 2) {
      auto gid = parse_id("--user", parts[1]);
      if (!gid) return gid.error();
      p["user"]["gid"] = *gid;
    }
  }
  for (const auto& g : a.all("additional-gids")) {
    auto gid = parse_id("--additional-gids", g);
    if (!gid) return gid.error();
    p["user"]["additionalGids"].push_back(*gid);
  }
  for (const auto& cap : a.all("cap")) {
    json& caps = p["capabilities"];
    for (const char* set : {"bounding", "effective", "permitted"}) caps[set].push_back(cap);
    // Ambient needs inheritable; like runc, only when the spec has some.
    if (caps.contains("inheritable") && !caps["inheritable"].empty()) {
      caps["inheritable"].push_back(cap);
      caps["ambient"].push_back(cap);
    }
  }
  return {};
}

// With --process the file is the whole process, as runc's getProcess takes
// it: nothing comes from the container's config (containerd leaves out
// "terminal": false, which must not become the container's tty), and the
// process flags are ignored. Without it, the container's process is the
// base and the flags change it.
Result<oci::Process> build_process(const Context& ctx, const Args& a) {
  if (a.has("process")) {
    std::string file = a.get("process");
    auto text = read_stream_file(file);
    if (!text) return std::move(text).error().wrap("--process");
    for (const char* flag :
         {"env", "cwd", "user", "additional-gids", "cap", "tty", "no-new-privs", "apparmor", "process-label"})
      if (a.has(flag)) ctx.log.warn(std::string("--") + flag + " is ignored with --process, as runc ignores it");
    auto proc = oci::parse_process(*text);
    if (!proc) return std::move(proc).error().wrap(file);
    return proc;
  }
  const std::string& id = a.positional[0];
  auto base = runtime::container_process_json(ctx.store, id);
  if (!base) return std::move(base).error();
  json p = json::parse(*base);
  BERTH_TRY(apply_flags(a, p));
  auto proc = oci::parse_process(p.dump());
  if (!proc) return std::move(proc).error().wrap("exec");
  return proc;
}

int run_exec(Context& ctx, const Args& a) {
  // Every failure from here on exits 255, as runc's exec does (flags it
  // cannot parse and a missing id exit 1, in run_command).
  if (!a.has("process") && a.positional.size() < 2)
    return exec_failed(ctx, invalid("exec: missing command (or --process FILE)"));

  runtime::ExecOptions opts;
  opts.id = a.positional[0];
  opts.pid_file = a.get("pid-file");
  opts.ignore_paused = a.flag("ignore-paused");
  for (const auto& c : a.all("cgroup")) {
    // [controller[,controller]:]path
    auto colon = c.find(':');
    std::string ctrls = colon == std::string::npos ? "" : c.substr(0, colon);
    std::string path = colon == std::string::npos ? c : c.substr(colon + 1);
    if (path.empty()) return exec_failed(ctx, invalid("--cgroup: empty path in \"" + c + "\""));
    for (const auto& ctrl : split(ctrls, ',')) {
      if (ctrl.empty() && colon != std::string::npos)
        return exec_failed(ctx, invalid("--cgroup: empty controller in \"" + c + "\""));
      if (opts.sub_cgroups.count(ctrl))
        return exec_failed(ctx, invalid("--cgroup: " + (ctrl.empty() ? std::string("a path") : "controller " + ctrl) +
                                        " given more than once"));
      opts.sub_cgroups[ctrl] = path;
    }
  }
  auto preserve = preserve_fds_of(a);
  if (!preserve) return exec_failed(ctx, preserve.error());
  opts.preserve_fds = *preserve;
  auto proc = build_process(ctx, a);
  if (!proc) {
    fail(ctx, proc.error());
    return kExecFailed;
  }
  bool detach = a.flag("detach");
  opts.console_socket = a.get("console-socket");
  if (proc->terminal && detach && opts.console_socket.empty())
    return exec_failed(ctx, invalid("exec: a terminal needs --console-socket with --detach"));
  opts.process = std::move(*proc);

  if (!detach) runtime::block_signals();
  auto execed = runtime::exec(ctx.store, opts);
  if (!execed) {
    fail(ctx, execed.error());
    return kExecFailed;
  }
  for (const auto& w : execed->warnings) ctx.log.warn(w);
  if (detach) return 0;
  platform::Process& process = *execed->process;
  int status = execed->console ? runtime::proxy_pty(execed->console.get(), process)
                               : runtime::wait_forwarding_signals(process);
  return exit_code_of(status);
}

}  // namespace

// Parsing stops at the container id: what follows is the command's own argv.
const Command kExecCommand = {"exec",
                              nullptr,
                              "<container-id> <command> [args...]  ||  -p process.json <container-id>",
                              1,
                              SIZE_MAX,
                              "run a new process inside a running container",
                              "Runs a new process in the namespaces, cgroups and security settings of a running "
                              "container. Without --process the container's own process (from its config.json) is the "
                              "base, changed by the flags; with --process FILE (or - for stdin) the file is the whole "
                              "process, as a runtime-spec Process, and the process flags are ignored.\n\n"
                              "In the foreground berth forwards signals to the process and exits with its exit code "
                              "(128+N for a signal). A failure of berth itself after the flags parsed exits 255, as "
                              "runc's exec does, so callers can tell it from the process's own exit code.",
                              kExecOptions,
                              false,
                              run_exec};

}  // namespace berth::cli
