#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "idm_error.h"
#include "idm_random.h"
#include "idm_secret.h"

int idm_random_bytes(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return IDM_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return IDM_OK;
}

/* Uniform index below n by rejection sampling (no modulo bias). */
static int random_below(uint32_t n, unsigned *out)
{
	uint32_t v, limit = UINT32_MAX - UINT32_MAX % n;
	int r;

	do {
		r = idm_random_bytes(&v, sizeof(v));
		if (r < 0)
			return r;
	} while (v >= limit);
	*out = v % n;
	return IDM_OK;
}

int idm_random_password(size_t len, char **out)
{
	static const char *const classes[] = {
		"abcdefghijkmnpqrstuvwxyz",
		"ABCDEFGHJKLMNPQRSTUVWXYZ",
		"23456789",
		"-_.:+=%@",
	};
	static const char all[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
				  "23456789-_.:+=%@";
	char *pw;
	unsigned k = 0;
	int r = IDM_OK;

	*out = NULL;
	if (len < 8 || len > 1024)
		return IDM_EINVAL;
	pw = calloc(1, len + 1);
	if (!pw)
		return IDM_ENOMEM;
	for (size_t i = 0; i < len && r == IDM_OK; i++) {
		const char *set = i < 4 ? classes[i] : all;
		r = random_below((uint32_t)strlen(set), &k);
		pw[i] = set[k];
	}
	/* Shuffle so the four guaranteed classes are not always first. */
	for (size_t i = len - 1; i > 0 && r == IDM_OK; i--) {
		char c;
		r = random_below((uint32_t)(i + 1), &k);
		c = pw[i];
		pw[i] = pw[k];
		pw[k] = c;
	}
	if (r < 0) {
		idm_secret_free(pw);
		return r;
	}
	*out = pw;
	return IDM_OK;
}

int idm_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[32];
	int r = n <= sizeof(rnd) ? idm_random_bytes(rnd, n) : IDM_ERANGE;

	out[0] = '\0';
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[rnd[i] >> 4];
		out[2 * i + 1] = hex[rnd[i] & 15];
	}
	out[2 * n] = '\0';
	return IDM_OK;
}
