// gzip and tar through libarchive, with the checks libarchive leaves to its caller (see the
// header). Kept in C so the Swift side holds no libarchive pointers.
#include "archive_shim.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/// Bytes libarchive reads from the archive file per call.
#define READ_BLOCK (1 << 16)

static int fail(char *error, size_t capacity, int code, const char *format, ...) {
  if (error && capacity > 0) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, capacity, format, arguments);
    va_end(arguments);
  }
  return code;
}

/// libarchive's message for its last failure, or `fallback` when it set none.
static const char *reason(struct archive *archive, const char *fallback) {
  const char *message = archive_error_string(archive);
  return message && *message ? message : fallback;
}

// MARK: - The decompressed stream

/// The bytes of a gzip member (or of a plain file, where allowed) as libarchive inflates them,
/// counted, CRC'd and checked against the trailer when they end.
typedef struct {
  struct archive *archive;
  int gzip;
  uint32_t trailer_crc, trailer_size;
  uint64_t limit;
  int limit_is_trailer;
  uint64_t produced;
  uLong crc;
  int ended;
} stream;

/// Sets up libarchive for `s` (opened by the caller between this and `stream_start`).
static void stream_init(stream *s) {
  memset(s, 0, sizeof *s);
  s->archive = archive_read_new();
  s->crc = crc32(0L, Z_NULL, 0);
  if (s->archive) {
    archive_read_support_filter_gzip(s->archive);
    archive_read_support_format_raw(s->archive);
  }
}

static uint32_t little_endian(const unsigned char *bytes) {
  return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
         (uint32_t)bytes[3] << 24;
}

/// Reads the raw format's one header and learns whether the input is gzip. `trailer` is the
/// input's last 8 bytes (NULL when it is shorter).
static int stream_start(stream *s, const unsigned char *trailer, int require_gzip,
                        uint64_t ceiling, char *error, size_t capacity) {
  struct archive_entry *entry = NULL;
  int r = archive_read_next_header(s->archive, &entry);
  if (r == ARCHIVE_EOF) return fail(error, capacity, CLASSIFY_ARCHIVE_BAD_GZIP, "it is empty");
  if (r < ARCHIVE_WARN) {
    return fail(error, capacity, CLASSIFY_ARCHIVE_BAD_GZIP, "%s",
                reason(s->archive, "unreadable header"));
  }
  s->gzip = archive_filter_code(s->archive, 0) == ARCHIVE_FILTER_GZIP;
  if (require_gzip && !s->gzip) {
    return fail(error, capacity, CLASSIFY_ARCHIVE_BAD_GZIP, "no gzip header");
  }
  s->limit = ceiling;
  if (s->gzip) {
    if (!trailer) return fail(error, capacity, CLASSIFY_ARCHIVE_BAD_GZIP, "no trailer (truncated)");
    s->trailer_crc = little_endian(trailer);
    s->trailer_size = little_endian(trailer + 4);
    // ISIZE is the size modulo 2^32: an exact bound for any output the ceiling allows.
    if (ceiling <= (1ULL << 32) && s->trailer_size < ceiling) {
      s->limit = s->trailer_size;
      s->limit_is_trailer = 1;
    }
  }
  return 0;
}

/// The next block of output in `*block` (`*size` bytes, 0 at the end, once the trailer has
/// matched); valid until the next call.
static int stream_block(stream *s, const void **block, size_t *size, char *error,
                        size_t capacity) {
  *block = NULL;
  *size = 0;
  if (s->ended) return 0;
  la_int64_t offset = 0;
  int r = archive_read_data_block(s->archive, block, size, &offset);
  if (r == ARCHIVE_EOF) {
    s->ended = 1;
    *size = 0;
    if (!s->gzip) return 0;
    if ((uint32_t)s->crc != s->trailer_crc) {
      return fail(error, capacity, CLASSIFY_ARCHIVE_BAD_GZIP,
                  "CRC-32 %08lx does not match the trailer's %08x (corrupt, or not a single gzip "
                  "member)", (unsigned long)s->crc, s->trailer_crc);
    }
    if ((uint32_t)s->produced != s->trailer_size) {
      return fail(error, capacity, CLASSIFY_ARCHIVE_BAD_GZIP,
                  "inflated to %llu bytes, the trailer says %u", (unsigned long long)s->produced,
                  s->trailer_size);
    }
    return 0;
  }
  if (r < ARCHIVE_WARN) {
    return fail(error, capacity, CLASSIFY_ARCHIVE_BAD_GZIP, "%s",
                reason(s->archive, "the compressed stream is truncated or corrupt"));
  }
  if (offset < 0 || (uint64_t)offset != s->produced) {
    return fail(error, capacity, CLASSIFY_ARCHIVE_BAD_GZIP, "the stream has a gap");
  }
  s->produced += *size;
  if (s->produced > s->limit) {
    if (s->limit_is_trailer) {
      return fail(error, capacity, CLASSIFY_ARCHIVE_BAD_GZIP,
                  "it inflates past the %u bytes its trailer declares (truncated, corrupt, or a "
                  "decompression bomb)", s->trailer_size);
    }
    return fail(error, capacity, CLASSIFY_ARCHIVE_TOO_LARGE, "it inflates past the %llu-byte limit",
                (unsigned long long)s->limit);
  }
  s->crc = crc32_z(s->crc, (const Bytef *)*block, *size);
  return 0;
}

// MARK: - gzip from memory

struct classify_gunzip {
  stream source;
  unsigned char *input;
  const unsigned char *block;
  size_t block_left;
};

void classify_gunzip_close(classify_gunzip *g) {
  if (!g) return;
  if (g->source.archive) archive_read_free(g->source.archive);
  free(g->input);
  free(g);
}

classify_gunzip *classify_gunzip_open(const unsigned char *bytes, size_t count, uint64_t ceiling,
                                      char *error, size_t error_capacity) {
  if (!bytes && count > 0) {
    fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_ARGUMENT, "no bytes");
    return NULL;
  }
  if (count < 18 || bytes[0] != 0x1F || bytes[1] != 0x8B) {
    fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_GZIP, "no gzip header");
    return NULL;
  }
  classify_gunzip *g = calloc(1, sizeof *g);
  if (!g || !(g->input = malloc(count))) {
    fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_ARGUMENT, "out of memory");
    classify_gunzip_close(g);
    return NULL;
  }
  memcpy(g->input, bytes, count);
  stream_init(&g->source);
  if (!g->source.archive ||
      archive_read_open_memory(g->source.archive, g->input, count) != ARCHIVE_OK) {
    fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_GZIP, "%s",
         g->source.archive ? reason(g->source.archive, "unreadable") : "out of memory");
    classify_gunzip_close(g);
    return NULL;
  }
  if (stream_start(&g->source, g->input + count - 8, 1, ceiling, error, error_capacity) != 0) {
    classify_gunzip_close(g);
    return NULL;
  }
  return g;
}

int64_t classify_gunzip_read(classify_gunzip *g, unsigned char *buffer, size_t capacity,
                             char *error, size_t error_capacity) {
  if (!g || (!buffer && capacity > 0)) {
    return fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_ARGUMENT, "no stream or buffer");
  }
  size_t written = 0;
  while (written < capacity) {
    if (g->block_left == 0) {
      const void *block = NULL;
      size_t size = 0;
      int status = stream_block(&g->source, &block, &size, error, error_capacity);
      if (status != 0) return status;
      if (size == 0) break;
      g->block = block;
      g->block_left = size;
    }
    size_t take = g->block_left < capacity - written ? g->block_left : capacity - written;
    memcpy(buffer + written, g->block, take);
    g->block += take;
    g->block_left -= take;
    written += take;
  }
  return (int64_t)written;
}

// MARK: - tar

struct classify_untar {
  stream source;
  struct archive *tar;
  int file;         // the archive file
  int root;         // the destination folder
  int status;       // the source's failure, seen through the tar reader
  char message[512];
  int ended;
};

void classify_untar_close(classify_untar *u) {
  if (!u) return;
  if (u->tar) archive_read_free(u->tar);
  if (u->source.archive) archive_read_free(u->source.archive);
  if (u->file >= 0) close(u->file);
  if (u->root >= 0) close(u->root);
  free(u);
}

/// The tar reader's input: the source's blocks, handed over without copying.
static la_ssize_t tar_input(struct archive *tar, void *context, const void **buffer) {
  classify_untar *u = context;
  size_t size = 0;
  int status = stream_block(&u->source, buffer, &size, u->message, sizeof u->message);
  if (status != 0) {
    u->status = status;
    archive_set_error(tar, EIO, "%s", u->message);
    return -1;
  }
  return (la_ssize_t)size;
}

classify_untar *classify_untar_open(const char *archive_path, const char *destination,
                                    uint64_t ceiling, int *status, char *error,
                                    size_t error_capacity) {
  int ignored = 0;
  if (!status) status = &ignored;
  if (!archive_path || !destination) {
    *status = fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_ARGUMENT, "no path");
    return NULL;
  }
  classify_untar *u = calloc(1, sizeof *u);
  if (!u) {
    *status = fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_ARGUMENT, "out of memory");
    return NULL;
  }
  u->file = -1;
  u->root = -1;
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
  u->file = open(archive_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat info;
  if (u->file < 0 || fstat(u->file, &info) != 0) {
    *status = fail(error, error_capacity, CLASSIFY_ARCHIVE_OPEN_FAILED, "cannot open it: %s",
                   strerror(errno));
    classify_untar_close(u);
    return NULL;
  }
  if (!S_ISREG(info.st_mode)) {
    *status = fail(error, error_capacity, CLASSIFY_ARCHIVE_NOT_REGULAR, "it is not a regular file");
    classify_untar_close(u);
    return NULL;
  }
  fcntl(u->file, F_SETFL, fcntl(u->file, F_GETFL) & ~O_NONBLOCK);
  u->root = open(destination, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (u->root < 0) {
    *status = fail(error, error_capacity, CLASSIFY_ARCHIVE_WRITE_FAILED,
                   "cannot open the folder: %s", strerror(errno));
    classify_untar_close(u);
    return NULL;
  }
  unsigned char trailer[8];
  int has_trailer = info.st_size >= 18 && pread(u->file, trailer, 8, info.st_size - 8) == 8;
  stream_init(&u->source);
  u->tar = archive_read_new();
  if (!u->source.archive || !u->tar) {
    *status = fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_ARGUMENT, "out of memory");
    classify_untar_close(u);
    return NULL;
  }
  if (archive_read_open_fd(u->source.archive, u->file, READ_BLOCK) != ARCHIVE_OK) {
    *status = fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_GZIP, "%s",
                   reason(u->source.archive, "unreadable"));
    classify_untar_close(u);
    return NULL;
  }
  int started = stream_start(&u->source, has_trailer ? trailer : NULL, 0, ceiling, error,
                             error_capacity);
  if (started != 0) {
    *status = started;
    classify_untar_close(u);
    return NULL;
  }
  archive_read_support_format_tar(u->tar);
  if (archive_read_open(u->tar, u, NULL, tar_input, NULL) != ARCHIVE_OK) {
    *status = u->status ? fail(error, error_capacity, u->status, "%s", u->message)
                        : fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_TAR, "%s",
                               reason(u->tar, "not a tar archive"));
    classify_untar_close(u);
    return NULL;
  }
  *status = 0;
  return u;
}

/// The failure of a tar read: the source's (gzip, limits) when it caused it, else the tar's.
static int tar_failure(classify_untar *u, char *error, size_t capacity, const char *fallback) {
  if (u->status) return fail(error, capacity, u->status, "%s", u->message);
  return fail(error, capacity, CLASSIFY_ARCHIVE_BAD_TAR, "%s", reason(u->tar, fallback));
}

/// Opens (creating it if needed) the folder `component` inside `folder`, never through a link.
static int open_folder(int folder, const char *component) {
  if (mkdirat(folder, component, 0755) != 0 && errno != EEXIST) return -1;
  return openat(folder, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/// Writes the current entry's data into the new or truncated regular file `leaf` in `folder`.
static int write_file(classify_untar *u, int folder, const char *leaf, char *error,
                      size_t capacity) {
  struct stat info;
  if (fstatat(folder, leaf, &info, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(info.st_mode)) {
    return fail(error, capacity, CLASSIFY_ARCHIVE_NOT_REGULAR,
                "%s is in the way of a file the archive holds",
                S_ISLNK(info.st_mode)   ? "a symbolic link"
                : S_ISDIR(info.st_mode) ? "a folder"
                                        : "a special file (FIFO, device or socket)");
  }
  int flags = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
  int file = openat(folder, leaf, flags, 0644);
  if (file < 0) {
    if (errno == ELOOP || errno == ENXIO) {
      return fail(error, capacity, CLASSIFY_ARCHIVE_NOT_REGULAR,
                  "a link or a special file is in the way of a file the archive holds");
    }
    return fail(error, capacity, CLASSIFY_ARCHIVE_WRITE_FAILED, "%s", strerror(errno));
  }
  if (fstat(file, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(file);
    return fail(error, capacity, CLASSIFY_ARCHIVE_NOT_REGULAR,
                "something other than a regular file is in the way of a file the archive holds");
  }
  int status = 0;
  for (;;) {
    const void *block = NULL;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(u->tar, &block, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      status = tar_failure(u, error, capacity, "the archive ends inside a file (truncated)");
      break;
    }
    const unsigned char *bytes = block;
    while (size > 0) {
      ssize_t done = pwrite(file, bytes, size, offset);
      if (done < 0 && errno == EINTR) continue;
      if (done <= 0) {
        status = fail(error, capacity, CLASSIFY_ARCHIVE_WRITE_FAILED, "%s", strerror(errno));
        break;
      }
      bytes += done;
      size -= (size_t)done;
      offset += done;
    }
    if (status) break;
  }
  if (close(file) != 0 && !status) {
    status = fail(error, capacity, CLASSIFY_ARCHIVE_WRITE_FAILED, "%s", strerror(errno));
  }
  return status;
}

/// Creates the folders of the entry `path` under the destination (all of its components when
/// `is_folder`, else all but the last, which is then written as a file). `components` holds the
/// name's components without "" and "." (`count` of them, at least one for a file).
static int extract_path(classify_untar *u, char **components, size_t count, int is_folder,
                        char *name, size_t name_capacity, char *error, size_t capacity) {
  int folder = dup(u->root);
  if (folder < 0) {
    return fail(error, capacity, CLASSIFY_ARCHIVE_WRITE_FAILED, "%s", strerror(errno));
  }
  int status = 0;
  size_t folders = is_folder ? count : count - 1, reached = 0;
  for (; reached < folders; reached++) {
    int next = open_folder(folder, components[reached]);
    if (next < 0) {
      status = errno == ENOTDIR || errno == ELOOP || errno == EEXIST
                   ? fail(error, capacity, CLASSIFY_ARCHIVE_NOT_REGULAR,
                          "a symbolic link or a file is where the archive puts a folder; files "
                          "are never written through links")
                   : fail(error, capacity, CLASSIFY_ARCHIVE_WRITE_FAILED, "%s", strerror(errno));
      break;
    }
    close(folder);
    folder = next;
  }
  if (status == 0 && !is_folder) {
    status = write_file(u, folder, components[count - 1], error, capacity);
  }
  close(folder);
  if (status == CLASSIFY_ARCHIVE_NOT_REGULAR) {
    // Report the path in the way, relative to the destination.
    size_t used = 0;
    for (size_t i = 0; i <= reached && i < count; i++) {
      int written =
          snprintf(name + used, name_capacity - used, "%s%s", i ? "/" : "", components[i]);
      if (written < 0 || (size_t)written >= name_capacity - used) break;
      used += (size_t)written;
    }
  }
  return status;
}

int classify_untar_next(classify_untar *u, char *name, size_t name_capacity, char *error,
                        size_t error_capacity) {
  if (!u || !name || name_capacity == 0) {
    return fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_ARGUMENT, "no archive or buffer");
  }
  name[0] = 0;
  if (u->ended) return CLASSIFY_ARCHIVE_END;
  struct archive_entry *entry = NULL;
  int r = archive_read_next_header(u->tar, &entry);
  if (r == ARCHIVE_EOF) {
    // Inflate what follows the end-of-archive blocks, so that the gzip trailer is checked.
    u->ended = 1;
    for (;;) {
      const void *block = NULL;
      size_t size = 0;
      int status = stream_block(&u->source, &block, &size, error, error_capacity);
      if (status != 0) return status;
      if (size == 0) return CLASSIFY_ARCHIVE_END;
    }
  }
  if (r < ARCHIVE_WARN) return tar_failure(u, error, error_capacity, "unreadable header");
  const char *path = archive_entry_pathname(entry);
  if (!path) path = archive_entry_pathname_utf8(entry);
  if (!path) {
    return fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_TAR, "an entry has no readable name");
  }
  size_t length = strlen(path);
  if (length >= name_capacity) {
    return fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_TAR,
                "an entry's name is longer than %zu bytes", name_capacity - 1);
  }
  memcpy(name, path, length + 1);
  // The name's components, without "" and "." ("./" names the destination, "a/." names "a").
  char *copy = strdup(path);
  char **components = calloc(length + 1, sizeof *components);
  if (!copy || !components) {
    free(copy);
    free(components);
    return fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_ARGUMENT, "out of memory");
  }
  size_t count = 0;
  int unsafe = path[0] == '/';
  char *state = NULL;
  for (char *part = strtok_r(copy, "/", &state); part; part = strtok_r(NULL, "/", &state)) {
    if (strcmp(part, "..") == 0) unsafe = 1;
    if (strcmp(part, ".") != 0) components[count++] = part;
  }
  mode_t type = archive_entry_filetype(entry);
  int status = 0;
  if (unsafe) {
    // Refused whatever the entry's type, even one that would be skipped.
    status = fail(error, error_capacity, CLASSIFY_ARCHIVE_UNSAFE_PATH,
                  "refusing the unsafe path '%s'", path);
  } else if (archive_entry_hardlink(entry) != NULL || archive_entry_symlink(entry) != NULL ||
             archive_entry_sparse_count(entry) > 0 || (type != AE_IFREG && type != AE_IFDIR)) {
    status = archive_read_data_skip(u->tar) < ARCHIVE_WARN
                 ? tar_failure(u, error, error_capacity,
                               "the archive ends inside an entry (truncated)")
                 : CLASSIFY_ARCHIVE_SKIPPED;
  } else if (type == AE_IFREG && count == 0) {
    status = fail(error, error_capacity, CLASSIFY_ARCHIVE_BAD_TAR,
                  "a file entry has the empty name '%s'", path);
  } else {
    status = extract_path(u, components, count, type == AE_IFDIR, name, name_capacity, error,
                          error_capacity);
    if (status == 0) status = type == AE_IFDIR ? CLASSIFY_ARCHIVE_FOLDER : CLASSIFY_ARCHIVE_FILE;
  }
  free(components);
  free(copy);
  return status;
}
