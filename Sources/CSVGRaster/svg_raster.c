// SVG -> PNG through librsvg and cairo. Kept in C so the Swift side holds no pointers.
#include "svg_raster.h"
#include <librsvg/rsvg.h>
#include <cairo.h>
#include <stdio.h>
#include <string.h>

static int fail(char *error, size_t capacity, int code, const char *message) {
  if (error && capacity > 0) {
    snprintf(error, capacity, "%s", message ? message : "unknown error");
  }
  return code;
}

int classify_svg_to_png(const char *svg, size_t length, const char *path, double scale,
                        char *error, size_t error_capacity) {
  GError *gerror = NULL;
  RsvgHandle *handle = rsvg_handle_new_from_data((const guint8 *)svg, length, &gerror);
  if (!handle) {
    int code = fail(error, error_capacity, 1, gerror ? gerror->message : "cannot parse SVG");
    if (gerror) g_error_free(gerror);
    return code;
  }
  gdouble width = 0, height = 0;
  if (!rsvg_handle_get_intrinsic_size_in_pixels(handle, &width, &height) || width <= 0 ||
      height <= 0) {
    g_object_unref(handle);
    return fail(error, error_capacity, 2, "SVG has no intrinsic size (set width and height)");
  }
  int pixelWidth = (int)(width * scale + 0.5), pixelHeight = (int)(height * scale + 0.5);
  cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, pixelWidth, pixelHeight);
  cairo_t *cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  RsvgRectangle viewport = {0, 0, pixelWidth, pixelHeight};
  int status = 0;
  if (!rsvg_handle_render_document(handle, cr, &viewport, &gerror)) {
    status = fail(error, error_capacity, 3, gerror ? gerror->message : "cannot render SVG");
    if (gerror) g_error_free(gerror);
  } else {
    cairo_surface_flush(surface);
    cairo_status_t written = cairo_surface_write_to_png(surface, path);
    if (written != CAIRO_STATUS_SUCCESS) {
      status = fail(error, error_capacity, 4, cairo_status_to_string(written));
    }
  }
  cairo_destroy(cr);
  cairo_surface_destroy(surface);
  g_object_unref(handle);
  return status;
}
