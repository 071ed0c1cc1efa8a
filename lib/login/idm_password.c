#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_account.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_lockout.h"
#include "idm_login.h"
#include "idm_mods.h"
#include "idm_password.h"
#include "idm_policy_text.h"
#include "idm_time.h"
#include "idm_uid.h"
#include "idm_i18n.h"

/* The user's names, for the pre-check of the name rule. */
struct own {
	char *given_name, *surname;
};

static int read_own(struct idm_dir *d, const char *dn, struct own *o)
{
	static const char *const attrs[] = { "givenName", "sn", NULL };
	LDAP *ld = idm_dir_ldap(d);
	LDAPMessage *res = NULL, *e;
	int r;

	memset(o, 0, sizeof(*o));
	r = idm_dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res);
	if (r == IDM_OK) {
		e = ldap_first_entry(ld, res);
		if (e) {
			o->given_name = idm_entry_value(ld, e, "givenName");
			o->surname = idm_entry_value(ld, e, "sn");
		} else {
			r = IDM_ENOENT;
		}
	}
	ldap_msgfree(res);
	return r;
}

/* slapd's refusal as one sentence per rule, in the user's language: the
 * check module's text holds one message a line, in the engine's English
 * words, each said again as the engine says it here (idm_policy_text.h); a
 * line it does not know is shown as the server wrote it.  IDM_EPOLICY when
 * it is the policy's, else the error to return. */
static int server_refusal(const struct idm_policy *p, int r, int pperr, const char *text,
			  struct idm_violations *v)
{
	switch (pperr) {
	case PP_passwordInHistory:
		if (p)
			idm_violations_say(v, IDM_RULE_REUSED, IDM_MSG_REUSED, NULL, 0, p->history,
					   0);
		else
			idm_violations_say(v, IDM_RULE_REUSED, IDM_MSG_REUSED_SERVER, NULL, 0, 0, 0);
		return IDM_EPOLICY;
	case PP_passwordTooYoung:
		if (p)
			idm_violations_say(v, IDM_RULE_MIN_AGE, IDM_MSG_MIN_AGE_SERVER,
					   p->min_age_days, p->min_age_days, 0);
		else
			idm_violations_say(v, IDM_RULE_MIN_AGE, IDM_MSG_TOO_RECENT, NULL, 0, 0, 0);
		return IDM_EPOLICY;
	case PP_insufficientPasswordQuality:
	case PP_passwordTooShort:
		for (const char *s = text; s && *s;) {
			size_t n = strcspn(s, "\n");
			char line[512], said[sizeof(v->v[0].message)];
			enum idm_rule rule;

			snprintf(line, sizeof(line), "%.*s", (int)n, s);
			if (n > 0 && idm_policy_text_line(line, &rule, said, sizeof(said)))
				idm_violations_add(v, rule, "%s", said);
			else if (n > 0)
				idm_violations_add(v, IDM_RULE_SERVER, "%s", line);
			s += n + (s[n] == '\n');
		}
		if (v->n == 0)
			idm_violations_say(v, IDM_RULE_SERVER, IDM_MSG_WEAK, NULL, 0, 0, 0);
		return IDM_EPOLICY;
	case PP_changeAfterReset:
	case PP_passwordModNotAllowed:
	case PP_mustSupplyOldPassword: return IDM_EDENIED;
	default: return r == IDM_OK ? IDM_EDIR : r;
	}
}

/* The modify slapd decides on; its refusal into v.  p may be NULL. */
static int send_change(struct idm_dir *d, const char *dn, const struct idm_policy *p,
		       const char *password, size_t len, struct idm_violations *v)
{
	char *text = NULL;
	int pperr = -1, r = idm_dir_password_modify(d, dn, password, len, &pperr, &text);

	if (r < 0)
		r = server_refusal(p, r, pperr, text, v);
	free(text);
	return r;
}

/* A locked account's change is refused whatever the password, and the lock
 * is said only to who proved the current password (the bind r just made,
 * which slapd's own lockout counts like any direct bind, so it gives no
 * one more guesses than slapd allows anyone): IDM_ESTATE.  A wrong password
 * is IDM_EAUTH, as when no lock is in force; so is a bind slapd refused
 * unchecked because its own lockout holds the account too (then the
 * decoy's bind costs what a check costs, and a right password cannot be
 * told from a wrong one). */
static int locked_answer(const struct idm_config *cfg, const struct idm_log *log,
			 const struct idm_dir *svc, const char *uid, int r, int pp,
			 const char *password)
{
	if (r == IDM_OK) {
		idm_logf(log, LOG_NOTICE, N_("%s: password change refused: the account is locked"),
			 uid);
		return IDM_ESTATE;
	}
	if (r == IDM_EAUTH && pp == PP_accountLocked)
		idm_login_decoy_bind(cfg, log, svc, password);
	return r;
}

int idm_password_change(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
			const char *old_password, const char *new_password, size_t new_len,
			struct idm_violations *v)
{
	struct idm_dir *d = NULL, *svc = NULL, *look;
	struct idm_account *a = NULL;
	const struct idm_policy *p = NULL;
	struct idm_attempt at;
	bool counted = false, locked = false;
	struct own own = { 0 };
	struct idm_pw_facts facts;
	char *dn = NULL;
	time_t now = time(NULL);
	int r, pp = -1;

	memset(v, 0, sizeof(*v));
	if (idm_uid_check(cfg, uid) < 0)
		return IDM_ENOENT;
	if (!old_password || !*old_password)
		return IDM_EAUTH; /* an empty bind would be anonymous */
	/* The old password is a guess like any login: counted before it is
	 * checked, where this host holds the service identity (PAM hosts do;
	 * an officer's laptop may not: there the server's ppolicy backstop
	 * counts). */
	if (idm_dir_open_service(cfg, NULL, &svc) == IDM_OK &&
	    idm_account_lookup(svc, cfg, uid, &a) == IDM_OK && (p = idm_account_policy(cfg, a))) {
		if (idm_lockout_full(a)) {
			locked = true; /* at the hard limit: nothing more recorded */
		} else {
			r = idm_lockout_record(svc, p, a->dn, &at);
			if (r < 0)
				goto out;
			counted = true;
			locked = at.verdict != IDM_LOCK_CHECK;
		}
	}
	/* The account's own entry, wherever below people_dn it sits: the one
	 * just found, or found without the service identity. */
	if (a)
		r = (dn = strdup(a->dn)) ? IDM_OK : IDM_ENOMEM;
	else
		r = idm_account_bind_dn(cfg, log, uid, &dn);
	if (r < 0)
		goto out;
	/* Where the attempt was recorded, when it was: a server that takes the
	 * change (idm_dir_open_near). */
	r = idm_dir_open_near(counted ? svc : NULL, cfg, log, dn, old_password, &pp, &d);
	if (locked) {
		r = locked_answer(cfg, log, svc, uid, r, pp, old_password);
		if (counted && r == IDM_EAUTH)
			idm_lockout_failed(svc, p, dn, &at);
		goto out;
	}
	/* A right old password: the bind moved authTimestamp past the failures,
	 * and this attempt's own value goes (idm_lockout.h). */
	if (counted && r == IDM_EAUTH)
		idm_lockout_failed(svc, p, dn, &at);
	else if (counted && r == IDM_OK && pp != PP_changeAfterReset)
		idm_lockout_tidy(d, dn, &at); /* (a restricted session may not delete) */
	if (r < 0)
		goto out;
	/* Read with the service identity where there is one: a user who must
	 * change may do nothing else on their own connection (ppolicy). */
	look = counted ? svc : d;
	if (!counted) {
		idm_account_free(a);
		a = NULL;
		r = idm_account_lookup(look, cfg, uid, &a);
		if (r == IDM_EDENIED && pp == PP_changeAfterReset) {
			/* nothing to pre-check with: slapd alone decides */
			r = send_change(d, dn, NULL, new_password, new_len, v);
			goto out;
		}
		if (r < 0)
			goto out;
	}
	if (idm_account_usable(a, now) != IDM_OK) {
		idm_logf(log, LOG_NOTICE, N_("%s: password change refused: account %s"), uid,
			 a->status ? a->status : "not active");
		r = IDM_EDENIED;
		goto out;
	}
	p = idm_account_policy(cfg, a);
	if (!p) {
		idm_logf(log, LOG_ERR, N_("%s: policy \"%s\" is not in %s"), uid, a->policy,
			 cfg->path);
		r = IDM_ECONFIG;
		goto out;
	}
	r = read_own(look, a->dn, &own);
	if (r < 0)
		goto out;
	/* The pre-check: every rule this side can see (the history is the
	 * server's alone), all reported at once, before slapd is asked. */
	facts = (struct idm_pw_facts){
		.uid = uid,
		.given_name = own.given_name,
		.surname = own.surname,
		.current_password = old_password,
		.changed = a->pwd_changed,
		/* a change that is demanded is never "too soon" (slapd lifts
		 * pwdMinAge after a reset the same way) */
		.forced = idm_account_change_due(p, a, pp == PP_changeAfterReset, false, now) !=
			  IDM_CHANGE_NONE,
		.now = now,
	};
	r = idm_policy_check(p, &cfg->argon2, &facts, new_password, new_len, v, log);
	if (r < 0)
		goto out;
	/* The server decides: a modify of userPassword alone, in clear; slapd
	 * checks quality (the same engine), history and minimum age, hashes
	 * with Argon2id, keeps pwdHistory and pwdChangedTime and clears
	 * pwdReset. */
	r = send_change(d, a->dn, p, new_password, new_len, v);
	if (r < 0)
		goto out;
	idm_logf(log, LOG_INFO, N_("%s: password changed (policy %s)"), uid, p->name);
	/* Logins are counted per password (max_logins) by the change time
	 * slapd keeps: nothing to write here (idm_account.h).  A change made,
	 * slapd lifts the restriction of a must-change session: the attempts
	 * it and the restricted logins before it left are tidied now. */
	if (counted && pp == PP_changeAfterReset)
		idm_lockout_tidy(d, dn, &at);
out:
	if (counted)
		idm_attempt_release(&at);
	idm_dir_close(svc);
	free(own.given_name);
	free(own.surname);
	idm_account_free(a);
	idm_dir_close(d);
	free(dn);
	return r;
}
