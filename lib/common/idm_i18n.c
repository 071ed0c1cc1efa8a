#include "config.h"

#include <libintl.h>
#include <pthread.h>

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
