# shellcheck shell=sh
# module: none
# One boot of make boot-soak: Debian's amdgpu chain loads and KFD has its CPU
# node 0; rdna1_fg is not in the guest.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
pass "amdgpu loaded, $TOPO/nodes/0 exists"
finish
