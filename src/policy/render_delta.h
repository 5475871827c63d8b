/*
 * DOC: endpoint churn as a structured delta: the element operations that
 * render_delta.c computes and that go to the kernel either as nft text
 * through libnftables (policy_render_endpoint_*, the fallback) or directly
 * as one nf_tables netlink batch (nft_batch.c, the fast path).
 */
#ifndef TABBY_POLICY_RENDER_DELTA_H
#define TABBY_POLICY_RENDER_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tabby/policy.h>

#define RD_NAME_MAX 32 /* set, map and chain names ("s123_4", "ep17_in") */
#define RD_IFNAMSIZ 16 /* IFNAMSIZ: an ifname key is the name padded with NULs */

enum rd_key_kind {
	RD_KEY_ADDR,   /* ipv4_addr / ipv6_addr set (key: 4 or 16 bytes) */
	RD_KEY_IFNAME, /* ifname set or verdict map (key: RD_IFNAMSIZ bytes) */
};

/* One element added to or deleted from one named set or map of our table. */
struct rd_op {
	bool add;
	enum rd_key_kind kind;
	char set[RD_NAME_MAX];
	struct addr addr;             /* RD_KEY_ADDR */
	char ifname[RD_IFNAMSIZ + 1]; /* RD_KEY_IFNAME */
	char jump[RD_NAME_MAX];       /* verdict map add: "jump <chain>"; "" otherwise */
};

struct rd_delta {
	struct rd_op *ops; /* in order: deletions before additions */
	size_t n, cap;
	/* "add chain" / "add rule" commands for new endpoint chains; NULL: none. */
	char *chains;
	bool oom;
};

/*
 * Update the state for an endpoint add / relabel / removal (as
 * policy_render_endpoint_put / _remove) and describe the change in d
 * (zeroed by the caller, freed with rd_delta_free, also on error).
 * Returns 0, -EAGAIN (no full render yet), -ENOENT (remove: unknown id),
 * -EINVAL (bad endpoint), -ENOMEM.
 */
int rd_endpoint_put(struct policy_state *st, const struct policy_endpoint *ep, struct rd_delta *d);
int rd_endpoint_remove(struct policy_state *st, const char *id, struct rd_delta *d);
/* The delta as nft commands ("" when empty); malloc'ed. */
int rd_delta_text(const struct rd_delta *d, char **out);
/* One op in nft's words, for error messages: "add element inet tabby s0_4 { 10.0.0.1 }". */
const char *rd_op_format(const struct rd_op *op, char *buf, size_t len);
void rd_delta_free(struct rd_delta *d);

/*
 * nft_batch.c: send the ops of d (no chains) to the kernel as one
 * nf_tables batch on a NETLINK_NETFILTER socket, one message per element
 * with an acknowledgement each. Returns 0; -EINVAL when the kernel refused
 * (err names the errno and the element; nothing was applied: the batch is
 * one transaction); -EPROTONOSUPPORT or another negative errno when no
 * batch could be exchanged (the caller may fall back to libnftables).
 */
int rd_batch_apply(const struct rd_delta *d, char *err, size_t errlen);
/* The batch rd_batch_apply sends (malloc'ed), for tests: seq 1 is BATCH_BEGIN. */
int rd_batch_encode(const struct rd_delta *d, uint8_t **buf, size_t *len);

#endif
