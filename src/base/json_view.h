// A strict JSON reader that copies nothing: berth's own records (state.json)
// are read by list and state for every container, and a DOM parse of each
// (nlohmann) cost more than every system call of a list together.
//
// parse() checks the whole text against RFC 8259 (UTF-8 included, any
// depth) and returns a View of its top value. A View is a type and the
// exact span of the value in the text; walking it (members, elements, str)
// assumes the text parse() checked, so it never fails and allocates only
// for the strings it hands out. A View points into the text: keep the text
// alive while the View is used.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::json {

enum class Type { kNull, kFalse, kTrue, kNumber, kString, kArray, kObject };

class View {
 public:
  View() = default;
  Type type() const { return type_; }
  // The value exactly as written ("\"a\\n\"" for a string, "{...}" for an object).
  std::string_view text() const { return text_; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_number() const { return type_ == Type::kNumber; }

  // A string's value, unescaped. "" for anything else.
  std::string str() const;
  // An integer (no fraction, no exponent) that fits: false otherwise.
  bool get(int64_t& out) const;
  bool get(uint64_t& out) const;

 private:
  friend Result<View> parse(std::string_view text);
  friend class Members;
  friend class Elements;
  View(Type type, std::string_view text) : type_(type), text_(text) {}
  Type type_ = Type::kNull;
  std::string_view text_ = "null";
};

// The members of an object, in order:
//   json::Members m(v); std::string key; json::View value;
//   while (m.next(key, value)) ...
// Empty for a value that is not an object.
class Members {
 public:
  explicit Members(View object);
  bool next(std::string& key, View& value);

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// The elements of an array, in order; empty for a value that is not one.
class Elements {
 public:
  explicit Elements(View array);
  bool next(View& value);

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// Appends s as a JSON string literal, escaped as nlohmann's dump() escapes
// it (", \\, \b \f \n \r \t, other control characters as \u00xx; UTF-8 as
// is): for output written without building a document (list).
void append_string(std::string& out, std::string_view s);

// Checks text is one JSON value (whitespace around it allowed) and returns
// it. The error names the byte offset of the first thing wrong.
Result<View> parse(std::string_view text);

}  // namespace berth::json
