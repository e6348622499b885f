/* ktime: the RFC 3339 times of the Kubernetes API: object timestamps
 * ("2026-01-02T03:04:05Z"), log line prefixes in RFC3339Nano with a
 * fraction of variable width ("2026-01-02T03:04:05.1234Z"), and numeric
 * offsets ("+02:00"). Hand-written: neither libc nor the libraries we use
 * parse fractions and offsets, and log lines need it without allocating. */
#ifndef AFTOMATO_K8S_KTIME_H
#define AFTOMATO_K8S_KTIME_H

#include <stddef.h>
#include <stdint.h>

/* Parses the len bytes at s (not NUL-terminated) as one RFC 3339 time. On
 * success stores Unix seconds and nanoseconds and returns 0; -1 otherwise. */
int ktime_parse(const char *s, size_t len, int64_t *sec, int32_t *nsec);

/* Same for a NUL-terminated string, in Unix milliseconds (0 on failure, so
 * "unknown" reads as "never"). NULL gives 0. */
int64_t ktime_ms(const char *s);

/* Formats Unix seconds as "2026-01-02T03:04:05Z" into buf (size >= 21). */
void ktime_format(int64_t sec, char *buf, size_t size);

#endif
