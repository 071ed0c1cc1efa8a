/* idm_form.h -- the written request form, idmgr-request(5) (contract §7,
 * R-REG-1, R-REG-2, R-AUD-2).
 *
 * A form is a libconfuse text of "key = value" lines.  idm_form_parse()
 * checks everything that needs no directory -- unknown, repeated and
 * misplaced keys, missing fields, dates, uids against uid_pattern, reserved
 * names (R-PRIV-5), units, employee types, group and role names, mails,
 * text -- and logs every error it finds as "NAME:LINE: key: message" before
 * returning IDM_EINVAL; *out is set only on success.  Whether the uids,
 * groups and accounts exist is the caller's business (idm_request.h).
 *
 * idm_form_serialize() writes the canonical text that the request entry
 * keeps; idm_form_parse() reads it back to the same form at apply time. */
#ifndef IDM_FORM_H
#define IDM_FORM_H

#include <stddef.h>
#include <time.h>

#include "idm_config.h"
#include "idm_log.h"

#define IDM_FORM_MAX (64 * 1024) /* bytes of a form file */
#define IDM_FORM_TEXT_MAX 1024   /* bytes of one value */
#define IDM_FORM_LIST_MAX 256    /* values of one list (groups, shared_with) */

enum idm_request_type {
	IDM_REQ_REGISTER,
	IDM_REQ_MODIFY,
	IDM_REQ_TRANSFER,
	IDM_REQ_SECONDMENT,
	IDM_REQ_RETURN,
	IDM_REQ_RETIRE,
	IDM_REQ_DELETE,
	IDM_REQ_GRANT_PRIVILEGE,
	IDM_REQ_REVOKE_PRIVILEGE,
	IDM_REQ_TYPE_COUNT
};

/* "register", "modify", ..., "grant-privilege", "revoke-privilege"; "?"
 * for a value out of range. */
const char *idm_request_type_name(enum idm_request_type t);
/* The type of that name, or -1. */
int idm_request_type_from_name(const char *s);

struct idm_form {
	enum idm_request_type type;
	/* always present, never empty */
	char *form_ref;  /* number of the signed paper form */
	char *applicant; /* uid of the person who signed it */
	char *reason;
	char *uid; /* the subject account */
	/* NULL when the form leaves them out */
	char *given_name, *surname, *mail, *unit, *employee_type, *to_unit, *role;
	time_t valid_until, until; /* midnight UTC; 0 when left out */
	char **groups;             /* register, modify: extra groups; transfer: groups kept */
	size_t n_groups;
	char **shared_with; /* uids of the holders of a shared ID (R-ID-1) */
	size_t n_shared_with;
};

/* Parses and checks text, named name in messages.  Dates must lie after
 * now; now == 0 skips that check (a stored form read back at apply time,
 * checked when it was submitted).  0, IDM_EINVAL or IDM_ENOMEM. */
int idm_form_parse(const struct idm_config *cfg, const char *name, const char *text, time_t now,
		   const struct idm_log *log, struct idm_form **out);
/* Reads path (no symbolic link, regular file, at most IDM_FORM_MAX bytes)
 * and parses it; a file that cannot be read is IDM_EIO. */
int idm_form_load(const struct idm_config *cfg, const char *path, time_t now,
		  const struct idm_log *log, struct idm_form **out);
/* The canonical text of f: its fields in a fixed order, values in single
 * quotes with ' and \ escaped.  *out is malloc'ed.  0 or IDM_ENOMEM
 * (IDM_EINVAL for a type out of range). */
int idm_form_serialize(const struct idm_form *f, char **out);
/* A commented blank form of that type ("idmgr request template TYPE"):
 * every key the type allows, required ones first.  NULL for a type out of
 * range.  Static storage. */
const char *idm_form_template(enum idm_request_type t);
void idm_form_free(struct idm_form *f);

#endif
