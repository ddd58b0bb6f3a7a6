// berth.exe's commands (commands.h): argument checks and output around the
// lifecycle of container.h.
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "oci/parse.h"
#include "windows/commands.h"
#include "windows/container.h"

namespace berth::win {

using nlohmann::json;

int fail(const Error& e) {
  std::fprintf(stderr, "berth: %s\n", e.message.c_str());
  return 1;
}

namespace {

// This program: the shim is started as `<this> shim`.
std::string own_path() {
  wchar_t buf[MAX_PATH];
  DWORD n = GetModuleFileNameW(nullptr, buf, MAX_PATH);
  return n > 0 && n < MAX_PATH ? utf8(buf) : "berth.exe";
}

}  // namespace

int cmd_create(const Global& g, const cli::Args& a) {
  if (a.positional.size() != 1) return fail(invalid("create: exactly one container id is needed"));
  if (a.has("console-socket"))
    return fail(make_error(ErrorKind::kNotImplemented, "create: --console-socket: no terminal on Windows yet"));
  CreateRequest req{.id = a.positional[0], .bundle = absolute(a.get("bundle", ".")), .berth_exe = own_path()};
  req.std_in = GetStdHandle(STD_INPUT_HANDLE);
  req.std_out = GetStdHandle(STD_OUTPUT_HANDLE);
  req.std_err = GetStdHandle(STD_ERROR_HANDLE);
  std::vector<std::string> warnings;
  req.warnings = &warnings;
  auto shim = create(g.store, req);
  for (const auto& w : warnings) std::fprintf(stderr, "berth: warning: %s\n", w.c_str());
  if (!shim) return fail(shim.error());
  if (a.has("pid-file")) {
    // The shim stands for the container on the host until its init runs
    // (runhcs writes the same).
    const std::string pid_file = a.get("pid-file");
    FILE* f = _wfopen(wide(pid_file).c_str(), L"wb");
    bool ok = f && std::fprintf(f, "%u", *shim) > 0;
    if (f && std::fclose(f) != 0) ok = false;
    if (!ok) {
      (void)remove(g.store, req.id, true);
      return fail(make_error(ErrorKind::kInternal, "create " + req.id + ": write pid file " + pid_file));
    }
  }
  return 0;
}

int cmd_start(const Global& g, const cli::Args& a) {
  if (a.positional.size() != 1) return fail(invalid("start: exactly one container id is needed"));
  auto pid = start(g.store, a.positional[0]);
  return pid ? 0 : fail(pid.error());
}

int cmd_kill(const Global& g, const cli::Args& a) {
  if (a.positional.empty() || a.positional.size() > 2) return fail(invalid("kill: usage: kill <id> [SIGNAL]"));
  const std::string name = a.positional.size() == 2 ? a.positional[1] : "TERM";
  int sig = signal_number(name);
  if (sig <= 0 || sig > 64) return fail(invalid("kill: invalid signal \"" + name + "\""));
  auto s = kill(g.store, a.positional[0], sig);
  return s ? 0 : fail(s.error());
}

int cmd_delete(const Global& g, const cli::Args& a) {
  if (a.positional.size() != 1) return fail(invalid("delete: exactly one container id is needed"));
  auto s = remove(g.store, a.positional[0], a.flag("force"));
  // runc's: --force on a container that does not exist is not an error.
  if (!s && a.flag("force") && s.error().kind == ErrorKind::kNotFound) return 0;
  return s ? 0 : fail(s.error());
}

int cmd_pause(const Global& g, const cli::Args& a, bool resume) {
  if (a.positional.size() != 1)
    return fail(invalid(std::string(resume ? "resume" : "pause") + ": exactly one container id is needed"));
  auto s = pause(g.store, a.positional[0], resume);
  return s ? 0 : fail(s.error());
}

namespace {

json oci_state(const Record& r) {
  std::string status = status_now(r);
  json j{{"ociVersion", "1.2.0"},       {"id", r.id},           {"status", status},
         {"bundle", r.bundle},          {"created", r.created}, {"owner", r.owner},
         {"annotations", r.annotations}};
  uint32_t pid = status == "running" || status == "paused" ? r.init_pid : status == "created" ? r.shim_pid : 0;
  j["pid"] = pid;
  return j;
}

}  // namespace

int cmd_state(const Global& g, const cli::Args& a) {
  if (a.positional.size() != 1) return fail(invalid("state: exactly one container id is needed"));
  auto r = g.store.load(a.positional[0]);
  if (!r) return fail(r.error());
  std::printf("%s\n", oci_state(*r).dump(2).c_str());
  return 0;
}

int cmd_list(const Global& g, const cli::Args& a) {
  auto ids = g.store.list();
  if (!ids) return fail(ids.error());
  const std::string format = a.get("format", "table");
  if (format != "table" && format != "json") return fail(invalid("list: --format: must be table or json"));
  json all = json::array();
  if (format == "table" && !a.flag("quiet")) std::printf("ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n");
  for (const auto& id : *ids) {
    auto r = g.store.load(id);
    if (!r) continue;  // deleted meanwhile
    json s = oci_state(*r);
    if (format == "json") {
      all.push_back(s);
    } else if (a.flag("quiet")) {
      std::printf("%s\n", id.c_str());
    } else {
      std::printf("%s\t%u\t%s\t%s\t%s\t%s\n", id.c_str(), s["pid"].get<uint32_t>(),
                  s["status"].get<std::string>().c_str(), r->bundle.c_str(), r->created.c_str(), r->owner.c_str());
    }
  }
  if (format == "json") std::printf("%s\n", all.dump().c_str());
  return 0;
}

int cmd_ps(const Global& g, const cli::Args& a) {
  if (a.positional.size() != 1) return fail(invalid("ps: exactly one container id is needed"));
  const std::string format = a.get("format", "table");
  if (format != "table" && format != "json") return fail(invalid("ps: --format: must be table or json"));
  auto list = process_list(g.store, a.positional[0]);
  if (!list) return fail(std::move(list).error().wrap("ps " + a.positional[0]));
  if (format == "json") {
    json pids = json::array();
    for (const auto& p : *list) pids.push_back(p.pid);
    std::printf("%s\n", pids.dump().c_str());
    return 0;
  }
  std::printf("PID\tIMAGE\n");
  for (const auto& p : *list) std::printf("%u\t%s\n", p.pid, p.image.c_str());
  return 0;
}

// events --stats: one stats event in runc's shape, from HCS's Statistics
// (100 ns units become nanoseconds).
int cmd_events(const Global& g, const cli::Args& a) {
  if (a.positional.size() != 1) return fail(invalid("events: exactly one container id is needed"));
  if (!a.flag("stats"))
    return fail(make_error(ErrorKind::kNotImplemented, "events: only --stats on Windows yet (no event stream)"));
  const std::string id = a.positional[0];
  auto st = statistics(g.store, id);
  if (!st) return fail(std::move(st).error().wrap("events " + id));
  json data{{"cpu", {{"usage", {{"total", st->cpu_ns}, {"user", st->cpu_user_ns}, {"kernel", st->cpu_kernel_ns}}}}},
            {"memory",
             {{"usage", {{"usage", st->memory_commit}, {"max", st->memory_commit_peak}}},
              {"raw", {{"private_working_set", st->memory_private_working_set}}}}}};
  std::printf("%s\n", json{{"type", "stats"}, {"id", id}, {"data", data}}.dump().c_str());
  return 0;
}

int cmd_exec(const Global& g, const cli::Args& a) {
  if (a.positional.empty()) return fail(invalid("exec: a container id is needed"));
  const std::string id = a.positional[0];
  if (a.flag("detach") || a.flag("tty"))
    return fail(make_error(ErrorKind::kNotImplemented, "exec: --detach and --tty: not on Windows yet"));
  auto r = g.store.load(id);
  if (!r) return fail(r.error());
  auto text = read_file(r->bundle + "\\config.json");
  if (!text) return fail(text.error());
  auto spec = oci::parse_spec(*text);
  if (!spec || !spec->process) return fail(make_error(ErrorKind::kInternal, r->bundle + "\\config.json: unreadable"));
  oci::Process p = *spec->process;
  if (a.has("process")) {
    auto pt = read_file(a.get("process"));
    if (!pt) return fail(pt.error());
    auto parsed = oci::parse_windows_process(*pt);
    if (!parsed) return fail(std::move(parsed).error().wrap(a.get("process")));
    p = *parsed;
  } else {
    if (a.positional.size() < 2) return fail(invalid("exec: the command to run is needed (or --process)"));
    p.args.assign(a.positional.begin() + 1, a.positional.end());
    p.command_line.clear();
    if (a.has("cwd")) p.cwd = a.get("cwd");
    for (const auto& e : a.all("env")) p.env.push_back(e);
  }
  auto proc = win::exec(g.store, id, p, *spec->process);
  if (!proc) return fail(proc.error());
  if ((*proc)->std_in) {
    // Until this process's stdin ends; not waited for.
    std::thread([in = std::move((*proc)->std_in)] { copy_stream(GetStdHandle(STD_INPUT_HANDLE), in.get()); }).detach();
  }
  std::thread out, err;
  if ((*proc)->std_out) out = std::thread(copy_stream, (*proc)->std_out.get(), GetStdHandle(STD_OUTPUT_HANDLE));
  if ((*proc)->std_err) err = std::thread(copy_stream, (*proc)->std_err.get(), GetStdHandle(STD_ERROR_HANDLE));
  WaitForSingleObject((*proc)->exited(), INFINITE);
  if (out.joinable()) out.join();
  if (err.joinable()) err.join();
  return static_cast<int>((*proc)->exit_code().value_or(1));
}

}  // namespace berth::win
