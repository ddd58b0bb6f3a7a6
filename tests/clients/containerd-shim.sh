#!/bin/sh
# containerd with berth's own shim, containerd-shim-berth-v2 (the scenarios
# of containerd.sh, then the shim's own): tests/clients/containerd-shim.sh build/berth
. "$(dirname "$0")/containerd.sh"
