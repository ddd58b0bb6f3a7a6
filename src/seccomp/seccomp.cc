#include "seccomp/seccomp.h"

#include <seccomp.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace berth::seccomp {

namespace {

const std::string kBase = "linux.seccomp";

Result<uint32_t> action_of(const std::string& name, std::optional<uint32_t> errno_ret,
                           std::optional<uint32_t> default_errno, const std::string& field) {
  uint32_t err = errno_ret.value_or(default_errno.value_or(EPERM));
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(err);
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(err);
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY")
    return make_error(ErrorKind::kNotImplemented, field + ": SCMP_ACT_NOTIFY is not supported yet");
  return invalid(field + ": unknown seccomp action \"" + name + "\"");
}

scmp_compare op_of(const std::string& op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  return SCMP_CMP_MASKED_EQ;  // the validator allows nothing else
}

// "SCMP_ARCH_X86_64" -> libseccomp's token, 0 when this libseccomp lacks it.
uint32_t arch_of(const std::string& name) {
  std::string lower;
  for (char c : name.substr(std::strlen("SCMP_ARCH_")))
    lower += static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return seccomp_arch_resolve_name(lower.c_str());
}

Error lib_error(const std::string& field, int rc) {
  return Error{-rc, field + ": " + std::strerror(-rc)};
}

}  // namespace

Filter::Filter(Filter&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}
Filter& Filter::operator=(Filter&& o) noexcept {
  if (this != &o) {
    if (ctx_) seccomp_release(ctx_);
    ctx_ = std::exchange(o.ctx_, nullptr);
  }
  return *this;
}
Filter::~Filter() {
  if (ctx_) seccomp_release(ctx_);
}

Status Filter::load() const {
  if (int rc = seccomp_load(ctx_); rc < 0) return lib_error("load seccomp filter", rc);
  return {};
}

Result<Filter> compile(const oci::Seccomp& s, std::vector<std::string>& warnings) {
  auto def = action_of(s.default_action, std::nullopt, s.default_errno_ret, kBase + ".defaultAction");
  if (!def) return std::move(def).error();
  scmp_filter_ctx raw = seccomp_init(*def);
  if (raw == nullptr) return Error{EINVAL, kBase + ": seccomp_init failed"};
  Filter filter(raw);
  // berth sets no_new_privs itself, from process.noNewPrivileges.
  if (int rc = seccomp_attr_set(raw, SCMP_FLTATR_CTL_NNP, 0); rc < 0) return lib_error(kBase, rc);

  for (size_t i = 0; i < s.architectures.size(); ++i) {
    uint32_t arch = arch_of(s.architectures[i]);
    if (arch == 0) {
      warnings.push_back(kBase + ".architectures[" + std::to_string(i) + "]: " + s.architectures[i] +
                         " unknown to this libseccomp, skipped");
      continue;
    }
    int rc = seccomp_arch_add(raw, arch);
    if (rc < 0 && rc != -EEXIST) return lib_error(kBase + ".architectures[" + std::to_string(i) + "]", rc);
  }
  for (size_t i = 0; i < s.flags.size(); ++i) {
    const std::string& f = s.flags[i];
    std::string field = kBase + ".flags[" + std::to_string(i) + "]";
    int rc = 0;
    if (f == "SECCOMP_FILTER_FLAG_TSYNC") rc = seccomp_attr_set(raw, SCMP_FLTATR_CTL_TSYNC, 1);
    else if (f == "SECCOMP_FILTER_FLAG_LOG") rc = seccomp_attr_set(raw, SCMP_FLTATR_CTL_LOG, 1);
    else if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") rc = seccomp_attr_set(raw, SCMP_FLTATR_CTL_SSB, 1);
    else return make_error(ErrorKind::kNotImplemented, field + ": " + f + " needs a newer libseccomp");
    if (rc < 0) return lib_error(field, rc);
  }

  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    const auto& rule = s.syscalls[i];
    std::string field = kBase + ".syscalls[" + std::to_string(i) + "]";
    auto action = action_of(rule.action, rule.errno_ret, s.default_errno_ret, field + ".action");
    if (!action) return std::move(action).error();
    if (*action == *def) continue;  // libseccomp refuses a rule that changes nothing
    std::vector<scmp_arg_cmp> conds;
    bool repeated_index = false;
    for (size_t a = 0; a < rule.args.size(); ++a) {
      const auto& arg = rule.args[a];
      for (size_t b = 0; b < a; ++b) repeated_index = repeated_index || rule.args[b].index == arg.index;
      conds.push_back(scmp_arg_cmp{arg.index, op_of(arg.op), arg.value, arg.value_two});
    }
    for (const auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        warnings.push_back(field + ": unknown syscall " + name + ", skipped");
        continue;
      }
      int rc;
      if (repeated_index) {
        // libseccomp cannot AND two conditions on one argument: like runc,
        // one rule per condition (any of them matches).
        rc = 0;
        for (const auto& c : conds)
          if (rc >= 0) rc = seccomp_rule_add_array(raw, *action, nr, 1, &c);
      } else {
        rc = seccomp_rule_add_array(raw, *action, nr, static_cast<unsigned>(conds.size()), conds.data());
      }
      if (rc < 0) return lib_error(field + " (" + name + ")", rc);
    }
  }
  return filter;
}

}  // namespace berth::seccomp
