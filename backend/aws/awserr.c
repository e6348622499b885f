#include "awserr.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "xmem.h"
#include "xmltree.h"

static void s_copy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Makes msg one short line: drops the canonical request DynamoDB appends, cuts
 * at a line break, collapses white space. */
static void s_clean_message(char *msg)
{
	char *cut = strstr(msg, "The Canonical String");
	if (cut)
		*cut = '\0';
	cut = strstr(msg, "The String-to-Sign");
	if (cut)
		*cut = '\0';
	char *o = msg;
	bool space = true; /* drops leading spaces too */
	for (const char *p = msg; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\n' || ch == '\r') {
			break;
		} else if (isspace(ch) || ch < 0x20) {
			if (!space)
				*o++ = ' ';
			space = true;
		} else {
			*o++ = (char)ch;
			space = false;
		}
	}
	while (o > msg && o[-1] == ' ')
		o--;
	*o = '\0';
}

static const char *s_status_code(long status)
{
	switch (status) {
	case 301:
		return "PermanentRedirect";
	case 307:
		return "TemporaryRedirect";
	case 400:
		return "BadRequest";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "NotFound";
	case 405:
		return "MethodNotAllowed";
	case 409:
		return "Conflict";
	case 412:
		return "PreconditionFailed";
	case 416:
		return "InvalidRange";
	case 429:
		return "TooManyRequests";
	default:
		return NULL;
	}
}

static bool s_parse_xml(const char *body, size_t len, struct awserr *out)
{
	struct xmltree_node *root = NULL;
	struct err e = {0};
	if (xmltree_parse(body, len, &root, &e) < 0)
		return false;
	const struct xmltree_node *er = root;
	if (strcmp(root->name, "ErrorResponse") == 0 || strcmp(root->name, "Response") == 0)
		er = xmltree_child(root, "Error") ? xmltree_child(root, "Error")
						  : xmltree_path(root, "Errors/Error");
	bool ok = er && strcmp(er->name, "Error") == 0;
	if (ok) {
		const char *code = xmltree_text(er, "Code");
		const char *msg = xmltree_text(er, "Message");
		const char *region = xmltree_text(er, "Region");
		if (code)
			s_copy(out->code, sizeof(out->code), code, strlen(code));
		if (msg)
			s_copy(out->message, sizeof(out->message), msg, strlen(msg));
		if (region && !out->region[0])
			s_copy(out->region, sizeof(out->region), region, strlen(region));
	}
	xmltree_free(root);
	return ok;
}

static bool s_parse_json(const char *body, size_t len, struct awserr *out)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		return false;
	}
	const char *type = json_string_value(json_object_get(j, "__type"));
	if (!type)
		type = json_string_value(json_object_get(j, "code"));
	const char *msg = json_string_value(json_object_get(j, "message"));
	if (!msg)
		msg = json_string_value(json_object_get(j, "Message"));
	if (type) {
		const char *hash = strrchr(type, '#');
		type = hash ? hash + 1 : type;
		s_copy(out->code, sizeof(out->code), type, strcspn(type, ":"));
	}
	if (msg)
		s_copy(out->message, sizeof(out->message), msg, strlen(msg));
	json_decref(j);
	return type != NULL;
}

/* The text of the first <tag>...</tag> (case-insensitive), tags inside removed. */
static bool s_html_text(const char *body, size_t len, const char *tag, char *out, size_t size)
{
	char open[16];
	snprintf(open, sizeof(open), "<%s", tag);
	size_t tl = strlen(open);
	for (size_t i = 0; i + tl < len; i++) {
		if (strncasecmp(body + i, open, tl) != 0 ||
		    (body[i + tl] != '>' && body[i + tl] != ' '))
			continue;
		const char *p = memchr(body + i, '>', len - i);
		if (!p)
			return false;
		p++;
		size_t o = 0;
		bool in_tag = false;
		char close[16];
		snprintf(close, sizeof(close), "</%s", tag);
		size_t cl = strlen(close);
		for (; p < body + len && *p && o + 1 < size; p++) {
			if ((size_t)(body + len - p) >= cl && strncasecmp(p, close, cl) == 0)
				break;
			if (*p == '<')
				in_tag = true;
			else if (*p == '>')
				in_tag = false;
			else if (!in_tag)
				out[o++] = *p;
		}
		out[o] = '\0';
		s_clean_message(out);
		return out[0] != '\0';
	}
	return false;
}

static bool s_looks_html(const char *body, size_t len, const char *ctype)
{
	if (ctype && strncasecmp(ctype, "text/html", 9) == 0)
		return true;
	size_t n = len < 512 ? len : 512;
	for (size_t i = 0; i + 5 <= n; i++)
		if (strncasecmp(body + i, "<html", 5) == 0 ||
		    strncasecmp(body + i, "<!doct", 6) == 0)
			return true;
	return false;
}

static void s_parse_body(const char *body, size_t len, const char *ctype, struct awserr *out)
{
	size_t i = 0;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i == len)
		return;
	if (s_looks_html(body, len, ctype)) {
		out->html = true;
		char text[160];
		if (s_html_text(body, len, "title", text, sizeof(text)) ||
		    s_html_text(body, len, "h1", text, sizeof(text)))
			snprintf(out->message, sizeof(out->message), "HTML page from a proxy: %s",
				 text);
		else
			snprintf(out->message, sizeof(out->message), "HTML page from a proxy");
	} else if (body[i] == '<') {
		if (!s_parse_xml(body, len, out))
			out->malformed = true;
	} else if (body[i] == '{') {
		if (!s_parse_json(body, len, out))
			out->malformed = true;
	} else {
		s_copy(out->message, sizeof(out->message), body + i, len - i);
	}
}

void awserr_parse(long status, const char *body, size_t len, const struct http_response *resp,
		  struct awserr *out)
{
	memset(out, 0, sizeof(*out));
	out->status = status;
	const char *ctype = resp ? http_response_header(resp, "Content-Type") : NULL;
	const char *region = resp ? http_response_header(resp, "x-amz-bucket-region") : NULL;
	if (region)
		s_copy(out->region, sizeof(out->region), region, strcspn(region, " \r\n"));
	if (body && len)
		s_parse_body(body, len, ctype, out);
	const char *etype = resp ? http_response_header(resp, "x-amzn-ErrorType") : NULL;
	if (!out->code[0] && etype)
		s_copy(out->code, sizeof(out->code), etype, strcspn(etype, ":"));
	if (!out->code[0]) {
		const char *name = s_status_code(status);
		if (name && !out->html)
			snprintf(out->code, sizeof(out->code), "%s", name);
		else
			snprintf(out->code, sizeof(out->code), "HTTP %ld", status);
	}
	if (out->malformed && !out->message[0])
		snprintf(out->message, sizeof(out->message), "malformed error answer");
	s_clean_message(out->message);
}

static bool s_in(const char *code, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(code, *list) == 0)
			return true;
	return false;
}

bool awserr_is_throttling(const char *code)
{
	static const char *const list[] = {
	    "Throttling",
	    "ThrottlingException",
	    "ThrottledException",
	    "RequestThrottledException",
	    "TooManyRequestsException",
	    "ProvisionedThroughputExceededException",
	    "TransactionInProgressException",
	    "RequestLimitExceeded",
	    "BandwidthLimitExceeded",
	    "LimitExceededException",
	    "RequestThrottled",
	    "SlowDown",
	    "PriorRequestNotComplete",
	    "EC2ThrottledException",
	    NULL,
	};
	return code && s_in(code, list);
}

bool awserr_is_transient(const struct awserr *a)
{
	static const char *const list[] = {
	    "RequestTimeout",
	    "RequestTimeoutException",
	    "InternalError",
	    "InternalFailure",
	    "InternalServerError",
	    "ServiceUnavailable",
	    "ServiceUnavailableException",
	    "IDPCommunicationError",
	    NULL,
	};
	static const char *const never[] = {
	    "ConditionalCheckFailedException",
	    "ValidationException",
	    "TransactionCanceledException",
	    NULL,
	};
	if (s_in(a->code, never))
		return false;
	if (awserr_is_throttling(a->code) || s_in(a->code, list))
		return true;
	return a->status == 429 || a->status == 500 || a->status == 502 || a->status == 503 ||
	       a->status == 504;
}

bool awserr_is_clock_skew(const struct awserr *a)
{
	static const char *const list[] = {"RequestTimeTooSkewed", "RequestExpired",
					   "RequestInTheFuture", NULL};
	if (s_in(a->code, list))
		return true;
	return (strcmp(a->code, "InvalidSignatureException") == 0 ||
		strcmp(a->code, "SignatureDoesNotMatch") == 0) &&
	       strstr(a->message, "Signature expired") != NULL;
}

bool awserr_is_expired_token(const struct awserr *a)
{
	static const char *const list[] = {"ExpiredToken", "ExpiredTokenException",
					   "RequestExpiredToken", NULL};
	return s_in(a->code, list);
}

enum err_code awserr_category(const struct awserr *a)
{
	static const char *const auth[] = {
	    "SignatureDoesNotMatch",
	    "InvalidAccessKeyId",
	    "InvalidToken",
	    "InvalidClientTokenId",
	    "UnrecognizedClientException",
	    "InvalidSignatureException",
	    "MissingAuthenticationToken",
	    "MissingAuthenticationTokenException",
	    "AccessDenied",
	    "AccessDeniedException",
	    "AuthorizationHeaderMalformed",
	    "IncompleteSignature",
	    "IncompleteSignatureException",
	    "InvalidIdentityToken",
	    "IDPRejectedClaim",
	    NULL,
	};
	static const char *const notfound[] = {
	    "NoSuchKey", "NoSuchBucket", "NoSuchUpload", "ResourceNotFoundException",
	    "NotFound",	 NULL,
	};
	if (strcmp(a->code, "ConditionalCheckFailedException") == 0)
		return ERR_CONFLICT;
	if (s_in(a->code, auth) || awserr_is_expired_token(a) || awserr_is_clock_skew(a) ||
	    a->status == 401 || a->status == 403)
		return ERR_AUTH;
	if (s_in(a->code, notfound) || a->status == 404)
		return ERR_NOTFOUND;
	if (awserr_is_transient(a))
		return ERR_THROTTLED;
	return ERR_REMOTE;
}

void awserr_format(const struct awserr *a, char *buf, size_t size)
{
	bool generic = strncmp(a->code, "HTTP ", 5) == 0;
	if (generic && a->message[0])
		snprintf(buf, size, "%s (HTTP %ld)", a->message, a->status);
	else if (generic)
		snprintf(buf, size, "HTTP %ld", a->status);
	else if (a->message[0])
		snprintf(buf, size, "%s: %s (HTTP %ld)", a->code, a->message, a->status);
	else
		snprintf(buf, size, "%s (HTTP %ld)", a->code, a->status);
}
