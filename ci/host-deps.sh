#!/bin/bash
# Install every host tool that make vm-demo, make check and make test need
# (ci/lib.sh: HOST_TOOLS, from Debian's archive with apt), and check that
# Rust's stable toolchain is there. Run by those targets first; as root on a
# fresh machine it is the only setup step.
RDNA1_FG_LIB_NO_TARGET=1
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
ensure_host_tools
log "host tools: all there"
