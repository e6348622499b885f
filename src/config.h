/* config: the configuration file (DESIGN.md §2) read into a struct profile, and
 * where the shipped data (demo build-scripts repository, themes) lives.
 *
 * The file is the --config argument, else $AFTOMATO_CONFIG, else
 * $XDG_CONFIG_HOME/aftomato/config.yaml (~/.config/aftomato/config.yaml). A file
 * named by --config or $AFTOMATO_CONFIG must exist; a missing default file means
 * the embedded default. The profile is --profile, else $AFTOMATO_PROFILE, else the
 * file's `profile:`, else "local". "local" always exists (the embedded defaults,
 * overridden by the file's profiles.local when there is one).
 *
 * Errors are ERR_CONFIG (ERR_NOTFOUND for a missing named file, ERR_IO for an
 * unreadable one), one line, and name file:line:column for anything in the file.
 * Environment variables are read when the functions run; none of them is
 * thread-safe against setenv in another thread (call them at start-up). */
#ifndef AFTOMATO_CONFIG_H
#define AFTOMATO_CONFIG_H

#include "err.h"
#include "profile.h"

/* Loads the profile. config_arg / profile_arg are the command-line values or
 * NULL. On success *out is filled (every path absolute, every default applied)
 * and the caller frees it with profile_cleanup; on failure *out is zeroed. */
int config_load(const char *config_arg, const char *profile_arg, struct profile *out,
		struct err *e);

/* The configuration file that config_load would read with this --config value,
 * as a new absolute path (caller frees), whether it exists or not. NULL only on
 * failure (e filled: no HOME, out of memory). */
char *config_file_path(const char *config_arg, struct err *e);

/* Expands path: "~" and "~/..." use $HOME; a relative path is taken relative to
 * base_dir (NULL: the current directory). Returns a new absolute path with no
 * "." or ".." components and no trailing '/' (caller frees), or NULL with e
 * filled (ERR_CONFIG: empty path, "~user", no HOME). Nothing is looked up on disk. */
char *config_expand_path(const char *path, const char *base_dir, struct err *e);

/* The directory of the shipped data: $AFTOMATO_SHARE_DIR, else
 * <dir of /proc/self/exe>/../share/aftomato if it exists, else the compile-time
 * AFTOMATO_INSTALL_DATADIR if it exists, else the source tree
 * (AFTOMATO_SOURCE_DIR). The string is per-thread static storage, valid until
 * the next call in the same thread. */
const char *config_share_dir(void);

/* The demo build-scripts repository: <share>/demo, or packaging/demo when the
 * share dir is the source tree. New string, caller frees; NULL on no memory. */
char *config_demo_dir(void);

/* The shipped themes directory: <share>/themes (also in the source tree). New
 * string, caller frees. */
char *config_themes_dir(void);

/* The user's themes directory: $XDG_CONFIG_HOME/aftomato/themes
 * (~/.config/aftomato/themes). New string, caller frees; NULL when neither
 * XDG_CONFIG_HOME nor HOME is set. */
char *config_user_themes_dir(void);

/* Finds the theme file for a profile's theme value: a value containing '/' is a
 * path (used as is); a name NAME is looked up as NAME.yaml in the user's themes
 * directory, then in the shipped one. Returns a new absolute path (caller
 * frees) or NULL with e filled (ERR_NOTFOUND naming the directories searched). */
char *config_find_theme(const char *theme, struct err *e);

#endif
