#!/bin/sh
# install_layout.sh -- "make install DESTDIR=..." into a scratch folder puts
# each file where it belongs (run by "make check"):
#   - the PAM module folder holds pam_idmgr.so and nothing else (no libtool
#     .la file: PAM would never load it, and it names build paths);
#   - no .la file anywhere;
#   - bindir holds idmgr only: idmgr-sandbox, a test tool, is in
#     pkglibexecdir;
#   - the sweep's systemd units are in the configured unit folder, with the
#     configured paths of idmgr and its configuration (none left as @name@);
#   - Debian's pam-auth-update profile is $(datadir)/pam-configs/idmgr
#     (/usr/share/pam-configs/idmgr with prefix /usr), as shipped.
#
# Environment (from AM_TESTS_ENVIRONMENT): IDMGR_BUILDDIR, the build folder;
# IDMGR_SECUREDIR, IDMGR_BINDIR, IDMGR_SYSCONFDIR, IDMGR_PKGLIBEXECDIR and
# IDMGR_UNITDIR, the configured folders (the last empty without units);
# IDMGR_PAMCONFIGSDIR, $(datadir)/pam-configs; IDMGR_SRCDIR; MAKE.
set -eu

builddir=${IDMGR_BUILDDIR:?IDMGR_BUILDDIR not set (run through make check)}
securedir=${IDMGR_SECUREDIR:?IDMGR_SECUREDIR not set (run through make check)}
bindir=${IDMGR_BINDIR:?IDMGR_BINDIR not set (run through make check)}
sysconfdir=${IDMGR_SYSCONFDIR:?IDMGR_SYSCONFDIR not set (run through make check)}
libexec=${IDMGR_PKGLIBEXECDIR:?IDMGR_PKGLIBEXECDIR not set (run through make check)}
unitdir=${IDMGR_UNITDIR:-}
pamconfigs=${IDMGR_PAMCONFIGSDIR:?IDMGR_PAMCONFIGSDIR not set (run through make check)}
srcdir=${IDMGR_SRCDIR:?IDMGR_SRCDIR not set (run through make check)}
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

[ -x "$dest$libexec/idmgr-sandbox" ] || fail "no idmgr-sandbox in $libexec"
inbin=$(cd "$dest$bindir" && ls)
[ "$inbin" = idmgr ] || fail "$bindir holds more than idmgr: $inbin"

if [ -n "$unitdir" ]; then
	for unit in idmgr-sweep.service idmgr-sweep.timer idmgr-reconcile.service idmgrd.service; do
		[ -f "$dest$unitdir/$unit" ] || fail "no $unit in $unitdir"
	done
	grep -qx "ExecStart=$bindir/idmgr -c $sysconfdir/idmgr/idmgr.conf .*" \
		"$dest$unitdir/idmgr-sweep.service" ||
		fail "idmgr-sweep.service does not run $bindir/idmgr with $sysconfdir/idmgr/idmgr.conf"
fi
for f in "$dest$unitdir/idmgr-sweep.service" "$dest$unitdir/idmgr-sweep.timer" \
	"$dest$unitdir/idmgr-reconcile.service" \
	$(find "$dest" -name idmgr-sweep.cron); do
	[ -z "$unitdir" ] && case $f in *.service|*.timer) continue ;; esac
	! grep -q '@[a-z]*@' "$f" || fail "unsubstituted @name@ in $f"
done
[ -n "$(find "$dest" -name idmgr-sweep.cron)" ] || fail "no idmgr-sweep.cron installed"

cmp -s "$srcdir/conf/pam-configs/idmgr" "$dest$pamconfigs/idmgr" ||
	fail "no pam-auth-update profile $pamconfigs/idmgr (or not the shipped conf/pam-configs/idmgr)"

[ $failed -eq 0 ] && echo "install_layout: ok ($(find "$dest" -type f | wc -l) files installed)"
exit $failed
