// What a container's annotations say about sandboxes (runhcs's
// parseSandboxAnnotations): the part of runtime/sandbox.h that reads only the
// spec, so the Windows build (which has no Linux state store) places
// containers by the same rules.
#pragma once

#include <map>
#include <string>

#include "base/result.h"

namespace berth::runtime::sandbox {

// What a container's annotations say about sandboxes.
struct Membership {
  std::string sandbox_id;  // empty: not in a sandbox; a sandbox's own id for a sandbox
  bool is_sandbox = false;
  std::string id_annotation;  // the key the id came from, for error messages
  // podman's containers (CRI-O's dialect, io.container.manager "libpod"):
  // the id names the pod itself when it has no infra container
  // (`pod create --infra=false`).
  bool may_name_no_container = false;
};

// Reads the annotations the way runhcs's parseSandboxAnnotations does: the
// first dialect with a non-empty type wins, in this order:
//   io.kubernetes.cri.container-type / io.kubernetes.cri.sandbox-id   (containerd)
//   io.kubernetes.cri-o.ContainerType / io.kubernetes.cri-o.SandboxID (CRI-O)
//   io.kubernetes.docker.type / io.kubernetes.sandbox.id             (dockershim;
//                                                "podsandbox" means "sandbox")
// Type "sandbox": the container is a sandbox; its id annotation must equal
// the container id (runhcs: "sandbox ID must match ID"), and an empty or
// absent one means the container id (runhcs would refuse it; the intent is
// unambiguous). Type "container": a member of the named sandbox, or of none
// when the id is empty. Any other type: not in a sandbox.
Result<Membership> parse(const std::map<std::string, std::string>& annotations, const std::string& container_id);

}  // namespace berth::runtime::sandbox
