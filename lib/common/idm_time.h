/* idm_time.h -- LDAP GeneralizedTime in UTC ("YYYYMMDDHHMMSSZ", R-AUD-3). */
#ifndef IDM_TIME_H
#define IDM_TIME_H

#include <time.h>

#define IDM_GENTIME_LEN 16 /* with the NUL */

/* Formats t as YYYYMMDDHHMMSSZ into buf (IDM_GENTIME_LEN bytes). */
void idm_time_format(time_t t, char buf[IDM_GENTIME_LEN]);
/* Parses YYYYMMDDHHMMSS[.fraction]Z; fraction ignored. 0 or IDM_EINVAL. */
int idm_time_parse(const char *s, time_t *out);
/* Parses a date of a form or option: YYYY-MM-DD (midnight UTC). */
int idm_date_parse(const char *s, time_t *out);

#endif
