// create, start, kill and delete: the commands that change a container.
// Every one holds the container's lock for its whole length.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "oci/parse.h"
#include "platform/hcs/process.h"
#include "platform/hcs/system.h"
#include "platform/hcs/translate.h"
#include "runtime/membership.h"
#include "windows/commands.h"
#include "windows/shim.h"

namespace berth::win {

namespace hcs = platform::hcs;

int fail(const Error& e) {
  std::fprintf(stderr, "berth: %s\n", e.message.c_str());
  return 1;
}

namespace {

// HCS names a layer by a GUID made from its folder's name: vmcompute.dll's
// NameToGuid, as hcsshim asks it (wclayer.NameToGuid).
Result<std::string> layer_id(const std::string& folder) {
  using NameToGuid = HRESULT(WINAPI*)(PCWSTR, GUID*);
  static HMODULE vmcompute = LoadLibraryW(L"vmcompute.dll");
  auto fn = vmcompute ? reinterpret_cast<NameToGuid>(reinterpret_cast<void*>(GetProcAddress(vmcompute, "NameToGuid")))
                      : nullptr;
  if (!fn) return make_error(ErrorKind::kInternal, "vmcompute.dll's NameToGuid is not available");
  std::string name = folder.substr(folder.find_last_of("\\/") + 1);
  GUID g;
  if (HRESULT hr = fn(wide(name).c_str(), &g); FAILED(hr)) return hresult_error("NameToGuid " + name, hr);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                static_cast<unsigned long>(g.Data1), g.Data2, g.Data3, g.Data4[0], g.Data4[1], g.Data4[2], g.Data4[3],
                g.Data4[4], g.Data4[5], g.Data4[6], g.Data4[7]);
  return std::string(buf);
}

std::string own_path() {
  wchar_t buf[MAX_PATH];
  DWORD n = GetModuleFileNameW(nullptr, buf, MAX_PATH);
  return n > 0 && n < MAX_PATH ? utf8(buf) : "berth.exe";
}

std::string absolute(const std::string& path) {
  wchar_t buf[MAX_PATH];
  DWORD n = GetFullPathNameW(wide(path).c_str(), MAX_PATH, buf, nullptr);
  return n > 0 && n < MAX_PATH ? utf8(buf) : path;
}

bool alive(uint32_t pid) {
  if (pid == 0) return false;
  Handle p(OpenProcess(SYNCHRONIZE, FALSE, pid));
  return p && WaitForSingleObject(p.get(), 0) == WAIT_TIMEOUT;
}

// Starts `berth.exe shim <id>` with this process's stdio, and waits until it
// serves its pipe (or dies). Its pid, or why not.
Result<uint32_t> start_shim(const Global& g, const std::string& id) {
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  Handle ready(CreateEventW(&sa, TRUE, FALSE, nullptr));
  if (!ready) return win_error("create shim event");
  std::string cmd = hcs::escape_args({own_path(), "--root", g.store.root(), "shim", "--ready",
                                      std::to_string(reinterpret_cast<uintptr_t>(ready.get())), id});
  std::wstring wcmd = wide(cmd);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
  si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
  for (HANDLE h : {si.hStdInput, si.hStdOutput, si.hStdError})
    if (h && h != INVALID_HANDLE_VALUE) SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
  PROCESS_INFORMATION pi{};
  // Its own process group: a Ctrl-C meant for the caller is not the shim's.
  if (!CreateProcessW(nullptr, wcmd.data(), nullptr, nullptr, TRUE, CREATE_NEW_PROCESS_GROUP, nullptr, nullptr, &si,
                      &pi))
    return win_error("start shim");
  Handle process(pi.hProcess), thread(pi.hThread);
  HANDLE both[] = {ready.get(), process.get()};
  DWORD w = WaitForMultipleObjects(2, both, FALSE, 30000);
  if (w == WAIT_OBJECT_0) return static_cast<uint32_t>(pi.dwProcessId);
  TerminateProcess(process.get(), 1);
  WaitForSingleObject(process.get(), INFINITE);
  return make_error(ErrorKind::kInternal, "the shim of " + id + " did not start");
}

// Stops and closes the compute system of a record, if HCS has one.
Status remove_system(const std::string& id) {
  auto sys = hcs::System::open(id);
  if (!sys) return sys.error().kind == ErrorKind::kNotFound ? Status() : Status(std::move(sys).error());
  return (*sys)->terminate();
}

// What create made, undone in reverse: the shim, the system (through the
// handle create has, when it has one: HCS may refuse to open it again), the
// record. runhcs's c.Remove() on a failed create.
void roll_back(const Global& g, const std::string& id, uint32_t shim_pid, std::unique_ptr<hcs::System> sys) {
  if (shim_pid) {
    Handle p(OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, shim_pid));
    if (p) {
      TerminateProcess(p.get(), 1);
      WaitForSingleObject(p.get(), 10000);
    }
  }
  if (sys) {
    (void)sys->terminate();
    sys.reset();
  } else {
    (void)remove_system(id);
  }
  (void)g.store.remove(id);
}

}  // namespace

int cmd_create(const Global& g, const cli::Args& a) {
  if (a.positional.size() != 1) return fail(invalid("create: exactly one container id is needed"));
  const std::string id = a.positional[0];
  if (a.has("console-socket"))
    return fail(make_error(ErrorKind::kNotImplemented, "create: --console-socket: no terminal on Windows yet"));
  auto lock = g.store.lock(id);
  if (!lock) return fail(lock.error());
  const std::string bundle = absolute(a.get("bundle", "."));
  auto text = read_file(bundle + "\\config.json");
  if (!text) return fail(text.error());
  auto spec = oci::parse_spec(*text);
  if (!spec) return fail(std::move(spec).error().wrap(bundle + "\\config.json"));
  if (!spec->windows) return fail(invalid("windows: a Windows container's config needs a \"windows\" section"));
  if (!spec->process) return fail(invalid("process: create needs a process"));
  if (g.store.load(id)) return fail(make_error(ErrorKind::kAlreadyExists, "container \"" + id + "\" already exists"));

  auto m = runtime::sandbox::parse(spec->annotations, id);
  if (!m) return fail(m.error());
  hcs::PlacementRequest preq{.id = id,
                             .spec = &*spec,
                             .sandbox_id = m->sandbox_id,
                             .is_sandbox = m->is_sandbox,
                             .id_annotation = m->id_annotation};
  preq.lookup = [&](const std::string& other) -> std::optional<hcs::Record> {
    auto r = g.store.load(other);
    if (!r) return std::nullopt;
    return hcs::Record{r->id, r->sandbox_id, r->host_id, r->is_host};
  };
  auto place = hcs::place(preq);
  if (!place) return fail(place.error());
  if (place->vm_isolated)
    return fail(make_error(ErrorKind::kNotImplemented,
                           "windows.hyperv: berth.exe does not run Hyper-V isolated containers yet (their documents "
                           "are translated; the utility VM is not made)"));

  std::string layer_error;
  hcs::Request treq{.id = id,
                    .spec = &*spec,
                    .bundle = bundle,
                    .host_cpu_count = static_cast<uint32_t>(GetActiveProcessorCount(ALL_PROCESSOR_GROUPS))};
  treq.layer_id = [&](const std::string& folder) {
    auto r = layer_id(folder);
    if (!r && layer_error.empty()) layer_error = "windows.layerFolders: " + r.error().message;
    return r ? *r : std::string();
  };
  treq.has_utility_vm = [](const std::string& folder) {
    return GetFileAttributesW(wide(folder + "\\UtilityVM").c_str()) != INVALID_FILE_ATTRIBUTES;
  };
  auto docs = hcs::translate(treq);
  if (!docs) return fail(docs.error());
  if (!layer_error.empty()) return fail(make_error(ErrorKind::kInternal, layer_error));
  for (const auto& w : docs->warnings) std::fprintf(stderr, "berth: warning: %s\n", w.c_str());

  // The record first: whatever is made after it, delete --force finds.
  Record r;
  r.id = id;
  r.bundle = bundle;
  r.created = now_rfc3339();
  r.annotations = spec->annotations;
  r.sandbox_id = place->sandbox_id;
  r.host_id = place->host_id;
  r.is_host = place->new_vm;
  r.system_requested = true;
  r.process_parameters = hcs::process_parameters(*spec->process);
  if (auto s = g.store.add(r); !s) return fail(s.error());

  auto sys = hcs::System::create(id, docs->compute_system);
  if (!sys) {
    roll_back(g, id, 0, nullptr);
    return fail(std::move(sys).error().wrap("create " + id));
  }
  auto shim = start_shim(g, id);
  if (!shim) {
    roll_back(g, id, 0, std::move(*sys));
    return fail(std::move(shim).error().wrap("create " + id));
  }
  r.status = "created";
  r.shim_pid = *shim;
  if (auto s = g.store.save(r); !s) {
    roll_back(g, id, *shim, std::move(*sys));
    return fail(std::move(s).error().wrap("create " + id));
  }
  if (a.has("pid-file")) {
    // The shim stands for the container on the host until its init runs.
    const std::string pid_file = a.get("pid-file");
    FILE* f = _wfopen(wide(pid_file).c_str(), L"wb");
    if (!f || std::fprintf(f, "%u", r.shim_pid) < 0 || std::fclose(f) != 0) {
      roll_back(g, id, *shim, std::move(*sys));
      return fail(make_error(ErrorKind::kInternal, "create " + id + ": write pid file " + pid_file));
    }
  }
  return 0;
}

int cmd_start(const Global& g, const cli::Args& a) {
  if (a.positional.size() != 1) return fail(invalid("start: exactly one container id is needed"));
  const std::string id = a.positional[0];
  auto lock = g.store.lock(id);
  if (!lock) return fail(lock.error());
  auto r = g.store.load(id);
  if (!r) return fail(r.error());
  if (r->status != "created")
    return fail(make_error(ErrorKind::kConflict, "cannot start a container that is " + r->status));
  // runhcs's order (container.Exec): the compute system starts here, then
  // its shim creates the init in it. A failure leaves the container created,
  // as runc's start does; delete removes it.
  auto sys = hcs::System::open(id);
  if (!sys) return fail(std::move(sys).error().wrap("start " + id));
  if (auto s = (*sys)->start(); !s) return fail(std::move(s).error().wrap("start " + id));
  auto reply = call_shim(g.store, id, "start");
  if (!reply) return fail(std::move(reply).error().wrap("start " + id));
  return 0;
}

// The signal a kill names: a number, or a name with or without "SIG".
static int signal_number(std::string s) {
  static const std::pair<const char*, int> kNames[] = {{"HUP", 1},   {"INT", 2},   {"QUIT", 3}, {"KILL", 9},
                                                       {"USR1", 10}, {"USR2", 12}, {"TERM", 15}};
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) return std::atoi(s.c_str());
  if (s.rfind("SIG", 0) == 0) s = s.substr(3);
  for (const auto& [name, n] : kNames)
    if (s == name) return n;
  return -1;
}

int cmd_kill(const Global& g, const cli::Args& a) {
  if (a.positional.empty() || a.positional.size() > 2) return fail(invalid("kill: usage: kill <id> [SIGNAL]"));
  const std::string id = a.positional[0];
  int sig = signal_number(a.positional.size() == 2 ? a.positional[1] : "TERM");
  if (sig <= 0 || sig > 64) return fail(invalid("kill: invalid signal \"" + a.positional[1] + "\""));
  auto lock = g.store.lock(id);
  if (!lock) return fail(lock.error());
  auto r = g.store.load(id);
  if (!r) return fail(r.error());
  if ((r->status != "created" && r->status != "running" && r->status != "paused") || !alive(r->shim_pid))
    return fail(make_error(ErrorKind::kConflict, "container " + id + " is not running"));
  auto reply = call_shim(g.store, id, "kill " + std::to_string(sig));
  if (!reply) return fail(std::move(reply).error().wrap("kill " + id));
  return 0;
}

int cmd_delete(const Global& g, const cli::Args& a) {
  if (a.positional.size() != 1) return fail(invalid("delete: exactly one container id is needed"));
  const std::string id = a.positional[0];
  const bool force = a.flag("force");
  auto lock = g.store.lock(id);
  if (!lock) return fail(lock.error());
  auto r = g.store.load(id);
  if (!r) return force && r.error().kind == ErrorKind::kNotFound ? 0 : fail(r.error());
  const bool live = (r->status == "created" || r->status == "running" || r->status == "paused") && alive(r->shim_pid);
  if (live && !force)
    return fail(
        make_error(ErrorKind::kConflict, "cannot delete container " + id + " that is not stopped: " + r->status));
  if (live) {
    Handle shim(OpenProcess(SYNCHRONIZE | PROCESS_TERMINATE, FALSE, r->shim_pid));
    (void)call_shim(g.store, id, "kill 9");
    // The shim goes once the exit is seen; it waits for this lock to
    // record it, so it is not waited for here beyond its own end.
    if (shim && WaitForSingleObject(shim.get(), 0) != WAIT_OBJECT_0) TerminateProcess(shim.get(), 1);
  }
  // A system left running keeps its record, so that a second delete can try
  // again: nothing is lost.
  if (auto s = remove_system(id); !s) return fail(std::move(s).error().wrap("delete " + id));
  if (auto s = g.store.remove(id); !s) return fail(std::move(s).error().wrap("delete " + id));
  return 0;
}

int cmd_pause(const Global& g, const cli::Args& a, bool resume) {
  const char* what = resume ? "resume" : "pause";
  if (a.positional.size() != 1) return fail(invalid(std::string(what) + ": exactly one container id is needed"));
  const std::string id = a.positional[0];
  auto lock = g.store.lock(id);
  if (!lock) return fail(lock.error());
  auto r = g.store.load(id);
  if (!r) return fail(r.error());
  const char* from = resume ? "paused" : "running";
  if (r->status != from || !alive(r->shim_pid))
    return fail(make_error(ErrorKind::kConflict, "container " + id + " is not " + from));
  auto sys = hcs::System::open(id);
  if (!sys) return fail(std::move(sys).error().wrap(std::string(what) + " " + id));
  auto s = resume ? (*sys)->resume() : (*sys)->pause();
  if (!s) return fail(std::move(s).error().wrap(std::string(what) + " " + id));
  r->status = resume ? "running" : "paused";
  if (auto w = g.store.save(*r); !w) return fail(w.error());
  return 0;
}

}  // namespace berth::win
