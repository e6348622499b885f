/* cell: what views produce and the drawing module turns into ncurses calls.
 * Views fill lines of styled spans from their models without touching the
 * terminal (so they are testable without one); draw.c maps each span's
 * theme element and colour overrides to attributes of the current theme. */
#ifndef AFTOMATO_CELL_H
#define AFTOMATO_CELL_H

#include <stddef.h>
#include <stdint.h>

/* Theme elements: every key a theme may set (themes/default.yaml names them
 * in lower-case with '_' → '.', e.g. "status.bar", "build.running"). */
enum cell_elem {
	CELL_NORMAL,
	CELL_DIM,
	CELL_TITLE,          /* pane titles */
	CELL_TITLE_FOCUSED,  /* the focused pane's title */
	CELL_BORDER,
	CELL_BORDER_FOCUSED,
	CELL_SELECTED,       /* the selected row of a list */
	CELL_SELECTED_UNFOCUSED,
	CELL_HEADER,         /* column headers */
	CELL_STATUS_BAR,
	CELL_STATUS_ERROR,   /* the last error in the status bar */
	CELL_STATUS_WARN,
	CELL_PROMPT,
	CELL_KEY,            /* key names in help and hints */
	CELL_BUILD_QUEUED,
	CELL_BUILD_RUNNING,
	CELL_BUILD_SUCCEEDED,
	CELL_BUILD_FAILED,
	CELL_BUILD_CANCELLED,
	CELL_BUILD_TIMEDOUT,
	CELL_BUILD_ERROR,
	CELL_LOG_TEXT,
	CELL_LOG_TIMESTAMP,
	CELL_LOG_LINENO,
	CELL_LOG_ERROR,      /* a line that looks like an error */
	CELL_LOG_WARN,
	CELL_LOG_INERT,      /* a control sequence shown inert (e.g. "^[]52;") */
	CELL_SEARCH_MATCH,
	CELL_SEARCH_CURRENT,
	CELL_PROGRESS,
	CELL_ELEM_COUNT,
};

/* Text attributes (may be combined). */
enum cell_attr_bits {
	CELL_BOLD = 1 << 0,
	CELL_UNDERLINE = 1 << 1,
	CELL_REVERSE = 1 << 2,
	CELL_DIM_ATTR = 1 << 3,
	CELL_ITALIC = 1 << 4,
};

/* A colour from a log's SGR sequences: none, one of 256, or 24-bit. */
enum cell_color_kind { CELL_COLOR_NONE, CELL_COLOR_256, CELL_COLOR_RGB };
struct cell_color {
	uint8_t kind; /* enum cell_color_kind */
	uint8_t index; /* CELL_COLOR_256 */
	uint8_t r, g, b; /* CELL_COLOR_RGB */
};

struct cell_style {
	uint16_t elem;  /* enum cell_elem: the theme's colours and attributes */
	uint8_t attrs;  /* extra enum cell_attr_bits on top of the element's */
	struct cell_color fg, bg; /* overrides from the log (SGR); NONE = element's */
};

/* A run of UTF-8 text in one style. The text is printable: views never put
 * control bytes in spans (draw.c also refuses them). */
struct cell_span {
	const char *text;
	size_t len;
	struct cell_style style;
};

#endif
