/* test_conn_replay.c - the connection engine against a scripted server on
 * a real loopback socket: interim STATUS_PENDING, compound requests and
 * responses, multi-credit charges, an unsolicited oplock break, CANCEL,
 * a request without an answer that breaks the connection and a reconnect
 * under a new generation, a malformed PDU that drops the connection, and exactly-once completion
 * throughout. The NEGOTIATE answer is the published SMB 3.1.1 response (spec-map 2.2.1). */
#include "crypto/sign.h"
#include "net/conn.h"
#include "proto/ntstatus.h"
#include "proto/smb2.h"
#include "util/bytes.h"
#include "vectors.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the scripted server (its own thread, blocking sockets) ---------- */

struct server {
	int listen_fd, fd;
	uint16_t port;
	GThread *thread;
	GAsyncQueue *events; /* strings the server reports to the test */
	GAsyncQueue *go;     /* the test tells the server to go on */
	char *failure;       /* first thing the server found wrong */
	gint asked;          /* CreditRequest of the hostile test's first request */
};

static bool read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		ssize_t r = read(fd, b, n);
		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

static GByteArray *read_frame(int fd)
{
	uint8_t h[4];
	if (!read_all(fd, h, 4))
		return NULL;
	size_t n = sf_be32(h) & 0xFFFFFF;
	GByteArray *f = g_byte_array_sized_new((guint)n);
	g_byte_array_set_size(f, (guint)n);
	if (!read_all(fd, f->data, n)) {
		g_byte_array_unref(f);
		return NULL;
	}
	return f;
}

static void send_frame(int fd, const uint8_t *p, size_t n)
{
	uint8_t h[4];
	sf_put_be32(h, (uint32_t)n);
	g_assert_cmpint(write(fd, h, 4), ==, 4);
	g_assert_cmpint(write(fd, p, n), ==, (ssize_t)n);
}

/* A response PDU: header + body. */
static GByteArray *rsp(uint16_t cmd, uint64_t mid, uint32_t status, uint16_t credits,
                       uint64_t async_id, const uint8_t *body, size_t blen)
{
	struct smb2_hdr h = {.command = cmd,
	                     .message_id = mid,
	                     .status = status,
	                     .credits = credits,
	                     .flags = SMB2_FLAGS_SERVER_TO_REDIR};
	if (async_id) {
		h.flags |= SMB2_FLAGS_ASYNC_COMMAND;
		h.async_id = async_id;
	}
	GByteArray *b = g_byte_array_sized_new(64 + (guint)blen);
	g_byte_array_set_size(b, 64);
	smb2_hdr_encode(&h, b->data);
	g_byte_array_append(b, body, (guint)blen);
	return b;
}

static const uint8_t echo_body[4] = {4, 0, 0, 0};
static const uint8_t error_body[9] = {9, 0, 0, 0, 0, 0, 0, 0, 0};

#define EXPECT(cond, msg)                                                                          \
	do {                                                                                       \
		if (!(cond) && !s->failure)                                                        \
			s->failure = g_strdup(msg);                                                \
	} while (0)

static void wait_go(struct server *s)
{
	g_free(g_async_queue_pop(s->go));
}

static gpointer server_main(gpointer p)
{
	struct server *s = p;
	s->fd = accept(s->listen_fd, NULL, NULL);
	int fd = s->fd;
	struct smb2_hdr h;

	/* 1. NEGOTIATE: answer with the published 3.1.1 response. */
	GByteArray *f = read_frame(fd);
	EXPECT(f && smb2_hdr_decode(f->data, f->len, &h) == 0 && h.command == SMB2_NEGOTIATE,
	       "expected NEGOTIATE");
	GByteArray *neg = vector("preauth_neg_rsp");
	sf_put_le16(neg->data + SMB2_HDR_OFF_CREDITS, 64);
	sf_put_le64(neg->data + SMB2_HDR_OFF_MESSAGE_ID, h.message_id);
	send_frame(fd, neg->data, neg->len);
	g_byte_array_unref(neg);
	g_byte_array_unref(f);

	/* 2. ECHO answered with an interim STATUS_PENDING, then the result. */
	f = read_frame(fd);
	smb2_hdr_decode(f->data, f->len, &h);
	EXPECT(h.command == SMB2_ECHO, "expected ECHO");
	GByteArray *r = rsp(SMB2_ECHO, h.message_id, STATUS_PENDING, 10, 77, error_body, 9);
	send_frame(fd, r->data, r->len);
	g_byte_array_unref(r);
	wait_go(s); /* the test checks the request is still pending */
	r = rsp(SMB2_ECHO, h.message_id, 0, 5, 77, echo_body, 4);
	send_frame(fd, r->data, r->len);
	g_byte_array_unref(r);
	g_byte_array_unref(f);

	/* 3. A compound of two ECHOs: one frame, NextCommand 8-aligned, the
	 * second RELATED; answered as one compound frame. */
	f = read_frame(fd);
	smb2_hdr_decode(f->data, f->len, &h);
	struct smb2_hdr h2;
	EXPECT(h.next_command == 72 && f->len > 72 &&
	               smb2_hdr_decode(f->data + 72, f->len - 72, &h2) == 0 &&
	               (h2.flags & SMB2_FLAGS_RELATED_OPERATIONS) &&
	               !(h.flags & SMB2_FLAGS_RELATED_OPERATIONS) &&
	               h2.message_id == h.message_id + 1,
	       "bad compound request");
	GByteArray *c1 = rsp(SMB2_ECHO, h.message_id, 0, 1, 0, echo_body, 4);
	GByteArray *c2 = rsp(SMB2_ECHO, h2.message_id, 0, 1, 0, echo_body, 4);
	g_byte_array_set_size(c1, 72);
	sf_put_le32(c1->data + SMB2_HDR_OFF_NEXT_COMMAND, 72);
	g_byte_array_append(c1, c2->data, c2->len);
	send_frame(fd, c1->data, c1->len);
	g_byte_array_unref(c1);
	g_byte_array_unref(c2);
	g_byte_array_unref(f);

	/* 4. A request expecting 200 KiB: CreditCharge 4, and the next
	 * message id moves on by 4. */
	f = read_frame(fd);
	smb2_hdr_decode(f->data, f->len, &h);
	EXPECT(h.credit_charge == 4, "credit charge of a 200 KiB request is not 4");
	uint64_t big_mid = h.message_id;
	r = rsp(SMB2_ECHO, h.message_id, 0, 8, 0, echo_body, 4);
	send_frame(fd, r->data, r->len);
	g_byte_array_unref(r);
	g_byte_array_unref(f);
	f = read_frame(fd);
	smb2_hdr_decode(f->data, f->len, &h);
	EXPECT(h.message_id == big_mid + 4, "message id did not skip the multi-credit range");
	r = rsp(SMB2_ECHO, h.message_id, 0, 1, 0, echo_body, 4);
	send_frame(fd, r->data, r->len);
	g_byte_array_unref(r);
	g_byte_array_unref(f);

	/* 5. An unsolicited oplock break (MessageId all ones). */
	uint8_t brk[24] = {24, 0, 1};
	r = rsp(SMB2_OPLOCK_BREAK, UINT64_MAX, 0, 0, 0, brk, 24);
	send_frame(fd, r->data, r->len);
	g_byte_array_unref(r);

	/* 6. CANCEL: interim, then the client's CANCEL names our AsyncId. */
	f = read_frame(fd);
	smb2_hdr_decode(f->data, f->len, &h);
	uint64_t cmid = h.message_id;
	r = rsp(SMB2_ECHO, cmid, STATUS_PENDING, 1, 88, error_body, 9);
	send_frame(fd, r->data, r->len);
	g_byte_array_unref(r);
	g_byte_array_unref(f);
	f = read_frame(fd);
	smb2_hdr_decode(f->data, f->len, &h);
	EXPECT(h.command == SMB2_CANCEL && (h.flags & SMB2_FLAGS_ASYNC_COMMAND) && h.async_id == 88,
	       "CANCEL does not name the AsyncId");
	r = rsp(SMB2_ECHO, cmid, STATUS_CANCELLED, 1, 88, error_body, 9);
	send_frame(fd, r->data, r->len);
	g_byte_array_unref(r);
	g_byte_array_unref(f);

	/* 7. No answer: the client gives the connection up (it closes it),
	 * then reconnects: a new NEGOTIATE with message id 0 again. */
	f = read_frame(fd);
	g_byte_array_unref(f);
	f = read_frame(fd);
	EXPECT(f == NULL, "client kept a connection whose request timed out");
	if (f)
		g_byte_array_unref(f);
	close(fd);
	s->fd = fd = accept(s->listen_fd, NULL, NULL);
	f = read_frame(fd);
	EXPECT(f && smb2_hdr_decode(f->data, f->len, &h) == 0 && h.command == SMB2_NEGOTIATE &&
	               h.message_id == 0,
	       "expected NEGOTIATE with message id 0 on the new connection");
	neg = vector("preauth_neg_rsp");
	sf_put_le16(neg->data + SMB2_HDR_OFF_CREDITS, 64);
	sf_put_le64(neg->data + SMB2_HDR_OFF_MESSAGE_ID, 0);
	send_frame(fd, neg->data, neg->len);
	g_byte_array_unref(neg);
	g_byte_array_unref(f);

	/* 8. A malformed answer (StructureSize 5): the client drops us. */
	f = read_frame(fd);
	smb2_hdr_decode(f->data, f->len, &h);
	uint8_t bad[4] = {5, 0, 0, 0};
	r = rsp(SMB2_ECHO, h.message_id, 0, 1, 0, bad, 4);
	send_frame(fd, r->data, r->len);
	g_byte_array_unref(r);
	g_byte_array_unref(f);
	f = read_frame(fd); /* EOF: the client closed */
	EXPECT(f == NULL, "client kept the connection after a malformed PDU");
	if (f)
		g_byte_array_unref(f);
	close(fd);
	g_async_queue_push(s->events, g_strdup("done"));
	return NULL;
}

/* ---- the client side ------------------------------------------------ */

struct done {
	int calls;
	uint32_t status;
	bool during_submit;
};

static bool in_submit;

static void on_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct done *d = user;
	d->calls++;
	d->status = status;
	d->during_submit = in_submit;
}

static int breaks, lost;
static void on_notify(void *user, const uint8_t *pdu, size_t len)
{
	breaks++;
}
static void on_lost(void *user, uint32_t status)
{
	lost++;
}

static bool ready_called;
static uint32_t ready_status;
static void on_ready(sf_conn *c, uint32_t status, const char *why, void *user)
{
	ready_called = true;
	ready_status = status;
}

static void spin_until(bool *flag_or_null, struct done *d, int calls)
{
	gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < end) {
		if (flag_or_null && *flag_or_null)
			return;
		if (d && d->calls >= calls)
			return;
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	}
}

static uint64_t submit_echo(sf_conn *c, struct done *d, size_t expect)
{
	uint8_t body[4] = {4, 0, 0, 0};
	struct sf_req_spec s = {.command = SMB2_ECHO,
	                        .body = body,
	                        .body_len = 4,
	                        .expect_rsp = expect,
	                        .done = on_done,
	                        .user = d};
	in_submit = true;
	uint64_t mid = sf_conn_submit(c, &s, 1);
	in_submit = false;
	return mid;
}

static void test_replay(void)
{
	struct server s = {0};
	s.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	g_assert_cmpint(bind(s.listen_fd, (struct sockaddr *)&a, sizeof a), ==, 0);
	socklen_t al = sizeof a;
	getsockname(s.listen_fd, (struct sockaddr *)&a, &al);
	listen(s.listen_fd, 1);
	s.events = g_async_queue_new();
	s.go = g_async_queue_new();
	s.thread = g_thread_new("server", server_main, &s);

	struct sf_conn_opts o = {
	        .host = "127.0.0.1", .port = ntohs(a.sin_port), .timeout_ms = 1000};
	sf_conn *c = sf_conn_new(&o, NULL, on_ready, NULL);
	spin_until(&ready_called, NULL, 0);
	g_assert_cmpuint(ready_status, ==, STATUS_SUCCESS);
	g_assert_cmphex(sf_conn_negotiated(c)->dialect, ==, SMB2_DIALECT_0311);
	sf_conn_set_notify(c, on_notify, on_lost, NULL);

	/* 2. interim then final */
	struct done d1 = {0};
	submit_echo(c, &d1, 0);
	gint64 end = g_get_monotonic_time() + G_USEC_PER_SEC / 2;
	while (g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, FALSE);
	g_assert_cmpint(d1.calls, ==, 0); /* interim: still pending */
	struct sf_conn_stats st;
	sf_conn_stats(c, &st);
	g_assert_cmpuint(st.in_flight, ==, 1);
	g_async_queue_push(s.go, g_strdup("go"));
	spin_until(NULL, &d1, 1);
	g_assert_cmpint(d1.calls, ==, 1);
	g_assert_cmphex(d1.status, ==, STATUS_SUCCESS);
	g_assert_false(d1.during_submit);

	/* 3. compound */
	struct done d2 = {0}, d3 = {0};
	uint8_t body[4] = {4, 0, 0, 0};
	struct sf_req_spec cs[2] = {
	        {.command = SMB2_ECHO, .body = body, .body_len = 4, .done = on_done, .user = &d2},
	        {.command = SMB2_ECHO, .body = body, .body_len = 4, .done = on_done, .user = &d3}};
	sf_conn_submit(c, cs, 2);
	spin_until(NULL, &d3, 1);
	g_assert_cmpint(d2.calls, ==, 1);
	g_assert_cmpint(d3.calls, ==, 1);

	/* 4. multi-credit */
	struct done d4 = {0}, d5 = {0};
	submit_echo(c, &d4, 200 * 1024);
	spin_until(NULL, &d4, 1);
	submit_echo(c, &d5, 0);
	spin_until(NULL, &d5, 1);
	g_assert_cmphex(d4.status, ==, STATUS_SUCCESS);
	g_assert_cmphex(d5.status, ==, STATUS_SUCCESS);

	/* 5. unsolicited break */
	end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (!breaks && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, FALSE);
	g_assert_cmpint(breaks, ==, 1);

	/* 6. cancel after the interim */
	struct done d6 = {0};
	uint64_t mid = submit_echo(c, &d6, 0);
	end = g_get_monotonic_time() + G_USEC_PER_SEC / 2;
	while (g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, FALSE);
	sf_conn_cancel(c, mid);
	spin_until(NULL, &d6, 1);
	g_assert_cmphex(d6.status, ==, STATUS_CANCELLED);

	/* 7. No answer within the timeout: the connection is broken (the
	 * request fails once, replayable), and a reconnect starts a new
	 * generation on a new socket. */
	struct done d7 = {0};
	unsigned gen = sf_conn_generation(c);
	submit_echo(c, &d7, 0);
	spin_until(NULL, &d7, 1);
	g_assert_cmphex(d7.status, ==, STATUS_CONNECTION_DISCONNECTED);
	g_assert_true(sf_conn_broken(c));
	g_assert_cmpint(lost, ==, 1);
	ready_called = false;
	g_assert_true(sf_conn_reconnect(c, on_ready, NULL));
	g_assert_false(sf_conn_reconnect(c, on_ready, NULL)); /* not broken now */
	spin_until(&ready_called, NULL, 0);
	g_assert_cmpuint(ready_status, ==, STATUS_SUCCESS);
	g_assert_true(sf_conn_alive(c));
	g_assert_cmpuint(sf_conn_generation(c), ==, gen + 1);
	g_assert_cmpint(d7.calls, ==, 1);

	/* 8. malformed: the connection drops, the request fails once */
	struct done d8 = {0};
	submit_echo(c, &d8, 0);
	spin_until(NULL, &d8, 1);
	g_assert_cmpint(d8.calls, ==, 1);
	g_assert_cmphex(d8.status, ==, STATUS_INVALID_NETWORK_RESPONSE);
	g_assert_false(sf_conn_alive(c));
	g_assert_cmpint(lost, ==, 2);

	/* After the drop, a submit fails - later, never inside submit. */
	struct done d9 = {0};
	submit_echo(c, &d9, 0);
	g_assert_cmpint(d9.calls, ==, 0);
	spin_until(NULL, &d9, 1);
	g_assert_cmpint(d9.calls, ==, 1);
	g_assert_cmphex(d9.status, ==, STATUS_CONNECTION_DISCONNECTED);
	g_assert_false(d9.during_submit);

	g_free(g_async_queue_timeout_pop(s.events, 10 * G_USEC_PER_SEC));
	g_thread_join(s.thread);
	if (s.failure)
		g_error("server side: %s", s.failure);
	/* Every callback ran exactly once. */
	struct done *all[] = {&d1, &d2, &d3, &d4, &d5, &d6, &d7, &d8, &d9};
	for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
		g_assert_cmpint(all[i]->calls, ==, 1);
	sf_conn_unref(c);
	close(s.listen_fd);
	g_async_queue_unref(s.events);
	g_async_queue_unref(s.go);
}

/* ---- scenario 2: the engine's rules against a hostile peer ------------ */

#define SID  0x1122334455667788ull
#define SALG SMB2_SIGNING_HMAC_SHA256
static const uint8_t skey[16] = "0123456789abcdef";

static GByteArray *signed_rsp(uint16_t cmd, uint64_t mid, uint32_t status, uint16_t credits,
                              uint64_t async_id, uint64_t sid, bool sign, const uint8_t *body,
                              size_t blen)
{
	GByteArray *r = rsp(cmd, mid, status, credits, async_id, body, blen);
	sf_put_le64(r->data + SMB2_HDR_OFF_SESSION_ID, sid);
	if (sign)
		sf_sign_apply(SALG, skey, r->data, r->len);
	return r;
}

static void negotiate(struct server *s, int fd)
{
	struct smb2_hdr h;
	GByteArray *f = read_frame(fd);
	EXPECT(f && smb2_hdr_decode(f->data, f->len, &h) == 0 && h.command == SMB2_NEGOTIATE,
	       "expected NEGOTIATE");
	GByteArray *neg = vector("preauth_neg_rsp");
	sf_put_le16(neg->data + SMB2_HDR_OFF_CREDITS, 8);
	sf_put_le64(neg->data + SMB2_HDR_OFF_MESSAGE_ID, h.message_id);
	send_frame(fd, neg->data, neg->len);
	g_byte_array_unref(neg);
	if (f)
		g_byte_array_unref(f);
}

static gpointer hostile_main(gpointer p)
{
	struct server *s = p;
	s->fd = accept(s->listen_fd, NULL, NULL);
	int fd = s->fd;
	struct smb2_hdr h;
	negotiate(s, fd);

	/* A. An unsigned interim granting 1000 credits, then after longer
	 * than the timeout the signed answer: still pending (the interim
	 * restarted the timeout), and of the interim's grant only what the
	 * request asked for counts, once the answer verified. */
	GByteArray *f = read_frame(fd);
	smb2_hdr_decode(f->data, f->len, &h);
	g_atomic_int_set(&s->asked, h.credits);
	EXPECT(h.session_id == SID && (h.flags & SMB2_FLAGS_SIGNED), "request not signed");
	GByteArray *r = signed_rsp(SMB2_ECHO, h.message_id, STATUS_PENDING, 1000, 5, SID, false,
	                           error_body, 9);
	g_usleep(700 * 1000);
	send_frame(fd, r->data, r->len);
	g_byte_array_unref(r);
	g_usleep(700 * 1000); /* 1.4 s after the request, timeout is 1 s */
	r = signed_rsp(SMB2_ECHO, h.message_id, 0, 1, 5, SID, true, echo_body, 4);
	send_frame(fd, r->data, r->len);
	g_byte_array_unref(r);
	g_byte_array_unref(f);

	/* B. A request held without an answer; the next one waits for
	 * credits and is cancelled there: it must never arrive. Then the
	 * held one is answered (signed). */
	f = read_frame(fd);
	smb2_hdr_decode(f->data, f->len, &h);
	uint64_t held = h.message_id;
	g_byte_array_unref(f);
	wait_go(s);
	r = signed_rsp(SMB2_ECHO, held, 0, 8, 0, SID, true, echo_body, 4);
	send_frame(fd, r->data, r->len);
	g_byte_array_unref(r);

	/* C. A forged answer: unsigned, SessionId 0, the pending request's
	 * MessageId. The client must drop the connection. */
	f = read_frame(fd);
	EXPECT(f != NULL, "no request after the cancelled one");
	if (f) {
		smb2_hdr_decode(f->data, f->len, &h);
		EXPECT(h.command == SMB2_ECHO && h.credit_charge <= 1,
		       "the cancelled request was sent");
		r = signed_rsp(SMB2_ECHO, h.message_id, 0, 100, 0, 0, false, echo_body, 4);
		send_frame(fd, r->data, r->len);
		g_byte_array_unref(r);
		g_byte_array_unref(f);
	}
	f = read_frame(fd);
	EXPECT(f == NULL, "client kept the connection after a forged answer");
	if (f)
		g_byte_array_unref(f);
	close(fd);
	g_async_queue_push(s->events, g_strdup("done"));
	return NULL;
}

static void test_hostile(void)
{
	struct server s = {0};
	s.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	g_assert_cmpint(bind(s.listen_fd, (struct sockaddr *)&a, sizeof a), ==, 0);
	socklen_t al = sizeof a;
	getsockname(s.listen_fd, (struct sockaddr *)&a, &al);
	listen(s.listen_fd, 1);
	s.events = g_async_queue_new();
	s.go = g_async_queue_new();
	s.thread = g_thread_new("hostile", hostile_main, &s);

	ready_called = false;
	struct sf_conn_opts o = {
	        .host = "127.0.0.1", .port = ntohs(a.sin_port), .timeout_ms = 1000};
	sf_conn *c = sf_conn_new(&o, NULL, on_ready, NULL);
	spin_until(&ready_called, NULL, 0);
	g_assert_cmpuint(ready_status, ==, STATUS_SUCCESS);
	struct sf_conn_security sec = {.sign = true, .sign_alg = SALG};
	memcpy(sec.keys.signing, skey, 16);
	sf_conn_set_security(c, SID, &sec);

	uint8_t body[4] = {4, 0, 0, 0};
	struct sf_req_spec spec = {
	        .command = SMB2_ECHO, .body = body, .body_len = 4, .session_id = SID};

	/* A */
	struct sf_conn_stats st0, st1;
	sf_conn_stats(c, &st0);
	struct done da = {0};
	spec.done = on_done, spec.user = &da;
	sf_conn_submit(c, &spec, 1);
	spin_until(NULL, &da, 1);
	g_assert_cmphex(da.status, ==, STATUS_SUCCESS);
	sf_conn_stats(c, &st1);
	unsigned asked = (unsigned)g_atomic_int_get(&s.asked);
	g_assert_cmpuint(asked, >, 1);
	g_assert_cmpuint(asked, <, 1000);
	g_assert_cmpuint(st1.credits_granted - st0.credits_granted, ==, 1 + asked);

	/* B: what NEGOTIATE and A left is below 128; the held request takes
	 * one, then an 8 MiB one (charge 128) must wait. */
	struct done db = {0}, dw = {0};
	spec.user = &db;
	sf_conn_submit(c, &spec, 1);
	struct sf_req_spec big = spec;
	big.expect_rsp = 8u << 20;
	big.user = &dw;
	sf_req_handle hw = sf_conn_submit(c, &big, 1);
	g_assert_cmpuint(hw, !=, 0);
	sf_conn_cancel(c, hw);
	g_assert_cmpint(dw.calls, ==, 0); /* never inside the call */
	spin_until(NULL, &dw, 1);
	g_assert_cmphex(dw.status, ==, STATUS_CANCELLED);
	g_async_queue_push(s.go, g_strdup("go"));
	spin_until(NULL, &db, 1);
	g_assert_cmphex(db.status, ==, STATUS_SUCCESS);

	/* C */
	struct done dc = {0};
	spec.user = &dc;
	sf_conn_submit(c, &spec, 1);
	spin_until(NULL, &dc, 1);
	g_assert_cmphex(dc.status, ==, STATUS_INVALID_SIGNATURE);
	g_assert_false(sf_conn_alive(c));

	g_free(g_async_queue_timeout_pop(s.events, 10 * G_USEC_PER_SEC));
	g_thread_join(s.thread);
	if (s.failure)
		g_error("server side: %s", s.failure);
	struct done *all[] = {&da, &db, &dw, &dc};
	for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
		g_assert_cmpint(all[i]->calls, ==, 1);
	sf_conn_unref(c);
	close(s.listen_fd);
	g_async_queue_unref(s.events);
	g_async_queue_unref(s.go);
}

/* ---- scenario 3: Samba's answers after a session expired --------------- */

/* A compound answer: the first element signed STATUS_NETWORK_SESSION_EXPIRED,
 * the second RELATED with status and a signature that does not verify (as
 * Samba 4.17 sends them once a Kerberos ticket ran out). */
static void send_expired_compound(int fd, uint64_t mid1, uint64_t mid2, uint32_t st1)
{
	GByteArray *c1 = signed_rsp(SMB2_ECHO, mid1, st1, 1, 0, SID, false,
	                            st1 ? error_body : echo_body, st1 ? 9 : 4);
	g_byte_array_set_size(c1, 80);
	sf_put_le32(c1->data + SMB2_HDR_OFF_NEXT_COMMAND, 80);
	sf_sign_apply(SALG, skey, c1->data, c1->len);
	GByteArray *c2 = signed_rsp(SMB2_ECHO, mid2, STATUS_INVALID_PARAMETER, 0, 0, SID, false,
	                            error_body, 9);
	sf_put_le32(c2->data + SMB2_HDR_OFF_FLAGS,
	            SMB2_FLAGS_SERVER_TO_REDIR | SMB2_FLAGS_RELATED_OPERATIONS | SMB2_FLAGS_SIGNED);
	memset(c2->data + SMB2_HDR_OFF_SIGNATURE, 0x5a, 16);
	g_byte_array_append(c1, c2->data, c2->len);
	send_frame(fd, c1->data, c1->len);
	g_byte_array_unref(c1);
	g_byte_array_unref(c2);
}

static gpointer expired_main(gpointer p)
{
	struct server *s = p;
	s->fd = accept(s->listen_fd, NULL, NULL);
	int fd = s->fd;
	negotiate(s, fd);
	for (int round = 0; round < 2; round++) {
		GByteArray *f = read_frame(fd);
		struct smb2_hdr h, h2;
		EXPECT(f && smb2_hdr_decode(f->data, f->len, &h) == 0 && h.next_command &&
		               smb2_hdr_decode(f->data + h.next_command, f->len - h.next_command,
		                               &h2) == 0,
		       "expected a compound");
		if (!f || s->failure)
			break;
		/* Round 0: expired, then the unverifiable related answer.
		 * Round 1 (keys set again): an unverifiable answer is an attack. */
		send_expired_compound(fd, h.message_id, h2.message_id,
		                      round == 0 ? STATUS_NETWORK_SESSION_EXPIRED : 0);
		g_byte_array_unref(f);
	}
	GByteArray *f = read_frame(fd); /* the client hangs up */
	EXPECT(f == NULL, "client kept the connection after a forged answer");
	if (f)
		g_byte_array_unref(f);
	close(fd);
	g_async_queue_push(s->events, g_strdup("done"));
	return NULL;
}

static void test_expired(void)
{
	struct server s = {0};
	s.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	g_assert_cmpint(bind(s.listen_fd, (struct sockaddr *)&a, sizeof a), ==, 0);
	socklen_t al = sizeof a;
	getsockname(s.listen_fd, (struct sockaddr *)&a, &al);
	listen(s.listen_fd, 1);
	s.events = g_async_queue_new();
	s.go = g_async_queue_new();
	s.thread = g_thread_new("expired", expired_main, &s);

	ready_called = false;
	struct sf_conn_opts o = {
	        .host = "127.0.0.1", .port = ntohs(a.sin_port), .timeout_ms = 5000};
	sf_conn *c = sf_conn_new(&o, NULL, on_ready, NULL);
	spin_until(&ready_called, NULL, 0);
	g_assert_cmpuint(ready_status, ==, STATUS_SUCCESS);
	struct sf_conn_security sec = {.sign = true, .sign_alg = SALG};
	memcpy(sec.keys.signing, skey, 16);
	sf_conn_set_security(c, SID, &sec);

	uint8_t body[4] = {4, 0, 0, 0};
	struct done d1 = {0}, d2 = {0};
	struct sf_req_spec specs[2] = {
	        {.command = SMB2_ECHO,
	         .body = body,
	         .body_len = 4,
	         .session_id = SID,
	         .done = on_done,
	         .user = &d1},
	        {.command = SMB2_ECHO,
	         .body = body,
	         .body_len = 4,
	         .session_id = SID,
	         .done = on_done,
	         .user = &d2},
	};
	/* Both answered as expired (re-authenticate, then send again); the
	 * connection stays. */
	sf_conn_submit(c, specs, 2);
	spin_until(NULL, &d2, 1);
	g_assert_cmphex(d1.status, ==, STATUS_NETWORK_SESSION_EXPIRED);
	g_assert_cmphex(d2.status, ==, STATUS_NETWORK_SESSION_EXPIRED);
	g_assert_true(sf_conn_alive(c));

	/* New keys (a re-authentication): the same unverifiable answer with
	 * no expiry before it ends the connection. */
	sf_conn_set_security(c, SID, &sec);
	struct done d3 = {0}, d4 = {0};
	specs[0].user = &d3, specs[1].user = &d4;
	sf_conn_submit(c, specs, 2);
	spin_until(NULL, &d4, 1);
	g_assert_cmphex(d4.status, ==, STATUS_INVALID_SIGNATURE);
	g_assert_false(sf_conn_alive(c));

	g_free(g_async_queue_timeout_pop(s.events, 10 * G_USEC_PER_SEC));
	g_thread_join(s.thread);
	if (s.failure)
		g_error("server side: %s", s.failure);
	struct done *all[] = {&d1, &d2, &d3, &d4};
	for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
		g_assert_cmpint(all[i]->calls, ==, 1);
	sf_conn_unref(c);
	close(s.listen_fd);
	g_async_queue_unref(s.events);
	g_async_queue_unref(s.go);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* The engine warns when it drops a connection; that is expected here. */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	g_test_add_func("/conn/replay", test_replay);
	g_test_add_func("/conn/hostile", test_hostile);
	g_test_add_func("/conn/expired", test_expired);
	return g_test_run();
}
