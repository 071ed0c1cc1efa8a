#!/bin/bash
# Builds tests/fuzz_api.c with clang's libFuzzer (+ASan, UBSan) against the
# core built in BUILD_DIR and runs it for a bounded number of inputs, from
# the seed requests in tests/fuzz_api.seeds (one request per line).
#   tests/fuzz_api.sh BUILD_DIR [RUNS]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: fuzz_api.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-20000}
command -v clang >/dev/null || { echo "fuzz_api: clang not found (apt-get install clang)" >&2; exit 1; }
work=$build/fuzz
mkdir -p "$work/corpus"
i=0
while IFS= read -r line; do
	printf '%s' "$line" >"$work/corpus/seed-$i"
	i=$((i + 1))
done <"$top/tests/fuzz_api.seeds"
# The protocol (parser, table, answers), instrumented; the rest of the core (what the
# table's ops call, never reached here) from the ordinary build.
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$build" -I"$top/lib/common" -I"$top/lib/login" -I"$top/lib/admin" -I"$top/lib/service" \
	$(pkg-config --cflags jansson ldap) \
	"$top/tests/fuzz_api.c" "$top"/lib/service/idm_api*.c "$top/lib/service/idm_authcache.c" \
	"$top/lib/service/idm_dirpool.c" \
	"$build/lib/.libs/libidmgr_admin.a" "$build/lib/.libs/libidmgr.a" \
	$(pkg-config --libs jansson ldap libconfuse libargon2 nettle) -lpthread \
	-o "$work/fuzz_api"
"$work/fuzz_api" -runs="$runs" -max_len=4096 -timeout=10 "$work/corpus" 2>"$work/fuzz.log" ||
	{ tail -n 40 "$work/fuzz.log"; exit 1; }
tail -n 2 "$work/fuzz.log"
