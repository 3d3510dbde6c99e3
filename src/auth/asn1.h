/* asn1.h - the small subset of DER that SPNEGO needs: definite lengths,
 * nested TLVs, OIDs. The reader never leaves its buffer; indefinite
 * lengths and lengths over 4 bytes are refused. */
#ifndef SF_AUTH_ASN1_H
#define SF_AUTH_ASN1_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sf_der {
	const uint8_t *p;
	size_t len;
};

/* Read one TLV from the front of *d: its tag byte and content span; *d
 * advances past it. Multi-byte tags are refused. Returns false on any
 * malformation. */
bool sf_der_next(struct sf_der *d, uint8_t *tag, struct sf_der *content);
/* Read one TLV and require its tag. */
bool sf_der_expect(struct sf_der *d, uint8_t tag, struct sf_der *content);

/* Writer: append a TLV whose content is [p, p+n). */
void sf_der_put(GByteArray *out, uint8_t tag, const void *p, size_t n);
/* Wrap the whole current content of `inner` in a TLV appended to out. */
void sf_der_wrap(GByteArray *out, uint8_t tag, const GByteArray *inner);

#define DER_SEQUENCE     0x30
#define DER_OCTET_STRING 0x04
#define DER_OID          0x06
#define DER_ENUMERATED   0x0A
#define DER_BIT_STRING   0x03
#define DER_GENERAL_STR  0x1B
#define DER_APPLICATION0 0x60
#define DER_CTX(n)       (0xA0 | (n)) /* [n] constructed, context-specific */

#endif
