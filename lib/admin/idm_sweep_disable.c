/* idm_sweep_disable.c -- the sweep's disable protocol: refusals, the
 * compare-and-swap active -> suspended with its pending mark, the audit
 * record, and the completion of an interrupted run's disable.  Split from
 * idm_sweep.c (idm_sweep_run.h). */
#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_action.h"
#include "idm_approval.h"
#include "idm_dir.h"
#include "idm_effect.h"
#include "idm_error.h"
#include "idm_mods.h"
#include "idm_sweep.h"
#include "idm_sweep_rules.h"
#include "idm_sweep_run.h"
#include "idm_time.h"
#include "idm_uid.h"
#include "idm_i18n.h"
#include "idm_log.h"

#define REASON_PREFIX "sweep: "

static int reason_for(enum idm_sweep_class cls, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s", REASON_PREFIX, idm_sweep_class_name(cls));

	return n > 0 && (size_t)n < size ? IDM_OK : IDM_ERANGE;
}

/* The class a sweep disabled for ("sweep: CLASS"); -1 for any other
 * reason. */
int idm_sweep_disabled_class(const char *reason)
{
	size_t plen = strlen(REASON_PREFIX);

	if (!reason || strncmp(reason, REASON_PREFIX, plen) != 0)
		return -1;
	for (int c = 0; c < IDM_SWEEP_CLASS_COUNT; c++)
		if (idm_sweep_rule_of((enum idm_sweep_class)c) &&
		    strcmp(reason + plen, idm_sweep_class_name((enum idm_sweep_class)c)) == 0)
			return c;
	return -1;
}

/* Why this operator may not disable this account, or NULL. */
static const char *refusal(const struct sweep *s, const struct acct *a)
{
	const char *rule;

	if (strcasecmp(a->uid, s->op->uid) == 0)
		return N_("the sweep never disables the operator running it");
	if ((rule = idm_sod_privileged(s->op->roles, a->privileged)))
		return rule;
	if (idm_uid_check(s->cfg, a->uid) < 0)
		return N_("the uid does not match registration.uid_pattern");
	return NULL;
}

/* why: the sentence of the class (English in the audit record), then
 * "not disabled: RULE" for the reader. */
static int refuse(struct sweep *s, const struct acct *a, enum idm_sweep_class cls,
		  const struct idm_sweep_clause *why, const char *rule)
{
	struct idm_sweep_said said = { .c = { *why }, .n = 1 };
	char detail[512], english[400];

	if (idm_log_render(english, sizeof(english), why->fmt, why->args, why->nargs) != 0)
		english[0] = '\0';
	snprintf(detail, sizeof(detail), "%s: %s", idm_sweep_class_name(cls), english);
	if (idm_uid_check(s->cfg, a->uid) == IDM_OK) /* logged when it fails */
		idm_operator_refuse(s->op, s->cfg, s->log, "sweep", a->uid, NULL, IDM_EDENIED, rule,
				    detail);
	else
		idm_logf(s->log, LOG_WARNING, N_("sweep %s refused: %s"), a->uid, rule);
	idm_sweep_arg(idm_sweep_say(&said, N_("not disabled: %s")), "", rule);
	return idm_sweep_emit(s, a, cls, cls, IDM_SWEEP_REFUSED, &said);
}

/* Disables one account and records it as one unit (idm_action.h): the
 * compare-and-swap active -> suspended carries the pending mark, then the
 * record, then the mark goes. */
int idm_sweep_disable(struct sweep *s, const struct acct *a, const struct idm_sweep_candidate *c)
{
	enum idm_sweep_class cls = c->cls;
	const char *why = c->why;
	struct idm_sweep_said said = { .c = { c->said }, .n = 1 };
	char reason[64], now[IDM_GENTIME_LEN], detail[512], as_of[IDM_DATE_LEN];
	struct idm_audit_event ev = { .action = "sweep", .subject = a->uid, .outcome = "done" };
	struct idm_action x = { 0 };
	const char *rule;
	struct idm_mods *m = NULL;
	int r;

	if (!s->o->apply)
		return idm_sweep_emit(s, a, cls, cls, IDM_SWEEP_WOULD_DISABLE, &said);
	if ((rule = refusal(s, a)))
		return refuse(s, a, cls, &c->said, rule);
	r = reason_for(cls, reason, sizeof(reason));
	if (r < 0)
		return r;
	idm_date_format(s->o->now, as_of);
	snprintf(detail, sizeof(detail),
		 "disabled: %s; %s (sweep as of %s, inactive_days %ld, "
		 "never_used_days %ld)",
		 idm_sweep_class_name(cls), why, as_of, s->o->inactive_days, s->o->never_used_days);
	ev.detail = detail;
	r = idm_action_start(s->op, NULL, &ev, &x);
	if (r < 0)
		return r;
	idm_time_format(time(NULL), now);
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_DELETE, "idmStatus", "active");
	idm_mods_add(m, LDAP_MOD_ADD, "idmStatus", "suspended");
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmStatusReason", reason);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmStatusTime", now);
	idm_effect_status_lock(m, "suspended");
	idm_action_mark(&x, m);
	r = idm_dir_apply(s->op->d, a->dn, m);
	if (r == IDM_ENOVALUE) {
		idm_action_clear(&x);
		idm_sweep_say(&said, N_("no longer active when disabling: left alone"));
		return idm_sweep_emit(s, a, cls, cls, IDM_SWEEP_CHANGED, &said);
	}
	if (r == IDM_EDENIED) {
		idm_action_clear(&x);
		idm_logf(s->log, LOG_ERR, N_("sweep: the directory refused to disable %s"), a->uid);
		return refuse(s, a, cls, &c->said, N_("the directory refused the change"));
	}
	if (r == IDM_OK)
		r = idm_action_finish(s->op, s->cfg, s->log, a->dn, &x);
	idm_action_clear(&x);
	if (r < 0)
		return r; /* the mark stays: the next run completes it */
	return idm_sweep_emit(s, a, cls, cls, IDM_SWEEP_DISABLED, &said);
}

/* A disable an interrupted run left marked: write the audit record it
 * owes (once: the trail knows its token), then remove the mark. */
int idm_sweep_resume(struct sweep *s, struct acct *a, enum idm_sweep_class cls)
{
	struct idm_action x;
	struct idm_sweep_said said = { .n = 0 };
	struct idm_sweep_clause *c;
	char when[IDM_DATE_LEN];
	const char *rule;
	int r;

	idm_date_format(a->status_time, when);
	c = idm_sweep_say(&said, N_("disabled by a sweep on %s that was interrupted before its "
				    "audit record"));
	idm_sweep_arg(c, NULL, when);
	if (!s->o->apply)
		return idm_sweep_emit(s, a, cls, cls, IDM_SWEEP_PENDING, &said);
	if ((rule = refusal(s, a)))
		return refuse(s, a, cls, c, rule);
	r = idm_action_parse(a->pending, &x);
	if (r == IDM_OK)
		r = idm_action_finish(s->op, s->cfg, s->log, a->dn, &x);
	idm_action_clear(&x);
	if (r < 0)
		return r;
	return idm_sweep_emit(s, a, cls, cls, IDM_SWEEP_COMPLETED, &said);
}
