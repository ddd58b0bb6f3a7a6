#include "cli/args.h"

namespace berth::cli {

namespace {

const std::vector<std::string> kNone;

const Option* find_option(std::span<const Option> options, const std::string& name) {
  for (const auto& o : options)
    for (const auto& n : o.names)
      if (n == name) return &o;
  return nullptr;
}

}  // namespace

bool Args::flag(const std::string& name) const {
  auto it = values.find(name);
  return it != values.end() && !it->second.empty() && it->second.back() == "true";
}

std::string Args::get(const std::string& name, const std::string& def) const {
  auto it = values.find(name);
  return it == values.end() || it->second.empty() ? def : it->second.back();
}

const std::vector<std::string>& Args::all(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? kNone : it->second;
}

Result<Args> parse_args(std::span<const std::string> args, std::span<const Option> options, bool interleaved) {
  Args out;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      out.positional.push_back(a);
      if (!interleaved) options_done = true;
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    size_t dashes = a[1] == '-' ? 2 : 1;
    std::string body = a.substr(dashes);
    std::string name = body, value;
    bool has_value = false;
    if (auto eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    const Option* opt = find_option(options, name);
    if (opt == nullptr) return invalid("unknown flag: " + a.substr(0, dashes) + name);
    const std::string& canonical = opt->names.front();
    if (opt->takes_value) {
      if (!has_value) {
        if (i + 1 >= args.size()) return invalid("flag needs an argument: " + a);
        value = args[++i];
      }
    } else if (has_value) {
      // Go's strconv.ParseBool, which runc's flag parsing uses.
      static const char* const kTrue[] = {"1", "t", "T", "TRUE", "true", "True"};
      static const char* const kFalse[] = {"0", "f", "F", "FALSE", "false", "False"};
      bool t = false, f = false;
      for (const char* v : kTrue) t = t || value == v;
      for (const char* v : kFalse) f = f || value == v;
      if (!t && !f) return invalid("invalid boolean value \"" + value + "\" for -" + name);
      value = t ? "true" : "false";
    } else {
      value = "true";
    }
    out.values[canonical].push_back(value);
  }
  return out;
}

std::string describe_options(std::span<const Option> options) {
  std::string out;
  for (const auto& o : options) {
    std::string names;
    for (const auto& n : o.names) {
      if (!names.empty()) names += ", ";
      names += (n.size() == 1 ? "-" : "--") + n;
    }
    if (o.takes_value) names += " value";
    out += "   " + names;
    out += std::string(names.size() < 34 ? 34 - names.size() : 1, ' ');
    out += o.help;
    out += "\n";
  }
  return out;
}

}  // namespace berth::cli
