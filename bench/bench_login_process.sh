#!/bin/bash
# bench_login_process.sh [RUNS] -- contract §8: a login as a process that
# runs PAM, as sshd or su is, against ldapwhoami binding as the same user
# (the same stored Argon2id hash), both timed as whole processes from the
# caller's side, alternating, RUNS (100) of each; the ratio of the medians
# (target <= 1.3, issue 13: <= 1.1).
#
# The login is pamtester running auth, account and session open through the
# system's libpam and the built module.  Its PAM service file is seen at
# /etc/pam.d/idmgr-bench through a bind mount in a private mount namespace
# (unshare -m), so nothing is preloaded into the timed process (pam_wrapper
# would add its own start-up cost) and the machine's /etc stays untouched.
# PAM_RHOST is an address, as sshd sets it (UseDNS no): libpam's audit
# record resolves a host name after every phase, which would time the
# resolver.  Also prints the directory operations of one login, from
# slapd's stats log.  Runs as root.  With IDMGR_BENCH_COMPARE_MODULE set
# to another build of the module (an older release), its login is timed
# in the same alternation too (service idmgr-compare).
set -euo pipefail
runs=${1:-100}
sandbox_cmd=${IDMGR_SANDBOX_CMD:?} module=${IDMGR_PAM_MODULE:?}
password='Benchmark passphrase 2026'
[[ $(id -u) == 0 ]] || { echo "bench_login_process: runs as root (a mount namespace)" >&2; exit 1; }
for t in /usr/bin/pamtester /usr/bin/ldapwhoami /usr/bin/unshare; do
	[[ -x $t ]] || { echo "bench_login_process: $t missing (scripts/install-deps)" >&2; exit 1; }
done

if [[ ${2:-} != --inside ]]; then
	T=$(mktemp -d /tmp/idmgr-bench.XXXXXX)
	trap '"$sandbox_cmd" stop "$T/sb" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
	IDMGR_SANDBOX_LOGLEVEL=stats "$sandbox_cmd" start "$T/sb" >/dev/null
	unshare -m --propagation private "$0" "$runs" --inside "$T"
	exit
fi
T=$3
# shellcheck disable=SC1091
source "$T/sb/sandbox.env"
ldapadd -x -H "$LDAP_URI" -D "$ADMIN_DN" -y "$ADMIN_SECRET" >/dev/null <<EOF
dn: uid=bench,ou=people,$SUFFIX
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: idmAccount
uid: bench
cn: bench
sn: bench
uidNumber: 50000
gidNumber: 10000
homeDirectory: /home/bench
idmStatus: active
userPassword: $password
EOF
# A PAM folder holding the service alone, in this namespace only: libpam
# also reads the "other" service at every pam_start, and the machine's
# (pam_unix, pam_systemd, ...) would time modules this login never runs.
mkdir "$T/pam.d"
for phase in auth account session; do
	echo "$phase required $module config=$IDMGR_CONF"
done >"$T/pam.d/idmgr-bench"
compare=${IDMGR_BENCH_COMPARE_MODULE:-}
if [[ -n $compare ]]; then
	for phase in auth account session; do
		echo "$phase required $compare config=$IDMGR_CONF"
	done >"$T/pam.d/idmgr-compare"
fi
mount --bind "$T/pam.d" /etc/pam.d

login() {
	pamtester -I rhost=192.0.2.10 "${1:-idmgr-bench}" bench authenticate acct_mgmt \
		open_session <<<"$password" >/dev/null 2>&1
}
whoami() {
	ldapwhoami -x -H "$LDAP_URI" -D "uid=bench,ou=people,$SUFFIX" -w "$password" >/dev/null
}

# The operations of one login, from slapd's log (written asynchronously).
count_ops() { grep -cE ' op=[0-9]+ (SEARCH )?RESULT ' "$SLAPD_LOG" || true; }
count_conns() { grep -c ' ACCEPT from ' "$SLAPD_LOG" || true; }
login || { echo "bench_login_process: the login failed" >&2; exit 1; }
sleep 0.5
ops0=$(count_ops) conns0=$(count_conns) lines0=$(wc -l <"$SLAPD_LOG")
login
sleep 0.5
echo "one login: $(($(count_conns) - conns0)) connections, $(($(count_ops) - ops0)) directory operations:"
tail -n +"$((lines0 + 1))" "$SLAPD_LOG" |
	grep -oE 'conn=[0-9]+ op=[0-9]+ (BIND dn="[^"]*" method|SRCH base="[^"]*"|MOD attr=.*|EXT oid=[0-9.]*)' |
	sed 's/ method$//' |
	sed 's/^/   /'
whoami
ops0=$(count_ops)
whoami
sleep 0.5
echo "one ldapwhoami: $(($(count_ops) - ops0)) directory operations"

declare -a tl tw tc
for ((i = 0; i < runs; i++)); do
	if [[ -n $compare ]]; then
		t0=$EPOCHREALTIME
		login idmgr-compare || { echo "bench_login_process: compared login $i failed" >&2; exit 1; }
		t1=$EPOCHREALTIME
		tc+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')")
	fi
	t0=$EPOCHREALTIME
	login || { echo "bench_login_process: login $i failed" >&2; exit 1; }
	t1=$EPOCHREALTIME
	whoami
	t2=$EPOCHREALTIME
	tl+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')")
	tw+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.6f", b - a }')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ml=$(median "${tl[@]}") mw=$(median "${tw[@]}")
if [[ -n $compare ]]; then
	awk -v c="$(median "${tc[@]}")" -v w="$mw" -v m="$compare" 'BEGIN {
		printf "login through %s: median %.1f ms, ratio %.2f\n", m, c * 1000, c / w
	}'
fi
awk -v l="$ml" -v w="$mw" -v n="$runs" 'BEGIN {
	r = l / w
	printf "login as a process (pamtester: auth + account + open_session, real libpam): median %.1f ms\n", l * 1000
	printf "ldapwhoami as the same user (the same Argon2id hash): median %.1f ms\n", w * 1000
	printf "ratio of the medians over %d alternating runs each: %.2f (contract <= 1.30: %s; issue 13 target <= 1.10: %s)\n", n, r, r <= 1.3 ? "met" : "NOT met", r <= 1.1 ? "met" : "NOT met"
}'
