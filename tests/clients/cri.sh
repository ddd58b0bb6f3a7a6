#!/bin/sh
# containerd's CRI plugin (what the kubelet talks to) with berth's shim as
# the runtime handler "berth" (runtime_type io.containerd.berth.v2), driven
# by a CRI test client (cri_client.py, python3-grpcio):
#   tests/clients/cri.sh build/berth
# A private containerd as in containerd.sh, with CRI on. The pod's network
# is a namespace of its own with loopback and an eth0 whose other end stays
# in the pod too (cni-pod-only, a CNI plugin of the suite's), so no host
# interface, route or iptables rule is touched.
needs="containerd ctr protoc /usr/bin/python3 /usr/lib/cni/loopback"
. "$(dirname "$0")/common.sh"

/usr/bin/python3 -c 'import grpc, google.protobuf' 2>/dev/null ||
  skip "python3-grpcio and python3-protobuf are not installed (make deps)"
bindir=$(dirname "$runtime")
[ -x "$bindir/containerd-shim-berth-v2" ] || { echo "no containerd-shim-berth-v2 beside $runtime"; exit 1; }
PATH="$bindir:$PATH"
export BERTH_CONTAINERD_ROOT="$work/berth-state"

mkdir -p "$work/cni" "$work/cni-bin"
ln -s /usr/lib/cni/loopback "$work/cni-bin/loopback"
ln -s "$here/cni-pod-only" "$work/cni-bin/cni-pod-only"
cat > "$work/cni/10-pod-only.conflist" <<CONF
{"cniVersion": "0.4.0", "name": "berth-pod-only", "plugins": [{"type": "cni-pod-only"}]}
CONF
cat > "$work/containerd.toml" <<CONF
version = 2
root = "$work/root"
state = "$work/state"
disabled_plugins = ["io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$work/containerd.sock"
[ttrpc]
  address = "$work/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/berth-pause:latest"
  disable_apparmor = true
  # The pause container's -998 needs CAP_SYS_RESOURCE, which test machines'
  # bounding sets may lack (runc fails the same way): containerd's own then.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "berth"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.berth]
      runtime_type = "io.containerd.berth.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$work/cni-bin"
    conf_dir = "$work/cni"
CONF
. "$here/containerd-common.sh"
start_containerd
c() { ctr --address "$work/containerd.sock" --namespace k8s.io "$@"; }
cleanup_client() { stop_containerd; }
wait_for 20 c version

# The images CRI runs, in its namespace: busybox, and as the pod's sandbox
# ("pause") image busybox sleeping.
"$here/oci-archive.sh" "$rootfs_tar" localhost/berth-busybox:latest "$work/image.tar"
"$here/oci-archive.sh" "$rootfs_tar" localhost/berth-pause:latest "$work/pause.tar" '["sleep","2147483647"]'
c images import --snapshotter native "$work/image.tar" >/dev/null
c images import --snapshotter native "$work/pause.tar" >/dev/null
protoc --proto_path="$here" --python_out="$work" "$here/cri_api.proto"

cri() { /usr/bin/python3 "$here/cri_client.py" "$work/containerd.sock" berth "$work" "$cgparent" "$work" "$@"; }
t_pod() { cri pod; }
# containerd killed and restarted while a pod runs; a container exits meanwhile.
t_restart() {
  cri before-restart
  kill -9 "$containerd_pid"
  wait "$containerd_pid" 2>/dev/null || true
  sleep 3
  start_containerd
  wait_for 20 c version
  cri after-restart
}

scenario pod-two-containers t_pod
scenario containerd-restart t_restart
finish
