#include "windows/container.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "oci/parse.h"
#include "platform/hcs/process.h"
#include "platform/hcs/translate.h"
#include "runtime/membership.h"
#include "windows/shim.h"

namespace berth::win {

namespace hcs = platform::hcs;
using nlohmann::json;

bool shim_alive(const Record& r) {
  if (!r.shim_pid) return false;
  Handle p(OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, r.shim_pid));
  // A process berth may not open is one it did not start, or its own run
  // by someone with more rights: taken as alive, never as gone.
  if (!p) return GetLastError() == ERROR_ACCESS_DENIED;
  if (WaitForSingleObject(p.get(), 0) != WAIT_TIMEOUT) return false;
  FILETIME created, exited, kernel, user;
  if (r.shim_start && GetProcessTimes(p.get(), &created, &exited, &kernel, &user))
    return ((uint64_t{created.dwHighDateTime} << 32) | created.dwLowDateTime) == r.shim_start;
  return true;
}

std::string absolute(const std::string& path) {
  wchar_t buf[MAX_PATH];
  DWORD n = GetFullPathNameW(wide(path).c_str(), MAX_PATH, buf, nullptr);
  return n > 0 && n < MAX_PATH ? utf8(buf) : path;
}

std::string status_now(const Record& r) {
  if ((r.status == "created" || r.status == "running" || r.status == "paused") && !shim_alive(r)) return "stopped";
  return r.status;
}

int signal_number(std::string s) {
  static const std::pair<const char*, int> kNames[] = {{"HUP", 1},   {"INT", 2},   {"QUIT", 3}, {"KILL", 9},
                                                       {"USR1", 10}, {"USR2", 12}, {"TERM", 15}};
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) return std::atoi(s.c_str());
  if (s.rfind("SIG", 0) == 0) s = s.substr(3);
  for (const auto& [name, n] : kNames)
    if (s == name) return n;
  return -1;
}

// The shim of a record, opened with access, if it is still that process.
Handle open_shim(const Record& r, DWORD access) {
  if (!r.shim_pid) return Handle();
  Handle p(OpenProcess(access | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, r.shim_pid));
  if (!p) return Handle();
  FILETIME created, exited, kernel, user;
  if (r.shim_start && GetProcessTimes(p.get(), &created, &exited, &kernel, &user) &&
      ((uint64_t{created.dwHighDateTime} << 32) | created.dwLowDateTime) != r.shim_start)
    return Handle();  // the pid is another process's now
  return p;
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

// A started shim: its pid and creation time, which together name it (a pid
// alone may be reused once it has gone).
struct ShimProcess {
  uint32_t pid = 0;
  uint64_t start = 0;
};

// Starts `<berth_exe> shim <id>` with the init's stdio and nothing else of
// this process's (a handle list: another container's stdio, in a daemon
// creating two at once, must not end up held by this shim), and waits for
// its first line on the ready pipe: "ok" once it serves its named pipe, or
// why it could not.
Result<ShimProcess> start_shim(const Store& store, const CreateRequest& req) {
  const std::string& id = req.id;
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  HANDLE r = nullptr, w = nullptr;
  if (!CreatePipe(&r, &w, &sa, 0)) return win_error("create the shim's ready pipe");
  Handle ready_r(r), ready_w(w);
  SetHandleInformation(ready_r.get(), HANDLE_FLAG_INHERIT, 0);
  std::string cmd = hcs::escape_args({req.berth_exe, "--root", store.root(), "shim", "--ready",
                                      std::to_string(reinterpret_cast<uintptr_t>(ready_w.get())), id});
  std::wstring wcmd = wide(cmd);
  // Inheritable copies: the caller's own handles stay as they are.
  Handle in = duplicate(req.std_in, true), out = duplicate(req.std_out, true), err = duplicate(req.std_err, true);
  std::vector<HANDLE> inherit = {ready_w.get()};
  for (const Handle* h : {&in, &out, &err})
    if (*h) inherit.push_back(h->get());
  SIZE_T size = 0;
  InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
  std::vector<char> attrs(size);
  auto* list = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(attrs.data());
  if (!InitializeProcThreadAttributeList(list, 1, 0, &size)) return win_error("start shim: attribute list");
  if (!UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit.data(),
                                 inherit.size() * sizeof(HANDLE), nullptr, nullptr)) {
    DeleteProcThreadAttributeList(list);
    return win_error("start shim: handle list");
  }
  STARTUPINFOEXW si{};
  si.StartupInfo.cb = sizeof si;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = in.get();
  si.StartupInfo.hStdOutput = out.get();
  si.StartupInfo.hStdError = err.get();
  si.lpAttributeList = list;
  PROCESS_INFORMATION pi{};
  // Its own process group: a Ctrl-C meant for the caller is not the shim's.
  BOOL ok = CreateProcessW(nullptr, wcmd.data(), nullptr, nullptr, TRUE,
                           CREATE_NEW_PROCESS_GROUP | EXTENDED_STARTUPINFO_PRESENT, nullptr, nullptr, &si.StartupInfo,
                           &pi);
  DWORD create_err = GetLastError();
  DeleteProcThreadAttributeList(list);
  if (!ok) return win_error("start shim", create_err);
  Handle process(pi.hProcess), thread(pi.hThread);
  ready_w.reset();  // the shim's copy is the only writer left: its death is EOF
  auto kill_it = [&](const std::string& why) -> Error {
    TerminateProcess(process.get(), 1);
    WaitForSingleObject(process.get(), INFINITE);
    return make_error(ErrorKind::kInternal, "the shim of " + id + " did not start: " + why);
  };
  std::string line;
  for (int waited = 0; line.find('\n') == std::string::npos; waited += 10) {
    DWORD avail = 0;
    if (!PeekNamedPipe(ready_r.get(), nullptr, 0, nullptr, &avail, nullptr)) break;  // EOF: it died
    if (avail == 0) {
      if (waited >= 30000) return kill_it("no answer in 30 s");
      Sleep(10);
      continue;
    }
    char buf[512];
    DWORD n = 0;
    if (!ReadFile(ready_r.get(), buf, sizeof buf, &n, nullptr) || n == 0) break;
    line.append(buf, n);
  }
  line.resize(line.find('\n') == std::string::npos ? line.size() : line.find('\n'));
  if (line != "ok") return kill_it(line.rfind("error ", 0) == 0 ? line.substr(6) : "it exited");
  FILETIME created, exited, kernel, user;
  GetProcessTimes(process.get(), &created, &exited, &kernel, &user);
  return ShimProcess{static_cast<uint32_t>(pi.dwProcessId),
                     (uint64_t{created.dwHighDateTime} << 32) | created.dwLowDateTime};
}

// Stops the compute system of a record, if HCS has one.
Status remove_system(const std::string& id) {
  auto sys = hcs::System::open(id);
  if (!sys) return sys.error().kind == ErrorKind::kNotFound ? Status() : Status(std::move(sys).error());
  return (*sys)->terminate();
}

// What create made, undone in reverse: the shim, then the system through
// the handle create has (never by id: a system HCS refused to make may be
// somebody else's of the same id), then the record. runhcs's c.Remove().
void roll_back(const Store& store, const std::string& id, const Record* shim_of, std::unique_ptr<hcs::System> sys) {
  if (shim_of) {
    if (Handle p = open_shim(*shim_of, PROCESS_TERMINATE | SYNCHRONIZE)) {
      TerminateProcess(p.get(), 1);
      WaitForSingleObject(p.get(), 10000);
    }
  }
  if (sys) {
    (void)sys->terminate();
    sys.reset();
  }
  (void)store.remove(id);
}

}  // namespace

Result<uint32_t> create(const Store& store, const CreateRequest& req) {
  const std::string& id = req.id;
  auto lock = store.lock(id);
  if (!lock) return std::move(lock).error();
  const std::string config_path = req.bundle + "\\config.json";
  auto text = read_file(config_path);
  if (!text) return std::move(text).error();
  auto spec = oci::parse_spec(*text);
  if (!spec) return std::move(spec).error().wrap(config_path);
  if (!spec->windows) return invalid("windows: a Windows container's config needs a \"windows\" section");
  if (!spec->process) return invalid("process: create needs a process");
  if (store.load(id)) return make_error(ErrorKind::kAlreadyExists, "container \"" + id + "\" already exists");

  auto m = runtime::sandbox::parse(spec->annotations, id);
  if (!m) return std::move(m).error();
  hcs::PlacementRequest preq{.id = id,
                             .spec = &*spec,
                             .sandbox_id = m->sandbox_id,
                             .is_sandbox = m->is_sandbox,
                             .id_annotation = m->id_annotation};
  preq.lookup = [&](const std::string& other) -> std::optional<hcs::Record> {
    auto r = store.load(other);
    if (!r) return std::nullopt;
    return hcs::Record{r->id, r->sandbox_id, r->host_id, r->is_host};
  };
  auto place = hcs::place(preq);
  if (!place) return std::move(place).error();
  if (place->vm_isolated)
    return make_error(ErrorKind::kNotImplemented,
                      "windows.hyperv: berth does not run Hyper-V isolated containers on Windows yet (their "
                      "documents are translated; the utility VM is not made)");

  std::string layer_error;
  hcs::Request treq{.id = id,
                    .spec = &*spec,
                    .bundle = req.bundle,
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
  if (!docs) return std::move(docs).error();
  if (!layer_error.empty()) return make_error(ErrorKind::kInternal, layer_error);
  if (req.warnings) *req.warnings = docs->warnings;

  // The record first: whatever is made after it, delete --force finds.
  Record r;
  r.id = id;
  r.bundle = req.bundle;
  r.created = now_rfc3339();
  r.annotations = spec->annotations;
  r.sandbox_id = place->sandbox_id;
  r.host_id = place->host_id;
  r.is_host = place->new_vm;
  r.system_requested = true;
  r.process_parameters = hcs::process_parameters(*spec->process);
  BERTH_TRY(store.add(r));

  auto sys = hcs::System::create(id, docs->compute_system);
  if (!sys) {
    roll_back(store, id, nullptr, nullptr);
    return std::move(sys).error().wrap("create " + id);
  }
  auto shim = start_shim(store, req);
  if (!shim) {
    roll_back(store, id, nullptr, std::move(*sys));
    return std::move(shim).error().wrap("create " + id);
  }
  r.status = "created";
  r.shim_pid = shim->pid;
  r.shim_start = shim->start;
  if (auto s = store.save(r); !s) {
    roll_back(store, id, &r, std::move(*sys));
    return std::move(s).error().wrap("create " + id);
  }
  return shim->pid;
}

Result<uint32_t> start(const Store& store, const std::string& id) {
  auto lock = store.lock(id);
  if (!lock) return std::move(lock).error();
  auto r = store.load(id);
  if (!r) return std::move(r).error();
  if (status_now(*r) != "created")
    return make_error(ErrorKind::kConflict, "cannot start a container that is " + status_now(*r));
  // runhcs's order (container.Exec): the compute system starts here, then
  // its shim creates the init in it. A failure leaves the container created,
  // as runc's start does; delete removes it.
  auto sys = hcs::System::open(id);
  if (!sys) return std::move(sys).error().wrap("start " + id);
  if (auto s = (*sys)->start(); !s) return std::move(s).error().wrap("start " + id);
  auto reply = call_shim(store, id, "start");
  if (!reply) return std::move(reply).error().wrap("start " + id);
  return static_cast<uint32_t>(std::strtoul(reply->c_str(), nullptr, 10));
}

Status kill(const Store& store, const std::string& id, int signal) {
  if (signal <= 0 || signal > 64) return invalid("kill: invalid signal " + std::to_string(signal));
  auto lock = store.lock(id);
  if (!lock) return std::move(lock).error();
  auto r = store.load(id);
  if (!r) return std::move(r).error();
  if (status_now(*r) == "stopped" || r->status == "creating")
    return make_error(ErrorKind::kConflict, "container " + id + " is not running");
  auto reply = call_shim(store, id, "kill " + std::to_string(signal));
  if (!reply) return std::move(reply).error().wrap("kill " + id);
  return {};
}

Status pause(const Store& store, const std::string& id, bool resume) {
  const std::string what = resume ? "resume" : "pause";
  auto lock = store.lock(id);
  if (!lock) return std::move(lock).error();
  auto r = store.load(id);
  if (!r) return std::move(r).error();
  const char* from = resume ? "paused" : "running";
  if (status_now(*r) != from) return make_error(ErrorKind::kConflict, "container " + id + " is not " + from);
  auto sys = hcs::System::open(id);
  if (!sys) return std::move(sys).error().wrap(what + " " + id);
  auto s = resume ? (*sys)->resume() : (*sys)->pause();
  if (!s) return std::move(s).error().wrap(what + " " + id);
  r->status = resume ? "running" : "paused";
  return store.save(*r);
}

Status remove(const Store& store, const std::string& id, bool force) {
  auto lock = store.lock(id);
  if (!lock) return std::move(lock).error();
  auto r = store.load(id);
  if (!r) {
    // A directory a crash left before its first record goes too.
    if (r.error().kind == ErrorKind::kNotFound) (void)store.remove(id);
    return std::move(r).error();
  }
  const std::string now = status_now(*r);
  // Created (never started) goes without --force, as runc's delete of a
  // created container does; running and paused need it.
  if ((now == "running" || now == "paused") && !force)
    return make_error(ErrorKind::kConflict, "cannot delete container " + id + " that is not stopped: " + now);
  if (now == "created" || now == "running" || now == "paused") {
    Handle shim = open_shim(*r, SYNCHRONIZE | PROCESS_TERMINATE);
    (void)call_shim(store, id, "kill 9");
    // The shim goes once the exit is seen, but it waits for this lock to
    // record it; as the record goes too, it is ended here.
    if (shim && WaitForSingleObject(shim.get(), 0) != WAIT_OBJECT_0) {
      TerminateProcess(shim.get(), 1);
      WaitForSingleObject(shim.get(), 10000);
    }
  }
  // A system left running keeps its record, so that a second delete can try
  // again: nothing is lost.
  BERTH_TRY_CTX(remove_system(id), "delete " + id);
  BERTH_TRY_CTX(store.remove(id), "delete " + id);
  return {};
}

Result<std::unique_ptr<hcs::Process>> exec(const Store& store, const std::string& id, const oci::Process& process,
                                           const oci::Process& init) {
  auto r = store.load(id);
  if (!r) return std::move(r).error();
  if (status_now(*r) != "running") return make_error(ErrorKind::kConflict, "container " + id + " is not running");
  auto sys = hcs::System::open(id);
  if (!sys) return std::move(sys).error().wrap("exec " + id);
  auto p = (*sys)->create_process(hcs::process_parameters(process, &init));
  if (!p) return std::move(p).error().wrap("exec " + id);
  return p;
}

namespace {

// The properties of a live container's compute system of one type.
Result<json> live_properties(const Store& store, const std::string& id, const char* type) {
  auto r = store.load(id);
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

Result<std::vector<ProcessEntry>> process_list(const Store& store, const std::string& id) {
  auto props = live_properties(store, id, "ProcessList");
  if (!props) return std::move(props).error();
  std::vector<ProcessEntry> out;
  for (const auto& p : props->value("ProcessList", json::array()))
    if (p.is_object()) out.push_back({p.value("ProcessId", 0u), p.value("ImageName", std::string())});
  return out;
}

Result<Statistics> statistics(const Store& store, const std::string& id) {
  auto props = live_properties(store, id, "Statistics");
  if (!props) return std::move(props).error();
  json st = props->value("Statistics", json::object());
  Statistics s;
  s.cpu_ns = number(st, "Processor", "TotalRuntime100ns") * 100;
  s.cpu_user_ns = number(st, "Processor", "RuntimeUser100ns") * 100;
  s.cpu_kernel_ns = number(st, "Processor", "RuntimeKernel100ns") * 100;
  s.memory_commit = number(st, "Memory", "MemoryUsageCommitBytes");
  s.memory_commit_peak = number(st, "Memory", "MemoryUsageCommitPeakBytes");
  s.memory_private_working_set = number(st, "Memory", "MemoryUsagePrivateWorkingSetBytes");
  return s;
}

}  // namespace berth::win
