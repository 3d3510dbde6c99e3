/* bytes.c - bounds-checked little-endian reader and writer. */
#include "util/bytes.h"

#include <glib.h>
#include <string.h>

/* A writer never grows past this: no PDU we build is larger (the transport
 * ceiling is 16 MiB), so a runaway encoder fails instead of eating memory. */
#define SF_WR_MAX ((size_t)64 << 20)

void sf_rd_init(struct sf_rd *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = buf ? len : 0;
	r->pos = 0;
	r->err = false;
}

const uint8_t *sf_rd_ptr(struct sf_rd *r, size_t n)
{
	if (r->err || !sf_span_ok(r->pos, n, r->len)) {
		r->err = true;
		return NULL;
	}
	const uint8_t *p = r->buf + r->pos;
	r->pos += n;
	return p;
}

uint8_t sf_rd_u8(struct sf_rd *r)
{
	const uint8_t *p = sf_rd_ptr(r, 1);
	return p ? p[0] : 0;
}

uint16_t sf_rd_u16(struct sf_rd *r)
{
	const uint8_t *p = sf_rd_ptr(r, 2);
	return p ? sf_le16(p) : 0;
}

uint32_t sf_rd_u32(struct sf_rd *r)
{
	const uint8_t *p = sf_rd_ptr(r, 4);
	return p ? sf_le32(p) : 0;
}

uint64_t sf_rd_u64(struct sf_rd *r)
{
	const uint8_t *p = sf_rd_ptr(r, 8);
	return p ? sf_le64(p) : 0;
}

void sf_rd_copy(struct sf_rd *r, void *out, size_t n)
{
	const uint8_t *p = sf_rd_ptr(r, n);
	if (p)
		memcpy(out, p, n);
	else if (n)
		memset(out, 0, n);
}

void sf_rd_skip(struct sf_rd *r, size_t n)
{
	(void)sf_rd_ptr(r, n);
}

void sf_rd_seek(struct sf_rd *r, size_t off)
{
	if (off > r->len) {
		r->err = true;
		return;
	}
	r->pos = off;
}

const uint8_t *sf_rd_at(struct sf_rd *r, size_t off, size_t n)
{
	if (!r->buf || !sf_span_ok(off, n, r->len)) {
		r->err = true;
		return NULL;
	}
	return r->buf + off;
}

/* ---- writer ------------------------------------------------------------ */

void sf_wr_init(struct sf_wr *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->pos = 0;
	w->grow = false;
	w->err = false;
}

void sf_wr_init_grow(struct sf_wr *w, size_t initial)
{
	if (initial < 64)
		initial = 64;
	w->buf = g_malloc(initial);
	w->cap = initial;
	w->pos = 0;
	w->grow = true;
	w->err = false;
}

uint8_t *sf_wr_steal(struct sf_wr *w, size_t *len)
{
	if (!w->grow || w->err) {
		sf_wr_free(w);
		if (len)
			*len = 0;
		return NULL;
	}
	uint8_t *b = w->buf;
	if (len)
		*len = w->pos;
	w->buf = NULL;
	w->cap = w->pos = 0;
	return b;
}

void sf_wr_free(struct sf_wr *w)
{
	if (w->grow)
		g_free(w->buf);
	w->buf = NULL;
	w->cap = w->pos = 0;
}

/* Make room for n more bytes; returns the write position or NULL. */
static uint8_t *wr_room(struct sf_wr *w, size_t n)
{
	if (w->err)
		return NULL;
	if (!sf_span_ok(w->pos, n, w->cap)) {
		if (!w->grow || n > SF_WR_MAX - w->pos) {
			w->err = true;
			return NULL;
		}
		size_t need = w->pos + n;
		size_t cap = w->cap ? w->cap : 64;
		while (cap < need)
			cap = cap > SF_WR_MAX / 2 ? SF_WR_MAX : cap * 2;
		w->buf = g_realloc(w->buf, cap);
		w->cap = cap;
	}
	uint8_t *p = w->buf + w->pos;
	w->pos += n;
	return p;
}

void sf_wr_u8(struct sf_wr *w, uint8_t v)
{
	uint8_t *p = wr_room(w, 1);
	if (p)
		p[0] = v;
}

void sf_wr_u16(struct sf_wr *w, uint16_t v)
{
	uint8_t *p = wr_room(w, 2);
	if (p)
		sf_put_le16(p, v);
}

void sf_wr_u32(struct sf_wr *w, uint32_t v)
{
	uint8_t *p = wr_room(w, 4);
	if (p)
		sf_put_le32(p, v);
}

void sf_wr_u64(struct sf_wr *w, uint64_t v)
{
	uint8_t *p = wr_room(w, 8);
	if (p)
		sf_put_le64(p, v);
}

void sf_wr_be32(struct sf_wr *w, uint32_t v)
{
	uint8_t *p = wr_room(w, 4);
	if (p)
		sf_put_be32(p, v);
}

void sf_wr_bytes(struct sf_wr *w, const void *src, size_t n)
{
	uint8_t *p = wr_room(w, n);
	if (p && n)
		memcpy(p, src, n);
}

void sf_wr_zero(struct sf_wr *w, size_t n)
{
	uint8_t *p = wr_room(w, n);
	if (p && n)
		memset(p, 0, n);
}

void sf_wr_align(struct sf_wr *w, size_t a)
{
	size_t target = sf_align_up(w->pos, a);
	if (target == SIZE_MAX) {
		w->err = true;
		return;
	}
	sf_wr_zero(w, target - w->pos);
}

size_t sf_wr_reserve(struct sf_wr *w, size_t n)
{
	size_t off = w->pos;
	uint8_t *p = wr_room(w, n);
	if (!p)
		return SIZE_MAX;
	memset(p, 0, n);
	return off;
}

void sf_wr_patch_u16(struct sf_wr *w, size_t off, uint16_t v)
{
	if (w->err || !sf_span_ok(off, 2, w->pos)) {
		w->err = true;
		return;
	}
	sf_put_le16(w->buf + off, v);
}

void sf_wr_patch_u32(struct sf_wr *w, size_t off, uint32_t v)
{
	if (w->err || !sf_span_ok(off, 4, w->pos)) {
		w->err = true;
		return;
	}
	sf_put_le32(w->buf + off, v);
}
