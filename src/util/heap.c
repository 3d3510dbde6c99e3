/* heap.c - see heap.h. */
#include "util/heap.h"

#include <malloc.h>

#define MMAP_THRESHOLD (32 << 20) /* glibc's maximum on 64-bit */
#define TRIM_THRESHOLD (64 << 20)

void sf_heap_tune_for_io(void)
{
	/* Setting either also turns off glibc's dynamic threshold. */
	mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
}
