#include "config.h"

#include <argon2.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_error.h"
#include "idm_passhash.h"
#include "idm_random.h"

#define SALT_LEN 16
#define HASH_LEN 32
#define SCHEME_LEN (sizeof(IDM_HASH_SCHEME) - 1)

int idm_hash_password(const struct idm_argon2_params *p, const char *pw, size_t pwlen, char **out)
{
	unsigned char salt[SALT_LEN];
	size_t enclen;
	char *buf;
	int r;

	*out = NULL;
	if (pwlen > UINT32_MAX)
		return IDM_EINVAL;
	r = idm_random_bytes(salt, sizeof(salt));
	if (r < 0)
		return r;
	enclen = argon2_encodedlen(p->iterations, p->memory_kib, p->parallelism, SALT_LEN, HASH_LEN,
				   Argon2_id);
	buf = malloc(SCHEME_LEN + enclen);
	if (!buf)
		return IDM_ENOMEM;
	memcpy(buf, IDM_HASH_SCHEME, SCHEME_LEN);
	r = argon2id_hash_encoded(p->iterations, p->memory_kib, p->parallelism, pw, pwlen, salt,
				  SALT_LEN, HASH_LEN, buf + SCHEME_LEN, enclen);
	explicit_bzero(salt, sizeof(salt));
	if (r != ARGON2_OK) {
		free(buf);
		return r == ARGON2_MEMORY_ALLOCATION_ERROR ? IDM_ENOMEM : IDM_EINVAL;
	}
	*out = buf;
	return IDM_OK;
}

static int parse_u32(const char **s, const char *key, uint32_t *out)
{
	size_t klen = strlen(key);
	unsigned long long v = 0;
	const char *p = *s;

	if (strncmp(p, key, klen) != 0)
		return IDM_EINVAL;
	p += klen;
	if (*p < '0' || *p > '9')
		return IDM_EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT32_MAX)
			return IDM_ERANGE;
	}
	*out = (uint32_t)v;
	*s = p;
	return IDM_OK;
}

int idm_hash_params(const char *stored, enum idm_argon2_type *type, struct idm_argon2_params *p)
{
	const char *s = stored;
	uint32_t version;
	int r;

	if (strncmp(s, IDM_HASH_SCHEME, SCHEME_LEN) == 0)
		s += SCHEME_LEN;
	if (strncmp(s, "$argon2id$", 10) == 0) {
		*type = IDM_ARGON2_ID;
		s += 10;
	} else if (strncmp(s, "$argon2i$", 9) == 0) {
		*type = IDM_ARGON2_I;
		s += 9;
	} else if (strncmp(s, "$argon2d$", 9) == 0) {
		*type = IDM_ARGON2_D;
		s += 9;
	} else {
		return IDM_EINVAL;
	}
	/* The version field is optional in old encodings. */
	if (strncmp(s, "v=", 2) == 0) {
		if ((r = parse_u32(&s, "v=", &version)) < 0 || *s++ != '$')
			return r < 0 ? r : IDM_EINVAL;
	}
	if ((r = parse_u32(&s, "m=", &p->memory_kib)) < 0 || *s++ != ',' ||
	    (r = parse_u32(&s, "t=", &p->iterations)) < 0 || *s++ != ',' ||
	    (r = parse_u32(&s, "p=", &p->parallelism)) < 0 || *s != '$')
		return r < 0 ? r : IDM_EINVAL;
	return IDM_OK;
}

int idm_hash_from_stored(const char *val, size_t len, char **out)
{
	const char *nul = memchr(val, '\0', len);

	*out = NULL;
	if (nul && (size_t)(nul - val) + 2 < len)
		return IDM_EINVAL;
	if (nul)
		len = (size_t)(nul - val);
	*out = strndup(val, len);
	return *out ? IDM_OK : IDM_ENOMEM;
}

void idm_hash_bounds(const struct idm_argon2_params *c, struct idm_argon2_params *max)
{
	max->memory_kib = c->memory_kib > 16384 ? c->memory_kib * 4 : 65536;
	max->iterations = c->iterations > 2 ? c->iterations * 4 : 10;
	max->parallelism = 16;
}

int idm_hash_verify(const char *stored, const char *pw, size_t pwlen,
		    const struct idm_argon2_params *max)
{
	enum idm_argon2_type type;
	struct idm_argon2_params p;
	const char *enc = stored;
	int r;

	r = idm_hash_params(stored, &type, &p);
	if (r < 0)
		return r;
	if (p.memory_kib > max->memory_kib || p.iterations > max->iterations ||
	    p.parallelism > max->parallelism || p.parallelism == 0)
		return IDM_ERANGE;
	if (pwlen > UINT32_MAX)
		return IDM_EINVAL;
	if (strncmp(enc, IDM_HASH_SCHEME, SCHEME_LEN) == 0)
		enc += SCHEME_LEN;
	r = argon2_verify(enc, pw, pwlen, (argon2_type)type);
	if (r == ARGON2_OK)
		return IDM_OK;
	if (r == ARGON2_VERIFY_MISMATCH)
		return IDM_EAUTH;
	return r == ARGON2_MEMORY_ALLOCATION_ERROR ? IDM_ENOMEM : IDM_EINVAL;
}

bool idm_hash_weaker(const char *stored, const struct idm_argon2_params *want)
{
	enum idm_argon2_type type;
	struct idm_argon2_params p;

	if (idm_hash_params(stored, &type, &p) < 0)
		return true;
	return type != IDM_ARGON2_ID || p.memory_kib < want->memory_kib ||
	       p.iterations < want->iterations;
}
