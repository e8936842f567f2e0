"""The timing rule every reference script uses: `warmup` untimed calls, then the median of `reps`
timed ones (time.perf_counter), in seconds."""
import time


def median(fn, reps, warmup=1):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return sorted(samples)[len(samples) // 2]
