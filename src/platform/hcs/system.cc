#include "platform/hcs/system.h"

#include <nlohmann/json.hpp>
#include <thread>

namespace berth::platform::hcs {

namespace {

// One HCS operation: made for a call, waited on, closed.
class Operation {
 public:
  Operation() : h_(HcsCreateOperation(nullptr, nullptr)) {}
  ~Operation() {
    if (h_) HcsCloseOperation(h_);
  }
  Operation(const Operation&) = delete;
  Operation& operator=(const Operation&) = delete;
  HCS_OPERATION get() const { return h_; }

  // Waits for the operation of a call that returned hr; the result document
  // (an error's message, a query's answer) goes to *document.
  HRESULT wait(HRESULT hr, std::string* document, HCS_PROCESS_INFORMATION* info = nullptr) {
    if (FAILED(hr)) return hr;
    PWSTR doc = nullptr;
    hr = HcsWaitForOperationResultAndProcessInfo(h_, INFINITE, info, &doc);
    if (doc) {
      if (document) *document = win::utf8(doc);
      LocalFree(doc);
    }
    return hr;
  }

 private:
  HCS_OPERATION h_;
};

// HCS's error document is {"Error": hr, "ErrorMessage": "..."}; its message
// is the detail worth showing.
Error call_error(const char* call, const std::string& id, HRESULT hr, const std::string& document) {
  std::string detail;
  auto doc = nlohmann::json::parse(document, nullptr, false);
  if (doc.is_object() && doc.contains("ErrorMessage") && doc["ErrorMessage"].is_string())
    detail = doc["ErrorMessage"].get<std::string>();
  Error e = win::hresult_error(std::string(call) + " " + id, hr, detail);
  if (is_not_found(hr)) e.kind = ErrorKind::kNotFound;
  return e;
}

using SystemCall = HRESULT(WINAPI*)(HCS_SYSTEM, HCS_OPERATION, PCWSTR);

// An exit code in an HCS result or event document ({"ExitCode": N}); none
// when it is missing or not a number.
std::optional<DWORD> exit_code_in(const std::string& document) {
  auto doc = nlohmann::json::parse(document, nullptr, false);
  if (!doc.is_object() || !doc.contains("ExitCode") || !doc["ExitCode"].is_number_integer()) return std::nullopt;
  return static_cast<DWORD>(doc["ExitCode"].get<int64_t>());
}

// HcsWaitForProcessExit is newer than the rest (Windows Server 2022): asked
// for by name, so berth.exe still loads where it is missing.
using WaitForProcessExit = HRESULT(WINAPI*)(HCS_PROCESS, DWORD, PWSTR*);
WaitForProcessExit wait_for_process_exit() {
  static WaitForProcessExit fn = [] {
    HMODULE m = GetModuleHandleW(L"computecore.dll");
    return m ? reinterpret_cast<WaitForProcessExit>(reinterpret_cast<void*>(GetProcAddress(m, "HcsWaitForProcessExit")))
             : nullptr;
  }();
  return fn;
}

}  // namespace

bool is_already_stopped(HRESULT hr) {
  const auto v = static_cast<uint32_t>(hr);
  return v == 0x80370110 || v == 0xC0370110 || v == 0x8037011F || v == 0xC037011F;
}

bool is_not_found(HRESULT hr) {
  const auto v = static_cast<uint32_t>(hr);
  return v == 0x8037010E || v == 0xC037010E;
}

Result<std::unique_ptr<System>> System::create(const std::string& id, const std::string& configuration) {
  std::unique_ptr<System> s(new System(id));
  Operation op;
  std::string doc;
  HRESULT hr = op.wait(HcsCreateComputeSystem(win::wide(id).c_str(), win::wide(configuration).c_str(), op.get(),
                                              nullptr, &s->h_),
                       &doc);
  if (FAILED(hr)) {
    // A system HCS made before the operation failed is closed, and goes.
    return call_error("HcsCreateComputeSystem", id, hr, doc);
  }
  return s;
}

Result<std::unique_ptr<System>> System::open(const std::string& id) {
  std::unique_ptr<System> s(new System(id));
  HRESULT hr = HcsOpenComputeSystem(win::wide(id).c_str(), GENERIC_ALL, &s->h_);
  if (FAILED(hr)) return call_error("HcsOpenComputeSystem", id, hr, "");
  return s;
}

System::~System() {
  if (h_) HcsCloseComputeSystem(h_);
}

static Status run(const char* call, SystemCall fn, HCS_SYSTEM h, const std::string& id, bool stopped_ok) {
  Operation op;
  std::string doc;
  HRESULT hr = op.wait(fn(h, op.get(), nullptr), &doc);
  if (FAILED(hr) && !(stopped_ok && is_already_stopped(hr))) return call_error(call, id, hr, doc);
  return {};
}

Status System::start() { return run("HcsStartComputeSystem", HcsStartComputeSystem, h_, id_, false); }
Status System::shutdown(DWORD wait_ms) {
  HCS_OPERATION op = HcsCreateOperation(nullptr, nullptr);
  HRESULT hr = HcsShutDownComputeSystem(h_, op, nullptr);
  PWSTR doc = nullptr;
  if (SUCCEEDED(hr)) hr = HcsWaitForOperationResult(op, wait_ms, &doc);
  if (hr == HRESULT_FROM_WIN32(WAIT_TIMEOUT) || hr == HRESULT_FROM_WIN32(ERROR_TIMEOUT)) {
    // Still shutting down: the operation is HCS's until it completes.
    std::thread([op] {
      PWSTR d = nullptr;
      (void)HcsWaitForOperationResult(op, INFINITE, &d);
      if (d) LocalFree(d);
      HcsCloseOperation(op);
    }).detach();
    return {};
  }
  std::string text = doc ? win::utf8(doc) : "";
  if (doc) LocalFree(doc);
  HcsCloseOperation(op);
  if (FAILED(hr) && !is_already_stopped(hr)) return call_error("HcsShutDownComputeSystem", id_, hr, text);
  return {};
}
Status System::terminate() { return run("HcsTerminateComputeSystem", HcsTerminateComputeSystem, h_, id_, true); }
Status System::pause() { return run("HcsPauseComputeSystem", HcsPauseComputeSystem, h_, id_, false); }
Status System::resume() { return run("HcsResumeComputeSystem", HcsResumeComputeSystem, h_, id_, false); }

Result<std::string> System::properties(const std::string& query) {
  Operation op;
  std::string doc;
  std::wstring q = win::wide(query);
  HRESULT hr = op.wait(HcsGetComputeSystemProperties(h_, op.get(), query.empty() ? nullptr : q.c_str()), &doc);
  if (FAILED(hr)) return call_error("HcsGetComputeSystemProperties", id_, hr, doc);
  return doc;
}

Result<std::unique_ptr<Process>> System::create_process(const std::string& parameters) {
  std::unique_ptr<Process> p(new Process);
  p->system_id_ = id_;
  // Manual reset: every waiter sees it, however late.
  p->exited_.reset(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!p->exited_) return win::win_error("CreateEvent");
  Operation op;
  std::string doc;
  HCS_PROCESS_INFORMATION info{};
  HRESULT hr = op.wait(HcsCreateProcess(h_, win::wide(parameters).c_str(), op.get(), nullptr, &p->h_), &doc, &info);
  if (FAILED(hr)) return call_error("HcsCreateProcess", id_, hr, doc);
  p->pid_ = info.ProcessId;
  p->std_in.reset(info.StdInput);
  p->std_out.reset(info.StdOutput);
  p->std_err.reset(info.StdError);
  // The process may have exited already: its exit is then asked for once
  // the callback is in place, so it is seen either way.
  hr = HcsSetProcessCallback(p->h_, HcsEventOptionNone, p.get(), &Process::on_event);
  if (FAILED(hr)) return call_error("HcsSetProcessCallback", id_, hr, "");
  if (auto wait = wait_for_process_exit()) {
    PWSTR result = nullptr;
    if (SUCCEEDED(wait(p->h_, 0, &result))) p->exited_with(result ? win::utf8(result) : "");
    if (result) LocalFree(result);
  }
  return p;
}

void Process::exited_with(const std::string& document) {
  {
    std::lock_guard lock(mu_);
    if (!exit_code_) exit_code_ = exit_code_in(document);
  }
  SetEvent(exited_.get());
}

void CALLBACK Process::on_event(HCS_EVENT* event, void* context) {
  auto* p = static_cast<Process*>(context);
  if (!event) return;
  // HCS going away ends the process as far as anyone can tell: waiters are
  // let go, with no exit code.
  if (event->Type == HcsEventServiceDisconnect) p->exited_with("");
  if (event->Type == HcsEventProcessExited) p->exited_with(win::utf8(event->EventData));
}

Process::~Process() {
  if (h_) HcsCloseProcess(h_);
}

std::optional<DWORD> Process::exit_code() {
  std::lock_guard lock(mu_);
  return exit_code_;
}

Status Process::terminate() {
  Operation op;
  std::string doc;
  HRESULT hr = op.wait(HcsTerminateProcess(h_, op.get(), nullptr), &doc);
  if (FAILED(hr) && !is_already_stopped(hr)) return call_error("HcsTerminateProcess", system_id_, hr, doc);
  return {};
}

Status Process::signal(const std::string& document) {
  Operation op;
  std::string doc;
  HRESULT hr = op.wait(HcsSignalProcess(h_, op.get(), win::wide(document).c_str()), &doc);
  if (FAILED(hr) && !is_already_stopped(hr)) return call_error("HcsSignalProcess", system_id_, hr, doc);
  return {};
}

}  // namespace berth::platform::hcs
