/* ini: the AWS shared config and credentials files (~/.aws/config,
 * ~/.aws/credentials), in the format the AWS CLI and SDKs read:
 *
 *   [default]                  # the credentials file names profiles plainly,
 *   region = us-west-1         # the config file as [profile NAME] (and [default])
 *   s3 =                       # a nested block: indented "key = value" lines
 *       addressing_style = path
 *   ; comment                  # '#' and ';' start comment lines
 *
 * Keys are matched without case; a nested key is found as "s3.addressing_style".
 * Values are trimmed; inline comments are not stripped (secrets may contain '#').
 * Later duplicates of a key win, as in the CLI. */
#ifndef AFTOMATO_INI_H
#define AFTOMATO_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct ini;

/* Parses text (len bytes). name is used in error messages (a path). *out is new,
 * caller frees with ini_free. Errors are ERR_CONFIG "name:line: ...". */
int ini_parse(const char *text, size_t len, const char *name, struct ini **out, struct err *e);

/* Loads and parses a file. A missing file gives an empty ini (not an error).
 * *mode_out (if not NULL) gets the file's permission bits, 0 when missing. */
int ini_load(const char *path, struct ini **out, mode_t *mode_out, struct err *e);

void ini_free(struct ini *ini);

/* The value of key in section, or NULL. Points into ini. */
const char *ini_get(const struct ini *ini, const char *section, const char *key);

/* Whether the file has a section of this name. */
bool ini_has_section(const struct ini *ini, const char *section);

/* The path or name the ini was loaded from. */
const char *ini_name(const struct ini *ini);

#endif
