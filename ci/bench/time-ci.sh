#!/bin/bash
# Time one run of .ci/run (make test: host tests, then every scenario on
# every kernel target) for the CI figure of BENCHMARKS.md, and add a dated
# line to ci/bench/ci-times.tsv, which make bench copies into the report.
# Not run by make bench: one run takes long.
#
# Usage: ci/bench/time-ci.sh cold|warm [NOTE]
#   Both run in a fresh clone of this checkout's HEAD (no ci/out, no cargo
#   target directory), as CI does.
#   cold: with an empty cache directory (RDNA1_FG_CACHE): the suites are
#         debootstrapped and every build root is made, from the Debian
#         mirror.
#   warm: with the cache directory as it is (RDNA1_FG_CACHE, default
#         /var/cache/rdna1_fg).
# Only a run that passes is recorded. Measure on an otherwise idle machine.
RDNA1_FG_LIB_NO_TARGET=1
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"
kind=${1:-}
note=${2:-}
TABLE=$CI_DIR/bench/ci-times.tsv
case $kind in
cold | warm) ;;
*) die "usage: ci/bench/time-ci.sh cold|warm [NOTE]" ;;
esac
tmp=$(mktemp -d "/var/tmp/rdna1_fg-ci-$kind.XXXXXX")
git clone -q "$REPO_DIR" "$tmp/src"
if [ "$kind" = cold ]; then export RDNA1_FG_CACHE=$tmp/cache; fi
dir=$tmp/src
commit=$(git -C "$dir" rev-parse --short HEAD)
start=$(date +%s)
rc=0
(cd "$dir" && .ci/run) || rc=$?
secs=$(($(date +%s) - start))
[ "$rc" -eq 0 ] || die ".ci/run failed (exit $rc after $secs s): not recorded (clone and logs kept in $tmp)"
rm -rf "$tmp"
printf '%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$kind" "$secs" \
	"commit $commit, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg) at the end${note:+; $note}" >>"$TABLE"
log "recorded: $kind $secs s in $TABLE"
