/*
 * DOC: endpoint churn as nftables element updates.
 *
 * After a full render, adding, removing or relabelling an endpoint changes
 * only elements: its addresses in the selector sets whose selector it
 * matches (before / after), its veth in set ifs and in the dispatch maps
 * to_ep / from_ep. Only when a local endpoint needs a combination of
 * policies no endpoint had so far is a new endpoint chain added (a few
 * "add rule" commands, still no rebuild). Deletions come before additions,
 * and everything goes to nft as one batch, so the change is atomic.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render_private.h"

static bool rd_has_addr(const struct rs_endpoint *ep, const struct addr *a)
{
	size_t i;

	for (i = 0; ep && i < ep->n_addrs; i++)
		if (addr_eq(&ep->addrs[i], a))
			return true;
	return false;
}

/* Elements of from that are not in to (to: NULL or not matching = none). */
static void rd_set_elements(struct buf_writer *w, const char *verb, size_t set,
                            const struct rs_endpoint *from, const struct rs_endpoint *to)
{
	char buf[ADDR_STRLEN];
	size_t i;

	for (i = 0; i < from->n_addrs; i++) {
		if (rd_has_addr(to, &from->addrs[i]))
			continue;
		rs_printf(w, "%s element inet " POLICY_TABLE " s%zu_%d { %s }\n", verb, set,
		          from->addrs[i].family == AF_INET ? 4 : 6,
		          addr_format(&from->addrs[i], buf, sizeof(buf)));
	}
}

static void rd_sets(struct policy_state *st, struct buf_writer *w, const struct rs_endpoint *old,
                    const struct rs_endpoint *new, bool deletes)
{
	size_t k;
	bool in_old, in_new;

	for (k = 0; k < st->n_sels; k++) {
		in_old = old && rs_sel_matches(st, st->sels[k].sel, old);
		in_new = new &&rs_sel_matches(st, st->sels[k].sel, new);
		if (deletes && in_old)
			rd_set_elements(w, "delete", k, old, in_new ? new : NULL);
		if (!deletes && in_new)
			rd_set_elements(w, "add", k, new, in_old ? old : NULL);
	}
}

static void rd_maps(struct buf_writer *w, const struct rs_endpoint *ep, bool add)
{
	static const char *const map_name[2] = {"to_ep", "from_ep"};
	int d;

	if (!ep || !ep->iface)
		return;
	for (d = 0; d < 2; d++) {
		if (ep->sig[d] < 0)
			continue;
		if (add)
			rs_printf(
			    w, "add element inet " POLICY_TABLE " %s { \"%s\" : jump ep%d_%s }\n",
			    map_name[d], ep->iface, ep->sig[d], rs_dir_name((enum policy_dir)d));
		else
			rs_printf(w, "delete element inet " POLICY_TABLE " %s { \"%s\" }\n",
			          map_name[d], ep->iface);
	}
}

/* The veth in set ifs: from's, if to does not have the same one. */
static void rd_ifs(struct buf_writer *w, const struct rs_endpoint *from,
                   const struct rs_endpoint *to, bool add)
{
	if (!from || !from->iface || (to && to->iface && strcmp(from->iface, to->iface) == 0))
		return;
	rs_printf(w, "%s element inet " POLICY_TABLE " ifs { \"%s\" }\n", add ? "add" : "delete",
	          from->iface);
}

static bool rd_same_dispatch(const struct rs_endpoint *a, const struct rs_endpoint *b)
{
	if (!a || !b)
		return false;
	if (!!a->iface != !!b->iface || (a->iface && strcmp(a->iface, b->iface)))
		return false;
	return a->sig[0] == b->sig[0] && a->sig[1] == b->sig[1];
}

static int rd_finish(struct buf_writer *w, char **out)
{
	size_t len;

	buf_put_u8(w, 0);
	*out = (char *)buf_writer_steal(w, &len);
	buf_writer_free(w);
	return *out ? 0 : -ENOMEM;
}

int policy_render_endpoint_put(struct policy_state *st, const struct policy_endpoint *ep,
                               char **out)
{
	struct rs_endpoint new, *old, *v;
	struct buf_writer w;
	bool created;
	int rc, d;

	*out = NULL;
	if (!st->rendered)
		return -EAGAIN;
	if ((rc = rs_endpoint_fill(&new, ep)))
		return rc;
	buf_writer_init(&w, 1024);
	for (d = 0; new.iface &&d < 2; d++) {
		rc = rs_sig_of(st, &new, (enum policy_dir)d, &created);
		if (rc < -1)
			goto fail;
		new.sig[d] = rc;
		if (created)
			rs_emit_sig_chain(st, (size_t)rc, true, &w);
	}
	old = rs_endpoint_find(st, ep->id);
	rd_sets(st, &w, old, &new, true);
	if (!rd_same_dispatch(old, &new))
		rd_maps(&w, old, false);
	rd_ifs(&w, old, &new, false);
	rd_sets(st, &w, old, &new, false);
	rd_ifs(&w, &new, old, true);
	if (!rd_same_dispatch(old, &new))
		rd_maps(&w, &new, true);
	if (!buf_writer_ok(&w)) {
		rc = -ENOMEM;
		goto fail;
	}
	if (old) {
		rs_endpoint_clear(old);
		*old = new;
	} else {
		v = realloc(st->eps, (st->n_eps + 1) * sizeof(*v));
		if (!v) {
			rc = -ENOMEM;
			goto fail;
		}
		st->eps = v;
		v[st->n_eps++] = new;
	}
	return rd_finish(&w, out);
fail:
	rs_endpoint_clear(&new);
	buf_writer_free(&w);
	return rc < 0 ? rc : -ENOMEM;
}

int policy_render_endpoint_remove(struct policy_state *st, const char *id, char **out)
{
	struct rs_endpoint *old;
	struct buf_writer w;
	size_t i;

	*out = NULL;
	if (!st->rendered)
		return -EAGAIN;
	old = rs_endpoint_find(st, id);
	if (!old)
		return -ENOENT;
	buf_writer_init(&w, 512);
	rd_sets(st, &w, old, NULL, true);
	rd_maps(&w, old, false);
	rd_ifs(&w, old, NULL, false);
	if (!buf_writer_ok(&w)) {
		buf_writer_free(&w);
		return -ENOMEM;
	}
	i = (size_t)(old - st->eps);
	rs_endpoint_clear(old);
	memmove(&st->eps[i], &st->eps[i + 1], (st->n_eps - i - 1) * sizeof(*st->eps));
	st->n_eps--;
	return rd_finish(&w, out);
}
