/* idm_random.h -- secrets from the kernel's CSPRNG (getrandom). */
#ifndef IDM_RANDOM_H
#define IDM_RANDOM_H

#include <stddef.h>

int idm_random_bytes(void *buf, size_t len);
/* 2 * n random lower-case hex digits and a NUL into out (nonces, tokens). */
int idm_random_hex(char *out, size_t n);
/* A random password of len characters (len >= 8) holding a lower-case and an
 * upper-case letter, a digit and a symbol, without look-alike characters.
 * Free with idm_secret_free(). */
int idm_random_password(size_t len, char **out);

#endif
