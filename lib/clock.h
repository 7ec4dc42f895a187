/*
 * The clocks every part of Petrel reads: the monotonic one for intervals
 * and deadlines, the wall clock for what is stored or shown.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds on the monotonic clock. */
static inline uint64_t
clock_mono_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

/* Microseconds on the monotonic clock. */
static inline uint64_t
clock_mono_us(void)
{
	return (clock_mono_ns() / 1000);
}

/* Milliseconds on the monotonic clock. */
static inline uint64_t
clock_mono_ms(void)
{
	return (clock_mono_ns() / 1000000);
}

/* Milliseconds since the epoch. */
static inline uint64_t
clock_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

#endif /* CLOCK_H */
