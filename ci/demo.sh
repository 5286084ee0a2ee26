#!/bin/bash
# Build everything and show rdna1_fg acting on real KFD: Debian's kernel and
# amdgpu boot in QEMU, the module is loaded with device_id=0 heap_mask=0x1
# (the CPU node's SYSTEM bank, the one bank KFD has without an AMD GPU), and
# the bank's sysfs properties are shown before, while loaded and after rmmod,
# with the module's kernel log lines.
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

"$CI_DIR/buildroot.sh"
"$CI_DIR/build-module.sh"
exec "$CI_DIR/vm.sh" cpu-node-patch
