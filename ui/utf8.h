/* utf8: UTF-8 for the screen, decoded the same way by the views (which lay
 * text out) and the drawing module (which writes it), whatever the locale's
 * decoder would do. Control characters (C0, DEL, C1), invalid or overlong
 * sequences and surrogates are not printable: each is shown as one '?'
 * column. */
#ifndef AFTOMATO_UTF8_H
#define AFTOMATO_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

/* Decodes the character at s (len > 0): returns the bytes it takes (at least
 * 1). When it is printable, *wc is the character and *width its columns (0
 * for combining marks, 2 for wide ones) and the result is true in
 * *printable; otherwise *wc is '?' and *width 1. */
size_t utf8_next(const char *s, size_t len, wchar_t *wc, int *width, bool *printable);

/* Columns that len bytes of text take. */
int utf8_width(const char *text, size_t len);

/* How many bytes of text fit in max_cols columns (whole characters only). */
size_t utf8_fit(const char *text, size_t len, int max_cols);

#endif
