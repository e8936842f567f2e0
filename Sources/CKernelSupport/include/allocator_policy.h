#ifndef CLASSIFY_ALLOCATOR_POLICY_H
#define CLASSIFY_ALLOCATOR_POLICY_H

/// glibc only (a no-op elsewhere): serve allocations up to `mmap_threshold` bytes from the heap
/// and keep up to `trim_threshold` bytes of freed memory for reuse. Returns 1 when both were
/// applied.
int classify_set_allocator_thresholds(long mmap_threshold, long trim_threshold);

/// glibc only (a no-op returning 0 elsewhere): gives the pages of freed heap memory back to the
/// system (`malloc_trim(0)`). Returns 1 when some memory was released.
int classify_release_free_memory(void);

#endif
