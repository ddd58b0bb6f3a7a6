// berth.exe: runc's command line on Windows (commands.h). Global options
// come before the command, as runc's do.
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "oci/parse.h"
#include "platform/hcs/process.h"
#include "platform/hcs/system.h"
#include "windows/commands.h"
#include "windows/shim.h"

namespace berth::win {

namespace hcs = platform::hcs;
using nlohmann::json;

namespace {

bool alive(uint32_t pid) {
  if (pid == 0) return false;
  Handle p(OpenProcess(SYNCHRONIZE, FALSE, pid));
  return p && WaitForSingleObject(p.get(), 0) == WAIT_TIMEOUT;
}

// The status a record stands for now: a created or running container whose
// shim is gone has stopped (its exit went with the shim).
std::string status_now(const Record& r) {
  if ((r.status == "created" || r.status == "running" || r.status == "paused") && !alive(r.shim_pid)) return "stopped";
  return r.status;
}

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

namespace {

// The properties of a live container's compute system that query asks for
// ({"PropertyTypes": [...]}), as JSON.
Result<json> live_properties(const Global& g, const std::string& id, const char* type) {
  auto r = g.store.load(id);
  if (!r) return std::move(r).error();
  if (status_now(*r) == "stopped") return make_error(ErrorKind::kConflict, "container " + id + " is not running");
  auto sys = hcs::System::open(id);
  if (!sys) return std::move(sys).error();
  auto doc = (*sys)->properties(json{{"PropertyTypes", {type}}}.dump());
  if (!doc) return std::move(doc).error();
  json props = json::parse(*doc, nullptr, false);
  if (!props.is_object()) return make_error(ErrorKind::kInternal, "HCS's properties of " + id + " are not JSON");
  return props;
}

uint64_t number(const json& j, const char* a, const char* b) {
  if (!j.is_object() || !j.contains(a) || !j[a].is_object() || !j[a].contains(b) || !j[a][b].is_number()) return 0;
  return j[a][b].get<uint64_t>();
}

}  // namespace

int cmd_ps(const Global& g, const cli::Args& a) {
  if (a.positional.size() != 1) return fail(invalid("ps: exactly one container id is needed"));
  const std::string format = a.get("format", "table");
  if (format != "table" && format != "json") return fail(invalid("ps: --format: must be table or json"));
  auto props = live_properties(g, a.positional[0], "ProcessList");
  if (!props) return fail(std::move(props).error().wrap("ps " + a.positional[0]));
  json list = props->value("ProcessList", json::array());
  if (format == "json") {
    json pids = json::array();
    for (const auto& p : list) pids.push_back(p.value("ProcessId", 0u));
    std::printf("%s\n", pids.dump().c_str());
    return 0;
  }
  std::printf("PID\tIMAGE\n");
  for (const auto& p : list)
    std::printf("%u\t%s\n", p.value("ProcessId", 0u), p.value("ImageName", std::string()).c_str());
  return 0;
}

// events --stats: one stats event in runc's shape, from HCS's Statistics
// (100 ns units become nanoseconds).
int cmd_events(const Global& g, const cli::Args& a) {
  if (a.positional.size() != 1) return fail(invalid("events: exactly one container id is needed"));
  if (!a.flag("stats"))
    return fail(make_error(ErrorKind::kNotImplemented, "events: only --stats on Windows yet (no event stream)"));
  const std::string id = a.positional[0];
  auto props = live_properties(g, id, "Statistics");
  if (!props) return fail(std::move(props).error().wrap("events " + id));
  json st = props->value("Statistics", json::object());
  json data{{"cpu",
             {{"usage",
               {{"total", number(st, "Processor", "TotalRuntime100ns") * 100},
                {"user", number(st, "Processor", "RuntimeUser100ns") * 100},
                {"kernel", number(st, "Processor", "RuntimeKernel100ns") * 100}}}}},
            {"memory",
             {{"usage",
               {{"usage", number(st, "Memory", "MemoryUsageCommitBytes")},
                {"max", number(st, "Memory", "MemoryUsageCommitPeakBytes")}}},
              {"raw", {{"private_working_set", number(st, "Memory", "MemoryUsagePrivateWorkingSetBytes")}}}}}};
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
  if (status_now(*r) != "running") return fail(make_error(ErrorKind::kConflict, "container " + id + " is not running"));
  auto text = read_file(r->bundle + "\\config.json");
  if (!text) return fail(text.error());
  auto spec = oci::parse_spec(*text);
  if (!spec || !spec->process) return fail(make_error(ErrorKind::kInternal, r->bundle + "\\config.json: unreadable"));
  oci::Process p = *spec->process;
  if (a.has("process")) {
    auto pt = read_file(a.get("process"));
    if (!pt) return fail(pt.error());
    auto parsed = oci::parse_process(*pt);
    if (!parsed) return fail(std::move(parsed).error().wrap(a.get("process")));
    p = *parsed;
  } else {
    if (a.positional.size() < 2) return fail(invalid("exec: the command to run is needed (or --process)"));
    p.args.assign(a.positional.begin() + 1, a.positional.end());
    p.command_line.clear();
    if (a.has("cwd")) p.cwd = a.get("cwd");
    for (const auto& e : a.all("env")) p.env.push_back(e);
  }
  auto sys = hcs::System::open(id);
  if (!sys) return fail(std::move(sys).error().wrap("exec " + id));
  auto proc = (*sys)->create_process(hcs::process_parameters(p, &*spec->process));
  if (!proc) return fail(std::move(proc).error().wrap("exec " + id));
  auto copy = [](HANDLE from, HANDLE to) {
    char buf[8192];
    DWORD n = 0, w = 0;
    while (ReadFile(from, buf, sizeof buf, &n, nullptr) && n > 0)
      if (!WriteFile(to, buf, n, &w, nullptr)) break;
  };
  if ((*proc)->std_in) {
    // Until this process's stdin ends; not waited for.
    std::thread([copy, in = (*proc)->std_in.release()] {
      copy(GetStdHandle(STD_INPUT_HANDLE), in);
      CloseHandle(in);
    }).detach();
  }
  std::thread out, err;
  if ((*proc)->std_out) out = std::thread(copy, (*proc)->std_out.get(), GetStdHandle(STD_OUTPUT_HANDLE));
  if ((*proc)->std_err) err = std::thread(copy, (*proc)->std_err.get(), GetStdHandle(STD_ERROR_HANDLE));
  WaitForSingleObject((*proc)->exited(), INFINITE);
  if (out.joinable()) out.join();
  if (err.joinable()) err.join();
  return static_cast<int>((*proc)->exit_code().value_or(1));
}

namespace {

struct Command {
  const char* name;
  int (*run)(const Global&, const cli::Args&);
  std::vector<cli::Option> options;
};

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"create", cmd_create, {{{"bundle", "b"}, true}, {{"pid-file"}, true}, {{"console-socket"}, true}}},
      {"start", cmd_start, {}},
      {"kill", cmd_kill, {{{"all", "a"}, false}}},
      {"delete", cmd_delete, {{{"force", "f"}, false}}},
      {"pause", [](const Global& g, const cli::Args& a) { return cmd_pause(g, a, false); }, {}},
      {"resume", [](const Global& g, const cli::Args& a) { return cmd_pause(g, a, true); }, {}},
      {"state", cmd_state, {}},
      {"ps", cmd_ps, {{{"format", "f"}, true}}},
      {"events", cmd_events, {{{"stats"}, false}, {{"interval"}, true}}},
      {"list", cmd_list, {{{"quiet", "q"}, false}, {{"format", "f"}, true}}},
      {"exec",
       cmd_exec,
       {{{"process", "p"}, true},
        {{"cwd"}, true},
        {{"env", "e"}, true},
        {{"detach", "d"}, false},
        {{"tty", "t"}, false},
        {{"pid-file"}, true}}},
  };
  return kCommands;
}

int usage() {
  std::fprintf(stderr, "usage: berth [--root DIR] COMMAND [OPTIONS] ID\ncommands:");
  for (const auto& c : commands()) std::fprintf(stderr, " %s", c.name);
  std::fprintf(stderr, "\n(Windows build: Windows containers through the Host Compute Service)\n");
  return 1;
}

}  // namespace

int main_utf8(const std::vector<std::string>& argv) {
  static const std::vector<cli::Option> kGlobal = {
      {{"root"}, true}, {{"log"}, true}, {{"log-format"}, true}, {{"debug"}, false}, {{"systemd-cgroup"}, false}};
  std::vector<std::string> rest;
  if (argv.size() > 1) rest.assign(argv.begin() + 1, argv.end());
  auto global = cli::parse_args(rest, kGlobal, false);
  if (!global) return fail(global.error());
  if (global->positional.empty()) return usage();
  Global g{Store(global->get("root", default_root()))};
  const std::string name = global->positional[0];
  std::vector<std::string> args(global->positional.begin() + 1, global->positional.end());
  if (name == "shim") {
    static const std::vector<cli::Option> kShim = {{{"ready"}, true}};
    auto a = cli::parse_args(args, kShim, true);
    if (!a || a->positional.size() != 1) return usage();
    auto ready = reinterpret_cast<HANDLE>(
        static_cast<uintptr_t>(std::strtoull(a->get("ready", "0").c_str(), nullptr, 10)));
    return run_shim(g.store, a->positional[0], ready);
  }
  for (const auto& c : commands()) {
    if (name != c.name) continue;
    // exec stops at the container id, so the command's own flags stay its own.
    auto a = cli::parse_args(args, c.options, name != "exec");
    if (!a) return fail(std::move(a).error().wrap(name));
    return c.run(g, *a);
  }
  std::fprintf(stderr, "berth: unknown command \"%s\"\n", name.c_str());
  return usage();
}

}  // namespace berth::win

int wmain(int argc, wchar_t** argv) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) args.push_back(berth::win::utf8(argv[i]));
  int rc = berth::win::main_utf8(args);
  std::fflush(nullptr);
  return rc;
}
