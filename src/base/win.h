// Small owning types and conversions for berth's Windows build: a HANDLE
// that closes itself, UTF-8 <-> UTF-16 (berth keeps UTF-8 everywhere and
// converts at the Windows API), and errors from GetLastError() in berth's
// Error shape ("what: message (0x...)").
#pragma once

#include <windows.h>

#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"

namespace berth::win {

// Owns a HANDLE (INVALID_HANDLE_VALUE and nullptr both mean none).
class Handle {
 public:
  Handle() = default;
  explicit Handle(HANDLE h) : h_(h == INVALID_HANDLE_VALUE ? nullptr : h) {}
  Handle(Handle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) reset(std::exchange(o.h_, nullptr));
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  HANDLE get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }
  HANDLE release() { return std::exchange(h_, nullptr); }
  void reset(HANDLE h = nullptr) {
    if (h_) CloseHandle(h_);
    h_ = h == INVALID_HANDLE_VALUE ? nullptr : h;
  }

 private:
  HANDLE h_ = nullptr;
};

// A copy of h in this process (none for none), inheritable if asked.
Handle duplicate(HANDLE h, bool inheritable = false);

std::wstring wide(std::string_view utf8);
std::string utf8(const wchar_t* w);

// "what: <FormatMessage text> (0x%08x)" for a Win32 error or an HRESULT;
// ERROR_FILE_NOT_FOUND and ERROR_PATH_NOT_FOUND are kNotFound.
Error win_error(std::string_view what, DWORD err = GetLastError());
Error hresult_error(std::string_view what, HRESULT hr, std::string_view detail = "");

// Copies from `from` to `to` until `from` ends (EOF or an error). With no
// `to` (nullptr), or once a write to it fails, it reads and drops, so the
// writer at the other end never blocks on a full pipe.
void copy_stream(HANDLE from, HANDLE to);
// The same, owning both handles (for a thread of its own); closes them.
inline void pump(Handle from, Handle to) { copy_stream(from.get(), to.get()); }

// The whole of a file ("open <path>: ..." when it cannot be read).
Result<std::string> read_file(const std::string& path);
// Now as RFC 3339 in UTC, to the millisecond.
std::string now_rfc3339();

}  // namespace berth::win
