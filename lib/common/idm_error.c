#include "config.h"

#include "idm_error.h"
#include "idm_i18n.h"

const char *idm_strerror(int err)
{
	switch ((enum idm_err)err) {
	case IDM_OK: return N_("success");
	case IDM_ENOMEM: return N_("out of memory");
	case IDM_EINVAL: return N_("invalid input");
	case IDM_ECONFIG: return N_("invalid configuration");
	case IDM_EUNAVAIL: return N_("no directory server answered");
	case IDM_EAUTH: return N_("authentication failed");
	case IDM_ENOENT: return N_("no such entry");
	case IDM_EEXIST: return N_("already exists");
	case IDM_EDENIED: return N_("permission denied");
	case IDM_EDIR: return N_("directory operation failed");
	case IDM_EIO: return N_("input/output error");
	case IDM_EPOLICY: return N_("refused by the password policy");
	case IDM_ESTATE: return N_("not allowed in the current state");
	case IDM_ERANGE: return N_("value out of range");
	case IDM_ENOVALUE: return N_("no such value");
	case IDM_ESCHEMA: return N_("refused by the directory schema");
	case IDM_ELIMIT: return N_("directory limit exceeded");
	}
	return N_("unknown error");
}
