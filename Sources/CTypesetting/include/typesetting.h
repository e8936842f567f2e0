#ifndef CLASSIFY_TYPESETTING_H
#define CLASSIFY_TYPESETTING_H
#include <stddef.h>

// A PDF document (cairo PDF surface + Pango layout + librsvg figures) behind an opaque handle,
// so that Swift holds no cairo or Pango pointers. Coordinates are PDF points (1/72 inch) from
// the top-left corner of the page. Text is Pango markup; a font is a Pango font description
// such as "DejaVu Serif 10.5".
//
// Every call that can fail returns a negative value (or a non-zero code) and copies a message
// into `error` (at most `error_capacity` bytes, NUL-terminated). Nothing here exits or aborts.

/// The document; opaque to callers.
typedef struct classify_pdf classify_pdf;

/// Horizontal alignment of text within its box.
enum {
  CLASSIFY_ALIGN_LEFT = 0,
  CLASSIFY_ALIGN_CENTER = 1,
  CLASSIFY_ALIGN_RIGHT = 2,
  CLASSIFY_ALIGN_JUSTIFY = 3
};

/// Creates a PDF at `path` whose pages are `width` × `height` points. Returns NULL on failure
/// (message in `error`). The file is written progressively and finished by `classify_pdf_close`.
classify_pdf *classify_pdf_open(const char *path, double width, double height, char *error,
                                size_t error_capacity);

/// Sets the document's title metadata (and "classify" as its creator). Returns 0 on success.
int classify_pdf_set_title(classify_pdf *doc, const char *title, char *error, size_t error_capacity);

/// In the calls below, `indent` indents the first line of each paragraph (lines separated by
/// newlines) by that many points; a negative value indents the other lines instead (a hanging
/// indent).

/// Lays out `markup` wrapped at `width` and returns its height in points, or a negative
/// value on a markup error. Draws nothing.
double classify_pdf_text_height(classify_pdf *doc, const char *markup, const char *font, double width,
                                int alignment, double indent, char *error, size_t error_capacity);

/// Lays out `markup` wrapped at `width` and stores the bottom of each line (points from the top
/// of the layout) into `line_bottoms`, at most `capacity` of them. Returns the number of lines
/// (which may exceed `capacity`), or a negative value on a markup error. Draws nothing.
int classify_pdf_text_lines(classify_pdf *doc, const char *markup, const char *font, double width,
                            int alignment, double indent, double *line_bottoms, int capacity, char *error,
                            size_t error_capacity);

/// The natural (unwrapped) width of `markup` in points, or a negative value on a markup error.
double classify_pdf_text_width(classify_pdf *doc, const char *markup, const char *font, char *error,
                               size_t error_capacity);

/// Draws lines `first_line` ..< `first_line + line_count` of `markup` wrapped at `width`, the top of
/// the first drawn line at (`x`, `y`); `line_count` < 0 draws to the end. Returns the height drawn,
/// or a negative value on a markup error.
double classify_pdf_draw_text(classify_pdf *doc, const char *markup, const char *font, double x,
                              double y, double width, int alignment, double indent, int first_line, int line_count,
                              char *error, size_t error_capacity);

/// Strokes a line from (`x0`, `y0`) to (`x1`, `y1`), `line_width` points wide, in colour r, g, b
/// (each 0…1).
void classify_pdf_draw_line(classify_pdf *doc, double x0, double y0, double x1, double y1,
                            double line_width, double r, double g, double b);

/// Fills the rectangle at (`x`, `y`) of size `width` × `height` with colour r, g, b (each 0…1).
void classify_pdf_fill_rect(classify_pdf *doc, double x, double y, double width, double height,
                            double r, double g, double b);

/// The intrinsic size of an SVG or PNG file (told apart by content): SVG in CSS pixels
/// (1/96 inch), PNG in pixels. Returns 0 on success.
int classify_pdf_image_size(const char *path, double *width, double *height, char *error,
                            size_t error_capacity);

/// Draws an SVG (vector, through librsvg) or PNG file scaled to fit the box at (`x`, `y`) of size
/// `width` × `height`, keeping its aspect ratio and centred in the box. Returns 0 on success.
int classify_pdf_draw_image_file(classify_pdf *doc, const char *path, double x, double y,
                                 double width, double height, char *error, size_t error_capacity);

/// Draws an SVG document given as UTF-8 bytes, like `classify_pdf_draw_image_file`.
int classify_pdf_draw_svg_data(classify_pdf *doc, const char *svg, size_t length, double x, double y,
                               double width, double height, char *error, size_t error_capacity);

/// Adds a bookmark to the PDF outline pointing at the top of `page` (1-based) and returns its id
/// for use as `parent` of nested entries (0 is the root), or a negative value on failure.
int classify_pdf_add_outline(classify_pdf *doc, int parent, const char *title, int page);

/// Makes the rectangle at (`x`, `y`) of size `width` × `height` on the current page a link to the
/// top of `page` (1-based).
void classify_pdf_link_to_page(classify_pdf *doc, double x, double y, double width, double height,
                               int page);

/// Finishes the current page and starts the next one.
void classify_pdf_new_page(classify_pdf *doc);

/// Finishes the document, flushes the file and frees the handle (always, even on failure).
/// Returns 0 on success.
int classify_pdf_close(classify_pdf *doc, char *error, size_t error_capacity);

#endif
