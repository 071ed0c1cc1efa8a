/* idm_form_fields.c -- the keys of a request form and the rules of each
 * request type (idm_form_fields.h).  Split from idm_form.c. */
#include "config.h"

#include "idm_form.h"
#include "idm_i18n.h"
#include "idm_form_fields.h"
#include "idm_text.h"

static const char *const type_names[IDM_REQ_TYPE_COUNT] = {
	[IDM_REQ_REGISTER] = NC_("request type", "register"),
	[IDM_REQ_MODIFY] = NC_("request type", "modify"),
	[IDM_REQ_TRANSFER] = NC_("request type", "transfer"),
	[IDM_REQ_SECONDMENT] = NC_("request type", "secondment"),
	[IDM_REQ_RETURN] = NC_("request type", "return"),
	[IDM_REQ_RETIRE] = NC_("request type", "retire"),
	[IDM_REQ_DELETE] = NC_("request type", "delete"),
	[IDM_REQ_GRANT_PRIVILEGE] = NC_("request type", "grant-privilege"),
	[IDM_REQ_REVOKE_PRIVILEGE] = NC_("request type", "revoke-privilege"),
};

const char *idm_request_type_name(enum idm_request_type t)
{
	return idm_name_of(type_names, IDM_REQ_TYPE_COUNT, (unsigned)t);
}

int idm_request_type_from_name(const char *s)
{
	return idm_name_index(type_names, IDM_REQ_TYPE_COUNT, s);
}

/* The order here is the order of serialize() and, within required and
 * optional keys, of the templates. */
const struct idm_form_field idm_form_fields[F_COUNT] = {
	[F_TYPE] = { "type", K_TYPE, NULL },
	[F_FORM_REF] = { "form_ref", K_TEXT, "The number of the signed paper form." },
	[F_APPLICANT] = { "applicant", K_UID, "The uid of the person who signed the form." },
	[F_REASON] = { "reason", K_TEXT, "Why the request is made." },
	[F_UID] = { "uid", K_UID, NULL /* per type */ },
	[F_GIVEN_NAME] = { "given_name", K_TEXT, "Given name." },
	[F_SURNAME] = { "surname", K_TEXT, "Surname." },
	[F_MAIL] = { "mail", K_MAIL, "Mail address (ASCII, one @)." },
	[F_UNIT] = { "unit", K_UNIT, "The unit: the title of a unit section of idmgr.conf." },
	[F_EMPLOYEE_TYPE] = { "employee_type", K_EMPLOYEE_TYPE,
			      "regular, nonregular, dispatched, contractor or service (R-REG-6)." },
	[F_TO_UNIT] = { "to_unit", K_UNIT,
			"The unit to move to: the title of a unit section of idmgr.conf (R-REG-5)." },
	[F_VALID_UNTIL] = { "valid_until", K_DATE,
			    "The day the account expires, YYYY-MM-DD (midnight UTC)." },
	[F_UNTIL] = { "until", K_DATE, "The day the secondment ends, YYYY-MM-DD (midnight UTC)." },
	[F_GROUPS] = { "groups", K_GROUPS, NULL /* per type */ },
	[F_SHARED_WITH] = { "shared_with", K_UIDS,
			    "For a shared ID (R-ID-1): the uids of the people who may use it,\n"
			    "# e.g. {'alice', 'bob'}." },
	[F_ROLE] = { "role", K_ROLE, NULL /* per type */ },
};

const struct idm_form_type idm_form_types[IDM_REQ_TYPE_COUNT] = {
	[IDM_REQ_REGISTER] = {
		.required = ALWAYS | BIT(F_GIVEN_NAME) | BIT(F_SURNAME) | BIT(F_UNIT) |
			    BIT(F_EMPLOYEE_TYPE),
		.optional = BIT(F_MAIL) | BIT(F_VALID_UNTIL) | BIT(F_GROUPS) | BIT(F_SHARED_WITH),
		.reserved = true,
		.effect = "a new account with a temporary password and its unit's groups",
		.uid = "The uid of the new account; not a reserved name.",
		.groups = "Groups beyond the unit's, e.g. {'internet', 'mail'}: staff who are not\n"
			  "# regular get internet and mail only when the form names them (R-REG-6).",
	},
	[IDM_REQ_MODIFY] = {
		.required = ALWAYS,
		.optional = BIT(F_GIVEN_NAME) | BIT(F_SURNAME) | BIT(F_MAIL) | BIT(F_EMPLOYEE_TYPE) |
			    BIT(F_VALID_UNTIL) | BIT(F_GROUPS) | BIT(F_SHARED_WITH),
		.one_of = true,
		.effect = "a change of name, mail, employee type, validity, groups or holders",
		.uid = "The account to change.",
		.groups = "The groups granted to the account individually (its unit's come with\n"
			  "# the unit), e.g. {'internet', 'mail'}.",
	},
	[IDM_REQ_TRANSFER] = {
		.required = ALWAYS | BIT(F_TO_UNIT),
		.optional = BIT(F_GROUPS),
		.effect = "move to another unit: old unit's groups out, new unit's in (R-REG-5)",
		.uid = "The account to move.",
		.groups = "The individually granted groups to keep; all others are removed.",
	},
	[IDM_REQ_SECONDMENT] = {
		.required = ALWAYS | BIT(F_UNTIL),
		.effect = "suspended until the secondment ends; groups kept but unusable",
		.uid = "The account of the person seconded.",
	},
	[IDM_REQ_RETURN] = {
		.required = ALWAYS,
		.effect = "the end of a secondment",
		.uid = "The account of the person returning.",
	},
	[IDM_REQ_RETIRE] = {
		.required = ALWAYS,
		.effect = "disabled at once, all groups removed; the entry is kept",
		.uid = "The account to retire.",
	},
	[IDM_REQ_DELETE] = {
		.required = ALWAYS,
		.effect = "a retired account's entry is removed (R-REG-3)",
		.uid = "The retired account to delete.",
	},
	[IDM_REQ_GRANT_PRIVILEGE] = {
		.required = ALWAYS,
		.optional = BIT(F_ROLE),
		.reserved = true,
		.effect = "the ID becomes privileged (R-PRIV-2)",
		.uid = "The account to make privileged; not a reserved name (R-PRIV-5).",
		.role = "An officer role to grant with the privilege: ciso, security_chief,\n"
			"# system_admin, security_manager or contractor.",
	},
	[IDM_REQ_REVOKE_PRIVILEGE] = {
		.required = ALWAYS,
		.optional = BIT(F_ROLE),
		.effect = "the ID is no longer privileged",
		.uid = "The privileged account.",
		.role = "An officer role to revoke with the privilege: ciso, security_chief,\n"
			"# system_admin, security_manager or contractor.",
	},
};

char **idm_form_text(struct idm_form *form, enum field f)
{
	switch (f) {
	case F_FORM_REF: return &form->form_ref;
	case F_APPLICANT: return &form->applicant;
	case F_REASON: return &form->reason;
	case F_UID: return &form->uid;
	case F_GIVEN_NAME: return &form->given_name;
	case F_SURNAME: return &form->surname;
	case F_MAIL: return &form->mail;
	case F_UNIT: return &form->unit;
	case F_EMPLOYEE_TYPE: return &form->employee_type;
	case F_TO_UNIT: return &form->to_unit;
	case F_ROLE: return &form->role;
	default: return NULL;
	}
}
