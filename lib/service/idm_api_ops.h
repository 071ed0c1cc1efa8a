/* idm_api_ops.h -- inside the protocol (idm_api.h): the table of
 * operations and what its three parts share.  idm_api_parse.c checks a
 * request against the table, idm_api.c authenticates the operator and
 * makes the answer, idm_api_ops.c carries the operations out.  Not for
 * use outside lib/service. */
#ifndef IDM_API_OPS_H
#define IDM_API_OPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "idm_api.h"
#include "idm_log.h"

struct idm_operator;

enum arg_type {
	ARG_WORD, /* one line of printable text: IDs, uids, rule names, dates */
	ARG_TEXT, /* a request form: lines, tabs allowed */
	ARG_BOOL,
	ARG_DAYS, /* an integer 1..3650 */
};

struct arg {
	const char *name;
	enum arg_type type;
	bool required;
	size_t max; /* bytes, for strings */
};

struct call {
	const struct idm_config *cfg;
	const struct idm_log *log;
	struct idm_operator *op;
	json_t *args;
	json_t *result;
	idm_api_emit_fn emit; /* streaming ops: NULL to collect instead */
	void *emit_ctx;
};

#define ARGS_MAX 6
struct idm_api_op {
	const char *name;
	struct arg args[ARGS_MAX];
	int (*run)(struct call *c);
	bool streams;
};

#define ID_MAX 64
#define WORD_MAX 1024

/* Every operation an officer can ask of the service. */
extern const struct idm_api_op idm_api_ops[];
extern const size_t idm_api_op_count;

/* A JSON string of s; text that is not UTF-8 (a client's bytes quoted by
 * the core) with its other bytes as '?'. */
json_t *idm_api_text(const char *s);

#endif
