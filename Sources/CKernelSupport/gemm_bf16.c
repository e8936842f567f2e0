// bf16 GEMM with fp32 accumulation on AVX512-BF16 (`vdpbf16ps`: 16 lanes × a pair of products
// per instruction, twice the multiply-adds of an fp32 FMA). See gemm_bf16.h.
//
// Layout, as BLIS-style GEMMs do: A (the frozen weight) is packed once into panels of 12 rows;
// B is packed per block of 256 k into strips of 32 columns, rounded to bf16 on the way, each
// k pair of a column one 32-bit word; a 12×32 micro-kernel keeps 24 accumulators in registers,
// reads one A word per row (broadcast) and two B vectors per k pair.
#include "gemm_bf16.h"

#include "compute_pool.h"

#include <stdlib.h>
#include <string.h>

#define PANEL CLASSIFY_BF16_PANEL_ROWS
#define STRIP 32
/// k pairs per packed block of B (256 k): a strip is 32 KiB, an A panel block 12 KiB.
#define BLOCK_PAIRS 128
/// A panels per parallel task.
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

long classify_bf16_packed_count(long m, long k) {
  long panels = (m + PANEL - 1) / PANEL;
  return panels * PANEL * ((k + 1) / 2);
}

void classify_bf16_pack_a(const float *a, long m, long k, long lda, uint32_t *packed) {
  long pairs = (k + 1) / 2;
  long panels = (m + PANEL - 1) / PANEL;
  for (long panel = 0; panel < panels; panel++) {
    uint32_t *target = packed + panel * PANEL * pairs;
    for (long p = 0; p < pairs; p++) {
      for (long r = 0; r < PANEL; r++) {
        long row = panel * PANEL + r;
        uint32_t low = 0, high = 0;
        if (row < m) {
          low = round_one(a[row * lda + 2 * p]);
          if (2 * p + 1 < k) high = round_one(a[row * lda + 2 * p + 1]);
        }
        target[p * PANEL + r] = low | (high << 16);
      }
    }
  }
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int classify_cpu_has_bf16(void) {
  static int cached = -1;
  if (cached >= 0) return cached;
  unsigned eax, ebx, ecx, edx;
  int result = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 27))) {  // OSXSAVE
    unsigned low, high;
    __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    // XMM, YMM, opmask, ZMM_Hi256 and Hi16_ZMM state saved by the OS.
    int os_avx512 = (low & 0xE6) == 0xE6;
    if (os_avx512 && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
      int avx512f = (ebx >> 16) & 1, avx512bw = (ebx >> 30) & 1;
      if (avx512f && avx512bw && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) {
        result = (eax >> 5) & 1;  // AVX512_BF16
      }
    }
  }
  cached = result;
  return result;
}

#define TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))

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
  long m, k, n, ldb, ldc, pairs, first_pair, block_pairs, strips, panel_tasks;
  /// When set, B is this implicit im2col and `b`/`ldb` are unused; per row of B, the offset of
  /// its shifted run from the input (`same_offset`) and its tap's shift (`same_dy`, `same_dx`).
  const classify_same_size_input *same;
  const long *same_offset;
  const int *same_dy, *same_dx;
} gemm_job;

/// Packs `count` k pairs from pair `first` of strip `strip` of B into `target`: for each pair
/// p, 32 words (bf16(B[2p][col]) | bf16(B[2p + 1][col]) << 16), zero beyond k and n.
TARGET static void pack_same_size(const gemm_job *job, long strip, long first, long count,
                                  uint32_t *target);

TARGET static void pack_block(const gemm_job *job, long strip, long first, long count,
                              uint32_t *target) {
  if (job->same != NULL) {
    pack_same_size(job, strip, first, count, target);
    return;
  }
  long column = strip * STRIP;
  for (long p = 0; p < count; p++) {
    long row = 2 * (first + p);
    for (long half = 0; half < 2; half++) {
      long start = column + 16 * half;
      long valid = job->n - start;
      __mmask16 mask = valid >= 16 ? 0xFFFF : valid <= 0 ? 0 : (__mmask16)((1u << valid) - 1);
      __m512 low = _mm512_maskz_loadu_ps(mask, job->b + row * job->ldb + start);
      __m512 high = row + 1 < job->k
                        ? _mm512_maskz_loadu_ps(mask, job->b + (row + 1) * job->ldb + start)
                        : _mm512_setzero_ps();
      __m512i word = _mm512_or_si512(round_lanes(low), _mm512_slli_epi32(round_lanes(high), 16));
      _mm512_storeu_si512(target + p * STRIP + 16 * half, word);
    }
  }
}

/// The 16 lanes of row `row` of the implicit im2col from column `start`: channel c's run shifted
/// by the tap's offset, masked to the taps that fall inside their image and to columns < n.
TARGET static __m512 same_size_lanes(const gemm_job *job, long row, long start, __m512i oh,
                                     __m512i ow, __mmask16 columns) {
  const classify_same_size_input *b = job->same;
  __m512i y = _mm512_add_epi32(oh, _mm512_set1_epi32(job->same_dy[row]));
  __m512i x = _mm512_add_epi32(ow, _mm512_set1_epi32(job->same_dx[row]));
  __mmask16 inside = columns & _mm512_cmpge_epi32_mask(y, _mm512_setzero_si512()) &
                     _mm512_cmplt_epi32_mask(y, _mm512_set1_epi32((int)b->height)) &
                     _mm512_cmpge_epi32_mask(x, _mm512_setzero_si512()) &
                     _mm512_cmplt_epi32_mask(x, _mm512_set1_epi32((int)b->width));
  // Masked-off lanes are never read, so the shifted address may point outside the run.
  return _mm512_maskz_loadu_ps(inside, b->input + job->same_offset[row] + start);
}

TARGET static void pack_same_size(const gemm_job *job, long strip, long first, long count,
                                  uint32_t *target) {
  const classify_same_size_input *b = job->same;  // for the plane's size
  long plane = b->height * b->width;
  for (long half = 0; half < 2; half++) {
    long start = strip * STRIP + 16 * half;
    int lane_oh[16], lane_ow[16];
    for (int lane = 0; lane < 16; lane++) {
      long within = (start + lane) % plane;
      lane_oh[lane] = (int)(within / b->width);
      lane_ow[lane] = (int)(within % b->width);
    }
    __m512i oh = _mm512_loadu_si512(lane_oh), ow = _mm512_loadu_si512(lane_ow);
    long valid = job->n - start;
    __mmask16 columns = valid >= 16 ? 0xFFFF : valid <= 0 ? 0 : (__mmask16)((1u << valid) - 1);
    for (long p = 0; p < count; p++) {
      long row = 2 * (first + p);
      __m512 low = same_size_lanes(job, row, start, oh, ow, columns);
      __m512 high = row + 1 < job->k ? same_size_lanes(job, row + 1, start, oh, ow, columns)
                                     : _mm512_setzero_ps();
      __m512i word = _mm512_or_si512(round_lanes(low), _mm512_slli_epi32(round_lanes(high), 16));
      _mm512_storeu_si512(target + p * STRIP + 16 * half, word);
    }
  }
}

/// Packs strip `strip` of the current block of B into the shared packed B.
TARGET static void pack_strip(void *context, long strip) {
  gemm_job *job = context;
  pack_block(job, strip, job->first_pair, job->block_pairs,
             job->packed_b + strip * job->block_pairs * STRIP);
}

/// C[rows × columns] (+)= A panel · B strip over `pairs` k pairs.
TARGET static void kernel(long pairs, const uint32_t *a, const uint32_t *b, float *c, long ldc,
                          long rows, long columns, int accumulate) {
  __m512 acc[PANEL][2];
  for (int r = 0; r < PANEL; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (long p = 0; p < pairs; p++) {
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
  __mmask16 m0 = columns >= 16 ? 0xFFFF : (__mmask16)((1u << columns) - 1);
  __mmask16 m1 = columns >= 32 ? 0xFFFF : columns <= 16 ? 0 : (__mmask16)((1u << (columns - 16)) - 1);
  for (int r = 0; r < PANEL && r < rows; r++) {
    float *line = c + r * ldc;
    __m512 v0 = acc[r][0], v1 = acc[r][1];
    if (accumulate) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, line));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, line + 16));
    }
    _mm512_mask_storeu_ps(line, m0, v0);
    _mm512_mask_storeu_ps(line + 16, m1, v1);
  }
}

/// One task: strip `index % strips` against a run of A panels.
TARGET static void multiply(void *context, long index) {
  gemm_job *job = context;
  long strip = index % job->strips;
  long first_panel = (index / job->strips) * PANELS_PER_TASK;
  long panels = (job->m + PANEL - 1) / PANEL;
  const uint32_t *b = job->packed_b + strip * job->block_pairs * STRIP;
  long column = strip * STRIP;
  long columns = job->n - column < STRIP ? job->n - column : STRIP;
  for (long panel = first_panel; panel < panels && panel < first_panel + PANELS_PER_TASK;
       panel++) {
    const uint32_t *a = job->packed_a + (panel * job->pairs + job->first_pair) * PANEL;
    long row = panel * PANEL;
    kernel(job->block_pairs, a, b, job->c + row * job->ldc + column, job->ldc, job->m - row,
           columns, job->first_pair > 0);
  }
}

TARGET static void kernel(long pairs, const uint32_t *a, const uint32_t *b, float *c, long ldc,
                          long rows, long columns, int accumulate);

/// One task when there are many strips: strip `strip` against every A panel, block by block of
/// k, its packed block kept in this thread's cache (no shared packed B, no barrier per block).
TARGET static void multiply_strip(void *context, long strip) {
  gemm_job *job = context;
  _Alignas(64) uint32_t packed[BLOCK_PAIRS * STRIP];
  long panels = (job->m + PANEL - 1) / PANEL;
  long column = strip * STRIP;
  long columns = job->n - column < STRIP ? job->n - column : STRIP;
  for (long first = 0; first < job->pairs; first += BLOCK_PAIRS) {
    long count = job->pairs - first < BLOCK_PAIRS ? job->pairs - first : BLOCK_PAIRS;
    pack_block(job, strip, first, count, packed);
    for (long panel = 0; panel < panels; panel++) {
      const uint32_t *a = job->packed_a + (panel * job->pairs + first) * PANEL;
      long row = panel * PANEL;
      kernel(count, a, packed, job->c + row * job->ldc + column, job->ldc, job->m - row, columns,
             first > 0);
    }
  }
}

static void run(gemm_job job, long threads);

void classify_gemm_bf16(const uint32_t *packed_a, long m, long k, const float *b, long ldb, long n,
                        float *c, long ldc, long threads) {
  gemm_job job = {.packed_a = packed_a, .b = b, .c = c, .m = m, .k = k, .n = n, .ldb = ldb,
                  .ldc = ldc};
  run(job, threads);
}

void classify_gemm_bf16_same_size(const uint32_t *packed_a, long m, long k,
                                  const classify_same_size_input *b, float *c, long ldc,
                                  long threads) {
  long *offset = malloc((size_t)(k > 0 ? k : 1) * sizeof(long));
  int *dy = malloc((size_t)(k > 0 ? k : 1) * sizeof(int));
  int *dx = malloc((size_t)(k > 0 ? k : 1) * sizeof(int));
  if (offset == NULL || dy == NULL || dx == NULL) abort();
  long taps = b->kernel_height * b->kernel_width, plane = b->height * b->width;
  for (long row = 0; row < k; row++) {
    long channel = row / taps;
    dy[row] = (int)((row / b->kernel_width) % b->kernel_height * b->dilation_height -
                    b->padding_height);
    dx[row] = (int)(row % b->kernel_width * b->dilation_width - b->padding_width);
    offset[row] = channel * b->images * plane + (long)dy[row] * b->width + dx[row];
  }
  gemm_job job = {.packed_a = packed_a, .c = c, .m = m, .k = k,
                  .n = b->images * b->height * b->width, .ldc = ldc, .same = b,
                  .same_offset = offset, .same_dy = dy, .same_dx = dx};
  run(job, threads);
  free(offset);
  free(dy);
  free(dx);
}

static void run(gemm_job job, long threads) {
  long m = job.m, k = job.k, n = job.n;
  float *c = job.c;
  long ldc = job.ldc;
  if (m <= 0 || n <= 0) return;
  long pairs = (k + 1) / 2;
  if (pairs == 0) {
    for (long row = 0; row < m; row++) memset(c + row * ldc, 0, (size_t)n * sizeof(float));
    return;
  }
  job.pairs = pairs;
  job.strips = (n + STRIP - 1) / STRIP;
  if (job.strips >= 4 * (threads > 1 ? threads : 1)) {
    // Enough strips to share out: each packs its own, so packed B never leaves the cache.
    classify_pool_run(job.strips, threads, multiply_strip, &job);
    return;
  }
  long panels = (m + PANEL - 1) / PANEL;
  job.panel_tasks = (panels + PANELS_PER_TASK - 1) / PANELS_PER_TASK;
  long block = pairs < BLOCK_PAIRS ? pairs : BLOCK_PAIRS;
  job.packed_b = aligned_alloc(64, (size_t)(job.strips * block * STRIP) * sizeof(uint32_t));
  if (job.packed_b == NULL) abort();
  for (long first = 0; first < pairs; first += BLOCK_PAIRS) {
    job.first_pair = first;
    job.block_pairs = pairs - first < BLOCK_PAIRS ? pairs - first : BLOCK_PAIRS;
    classify_pool_run(job.strips, threads, pack_strip, &job);
    classify_pool_run(job.strips * job.panel_tasks, threads, multiply, &job);
  }
  free(job.packed_b);
}

#else

int classify_cpu_has_bf16(void) { return 0; }

void classify_gemm_bf16_same_size(const uint32_t *packed_a, long m, long k,
                                  const classify_same_size_input *b, float *c, long ldc,
                                  long threads) {
  (void)packed_a, (void)m, (void)k, (void)b, (void)c, (void)ldc, (void)threads;
  abort();  // callers check classify_cpu_has_bf16() first
}

void classify_gemm_bf16(const uint32_t *packed_a, long m, long k, const float *b, long ldb, long n,
                        float *c, long ldc, long threads) {
  (void)packed_a, (void)m, (void)k, (void)b, (void)ldb, (void)n, (void)c, (void)ldc, (void)threads;
  abort();  // callers check classify_cpu_has_bf16() first
}

#endif
