#!/bin/bash
# The table of CI kernel targets in docs/testing.md ("Compatibility"), made
# from ci/targets/ and the last resolution (ci/out/targets.resolved, written
# by ci/resolve.sh).
#
# Usage: ci/compat-table.sh [--print | --update | --check]
#   --print   print the table (default)
#   --update  write it into docs/testing.md, between its compat-table markers
#   --check   fail when the document's rows do not name exactly the targets of
#             ci/targets/ (target, suite, package, how CI tests it); when only
#             the resolved kernels differ (the archive moved on), say so and
#             pass
RDNA1_FG_LIB_NO_TARGET=1
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

# The document that holds the table, relative to the repository.
DOC=docs/testing.md
DOC_PATH=$REPO_DIR/$DOC
BEGIN='<!-- compat-table begin: written by ci/compat-table.sh --update -->'
END='<!-- compat-table end -->'

# row NAME: the table row of a target; its first three cells come from
# ci/targets/ alone, the last from the target's last resolution.
row() {
	local name=$1 last status
	load_target_file "$name"
	status=$(resolved_field "$name" STATUS)
	case $status in
	tested) last="\`$(resolved_field "$name" KREL)\` ($(resolved_field "$name" KPKG_VERSION)): rustc $(resolved_field "$name" RUSTC_VERSION), bindgen $(resolved_field "$name" BINDGEN_VERSION), $(resolved_field "$name" CC_VERSION | tr '=' ' ')" ;;
	skipped) last="\`$(resolved_field "$name" KREL)\` ($(resolved_field "$name" KPKG_VERSION)): skipped, $(resolved_field "$name" SKIP_REASON)" ;;
	*) last="not resolved yet" ;;
	esac
	local kernel="${APT_RELEASE:-$SUITE} \`linux-image-$FLAVOUR\`" in_ci=tested
	if [ -n "$ONLY_IF_NEWEST" ]; then in_ci="tested while newer than every other target"; fi
	# A kernel built here (ci/debug-kernel.sh), run when named.
	if [ -n "$BUILD_FROM" ]; then
		kernel="debug build (PREEMPT_RT, KASAN, lockdep, clang) of $kernel's source, from a minimal config (\`ci/debug-kernel.config\`)"
		grep -qx "$name" "$CI_DIR/targets/default.list" || in_ci="when named: \`RDNA1_FG_TARGETS=$name\`"
	fi
	# shellcheck disable=SC2016
	printf '| `%s` | %s | %s | %s |\n' "$name" "$kernel" "$in_ci" "$last"
}

table() {
	local f
	echo "$BEGIN"
	echo "| target | kernel (suite, metapackage) | in CI | last resolved: kernel (version), toolchain |"
	echo "|---|---|---|---|"
	for f in "$CI_DIR"/targets/*.env; do row "$(basename "$f" .env)"; done
	echo "$END"
}

# doc_table: the document's table, markers included.
doc_table() { sed -n "\|^$BEGIN\$|,\|^$END\$|p" "$DOC_PATH"; }

# shape: a table without its last column (what must agree with ci/targets/).
shape() { sed -E 's/^(\|[^|]*\|[^|]*\|[^|]*\|).*/\1/'; }

update() {
	local new
	[ -n "$(doc_table)" ] || die "$DOC has no line '$BEGIN': add it and '$END' where the table goes"
	new=$(mktemp)
	awk -v begin="$BEGIN" -v end="$END" -v table="$(table)" '
		$0 == begin { print table; skip = 1; next }
		$0 == end { skip = 0; next }
		!skip' "$DOC_PATH" >"$new"
	cat "$new" >"$DOC_PATH"
	rm -f "$new"
}

check() {
	local have want
	have=$(doc_table)
	want=$(table)
	[ -n "$have" ] || die "$DOC has no compatibility table ('$BEGIN' ... '$END'): run ci/compat-table.sh --update"
	[ "$have" = "$want" ] && return 0
	if [ "$(echo "$have" | shape)" != "$(echo "$want" | shape)" ]; then
		diff <(echo "$have" | shape) <(echo "$want" | shape) >&2 || true
		die "$DOC's compatibility table does not name the targets of ci/targets/ (diff above: $DOC, then ci/targets/): run ci/compat-table.sh --update and commit $DOC"
	fi
	# Without a resolution (a fresh checkout) only the rows can be compared.
	[ -f "$RESOLVED_SUMMARY" ] || return 0
	log "note: $DOC's compatibility table shows other kernels than the last resolution ($RESOLVED_SUMMARY): ci/compat-table.sh --update refreshes it"
}

case ${1:---print} in
--print) table ;;
--update) update ;;
--check) check ;;
*) die "usage: ci/compat-table.sh [--print | --update | --check]" ;;
esac
