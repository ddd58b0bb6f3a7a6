#include "runtime/membership.h"

#include "oci/validate.h"

namespace berth::runtime::sandbox {

namespace {

struct Dialect {
  const char* type_key;
  const char* id_key;
};

// runhcs's order (internal/oci/sandbox.go); the first non-empty type wins.
constexpr Dialect kDialects[] = {
    {"io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id"},
    {"io.kubernetes.cri-o.ContainerType", "io.kubernetes.cri-o.SandboxID"},
    {"io.kubernetes.docker.type", "io.kubernetes.sandbox.id"},
};

std::string field(const std::string& key) { return "annotations[" + oci::quote(key) + "]"; }

std::string get(const std::map<std::string, std::string>& a, const char* key) {
  auto it = a.find(key);
  return it == a.end() ? "" : it->second;
}

}  // namespace

Result<Membership> parse(const std::map<std::string, std::string>& annotations, const std::string& container_id) {
  for (const auto& d : kDialects) {
    std::string type = get(annotations, d.type_key);
    if (type.empty()) continue;
    std::string id = get(annotations, d.id_key);
    if (type == "podsandbox" && std::string_view(d.type_key) == "io.kubernetes.docker.type") type = "sandbox";
    Membership m;
    m.id_annotation = d.id_key;
    if (type == "sandbox") {
      if (!id.empty() && id != container_id)
        return invalid(field(d.id_key) + ": sandbox ID must match ID: " + oci::quote(id) +
                       " is not the container's id " + oci::quote(container_id));
      m.sandbox_id = container_id;
      m.is_sandbox = true;
    } else if (type == "container") {
      m.sandbox_id = id;
      // podman never makes a sandbox (its infra has no type annotation), and
      // names the pod itself when the pod has no infra container.
      m.may_name_no_container = std::string_view(d.type_key) == "io.kubernetes.cri-o.ContainerType" &&
                                get(annotations, "io.container.manager") == "libpod";
    }
    return m;
  }
  return Membership{};
}

}  // namespace berth::runtime::sandbox
