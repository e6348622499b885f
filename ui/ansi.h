/* ansi: turns one raw build-log line (any bytes, possibly invalid UTF-8,
 * possibly megabytes long) into display glyphs and styled cell spans.
 *
 * Only SGR sequences (ESC [ params m) are interpreted; the style they set
 * lives in struct ansi_state and starts afresh on every line. Everything else
 * is shown inert (theme element CELL_LOG_INERT) as printable text, never as
 * control bytes:
 *   C0 controls and DEL     caret notation: ^[ (ESC), ^G (BEL), ^M, ^@, ^?
 *                           (TAB expands to the next 8-column stop; a single
 *                           CR at the very end of a line, as in CRLF logs, is
 *                           dropped)
 *   other ESC sequences     "^[" followed by the sequence's own printable
 *                           bytes: "^[[2J", "^[]0;title^G", "^[P...^[\"
 *   OSC/DCS/SOS/PM/APC      the whole string up to its terminator (BEL, ESC \,
 *                           U+009C) is inert, whatever it contains
 *   C1 controls U+0080-9F   "<U+009B>"; U+009B/9D/90/98/9E/9F open sequences
 *                           and strings as their ESC forms do
 *   bidi controls, U+2028/9 "<U+202E>" (and any code point wcwidth() calls
 *   and unprintables        non-printable)
 *   invalid UTF-8 bytes     "\xNN" per byte (raw 0x80-0x9F bytes included)
 * Display widths come from wcwidth() in a C.UTF-8 locale (whatever the
 * process locale): CJK = 2 columns, combining marks = 0 (at most
 * ANSI_MAX_MARKS kept per glyph).
 *
 * Cost: decoding is one linear pass; rendering a window stops as soon as the
 * window is full, so a huge line costs the visible part plus a linear scan to
 * the horizontal scroll position (or wrapped row). */
#ifndef AFTOMATO_ANSI_H
#define AFTOMATO_ANSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cell.h"

#define ANSI_LOOKAHEAD	   128 /* bytes ansi_next may look at past a token start */
#define ANSI_TAB_COLS	   8
#define ANSI_MAX_MARKS	   4  /* zero-width marks kept per glyph; more are dropped */
#define ANSI_MAX_SEQ_BYTES 64 /* longer CSI parameter strings are shown inert */

/* --- decoding ------------------------------------------------------------- */

enum ansi_mode {
	ANSI_MODE_TEXT,	  /* ordinary text */
	ANSI_MODE_STRING, /* inside an OSC/DCS/SOS/PM/APC string: all inert */
	ANSI_MODE_TAIL,	  /* showing the rest of an inert sequence (`tail` bytes) */
};

/* Decoder state between tokens: plain data, may be copied and restored (a
 * checkpoint restarts decoding at the matching byte offset). */
struct ansi_state {
	struct cell_color fg, bg; /* from SGR */
	uint8_t attrs;		  /* enum cell_attr_bits from SGR */
	uint8_t mode;		  /* enum ansi_mode */
	uint16_t tail;		  /* ANSI_MODE_TAIL: bytes still to show */
	uint64_t col;		  /* display column (from the line start) of the next glyph */
};

void ansi_state_init(struct ansi_state *st);

enum ansi_glyph_kind {
	ANSI_GLYPH_RUN,	 /* `width` columns of one-column ASCII text: may be cut anywhere */
	ANSI_GLYPH_CHAR, /* one character of width 1 or 2: never cut */
	ANSI_GLYPH_MARK, /* a zero-width character: belongs to the glyph before it */
};

/* One displayable unit. `text` is printable UTF-8 (never a control byte); it
 * points into the decoded buffer or into `rep`, and is valid until the next
 * ansi_next call or until the buffer changes. */
struct ansi_glyph {
	uint8_t kind;	  /* enum ansi_glyph_kind */
	bool inert;	  /* a control shown inert (CELL_LOG_INERT) */
	bool raw_is_text; /* text is the raw bytes themselves (byte i = raw_off + i) */
	const char *text;
	size_t len;
	uint64_t width; /* columns */
	uint64_t col;	/* logical column it starts at */
	size_t raw_off; /* the input bytes it stands for, relative to the buffer */
	size_t raw_len;
	char rep[16]; /* storage for generated text ("^[", "\x9b", "<U+202E>") */
};

enum ansi_tok {
	ANSI_TOK_END,	/* no more input (at_end) */
	ANSI_TOK_GLYPH, /* *g filled */
	ANSI_TOK_NONE,	/* bytes consumed, nothing to show (an SGR, a final CR) */
	ANSI_TOK_MORE,	/* fewer than ANSI_LOOKAHEAD bytes left and !at_end: refill
			   the buffer from *pos and call again */
};

/* Decodes the token at buf[*pos] (buf holds `len` bytes; `at_end` says the
 * line ends at buf + len) and advances *pos past it. Updates `st` (SGR style,
 * mode, column). */
enum ansi_tok ansi_next(struct ansi_state *st, const char *buf, size_t len, size_t *pos,
			bool at_end, struct ansi_glyph *g);

/* Applies the parameters `s` (n bytes: digits, ';' and ':' only) of an SGR
 * sequence "ESC [ s m" to the style in st. */
void ansi_sgr_apply(struct ansi_state *st, const char *s, size_t n);

/* If s (n bytes) starts with an SGR sequence, its length; else 0. */
size_t ansi_sgr_len(const char *s, size_t n);

/* The cell style of ordinary text under `st` on a line whose theme element is
 * `elem` (CELL_LOG_TEXT, CELL_LOG_ERROR, ...). */
void ansi_state_style(const struct ansi_state *st, uint16_t elem, struct cell_style *out);

/* --- span output ---------------------------------------------------------- */

/* A growable list of spans whose text lives in the list's own buffer. While
 * building, span text pointers are not valid; ansi_out_finish sets them. */
struct ansi_out {
	struct cell_span *spans;
	size_t nspans, spans_cap;
	size_t *offs; /* text offset of each span while building */
	char *text;
	size_t text_len, text_cap;
	bool no_merge; /* the next span starts a new span (row boundary) */
	bool failed;   /* out of memory: output incomplete */
};

void ansi_out_init(struct ansi_out *o);
/* Frees the memory held by `o`. */
void ansi_out_cleanup(struct ansi_out *o);
/* Empties `o`, keeping its memory. */
void ansi_out_reset(struct ansi_out *o);
/* Appends `len` bytes of printable UTF-8 (copied) in `style`, merged into the
 * previous span when the style is the same and no break was requested. */
void ansi_out_add(struct ansi_out *o, const char *text, size_t len, const struct cell_style *style);
/* Appends `n` spaces in `style`. */
void ansi_out_spaces(struct ansi_out *o, size_t n, const struct cell_style *style);
/* The next span starts a new span (call at every row start). */
void ansi_out_break(struct ansi_out *o);
/* Points every span's text into o->text. Call after the last add. */
void ansi_out_finish(struct ansi_out *o);

/* --- layout --------------------------------------------------------------- */

/* A highlighted byte range of a line (raw offsets from the line start,
 * end exclusive); glyphs touching it take `elem` and lose SGR colours. */
struct ansi_mark {
	uint64_t start, end;
	uint16_t elem;
};

/* Places glyphs into a window. Without wrap: one row showing logical columns
 * [first_col, first_col + width). With wrap: rows of `width` columns (a
 * character that does not fit moves to the next row), emitting rows
 * [first_row, first_row + nrows). */
struct ansi_fit {
	/* settings (set before ansi_fit_begin) */
	bool wrap;
	uint32_t width;
	uint64_t first_col;	       /* no wrap */
	uint64_t first_row, nrows;     /* wrap */
	uint16_t elem;		       /* the line's theme element */
	const struct ansi_mark *marks; /* sorted by start, not overlapping */
	size_t nmarks;
	struct ansi_out *out; /* NULL: lay out only (count rows) */
	size_t *row_starts;   /* wrap with out: span index where each emitted
				 row starts (nrows entries) */
	/* state */
	uint64_t row;	  /* wrap: current row */
	uint64_t x;	  /* column inside the row (wrap) or logical column */
	uint64_t emitted; /* columns emitted in the current row */
	bool base_shown;  /* the last glyph with width was emitted whole */
	unsigned marks_kept;
	size_t mark_i;
	bool done; /* nothing further can be visible */
};

/* Resets the state of `f` (keeps its settings). */
void ansi_fit_begin(struct ansi_fit *f);
/* The same, resuming at wrapped row `row`, column `x` (from a checkpoint). */
void ansi_fit_begin_at(struct ansi_fit *f, uint64_t row, uint64_t x);
/* Places `g` (decoded under `st`, `raw_base` = line offset of the buffer g
 * refers to). Returns false once the window is complete. */
bool ansi_fit_glyph(struct ansi_fit *f, const struct ansi_state *st, const struct ansi_glyph *g,
		    uint64_t raw_base);
/* Rows the glyphs placed so far occupy in wrap mode (at least 1). */
uint64_t ansi_fit_rows(const struct ansi_fit *f);

/* Where a line's bytes come from: memory (all `len` bytes at `mem`) or a
 * reader for lines too long to hold. */
struct ansi_src {
	const char *mem; /* NULL: use read */
	uint64_t len;	 /* the line's full length in bytes */
	/* Reads up to `cap` bytes at line offset `off`; returns 0 and sets *got,
	 * or -1 on error. */
	int (*read)(void *arg, uint64_t off, char *buf, size_t cap, size_t *got);
	void *arg;
};

/* Called before each glyph `g` is placed, with the decoder state and line
 * offset it was decoded from and the fit state before it; used to record
 * checkpoints (decoding may restart at `off` with `before`). */
typedef void (*ansi_glyph_hook)(void *arg, const struct ansi_state *before, uint64_t off,
				const struct ansi_fit *f, const struct ansi_glyph *g);

/* Decodes the line from offset `off` with state *st (ansi_state_init for the
 * line start) and places the glyphs in `f` (after ansi_fit_begin or a restored
 * fit state) until the window is complete or the line ends. `hook` may be
 * NULL. Returns 0, or -1 if src->read failed. */
int ansi_layout(const struct ansi_src *src, uint64_t off, struct ansi_state *st, struct ansi_fit *f,
		ansi_glyph_hook hook, void *hook_arg);

/* Convenience: renders the in-memory line `line` (len bytes) into one row of
 * `out` showing columns [first_col, first_col + width) without wrap. Spans are
 * appended to `out` (call ansi_out_finish before reading them). */
void ansi_render(const char *line, size_t len, uint64_t first_col, uint32_t width, uint16_t elem,
		 const struct ansi_mark *marks, size_t nmarks, struct ansi_out *out);

/* The display column where raw line offset `raw_off` starts (linear scan of
 * the in-memory line), for scrolling a match into view. */
uint64_t ansi_column_of(const char *line, size_t len, size_t raw_off);

/* --- plain text ----------------------------------------------------------- */

/* A line without its SGR sequences (and without a final CR), for regex
 * matching: every other byte is kept as it is. Offsets map back to the raw
 * line through `segs`. */
struct ansi_plain_seg {
	size_t plain, raw; /* a copied stretch starts at these offsets */
};

struct ansi_plain {
	const char *text; /* the plain text: the input itself when nothing was
			     removed, else `buf` */
	size_t len;
	char *buf;
	size_t buf_cap;
	struct ansi_plain_seg *segs; /* empty when text is the input */
	size_t nsegs, segs_cap;
};

void ansi_plain_init(struct ansi_plain *p);
/* Frees the memory held by `p`. */
void ansi_plain_cleanup(struct ansi_plain *p);
/* Strips `line` (len bytes; must stay valid while p->text is used). Returns 0,
 * or -1 when out of memory. */
int ansi_plain_set(struct ansi_plain *p, const char *line, size_t len);
/* The raw offset of plain offset `off` (for a match end, pass is_end = true:
 * the offset just past the raw byte of plain byte off - 1). */
size_t ansi_plain_to_raw(const struct ansi_plain *p, size_t off, bool is_end);

#endif
