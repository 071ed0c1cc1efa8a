#!/bin/bash
# bench_service.sh -- requests per second through idmgrd (issue 12), against
# direct LDAP tools doing the same to the same entries, all timed as whole
# processes from the caller's side, in the same run:
#   request show     idmgr (reads with the officer's own bind)
#                    vs ldapsearch bound as the officer, the same entry
#   request approve  idmgr -> idmgrd (bind as the officer, then the write as
#                    idmgrd, the audit record)
#                    vs ldapmodify bound as the officer adding the same
#                    approval value (refused since issue 12: the same bind
#                    and round trip the direct design cost) and ldapmodify
#                    bound as idmgrd (the write alone)
#   approvals/s with 8 officers' clients at once (the figure to hold: a
#   100-officer organisation needs far less than 50 a second)
# Usage: bench_service.sh [N]   (N requests, default 40)
# Environment as for idmgr-sandbox (bench/run sets it).
set -euo pipefail
n=${1:-40}
sandbox=${IDMGR_SANDBOX_CMD:?set IDMGR_SANDBOX_CMD}
idmgr=${IDMGR_BIN:?set IDMGR_BIN}
dir=$(mktemp -d "${TMPDIR:-/tmp}/idmgr-bench-svc.XXXXXX")
rmdir "$dir"
trap '"$sandbox" stop "$dir" >/dev/null 2>&1 || true' EXIT
"$sandbox" start "$dir" >/dev/null
# shellcheck source=/dev/null
source "$dir/sandbox.env"
conf=$dir/idmgr.conf

temp_password() {
	awk -v uid="$1" '
		/"uid":/ { gsub(/[",]/, "", $2); cur = $2 }
		/"temporary_password":/ && cur == uid { gsub(/[",]/, "", $2); print $2; exit }
	' "$dir/officers.json"
}
i=0
for who in suzuki takahashi tanaka; do
	i=$((i + 1))
	printf '%s' "$(temp_password "$who")" >"$dir/$who.old"
	printf 'Bench pass number %d, 2026!' "$i" >"$dir/$who.pw"
	chmod 600 "$dir/$who.old" "$dir/$who.pw"
	"$idmgr" -c "$conf" -u "$who" --password-file "$dir/$who.old" passwd \
		--new-password-file "$dir/$who.pw" >/dev/null
done
as() { local who=$1; shift; "$idmgr" -c "$conf" -u "$who" --password-file "$dir/$who.pw" "$@"; }

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.2f", y / x }'; }

# 2n+8*8 register requests, submitted through idmgrd
: >"$dir/ids"
for ((k = 0; k < 2 * n + 64; k++)); do
	cat >"$dir/f.form" <<EOF
type = "register"
form_ref = "B-$k"
applicant = "watanabe"
reason = "bench"
uid = "bench$k"
given_name = "Bench"
surname = "Mark"
unit = "benefits"
employee_type = "regular"
EOF
	as tanaka request submit "$dir/f.form" >>"$dir/ids"
done
mapfile -t ids <"$dir/ids"
dn_of() { printf 'idmRequestId=%s,ou=requests,ou=idmgr,%s' "$1" "$SUFFIX"; }
suzuki_dn="uid=suzuki,ou=people,$SUFFIX"

# request show vs ldapsearch
t0=$(now)
for ((k = 0; k < n; k++)); do as suzuki request show "${ids[k]}" >/dev/null; done
t1=$(now)
for ((k = 0; k < n; k++)); do
	ldapsearch -LLL -x -H "$LDAP_URI" -D "$suzuki_dn" -y "$dir/suzuki.pw" -b "$(dn_of "${ids[k]}")" \
		-s base >/dev/null
done
t2=$(now)
show=$(rate "$n" "$t0" "$t1")
search=$(rate "$n" "$t1" "$t2")
printf 'request show:    %6s/s   ldapsearch as the officer: %6s/s   ratio %s\n' \
	"$show" "$search" "$(ratio "$show" "$search")"

# request approve vs ldapmodify
t0=$(now)
for ((k = 0; k < n; k++)); do as suzuki request approve "${ids[k]}" >/dev/null; done
t1=$(now)
for ((k = n; k < 2 * n; k++)); do
	printf 'dn: %s\nchangetype: modify\nadd: idmApproval\nidmApproval: security_chief %s 20261201000000Z\n' \
		"$(dn_of "${ids[k]}")" "$suzuki_dn" |
		ldapmodify -x -H "$LDAP_URI" -D "$suzuki_dn" -y "$dir/suzuki.pw" >/dev/null 2>&1 || true
done
t2=$(now)
for ((k = n; k < 2 * n; k++)); do
	printf 'dn: %s\nchangetype: modify\nreplace: idmDetail\nidmDetail: bench\n' "$(dn_of "${ids[k]}")" |
		ldapmodify -x -H "$LDAP_URI" -D "cn=idmgrd,ou=services,$SUFFIX" -y "$dir/idmgrd.secret" >/dev/null
done
t3=$(now)
approve=$(rate "$n" "$t0" "$t1")
officer_mod=$(rate "$n" "$t1" "$t2")
writer_mod=$(rate "$n" "$t2" "$t3")
printf 'request approve: %6s/s   ldapmodify as the officer: %6s/s   ratio %s\n' \
	"$approve" "$officer_mod" "$(ratio "$approve" "$officer_mod")"
printf '                            ldapmodify as idmgrd:      %6s/s   ratio %s\n' \
	"$writer_mod" "$(ratio "$approve" "$writer_mod")"

# 8 clients at once, 8 approvals each (takahashi: the second approval)
t0=$(now)
for ((c = 0; c < 8; c++)); do
	(
		for ((k = 2 * n + c * 8; k < 2 * n + c * 8 + 8; k++)); do
			as takahashi request approve "${ids[k]}" >/dev/null
		done
	) &
done
wait
t1=$(now)
printf 'approvals with 8 clients at once: %s/s (64 approvals)\n' "$(rate 64 "$t0" "$t1")"
