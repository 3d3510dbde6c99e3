/* dfs_ref.c - DFS referral codec (MS-DFSC 2.2.2 to 2.2.5). */
#include "proto/dfs_ref.h"

#include "util/bytes.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

/* ---- requests ----------------------------------------------------------- */

uint8_t *dfs_referral_req_encode(uint16_t max_level, const uint8_t *name, size_t name_len,
                                 size_t *len)
{
	if (name_len % 2 || name_len > 65000)
		return NULL;
	size_t n = 2 + name_len + 2;
	uint8_t *b = g_malloc(n);
	struct sf_wr w;
	sf_wr_init(&w, b, n);
	sf_wr_u16(&w, max_level); /* MaxReferralLevel */
	sf_wr_bytes(&w, name, name_len);
	sf_wr_u16(&w, 0); /* RequestFileName's NUL */
	g_assert(sf_wr_ok(&w) && w.pos == n);
	*len = n;
	return b;
}

uint8_t *dfs_referral_req_ex_encode(uint16_t max_level, const uint8_t *name, size_t name_len,
                                    const uint8_t *site, size_t site_len, size_t *len)
{
	/* RequestFileNameLength and SiteNameLength count the NUL (2.2.3.1). */
	if (name_len % 2 || site_len % 2 || name_len > 65000 || site_len > 65000)
		return NULL;
	size_t data = 2 + name_len + 2 + (site ? 2 + site_len + 2 : 0);
	size_t n = 8 + data;
	uint8_t *b = g_malloc(n);
	struct sf_wr w;
	sf_wr_init(&w, b, n);
	sf_wr_u16(&w, max_level);                /* MaxReferralLevel */
	sf_wr_u16(&w, site ? 0x0001 : 0);        /* RequestFlags: SiteName */
	sf_wr_u32(&w, (uint32_t)data);           /* RequestDataLength */
	sf_wr_u16(&w, (uint16_t)(name_len + 2)); /* RequestFileNameLength */
	sf_wr_bytes(&w, name, name_len);
	sf_wr_u16(&w, 0);
	if (site) {
		sf_wr_u16(&w, (uint16_t)(site_len + 2)); /* SiteNameLength */
		sf_wr_bytes(&w, site, site_len);
		sf_wr_u16(&w, 0);
	}
	g_assert(sf_wr_ok(&w) && w.pos == n);
	*len = n;
	return b;
}

/* ---- response ----------------------------------------------------------- */

/* A NUL-terminated UTF-16LE string starting at off and ending before end. */
static int str_at(const uint8_t *buf, size_t off, size_t end, struct dfs_str *out)
{
	if (off >= end)
		return -EPROTO;
	for (size_t i = off; i + 1 < end; i += 2) {
		if (buf[i] == 0 && buf[i + 1] == 0) {
			out->p = buf + off;
			out->len = i - off;
			return 0;
		}
	}
	return -EPROTO;
}

/* A string whose offset is relative to the entry at base (2.2.5.2): in
 * the string buffer, so after the entry itself (base + size); strings may
 * be shared, so anywhere after that. */
static int str_rel(const uint8_t *buf, size_t len, size_t base, uint16_t size, uint16_t rel,
                   struct dfs_str *out)
{
	if (rel < size || !sf_span_ok(base, rel, len))
		return -EPROTO;
	return str_at(buf, base + rel, len, out);
}

static int decode_entry(const uint8_t *buf, size_t len, size_t off, struct dfs_referral *e,
                        uint16_t *size_out)
{
	struct sf_rd r;
	sf_rd_init(&r, buf, len);
	sf_rd_seek(&r, off);
	e->version = sf_rd_u16(&r); /* VersionNumber */
	uint16_t size = sf_rd_u16(&r);
	e->server_type = sf_rd_u16(&r);
	e->flags = sf_rd_u16(&r);
	if (!sf_rd_ok(&r))
		return -EPROTO;
	if (!sf_span_ok(off, size, len))
		return -EPROTO;
	size_t end = off + size;
	*size_out = size;
	switch (e->version) {
	case 1:
		/* ShareName inline, inside the entry (2.2.5.1). */
		if (size < 8 + 2)
			return -EPROTO;
		return str_at(buf, off + 8, end, &e->node);
	case 2: {
		if (size < 22)
			return -EPROTO;
		sf_rd_u32(&r); /* Proximity */
		e->ttl = sf_rd_u32(&r);
		uint16_t p = sf_rd_u16(&r), a = sf_rd_u16(&r), nw = sf_rd_u16(&r);
		if (!sf_rd_ok(&r))
			return -EPROTO;
		e->flags = 0; /* MUST be ignored by the client */
		if (str_rel(buf, len, off, size, p, &e->path) ||
		    str_rel(buf, len, off, size, a, &e->alt_path) ||
		    str_rel(buf, len, off, size, nw, &e->node))
			return -EPROTO;
		return 0;
	}
	case 3:
	case 4: {
		e->ttl = sf_rd_u32(&r);
		if (e->flags & DFS_ENTRY_NAME_LIST_REFERRAL) {
			/* 2.2.5.3.2 */
			if (size < 18)
				return -EPROTO;
			uint16_t sp = sf_rd_u16(&r);
			e->n_expanded = sf_rd_u16(&r);
			uint16_t ex = sf_rd_u16(&r);
			if (!sf_rd_ok(&r) || str_rel(buf, len, off, size, sp, &e->special))
				return -EPROTO;
			if (!e->n_expanded)
				return 0;
			if (ex < size || !sf_span_ok(off, ex, len))
				return -EPROTO;
			size_t pos = off + ex;
			for (unsigned i = 0; i < e->n_expanded && i < DFS_MAX_EXPANDED; i++) {
				struct dfs_str *s = &e->expanded[i];
				if (str_at(buf, pos, len, s))
					return -EPROTO;
				pos += s->len + 2;
				e->n_expanded_ok++;
			}
			return 0;
		}
		/* 2.2.5.3.1 (and 2.2.5.4): ServiceSiteGuid ignored. */
		if (size < 34)
			return -EPROTO;
		uint16_t p = sf_rd_u16(&r), a = sf_rd_u16(&r), nw = sf_rd_u16(&r);
		if (!sf_rd_ok(&r))
			return -EPROTO;
		if (str_rel(buf, len, off, size, p, &e->path) ||
		    str_rel(buf, len, off, size, a, &e->alt_path) ||
		    str_rel(buf, len, off, size, nw, &e->node))
			return -EPROTO;
		(void)end;
		return 0;
	}
	default:
		return -EPROTO;
	}
}

int dfs_referral_rsp_decode(const uint8_t *buf, size_t len, struct dfs_referral_rsp *out)
{
	memset(out, 0, sizeof *out);
	struct sf_rd r;
	sf_rd_init(&r, buf, len);
	out->path_consumed = sf_rd_u16(&r); /* PathConsumed */
	uint16_t n = sf_rd_u16(&r);         /* NumberOfReferrals */
	out->header_flags = sf_rd_u32(&r);  /* ReferralHeaderFlags */
	if (!sf_rd_ok(&r) || n > DFS_MAX_REFERRALS || out->path_consumed % 2)
		return -EPROTO;
	size_t off = 8;
	for (unsigned i = 0; i < n; i++) {
		struct dfs_referral *e = &out->ref[i];
		uint16_t size = 0;
		if (decode_entry(buf, len, off, e, &size))
			return -EPROTO;
		/* 3.1.5.4: the first entry says the version of them all. */
		if (i && e->version != out->ref[0].version)
			return -EPROTO;
		off += size; /* size was checked to lie inside the buffer */
	}
	out->n = n;
	return 0;
}

/* ---- response encoder (tests, seeds) --------------------------------------- */

static size_t fixed_size(const struct dfs_referral *e)
{
	switch (e->version) {
	case 1:
		return 8 + e->node.len + 2;
	case 2:
		return 22;
	default:
		return (e->flags & DFS_ENTRY_NAME_LIST_REFERRAL) ? 18 : 34;
	}
}

static void put_str(struct sf_wr *w, const struct dfs_str *s)
{
	if (s->len)
		sf_wr_bytes(w, s->p, s->len);
	sf_wr_u16(w, 0);
}

uint8_t *dfs_referral_rsp_encode(const struct dfs_referral_rsp *r, size_t *len)
{
	if (r->n > DFS_MAX_REFERRALS)
		return NULL;
	size_t entries = 0, strings = 0;
	for (unsigned i = 0; i < r->n; i++) {
		const struct dfs_referral *e = &r->ref[i];
		entries += fixed_size(e);
		if (e->version == 1)
			continue;
		if (e->version >= 3 && (e->flags & DFS_ENTRY_NAME_LIST_REFERRAL)) {
			strings += e->special.len + 2;
			for (unsigned k = 0; k < e->n_expanded_ok; k++)
				strings += e->expanded[k].len + 2;
		} else {
			strings += e->path.len + 2 + e->alt_path.len + 2 + e->node.len + 2;
		}
	}
	size_t n = 8 + entries + strings;
	if (n > 65535)
		return NULL;
	uint8_t *b = g_malloc0(n);
	struct sf_wr w;
	sf_wr_init(&w, b, n);
	sf_wr_u16(&w, r->path_consumed);
	sf_wr_u16(&w, r->n);
	sf_wr_u32(&w, r->header_flags);
	size_t eoff = 8, soff = 8 + entries;
	for (unsigned i = 0; i < r->n; i++) {
		const struct dfs_referral *e = &r->ref[i];
		size_t sz = fixed_size(e);
		sf_wr_u16(&w, e->version);
		sf_wr_u16(&w, (uint16_t)sz);
		sf_wr_u16(&w, e->server_type);
		sf_wr_u16(&w, e->flags);
		if (e->version == 1) {
			put_str(&w, &e->node);
		} else if (e->version == 2) {
			sf_wr_u32(&w, 0);
			sf_wr_u32(&w, e->ttl);
			size_t p = soff, a = p + e->path.len + 2, nw = a + e->alt_path.len + 2;
			sf_wr_u16(&w, (uint16_t)(p - eoff));
			sf_wr_u16(&w, (uint16_t)(a - eoff));
			sf_wr_u16(&w, (uint16_t)(nw - eoff));
			size_t save = w.pos;
			w.pos = p;
			put_str(&w, &e->path);
			put_str(&w, &e->alt_path);
			put_str(&w, &e->node);
			soff = w.pos;
			w.pos = save;
		} else if (e->flags & DFS_ENTRY_NAME_LIST_REFERRAL) {
			sf_wr_u32(&w, e->ttl);
			size_t sp = soff, ex = sp + e->special.len + 2;
			sf_wr_u16(&w, (uint16_t)(sp - eoff));
			sf_wr_u16(&w, e->n_expanded_ok);
			sf_wr_u16(&w, (uint16_t)(ex - eoff));
			size_t save = w.pos;
			w.pos = sp;
			put_str(&w, &e->special);
			for (unsigned k = 0; k < e->n_expanded_ok; k++)
				put_str(&w, &e->expanded[k]);
			soff = w.pos;
			w.pos = save;
		} else {
			sf_wr_u32(&w, e->ttl);
			size_t p = soff, a = p + e->path.len + 2, nw = a + e->alt_path.len + 2;
			sf_wr_u16(&w, (uint16_t)(p - eoff));
			sf_wr_u16(&w, (uint16_t)(a - eoff));
			sf_wr_u16(&w, (uint16_t)(nw - eoff));
			sf_wr_zero(&w, 16); /* ServiceSiteGuid */
			size_t save = w.pos;
			w.pos = p;
			put_str(&w, &e->path);
			put_str(&w, &e->alt_path);
			put_str(&w, &e->node);
			soff = w.pos;
			w.pos = save;
		}
		eoff += sz;
		g_assert(w.pos == eoff);
	}
	g_assert(sf_wr_ok(&w) && soff == n);
	*len = n;
	return b;
}
