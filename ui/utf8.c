#include "utf8.h"

#include <stdint.h>

size_t utf8_next(const char *text, size_t len, wchar_t *wc, int *width, bool *printable)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned c = s[0];
	*printable = false;
	*wc = L'?';
	*width = 1;
	if (c >= 0x20 && c < 0x7f) {
		*wc = (wchar_t)c;
		*printable = true;
		return 1;
	}
	if (c < 0xc2 || c > 0xf4)
		return 1; /* C0, DEL, continuation bytes, overlong leads, > U+10FFFF */
	size_t n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (len < n)
		return 1;
	uint32_t v = c & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 1;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10ffff)) ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 1;
	if (v < 0xa0)
		return n; /* C1 controls */
	int w = wcwidth((wchar_t)v);
	if (w < 0)
		return n;
	*wc = (wchar_t)v;
	*width = w;
	*printable = true;
	return n;
}

int utf8_width(const char *text, size_t len)
{
	int cols = 0;
	size_t off = 0;
	while (off < len) {
		wchar_t wc;
		int w;
		bool ok;
		off += utf8_next(text + off, len - off, &wc, &w, &ok);
		cols += w;
	}
	return cols;
}

size_t utf8_fit(const char *text, size_t len, int max_cols)
{
	size_t off = 0;
	int cols = 0;
	while (off < len) {
		wchar_t wc;
		int w;
		bool ok;
		size_t n = utf8_next(text + off, len - off, &wc, &w, &ok);
		if (cols + w > max_cols)
			break;
		cols += w;
		off += n;
	}
	return off;
}
