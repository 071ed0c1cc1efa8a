#include "config.h"

#include <libintl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "idm_i18n.h"

static pthread_once_t bound = PTHREAD_ONCE_INIT;

static void bind_domain(void)
{
	bindtextdomain(PACKAGE, LOCALEDIR);
}

void idm_i18n_init(void)
{
	pthread_once(&bound, bind_domain);
}

const char *idm_trc(const char *ctx, const char *word)
{
	char key[256]; /* msgctxt, EOT, msgid: how msgfmt stores a context */
	const char *t;
	int n;

	if (!word)
		return word;
	n = snprintf(key, sizeof(key), "%s\004%s", ctx, word);
	if (n < 0 || (size_t)n >= sizeof(key))
		return word;
	t = dgettext(PACKAGE, key);
	return t == key || strcmp(t, key) == 0 ? word : t;
}
