#include "config.h"

#include "idm_error.h"

const char *idm_strerror(int err)
{
	switch ((enum idm_err)err) {
	case IDM_OK: return "success";
	case IDM_ENOMEM: return "out of memory";
	case IDM_EINVAL: return "invalid input";
	case IDM_ECONFIG: return "invalid configuration";
	case IDM_EUNAVAIL: return "no directory server answered";
	case IDM_EAUTH: return "authentication failed";
	case IDM_ENOENT: return "no such entry";
	case IDM_EEXIST: return "already exists";
	case IDM_EDENIED: return "permission denied";
	case IDM_EDIR: return "directory operation failed";
	case IDM_EIO: return "input/output error";
	case IDM_EPOLICY: return "refused by the password policy";
	case IDM_ESTATE: return "not allowed in the current state";
	case IDM_ERANGE: return "value out of range";
	case IDM_ENOVALUE: return "no such value";
	case IDM_ESCHEMA: return "refused by the directory schema";
	case IDM_ELIMIT: return "directory limit exceeded";
	}
	return "unknown error";
}
