// The whole ResNet-50 backbone (224×224 by default) on Debian's oneDNN 2.6 convolution primitive:
// how fast a well-kept library runs this network on this CPU, next to the peers (docs/BENCHMARKS.md).
// Random weights; BN folded away (the convolutions carry a bias); the last 1×1 of each block adds
// the shortcut and applies ReLU as post-ops, as a folded engine would. Not a dependency of classify.
// Build and run from the repository root (needs libdnnl-dev):
//   clang -O2 scripts/bench/onednn_resnet50.c -o /tmp/onednn_resnet50 -ldnnl -lm
//   OMP_NUM_THREADS=2 /tmp/onednn_resnet50 [SIZE BATCH ITERATIONS [nChw16c|nhwc]]
#include <oneapi/dnnl/dnnl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call)                                                        \
  do {                                                                     \
    dnnl_status_t s_ = (call);                                             \
    if (s_ != dnnl_success) {                                              \
      fprintf(stderr, "%s:%d: %s failed (%d)\n", __FILE__, __LINE__, #call, s_); \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static dnnl_engine_t engine;
static dnnl_stream_t stream;
static dnnl_format_tag_t tag = dnnl_nChw16c;

typedef struct {
  dnnl_primitive_t prim;
  dnnl_memory_t weights, bias;
  int sum;  // adds dst's prior content (the shortcut), then ReLU
} conv_t;

static dnnl_memory_t activation(long n, long c, long h, long w) {
  dnnl_memory_desc_t md;
  dnnl_dims_t dims = {n, c, h, w};
  CHECK(dnnl_memory_desc_init_by_tag(&md, 4, dims, dnnl_f32, tag));
  dnnl_memory_t m;
  CHECK(dnnl_memory_create(&m, &md, engine, DNNL_MEMORY_ALLOCATE));
  void *p;
  CHECK(dnnl_memory_get_data_handle(m, &p));
  memset(p, 0, dnnl_memory_desc_get_size(&md));
  return m;
}

static void fill(dnnl_memory_t m, float scale) {
  const dnnl_memory_desc_t *md;
  CHECK(dnnl_memory_get_memory_desc(m, &md));
  float *p;
  CHECK(dnnl_memory_get_data_handle(m, (void **)&p));
  size_t count = dnnl_memory_desc_get_size(md) / 4;
  for (size_t i = 0; i < count; i++) p[i] = ((float)((i * 2654435761u) % 1000) / 1000.f - 0.5f) * scale;
}

static long out_size(long in, long k, long s, long p) { return (in + 2 * p - k) / s + 1; }

static conv_t make_conv(long n, long ic, long oc, long h, long w, long k, long s, long p,
                        int relu, int sum, dnnl_format_tag_t src_tag) {
  long oh = out_size(h, k, s, p), ow = out_size(w, k, s, p);
  dnnl_memory_desc_t src, wei, bia, dst;
  dnnl_dims_t sd = {n, ic, h, w}, wd = {oc, ic, k, k}, bd = {oc}, dd = {n, oc, oh, ow};
  CHECK(dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, src_tag));
  CHECK(dnnl_memory_desc_init_by_tag(&wei, 4, wd, dnnl_f32, dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&bia, 1, bd, dnnl_f32, dnnl_x));
  CHECK(dnnl_memory_desc_init_by_tag(&dst, 4, dd, dnnl_f32, tag));
  dnnl_dims_t strides = {s, s}, pad = {p, p};
  dnnl_convolution_desc_t cd;
  CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                           &src, &wei, &bia, &dst, strides, pad, pad));
  dnnl_primitive_attr_t attr;
  CHECK(dnnl_primitive_attr_create(&attr));
  dnnl_post_ops_t ops;
  CHECK(dnnl_post_ops_create(&ops));
  if (sum) CHECK(dnnl_post_ops_append_sum(ops, 1.f));
  if (relu) CHECK(dnnl_post_ops_append_eltwise(ops, 1.f, dnnl_eltwise_relu, 0.f, 0.f));
  CHECK(dnnl_primitive_attr_set_post_ops(attr, ops));
  dnnl_primitive_desc_t pd;
  CHECK(dnnl_primitive_desc_create(&pd, &cd, attr, engine, NULL));
  conv_t conv = {0};
  conv.sum = sum;
  CHECK(dnnl_primitive_create(&conv.prim, pd));
  const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  CHECK(dnnl_memory_create(&conv.weights, wmd, engine, DNNL_MEMORY_ALLOCATE));
  fill(conv.weights, 2.f * sqrtf(6.f / (float)(ic * k * k)));  // He-uniform: no denormals deep in
  CHECK(dnnl_memory_create(&conv.bias, &bia, engine, DNNL_MEMORY_ALLOCATE));
  fill(conv.bias, 0.01f);
  const char *info;
  CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &info));
  static int printed = 0;
  if (printed++ < 4 || getenv("VERBOSE")) fprintf(stderr, "conv %ld→%ld %ldx%ld k%ld s%ld: %s\n", ic, oc, h, w, k, s, info);
  return conv;
}

static void run_conv(conv_t *c, dnnl_memory_t src, dnnl_memory_t dst) {
  dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, c->weights},
                            {DNNL_ARG_BIAS, c->bias}, {DNNL_ARG_DST, dst}};
  CHECK(dnnl_primitive_execute(c->prim, stream, 4, args));
}

static dnnl_primitive_t make_pool(long n, long c, long h, long w, long k, long s, long p,
                                  dnnl_alg_kind_t alg) {
  long oh = out_size(h, k, s, p), ow = out_size(w, k, s, p);
  dnnl_memory_desc_t src, dst;
  dnnl_dims_t sd = {n, c, h, w}, dd = {n, c, oh, ow};
  CHECK(dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, tag));
  CHECK(dnnl_memory_desc_init_by_tag(&dst, 4, dd, dnnl_f32, tag));
  dnnl_dims_t strides = {s, s}, kernel = {k, k}, pad = {p, p};
  dnnl_pooling_desc_t desc;
  CHECK(dnnl_pooling_forward_desc_init(&desc, dnnl_forward_inference, alg, &src, &dst, strides,
                                       kernel, pad, pad));
  dnnl_primitive_desc_t pd;
  CHECK(dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL));
  dnnl_primitive_t prim;
  CHECK(dnnl_primitive_create(&prim, pd));
  return prim;
}

static void run_pool(dnnl_primitive_t prim, dnnl_memory_t src, dnnl_memory_t dst) {
  dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
  CHECK(dnnl_primitive_execute(prim, stream, 2, args));
}

typedef struct {
  conv_t c1, c2, c3, down;
  int has_down;
  dnnl_memory_t t1, t2, out;  // out: the shortcut buffer the block's last conv accumulates into
} block_t;

int main(int argc, char **argv) {
  long size = argc > 1 ? atol(argv[1]) : 224, batch = argc > 2 ? atol(argv[2]) : 16;
  int iterations = argc > 3 ? atoi(argv[3]) : 5;
  if (argc > 4 && strcmp(argv[4], "nhwc") == 0) tag = dnnl_nhwc;
  CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
  CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));

  dnnl_memory_desc_t imd;
  dnnl_dims_t idims = {batch, 3, size, size};
  CHECK(dnnl_memory_desc_init_by_tag(&imd, 4, idims, dnnl_f32, tag == dnnl_nhwc ? dnnl_nhwc : dnnl_nchw));
  dnnl_memory_t image;
  CHECK(dnnl_memory_create(&image, &imd, engine, DNNL_MEMORY_ALLOCATE));
  fill(image, 2.f);
  long h = out_size(size, 7, 2, 3);
  conv_t stem = make_conv(batch, 3, 64, size, size, 7, 2, 3, 1, 0, tag == dnnl_nhwc ? dnnl_nhwc : dnnl_nchw);
  dnnl_memory_t stem_out = activation(batch, 64, h, h);
  long ph = out_size(h, 3, 2, 1);
  dnnl_primitive_t maxpool = make_pool(batch, 64, h, h, 3, 2, 1, dnnl_pooling_max);
  dnnl_memory_t x = activation(batch, 64, ph, ph);
  h = ph;

  int depths[4] = {3, 4, 6, 3};
  long widths[4] = {64, 128, 256, 512};
  block_t blocks[16];
  int count = 0;
  long channels = 64;
  double flops = 2.0 * batch * 64 * 3 * 49 * out_size(size, 7, 2, 3) * out_size(size, 7, 2, 3);
  dnnl_memory_t in = x;
  for (int stage = 0; stage < 4; stage++) {
    for (int b = 0; b < depths[stage]; b++) {
      block_t *blk = &blocks[count++];
      long width = widths[stage], out = width * 4, s = (b == 0 && stage > 0) ? 2 : 1;
      long oh = out_size(h, 3, s, 1);
      blk->c1 = make_conv(batch, channels, width, h, h, 1, 1, 0, 1, 0, tag);
      blk->c2 = make_conv(batch, width, width, h, h, 3, s, 1, 1, 0, tag);
      blk->c3 = make_conv(batch, width, out, oh, oh, 1, 1, 0, 1, 1, tag);
      flops += 2.0 * batch * (h * h * channels * width + oh * oh * (9 * width * width + width * out));
      blk->has_down = b == 0;
      blk->t1 = activation(batch, width, h, h);
      blk->t2 = activation(batch, width, oh, oh);
      if (blk->has_down) {
        blk->down = make_conv(batch, channels, out, h, h, 1, s, 0, 0, 0, tag);
        blk->out = activation(batch, out, oh, oh);
        flops += 2.0 * batch * oh * oh * channels * out;
      } else {
        blk->out = in;  // the identity shortcut: the last conv accumulates into its own input
      }
      in = blk->out;
      channels = out;
      h = oh;
    }
  }
  dnnl_primitive_t avgpool = make_pool(batch, channels, h, h, h, 1, 0, dnnl_pooling_avg);
  dnnl_memory_t features = activation(batch, channels, 1, 1);

  double best = 1e9, total = 0;
  for (int it = 0; it < iterations + 1; it++) {
    double t = now();
    run_conv(&stem, image, stem_out);
    run_pool(maxpool, stem_out, x);
    dnnl_memory_t cur = x;
    for (int i = 0; i < count; i++) {
      block_t *blk = &blocks[i];
      run_conv(&blk->c1, cur, blk->t1);
      run_conv(&blk->c2, blk->t1, blk->t2);
      if (blk->has_down) run_conv(&blk->down, cur, blk->out);
      run_conv(&blk->c3, blk->t2, blk->out);
      cur = blk->out;
    }
    run_pool(avgpool, cur, features);
    CHECK(dnnl_stream_wait(stream));
    t = now() - t;
    if (it > 0) {  // the first pass is a warm-up
      total += t;
      if (t < best) best = t;
    }
  }
  printf("oneDNN %s forward %ld×%ld batch %ld: %.1f img/s (best %.1f), %.0f GFLOP/s\n",
         tag == dnnl_nhwc ? "nhwc" : "nChw16c", size, size, batch, batch * iterations / total,
         batch / best, flops / best / 1e9);
  return 0;
}
