#!/bin/sh
# conf/idmgr.ldif (cn=config) must be exactly conf/idmgr.schema (slapd.conf):
# converted with slaptest, compared after dropping the header comments.
set -eu
src=${IDMGR_SRCDIR:-..}
slaptest=$(command -v slaptest || echo /usr/sbin/slaptest)
[ -x "$slaptest" ] || { echo "slaptest not found (apt-get install slapd)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/cfg"
cat >"$tmp/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include $src/conf/idmgr.schema
CONF
"$slaptest" -f "$tmp/slapd.conf" -F "$tmp/cfg" >/dev/null 2>&1
sed -n '/^olcObjectIdentifier\|^olcAttributeTypes\|^olcObjectClasses\|^ /p' \
	"$tmp/cfg/cn=config/cn=schema/cn={4}idmgr.ldif" >"$tmp/want"
sed -n '/^olcObjectIdentifier\|^olcAttributeTypes\|^olcObjectClasses\|^ /p' \
	"$src/conf/idmgr.ldif" >"$tmp/have"
if ! cmp -s "$tmp/want" "$tmp/have"; then
	echo "conf/idmgr.ldif differs from conf/idmgr.schema; regenerate it:"
	diff "$tmp/want" "$tmp/have" | head -20
	exit 1
fi
echo "idmgr.ldif matches idmgr.schema ($(grep -c '^olc' "$tmp/have") definitions)"
