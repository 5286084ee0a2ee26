#!/bin/bash
# Check every shell script of the repository with shellcheck, at every
# severity: the files git knows that end in .sh or whose first line is a
# shebang naming sh, bash or busybox sh, and .ci/run. It runs from the top of
# the checkout with -x, so that the files a script sources are followed where
# its `# shellcheck source=` directives say. Prints shellcheck's findings and
# exits non-zero when there is any, else one line with the count.
set -euo pipefail

if ! command -v shellcheck >/dev/null 2>&1; then
	echo "ci/shellcheck.sh: shellcheck is missing: run 'make host-deps' (it installs Debian's shellcheck package)" >&2
	exit 1
fi

top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$top"

scripts=()
while IFS= read -r -d '' f; do
	# A file in the index but not in the work tree is no script to check.
	[ -f "$f" ] || continue
	case $f in
	*.sh | .ci/run)
		scripts+=("$f")
		continue
		;;
	esac
	first=''
	IFS= read -r first <"$f" 2>/dev/null || true
	if [[ $first =~ ^#!.*[/[:space:]](sh|bash)([[:space:]]|$) ]]; then
		scripts+=("$f")
	fi
done < <(git ls-files -z)

if [ ${#scripts[@]} -eq 0 ]; then
	echo "ci/shellcheck.sh: no shell scripts found in $top" >&2
	exit 1
fi

rc=0
out=$(shellcheck -x "${scripts[@]}" 2>&1) || rc=$?
if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
	printf '%s\n' "$out"
	exit $((rc == 0 ? 1 : rc))
fi
echo "shellcheck: ${#scripts[@]} scripts, no warnings"
