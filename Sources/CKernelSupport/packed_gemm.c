// GEMMs for frozen weights on AVX-512: fp32 (FMA) and bf16 with fp32 sums (AVX512-BF16
// `vdpbf16ps`: 16 lanes × a pair of products per instruction, twice an FMA's multiply-adds).
// See packed_gemm.h.
//
// Layout, as BLIS-style GEMMs do: A (the frozen weight) is, in bf16, packed once into panels of
// 12 rows as pairs, 16 bits a weight (expanded to fp32 block by block where FMA multiplies), or,
// in fp32, read where it lies (12 rows, lda apart: no copy of the weight at all);
// B is packed into strips of 32 columns (a word is one fp32 k, or a bf16 pair of k rounded on the
// way); a 12×32 micro-kernel keeps 24 accumulators in registers, reads one A word per row
// (broadcast) and two B vectors per word, and stores its tile through the epilogue (bias,
// residual, ReLU) after the last block of k. With enough strips each task packs a block of k of
// its own strips (up to 16) into a buffer of its thread's and runs every A panel block over them
// (A read once per task, B from L2); otherwise B is packed once, whole, shared, and tasks
// split the A panels.
#include "packed_gemm.h"

#include "compute_pool.h"

#include <stdlib.h>
#include <string.h>

#define PANEL CLASSIFY_PACKED_PANEL_ROWS
#define STRIP 32
/// Words of k per block when each task packs its own strips: a strip block is 64 KiB, an A panel
/// block 24 KiB.
#define BLOCK_WORDS 512
/// At most this many strips per task: each A panel block is read once for all of them, and the
/// weight is what a late layer waits on (ResNet-50 forward, 2 threads, interleaved: 16 strips
/// against 4 gave 224×224 fp32 18.7–20.5 against 16.7–20.2 img/s, 32×32 1,191–1,326 against
/// 937–1,270, 224×224 bf16 23.8–25.8 against 19.8–23.2; paired runs agree). The strips of a
/// block of k take 1 MiB, in L2.
#define STRIPS_PER_TASK 16
/// A panels per parallel task when B is shared.
#define PANELS_PER_TASK 8

static uint16_t round_one(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return 0xFFFF;  // NaN, as ATen's vector conversion
  return (uint16_t)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

void classify_round_bf16(const float *x, uint16_t *bits, long count) {
  for (long i = 0; i < count; i++) bits[i] = round_one(x[i]);
}

/// Words per row of packed B: one bf16 pair per two k for BF16_PAIRS, one per k otherwise.
static long words_of(long k, int format) {
  return format == CLASSIFY_FORMAT_BF16_PAIRS ? (k + 1) / 2 : k;
}

long classify_packed_count(long m, long k) {
  long panels = (m + PANEL - 1) / PANEL;
  return panels * PANEL * ((k + 1) / 2);
}

void classify_pack_a(const float *a, long m, long k, long lda, uint32_t *packed) {
  long words = (k + 1) / 2;
  long panels = (m + PANEL - 1) / PANEL;
  for (long panel = 0; panel < panels; panel++) {
    uint32_t *target = packed + panel * PANEL * words;
    for (long p = 0; p < words; p++) {
      for (long r = 0; r < PANEL; r++) {
        long row = panel * PANEL + r;
        uint32_t word = 0;
        if (row < m) {
          uint32_t high = 2 * p + 1 < k ? round_one(a[row * lda + 2 * p + 1]) : 0;
          word = round_one(a[row * lda + 2 * p]) | (high << 16);
        }
        target[p * PANEL + r] = word;
      }
    }
  }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw")))
#define TARGET_BF16 __attribute__((target("avx512f,avx512bw,avx512bf16")))
#define INLINE __attribute__((always_inline)) inline

/// Rounds 16 fp32 lanes to bf16 bits (round-to-nearest-even, NaN → 0xFFFF) in the low half of
/// each 32-bit lane, exactly as `round_one`.
TARGET static __m512i round_lanes(__m512 x) {
  __m512i bits = _mm512_castps_si512(x);
  __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
  __m512i rounded =
      _mm512_srli_epi32(_mm512_add_epi32(bits, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF))), 16);
  __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  return _mm512_mask_mov_epi32(rounded, nan, _mm512_set1_epi32(0xFFFF));
}

typedef struct {
  const uint32_t *packed_a;
  const float *b;
  float *c;
  uint32_t *packed_b;
  int format;
  long m, k, n, ldb, ldc, words, strips, panel_tasks, tasks;
  /// Bias, residual and ReLU applied as C is stored; NULL for none.
  const classify_epilogue *epilogue;
  /// When set, B is this implicit im2col and `b`/`ldb` are unused; per row of B, the input offset
  /// of its tap (`conv_offset`: channel run plus shift) and the tap's shift (`conv_dy`,
  /// `conv_dx`, padding included). `contiguous`: stride 1 and output size = input size, so a
  /// row's 16 lanes are 16 consecutive inputs.
  const classify_conv_input *conv;
  const long *conv_offset;
  const int *conv_dy, *conv_dx;
  int contiguous;
} gemm_job;

/// The 16 columns of B from `start` a packed half-strip reads: masked to n, and for an implicit
/// im2col each lane's input row and column before a tap's shift (its image n and output (oh, ow)
/// read input row oh·sh, column ow·sw of image n) and its input index.
typedef struct {
  __m512i ih, iw, base;
  __mmask16 columns;
} lane_group;

TARGET static lane_group lanes_from(const gemm_job *job, long start) {
  lane_group group;
  long valid = job->n - start;
  group.columns = valid >= 16 ? 0xFFFF : valid <= 0 ? 0 : (__mmask16)((1u << valid) - 1);
  group.ih = group.iw = group.base = _mm512_setzero_si512();
  if (job->conv != NULL) {
    const classify_conv_input *b = job->conv;
    long outputs = b->output_height * b->output_width;
    int lane_ih[16], lane_iw[16], lane_base[16];
    for (int lane = 0; lane < 16; lane++) {
      long column = start + lane < job->n ? start + lane : 0;
      long image = column / outputs, within = column % outputs;
      lane_ih[lane] = (int)(within / b->output_width * b->stride_height);
      lane_iw[lane] = (int)(within % b->output_width * b->stride_width);
      lane_base[lane] =
          (int)(image * b->height * b->width + (long)lane_ih[lane] * b->width + lane_iw[lane]);
    }
    group.ih = _mm512_loadu_si512(lane_ih);
    group.iw = _mm512_loadu_si512(lane_iw);
    group.base = _mm512_loadu_si512(lane_base);
  }
  return group;
}

/// One row of B, read once per row rather than once per half-strip (the stores into the packed
/// buffer may alias the job's `int` fields, so the compiler reloads whatever is read in the
/// half-strip loop): where it starts (explicit: the row itself; implicit im2col: the tap's
/// channel run plus its shift) and, for an implicit im2col, the tap's shift (padding included).
typedef struct {
  const float *source;
  __m512i dy, dx, offset;
  int inside_k;
} b_row;

TARGET INLINE static b_row row_of(const gemm_job *job, long row) {
  b_row r = {.inside_k = row < job->k};
  if (!r.inside_k) return r;
  if (job->conv == NULL) {
    r.source = job->b + row * job->ldb;
  } else {
    r.source = job->conv->input + job->conv_offset[row];
    r.dy = _mm512_set1_epi32(job->conv_dy[row]);
    r.dx = _mm512_set1_epi32(job->conv_dx[row]);
    r.offset = _mm512_set1_epi32((int)job->conv_offset[row]);
  }
  return r;
}

/// What every row of one pack shares: the input's plane and whether lanes are contiguous.
typedef struct {
  const float *input;
  __m512i height, width;
  int implicit, contiguous;
} b_shape;

/// The 16 lanes of row `r` from column `start` of a half-strip. Explicit: one masked load.
/// Implicit im2col: masked to the taps that fall inside their image (an unsigned compare is
/// both bounds) and to n; contiguous lanes are one load, others a gather. Masked-off lanes are
/// never read, so a shifted address may point outside the input. Zero past k.
TARGET INLINE static __m512 row_lanes(const b_row *r, const b_shape *shape, const lane_group *g,
                                      long start) {
  if (!r->inside_k) return _mm512_setzero_ps();
  if (!shape->implicit) return _mm512_maskz_loadu_ps(g->columns, r->source + start);
  __mmask16 inside =
      _mm512_mask_cmplt_epu32_mask(g->columns, _mm512_add_epi32(g->ih, r->dy), shape->height) &
      _mm512_cmplt_epu32_mask(_mm512_add_epi32(g->iw, r->dx), shape->width);
  if (shape->contiguous) return _mm512_maskz_loadu_ps(inside, r->source + start);
  return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), inside,
                                  _mm512_add_epi32(g->base, r->offset), shape->input, 4);
}

/// Packs `count` words from word `first` of `strips` strips from `first_strip` of B into `target`
/// (strip s at `target + s·count·32`): for each word p, 32 words per strip (fp32 B[p][col], or
/// bf16(B[2p][col]) | bf16(B[2p + 1][col]) << 16), zero beyond k and n. Row by row across all the
/// strips, so each row of B is read as one run of up to 512 columns.
TARGET static void pack_block(const gemm_job *job, long first_strip, long strips, long first,
                              long count, uint32_t *restrict target) {
  lane_group groups[2 * STRIPS_PER_TASK];
  const long halves = 2 * strips, base = first_strip * STRIP;
  for (long h = 0; h < halves; h++) groups[h] = lanes_from(job, base + 16 * h);
  const int format = job->format;
  b_shape shape = {.implicit = job->conv != NULL, .contiguous = job->contiguous};
  if (shape.implicit) {
    shape.input = job->conv->input;
    shape.height = _mm512_set1_epi32((int)job->conv->height);
    shape.width = _mm512_set1_epi32((int)job->conv->width);
  }
  for (long p = 0; p < count; p++) {
    long word = first + p;
    uint32_t *line = target + p * STRIP;
    if (format == CLASSIFY_FORMAT_BF16_PAIRS) {
      b_row low = row_of(job, 2 * word), high = row_of(job, 2 * word + 1);
      for (long h = 0; h < halves; h++) {
        long start = base + 16 * h;
        __m512i even = round_lanes(row_lanes(&low, &shape, &groups[h], start));
        __m512i odd = round_lanes(row_lanes(&high, &shape, &groups[h], start));
        __m512i packed = _mm512_or_si512(even, _mm512_slli_epi32(odd, 16));
        _mm512_storeu_si512(line + (h / 2) * count * STRIP + 16 * (h % 2), packed);
      }
    } else {
      b_row row = row_of(job, word);
      for (long h = 0; h < halves; h++) {
        __m512 value = row_lanes(&row, &shape, &groups[h], base + 16 * h);
        __m512i packed = format == CLASSIFY_FORMAT_BF16_VALUES
                             ? _mm512_slli_epi32(round_lanes(value), 16)
                             : _mm512_castps_si512(value);
        _mm512_storeu_si512(line + (h / 2) * count * STRIP + 16 * (h % 2), packed);
      }
    }
  }
}

/// Stores a panel's 12×32 accumulators into C, `rows` and `columns` of them, through the
/// epilogue: × scale[row], + bias[row], + residual (same layout as C), then max(·, 0). One pass
/// over C, written once, instead of one pass per element-wise layer after the GEMM.
TARGET INLINE static void store_tile(__m512 acc[PANEL][2], const gemm_job *job, long row,
                                     long column, long rows, long columns, int accumulate,
                                     int finish) {
  __mmask16 m0 = columns >= 16 ? 0xFFFF : (__mmask16)((1u << columns) - 1);
  __mmask16 m1 =
      columns >= 32 ? 0xFFFF : columns <= 16 ? 0 : (__mmask16)((1u << (columns - 16)) - 1);
  const classify_epilogue *e = finish ? job->epilogue : NULL;
  // Unrolled, so every accumulator is a register of its own: a loop over `rows` indexes them
  // and made the compiler spill all 24 to the stack after each tile.
#pragma clang loop unroll(full)
  for (int r = 0; r < PANEL; r++) {
    if (r >= rows) break;
    float *line = job->c + (row + r) * job->ldc + column;
    __m512 v0 = acc[r][0], v1 = acc[r][1];
    if (accumulate) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, line));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, line + 16));
    }
    if (e != NULL) {
      if (e->scale != NULL) {
        __m512 s = _mm512_set1_ps(e->scale[row + r]);
        v0 = _mm512_mul_ps(v0, s);
        v1 = _mm512_mul_ps(v1, s);
      }
      if (e->bias != NULL) {
        __m512 b = _mm512_set1_ps(e->bias[row + r]);
        v0 = _mm512_add_ps(v0, b);
        v1 = _mm512_add_ps(v1, b);
      }
      if (e->residual != NULL) {
        const float *add = e->residual + (row + r) * e->residual_stride + column;
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, add));
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, add + 16));
      }
      if (e->relu) {
        v0 = _mm512_max_ps(v0, _mm512_setzero_ps());
        v1 = _mm512_max_ps(v1, _mm512_setzero_ps());
      }
    }
    _mm512_mask_storeu_ps(line, m0, v0);
    _mm512_mask_storeu_ps(line + 16, m1, v1);
  }
}

/// Starts fetching the lines of C (and of the residual) a 12×32 tile will store (or, after the
/// first block of k, load), so their misses overlap the tile's FMAs instead of stalling the
/// stores: where k is short (a 1×1 convolution on 64 channels) writing C is otherwise a third
/// of the GEMM's time.
TARGET INLINE static void prefetch_tile(const gemm_job *job, long row, long column, long rows,
                                        int accumulate, int finish) {
  if (!accumulate && !finish) return;
  const classify_epilogue *e = finish ? job->epilogue : NULL;
  for (long r = 0; r < PANEL && r < rows; r++) {
    const char *line = (const char *)(job->c + (row + r) * job->ldc + column);
    _mm_prefetch(line, _MM_HINT_ET0);
    _mm_prefetch(line + 64, _MM_HINT_ET0);
    if (e != NULL && e->residual != NULL) {
      const char *add = (const char *)(e->residual + (row + r) * e->residual_stride + column);
      _mm_prefetch(add, _MM_HINT_T0);
      _mm_prefetch(add + 64, _MM_HINT_T0);
    }
  }
}

/// acc = A panel · B strip over `words` bf16 pairs.
TARGET_BF16 INLINE static void kernel_bf16(long words, const uint32_t *a, const uint32_t *b,
                                    __m512 acc[PANEL][2]) {
  for (int r = 0; r < PANEL; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (long p = 0; p < words; p++) {
    __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
    __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + 16);
    for (int r = 0; r < PANEL; r++) {
      __m512bh broadcast = (__m512bh)_mm512_set1_epi32((int)a[r]);
      acc[r][0] = _mm512_dpbf16_ps(acc[r][0], broadcast, b0);
      acc[r][1] = _mm512_dpbf16_ps(acc[r][1], broadcast, b1);
    }
    a += PANEL;
    b += STRIP;
  }
}

/// acc = A panel · B strip over `words` fp32 k.
TARGET INLINE static void kernel_fp32(long words, const uint32_t *a, const uint32_t *b,
                               __m512 acc[PANEL][2]) {
  for (int r = 0; r < PANEL; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  const float *av = (const float *)a, *bv = (const float *)b;
  for (long p = 0; p < words; p++) {
    __m512 b0 = _mm512_loadu_ps(bv), b1 = _mm512_loadu_ps(bv + 16);
    for (int r = 0; r < PANEL; r++) {
      __m512 broadcast = _mm512_set1_ps(av[r]);
      acc[r][0] = _mm512_fmadd_ps(broadcast, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(broadcast, b1, acc[r][1]);
    }
    av += PANEL;
    bv += STRIP;
  }
}

/// acc = A's rows `row[0…11]` (unpacked) · B strip over `words` fp32 k: the kernel of
/// FP32_ROWS, the same FMAs in the same order as `kernel_fp32`, its 12 broadcasts from 12 rows.
TARGET INLINE static void kernel_rows(long words, const float *const row[PANEL],
                                      const uint32_t *b, __m512 acc[PANEL][2]) {
  for (int r = 0; r < PANEL; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  const float *bv = (const float *)b;
  for (long p = 0; p < words; p++) {
    __m512 b0 = _mm512_loadu_ps(bv), b1 = _mm512_loadu_ps(bv + 16);
    for (int r = 0; r < PANEL; r++) {
      __m512 broadcast = _mm512_set1_ps(row[r][p]);
      acc[r][0] = _mm512_fmadd_ps(broadcast, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(broadcast, b1, acc[r][1]);
    }
    bv += STRIP;
  }
}

/// `panels_over_strips` for FP32_ROWS: A's rows from `packed_a` as row-major fp32 (lda =
/// k); a last panel of fewer than 12 rows repeats its last row (never stored).
TARGET static void panels_over_strips_rows(const gemm_job *job, long first_strip, long strip_count,
                                           const uint32_t *b, long first_word, long count,
                                           long first_panel, long last_panel) {
  int accumulate = first_word > 0, finish = first_word + count >= job->words;
  const float *a = (const float *)job->packed_a;
  for (long panel = first_panel; panel < last_panel; panel++) {
    long rows = job->m - panel * PANEL;
    const float *row[PANEL];
    for (int r = 0; r < PANEL; r++) {
      row[r] = a + (panel * PANEL + (r < rows ? r : rows - 1)) * job->k + first_word;
    }
    for (long s = 0; s < strip_count; s++) {
      long column = (first_strip + s) * STRIP;
      long columns = job->n - column < STRIP ? job->n - column : STRIP;
      __m512 acc[PANEL][2];
      prefetch_tile(job, panel * PANEL, column, rows, accumulate, finish);
      kernel_rows(count, row, b + s * count * STRIP, acc);
      store_tile(acc, job, panel * PANEL, column, rows, columns, accumulate, finish);
    }
  }
}

/// Every A panel in `[first_panel, last_panel)`, packed as bf16 pairs, against `strip_count`
/// packed strips from `first_strip`, over words `[first_word, first_word + count)` on
/// `vdpbf16ps`: each A panel block is read from memory once and runs over every strip while it
/// is in L1; a 12×32 tile's sums stay in registers over the block, are added to C after the
/// first block and go through the epilogue after the last. Compiled for AVX512-BF16, so only
/// BF16_PAIRS ever runs it.
TARGET_BF16 static void panels_over_strips_pairs(const gemm_job *job, long first_strip,
                                                 long strip_count, const uint32_t *b,
                                                 long first_word, long count, long first_panel,
                                                 long last_panel) {
  int accumulate = first_word > 0, finish = first_word + count >= job->words;
  for (long panel = first_panel; panel < last_panel; panel++) {
    const uint32_t *a = job->packed_a + (panel * job->words + first_word) * PANEL;
    for (long s = 0; s < strip_count; s++) {
      long column = (first_strip + s) * STRIP;
      long columns = job->n - column < STRIP ? job->n - column : STRIP;
      __m512 acc[PANEL][2];
      prefetch_tile(job, panel * PANEL, column, job->m - panel * PANEL, accumulate, finish);
      kernel_bf16(count, a, b + s * count * STRIP, acc);
      store_tile(acc, job, panel * PANEL, column, job->m - panel * PANEL, columns, accumulate,
                 finish);
    }
  }
}

/// A buffer of this thread's, grown as needed and kept (the compute pool's threads live as long
/// as the process): the packed strips of B, and an A panel block expanded to fp32.
typedef struct {
  void *memory;
  size_t capacity;
} thread_buffer;
static _Thread_local thread_buffer strips_held, expanded_held;

/// At least `bytes` of `held`, 64-byte aligned; NULL when memory runs out.
static void *grown(thread_buffer *held, size_t bytes) {
  if (bytes > held->capacity) {
    free(held->memory);
    size_t rounded = (bytes + 63) / 64 * 64;
    held->memory = aligned_alloc(64, rounded);
    held->capacity = held->memory != NULL ? rounded : 0;
  }
  return held->memory;
}

/// `panels_over_strips` for BF16_VALUES: A is stored as bf16 pairs (half the memory and the
/// memory traffic of fp32 values); each panel's block is expanded to fp32 values (a bf16 is the
/// high half of its fp32) once, into a buffer of this thread's, then runs over every strip on
/// the fp32 kernel. `first_word` is even (blocks are BLOCK_WORDS long).
TARGET static void panels_over_strips_values(const gemm_job *job, long first_strip,
                                             long strip_count, const uint32_t *b,
                                             long first_word, long count, long first_panel,
                                             long last_panel) {
  int accumulate = first_word > 0, finish = first_word + count >= job->words;
  long pairs = (job->k + 1) / 2, block_pairs = (count + 1) / 2;
  float *expanded = grown(&expanded_held, (size_t)(2 * block_pairs) * PANEL * sizeof(float));
  if (expanded == NULL) abort();
  const __m512i high = _mm512_set1_epi32((int)0xFFFF0000u);
  for (long panel = first_panel; panel < last_panel; panel++) {
    const uint32_t *a = job->packed_a + (panel * pairs + first_word / 2) * PANEL;
    for (long q = 0; q < block_pairs; q++) {
      __m512i words = _mm512_maskz_loadu_epi32(0x0FFF, a + q * PANEL);
      _mm512_mask_storeu_epi32(expanded + 2 * q * PANEL, 0x0FFF, _mm512_slli_epi32(words, 16));
      _mm512_mask_storeu_epi32(expanded + (2 * q + 1) * PANEL, 0x0FFF,
                               _mm512_and_si512(words, high));
    }
    for (long s = 0; s < strip_count; s++) {
      long column = (first_strip + s) * STRIP;
      long columns = job->n - column < STRIP ? job->n - column : STRIP;
      __m512 acc[PANEL][2];
      prefetch_tile(job, panel * PANEL, column, job->m - panel * PANEL, accumulate, finish);
      kernel_fp32(count, (const uint32_t *)expanded, b + s * count * STRIP, acc);
      store_tile(acc, job, panel * PANEL, column, job->m - panel * PANEL, columns, accumulate,
                 finish);
    }
  }
}

static void panels_over_strips(const gemm_job *job, long first_strip, long strip_count,
                               const uint32_t *b, long first_word, long count, long first_panel,
                               long last_panel) {
  if (job->format == CLASSIFY_FORMAT_FP32_ROWS) {
    panels_over_strips_rows(job, first_strip, strip_count, b, first_word, count, first_panel,
                            last_panel);
  } else if (job->format == CLASSIFY_FORMAT_BF16_VALUES) {
    panels_over_strips_values(job, first_strip, strip_count, b, first_word, count, first_panel,
                              last_panel);
  } else {
    panels_over_strips_pairs(job, first_strip, strip_count, b, first_word, count, first_panel,
                             last_panel);
  }
}

/// A task when there are many strips: its share of the strips (at most STRIPS_PER_TASK), block
/// by block of k: the task packs the block of its strips into its thread's buffer (in L1/L2),
/// then every A panel block runs over all of them (no shared packed B, no barrier).
TARGET static void multiply_columns(void *context, long index) {
  gemm_job *job = context;
  long first_strip = index * job->strips / job->tasks;
  long strips = (index + 1) * job->strips / job->tasks - first_strip;
  uint32_t *packed =
      grown(&strips_held, (size_t)STRIPS_PER_TASK * BLOCK_WORDS * STRIP * sizeof(uint32_t));
  if (packed == NULL) abort();
  long panels = (job->m + PANEL - 1) / PANEL;
  long first = 0;
  do {  // at least once: k = 0 still stores epilogue(0)
    long count = job->words - first < BLOCK_WORDS ? job->words - first : BLOCK_WORDS;
    pack_block(job, first_strip, strips, first, count, packed);
    panels_over_strips(job, first_strip, strips, packed, first, count, 0, panels);
    first += count;
  } while (first < job->words);
}

/// Packs strip `strip` (all k) into the shared packed B.
TARGET static void pack_strip(void *context, long strip) {
  gemm_job *job = context;
  pack_block(job, strip, 1, 0, job->words, job->packed_b + strip * job->words * STRIP);
}

/// A task when B is shared: strip `index % strips` against a run of A panels, over all k.
TARGET static void multiply_shared(void *context, long index) {
  gemm_job *job = context;
  long strip = index % job->strips;
  long first_panel = (index / job->strips) * PANELS_PER_TASK;
  long panels = (job->m + PANEL - 1) / PANEL;
  long last_panel = first_panel + PANELS_PER_TASK < panels ? first_panel + PANELS_PER_TASK : panels;
  panels_over_strips(job, strip, 1, job->packed_b + strip * job->words * STRIP, 0, job->words,
                     first_panel, last_panel);
}

static void run(gemm_job job, long threads) {
  if (job.m <= 0 || job.n <= 0) return;
  job.words = words_of(job.k, job.format);
  job.strips = (job.n + STRIP - 1) / STRIP;
  long workers = threads > 1 ? threads : 1;
  if (job.strips >= 4 * workers) {
    // A is read once per task, so tasks take up to STRIPS_PER_TASK strips each; their count is a
    // multiple of the threads and their sizes differ by at most one strip, so every thread gets
    // the same work.
    long rounds = (job.strips + workers * STRIPS_PER_TASK - 1) / (workers * STRIPS_PER_TASK);
    job.tasks = rounds * workers;
    classify_pool_run(job.tasks, threads, multiply_columns, &job);
    return;
  }
  long panels = (job.m + PANEL - 1) / PANEL;
  job.panel_tasks = (panels + PANELS_PER_TASK - 1) / PANELS_PER_TASK;
  long words = job.words > 0 ? job.words : 1;
  job.packed_b = aligned_alloc(64, (size_t)(job.strips * words * STRIP) * sizeof(uint32_t));
  if (job.packed_b == NULL) abort();
  classify_pool_run(job.strips, threads, pack_strip, &job);
  classify_pool_run(job.strips * job.panel_tasks, threads, multiply_shared, &job);
  free(job.packed_b);
}

void classify_packed_gemm(const uint32_t *packed_a, int format, long m, long k, const float *b,
                          long ldb, long n, float *c, long ldc, const classify_epilogue *epilogue,
                          long threads) {
  gemm_job job = {.packed_a = packed_a, .format = format, .b = b, .c = c, .m = m, .k = k, .n = n,
                  .ldb = ldb, .ldc = ldc, .epilogue = epilogue};
  run(job, threads);
}

void classify_packed_gemm_conv(const uint32_t *packed_a, int format, long m, long k,
                               const classify_conv_input *b, float *c, long ldc,
                               const classify_epilogue *epilogue, long threads) {
  long rows = k > 0 ? k : 1;
  long *offset = malloc((size_t)rows * sizeof(long));
  int *dy = malloc((size_t)rows * sizeof(int)), *dx = malloc((size_t)rows * sizeof(int));
  if (offset == NULL || dy == NULL || dx == NULL) abort();
  long taps = b->kernel_height * b->kernel_width, plane = b->height * b->width;
  for (long row = 0; row < k; row++) {
    long channel = row / taps;
    dy[row] = (int)((row / b->kernel_width) % b->kernel_height * b->dilation_height -
                    b->padding_height);
    dx[row] = (int)(row % b->kernel_width * b->dilation_width - b->padding_width);
    offset[row] = channel * b->images * plane + (long)dy[row] * b->width + dx[row];
  }
  int contiguous = b->stride_height == 1 && b->stride_width == 1 &&
                   b->output_height == b->height && b->output_width == b->width;
  gemm_job job = {.packed_a = packed_a, .format = format, .c = c, .m = m, .k = k,
                  .n = b->images * b->output_height * b->output_width, .ldc = ldc, .conv = b,
                  .conv_offset = offset, .conv_dy = dy, .conv_dx = dx, .contiguous = contiguous,
                  .epilogue = epilogue};
  run(job, threads);
  free(offset);
  free(dy);
  free(dx);
}

#else

void classify_packed_gemm(const uint32_t *packed_a, int format, long m, long k, const float *b,
                          long ldb, long n, float *c, long ldc, const classify_epilogue *epilogue,
                          long threads) {
  (void)packed_a, (void)format, (void)m, (void)k, (void)b, (void)ldb, (void)n, (void)c, (void)ldc,
      (void)epilogue, (void)threads;
  abort();  // callers check classify_cpu_has_avx512() first
}

void classify_packed_gemm_conv(const uint32_t *packed_a, int format, long m, long k,
                               const classify_conv_input *b, float *c, long ldc,
                               const classify_epilogue *epilogue, long threads) {
  (void)packed_a, (void)format, (void)m, (void)k, (void)b, (void)c, (void)ldc, (void)epilogue,
      (void)threads;
  abort();  // callers check classify_cpu_has_avx512() first
}

#endif
