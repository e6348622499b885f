/* awsutil: small helpers shared by the AWS modules: ISO 8601 times (STS, IMDS,
 * container credentials, S3 LastModified), base64 and MD5 (S3 DeleteObjects'
 * Content-MD5), all on OpenSSL. */
#ifndef AFTOMATO_AWSUTIL_H
#define AFTOMATO_AWSUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Parses "2024-05-01T12:34:56Z", with optional fractional seconds and a
 * "+hh:mm"/"-hh:mm" offset instead of "Z", into Unix milliseconds. */
int awsutil_parse_iso8601(const char *s, int64_t *ms_out);

/* Base64 (standard alphabet, padded) of len bytes. New string, caller frees. */
char *awsutil_base64(const void *data, size_t len);

/* Base64 of the MD5 digest of len bytes (for Content-MD5). Caller frees. */
char *awsutil_md5_base64(const void *data, size_t len);

/* Lowercase hex of len bytes into a new string, caller frees. */
char *awsutil_hex(const void *data, size_t len);

#endif
