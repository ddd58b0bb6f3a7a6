// libFuzzer: command lines (NUL-separated arguments) through cli::parse_args
// with the option tables of berth's global flags and of `exec`, the largest,
// in both parsing modes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cli/args.h"

namespace {

using berth::cli::Option;

const Option kGlobal[] = {
    {{"root"}, true, ""},
    {{"log"}, true, ""},
    {{"log-format"}, true, ""},
    {{"debug"}, false, ""},
    {{"systemd-cgroup"}, false, ""},
    {{"rootless"}, true, ""},
    {{"version", "v"}, false, ""},
    {{"help", "h"}, false, ""},
};

const Option kExec[] = {
    {{"process", "p"}, true, ""}, {{"tty", "t"}, false, ""},      {{"console-socket"}, true, ""},
    {{"detach", "d"}, false, ""}, {{"pid-file"}, true, ""},       {{"env", "e"}, true, ""},
    {{"cwd"}, true, ""},          {{"user", "u"}, true, ""},      {{"additional-gids", "g"}, true, ""},
    {{"cap", "c"}, true, ""},     {{"no-new-privs"}, false, ""},  {{"preserve-fds"}, true, ""},
    {{"cgroup"}, true, ""},       {{"ignore-paused"}, false, ""},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args;
  std::string cur;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  args.push_back(std::move(cur));
  for (bool interleaved : {false, true}) {
    for (auto table : {std::span<const Option>(kGlobal), std::span<const Option>(kExec)}) {
      auto r = berth::cli::parse_args(args, table, interleaved);
      if (!r) {
        if (r.error().message.empty()) __builtin_trap();
        continue;
      }
      for (const auto& o : table) {
        (void)r->get(o.names.front());
        (void)r->flag(o.names.front());
        (void)r->all(o.names.front());
      }
    }
  }
  (void)berth::cli::describe_options(kExec);
  return 0;
}
