/* client.h -- the command's side of idmgrd-api(7). */
#ifndef IDMGR_CLIENT_H
#define IDMGR_CLIENT_H

#include <jansson.h>

#include "cmd.h"

/* Asks the service to run op with args (stolen) as the operator (-u, with
 * the password from --password-file or the terminal).  The messages the
 * core logged in the service are printed as the command prints its own.
 * Returns the op's idm_err (IDM_EUNAVAIL when the service does not answer);
 * *result (json_decref it; NULL when no answer) is the op's output. */
int client_call(struct cmd_ctx *ctx, const struct idm_config *cfg, const char *op, json_t *args,
		json_t **result);
/* The same for an op whose answer streams (sweep.apply): item() is called
 * with each finding as it arrives (borrowed), messages are printed as they
 * arrive. */
typedef void (*client_item_fn)(void *ctx, json_t *item);
int client_call_stream(struct cmd_ctx *ctx, const struct idm_config *cfg, const char *op,
		       json_t *args, client_item_fn item, void *item_ctx, json_t **result);
/* The service's version and state ("0.1 (ready)"), malloc'ed. */
int client_version(const struct cmd_ctx *ctx, const struct idm_config *cfg, char **version);

#endif
