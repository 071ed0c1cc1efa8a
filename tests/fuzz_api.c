/* libFuzzer harness for the idmgrd request parser (idm_api_parse, the
 * first code that reads what a client sends): any bytes must give either a
 * request that passes every check or IDM_EINVAL/IDM_ERANGE with a reason,
 * never a crash, a leak or undefined behaviour, and never echo a password
 * into the reason.  Built and run by tests/fuzz_api.sh (tests/run-all). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idm_api.h"
#include "idm_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idm_api_request *req = NULL;
	char why[256];
	int r = idm_api_parse((const char *)data, size, &req, why, sizeof(why));

	if (r == IDM_OK) {
		/* what the parser let through is what the table allows */
		if (!req || !req->operator_uid || !*req->operator_uid || !req->password ||
		    !*req->password || !req->args || !idm_api_op_name(req->op))
			abort();
		if (strstr(why, req->password) && strlen(req->password) > 3)
			abort();
	} else if (req || (r != IDM_EINVAL && r != IDM_ERANGE && r != IDM_ENOMEM) || !*why) {
		abort();
	}
	idm_api_request_free(req);
	return 0;
}
