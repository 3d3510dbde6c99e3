/* conn.c - the SMB2/3 connection engine (MS-SMB2 3.2.4.1, 3.2.5.1).
 *
 * Layout of this file: transport (connect, framing, reads, writes), the
 * request table and credits, sending (compounds, signing, sealing),
 * receiving (decrypt, chain walk, validation, signature checks, interim
 * responses, unsolicited breaks), NEGOTIATE, and teardown. */
#define G_LOG_DOMAIN "smbfuse-conn"

#include "net/conn.h"
#include "net/conn_testing.h"

#include "crypto/kdf.h"
#include "crypto/prim.h"
#include "crypto/seal.h"
#include "crypto/sign.h"
#include "proto/negotiate.h"
#include "proto/ntstatus.h"
#include "proto/session.h"
#include "proto/smb2.h"
#include "proto/transform.h"
#include "proto/validate.h"
#include "util/bytes.h"
#include "util/utf16.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#define CREDIT_RESERVE  2    /* kept back for control traffic */
#define CREDIT_TARGET   512  /* how many we try to hold */
#define CREDIT_MAX      8192 /* more than this from a server is not believed */
#define MAX_IN_FLIGHT_B (64u << 20)
/* Smallest MaxRead/MaxWrite/MaxTransact we work with (MS-SMB2 3.3.5.4
 * servers offer at least this). */
#define IO_SIZE_MIN 65536

/* A connection's life (MS-SMB2 3.2.4.1, 3.2.5.1): CONNECTING -> NEGOTIATING
 * -> READY; a transport error, a request without an answer, missed echoes
 * or a hostile response make it BROKEN (every request in flight fails with
 * STATUS_CONNECTION_DISCONNECTED, or the security failure's status, and
 * the owner hears lost()); sf_conn_reconnect() starts over on a new socket
 * under a new generation (credits and message ids start again from zero).
 * Only sf_conn_close() makes it DEAD, for good. */
enum conn_state { ST_CONNECTING, ST_NEGOTIATING, ST_READY, ST_BROKEN, ST_DEAD };

struct req {
	sf_conn *c;
	sf_req_handle handle; /* what callers hold: never reused */
	uint64_t mid;
	uint16_t charge;
	uint16_t command;
	uint64_t session_id;
	unsigned flags;
	bool async;
	uint64_t async_id;
	uint16_t asked;         /* CreditRequest we sent */
	uint16_t interim_grant; /* an unverified interim's grant, held back */
	sf_rsp_fn done;
	void *user;
	GSource *timer;
};

/* Requests queued together (a compound, or one request) until credits
 * allow sending them. */
struct batch {
	size_t n;
	struct sf_req_spec *specs; /* body pointers owned (copied) */
	struct req **reqs;
	unsigned total_charge;
};

struct sf_conn {
	int refs;
	GMainContext *ctx;
	struct sf_conn_opts opts;
	char *peer;
	enum conn_state state;
	unsigned generation;
	/* A session a verified answer said had expired (0: none); see
	 * handle_pdu for the Samba quirk this is about. */
	uint64_t expired_sid;

	GSocketClient *client;
	GCancellable *cancel;
	GSocketConnection *sconn;
	GSocket *sock;
	GSource *in_src, *out_src;

	/* Reading one frame: 4-byte header then body. */
	uint8_t rhdr[4];
	size_t rhdr_got;
	uint8_t *rbuf;
	size_t rneed, rgot;
	size_t frame_max; /* 1 MiB until NEGOTIATE settles the I/O sizes */

	GQueue wq; /* GBytes frames */
	size_t woff;

	GHashTable *pending; /* mid -> struct req */
	GQueue waiting;      /* struct batch awaiting credits */
	GHashTable *sec;     /* session id -> struct sf_conn_security */
	uint32_t credits;
	uint64_t next_mid;
	sf_req_handle next_handle;

	struct sf_negotiated neg;
	uint16_t prev_dialect; /* before a reconnect: the new one must be the same */
	uint8_t client_guid[16];
	GSource *echo_timer;
	bool echo_pending, rx_since_tick;
	unsigned echo_missed;
	sf_conn_ready_fn ready;
	void *ready_user;
	sf_conn_notify_fn notify;
	sf_conn_lost_fn lost;
	void *notify_user;
	struct sf_conn_stats st;
};

/* A transport that reads and writes (not broken, not closed). */
static bool live(const sf_conn *c)
{
	return c->state == ST_NEGOTIATING || c->state == ST_READY;
}

static void fail_all(sf_conn *c, uint32_t status);
static unsigned timeout_for(const sf_conn *c);
static void start_connect(sf_conn *c);
static void conn_fatal(sf_conn *c, uint32_t status, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void pump_waiting(sf_conn *c);
static void start_negotiate(sf_conn *c);

/* ---- lifetime ---------------------------------------------------------- */

sf_conn *sf_conn_ref(sf_conn *c)
{
	c->refs++;
	return c;
}

static void sec_free(gpointer p)
{
	struct sf_conn_security *s = p;
	sf_wipe(s, sizeof *s);
	g_free(s);
}

void sf_conn_unref(sf_conn *c)
{
	if (!c || --c->refs > 0)
		return;
	if (c->state != ST_DEAD) {
		c->refs = 1; /* keep alive through the teardown callbacks */
		sf_conn_close(c, STATUS_CONNECTION_DISCONNECTED);
		if (--c->refs > 0)
			return;
	}
	g_hash_table_destroy(c->pending);
	g_hash_table_destroy(c->sec);
	g_free(c->neg.security_blob);
	g_free(c->opts.host);
	g_free(c->opts.addr);
	g_free(c->peer);
	g_free(c->rbuf);
	if (c->client)
		g_object_unref(c->client);
	if (c->cancel)
		g_object_unref(c->cancel);
	if (c->sconn)
		g_object_unref(c->sconn);
	g_main_context_unref(c->ctx);
	g_free(c);
}

const struct sf_negotiated *sf_conn_negotiated(const sf_conn *c)
{
	return &c->neg;
}

GMainContext *sf_conn_context(const sf_conn *c)
{
	return c->ctx;
}

const char *sf_conn_peer(const sf_conn *c)
{
	return c->peer;
}

const char *sf_conn_host(const sf_conn *c)
{
	return c->opts.host;
}

bool sf_conn_alive(const sf_conn *c)
{
	return c->state == ST_READY;
}

unsigned sf_conn_generation(const sf_conn *c)
{
	return c->generation;
}

void sf_conn_set_notify(sf_conn *c, sf_conn_notify_fn fn, sf_conn_lost_fn lost, void *user)
{
	c->notify = fn;
	c->lost = lost;
	c->notify_user = user;
}

void sf_conn_stats(const sf_conn *c, struct sf_conn_stats *out)
{
	*out = c->st;
	out->credits = c->credits;
	out->in_flight = g_hash_table_size(c->pending);
}

void sf_conn_set_security(sf_conn *c, uint64_t sid, const struct sf_conn_security *sec)
{
	struct sf_conn_security *s = g_new(struct sf_conn_security, 1);
	*s = *sec;
	g_hash_table_replace(c->sec, g_memdup2(&sid, sizeof sid), s);
	if (c->expired_sid == sid)
		c->expired_sid = 0;
}

void sf_conn_drop_security(sf_conn *c, uint64_t sid)
{
	g_hash_table_remove(c->sec, &sid);
	if (c->expired_sid == sid)
		c->expired_sid = 0;
}

static struct sf_conn_security *sec_of(sf_conn *c, uint64_t sid)
{
	return sid ? g_hash_table_lookup(c->sec, &sid) : NULL;
}

/* ---- completion -------------------------------------------------------- */

static void req_free(struct req *r)
{
	if (r->timer) {
		g_source_destroy(r->timer);
		g_source_unref(r->timer);
	}
	g_free(r);
}

/* Run the callback exactly once and forget the request. */
static void req_complete(struct req *r, uint32_t status, const uint8_t *pdu, size_t len)
{
	sf_rsp_fn done = r->done;
	void *user = r->user;
	r->done = NULL;
	req_free(r);
	if (done)
		done(user, status, pdu, len);
}

static void arm_timer(struct req *r, unsigned ms, GSourceFunc fn)
{
	if (r->timer) {
		g_source_destroy(r->timer);
		g_source_unref(r->timer);
	}
	r->timer = g_timeout_source_new(ms);
	g_source_set_callback(r->timer, fn, r, NULL);
	g_source_attach(r->timer, r->c->ctx);
}

/* The timer being dispatched is destroyed when its callback returns
 * G_SOURCE_REMOVE: drop our reference without destroying it twice. */
static void timer_fired(struct req *r)
{
	g_source_unref(r->timer);
	r->timer = NULL;
}

/* No answer within the timeout: the server or the path to it is gone
 * (MS-SMB2 3.2.6.1 lets a client give up on the connection). Everything
 * in flight fails with STATUS_CONNECTION_DISCONNECTED, which the tree
 * layer replays on the next connection. */
static gboolean req_timeout(gpointer p)
{
	struct req *r = p;
	sf_conn *c = r->c;
	timer_fired(r);
	conn_fatal(c, STATUS_IO_TIMEOUT,
	           "%s: %s (mid %" G_GUINT64_FORMAT ") timed out: no answer within %u ms", c->peer,
	           smb2_command_name(r->command), r->mid, timeout_for(c));
	return G_SOURCE_REMOVE;
}

struct deferred {
	sf_rsp_fn done;
	void *user;
	uint32_t status;
};

static gboolean deferred_run(gpointer p)
{
	struct deferred *d = p;
	d->done(d->user, d->status, NULL, 0);
	g_free(d);
	return G_SOURCE_REMOVE;
}

/* Fail a request that never got a message id, outside the caller's stack. */
static void complete_later(sf_conn *c, sf_rsp_fn done, void *user, uint32_t status)
{
	if (!done)
		return;
	struct deferred *d = g_new(struct deferred, 1);
	d->done = done, d->user = user, d->status = status;
	GSource *s = g_idle_source_new();
	g_source_set_callback(s, deferred_run, d, NULL);
	g_source_attach(s, c->ctx);
	g_source_unref(s);
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		g_free((void *)b->specs[i].body);
	g_free(b->specs);
	g_free(b->reqs);
	g_free(b);
}

/* ---- transport: writing ----------------------------------------------- */

static gboolean on_writable(GSocket *s, GIOCondition cond, gpointer p);

static void flush_writes(sf_conn *c)
{
	while (c->sock && !g_queue_is_empty(&c->wq)) {
		GBytes *b = g_queue_peek_head(&c->wq);
		gsize n;
		const uint8_t *d = g_bytes_get_data(b, &n);
		GError *err = NULL;
		gssize w =
		        g_socket_send(c->sock, (const char *)d + c->woff, n - c->woff, NULL, &err);
		if (w < 0) {
			if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
				g_error_free(err);
				if (!c->out_src) {
					c->out_src =
					        g_socket_create_source(c->sock, G_IO_OUT, NULL);
					g_source_set_callback(
					        c->out_src,
					        (GSourceFunc)(void (*)(void))on_writable, c, NULL);
					g_source_attach(c->out_src, c->ctx);
				}
				return;
			}
			conn_fatal(c, STATUS_CONNECTION_DISCONNECTED, "send to %s: %s", c->peer,
			           err->message);
			g_error_free(err);
			return;
		}
		c->woff += (size_t)w;
		if (c->woff == n) {
			g_bytes_unref(g_queue_pop_head(&c->wq));
			c->woff = 0;
		}
	}
	if (c->out_src) {
		g_source_destroy(c->out_src);
		g_source_unref(c->out_src);
		c->out_src = NULL;
	}
}

static gboolean on_writable(GSocket *s, GIOCondition cond, gpointer p)
{
	sf_conn *c = p;
	sf_conn_ref(c);
	flush_writes(c);
	sf_conn_unref(c);
	return G_SOURCE_CONTINUE; /* flush_writes removes the source when done */
}

/* Queue one frame, taking f (g_malloc'd): its first 4 bytes are room for
 * the direct-TCP header, the payload follows (MS-SMB2 2.1). Large WRITEs
 * are built in place this way rather than copied once more. */
static void queue_frame(sf_conn *c, uint8_t *f, size_t total)
{
	if (!c->sock) { /* detached (conn_testing.h): counted, dropped */
		c->st.sent++;
		g_free(f);
		return;
	}
	sf_put_be32(f, (uint32_t)(total - 4)); /* top byte is the zero type byte */
	g_queue_push_tail(&c->wq, g_bytes_new_take(f, total));
	c->st.sent++;
	c->st.bytes_sent += total;
	flush_writes(c);
}

static void send_frame(sf_conn *c, const uint8_t *payload, size_t len)
{
	uint8_t *f = g_malloc(4 + len);
	memcpy(f + 4, payload, len);
	queue_frame(c, f, 4 + len);
}

/* ---- sending requests -------------------------------------------------- */

static uint16_t credit_request(sf_conn *c, uint16_t charge)
{
	uint32_t want = charge;
	if (c->credits < CREDIT_TARGET)
		want += MIN(CREDIT_TARGET - c->credits, 64u);
	return (uint16_t)MIN(want, 0xFFFFu);
}

static void trace_out(sf_conn *c, const struct smb2_hdr *h, size_t len)
{
	g_debug("%s > %s mid=%" G_GUINT64_FORMAT
	        " charge=%u ask=%u flags=0x%x sid=0x%" G_GINT64_MODIFIER "x tid=0x%x len=%zu",
	        c->peer, smb2_command_name(h->command), h->message_id, h->credit_charge, h->credits,
	        h->flags, h->session_id, h->tree_id, len);
}

/* A reconnect attempt's NEGOTIATE gets less time than a request: a server
 * that is up answers it at once, and one that accepts and says nothing (a
 * half-started smbd, a proxy whose backend is down) must not hold the
 * next attempt back for a whole timeout. */
#define RECONNECT_NEGOTIATE_MS 5000

static unsigned timeout_for(const sf_conn *c)
{
	if (c->state == ST_NEGOTIATING && c->prev_dialect)
		return MIN(c->opts.timeout_ms, RECONNECT_NEGOTIATE_MS);
	return c->opts.timeout_ms;
}

/* Build, sign, seal and queue a batch whose credits are available. */
static void send_batch(sf_conn *c, struct batch *b)
{
	bool large_mtu = c->neg.dialect > SMB2_DIALECT_0202;
	GByteArray *out = g_byte_array_new();
	g_byte_array_set_size(out, 4); /* the frame header's room */
	struct sf_conn_security *sec = sec_of(c, b->specs[0].session_id);
	bool seal = sec && sec->seal;
	for (size_t i = 0; i < b->n; i++) {
		const struct sf_req_spec *s = &b->specs[i];
		struct req *r = b->reqs[i];
		r->mid = c->next_mid;
		c->next_mid += r->charge;
		c->credits -= r->charge;
		struct smb2_hdr h = {
		        .credit_charge = large_mtu ? r->charge : 0,
		        /* ChannelSequence (3.x): the generation, so that a server
		         * tells requests sent after a reconnect from those of the
		         * lost connection (MS-SMB2 3.2.7.1, 3.3.5.2.10). */
		        .status =
		                c->neg.dialect >= SMB2_DIALECT_0300 ? (c->generation & 0xFFFF) : 0,
		        .command = s->command,
		        .credits = credit_request(c, r->charge),
		        .flags = s->hdr_flags | (i > 0 ? SMB2_FLAGS_RELATED_OPERATIONS : 0),
		        .message_id = r->mid,
		        .tree_id = s->tree_id,
		        .session_id = s->session_id,
		};
		size_t start = out->len;
		size_t pdu_len = SMB2_HDR_LEN + s->body_len;
		size_t padded = i + 1 < b->n ? sf_align_up(pdu_len, 8) : pdu_len;
		if (i + 1 < b->n)
			h.next_command = (uint32_t)padded;
		g_byte_array_set_size(out, (guint)(start + padded));
		uint8_t *pdu = out->data + start;
		memset(pdu, 0, padded);
		smb2_hdr_encode(&h, pdu);
		memcpy(pdu + SMB2_HDR_LEN, s->body, s->body_len);
		/* Sign when the session signs and the message is not sealed (an
		 * encrypted message is authenticated by its AEAD tag). */
		struct sf_conn_security *ss = sec_of(c, s->session_id);
		if (ss && (ss->sign || (s->flags & SF_REQ_SIGN)) && !ss->seal &&
		    !(s->flags & SF_REQ_NO_SIGN)) {
			sf_sign_apply(ss->sign_alg, ss->keys.signing, pdu, padded);
			c->st.signed_sent++;
			h.flags |= SMB2_FLAGS_SIGNED;
		}
		r->asked = h.credits;
		if (s->command <= SMB2_OPLOCK_BREAK)
			c->st.requests[s->command]++;
		trace_out(c, &h, padded);
		if (s->sent)
			s->sent(s->user, pdu, padded);
		g_hash_table_insert(c->pending, &r->mid, r);
		if (!(s->flags & SF_REQ_NO_TIMEOUT) && c->opts.timeout_ms)
			arm_timer(r, timeout_for(c), req_timeout);
	}
	size_t plain = out->len - 4;
	if (seal) {
		uint8_t *enc = g_malloc(4 + SF_TRANSFORM_HDR_LEN + plain);
		const uint8_t *key = sec->keys.encryption;
		if (sf_seal_encrypt(sec->cipher, key, b->specs[0].session_id, NULL, out->data + 4,
		                    plain, enc + 4) == 0) {
			queue_frame(c, enc, 4 + SF_TRANSFORM_HDR_LEN + plain);
			c->st.encrypted_sent++;
		} else {
			g_free(enc);
		}
		g_byte_array_unref(out);
	} else {
		queue_frame(c, g_byte_array_free(out, FALSE), 4 + plain);
	}
	batch_free(b);
}

static bool batch_fits(sf_conn *c, const struct batch *b)
{
	bool control = b->specs[0].flags & SF_REQ_CONTROL;
	unsigned reserve = control ? 0 : CREDIT_RESERVE;
	/* With nothing in flight no grant can arrive: spend the reserve rather
	 * than deadlock. */
	if (g_hash_table_size(c->pending) == 0)
		reserve = 0;
	return c->credits >= b->total_charge + reserve;
}

static void pump_waiting(sf_conn *c)
{
	while (c->state == ST_READY && !g_queue_is_empty(&c->waiting)) {
		struct batch *b = g_queue_peek_head(&c->waiting);
		if (!batch_fits(c, b)) {
			if (g_hash_table_size(c->pending) == 0 && c->credits < b->total_charge)
				conn_fatal(c, STATUS_INSUFF_SERVER_RESOURCES,
				           "%s: no credits and nothing in flight", c->peer);
			return;
		}
		g_queue_pop_head(&c->waiting);
		send_batch(c, b);
	}
}

sf_req_handle sf_conn_submit(sf_conn *c, const struct sf_req_spec *specs, size_t n)
{
	if (c->state == ST_DEAD || (c->state != ST_READY && specs[0].command != SMB2_NEGOTIATE)) {
		for (size_t i = 0; i < n; i++)
			complete_later(c, specs[i].done, specs[i].user,
			               STATUS_CONNECTION_DISCONNECTED);
		return 0;
	}
	bool large_mtu = c->neg.dialect > SMB2_DIALECT_0202 &&
	                 (c->neg.capabilities & SMB2_GLOBAL_CAP_LARGE_MTU);
	struct batch *b = g_new0(struct batch, 1);
	b->n = n;
	b->specs = g_new(struct sf_req_spec, n);
	b->reqs = g_new(struct req *, n);
	for (size_t i = 0; i < n; i++) {
		b->specs[i] = specs[i];
		b->specs[i].body = g_memdup2(specs[i].body, specs[i].body_len);
		struct req *r = g_new0(struct req, 1);
		r->c = c;
		r->handle = ++c->next_handle;
		r->command = specs[i].command;
		r->session_id = specs[i].session_id;
		r->flags = specs[i].flags;
		r->done = specs[i].done;
		r->user = specs[i].user;
		r->charge =
		        large_mtu ? smb2_credit_charge(specs[i].body_len, specs[i].expect_rsp) : 1;
		b->total_charge += r->charge;
		b->reqs[i] = r;
	}
	sf_req_handle first = b->reqs[0]->handle;
	if (g_queue_is_empty(&c->waiting) && batch_fits(c, b)) {
		send_batch(c, b);
		return first;
	}
	g_queue_push_tail(&c->waiting, b);
	pump_waiting(c);
	return first;
}

unsigned sf_conn_outstanding(const sf_conn *c)
{
	unsigned n = g_hash_table_size(c->pending);
	for (GList *l = c->waiting.head; l; l = l->next)
		n += (unsigned)((struct batch *)l->data)->n;
	return n;
}

static gboolean has_handle(gpointer key, gpointer value, gpointer user)
{
	return ((struct req *)value)->handle == *(sf_req_handle *)user;
}

void sf_conn_cancel(sf_conn *c, sf_req_handle handle)
{
	if (!handle || c->state == ST_DEAD)
		return;
	/* Still waiting for credits: it never reaches the server. */
	for (GList *l = c->waiting.head; l; l = l->next) {
		struct batch *b = l->data;
		for (size_t i = 0; i < b->n; i++) {
			if (b->reqs[i]->handle != handle)
				continue;
			g_queue_delete_link(&c->waiting, l);
			for (size_t j = 0; j < b->n; j++) {
				complete_later(c, b->reqs[j]->done, b->reqs[j]->user,
				               STATUS_CANCELLED);
				req_free(b->reqs[j]);
			}
			batch_free(b);
			return;
		}
	}
	struct req *r = g_hash_table_find(c->pending, has_handle, &handle);
	if (!r || c->state != ST_READY)
		return;
	/* CANCEL reuses the request's MessageId and consumes no credit
	 * (3.2.4.24); after an interim response it names the AsyncId too,
	 * and still carries the MessageId: under AES-GMAC signing the
	 * MessageId is the nonce, and Samba 4.17 refuses (ACCESS_DENIED, an
	 * answer to a CANCEL) one signed with MessageId 0. */
	struct smb2_hdr h = {
	        .command = SMB2_CANCEL,
	        .flags = r->async ? SMB2_FLAGS_ASYNC_COMMAND : 0,
	        .message_id = r->mid,
	        .async_id = r->async_id,
	        .session_id = r->session_id,
	};
	uint8_t pdu[SMB2_HDR_LEN + 4];
	smb2_hdr_encode(&h, pdu);
	smb2_simple_req_encode(pdu + SMB2_HDR_LEN);
	struct sf_conn_security *ss = sec_of(c, r->session_id);
	if (ss && ss->seal) {
		uint8_t enc[SF_TRANSFORM_HDR_LEN + sizeof pdu];
		if (sf_seal_encrypt(ss->cipher, ss->keys.encryption, r->session_id, NULL, pdu,
		                    sizeof pdu, enc) == 0)
			send_frame(c, enc, sizeof enc);
		return;
	}
	if (ss && ss->sign)
		sf_sign_apply(ss->sign_alg, ss->keys.signing, pdu, sizeof pdu);
	trace_out(c, &h, sizeof pdu);
	send_frame(c, pdu, sizeof pdu);
}

bool sf_conn_verify_with(const sf_conn *c, uint16_t alg, const uint8_t key[16], const uint8_t *pdu,
                         size_t len)
{
	return sf_sign_verify(alg, key, pdu, len);
}

/* ---- receiving --------------------------------------------------------- */

/* How the frame a PDU came in was protected. */
struct frame_sec {
	bool encrypted;
	uint64_t session_id; /* the transform header's, when encrypted */
};

/* Credits from a response we trust, within what we are willing to hold. */
static void grant(sf_conn *c, uint32_t n)
{
	c->credits = MIN(c->credits + n, (uint32_t)CREDIT_MAX);
	c->st.credits_granted += n;
}

static void security_failure(sf_conn *c, const struct smb2_hdr *h, const char *why)
{
	conn_fatal(c, STATUS_INVALID_SIGNATURE,
	           "%s: security failure: %s response (mid %" G_GUINT64_FORMAT
	           ", session 0x%" G_GINT64_MODIFIER "x) %s",
	           c->peer, smb2_command_name(h->command), h->message_id, h->session_id, why);
}

static gboolean sec_seals(gpointer key, gpointer value, gpointer user)
{
	return ((struct sf_conn_security *)value)->seal;
}

/* Unsolicited oplock / lease break (3.2.5.19). MS-SMB2 3.2.5.1.3 lets it
 * come unsigned (MessageId all ones), and Samba sends lease breaks with
 * SessionId 0 in the clear even on an encrypted connection (no session,
 * no key), so it can only be trusted this far: its consumer acknowledges
 * it, which the server refuses for a break it did not send, and drops
 * nothing it relies on. What can be checked is: a signed break verifies,
 * and an oplock break (which names a session's open) on a connection with
 * an encrypted session comes encrypted (3.3.4.6). */
static void handle_break(sf_conn *c, const struct smb2_hdr *h, const uint8_t *pdu, size_t len,
                         const struct frame_sec *fs)
{
	if (h->command != SMB2_OPLOCK_BREAK) {
		g_debug("%s: unsolicited %s dropped", c->peer, smb2_command_name(h->command));
		return;
	}
	bool lease_break = len >= SMB2_HDR_LEN + 2 && sf_le16(pdu + SMB2_HDR_LEN) == 44;
	if (!fs->encrypted && !lease_break && g_hash_table_find(c->sec, sec_seals, NULL)) {
		g_debug("%s: unencrypted oplock break on an encrypted connection dropped", c->peer);
		return;
	}
	if (!fs->encrypted && (h->flags & SMB2_FLAGS_SIGNED)) {
		struct sf_conn_security *ss = sec_of(c, h->session_id);
		if (!ss || !sf_sign_verify(ss->sign_alg, ss->keys.signing, pdu, len)) {
			security_failure(c, h, "failed signature verification");
			return;
		}
		c->st.verified++;
	}
	if (c->notify)
		c->notify(c->notify_user, pdu, len);
}

/* One response PDU (MS-SMB2 3.2.5.1). It is matched to its request first
 * and then checked against the REQUEST's session, never against fields
 * of the response alone (an attacker writes those): the SessionId must be
 * the request's; a request on an encrypted session needs an answer
 * encrypted with that session's key; on a signing session, an unencrypted
 * answer must be signed and verify (only an interim STATUS_PENDING may be
 * unsigned, 3.2.5.1.3, and such an interim is not trusted). Nothing in a
 * response (credits, status, async id) is acted on before these checks. */
static void handle_pdu(sf_conn *c, const uint8_t *pdu, size_t len, const struct frame_sec *fs)
{
	struct smb2_hdr h;
	if (smb2_hdr_decode(pdu, len, &h) != 0 || smb2_rsp_validate(&h, pdu, len) != 0) {
		conn_fatal(c, STATUS_INVALID_NETWORK_RESPONSE, "%s sent a malformed response",
		           c->peer);
		return;
	}
	c->st.received++;
	g_debug("%s < %s mid=%" G_GUINT64_FORMAT " status=%s granted=%u flags=0x%x%s", c->peer,
	        smb2_command_name(h.command), h.message_id, sf_ntstatus_name(h.status), h.credits,
	        h.flags, fs->encrypted ? " (sealed)" : "");

	if (h.message_id == UINT64_MAX) {
		handle_break(c, &h, pdu, len, fs);
		return;
	}
	struct req *r = g_hash_table_lookup(c->pending, &h.message_id);
	if (!r) {
		g_debug("%s: response for unknown mid %" G_GUINT64_FORMAT " dropped", c->peer,
		        h.message_id);
		return;
	}
	/* The server assigns the SessionId in the first SESSION_SETUP answer;
	 * every other answer carries the request's. */
	bool new_session = r->command == SMB2_SESSION_SETUP && r->session_id == 0;
	if (!new_session && h.session_id != r->session_id) {
		security_failure(c, &h, "does not carry the request's SessionId");
		return;
	}
	if (fs->encrypted && !new_session && fs->session_id != r->session_id) {
		security_failure(c, &h, "was encrypted for another session");
		return;
	}
	bool interim = h.status == STATUS_PENDING && (h.flags & SMB2_FLAGS_ASYNC_COMMAND);
	bool trusted = true;
	struct sf_conn_security *ss = sec_of(c, r->session_id);
	if (ss && !fs->encrypted) {
		if (ss->seal) {
			if (!interim) {
				security_failure(c, &h, "came unencrypted on an encrypted session");
				return;
			}
			trusted = false;
		} else if (h.flags & SMB2_FLAGS_SIGNED) {
			/* Every response on a signing session must be signed and
			 * must verify; one that does not ends the connection. */
			if (!sf_sign_verify(ss->sign_alg, ss->keys.signing, pdu, len)) {
				/* Samba 4.17: once an element of a compound failed with
				 * STATUS_NETWORK_SESSION_EXPIRED (a Kerberos ticket ran
				 * out), the related elements' error answers carry
				 * signatures that do not verify. Such an answer is not
				 * trusted: nothing in it is used, and its request is
				 * answered as expired too (re-authenticate, then send
				 * again), which is all a forged one could cause. */
				if (c->expired_sid && c->expired_sid == r->session_id &&
				    (h.flags & SMB2_FLAGS_RELATED_OPERATIONS) &&
				    h.status != STATUS_SUCCESS) {
					g_debug("%s: unverifiable %s answer after the session "
					        "expired: taken as expired",
					        c->peer, smb2_command_name(h.command));
					g_hash_table_steal(c->pending, &h.message_id);
					req_complete(r, STATUS_NETWORK_SESSION_EXPIRED, NULL, 0);
					return;
				}
				security_failure(c, &h, "failed signature verification");
				return;
			}
			c->st.verified++;
		} else if (ss->sign) {
			if (!interim) {
				security_failure(c, &h,
				                 "is unsigned on a signing session (failed "
				                 "signature verification)");
				return;
			}
			trusted = false;
		}
	}
	if (interim) {
		/* Keep waiting (3.2.5.1.5) and restart the timeout. An interim
		 * that cannot be verified (Samba sends them unsigned) grants no
		 * credits: our next requests ask for more, so nothing starves,
		 * and a forged grant changes nothing. Its async id only
		 * addresses a CANCEL; a forged one could misdirect that, no
		 * more than dropping the CANCEL would. */
		r->async = true;
		r->async_id = h.async_id;
		if (trusted) {
			grant(c, h.credits);
		} else {
			/* The server grants an async request's credits here and 0
			 * in the final answer (3.3.4.3): held back until that
			 * answer verifies, and never more than we asked for. */
			r->interim_grant = MIN(h.credits, r->asked);
			g_debug("%s: unverified interim response: %u credits held until the "
			        "answer verifies",
			        c->peer, r->interim_grant);
		}
		if (r->timer)
			arm_timer(r, timeout_for(c), req_timeout);
		return;
	}
	grant(c, h.credits + r->interim_grant);
	if (h.status == STATUS_NETWORK_SESSION_EXPIRED && ss)
		c->expired_sid = r->session_id;
	g_hash_table_steal(c->pending, &h.message_id);
	req_complete(r, h.status, pdu, len);
}

/* PDU dump mode: SMBFUSE_PDU_DUMP_DIR=DIR writes every response PDU
 * received (after decryption) to DIR/<seq>-<COMMAND>.bin. Used to capture
 * real server responses as fuzz seeds and test vectors; never on by
 * default (it would write file contents to disk). */
static void dump_pdu(const uint8_t *pdu, size_t len)
{
#ifndef SF_PDU_DUMP /* meson -Dpdu_dump=true; off by default */
	(void)pdu;
	(void)len;
#else
	static const char *dir;
	static bool checked;
	static unsigned seq;
	if (!checked) {
		dir = g_getenv("SMBFUSE_PDU_DUMP_DIR");
		checked = true;
	}
	if (!dir || len < SMB2_HDR_LEN)
		return;
	char *path = g_strdup_printf("%s/%d-%04u-%s.bin", dir, (int)getpid(), seq++,
	                             smb2_command_name(sf_le16(pdu + SMB2_HDR_OFF_COMMAND)));
	g_file_set_contents(path, (const char *)pdu, (gssize)len, NULL);
	g_free(path);
#endif
}

/* One whole frame: plain SMB2 (possibly a compound) or a transform. */
static void handle_frame(sf_conn *c, uint8_t *buf, size_t len)
{
	c->st.bytes_received += 4 + len;
	if (len < 4) {
		conn_fatal(c, STATUS_INVALID_NETWORK_RESPONSE, "%s sent a runt frame", c->peer);
		return;
	}
	uint32_t proto = sf_le32(buf);
	uint8_t *plain = NULL;
	struct frame_sec fsec = {0};
	if (proto == SMB2_TRANSFORM_ID) {
		struct smb2_transform_hdr th;
		struct sf_conn_security *ss;
		if (smb2_transform_hdr_decode(buf, len, &th) != 0 ||
		    !(ss = sec_of(c, th.session_id)) || !ss->keys.cipher_key_len) {
			conn_fatal(c, STATUS_INVALID_NETWORK_RESPONSE,
			           "%s sent an encrypted message for an unknown session", c->peer);
			return;
		}
		size_t plen;
		int rc = sf_seal_decrypt(ss->cipher, ss->keys.decryption, buf, len, &plain, &plen);
		if (rc != 0) {
			conn_fatal(c, STATUS_INVALID_SIGNATURE, "%s: encrypted message %s", c->peer,
			           rc == -EBADMSG ? "failed authentication" : "is malformed");
			return;
		}
		c->st.decrypted++;
		buf = plain, len = plen;
		fsec.encrypted = true;
		fsec.session_id = th.session_id;
	} else if (proto != SMB2_PROTOCOL_ID) {
		conn_fatal(c, STATUS_INVALID_NETWORK_RESPONSE,
		           "%s did not answer in SMB2 (protocol id 0x%08x)", c->peer, proto);
		return;
	}
	/* Walk the compound chain (3.2.5.1.9): NextCommand moves forward,
	 * 8-aligned, and stays inside the frame. */
	size_t off = 0;
	sf_conn_ref(c);
	unsigned gen = c->generation;
	for (int i = 0; live(c) && c->generation == gen; i++) {
		if (i > 64 || !sf_span_ok(off, SMB2_HDR_LEN, len)) {
			conn_fatal(c, STATUS_INVALID_NETWORK_RESPONSE,
			           "%s sent a malformed compound", c->peer);
			break;
		}
		uint32_t next = sf_le32(buf + off + SMB2_HDR_OFF_NEXT_COMMAND);
		if (next && (next % 8 || next < SMB2_HDR_LEN || !sf_span_ok(off, next, len))) {
			conn_fatal(c, STATUS_INVALID_NETWORK_RESPONSE, "%s sent a bad NextCommand",
			           c->peer);
			break;
		}
		dump_pdu(buf + off, next ? next : len - off);
		handle_pdu(c, buf + off, next ? next : len - off, &fsec);
		if (!next)
			break;
		off += next;
	}
	if (c->state == ST_READY)
		pump_waiting(c);
	sf_conn_unref(c);
	g_free(plain);
}

static gboolean on_readable(GSocket *s, GIOCondition cond, gpointer p)
{
	sf_conn *c = p;
	sf_conn_ref(c);
	unsigned gen = c->generation;
	while (c->sock && c->generation == gen) {
		GError *err = NULL;
		gssize n;
		if (c->rhdr_got < 4) {
			n = g_socket_receive(c->sock, (char *)c->rhdr + c->rhdr_got,
			                     4 - c->rhdr_got, NULL, &err);
		} else {
			n = g_socket_receive(c->sock, (char *)c->rbuf + c->rgot, c->rneed - c->rgot,
			                     NULL, &err);
		}
		if (n < 0) {
			if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				conn_fatal(c, STATUS_CONNECTION_DISCONNECTED, "read from %s: %s",
				           c->peer, err->message);
			g_error_free(err);
			break;
		}
		if (n > 0)
			c->rx_since_tick = true;
		if (n == 0) {
			bool mid = c->rhdr_got > 0;
			conn_fatal(c, STATUS_CONNECTION_DISCONNECTED,
			           mid ? "%s closed the connection in the middle of a message"
			               : "%s closed the connection",
			           c->peer);
			break;
		}
		if (c->rhdr_got < 4) {
			c->rhdr_got += (size_t)n;
			if (c->rhdr_got < 4)
				continue;
			uint32_t v = sf_be32(c->rhdr);
			if (v >> 24) {
				conn_fatal(c, STATUS_INVALID_NETWORK_RESPONSE,
				           "%s sent a frame that is not direct TCP (type 0x%02x)",
				           c->peer, v >> 24);
				break;
			}
			c->rneed = v & 0xFFFFFF;
			if (c->rneed > c->frame_max || c->rneed == 0) {
				conn_fatal(c, STATUS_INVALID_NETWORK_RESPONSE,
				           "%s sent a frame of %zu bytes (limit %zu)", c->peer,
				           c->rneed, c->frame_max);
				break;
			}
			c->rbuf = g_malloc(c->rneed);
			c->rgot = 0;
			continue;
		}
		c->rgot += (size_t)n;
		if (c->rgot == c->rneed) {
			uint8_t *frame = c->rbuf;
			size_t flen = c->rneed;
			c->rbuf = NULL;
			c->rhdr_got = 0;
			handle_frame(c, frame, flen);
			g_free(frame);
		}
	}
	sf_conn_unref(c);
	return G_SOURCE_CONTINUE;
}

/* ---- teardown ---------------------------------------------------------- */

static void fail_all(sf_conn *c, uint32_t status)
{
	/* Detach everything first: callbacks may submit (and fail) more. */
	GList *reqs = g_hash_table_get_values(c->pending);
	g_hash_table_steal_all(c->pending);
	for (GList *l = reqs; l; l = l->next)
		req_complete(l->data, status, NULL, 0);
	g_list_free(reqs);
	struct batch *b;
	while ((b = g_queue_pop_head(&c->waiting))) {
		for (size_t i = 0; i < b->n; i++)
			req_complete(b->reqs[i], status, NULL, 0);
		batch_free(b);
	}
}

/* Close the socket and forget what was half read or unsent. */
static void transport_drop(sf_conn *c)
{
	if (c->cancel)
		g_cancellable_cancel(c->cancel);
	GSource **srcs[] = {&c->in_src, &c->out_src, &c->echo_timer};
	for (size_t i = 0; i < G_N_ELEMENTS(srcs); i++)
		if (*srcs[i]) {
			g_source_destroy(*srcs[i]);
			g_source_unref(*srcs[i]);
			*srcs[i] = NULL;
		}
	if (c->sconn) {
		g_io_stream_close(G_IO_STREAM(c->sconn), NULL, NULL);
		g_object_unref(c->sconn);
		c->sconn = NULL;
	}
	c->sock = NULL;
	GBytes *b;
	while ((b = g_queue_pop_head(&c->wq)))
		g_bytes_unref(b);
	c->woff = 0;
	g_free(c->rbuf);
	c->rbuf = NULL;
	c->rhdr_got = c->rgot = c->rneed = 0;
	c->echo_pending = false;
	c->echo_missed = 0;
	/* Keys belong to sessions of this transport: they re-authenticate. */
	g_hash_table_remove_all(c->sec);
}

/* The transport is gone (or untrustworthy). In-flight requests fail with
 * STATUS_CONNECTION_DISCONNECTED (replayable), except under a security
 * failure or a malformed stream, whose own status they get (the tree
 * layer does not replay those). */
static void conn_break(sf_conn *c, uint32_t status, const char *msg)
{
	if (c->state == ST_DEAD || c->state == ST_BROKEN)
		return;
	enum conn_state was = c->state;
	c->state = ST_BROKEN;
	sf_conn_ref(c);
	transport_drop(c);
	bool keep = status == STATUS_IO_TIMEOUT || status == STATUS_CONNECTION_DISCONNECTED ||
	            status == STATUS_CONNECTION_RESET;
	fail_all(c, keep ? STATUS_CONNECTION_DISCONNECTED : status);
	if (was != ST_READY && c->ready) {
		/* Still starting: the reason goes to whoever waits for ready. */
		sf_conn_ready_fn ready = c->ready;
		c->ready = NULL;
		ready(c, status, msg, c->ready_user);
	} else if (was == ST_READY) {
		g_warning("%s", msg);
		if (c->lost)
			c->lost(c->notify_user, status);
	}
	sf_conn_unref(c);
}

void sf_conn_close(sf_conn *c, uint32_t status)
{
	if (c->state == ST_DEAD)
		return;
	enum conn_state was = c->state;
	c->state = ST_DEAD;
	sf_conn_ref(c);
	transport_drop(c);
	fail_all(c, status);
	if (was != ST_READY && was != ST_BROKEN && c->ready) {
		sf_conn_ready_fn ready = c->ready;
		c->ready = NULL;
		ready(c, status, "connection closed", c->ready_user);
	} else if (was == ST_READY && c->lost) {
		c->lost(c->notify_user, status);
	}
	sf_conn_unref(c);
}

static void conn_fatal(sf_conn *c, uint32_t status, const char *fmt, ...)
{
	if (c->state == ST_DEAD || c->state == ST_BROKEN)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	conn_break(c, status, msg);
	g_free(msg);
}

bool sf_conn_broken(const sf_conn *c)
{
	return c->state == ST_BROKEN;
}

/* ---- keep-alive (MS-SMB2 3.2.6.x: the client may send ECHO) ------------ */

static void echo_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	sf_conn *c = user;
	if (!pdu)
		return; /* failed with the connection; c may be gone or reborn */
	c->echo_pending = false;
	c->echo_missed = 0;
}

/* Every interval: traffic seen means alive; otherwise an ECHO goes out,
 * and two intervals without its answer mean dead. */
static gboolean echo_tick(gpointer p)
{
	sf_conn *c = p;
	if (c->state != ST_READY)
		return G_SOURCE_CONTINUE;
	if (c->rx_since_tick) {
		c->rx_since_tick = false;
		c->echo_missed = 0;
		return G_SOURCE_CONTINUE;
	}
	if (c->echo_pending) {
		if (++c->echo_missed >= 2) {
			sf_conn_ref(c);
			conn_fatal(c, STATUS_IO_TIMEOUT,
			           "%s: no answer to keep-alive echoes for %u s: connection dead",
			           c->peer, 2 * c->opts.echo_ms / 1000);
			sf_conn_unref(c);
		}
		return G_SOURCE_CONTINUE;
	}
	uint8_t body[4];
	smb2_simple_req_encode(body);
	struct sf_req_spec s = {.command = SMB2_ECHO,
	                        .body = body,
	                        .body_len = 4,
	                        .flags = SF_REQ_CONTROL | SF_REQ_NO_TIMEOUT,
	                        .done = echo_done,
	                        .user = c};
	c->echo_pending = true;
	sf_conn_submit(c, &s, 1);
	return G_SOURCE_CONTINUE;
}

static void start_echo(sf_conn *c)
{
	if (!c->opts.echo_ms || c->echo_timer)
		return;
	c->echo_timer = g_timeout_source_new(c->opts.echo_ms);
	g_source_set_callback(c->echo_timer, echo_tick, c, NULL);
	g_source_attach(c->echo_timer, c->ctx);
}

/* ---- connect and NEGOTIATE ------------------------------------------- */

static void on_connected(GObject *src, GAsyncResult *res, gpointer p)
{
	sf_conn *c = p;
	GError *err = NULL;
	GSocketConnection *sc = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &err);
	if (sc && c->state != ST_CONNECTING) { /* a stale attempt */
		g_object_unref(sc);
		sc = NULL;
		g_clear_error(&err);
		sf_conn_unref(c);
		return;
	}
	if (!sc) {
		if (c->state == ST_CONNECTING &&
		    !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			uint32_t st =
			        g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
			                ? STATUS_CONNECTION_REFUSED
			        : g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
			                ? STATUS_IO_TIMEOUT
			                : STATUS_HOST_UNREACHABLE;
			conn_fatal(c, st, "cannot connect to %s: %s", c->peer, err->message);
		}
		g_clear_error(&err);
		sf_conn_unref(c);
		return;
	}
	c->sconn = sc;
	c->sock = g_socket_connection_get_socket(sc);
	g_socket_set_blocking(c->sock, FALSE);
	g_socket_set_timeout(c->sock, 0); /* timeouts are per request, ours */
	g_socket_set_option(c->sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
	c->in_src = g_socket_create_source(c->sock, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(c->in_src, (GSourceFunc)(void (*)(void))on_readable, c, NULL);
	g_source_attach(c->in_src, c->ctx);
	start_negotiate(c);
	sf_conn_unref(c);
}

static void negotiate_sent(void *user, const uint8_t *pdu, size_t len)
{
	sf_conn *c = user;
	sf_preauth_hash_update(c->neg.preauth_hash, pdu, len);
}

static void negotiate_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	sf_conn *c = user;
	struct sf_negotiated *n = &c->neg;
	char lo[8], hi[8];
	g_strlcpy(lo, smb2_dialect_name(c->opts.min_dialect), sizeof lo);
	g_strlcpy(hi, smb2_dialect_name(c->opts.max_dialect), sizeof hi);
	if (status != STATUS_SUCCESS) {
		if (status == STATUS_NOT_SUPPORTED || status == STATUS_INVALID_PARAMETER ||
		    status == STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP)
			conn_fatal(c, STATUS_NOT_SUPPORTED,
			           "%s supports none of the dialects %s-%s (%s)", c->peer, lo, hi,
			           sf_ntstatus_name(status));
		else
			conn_fatal(c, status, "negotiate with %s failed: %s", c->peer,
			           sf_ntstatus_name(status));
		return;
	}
	struct smb2_negotiate_rsp r;
	if (smb2_negotiate_rsp_decode(pdu, len, &r) != 0) {
		conn_fatal(c, STATUS_INVALID_NETWORK_RESPONSE,
		           "%s sent a malformed NEGOTIATE response", c->peer);
		return;
	}
	bool offered = false;
	for (size_t i = 0; i < n->offered_count; i++)
		offered |= n->offered[i] == r.dialect;
	if (!offered) {
		conn_fatal(c, STATUS_INVALID_NETWORK_RESPONSE, /* a protocol violation */
		           "%s chose dialect %s (0x%04x), outside the allowed range %s-%s", c->peer,
		           smb2_dialect_name(r.dialect), r.dialect, lo, hi);
		return;
	}
	/* A reconnect must land on the dialect the mount was made with: a
	 * different one is a downgrade (or a different server) and is refused
	 * like a bad choice at mount time. */
	if (c->prev_dialect && r.dialect != c->prev_dialect) {
		conn_fatal(c, STATUS_ACCESS_DENIED,
		           "%s chose SMB %s on reconnect where the mount uses SMB %s: refused",
		           c->peer, smb2_dialect_name(r.dialect),
		           smb2_dialect_name(c->prev_dialect));
		return;
	}
	/* Server-chosen sizes size our work: below 64 KiB (0 included) they
	 * would divide by zero or explode into millions of requests. */
	if (r.max_read < IO_SIZE_MIN || r.max_write < IO_SIZE_MIN || r.max_transact < IO_SIZE_MIN) {
		conn_fatal(c, STATUS_INVALID_NETWORK_RESPONSE,
		           "%s offers MaxReadSize %u, MaxWriteSize %u, MaxTransactSize %u; "
		           "at least 65536 each is required",
		           c->peer, r.max_read, r.max_write, r.max_transact);
		return;
	}
	n->dialect = r.dialect;
	n->security_mode = r.security_mode;
	n->capabilities = r.capabilities;
	memcpy(n->server_guid, r.server_guid, 16);
	n->max_transact = r.max_transact;
	n->max_read = r.max_read;
	n->max_write = r.max_write;
	n->system_time = r.system_time;
	n->server_start_time = r.server_start_time;
	n->security_blob = g_memdup2(r.security_buffer, r.security_buffer_len);
	n->security_blob_len = r.security_buffer_len;
	if (r.dialect == SMB2_DIALECT_0311) {
		if (r.preauth_hash != SMB2_PREAUTH_SHA512) {
			conn_fatal(c, STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP,
			           "%s chose an unknown pre-auth hash", c->peer);
			return;
		}
		n->preauth_sha512 = true;
		sf_preauth_hash_update(n->preauth_hash, pdu, len);
		n->cipher = r.has_cipher ? r.cipher : 0;
		n->posix = !c->opts.no_posix && r.has_posix;
		if (n->cipher > SMB2_ENCRYPTION_AES256_GCM) {
			conn_fatal(c, STATUS_INVALID_NETWORK_RESPONSE,
			           "%s chose unknown cipher 0x%04x", c->peer, n->cipher);
			return;
		}
		/* Without a signing context 3.1.1 signs with AES-CMAC (3.1.4.1). */
		n->signing_alg = r.has_signing ? r.signing_alg : SMB2_SIGNING_AES_CMAC;
		if (n->signing_alg > SMB2_SIGNING_AES_GMAC) {
			conn_fatal(c, STATUS_INVALID_NETWORK_RESPONSE,
			           "%s chose unknown signing algorithm 0x%04x", c->peer,
			           n->signing_alg);
			return;
		}
	} else if (r.dialect >= SMB2_DIALECT_0300) {
		n->signing_alg = SMB2_SIGNING_AES_CMAC;
		n->cipher = (r.capabilities & SMB2_GLOBAL_CAP_ENCRYPTION)
		                    ? SMB2_ENCRYPTION_AES128_CCM
		                    : 0;
	} else {
		n->signing_alg = SMB2_SIGNING_HMAC_SHA256;
	}
	/* Frames may now hold the largest negotiated I/O plus headers and a
	 * transform header, within the transport's 16 MiB ceiling. */
	uint32_t io = MAX(MAX(n->max_read, n->max_write), n->max_transact);
	c->frame_max = MIN((size_t)io + 65536, (size_t)SMB2_FRAME_MAX);
	c->state = ST_READY;
	start_echo(c);
	g_debug("%s: negotiated SMB %s, cipher %s, signing %s", c->peer,
	        smb2_dialect_name(n->dialect), smb2_cipher_name(n->cipher),
	        smb2_signing_alg_name(n->signing_alg));
	sf_conn_ready_fn ready = c->ready;
	c->ready = NULL;
	if (ready)
		ready(c, STATUS_SUCCESS, NULL, c->ready_user);
}

static void start_negotiate(sf_conn *c)
{
	static const uint16_t all[] = {SMB2_DIALECT_0202, SMB2_DIALECT_0210, SMB2_DIALECT_0300,
	                               SMB2_DIALECT_0302, SMB2_DIALECT_0311};
	struct smb2_negotiate_req q = {0};
	/* Newest first, within [min, max]. */
	for (int i = 4; i >= 0; i--)
		if (all[i] >= c->opts.min_dialect && all[i] <= c->opts.max_dialect)
			q.dialects[q.dialect_count++] = all[i];
	q.security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED |
	                  (c->opts.require_signing ? SMB2_NEGOTIATE_SIGNING_REQUIRED : 0);
	/* (DIRECTORY_LEASING: listings kept while a directory lease is
	 * held, fs/watch.c.) */
	q.capabilities = SMB2_GLOBAL_CAP_DFS | SMB2_GLOBAL_CAP_LARGE_MTU | SMB2_GLOBAL_CAP_LEASING |
	                 SMB2_GLOBAL_CAP_ENCRYPTION | SMB2_GLOBAL_CAP_DIRECTORY_LEASING;
	/* One ClientGuid for the connection's whole life: a durable handle is
	 * reclaimed only by the client that opened it (3.3.5.9.12). */
	memcpy(q.client_guid, c->client_guid, 16);
	sf_random(q.salt, 32);
	if (c->opts.cipher_pref[0]) {
		for (size_t i = 0; i < 4 && c->opts.cipher_pref[i]; i++)
			q.ciphers[q.cipher_count++] = c->opts.cipher_pref[i];
	} else {
		const uint16_t ciphers[] = {SMB2_ENCRYPTION_AES128_GCM, SMB2_ENCRYPTION_AES128_CCM,
		                            SMB2_ENCRYPTION_AES256_GCM, SMB2_ENCRYPTION_AES256_CCM};
		memcpy(q.ciphers, ciphers, sizeof ciphers);
		q.cipher_count = 4;
	}
	const uint16_t sig[] = {SMB2_SIGNING_AES_GMAC, SMB2_SIGNING_AES_CMAC,
	                        SMB2_SIGNING_HMAC_SHA256};
	memcpy(q.signing_algs, sig, sizeof sig);
	q.signing_count = 3;
	q.posix = !c->opts.no_posix;
	size_t nn = 0;
	uint8_t *netname = sf_utf8_to_utf16(c->opts.host, -1, &nn);
	q.netname = netname;
	q.netname_len = nn;
	struct sf_negotiated *n = &c->neg;
	memcpy(n->offered, q.dialects, sizeof q.dialects[0] * q.dialect_count);
	n->offered_count = q.dialect_count;
	n->client_security_mode = q.security_mode;
	n->client_capabilities = q.capabilities;
	memcpy(n->client_guid, q.client_guid, 16);
	memset(n->preauth_hash, 0, 64);
	size_t blen;
	uint8_t *body = smb2_negotiate_req_encode(&q, &blen);
	g_free(netname);
	c->state = ST_NEGOTIATING;
	c->credits = 1; /* the first request is free (3.2.4.1.2) */
	struct sf_req_spec s = {
	        .command = SMB2_NEGOTIATE,
	        .body = body,
	        .body_len = blen,
	        .done = negotiate_done,
	        .user = c,
	        .sent = negotiate_sent,
	        .flags = SF_REQ_CONTROL,
	};
	/* NEGOTIATE goes out before READY: bypass the state check. */
	struct batch *b = g_new0(struct batch, 1);
	b->n = 1;
	b->specs = g_new(struct sf_req_spec, 1);
	b->specs[0] = s;
	b->reqs = g_new(struct req *, 1);
	struct req *r = g_new0(struct req, 1);
	r->c = c, r->command = SMB2_NEGOTIATE, r->done = negotiate_done, r->user = c, r->charge = 1;
	b->reqs[0] = r;
	b->total_charge = 1;
	send_batch(c, b); /* takes ownership of body */
}

sf_conn *sf_conn_new(const struct sf_conn_opts *opts, GMainContext *ctx, sf_conn_ready_fn ready,
                     void *user)
{
	sf_conn *c = g_new0(sf_conn, 1);
	c->refs = 1;
	c->ctx = g_main_context_ref(ctx ? ctx : g_main_context_default());
	c->opts = *opts;
	c->opts.host = g_strdup(opts->host);
	c->opts.addr = g_strdup(opts->addr);
	if (!c->opts.port)
		c->opts.port = 445;
	if (!c->opts.timeout_ms)
		c->opts.timeout_ms = 30000;
	if (!c->opts.min_dialect)
		c->opts.min_dialect = SMB2_DIALECT_0300;
	if (!c->opts.max_dialect)
		c->opts.max_dialect = SMB2_DIALECT_0311;
	c->peer = strchr(opts->host, ':') ? g_strdup_printf("[%s]:%u", opts->host, c->opts.port)
	                                  : g_strdup_printf("%s:%u", opts->host, c->opts.port);
	c->pending = g_hash_table_new(g_int64_hash, g_int64_equal);
	c->sec = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, sec_free);
	g_queue_init(&c->wq);
	g_queue_init(&c->waiting);
	c->ready = ready;
	c->ready_user = user;
	c->generation = 1;
	c->frame_max = 1u << 20;
	sf_random(c->client_guid, 16);
	c->client = g_socket_client_new();
	g_socket_client_set_timeout(c->client, (c->opts.timeout_ms + 999) / 1000);
	start_connect(c);
	return c;
}

static void start_connect(sf_conn *c)
{
	c->state = ST_CONNECTING;
	if (c->cancel)
		g_object_unref(c->cancel);
	c->cancel = g_cancellable_new();
	GSocketConnectable *addr =
	        g_network_address_new(c->opts.addr ? c->opts.addr : c->opts.host, c->opts.port);
	g_main_context_push_thread_default(c->ctx);
	g_socket_client_connect_async(c->client, addr, c->cancel, on_connected, sf_conn_ref(c));
	g_main_context_pop_thread_default(c->ctx);
	g_object_unref(addr);
}

bool sf_conn_reconnect(sf_conn *c, sf_conn_ready_fn ready, void *user)
{
	if (c->state != ST_BROKEN)
		return false;
	/* A new generation: nothing of the old transport carries over but the
	 * dialect it must speak again. */
	c->generation++;
	if (c->neg.dialect)
		c->prev_dialect = c->neg.dialect;
	g_free(c->neg.security_blob);
	memset(&c->neg, 0, sizeof c->neg);
	c->credits = 0;
	c->next_mid = 0;
	c->frame_max = 1u << 20;
	c->ready = ready;
	c->ready_user = user;
	start_connect(c);
	return true;
}

/* ---- testing seam (conn_testing.h) ---------------------------------- */

sf_conn *sf_conn_new_detached(const struct sf_negotiated *neg, GMainContext *ctx, uint32_t credits)
{
	sf_conn *c = g_new0(sf_conn, 1);
	c->refs = 1;
	c->ctx = g_main_context_ref(ctx ? ctx : g_main_context_default());
	c->opts.host = g_strdup("detached");
	c->opts.port = 445;
	c->opts.timeout_ms = 30000;
	c->peer = g_strdup("detached");
	c->pending = g_hash_table_new(g_int64_hash, g_int64_equal);
	c->sec = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, sec_free);
	g_queue_init(&c->wq);
	g_queue_init(&c->waiting);
	c->generation = 1;
	c->neg = *neg;
	c->neg.security_blob = NULL;
	c->neg.security_blob_len = 0;
	c->frame_max = 8u << 20;
	c->credits = MIN(credits, (uint32_t)CREDIT_MAX);
	c->next_mid = 1;
	c->state = ST_READY;
	return c;
}

void sf_conn_feed_frame(sf_conn *c, const uint8_t *frame, size_t len)
{
	if (!live(c))
		return;
	uint8_t *copy = g_memdup2(frame, len);
	handle_frame(c, copy, len);
	g_free(copy);
}
