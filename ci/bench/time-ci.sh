#!/bin/bash
# Time one run of .ci/run (make test: host tests, then every scenario on
# every kernel target) for the CI figure of BENCHMARKS.md, and add a dated
# line to ci/bench/ci-times.tsv, which make bench copies into the report.
# Not run by make bench: one run takes long.
#
# Usage: ci/bench/time-ci.sh cold|warm [NOTE]
#   cold: in a fresh clone of this checkout's HEAD (no ci/out, no cargo
#         target directory) with an empty cache directory (RDNA1_FG_CACHE):
#         the suites are debootstrapped and every build root is made, from
#         the Debian mirror.
#   warm: in this checkout, with the caches as they are.
# Only a run that passes is recorded.
RDNA1_FG_LIB_NO_TARGET=1
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"
kind=${1:-}
note=${2:-}
TABLE=$CI_DIR/bench/ci-times.tsv
case $kind in
cold)
	tmp=$(mktemp -d /var/tmp/rdna1_fg-ci-cold.XXXXXX)
	git clone -q "$REPO_DIR" "$tmp/src"
	export RDNA1_FG_CACHE=$tmp/cache
	dir=$tmp/src
	;;
warm) dir=$REPO_DIR ;;
*) die "usage: ci/bench/time-ci.sh cold|warm [NOTE]" ;;
esac
commit=$(git -C "$dir" rev-parse --short HEAD)
start=$(date +%s)
rc=0
(cd "$dir" && .ci/run) || rc=$?
secs=$(($(date +%s) - start))
[ "$kind" != cold ] || rm -rf "$tmp"
[ "$rc" -eq 0 ] || die ".ci/run failed (exit $rc after $secs s): not recorded"
printf '%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$kind" "$secs" \
	"commit $commit, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg) at the end${note:+; $note}" >>"$TABLE"
log "recorded: $kind $secs s in $TABLE"
