// A tiny fork-join pool: persistent workers that spin briefly, then sleep, between jobs. See
// compute_pool.h.
//
// One 64-bit word, `state`, holds the job's generation, its index count and the next index to
// hand out. A worker claims an index with a compare-and-swap on that word, so a claim can only
// succeed for the job that is current, and the caller never waits for a worker that is still
// waking up: it runs the unclaimed indices itself, then waits only for indices already claimed.
#include "compute_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define MAX_WORKERS 255
#define INDEX_BITS 20
#define INDEX_MASK ((UINT64_C(1) << INDEX_BITS) - 1)
#define MAX_COUNT ((long)INDEX_MASK)

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/// How long a worker keeps polling for the next job before it sleeps (nanoseconds).
static const long spin_nanoseconds = 200000;

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static atomic_int busy;
/// generation (24 bits) | count (20 bits) | next index (20 bits).
static _Alignas(64) _Atomic uint64_t state;
static _Alignas(64) atomic_long done;
static _Alignas(64) atomic_long sleepers;
static long started_workers;  // only touched by the thread holding `busy`

// The current job: written before `state` publishes it, read only after claiming an index of
// it (the caller rewrites them only once every claimed index has finished).
static classify_pool_task job_task;
static void *job_context;

static uint64_t generation_of(uint64_t word) { return word >> (2 * INDEX_BITS); }

static long now_nanoseconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

/// Claims and runs indices of the job `word` belongs to until none is left or the job changes.
static void run_claimed(uint64_t word) {
  for (;;) {
    uint64_t index = word & INDEX_MASK;
    uint64_t count = (word >> INDEX_BITS) & INDEX_MASK;
    if (index >= count) return;
    if (atomic_compare_exchange_weak_explicit(
            &state, &word, word + 1, memory_order_acq_rel, memory_order_acquire)) {
      job_task(job_context, (long)index);
      atomic_fetch_add_explicit(&done, 1, memory_order_release);
      word = atomic_load_explicit(&state, memory_order_acquire);
    }
    // On failure `word` holds the current state: same job, or another one (then stop).
  }
}

static void *worker_main(void *argument) {
  uint64_t seen = (uint64_t)(uintptr_t)argument;
  for (;;) {
    uint64_t word = atomic_load_explicit(&state, memory_order_acquire);
    if (generation_of(word) == seen) {
      long deadline = now_nanoseconds() + spin_nanoseconds;
      for (int polls = 1; generation_of(word) == seen; polls++) {
        CPU_RELAX();
        word = atomic_load_explicit(&state, memory_order_acquire);
        if ((polls & 255) == 0 && now_nanoseconds() > deadline) break;
      }
    }
    if (generation_of(word) == seen) {
      pthread_mutex_lock(&mutex);
      atomic_fetch_add(&sleepers, 1);
      while (generation_of(word = atomic_load(&state)) == seen) pthread_cond_wait(&wake, &mutex);
      atomic_fetch_sub(&sleepers, 1);
      pthread_mutex_unlock(&mutex);
    }
    seen = generation_of(word);
    run_claimed(word);
  }
  return 0;
}

void classify_pool_run(long count, long threads, classify_pool_task task, void *context) {
  if (count <= 0) return;
  long workers = threads - 1;
  if (workers > count - 1) workers = count - 1;
  if (workers > MAX_WORKERS) workers = MAX_WORKERS;
  int expected = 0;
  if (workers <= 0 || count > MAX_COUNT
      || !atomic_compare_exchange_strong(&busy, &expected, 1)) {
    for (long index = 0; index < count; index++) task(context, index);
    return;
  }
  while (started_workers < workers) {
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    void *start = (void *)(uintptr_t)generation_of(atomic_load(&state));
    int failed = pthread_create(&thread, &attributes, worker_main, start);
    pthread_attr_destroy(&attributes);
    if (failed) break;
    started_workers++;
  }
  job_task = task;
  job_context = context;
  atomic_store_explicit(&done, 0, memory_order_relaxed);
  uint64_t generation = (generation_of(atomic_load(&state)) + 1) & ((UINT64_C(1) << 24) - 1);
  uint64_t word = (generation << (2 * INDEX_BITS)) | ((uint64_t)count << INDEX_BITS);
  atomic_store(&state, word);  // sequentially consistent: pairs with the sleepers check
  if (atomic_load(&sleepers) > 0) {
    pthread_mutex_lock(&mutex);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&mutex);
  }
  run_claimed(word);
  while (atomic_load_explicit(&done, memory_order_acquire) < count) CPU_RELAX();
  atomic_store(&busy, 0);
}
