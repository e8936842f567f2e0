#ifndef CLASSIFY_IMAGE_CODECS_H
#define CLASSIFY_IMAGE_CODECS_H
#include <stddef.h>

/// The libpng version classify was built against, e.g. "1.6.39".
const char *classify_png_version(void);

#endif
