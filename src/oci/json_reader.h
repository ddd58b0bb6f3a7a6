// ObjectReader: reads typed fields of a JSON object while tracking the JSON
// path, for the runtime-spec parsers.
//
// Contract: the first failure is recorded in `error` (kInvalidArgument, its
// message "PATH: what went wrong") and every later call is a no-op, so a
// parser can read all its fields without checking after each one. A field
// that is absent or JSON null leaves the output untouched (Go's encoding/json
// treats null the same way); with required=true that is an error instead.
// Unknown keys are ignored. No method throws.
//
// Only the parser's .cc files include this header: nlohmann/json.hpp is slow
// to compile.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace berth::oci {

class ObjectReader {
 public:
  // obj must be a JSON object; path is its JSON path ("" at the top level).
  ObjectReader(const nlohmann::json& obj, std::string path);

  // The JSON path of a member of this object: path_of("uid") == "process.user.uid".
  // subpath may carry an index ("args[2]"); "" names the object itself.
  std::string path_of(std::string_view subpath) const;

  // Records "path_of(subpath): msg" unless an error is already recorded.
  void fail(std::string_view subpath, std::string msg);
  bool ok() const { return !error.has_value(); }

  void str(const char* key, std::string& out, bool required = false);
  void boolean(const char* key, bool& out, bool required = false);
  void boolean(const char* key, std::optional<bool>& out);

  // Integers must be JSON integers in T's range: 1.0, 1e3 and -1 (for an
  // unsigned T) are errors, as in Go. Instantiated for uint16_t, int32_t,
  // uint32_t, int64_t and uint64_t.
  template <class T>
  void integer(const char* key, T& out, bool required = false);
  template <class T>
  void integer(const char* key, std::optional<T>& out);
  template <class T>
  void integers(const char* key, std::vector<T>& out);

  void strings(const char* key, std::vector<std::string>& out);
  // An object whose values are all strings.
  void string_map(const char* key, std::map<std::string, std::string>& out);

  // Calls f(ObjectReader&) for the member object `key` when it is present.
  template <class F>
  void object(const char* key, F f, bool required = false) {
    const nlohmann::json* v = member(key, nlohmann::json::value_t::object, "object", required);
    if (!v) return;
    ObjectReader child(*v, path_of(key));
    f(child);
    adopt(child);
  }

  // Calls f(ObjectReader&) for each element of the array `key`; each element
  // must be an object.
  template <class F>
  void array(const char* key, F f) {
    const nlohmann::json* v = member(key, nlohmann::json::value_t::array, "array", false);
    if (!v) return;
    for (size_t i = 0; i < v->size() && ok(); ++i) {
      std::string sub = std::string(key) + "[" + std::to_string(i) + "]";
      if (!expect((*v)[i], nlohmann::json::value_t::object, "object", sub)) return;
      ObjectReader child((*v)[i], path_of(sub));
      f(child);
      adopt(child);
    }
  }

  // Calls f(name, ObjectReader&) for each member of the object `key`; each
  // member's value must be an object.
  template <class F>
  void object_map(const char* key, F f) {
    const nlohmann::json* v = member(key, nlohmann::json::value_t::object, "object", false);
    if (!v) return;
    for (auto it = v->begin(); it != v->end() && ok(); ++it) {
      std::string sub = std::string(key) + "." + it.key();
      if (!expect(it.value(), nlohmann::json::value_t::object, "object", sub)) return;
      ObjectReader child(it.value(), path_of(sub));
      f(it.key(), child);
      adopt(child);
    }
  }

  std::optional<Error> error;

 private:
  // The member `key` if present, non-null and of type t; otherwise nullptr,
  // with an error recorded for a wrong type or a missing required member.
  const nlohmann::json* member(const char* key, nlohmann::json::value_t t, const char* expected, bool required);
  // Records "subpath: expected <expected>, got <type>" unless v has type t.
  bool expect(const nlohmann::json& v, nlohmann::json::value_t t, const char* expected, std::string_view subpath);
  void adopt(ObjectReader& child);

  const nlohmann::json& obj_;
  std::string path_;
};

}  // namespace berth::oci
