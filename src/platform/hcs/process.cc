#include "platform/hcs/process.h"

#include <nlohmann/json.hpp>

namespace berth::platform::hcs {

std::string escape_arg(std::string_view arg) {
  bool quote = arg.empty() || arg.find_first_of(" \t") != std::string_view::npos;
  if (!quote && arg.find_first_of("\"\\") == std::string_view::npos) return std::string(arg);
  std::string out = quote ? "\"" : "";
  size_t slashes = 0;  // backslashes just written, doubled if a quote follows
  for (char c : arg) {
    if (c == '\\') {
      ++slashes;
    } else if (c == '"') {
      out.append(slashes + 1, '\\');
      slashes = 0;
    } else {
      slashes = 0;
    }
    out += c;
  }
  if (quote) {
    out.append(slashes, '\\');  // so the closing quote stays a quote
    out += '"';
  }
  return out;
}

std::string escape_args(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ' ';
    out += escape_arg(a);
  }
  return out;
}

std::string process_parameters(const oci::Process& p, const oci::Process* init) {
  nlohmann::ordered_json j;
  j["CommandLine"] = p.command_line.empty() ? escape_args(p.args) : p.command_line;
  if (!p.user.username.empty()) j["User"] = p.user.username;
  const std::string& cwd = p.cwd.empty() && init ? init->cwd : p.cwd;
  if (!cwd.empty()) j["WorkingDirectory"] = cwd;
  nlohmann::ordered_json env = nlohmann::ordered_json::object();
  for (const std::string& e : p.env)
    if (size_t eq = e.find('='); eq != std::string::npos) env[e.substr(0, eq)] = e.substr(eq + 1);
  if (!env.empty()) j["Environment"] = env;
  if (p.terminal) j["EmulateConsole"] = true;
  j["CreateStdInPipe"] = true;
  j["CreateStdOutPipe"] = true;
  if (!p.terminal) j["CreateStdErrPipe"] = true;
  if (p.console_size && (p.terminal || !init)) j["ConsoleSize"] = {p.console_size->height, p.console_size->width};
  return j.dump();
}

}  // namespace berth::platform::hcs
