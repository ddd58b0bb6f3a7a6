#include "windows/shim.h"

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
Handle own_std(DWORD which) {
  HANDLE h = GetStdHandle(which), dup = nullptr;
  if (!h || h == INVALID_HANDLE_VALUE) return Handle();
  if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &dup, 0, FALSE, DUPLICATE_SAME_ACCESS))
    return Handle();
  return Handle(dup);
}

class Shim {
 public:
  Shim(const Store& store, std::string id) : store_(store), id_(std::move(id)) {}

  Status open() {
    auto s = hcs::System::open(id_);
    if (!s) return std::move(s).error();
    system_ = std::move(*s);
    started_.reset(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    quit_.reset(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    pipe_.reset(CreateNamedPipeW(wide(store_.pipe_name(id_)).c_str(), PIPE_ACCESS_DUPLEX,
                                 PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, 4096,
                                 4096, 0, nullptr));
    if (!pipe_) return win_error("create pipe " + store_.pipe_name(id_));
    return {};
  }

  // Requests, one connection at a time, on a thread of its own.
  void serve() {
    for (;;) {
      if (!ConnectNamedPipe(pipe_.get(), nullptr) && GetLastError() != ERROR_PIPE_CONNECTED) {
        Sleep(10);
        continue;
      }
      auto line = read_line(pipe_.get());
      std::string reply = line ? answer(*line) : "error " + line.error().message;
      (void)write_all(pipe_.get(), reply + "\n");
      FlushFileBuffers(pipe_.get());
      DisconnectNamedPipe(pipe_.get());
    }
  }

  // Waits for the init's start and exit (or a stop before any start), and
  // records the exit.
  int wait() {
    HANDLE first[] = {started_.get(), quit_.get()};
    if (WaitForMultipleObjects(2, first, FALSE, INFINITE) != WAIT_OBJECT_0) return 0;
    WaitForSingleObject(init_->exited(), INFINITE);
    DWORD code = init_->exit_code().value_or(1);
    // Output still in the pipes reaches the shim's stdio before the exit
    // is recorded (a reader of the record has all of it).
    for (auto& t : pumps_) t.join();
    auto lock = store_.lock(id_);
    if (!lock) return 1;
    auto r = store_.load(id_);
    if (!r) return 0;  // deleted meanwhile
    r->status = "stopped";
    r->exit_code = code;
    (void)store_.save(*r);
    return 0;
  }

 private:
  std::string answer(const std::string& line) {
    if (line == "start") {
      if (init_) return "error the container's init has started already";
      auto r = store_.load(id_);
      if (!r) return "error " + r.error().message;
      auto p = system_->create_process(r->process_parameters);
      if (!p) return "error " + p.error().message;
      init_ = std::move(*p);
      // stdin's pump ends with the shim's stdin, not with the process (it
      // may wait on a console for ever): it is not waited for.
      if (init_->std_in) std::thread(pump, own_std(STD_INPUT_HANDLE), std::move(init_->std_in)).detach();
      if (init_->std_out) pumps_.emplace_back(pump, std::move(init_->std_out), own_std(STD_OUTPUT_HANDLE));
      if (init_->std_err) pumps_.emplace_back(pump, std::move(init_->std_err), own_std(STD_ERROR_HANDLE));
      r->status = "running";
      r->init_pid = init_->pid();
      if (auto s = store_.save(*r); !s) return "error " + s.error().message;
      SetEvent(started_.get());
      return "ok " + std::to_string(init_->pid());
    }
    if (line.rfind("kill ", 0) == 0) {
      int sig = std::atoi(line.c_str() + 5);
      auto s = sig == 9 ? system_->terminate() : system_->shutdown();
      if (!s) return "error " + s.error().message;
      if (!init_) SetEvent(quit_.get());
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
  if (auto s = shim.open(); !s) {
    std::fprintf(stderr, "berth shim %s: %s\n", id.c_str(), s.error().message.c_str());
    return 1;
  }
  std::thread(&Shim::serve, &shim).detach();
  if (ready) SetEvent(ready);
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
