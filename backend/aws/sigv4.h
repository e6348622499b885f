/* sigv4: AWS Signature Version 4 (AWS4-HMAC-SHA256) request signing, written on
 * OpenSSL 3 EVP (SHA-256, HMAC); no AWS SDK. Used by the S3, DynamoDB and STS
 * clients. It only computes strings: it never sends anything and never links
 * libcurl.
 *
 * Pipeline (each stage is its own function, as in aws-c-auth, so tests can check
 * every one against AWS's published vectors):
 *   request + params -> canonical request -> string to sign
 *   secret + date/region/service -> signing key
 *   signing key + string to sign -> signature
 *   signature -> Authorization header value, or presigned query string.
 * sigv4_sign_headers and sigv4_presign_query run the whole pipeline.
 *
 * THE PATH. struct sigv4_request.path is the path exactly as it goes on the wire,
 * already percent-encoded by the caller (it starts with '/'; "" means "/"). Build it
 * from a raw S3 key with sigv4_uri_encode(key, len, false): that keeps '/' and
 * encodes every other byte outside A-Z a-z 0-9 - _ . ~ (so spaces, '+', '=', '&',
 * '%' and UTF-8 survive the round trip), and use the same string in the URL given
 * to libcurl. Then:
 *   - S3 rules: the canonical URI is the path as given (encoded once, never
 *     normalised). A path holding anything but unreserved bytes, '/' and %XX
 *     escapes with uppercase hex is rejected: it was not built with the encoder,
 *     and S3 (which decodes and re-encodes the path) would compute another
 *     signature. Keys must be UTF-8, as S3 requires.
 *   - other services: '.'/'..' segments are removed and repeated slashes collapsed
 *     (unless no_path_normalize), then the path is URI-encoded again keeping '/'
 *     (the "double encoding" rule: "%20" on the wire is "%2520" in the canonical URI).
 * THE QUERY is the query string as sent, without '?', or NULL/"" for none. For the
 * canonical form each name and value is percent-decoded and encoded again (so
 * either raw or encoded input gives the same result), "name" without '=' becomes
 * "name=", and the pairs are sorted. '+' is a literal plus, not a space.
 * HEADERS are name/value pairs in sending order. Names are matched without case;
 * values are trimmed and every run of white space (including the CR/LF of a folded
 * multi-line value) becomes one space; repeated names are joined with ',' in the
 * order given. A Host header is required (with ":port" when not the default).
 * Headers the signer owns must not be in the list: Authorization, X-Amz-Date,
 * X-Amz-Security-Token, and x-amz-content-sha256 when the signer adds it.
 * Hop-by-hop and proxy-mangled headers (User-Agent, Expect, Connection,
 * Transfer-Encoding, X-Amzn-Trace-Id, ...) are sent but not signed.
 *
 * Secrets (secret key, signing key) never appear in error messages or outputs;
 * buffers that held key material are wiped with OPENSSL_cleanse. Errors are
 * ERR_INTERNAL for a malformed request or parameters (a caller bug) and for
 * OpenSSL failures, ERR_AUTH for missing credentials. Out of memory aborts
 * (xmem). All functions are reentrant. */
#ifndef AFTOMATO_SIGV4_H
#define AFTOMATO_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"

#define SIGV4_ALGORITHM	       "AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_HEX_LEN	       64      /* hex SHA-256 / signature, without the NUL */
#define SIGV4_KEY_LEN	       32      /* binary signing key */
#define SIGV4_AMZ_DATE_LEN     16      /* "20150830T123600Z" */
#define SIGV4_MAX_EXPIRES_S    604800L /* 7 days, AWS's limit for presigned URLs */
#define SIGV4_ADDED_MAX	       4

struct sigv4_header {
	const char *name;
	const char *value;
};

enum sigv4_payload {
	SIGV4_PAYLOAD_BODY = 0, /* hash body/body_len (NULL/0: empty body) */
	SIGV4_PAYLOAD_HASH,	/* payload_hash as given: lowercase hex SHA-256 (or another
				   literal such as STREAMING-...); at most 64 characters */
	SIGV4_PAYLOAD_UNSIGNED, /* "UNSIGNED-PAYLOAD" (S3 only; always for presigned S3 URLs) */
};

/* What is signed. Nothing here is copied or freed by the signer. */
struct sigv4_request {
	const char *method; /* "GET", "PUT", ... */
	const char *path;   /* wire form, percent-encoded (see above) */
	const char *query;  /* wire form without '?'; NULL or "" for none */
	const struct sigv4_header *headers;
	size_t header_count;
	enum sigv4_payload payload;
	const void *body; /* SIGV4_PAYLOAD_BODY */
	size_t body_len;
	const char *payload_hash; /* SIGV4_PAYLOAD_HASH */
};

enum sigv4_rules {
	SIGV4_RULES_DEFAULT = 0, /* every service but S3: double-encoded, normalised path */
	SIGV4_RULES_S3,		 /* single encoding, no normalisation, x-amz-content-sha256 */
};

enum sigv4_mode {
	SIGV4_MODE_HEADER = 0, /* Authorization header */
	SIGV4_MODE_QUERY,      /* presigned URL (X-Amz-* query parameters) */
};

/* How to sign. A zeroed struct plus credentials, region, service and time is a
 * valid default-rules configuration. */
struct sigv4_params {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL or "": none */
	const char *region;	   /* "us-east-1" */
	const char *service;	   /* "s3", "dynamodb", "sts", ... */
	time_t time_s;		   /* signing time, Unix seconds (UTC); required (> 0) */
	enum sigv4_rules rules;
	bool no_path_normalize;	  /* default rules only: keep '.', '..' and '//' */
	bool add_content_sha256;  /* header mode, default rules: also sign x-amz-content-sha256
				     (always done under S3 rules) */
	bool token_after_signing; /* add the session token after signing, unsigned (some
				     older services want this); default: signed */
	long expires_s;		  /* query mode: X-Amz-Expires, 1..SIGV4_MAX_EXPIRES_S */
};

/* A header the signer adds to the request. name is a static string; value is
 * owned by the struct sigv4_auth_headers that holds it. */
struct sigv4_added_header {
	const char *name;
	char *value;
};

/* The headers to add to the request, in order: X-Amz-Date, x-amz-content-sha256
 * (when signed), X-Amz-Security-Token (when a token is set), Authorization. */
struct sigv4_auth_headers {
	size_t count;
	struct sigv4_added_header items[SIGV4_ADDED_MAX];
};

/* --- stages --- */

/* The canonical request (no trailing newline) for mode. On success *out is a new
 * string the caller frees. In query mode it includes the X-Amz-* parameters that
 * sigv4_presign_query sends (all but X-Amz-Signature). */
int sigv4_canonical_request(const struct sigv4_request *req, const struct sigv4_params *p,
			    enum sigv4_mode mode, char **out, struct err *e);

/* The SignedHeaders list ("host;x-amz-date") for mode. *out: new string, caller frees. */
int sigv4_signed_headers(const struct sigv4_request *req, const struct sigv4_params *p,
			 enum sigv4_mode mode, char **out, struct err *e);

/* "AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256(canonical_request)>", using
 * p's time, region and service. canonical_request is borrowed; *out is new,
 * caller frees. */
int sigv4_string_to_sign(const char *canonical_request, const struct sigv4_params *p, char **out,
			 struct err *e);

/* The derived signing key for p's secret, date (from time_s), region and service.
 * The caller owns key and must wipe it (OPENSSL_cleanse) when done. */
int sigv4_signing_key(const struct sigv4_params *p, unsigned char key[SIGV4_KEY_LEN],
		      struct err *e);

/* Lowercase hex HMAC-SHA256(key, string_to_sign) into hex (65 bytes with NUL). */
int sigv4_signature(const unsigned char key[SIGV4_KEY_LEN], const char *string_to_sign,
		    char hex[SIGV4_HEX_LEN + 1], struct err *e);

/* The Authorization header value: "AWS4-HMAC-SHA256 Credential=<akid>/<scope>,
 * SignedHeaders=<list>, Signature=<hex>". Arguments are borrowed; *out is new,
 * caller frees. */
int sigv4_authorization(const struct sigv4_params *p, const char *signed_headers,
			const char *signature_hex, char **out, struct err *e);

/* --- whole signing --- */

/* Signs req with the Authorization header and fills out with the headers to add
 * (see struct sigv4_auth_headers). out is overwritten; on success release it with
 * sigv4_auth_headers_cleanup, on failure it holds nothing. */
int sigv4_sign_headers(const struct sigv4_request *req, const struct sigv4_params *p,
		       struct sigv4_auth_headers *out, struct err *e);

/* Frees the values and zeroes the struct. NULL is fine. */
void sigv4_auth_headers_cleanup(struct sigv4_auth_headers *h);

/* Presigns req: *query_out is the query string to send (without '?'): req->query
 * as given, then X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
 * X-Amz-SignedHeaders, X-Amz-Security-Token (when set) and X-Amz-Signature. The
 * request's query must not already carry X-Amz-* signing parameters. *query_out
 * is new, caller frees. */
int sigv4_presign_query(const struct sigv4_request *req, const struct sigv4_params *p,
			char **query_out, struct err *e);

/* A presigned URL: base_url ("https://bucket.s3.amazonaws.com", one trailing '/'
 * ignored) + req->path + '?' + the presigned query. *url_out is new, caller frees. */
int sigv4_presign_url(const char *base_url, const struct sigv4_request *req,
		      const struct sigv4_params *p, char **url_out, struct err *e);

/* --- helpers --- */

/* Percent-encodes len bytes of s per SigV4: A-Z a-z 0-9 - _ . ~ stay, every other
 * byte becomes %XX (uppercase hex); '/' is encoded only when encode_slash. Use
 * encode_slash=false for paths/keys, true for query names and values. Returns a
 * new NUL-terminated string, caller frees (never NULL). */
char *sigv4_uri_encode(const char *s, size_t len, bool encode_slash);

/* Decodes %XX escapes (either case) in len bytes of s; anything else, including a
 * malformed '%' and '+', is kept as is. Returns a new NUL-terminated string (it may
 * contain NUL bytes; *out_len, if not NULL, gets the decoded length), caller frees. */
char *sigv4_uri_decode(const char *s, size_t len, size_t *out_len);

/* "20150830T123600Z" and "20150830" for t (UTC). Either output may be NULL. */
int sigv4_format_time(time_t t, char amz_date[SIGV4_AMZ_DATE_LEN + 1], char date8[9],
		      struct err *e);

/* Lowercase hex SHA-256 of len bytes of data into hex (65 bytes with NUL). */
int sigv4_sha256_hex(const void *data, size_t len, char hex[SIGV4_HEX_LEN + 1], struct err *e);

/* Incremental SHA-256 for streaming (a file, a request body read in pieces):
 * _init, any number of _update, _final, then always _cleanup (also after a
 * failure; cleanup of a zeroed or already cleaned struct is fine). */
struct sigv4_sha256 {
	void *md_ctx; /* EVP_MD_CTX *, owned */
};

int sigv4_sha256_init(struct sigv4_sha256 *h, struct err *e);
int sigv4_sha256_update(struct sigv4_sha256 *h, const void *data, size_t len, struct err *e);
int sigv4_sha256_final(struct sigv4_sha256 *h, char hex[SIGV4_HEX_LEN + 1], struct err *e);
void sigv4_sha256_cleanup(struct sigv4_sha256 *h);

/* Hex SHA-256 of a whole file, read in blocks (memory stays bounded). Errors
 * name the path (ERR_NOTFOUND, ERR_IO). */
int sigv4_sha256_file(const char *path, char hex[SIGV4_HEX_LEN + 1], struct err *e);

#endif
