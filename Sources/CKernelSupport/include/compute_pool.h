#ifndef CLASSIFY_COMPUTE_POOL_H
#define CLASSIFY_COMPUTE_POOL_H

/// One parallel task: called once per index in [0, count).
typedef void (*classify_pool_task)(void *context, long index);

/// Runs task(context, i) for every i in [0, count) on up to `threads` threads, the caller being
/// one of them, and returns when all have finished. Indices are handed out one at a time, so
/// uneven tasks balance. Workers spin for a short while after each job before they sleep, so
/// the hundreds of short parallel kernels of a training step start within a microsecond
/// instead of waking a sleeping thread each time. A call made while the pool is busy (from
/// inside a task, or from another thread) runs its indices inline on the caller: no deadlock.
/// So does a job of more than 2^20 − 1 indices (callers split work into one index per thread).
void classify_pool_run(long count, long threads, classify_pool_task task, void *context);

#endif
