#ifndef CLASSIFY_ARCHIVE_SHIM_H
#define CLASSIFY_ARCHIVE_SHIM_H
#include <stddef.h>
#include <stdint.h>

// gzip and tar through libarchive, behind opaque handles so that Swift holds no libarchive
// pointers. libarchive inflates ("raw" format over its gzip filter) and parses tar (ustar, pax,
// GNU long names); this shim adds what libarchive 3.6 leaves undone or to the caller:
//   - the gzip trailer: CRC-32 and ISIZE are verified at the end of the stream (libarchive's
//     gzip reader does not check them), against the last 8 bytes of the input, so a file is
//     one gzip member with nothing after it (what gzip, Python and the dataset servers write);
//   - limits: inflation stops as soon as the output passes the trailer's ISIZE or a ceiling,
//     one libarchive block (64 KiB) past it at most;
//   - safe extraction: entry names that are absolute or contain ".." are refused; only regular
//     files and folders are written (links, devices, FIFOs and sparse files are skipped), each
//     created with openat/mkdirat under the destination folder, never through a symbolic link
//     (O_NOFOLLOW on every component), never over anything but a regular file.
//
// Every call that can fail returns a negative status and copies a message into `error` (at most
// `error_capacity` bytes, NUL-terminated). Nothing here exits or aborts.

/// Statuses (negative) and entry kinds (positive) returned below.
enum {
  CLASSIFY_ARCHIVE_END = 0,            ///< no more data (gzip) or entries (tar), all verified
  CLASSIFY_ARCHIVE_FILE = 1,           ///< a regular file was written
  CLASSIFY_ARCHIVE_FOLDER = 2,         ///< a folder was created (or already existed)
  CLASSIFY_ARCHIVE_SKIPPED = 3,        ///< a link, device, FIFO or sparse file was skipped
  CLASSIFY_ARCHIVE_BAD_GZIP = -1,      ///< not gzip, corrupt, truncated, CRC or size mismatch
  CLASSIFY_ARCHIVE_BAD_TAR = -2,       ///< the tar stream is damaged or truncated
  CLASSIFY_ARCHIVE_TOO_LARGE = -3,     ///< the output passed the ceiling
  CLASSIFY_ARCHIVE_UNSAFE_PATH = -4,   ///< an absolute name or one with ".."
  CLASSIFY_ARCHIVE_NOT_REGULAR = -5,   ///< something other than a file or folder is in the way
  CLASSIFY_ARCHIVE_WRITE_FAILED = -6,  ///< the destination or a file in it cannot be written
  CLASSIFY_ARCHIVE_OPEN_FAILED = -7,   ///< the archive file cannot be opened
  CLASSIFY_ARCHIVE_BAD_ARGUMENT = -8   ///< a NULL handle or buffer (a caller bug)
};

/// A gzip member being inflated from memory; opaque to callers.
typedef struct classify_gunzip classify_gunzip;

/// Starts inflating the gzip member `bytes` (`count` bytes, copied: the caller's buffer need not
/// outlive the call). Returns NULL with a message when it is not gzip. At most `ceiling` bytes
/// are produced (CLASSIFY_ARCHIVE_TOO_LARGE past it); below 2^32, no more than the trailer's
/// ISIZE either (CLASSIFY_ARCHIVE_BAD_GZIP past it).
classify_gunzip *classify_gunzip_open(const unsigned char *bytes, size_t count, uint64_t ceiling,
                                      char *error, size_t error_capacity);

/// Inflates into `buffer`, filling all `capacity` bytes unless the stream ends first. Returns the
/// number of bytes written, 0 once the stream has ended and its CRC-32 and ISIZE matched the
/// trailer, or a negative status.
int64_t classify_gunzip_read(classify_gunzip *stream, unsigned char *buffer, size_t capacity,
                             char *error, size_t error_capacity);

/// Frees the stream (NULL is fine).
void classify_gunzip_close(classify_gunzip *stream);

/// A tar or tar.gz archive being extracted; opaque to callers.
typedef struct classify_untar classify_untar;

/// Opens the archive file at `archive_path` (a regular file: a FIFO or device is refused without
/// blocking; gzip-compressed or plain tar) for extraction into the existing folder
/// `destination`. At most `ceiling` bytes of tar stream are inflated (below 2^32, no more than
/// the gzip trailer's ISIZE either). Returns NULL and sets `*status` on failure.
classify_untar *classify_untar_open(const char *archive_path, const char *destination,
                                    uint64_t ceiling, int *status, char *error,
                                    size_t error_capacity);

/// Extracts the next entry and copies its name, as stored in the archive, into `name` (at most
/// `name_capacity` bytes, NUL-terminated; longer names are refused). Returns the entry's kind,
/// CLASSIFY_ARCHIVE_END after the last one (once the rest of the stream is inflated and the
/// gzip trailer verified), or a negative status; for NOT_REGULAR, `name` holds the path in the
/// way, relative to the destination.
int classify_untar_next(classify_untar *archive, char *name, size_t name_capacity, char *error,
                        size_t error_capacity);

/// Closes the archive (NULL is fine). Files already written stay.
void classify_untar_close(classify_untar *archive);

#endif
