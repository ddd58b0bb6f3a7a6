// seccomp: the spec's linux.seccomp compiled with libseccomp in the parent
// into a BPF program, and loaded by the container's process itself with
// seccomp(2) just before it is exec'd. Loading does no libseccomp work, and
// berth chooses the load flags itself, so it can pass the ones this
// libseccomp does not know (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV).
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "oci/spec.h"

namespace berth::seccomp {

// A compiled filter: the BPF program and the flags to load it with. Plain
// data, so a parent compiles once and children load it.
class Filter {
 public:
  // Installs the filter on the calling thread (and, with the TSYNC flag, on
  // all of its threads). Without no_new_privs this needs CAP_SYS_ADMIN.
  // Returns the notify listener fd when the profile has SCMP_ACT_NOTIFY
  // rules (close-on-exec), otherwise an empty Fd.
  Result<Fd> load() const;

  // Whether the profile has SCMP_ACT_NOTIFY rules: the listener fd must go
  // to the spec's listenerPath before the process runs.
  bool needs_listener() const { return listener_; }
  // The number of BPF instructions (for tests).
  size_t size() const { return program_.size(); }

 private:
  friend Result<Filter> compile(const oci::Seccomp&, std::vector<std::string>&);
  std::vector<sock_filter> program_;
  unsigned flags_ = 0;
  bool listener_ = false;
};

// The spec's SECCOMP_FILTER_FLAG_* names this kernel accepts (probed with
// seccomp(2): a flag it knows fails on the null program with EFAULT).
std::vector<std::string> supported_flags();

// The version of the libseccomp berth runs with ("2.5.4").
std::string library_version();

// Compiles the spec's profile. As runc does, syscall names this libseccomp
// does not know are skipped (noted in warnings, so a profile written for a
// newer kernel still works); a rule whose action equals the default is
// dropped.
Result<Filter> compile(const oci::Seccomp& s, std::vector<std::string>& warnings);

}  // namespace berth::seccomp
