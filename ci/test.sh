#!/bin/bash
# The QEMU half of the test suite: prepare (or reuse) the build root and
# Debian's kernel, build rdna1_fg.ko, and boot one VM per scenario in
# ci/scenarios/ (or only the scenarios named as arguments).
. "$(dirname "$0")/lib.sh"

"$CI_DIR/buildroot.sh"
"$CI_DIR/build-module.sh"
"$CI_DIR/build-deb.sh"
if [ $# -eq 0 ]; then
	set -- $(cd "$CI_DIR/scenarios" && ls -- *.sh | sed 's/\.sh$//')
fi
exec "$CI_DIR/vm.sh" "$@"
