/* timeconv.c - FILETIME <-> timespec. */
#include "util/timeconv.h"

#define TICKS_PER_SEC 10000000ULL

struct timespec sf_filetime_to_timespec(uint64_t ft)
{
	struct timespec ts;
	if (ft == 0) {
		ts.tv_sec = 0;
		ts.tv_nsec = 0;
		return ts;
	}
	/* Work in unsigned ticks since 1601, then shift the epoch: this never
	 * overflows, since UINT64_MAX ticks is ~58,000 years. */
	uint64_t secs = ft / TICKS_PER_SEC;
	ts.tv_nsec = (long)((ft % TICKS_PER_SEC) * 100);
	ts.tv_sec = (time_t)((int64_t)secs - (int64_t)SF_FILETIME_UNIX_EPOCH);
	return ts;
}

uint64_t sf_timespec_to_filetime(struct timespec ts)
{
	/* Normalise nanoseconds first (callers may pass UTIME-style values). */
	int64_t sec = (int64_t)ts.tv_sec + ts.tv_nsec / 1000000000L;
	long nsec = ts.tv_nsec % 1000000000L;
	if (nsec < 0) {
		nsec += 1000000000L;
		sec -= 1;
	}
	if (sec < -(int64_t)SF_FILETIME_UNIX_EPOCH)
		return 1;
	uint64_t s1601 = (uint64_t)(sec + (int64_t)SF_FILETIME_UNIX_EPOCH);
	if (s1601 > (UINT64_MAX - 9999999) / TICKS_PER_SEC)
		return UINT64_MAX - 1; /* far future: clamp, never wrap */
	uint64_t ft = s1601 * TICKS_PER_SEC + (uint64_t)nsec / 100;
	return ft ? ft : 1;
}
