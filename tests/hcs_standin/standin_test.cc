// The stand-in computecore.dll (computecore.cc) through computecore.h, as a
// Windows berth will call it: the document translate() writes goes in and
// is logged as sent, states follow HCS's, callbacks fire, failures are
// injected on request. A Windows program: built by cmake/windows, run by
// `make windows-test` under Wine.
#include <windows.h>

#include <computecore.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "oci/parse.h"
#include "platform/hcs/process.h"
#include "platform/hcs/translate.h"

namespace {

using nlohmann::json;

constexpr HRESULT kInvalidState = static_cast<HRESULT>(0x80370105);
constexpr HRESULT kDoesNotExist = static_cast<HRESULT>(0x8037010E);
constexpr HRESULT kAlreadyStopped = static_cast<HRESULT>(0x80370110);

std::wstring wide(const std::string& s) { return std::wstring(s.begin(), s.end()); }  // ASCII documents

std::string narrow(PCWSTR w) {
  std::string out;
  for (; w && *w; ++w) out += static_cast<char>(*w);
  return out;
}

std::string read_text(const std::string& path) {
  std::ostringstream out;
  out << std::ifstream(path, std::ios::binary).rdbuf();
  return out.str();
}

// Runs one operation: call(op) must accept it; returns the operation's
// result and its document (parsed, or null).
template <class Call>
HRESULT run(Call call, json* doc = nullptr, HCS_PROCESS_INFORMATION* info = nullptr) {
  HCS_OPERATION op = HcsCreateOperation(nullptr, nullptr);
  EXPECT_EQ(call(op), S_OK);
  PWSTR result = nullptr;
  HRESULT hr = HcsWaitForOperationResultAndProcessInfo(op, INFINITE, info, &result);
  if (doc) *doc = result ? json::parse(narrow(result)) : json();
  if (result) LocalFree(result);
  HcsCloseOperation(op);
  return hr;
}

class Standin : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmp[MAX_PATH];
    GetTempPathA(sizeof tmp, tmp);
    dir_ = std::string(tmp) + "berth-standin-" + std::to_string(GetCurrentProcessId()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);  // a run that died left it
    CreateDirectoryA(dir_.c_str(), nullptr);
    _putenv_s("BERTH_HCS_STANDIN_DIR", dir_.c_str());
    _putenv_s("BERTH_HCS_STANDIN_FAIL", "");
  }

  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::vector<json> calls() {
    std::vector<json> out;
    std::istringstream in(read_text(dir_ + "\\calls.jsonl"));
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }

  // The v2 document of the corpus's process-isolated spec, as translate() writes it.
  static std::string document() {
    std::string dir = std::string(BERTH_HCS_TESTDATA) + "/process";
    auto spec = berth::oci::parse_spec(read_text(dir + "/config.json"));
    EXPECT_TRUE(spec);
    berth::platform::hcs::Request req;
    req.id = "web1";
    req.spec = &*spec;
    req.layer_id = [](const std::string& f) { return "id-" + f.substr(f.rfind('\\') + 1); };
    auto docs = berth::platform::hcs::translate(req);
    EXPECT_TRUE(docs);
    return docs->compute_system;
  }

  HCS_SYSTEM create(const std::string& id, const std::string& doc) {
    HCS_SYSTEM sys = nullptr;
    EXPECT_EQ(run([&](HCS_OPERATION op) {
                return HcsCreateComputeSystem(wide(id).c_str(), wide(doc).c_str(), op, nullptr, &sys);
              }),
              S_OK);
    return sys;
  }

  static std::string state(HCS_SYSTEM sys) {
    json props;
    EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsGetComputeSystemProperties(sys, op, L"{}"); }, &props), S_OK);
    return props.value("State", "");
  }

  std::string dir_;
};

struct Events {
  std::vector<HCS_EVENT_TYPE> types;
  std::vector<std::string> data;
};

void CALLBACK on_event(HCS_EVENT* e, void* context) {
  auto* ev = static_cast<Events*>(context);
  ev->types.push_back(e->Type);
  ev->data.push_back(narrow(e->EventData));
}

TEST_F(Standin, LifecycleWithTheTranslatedDocument) {
  std::string doc = document();
  HCS_SYSTEM sys = create("web1", doc);
  ASSERT_NE(sys, nullptr);
  Events sys_events;
  ASSERT_EQ(HcsSetComputeSystemCallback(sys, HcsEventOptionNone, &sys_events, on_event), S_OK);
  EXPECT_EQ(state(sys), "Created");
  EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsStartComputeSystem(sys, op, nullptr); }), S_OK);
  EXPECT_EQ(state(sys), "Running");

  // The init is created at start, from the container's process.
  berth::oci::Process p;
  p.args = {"cmd", "/c", "echo hello"};
  p.cwd = "C:\\";
  std::string params = berth::platform::hcs::process_parameters(p);
  HCS_PROCESS proc = nullptr;
  HCS_PROCESS_INFORMATION info{};
  ASSERT_EQ(run([&](HCS_OPERATION op) { return HcsCreateProcess(sys, wide(params).c_str(), op, nullptr, &proc); },
                nullptr, &info),
            S_OK);
  EXPECT_GT(info.ProcessId, 0u);
  EXPECT_NE(info.StdInput, nullptr);
  EXPECT_NE(info.StdOutput, nullptr);
  EXPECT_NE(info.StdError, nullptr);  // no terminal: stderr apart
  char buf[16];
  DWORD n = 1;
  EXPECT_FALSE(ReadFile(info.StdOutput, buf, sizeof buf, &n, nullptr) && n > 0);  // EOF: prints nothing
  for (HANDLE h : {info.StdInput, info.StdOutput, info.StdError}) CloseHandle(h);
  Events proc_events;
  ASSERT_EQ(HcsSetProcessCallback(proc, HcsEventOptionNone, &proc_events, on_event), S_OK);

  EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsPauseComputeSystem(sys, op, nullptr); }), S_OK);
  EXPECT_EQ(state(sys), "Paused");
  EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsResumeComputeSystem(sys, op, nullptr); }), S_OK);
  EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsTerminateComputeSystem(sys, op, nullptr); }), S_OK);
  EXPECT_EQ(state(sys), "Stopped");
  ASSERT_EQ(proc_events.types.size(), 1u);
  EXPECT_EQ(proc_events.types[0], HcsEventProcessExited);
  EXPECT_EQ(json::parse(proc_events.data[0])["ExitCode"], 1);
  ASSERT_EQ(sys_events.types.size(), 1u);
  EXPECT_EQ(sys_events.types[0], HcsEventSystemExited);
  PWSTR exit_doc = nullptr;
  EXPECT_EQ(HcsWaitForProcessExit(proc, 0, &exit_doc), S_OK);
  LocalFree(exit_doc);
  HcsCloseProcess(proc);
  HcsCloseComputeSystem(sys);

  // Stopped and closed: gone.
  HCS_SYSTEM again = nullptr;
  EXPECT_EQ(HcsOpenComputeSystem(L"web1", GENERIC_ALL, &again), kDoesNotExist);

  std::vector<std::string> names;
  for (const json& c : calls()) names.push_back(c["call"]);
  EXPECT_EQ(names, (std::vector<std::string>{"HcsCreateComputeSystem", "HcsGetComputeSystemProperties",
                                             "HcsStartComputeSystem", "HcsGetComputeSystemProperties",
                                             "HcsCreateProcess", "HcsPauseComputeSystem",
                                             "HcsGetComputeSystemProperties", "HcsResumeComputeSystem",
                                             "HcsTerminateComputeSystem", "HcsGetComputeSystemProperties",
                                             "HcsCloseComputeSystem", "HcsOpenComputeSystem"}));
  EXPECT_EQ(calls()[0]["id"], "web1");
  EXPECT_EQ(calls()[0]["document"], json::parse(doc));
  EXPECT_EQ(calls()[4]["document"], json::parse(params));
}

TEST_F(Standin, SystemOutlivesItsHandleUntilStopped) {
  HCS_SYSTEM sys = create("c2", R"({"Owner": "berth", "SchemaVersion": {"Major": 2, "Minor": 1}})");
  HcsCloseComputeSystem(sys);
  ASSERT_EQ(HcsOpenComputeSystem(L"c2", GENERIC_ALL, &sys), S_OK);  // another berth command's view
  EXPECT_EQ(state(sys), "Created");
  HCS_SYSTEM dup = nullptr;
  EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsCreateComputeSystem(L"c2", L"{}", op, nullptr, &dup); }),
            HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS));
  HcsCloseComputeSystem(sys);
}

TEST_F(Standin, StatesAreChecked) {
  HCS_SYSTEM sys = create("c3", "{}");
  EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsPauseComputeSystem(sys, op, nullptr); }), kInvalidState);
  HCS_PROCESS proc = nullptr;
  EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsCreateProcess(sys, L"{}", op, nullptr, &proc); }), kInvalidState);
  EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsStartComputeSystem(sys, op, nullptr); }), S_OK);
  EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsStartComputeSystem(sys, op, nullptr); }), kInvalidState);
  EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsShutDownComputeSystem(sys, op, nullptr); }), S_OK);
  EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsTerminateComputeSystem(sys, op, nullptr); }), kAlreadyStopped);
  HcsCloseComputeSystem(sys);
}

TEST_F(Standin, InjectedFailureEndsTheOperation) {
  _putenv_s("BERTH_HCS_STANDIN_FAIL", "HcsCreateProcess,HcsStartComputeSystem");
  HCS_SYSTEM sys = create("c4", "{}");
  json doc;
  EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsStartComputeSystem(sys, op, nullptr); }, &doc), E_FAIL);
  EXPECT_NE(doc.value("ErrorMessage", "").find("HcsStartComputeSystem"), std::string::npos) << doc.dump();
  EXPECT_EQ(state(sys), "Created");  // nothing changed
  HcsCloseComputeSystem(sys);
}

TEST_F(Standin, CompletionCallbackRuns) {
  int calls = 0;
  HCS_OPERATION op = HcsCreateOperation(&calls, [](HCS_OPERATION, void* context) { ++*static_cast<int*>(context); });
  HCS_SYSTEM sys = nullptr;
  ASSERT_EQ(HcsCreateComputeSystem(L"c5", L"{}", op, nullptr, &sys), S_OK);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(HcsGetOperationType(op), HcsOperationTypeCreate);
  EXPECT_EQ(HcsGetComputeSystemFromOperation(op), sys);
  HcsCloseOperation(op);
  HcsCloseComputeSystem(sys);
}

TEST_F(Standin, EchoAndExitCommandLinesEndByThemselves) {
  HCS_SYSTEM sys = create("c6", "{}");
  ASSERT_EQ(run([&](HCS_OPERATION op) { return HcsStartComputeSystem(sys, op, nullptr); }), S_OK);
  auto start = [&](const wchar_t* params, HCS_PROCESS_INFORMATION* info) {
    HCS_PROCESS proc = nullptr;
    HCS_OPERATION op = HcsCreateOperation(nullptr, nullptr);
    EXPECT_EQ(HcsCreateProcess(sys, params, op, nullptr, &proc), S_OK);
    EXPECT_EQ(HcsWaitForOperationResultAndProcessInfo(op, INFINITE, info, nullptr), S_OK);
    HcsCloseOperation(op);
    return proc;
  };
  HCS_PROCESS_INFORMATION info{};
  HCS_PROCESS echo = start(LR"({"CommandLine": "cmd /c echo hi there", "CreateStdOutPipe": true})", &info);
  char buf[64];
  DWORD n = 0;
  ASSERT_TRUE(ReadFile(info.StdOutput, buf, sizeof buf, &n, nullptr));
  EXPECT_EQ(std::string(buf, n), "hi there\r\n");
  CloseHandle(info.StdOutput);
  PWSTR result = nullptr;
  ASSERT_EQ(HcsWaitForProcessExit(echo, 0, &result), S_OK);  // exited once created
  LocalFree(result);
  HCS_PROCESS exits = start(LR"({"CommandLine": "cmd /c exit 7"})", &info);
  ASSERT_EQ(HcsWaitForProcessExit(exits, 0, &result), S_OK);
  std::wstring text(result);
  LocalFree(result);
  EXPECT_EQ(json::parse(std::string(text.begin(), text.end()))["ExitCode"], 7);
  HCS_PROCESS runs = start(LR"({"CommandLine": "cmd /c ping -t localhost"})", &info);
  EXPECT_NE(HcsWaitForProcessExit(runs, 0, nullptr), S_OK);  // runs until stopped
  for (HCS_PROCESS p : {echo, exits, runs}) HcsCloseProcess(p);
  EXPECT_EQ(run([&](HCS_OPERATION op) { return HcsTerminateComputeSystem(sys, op, nullptr); }), S_OK);
  HcsCloseComputeSystem(sys);
}

}  // namespace
