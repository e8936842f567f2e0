// The direct convolution's AMX form (CLASSIFY_FORMAT_BF16_AMX, see direct_conv.h): Intel AMX tile
// multiplies (`tdpbf16ps`) on bf16 pairs, summing in fp32.
//
// A tile register holds 16 rows of 64 bytes. With two A tiles (32 output pixels × 32 depth values
// in bf16), two B tiles (16 depth pairs × 32 output channels) and four fp32 C tiles (32 pixels ×
// 32 channels), one step of 32 depth values is 4 loads and 4 multiplies of 8,192 multiply-adds
// each. Two ways to feed the A tiles:
// - Implicit (a kernel larger than 1×1 at stride 1, channels a multiple of 32): the input
//   is converted to bf16 once, zero-padded, into the scratch. Output pixel (y, x) of a padded
//   plane of width Wp is row q = y·Wp + x, and its input for tap (ky, kx) is padded pixel
//   q + ky·Wp + kx: each tap's A tile is 16 consecutive padded pixels loaded where they lie, and
//   the rows that fall on padding columns are computed and dropped.
// - Gathered (the rest: the stem, 1×1s, 3×3 stride 2): a task gathers each of its groups' kernel
//   windows (in the order tap, channel, padding as zeros) into a bf16 panel in its scratch.
// A task is a run of groups × an L2-sized chunk of the weight's blocks: a large weight is read by
// few tasks, and each group runs every block of the chunk before the next group, so its output
// pixels are stored (and their shortcut read) as whole runs.
#include "direct_conv_amx.h"

#include "compute_pool.h"

#include <stdatomic.h>
#include <string.h>

#define GROUP 32                          // output pixels per group: two A tiles
#define COLUMNS 32                        // output channels per block: two B tiles
#define STEP 32                           // depth values per step: one tile row of bf16
#define PANEL_BYTES (768L << 10)          // the most a task's panels take, so that they stay in L2
#define WEIGHT_CHUNK_BYTES (512L << 10)  // the most weight a chunk of blocks takes
#define MAX_SLOTS 64

static long depth_of(const classify_conv_shape *s) {
  return s->kernel_height * s->kernel_width * s->channels;
}
static long steps_of(const classify_conv_shape *s) { return (depth_of(s) + STEP - 1) / STEP; }
static long blocks_of(const classify_conv_shape *s) { return (s->outputs + COLUMNS - 1) / COLUMNS; }
static long panel_elements(const classify_conv_shape *s) { return GROUP * steps_of(s) * STEP; }

/// How the implicit form sees a layer: `planes` padded planes of `rows` × `width` pixels
/// (`output_rows` of them produce outputs, of which the first `output_width` columns are kept).
typedef struct {
  long planes, rows, width, output_rows, output_width;
} implicit_plane;

static int implicit_of(const classify_conv_shape *s, implicit_plane *v) {
  if (s->channels % STEP != 0 || s->dilation_height != 1 || s->dilation_width != 1) return 0;
  if (s->kernel_height * s->kernel_width == 1) return 0;  // measured: gathering is faster
  if (s->stride_height != 1 || s->stride_width != 1) return 0;
  long width = s->width + 2 * s->padding_width;
  *v = (implicit_plane){s->images, s->height + 2 * s->padding_height, width, s->output_height,
                        s->output_width};
  // Not where the rows on padding columns (and a plane's last, short group) would add more than
  // a third to the groups gathering needs: small planes (8×8 and less, CIFAR's) gather.
  long rows_per_plane = (s->output_height * width + GROUP - 1) / GROUP;
  long gathered = (s->images * s->output_height * s->output_width + GROUP - 1) / GROUP;
  return 3 * s->images * rows_per_plane <= 4 * gathered;
}

/// Groups of one plane in the implicit form: its output rows, 32 at a time.
static long implicit_groups_per_plane(const implicit_plane *v) {
  return (v->output_rows * v->width + GROUP - 1) / GROUP;
}

/// bf16 elements of the implicit form's padded input: its planes, then room for the last group's
/// reads past the end (at most 32 rows and a kernel row beyond its last output row).
static long implicit_elements(const classify_conv_shape *s, const implicit_plane *v) {
  return (v->planes * v->rows * v->width + GROUP + 2 * v->width + s->kernel_width) * s->channels;
}

/// Groups a task gathers at most: as many panels as fit in PANEL_BYTES, at least one.
static long groups_per_slot(const classify_conv_shape *s) {
  long groups = PANEL_BYTES / (panel_elements(s) * 2);
  return groups < 1 ? 1 : groups;
}

long classify_amx_packed_count(const classify_conv_shape *s) {
  return blocks_of(s) * steps_of(s) * STEP * COLUMNS;
}

/// Where the weight's value (o, c, tap) lies in the packed AMX form. Block b, step t: two B tiles
/// of 16 rows (depth pairs) × 16 channels × 2 (the pair). Packing and unpacking share it.
static long amx_position(const classify_conv_shape *s, long o, long c, long tap) {
  long block = o / COLUMNS, half = o % COLUMNS / 16, column = o % 16;
  long k = tap * s->channels + c, step = k / STEP, pair = k % STEP / 2, within = k % 2;
  return ((((block * steps_of(s) + step) * 2 + half) * 16 + pair) * 16 + column) * 2 + within;
}

void classify_amx_pack_weight(const float *weight, const classify_conv_shape *s, uint16_t *packed) {
  long taps = s->kernel_height * s->kernel_width, channels = s->channels;
  memset(packed, 0, (size_t)classify_amx_packed_count(s) * 2);
  for (long o = 0; o < s->outputs; o++)
    for (long c = 0; c < channels; c++)
      for (long tap = 0; tap < taps; tap++)
        classify_round_bf16(weight + (o * channels + c) * taps + tap,
                            packed + amx_position(s, o, c, tap), 1);
}

void classify_amx_unpack_weight(const uint16_t *packed, const classify_conv_shape *s,
                                float *weight) {
  long taps = s->kernel_height * s->kernel_width, channels = s->channels;
  for (long o = 0; o < s->outputs; o++)
    for (long c = 0; c < channels; c++)
      for (long tap = 0; tap < taps; tap++)
        weight[(o * channels + c) * taps + tap] =
            classify_bf16_to_float(packed[amx_position(s, o, c, tap)]);
}

/// Floats of one thread's slot (whole 64-byte lines): its tile configuration, a group's sums and,
/// gathering, its panels.
static long slot_floats(const classify_conv_shape *s) {
  implicit_plane v;
  long panels = implicit_of(s, &v) ? 0 : groups_per_slot(s) * panel_elements(s) / 2;
  return 16 + GROUP * COLUMNS + panels;
}

static long slot_count(long threads) { return threads < 1 ? 1 : threads > MAX_SLOTS ? MAX_SLOTS : threads; }

long classify_amx_scratch_floats(const classify_conv_shape *s, long threads) {
  implicit_plane v;
  long padded = implicit_of(s, &v) ? (implicit_elements(s, &v) + 1) / 2 + 16 : 0;
  return slot_count(threads) * slot_floats(s) + padded + 16;
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
  long steps, blocks, blocks_per_chunk, chunks, groups, groups_per_task, ranges, slot_floats;
  int implicit;
  implicit_plane plane;
  uint16_t *padded;  // the implicit form's bf16 input
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

/// Row `index` of the implicit form's padded input (plane index / rows, row index % rows): zeros
/// on the padding, the input's pixels as bf16 elsewhere.
TARGET static void pad_task(void *context, long index) {
  const amx_job *j = context;
  const classify_conv_shape *s = j->s;
  const implicit_plane *v = &j->plane;
  long c = s->channels;
  uint16_t *row = j->padded + index * v->width * c;
  long n = index / v->rows, iy = index % v->rows - s->padding_height;
  if (iy < 0 || iy >= s->height) {
    memset(row, 0, (size_t)(v->width * c) * 2);
    return;
  }
  long left = s->padding_width, inner = s->width;
  memset(row, 0, (size_t)(left * c) * 2);
  to_bf16(j->input + (n * s->height + iy) * s->width * c, row + left * c, inner * c);
  memset(row + (left + inner) * c, 0, (size_t)((v->width - left - inner) * c) * 2);
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

/// The output pixel of each of group `group`'s 32 rows, -1 for a row that has none (past the last
/// pixel, or on the implicit form's padding columns).
static void group_pixels(const amx_job *j, long group, long *pixels) {
  const classify_conv_shape *s = j->s;
  if (!j->implicit) {
    long count = s->images * s->output_height * s->output_width;
    for (long r = 0; r < GROUP; r++) pixels[r] = group * GROUP + r < count ? group * GROUP + r : -1;
    return;
  }
  const implicit_plane *v = &j->plane;
  long per_plane = implicit_groups_per_plane(v), plane = group / per_plane;
  for (long r = 0; r < GROUP; r++) {
    long q = group % per_plane * GROUP + r, y = q / v->width, x = q % v->width;
    pixels[r] = y < v->output_rows && x < v->output_width
                    ? (plane * v->output_rows + y) * v->output_width + x
                    : -1;
  }
}

/// The epilogue (scale, bias, shortcut, ReLU) of one group × block from the sums in `sums`
/// [32][32], stored to the output pixels `pixels` (as `group_pixels`).
TARGET static void store_group(const amx_job *j, const long *pixels, long block, const float *sums) {
  const classify_conv_shape *s = j->s;
  const classify_epilogue *e = j->epilogue;
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
  for (long r = 0; r < GROUP; r++) {
    long p = pixels[r];
    if (p < 0) continue;
    float *out = j->output + p * s->outputs + o0;
    const float *residual = e && e->residual ? e->residual + p * e->residual_stride + o0 : NULL;
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

/// Stores the four sum tiles to `sums` [32][32] and applies the epilogue to the output.
TARGET static void finish_block(const amx_job *j, const long *pixels, long block, float *sums) {
  _tile_stored(0, sums, COLUMNS * 4);
  _tile_stored(1, sums + 16, COLUMNS * 4);
  _tile_stored(2, sums + 16 * COLUMNS, COLUMNS * 4);
  _tile_stored(3, sums + 16 * COLUMNS + 16, COLUMNS * 4);
  store_group(j, pixels, block, sums);
}

/// One group × block of the implicit form: for each tap, the channels in steps of 32, each A
/// tile 16 padded pixels (`C` elements apart) where they lie.
TARGET static void implicit_block(const amx_job *j, long group, const uint16_t *w) {
  const classify_conv_shape *s = j->s;
  const implicit_plane *v = &j->plane;
  long c = s->channels, per_plane = implicit_groups_per_plane(v), stride = c * 2;
  const uint16_t *base =
      j->padded + (group / per_plane * v->rows * v->width + group % per_plane * GROUP) * c;
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (long ky = 0; ky < s->kernel_height; ky++)
    for (long kx = 0; kx < s->kernel_width; kx++) {
      const uint16_t *a = base + (ky * v->width + kx) * c;
      for (long k = 0; k < c; k += STEP, w += STEP * COLUMNS) {
        _tile_loadd(4, a + k, stride);
        _tile_loadd(6, w, 64);
        _tile_loadd(5, a + 16 * c + k, stride);
        _tile_loadd(7, w + 16 * COLUMNS, 64);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
      }
    }
}

/// One group × block of the gathered form, from the group's panel `a`.
TARGET static void gathered_block(const amx_job *j, const uint16_t *a, const uint16_t *w) {
  long width = j->steps * STEP, stride = width * 2;
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (long t = 0; t < j->steps; t++, w += STEP * COLUMNS) {
    _tile_loadd(4, a + t * STEP, stride);
    _tile_loadd(6, w, 64);
    _tile_loadd(5, a + 16 * width + t * STEP, stride);
    _tile_loadd(7, w + 16 * COLUMNS, 64);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
}

/// Task `index`: a run of groups (`index % ranges`) and one chunk of blocks (`index / ranges`).
TARGET static void amx_task(void *context, long index) {
  amx_job *j = context;
  int slot = -1;  // a scratch slot no running task holds
  for (int i = 0; slot < 0; i = (i + 1) % MAX_SLOTS)
    if (!atomic_exchange(&j->busy[i], 1)) slot = i;
  float *base = j->slots + slot * j->slot_floats;
  tile_config *config = (tile_config *)base;
  float *sums = base + 16;  // 32 × 32 fp32, 64-byte aligned
  uint16_t *panels = (uint16_t *)(sums + GROUP * COLUMNS);
  long first = index % j->ranges * j->groups_per_task, last = first + j->groups_per_task;
  if (last > j->groups) last = j->groups;
  long chunk = index / j->ranges;
  long panel = panel_elements(j->s), block_elements = j->steps * STEP * COLUMNS;
  if (!j->implicit)
    for (long g = first; g < last; g++) gather(j, g, panels + (g - first) * panel);

  memset(config, 0, sizeof *config);
  config->palette = 1;
  for (int t = 0; t < 8; t++) {
    config->rows[t] = 16;
    config->bytes_per_row[t] = 64;
  }
  _tile_loadconfig(config);
  long pixels[GROUP];
  long start = chunk * j->blocks_per_chunk;
  long end = start + j->blocks_per_chunk < j->blocks ? start + j->blocks_per_chunk : j->blocks;
  for (long g = first; g < last; g++) {
    group_pixels(j, g, pixels);
    for (long block = start; block < end; block++) {
      const uint16_t *w = j->packed + block * block_elements;
      if (j->implicit)
        implicit_block(j, g, w);
      else
        gathered_block(j, panels + (g - first) * panel, w);
      finish_block(j, pixels, block, sums);
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
  j.chunks = (j.blocks + j.blocks_per_chunk - 1) / j.blocks_per_chunk;
  j.implicit = implicit_of(s, &j.plane);
  j.slot_floats = slot_floats(s);
  j.slots = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
  long want = 4 * threads;  // about 4 tasks a thread
  if (j.implicit) {
    j.padded = (uint16_t *)(j.slots + threads * j.slot_floats);
    long rows = j.plane.planes * j.plane.rows, total = implicit_elements(s, &j.plane);
    classify_pool_run(rows, threads, pad_task, &j);
    memset(j.padded + rows * j.plane.width * s->channels, 0,
           (size_t)(total - rows * j.plane.width * s->channels) * 2);
    j.groups = j.plane.planes * implicit_groups_per_plane(&j.plane);
  } else {
    long pixels = s->images * s->output_height * s->output_width;
    j.groups = (pixels + GROUP - 1) / GROUP;
  }
  // Each chunk of the weight read by as few runs of groups as keep the threads busy (gathering,
  // each run at most a slot's panels).
  long ranges = (want + j.chunks - 1) / j.chunks, most = j.implicit ? j.groups : groups_per_slot(s);
  if (ranges > j.groups) ranges = j.groups;
  j.groups_per_task = (j.groups + ranges - 1) / ranges;
  if (j.groups_per_task > most) j.groups_per_task = most;
  j.ranges = (j.groups + j.groups_per_task - 1) / j.groups_per_task;
  for (int i = 0; i < MAX_SLOTS; i++) atomic_init(&j.busy[i], i < threads ? 0 : 1);
  long tasks = j.ranges * j.chunks;
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
