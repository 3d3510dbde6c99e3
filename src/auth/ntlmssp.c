/* ntlmssp.c - NTLMv2 client (MS-NLMP 3.1.5, 3.3.2, 3.4). */
#include "auth/ntlmssp.h"

#include "crypto/prim.h"
#include "util/secmem.h"
#include "util/bytes.h"
#include "util/timeconv.h"
#include "util/utf16.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static const uint8_t signature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
/* VERSION (2.2.2.10): 6.1 build 7600, NTLMSSP_REVISION_W2K3. Informational. */
static const uint8_t version[8] = {6, 1, 0xb0, 0x1d, 0, 0, 0, 0x0f};

#define OUR_FLAGS                                                                                  \
	(NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_REQUEST_TARGET | NTLMSSP_NEGOTIATE_SIGN |             \
	 NTLMSSP_NEGOTIATE_SEAL | NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_ALWAYS_SIGN |         \
	 NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLMSSP_NEGOTIATE_TARGET_INFO |              \
	 NTLMSSP_NEGOTIATE_VERSION | NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_KEY_EXCH |          \
	 NTLMSSP_NEGOTIATE_56)

struct sf_ntlm {
	char *user, *domain, *password, *workstation, *spn;
	bool anonymous;
	GByteArray *neg_msg; /* kept for the MIC */
	uint32_t flags;      /* negotiated */
	uint8_t session_key[16];
	bool have_key, used_mic;
	bool fixed_time, fixed_cc, fixed_rsk;
	uint64_t t;
	uint8_t cc[8], rsk[16];
};

/* ---- CHALLENGE_MESSAGE ----------------------------------------------- */

/* A (Len, MaxLen, Offset) field: the span must lie inside the message and
 * after the fixed part. */
static bool field(struct sf_rd *r, size_t min_off, const uint8_t **p, size_t *n)
{
	uint16_t len = sf_rd_u16(r);
	sf_rd_skip(r, 2);
	uint32_t off = sf_rd_u32(r);
	if (!sf_rd_ok(r))
		return false;
	if (len == 0) {
		*p = NULL;
		*n = 0;
		return true;
	}
	if (!sf_span_ok_from(min_off, off, len, r->len))
		return false;
	*p = r->buf + off;
	*n = len;
	return true;
}

int sf_ntlm_challenge_decode(const uint8_t *buf, size_t len, struct sf_ntlm_challenge *out)
{
	memset(out, 0, sizeof *out);
	struct sf_rd r;
	sf_rd_init(&r, buf, len);
	const uint8_t *sig = sf_rd_ptr(&r, 8);
	if (!sig || memcmp(sig, signature, 8) != 0 || sf_rd_u32(&r) != 2)
		return -EPROTO;
	const uint8_t *tn;
	size_t tn_len;
	if (!field(&r, 32, &tn, &tn_len))
		return -EPROTO;
	out->flags = sf_rd_u32(&r);
	sf_rd_copy(&r, out->server_challenge, 8);
	sf_rd_skip(&r, 8); /* Reserved */
	if (!field(&r, 48, &out->target_info, &out->target_info_len) || !sf_rd_ok(&r))
		return -EPROTO;
	if (tn_len % 2)
		return -EPROTO;
	if (!out->target_info_len)
		return -EPROTO; /* NTLMv2 needs the target info */
	/* Walk the AV pairs: bounded, and must end with MsvAvEOL. */
	struct sf_rd av;
	sf_rd_init(&av, out->target_info, out->target_info_len);
	for (int i = 0;; i++) {
		uint16_t id = sf_rd_u16(&av), n = sf_rd_u16(&av);
		const uint8_t *v = sf_rd_ptr(&av, n);
		if (!sf_rd_ok(&av) || i > 64)
			return -EPROTO;
		if (id == MSV_AV_EOL)
			break;
		if (id == MSV_AV_TIMESTAMP) {
			if (n != 8)
				return -EPROTO;
			out->has_timestamp = true;
			out->timestamp = sf_le64(v);
		}
	}
	return 0;
}

/* ---- client state ---------------------------------------------------- */

static void wipe_free(char *s)
{
	if (s)
		sf_wipe(s, strlen(s));
	g_free(s);
}

struct sf_ntlm *sf_ntlm_new(const char *user, const char *domain, const char *password,
                            const char *workstation, const char *target_spn, bool anonymous)
{
	struct sf_ntlm *n = g_new0(struct sf_ntlm, 1);
	n->user = g_strdup(anonymous ? "" : (user ? user : ""));
	n->domain = g_strdup(domain ? domain : "");
	/* Kept out of core dumps like the credentials it came from. */
	n->password = sf_secmem_strdup(anonymous ? "" : (password ? password : ""));
	n->workstation = g_strdup(workstation ? workstation : "");
	n->spn = g_strdup(target_spn);
	n->anonymous = anonymous;
	return n;
}

void sf_ntlm_free(struct sf_ntlm *n)
{
	if (!n)
		return;
	wipe_free(n->user);
	wipe_free(n->domain);
	sf_secmem_free(n->password); /* wipes */
	wipe_free(n->workstation);
	g_free(n->spn);
	if (n->neg_msg)
		g_byte_array_unref(n->neg_msg);
	sf_wipe(n, sizeof *n);
	g_free(n);
}

void sf_ntlm_set_test_inputs(struct sf_ntlm *n, const uint64_t *t, const uint8_t cc[8],
                             const uint8_t rsk[16])
{
	if (t)
		n->fixed_time = true, n->t = *t;
	if (cc)
		n->fixed_cc = true, memcpy(n->cc, cc, 8);
	if (rsk)
		n->fixed_rsk = true, memcpy(n->rsk, rsk, 16);
}

GByteArray *sf_ntlm_negotiate(struct sf_ntlm *n)
{
	uint8_t m[40];
	struct sf_wr w;
	sf_wr_init(&w, m, sizeof m);
	sf_wr_bytes(&w, signature, 8);
	sf_wr_u32(&w, 1);
	sf_wr_u32(&w, OUR_FLAGS);
	sf_wr_zero(&w, 16); /* DomainNameFields, WorkstationFields: empty */
	sf_wr_bytes(&w, version, 8);
	g_assert(sf_wr_ok(&w) && w.pos == sizeof m);
	if (n->neg_msg)
		g_byte_array_unref(n->neg_msg);
	n->neg_msg = g_byte_array_new();
	g_byte_array_append(n->neg_msg, m, sizeof m);
	return g_byte_array_ref(n->neg_msg);
}

static uint8_t *utf16_or_empty(const char *s, size_t *len)
{
	uint8_t *u = sf_utf8_to_utf16(s ? s : "", -1, len);
	if (!u) {
		*len = 0;
		return g_malloc0(1);
	}
	return u;
}

void sf_ntlm_ntowfv2(const char *password, const char *user, const char *domain, uint8_t out[16])
{
	size_t pl, ul;
	uint8_t nt[16];
	uint8_t *pw = utf16_or_empty(password, &pl);
	sf_md4(pw, pl, nt);
	sf_wipe(pw, pl);
	g_free(pw);
	char *upper = g_utf8_strup(user ? user : "", -1);
	char *ud = g_strconcat(upper, domain ? domain : "", NULL);
	uint8_t *u = utf16_or_empty(ud, &ul);
	sf_hmac_md5(nt, 16, u, ul, out);
	sf_wipe(nt, 16);
	g_free(u);
	g_free(ud);
	g_free(upper);
}

/* Our AV pairs: the server's, minus EOL, plus MsvAvFlags (MIC present)
 * and the target name, plus EOL (3.1.5.1.2). */
static GByteArray *client_av_pairs(const struct sf_ntlm_challenge *c, bool mic, const char *spn)
{
	GByteArray *out = g_byte_array_new();
	struct sf_rd av;
	sf_rd_init(&av, c->target_info, c->target_info_len);
	uint32_t flags = mic ? MSV_AV_FLAG_MIC : 0;
	for (;;) {
		uint16_t id = sf_rd_u16(&av), len = sf_rd_u16(&av);
		const uint8_t *v = sf_rd_ptr(&av, len);
		if (!sf_rd_ok(&av) || id == MSV_AV_EOL)
			break;
		if (id == MSV_AV_FLAGS && len == 4) {
			flags |= sf_le32(v);
			continue;
		}
		if (id == MSV_AV_TARGET_NAME)
			continue;
		uint8_t h[4];
		sf_put_le16(h, id);
		sf_put_le16(h + 2, len);
		g_byte_array_append(out, h, 4);
		g_byte_array_append(out, v, len);
	}
	uint8_t h[8];
	if (flags) {
		sf_put_le16(h, MSV_AV_FLAGS);
		sf_put_le16(h + 2, 4);
		sf_put_le32(h + 4, flags);
		g_byte_array_append(out, h, 8);
	}
	if (spn) {
		size_t n;
		uint8_t *u = sf_utf8_to_utf16(spn, -1, &n);
		if (u && n <= 0xFFFF) {
			sf_put_le16(h, MSV_AV_TARGET_NAME);
			sf_put_le16(h + 2, (uint16_t)n);
			g_byte_array_append(out, h, 4);
			g_byte_array_append(out, u, (guint)n);
		}
		g_free(u);
	}
	memset(h, 0, 4);
	g_byte_array_append(out, h, 4);
	return out;
}

int sf_ntlm_authenticate(struct sf_ntlm *n, const uint8_t *chal, size_t chal_len, GByteArray **out)
{
	struct sf_ntlm_challenge c;
	if (!n->neg_msg || sf_ntlm_challenge_decode(chal, chal_len, &c) != 0)
		return -EPROTO;
	if (!(c.flags & NTLMSSP_NEGOTIATE_UNICODE))
		return -EPROTO; /* we only speak UTF-16 */
	n->flags = (c.flags & OUR_FLAGS) | NTLMSSP_NEGOTIATE_UNICODE;
	if (n->anonymous) /* no key to exchange, sign or seal with (3.1.5.1.2) */
		n->flags = (n->flags | NTLMSSP_NEGOTIATE_ANONYMOUS) &
		           ~(NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_SIGN |
		             NTLMSSP_NEGOTIATE_SEAL);

	GByteArray *lm = g_byte_array_new(), *nt = g_byte_array_new();
	uint8_t exported[16] = {0}, enc_key[16] = {0};
	bool mic = false, key_exch = false;
	if (n->anonymous) {
		uint8_t z = 0;
		g_byte_array_append(lm, &z, 1); /* LmChallengeResponse = Z(1) (3.1.5.1.2) */
	} else {
		uint8_t key[16], proof[16], base[16];
		sf_ntlm_ntowfv2(n->password, n->user, n->domain, key);
		uint8_t cc[8];
		if (n->fixed_cc)
			memcpy(cc, n->cc, 8);
		else
			sf_random(cc, 8);
		uint64_t t = n->fixed_time ? n->t
		             : c.has_timestamp
		                     ? c.timestamp
		                     : sf_timespec_to_filetime((struct timespec){time(NULL), 0});
		mic = c.has_timestamp;
		GByteArray *av = client_av_pairs(&c, mic, n->spn);
		/* temp = Responserversion, HiResponserversion, Z(6), Time,
		 * ClientChallenge, Z(4), ServerName (AV pairs), Z(4) (3.3.2). */
		uint8_t head[28] = {1, 1};
		sf_put_le64(head + 8, t);
		memcpy(head + 16, cc, 8);
		GByteArray *temp = g_byte_array_new();
		g_byte_array_append(temp, head, sizeof head);
		g_byte_array_append(temp, av->data, av->len);
		g_byte_array_append(temp, (const uint8_t[4]){0}, 4);
		g_byte_array_unref(av);
		sf_hmac_md5_2(key, 16, c.server_challenge, 8, temp->data, temp->len, proof);
		g_byte_array_append(nt, proof, 16);
		g_byte_array_append(nt, temp->data, temp->len);
		g_byte_array_unref(temp);
		sf_hmac_md5(key, 16, proof, 16, base);
		if (mic) {
			g_byte_array_append(lm, (const uint8_t[24]){0}, 24);
		} else {
			uint8_t lmr[16];
			sf_hmac_md5_2(key, 16, c.server_challenge, 8, cc, 8, lmr);
			g_byte_array_append(lm, lmr, 16);
			g_byte_array_append(lm, cc, 8);
		}
		/* KeyExchangeKey = SessionBaseKey for NTLMv2 (3.4.5.1). */
		if (n->flags & NTLMSSP_NEGOTIATE_KEY_EXCH) {
			key_exch = true;
			if (n->fixed_rsk)
				memcpy(exported, n->rsk, 16);
			else
				sf_random(exported, 16);
			sf_rc4(base, 16, exported, 16, enc_key);
		} else {
			memcpy(exported, base, 16);
		}
		memcpy(n->session_key, exported, 16);
		n->have_key = true;
		sf_wipe(key, 16);
		sf_wipe(base, 16);
	}
	n->used_mic = mic;

	size_t dl, ul, wl;
	uint8_t *dom = utf16_or_empty(n->domain, &dl);
	uint8_t *usr = utf16_or_empty(n->user, &ul);
	uint8_t *ws = utf16_or_empty(n->workstation, &wl);
	const size_t fixed = 88; /* 64 + Version(8) + MIC(16) */
	struct {
		const uint8_t *p;
		size_t n;
	} pay[6] = {
	        {lm->data, lm->len},         {nt->data, nt->len}, {dom, dl}, {usr, ul}, {ws, wl},
	        {enc_key, key_exch ? 16 : 0}};
	size_t total = fixed;
	for (int i = 0; i < 6; i++)
		total += pay[i].n;
	GByteArray *m = g_byte_array_sized_new((guint)total);
	g_byte_array_set_size(m, (guint)total);
	struct sf_wr w;
	sf_wr_init(&w, m->data, total);
	sf_wr_bytes(&w, signature, 8);
	sf_wr_u32(&w, 3);
	/* Payload order: Domain, User, Workstation, Lm, Nt, Key. */
	static const int order[6] = {2, 3, 4, 0, 1, 5};
	size_t offs[6], off = fixed;
	for (int i = 0; i < 6; i++) {
		offs[order[i]] = off;
		off += pay[order[i]].n;
	}
	for (int i = 0; i < 6; i++) { /* field descriptors in header order */
		sf_wr_u16(&w, (uint16_t)pay[i].n);
		sf_wr_u16(&w, (uint16_t)pay[i].n);
		sf_wr_u32(&w, (uint32_t)offs[i]);
	}
	sf_wr_u32(&w, n->flags);
	sf_wr_bytes(&w, version, 8);
	size_t mic_off = w.pos;
	sf_wr_zero(&w, 16);
	for (int i = 0; i < 6; i++)
		sf_wr_bytes(&w, pay[order[i]].p, pay[order[i]].n);
	g_assert(sf_wr_ok(&w) && w.pos == total);
	if (mic) {
		/* MIC = HMAC_MD5(ExportedSessionKey, NEG || CHAL || AUTH) (3.1.5.1.2). */
		GByteArray *all = g_byte_array_new();
		g_byte_array_append(all, n->neg_msg->data, n->neg_msg->len);
		g_byte_array_append(all, chal, (guint)chal_len);
		g_byte_array_append(all, m->data, m->len);
		sf_hmac_md5(exported, 16, all->data, all->len, m->data + mic_off);
		g_byte_array_unref(all);
	}
	sf_wipe(exported, 16);
	sf_wipe(dom, dl), sf_wipe(usr, ul);
	g_free(dom), g_free(usr), g_free(ws);
	g_byte_array_unref(lm);
	g_byte_array_unref(nt);
	*out = m;
	return 0;
}

const uint8_t *sf_ntlm_session_key(const struct sf_ntlm *n)
{
	return n->have_key ? n->session_key : NULL;
}

bool sf_ntlm_used_mic(const struct sf_ntlm *n)
{
	return n->used_mic;
}

void sf_ntlm_sign_seal_keys(const uint8_t session_key[16], bool client, uint8_t sign[16],
                            uint8_t seal[16])
{
	static const char c_sign[] = "session key to client-to-server signing key magic constant";
	static const char c_seal[] = "session key to client-to-server sealing key magic constant";
	static const char s_sign[] = "session key to server-to-client signing key magic constant";
	static const char s_seal[] = "session key to server-to-client sealing key magic constant";
	uint8_t buf[16 + sizeof c_sign];
	memcpy(buf, session_key, 16);
	memcpy(buf + 16, client ? c_sign : s_sign, sizeof c_sign); /* with the NUL */
	sf_md5(buf, sizeof buf, sign);
	memcpy(buf + 16, client ? c_seal : s_seal, sizeof c_seal);
	sf_md5(buf, sizeof buf, seal);
	sf_wipe(buf, sizeof buf);
}

/* MAC with extended session security, SeqNum 0, fresh RC4 state (3.4.4.2). */
static void mac(const struct sf_ntlm *n, bool client, const uint8_t *msg, size_t len,
                uint8_t sig[16])
{
	uint8_t sign[16], seal[16], h[16];
	sf_ntlm_sign_seal_keys(n->session_key, client, sign, seal);
	const uint8_t seq[4] = {0};
	sf_hmac_md5_2(sign, 16, seq, 4, msg, len, h);
	sf_put_le32(sig, 1);
	if (n->flags & NTLMSSP_NEGOTIATE_KEY_EXCH)
		sf_rc4(seal, 16, h, 8, sig + 4);
	else
		memcpy(sig + 4, h, 8);
	memcpy(sig + 12, seq, 4);
	sf_wipe(sign, 16), sf_wipe(seal, 16);
}

void sf_ntlm_get_mic(struct sf_ntlm *n, const uint8_t *msg, size_t len, uint8_t sig[16])
{
	mac(n, true, msg, len, sig);
}

bool sf_ntlm_verify_mic(struct sf_ntlm *n, const uint8_t *msg, size_t len, const uint8_t *sig,
                        size_t sig_len)
{
	uint8_t want[16];
	if (sig_len != 16 || !n->have_key)
		return false;
	mac(n, false, msg, len, want);
	return sf_ct_equal(want, sig, 16);
}
