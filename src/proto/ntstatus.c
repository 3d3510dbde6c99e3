/* ntstatus.c - name and errno lookup over ntstatus.tab. */
#include "proto/ntstatus.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>

static const struct {
	uint32_t value;
	const char *name;
	int err;
} table[] = {
#define X(name, value, err) {(uint32_t)(value), #name, err},
#include "proto/ntstatus.tab"
#undef X
};

static ptrdiff_t find(uint32_t status)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].value == status)
			return (ptrdiff_t)i;
	return -1;
}

const char *sf_ntstatus_name(uint32_t status)
{
	static _Thread_local char buf[16];
	ptrdiff_t i = find(status);
	if (i >= 0)
		return table[i].name;
	snprintf(buf, sizeof buf, "0x%08X", status);
	return buf;
}

int sf_ntstatus_to_errno(uint32_t status)
{
	ptrdiff_t i = find(status);
	if (i >= 0)
		return table[i].err;
	return sf_nt_error(status) ? EIO : 0;
}
