#!/bin/bash
# bench_service.sh -- requests per second through idmgrd (issue 12), against
# direct LDAP tools doing the same to the same entries, all timed as whole
# processes from the caller's side, in the same run:
#   request show     idmgr (reads with the officer's own bind)
#                    vs ldapsearch bound as the officer, the same entry
#   request approve  idmgr -> idmgrd (the officer authenticated, then the
#                    write as idmgrd, the audit record)
#                    vs ldapmodify bound as the officer adding the same
#                    approval value (refused since issue 12: the same bind
#                    and round trip the direct design cost) and ldapmodify
#                    bound as idmgrd (the write alone)
#   approvals/s with 8 officers' clients at once
# first with idmgrd as configured (service.cached_auth_timeout = 60: a bind
# per officer a minute, every later request checked against it and the
# entry read again), then with idmgrd restarted with
# cached_auth_timeout = 0 (a bind as the officer, an Argon2 verification in
# slapd, for every request).  Each figure is the median of RUNS runs of N
# requests; ratios are ratios of medians.  The goal: 50 approvals/s on
# this machine (a 100-officer organisation needs far less).
# Usage: bench_service.sh [N [RUNS]]   (defaults 30 and 5)
# Environment as for idmgr-sandbox (bench/run sets it); IDMGRD_BIN too.
set -euo pipefail
n=${1:-30}
runs=${2:-5}
clients=8 per_client=4
sandbox=${IDMGR_SANDBOX_CMD:?set IDMGR_SANDBOX_CMD}
idmgr=${IDMGR_BIN:?set IDMGR_BIN}
idmgrd=${IDMGRD_BIN:?set IDMGRD_BIN}
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
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.2f", y / x }'; }

# Each officer approves a request once: suzuki (security_chief) n a run,
# takahashi (system_admin) clients*per_client a run, in each of the two
# phases.  Submitted by tanaka through idmgrd.
per_phase=$((n > clients * per_client ? n : clients * per_client))
total=$((2 * runs * per_phase))
: >"$dir/ids"
for ((k = 0; k < total; k++)); do
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
next=0 # the next request nobody in this phase approved yet

approve_run() { # $1: who, $2: count; prints the rate
	local who=$1 count=$2 t0 t1 k
	t0=$(now)
	for ((k = next; k < next + count; k++)); do as "$who" request approve "${ids[k]}" >/dev/null; done
	t1=$(now)
	rate "$count" "$t0" "$t1"
}
clients_run() { # prints the rate of clients*per_client approvals by takahashi
	local t0 t1 c
	t0=$(now)
	for ((c = 0; c < clients; c++)); do
		(
			for ((k = next + c * per_client; k < next + (c + 1) * per_client; k++)); do
				as takahashi request approve "${ids[k]}" >/dev/null
			done
		) &
	done
	wait
	t1=$(now)
	rate $((clients * per_client)) "$t0" "$t1"
}

# --- phase 1: idmgrd as configured (cached_auth_timeout = 60)
show=() search=() approve=() officer_mod=() writer_mod=() parallel=()
base=0
for ((r = 0; r < runs; r++)); do
	t0=$(now)
	for ((k = 0; k < n; k++)); do as suzuki request show "${ids[k]}" >/dev/null; done
	t1=$(now)
	for ((k = 0; k < n; k++)); do
		ldapsearch -LLL -x -H "$LDAP_URI" -D "$suzuki_dn" -y "$dir/suzuki.pw" -b "$(dn_of "${ids[k]}")" \
			-s base >/dev/null
	done
	t2=$(now)
	show+=("$(rate "$n" "$t0" "$t1")") search+=("$(rate "$n" "$t1" "$t2")")

	next=$base
	approve+=("$(approve_run suzuki "$n")")
	t1=$(now)
	for ((k = base; k < base + n; k++)); do
		printf 'dn: %s\nchangetype: modify\nadd: idmApproval\nidmApproval: security_chief %s 20261201000000Z\n' \
			"$(dn_of "${ids[k]}")" "$suzuki_dn" |
			ldapmodify -x -H "$LDAP_URI" -D "$suzuki_dn" -y "$dir/suzuki.pw" >/dev/null 2>&1 || true
	done
	t2=$(now)
	for ((k = base; k < base + n; k++)); do
		printf 'dn: %s\nchangetype: modify\nreplace: idmDetail\nidmDetail: bench\n' "$(dn_of "${ids[k]}")" |
			ldapmodify -x -H "$LDAP_URI" -D "cn=idmgrd,ou=services,$SUFFIX" -y "$dir/idmgrd.secret" >/dev/null
	done
	t3=$(now)
	officer_mod+=("$(rate "$n" "$t1" "$t2")") writer_mod+=("$(rate "$n" "$t2" "$t3")")
	parallel+=("$(clients_run)")
	base=$((base + per_phase))
done

# --- phase 2: the same idmgrd restarted with cached_auth_timeout = 0
kill "$(cat "$dir/idmgrd.pid")"
k=0
while [[ -e $dir/idmgrd.pid ]] && ((k++ < 100)); do sleep 0.1; done
sed -i 's/^\( *cached_auth_timeout = \)[0-9]*/\10/' "$conf"
grep -q '^ *cached_auth_timeout = 0' "$conf" || { echo "bench_service: cannot set cached_auth_timeout" >&2; exit 1; }
setsid "$idmgrd" -f -c "$conf" -p "$dir/idmgrd.pid" </dev/null >>"$dir/idmgrd.log" 2>&1 &
k=0
while [[ ! -e $dir/idmgrd.pid ]] && ((k++ < 100)); do sleep 0.1; done
bound=() bound_parallel=()
for ((r = 0; r < runs; r++)); do
	next=$base
	bound+=("$(approve_run suzuki "$n")")
	bound_parallel+=("$(clients_run)")
	base=$((base + per_phase))
done

m_show=$(median "${show[@]}") m_search=$(median "${search[@]}")
m_approve=$(median "${approve[@]}") m_officer=$(median "${officer_mod[@]}")
m_writer=$(median "${writer_mod[@]}") m_parallel=$(median "${parallel[@]}")
m_bound=$(median "${bound[@]}") m_bound_parallel=$(median "${bound_parallel[@]}")
printf 'medians of %d runs of %d requests (whole processes):\n' "$runs" "$n"
printf 'request show:    %6s/s   ldapsearch as the officer: %6s/s   ratio %s\n' \
	"$m_show" "$m_search" "$(ratio "$m_show" "$m_search")"
printf 'request approve: %6s/s   ldapmodify as the officer: %6s/s   ratio %s\n' \
	"$m_approve" "$m_officer" "$(ratio "$m_approve" "$m_officer")"
printf '                            ldapmodify as idmgrd:      %6s/s   ratio %s\n' \
	"$m_writer" "$(ratio "$m_approve" "$m_writer")"
printf 'approvals with %d clients at once: %s/s (%d approvals a run)\n' "$clients" "$m_parallel" \
	$((clients * per_client))
printf 'cached_auth_timeout = 0 (a bind every request): approve %s/s (%sx the cached), %d clients %s/s\n' \
	"$m_bound" "$(ratio "$m_approve" "$m_bound")" "$clients" "$m_bound_parallel"
printf 'runs: approve %s | 0: %s | %d clients %s | 0: %s\n' "${approve[*]}" "${bound[*]}" "$clients" \
	"${parallel[*]}" "${bound_parallel[*]}"
