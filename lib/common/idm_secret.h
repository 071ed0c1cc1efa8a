/* idm_secret.h -- secret files and secret strings.
 *
 * idm_secret_read() opens PATH without following symbolic links and refuses
 * it unless it is a regular file of mode 0600 or stricter owned by root or
 * by the running user, at most 4 KiB.  The secret is the first line.  Every
 * refusal names the file and the reason through the logger.
 * idm_secret_free() wipes (explicit_bzero) and frees a secret string. */
#ifndef IDM_SECRET_H
#define IDM_SECRET_H

#include "idm_log.h"

int idm_secret_read(const char *path, const struct idm_log *log, char **out);
/* Checks a secret file without keeping its content (for config check). */
int idm_secret_check(const char *path, const struct idm_log *log);
/* Writes secret to path atomically (temporary file + rename), mode 0600.
 * Refuses to replace an existing file. */
int idm_secret_write(const char *path, const char *secret, const struct idm_log *log);
void idm_secret_free(char *secret);

/* Reads a whole file for parsing (configuration, forms): no symbolic link,
 * regular file, at most max bytes, and -- when strict -- not writable by
 * group or others and owned by root or the running user. */
int idm_file_read(const char *path, size_t max, int strict, const struct idm_log *log, char **out,
		  size_t *len);

#endif
