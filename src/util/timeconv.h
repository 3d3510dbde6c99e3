/* timeconv.h - FILETIME (100 ns ticks since 1601-01-01 UTC, MS-FSCC 2.1.1)
 * <-> struct timespec. */
#ifndef SF_UTIL_TIMECONV_H
#define SF_UTIL_TIMECONV_H

#include <stdint.h>
#include <time.h>

/* Seconds from 1601-01-01 to 1970-01-01. */
#define SF_FILETIME_UNIX_EPOCH 11644473600ULL

/* FILETIME 0 means "not set" and converts to the Unix epoch; times before
 * 1970 give negative tv_sec with 0 <= tv_nsec < 1e9. */
struct timespec sf_filetime_to_timespec(uint64_t ft);
/* Times before 1601 clamp to 1 (the earliest settable time); FILETIME 0
 * is never produced, since it would mean "do not change" in SET_INFO. */
uint64_t sf_timespec_to_filetime(struct timespec ts);

#endif
