// The direct convolution's AMX form (CLASSIFY_FORMAT_BF16_AMX, see direct_conv.h): Intel AMX tile
// multiplies (`tdpbf16ps`) on bf16 pairs, summing in fp32.
//
// A tile register holds 16 rows of 64 bytes. With two A tiles (32 output pixels × 32 depth values
// in bf16), two B tiles (16 depth pairs × 32 output channels) and four fp32 C tiles (32 pixels ×
// 32 channels), one step of 32 depth values is 4 loads and 4 multiplies of 8,192 multiply-adds
// each. A task takes a run of groups of 32 output pixels, gathers each group's inputs (its
// kernel windows in the order tap, channel, padding as zeros) into a bf16 panel in its scratch
// once, and then runs every 32-channel block of the weight over all its groups: the panels stay
// in L2, each weight block is read once per task.
#include "direct_conv_amx.h"

#include "compute_pool.h"

#include <stdatomic.h>
#include <string.h>

#define GROUP 32                  // output pixels per group: two A tiles
#define COLUMNS 32                // output channels per block: two B tiles
#define STEP 32                   // depth values per step: one tile row of bf16
#define PANEL_BYTES (768L << 10)  // the most a task's panels take, so that they stay in L2
#define WEIGHT_CHUNK_BYTES (512L << 10)  // the most weight a chunk of blocks takes
#define MAX_SLOTS 64

static long depth_of(const classify_conv_shape *s) {
  return s->kernel_height * s->kernel_width * s->channels;
}
static long steps_of(const classify_conv_shape *s) { return (depth_of(s) + STEP - 1) / STEP; }
static long blocks_of(const classify_conv_shape *s) { return (s->outputs + COLUMNS - 1) / COLUMNS; }
static long panel_elements(const classify_conv_shape *s) { return GROUP * steps_of(s) * STEP; }

/// Groups a task gathers at most: as many panels as fit in PANEL_BYTES, at least one.
static long groups_per_slot(const classify_conv_shape *s) {
  long groups = PANEL_BYTES / (panel_elements(s) * 2);
  return groups < 1 ? 1 : groups;
}

long classify_amx_packed_count(const classify_conv_shape *s) {
  return blocks_of(s) * steps_of(s) * STEP * COLUMNS;
}

void classify_amx_pack_weight(const float *weight, const classify_conv_shape *s, uint16_t *packed) {
  long taps = s->kernel_height * s->kernel_width, channels = s->channels;
  long steps = steps_of(s);
  memset(packed, 0, (size_t)classify_amx_packed_count(s) * 2);
  // Block b, step t: two B tiles of 16 rows (depth pairs) × 16 channels × 2 (the pair).
  for (long o = 0; o < s->outputs; o++) {
    long block = o / COLUMNS, half = o % COLUMNS / 16, column = o % 16;
    for (long c = 0; c < channels; c++)
      for (long tap = 0; tap < taps; tap++) {
        long k = tap * channels + c, step = k / STEP, pair = k % STEP / 2, within = k % 2;
        classify_round_bf16(
            weight + (o * channels + c) * taps + tap,
            packed + ((((block * steps + step) * 2 + half) * 16 + pair) * 16 + column) * 2 + within,
            1);
      }
  }
}

/// Floats of one thread's slot (whole 64-byte lines): its tile configuration, a group's sums and
/// its panels.
static long slot_floats(const classify_conv_shape *s) {
  return 16 + GROUP * COLUMNS + groups_per_slot(s) * panel_elements(s) / 2;
}

static long slot_count(long threads) { return threads < 1 ? 1 : threads > MAX_SLOTS ? MAX_SLOTS : threads; }

long classify_amx_scratch_floats(const classify_conv_shape *s, long threads) {
  return slot_count(threads) * slot_floats(s) + 16;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512bf16,amx-tile,amx-bf16")))

typedef struct {
  const classify_conv_shape *s;
  const uint16_t *packed;
  const float *input;
  float *output;
  const classify_epilogue *epilogue;
  long steps, blocks, blocks_per_chunk, groups, groups_per_task, slot_floats;
  float *slots;
  _Atomic int busy[MAX_SLOTS];
} amx_job;

/// The tile configuration: tiles 0–3 the sums, 4–5 the inputs, 6–7 the weight; each 16 × 64 B.
typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t bytes_per_row[16];
  uint8_t rows[16];
} tile_config;

/// x[0 … count) as bf16 (round to nearest even) at `target`; neither needs alignment.
TARGET static void to_bf16(const float *x, uint16_t *target, long count) {
  for (long i = 0; i < count; i += 32) {
    long left = count - i;
    __mmask16 low = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
    __mmask16 high = left >= 32 ? 0xFFFF : left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1);
    __m512i words = (__m512i)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(high, x + i + 16),
                                                 _mm512_maskz_loadu_ps(low, x + i));
    __mmask32 mask = left >= 32 ? 0xFFFFFFFFu : (__mmask32)((1u << left) - 1);
    _mm512_mask_storeu_epi16(target + i, mask, words);
  }
}

/// Group `group`'s panel: row r the kernel window of output pixel 32·group + r, in the order
/// (ky, kx, c), zeros for padding, past the depth and past the last pixel.
TARGET static void gather(const amx_job *j, long group, uint16_t *panel) {
  const classify_conv_shape *s = j->s;
  long plane = s->output_height * s->output_width, pixels = s->images * plane;
  long channels = s->channels, width = j->steps * STEP, run = s->kernel_width * channels;
  for (long r = 0; r < GROUP; r++) {
    uint16_t *row = panel + r * width;
    long p = group * GROUP + r;
    memset(row + depth_of(s), 0, (size_t)(width - depth_of(s)) * 2);
    if (p >= pixels) {
      memset(row, 0, (size_t)depth_of(s) * 2);
      continue;
    }
    long n = p / plane, oy = p % plane / s->output_width, ox = p % s->output_width;
    long iy0 = oy * s->stride_height - s->padding_height;
    long ix0 = ox * s->stride_width - s->padding_width;
    int whole = s->dilation_width == 1 && ix0 >= 0 && ix0 + s->kernel_width <= s->width;
    for (long ky = 0; ky < s->kernel_height; ky++) {
      long iy = iy0 + ky * s->dilation_height;
      uint16_t *target = row + ky * run;
      if (iy < 0 || iy >= s->height) {
        memset(target, 0, (size_t)run * 2);
        continue;
      }
      const float *line = j->input + (n * s->height + iy) * s->width * channels;
      if (whole) {
        to_bf16(line + ix0 * channels, target, run);
        continue;
      }
      for (long kx = 0; kx < s->kernel_width; kx++) {
        long ix = ix0 + kx * s->dilation_width;
        if (ix < 0 || ix >= s->width)
          memset(target + kx * channels, 0, (size_t)channels * 2);
        else
          to_bf16(line + ix * channels, target + kx * channels, channels);
      }
    }
  }
}

/// The epilogue (scale, bias, shortcut, ReLU) of one group × block from the sums in `sums`
/// [32][32], stored to the output.
TARGET static void store_group(const amx_job *j, long group, long block, const float *sums) {
  const classify_conv_shape *s = j->s;
  const classify_epilogue *e = j->epilogue;
  long pixels = s->images * s->output_height * s->output_width;
  long p0 = group * GROUP, rows = pixels - p0 < GROUP ? pixels - p0 : GROUP;
  long o0 = block * COLUMNS, width = s->outputs - o0 < COLUMNS ? s->outputs - o0 : COLUMNS;
  __mmask16 masks[2];
  for (int v = 0; v < 2; v++) {
    long left = width - 16 * v;
    masks[v] = left >= 16 ? 0xFFFF : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
  }
  __m512 scale[2], bias[2];
  for (int v = 0; v < 2; v++) {
    scale[v] = e && e->scale ? _mm512_maskz_loadu_ps(masks[v], e->scale + o0 + 16 * v) : _mm512_set1_ps(1);
    bias[v] = e && e->bias ? _mm512_maskz_loadu_ps(masks[v], e->bias + o0 + 16 * v) : _mm512_setzero_ps();
  }
  for (long r = 0; r < rows; r++) {
    float *out = j->output + (p0 + r) * s->outputs + o0;
    const float *residual = e && e->residual ? e->residual + (p0 + r) * e->residual_stride + o0 : NULL;
    for (int v = 0; v < 2; v++) {
      if (!masks[v]) break;
      __m512 y = _mm512_load_ps(sums + r * COLUMNS + 16 * v);
      if (e) {
        if (e->scale) y = _mm512_mul_ps(y, scale[v]);
        y = _mm512_add_ps(y, bias[v]);
        if (residual) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(masks[v], residual + 16 * v));
        if (e->relu) y = _mm512_max_ps(_mm512_setzero_ps(), y);  // NaN stays NaN
      }
      _mm512_mask_storeu_ps(out + 16 * v, masks[v], y);
    }
  }
}

TARGET static void amx_task(void *context, long index) {
  amx_job *j = context;
  int slot = -1;  // a scratch slot no running task holds
  for (int i = 0; slot < 0; i = (i + 1) % MAX_SLOTS)
    if (!atomic_exchange(&j->busy[i], 1)) slot = i;
  float *base = j->slots + slot * j->slot_floats;
  tile_config *config = (tile_config *)base;
  float *sums = base + 16;  // 32 × 32 fp32, 64-byte aligned
  uint16_t *panels = (uint16_t *)(sums + GROUP * COLUMNS);
  long first = index * j->groups_per_task, last = first + j->groups_per_task;
  if (last > j->groups) last = j->groups;
  long width = j->steps * STEP, panel = GROUP * width, stride = width * 2;
  for (long g = first; g < last; g++) gather(j, g, panels + (g - first) * panel);

  memset(config, 0, sizeof *config);
  config->palette = 1;
  for (int t = 0; t < 8; t++) {
    config->rows[t] = 16;
    config->bytes_per_row[t] = 64;
  }
  _tile_loadconfig(config);
  // Blocks in chunks whose weight stays in L2 beside the panels; within a chunk each group runs
  // every block, so its output pixels are stored (and their shortcut read) as whole runs.
  for (long chunk = 0; chunk < j->blocks; chunk += j->blocks_per_chunk) {
    long end = chunk + j->blocks_per_chunk < j->blocks ? chunk + j->blocks_per_chunk : j->blocks;
    for (long g = first; g < last; g++) {
      const uint16_t *a = panels + (g - first) * panel;
      for (long block = chunk; block < end; block++) {
        const uint16_t *w = j->packed + block * j->steps * STEP * COLUMNS;
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
        for (long t = 0; t < j->steps; t++) {
          const uint16_t *b = w + t * STEP * COLUMNS;
          _tile_loadd(4, a + t * STEP, stride);
          _tile_loadd(6, b, 64);
          _tile_loadd(5, a + 16 * width + t * STEP, stride);
          _tile_loadd(7, b + 16 * COLUMNS, 64);
          _tile_dpbf16ps(0, 4, 6);
          _tile_dpbf16ps(1, 4, 7);
          _tile_dpbf16ps(2, 5, 6);
          _tile_dpbf16ps(3, 5, 7);
        }
        _tile_stored(0, sums, COLUMNS * 4);
        _tile_stored(1, sums + 16, COLUMNS * 4);
        _tile_stored(2, sums + 16 * COLUMNS, COLUMNS * 4);
        _tile_stored(3, sums + 16 * COLUMNS + 16, COLUMNS * 4);
        store_group(j, g, block, sums);
      }
    }
  }
  _tile_release();
  atomic_store(&j->busy[slot], 0);
}

void classify_amx_conv_nhwc(const uint16_t *packed, const classify_conv_shape *s,
                            const float *input, float *output, const classify_epilogue *epilogue,
                            float *scratch, long threads) {
  threads = slot_count(threads);
  amx_job j = {.s = s, .packed = packed, .input = input, .output = output, .epilogue = epilogue};
  j.steps = steps_of(s);
  j.blocks = blocks_of(s);
  long block_bytes = j.steps * STEP * COLUMNS * 2;
  j.blocks_per_chunk = WEIGHT_CHUNK_BYTES / block_bytes < 1 ? 1 : WEIGHT_CHUNK_BYTES / block_bytes;
  long pixels = s->images * s->output_height * s->output_width;
  j.groups = (pixels + GROUP - 1) / GROUP;
  // About 4 tasks a thread, each at most a slot's panels.
  long want = 4 * threads, per = (j.groups + want - 1) / want, most = groups_per_slot(s);
  j.groups_per_task = per < 1 ? 1 : per > most ? most : per;
  j.slot_floats = slot_floats(s);
  j.slots = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
  for (int i = 0; i < MAX_SLOTS; i++) atomic_init(&j.busy[i], i < threads ? 0 : 1);
  long tasks = (j.groups + j.groups_per_task - 1) / j.groups_per_task;
  classify_pool_run(tasks, threads, amx_task, &j);
}

#else

void classify_amx_conv_nhwc(const uint16_t *packed, const classify_conv_shape *s,
                            const float *input, float *output, const classify_epilogue *epilogue,
                            float *scratch, long threads) {
  // Never called: classify_cpu_has_amx() is 0 off x86-64.
  (void)packed, (void)s, (void)input, (void)output, (void)epilogue, (void)scratch, (void)threads;
}

#endif
