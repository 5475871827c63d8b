/*
 * DOC: endpoint churn as nftables element updates.
 *
 * After a full render, adding, removing or relabelling an endpoint changes
 * only elements: its addresses in the selector sets whose selector it
 * matches (before / after), its veth in set ifs and in the dispatch maps
 * to_ep / from_ep. Only when a local endpoint needs a combination of
 * policies no endpoint had so far is a new endpoint chain added (a few
 * "add rule" commands, still no rebuild). Deletions come before additions.
 *
 * The change is computed once as a structured delta (render_delta.h: a list
 * of element operations plus any new chain); it is printed as nft commands
 * for libnftables (one transaction) or encoded as one nf_tables netlink
 * batch by nft_batch.c. Both are atomic.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_delta.h"
#include "render_private.h"

static struct rd_op *rd_op_new(struct rd_delta *d, bool add, const char *set)
{
	struct rd_op *v;

	if (d->n == d->cap) {
		v = realloc(d->ops, (d->cap ? d->cap * 2 : 8) * sizeof(*v));
		if (!v) {
			d->oom = true;
			return NULL;
		}
		d->ops = v;
		d->cap = d->cap ? d->cap * 2 : 8;
	}
	v = &d->ops[d->n++];
	memset(v, 0, sizeof(*v));
	v->add = add;
	snprintf(v->set, sizeof(v->set), "%s", set);
	return v;
}

static void rd_op_ifname(struct rd_delta *d, bool add, const char *set, const char *ifname,
                         const char *jump)
{
	struct rd_op *op = rd_op_new(d, add, set);

	if (!op)
		return;
	op->kind = RD_KEY_IFNAME;
	snprintf(op->ifname, sizeof(op->ifname), "%s", ifname);
	if (jump)
		snprintf(op->jump, sizeof(op->jump), "%s", jump);
}

static bool rd_has_addr(const struct rs_endpoint *ep, const struct addr *a)
{
	size_t i;

	for (i = 0; ep && i < ep->n_addrs; i++)
		if (addr_eq(&ep->addrs[i], a))
			return true;
	return false;
}

/* Elements of from that are not in to (to: NULL or not matching = none). */
static void rd_set_elements(struct rd_delta *d, bool add, size_t set,
                            const struct rs_endpoint *from, const struct rs_endpoint *to)
{
	struct rd_op *op;
	char name[RD_NAME_MAX];
	size_t i;

	for (i = 0; i < from->n_addrs; i++) {
		if (rd_has_addr(to, &from->addrs[i]))
			continue;
		snprintf(name, sizeof(name), "s%zu_%d", set,
		         from->addrs[i].family == AF_INET ? 4 : 6);
		op = rd_op_new(d, add, name);
		if (!op)
			return;
		op->kind = RD_KEY_ADDR;
		op->addr = from->addrs[i];
	}
}

static void rd_sets(struct policy_state *st, struct rd_delta *d, const struct rs_endpoint *old,
                    const struct rs_endpoint *new, bool deletes)
{
	size_t k;
	bool in_old, in_new;

	for (k = 0; k < st->n_sels; k++) {
		in_old = old && rs_sel_matches(st, st->sels[k].sel, old);
		in_new = new &&rs_sel_matches(st, st->sels[k].sel, new);
		if (deletes && in_old)
			rd_set_elements(d, false, k, old, in_new ? new : NULL);
		if (!deletes && in_new)
			rd_set_elements(d, true, k, new, in_old ? old : NULL);
	}
}

static void rd_maps(struct rd_delta *d, const struct rs_endpoint *ep, bool add)
{
	static const char *const map_name[2] = {"to_ep", "from_ep"};
	char chain[RD_NAME_MAX];
	int dir;

	if (!ep || !ep->iface)
		return;
	for (dir = 0; dir < 2; dir++) {
		if (ep->sig[dir] < 0)
			continue;
		snprintf(chain, sizeof(chain), "ep%d_%s", ep->sig[dir],
		         rs_dir_name((enum policy_dir)dir));
		rd_op_ifname(d, add, map_name[dir], ep->iface, add ? chain : NULL);
	}
}

/* The veth in set ifs: from's, if to does not have the same one. */
static void rd_ifs(struct rd_delta *d, const struct rs_endpoint *from, const struct rs_endpoint *to,
                   bool add)
{
	if (!from || !from->iface || (to && to->iface && strcmp(from->iface, to->iface) == 0))
		return;
	rd_op_ifname(d, add, "ifs", from->iface, NULL);
}

static bool rd_same_dispatch(const struct rs_endpoint *a, const struct rs_endpoint *b)
{
	if (!a || !b)
		return false;
	if (!!a->iface != !!b->iface || (a->iface && strcmp(a->iface, b->iface)))
		return false;
	return a->sig[0] == b->sig[0] && a->sig[1] == b->sig[1];
}

void rd_delta_free(struct rd_delta *d)
{
	free(d->ops);
	free(d->chains);
	memset(d, 0, sizeof(*d));
}

const char *rd_op_format(const struct rd_op *op, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	if (op->kind == RD_KEY_ADDR)
		snprintf(buf, len, "%s element inet " POLICY_TABLE " %s { %s }",
		         op->add ? "add" : "delete", op->set, addr_format(&op->addr, a, sizeof(a)));
	else if (op->jump[0])
		snprintf(buf, len, "%s element inet " POLICY_TABLE " %s { \"%s\" : jump %s }",
		         op->add ? "add" : "delete", op->set, op->ifname, op->jump);
	else
		snprintf(buf, len, "%s element inet " POLICY_TABLE " %s { \"%s\" }",
		         op->add ? "add" : "delete", op->set, op->ifname);
	return buf;
}

int rd_delta_text(const struct rd_delta *d, char **out)
{
	struct buf_writer w;
	char line[256];
	size_t i, len;

	*out = NULL;
	buf_writer_init(&w, 256);
	if (d->chains)
		buf_put_bytes(&w, d->chains, strlen(d->chains));
	for (i = 0; i < d->n; i++)
		rs_printf(&w, "%s\n", rd_op_format(&d->ops[i], line, sizeof(line)));
	buf_put_u8(&w, 0);
	*out = buf_writer_ok(&w) ? (char *)buf_writer_steal(&w, &len) : NULL;
	buf_writer_free(&w);
	return *out ? 0 : -ENOMEM;
}

/* New endpoint chains as "add chain" / "add rule" commands into d->chains. */
static int rd_new_chains(struct policy_state *st, struct rs_endpoint *new, struct rd_delta *d)
{
	struct buf_writer w;
	bool created, any = false;
	size_t len;
	int rc = 0, dir;

	buf_writer_init(&w, 256);
	for (dir = 0; new->iface &&dir < 2; dir++) {
		rc = rs_sig_of(st, new, (enum policy_dir)dir, &created);
		if (rc < -1)
			goto out;
		new->sig[dir] = rc;
		if (created) {
			rs_emit_sig_chain(st, (size_t)rc, true, &w);
			any = true;
		}
	}
	rc = 0;
	if (any) {
		buf_put_u8(&w, 0);
		if (!buf_writer_ok(&w) || !(d->chains = (char *)buf_writer_steal(&w, &len)))
			rc = -ENOMEM;
	}
out:
	buf_writer_free(&w);
	return rc;
}

int rd_endpoint_put(struct policy_state *st, const struct policy_endpoint *ep, struct rd_delta *d)
{
	struct rs_endpoint new, *old, *v;
	int rc;

	if (!st->rendered)
		return -EAGAIN;
	if ((rc = rs_endpoint_fill(&new, ep)))
		return rc;
	if ((rc = rd_new_chains(st, &new, d)))
		goto fail;
	old = rs_endpoint_find(st, ep->id);
	rd_sets(st, d, old, &new, true);
	if (!rd_same_dispatch(old, &new))
		rd_maps(d, old, false);
	rd_ifs(d, old, &new, false);
	rd_sets(st, d, old, &new, false);
	rd_ifs(d, &new, old, true);
	if (!rd_same_dispatch(old, &new))
		rd_maps(d, &new, true);
	if (d->oom) {
		rc = -ENOMEM;
		goto fail;
	}
	if (old) {
		rs_endpoint_clear(old);
		*old = new;
		return 0;
	}
	v = realloc(st->eps, (st->n_eps + 1) * sizeof(*v));
	if (!v) {
		rc = -ENOMEM;
		goto fail;
	}
	st->eps = v;
	v[st->n_eps++] = new;
	return 0;
fail:
	rs_endpoint_clear(&new);
	return rc;
}

int rd_endpoint_remove(struct policy_state *st, const char *id, struct rd_delta *d)
{
	struct rs_endpoint *old;
	size_t i;

	if (!st->rendered)
		return -EAGAIN;
	old = rs_endpoint_find(st, id);
	if (!old)
		return -ENOENT;
	rd_sets(st, d, old, NULL, true);
	rd_maps(d, old, false);
	rd_ifs(d, old, NULL, false);
	if (d->oom)
		return -ENOMEM;
	i = (size_t)(old - st->eps);
	rs_endpoint_clear(old);
	memmove(&st->eps[i], &st->eps[i + 1], (st->n_eps - i - 1) * sizeof(*st->eps));
	st->n_eps--;
	return 0;
}

int policy_render_endpoint_put(struct policy_state *st, const struct policy_endpoint *ep,
                               char **out)
{
	struct rd_delta d = {0};
	int rc;

	*out = NULL;
	rc = rd_endpoint_put(st, ep, &d);
	if (rc == 0)
		rc = rd_delta_text(&d, out);
	rd_delta_free(&d);
	return rc;
}

int policy_render_endpoint_remove(struct policy_state *st, const char *id, char **out)
{
	struct rd_delta d = {0};
	int rc;

	*out = NULL;
	rc = rd_endpoint_remove(st, id, &d);
	if (rc == 0)
		rc = rd_delta_text(&d, out);
	rd_delta_free(&d);
	return rc;
}
