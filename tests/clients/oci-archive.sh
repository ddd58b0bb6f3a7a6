#!/bin/sh
# Wraps a rootfs tarball into an OCI image archive (oci-layout, index.json,
# blobs/sha256/...) that `ctr images import` takes, with no registry:
#   oci-archive.sh ROOTFS.tar NAME OUT.tar [CMD-JSON]
# CMD-JSON is the image's command (default ["sh"]).
set -eu
layer=$1
name=$2
out=$3
cmd=${4:-'["sh"]'}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/blobs/sha256"

# blob FILE: stores FILE under its digest and prints "DIGEST SIZE".
blob() {
  d=$(sha256sum "$1" | cut -d' ' -f1)
  cp "$1" "$dir/blobs/sha256/$d"
  echo "sha256:$d $(stat -c %s "$1")"
}

arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)  # Go names: amd64, arm64
b=$(blob "$layer")
layer_digest=${b% *} layer_size=${b#* }
# An uncompressed layer: its digest is also its diff id.
printf '{"architecture":"%s","os":"linux","config":{"Cmd":%s,"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
  "$arch" "$cmd" "$layer_digest" > "$dir/config.json"
b=$(blob "$dir/config.json")
config_digest=${b% *} config_size=${b#* }
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
  "$config_digest" "$config_size" "$layer_digest" "$layer_size" > "$dir/manifest.json"
b=$(blob "$dir/manifest.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"latest"}}]}' \
  "${b% *}" "${b#* }" "$arch" "$name" > "$dir/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
rm "$dir/config.json" "$dir/manifest.json"
tar -C "$dir" -cf "$out" oci-layout index.json blobs
