#include "config.h"

#include <time.h>

#include "idm_dirpool.h"
#include "idm_error.h"
#include "idm_reconcile.h"
#include "idm_scheduled.h"
#include "idm_time.h"
#include "idm_i18n.h"

struct listing {
	FILE *out;
	long n;
};

static int print_one(void *ctx, const struct idm_unexplained *w)
{
	struct listing *l = ctx;

	l->n++;
	fprintf(l->out, "%s %-8s %s by %s (%s) on %s\n", w->time, w->type, w->dn,
		*w->who ? w->who : "(unknown)", w->attrs, w->server);
	return IDM_OK;
}

int idm_scheduled_reconcile(const struct idm_config *cfg, const struct idm_log *log, long days,
			    FILE *out, long *found)
{
	struct listing l = { .out = out };
	char since_text[IDM_GENTIME_LEN] = "";
	struct idm_dir *d = NULL;
	time_t since = days > 0 ? time(NULL) - days * 86400 : 0;
	long checked = 0;
	int r = idm_dirpool_get(NULL, cfg, log, &d);

	*found = 0;
	if (since)
		idm_time_format(since, since_text);
	if (r == IDM_OK)
		r = idm_reconcile(d, cfg, since, print_one, &l, &checked);
	idm_dir_close(d);
	if (r < 0)
		return r;
	if (l.n)
		fprintf(out, "%ld of %ld logged writes%s%s are explained by no audited action\n",
			l.n, checked, since ? " since " : "", since_text);
	else
		fprintf(out, "every one of %ld logged writes%s%s is explained\n", checked,
			since ? " since " : "", since_text);
	*found = l.n;
	return IDM_OK;
}
