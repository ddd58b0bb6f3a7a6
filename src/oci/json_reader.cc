#include "oci/json_reader.h"

#include <string>
#include <type_traits>
#include <utility>

namespace berth::oci {

using nlohmann::json;

namespace {

template <class T>
constexpr const char* int_name() {
  if constexpr (std::is_same_v<T, uint16_t>) return "unsigned 16-bit integer";
  if constexpr (std::is_same_v<T, int32_t>) return "32-bit integer";
  if constexpr (std::is_same_v<T, uint32_t>) return "unsigned 32-bit integer";
  if constexpr (std::is_same_v<T, uint64_t>) return "unsigned integer";
  return "integer";
}

// Converts a JSON integer that fits T; floats never convert, even 1.0, as in Go.
template <class T>
bool to_int(const json& v, T& out) {
  if (v.is_number_unsigned()) {  // check first: is_number_integer() is true for unsigned too
    auto u = v.get<uint64_t>();
    if (!std::in_range<T>(u)) return false;
    out = static_cast<T>(u);
    return true;
  }
  if (v.is_number_integer()) {
    auto i = v.get<int64_t>();
    if (!std::in_range<T>(i)) return false;
    out = static_cast<T>(i);
    return true;
  }
  return false;
}

// What a wrong value for an integer field was, for "expected X, got Y": a
// number shows its value (-1, 1.5, 1e+20), anything else its type.
std::string describe(const json& v) {
  if (v.is_number()) return v.dump();
  return v.type_name();
}

}  // namespace

ObjectReader::ObjectReader(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

std::string ObjectReader::path_of(std::string_view subpath) const {
  if (path_.empty()) return std::string(subpath);
  if (subpath.empty()) return path_;
  return path_ + "." + std::string(subpath);
}

void ObjectReader::fail(std::string_view subpath, std::string msg) {
  if (error) return;
  std::string where = path_of(subpath);
  error = invalid(where.empty() ? std::move(msg) : where + ": " + msg);
}

bool ObjectReader::expect(const json& v, json::value_t t, const char* expected, std::string_view subpath) {
  if (v.type() == t) return true;
  fail(subpath, std::string("expected ") + expected + ", got " + v.type_name());
  return false;
}

const json* ObjectReader::member(const char* key, json::value_t t, const char* expected, bool required) {
  if (error) return nullptr;
  auto it = obj_.find(key);
  if (it == obj_.end() || it->is_null()) {
    if (required) fail(key, "required field is missing");
    return nullptr;
  }
  return expect(*it, t, expected, key) ? &*it : nullptr;
}

void ObjectReader::adopt(ObjectReader& child) {
  if (child.error && !error) error = std::move(child.error);
}

void ObjectReader::str(const char* key, std::string& out, bool required) {
  if (const json* v = member(key, json::value_t::string, "string", required)) out = v->get_ref<const std::string&>();
}

void ObjectReader::boolean(const char* key, bool& out, bool required) {
  if (const json* v = member(key, json::value_t::boolean, "boolean", required)) out = v->get<bool>();
}

void ObjectReader::boolean(const char* key, std::optional<bool>& out) {
  if (const json* v = member(key, json::value_t::boolean, "boolean", false)) out = v->get<bool>();
}

template <class T>
void ObjectReader::integer(const char* key, T& out, bool required) {
  if (error) return;
  auto it = obj_.find(key);
  if (it == obj_.end() || it->is_null()) {
    if (required) fail(key, "required field is missing");
    return;
  }
  if (!to_int(*it, out)) fail(key, std::string("expected ") + int_name<T>() + ", got " + describe(*it));
}

template <class T>
void ObjectReader::integer(const char* key, std::optional<T>& out) {
  if (error) return;
  auto it = obj_.find(key);
  if (it == obj_.end() || it->is_null()) return;
  T value{};
  if (!to_int(*it, value)) {
    fail(key, std::string("expected ") + int_name<T>() + ", got " + describe(*it));
    return;
  }
  out = value;
}

template <class T>
void ObjectReader::integers(const char* key, std::vector<T>& out) {
  const json* v = member(key, json::value_t::array, "array", false);
  if (!v) return;
  out.clear();
  for (size_t i = 0; i < v->size(); ++i) {
    T value{};
    if (!to_int((*v)[i], value)) {
      fail(std::string(key) + "[" + std::to_string(i) + "]",
           std::string("expected ") + int_name<T>() + ", got " + describe((*v)[i]));
      return;
    }
    out.push_back(value);
  }
}

void ObjectReader::strings(const char* key, std::vector<std::string>& out) {
  const json* v = member(key, json::value_t::array, "array", false);
  if (!v) return;
  out.clear();
  for (size_t i = 0; i < v->size(); ++i) {
    if (!expect((*v)[i], json::value_t::string, "string", std::string(key) + "[" + std::to_string(i) + "]")) return;
    out.push_back((*v)[i].get<std::string>());
  }
}

void ObjectReader::string_map(const char* key, std::map<std::string, std::string>& out) {
  const json* v = member(key, json::value_t::object, "object", false);
  if (!v) return;
  out.clear();
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!expect(it.value(), json::value_t::string, "string", std::string(key) + "." + it.key())) return;
    out[it.key()] = it.value().get<std::string>();
  }
}

// T is a type, which parentheses would not let through.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define BERTH_INSTANTIATE(T)                                              \
  template void ObjectReader::integer<T>(const char*, T&, bool);          \
  template void ObjectReader::integer<T>(const char*, std::optional<T>&); \
  template void ObjectReader::integers<T>(const char*, std::vector<T>&);
// NOLINTEND(bugprone-macro-parentheses)
BERTH_INSTANTIATE(uint16_t)
BERTH_INSTANTIATE(int32_t)
BERTH_INSTANTIATE(uint32_t)
BERTH_INSTANTIATE(int64_t)
BERTH_INSTANTIATE(uint64_t)
#undef BERTH_INSTANTIATE

}  // namespace berth::oci
