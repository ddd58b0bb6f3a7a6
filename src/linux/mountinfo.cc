#include "linux/mountinfo.h"

#include "base/file.h"

namespace berth::lnx {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = s[i + k];
        if (c < '0' || c > '7') ok = false;
        v = v * 8 + (c - '0');
      }
      if (ok) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

bool parse_mountinfo_line(const std::string& line, MountInfo& out) {
  auto f = split(line, ' ');
  if (f.size() < 10) return false;
  size_t sep = 6;
  while (sep < f.size() && f[sep] != "-") ++sep;
  if (sep + 2 >= f.size()) return false;
  out.root = unescape(f[3]);
  out.mount_point = unescape(f[4]);
  out.fs_type = f[sep + 1];
  out.source = unescape(f[sep + 2]);
  out.super_options = sep + 3 < f.size() ? f[sep + 3] : "";
  return true;
}

Result<std::vector<MountInfo>> read_mountinfo(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::move(text).error();
  std::vector<MountInfo> out;
  for (const auto& line : split(*text, '\n')) {
    MountInfo mi;
    if (!line.empty() && parse_mountinfo_line(line, mi)) out.push_back(std::move(mi));
  }
  return out;
}

}  // namespace berth::lnx
