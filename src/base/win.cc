#include "base/win.h"

#include <cstdio>

namespace berth::win {

Handle duplicate(HANDLE h, bool inheritable) {
  HANDLE dup = nullptr;
  if (!h || h == INVALID_HANDLE_VALUE ||
      !DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &dup, 0, inheritable, DUPLICATE_SAME_ACCESS))
    return Handle();
  return Handle(dup);
}

std::wstring wide(std::string_view s) {
  if (s.empty()) return {};
  int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  std::wstring out(n > 0 ? n : 0, L'\0');
  if (n > 0) MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), out.data(), n);
  return out;
}

std::string utf8(const wchar_t* w) {
  if (!w || !*w) return {};
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, nullptr, 0, nullptr, nullptr);
  std::string out(n > 1 ? n - 1 : 0, '\0');
  if (n > 1) WideCharToMultiByte(CP_UTF8, 0, w, -1, out.data(), n, nullptr, nullptr);
  return out;
}

namespace {

std::string system_message(DWORD code) {
  wchar_t* buf = nullptr;
  DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                           nullptr, code, 0, reinterpret_cast<wchar_t*>(&buf), 0, nullptr);
  std::string text = n ? utf8(buf) : "";
  if (buf) LocalFree(buf);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == '.')) text.pop_back();
  return text;
}

std::string hex(DWORD code) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08lx", static_cast<unsigned long>(code));
  return buf;
}

}  // namespace

Error win_error(std::string_view what, DWORD err) {
  std::string text = system_message(err);
  Error e = make_error(ErrorKind::kInternal,
                       std::string(what) + ": " + (text.empty() ? "error" : text) + " (" + hex(err) + ")");
  if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) e.kind = ErrorKind::kNotFound;
  if (err == ERROR_ALREADY_EXISTS || err == ERROR_FILE_EXISTS) e.kind = ErrorKind::kAlreadyExists;
  return e;
}

Error hresult_error(std::string_view what, HRESULT hr, std::string_view detail) {
  std::string text(detail);
  if (text.empty()) text = system_message(static_cast<DWORD>(hr));
  if (text.empty()) text = "error";
  return make_error(ErrorKind::kInternal, std::string(what) + ": " + text + " (" + hex(static_cast<DWORD>(hr)) + ")");
}

void copy_stream(HANDLE from, HANDLE to) {
  char buf[8192];
  DWORD n = 0, w = 0;
  while (ReadFile(from, buf, sizeof buf, &n, nullptr) && n > 0)
    if (to && !WriteFile(to, buf, n, &w, nullptr)) to = nullptr;  // its reader went: drop the rest
}

Result<std::string> read_file(const std::string& path) {
  Handle f(CreateFileW(wide(path).c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                       nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!f) return win_error("open " + path);
  std::string text;
  char buf[4096];
  DWORD n = 0;
  while (ReadFile(f.get(), buf, sizeof buf, &n, nullptr) && n > 0) text.append(buf, n);
  return text;
}

std::string now_rfc3339() {
  SYSTEMTIME t;
  GetSystemTime(&t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", t.wYear, t.wMonth, t.wDay, t.wHour, t.wMinute,
                t.wSecond, t.wMilliseconds);
  return buf;
}

}  // namespace berth::win
