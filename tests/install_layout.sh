#!/bin/sh
# install_layout.sh -- "make install DESTDIR=..." into a scratch folder puts
# each file where it belongs (run by "make check"):
#   - the PAM module folder holds pam_idmgr.so and nothing else (no libtool
#     .la file: PAM would never load it, and it names build paths);
#   - no .la file anywhere.
#
# Environment (from AM_TESTS_ENVIRONMENT): IDMGR_BUILDDIR, the build folder;
# IDMGR_SECUREDIR, the configured PAM module folder; MAKE.
set -eu

builddir=${IDMGR_BUILDDIR:?IDMGR_BUILDDIR not set (run through make check)}
securedir=${IDMGR_SECUREDIR:?IDMGR_SECUREDIR not set (run through make check)}
dest=$(mktemp -d "${TMPDIR:-/tmp}/idmgr-install-XXXXXX")
trap 'rm -rf "$dest"' EXIT
failed=0
fail() { echo "install_layout: FAIL: $*"; failed=1; }

if ! ${MAKE:-make} -C "$builddir" install DESTDIR="$dest" >"$dest/.log" 2>&1; then
	cat "$dest/.log"
	echo "install_layout: FAIL: make install DESTDIR=$dest failed"
	exit 1
fi
rm -f "$dest/.log"

[ -f "$dest$securedir/pam_idmgr.so" ] || fail "no pam_idmgr.so in $securedir"
others=$(find "$dest$securedir" -mindepth 1 ! -name pam_idmgr.so)
[ -z "$others" ] || fail "the PAM module folder holds more than pam_idmgr.so: $others"
la=$(find "$dest" -name '*.la')
[ -z "$la" ] || fail "libtool archives installed: $la"

[ $failed -eq 0 ] && echo "install_layout: ok ($(find "$dest" -type f | wc -l) files installed)"
exit $failed
