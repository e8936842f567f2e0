#ifndef CLASSIFY_CHECKSUM_H
#define CLASSIFY_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/// The CRC-32 (ISO-HDLC, as zip and gzip use it) of `count` bytes at `bytes`, continuing from
/// `crc` (0 to start).
uint32_t classify_crc32(uint32_t crc, const void *bytes, size_t count);

#endif
