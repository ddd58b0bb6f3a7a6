#include "windows/store.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "state/id.h"

namespace berth::win {

using nlohmann::json;

std::string encode(const Record& r) {
  json j{{"id", r.id},
         {"bundle", r.bundle},
         {"status", r.status},
         {"created", r.created},
         {"owner", r.owner},
         {"annotations", r.annotations},
         {"sandboxId", r.sandbox_id},
         {"hostId", r.host_id},
         {"isHost", r.is_host},
         {"systemRequested", r.system_requested},
         {"shimPid", r.shim_pid},
         {"shimStart", r.shim_start},
         {"initPid", r.init_pid},
         {"processParameters", r.process_parameters}};
  if (r.exit_code) j["exitCode"] = *r.exit_code;
  return j.dump();
}

Result<Record> decode(const std::string& text, const std::string& path) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return make_error(ErrorKind::kInternal, path + ": not a state record");
  Record r;
  try {
    r.id = j.at("id").get<std::string>();
    r.bundle = j.value("bundle", "");
    r.status = j.value("status", "creating");
    r.created = j.value("created", "");
    r.owner = j.value("owner", "berth");
    r.annotations = j.value("annotations", std::map<std::string, std::string>{});
    r.sandbox_id = j.value("sandboxId", "");
    r.host_id = j.value("hostId", "");
    r.is_host = j.value("isHost", false);
    r.system_requested = j.value("systemRequested", false);
    r.shim_pid = j.value("shimPid", 0u);
    r.shim_start = j.value("shimStart", uint64_t{0});
    r.init_pid = j.value("initPid", 0u);
    r.process_parameters = j.value("processParameters", "");
    if (j.contains("exitCode")) r.exit_code = j["exitCode"].get<uint32_t>();
  } catch (const json::exception& e) {
    return make_error(ErrorKind::kInternal, path + ": " + e.what());
  }
  return r;
}

namespace {

// FNV-1a, 64 bits: names from a path that may hold characters a kernel
// object's name may not (backslashes). The root as the system spells it in
// full, without a trailing separator and in lower case (NTFS ignores case):
// every spelling of one root names the same lock and pipe.
std::string name_hash(const std::string& root, const std::string& id) {
  wchar_t full[MAX_PATH];
  DWORD n = GetFullPathNameW(wide(root).c_str(), MAX_PATH, full, nullptr);
  std::string key = n > 0 && n < MAX_PATH ? utf8(full) : root;
  while (key.size() > 3 && (key.back() == '\\' || key.back() == '/')) key.pop_back();
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  key += "\\" + id;
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Status write_atomic(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    Handle f(CreateFileW(wide(tmp).c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!f) return win_error("create " + tmp);
    DWORD n = 0;
    if (!WriteFile(f.get(), text.data(), static_cast<DWORD>(text.size()), &n, nullptr) || n != text.size())
      return win_error("write " + tmp);
    if (!FlushFileBuffers(f.get())) return win_error("flush " + tmp);
  }
  // A reader (state, list) that has the old file open can make the
  // replacement fail for a moment: tried again for a second.
  for (int tries = 0;; ++tries) {
    if (MoveFileExW(wide(tmp).c_str(), wide(path).c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
      return {};
    DWORD err = GetLastError();
    if ((err != ERROR_ACCESS_DENIED && err != ERROR_SHARING_VIOLATION) || tries >= 100) {
      auto e = win_error("replace " + path, err);
      DeleteFileW(wide(tmp).c_str());
      return e;
    }
    Sleep(10);
  }
}

}  // namespace

Result<Lock> Store::lock(const std::string& id) const {
  BERTH_TRY(state::validate_id(id));
  // Global\: one lock for every session (a service's and an operator's).
  std::wstring name = wide("Global\\berth-" + name_hash(root_, id));
  Handle m(CreateMutexW(nullptr, FALSE, name.c_str()));
  if (!m) return win_error("lock container " + id);
  DWORD w = WaitForSingleObject(m.get(), INFINITE);
  if (w != WAIT_OBJECT_0 && w != WAIT_ABANDONED) return win_error("lock container " + id);
  return Lock(std::move(m));
}

Result<Record> Store::load(const std::string& id) const {
  BERTH_TRY(state::validate_id(id));
  std::string path = dir(id) + "\\state.json";
  auto text = read_file(path);
  if (!text) {
    if (text.error().kind == ErrorKind::kNotFound)
      return make_error(ErrorKind::kNotFound, "container \"" + id + "\" does not exist");
    return std::move(text).error();
  }
  return decode(*text, path);
}

Status Store::add(const Record& r) const {
  BERTH_TRY(state::validate_id(r.id));
  // The root's parents too: a first run makes %ProgramData%\berth.
  std::string partial;
  for (size_t i = 0; i <= root_.size(); ++i) {
    if (i == root_.size() || ((root_[i] == '\\' || root_[i] == '/') && i > 0 && root_[i - 1] != ':')) {
      partial = root_.substr(0, i);
      if (!partial.empty() && !CreateDirectoryW(wide(partial).c_str(), nullptr) &&
          GetLastError() != ERROR_ALREADY_EXISTS)
        return win_error("create state root " + partial);
    }
  }
  if (!CreateDirectoryW(wide(dir(r.id)).c_str(), nullptr)) {
    // One a crash left before its first record (no state.json) is reused.
    if (GetLastError() == ERROR_ALREADY_EXISTS &&
        GetFileAttributesW(wide(dir(r.id) + "\\state.json").c_str()) != INVALID_FILE_ATTRIBUTES)
      return make_error(ErrorKind::kAlreadyExists, "container \"" + r.id + "\" already exists");
    if (GetLastError() != ERROR_ALREADY_EXISTS && GetLastError() != ERROR_FILE_NOT_FOUND)
      return win_error("create " + dir(r.id));
  }
  if (auto s = save(r); !s) {
    (void)remove(r.id);
    return s;
  }
  return {};
}

Status Store::save(const Record& r) const { return write_atomic(dir(r.id) + "\\state.json", encode(r)); }

Status Store::remove(const std::string& id) const {
  BERTH_TRY(state::validate_id(id));
  std::string d = dir(id);
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(wide(d + "\\*").c_str(), &fd);
  if (find != INVALID_HANDLE_VALUE) {
    do {
      std::string name = utf8(fd.cFileName);
      if (name == "." || name == "..") continue;
      if (!DeleteFileW(wide(d + "\\" + name).c_str())) {
        auto e = win_error("remove " + d + "\\" + name);
        FindClose(find);
        return e;
      }
    } while (FindNextFileW(find, &fd));
    FindClose(find);
  }
  if (!RemoveDirectoryW(wide(d).c_str()) && GetLastError() != ERROR_FILE_NOT_FOUND &&
      GetLastError() != ERROR_PATH_NOT_FOUND)
    return win_error("remove " + d);
  return {};
}

Result<std::vector<std::string>> Store::list() const {
  std::vector<std::string> ids;
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(wide(root_ + "\\*").c_str(), &fd);
  if (find == INVALID_HANDLE_VALUE) {
    if (GetLastError() == ERROR_FILE_NOT_FOUND || GetLastError() == ERROR_PATH_NOT_FOUND) return ids;
    return win_error("list " + root_);
  }
  do {
    std::string name = utf8(fd.cFileName);
    if ((fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) && state::validate_id(name)) ids.push_back(name);
  } while (FindNextFileW(find, &fd));
  FindClose(find);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string Store::pipe_name(const std::string& id) const { return "\\\\.\\pipe\\berth-" + name_hash(root_, id); }

std::string default_root() {
  wchar_t buf[MAX_PATH];
  DWORD n = GetEnvironmentVariableW(L"ProgramData", buf, MAX_PATH);
  std::string base = n > 0 && n < MAX_PATH ? utf8(buf) : "C:\\ProgramData";
  return base + "\\berth";
}

}  // namespace berth::win
