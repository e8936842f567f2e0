// PDF typesetting through cairo's PDF surface, Pango and librsvg. Kept in C so that the Swift
// side holds no pointers: Swift passes strings and numbers and gets an opaque handle back.
#include "typesetting.h"
#include <cairo-pdf.h>
#include <cairo.h>
#include <librsvg/rsvg.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct classify_pdf {
  cairo_surface_t *surface;
  cairo_t *cr;
  PangoContext *context;
};

static int fail(char *error, size_t capacity, int code, const char *message) {
  if (error && capacity > 0) {
    snprintf(error, capacity, "%s", message ? message : "unknown error");
  }
  return code;
}

static int fail_gerror(char *error, size_t capacity, int code, GError *gerror, const char *fallback) {
  int result = fail(error, capacity, code, gerror ? gerror->message : fallback);
  if (gerror) g_error_free(gerror);
  return result;
}

classify_pdf *classify_pdf_open(const char *path, double width, double height, char *error,
                                size_t error_capacity) {
  if (!(width > 0 && height > 0 && width < 14400 && height < 14400)) {
    fail(error, error_capacity, 1, "page size must be between 0 and 14400 points");
    return NULL;
  }
  cairo_surface_t *surface = cairo_pdf_surface_create(path, width, height);
  cairo_status_t status = cairo_surface_status(surface);
  if (status != CAIRO_STATUS_SUCCESS) {
    fail(error, error_capacity, 2, cairo_status_to_string(status));
    cairo_surface_destroy(surface);
    return NULL;
  }
  classify_pdf *doc = calloc(1, sizeof *doc);
  if (!doc) {
    cairo_surface_destroy(surface);
    fail(error, error_capacity, 3, "out of memory");
    return NULL;
  }
  doc->surface = surface;
  doc->cr = cairo_create(surface);
  doc->context = pango_cairo_create_context(doc->cr);
  // Unhinted metrics: the layout measured here is the layout drawn, at any zoom.
  cairo_font_options_t *options = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options(doc->context, options);
  cairo_font_options_destroy(options);
  // User space is in points: a 10 pt font is 10 units tall (Pango assumes 96 dpi otherwise).
  pango_cairo_context_set_resolution(doc->context, 72);
  pango_context_set_round_glyph_positions(doc->context, FALSE);
  return doc;
}

int classify_pdf_set_title(classify_pdf *doc, const char *title, char *error, size_t error_capacity) {
  if (!doc) return fail(error, error_capacity, 1, "no document");
  cairo_pdf_surface_set_metadata(doc->surface, CAIRO_PDF_METADATA_TITLE, title);
  cairo_pdf_surface_set_metadata(doc->surface, CAIRO_PDF_METADATA_CREATOR, "classify");
  return 0;
}

// A layout of `markup` at `width` (< 0: unwrapped), or NULL with the markup error in `error`.
static PangoLayout *make_layout(classify_pdf *doc, const char *markup, const char *font,
                                double width, int alignment, double indent, char *error,
                                size_t error_capacity) {
  if (!doc) {
    fail(error, error_capacity, 1, "no document");
    return NULL;
  }
  PangoAttrList *attributes = NULL;
  char *text = NULL;
  GError *gerror = NULL;
  if (!pango_parse_markup(markup, -1, 0, &attributes, &text, NULL, &gerror)) {
    fail_gerror(error, error_capacity, 2, gerror, "invalid markup");
    return NULL;
  }
  PangoLayout *layout = pango_layout_new(doc->context);
  pango_layout_set_text(layout, text, -1);
  pango_layout_set_attributes(layout, attributes);
  pango_attr_list_unref(attributes);
  g_free(text);
  PangoFontDescription *description = pango_font_description_from_string(font);
  pango_layout_set_font_description(layout, description);
  pango_font_description_free(description);
  if (width >= 0) {
    pango_layout_set_width(layout, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
  }
  if (indent != 0) pango_layout_set_indent(layout, (int)(indent * PANGO_SCALE));
  switch (alignment) {
  case CLASSIFY_ALIGN_CENTER: pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER); break;
  case CLASSIFY_ALIGN_RIGHT: pango_layout_set_alignment(layout, PANGO_ALIGN_RIGHT); break;
  case CLASSIFY_ALIGN_JUSTIFY: pango_layout_set_justify(layout, TRUE); break;
  default: pango_layout_set_alignment(layout, PANGO_ALIGN_LEFT); break;
  }
  return layout;
}

double classify_pdf_text_height(classify_pdf *doc, const char *markup, const char *font, double width,
                                int alignment, double indent, char *error, size_t error_capacity) {
  PangoLayout *layout =
      make_layout(doc, markup, font, width, alignment, indent, error, error_capacity);
  if (!layout) return -1;
  PangoRectangle logical;
  pango_layout_get_extents(layout, NULL, &logical);
  g_object_unref(layout);
  return (double)logical.height / PANGO_SCALE;
}

int classify_pdf_text_lines(classify_pdf *doc, const char *markup, const char *font, double width,
                            int alignment, double indent, double *line_bottoms, int capacity,
                            char *error, size_t error_capacity) {
  PangoLayout *layout =
      make_layout(doc, markup, font, width, alignment, indent, error, error_capacity);
  if (!layout) return -1;
  PangoLayoutIter *iter = pango_layout_get_iter(layout);
  int count = 0;
  do {
    int top = 0, bottom = 0;
    pango_layout_iter_get_line_yrange(iter, &top, &bottom);
    if (line_bottoms && count < capacity) line_bottoms[count] = (double)bottom / PANGO_SCALE;
    count++;
  } while (pango_layout_iter_next_line(iter));
  pango_layout_iter_free(iter);
  g_object_unref(layout);
  return count;
}

double classify_pdf_text_width(classify_pdf *doc, const char *markup, const char *font, char *error,
                               size_t error_capacity) {
  PangoLayout *layout =
      make_layout(doc, markup, font, -1, CLASSIFY_ALIGN_LEFT, 0, error, error_capacity);
  if (!layout) return -1;
  PangoRectangle logical;
  pango_layout_get_extents(layout, NULL, &logical);
  g_object_unref(layout);
  return (double)logical.width / PANGO_SCALE;
}

double classify_pdf_draw_text(classify_pdf *doc, const char *markup, const char *font, double x,
                              double y, double width, int alignment, double indent, int first_line,
                              int line_count, char *error, size_t error_capacity) {
  PangoLayout *layout =
      make_layout(doc, markup, font, width, alignment, indent, error, error_capacity);
  if (!layout) return -1;
  PangoLayoutIter *iter = pango_layout_get_iter(layout);
  int index = 0, origin = 0, bottom_drawn = 0, drew = 0;
  do {
    if (index >= first_line && (line_count < 0 || index < first_line + line_count)) {
      int top = 0, bottom = 0;
      pango_layout_iter_get_line_yrange(iter, &top, &bottom);
      if (!drew) origin = top;
      drew = 1;
      bottom_drawn = bottom;
      PangoRectangle logical;
      pango_layout_iter_get_line_extents(iter, NULL, &logical);
      int baseline = pango_layout_iter_get_baseline(iter);
      cairo_move_to(doc->cr, x + (double)logical.x / PANGO_SCALE,
                    y + (double)(baseline - origin) / PANGO_SCALE);
      pango_cairo_show_layout_line(doc->cr, pango_layout_iter_get_line_readonly(iter));
    }
    index++;
  } while (pango_layout_iter_next_line(iter));
  pango_layout_iter_free(iter);
  g_object_unref(layout);
  cairo_new_path(doc->cr);
  return drew ? (double)(bottom_drawn - origin) / PANGO_SCALE : 0;
}

void classify_pdf_draw_line(classify_pdf *doc, double x0, double y0, double x1, double y1,
                            double line_width, double r, double g, double b) {
  if (!doc) return;
  cairo_save(doc->cr);
  cairo_set_source_rgb(doc->cr, r, g, b);
  cairo_set_line_width(doc->cr, line_width);
  cairo_move_to(doc->cr, x0, y0);
  cairo_line_to(doc->cr, x1, y1);
  cairo_stroke(doc->cr);
  cairo_restore(doc->cr);
}

void classify_pdf_fill_rect(classify_pdf *doc, double x, double y, double width, double height,
                            double r, double g, double b) {
  if (!doc) return;
  cairo_save(doc->cr);
  cairo_set_source_rgb(doc->cr, r, g, b);
  cairo_rectangle(doc->cr, x, y, width, height);
  cairo_fill(doc->cr);
  cairo_restore(doc->cr);
}

static const unsigned char png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

// 1 if the file at `path` starts with the PNG signature, 0 if not, -1 if it cannot be read.
static int is_png_file(const char *path) {
  FILE *file = fopen(path, "rb");
  if (!file) return -1;
  unsigned char head[8] = {0};
  size_t got = fread(head, 1, sizeof head, file);
  fclose(file);
  return got == sizeof head && memcmp(head, png_magic, sizeof head) == 0;
}

static int svg_size(RsvgHandle *handle, double *width, double *height, char *error,
                    size_t error_capacity) {
  gdouble w = 0, h = 0;
  if (!rsvg_handle_get_intrinsic_size_in_pixels(handle, &w, &h) || w <= 0 || h <= 0) {
    return fail(error, error_capacity, 3, "the SVG has no intrinsic size (set width and height)");
  }
  if (width) *width = w;
  if (height) *height = h;
  return 0;
}

int classify_pdf_image_size(const char *path, double *width, double *height, char *error,
                            size_t error_capacity) {
  int png = is_png_file(path);
  if (png < 0) return fail(error, error_capacity, 1, "the file cannot be read");
  if (png) {
    cairo_surface_t *image = cairo_image_surface_create_from_png(path);
    cairo_status_t status = cairo_surface_status(image);
    int code = 0;
    if (status != CAIRO_STATUS_SUCCESS) {
      code = fail(error, error_capacity, 2, cairo_status_to_string(status));
    } else {
      if (width) *width = cairo_image_surface_get_width(image);
      if (height) *height = cairo_image_surface_get_height(image);
    }
    cairo_surface_destroy(image);
    return code;
  }
  GError *gerror = NULL;
  RsvgHandle *handle = rsvg_handle_new_from_file(path, &gerror);
  if (!handle) return fail_gerror(error, error_capacity, 2, gerror, "cannot parse the SVG");
  int code = svg_size(handle, width, height, error, error_capacity);
  g_object_unref(handle);
  return code;
}

static int draw_svg(classify_pdf *doc, RsvgHandle *handle, double x, double y, double width,
                    double height, char *error, size_t error_capacity) {
  int code = svg_size(handle, NULL, NULL, error, error_capacity);
  if (code != 0) return code;
  // librsvg fits the document into the viewport keeping its aspect ratio, centred.
  RsvgRectangle viewport = {x, y, width, height};
  GError *gerror = NULL;
  cairo_save(doc->cr);
  gboolean drawn = rsvg_handle_render_document(handle, doc->cr, &viewport, &gerror);
  cairo_restore(doc->cr);
  if (!drawn) return fail_gerror(error, error_capacity, 4, gerror, "cannot render the SVG");
  return 0;
}

static int draw_png(classify_pdf *doc, const char *path, double x, double y, double width,
                    double height, char *error, size_t error_capacity) {
  cairo_surface_t *image = cairo_image_surface_create_from_png(path);
  cairo_status_t status = cairo_surface_status(image);
  if (status != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(image);
    return fail(error, error_capacity, 2, cairo_status_to_string(status));
  }
  double w = cairo_image_surface_get_width(image), h = cairo_image_surface_get_height(image);
  if (w <= 0 || h <= 0) {
    cairo_surface_destroy(image);
    return fail(error, error_capacity, 3, "the PNG is empty");
  }
  double scale = width / w < height / h ? width / w : height / h;
  cairo_save(doc->cr);
  cairo_translate(doc->cr, x + (width - w * scale) / 2, y + (height - h * scale) / 2);
  cairo_scale(doc->cr, scale, scale);
  cairo_set_source_surface(doc->cr, image, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(doc->cr), CAIRO_FILTER_GOOD);
  cairo_rectangle(doc->cr, 0, 0, w, h);
  cairo_fill(doc->cr);
  cairo_restore(doc->cr);
  cairo_surface_destroy(image);
  return 0;
}

int classify_pdf_draw_image_file(classify_pdf *doc, const char *path, double x, double y,
                                 double width, double height, char *error, size_t error_capacity) {
  if (!doc) return fail(error, error_capacity, 1, "no document");
  int png = is_png_file(path);
  if (png < 0) return fail(error, error_capacity, 1, "the file cannot be read");
  if (png) return draw_png(doc, path, x, y, width, height, error, error_capacity);
  GError *gerror = NULL;
  RsvgHandle *handle = rsvg_handle_new_from_file(path, &gerror);
  if (!handle) return fail_gerror(error, error_capacity, 2, gerror, "cannot parse the SVG");
  int code = draw_svg(doc, handle, x, y, width, height, error, error_capacity);
  g_object_unref(handle);
  return code;
}

int classify_pdf_draw_svg_data(classify_pdf *doc, const char *svg, size_t length, double x, double y,
                               double width, double height, char *error, size_t error_capacity) {
  if (!doc) return fail(error, error_capacity, 1, "no document");
  GError *gerror = NULL;
  RsvgHandle *handle = rsvg_handle_new_from_data((const guint8 *)svg, length, &gerror);
  if (!handle) return fail_gerror(error, error_capacity, 2, gerror, "cannot parse the SVG");
  int code = draw_svg(doc, handle, x, y, width, height, error, error_capacity);
  g_object_unref(handle);
  return code;
}

int classify_pdf_add_outline(classify_pdf *doc, int parent, const char *title, int page) {
  if (!doc || page < 1) return -1;
  char link[64];
  snprintf(link, sizeof link, "page=%d pos=[0 0]", page);
  return cairo_pdf_surface_add_outline(doc->surface, parent, title, link, 0);
}

void classify_pdf_link_to_page(classify_pdf *doc, double x, double y, double width, double height,
                               int page) {
  if (!doc || page < 1) return;
  char link[160];
  snprintf(link, sizeof link, "rect=[%.2f %.2f %.2f %.2f] page=%d pos=[0 0]", x, y, width, height,
           page);
  cairo_tag_begin(doc->cr, CAIRO_TAG_LINK, link);
  cairo_tag_end(doc->cr, CAIRO_TAG_LINK);
}

void classify_pdf_new_page(classify_pdf *doc) {
  if (!doc) return;
  cairo_show_page(doc->cr);
}

int classify_pdf_close(classify_pdf *doc, char *error, size_t error_capacity) {
  if (!doc) return fail(error, error_capacity, 1, "no document");
  g_object_unref(doc->context);
  cairo_status_t drawing = cairo_status(doc->cr);
  cairo_destroy(doc->cr);
  cairo_surface_finish(doc->surface);
  cairo_status_t status = cairo_surface_status(doc->surface);
  if (status == CAIRO_STATUS_SUCCESS) status = drawing;
  cairo_surface_destroy(doc->surface);
  free(doc);
  if (status != CAIRO_STATUS_SUCCESS) {
    return fail(error, error_capacity, 2, cairo_status_to_string(status));
  }
  return 0;
}
