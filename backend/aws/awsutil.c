#include "awsutil.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmem.h"

static int s_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

static int s_expect(const char **p, char ch)
{
	if (**p != ch)
		return -1;
	(*p)++;
	return 0;
}

int awsutil_parse_iso8601(const char *s, int64_t *ms_out)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, sec, ms = 0;
	const char *p = s;
	if (!s || s_digits(&p, 4, &y) < 0 || s_expect(&p, '-') < 0 || s_digits(&p, 2, &mo) < 0 ||
	    s_expect(&p, '-') < 0 || s_digits(&p, 2, &d) < 0 ||
	    (*p != 'T' && *p != 't' && *p != ' '))
		return -1;
	p++;
	if (s_digits(&p, 2, &h) < 0 || s_expect(&p, ':') < 0 || s_digits(&p, 2, &mi) < 0 ||
	    s_expect(&p, ':') < 0 || s_digits(&p, 2, &sec) < 0)
		return -1;
	if (*p == '.') {
		p++;
		int scale = 100;
		while (isdigit((unsigned char)*p)) {
			ms += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	int64_t offset_s = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;
		p++;
		if (s_digits(&p, 2, &oh) < 0)
			return -1;
		if (*p == ':')
			p++;
		if (s_digits(&p, 2, &om) < 0)
			return -1;
		offset_s = sign * (oh * 3600 + om * 60);
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	*ms_out = ((int64_t)t - offset_s) * 1000 + ms;
	return 0;
}

char *awsutil_base64(const void *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

char *awsutil_md5_base64(const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (EVP_Digest(data, len, md, &n, EVP_md5(), NULL) != 1)
		n = 0;
	return awsutil_base64(md, n);
}

char *awsutil_hex(const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = data;
	char *out = xmalloc(len * 2 + 1);
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[len * 2] = '\0';
	return out;
}
