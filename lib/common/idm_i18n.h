/* idm_i18n.h -- messages in the user's language (gettext, po/).
 *
 * Every text a user reads is marked: _("...") translates now, N_("...")
 * only marks a text that is translated where it is shown (idm_tr()), so
 * that what is stored or logged stays English.  P_(one, many, n) is the
 * plural form; NP_(one, many) marks a pair for it, standing for two
 * arguments.  The domain is always named (dgettext): the PAM module
 * lives inside another program, whose own textdomain stays untouched.  The
 * language is the program's locale; the module never calls setlocale.
 * Without a catalogue, or in the C locale, the texts are the English
 * msgids.  Built with IDM_NO_NLS (slapd's check module), nothing is
 * translated: its refusals are mapped to sentences by the client. */
#ifndef IDM_I18N_H
#define IDM_I18N_H

#ifdef IDM_NO_NLS
#define _(s) (s)
#define P_(one, many, n) ((n) == 1 ? (one) : (many))
#define idm_tr(s) (s)
#define idm_trc(ctx, s) (s)
#else
#include <libintl.h>
#define _(s) dgettext(PACKAGE, s)
#define P_(one, many, n) dngettext(PACKAGE, one, many, (unsigned long)(n))
#define idm_tr(s) dgettext(PACKAGE, s)
#endif
#define N_(s) (s)
#define NP_(one, many) (one), (many)
/* NC_(ctx, word) marks a word of the data's vocabulary (a state, a class
 * of the sweep, a request type) in a context of its own, msgctxt ctx: the
 * same English word may be said differently as a request's state and as
 * an account's.  The word stays English where it is stored or written
 * for scripts (JSON, CSV, forms); idm_trc(ctx, word) says it to a reader. */
#define NC_(ctx, s) (s)

/* Binds PACKAGE to the configured LOCALEDIR, once per process however many
 * threads call it (pthread_once); touches neither the locale nor the
 * program's textdomain. */
void idm_i18n_init(void);

#ifndef IDM_NO_NLS
/* word translated in context ctx (pgettext), or word itself: no
 * translation, no catalogue, or a word too long to look up. */
const char *idm_trc(const char *ctx, const char *word);
#endif

#endif
