#include "config.h"

#include <string.h>
#include <strings.h>

#include "idm_error.h"
#include "idm_uid.h"

int idm_uid_check(const struct idm_config *cfg, const char *uid)
{
	size_t n;

	if (!uid)
		return IDM_EINVAL;
	n = strlen(uid);
	if (n == 0 || n > 64)
		return IDM_EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)uid[i];
		if (c <= 0x20 || c >= 0x7f || strchr("*()\\,+\"<>;=#", c))
			return IDM_EINVAL;
	}
	if (regexec(&cfg->registration.uid_re, uid, 0, NULL, 0) != 0)
		return IDM_EINVAL;
	return IDM_OK;
}

bool idm_uid_reserved(const struct idm_config *cfg, const char *uid)
{
	for (size_t i = 0; i < cfg->registration.n_reserved_names; i++)
		if (strcasecmp(uid, cfg->registration.reserved_names[i]) == 0)
			return true;
	return false;
}
