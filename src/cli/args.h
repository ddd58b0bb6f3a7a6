// Command-line parsing with runc's syntax (Go's flag package, as urfave/cli
// uses it): "-name" and "--name" are the same, values come as "--name=v" or
// "--name v", booleans take "=true"/"=false", and options may repeat.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace berth::cli {

struct Option {
  std::vector<std::string> names;  // {"bundle", "b"}: the first is canonical
  bool takes_value = false;
  const char* help = "";
};

struct Args {
  std::map<std::string, std::vector<std::string>> values;  // canonical name -> every value given
  std::vector<std::string> positional;

  bool flag(const std::string& name) const;  // a boolean option's last value
  // The last value of an option, or def when it was not given.
  std::string get(const std::string& name, const std::string& def = "") const;
  const std::vector<std::string>& all(const std::string& name) const;
  bool has(const std::string& name) const { return values.count(name) != 0; }
};

// Parses args. With interleaved, options may follow positional arguments (like
// crun); otherwise parsing stops at the first positional (like Go's flag
// package), which `exec` needs so the command's own flags stay its own. "--"
// always ends the options. An unknown option is an error naming it.
Result<Args> parse_args(std::span<const std::string> args, std::span<const Option> options, bool interleaved);

// "--bundle, -b VALUE  help" lines for usage text.
std::string describe_options(std::span<const Option> options);

}  // namespace berth::cli
