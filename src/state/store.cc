#include "state/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <nlohmann/json.hpp>

#include "base/crash.h"
#include "base/file.h"
#include "base/json_view.h"
#include "oci/validate.h"

namespace berth::state {

namespace {

nlohmann::json encode_hooks(const std::vector<oci::Hook>& hooks) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : hooks) {
    nlohmann::json j = {{"path", h.path}, {"args", h.args}, {"env", h.env}};
    if (h.timeout) j["timeout"] = *h.timeout;
    out.push_back(std::move(j));
  }
  return out;
}

// Each decoder checks the type of what it reads and names the field.
Status read_string(const json::View& v, const char* field, std::string& out) {
  if (!v.is_string()) return invalid(std::string("state.json: ") + field + ": not a string");
  out = v.str();
  return {};
}

Status read_strings(const json::View& v, const char* field, std::vector<std::string>& out) {
  if (!v.is_array()) return invalid(std::string("state.json: ") + field + ": not an array");
  json::Elements e(v);
  json::View x;
  while (e.next(x)) BERTH_TRY(read_string(x, field, out.emplace_back()));
  return {};
}

Status read_string_map(const json::View& v, const char* field, std::map<std::string, std::string>& out) {
  if (!v.is_object()) return invalid(std::string("state.json: ") + field + ": not an object");
  json::Members m(v);
  std::string key;
  json::View x;
  while (m.next(key, x)) BERTH_TRY(read_string(x, field, out[key]));
  return {};
}

// A hook list as encode_hooks writes it; anything but an array reads as none.
Status read_hooks(const json::View& v, const char* field, std::vector<oci::Hook>& out) {
  if (!v.is_array()) return {};
  json::Elements e(v);
  json::View x;
  while (e.next(x)) {
    if (!x.is_object()) return invalid(std::string("state.json: ") + field + ": not an object");
    oci::Hook& h = out.emplace_back();
    bool has_path = false;
    json::Members m(x);
    std::string key;
    json::View f;
    while (m.next(key, f)) {
      if (key == "path") {
        BERTH_TRY(read_string(f, field, h.path));
        has_path = true;
      } else if (key == "args") {
        BERTH_TRY(read_strings(f, field, h.args));
      } else if (key == "env") {
        BERTH_TRY(read_strings(f, field, h.env));
      } else if (key == "timeout") {
        int64_t t = 0;
        if (!f.get(t) || t < INT_MIN || t > INT_MAX)
          return invalid(std::string("state.json: ") + field + ": timeout: not an integer");
        h.timeout = static_cast<int>(t);
      }
    }
    if (!has_path) return invalid(std::string("state.json: ") + field + ": path: missing");
  }
  return {};
}

// The platform-neutral fields of a record that are strings. Their keys,
// and those of the three below, are never a platform's name.
const std::pair<const char*, std::string ContainerState::*> kStringFields[] = {
    {"id", &ContainerState::id},           {"ociVersion", &ContainerState::oci_version},
    {"bundle", &ContainerState::bundle},   {"rootfs", &ContainerState::rootfs},
    {"created", &ContainerState::created}, {"sandbox", &ContainerState::sandbox},
    {"host", &ContainerState::host},       {"platform", &ContainerState::platform},
};

bool is_neutral(std::string_view key) {
  for (const auto& [name, field] : kStringFields)
    if (key == name) return true;
  return key == "annotations" || key == "poststart" || key == "poststop";
}

// Reads key into st when it is a neutral field; false when it is not.
Result<bool> read_neutral(const std::string& key, const json::View& v, ContainerState& st) {
  for (const auto& [name, field] : kStringFields) {
    if (key != name) continue;
    BERTH_TRY(read_string(v, name, st.*field));
    return true;
  }
  if (key == "annotations") {
    st.annotations.clear();
    BERTH_TRY(read_string_map(v, "annotations", st.annotations));
  } else if (key == "poststart" || key == "poststop") {
    auto& hooks = key == "poststart" ? st.poststart : st.poststop;
    hooks.clear();
    BERTH_TRY(read_hooks(v, key.c_str(), hooks));
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string encode_state(const ContainerState& st) {
  nlohmann::json j = {
      {"id", st.id},
      {"ociVersion", st.oci_version},
      {"bundle", st.bundle},
      {"rootfs", st.rootfs},
      {"created", st.created},
      {"annotations", st.annotations},
      {"poststart", encode_hooks(st.poststart)},
      {"poststop", encode_hooks(st.poststop)},
      {"platform", st.platform},
  };
  if (!st.sandbox.empty()) j["sandbox"] = st.sandbox;
  if (!st.host.empty()) j["host"] = st.host;
  nlohmann::json part = nlohmann::json::parse(st.platform_state, nullptr, false);
  j[st.platform] = part.is_object() ? std::move(part) : nlohmann::json::object();
  return j.dump();
}

Result<ContainerState> decode_state(std::string_view text) {
  // The file is ours, but a user may have edited it by hand: check every
  // type. list decodes one per container, so this reads spans of the text
  // (json_view) and copies only the fields.
  auto doc = json::parse(text);
  if (!doc || !doc->is_object()) return invalid("state.json: not a JSON object");
  ContainerState st;
  bool has_id = false, has_platform = false;
  // Keys berth does not know yet: one of them is the platform's part.
  std::vector<std::pair<std::string, json::View>> other;
  json::Members m(*doc);
  std::string key;
  json::View v;
  while (m.next(key, v)) {
    auto known = read_neutral(key, v, st);
    if (!known) return std::move(known).error();
    if (!*known) other.emplace_back(key, v);
    has_id = has_id || key == "id";
    has_platform = has_platform || key == "platform";
  }
  if (!has_id) return invalid("state.json: id: missing");
  // The last of a repeated key wins, as it does for the fields above.
  auto find = [&](const std::string& name) -> const json::View* {
    for (auto it = other.rbegin(); it != other.rend(); ++it)
      if (it->first == name) return &it->second;
    return nullptr;
  };
  if (has_platform) {
    // A platform's name is also its part's key: never a neutral field's
    // (those never land in `other`, so find() alone cannot tell).
    if (is_neutral(st.platform)) return invalid("state.json: platform: \"" + st.platform + "\" is not a platform");
    if (st.platform.empty()) return invalid("state.json: platform: empty");
    const json::View* part = find(st.platform);
    if (!part || !part->is_object()) return invalid("state.json: " + st.platform + ": not an object");
    st.platform_state = std::string(part->text());
    return st;
  }
  // Written before the platform split: Linux's fields at the top level,
  // the pid always among them.
  if (!find("pid")) return invalid("state.json: pid: missing");
  st.platform = "linux";
  st.platform_state = "{";
  for (const char* name : {"pid", "pidStart", "cgroups", "seccomp"}) {
    const json::View* field = find(name);
    if (!field) continue;
    if (st.platform_state.size() > 1) st.platform_state += ',';
    st.platform_state += std::string("\"") + name + "\":";
    st.platform_state += field->text();
  }
  st.platform_state += '}';
  return st;
}

Status ContainerDir::save(const ContainerState& st) const {
  std::string text = encode_state(st);
  BERTH_TRY(write_file_atomic(dir_.get(), kStateFile, text, 0600));
  return write_file_atomic(dir_.get(), kStateBackup, text, 0600);
}

Result<ContainerState> ContainerDir::load_file(const char* name, uid_t* owner) const {
  std::string path = path_ + "/" + name;
  // A state.json replaced by hand with a fifo or a device must not hang us.
  auto fd = open_at(dir_.get(), name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
  if (!fd) return std::move(fd).error().wrap("container " + id_);
  struct stat sb;
  if (::fstat(fd->get(), &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > int64_t{kMaxInputFile})
    return invalid(path + ": not a regular file of a sane size");
  auto text = read_regular_fd(fd->get(), static_cast<size_t>(sb.st_size));
  if (!text) return std::move(text).error().wrap(path);
  if (owner) *owner = sb.st_uid;
  auto st = decode_state(*text);
  if (!st) return std::move(st).error().wrap(path_);
  return st;
}

Result<ContainerState> ContainerDir::load(uid_t* owner) const {
  auto st = load_file(kStateFile, owner);
  if (st || !has(kStateBackup)) return st;
  // state.json is gone or damaged, the backup is there: it has what
  // delete --force needs to find the container's processes.
  auto backup = load_file(kStateBackup, owner);
  if (backup) return backup;
  Error e = std::move(st).error();
  if (e.code == ENOENT) e.code = 0;  // damaged, not "never written"
  return e;
}

bool ContainerDir::has(const char* name) const {
  struct stat sb;
  return ::fstatat(dir_.get(), name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

Status ContainerDir::remove() {
  auto slash = path_.rfind('/');
  std::string parent = path_.substr(0, slash == 0 ? 1 : slash);
  auto pfd = open_file(parent, O_RDONLY | O_DIRECTORY);
  if (!pfd) return std::move(pfd).error();
  return remove_all_at(pfd->get(), id_);
}

namespace {

// A container directory is made under a temporary name that no id can have
// ('~' is not allowed in ids), locked, then renamed into place: nobody ever
// sees the id's directory unlocked and empty, so a concurrent delete or a
// second create cannot take it over between mkdir and flock.
constexpr char kTempPrefix[] = "~create-";

// Takes a lock on the state root itself: shared while a create makes and
// locks its temp directory, exclusive while temp directories are swept.
Result<Fd> lock_root(const std::string& root, int how) {
  auto fd = open_file(root, O_RDONLY | O_DIRECTORY);
  if (!fd) return fd;
  while (::flock(fd->get(), how) < 0) {
    if (errno != EINTR) return sys_error("lock " + root);
  }
  return fd;
}

}  // namespace

Result<ContainerDir> Store::create(const std::string& id) const {
  BERTH_TRY(validate_id(id));
  if (::mkdir(root_.c_str(), 0700) < 0 && errno != EEXIST) {
    BERTH_TRY_CTX(mkdir_all(root_, 0700), "create state root");
  }
  std::string path = path_join(root_, id);
  // Cheap early answer; the rename below is what decides.
  struct stat sb;
  if (::lstat(path.c_str(), &sb) == 0)
    return make_error(ErrorKind::kAlreadyExists, "container with id \"" + id + "\" already exists");
  sweep();
  std::string temp = path_join(root_, std::string(kTempPrefix) + "XXXXXX");
  Fd dir;
  {
    // Shared with other creates, exclusive of sweep(): a temp directory is
    // never unlocked while the root lock is free.
    auto root_lock = lock_root(root_, LOCK_SH);
    if (!root_lock) return std::move(root_lock).error();
    if (::mkdtemp(temp.data()) == nullptr) return sys_error("mkdir " + temp);
    int fd = ::open(temp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      Error e = sys_error("open " + temp);
      ::rmdir(temp.c_str());
      return e;
    }
    dir.reset(fd);
    if (::flock(fd, LOCK_EX) < 0) {
      Error e = sys_error("lock " + temp);
      ::rmdir(temp.c_str());
      return e;
    }
  }
  crash_point("create:state-dir-temp");
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) < 0) {
    Error e = errno == EEXIST ? make_error(ErrorKind::kAlreadyExists, "container with id \"" + id + "\" already exists")
                              : sys_error("rename " + temp + " to " + path);
    ::rmdir(temp.c_str());
    return e;
  }
  return ContainerDir(id, path, std::move(dir), true);
}

void Store::sweep() const {
  auto root_lock = lock_root(root_, LOCK_EX);
  if (!root_lock) return;
  DIR* d = ::opendir(root_.c_str());
  if (d == nullptr) return;
  std::vector<std::string> stale;
  while (struct dirent* e = ::readdir(d)) {
    if (std::string_view(e->d_name).substr(0, sizeof kTempPrefix - 1) != kTempPrefix) continue;
    int fd = ::openat(::dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) stale.push_back(e->d_name);
    ::close(fd);
  }
  for (const auto& name : stale) (void)remove_all_at(::dirfd(d), name);
  ::closedir(d);
}

Result<ContainerDir> Store::lock(const std::string& id) const { return open_dir(id, true); }
Result<ContainerDir> Store::open(const std::string& id) const { return open_dir(id, false); }

Result<ContainerDir> Store::open_dir(const std::string& id, bool take_lock) const {
  BERTH_TRY(validate_id(id));
  std::string path = path_join(root_, id);
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
      return make_error(ErrorKind::kNotFound, "container \"" + id + "\" does not exist");
    return sys_error("open " + path);
  }
  Fd dir(fd);
  if (take_lock) {
    while (::flock(fd, LOCK_EX) < 0) {
      if (errno != EINTR) return sys_error("lock " + path);
    }
    // The holder we waited for may have deleted the container.
    struct stat sb;
    if (::fstat(fd, &sb) < 0) return sys_error("stat " + path);
    if (sb.st_nlink == 0) return make_error(ErrorKind::kNotFound, "container \"" + id + "\" does not exist");
  }
  return ContainerDir(id, path, std::move(dir), take_lock);
}

Result<std::vector<std::string>> Store::list() const {
  std::vector<std::string> ids;
  DIR* d = ::opendir(root_.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return ids;
    return sys_error("open " + root_);
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type == DT_UNKNOWN) {  // filesystems that do not fill d_type
      struct stat sb;
      if (::fstatat(::dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(sb.st_mode)) continue;
    } else if (e->d_type != DT_DIR) {
      continue;
    }
    if (validate_id(name)) ids.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool is_locked(const ContainerDir& dir) {
  if (dir.locked()) return false;
  // A second open file description, so a lock this process holds counts too.
  int fd = ::openat(dir.fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool locked = ::flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return locked;
}

}  // namespace berth::state
