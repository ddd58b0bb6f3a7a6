// A Windows container's OCI spec as the documents the Host Compute Service
// (HCS) takes, with the checks the seeds make: runhcs's placement rules
// (cmd/runhcs/container.go), and the spec's translation as moby's
// libcontainerd `local` client (schema v1 ContainerConfig) and hcsshim's
// createWindowsContainerDocument (schema v2 ComputeSystem) do it.
//
// Pure functions: no Windows headers, no system calls, nothing printed. What
// only the host can tell (its processor count, a layer's id, which layer
// holds the utility VM image, where a utility VM sees a host path, the
// records of other containers) comes in as values or callbacks, so the
// translation is the same on Linux as on Windows, and tests are
// deterministic. What the seeds log as a warning is returned.
//
// Errors are kInvalidArgument (kNotFound for a sandbox or host that has no
// record) and start with the JSON path of the value at fault, as every
// config error in berth does:
//   windows.layerFolders: at least two layer folders are needed ...
//   mounts[2].type: must be empty for a Windows container, got "bind"
//   annotations["io.kubernetes.cri.sandbox-id"]: sandbox ID must match ID ...
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace berth::platform::hcs {

// Windows Server 2019 (RS5, build 17763): from this build on a Hyper-V
// isolated container runs in a utility VM of its own (HCS schema v2).
constexpr uint32_t kBuildRS5 = 17763;

// ---- Placement: which sandbox, and which utility VM (runhcs) ----

// A container's record as placement reads it (runhcs's persistedState).
struct Record {
  std::string id;
  std::string sandbox_id;  // SandboxID: the sandbox it is, or belongs to
  std::string host_id;     // HostID: the container whose utility VM it runs in
  bool is_host = false;    // IsHost: it owns a utility VM
};

struct PlacementRequest {
  std::string id;
  const oci::Spec* spec = nullptr;
  // What the annotations say (runtime/sandbox.h, sandbox::parse): the
  // sandbox this container is (is_sandbox) or belongs to, and the annotation
  // that named it, for errors.
  std::string sandbox_id;
  bool is_sandbox = false;
  std::string id_annotation;
  // The utility VM host asked for (runhcs's --host); empty: the sandbox's.
  std::string requested_host;
  uint32_t os_build = kBuildRS5;
  // The record of the container with this id, nullopt if there is none.
  std::function<std::optional<Record>(const std::string& id)> lookup;
};

struct Placement {
  std::string sandbox_id;
  std::string host_id;       // whose utility VM hosts this container; empty: none
  bool vm_isolated = false;  // the spec asks for Hyper-V isolation
  bool new_vm = false;       // this container's create starts the VM: host_id == id
};

// runhcs's rules: a sandbox's id annotation must be its own id; a member's
// sandbox must exist and be a sandbox; a requested host must be the
// sandbox's; a Hyper-V member needs a sandbox with a VM; a host must own a
// VM. A Hyper-V sandbox (or, from RS5, any Hyper-V container without a
// host) gets a VM of its own.
Result<Placement> place(const PlacementRequest& req);

// ---- Translation: the documents ----

// The utility VM a hosted (Hyper-V) container is created in.
struct HostingSystem {
  std::string id;          // the VM's compute system id: the v2 HostingSystemId
  uint32_t cpu_count = 0;  // its processors: the container's count is clamped to these
  std::string root_path;   // the container's root as mounted in the VM; empty until mounted
  // Where the VM sees a host path shared into it (a layer folder, a mapped
  // directory's source); nullopt when it is not shared. Unset: paths are
  // written as the host sees them (before anything is shared: prepare).
  std::function<std::optional<std::string>(const std::string& host_path)> guest_path;
};

struct Request {
  std::string id;
  std::string owner = "berth";  // HCS's Owner: the management stack that made the container
  const oci::Spec* spec = nullptr;
  // Relative root and layer folder paths are taken from here, as runhcs
  // takes them from its working directory (the bundle).
  std::string bundle;
  uint32_t host_cpu_count = 1;           // logical processors of the host
  std::optional<HostingSystem> hosting;  // set: the v2 document is a hosted one
  // The network namespace to join (runhcs: networkNamespace, or the one of
  // networkSharedContainerName's container); empty: the spec's.
  std::string network_namespace;
  // HCS names a layer by a GUID made from its folder's name (NameToGuid);
  // the platform asks HCS, tests pass a table.
  std::function<std::string(const std::string& folder)> layer_id;
  // Whether folder\UtilityVM exists: the v1 Hyper-V document boots the
  // topmost layer's utility VM image.
  std::function<bool(const std::string& folder)> has_utility_vm;
};

struct Documents {
  // The v2 ComputeSystem (HcsCreateComputeSystem's configuration) as compact
  // JSON; empty for a Hyper-V container with no hosting system (from RS5 a
  // Hyper-V container is always hosted in a utility VM; before, HCS takes v1).
  std::string compute_system;
  // The v1 ContainerConfig, as moby's local client sends it.
  std::string container_config;
  std::vector<std::string> warnings;  // each starts with the JSON path it is about
};

Result<Documents> translate(const Request& req);

// True for \\?\Volume{GUID} with or without the trailing backslash.
bool is_volume_guid_path(std::string_view path);

}  // namespace berth::platform::hcs
