#ifndef CLASSIFY_SVG_RASTER_H
#define CLASSIFY_SVG_RASTER_H
#include <stddef.h>

/// Renders an SVG document (UTF-8 bytes) to a PNG file at `path`, scaled by `scale`
/// (1.0 = one pixel per SVG user unit), on a white background.
/// Returns 0 on success; otherwise a non-zero code and a message copied into `error`
/// (at most `error_capacity` bytes, NUL-terminated).
int classify_svg_to_png(const char *svg, size_t length, const char *path, double scale,
                        char *error, size_t error_capacity);

#endif
