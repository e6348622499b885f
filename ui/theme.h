/* theme: the console's colours and attributes, read from YAML theme files, and
 * their mapping to what the terminal can show.
 *
 * A theme file (themes/default.yaml documents every key):
 *
 *   extends: default          # optional: a theme whose keys this one overrides
 *   palette:                  # optional: named colours, defined once
 *     accent: "#5fafff"       #   "#rrggbb", "#rgb", 0-255 or a basic name
 *   elements:                 # one key per enum cell_elem ("title.focused", ...)
 *     selected: {fg: black, bg: accent, attrs: [bold]}
 *     search.current: {bg: "#ffaf00", attrs: bold underline, mono: [reverse, bold]}
 *
 * Colours: `default` (the terminal's own), the basic names black, red, green,
 * yellow, blue, magenta, cyan, white and bright-black ... bright-white (also
 * written bright_red / brightred; grey/gray = bright-black), an integer 0-255
 * (xterm's 256-colour palette), "#rrggbb" or "#rgb", or a palette name
 * (palette names win over basic names, so a palette may redefine `red`).
 * Attributes: bold, underline, reverse, dim, italic, as a sequence or a
 * space/comma separated string; `mono` gives the attributes used instead when
 * no colours are shown (NO_COLOR, TERM=dumb, monochrome terminals).
 *
 * `extends` merges field by field: an element of the derived theme that sets
 * only `bg` keeps the base's fg and attrs; the palette merges by name and colour
 * names are resolved after merging (a derived theme can recolour its base by
 * redefining palette entries). Elements that no theme of the chain sets fall
 * back to `normal`'s colours. Unknown keys, bad colours and attributes, unknown
 * palette names, cycles in `extends` and missing bases are ERR_CONFIG errors
 * naming `file:line:column`.
 *
 * Lookup: a theme name NAME is NAME.yaml in the first directory of a
 * NULL-terminated list that has it (the console passes the user's
 * $XDG_CONFIG_HOME/aftomato/themes first, then the shipped themes/); a name
 * containing '/' is a path. `extends` is resolved the same way (a relative path
 * there is relative to the extending file's directory).
 *
 * No ncurses here: theme.c is pure and testable without a terminal; draw.c
 * turns resolved styles into ncurses attributes and colour pairs. */
#ifndef AFTOMATO_THEME_H
#define AFTOMATO_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cell.h"
#include "err.h"

#define THEME_EXTENDS_MAX 8 /* longest chain of `extends` */

/* One element as the theme defines it (colours before mapping). fg/bg kind
 * CELL_COLOR_NONE means the terminal's default colour. */
struct theme_style {
	struct cell_color fg, bg;
	uint8_t attrs;	    /* enum cell_attr_bits */
	uint8_t mono_attrs; /* used without colours when has_mono */
	bool has_mono;
	bool defined; /* set by some theme of the chain (else copied from normal) */
};

struct theme {
	char *name; /* as asked for (a name or a path) */
	char *path; /* the file it was read from */
	struct theme_style elems[CELL_ELEM_COUNT];
};

/* Loads theme `name` looked up in dirs (see above). On success *out is a new
 * theme the caller frees with theme_free. A theme not found in any directory
 * is ERR_NOTFOUND ("theme 'x' not found (looked for x.yaml in A, B)"); file
 * errors are ERR_CONFIG with file:line:column. */
int theme_load(const char *name, const char *const *dirs, struct theme **out, struct err *e);

/* Same from a YAML buffer (name appears in messages as the file name; `extends`
 * is looked up in dirs). For tests and for the built-in fallback. */
int theme_load_buffer(const char *name, const char *yaml, size_t len, const char *const *dirs,
		      struct theme **out, struct err *e);

/* A theme compiled into the program (basic colours only), for when no theme
 * file can be read. New theme, caller frees. NULL only when out of memory. */
struct theme *theme_new_fallback(void);

void theme_free(struct theme *t);

/* "title.focused" for CELL_TITLE_FOCUSED; NULL when out of range. */
const char *theme_elem_name(enum cell_elem elem);
/* The element of a name, or -1. */
int theme_elem_from_name(const char *name);

/* Names of every theme in dirs (NAME for each NAME.yaml, sorted, without
 * duplicates), NULL-terminated. New array of new strings: free with
 * theme_list_free. Unreadable directories are skipped. NULL only when out of
 * memory. */
char **theme_list(const char *const *dirs);
void theme_list_free(char **names);

/* ---- What the terminal can show ---- */

enum theme_depth {
	THEME_DEPTH_MONO, /* attributes only: NO_COLOR, TERM=dumb, no colours */
	THEME_DEPTH_8,
	THEME_DEPTH_16,
	THEME_DEPTH_256,
	THEME_DEPTH_RGB, /* direct colour (COLORS >= 2^24, e.g. TERM=xterm-direct) */
};

struct theme_caps {
	enum theme_depth depth;
	bool default_colors; /* -1 (the terminal's default colour) may be used */
};

/* Works out the depth from the terminal's COLORS (has_colors() false → pass 0),
 * TERM and NO_COLOR (any value, even empty, when not NULL). Pure. */
void theme_caps_compute(struct theme_caps *c, int colors, const char *term, const char *no_color,
			bool default_colors);

/* A style ready for the terminal: colour numbers for init_extended_pair (-1 =
 * the terminal's default) and enum cell_attr_bits. */
struct theme_term_style {
	int fg, bg;
	uint8_t attrs;
};

/* Maps one colour to a terminal colour number for caps (-1 for NONE or
 * THEME_DEPTH_MONO). 256/RGB colours go to the nearest colour of the xterm
 * 256 palette, then of the 16 basic colours, then of the 8 (bright ones lose
 * their brightness; for a foreground *extra_attrs gets CELL_BOLD so they stay
 * bright where terminals render bold as bright). extra_attrs may be NULL. */
int theme_map_color(const struct cell_color *c, const struct theme_caps *caps, bool is_fg,
		    uint8_t *extra_attrs);

/* Resolves every element of t for caps into out. Without colours each element
 * gets its mono attributes (or the theme's attrs plus a built-in fallback).
 * With few colours, an element whose mapped style became identical to the one
 * it must stand out from (selected vs normal, search.current vs search.match,
 * search.match vs log.text, build.failed vs build.succeeded, ...) gets its
 * fallback attributes too, and a foreground equal to its background is
 * replaced by a contrasting one. Pure. */
void theme_resolve(const struct theme *t, const struct theme_caps *caps,
		   struct theme_term_style out[CELL_ELEM_COUNT]);

/* Colour helpers (pure): nearest xterm-256 index (16-255) of an RGB colour,
 * nearest of the 16 basic colours, and the RGB value of a 256-palette index. */
int theme_rgb_to_256(uint8_t r, uint8_t g, uint8_t b);
int theme_rgb_to_16(uint8_t r, uint8_t g, uint8_t b);
void theme_index_to_rgb(int index, uint8_t *r, uint8_t *g, uint8_t *b);

#endif
