/* spnego.c - SPNEGO NegTokenInit / NegTokenResp (RFC 4178 4.2, MS-SPNG 2.2). */
#include "auth/spnego.h"

#include "auth/asn1.h"

#include <errno.h>
#include <string.h>

const uint8_t sf_oid_spnego[6] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
const uint8_t sf_oid_ntlmssp[10] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};
const uint8_t sf_oid_krb5[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
const uint8_t sf_oid_mskrb5[9] = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};

GByteArray *sf_spnego_mech_list(const uint8_t *const *oids, const size_t *lens, size_t n)
{
	GByteArray *inner = g_byte_array_new(), *out = g_byte_array_new();
	for (size_t i = 0; i < n; i++)
		sf_der_put(inner, DER_OID, oids[i], lens[i]);
	sf_der_wrap(out, DER_SEQUENCE, inner);
	g_byte_array_unref(inner);
	return out;
}

GByteArray *sf_spnego_init_encode(const GByteArray *mech_list, const uint8_t *tok, size_t tok_len)
{
	GByteArray *seq = g_byte_array_new(), *tmp = g_byte_array_new();
	sf_der_wrap(seq, DER_CTX(0), mech_list);
	if (tok) {
		sf_der_put(tmp, DER_OCTET_STRING, tok, tok_len);
		sf_der_wrap(seq, DER_CTX(2), tmp);
	}
	GByteArray *init = g_byte_array_new();
	sf_der_wrap(init, DER_SEQUENCE, seq);
	g_byte_array_set_size(tmp, 0);
	sf_der_put(tmp, DER_OID, sf_oid_spnego, sizeof sf_oid_spnego);
	sf_der_wrap(tmp, DER_CTX(0), init);
	GByteArray *out = g_byte_array_new();
	sf_der_wrap(out, DER_APPLICATION0, tmp);
	g_byte_array_unref(seq);
	g_byte_array_unref(tmp);
	g_byte_array_unref(init);
	return out;
}

GByteArray *sf_spnego_resp_encode(const uint8_t *tok, size_t tok_len, const uint8_t *mic,
                                  size_t mic_len)
{
	GByteArray *seq = g_byte_array_new(), *tmp = g_byte_array_new();
	if (tok) {
		sf_der_put(tmp, DER_OCTET_STRING, tok, tok_len);
		sf_der_wrap(seq, DER_CTX(2), tmp);
	}
	if (mic) {
		g_byte_array_set_size(tmp, 0);
		sf_der_put(tmp, DER_OCTET_STRING, mic, mic_len);
		sf_der_wrap(seq, DER_CTX(3), tmp);
	}
	g_byte_array_set_size(tmp, 0);
	sf_der_wrap(tmp, DER_SEQUENCE, seq);
	GByteArray *out = g_byte_array_new();
	sf_der_wrap(out, DER_CTX(1), tmp);
	g_byte_array_unref(seq);
	g_byte_array_unref(tmp);
	return out;
}

int sf_spnego_resp_decode(const uint8_t *buf, size_t len, struct sf_spnego_resp *out)
{
	memset(out, 0, sizeof *out);
	out->neg_state = SF_NEG_ABSENT;
	struct sf_der d = {buf, len}, resp, seq;
	if (!sf_der_expect(&d, DER_CTX(1), &resp) || !sf_der_expect(&resp, DER_SEQUENCE, &seq))
		return -EPROTO;
	int last = -1;
	while (seq.len) {
		uint8_t tag;
		struct sf_der field, v;
		if (!sf_der_next(&seq, &tag, &field))
			return -EPROTO;
		int n = tag - DER_CTX(0);
		if (n < 0 || n > 3 || n <= last) /* fields in order, once each */
			return -EPROTO;
		last = n;
		switch (n) {
		case 0:
			if (!sf_der_expect(&field, DER_ENUMERATED, &v) || v.len != 1 || v.p[0] > 3)
				return -EPROTO;
			out->neg_state = v.p[0];
			break;
		case 1:
			if (!sf_der_expect(&field, DER_OID, &v))
				return -EPROTO;
			out->mech = v.p, out->mech_len = v.len;
			break;
		case 2:
			if (!sf_der_expect(&field, DER_OCTET_STRING, &v))
				return -EPROTO;
			out->token = v.p, out->token_len = v.len;
			break;
		case 3:
			if (!sf_der_expect(&field, DER_OCTET_STRING, &v))
				return -EPROTO;
			out->mic = v.p, out->mic_len = v.len;
			break;
		}
	}
	return 0;
}

int sf_spnego_init_decode(const uint8_t *buf, size_t len, bool *has_ntlm, bool *has_krb5)
{
	*has_ntlm = *has_krb5 = false;
	struct sf_der d = {buf, len}, app, oid, init, seq, mt, list;
	if (!sf_der_expect(&d, DER_APPLICATION0, &app) || !sf_der_expect(&app, DER_OID, &oid) ||
	    oid.len != sizeof sf_oid_spnego || memcmp(oid.p, sf_oid_spnego, oid.len) != 0 ||
	    !sf_der_expect(&app, DER_CTX(0), &init) || !sf_der_expect(&init, DER_SEQUENCE, &seq) ||
	    !sf_der_expect(&seq, DER_CTX(0), &mt) || !sf_der_expect(&mt, DER_SEQUENCE, &list))
		return -EPROTO;
	for (int i = 0; list.len; i++) {
		struct sf_der m;
		if (i > 64 || !sf_der_expect(&list, DER_OID, &m))
			return -EPROTO;
		if (m.len == sizeof sf_oid_ntlmssp && !memcmp(m.p, sf_oid_ntlmssp, m.len))
			*has_ntlm = true;
		if ((m.len == sizeof sf_oid_krb5 && !memcmp(m.p, sf_oid_krb5, m.len)) ||
		    (m.len == sizeof sf_oid_mskrb5 && !memcmp(m.p, sf_oid_mskrb5, m.len)))
			*has_krb5 = true;
	}
	return 0;
}
