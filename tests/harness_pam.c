/* harness_pam.c -- a whole login through libpam for the tests that link
 * it (harness.h); apart so that the other harness users need no libpam. */
#include "config.h"

#include <security/pam_appl.h>

#include "harness.h"

int pam_login(const char *uid, const char *pw)
{
	struct pam_script c = { .answers = { pw } };
	struct pam_conv pc = { pam_script_conv, &c };
	pam_handle_t *pamh = NULL;
	int r = pam_start("idmgr", uid, &pc, &pamh);

	if (r == PAM_SUCCESS)
		r = pam_authenticate(pamh, 0);
	if (r == PAM_SUCCESS)
		r = pam_acct_mgmt(pamh, 0);
	pam_end(pamh, r);
	return r;
}
