#include "base/json_view.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace berth::json {

namespace {

constexpr size_t kBad = std::string_view::npos;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_space(std::string_view s, size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Bytes a string holds as they are: printable ASCII but '"' and '\\'. The
// loops over them are most of the work of reading a record.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
  return t;
}();

bool is_plain(char c) { return kPlain[static_cast<unsigned char>(c)]; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of the four hex digits at s[i..i+4), or -1.
int hex4(std::string_view s, size_t i) {
  if (i + 4 > s.size()) return -1;
  int v = 0;
  for (size_t k = 0; k < 4; ++k) {
    int h = hex_value(s[i + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

bool is_continuation(std::string_view s, size_t i) {
  return i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80;
}

// The length of the UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0.
size_t utf8_length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  auto next = [&](size_t k, unsigned lo, unsigned hi) {
    if (i + k >= s.size()) return false;
    auto b = static_cast<unsigned char>(s[i + k]);
    return b >= lo && b <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return is_continuation(s, i + 1) ? 2 : 0;
  if (c == 0xE0) return next(1, 0xA0, 0xBF) && is_continuation(s, i + 2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
    return is_continuation(s, i + 1) && is_continuation(s, i + 2) ? 3 : 0;
  if (c == 0xED) return next(1, 0x80, 0x9F) && is_continuation(s, i + 2) ? 3 : 0;
  if (c == 0xF0) return next(1, 0x90, 0xBF) && is_continuation(s, i + 2) && is_continuation(s, i + 3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3)
    return is_continuation(s, i + 1) && is_continuation(s, i + 2) && is_continuation(s, i + 3) ? 4 : 0;
  if (c == 0xF4) return next(1, 0x80, 0x8F) && is_continuation(s, i + 2) && is_continuation(s, i + 3) ? 4 : 0;
  return 0;
}

// Checks the string whose opening quote is s[i]; returns the index after
// its closing quote, or kBad. A \u escape of a high surrogate must be
// followed by one of a low surrogate, and a low one never stands alone.
size_t check_string(std::string_view s, size_t i) {
  for (++i; i < s.size();) {
    while (i < s.size() && is_plain(s[i])) ++i;
    if (i >= s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') return i + 1;
    if (c < 0x20) return kBad;
    if (c < 0x80 && c != '\\') {
      ++i;
    } else if (c != '\\') {
      size_t n = utf8_length(s, i);
      if (n == 0) return kBad;
      i += n;
    } else if (i + 1 < s.size() && s[i + 1] == 'u') {
      int unit = hex4(s, i + 2);
      if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return kBad;
      i += 6;
      if (unit >= 0xD800 && unit <= 0xDBFF) {
        if (i + 1 >= s.size() || s[i] != '\\' || s[i + 1] != 'u') return kBad;
        int low = hex4(s, i + 2);
        if (low < 0xDC00 || low > 0xDFFF) return kBad;
        i += 6;
      }
    } else {
      if (i + 1 >= s.size()) return kBad;
      switch (s[i + 1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't': break;
        default: return kBad;
      }
      i += 2;
    }
  }
  return kBad;
}

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and finite as a double
// (1e999 is refused, as nlohmann refuses it).
size_t check_number(std::string_view s, size_t start) {
  size_t i = start;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size() || !is_digit(s[i])) return kBad;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || !is_digit(s[i])) return kBad;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || !is_digit(s[i])) return kBad;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  // Only an exponent or some 300 digits reach infinity: the common case
  // needs no conversion.
  std::string_view number = s.substr(start, i - start);
  if (number.find_first_of("eE") != std::string_view::npos || number.size() > 300) {
    std::string copy(number);
    if (!std::isfinite(std::strtod(copy.c_str(), nullptr))) return kBad;
  }
  return i;
}

// A string, number or literal starting at s[i]: the index after it, or kBad.
size_t check_scalar(std::string_view s, size_t i) {
  char c = s[i];
  if (c == '"') return check_string(s, i);
  if (c == '-' || is_digit(c)) return check_number(s, i);
  for (std::string_view word : {"true", "false", "null"})
    if (s.substr(i, word.size()) == word) return i + word.size();
  return kBad;
}

// After '{' or ',' in an object: a key and its colon; the index after the colon, or kBad.
size_t check_key(std::string_view s, size_t i) {
  i = skip_space(s, i);
  if (i >= s.size() || s[i] != '"') return kBad;
  i = skip_space(s, check_string(s, i));
  if (i >= s.size() || s[i] != ':') return kBad;
  return i + 1;
}

Type type_at(std::string_view s, size_t i) {
  switch (s[i]) {
    case '{': return Type::kObject;
    case '[': return Type::kArray;
    case '"': return Type::kString;
    case 't': return Type::kTrue;
    case 'f': return Type::kFalse;
    case 'n': return Type::kNull;
    default: return Type::kNumber;
  }
}

// The walkers below run on text parse() checked.

size_t skip_string(std::string_view s, size_t i) {
  for (++i;; ++i) {
    while (is_plain(s[i])) ++i;
    if (s[i] == '"') return i + 1;
    if (s[i] == '\\') ++i;
  }
}

size_t skip_value(std::string_view s, size_t i) {
  char c = s[i];
  if (c == '"') return skip_string(s, i);
  if (c == '{' || c == '[') {
    int depth = 0;
    for (;; ++i) {
      c = s[i];
      if (c == '"') {
        i = skip_string(s, i) - 1;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return i + 1;
      }
    }
  }
  while (i < s.size() && !is_space(s[i]) && s[i] != ',' && s[i] != '}' && s[i] != ']') ++i;
  return i;
}

// In a container's text, from pos (just inside it, or after an item): where
// the next item starts, or kBad at its close (or for no container at all).
size_t next_item(std::string_view s, size_t pos, char close) {
  if (s.empty()) return kBad;
  size_t i = skip_space(s, pos);
  if (s[i] == ',') i = skip_space(s, i + 1);
  return s[i] == close ? kBad : i;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The value of a checked string literal (quotes included) into out.
void unescape(std::string_view lit, std::string& out) {
  out.clear();
  std::string_view s = lit.substr(1, lit.size() - 2);
  for (size_t i = 0; i < s.size();) {
    size_t plain = s.find('\\', i);
    if (plain == std::string_view::npos) plain = s.size();
    out.append(s.substr(i, plain - i));
    i = plain;
    if (i >= s.size()) break;
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        auto cp = static_cast<uint32_t>(hex4(s, i));
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          auto low = static_cast<uint32_t>(hex4(s, i + 2));
          i += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, cp);
        break;
      }
      default: out += e;  // " \ /
    }
  }
}

bool is_integer_text(std::string_view t) { return t.find_first_of(".eE") == std::string_view::npos; }

}  // namespace

std::string View::str() const {
  std::string out;
  if (type_ == Type::kString) unescape(text_, out);
  return out;
}

bool View::get(int64_t& out) const {
  if (type_ != Type::kNumber || !is_integer_text(text_)) return false;
  auto [end, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), out);
  return ec == std::errc() && end == text_.data() + text_.size();
}

bool View::get(uint64_t& out) const {
  if (type_ != Type::kNumber || !is_integer_text(text_) || text_[0] == '-') return false;
  auto [end, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), out);
  return ec == std::errc() && end == text_.data() + text_.size();
}

Members::Members(View object) {
  if (object.is_object()) text_ = object.text_;
  pos_ = 1;
}

bool Members::next(std::string& key, View& value) {
  size_t i = next_item(text_, pos_, '}');
  if (i == kBad) return false;
  size_t key_end = skip_string(text_, i);
  unescape(text_.substr(i, key_end - i), key);
  i = skip_space(text_, skip_space(text_, key_end) + 1);  // past the colon
  size_t end = skip_value(text_, i);
  value = View(type_at(text_, i), text_.substr(i, end - i));
  pos_ = end;
  return true;
}

Elements::Elements(View array) {
  if (array.is_array()) text_ = array.text_;
  pos_ = 1;
}

bool Elements::next(View& value) {
  size_t i = next_item(text_, pos_, ']');
  if (i == kBad) return false;
  size_t end = skip_value(text_, i);
  value = View(type_at(text_, i), text_.substr(i, end - i));
  pos_ = end;
  return true;
}

void append_string(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 0xF];
          out += kHex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

Result<View> parse(std::string_view text) {
  const std::string_view s = text;
  auto bad = [](size_t at) { return invalid("invalid JSON at byte " + std::to_string(at)); };
  std::string open;  // the containers around the current position: '{' or '['
  size_t start = skip_space(s, 0);
  size_t i = start;
  size_t end = kBad;
  bool want_value = true;
  while (end == kBad) {
    if (want_value) {
      i = skip_space(s, i);
      if (i >= s.size()) return bad(i);
      char c = s[i];
      if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        i = skip_space(s, i + 1);
        if (i < s.size() && s[i] == close) {
          ++i;  // empty: a complete value
        } else {
          open += c;
          if (c == '{') {
            size_t k = check_key(s, i);
            if (k == kBad) return bad(i);
            i = k;
          }
          continue;
        }
      } else {
        size_t after = check_scalar(s, i);
        if (after == kBad) return bad(i);
        i = after;
      }
      want_value = false;
    }
    // After a complete value: the end of the text, a comma or a close.
    i = skip_space(s, i);
    if (open.empty()) {
      end = i;
      break;
    }
    if (i >= s.size()) return bad(i);
    char close = open.back() == '{' ? '}' : ']';
    if (s[i] == close) {
      open.pop_back();
      ++i;
    } else if (s[i] == ',') {
      ++i;
      if (open.back() == '{') {
        size_t k = check_key(s, i);
        if (k == kBad) return bad(i);
        i = k;
      }
      want_value = true;
    } else {
      return bad(i);
    }
  }
  if (end != s.size()) return bad(end);
  size_t last = end;
  while (last > start && is_space(s[last - 1])) --last;
  return View(type_at(s, start), s.substr(start, last - start));
}

}  // namespace berth::json
