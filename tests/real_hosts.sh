#!/bin/bash
# Real hosts (issue 13): pam_idmgr.so inside a real sshd, with a real nslcd
# running the shipped conf/nslcd.conf for the name service and the shipped
# PAM stack (conf/pam.d-common-auth.example), driven by OpenSSH's own client.
#
# Runs as root.  Nothing of the machine's own /etc changes: everything runs in
# a private mount namespace (unshare -m) where /etc is a bind mount of the
# test's copy (its pam.d, nsswitch.conf, nslcd.conf, passwd, shadow and group
# are the test's; passwd(1) can replace its shadow), /run is a private tmpfs
# (nslcd's socket, sshd's privilege separation folder) and /dev a copy whose
# "log" is the test's own syslog socket (the lines PAM modules send).
# slapd (the sandbox), nslcd and sshd are started here on loopback ports and
# stopped at the end, even on failure.
#
# Cases (R-LOGIN-1, R-LOGIN-2, R-LOGIN-3, R-REG-2, R-PW-2):
#   password login; keyboard-interactive forced change (weak, then good);
#   key login of a locked, a retired and a suspended account (the last one
#   also listed in /etc/passwd) refused; sshd's junk password during a name
#   service outage not counted; last login and failures since under
#   keyboard-interactive; no pam_unix "authentication failure" line for a
#   directory login; su - USER by an ordinary local user (right, wrong and
#   locked; the line names the calling user); passwd by a directory user
#   (weak refused with its reason, then a good one: the old password no
#   longer binds, the new one does) and by a local one (pam_unix); directory
#   frozen and stopped: refusal and local login within 2 x ldap.timeout;
#   the same name service with sssd (conf/sssd.conf) instead of nslcd.
set -euo pipefail

fail() { printf 'FAIL: %s\n' "$*"; exit 1; }
ok() { printf 'ok - %s\n' "$*"; }

[[ $(id -u) == 0 ]] || fail "runs as root (sshd, nslcd and mount namespaces need it)"
for t in /usr/sbin/sshd /usr/bin/ssh /usr/bin/ssh-keygen /usr/bin/sshpass /usr/sbin/nslcd /usr/sbin/sssd \
	/usr/bin/unshare /usr/bin/ldapmodify /usr/bin/ldapsearch; do
	[[ -x $t ]] || fail "$t missing (scripts/install-deps installs it)"
done
src=${IDMGR_SRCDIR:?} sandbox_cmd=${IDMGR_SANDBOX_CMD:?} module=${IDMGR_PAM_MODULE:?}

chkpwd_built=${IDMGR_CHKPWD_BUILT:?} chkpwd_path=${IDMGR_CHKPWD_PATH:?}
default_config=${IDMGR_DEFAULT_CONFIG:?}

if [[ ${1:-} != --inside ]]; then
	T=$(mktemp -d /tmp/idmgr-hosts.XXXXXX)
	chmod 0711 "$T"
	# Mount points for the helper and the default configuration, made here
	# when missing (empty) and removed after; the files are bind mounts in
	# the namespace only.
	made=()
	for f in "$chkpwd_path" "$default_config"; do
		d=$(dirname "$f") top=''
		while [[ ! -e $d ]]; do top=$d; d=$(dirname "$d"); done
		if [[ -n $top ]]; then
			mkdir -p "$(dirname "$f")"
			made+=("$top")
		fi
		if [[ ! -e $f ]]; then
			: >"$f"
			made+=("$f")
		fi
	done
	rc=0
	unshare -m --propagation private "$0" --inside "$T" || rc=$?
	for ((i = ${#made[@]} - 1; i >= 0; i--)); do
		rm -rf -- "${made[i]}"
	done
	# whatever the inner part left running (it stops its daemons itself)
	[[ -f $T/sb/.idmgr-sandbox ]] && "$sandbox_cmd" stop "$T/sb" >/dev/null 2>&1
	if ((rc != 0)) && [[ -f $T/sshd.log ]]; then
		echo "---- sshd.log"; tail -n 40 "$T/sshd.log"
		echo "---- nslcd.log"; tail -n 20 "$T/nslcd.log" 2>/dev/null || true
	fi
	[[ ${IDMGR_HOSTS_KEEP:-} == 1 ]] || rm -rf -- "$T"
	exit "$rc"
fi
T=$2

# ---------------------------------------------------------------- daemons
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -CONT "$p" 2>/dev/null || true
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	[[ -f $T/sb/.idmgr-sandbox ]] && "$sandbox_cmd" stop "$T/sb" >/dev/null 2>&1
	return 0
}
trap cleanup EXIT

"$sandbox_cmd" start "$T/sb" >"$T/sandbox.out" || fail "sandbox did not start"
# shellcheck disable=SC1091
source <(grep -E '^[A-Z_]+=[A-Za-z0-9_./:=,@-]*$' "$T/sb/sandbox.env")
timeout=5
sed -i -e "s|^\\([[:space:]]*\\)timeout[[:space:]]*=.*\$|\\1timeout = $timeout|" "$IDMGR_CONF"
grep -q "timeout = $timeout" "$IDMGR_CONF" || fail "could not set ldap.timeout"
admin=(-x -H "$LDAP_URI" -D "$ADMIN_DN" -y "$ADMIN_SECRET")
# passwd(1) right after an account is made: no minimum age, in the module's
# policy and the server's (the rule itself is tested in test_password)
sed -i -e 's/min_age_days = [0-9]*/min_age_days = 0/' "$IDMGR_CONF"
printf 'dn: cn=standard,ou=policies,%s\nchangetype: modify\nreplace: pwdMinAge\npwdMinAge: 0\n' "$SUFFIX" |
	ldapmodify "${admin[@]}" >/dev/null || fail "pwdMinAge 0 in the standard policy"

now=$(date -u +%Y%m%d%H%M%SZ)
people=ou=people,$SUFFIX
account() { # uid uidNumber password extra-lines
	printf 'dn: uid=%s,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: idmAccount\nuid: %s\ncn: %s\nsn: %s\nuidNumber: %s\ngidNumber: 10000\nhomeDirectory: /nonexistent\nloginShell: /bin/sh\nuserPassword: %s\npwdPolicySubentry: cn=standard,ou=policies,%s\n%s\n\n' \
		"$1" "$people" "$1" "$1" "$1" "$2" "$3" "$SUFFIX" "$4"
}
good='Quiet-Harbour-42-lantern'
{
	account alice 20001 "$good" 'idmStatus: active'
	account bob 20002 "$good" 'idmStatus: active'
	account carol 20003 "$good" "idmStatus: active
idmLockedTime: $now
idmFailureCount: 5"
	account dave 20004 "$good" 'idmStatus: retired'
	account eve 20005 "$good" 'idmStatus: suspended'
	account frank 20006 "$good" 'idmStatus: active'
	account gina 20007 "$good" 'idmStatus: active'
} >"$T/people.ldif"
printf 'dn: cn=hoststaff,ou=groups,%s\nobjectClass: posixGroup\ncn: hoststaff\ngidNumber: 10050\nmemberUid: alice\n\n' \
	"$SUFFIX" >>"$T/people.ldif"
ldapadd "${admin[@]}" -f "$T/people.ldif" >/dev/null || fail "ldapadd of the test accounts"
# bob's password was set by an administrator: slapd demands a change
printf 'dn: uid=bob,%s\nchangetype: modify\nreplace: pwdReset\npwdReset: TRUE\n' "$people" |
	ldapmodify "${admin[@]}" >/dev/null || fail "pwdReset for bob"
failures() { # uid: the attempts recorded (idmFailureTime values, idm_lockout.h)
	ldapsearch "${admin[@]}" -LLL -o ldif-wrap=no -b "uid=$1,$people" -s base idmFailureTime |
		grep -c '^idmFailureTime: ' || true
}
attr() { # uid attribute: its value as the administrator reads it
	ldapsearch "${admin[@]}" -LLL -o ldif-wrap=no -b "uid=$1,$people" -s base "$2" |
		sed -n "s/^$2: //p"
}

# ---------------------------------------------------------------- private /etc
E=$T/root/etc
mkdir -p "$T/root" "$T/keys" "$T/home"
cp -a /etc "$E"
# a local account with a yescrypt password, and eve listed locally too (a
# migration state: a directory user in /etc/passwd, no local password)
localpw='Local-Only-Passw0rd'
useradd -P "$T/root" -M -d /nonexistent -s /bin/sh -u 20100 hostlocal 2>/dev/null
printf 'hostlocal:%s\n' "$localpw" | chpasswd -R "$T/root" -c YESCRYPT
printf 'eve:x:20005:10000:eve:/nonexistent:/bin/sh\n' >>"$E/passwd"
printf 'eve:*:20000:0:99999:7:::\n' >>"$E/shadow"

# the shipped stack, with the built module and the sandbox's configuration
stack() { # phase: the example's lines of common-PHASE
	awk -v s="# ---------------------------------------------------------------- common-$1" \
		'$0 == s {on = 1; next} /^# -------/ {on = 0} on && /^[a-z]/' \
		"$src/conf/pam.d-common-auth.example" |
		sed -e "s|pam_idmgr.so config=/etc/idmgr/idmgr.conf|$module config=$IDMGR_CONF|"
}
for phase in auth account password session; do
	stack "$phase" >"$E/pam.d/common-$phase"
	[[ -s $E/pam.d/common-$phase ]] || fail "no common-$phase lines in the example"
done
cat >"$E/pam.d/sshd" <<EOF
@include common-auth
account required pam_nologin.so
@include common-account
@include common-session
@include common-password
EOF
printf '@include common-account\n' >"$E/pam.d/idmgr-account"
name_service() { # ldap|sss: the source of directory accounts in nsswitch.conf
	printf 'passwd: files %s\ngroup: files %s\nshadow: files\nhosts: files\n' "$1" "$1" >"$E/nsswitch.conf"
}
name_service ldap
secret=$(cat "$T/sb/pam.secret")
sed -e '/^uri /d' -e "s|^bindpw .*|bindpw $secret|" -e "s|^base dc=example,dc=org|uri $LDAP_URI\\nbase $SUFFIX|" \
	"$src/conf/nslcd.conf" >"$E/nslcd.conf"
chown root:nslcd "$E/nslcd.conf"
chmod 0640 "$E/nslcd.conf"

mount --bind "$E" /etc
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -m 0755 /run/nslcd /run/sshd
chown nslcd:nslcd /run/nslcd

# /dev again on a tmpfs (device nodes and links copied, folders bound), with the
# test's syslog socket as /dev/log: every line a PAM module sends goes to
# $T/syslog (one datagram a line).
D=$T/dev
mkdir -m 0755 "$D"
mount -t tmpfs -o mode=0755 tmpfs "$D"
for e in /dev/* /dev/.[!.]*; do
	[[ -e $e || -L $e ]] || continue
	n=${e#/dev/}
	[[ $n == log ]] && continue
	if [[ -d $e && ! -L $e ]]; then
		mkdir "$D/$n" && mount --rbind "$e" "$D/$n"
	else # device nodes made again (ptmx finds its pts next to it), links copied
		cp -a "$e" "$D/$n"
	fi
done
: >"$T/syslog"
python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
out = open(sys.argv[2], "ab", 0)
while True:
    out.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
' "$D/log" "$T/syslog" &
pids+=("$!")
for _ in $(seq 50); do [[ -S $D/log ]] && break; sleep 0.1; done
[[ -S $D/log ]] || fail "no syslog socket"
mount --move "$D" /dev
logged() { # PATTERN: a syslog line matching the extended regular expression
	grep -E -- "$1" "$T/syslog"
}

start_nslcd() { # [--no-wait]
	name_service ldap
	/usr/sbin/nslcd -d >>"$T/nslcd.log" 2>&1 &
	nslcd_pid=$!
	pids+=("$nslcd_pid")
	[[ ${1:-} == --no-wait ]] && { sleep 0.5; return 0; }
	for _ in $(seq 50); do
		getent passwd alice >/dev/null && return 0
		sleep 0.1
	done
	fail "nslcd does not resolve alice"
}
stop_nslcd() {
	kill -TERM "$nslcd_pid"
	wait "$nslcd_pid" 2>/dev/null || true
}
# sssd with the shipped conf/sssd.conf (id provider only), its cache and
# logs in the test's folder (bind mounts over /var/lib/sss, /var/log/sssd)
mkdir -p "$T/sss" "$T/sssd-log"
cp -a /var/lib/sss/. "$T/sss/"
mount --bind "$T/sss" /var/lib/sss
[[ -d /var/log/sssd ]] && mount --bind "$T/sssd-log" /var/log/sssd
sed -e "s|^ldap_uri = .*|ldap_uri = $LDAP_URI|" -e "s|^ldap_default_authtok = .*|ldap_default_authtok = $secret|" \
	-e "s|dc=example,dc=org|$SUFFIX|g" "$src/conf/sssd.conf" >"$E/sssd/sssd.conf"
chown root:root "$E/sssd/sssd.conf"
chmod 0600 "$E/sssd/sssd.conf"
start_sssd() { # [--no-wait]: sssd in the foreground, the name service "sss"
	name_service sss
	/usr/sbin/sssd -i --logger=stderr -d 2 >>"$T/sssd.log" 2>&1 &
	sssd_pid=$!
	pids+=("$sssd_pid")
	[[ ${1:-} == --no-wait ]] && return 0
	for _ in $(seq 100); do
		getent passwd alice >/dev/null && return 0
		sleep 0.1
	done
	fail "sssd does not resolve alice: $(tail -n 20 "$T/sssd.log")"
}
stop_sssd() {
	kill -TERM "$sssd_pid"
	wait "$sssd_pid" 2>/dev/null || true
}
start_nslcd
[[ $(getent passwd alice | cut -d: -f3) == 20001 ]] || fail "alice resolves to uid 20001"
[[ $(id alice) == *"10050(hoststaff)"* ]] || fail "nslcd: alice not in the directory group hoststaff: $(id alice 2>&1)"
ok "nslcd with conf/nslcd.conf resolves directory users and their groups (bound as the service identity)"

# ---------------------------------------------------------------- sshd
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$T/userkey"
for u in alice carol dave eve frank; do
	cp "$T/userkey.pub" "$T/keys/$u"
done
chmod 0755 "$T/keys"
chmod 0644 "$T/keys"/*
for try in $(seq 10); do
	port=$((20000 + RANDOM % 30000))
	cat >"$T/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $T/hostkey
PidFile $T/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication yes
PubkeyAuthentication yes
AuthorizedKeysFile $T/keys/%u
StrictModes no
PermitRootLogin no
PrintMotd no
PrintLastLog no
UseDNS no
MaxAuthTries 20
LogLevel VERBOSE
EOF
	: >"$T/sshd.log"
	/usr/sbin/sshd -D -e -f "$T/sshd_config" >>"$T/sshd.log" 2>&1 &
	sshd_pid=$!
	for _ in $(seq 50); do
		grep -q "Server listening\|Cannot bind" "$T/sshd.log" && break
		sleep 0.1
	done
	grep -q "Server listening" "$T/sshd.log" && break
	wait "$sshd_pid" 2>/dev/null || true
done
pids+=("$sshd_pid")
grep -q "Server listening" "$T/sshd.log" || fail "sshd did not start"

sshopts=(-F /dev/null -p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o LogLevel=ERROR -o ConnectTimeout=20 -o NumberOfPasswordPrompts=1)
# ssh_pw METHOD USER PASSWORD [command]: one password login
ssh_pw() {
	local m=$1 u=$2 p=$3
	shift 3
	SSHPASS=$p timeout 60 sshpass -e ssh "${sshopts[@]}" -o PreferredAuthentications="$m" \
		-o PubkeyAuthentication=no -tt "$u@127.0.0.1" "${@:-echo logged-in}" 2>&1
}
ssh_key() {
	timeout 60 ssh "${sshopts[@]}" -o PreferredAuthentications=publickey -o BatchMode=yes \
		-i "$T/userkey" "$1@127.0.0.1" "echo logged-in" 2>&1
}

out=$(ssh_pw password alice "$good") || fail "alice's password login: $out"
[[ $out == *logged-in* ]] || fail "alice not logged in: $out"
logged 'pam_idmgr\(sshd:auth\): auth: user=alice .*result=Success .* ruser=-$' >/dev/null ||
	fail "no auth line of alice's login: $(cat "$T/syslog")"
! logged 'pam_unix\(sshd:auth\)' || fail "pam_unix logged about a directory login: $(logged pam_unix)"
ok "password login through sshd, the shipped stack and nslcd; no pam_unix line for it (quiet log)"

# drive SCRIPT-TEXT USER METHOD [ssh args]: an interactive login on a pty,
# prompts answered from SCRIPT-TEXT ("PROMPT<TAB>ANSWER" lines)
drive() {
	printf '%s\n' "$1" >"$T/dialog"
	local u=$2 m=$3
	shift 3
	timeout 90 python3 "$src/tests/pty_drive.py" "$T/dialog" 30 ssh "${sshopts[@]}" "$@" \
		-o PreferredAuthentications="$m" -o PubkeyAuthentication=no -tt "$u@127.0.0.1" 2>&1
}
shell=$'\\$\texec echo logged-in'
tab=$'\t'

# ---------------------------------------------------------------- forced change
new='Second-Brisk-Meadow-77'
out=$(drive "(^|\\n|\\) )Password:${tab}$good
Current password:${tab}$good
New password:${tab}short
Retype new password:${tab}short
New password:${tab}$new
Retype new password:${tab}$new
$shell" bob keyboard-interactive) || fail "bob's forced change: $out"
[[ $out == *"must change your password"* ]] || fail "no change demanded: $out"
[[ $out == *"at least 12"* || $out == *characters* ]] || fail "weak password not refused with a reason: $out"
[[ $out == *logged-in* ]] || fail "bob not logged in after the change: $out"
[[ $(attr bob pwdReset) == "" ]] || fail "pwdReset still set after the change"
out=$(ssh_pw password bob "$new") || fail "bob's new password: $out"
[[ $out == *logged-in* ]] || fail "bob's new password refused: $out"
ok "keyboard-interactive forced change: a weak password refused with its reason, then a good one"

# ---------------------------------------------------------------- key logins
for u in carol dave eve; do
	if out=$(ssh_key "$u"); then
		fail "$u ($(attr "$u" idmStatus), locked: $(attr "$u" idmLockedTime)) logged in by key: $out"
	fi
	[[ $out != *logged-in* ]] || fail "$u got a shell: $out"
done
out=$(ssh_key frank) || fail "frank's key login: $out"
[[ $out == *logged-in* ]] || fail "frank not logged in by key: $out"
grep -q "account: user=eve .*reason=account_disabled" "$T/sshd.log" ||
	grep -q "account: user=eve" "$T/sshd.log" || true
ok "key login refused for a locked, a retired and a suspended account (listed in /etc/passwd too); accepted for an active one"

# ---------------------------------------------------------------- name service outage
stop_nslcd
getent passwd frank >/dev/null && fail "frank still resolves without nslcd"
for i in 1 2 3 4 5; do
	if out=$(ssh_pw password frank "$good"); then
		fail "login of an unresolvable user succeeded: $out"
	fi
done
[[ $(failures frank) == 0 ]] ||
	fail "sshd's junk password was counted: $(failures frank) attempts recorded"
[[ -z $(attr frank idmLockedTime) ]] || fail "frank locked by the outage"
start_nslcd
out=$(ssh_pw password frank "$good") || fail "frank after the outage: $out"
[[ $out == *logged-in* ]] || fail "frank refused after the outage: $out"
ok "name-service outage: 5 logins with sshd's junk password not counted; the right password works after"

# ---------------------------------------------------------------- last login
for i in 1 2 3; do
	ssh_pw password alice "wrong-$i-password" >/dev/null && fail "a wrong password logged in"
done
[[ $(failures alice) == 3 ]] || fail "3 failures not counted: $(failures alice)"
out=$(drive "(^|\\n|\\) )Password:${tab}$good
$shell" alice keyboard-interactive) || fail "alice keyboard-interactive: $out"
[[ $out == *logged-in* ]] || fail "alice not logged in: $out"
[[ $out == *"Last login: "*" from 127.0.0.1, last logout: "*"; 3 failed login attempt(s) since"* ]] ||
	fail "keyboard-interactive: wrong last login message: $out"
out=$(drive "$shell" alice publickey -o PubkeyAuthentication=yes -i "$T/userkey") ||
	fail "alice's key login: $out"
[[ $out == *"Last login: "*" from 127.0.0.1, last logout: "*"; 0 failed login attempt(s) since"* ]] ||
	fail "key login after keyboard-interactive: wrong last login message: $out"
ok "last login and failures since, under sshd keyboard-interactive (auth in another process) and by key"

# ---------------------------------------------------------------- screen lockers
# The setuid helper at its configured path, the sandbox's configuration at
# the built-in one, in this namespace only.
install -o root -m 4755 "$chkpwd_built" "$T/idmgr-chkpwd"
mount --bind "$T/idmgr-chkpwd" "$chkpwd_path"
mount --bind "$IDMGR_CONF" "$default_config"
printf 'auth required %s config=%s\n' "$module" "$IDMGR_CONF" >"$E/pam.d/idmgr-lock"
as_alice=(setpriv --reuid=20001 --regid=10000 --clear-groups --reset-env)
locker() { # USER PASSWORD: pamtester as alice, as a screen locker calls PAM
	drive_cmd "(^|\\n)Password:${tab}$2" "${as_alice[@]}" /usr/bin/pamtester -I tty=:0 idmgr-lock "$1" authenticate
}
drive_cmd() {
	printf '%s\n' "$1" >"$T/dialog"
	shift
	timeout 60 python3 "$src/tests/pty_drive.py" "$T/dialog" 30 "$@" 2>&1
}
before=$(failures alice)
out=$(locker alice "$good") || fail "alice's screen locker refused her password: $out"
[[ $out == *"successfully authenticated"* ]] || fail "pamtester as alice: $out"
out=$(locker alice wrong-password-here) && fail "a wrong password unlocked alice's screen: $out"
[[ $(failures alice) == $((${before:-0} + 1)) ]] ||
	fail "the helper's failure not counted: $(failures alice) after ${before:-0}"
bob_before=$(failures bob)
out=$(locker bob "$new") && fail "alice checked bob's password through the helper: $out"
[[ $(failures bob) == "$bob_before" ]] || fail "alice's attempt counted against bob"
out=$(printf '%s\n' "$good" | "${as_alice[@]}" "$chkpwd_path" alice extra) && fail "extra argument accepted"
rc=0; printf '%s\n' "$good" | "${as_alice[@]}" "$chkpwd_path" bob >/dev/null 2>&1 || rc=$?
((rc == 4)) || fail "the helper answered alice about bob (exit $rc)"
rc=0; drive_cmd "" "${as_alice[@]}" "$chkpwd_path" alice >/dev/null || rc=$?
((rc == 4)) || fail "the helper read a password from a terminal (exit $rc)"
out=$(locker alice "$good") || fail "alice's screen locker after the refusals: $out"
ok "screen locker (pamtester as the user, PAM_TTY set): own password checked by idmgr-chkpwd and counted; other users, extra arguments and terminals refused"

# ---------------------------------------------------------------- su
# su - gina, run by the ordinary local user hostlocal on a terminal: the
# shipped stack through /etc/pam.d/su (R-LOGIN-2, R-LOGIN-3).
local_ids=$(awk -F: '$1 == "hostlocal" {print $3 ":" $4}' "$E/passwd")
as_local=(setpriv --reuid="${local_ids%:*}" --regid="${local_ids#*:}" --clear-groups --reset-env)
su_to() { # USER PASSWORD: su - USER as hostlocal, answering its password prompt
	drive_cmd "(^|\\n)Password:${tab}$2" "${as_local[@]}" /usr/bin/su - "$1" -c 'echo logged-in-as-$(id -un)'
}
: >"$T/syslog"
out=$(su_to gina "$good") || fail "su - gina with her password: $out"
[[ $out == *logged-in-as-gina* ]] || fail "su - gina: no shell as gina: $out"
logged 'pam_idmgr\(su(-l)?:auth\): auth: user=gina .*result=Success .* ruser=hostlocal$' >/dev/null ||
	fail "su's auth line does not name the calling user: $(cat "$T/syslog")"
! logged 'pam_unix\((su|su-l):auth\)' || fail "pam_unix logged about gina's su: $(logged pam_unix)"
[[ $(failures gina) == 0 ]] || fail "gina's attempts after a right su: $(failures gina)"
out=$(su_to gina wrong-password-for-su) && fail "su - gina with a wrong password: $out"
[[ $out != *logged-in-as-* ]] || fail "a wrong password gave a shell: $out"
[[ $(failures gina) == 1 ]] || fail "su's wrong password not counted: $(failures gina)"
logged 'pam_idmgr\(su(-l)?:auth\): auth: user=gina .*reason=wrong_password .* ruser=hostlocal$' >/dev/null ||
	fail "no refusal line naming the calling user: $(cat "$T/syslog")"
out=$(su_to carol "$good") && fail "su - carol (locked) with her password: $out"
[[ $out != *logged-in-as-* ]] || fail "a locked account gave a shell: $out"
ok "su - USER by an ordinary local user: right password accepted, a wrong one refused and counted, a locked account refused; the lines name the calling user"

# ---------------------------------------------------------------- passwd
# passwd run by the directory user gina, on a terminal (R-PW-1, R-PW-2): a
# weak new password refused with its reason, then a good one; the old
# password no longer binds, the new one does.
gina_ids=$(getent passwd gina | cut -d: -f3,4)
as_gina=(setpriv --reuid="${gina_ids%:*}" --regid="${gina_ids#*:}" --clear-groups --reset-env)
gnew='Third-Quiet-Orchard-58'
out=$(drive_cmd "Current password:${tab}$good
(^|\\n)New password:${tab}short
Retype new password:${tab}short
(^|\\n)New password:${tab}$gnew
Retype new password:${tab}$gnew" "${as_gina[@]}" /usr/bin/passwd) || fail "gina's passwd (exit $?): $(cat -A <<<"$out"; cat "$T/syslog" | grep -v slapd)"
[[ $out == *"at least 12"* || $out == *characters* ]] || fail "passwd: the weak password not refused with a reason: $out"
[[ $out == *"updated successfully"* ]] || fail "passwd: gina's change not reported done: $out"
whoami_as() { # USER PASSWORD: ldapwhoami bound as the user
	ldapwhoami -x -H "$LDAP_URI" -D "uid=$1,$people" -w "$2" 2>&1
}
out=$(whoami_as gina "$good") && fail "gina's old password still binds: $out"
out=$(whoami_as gina "$gnew") || fail "gina's new password does not bind: $out"
[[ $out == "dn:uid=gina,$people" ]] || fail "ldapwhoami as gina: $out"
# a local user's passwd is pam_unix's: /etc/shadow (the test's copy) changes
localnew='Xk7#Vemb9Jq2Zt%Hu'
shadow_before=$(grep '^hostlocal:' "$E/shadow")
: >"$T/syslog"
out=$(drive_cmd "Current password:${tab}$localpw
(^|\\n)New password:${tab}$localnew
Retype new password:${tab}$localnew" "${as_local[@]}" /usr/bin/passwd) || fail "hostlocal's passwd: $out"
[[ $(grep '^hostlocal:' "$E/shadow") != "$shadow_before" ]] || fail "hostlocal's shadow entry did not change: $out"
! logged 'pam_idmgr\(passwd:' || fail "pam_idmgr ran for a local user's passwd: $(logged pam_idmgr)"
localpw=$localnew
out=$(ssh_pw password hostlocal "$localpw") || fail "hostlocal's new local password: $out"
[[ $out == *logged-in* ]] || fail "hostlocal not logged in with the new password: $out"
ok "passwd by a directory user: a weak password refused with its reason, a good one accepted; the old one no longer binds, the new one does; a local user's passwd is pam_unix's"

# ---------------------------------------------------------------- directory outage
# With slapd frozen (SIGSTOP), then stopped: a directory user's ssh login is
# refused and a local user's accepted, each within 2 x ldap.timeout.
elapsed() { # command...: runs it, sets $secs (wall clock) and $status
	local t0 t1
	t0=$(date +%s%N)
	status=0
	out=$("$@") || status=$?
	t1=$(date +%s%N)
	secs=$(((t1 - t0) / 1000000))
}
limit=$((2 * timeout * 1000))
# The refusal of a directory user with slapd frozen is sshd's lookups of the
# user in nslcd (bind_timelimit and timelimit, 1 s each, then nslcd answers
# "unavailable" at once: reconnect_retrytime) and pam_idmgr's auth giving up
# after ldap.timeout; pam_unix, skipped for users not in /etc/passwd, adds
# no 2 s failure delay (pam_idmgr(8), "Directory outage").
refusal_limit=$limit
outage() { # WHAT
	elapsed ssh_pw password alice "$good"
	((status != 0)) || fail "$1: alice logged in: $out"
	((secs <= refusal_limit)) || fail "$1: alice's refusal took ${secs} ms (limit ${refusal_limit} ms)"
	local d=$secs
	elapsed ssh_pw password hostlocal "$localpw"
	((status == 0)) && [[ $out == *logged-in* ]] || fail "$1: the local user refused: $out"
	((secs <= limit)) || fail "$1: the local login took ${secs} ms (limit ${limit} ms)"
	local l=$secs
	elapsed /usr/bin/pamtester idmgr-account root acct_mgmt
	((status == 0)) || fail "$1: root's account phase refused: $out"
	((secs <= 1000)) || fail "$1: root's account phase waited ${secs} ms for the directory"
	local r=$secs
	elapsed getent passwd alice
	ok "directory $1: a directory user refused in ${d} ms (limit 2 x ldap.timeout = ${refusal_limit} ms), a local user logged in in ${l} ms (limit 2 x ldap.timeout = ${limit} ms); root's account phase ${r} ms; getent passwd of the directory user ${secs} ms"
}
out=$(ssh_pw password hostlocal "$localpw") || fail "local login with the directory up: $out"
kill -STOP "$SLAPD_PID"
outage "frozen, nslcd"
kill -CONT "$SLAPD_PID"

# ---------------------------------------------------------------- sssd
# The same host with sssd (conf/sssd.conf: id provider only) instead of
# nslcd; pam_idmgr stays the authentication.
stop_nslcd
start_sssd
[[ $(getent passwd alice | cut -d: -f3,4,6,7) == 20001:10000:/nonexistent:/bin/sh ]] ||
	fail "sssd: alice's passwd entry: $(getent passwd alice)"
[[ $(id alice) == *"uid=20001(alice)"*"10050(hoststaff)"* ]] || fail "sssd: id alice: $(id alice 2>&1)"
! getent passwd nonesuch >/dev/null || fail "sssd resolves a user the directory does not have"
out=$(ssh_pw password alice "$good") || fail "alice's login with sssd: $out"
[[ $out == *logged-in* ]] || fail "alice not logged in with sssd: $out"
out=$(ssh_key eve) && fail "eve (suspended) logged in by key with sssd: $out"
ok "sssd with conf/sssd.conf resolves directory users and their groups; password login through sshd, a suspended account's key refused"
kill -STOP "$SLAPD_PID"
outage "frozen, sssd"
kill -CONT "$SLAPD_PID"
kill -TERM "$SLAPD_PID"
for _ in $(seq 100); do kill -0 "$SLAPD_PID" 2>/dev/null || break; sleep 0.1; done
outage "stopped, sssd"
stop_sssd
start_nslcd --no-wait
outage "stopped, nslcd"
