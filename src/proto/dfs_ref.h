/* dfs_ref.h - DFS referral requests and responses (MS-DFSC 2.2.2 to
 * 2.2.5), carried in FSCTL_DFS_GET_REFERRALS (_EX) on IPC$ (MS-SMB2
 * 3.2.4.20.3). The decoder only points into the caller's buffer: every
 * string is UTF-16LE without its terminating NUL. */
#ifndef SF_PROTO_DFS_REF_H
#define SF_PROTO_DFS_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FSCTL_DFS_GET_REFERRALS_EX 0x000601B0u

/* RESP_GET_DFS_REFERRAL ReferralHeaderFlags (2.2.4). */
#define DFS_HDR_REFERRAL_SERVERS 0x00000001u /* R */
#define DFS_HDR_STORAGE_SERVERS  0x00000002u /* S */
#define DFS_HDR_TARGET_FAILBACK  0x00000004u /* T */
/* ServerType (2.2.5.x). */
#define DFS_SERVER_NON_ROOT 0x0000u
#define DFS_SERVER_ROOT     0x0001u
/* ReferralEntryFlags (2.2.5.3, 2.2.5.4). */
#define DFS_ENTRY_NAME_LIST_REFERRAL  0x0002u
#define DFS_ENTRY_TARGET_SET_BOUNDARY 0x0004u

/* Caps on what one response may carry (a hostile count costs nothing). */
#define DFS_MAX_REFERRALS 64
#define DFS_MAX_EXPANDED  32

struct dfs_str {
	const uint8_t *p; /* UTF-16LE, into the buffer; NULL when absent */
	size_t len;       /* bytes, even, without the NUL */
};

struct dfs_referral {
	uint16_t version;        /* VersionNumber: 1..4 */
	uint16_t server_type;    /* ServerType */
	uint16_t flags;          /* ReferralEntryFlags */
	uint32_t ttl;            /* TimeToLive, seconds (0 for v1) */
	struct dfs_str path;     /* DFSPath (v2+) */
	struct dfs_str alt_path; /* DFSAlternatePath (v2+) */
	struct dfs_str node;     /* NetworkAddress (v2+), ShareName (v1) */
	/* NameListReferral (domain and DC referrals, v3+). */
	struct dfs_str special;                    /* SpecialName: the domain */
	uint16_t n_expanded;                       /* NumberOfExpandedNames as sent */
	uint16_t n_expanded_ok;                    /* how many were decoded into expanded[] */
	struct dfs_str expanded[DFS_MAX_EXPANDED]; /* DC names */
};

struct dfs_referral_rsp {
	uint16_t path_consumed; /* PathConsumed: bytes of the request path */
	uint16_t n;             /* entries decoded (NumberOfReferrals) */
	uint32_t header_flags;  /* ReferralHeaderFlags */
	struct dfs_referral ref[DFS_MAX_REFERRALS];
};

/* REQ_GET_DFS_REFERRAL (2.2.2): name is the UTF-16LE request path without
 * a NUL (the encoder adds it). NULL when it does not fit. */
uint8_t *dfs_referral_req_encode(uint16_t max_level, const uint8_t *name, size_t name_len,
                                 size_t *len);
/* REQ_GET_DFS_REFERRAL_EX (2.2.3): site may be NULL (no SiteName flag). */
uint8_t *dfs_referral_req_ex_encode(uint16_t max_level, const uint8_t *name, size_t name_len,
                                    const uint8_t *site, size_t site_len, size_t *len);

/* RESP_GET_DFS_REFERRAL (2.2.4): 0, or -EPROTO when a size, offset or
 * string does not fit, a version is not 1..4, the entries differ in
 * version, or there are more than DFS_MAX_REFERRALS. */
int dfs_referral_rsp_decode(const uint8_t *buf, size_t len, struct dfs_referral_rsp *out);

/* Build a response (for tests and fuzz seeds): the entries' strings are
 * laid out after all entries, as servers do. version 1..4 for all. */
uint8_t *dfs_referral_rsp_encode(const struct dfs_referral_rsp *r, size_t *len);

#endif
