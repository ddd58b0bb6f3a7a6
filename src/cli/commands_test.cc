#include "cli/command.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "cli/docs.h"

namespace berth::cli {
namespace {

// The flags a help text lists in its OPTIONS section ("--bundle, -b value").
std::set<std::string> flags_in_help(const std::string& help) {
  std::set<std::string> out;
  auto at = help.find("\nOPTIONS:\n");
  EXPECT_NE(at, std::string::npos) << help;
  std::string section = help.substr(at);
  std::regex line(R"(\n   ((?:--?[a-z0-9-]+(?:, )?)+))");
  for (std::sregex_iterator it(section.begin(), section.end(), line), end; it != end; ++it) {
    std::string names = (*it)[1];
    std::regex flag(R"(--?[a-z0-9-]+)");
    for (std::sregex_iterator f(names.begin(), names.end(), flag); f != end; ++f) out.insert(f->str());
  }
  return out;
}

// Whether the command's parser takes flag (with a value when it wants one).
bool parser_accepts(const Command& c, const std::string& flag) {
  std::vector<std::string> args = {flag, "value"};
  auto parsed = parse_args(args, accepted_options(c), c.interleaved);
  return parsed.has_value();
}

TEST(Commands, HelpListsExactlyTheFlagsTheParserAccepts) {
  ASSERT_GE(commands().size(), 15u);
  for (const Command* c : commands()) {
    SCOPED_TRACE(c->name);
    std::set<std::string> listed = flags_in_help(command_help(*c));
    // Every flag the table gives the parser is listed...
    std::set<std::string> table = {"--help", "-h"};
    for (const auto& o : c->options)
      for (const auto& n : o.names) table.insert((n.size() == 1 ? "-" : "--") + n);
    EXPECT_EQ(listed, table);
    // ...the parser takes each one listed, and nothing else.
    for (const auto& f : listed) EXPECT_TRUE(parser_accepts(*c, f)) << f;
    for (const char* unlisted : {"--no-such-flag", "-Z", "--helpme"}) EXPECT_FALSE(parser_accepts(*c, unlisted));
  }
}

TEST(Commands, EveryCommandIsFoundByItsNamesAndDescribed) {
  std::set<std::string> names;
  for (const Command* c : commands()) {
    EXPECT_EQ(find_command(c->name), c);
    if (c->alias) {
      EXPECT_EQ(find_command(c->alias), c);
    }
    EXPECT_TRUE(names.insert(c->name).second) << c->name << " twice";
    EXPECT_GT(std::string(c->summary).size(), 5u) << c->name;
    EXPECT_GT(std::string(c->description).size(), 40u) << c->name;
    EXPECT_LE(c->min_args, c->max_args) << c->name;
    EXPECT_NE(global_help().find(std::string("   ") + c->name), std::string::npos) << c->name;
  }
  EXPECT_EQ(find_command("checkpoint"), nullptr);
  EXPECT_EQ(find_command(""), nullptr);
}

// The flags bash completion offers after `berth NAME`.
std::set<std::string> bash_flags(const std::string& script, const std::string& name) {
  std::set<std::string> out;
  std::string key = "    " + name + ") opts=\"";
  auto at = script.find(key);
  EXPECT_NE(at, std::string::npos) << name;
  if (at == std::string::npos) return out;
  std::istringstream words(script.substr(at + key.size(), script.find('"', at + key.size()) - at - key.size()));
  for (std::string w; words >> w;) out.insert(w);
  return out;
}

TEST(Commands, ManPagesAndCompletionCarryEveryFlag) {
  std::string bash = bash_completion(), zsh = zsh_completion(), index = man_page();
  for (const Command* c : commands()) {
    SCOPED_TRACE(c->name);
    std::string page = man_page(*c);
    EXPECT_EQ(page.rfind(".TH BERTH-", 0), 0u);
    EXPECT_NE(index.find(std::string("berth\\-") + c->name), std::string::npos);
    for (const auto& o : c->options)
      for (const auto& n : o.names) {
        std::string dashed = (n.size() == 1 ? "-" : "--") + n;
        std::string roff;
        for (char ch : dashed) roff += ch == '-' ? std::string("\\-") : std::string(1, ch);
        EXPECT_NE(page.find("\\fB" + roff + "\\fR"), std::string::npos) << dashed;
        EXPECT_TRUE(bash_flags(bash, c->name).count(dashed)) << dashed;
        EXPECT_NE(zsh.find("'" + dashed + "["), std::string::npos) << dashed;
      }
  }
  for (const auto& o : global_options())
    for (const auto& n : o.names) EXPECT_NE(bash.find((n.size() == 1 ? "-" : "--") + n), std::string::npos) << n;
}

TEST(Commands, RoffEscapesWhatTroffWouldInterpret) {
  // A description line starting with a dot would be a request to troff.
  for (const Command* c : commands()) {
    std::string page = man_page(*c);
    std::istringstream lines(page);
    for (std::string l; std::getline(lines, l);) {
      if (l.empty() || l[0] != '.') continue;
      static const std::set<std::string> kRequests = {".TH", ".SH", ".PP", ".TP"};
      EXPECT_TRUE(kRequests.count(l.substr(0, 3))) << c->name << ": " << l;
    }
  }
}

}  // namespace
}  // namespace berth::cli
