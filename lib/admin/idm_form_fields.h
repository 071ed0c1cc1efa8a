/* idm_form_fields.h -- what a request form holds: its keys, the kind of
 * value each takes, and which keys each request type requires or allows
 * (internal to idm_form*.c; idm_form.h is the interface). */
#ifndef IDM_FORM_FIELDS_H
#define IDM_FORM_FIELDS_H

#include <stdbool.h>

#include "idm_form.h"

enum field {
	F_TYPE,
	F_FORM_REF,
	F_APPLICANT,
	F_REASON,
	F_UID,
	F_GIVEN_NAME,
	F_SURNAME,
	F_MAIL,
	F_UNIT,
	F_EMPLOYEE_TYPE,
	F_TO_UNIT,
	F_VALID_UNTIL,
	F_UNTIL,
	F_GROUPS,
	F_SHARED_WITH,
	F_ROLE,
	F_COUNT
};

enum kind {
	K_TYPE,
	K_TEXT,
	K_UID,
	K_MAIL,
	K_UNIT,
	K_EMPLOYEE_TYPE,
	K_DATE,
	K_GROUPS,
	K_UIDS,
	K_ROLE
};

#define BIT(f) (1u << (f))
#define ALWAYS (BIT(F_TYPE) | BIT(F_FORM_REF) | BIT(F_APPLICANT) | BIT(F_REASON) | BIT(F_UID))

struct idm_form_field {
	const char *name;
	enum kind kind;
	const char *what; /* the template's comment */
};

/* Where a form keeps the value of a single-text field; NULL for the type,
 * the dates and the lists. */
char **idm_form_text(struct idm_form *form, enum field f);

struct idm_form_type {
	unsigned required, optional;
	bool one_of;        /* at least one of the optional keys */
	bool reserved;      /* uid may not be a reserved name (R-PRIV-5) */
	const char *effect; /* for the template */
	const char *uid, *groups, *role;
};

/* The order of idm_form_fields is the order of idm_form_serialize() and,
 * within required and optional keys, of the templates. */
extern const struct idm_form_field idm_form_fields[F_COUNT];
extern const struct idm_form_type idm_form_types[IDM_REQ_TYPE_COUNT];

static inline bool is_list(enum field f)
{
	return f == F_GROUPS || f == F_SHARED_WITH;
}

#endif
