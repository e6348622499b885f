/* timeutil: clocks and time formatting. */
#ifndef AFTOMATO_TIMEUTIL_H
#define AFTOMATO_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic and wall clocks in milliseconds. */
int64_t timeutil_mono_ms(void);
int64_t timeutil_wall_ms(void);
/* RFC 3339 UTC with milliseconds ("2026-11-22T10:04:05.123Z") into buf. */
void timeutil_rfc3339_ms(int64_t unix_ms, char *buf, size_t size);

#endif
