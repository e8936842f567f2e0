// The direct convolution for frozen weights on NHWC activations, AVX-512 (see direct_conv.h).
//
// A convolution is Y[P, Cout] = X̂[P, K] · Ŵ[K, Cout] with K = (ky, kx, c) and X̂ never formed: a
// tile of 6 output pixels × 64 output channels keeps 24 sums in registers for the whole depth;
// each step broadcasts one input value per pixel (read where it lies: a pixel's channels are
// contiguous) and loads 4 vectors of the packed weight. Where a pixel's whole kernel row lies in
// the image, its kw taps are one run of kw·C floats. A task is a run of tiles, either for one
// 64-channel block (the block outermost, so each core keeps one weight panel in its L2) or, when
// the whole weight fits in L2, for every block tile by tile (the tile's inputs stay in L1). In
// fp32 the weight is PyTorch's own, read where it lies: each thread packs the blocks its tasks
// need into its scratch (16×16 transposes in registers), so a frozen fp32 weight has no copy.
// Measured end to end on ResNet-50 in scripts/bench/nhwc_resnet50.c (docs/BENCHMARKS.md).
#include "direct_conv.h"

#include "compute_pool.h"
#include "direct_conv_amx.h"
#include "transpose16.h"

#include <stdatomic.h>
#include <string.h>

#define PIXELS 6
#define VECTORS 4
#define BLOCK CLASSIFY_CONV_BLOCK
/// Weights up to this size (as fp32) run every block inside each task: each tile's input is then
/// read once for all blocks. In FP32 each thread packs the blocks it runs, so there every thread
/// would pack the whole weight: its limit is lower (256 KB; session 22 on Zen 5, ABBA rounds on
/// two threads: the 32×32 forward +7 % against 1 MB, 224×224 the same). The bf16 forms share one
/// packed weight between threads and keep 1 MB.
#define INSIDE_BYTES (1L << 20)
#define INSIDE_BYTES_FP32 (1L << 18)
/// At most this many scratch slots (one per thread running at once).
#define MAX_SLOTS 64

static uint16_t round_one(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return 0xFFFF;  // NaN, as ATen's vector conversion
  return (uint16_t)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

void classify_round_bf16(const float *x, uint16_t *bits, long count) {
  for (long i = 0; i < count; i++) bits[i] = round_one(x[i]);
}

static long blocks_of(const classify_conv_shape *s) { return (s->outputs + BLOCK - 1) / BLOCK; }
static long taps_of(const classify_conv_shape *s) { return s->kernel_height * s->kernel_width; }
/// FP32_SWAPPED is FP32 everywhere but where a block is packed.
static int base_format(int format) {
  return format == CLASSIFY_FORMAT_FP32_SWAPPED ? CLASSIFY_FORMAT_FP32 : format;
}
/// Whether `format` reads its weight where it lies, packing nothing: an FP32_SWAPPED 1×1 whose
/// outputs fill whole blocks (its rows, [channels][outputs], already are the packed order with a
/// stride), which then needs no scratch slots either.
static int reads_in_place(const classify_conv_shape *s, int format) {
  return format == CLASSIFY_FORMAT_FP32_SWAPPED && s->kernel_height * s->kernel_width == 1 &&
         s->outputs % CLASSIFY_CONV_BLOCK == 0;
}
/// Pairs of one kernel row: its kw·C values (kx, c) in order, paired, an odd count padded with a
/// zero. For an even C these are each tap's channel pairs; for the stem's C = 3 a row of 21 values
/// is 11 pairs, not 7 taps × 2 (a third of them padding).
static long row_pairs_of(const classify_conv_shape *s) {
  return (s->kernel_width * s->channels + 1) / 2;
}

/// Elements per output lane of one block: taps·C values, or kh·⌈kw·C/2⌉ pairs.
static long depth_of(const classify_conv_shape *s, int format) {
  return format == CLASSIFY_FORMAT_BF16_PAIRS ? s->kernel_height * row_pairs_of(s)
                                              : taps_of(s) * s->channels;
}

static int blocks_inside(const classify_conv_shape *s, int format) {
  long limit = format == CLASSIFY_FORMAT_FP32 ? INSIDE_BYTES_FP32 : INSIDE_BYTES;
  return blocks_of(s) * BLOCK * taps_of(s) * s->channels * 4 <= limit;
}

long classify_conv_packed_count(const classify_conv_shape *s, int format) {
  format = base_format(format);
  if (format == CLASSIFY_FORMAT_FP32) return 0;  // PyTorch's weight itself
  if (format == CLASSIFY_FORMAT_BF16_AMX) return classify_amx_packed_count(s);
  return blocks_of(s) * depth_of(s, format) * BLOCK;
}

/// Where the weight's value (o, c, tap) lies in the packed form of `format` (VALUES or PAIRS): an
/// element index, and for PAIRS which half of that word (0 low, 1 high). Packing and unpacking
/// share it, so one cannot drift from the other.
static long packed_position(const classify_conv_shape *s, int format, long o, long c, long tap,
                            int *half) {
  long block = o / BLOCK, lane = o % BLOCK, channels = s->channels;
  if (format == CLASSIFY_FORMAT_BF16_VALUES) {
    *half = 0;
    return ((block * taps_of(s) + tap) * channels + c) * BLOCK + lane;
  }
  long ky = tap / s->kernel_width, k = tap % s->kernel_width * channels + c;
  *half = (int)(k % 2);
  return ((block * s->kernel_height + ky) * row_pairs_of(s) + k / 2) * BLOCK + lane;
}

void classify_conv_pack_weight(const float *weight, const classify_conv_shape *s, int format,
                               void *packed) {
  long taps = taps_of(s), channels = s->channels;
  if (format == CLASSIFY_FORMAT_FP32) return;  // read where it lies
  if (format == CLASSIFY_FORMAT_BF16_AMX) {
    classify_amx_pack_weight(weight, s, packed);
    return;
  }
  long count = classify_conv_packed_count(s, format);
  size_t element = format == CLASSIFY_FORMAT_BF16_VALUES ? 2 : 4;
  memset(packed, 0, (size_t)count * element);
  for (long o = 0; o < s->outputs; o++)
    for (long c = 0; c < channels; c++)
      for (long tap = 0; tap < taps; tap++) {
        int half;
        long at = packed_position(s, format, o, c, tap, &half);
        uint16_t bits = round_one(weight[(o * channels + c) * taps + tap]);
        if (format == CLASSIFY_FORMAT_BF16_VALUES)
          ((uint16_t *)packed)[at] = bits;
        else
          ((uint32_t *)packed)[at] |= (uint32_t)bits << (16 * half);
      }
}

float classify_bf16_to_float(uint16_t bits) {
  uint32_t word = (uint32_t)bits << 16;
  float value;
  memcpy(&value, &word, sizeof value);
  return value;
}

int classify_conv_unpack_weight(const void *packed, const classify_conv_shape *s, int format,
                                float *weight) {
  long taps = taps_of(s), channels = s->channels;
  if (format == CLASSIFY_FORMAT_FP32) return 0;  // nothing was packed
  if (format == CLASSIFY_FORMAT_BF16_AMX) {
    classify_amx_unpack_weight(packed, s, weight);
    return 1;
  }
  for (long o = 0; o < s->outputs; o++)
    for (long c = 0; c < channels; c++)
      for (long tap = 0; tap < taps; tap++) {
        int half;
        long at = packed_position(s, format, o, c, tap, &half);
        uint16_t bits = format == CLASSIFY_FORMAT_BF16_VALUES
                            ? ((const uint16_t *)packed)[at]
                            : (uint16_t)(((const uint32_t *)packed)[at] >> (16 * half));
        weight[(o * channels + c) * taps + tap] = classify_bf16_to_float(bits);
      }
  return 1;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,prfchw")))
#define TARGET_BF16 __attribute__((target("avx512f,avx512bw,avx512bf16,prfchw")))
#define INLINE static inline __attribute__((always_inline))

typedef struct {
  const classify_conv_shape *s;
  int format;  // FP32_SWAPPED runs as FP32 with `swapped` set
  int swapped;
  // `reads_in_place`: the weight is read where it lies, `weight_step` floats a row; otherwise
  // every panel is packed and `weight_step` is BLOCK.
  int in_place;
  long weight_step;
  const void *packed;
  const float *input;
  float *output;
  const classify_epilogue *epilogue;
  const float *zeros;  // a row of max(C, 64) zeros: the input of a padding tap or row
  long blocks, depth, tiles_per_task, chunks, slot_floats;
  int inside, merge_rows, short_rows, by_position;
  const uint32_t *input_pairs;  // the whole input as bf16 pairs, where converted once (see below)
  float *slots;
  _Atomic int busy[MAX_SLOTS];
  long slot_first[MAX_SLOTS], slot_last[MAX_SLOTS];  // the weight blocks a slot holds as fp32
} conv_job;

/// acc[r][v] += Σ_k row[r][k] · w[k][16v … 16v + 15] over `depth` steps (on local copies, so that
/// the compiler keeps the 24 sums in registers through the loop).
TARGET INLINE void tile_fp32(long depth, const float *const row[PIXELS], const float *w,
                             long step, __m512 acc[PIXELS][VECTORS]) {
  __m512 a[PIXELS][VECTORS];
  for (int r = 0; r < PIXELS; r++)
    for (int v = 0; v < VECTORS; v++) a[r][v] = acc[r][v];
  const float *x0 = row[0], *x1 = row[1], *x2 = row[2], *x3 = row[3], *x4 = row[4], *x5 = row[5];
  for (long k = 0; k < depth; k++) {
    __m512 b0 = _mm512_loadu_ps(w), b1 = _mm512_loadu_ps(w + 16);
    __m512 b2 = _mm512_loadu_ps(w + 32), b3 = _mm512_loadu_ps(w + 48);
#define ROW(r, x)                              \
  {                                            \
    __m512 s = _mm512_set1_ps(x[k]);           \
    a[r][0] = _mm512_fmadd_ps(s, b0, a[r][0]); \
    a[r][1] = _mm512_fmadd_ps(s, b1, a[r][1]); \
    a[r][2] = _mm512_fmadd_ps(s, b2, a[r][2]); \
    a[r][3] = _mm512_fmadd_ps(s, b3, a[r][3]); \
  }
    ROW(0, x0) ROW(1, x1) ROW(2, x2) ROW(3, x3) ROW(4, x4) ROW(5, x5)
#undef ROW
    w += step;
  }
  for (int r = 0; r < PIXELS; r++)
    for (int v = 0; v < VECTORS; v++) acc[r][v] = a[r][v];
}

/// The same with bf16 pairs: acc[r][v] += Σ_q pair(row[r][q]) · pair(w[q][…]) by `vdpbf16ps`.
/// A call of its own: inlined into its callers' loops, clang spilled half the 24 sums to the
/// stack in the inner loop (bf16 on AMD Zen 4 ran at half its speed, session 16).
TARGET_BF16 __attribute__((noinline)) static void tile_pairs(long steps,
                                                             const uint32_t *const row[PIXELS],
                                                             const uint32_t *w,
                                                             __m512 acc[PIXELS][VECTORS],
                                                             int fresh) {
  __m512 s[PIXELS][VECTORS];
  for (int r = 0; r < PIXELS; r++)
    for (int v = 0; v < VECTORS; v++) s[r][v] = fresh ? _mm512_setzero_ps() : acc[r][v];
  const uint32_t *x0 = row[0], *x1 = row[1], *x2 = row[2], *x3 = row[3], *x4 = row[4],
                 *x5 = row[5];
  for (long q = 0; q < steps; q++) {
    __m512bh b0 = (__m512bh)_mm512_loadu_ps(w), b1 = (__m512bh)_mm512_loadu_ps(w + 16);
    __m512bh b2 = (__m512bh)_mm512_loadu_ps(w + 32), b3 = (__m512bh)_mm512_loadu_ps(w + 48);
#define ROW(r, x)                                                   \
  {                                                                 \
    __m512bh p = (__m512bh)_mm512_set1_ps(*(const float *)(x + q)); \
    s[r][0] = _mm512_dpbf16_ps(s[r][0], p, b0);                     \
    s[r][1] = _mm512_dpbf16_ps(s[r][1], p, b1);                     \
    s[r][2] = _mm512_dpbf16_ps(s[r][2], p, b2);                     \
    s[r][3] = _mm512_dpbf16_ps(s[r][3], p, b3);                     \
  }
    ROW(0, x0) ROW(1, x1) ROW(2, x2) ROW(3, x3) ROW(4, x4) ROW(5, x5)
#undef ROW
    w += BLOCK;
  }
  for (int r = 0; r < PIXELS; r++)
    for (int v = 0; v < VECTORS; v++) acc[r][v] = s[r][v];
}

/// The input pixel (its index in [images·height·width]) that pixel r's tap (ky, kx) reads, or
/// -1 where it falls in the padding.
INLINE long tap_pixel(const conv_job *j, long n, long iy0, long ix0, long ky, long kx) {
  const classify_conv_shape *s = j->s;
  long iy = iy0 + ky * s->dilation_height, ix = ix0 + kx * s->dilation_width;
  if (iy < 0 || iy >= s->height || ix < 0 || ix >= s->width) return -1;
  return (n * s->height + iy) * s->width + ix;
}

/// The input row of pixel r's tap (ky, kx), or NULL where it falls in the padding.
INLINE const float *tap_row(const conv_job *j, long n, long iy0, long ix0, long ky, long kx) {
  long pixel = tap_pixel(j, n, iy0, ix0, ky, kx);
  return pixel < 0 ? NULL : j->input + pixel * j->s->channels;
}

/// One tile's sums in fp32 over `panel` (one block of the weight as fp32, rows `weight_step`
/// floats apart).
TARGET INLINE void conv_tile_fp32(const conv_job *j, const long n[PIXELS], const long iy0[PIXELS],
                                  const long ix0[PIXELS], int whole_rows, const float *panel,
                                  __m512 acc[PIXELS][VECTORS]) {
  const classify_conv_shape *s = j->s;
  for (int r = 0; r < PIXELS; r++)
    for (int v = 0; v < VECTORS; v++) acc[r][v] = _mm512_setzero_ps();
  long channels = s->channels, run = s->kernel_width * channels, step = j->weight_step;
  for (long ky = 0; ky < s->kernel_height; ky++) {
    const float *row[PIXELS];
    if (whole_rows) {  // each pixel's kernel row is one run of kw·C floats (or all padding)
      int inside = 0;
      for (int r = 0; r < PIXELS; r++) {
        row[r] = tap_row(j, n[r], iy0[r], ix0[r], ky, 0);
        inside += row[r] != NULL;
      }
      if (inside == 0) continue;
      if (inside == PIXELS) {
        tile_fp32(run, row, panel + ky * run * step, step, acc);
        continue;
      }
    }
    if (j->short_rows) {  // kw·C ≤ 64 (the stem): a border pixel's row assembled, zero-filled
      float assembled[PIXELS][64] __attribute__((aligned(64)));
      int inside = 0;
      for (int r = 0; r < PIXELS; r++) {
        long iy = iy0[r] + ky * s->dilation_height;
        if (iy < 0 || iy >= s->height) {
          row[r] = j->zeros;
          continue;
        }
        inside++;
        long lo = ix0[r] < 0 ? -ix0[r] : 0;
        long hi = ix0[r] + s->kernel_width > s->width ? s->width - ix0[r] : s->kernel_width;
        const float *source = j->input + ((n[r] * s->height + iy) * s->width + ix0[r] + lo) * channels;
        if (lo == 0 && hi == s->kernel_width) {
          row[r] = source;
          continue;
        }
        long first = lo * channels, last = hi * channels;  // the valid floats of the run
        for (long q = 0; q < 64; q += 16) {
          long a = first > q ? first : q, b = last < q + 16 ? last : q + 16;
          __mmask16 mask = a < b ? (__mmask16)(((1u << (b - a)) - 1) << (a - q)) : 0;
          _mm512_store_ps(assembled[r] + q, _mm512_maskz_expandloadu_ps(mask, source + (a - first)));
        }
        row[r] = assembled[r];
      }
      if (inside) tile_fp32(run, row, panel + ky * run * step, step, acc);
      continue;
    }
    for (long kx = 0; kx < s->kernel_width; kx++) {
      int inside = 0;
      for (int r = 0; r < PIXELS; r++) {
        row[r] = tap_row(j, n[r], iy0[r], ix0[r], ky, kx);
        inside += row[r] != NULL;
        if (!row[r]) row[r] = j->zeros;
      }
      if (inside)
        tile_fp32(channels, row, panel + (ky * s->kernel_width + kx) * channels * step, step, acc);
    }
  }
}

/// Rounds `count` floats at x to bf16 pairs at `target` (an odd count padded with a zero).
TARGET_BF16 INLINE void round_pairs(const float *x, long count, uint32_t *target) {
  for (long c = 0; c < count; c += 32) {
    long left = count - c;
    __mmask16 low = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
    __mmask16 high = left >= 32 ? 0xFFFF : left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1);
    __m512 lo = _mm512_maskz_loadu_ps(low, x + c);
    __m512 hi = _mm512_maskz_loadu_ps(high, x + c + 16);
    __m512i words = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
    long pairs = (left >= 32 ? 32 : left + 1) / 2;
    _mm512_mask_storeu_epi32(target + c / 2, (__mmask16)((1u << pairs) - 1), words);
  }
}

/// Rounds each kernel row's inputs of the tile to bf16 pairs: a[ky][r][q], zero for padding;
/// `valid[ky]` says whether any pixel reads real input in that row. A row inside the image is one
/// run of kw·C floats, rounded where it lies; at a border it is first assembled in `row` (kw·C
/// floats). This path serves an odd C (the stem, whose pairs span taps) and the 1×1s that round
/// their input tile by tile (`converts_input`).
TARGET_BF16 static void tile_input_pairs(const conv_job *j, const long n[PIXELS],
                                         const long iy0[PIXELS], const long ix0[PIXELS],
                                         uint32_t *a, uint32_t *valid, float *row) {
  const classify_conv_shape *s = j->s;
  long channels = s->channels, kw = s->kernel_width, row_pairs = row_pairs_of(s);
  for (long ky = 0; ky < s->kernel_height; ky++) {
    uint32_t any = 0;
    for (int r = 0; r < PIXELS; r++) {
      uint32_t *target = a + (ky * PIXELS + r) * row_pairs;
      long iy = iy0[r] + ky * s->dilation_height;
      if (iy < 0 || iy >= s->height) {
        memset(target, 0, (size_t)row_pairs * 4);
        continue;
      }
      if (s->dilation_width == 1 && ix0[r] >= 0 && ix0[r] + kw <= s->width) {
        any = 1;  // the whole row lies in the image: one run of kw·C floats
        const float *x = j->input + ((n[r] * s->height + iy) * s->width + ix0[r]) * channels;
        // The same row of the next tile's pixel (PIXELS pixels on) into L1 while this one is
        // rounded: the rounding's loads were 40 % of `pairs_tile`'s samples, waiting on memory
        // (bf16 224×224, one thread, paired: ×1.06 and ×1.10). A prefetch never faults, so the
        // address past the image's last row is harmless; it is formed as an integer.
        uintptr_t next = (uintptr_t)x + (uintptr_t)(PIXELS * s->stride_width * channels) * 4;
        for (long c = 0; c < kw * channels; c += 16) {
          _mm_prefetch((const char *)(next + (uintptr_t)c * 4), _MM_HINT_T0);
        }
        round_pairs(x, kw * channels, target);
        continue;
      }
      int inside = 0;  // at a border: the row assembled, its padding taps zero
      for (long kx = 0; kx < kw; kx++) {
        const float *x = tap_row(j, n[r], iy0[r], ix0[r], ky, kx);
        inside |= x != NULL;
        for (long c = 0; c < channels; c++) row[kx * channels + c] = x ? x[c] : 0;
      }
      any |= (uint32_t)inside;
      if (inside) round_pairs(row, kw * channels, target);
      else memset(target, 0, (size_t)row_pairs * 4);
    }
    valid[ky] = any;
  }
}

TARGET_BF16 INLINE void conv_tile_pairs(const conv_job *j, const uint32_t *a, const uint32_t *valid,
                                        const uint32_t *panel, __m512 acc[PIXELS][VECTORS]) {
  long row_pairs = row_pairs_of(j->s);
  int fresh = 1;  // the first call starts the sums at zero in registers
  for (long ky = 0; ky < j->s->kernel_height; ky++) {
    if (!valid[ky]) continue;
    const uint32_t *row[PIXELS];
    for (int r = 0; r < PIXELS; r++) row[r] = a + (ky * PIXELS + r) * row_pairs;
    tile_pairs(row_pairs, row, panel + ky * row_pairs * BLOCK, acc, fresh);
    fresh = 0;
  }
  if (fresh)
    for (int r = 0; r < PIXELS; r++)
      for (int v = 0; v < VECTORS; v++) acc[r][v] = _mm512_setzero_ps();
}

/// One tile's sums from the input converted once to bf16 pairs (an even C): each pixel's pairs
/// read where they lie, a kernel row inside the image as one run of kw·C/2 pairs, a padding tap
/// from the zero row.
TARGET_BF16 INLINE void conv_tile_converted(const conv_job *j, const long n[PIXELS],
                                            const long iy0[PIXELS], const long ix0[PIXELS],
                                            int whole_rows, const uint32_t *panel,
                                            __m512 acc[PIXELS][VECTORS]) {
  const classify_conv_shape *s = j->s;
  long half = s->channels / 2, row_pairs = row_pairs_of(s);
  int fresh = 1;  // the first call starts the sums at zero in registers
  for (long ky = 0; ky < s->kernel_height; ky++) {
    const uint32_t *row[PIXELS];
    int inside = 0;
    if (whole_rows) {  // each pixel's kernel row is one run of kw·C/2 pairs (or all padding)
      for (int r = 0; r < PIXELS; r++) {
        long pixel = tap_pixel(j, n[r], iy0[r], ix0[r], ky, 0);
        row[r] = pixel < 0 ? NULL : j->input_pairs + pixel * half;
        inside += pixel >= 0;
      }
      if (inside == 0) continue;
      if (inside == PIXELS) {
        tile_pairs(row_pairs, row, panel + ky * row_pairs * BLOCK, acc, fresh);
        fresh = 0;
        continue;
      }
    }
    for (long kx = 0; kx < s->kernel_width; kx++) {
      inside = 0;
      for (int r = 0; r < PIXELS; r++) {
        long pixel = tap_pixel(j, n[r], iy0[r], ix0[r], ky, kx);
        row[r] = pixel < 0 ? (const uint32_t *)j->zeros : j->input_pairs + pixel * half;
        inside += pixel >= 0;
      }
      if (inside) {
        tile_pairs(half, row, panel + (ky * row_pairs + kx * half) * BLOCK, acc, fresh);
        fresh = 0;
      }
    }
  }
  if (fresh)
    for (int r = 0; r < PIXELS; r++)
      for (int v = 0; v < VECTORS; v++) acc[r][v] = _mm512_setzero_ps();
}

TARGET INLINE void store_tile(const conv_job *j, const long at[PIXELS], long rows, long block,
                              __m512 acc[PIXELS][VECTORS]) {
  const classify_conv_shape *s = j->s;
  const classify_epilogue *e = j->epilogue;
  long o0 = block * BLOCK, width = s->outputs - o0 < BLOCK ? s->outputs - o0 : BLOCK;
  __mmask16 masks[VECTORS];
  for (int v = 0; v < VECTORS; v++) {
    long left = width - 16 * v;
    masks[v] = left >= 16 ? 0xFFFF : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
  }
  for (long r = 0; r < rows; r++) {
    float *out = j->output + at[r] * s->outputs + o0;
    const float *residual = e && e->residual ? e->residual + at[r] * e->residual_stride + o0 : NULL;
    for (int v = 0; v < VECTORS; v++) {
      if (!masks[v]) break;
      __m512 y = acc[r][v];
      if (e) {
        if (e->scale) y = _mm512_mul_ps(y, _mm512_maskz_loadu_ps(masks[v], e->scale + o0 + 16 * v));
        if (e->bias) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(masks[v], e->bias + o0 + 16 * v));
        if (residual) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(masks[v], residual + 16 * v));
        if (e->relu) y = _mm512_max_ps(_mm512_setzero_ps(), y);  // NaN stays NaN
      }
      _mm512_mask_storeu_ps(out + 16 * v, masks[v], y);
    }
  }
}

#ifndef PACK_AHEAD
#define PACK_AHEAD 256
#endif
/// One 64-channel block of PyTorch's fp32 weight [outputs][C][kh][kw] in the packed order
/// [taps][C][64] (zeros past `outputs`), 16×16 blocks transposed in registers.
TARGET static void pack_block_fp32(const conv_job *j, long block, float *target) {
  const classify_conv_shape *s = j->s;
  const float *weight = j->packed;
  long taps = taps_of(s), channels = s->channels, depth = taps * channels;
  for (long lane0 = 0; lane0 < BLOCK; lane0 += 16) {
    long o0 = block * BLOCK + lane0, rows = s->outputs - o0;
    rows = rows < 0 ? 0 : rows > 16 ? 16 : rows;
    long c = 0, tap = 0;  // of k = k0 + j in PyTorch's order c·taps + tap
    for (long k0 = 0; k0 < depth; k0 += 16) {
      long n = depth - k0 < 16 ? depth - k0 : 16;
      __mmask16 mask = n == 16 ? 0xFFFF : (__mmask16)((1u << n) - 1);
      __m512 r[16];
      for (int i = 0; i < 16; i++) {
        const float *row = weight + (o0 + i) * depth + k0;
        if (i < rows) _mm_prefetch((const char *)(row + PACK_AHEAD), _MM_HINT_T0);
        r[i] = i < rows ? _mm512_maskz_loadu_ps(mask, row) : _mm512_setzero_ps();
      }
      transpose16(r);
      for (long i = 0; i < n; i++) {
        _mm512_storeu_ps(target + (tap * channels + c) * BLOCK + lane0, r[i]);
        if (++tap == taps) tap = 0, c++;
      }
    }
  }
}

/// `pack_block_fp32` for FP32_SWAPPED: the value for (output o, channel c, tap t) is the forward
/// weight's (c, o, taps − 1 − t), so a lane's 16 outputs lie `taps` floats apart in it — one
/// contiguous load for a 1×1; for up to 16 taps the 16 outputs' runs of `taps` values (one
/// contiguous stretch) transposed in registers; a gather for larger kernels.
TARGET static void pack_block_fp32_swapped(const conv_job *j, long block, float *target) {
  const classify_conv_shape *s = j->s;
  const float *weight = j->packed;
  long taps = taps_of(s), channels = s->channels, outputs = s->outputs;
  const __m512i strides = _mm512_mullo_epi32(
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
      _mm512_set1_epi32((int)taps));
  for (long lane0 = 0; lane0 < BLOCK; lane0 += 16) {
    long o0 = block * BLOCK + lane0, rows = outputs - o0;
    rows = rows < 0 ? 0 : rows > 16 ? 16 : rows;
    __mmask16 mask = rows == 16 ? 0xFFFF : (__mmask16)((1u << rows) - 1);
    for (long c = 0; c < channels; c++) {
      if (taps > 1 && taps <= 16) {
        const float *from = weight + (c * outputs + o0) * taps;
        __mmask16 run = (__mmask16)((1u << taps) - 1);
        __m512 r[16];
        for (int i = 0; i < 16; i++)
          r[i] = i < rows ? _mm512_maskz_loadu_ps(run, from + i * taps) : _mm512_setzero_ps();
        transpose16(r);  // r[t] = the 16 outputs' values at tap t
        for (long tap = 0; tap < taps; tap++)
          _mm512_storeu_ps(target + (tap * channels + c) * BLOCK + lane0, r[taps - 1 - tap]);
        continue;
      }
      for (long tap = 0; tap < taps; tap++) {
        __m512 v = _mm512_setzero_ps();
        if (rows > 0) {
          const float *from = weight + (c * outputs + o0) * taps + (taps - 1 - tap);
          v = taps == 1 ? _mm512_maskz_loadu_ps(mask, from)
                        : _mm512_mask_i32gather_ps(v, mask, strides, from, 4);
        }
        _mm512_storeu_ps(target + (tap * channels + c) * BLOCK + lane0, v);
      }
    }
  }
}

/// Starts fetching the output lines (for writing) and shortcut lines a tile's store will touch,
/// so that the store after the tile's FMAs does not wait on them (the output is fresh memory of
/// an earlier pass, usually outside the caches).
INLINE void prefetch_tile(const conv_job *j, const long at[PIXELS], long rows, long block) {
  const classify_conv_shape *s = j->s;
  const classify_epilogue *e = j->epilogue;
  long o0 = block * BLOCK, width = s->outputs - o0 < BLOCK ? s->outputs - o0 : BLOCK;
  for (long r = 0; r < rows; r++) {
    const float *out = j->output + at[r] * s->outputs + o0;
    const float *residual = e && e->residual ? e->residual + at[r] * e->residual_stride + o0 : NULL;
    for (long v = 0; v < width; v += 16) {
      __builtin_prefetch(out + v, 1, 3);
      if (residual) __builtin_prefetch(residual + v, 0, 3);
    }
  }
}

/// Blocks [first, last) of the weight as packed fp32 in `slot`: FP32 packed from PyTorch's
/// layout, BF16_VALUES expanded from its bits (kept between tasks that ask for the same blocks).
TARGET static const float *expanded(conv_job *j, int slot, long first, long last) {
  float *target = j->slots + slot * j->slot_floats;
  if (j->slot_first[slot] == first && j->slot_last[slot] == last) return target;
  if (j->format == CLASSIFY_FORMAT_FP32) {
    for (long block = first; block < last; block++)
      (j->swapped ? pack_block_fp32_swapped : pack_block_fp32)(
          j, block, target + (block - first) * j->depth * BLOCK);
  } else {
    const uint16_t *bits = (const uint16_t *)j->packed + first * j->depth * BLOCK;
    long count = (last - first) * j->depth * BLOCK;
    for (long i = 0; i < count; i += 16) {
      __m256i h = _mm256_loadu_si256((const __m256i *)(bits + i));
      _mm512_storeu_si512(target + i, _mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
  }
  j->slot_first[slot] = first;
  j->slot_last[slot] = last;
  return target;
}

/// One tile in BF16_PAIRS for blocks [first_block, last_block): its inputs rounded to pairs once,
/// in `slot`, then every block over them.
TARGET_BF16 __attribute__((noinline)) static void pairs_tile(conv_job *j, int slot,
                                                             const long n[PIXELS],
                                                             const long iy0[PIXELS],
                                                             const long ix0[PIXELS],
                                                             const long at[PIXELS],
                                                             long rows, long first_block,
                                                             long last_block) {
  uint32_t *a = (uint32_t *)(j->slots + slot * j->slot_floats);
  uint32_t *valid = a + j->s->kernel_height * PIXELS * row_pairs_of(j->s);
  tile_input_pairs(j, n, iy0, ix0, a, valid, (float *)(valid + j->s->kernel_height));
  for (long block = first_block; block < last_block; block++) {
    __m512 acc[PIXELS][VECTORS];
    prefetch_tile(j, at, rows, block);
    conv_tile_pairs(j, a, valid, (const uint32_t *)j->packed + block * j->depth * BLOCK, acc);
    store_tile(j, at, rows, block, acc);
  }
}

/// One tile in BF16_PAIRS from the converted input, for blocks [first_block, last_block).
TARGET_BF16 __attribute__((noinline)) static void converted_tile(
    conv_job *j, const long n[PIXELS], const long iy0[PIXELS], const long ix0[PIXELS],
    int whole_rows, const long at[PIXELS], long rows, long first_block, long last_block) {
  for (long block = first_block; block < last_block; block++) {
    __m512 acc[PIXELS][VECTORS];
    prefetch_tile(j, at, rows, block);
    conv_tile_converted(j, n, iy0, ix0, whole_rows,
                        (const uint32_t *)j->packed + block * j->depth * BLOCK, acc);
    store_tile(j, at, rows, block, acc);
  }
}

TARGET static void conv_task(void *context, long index) {
  conv_job *j = context;
  const classify_conv_shape *s = j->s;
  long first_block = 0, last_block = j->blocks, chunk = index;
  if (!j->inside) {
    first_block = index / j->chunks;
    last_block = first_block + 1;
    chunk = index % j->chunks;
  }
  int slot = -1;  // a scratch slot no running task holds
  for (int i = 0; slot < 0; i = (i + 1) % MAX_SLOTS)
    if (!atomic_exchange(&j->busy[i], 1)) slot = i;
  long plane = s->output_height * s->output_width, pixels = s->images * plane;
  long first = chunk * j->tiles_per_task * PIXELS, last = first + j->tiles_per_task * PIXELS;
  if (last > pixels) last = pixels;
  const float *weights = NULL;
  if (j->in_place)
    weights = (const float *)j->packed + first_block * BLOCK;
  else if (j->format != CLASSIFY_FORMAT_BF16_PAIRS)
    weights = expanded(j, slot, first_block, last_block);
  long panel_floats = j->in_place ? BLOCK : j->depth * BLOCK;  // from one block's panel to the next
  for (long p0 = first; p0 < last; p0 += PIXELS) {
    long rows = last - p0 < PIXELS ? last - p0 : PIXELS;
    long n[PIXELS], iy0[PIXELS], ix0[PIXELS], at[PIXELS];
    int whole_rows = j->merge_rows;
    for (int r = 0; r < PIXELS; r++) {  // a short last tile repeats its last pixel
      long q = p0 + (r < rows ? r : rows - 1), position;
      if (j->by_position) {
        n[r] = q % s->images, position = q / s->images;
      } else {
        n[r] = q / plane, position = q % plane;
      }
      at[r] = n[r] * plane + position;
      iy0[r] = position / s->output_width * s->stride_height - s->padding_height;
      ix0[r] = position % s->output_width * s->stride_width - s->padding_width;
      if (ix0[r] < 0 || ix0[r] + s->kernel_width > s->width) whole_rows = 0;
    }
    if (j->input_pairs) {
      converted_tile(j, n, iy0, ix0, whole_rows, at, rows, first_block, last_block);
      continue;
    }
    if (j->format == CLASSIFY_FORMAT_BF16_PAIRS) {
      pairs_tile(j, slot, n, iy0, ix0, at, rows, first_block, last_block);
      continue;
    }
    for (long block = first_block; block < last_block; block++) {
      __m512 acc[PIXELS][VECTORS];
      prefetch_tile(j, at, rows, block);
      conv_tile_fp32(j, n, iy0, ix0, whole_rows, weights + (block - first_block) * panel_floats,
                     acc);
      store_tile(j, at, rows, block, acc);
    }
  }
  atomic_store(&j->busy[slot], 0);
}

/// Floats of one thread's slot (whole 64-byte lines): its fp32 weight blocks, or its tile's bf16
/// input pairs, the kernel rows' flags and one row assembled at a border.
static long slot_floats(const classify_conv_shape *s, int format) {
  long floats = format != CLASSIFY_FORMAT_BF16_PAIRS
                    ? (blocks_inside(s, format) ? blocks_of(s) : 1) * depth_of(s, format) * BLOCK
                    : s->kernel_height * (PIXELS * row_pairs_of(s) + 1) +
                          s->kernel_width * s->channels;
  return (floats + 15) / 16 * 16;
}

/// Floats of the zero row (whole 64-byte lines).
static long zero_floats(const classify_conv_shape *s) {
  return s->channels > 64 ? (s->channels + 15) / 16 * 16 : 64;
}

static long slot_count(long threads) { return threads < 1 ? 1 : threads > MAX_SLOTS ? MAX_SLOTS : threads; }

/// Whether BF16_PAIRS rounds the whole input to pairs once, before the tiles: where a tile would
/// otherwise round an input more than once — each of a k×k kernel's taps (k² times), or each
/// weight block's task (a weight past L2) — and C is even (an odd C's pairs span taps, so its
/// rows are assembled tile by tile). A 1×1 whose weight fits in L2 rounds each input once in its
/// tile, without the extra pass.
static int converts_input(const classify_conv_shape *s, int format) {
  return format == CLASSIFY_FORMAT_BF16_PAIRS && s->channels % 2 == 0 &&
         (taps_of(s) > 1 || !blocks_inside(s, format));
}

/// Floats (as uint32 pairs) of the converted input, in whole 64-byte lines.
static long converted_floats(const classify_conv_shape *s, int format) {
  if (!converts_input(s, format)) return 0;
  return (s->images * s->height * s->width * (s->channels / 2) + 15) / 16 * 16;
}

long classify_conv_scratch_count(const classify_conv_shape *s, int format, long threads) {
  long slots = reads_in_place(s, format) ? 0 : slot_count(threads);
  format = base_format(format);
  if (format == CLASSIFY_FORMAT_BF16_AMX) return classify_amx_scratch_floats(s, threads);
  return zero_floats(s) + slots * slot_floats(s, format) + converted_floats(s, format) + 16;
}

typedef struct {
  const float *input;
  uint32_t *pairs;
  long count, chunk;
} convert_job;

TARGET_BF16 static void convert_task(void *context, long index) {
  const convert_job *c = context;
  long first = index * c->chunk, count = c->count - first < c->chunk ? c->count - first : c->chunk;
  round_pairs(c->input + first, count, c->pairs + first / 2);
}

void classify_conv_nhwc(const void *packed, int format, const classify_conv_shape *s,
                        const float *input, float *output, const classify_epilogue *epilogue,
                        float *scratch, long threads) {
  if (format == CLASSIFY_FORMAT_BF16_AMX) {
    classify_amx_conv_nhwc(packed, s, input, output, epilogue, scratch, threads);
    return;
  }
  threads = slot_count(threads);
  int swapped = format == CLASSIFY_FORMAT_FP32_SWAPPED, in_place = reads_in_place(s, format);
  format = base_format(format);
  conv_job j = {.s = s, .format = format, .packed = packed, .input = input, .output = output,
                .epilogue = epilogue, .swapped = swapped, .in_place = in_place,
                .weight_step = in_place ? s->outputs : BLOCK};
  // 64-byte aligned regions of the scratch: the zero row, then the slots.
  float *base = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
  memset(base, 0, (size_t)zero_floats(s) * sizeof(float));
  j.zeros = base;
  j.slots = base + zero_floats(s);
  j.slot_floats = in_place ? 0 : slot_floats(s, format);  // in place: no slot is written
  for (int i = 0; i < MAX_SLOTS; i++) {
    atomic_init(&j.busy[i], i < threads ? 0 : 1);
    j.slot_first[i] = j.slot_last[i] = -1;
  }
  j.blocks = blocks_of(s);
  j.depth = depth_of(s, format);
  j.inside = blocks_inside(s, format);
  int converts = converts_input(s, format);
  if (converts) {  // the input rounded to pairs once, in chunks of whole 32-value runs
    uint32_t *pairs = (uint32_t *)(j.slots + slot_count(threads) * j.slot_floats);
    convert_job c = {.input = input, .pairs = pairs,
                     .count = s->images * s->height * s->width * s->channels, .chunk = 1L << 16};
    classify_pool_run((c.count + c.chunk - 1) / c.chunk, threads, convert_task, &c);
    j.input_pairs = pairs;
  }
  j.merge_rows = s->dilation_width == 1 && (format != CLASSIFY_FORMAT_BF16_PAIRS || converts);
  j.short_rows = j.merge_rows && format != CLASSIFY_FORMAT_BF16_PAIRS &&
                 s->kernel_width * s->channels <= 64;
  long plane = s->output_height * s->output_width;
  long pixels = s->images * plane;
  long tiles = (pixels + PIXELS - 1) / PIXELS;
  // On small maps a tile in image order mixes border pixels whose kernels lie partly in the
  // padding, so that every tap has some pixel in the image and all 6 pixels are multiplied for it
  // (a 3×3 on 2×2 maps: 4 of its 9 taps are real for each pixel). There tiles run position by
  // position across the images instead: a tile's pixels share their taps in the padding, and
  // those are skipped (session 16, one core: +10 % for the whole backbone at 32×32, +6–11 % for
  // the 3×3s on 7×7 maps; on 14×14 maps bf16 lost more in reads than it saved).
  j.by_position = taps_of(s) > 1 && plane <= 49 && s->images >= 4;
  // Enough tasks to balance (about 4 a thread), each at least 8 tiles.
  // Tasks by weight block take every tile of their block where there are enough blocks to
  // share (at least 2 a thread): two threads taking chunks of one block would each pack it.
  long want = j.inside ? 4 * threads : j.blocks >= 2 * threads ? 1 : 4 * threads / j.blocks + 1;
  j.tiles_per_task = (tiles + want - 1) / want;
  if (j.tiles_per_task < 8) j.tiles_per_task = 8;
  j.chunks = (tiles + j.tiles_per_task - 1) / j.tiles_per_task;
  classify_pool_run((j.inside ? 1 : j.blocks) * j.chunks, threads, conv_task, &j);
}

#else

long classify_conv_scratch_count(const classify_conv_shape *s, int format, long threads) {
  (void)s, (void)format, (void)threads;
  return 0;
}

void classify_conv_nhwc(const void *packed, int format, const classify_conv_shape *s,
                        const float *input, float *output, const classify_epilogue *epilogue,
                        float *scratch, long threads) {
  // Never called: classify_cpu_has_avx512() is 0 off x86-64.
  (void)packed, (void)format, (void)s, (void)input, (void)output, (void)epilogue, (void)scratch,
      (void)threads;
}

#endif
