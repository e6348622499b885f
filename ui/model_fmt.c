#include <stdio.h>
#include <string.h>
#include <time.h>

#include "model.h"

void model_fmt_duration(int64_t s, char *buf, size_t size)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, size, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
	else
		snprintf(buf, size, "%lldd%02lldh", (long long)(s / 86400),
			 (long long)(s % 86400 / 3600));
}

void model_fmt_ago(int64_t then_s, int64_t now_s, char *buf, size_t size)
{
	int64_t d = now_s - then_s;
	if (d < 5)
		snprintf(buf, size, "just now");
	else if (d < 60)
		snprintf(buf, size, "%llds ago", (long long)d);
	else if (d < 3600)
		snprintf(buf, size, "%lldm ago", (long long)(d / 60));
	else if (d < 86400)
		snprintf(buf, size, "%lldh ago", (long long)(d / 3600));
	else
		snprintf(buf, size, "%lldd ago", (long long)(d / 86400));
}

void model_fmt_when(int64_t then_s, int64_t now_s, char *buf, size_t size)
{
	time_t t = (time_t)then_s, n = (time_t)now_s;
	struct tm tt, tn;
	localtime_r(&t, &tt);
	localtime_r(&n, &tn);
	const char *fmt = "%Y-%m-%d";
	if (tt.tm_year == tn.tm_year && tt.tm_yday == tn.tm_yday)
		fmt = "%H:%M";
	else if (tt.tm_year == tn.tm_year)
		fmt = "%b %d %H:%M";
	if (strftime(buf, size, fmt, &tt) == 0 && size)
		buf[0] = '\0';
}

int64_t model_build_duration(const struct build *b, int64_t now_s)
{
	if (b->status == BUILD_QUEUED)
		return -1;
	if (b->status == BUILD_RUNNING)
		return now_s > b->build_time ? now_s - b->build_time : 0;
	return b->has_elapsed ? b->elapsed_s : -1;
}

void model_fmt_result(const struct build *b, char *buf, size_t size)
{
	switch (b->status) {
	case BUILD_SUCCEEDED:
		snprintf(buf, size, "ok");
		break;
	case BUILD_FAILED:
		if (b->has_result)
			snprintf(buf, size, "exit %d", b->build_result);
		else
			snprintf(buf, size, "failed");
		break;
	default:
		snprintf(buf, size, "%s", build_status_name(b->status));
	}
}

const char *model_status_glyph(enum build_status s, bool unicode)
{
	static const char *const u[BUILD_STATUS_COUNT] = {"◌", "●", "✔", "✘", "⊘", "⧗", "!"};
	static const char *const a[BUILD_STATUS_COUNT] = {".", "*", "+", "x", "-", "T", "!"};
	if ((unsigned)s >= BUILD_STATUS_COUNT)
		return "?";
	return unicode ? u[s] : a[s];
}

void model_fmt_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	if (bytes < 1024) {
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
		return;
	}
	double v = (double)bytes / 1024.0;
	size_t u = 0;
	while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
}
