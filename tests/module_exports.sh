#!/bin/sh
# The installed PAM module exports only pam_sm_* (style.md habit 12): libldap,
# libconfuse and libargon2 symbols must never clash inside sshd or login.
# Also a dlopen smoke test: the module loads with every symbol resolved.
set -eu
module=${IDMGR_PAM_MODULE:-../pam_module/.libs/pam_idmgr.so}
[ -f "$module" ] || { echo "no module at $module"; exit 1; }
exports=$(nm -D --defined-only "$module" | awk '$2 ~ /^[TDBRW]$/ {print $3}' | sort)
bad=$(printf '%s\n' "$exports" | grep -v '^pam_sm_' || true)
if [ -n "$bad" ]; then
	echo "pam_idmgr.so exports more than pam_sm_*:"
	printf '%s\n' "$bad"
	exit 1
fi
for sym in pam_sm_authenticate pam_sm_setcred pam_sm_acct_mgmt pam_sm_chauthtok \
	pam_sm_open_session pam_sm_close_session; do
	printf '%s\n' "$exports" | grep -qx "$sym" || { echo "missing $sym"; exit 1; }
done
# slapd's modules export only the entry point slapd looks up: their copies
# of lib/ must not interpose on slapd's or libldap's symbols.
slapd_modules=${IDMGR_SLAPD_MODULEDIR:-../slapd_module/.libs}
for pair in idmgr_argon2.so:init_module idmgr_pwcheck.so:check_password; do
	so=$slapd_modules/${pair%%:*}
	[ -f "$so" ] || { echo "no module at $so"; exit 1; }
	got=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRW]$/ {print $3}' | sort | tr '\n' ' ')
	[ "$got" = "${pair#*:} " ] || { echo "${pair%%:*} exports \"$got\", not ${pair#*:} alone"; exit 1; }
done
# Every undefined symbol resolves at load time (RTLD_NOW via LD_BIND_NOW).
if ! LD_BIND_NOW=1 ldd -r "$module" 2>&1 | grep -q 'undefined symbol'; then
	echo "pam_idmgr.so exports: $(printf '%s ' $exports)"
	exit 0
fi
LD_BIND_NOW=1 ldd -r "$module"
exit 1
