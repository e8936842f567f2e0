// CRC-32 through zlib, which is a dependency of libpng and libarchive anyway: its table-driven
// loop runs several times faster than a byte-at-a-time Swift loop (ZIPFoundation's fallback
// when it cannot see zlib), which checking a 100 MB `.pth` made visible. See checksum.h.
#include "checksum.h"

#include <zlib.h>

uint32_t classify_crc32(uint32_t crc, const void *bytes, size_t count) {
  const unsigned char *p = (const unsigned char *)bytes;
  uLong value = crc;
  // zlib takes a uInt length; feed huge buffers in pieces.
  while (count > 0) {
    uInt piece = count > (1u << 30) ? (1u << 30) : (uInt)count;
    value = crc32(value, p, piece);
    p += piece;
    count -= piece;
  }
  return (uint32_t)value;
}
