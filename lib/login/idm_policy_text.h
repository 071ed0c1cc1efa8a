/* idm_policy_text.h -- the password policy's sentences, one per rule
 * (R-PW-1, R-PW-3), in English as msgids (po/).
 *
 * The engine (idm_policy.c) says them in the program's language.  Inside
 * slapd (built with IDM_NO_NLS) it says them in English, one a line, and
 * the client turns each line it recognises back into the same sentence in
 * the user's language (idm_policy_text_line()): the server's refusal reads
 * like the pre-check's.  Every number is a long long (%lld), so that a
 * line is read back with one parser. */
#ifndef IDM_POLICY_TEXT_H
#define IDM_POLICY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "idm_i18n.h"
#include "idm_policy.h"

#define IDM_MSG_ENCODING                                                                  \
	N_("The password must be UTF-8 text without NUL characters; check the character " \
	   "encoding of your terminal.")
#define IDM_MSG_LENGTH_MIN N_("The password must be at least %lld characters long (it has %lld).")
#define IDM_MSG_LENGTH_MAX N_("The password must be at most %lld characters long (it has %lld).")
#define IDM_MSG_CLASSES                                                                   \
	N_("The password must mix at least %lld of these kinds of character: lower-case " \
	   "letters, upper-case letters, digits, others such as punctuation (it has %lld).")
#define IDM_MSG_NAME_UID N_("The password must not contain your user name, forwards or backwards.")
#define IDM_MSG_NAME_GIVEN \
	N_("The password must not contain your given name, forwards or backwards.")
#define IDM_MSG_NAME_SURNAME \
	N_("The password must not contain your surname, forwards or backwards.")
#define IDM_MSG_BLOCKLIST \
	N_("The password is on a list of common or leaked passwords; choose another one.")
#define IDM_MSG_SAME N_("The new password must differ from the current one.")
#define IDM_MSG_REUSED                                                                        \
	N_("The password must not be one you used before: not your current password nor one " \
	   "of your %lld previous ones.")
#define IDM_MSG_REUSED_SERVER N_("The password must not be one you used before.")
#define IDM_MSG_MIN_AGE_DAYS \
	N_("Your password was changed less than %lld days ago; it can be changed again in %lld days.")
/* Plural pairs, "one, many" (NP_), by the hours when the minimum age is
 * 1 day, ... */
#define IDM_MSG_MIN_AGE_1_HOURS                                                               \
	NP_("Your password was changed less than 1 day ago; it can be changed again in %lld " \
	    "hour.",                                                                          \
	    "Your password was changed less than 1 day ago; it can be changed again in %lld " \
	    "hours.")
/* ... by the hours (the second number) when it is more ... */
#define IDM_MSG_MIN_AGE_HOURS                                                                \
	NP_("Your password was changed less than %lld days ago; it can be changed again in " \
	    "%lld hour.",                                                                    \
	    "Your password was changed less than %lld days ago; it can be changed again in " \
	    "%lld hours.")
/* ... and by the days. */
#define IDM_MSG_MIN_AGE_SERVER                                                                   \
	NP_("Your password was changed less than %lld day ago; it cannot be changed again yet.", \
	    "Your password was changed less than %lld days ago; it cannot be changed again yet.")
#define IDM_MSG_TOO_RECENT \
	N_("Your password was changed too recently; it cannot be changed again yet.")
#define IDM_MSG_WEAK N_("The directory refused the password as too weak.")
/* slapd's check module could not check (fail closed) */
#define IDM_MSG_UNCHECKED                                                                    \
	N_("The password could not be checked against the password policy; try again later " \
	   "or ask an administrator.")

/* Adds the sentence msgid (one of the above) with its numbers a and b, said
 * in the program's language; many, when not NULL, is msgid's plural by n. */
void idm_violations_say(struct idm_violations *out, enum idm_rule rule, const char *msgid,
			const char *many, long long n, long long a, long long b);

/* If line is one of the sentences above in English (as slapd's check
 * module sends them), its rule and the sentence in the program's language
 * into *rule and out; false (out untouched) for any other line. */
bool idm_policy_text_line(const char *line, enum idm_rule *rule, char *out, size_t size);

#endif
