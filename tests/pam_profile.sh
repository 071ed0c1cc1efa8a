#!/bin/bash
# pam_profile.sh -- the pam-auth-update profile conf/pam-configs/idmgr
# produces the stack of conf/pam.d-common-auth.example (issue 13, R-LOGIN-2:
# every login of the host asks for a password through that stack; run by
# "make check" as root).
#
# Debian's own /usr/sbin/pam-auth-update is run as a package's postinst runs
# it ("--package"), in a scratch root ("--root"): its pam.d holds the stock
# common-* files (/usr/share/pam), its pam-configs the stock "unix" profile.
# A first run ("--force") writes the stock stack, as on a fresh host; the
# second, after idmgr's profile is added, the host's stack with idmgr.  The
# lines of each generated common-PHASE (comments and blank lines aside,
# white space squeezed) must be the example's common-PHASE lines, in order.
# pam-auth-update also keeps its answers in debconf's database: it runs in a
# private mount namespace (unshare -m) where /var/cache/debconf is a copy,
# so neither the machine's /etc/pam.d nor its debconf answers change.
set -euo pipefail

fail() { printf 'pam_profile: FAIL: %s\n' "$*"; exit 1; }

src=${IDMGR_SRCDIR:?IDMGR_SRCDIR not set (run through make check)}
[[ $(id -u) == 0 ]] || fail "runs as root (pam-auth-update and mount namespaces need it)"
for t in /usr/sbin/pam-auth-update /usr/bin/unshare /usr/share/pam-configs/unix; do
	[[ -e $t ]] || fail "$t missing (scripts/install-deps installs libpam-runtime)"
done

if [[ ${1:-} != --inside ]]; then
	T=$(mktemp -d /tmp/idmgr-pamprofile.XXXXXX)
	trap 'rm -rf -- "$T"' EXIT
	unshare -m --propagation private "$0" --inside "$T"
	exit $?
fi
T=$2
cp -a /var/cache/debconf "$T/debconf"
mount --bind "$T/debconf" /var/cache/debconf
R=$T/root
mkdir -p "$R/etc/pam.d" "$R/var/lib/pam" "$R/usr/share/pam-configs"
for phase in auth account password session session-noninteractive; do
	cp /usr/share/pam/common-$phase "$R/etc/pam.d/common-$phase"
done
cp /usr/share/pam-configs/unix "$R/usr/share/pam-configs/"
export DEBIAN_FRONTEND=noninteractive
pam-auth-update --root "$R" --force >"$T/first.log" 2>&1 || {
	cat "$T/first.log"
	fail "pam-auth-update --force (the stock stack)"
}
grep -q 'pam_unix.so' "$R/etc/pam.d/common-auth" || fail "the stock stack has no pam_unix.so"

cp "$src/conf/pam-configs/idmgr" "$R/usr/share/pam-configs/idmgr"
pam-auth-update --root "$R" --package >"$T/second.log" 2>&1 || {
	cat "$T/second.log"
	fail "pam-auth-update --package with the idmgr profile"
}

lines() { sed -e 's/#.*//' -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//' -e '/^$/d'; }
example() { # phase: the example's lines of common-PHASE
	awk -v s="# ---------------------------------------------------------------- common-$1" \
		'$0 == s {on = 1; next} /^# -------/ {on = 0} on' "$src/conf/pam.d-common-auth.example" | lines
}
for phase in auth account password session; do
	example "$phase" >"$T/want"
	[[ -s $T/want ]] || fail "no common-$phase lines in the example"
	lines <"$R/etc/pam.d/common-$phase" >"$T/got"
	diff -u "$T/want" "$T/got" >"$T/diff" ||
		fail "common-$phase from pam-auth-update differs from the example (- example, + generated):
$(cat "$T/diff")"
done
# session-noninteractive (cron, at) gets the same lines as session
lines <"$R/etc/pam.d/common-session-noninteractive" >"$T/got"
diff -u "$T/want" "$T/got" >"$T/diff" ||
	fail "common-session-noninteractive differs from the example's common-session:
$(cat "$T/diff")"
grep -qx 'idmgr' "$R/var/lib/pam/seen" || fail "pam-auth-update did not record the idmgr profile"
printf 'pam_profile: ok (pam-auth-update --package with conf/pam-configs/idmgr gives the example'"'"'s common-auth, -account, -password and -session)\n'
