#include "windows/shim.h"

#include <sddl.h>

#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "platform/hcs/system.h"

namespace berth::win {

namespace hcs = platform::hcs;

namespace {

constexpr DWORD kLineMax = 64 * 1024;

Result<std::string> read_line(HANDLE h) {
  std::string line;
  char c;
  DWORD n = 0;
  while (line.size() < kLineMax) {
    if (!ReadFile(h, &c, 1, &n, nullptr) || n == 0) {
      if (line.empty()) return win_error("read shim pipe");
      break;
    }
    if (c == '\n') break;
    line += c;
  }
  return line;
}

Status write_all(HANDLE h, const std::string& s) {
  DWORD n = 0;
  if (!WriteFile(h, s.data(), static_cast<DWORD>(s.size()), &n, nullptr) || n != s.size())
    return win_error("write shim pipe");
  return {};
}

// A copy of one of this process's std handles that a pump may close.
Handle own_std(DWORD which) { return duplicate(GetStdHandle(which)); }

class Shim {
 public:
  Shim(const Store& store, std::string id) : store_(store), id_(std::move(id)) {}

  Status open() {
    auto s = hcs::System::open(id_);
    if (!s) return std::move(s).error();
    system_ = std::move(*s);
    started_.reset(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    quit_.reset(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    // Only SYSTEM, the administrators and the shim's own user may connect
    // (the default would let everyone read); the first instance, so a
    // process already serving the name is found out, not shared with.
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;OW)",
                                                              SDDL_REVISION_1, &sd, nullptr))
      return win_error("pipe security descriptor");
    SECURITY_ATTRIBUTES sa{sizeof sa, sd, FALSE};
    pipe_.reset(CreateNamedPipeW(wide(store_.pipe_name(id_)).c_str(),
                                 PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
                                 PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, 4096,
                                 4096, 0, &sa));
    DWORD err = GetLastError();
    LocalFree(sd);
    if (!pipe_) return win_error("create pipe " + store_.pipe_name(id_), err);
    return {};
  }

  // Requests, one connection at a time, on a thread of its own. A client is
  // disconnected whatever happened, so the next can connect.
  void serve() {
    for (;;) {
      if (!ConnectNamedPipe(pipe_.get(), nullptr) && GetLastError() != ERROR_PIPE_CONNECTED) {
        DisconnectNamedPipe(pipe_.get());  // ERROR_NO_DATA: it came and went
        Sleep(10);
        continue;
      }
      auto line = read_line(pipe_.get());
      bool quit = false;
      std::string reply = line ? answer(*line, quit) : "error " + line.error().message;
      (void)write_all(pipe_.get(), reply + "\n");
      FlushFileBuffers(pipe_.get());
      DisconnectNamedPipe(pipe_.get());
      // Only once the reply is out: the process ends soon after.
      if (quit) SetEvent(quit_.get());
    }
  }

  // Waits for the init's start and exit (or a stop before any start), and
  // records the exit.
  int wait() {
    HANDLE first[] = {started_.get(), quit_.get()};
    if (WaitForMultipleObjects(2, first, FALSE, INFINITE) != WAIT_OBJECT_0) return 0;
    WaitForSingleObject(init_->exited(), INFINITE);
    // No code from HCS: 255, as for an exit nobody saw.
    DWORD code = init_->exit_code().value_or(255);
    // Output still in the pipes reaches the shim's stdio before the exit
    // is recorded (a reader of the record has all of it).
    for (auto& t : pumps_) t.join();
    auto lock = store_.lock(id_);
    if (!lock) return 1;
    auto r = store_.load(id_);
    if (!r) return 0;  // deleted meanwhile
    r->status = "stopped";
    r->exit_code = code;
    if (auto s = store_.save(*r); !s) {
      std::fprintf(stderr, "berth shim %s: record the exit: %s\n", id_.c_str(), s.error().message.c_str());
      return 1;
    }
    return 0;
  }

 private:
  // The reply to one request; quit: the shim is to end once it is sent.
  std::string answer(const std::string& line, bool& quit) {
    if (line == "start") {
      if (init_) return "error the container's init has started already";
      auto r = store_.load(id_);
      if (!r) return "error " + r.error().message;
      auto p = system_->create_process(r->process_parameters);
      if (!p) return "error " + p.error().message;
      r->status = "running";
      r->init_pid = (*p)->pid();
      if (auto s = store_.save(*r); !s) {
        // Unrecorded, it would run with nobody to see it end: it goes.
        (void)(*p)->terminate();
        return "error " + s.error().message;
      }
      init_ = std::move(*p);
      // stdin's pump ends with the shim's stdin, not with the process (it
      // may wait on a console for ever): it is not waited for.
      if (init_->std_in) std::thread(pump, own_std(STD_INPUT_HANDLE), std::move(init_->std_in)).detach();
      if (init_->std_out) pumps_.emplace_back(pump, std::move(init_->std_out), own_std(STD_OUTPUT_HANDLE));
      if (init_->std_err) pumps_.emplace_back(pump, std::move(init_->std_err), own_std(STD_ERROR_HANDLE));
      SetEvent(started_.get());
      return "ok " + std::to_string(init_->pid());
    }
    if (line.rfind("kill ", 0) == 0) {
      int sig = std::atoi(line.c_str() + 5);
      // A shutdown the init ignores must not hold the caller (and its lock):
      // a second goes by, then it carries on by itself (KILL still works).
      auto s = sig == 9 ? system_->terminate() : system_->shutdown(1000);
      if (!s) return "error " + s.error().message;
      // A system never started has nothing left to wait for once it is
      // stopped, whichever the signal (a TERM stops a created container, as
      // on Linux).
      if (!init_) quit = true;
      return "ok";
    }
    return "error unknown request \"" + line + "\"";
  }

  const Store& store_;
  std::string id_;
  std::unique_ptr<hcs::System> system_;
  std::unique_ptr<hcs::Process> init_;
  std::vector<std::thread> pumps_;
  Handle pipe_, started_, quit_;
};

}  // namespace

int run_shim(const Store& store, const std::string& id, HANDLE ready) {
  Shim shim(store, id);
  auto say = [&](const std::string& line) {
    if (!ready) return;
    (void)write_all(ready, line + "\n");
    CloseHandle(ready);
    ready = nullptr;
  };
  if (auto s = shim.open(); !s) {
    say("error " + s.error().message);
    return 1;
  }
  std::thread(&Shim::serve, &shim).detach();
  say("ok");
  int rc = shim.wait();
  std::fflush(nullptr);
  // The pipe's thread may be mid-request; the process ends with it.
  ExitProcess(static_cast<UINT>(rc));
}

Result<std::string> call_shim(const Store& store, const std::string& id, const std::string& request) {
  std::wstring name = wide(store.pipe_name(id));
  Handle h;
  for (int tries = 0; tries < 200; ++tries) {
    h.reset(CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr));
    if (h) break;
    if (GetLastError() != ERROR_PIPE_BUSY) return win_error("connect to the shim of " + id);
    WaitNamedPipeW(name.c_str(), 100);
  }
  if (!h) return win_error("connect to the shim of " + id);
  BERTH_TRY(write_all(h.get(), request + "\n"));
  auto line = read_line(h.get());
  if (!line) return std::move(line).error().wrap("shim of " + id);
  if (line->rfind("ok", 0) == 0) return line->size() > 3 ? line->substr(3) : std::string();
  return make_error(ErrorKind::kInternal, line->rfind("error ", 0) == 0 ? line->substr(6) : *line);
}

}  // namespace berth::win
