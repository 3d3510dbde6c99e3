/* asn1.c - bounds-checked DER reader/writer. */
#include "auth/asn1.h"

bool sf_der_next(struct sf_der *d, uint8_t *tag, struct sf_der *content)
{
	if (!d->p || d->len < 2)
		return false;
	uint8_t t = d->p[0];
	if ((t & 0x1F) == 0x1F)
		return false; /* high tag numbers: never used by SPNEGO */
	size_t pos = 1, n;
	uint8_t l0 = d->p[pos++];
	if (l0 < 0x80) {
		n = l0;
	} else {
		size_t k = l0 & 0x7F;
		if (k == 0 || k > 4 || k > d->len - pos)
			return false; /* indefinite or absurd length */
		n = 0;
		for (size_t i = 0; i < k; i++)
			n = (n << 8) | d->p[pos++];
		if (n < 0x80)
			return false; /* DER requires the short form here */
	}
	if (n > d->len - pos)
		return false;
	*tag = t;
	content->p = d->p + pos;
	content->len = n;
	d->p += pos + n;
	d->len -= pos + n;
	return true;
}

bool sf_der_expect(struct sf_der *d, uint8_t tag, struct sf_der *content)
{
	uint8_t t;
	return sf_der_next(d, &t, content) && t == tag;
}

void sf_der_put(GByteArray *out, uint8_t tag, const void *p, size_t n)
{
	uint8_t h[6];
	size_t hl = 0;
	h[hl++] = tag;
	if (n < 0x80) {
		h[hl++] = (uint8_t)n;
	} else if (n <= 0xFF) {
		h[hl++] = 0x81;
		h[hl++] = (uint8_t)n;
	} else if (n <= 0xFFFF) {
		h[hl++] = 0x82;
		h[hl++] = (uint8_t)(n >> 8);
		h[hl++] = (uint8_t)n;
	} else {
		h[hl++] = 0x83;
		h[hl++] = (uint8_t)(n >> 16);
		h[hl++] = (uint8_t)(n >> 8);
		h[hl++] = (uint8_t)n;
	}
	g_byte_array_append(out, h, (guint)hl);
	if (n)
		g_byte_array_append(out, p, (guint)n);
}

void sf_der_wrap(GByteArray *out, uint8_t tag, const GByteArray *inner)
{
	sf_der_put(out, tag, inner->data, inner->len);
}
