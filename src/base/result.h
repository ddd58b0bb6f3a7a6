// Result<T> and Error: how every fallible berth function reports failure.
//
// The member names follow std::expected (has_value, value, error) so a later
// switch to C++23 is mechanical. No exceptions cross module boundaries.
//
// Contract: an Error's message already carries its context, outermost first:
//   "create web1: mount /proc on /proc: operation not permitted".
// Functions add context on the way up with Error::wrap(); the edge (the CLI or
// the library's caller) reports it once.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace berth {

// What kind of failure this is, so a library caller can branch on it.
enum class ErrorKind {
  kInternal,         // a system call or invariant failed
  kInvalidArgument,  // bad input: config, flags, process JSON
  kNotFound,         // no such container or process
  kAlreadyExists,    // the id is taken
  kConflict,         // the object is in the wrong state for the request
  kNotImplemented,   // berth knows the request but does not do it (yet)
};

struct Error {
  int code = 0;  // errno when the failure came from a system call, else 0
  std::string message;
  ErrorKind kind = ErrorKind::kInternal;

  // Prefixes context: Error{"permission denied"}.wrap("open x") -> "open x: permission denied".
  Error wrap(std::string_view context) const& { return Error{code, std::string(context) + ": " + message, kind}; }
  Error wrap(std::string_view context) && {
    message.insert(0, std::string(context) + ": ");
    return std::move(*this);
  }
};

// An error from the current errno: "what: strerror(errno)".
Error sys_error(std::string_view what, int err = errno);
// strerror(err)'s text, safe on any thread (strerror is not, and libberth
// runs the engine on several).
std::string errno_text(int err);
// An error that is the user's fault (bad config, flag, id).
Error invalid(std::string message);
Error make_error(ErrorKind kind, std::string message);

// "not found", "conflict", ...: how a kind is written down (the JSON log's
// "kind" field, which libberth reads back), and back (kInternal if unknown).
const char* kind_name(ErrorKind kind);
ErrorKind kind_from_name(std::string_view name);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace berth

// Returns the error of a Result-valued expression from the enclosing function.
#define BERTH_TRY(expr)                                        \
  do {                                                         \
    auto berth_try_r_ = (expr);                                \
    if (!berth_try_r_) return std::move(berth_try_r_).error(); \
  } while (0)

// As BERTH_TRY, adding context to the error.
#define BERTH_TRY_CTX(expr, ctx)                                         \
  do {                                                                   \
    auto berth_try_r_ = (expr);                                          \
    if (!berth_try_r_) return std::move(berth_try_r_).error().wrap(ctx); \
  } while (0)
