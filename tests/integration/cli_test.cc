// The command line as a newcomer meets it: help for every command, printed
// from the table that drives the parser; --version naming the build; --debug
// logging each step, in text and in JSON.
#include <regex>
#include <set>
#include <sstream>

#include "harness.h"

namespace berth::test {
namespace {

using Cli = BerthTest;

// The command names `berth --help` lists (aliases too).
std::vector<std::string> listed_commands(const std::string& help) {
  std::vector<std::string> out;
  auto at = help.find("COMMANDS:\n");
  EXPECT_NE(at, std::string::npos) << help;
  std::istringstream lines(help.substr(at + 10));
  std::regex entry(R"(^   ([a-z]+)(?:, ([a-z]+))? +\S)");
  for (std::string l; std::getline(lines, l) && !l.empty();) {
    std::smatch m;
    if (!std::regex_search(l, m, entry)) continue;
    if (m[1] != "help") out.push_back(m[1]);
    if (m[2].matched) out.push_back(m[2]);
  }
  return out;
}

// "--bundle, -b value  help" lines of a help text's OPTIONS section: each
// flag, and whether it takes a value.
std::vector<std::pair<std::string, bool>> listed_flags(const std::string& help) {
  std::vector<std::pair<std::string, bool>> out;
  auto at = help.find("\nOPTIONS:\n");
  EXPECT_NE(at, std::string::npos) << help;
  std::istringstream lines(help.substr(at + 10));
  std::regex entry(R"(^   ((?:--?[a-z0-9-]+(?:, )?)+)( value)?)");
  for (std::string l; std::getline(lines, l);) {
    std::smatch m;
    if (!std::regex_search(l, m, entry)) continue;
    std::string names = m[1];
    std::regex flag(R"(--?[a-z0-9-]+)");
    for (std::sregex_iterator f(names.begin(), names.end(), flag), end; f != end; ++f)
      out.emplace_back(f->str(), m[2].matched);
  }
  return out;
}

TEST_F(Cli, EveryCommandAnswersHelpWithTheFlagsItAccepts) {
  BERTH_ONLY("the layout of berth's help text");
  RunResult top = berth({"--help"});
  ASSERT_EQ(top.code, 0);
  EXPECT_EQ(berth({"help"}).out, top.out);
  std::vector<std::string> commands = listed_commands(top.out);
  // runc's commands that berth runs, at least.
  for (const char* c : {"create", "start", "run", "exec", "pause", "resume", "update", "ps", "events", "state", "list",
                        "kill", "delete", "spec", "features"})
    EXPECT_NE(std::find(commands.begin(), commands.end(), c), commands.end()) << c;
  for (const auto& c : commands) {
    SCOPED_TRACE(c);
    RunResult long_form = berth({c, "--help"});
    ASSERT_EQ(long_form.code, 0) << long_form.err;
    EXPECT_EQ(long_form.err, "");
    EXPECT_EQ(berth({c, "-h"}).out, long_form.out);
    RunResult help_cmd = berth({"help", c});
    EXPECT_EQ(help_cmd.code, 0);
    EXPECT_EQ(help_cmd.out, long_form.out);
    EXPECT_NE(long_form.out.find("USAGE:\n   berth "), std::string::npos) << long_form.out;
    auto flags = listed_flags(long_form.out);
    EXPECT_FALSE(flags.empty());
    // The parser takes every flag the help lists: given before --help, it
    // is parsed, and the help still comes (exit 0, nothing made).
    for (const auto& [flag, takes_value] : flags) {
      std::vector<std::string> args = {c, flag};
      if (takes_value) args.push_back("x");
      args.push_back("--help");
      RunResult r = berth(args);
      EXPECT_EQ(r.code, 0) << flag << ": " << r.err;
      EXPECT_EQ(r.out, long_form.out) << flag;
    }
    // And nothing else: an unknown flag fails, naming the command.
    RunResult bad = berth({c, "--no-such-flag", "--help"});
    EXPECT_EQ(bad.code, 1);
    std::string canonical = c == "ls" ? "list" : c;  // an alias's errors use the command's name
    EXPECT_NE(bad.err.find(canonical + ": unknown flag: --no-such-flag"), std::string::npos) << bad.err;
  }
  RunResult unknown = berth({"help", "frobnicate"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(berth({"list", "-q"}).out, "");  // nothing was made
}

TEST_F(Cli, VersionNamesCommitSpecAndLibseccomp) {
  // runc's lines, which docker info and bug reports read.
  RunResult r = run_cmd({runtime(), "--version"});
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("\ncommit: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nspec: "), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\nlibseccomp: \d+\.\d+\.\d+\n)"))) << r.out;
  if (runtime_is_berth()) {
    // The git commit the binary was built from (this checkout's, as the tests build it).
    EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\ncommit: ([0-9a-f]{40}(-dirty)?|unknown)\n)"))) << r.out;
  }
}

TEST_F(Cli, DebugLogsEachStepOfCreateInJson) {
  BERTH_ONLY("the content of berth's debug log");
  std::string log = tmp_ + "/debug.json";
  set_args({"/bin/true"});
  ASSERT_EQ(berth({"--debug", "--log", log, "--log-format", "json", "create", "--bundle", bundle_, "dbg"}).code, 0);
  RunResult state = berth({"state", "dbg"});
  ASSERT_EQ(state.code, 0);
  int pid = nlohmann::json::parse(state.out)["pid"];
  std::string text = read_text(log);
  std::istringstream lines(text);
  std::string all;
  int count = 0;
  for (std::string l; std::getline(lines, l); ++count) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << l;
    EXPECT_EQ(j.value("level", ""), "debug") << l;
    EXPECT_TRUE(j.contains("time")) << l;
    all += j.value("msg", "") + "\n";
  }
  EXPECT_GT(count, 5) << text;
  // The init's pid, each mount of the config (logged by the init itself),
  // and the cgroup the container really got.
  EXPECT_NE(all.find("init pid " + std::to_string(pid)), std::string::npos) << all;
  for (const auto& m : config_["mounts"]) {
    std::string dest = m["destination"];
    EXPECT_NE(all.find(" on " + dest), std::string::npos) << dest << "\n" << all;
  }
  std::string cgroup = read_text("/proc/" + std::to_string(pid) + "/cgroup");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(cgroup, m, std::regex(R"(:pids:(/\S+))"))) << cgroup;
  EXPECT_NE(all.find("cgroup pids at /sys/fs/cgroup/pids" + m[1].str()), std::string::npos) << all;
  ASSERT_EQ(berth({"delete", "--force", "dbg"}).code, 0);
}

TEST_F(Cli, JsonLogFormatCoversEveryLineOnStderr) {
  BERTH_ONLY("berth's log lines");
  // Without --log, everything berth says about itself goes to stderr in the
  // chosen format: debug lines and the error alike.
  RunResult r = berth({"--debug", "--log-format", "json", "state", "ghost"});
  EXPECT_EQ(r.code, 1);
  std::istringstream lines(r.err);
  std::set<std::string> levels;
  for (std::string l; std::getline(lines, l);) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << l;
    levels.insert(j.value("level", ""));
  }
  EXPECT_EQ(levels, (std::set<std::string>{"debug", "error"})) << r.err;
  // Text: the same lines, readable.
  RunResult text = berth({"--debug", "state", "ghost"});
  EXPECT_NE(text.err.find("berth: debug: "), std::string::npos) << text.err;
  EXPECT_NE(text.err.find("berth: container \"ghost\" does not exist"), std::string::npos) << text.err;
}

}  // namespace
}  // namespace berth::test
