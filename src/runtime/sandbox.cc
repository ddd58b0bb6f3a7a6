#include "runtime/sandbox.h"

#include <algorithm>

#include "oci/names.h"
#include "oci/validate.h"

namespace berth::runtime::sandbox {

namespace {

std::string field(const std::string& key) { return "annotations[" + oci::quote(key) + "]"; }

}  // namespace

Result<std::optional<Sandbox>> check_member(const state::Store& store, const Membership& m) {
  std::string ctx = field(m.id_annotation);
  if (auto r = state::validate_id(m.sandbox_id); !r) return invalid(ctx + ": sandbox " + r.error().message);
  auto c = load(store, m.sandbox_id, true);
  if (!c) {
    if (c.error().kind == ErrorKind::kNotFound && m.may_name_no_container) return std::optional<Sandbox>();
    if (c.error().kind == ErrorKind::kNotFound)
      return make_error(ErrorKind::kNotFound, ctx + ": sandbox " + oci::quote(m.sandbox_id) + " does not exist");
    return std::move(c).error().wrap(ctx + ": sandbox " + oci::quote(m.sandbox_id));
  }
  if (!is_sandbox(c->st)) return std::optional<Sandbox>();
  if (!state::can_kill(c->status))  // created, running or paused: an init to join
    return make_error(ErrorKind::kConflict, ctx + ": sandbox " + oci::quote(m.sandbox_id) + " is " +
                                                state::status_name(c->status) + ", not running");
  return std::optional<Sandbox>(Sandbox{std::move(*c)});
}

Result<std::vector<Member>> members(const state::Store& store, const std::string& sandbox_id) {
  auto ids = store.list();
  if (!ids) return std::move(ids).error();
  std::vector<Member> out;
  for (const auto& id : *ids) {
    if (id == sandbox_id) continue;
    auto c = load(store, id, false);
    if (!c) continue;  // deleted while we looked
    if (c->st.sandbox == sandbox_id) out.push_back({id, c->status});
  }
  return out;
}

}  // namespace berth::runtime::sandbox
