#!/bin/bash
# Every text marked for the user in the code has a Japanese translation
# (issue 14): the msgids are extracted afresh from every source file with
# the keywords of po/Makevars into a temporary template, po/ja.po is merged
# with it, and the test fails on any msgid it lacks, any fuzzy entry, any
# format that does not match (msgfmt -c), and any source file with marked
# texts that po/POTFILES.in does not list (the catalogue would lack them).
set -euo pipefail
src=${IDMGR_SRCDIR:?run through make check}
for t in xgettext msgmerge msgfmt msgattrib; do
	command -v "$t" >/dev/null || { echo "po_complete: $t missing (apt-get install gettext)"; exit 1; }
done
T=$(mktemp -d /tmp/idmgr-po.XXXXXX)
trap 'rm -rf -- "$T"' EXIT
cd "$src"
keywords=$(sed -n 's/.*XGETTEXT_OPTIONS = *//p' po/Makevars | sed 's/ *\\$//')
keywords="$keywords $(sed -n '/XGETTEXT_OPTIONS/{n;p}' po/Makevars | sed 's/^[[:space:]]*//')"
find lib pam_module idmgr idmgrd slapd_module -name '*.[ch]' | LC_ALL=C sort >"$T/files"
# shellcheck disable=SC2086
xgettext $keywords --language=C --package-name=idmgr -o "$T/all.pot" -f "$T/files"
fail=0
# every file with a marked text is in POTFILES.in
grep -o '^#: [^:]*' "$T/all.pot" | cut -c4- | tr ' ' '\n' | sed 's/:.*//' | LC_ALL=C sort -u >"$T/marked"
grep -v '^#' po/POTFILES.in | sed '/^$/d' | LC_ALL=C sort -u >"$T/listed"
missing=$(LC_ALL=C comm -23 "$T/marked" "$T/listed")
if [[ -n $missing ]]; then
	echo "po_complete: files with marked texts missing from po/POTFILES.in:"; echo "$missing"; fail=1
fi
msgmerge -q --no-wrap --no-fuzzy-matching -o "$T/ja.po" po/ja.po "$T/all.pot"
# The msgids of a catalogue, each on one line, the header's ("") left out;
# a msgid with a newline is written by msgattrib as msgid "" then its lines.
msgids() {
	awk '/^msgid /{m = substr($0, 7); inid = 1; next}
	     inid && /^"/{m = m $0; next}
	     /^msgid_plural |^msgstr/{if (inid && m != "\"\"") print "msgid " m; inid = 0}'
}
untranslated=$(msgattrib --untranslated --no-obsolete --no-wrap "$T/ja.po" | msgids)
# fuzzy in ja.po, or made fuzzy by the merge (a format that does not match
# its msgid's: msgmerge marks it so, and msgfmt would drop it)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete --no-wrap "$T/ja.po" | msgids)
if [[ -n $untranslated ]]; then
	echo "po_complete: po/ja.po lacks a translation of:"; echo "$untranslated"; fail=1
fi
if [[ -n $fuzzy ]]; then
	echo "po_complete: po/ja.po has fuzzy entries (or formats unlike their msgid's):"; echo "$fuzzy"; fail=1
fi
msgfmt -c -o /dev/null "$T/ja.po" || { echo "po_complete: msgfmt -c refuses po/ja.po"; fail=1; }
n=$(grep -c '^msgid "' "$T/all.pot" || true)
((fail == 0)) && echo "po_complete: all $((n - 1)) msgids translated in po/ja.po"
exit "$fail"
