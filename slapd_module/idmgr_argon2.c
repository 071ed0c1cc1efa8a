/* idmgr_argon2.so -- the {ARGON2} password scheme of slapd, made by idmgr
 * (R-PW-5; docs/design.md "Server-side password rules").
 *
 *     moduleload /usr/lib/ldap/idmgr_argon2.so m=19456 t=2 p=1
 *     password-hash {ARGON2}
 *
 * Loaded INSTEAD of Debian's argon2.so (both register "{ARGON2}"; slapd
 * 2.5.13's module writes argon2i followed by a NUL and a stray byte,
 * ITS#9827).  Hashes: Argon2id with the costs given as module arguments,
 * through the same lib/login/idm_passhash.c that idmgr itself uses, so a
 * value slapd stores and one idmgr writes cannot differ.  Verifies argon2id,
 * argon2i and argon2d, with or without the trailing NUL and stray byte of
 * 2.5.13's module, so every hash stored before still binds; costs beyond
 * idm_hash_bounds() of the configured ones are refused (libargon2 trusts
 * the costs written in a hash), and at most the configured lanes are used
 * so that a planted value cannot make slapd start threads.
 *
 * Arguments are m=KiB t=ITERATIONS p=LANES, each at most once, all
 * required, within the bounds of idm_config.c; anything else makes
 * init_module() fail, and slapd refuses to start (fail closed). */
#include "config.h"

#include <lber.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "idm_error.h"
#include "idm_passhash.h"

/* liblutil's interface (OpenLDAP's lutil.h, not shipped by Debian); stable
 * since 2.2: the scheme name includes the braces, passwd is the stored
 * value after the scheme, cred the cleartext.  0 is success. */
typedef int(LUTIL_PASSWD_CHK_FUNC)(const struct berval *scheme, const struct berval *passwd,
				   const struct berval *cred, const char **text);
typedef int(LUTIL_PASSWD_HASH_FUNC)(const struct berval *scheme, const struct berval *passwd,
				    struct berval *hash, const char **text);
int lutil_passwd_add(struct berval *scheme, LUTIL_PASSWD_CHK_FUNC *chk_fn,
		     LUTIL_PASSWD_HASH_FUNC *hash_fn);

#define EXPORT __attribute__((visibility("default")))
#define LUTIL_PASSWD_OK 0
#define LUTIL_PASSWD_ERR (-1)

static struct idm_argon2_params costs;

static int chk(const struct berval *scheme, const struct berval *passwd, const struct berval *cred,
	       const char **text)
{
	struct idm_argon2_params max;
	char *stored = NULL;
	int r;

	(void)scheme;
	(void)text;
	if (!passwd || !cred || !passwd->bv_val || !cred->bv_val)
		return LUTIL_PASSWD_ERR;
	if (idm_hash_from_stored(passwd->bv_val, passwd->bv_len, &stored) < 0)
		return LUTIL_PASSWD_ERR;
	idm_hash_bounds(&costs, &max);
	max.parallelism = costs.parallelism;
	r = idm_hash_verify(stored, cred->bv_val, cred->bv_len, &max);
	explicit_bzero(stored, strlen(stored));
	free(stored);
	return r == IDM_OK ? LUTIL_PASSWD_OK : LUTIL_PASSWD_ERR;
}

static int hash(const struct berval *scheme, const struct berval *passwd, struct berval *out,
		const char **text)
{
	char *h = NULL;
	size_t len;

	(void)scheme;
	out->bv_val = NULL;
	out->bv_len = 0;
	if (!passwd || !passwd->bv_val ||
	    idm_hash_password(&costs, passwd->bv_val, passwd->bv_len, &h) < 0) {
		*text = "idmgr_argon2: hashing failed";
		return LUTIL_PASSWD_ERR;
	}
	/* slapd frees the value with ber_memfree(). */
	len = strlen(h);
	out->bv_val = ber_memalloc(len + 1);
	if (out->bv_val) {
		memcpy(out->bv_val, h, len + 1);
		out->bv_len = len;
	}
	explicit_bzero(h, len);
	free(h);
	if (!out->bv_val) {
		*text = "idmgr_argon2: out of memory";
		return LUTIL_PASSWD_ERR;
	}
	return LUTIL_PASSWD_OK;
}

/* One "k=N" argument into *v, within [lo, hi]; 0 or -1. */
static int arg(const char *a, const char *key, unsigned long lo, unsigned long hi, int *seen,
	       uint32_t *v)
{
	size_t klen = strlen(key);
	unsigned long long n = 0;
	const char *p;

	if (strncmp(a, key, klen) != 0)
		return 1; /* not this key */
	p = a + klen;
	if (*seen || *p == '\0')
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || (n = n * 10 + (unsigned)(*p - '0')) > hi)
			return -1;
	}
	if (n < lo)
		return -1;
	*seen = 1;
	*v = (uint32_t)n;
	return 0;
}

EXPORT int init_module(int argc, char *argv[]);

EXPORT int init_module(int argc, char *argv[])
{
	static char name[] = IDM_HASH_SCHEME;
	struct berval scheme = { sizeof(name) - 1, name };
	int seen_m = 0, seen_t = 0, seen_p = 0;

	for (int i = 0; i < argc; i++) {
		int r = arg(argv[i], "m=", 8, 1048576, &seen_m, &costs.memory_kib);

		if (r > 0)
			r = arg(argv[i], "t=", 1, 100, &seen_t, &costs.iterations);
		if (r > 0)
			r = arg(argv[i], "p=", 1, 16, &seen_p, &costs.parallelism);
		if (r != 0) {
			syslog(LOG_ERR,
			       "idmgr_argon2: bad module argument \"%s\" (m=KiB t=N p=N, "
			       "each once)",
			       argv[i]);
			fprintf(stderr,
				"idmgr_argon2: bad module argument \"%s\" (m=KiB t=N p=N, "
				"each once)\n",
				argv[i]);
			return -1;
		}
	}
	if (!seen_m || !seen_t || !seen_p || costs.memory_kib < 8 * costs.parallelism) {
		syslog(LOG_ERR, "idmgr_argon2: module arguments m=, t= and p= are required "
				"(m at least 8*p)");
		fprintf(stderr, "idmgr_argon2: module arguments m=, t= and p= are required "
				"(m at least 8*p)\n");
		return -1;
	}
	return lutil_passwd_add(&scheme, chk, hash) == 0 ? 0 : -1;
}
