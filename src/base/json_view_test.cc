#include "base/json_view.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace berth::json {
namespace {

TEST(JsonView, WalksAnObject) {
  auto v = parse(R"( {"id":"a","pid":42,"n":null,"t":true,"o":{"k":[1,{"x":"}"}]},"s":"q\"]"} )");
  ASSERT_TRUE(v) << v.error().message;
  ASSERT_TRUE(v->is_object());
  Members m(*v);
  std::string key;
  View value;
  std::vector<std::string> keys;
  while (m.next(key, value)) {
    keys.push_back(key);
    if (key == "id") {
      EXPECT_EQ(value.str(), "a");
    } else if (key == "pid") {
      int64_t pid = 0;
      EXPECT_TRUE(value.get(pid));
      EXPECT_EQ(pid, 42);
    } else if (key == "n") {
      EXPECT_EQ(value.type(), Type::kNull);
    } else if (key == "t") {
      EXPECT_EQ(value.type(), Type::kTrue);
    } else if (key == "o") {
      EXPECT_EQ(value.text(), R"({"k":[1,{"x":"}"}]})");
    } else if (key == "s") {
      EXPECT_EQ(value.str(), "q\"]");
    }
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "pid", "n", "t", "o", "s"}));
}

TEST(JsonView, WalksAnArray) {
  auto v = parse("[ \"a\" , 2,[],{} ]");
  ASSERT_TRUE(v);
  Elements e(*v);
  View x;
  std::vector<std::string> texts;
  while (e.next(x)) texts.emplace_back(x.text());
  EXPECT_EQ(texts, (std::vector<std::string>{"\"a\"", "2", "[]", "{}"}));
  // Walking the wrong kind yields nothing rather than garbage.
  Members none(*v);
  std::string key;
  EXPECT_FALSE(none.next(key, x));
}

TEST(JsonView, UnescapesStrings) {
  auto v = parse(R"("a\n\t\"\\\/\u00e9\u20ac\ud83d\ude00")");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->str(), "a\n\t\"\\/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  auto k = parse(R"({"a\u0062":1})");
  ASSERT_TRUE(k);
  Members m(*k);
  std::string key;
  View value;
  ASSERT_TRUE(m.next(key, value));
  EXPECT_EQ(key, "ab");
}

TEST(JsonView, ReadsIntegersInRangeOnly) {
  int64_t i = 0;
  uint64_t u = 0;
  EXPECT_TRUE(parse("-9223372036854775808")->get(i));
  EXPECT_EQ(i, INT64_MIN);
  EXPECT_FALSE(parse("9223372036854775808")->get(i));
  EXPECT_TRUE(parse("18446744073709551615")->get(u));
  EXPECT_FALSE(parse("18446744073709551616")->get(u));
  EXPECT_FALSE(parse("-1")->get(u));
  EXPECT_FALSE(parse("1.0")->get(i));
  EXPECT_FALSE(parse("1e3")->get(i));
  EXPECT_FALSE(parse("\"1\"")->get(i));
}

// Whatever nlohmann (berth's writer and its parser elsewhere) accepts, this
// accepts, and the other way round.
TEST(JsonView, AgreesWithNlohmannOnValidity) {
  const char* cases[] = {
      "{}",
      "[]",
      " 1 ",
      "0",
      "-0",
      "01",
      "1.",
      ".5",
      "1e",
      "1e+",
      "1E-2",
      "-",
      "--1",
      "+1",
      "tru",
      "true ",
      "nulll",
      "\"\"",
      "\"",
      "\"\\x\"",
      "\"\\u12\"",
      "\"\\ud800\"",
      "\"\\udc00\"",
      "\"\\ud800\\u0041\"",
      "\"\t\"",
      "\"\x7f\"",
      "\"\xc3\xa9\"",
      "\"\xc3\"",
      "\"\xc0\xaf\"",
      "\"\xed\xa0\x80\"",
      "\"\xf4\x90\x80\x80\"",
      "\"\xef\xbb\xbf\"",
      "{\"a\":}",
      "{\"a\" 1}",
      "{\"a\":1,}",
      "{,}",
      "[1,]",
      "[,1]",
      "[1 2]",
      "{\"a\":1}}",
      "[[[[[[]]]]]]",
      "{\"a\":[{\"b\":{}}]}",
      "{1:2}",
      "",
      "   ",
      "[] []",
      "[\"a\\\\\"]",
      "{\"\":\"\"}",
      "[1]x",
      "nul",
      "[true,false,null]",
      "\"\\/\"",
      "1.5e308",
      "1e309",
      "-1e400",
      "1e-400",
      "[-]",
      "[0.e1]",
  };
  for (const char* c : cases) {
    bool ours = static_cast<bool>(parse(c));
    bool theirs = nlohmann::json::accept(c);
    EXPECT_EQ(ours, theirs) << "input: " << c;
  }
}

TEST(JsonView, ErrorNamesTheOffset) {
  auto v = parse(R"({"a":1,"b":x})");
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("byte 11"), std::string::npos) << v.error().message;
  EXPECT_EQ(v.error().kind, ErrorKind::kInvalidArgument);
}

TEST(JsonView, DeepNestingIsNoProblem) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  auto v = parse(deep);
  ASSERT_TRUE(v);
  Elements e(*v);
  View inner;
  ASSERT_TRUE(e.next(inner));
  EXPECT_EQ(inner.text().size(), deep.size() - 2);
}

}  // namespace
}  // namespace berth::json
