/* shares.c - NetrShareEnum over srvsvc (shares.h). */
#define G_LOG_DOMAIN "smbfuse-rpc"

#include "fs/shares.h"

#include "proto/ntstatus.h"

#include <string.h>

/* A server that keeps answering "more" with nothing new must not hold us. */
#define MAX_ROUNDS 64

struct enum_op {
	sf_rpc *rpc;
	char *server;
	GPtrArray *shares;
	unsigned rounds, frags;
	sf_shares_fn cb;
	void *user;
};

static void enum_finish(struct enum_op *e, uint32_t status, const char *why)
{
	sf_rpc_free(e->rpc);
	e->cb(e->user, status, why, status ? NULL : e->shares, e->frags);
	if (e->shares)
		g_ptr_array_unref(e->shares);
	g_free(e->server);
	g_free(e);
}

static void ask(struct enum_op *e, uint32_t resume);

static void answered(void *user, uint32_t status, const uint8_t *stub, size_t len)
{
	struct enum_op *e = user;
	e->frags += sf_rpc_last_fragments(e->rpc);
	if (status) {
		enum_finish(e, status, NULL);
		return;
	}
	struct srvsvc_share_enum_rsp rsp;
	if (srvsvc_share_enum_rsp_decode(stub, len, &rsp) != 0) {
		enum_finish(e, STATUS_INVALID_NETWORK_RESPONSE, "malformed NetrShareEnum answer");
		return;
	}
	/* WERROR: ERROR_SUCCESS, or ERROR_MORE_DATA (234) with a resume handle. */
	if (rsp.result != 0 && rsp.result != 234) {
		char *why = g_strdup_printf("NetrShareEnum: WERROR 0x%08x", rsp.result);
		uint32_t st = rsp.result == 5 ? STATUS_ACCESS_DENIED : RPC_NT_CALL_FAILED;
		srvsvc_share_enum_rsp_clear(&rsp);
		enum_finish(e, st, why);
		g_free(why);
		return;
	}
	guint got = rsp.shares->len;
	for (guint i = 0; i < rsp.shares->len; i++)
		g_ptr_array_add(e->shares, g_ptr_array_steal_index(rsp.shares, i--));
	bool more = rsp.result == 234 && rsp.has_resume && got > 0;
	uint32_t resume = rsp.resume;
	srvsvc_share_enum_rsp_clear(&rsp);
	if (more && ++e->rounds < MAX_ROUNDS && e->shares->len < SRVSVC_MAX_SHARES) {
		ask(e, resume);
		return;
	}
	enum_finish(e, 0, NULL);
}

static void ask(struct enum_op *e, uint32_t resume)
{
	size_t len;
	uint8_t *stub = srvsvc_share_enum_req_encode(e->server, resume, &len);
	sf_rpc_call(e->rpc, SRVSVC_OPNUM_NETRSHAREENUM, stub, len, answered, e);
	g_free(stub);
}

static void bound(void *user, uint32_t status, const char *why, sf_rpc *r)
{
	struct enum_op *e = user;
	if (status) {
		enum_finish(e, status, why);
		return;
	}
	e->rpc = r;
	ask(e, 0);
}

void sf_shares_enum(sf_tree *ipc, const char *server, const struct sf_rpc_opts *o, sf_shares_fn cb,
                    void *user)
{
	struct enum_op *e = g_new0(struct enum_op, 1);
	e->server = g_strdup(server);
	e->shares = g_ptr_array_new_with_free_func(srvsvc_share_free);
	e->cb = cb;
	e->user = user;
	sf_rpc_bind(ipc, "srvsvc", &rpc_syntax_srvsvc, o, bound, e);
}

struct enum_wait {
	bool done;
	uint32_t status;
	char *why;
	GPtrArray *shares;
	unsigned frags;
};

static void enum_waited(void *user, uint32_t status, const char *why, GPtrArray *shares,
                        unsigned frags)
{
	struct enum_wait *w = user;
	w->done = true;
	w->status = status;
	w->why = g_strdup(why);
	w->shares = shares ? g_ptr_array_ref(shares) : NULL;
	w->frags = frags;
}

uint32_t sf_shares_enum_sync(sf_tree *ipc, const char *server, const struct sf_rpc_opts *o,
                             GMainContext *ctx, GPtrArray **out, char **why, unsigned *frags)
{
	struct enum_wait w = {0};
	sf_shares_enum(ipc, server, o, enum_waited, &w);
	while (!w.done)
		g_main_context_iteration(ctx, TRUE);
	*out = w.shares;
	*why = w.why;
	if (frags)
		*frags = w.frags;
	return w.status;
}

bool sf_share_is_disk(const struct srvsvc_share *s)
{
	return (s->type & STYPE_MASK) == STYPE_DISKTREE && s->name[0] && !strchr(s->name, '/') &&
	       strcmp(s->name, ".") != 0 && strcmp(s->name, "..") != 0;
}
