/* idm_time.h -- LDAP GeneralizedTime in UTC ("YYYYMMDDHHMMSSZ", R-AUD-3). */
#ifndef IDM_TIME_H
#define IDM_TIME_H

#include <time.h>

#define IDM_GENTIME_LEN 16 /* with the NUL */

/* Seconds in a day, as time_t.  Day counts of the configuration
 * (max_age_days up to 36500) times 86400 overflow a 32-bit long: compute
 * with these, never with "days * 86400L". */
#define IDM_DAY ((time_t)86400)
/* days * IDM_DAY, and t + days * IDM_DAY, saturating at the range of time_t. */
time_t idm_days(long long days);
time_t idm_time_add_days(time_t t, long long days);

/* Formats t as YYYYMMDDHHMMSSZ into buf (IDM_GENTIME_LEN bytes). */
void idm_time_format(time_t t, char buf[IDM_GENTIME_LEN]);
#define IDM_DATE_LEN 11 /* YYYY-MM-DD with the NUL */
/* Formats t's day (UTC) as YYYY-MM-DD, the form options and forms take;
 * "-" for 0 (no date). */
void idm_date_format(time_t t, char buf[IDM_DATE_LEN]);
/* Parses YYYYMMDDHHMMSS[.fraction]Z; fraction ignored. 0 or IDM_EINVAL. */
int idm_time_parse(const char *s, time_t *out);
/* Parses a date of a form or option: YYYY-MM-DD (midnight UTC). */
int idm_date_parse(const char *s, time_t *out);

#endif
