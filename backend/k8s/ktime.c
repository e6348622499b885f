#include "k8s/ktime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int s_digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * civil-from-days inverse), so no time zone state is touched. */
static int64_t s_days(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int ktime_parse(const char *s, size_t len, int64_t *sec, int32_t *nsec)
{
	int y, mo, d, h, mi, se;
	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':' || s_digits(s, 4, &y) < 0 || s_digits(s + 5, 2, &mo) < 0 ||
	    s_digits(s + 8, 2, &d) < 0 || s_digits(s + 11, 2, &h) < 0 ||
	    s_digits(s + 14, 2, &mi) < 0 || s_digits(s + 17, 2, &se) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	size_t i = 19;
	int32_t ns = 0;
	if (i < len && s[i] == '.') {
		i++;
		size_t start = i;
		int32_t scale = 100000000;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			ns += (s[i] - '0') * scale;
			scale /= 10;
			i++;
		}
		if (i == start)
			return -1;
	}
	int offset_s = 0;
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int oh, om;
		if (s_digits(s + i + 1, 2, &oh) < 0 || s_digits(s + i + 4, 2, &om) < 0)
			return -1;
		offset_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return -1;
	}
	if (i != len)
		return -1;
	*sec = s_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset_s;
	*nsec = ns;
	return 0;
}

int64_t ktime_ms(const char *s)
{
	int64_t sec;
	int32_t ns;
	if (!s || ktime_parse(s, strlen(s), &sec, &ns) < 0)
		return 0;
	return sec * 1000 + ns / 1000000;
}

void ktime_format(int64_t sec, char *buf, size_t size)
{
	time_t t = (time_t)sec;
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
