#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "idm_error.h"
#include "idm_time.h"

#define TIME_T_MAX ((time_t)(sizeof(time_t) == 8 ? INT64_MAX : INT32_MAX))
#define TIME_T_MIN (-TIME_T_MAX - 1)

time_t idm_days(long long days)
{
	return idm_time_add_days(0, days);
}

time_t idm_time_add_days(time_t t, long long days)
{
	long long secs;

	if (days > (long long)(TIME_T_MAX / IDM_DAY))
		return TIME_T_MAX;
	if (days < (long long)(TIME_T_MIN / IDM_DAY))
		return TIME_T_MIN;
	secs = days * (long long)IDM_DAY;
	if (secs > 0 && t > TIME_T_MAX - (time_t)secs)
		return TIME_T_MAX;
	if (secs < 0 && t < TIME_T_MIN - (time_t)secs)
		return TIME_T_MIN;
	return t + (time_t)secs;
}

void idm_time_format(time_t t, char buf[IDM_GENTIME_LEN])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    strftime(buf, IDM_GENTIME_LEN, "%Y%m%d%H%M%SZ", &tm) != IDM_GENTIME_LEN - 1)
		strcpy(buf, "19700101000000Z");
}

void idm_date_format(time_t t, char buf[IDM_DATE_LEN])
{
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm) ||
	    strftime(buf, IDM_DATE_LEN, "%Y-%m-%d", &tm) != IDM_DATE_LEN - 1)
		strcpy(buf, "-");
}

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return IDM_EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return IDM_OK;
}

static int make_time(int y, int mo, int d, int h, int mi, int s, time_t *out)
{
	struct tm tm = { 0 };
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || s > 60)
		return IDM_EINVAL;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return IDM_EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*out = timegm(&tm);
	return IDM_OK;
}

int idm_time_parse(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec;
	size_t len = strlen(s), i = 14;

	if (len < 15 || digits(s, 4, &y) || digits(s + 4, 2, &mo) || digits(s + 6, 2, &d) ||
	    digits(s + 8, 2, &h) || digits(s + 10, 2, &mi) || digits(s + 12, 2, &sec))
		return IDM_EINVAL;
	if (s[i] == '.' || s[i] == ',') {
		size_t first = ++i;
		while (isdigit((unsigned char)s[i]))
			i++;
		if (i == first)
			return IDM_EINVAL; /* RFC 4517: a fraction has at least one digit */
	}
	if (s[i] != 'Z' || s[i + 1] != '\0')
		return IDM_EINVAL;
	return make_time(y, mo, d, h, mi, sec, out);
}

int idm_date_parse(const char *s, time_t *out)
{
	int y, mo, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) ||
	    digits(s + 5, 2, &mo) || digits(s + 8, 2, &d))
		return IDM_EINVAL;
	return make_time(y, mo, d, 0, 0, 0, out);
}
