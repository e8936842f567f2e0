// PNG and JPEG decoding through libpng and libjpeg-turbo; kept in C so Swift holds no pointers.
// Both libraries report fatal errors by longjmp-ing back to the setjmp in each decoder, so a
// corrupt or truncated file becomes a status code and a message, never a crash or exit().
#include "image_codecs.h"
#include <png.h>
#include <stdio.h>
#include <jpeglib.h>
#include <jerror.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *classify_png_version(void) { return PNG_LIBPNG_VER_STRING; }

static int fail(char *error, size_t capacity, int code, const char *format, ...) {
  if (error && capacity > 0) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, capacity, format, arguments);
    va_end(arguments);
  }
  return code;
}

static int is_png(const unsigned char *data, size_t length) {
  return length >= 8 && png_sig_cmp((png_const_bytep)data, 0, 8) == 0;
}

static int is_jpeg(const unsigned char *data, size_t length) {
  return length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

static int check_size(unsigned long width, unsigned long height, char *error, size_t capacity) {
  if (width == 0 || height == 0) {
    return fail(error, capacity, CLASSIFY_IMAGE_CORRUPT, "image has zero size (%lux%lu)", width,
                height);
  }
  if ((unsigned long long)width * height > CLASSIFY_IMAGE_MAX_PIXELS) {
    return fail(error, capacity, CLASSIFY_IMAGE_UNSUPPORTED,
                "image is %lux%lu, more than %llu pixels", width, height,
                CLASSIFY_IMAGE_MAX_PIXELS);
  }
  return CLASSIFY_IMAGE_OK;
}

// The decoded size (width * height * channels) against CLASSIFY_IMAGE_MAX_SAMPLES, known once the
// output channel count is.
static int check_samples(unsigned long width, unsigned long height, int channels, char *error,
                         size_t capacity) {
  unsigned long long samples = (unsigned long long)width * height * (unsigned long long)channels;
  if (samples > CLASSIFY_IMAGE_MAX_SAMPLES) {
    return fail(error, capacity, CLASSIFY_IMAGE_UNSUPPORTED,
                "the header declares %lux%lu pixels with %d channels = %llu bytes decoded, more "
                "than the limit of %llu (2^28); downscale the image",
                width, height, channels, samples, CLASSIFY_IMAGE_MAX_SAMPLES);
  }
  return CLASSIFY_IMAGE_OK;
}

// MARK: PNG

typedef struct {
  const unsigned char *data;
  size_t length;
  size_t offset;
  int truncated;
  char message[256];
} png_source;

static void png_read_memory(png_structp png, png_bytep out, png_size_t count) {
  png_source *source = (png_source *)png_get_io_ptr(png);
  if (count > source->length - source->offset) {
    source->truncated = 1;
    png_error(png, "unexpected end of file");
  }
  memcpy(out, source->data + source->offset, count);
  source->offset += count;
}

static void png_on_error(png_structp png, png_const_charp message) {
  png_source *source = (png_source *)png_get_error_ptr(png);
  snprintf(source->message, sizeof source->message, "%s", message ? message : "libpng error");
  png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp message) {
  (void)png;
  (void)message;
}

// With `pixels == NULL` only reads the header and reports the output geometry.
static int decode_png(const unsigned char *data, size_t length, unsigned char *pixels,
                      size_t capacity, int *width, int *height, int *channels, char *error,
                      size_t error_capacity) {
  png_source source;
  memset(&source, 0, sizeof source);
  source.data = data;
  source.length = length;
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, png_on_error, png_on_warning);
  if (!png) return fail(error, error_capacity, CLASSIFY_IMAGE_CORRUPT, "libpng: out of memory");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, NULL, NULL);
    return fail(error, error_capacity, CLASSIFY_IMAGE_CORRUPT, "libpng: out of memory");
  }
  png_bytep *volatile rows = NULL;
  if (setjmp(png_jmpbuf(png))) {
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    return fail(error, error_capacity,
                source.truncated ? CLASSIFY_IMAGE_TRUNCATED : CLASSIFY_IMAGE_CORRUPT, "libpng: %s",
                source.message);
  }
  png_set_read_fn(png, &source, png_read_memory);
  png_read_info(png, info);
  png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  int color = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
  int status = check_size(w, h, error, error_capacity);
  if (status != CLASSIFY_IMAGE_OK) {
    png_destroy_read_struct(&png, &info, NULL);
    return status;
  }
  int transparency = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (transparency) png_set_tRNS_to_alpha(png);
  if (depth == 16) png_set_strip_16(png);
  if (color == PNG_COLOR_TYPE_GRAY_ALPHA || (color == PNG_COLOR_TYPE_GRAY && transparency)) {
    png_set_gray_to_rgb(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  int c = png_get_channels(png, info);
  if (png_get_bit_depth(png, info) != 8 || (c != 1 && c != 3 && c != 4)) {
    png_destroy_read_struct(&png, &info, NULL);
    return fail(error, error_capacity, CLASSIFY_IMAGE_UNSUPPORTED,
                "PNG color type %d, bit depth %d", color, depth);
  }
  status = check_samples(w, h, c, error, error_capacity);
  if (status != CLASSIFY_IMAGE_OK) {
    png_destroy_read_struct(&png, &info, NULL);
    return status;
  }
  *width = (int)w;
  *height = (int)h;
  *channels = c;
  if (pixels) {
    size_t stride = (size_t)w * (size_t)c;
    if (capacity != stride * h || png_get_rowbytes(png, info) != stride) {
      png_destroy_read_struct(&png, &info, NULL);
      return fail(error, error_capacity, CLASSIFY_IMAGE_BAD_ARGUMENT,
                  "pixel buffer holds %zu bytes, the image needs %zu", capacity, stride * h);
    }
    rows = (png_bytep *)malloc(sizeof(png_bytep) * h);
    if (!rows) {
      png_destroy_read_struct(&png, &info, NULL);
      return fail(error, error_capacity, CLASSIFY_IMAGE_UNSUPPORTED, "out of memory");
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = pixels + (size_t)y * stride;
    png_read_image(png, rows);
    free(rows);
    rows = NULL;
  }
  png_destroy_read_struct(&png, &info, NULL);
  return CLASSIFY_IMAGE_OK;
}

// MARK: JPEG

typedef struct {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  int truncated;
  char message[JMSG_LENGTH_MAX];
} jpeg_error_handler;

// Replaces libjpeg's default error_exit, which would print and call exit().
static void jpeg_on_error(j_common_ptr cinfo) {
  jpeg_error_handler *handler = (jpeg_error_handler *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, handler->message);
  longjmp(handler->jump, 1);
}

// Warnings are ignored (as PIL does) except premature end of data, which libjpeg would
// otherwise paper over with gray rows: that is a truncated file.
static void jpeg_on_message(j_common_ptr cinfo, int level) {
  jpeg_error_handler *handler = (jpeg_error_handler *)cinfo->err;
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
    handler->truncated = 1;
    (*cinfo->err->format_message)(cinfo, handler->message);
    longjmp(handler->jump, 1);
  }
}

// PIL's cmyk2rgb on Adobe-inverted samples (PIL always reads CMYK JPEGs as "CMYK;I").
static void cmyk_to_rgb(const unsigned char *in, unsigned char *out, size_t count) {
  for (size_t x = 0; x < count; x++, in += 4, out += 3) {
    int k = 255 - in[3];
    int nk = 255 - k;
    for (int i = 0; i < 3; i++) {
      int ink = 255 - in[i];
      int product = ink * nk + 128;
      int value = nk - (((product >> 8) + product) >> 8);
      out[i] = (unsigned char)(value < 0 ? 0 : value > 255 ? 255 : value);
    }
  }
}

static int decode_jpeg(const unsigned char *data, size_t length, unsigned char *pixels,
                       size_t capacity, int *width, int *height, int *channels, char *error,
                       size_t error_capacity) {
  struct jpeg_decompress_struct cinfo;
  jpeg_error_handler handler;
  memset(&cinfo, 0, sizeof cinfo);
  memset(&handler, 0, sizeof handler);
  cinfo.err = jpeg_std_error(&handler.base);
  handler.base.error_exit = jpeg_on_error;
  handler.base.emit_message = jpeg_on_message;
  unsigned char *volatile cmyk_row = NULL;
  if (setjmp(handler.jump)) {
    free(cmyk_row);
    jpeg_destroy_decompress(&cinfo);
    return fail(error, error_capacity,
                handler.truncated ? CLASSIFY_IMAGE_TRUNCATED : CLASSIFY_IMAGE_CORRUPT,
                "libjpeg: %s", handler.message);
  }
  jpeg_create_decompress(&cinfo);
  // A progressive JPEG buffers every DCT coefficient; bound libjpeg's own allocations too.
  cinfo.mem->max_memory_to_use = 1L << 30;
  jpeg_mem_src(&cinfo, data, (unsigned long)length);
  jpeg_read_header(&cinfo, TRUE);
  int c = 3, cmyk = 0;
  switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
      cinfo.out_color_space = JCS_GRAYSCALE;
      c = 1;
      break;
    case JCS_RGB:
    case JCS_YCbCr:
      cinfo.out_color_space = JCS_RGB;
      break;
    case JCS_CMYK:
    case JCS_YCCK:
      cinfo.out_color_space = JCS_CMYK;
      cmyk = 1;
      break;
    default:
      jpeg_destroy_decompress(&cinfo);
      return fail(error, error_capacity, CLASSIFY_IMAGE_UNSUPPORTED,
                  "JPEG color space %d with %d components", (int)cinfo.jpeg_color_space,
                  cinfo.num_components);
  }
  int status = check_size(cinfo.image_width, cinfo.image_height, error, error_capacity);
  if (status == CLASSIFY_IMAGE_OK) {
    status = check_samples(cinfo.image_width, cinfo.image_height, c, error,
                           error_capacity);
  }
  if (status != CLASSIFY_IMAGE_OK) {
    jpeg_destroy_decompress(&cinfo);
    return status;
  }
  *width = (int)cinfo.image_width;
  *height = (int)cinfo.image_height;
  *channels = c;
  if (pixels) {
    size_t stride = (size_t)cinfo.image_width * (size_t)c;
    if (capacity != stride * cinfo.image_height) {
      jpeg_destroy_decompress(&cinfo);
      return fail(error, error_capacity, CLASSIFY_IMAGE_BAD_ARGUMENT,
                  "pixel buffer holds %zu bytes, the image needs %zu", capacity,
                  stride * cinfo.image_height);
    }
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_width != cinfo.image_width || cinfo.output_height != cinfo.image_height ||
        cinfo.output_components != (cmyk ? 4 : c)) {
      jpeg_destroy_decompress(&cinfo);
      return fail(error, error_capacity, CLASSIFY_IMAGE_UNSUPPORTED,
                  "libjpeg produced an unexpected output geometry");
    }
    if (cmyk) {
      cmyk_row = (unsigned char *)malloc((size_t)cinfo.output_width * 4);
      if (!cmyk_row) {
        jpeg_destroy_decompress(&cinfo);
        return fail(error, error_capacity, CLASSIFY_IMAGE_UNSUPPORTED, "out of memory");
      }
    }
    while (cinfo.output_scanline < cinfo.output_height) {
      unsigned char *target = pixels + (size_t)cinfo.output_scanline * stride;
      JSAMPROW row = cmyk ? cmyk_row : target;
      if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
        longjmp(handler.jump, 1);  // cannot happen with a memory source; treat as corrupt
      }
      if (cmyk) cmyk_to_rgb(cmyk_row, target, cinfo.output_width);
    }
    free(cmyk_row);
    cmyk_row = NULL;
  }
  jpeg_destroy_decompress(&cinfo);
  return CLASSIFY_IMAGE_OK;
}

// MARK: Dispatch

static int decode(const unsigned char *data, size_t length, unsigned char *pixels,
                  size_t capacity, int *width, int *height, int *channels, char *error,
                  size_t error_capacity) {
  if (length == 0 || data == NULL) {
    return fail(error, error_capacity, CLASSIFY_IMAGE_NOT_AN_IMAGE, "the file is empty");
  }
  if (is_png(data, length)) {
    return decode_png(data, length, pixels, capacity, width, height, channels, error,
                      error_capacity);
  }
  if (is_jpeg(data, length)) {
    return decode_jpeg(data, length, pixels, capacity, width, height, channels, error,
                       error_capacity);
  }
  return fail(error, error_capacity, CLASSIFY_IMAGE_NOT_AN_IMAGE,
              "the first bytes are neither PNG's nor JPEG's signature");
}

int classify_image_info(const unsigned char *data, size_t length, int *width, int *height,
                        int *channels, char *error, size_t error_capacity) {
  return decode(data, length, NULL, 0, width, height, channels, error, error_capacity);
}

int classify_image_decode(const unsigned char *data, size_t length, unsigned char *pixels,
                          size_t capacity, char *error, size_t error_capacity) {
  int width = 0, height = 0, channels = 0;
  if (pixels == NULL) {
    return fail(error, error_capacity, CLASSIFY_IMAGE_BAD_ARGUMENT, "no pixel buffer");
  }
  return decode(data, length, pixels, capacity, &width, &height, &channels, error,
                error_capacity);
}

// MARK: PNG writing

/// Checks the pixel buffer and fills `image` for libpng's simplified write API.
static int png_prepare(png_image *image, size_t capacity, int width, int height, int channels,
                       char *error, size_t error_capacity) {
  if (width <= 0 || height <= 0 || (size_t)width * (size_t)height * (size_t)channels != capacity) {
    return fail(error, error_capacity, CLASSIFY_IMAGE_BAD_ARGUMENT,
                "%zu bytes do not fill a %dx%d image with %d channels", capacity, width, height,
                channels);
  }
  memset(image, 0, sizeof *image);
  image->version = PNG_IMAGE_VERSION;
  image->width = (png_uint_32)width;
  image->height = (png_uint_32)height;
  switch (channels) {
    case 1: image->format = PNG_FORMAT_GRAY; break;
    case 3: image->format = PNG_FORMAT_RGB; break;
    case 4: image->format = PNG_FORMAT_RGBA; break;
    default:
      return fail(error, error_capacity, CLASSIFY_IMAGE_BAD_ARGUMENT,
                  "%d channels (expected 1, 3 or 4)", channels);
  }
  return CLASSIFY_IMAGE_OK;
}

/// Turns the result of a libpng write into a status, freeing the image.
static int png_finish(png_image *image, int written, const char *what, char *error,
                      size_t error_capacity) {
  int code = CLASSIFY_IMAGE_OK;
  if (!written) {
    code = fail(error, error_capacity, CLASSIFY_IMAGE_WRITE_FAILED, "libpng: %s",
                image->message[0] ? image->message : what);
  }
  png_image_free(image);
  return code;
}

int classify_png_encode(const unsigned char *pixels, size_t capacity, int width, int height,
                        int channels, unsigned char *output, size_t *length, char *error,
                        size_t error_capacity) {
  png_image image;
  int status = png_prepare(&image, capacity, width, height, channels, error, error_capacity);
  if (status != CLASSIFY_IMAGE_OK) return status;
  png_alloc_size_t size = output ? (png_alloc_size_t)*length : 0;
  int written = png_image_write_to_memory(&image, output, &size, 0, pixels, 0, NULL);
  if (written) *length = (size_t)size;
  return png_finish(&image, written, "encoding failed", error, error_capacity);
}

int classify_png_write(const char *path, const unsigned char *pixels, size_t capacity, int width,
                       int height, int channels, char *error, size_t error_capacity) {
  png_image image;
  int status = png_prepare(&image, capacity, width, height, channels, error, error_capacity);
  if (status != CLASSIFY_IMAGE_OK) return status;
  int written = png_image_write_to_file(&image, path, 0, pixels, 0, NULL);
  return png_finish(&image, written, "write failed", error, error_capacity);
}
