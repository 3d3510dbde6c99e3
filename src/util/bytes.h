/* bytes.h - bounds-checked little-endian reader and writer.
 *
 * Every wire decoder in smbfuse reads through sf_rd and every encoder writes
 * through sf_wr. Both carry a sticky error flag: an access past the end
 * returns zero (reader) or writes nothing (writer) and sets `err`; the caller
 * checks the flag once at the end instead of after every field.
 *
 * Offsets and lengths that come from the wire are checked with sf_span_ok()
 * before use; never add two wire values without it.
 */
#ifndef SF_UTIL_BYTES_H
#define SF_UTIL_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- span arithmetic -------------------------------------------------- */

/* True when [off, off+n) lies inside a buffer of `len` bytes, computed
 * without overflow. */
static inline bool sf_span_ok(size_t off, size_t n, size_t len)
{
	return off <= len && n <= len - off;
}

/* True when [off, off+n) lies inside the buffer and starts at or after
 * `min_off` (typically the end of a fixed structure). */
static inline bool sf_span_ok_from(size_t min_off, size_t off, size_t n, size_t len)
{
	return off >= min_off && sf_span_ok(off, n, len);
}

/* Round up to a multiple of `a` (a power of two); saturates instead of
 * wrapping so that a huge value from the wire cannot become small. */
static inline size_t sf_align_up(size_t v, size_t a)
{
	if (v > SIZE_MAX - (a - 1))
		return SIZE_MAX;
	return (v + (a - 1)) & ~(a - 1);
}

/* ---- plain little-endian loads/stores on a known-good pointer ---------- */

static inline uint16_t sf_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t sf_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}
static inline uint64_t sf_le64(const uint8_t *p)
{
	return (uint64_t)sf_le32(p) | ((uint64_t)sf_le32(p + 4) << 32);
}
static inline void sf_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void sf_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}
static inline void sf_put_le64(uint8_t *p, uint64_t v)
{
	sf_put_le32(p, (uint32_t)v);
	sf_put_le32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t sf_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
	       (uint32_t)p[3];
}
static inline void sf_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- reader ------------------------------------------------------------ */

struct sf_rd {
	const uint8_t *buf; /* start of the whole PDU (offsets are relative to it) */
	size_t len;         /* bytes available */
	size_t pos;         /* next byte to read */
	bool err;           /* sticky: set by any out-of-bounds access */
};

void sf_rd_init(struct sf_rd *r, const uint8_t *buf, size_t len);

/* Reads advance pos; past the end they return 0 and set err. */
uint8_t sf_rd_u8(struct sf_rd *r);
uint16_t sf_rd_u16(struct sf_rd *r);
uint32_t sf_rd_u32(struct sf_rd *r);
uint64_t sf_rd_u64(struct sf_rd *r);
/* Copy n bytes out; on error `out` is zero-filled. */
void sf_rd_copy(struct sf_rd *r, void *out, size_t n);
/* Borrow a pointer to the next n bytes and advance; NULL (and err) when
 * fewer remain. */
const uint8_t *sf_rd_ptr(struct sf_rd *r, size_t n);
void sf_rd_skip(struct sf_rd *r, size_t n);
/* Move to an absolute offset (<= len); beyond the end sets err. */
void sf_rd_seek(struct sf_rd *r, size_t off);
/* Borrow [off, off+n) by absolute offset without moving pos. NULL and err
 * when out of bounds; a zero-length span returns a non-NULL pointer into
 * the buffer only when off <= len. */
const uint8_t *sf_rd_at(struct sf_rd *r, size_t off, size_t n);

static inline size_t sf_rd_left(const struct sf_rd *r)
{
	return r->pos <= r->len ? r->len - r->pos : 0;
}
static inline bool sf_rd_ok(const struct sf_rd *r)
{
	return !r->err;
}

/* ---- writer ------------------------------------------------------------ */

/* Writes into a caller-provided fixed buffer (encoders compute the size
 * first) or, with sf_wr_init_grow, into a buffer that grows with g_realloc. */
struct sf_wr {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	bool grow; /* buffer owned by the writer and may be reallocated */
	bool err;  /* sticky: overflow of a fixed buffer or allocation limit */
};

void sf_wr_init(struct sf_wr *w, uint8_t *buf, size_t cap);
void sf_wr_init_grow(struct sf_wr *w, size_t initial);
/* Hand the grown buffer to the caller (g_free it); NULL after an error. */
uint8_t *sf_wr_steal(struct sf_wr *w, size_t *len);
void sf_wr_free(struct sf_wr *w);

void sf_wr_u8(struct sf_wr *w, uint8_t v);
void sf_wr_u16(struct sf_wr *w, uint16_t v);
void sf_wr_u32(struct sf_wr *w, uint32_t v);
void sf_wr_u64(struct sf_wr *w, uint64_t v);
void sf_wr_be32(struct sf_wr *w, uint32_t v);
void sf_wr_bytes(struct sf_wr *w, const void *p, size_t n);
void sf_wr_zero(struct sf_wr *w, size_t n);
/* Pad with zeros up to a multiple of `a` (power of two), relative to the
 * start of the buffer. */
void sf_wr_align(struct sf_wr *w, size_t a);
/* Reserve n bytes to fill in later (lengths, offsets); returns their
 * offset, or SIZE_MAX on error. */
size_t sf_wr_reserve(struct sf_wr *w, size_t n);
/* Back-patch little-endian values at an offset returned by reserve. */
void sf_wr_patch_u16(struct sf_wr *w, size_t off, uint16_t v);
void sf_wr_patch_u32(struct sf_wr *w, size_t off, uint32_t v);

static inline bool sf_wr_ok(const struct sf_wr *w)
{
	return !w->err;
}

#endif
