/* heap.h - malloc settings for a process that moves megabytes per request. */
#ifndef SF_UTIL_HEAP_H
#define SF_UTIL_HEAP_H

/* Every READ or WRITE carries a buffer of up to the negotiated I/O size
 * (1-8 MiB). With glibc's defaults such buffers alternate between fresh
 * mmap()s and a heap that is trimmed on every free, so each one costs
 * page faults and TLB shootdowns on every byte: measured, sequential reads
 * ran at ~100 MB/s instead of ~600 MB/s on loopback. Keep them in the
 * heap and keep freed heap mapped (up to 64 MiB). Call once, early. */
void sf_heap_tune_for_io(void);

#endif
