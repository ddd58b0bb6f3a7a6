// A stand-in computecore.dll, for tests only (never installed): what a
// Windows berth asks the Host Compute Service, answered the way HCS
// documents it, on a machine without HCS (Wine, here). Built by
// cmake/windows; a test puts it beside the .exe, where Windows looks first.
//
// What it does:
// - Logs every call, one JSON object a line, to BERTH_HCS_STANDIN_DIR\calls.jsonl:
//   {"call": "HcsCreateComputeSystem", "id": "c1", "document": {...}}, the
//   document parsed when it is JSON.
// - Keeps each compute system as BERTH_HCS_STANDIN_DIR\<id>.json ({"id",
//   "state", "document"}), so a system made by one process is opened by the
//   next, as berth's commands do. States follow HCS: Created, Running,
//   Paused, Stopped; a stopped system goes when its last handle closes here
//   (in HCS, when every handle does).
// - Completes every operation at once, calling its completion callback
//   before returning (HCS calls it later, from a thread of its own).
// - Fails the calls named in BERTH_HCS_STANDIN_FAIL (a comma list of
//   function names): the operation ends with E_FAIL and an error document.
// - Processes live in the calling process only: their stdio pipes are at
//   EOF, and they exit when terminated or signalled (exit code 1) or when
//   their system stops, with HcsEventProcessExited to their callback. Two
//   command lines end by themselves, so tests can see output and exit codes
//   pass through: `cmd /c echo TEXT` writes "TEXT\r\n" to its stdout pipe
//   and exits 0, `cmd /c exit N` exits N; both have exited once created.
// - Properties answer the ProcessList (the processes not yet exited, by pid
//   and image name) and Statistics (made-up figures: 1 ms of CPU and 1 MiB
//   of memory per process) a query asks for.
#include <windows.h>

#include <computecore.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

// HCS's own codes, as computecore documents them (HCS_E_INVALID_STATE,
// HCS_E_SYSTEM_NOT_FOUND, HCS_E_SYSTEM_ALREADY_STOPPED and
// HCS_E_PROCESS_ALREADY_STOPPED; hcsshim knows vmcompute's 0xC037... twins).
constexpr HRESULT kInvalidState = static_cast<HRESULT>(0x80370105);
constexpr HRESULT kDoesNotExist = static_cast<HRESULT>(0x8037010E);
constexpr HRESULT kAlreadyStopped = static_cast<HRESULT>(0x80370110);
constexpr HRESULT kProcessAlreadyStopped = static_cast<HRESULT>(0x8037011F);
constexpr HRESULT kTimeout = HRESULT_FROM_WIN32(WAIT_TIMEOUT);

// One call at a time, so the log and the state files stay whole; recursive,
// as a callback may call back in.
std::recursive_mutex mu;

std::string utf8(PCWSTR w) {
  if (!w) return "";
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, nullptr, 0, nullptr, nullptr);
  std::string out(n > 0 ? n - 1 : 0, '\0');
  if (n > 1) WideCharToMultiByte(CP_UTF8, 0, w, -1, out.data(), n, nullptr, nullptr);
  return out;
}

// A result document as HCS hands it out: the caller frees it with LocalFree.
PWSTR wide_alloc(const std::string& s) {
  int n = MultiByteToWideChar(CP_UTF8, 0, s.c_str(), -1, nullptr, 0);
  auto* out = static_cast<PWSTR>(LocalAlloc(LMEM_FIXED, sizeof(WCHAR) * (n > 0 ? n : 1)));
  if (out) {
    out[0] = 0;
    MultiByteToWideChar(CP_UTF8, 0, s.c_str(), -1, out, n);
  }
  return out;
}

std::string env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string dir() { return env("BERTH_HCS_STANDIN_DIR", "hcs-standin"); }
std::string state_path(const std::string& id) { return dir() + "\\" + id + ".json"; }

void log_call(const char* call, const std::string& id, PCWSTR document) {
  json line{{"call", call}};
  if (!id.empty()) line["id"] = id;
  if (document) {
    std::string text = utf8(document);
    json doc = json::parse(text, nullptr, false);
    line["document"] = doc.is_discarded() ? json(text) : doc;
  }
  CreateDirectoryA(dir().c_str(), nullptr);
  if (FILE* f = std::fopen((dir() + "\\calls.jsonl").c_str(), "ab")) {
    std::fputs((line.dump() + "\n").c_str(), f);
    std::fclose(f);
  }
}

bool should_fail(const char* call) {
  std::string list = "," + env("BERTH_HCS_STANDIN_FAIL", "") + ",";
  return list.find("," + std::string(call) + ",") != std::string::npos;
}

bool load(const std::string& id, json& st) {
  FILE* f = std::fopen(state_path(id).c_str(), "rb");
  if (!f) return false;
  std::string text;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  st = json::parse(text, nullptr, false);
  return !st.is_discarded();
}

void save(const json& st) {
  std::string path = state_path(st["id"].get<std::string>());
  if (FILE* f = std::fopen((path + ".tmp").c_str(), "wb")) {
    std::fputs(st.dump().c_str(), f);
    std::fclose(f);
    MoveFileExA((path + ".tmp").c_str(), path.c_str(), MOVEFILE_REPLACE_EXISTING);
  }
}

struct Process;

struct System {
  std::string id;
  HCS_EVENT_CALLBACK callback = nullptr;
  void* context = nullptr;
  std::vector<Process*> processes;
};

struct Process {
  System* system = nullptr;
  DWORD pid = 0;
  std::string system_id;
  bool exited = false;
  DWORD exit_code = 0;
  HCS_EVENT_CALLBACK callback = nullptr;
  void* context = nullptr;
};

struct Operation {
  const void* context = nullptr;
  HCS_OPERATION_COMPLETION completion = nullptr;
  HCS_OPERATION_TYPE type = HcsOperationTypeNone;
  bool done = false;
  HRESULT result = S_OK;
  std::string document;
  System* system = nullptr;
  Process* process = nullptr;
  HCS_PROCESS_INFORMATION info{};
};

Operation* op_of(HCS_OPERATION h) { return reinterpret_cast<Operation*>(h); }
System* system_of(HCS_SYSTEM h) { return reinterpret_cast<System*>(h); }
Process* process_of(HCS_PROCESS h) { return reinterpret_cast<Process*>(h); }

// Ends op with hr (and an error document for a failure); calls its
// completion callback. Returns S_OK: the call itself was accepted.
HRESULT complete(HCS_OPERATION h, HCS_OPERATION_TYPE type, HRESULT hr, std::string document = "") {
  Operation* op = op_of(h);
  if (!op) return E_INVALIDARG;
  op->type = type;
  op->result = hr;
  if (FAILED(hr) && document.empty())
    document = json{{"Error", hr}, {"ErrorMessage", "berth HCS stand-in: the call failed"}}.dump();
  op->document = std::move(document);
  op->done = true;
  if (op->completion) op->completion(h, const_cast<void*>(op->context));
  return S_OK;
}

HRESULT injected(HCS_OPERATION h, HCS_OPERATION_TYPE type, const char* call) {
  return complete(
      h, type, E_FAIL,
      json{{"Error", E_FAIL}, {"ErrorMessage", std::string(call) + " fails (BERTH_HCS_STANDIN_FAIL)"}}.dump());
}

void process_exits(Process* p, DWORD code) {
  if (p->exited) return;
  p->exited = true;
  p->exit_code = code;
  json st;
  if (load(p->system_id, st) && st.contains("processes")) {
    auto& list = st["processes"];
    for (auto it = list.begin(); it != list.end(); ++it) {
      if ((*it)["ProcessId"] == p->pid) {
        list.erase(it);
        break;
      }
    }
    save(st);
  }
  if (p->callback) {
    std::string data = json{{"Status", 0}, {"ExitCode", code}}.dump();
    std::wstring w(data.begin(), data.end());
    HCS_EVENT e{HcsEventProcessExited, w.c_str(), nullptr};
    p->callback(&e, p->context);
  }
}

// A state change of the system behind h: from one of `from` to `to`.
HRESULT transition(const char* call, HCS_SYSTEM h, HCS_OPERATION op, HCS_OPERATION_TYPE type, PCWSTR options,
                   const std::vector<std::string>& from, const std::string& to) {
  std::lock_guard lock(mu);
  System* s = system_of(h);
  if (!s) return E_INVALIDARG;
  log_call(call, s->id, options);
  if (should_fail(call)) return injected(op, type, call);
  json st;
  if (!load(s->id, st)) return complete(op, type, kDoesNotExist);
  std::string state = st["state"];
  if (state == "Stopped" && to == "Stopped") return complete(op, type, kAlreadyStopped);
  if (std::find(from.begin(), from.end(), state) == from.end()) return complete(op, type, kInvalidState);
  st["state"] = to;
  if (to == "Stopped") st["processes"] = json::array();
  save(st);
  if (to == "Stopped") {
    for (Process* p : s->processes) process_exits(p, 1);
    if (s->callback) {
      std::wstring data = L"{}";
      HCS_EVENT e{HcsEventSystemExited, data.c_str(), nullptr};
      s->callback(&e, s->context);
    }
  }
  return complete(op, type, S_OK);
}

}  // namespace

extern "C" {

HCS_OPERATION WINAPI HcsCreateOperation(const void* context, HCS_OPERATION_COMPLETION callback) {
  auto* op = new Operation;
  op->context = context;
  op->completion = callback;
  return reinterpret_cast<HCS_OPERATION>(op);
}

void WINAPI HcsCloseOperation(HCS_OPERATION operation) { delete op_of(operation); }

void* WINAPI HcsGetOperationContext(HCS_OPERATION operation) {
  return op_of(operation) ? const_cast<void*>(op_of(operation)->context) : nullptr;
}

HRESULT WINAPI HcsSetOperationContext(HCS_OPERATION operation, const void* context) {
  if (!op_of(operation)) return E_INVALIDARG;
  op_of(operation)->context = context;
  return S_OK;
}

HRESULT WINAPI HcsSetOperationCallback(HCS_OPERATION operation, const void* context,
                                       HCS_OPERATION_COMPLETION callback) {
  if (!op_of(operation)) return E_INVALIDARG;
  op_of(operation)->context = context;
  op_of(operation)->completion = callback;
  return S_OK;
}

HCS_SYSTEM WINAPI HcsGetComputeSystemFromOperation(HCS_OPERATION operation) {
  return op_of(operation) ? reinterpret_cast<HCS_SYSTEM>(op_of(operation)->system) : nullptr;
}

HCS_PROCESS WINAPI HcsGetProcessFromOperation(HCS_OPERATION operation) {
  return op_of(operation) ? reinterpret_cast<HCS_PROCESS>(op_of(operation)->process) : nullptr;
}

HCS_OPERATION_TYPE WINAPI HcsGetOperationType(HCS_OPERATION operation) {
  return op_of(operation) ? op_of(operation)->type : HcsOperationTypeNone;
}

HRESULT WINAPI HcsWaitForOperationResultAndProcessInfo(HCS_OPERATION operation, DWORD, HCS_PROCESS_INFORMATION* info,
                                                       PWSTR* resultDocument) {
  Operation* op = op_of(operation);
  if (!op) return E_INVALIDARG;
  if (!op->done) return kTimeout;  // nothing was asked of it yet
  if (resultDocument) *resultDocument = op->document.empty() ? nullptr : wide_alloc(op->document);
  if (info) *info = op->info;
  return op->result;
}

HRESULT WINAPI HcsWaitForOperationResult(HCS_OPERATION operation, DWORD timeoutMs, PWSTR* resultDocument) {
  return HcsWaitForOperationResultAndProcessInfo(operation, timeoutMs, nullptr, resultDocument);
}

HRESULT WINAPI HcsGetOperationResult(HCS_OPERATION operation, PWSTR* resultDocument) {
  return HcsWaitForOperationResult(operation, 0, resultDocument);
}

HRESULT WINAPI HcsGetOperationResultAndProcessInfo(HCS_OPERATION operation, HCS_PROCESS_INFORMATION* info,
                                                   PWSTR* resultDocument) {
  return HcsWaitForOperationResultAndProcessInfo(operation, 0, info, resultDocument);
}

HRESULT WINAPI HcsCreateComputeSystem(PCWSTR id, PCWSTR configuration, HCS_OPERATION operation,
                                      const SECURITY_DESCRIPTOR*, HCS_SYSTEM* computeSystem) {
  std::lock_guard lock(mu);
  std::string name = utf8(id);
  log_call("HcsCreateComputeSystem", name, configuration);
  if (!computeSystem || name.empty()) return E_INVALIDARG;
  *computeSystem = nullptr;
  if (should_fail("HcsCreateComputeSystem"))
    return injected(operation, HcsOperationTypeCreate, "HcsCreateComputeSystem");
  json st;
  if (load(name, st)) return complete(operation, HcsOperationTypeCreate, HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS));
  json doc = json::parse(utf8(configuration), nullptr, false);
  if (doc.is_discarded()) return complete(operation, HcsOperationTypeCreate, HRESULT_FROM_WIN32(ERROR_INVALID_DATA));
  save(json{{"id", name}, {"state", "Created"}, {"document", doc}});
  auto* s = new System{name};
  *computeSystem = reinterpret_cast<HCS_SYSTEM>(s);
  if (op_of(operation)) op_of(operation)->system = s;
  return complete(operation, HcsOperationTypeCreate, S_OK);
}

HRESULT WINAPI HcsOpenComputeSystem(PCWSTR id, DWORD, HCS_SYSTEM* computeSystem) {
  std::lock_guard lock(mu);
  std::string name = utf8(id);
  log_call("HcsOpenComputeSystem", name, nullptr);
  if (!computeSystem) return E_INVALIDARG;
  *computeSystem = nullptr;
  if (should_fail("HcsOpenComputeSystem")) return E_FAIL;
  json st;
  if (!load(name, st)) return kDoesNotExist;
  *computeSystem = reinterpret_cast<HCS_SYSTEM>(new System{name});
  return S_OK;
}

void WINAPI HcsCloseComputeSystem(HCS_SYSTEM computeSystem) {
  std::lock_guard lock(mu);
  System* s = system_of(computeSystem);
  if (!s) return;
  log_call("HcsCloseComputeSystem", s->id, nullptr);
  json st;
  if (load(s->id, st) && st["state"] == "Stopped") DeleteFileA(state_path(s->id).c_str());
  for (Process* p : s->processes) p->system = nullptr;
  delete s;
}

HRESULT WINAPI HcsStartComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options) {
  return transition("HcsStartComputeSystem", computeSystem, operation, HcsOperationTypeStart, options, {"Created"},
                    "Running");
}

HRESULT WINAPI HcsShutDownComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options) {
  return transition("HcsShutDownComputeSystem", computeSystem, operation, HcsOperationTypeShutdown, options,
                    {"Created", "Running", "Paused"}, "Stopped");
}

HRESULT WINAPI HcsTerminateComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options) {
  return transition("HcsTerminateComputeSystem", computeSystem, operation, HcsOperationTypeTerminate, options,
                    {"Created", "Running", "Paused"}, "Stopped");
}

HRESULT WINAPI HcsPauseComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options) {
  return transition("HcsPauseComputeSystem", computeSystem, operation, HcsOperationTypePause, options, {"Running"},
                    "Paused");
}

HRESULT WINAPI HcsResumeComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options) {
  return transition("HcsResumeComputeSystem", computeSystem, operation, HcsOperationTypeResume, options, {"Paused"},
                    "Running");
}

HRESULT WINAPI HcsGetComputeSystemProperties(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR propertyQuery) {
  std::lock_guard lock(mu);
  System* s = system_of(computeSystem);
  if (!s) return E_INVALIDARG;
  log_call("HcsGetComputeSystemProperties", s->id, propertyQuery);
  if (should_fail("HcsGetComputeSystemProperties"))
    return injected(operation, HcsOperationTypeGetProperties, "HcsGetComputeSystemProperties");
  json st;
  if (!load(s->id, st)) return complete(operation, HcsOperationTypeGetProperties, kDoesNotExist);
  json props{{"Id", s->id}, {"SystemType", "Container"}, {"State", st["state"]}};
  if (st["document"].contains("Owner")) props["Owner"] = st["document"]["Owner"];
  json query = json::parse(utf8(propertyQuery), nullptr, false);
  auto asked = [&](const char* type) {
    if (!query.is_object() || !query.contains("PropertyTypes") || !query["PropertyTypes"].is_array()) return false;
    for (const auto& t : query["PropertyTypes"])
      if (t == type) return true;
    return false;
  };
  json procs = st.value("processes", json::array());
  if (asked("ProcessList")) props["ProcessList"] = procs;
  if (asked("Statistics")) {
    // Made-up figures that grow with the processes, so a reader can tell
    // they came through: 1 ms of CPU and 1 MiB of memory per process.
    const uint64_t n = procs.size();
    props["Statistics"] = {
        {"Timestamp", "2026-01-01T00:00:00Z"},
        {"Processor",
         {{"TotalRuntime100ns", n * 10000}, {"RuntimeUser100ns", n * 6000}, {"RuntimeKernel100ns", n * 4000}}},
        {"Memory",
         {{"MemoryUsageCommitBytes", n << 20},
          {"MemoryUsageCommitPeakBytes", (n + 1) << 20},
          {"MemoryUsagePrivateWorkingSetBytes", n << 19}}}};
  }
  return complete(operation, HcsOperationTypeGetProperties, S_OK, props.dump());
}

HRESULT WINAPI HcsSetComputeSystemCallback(HCS_SYSTEM computeSystem, HCS_EVENT_OPTIONS, const void* context,
                                           HCS_EVENT_CALLBACK callback) {
  std::lock_guard lock(mu);
  System* s = system_of(computeSystem);
  if (!s) return E_INVALIDARG;
  s->callback = callback;
  s->context = const_cast<void*>(context);
  return S_OK;
}

HRESULT WINAPI HcsCreateProcess(HCS_SYSTEM computeSystem, PCWSTR processParameters, HCS_OPERATION operation,
                                const SECURITY_DESCRIPTOR*, HCS_PROCESS* process) {
  std::lock_guard lock(mu);
  System* s = system_of(computeSystem);
  if (!s || !process) return E_INVALIDARG;
  *process = nullptr;
  log_call("HcsCreateProcess", s->id, processParameters);
  if (should_fail("HcsCreateProcess")) return injected(operation, HcsOperationTypeCreateProcess, "HcsCreateProcess");
  json st;
  if (!load(s->id, st)) return complete(operation, HcsOperationTypeCreateProcess, kDoesNotExist);
  if (st["state"] != "Running") return complete(operation, HcsOperationTypeCreateProcess, kInvalidState);
  json params = json::parse(utf8(processParameters), nullptr, false);
  if (params.is_discarded()) return complete(operation, HcsOperationTypeCreateProcess, E_INVALIDARG);
  const std::string cmdline = params.value("CommandLine", "");
  std::string echo;
  bool ends = false;
  DWORD exit_code = 0;
  if (cmdline.rfind("cmd /c echo ", 0) == 0) {
    echo = cmdline.substr(12) + "\r\n";
    ends = true;
  } else if (cmdline.rfind("cmd /c exit ", 0) == 0) {
    exit_code = static_cast<DWORD>(std::strtoul(cmdline.c_str() + 12, nullptr, 10));
    ends = true;
  }
  DWORD pid = st.value("nextPid", 100u);
  st["nextPid"] = pid + 4;
  const std::string image = cmdline.substr(0, cmdline.find(' '));
  st["processes"].push_back(json{{"ProcessId", pid}, {"ImageName", image.empty() ? "process" : image}});
  save(st);
  auto* p = new Process{s, pid, s->id};
  s->processes.push_back(p);
  *process = reinterpret_cast<HCS_PROCESS>(p);
  Operation* op = op_of(operation);
  if (op) {
    op->process = p;
    op->info.ProcessId = pid;
    // Pipes whose other ends are closed (after what the process writes):
    // the process reads nothing, writes only what it says.
    auto pipe_end = [](bool want, bool read_end, const std::string& text = "") -> HANDLE {
      if (!want) return nullptr;
      HANDLE r = nullptr, w = nullptr;
      if (!CreatePipe(&r, &w, nullptr, 0)) return nullptr;
      DWORD n = 0;
      if (read_end && !text.empty()) WriteFile(w, text.data(), static_cast<DWORD>(text.size()), &n, nullptr);
      CloseHandle(read_end ? w : r);
      return read_end ? r : w;
    };
    op->info.StdInput = pipe_end(params.value("CreateStdInPipe", false), false);
    op->info.StdOutput = pipe_end(params.value("CreateStdOutPipe", false), true, echo);
    op->info.StdError = pipe_end(params.value("CreateStdErrPipe", false), true);
  }
  if (ends) process_exits(p, exit_code);
  return complete(operation, HcsOperationTypeCreateProcess, S_OK, json{{"ProcessId", pid}}.dump());
}

void WINAPI HcsCloseProcess(HCS_PROCESS process) {
  std::lock_guard lock(mu);
  Process* p = process_of(process);
  if (!p) return;
  if (p->system) std::erase(p->system->processes, p);
  delete p;
}

HRESULT WINAPI HcsSetProcessCallback(HCS_PROCESS process, HCS_EVENT_OPTIONS, void* context,
                                     HCS_EVENT_CALLBACK callback) {
  std::lock_guard lock(mu);
  Process* p = process_of(process);
  if (!p) return E_INVALIDARG;
  p->callback = callback;
  p->context = context;
  return S_OK;
}

HRESULT WINAPI HcsTerminateProcess(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR options) {
  std::lock_guard lock(mu);
  Process* p = process_of(process);
  if (!p) return E_INVALIDARG;
  log_call("HcsTerminateProcess", p->system ? p->system->id : "", options);
  if (should_fail("HcsTerminateProcess"))
    return injected(operation, HcsOperationTypeSignalProcess, "HcsTerminateProcess");
  if (p->exited) return complete(operation, HcsOperationTypeSignalProcess, kProcessAlreadyStopped);
  process_exits(p, 1);
  return complete(operation, HcsOperationTypeSignalProcess, S_OK);
}

HRESULT WINAPI HcsSignalProcess(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR options) {
  std::lock_guard lock(mu);
  Process* p = process_of(process);
  if (!p) return E_INVALIDARG;
  log_call("HcsSignalProcess", p->system ? p->system->id : "", options);
  if (should_fail("HcsSignalProcess")) return injected(operation, HcsOperationTypeSignalProcess, "HcsSignalProcess");
  if (p->exited) return complete(operation, HcsOperationTypeSignalProcess, kProcessAlreadyStopped);
  process_exits(p, 1);
  return complete(operation, HcsOperationTypeSignalProcess, S_OK);
}

HRESULT WINAPI HcsWaitForProcessExit(HCS_PROCESS process, DWORD, PWSTR* result) {
  std::lock_guard lock(mu);
  Process* p = process_of(process);
  if (!p) return E_INVALIDARG;
  if (!p->exited) return kTimeout;  // nothing in here ends on its own
  if (result) *result = wide_alloc(json{{"Status", 0}, {"ExitCode", p->exit_code}}.dump());
  return S_OK;
}

}  // extern "C"
