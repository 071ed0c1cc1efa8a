#!/bin/bash
# bench_ssh.sh -- an ssh password login through pam_idmgr against the same
# login through pam_unix with a yescrypt hash (issue 13), whole processes
# timed from the client's side, alternating, in the same run.  Target: the
# median of the pam_idmgr logins at most 1.1 x the median of the pam_unix
# ones.
#
#   idmgr host   the machine's stack after pam-auth-update with idmgr's
#                profile (conf/pam-configs/idmgr: the stack of
#                conf/pam.d-common-auth.example; the built module, the
#                sandbox's configuration), nslcd with the
#                shipped conf/nslcd.conf for the name service; a directory
#                user (Argon2id hash on the server) logs in
#   pam_unix     the machine's own stack (pam_unix alone), a local
#                user with a yescrypt hash in /etc/shadow, name service
#                "files"
#
# Each login is "sshpass ssh USER@127.0.0.1 true": key exchange, password
# authentication, account, session, the command, logout.  Both hosts are
# private sshd's on loopback ports, each in a mount namespace of its own
# where /etc is the bench's copy (OpenSSH 9.2 has no PAMServiceName); the
# machine's /etc is untouched.  Runs as root (bench/run runs it only then).
# Usage: bench_ssh.sh [N]   (N logins of each kind, default 40)
# Environment: IDMGR_SRCDIR, IDMGR_SANDBOX_CMD, IDMGR_PAM_MODULE (bench/run).
set -euo pipefail
n=${1:-40}
src=${IDMGR_SRCDIR:?set IDMGR_SRCDIR}
sandbox=${IDMGR_SANDBOX_CMD:?set IDMGR_SANDBOX_CMD}
module=${IDMGR_PAM_MODULE:?set IDMGR_PAM_MODULE}
[[ $(id -u) == 0 ]] || { echo "bench_ssh: needs root (sshd, nslcd, mount namespaces)" >&2; exit 1; }

if [[ ${1:-} == --host ]]; then # --host ETC CONFIG: one sshd, /etc = ETC
	mount --bind "$2" /etc
	if [[ -f $2/nslcd.conf && -n ${4:-} ]]; then
		/usr/sbin/nslcd
	fi
	exec /usr/sbin/sshd -D -e -f "$3"
fi

if [[ ${1:-} != --inside ]]; then
	T=$(mktemp -d /tmp/idmgr-bench-ssh.XXXXXX)
	chmod 0711 "$T"
	rc=0
	unshare -m --propagation private "$0" --inside "$T" "$n" || rc=$?
	[[ -f $T/sb/.idmgr-sandbox ]] && "$sandbox" stop "$T/sb" >/dev/null 2>&1
	rm -rf -- "$T"
	exit "$rc"
fi
T=$2 n=$3
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pkill_nslcd
	[[ -f $T/sb/.idmgr-sandbox ]] && "$sandbox" stop "$T/sb" >/dev/null 2>&1
	return 0
}
pkill_nslcd() { # the nslcd this bench started (its pid file is in the private /run)
	[[ -f /run/nslcd/nslcd.pid ]] && kill -TERM "$(cat /run/nslcd/nslcd.pid)" 2>/dev/null
	return 0
}
trap cleanup EXIT
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -m 0755 /run/nslcd /run/sshd
chown nslcd:nslcd /run/nslcd

"$sandbox" start "$T/sb" >/dev/null
# shellcheck disable=SC1091
source <(grep -E '^[A-Z_]+=[A-Za-z0-9_./:=,@-]*$' "$T/sb/sandbox.env")
pw='Bench-Quiet-Harbour-42'
printf 'dn: uid=benchdir,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: idmAccount\nuid: benchdir\ncn: benchdir\nsn: benchdir\nuidNumber: 20201\ngidNumber: 10000\nhomeDirectory: /nonexistent\nloginShell: /bin/sh\nuserPassword: %s\npwdPolicySubentry: cn=standard,ou=policies,%s\nidmStatus: active\n' \
	"$SUFFIX" "$pw" "$SUFFIX" |
	ldapadd -x -H "$LDAP_URI" -D "$ADMIN_DN" -y "$ADMIN_SECRET" >/dev/null

# the idmgr host's /etc
A=$T/a/etc
mkdir -p "$T/a" "$T/b"
cp -a /etc "$A"
# its stack as a package install makes it: Debian's pam-auth-update with the
# machine's profiles and idmgr's (debconf's answers in a copy)
cp -a /var/cache/debconf "$T/debconf"
mount --bind "$T/debconf" /var/cache/debconf
mkdir -p "$T/a/usr/share/pam-configs" "$T/a/var/lib"
cp -a /usr/share/pam-configs/. "$T/a/usr/share/pam-configs/"
cp "$src/conf/pam-configs/idmgr" "$T/a/usr/share/pam-configs/"
cp -a /var/lib/pam "$T/a/var/lib/pam"
DEBIAN_FRONTEND=noninteractive pam-auth-update --root "$T/a" --package >"$T/pam-auth-update.log" 2>&1
grep -q pam_idmgr.so "$A/pam.d/common-auth" ||
	{ echo "bench_ssh: pam-auth-update did not add idmgr: $(cat "$T/pam-auth-update.log")" >&2; exit 1; }
sed -i -e "s|pam_idmgr.so config=/etc/idmgr/idmgr.conf|$module config=$IDMGR_CONF|" "$A"/pam.d/common-*
printf 'passwd: files ldap\ngroup: files ldap\nshadow: files\nhosts: files\n' >"$A/nsswitch.conf"
sed -e '/^uri /d' -e "s|^bindpw .*|bindpw $(cat "$T/sb/pam.secret")|" \
	-e "s|^base dc=example,dc=org|uri $LDAP_URI\\nbase $SUFFIX|" "$src/conf/nslcd.conf" >"$A/nslcd.conf"
chown root:nslcd "$A/nslcd.conf"
chmod 0640 "$A/nslcd.conf"
# the pam_unix host's /etc: the machine's stack, a local user (yescrypt)
B=$T/b/etc
cp -a /etc "$B"
useradd -P "$T/b" -M -d /nonexistent -s /bin/sh -u 20202 benchlocal 2>/dev/null
printf 'benchlocal:%s\n' "$pw" | chpasswd -R "$T/b" -c YESCRYPT
grep -q '^benchlocal:\$y\$' "$B/shadow" || { echo "bench_ssh: no yescrypt hash for benchlocal" >&2; exit 1; }
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$B/nsswitch.conf"

ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
start_host() { # NAME ETC [nslcd]: sets $port
	local name=$1 etc=$2 log=$T/$1.log
	for _ in $(seq 10); do
		port=$((20000 + RANDOM % 30000))
		cat >"$T/$name.conf" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $T/hostkey
PidFile $T/$name.pid
UsePAM yes
KbdInteractiveAuthentication no
PasswordAuthentication yes
PubkeyAuthentication no
PermitRootLogin no
PrintMotd no
PrintLastLog no
UseDNS no
EOF
		: >"$log"
		unshare -m --propagation private "$0" --host "$etc" "$T/$name.conf" "${3:-}" >>"$log" 2>&1 &
		local pid=$!
		for _ in $(seq 50); do
			grep -q "Server listening\|Cannot bind" "$log" && break
			sleep 0.1
		done
		if grep -q "Server listening" "$log"; then
			pids+=("$pid")
			return 0
		fi
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	echo "bench_ssh: sshd for $name did not start: $(tail -n 5 "$log")" >&2
	exit 1
}
start_host idmgr "$A" nslcd
port_a=$port
start_host unix "$B"
port_b=$port

login() { # PORT USER: one whole login, prints its wall time in ms
	local t0 t1
	t0=$(date +%s%N)
	SSHPASS=$pw sshpass -e ssh -F /dev/null -p "$1" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o PreferredAuthentications=password \
		-o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 "$2@127.0.0.1" true 2>"$T/ssh.err" ||
		{ echo "bench_ssh: login of $2 failed: $(cat "$T/ssh.err")" >&2; exit 1; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
# warm-up (nslcd's connection, the page cache), not counted
login "$port_a" benchdir >/dev/null
login "$port_b" benchlocal >/dev/null
: >"$T/a.ms"
: >"$T/b.ms"
for ((i = 0; i < n; i++)); do
	if ((i % 2)); then
		login "$port_b" benchlocal >>"$T/b.ms"
		login "$port_a" benchdir >>"$T/a.ms"
	else
		login "$port_a" benchdir >>"$T/a.ms"
		login "$port_b" benchlocal >>"$T/b.ms"
	fi
done
median() { sort -n "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ma=$(median "$T/a.ms") mb=$(median "$T/b.ms")
awk -v a="$ma" -v b="$mb" -v n="$n" 'BEGIN {
	printf "ssh password login, %d alternating runs each (median ms): pam_idmgr + nslcd %.0f, pam_unix yescrypt %.0f; ratio %.3f (target <= 1.1)\n", n, a, b, a / b
}'
