// seccomp: the spec's linux.seccomp compiled with libseccomp in the parent,
// loaded by the container's process itself just before it is exec'd.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace berth::seccomp {

// A compiled filter (a libseccomp context). Move-only; loading it does not
// consume it, so a parent can compile once and children load it.
class Filter {
 public:
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;
  ~Filter();

  // Installs the filter on the calling thread (and, with the TSYNC flag, on
  // all of its threads). Without no_new_privs this needs CAP_SYS_ADMIN.
  Status load() const;

 private:
  friend Result<Filter> compile(const oci::Seccomp&, std::vector<std::string>&);
  explicit Filter(void* ctx) : ctx_(ctx) {}
  void* ctx_ = nullptr;  // scmp_filter_ctx
};

// Compiles the spec's profile. As runc does, syscall names this libseccomp
// does not know are skipped (noted in warnings, so a profile written for a
// newer kernel still works); a rule whose action equals the default is
// dropped. SCMP_ACT_NOTIFY is not supported yet (an error naming the field).
Result<Filter> compile(const oci::Seccomp& s, std::vector<std::string>& warnings);

}  // namespace berth::seccomp
