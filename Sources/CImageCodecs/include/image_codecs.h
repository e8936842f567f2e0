#ifndef CLASSIFY_IMAGE_CODECS_H
#define CLASSIFY_IMAGE_CODECS_H
#include <stddef.h>

// PNG and JPEG through libpng and libjpeg-turbo. The C side owns every libpng/libjpeg pointer;
// callers pass the encoded bytes and receive pixels in a buffer they allocated.
//
// Decoded pixels are 8-bit, row-major, interleaved (HWC) with 1 (gray), 3 (RGB) or 4 (RGBA)
// channels:
//   PNG   gray -> 1; gray + alpha or gray with tRNS -> 4 (gray replicated); RGB -> 3;
//         RGBA or RGB with tRNS -> 4; palette -> 3 (4 with tRNS); 1/2/4-bit gray scaled to
//         0...255; 16-bit samples keep their high byte (v >> 8, as PIL does); interlaced
//         images are de-interlaced; gamma/ICC chunks are ignored (as PIL and torchvision do).
//   JPEG  grayscale -> 1; YCbCr/RGB -> 3; CMYK/YCCK -> 3, converted as PIL's
//         convert("RGB") does, with Adobe's inverted CMYK assumed (as PIL always does).

/// Status codes returned by the functions below.
enum {
  CLASSIFY_IMAGE_OK = 0,
  CLASSIFY_IMAGE_NOT_AN_IMAGE = 1,  ///< neither PNG nor JPEG magic bytes (or empty)
  CLASSIFY_IMAGE_TRUNCATED = 2,     ///< the data ends before the image does
  CLASSIFY_IMAGE_CORRUPT = 3,       ///< libpng/libjpeg rejected the data
  CLASSIFY_IMAGE_UNSUPPORTED = 4,   ///< a valid file this decoder does not handle (or too large)
  CLASSIFY_IMAGE_WRITE_FAILED = 5,  ///< encoding or writing the output file failed
  CLASSIFY_IMAGE_BAD_ARGUMENT = 6   ///< buffer capacity or channel count wrong (a caller bug)
};

/// The largest decodable image in pixels: PIL's decompression-bomb error threshold.
#define CLASSIFY_IMAGE_MAX_PIXELS 178956970ULL

/// The most decoded bytes (width * height * channels) of one image: 2^28 (256 MiB). Checked from
/// the header, before any pixel memory is allocated.
#define CLASSIFY_IMAGE_MAX_SAMPLES 268435456ULL

/// The libpng version classify was built against, e.g. "1.6.39".
const char *classify_png_version(void);

/// Reads the header of a PNG or JPEG held in `data` (`length` bytes) and reports the size and
/// channel count `classify_image_decode` will produce. Returns a status code; on failure a
/// NUL-terminated message is copied into `error` (at most `error_capacity` bytes).
int classify_image_info(const unsigned char *data, size_t length, int *width, int *height,
                        int *channels, char *error, size_t error_capacity);

/// Decodes a PNG or JPEG into `pixels`, whose `capacity` must equal
/// width * height * channels as reported by `classify_image_info`.
int classify_image_decode(const unsigned char *data, size_t length, unsigned char *pixels,
                          size_t capacity, char *error, size_t error_capacity);

/// Encodes 8-bit interleaved pixels (1, 3 or 4 channels) as PNG bytes into `output`, whose size
/// is `*length`; with `output` NULL, only sets `*length` to the size needed.
int classify_png_encode(const unsigned char *pixels, size_t capacity, int width, int height,
                        int channels, unsigned char *output, size_t *length, char *error,
                        size_t error_capacity);

/// Writes 8-bit interleaved pixels (1, 3 or 4 channels) as a PNG file at `path`.
int classify_png_write(const char *path, const unsigned char *pixels, size_t capacity, int width,
                       int height, int channels, char *error, size_t error_capacity);

#endif
