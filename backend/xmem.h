/* xmem: allocation that never returns NULL. Out of memory is not an error the
 * console can recover from, so these print one line and abort. */
#ifndef AFTOMATO_XMEM_H
#define AFTOMATO_XMEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
/* NULL in, NULL out. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
