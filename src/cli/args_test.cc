#include "cli/args.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

using Strings = std::vector<std::string>;

const std::vector<Option> kOptions = {
    {{"bundle", "b"}, true, "path to the bundle"},    {{"detach", "d"}, false, "detach from the container"},
    {{"pid-file"}, true, "file to write the pid to"}, {{"env", "e"}, true, "set an environment variable"},
    {{"tty", "t"}, false, "allocate a pseudo-TTY"},
};

Result<Args> parse(const Strings& args, bool interleaved = true) { return parse_args(args, kOptions, interleaved); }

TEST(ParseArgs, ValueForms) {
  for (const Strings& argv : {Strings{"--bundle", "/b"}, Strings{"--bundle=/b"}, Strings{"-bundle", "/b"},
                              Strings{"-bundle=/b"}, Strings{"-b", "/b"}, Strings{"--b=/b"}}) {
    auto r = parse(argv);
    ASSERT_TRUE(r) << argv[0] << ": " << r.error().message;
    EXPECT_EQ(r->get("bundle"), "/b") << argv[0];
    EXPECT_TRUE(r->has("bundle"));
    EXPECT_FALSE(r->has("b")) << "values are keyed by the canonical name";
    EXPECT_TRUE(r->positional.empty()) << argv[0];
  }
}

TEST(ParseArgs, ValueMayBeEmptyOrLookLikeAFlag) {
  auto eq = parse({"--pid-file=", "id"});
  ASSERT_TRUE(eq) << eq.error().message;
  EXPECT_TRUE(eq->has("pid-file"));
  EXPECT_EQ(eq->get("pid-file", "def"), "");

  auto dash = parse({"--bundle", "--detach"});
  ASSERT_TRUE(dash) << dash.error().message;
  EXPECT_EQ(dash->get("bundle"), "--detach");
  EXPECT_FALSE(dash->has("detach"));

  auto with_eq = parse({"--env=A=b=c"});
  ASSERT_TRUE(with_eq);
  EXPECT_EQ(with_eq->get("env"), "A=b=c");
}

TEST(ParseArgs, Booleans) {
  auto plain = parse({"--detach"});
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->flag("detach"));

  auto short_form = parse({"-d"});
  ASSERT_TRUE(short_form);
  EXPECT_TRUE(short_form->flag("detach"));

  auto off = parse({"--detach=false"});
  ASSERT_TRUE(off);
  EXPECT_TRUE(off->has("detach"));
  EXPECT_FALSE(off->flag("detach"));

  auto on = parse({"--detach=true", "-t=0", "-tty=1"});
  ASSERT_TRUE(on) << on.error().message;
  EXPECT_TRUE(on->flag("detach"));
  EXPECT_EQ(on->all("tty"), (Strings{"false", "true"}));
  EXPECT_TRUE(on->flag("tty"));

  auto last_wins = parse({"-d", "--detach=false"});
  ASSERT_TRUE(last_wins);
  EXPECT_FALSE(last_wins->flag("detach"));

  auto none = parse({});
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->flag("detach"));
  EXPECT_FALSE(none->has("detach"));
}

TEST(ParseArgs, BooleanDoesNotConsumeNextArgument) {
  auto r = parse({"--detach", "false"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->flag("detach"));
  EXPECT_EQ(r->positional, Strings{"false"});
}

TEST(ParseArgs, RepeatedOptionsCollectedInOrder) {
  auto r = parse({"-e", "A=1", "--env=B=2", "--env", "C=3", "-env", "A=4"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->all("env"), (Strings{"A=1", "B=2", "C=3", "A=4"}));
  EXPECT_EQ(r->get("env"), "A=4");
  EXPECT_TRUE(r->all("bundle").empty());
}

TEST(ParseArgs, DoubleDashEndsOptions) {
  auto r = parse({"-d", "--", "--bundle", "x", "--nope"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->flag("detach"));
  EXPECT_FALSE(r->has("bundle"));
  EXPECT_EQ(r->positional, (Strings{"--bundle", "x", "--nope"}));

  auto strict = parse({"--", "-d"}, false);
  ASSERT_TRUE(strict);
  EXPECT_EQ(strict->positional, Strings{"-d"});
  EXPECT_FALSE(strict->has("detach"));
}

TEST(ParseArgs, LoneDashIsPositional) {
  auto r = parse({"-", "-d"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->positional, Strings{"-"});
  EXPECT_TRUE(r->flag("detach"));
}

TEST(ParseArgs, InterleavedAllowsOptionsAfterPositionals) {
  auto r = parse({"web1", "--bundle", "/b", "extra", "-d"}, true);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->positional, (Strings{"web1", "extra"}));
  EXPECT_EQ(r->get("bundle"), "/b");
  EXPECT_TRUE(r->flag("detach"));
}

TEST(ParseArgs, NotInterleavedStopsAtFirstPositional) {
  auto r = parse({"-t", "id", "ls", "-l", "--bundle", "x", "--nope"}, false);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->flag("tty"));
  EXPECT_FALSE(r->has("bundle"));
  EXPECT_EQ(r->positional, (Strings{"id", "ls", "-l", "--bundle", "x", "--nope"}));
}

TEST(ParseArgs, UnknownFlagIsNamed) {
  auto r = parse({"id", "--nope"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unknown flag: --nope");
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);

  auto single = parse({"-x=1"});
  ASSERT_FALSE(single);
  EXPECT_EQ(single.error().message, "unknown flag: -x");
}

TEST(ParseArgs, MissingValueIsAnError) {
  auto r = parse({"id", "--bundle"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(r.error().message.find("--bundle"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("argument"), std::string::npos) << r.error().message;
}

TEST(ParseArgs, BadBooleanValueIsAnError) {
  auto r = parse({"--detach=yes"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(r.error().message.find("\"yes\""), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("detach"), std::string::npos) << r.error().message;
}

TEST(Args, GetReturnsDefaultOnlyWhenAbsent) {
  auto r = parse({"--bundle", "/given"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get("bundle", "/default"), "/given");
  EXPECT_EQ(r->get("pid-file", "/default"), "/default");
  EXPECT_EQ(r->get("pid-file"), "");
  EXPECT_FALSE(r->flag("bundle")) << "a value that is not \"true\" is not a set flag";
}

TEST(DescribeOptions, ListsEveryNameAndHelp) {
  std::string text = describe_options(kOptions);
  for (const char* want : {"--bundle, -b value", "--detach, -d", "--pid-file value", "--env, -e value", "--tty, -t",
                           "path to the bundle", "allocate a pseudo-TTY"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << " missing from\n" << text;
  }
  EXPECT_EQ(text.find("--detach, -d value"), std::string::npos) << "booleans take no value";
  int lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 5);
}

}  // namespace
}  // namespace berth::cli
