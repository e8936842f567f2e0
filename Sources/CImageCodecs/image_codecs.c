// PNG and JPEG decoding through libpng and libjpeg-turbo; kept in C so Swift holds no pointers.
#include "image_codecs.h"
#include <png.h>

const char *classify_png_version(void) { return PNG_LIBPNG_VER_STRING; }
