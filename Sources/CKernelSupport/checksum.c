// CRC-32 through zlib, which is a dependency of libpng and libarchive anyway: its table-driven
// loop runs several times faster than a byte-at-a-time Swift loop (ZIPFoundation's fallback
// when it cannot see zlib), which checking a 100 MB `.pth` made visible. See checksum.h.
#include "checksum.h"

#include <zlib.h>

uint32_t classify_crc32(uint32_t crc, const void *bytes, size_t count) {
  return (uint32_t)crc32_z(crc, (const Bytef *)bytes, count);  // z_size_t: no 4 GB limit
}
