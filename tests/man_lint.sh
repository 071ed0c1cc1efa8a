#!/bin/sh
# man_lint.sh -- lint the hand-written man pages (run by "make check").
#
# Environment: MANDOC, the path of mandoc(1) found by configure (empty when
# it was not found: the test is skipped, status 77); IDMGR_SRCDIR, the
# absolute source folder (default: the parent of this script's folder).
#
# Every man/*.5, man/*.7 and man/*.8 page must pass "mandoc -T lint -W warning" with
# no message at all, declare in .TH the section its file name says, and have
# the sections NAME, SYNOPSIS, DESCRIPTION and SEE ALSO (section 5 pages may
# leave out SYNOPSIS, as may section 7 pages).

set -u

srcdir=${IDMGR_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
mandoc=${MANDOC:-}

if [ -z "$mandoc" ]; then
	echo "man_lint: SKIP: mandoc not found by configure (Debian: apt-get install mandoc)"
	exit 77
fi
if [ ! -x "$mandoc" ] && ! command -v "$mandoc" >/dev/null 2>&1; then
	echo "man_lint: FAIL: MANDOC=$mandoc is not an executable" >&2
	exit 1
fi

failed=0
count=0

fail() {
	echo "man_lint: FAIL: $*" >&2
	failed=1
}

# has_section PAGE NAME: the page has ".SH NAME" (the name quoted or not).
has_section() {
	grep -Eq "^\\.SH[[:space:]]+\"?$2\"?[[:space:]]*\$" "$1"
}

for page in "$srcdir"/man/*.[578]; do
	[ -f "$page" ] || continue
	count=$((count + 1))
	name=${page##*/}
	section=${name##*.}

	out=$("$mandoc" -T lint -W warning "$page" 2>&1)
	rc=$?
	if [ -n "$out" ] || [ "$rc" -ne 0 ]; then
		fail "$name: mandoc -T lint -W warning (exit $rc):"
		printf '%s\n' "$out" >&2
	fi

	th=$(sed -n 's/^\.TH[[:space:]]\{1,\}[^[:space:]]\{1,\}[[:space:]]\{1,\}\([^[:space:]]\{1,\}\).*/\1/p' "$page" | head -n 1)
	if [ "$th" != "$section" ]; then
		fail "$name: .TH gives section \"$th\", the file name says $section"
	fi

	required="NAME DESCRIPTION SEE.ALSO"
	[ "$section" = 5 ] || [ "$section" = 7 ] || required="NAME SYNOPSIS DESCRIPTION SEE.ALSO"
	for s in $required; do
		has_section "$page" "$s" || fail "$name: no .SH $(echo "$s" | tr . ' ') section"
	done
done

if [ "$count" -eq 0 ]; then
	fail "no man pages in $srcdir/man"
fi
if [ "$failed" -ne 0 ]; then
	exit 1
fi
echo "man_lint: $count pages clean"
exit 0
