/*
 * DOC: rendering state and the full nftables ruleset for table inet tabby.
 *
 * Layout (doc/policy.md has the picture):
 *
 *   set s<k>_4 / s<k>_6   addresses of the cluster's endpoints matching the
 *                         k-th distinct rule selector (canonical form)
 *   set n<k>_4 / n<k>_6   interval sets of the nets of rules
 *   set ifs               host veths of this node's endpoints
 *   map to_ep / from_ep   host veth -> jump ep<sig>_in / ep<sig>_eg
 *   chain ep<sig>_<dir>   jump to the chains of the policies that apply to
 *                         endpoints with this signature, in Calico order,
 *                         then drop (default deny: some policy selects it)
 *   chain po<i>_<dir>     the rules of policy i (render_rules.c)
 *   base chains           fwd_eg (forward, filter): from_ep dispatch;
 *                         fwd_in (forward, filter + 1): to_ep dispatch;
 *                         in_eg (input, filter): pod-to-host egress
 *                         (IPv6 neighbour discovery always allowed);
 *                         each first accepts established/related and drops
 *                         invalid packets of our endpoints (conntrack);
 *                         nat_post (postrouting, srcnat): natOutgoing.
 *
 * Egress and ingress live in two base chains on the same hook: an accept in
 * the first ends only that chain, so a pod-to-pod packet on one node is
 * checked against the sender's egress and then the receiver's ingress.
 * An endpoint that no policy selects in a direction has no map element and
 * is allowed in that direction. Endpoint churn only touches set and map
 * elements (render_delta.c); only policy, pool or namespace changes need the
 * full ruleset, which is applied as one transaction that deletes and
 * re-creates our table and touches no other.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_private.h"

int rs_selset_find(struct policy_state *st, const struct policy_selector *sel, bool add)
{
	struct rs_selset *v;
	char *key = policy_selector_canonical(sel);
	size_t i;

	if (!key)
		return -ENOMEM;
	for (i = 0; i < st->n_sels; i++)
		if (strcmp(st->sels[i].key, key) == 0) {
			free(key);
			return (int)i;
		}
	if (!add) {
		free(key);
		return -1;
	}
	v = realloc(st->sels, (st->n_sels + 1) * sizeof(*v));
	if (!v)
		goto fail;
	st->sels = v;
	v[st->n_sels].key = key;
	v[st->n_sels].sel = policy_selector_clone(sel);
	if (!v[st->n_sels].sel)
		goto fail;
	return (int)st->n_sels++;
fail:
	free(key);
	return -ENOMEM;
}

int rs_netset_find(struct policy_state *st, const struct prefix *nets, size_t n, bool add)
{
	struct rs_netset *v;
	size_t i, k;

	for (i = 0; i < st->n_nets; i++) {
		if (st->nets[i].n != n)
			continue;
		for (k = 0; k < n && prefix_eq(&st->nets[i].nets[k], &nets[k]); k++)
			;
		if (k == n)
			return (int)i;
	}
	if (!add)
		return -1;
	v = realloc(st->nets, (st->n_nets + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	st->nets = v;
	v[st->n_nets].nets = malloc(n * sizeof(*nets));
	if (!v[st->n_nets].nets)
		return -ENOMEM;
	memcpy(v[st->n_nets].nets, nets, n * sizeof(*nets));
	v[st->n_nets].n = n;
	return (int)st->n_nets++;
}

int rs_sig_of(struct policy_state *st, const struct rs_endpoint *ep, enum policy_dir dir,
              bool *created)
{
	size_t *pols = NULL, n = 0, i;
	struct rs_sig *v;

	*created = false;
	for (i = 0; i < st->n_pols; i++) {
		if (!st->pols[i]->types[dir] || !rs_sel_matches(st, st->pols[i]->selector, ep))
			continue;
		if (!pols && !(pols = calloc(st->n_pols, sizeof(*pols))))
			return -ENOMEM;
		pols[n++] = i;
	}
	if (n == 0)
		return -1;
	for (i = 0; i < st->n_sigs; i++)
		if (st->sigs[i].dir == dir && st->sigs[i].n == n &&
		    memcmp(st->sigs[i].pols, pols, n * sizeof(*pols)) == 0) {
			free(pols);
			return (int)i;
		}
	v = realloc(st->sigs, (st->n_sigs + 1) * sizeof(*v));
	if (!v) {
		free(pols);
		return -ENOMEM;
	}
	st->sigs = v;
	v[st->n_sigs].dir = dir;
	v[st->n_sigs].pols = pols;
	v[st->n_sigs].n = n;
	*created = true;
	return (int)st->n_sigs++;
}

void rs_emit_sig_chain(const struct policy_state *st, size_t sig, bool as_commands,
                       struct buf_writer *w)
{
	const struct rs_sig *s = &st->sigs[sig];
	const char *d = rs_dir_name(s->dir);
	char prefix[64];
	size_t i;

	if (as_commands) {
		rs_printf(w, "add chain inet " POLICY_TABLE " ep%zu_%s\n", sig, d);
		snprintf(prefix, sizeof(prefix), "add rule inet " POLICY_TABLE " ep%zu_%s ", sig,
		         d);
	} else {
		rs_printf(w, "\tchain ep%zu_%s {\n", sig, d);
		snprintf(prefix, sizeof(prefix), "\t\t");
	}
	for (i = 0; i < s->n; i++)
		rs_printf(w, "%sjump po%zu_%s\n", prefix, s->pols[i], d);
	rs_printf(w, "%sdrop comment \"default deny\"\n", prefix);
	if (!as_commands)
		rs_printf(w, "\t}\n");
}

/* Collect the named sets every rule refers to. */
static int rs_collect_sets(struct policy_state *st)
{
	const struct policy_entity *e;
	size_t i, k, x;
	int d, rc;

	for (i = 0; i < st->n_pols; i++)
		for (d = 0; d < 2; d++)
			for (k = 0; k < st->pols[i]->n_rules[d]; k++)
				for (x = 0; x < 2; x++) {
					e = x ? &st->pols[i]->rules[d][k].dst
					      : &st->pols[i]->rules[d][k].src;
					if ((e->selector &&
					     (rc = rs_selset_find(st, e->selector, true)) < 0) ||
					    (e->not_selector &&
					     (rc = rs_selset_find(st, e->not_selector, true)) <
					         0) ||
					    (e->n_nets &&
					     (rc = rs_netset_find(st, e->nets, e->n_nets, true)) <
					         0) ||
					    (e->n_not_nets &&
					     (rc = rs_netset_find(st, e->not_nets, e->n_not_nets,
					                          true)) < 0))
						return rc;
				}
	return 0;
}

static int rs_addr_qcmp(const void *a, const void *b)
{
	return addr_cmp(a, b);
}

/* Elements of selector set k in family fam: sorted, unique addresses. */
static void rs_emit_selset(struct policy_state *st, size_t k, int fam, struct buf_writer *w)
{
	struct addr *v = NULL;
	size_t n = 0, cap = 0, i, j;
	char buf[ADDR_STRLEN];
	int af = fam == 4 ? AF_INET : AF_INET6;

	rs_printf(w, "\tset s%zu_%d {\n\t\ttype %s_addr;\n", k, fam, fam == 4 ? "ipv4" : "ipv6");
	for (i = 0; i < st->n_eps; i++) {
		if (!rs_sel_matches(st, st->sels[k].sel, &st->eps[i]))
			continue;
		for (j = 0; j < st->eps[i].n_addrs; j++) {
			if (st->eps[i].addrs[j].family != af)
				continue;
			if (n == cap) {
				struct addr *nv =
				    realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

				if (!nv) {
					w->error = true;
					goto out;
				}
				v = nv;
			}
			v[n++] = st->eps[i].addrs[j];
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), rs_addr_qcmp);
	for (i = 0, j = 0; i < n; i++) {
		if (i && addr_eq(&v[i], &v[i - 1]))
			continue;
		rs_printf(w, "%s%s", j++ ? ", " : "\t\telements = { ",
		          addr_format(&v[i], buf, sizeof(buf)));
	}
	if (j)
		rs_printf(w, " }\n");
out:
	rs_printf(w, "\t}\n");
	free(v);
}

static void rs_emit_prefixes(struct buf_writer *w, const char *name, int fam,
                             const struct prefix *v, size_t n, bool (*keep)(size_t, const void *),
                             const void *arg)
{
	char buf[PREFIX_STRLEN];
	size_t i, j = 0;

	rs_printf(w, "\tset %s_%d {\n\t\ttype %s_addr;\n\t\tflags interval;\n\t\tauto-merge;\n",
	          name, fam, fam == 4 ? "ipv4" : "ipv6");
	for (i = 0; i < n; i++) {
		if ((v[i].addr.family == AF_INET ? 4 : 6) != fam || (keep && !keep(i, arg)))
			continue;
		rs_printf(w, "%s%s", j++ ? ", " : "\t\telements = { ",
		          prefix_format(&v[i], buf, sizeof(buf)));
	}
	if (j)
		rs_printf(w, " }\n");
	rs_printf(w, "\t}\n");
}

static bool rs_pool_nat(size_t i, const void *arg)
{
	return ((const struct policy_pool *)arg)[i].nat_outgoing;
}

static void rs_emit_maps(struct policy_state *st, struct buf_writer *w)
{
	size_t i, j;
	int d;
	static const char *const map_name[2] = {"to_ep", "from_ep"};

	rs_printf(w, "\tset ifs {\n\t\ttype ifname;\n");
	for (i = 0, j = 0; i < st->n_eps; i++)
		if (st->eps[i].iface)
			rs_printf(w, "%s\"%s\"", j++ ? ", " : "\t\telements = { ",
			          st->eps[i].iface);
	rs_printf(w, "%s\t}\n", j ? " }\n" : "");
	for (d = 0; d < 2; d++) {
		rs_printf(w, "\tmap %s {\n\t\ttype ifname : verdict;\n", map_name[d]);
		for (i = 0, j = 0; i < st->n_eps; i++)
			if (st->eps[i].iface && st->eps[i].sig[d] >= 0)
				rs_printf(w, "%s\"%s\" : jump ep%d_%s",
				          j++ ? ", " : "\t\telements = { ", st->eps[i].iface,
				          st->eps[i].sig[d], rs_dir_name((enum policy_dir)d));
		rs_printf(w, "%s\t}\n", j ? " }\n" : "");
	}
}

static void rs_emit_base(struct buf_writer *w)
{
	static const char *const ct =
	    "\t\tct state established,related accept\n\t\tct state invalid %s @ifs drop\n";

	rs_printf(w, "\tchain fwd_eg {\n\t\ttype filter hook forward priority filter; policy "
	             "accept;\n");
	rs_printf(w, ct, "iifname");
	rs_printf(w, "\t\tiifname vmap @from_ep\n\t}\n");
	rs_printf(w, "\tchain fwd_in {\n\t\ttype filter hook forward priority filter + 1; policy "
	             "accept;\n");
	rs_printf(w, ct, "oifname");
	rs_printf(w, "\t\toifname vmap @to_ep\n\t}\n");
	rs_printf(w, "\tchain in_eg {\n\t\ttype filter hook input priority filter; policy "
	             "accept;\n");
	rs_printf(w, ct, "iifname");
	/*
	 * Like Calico, a pod may always talk IPv6 neighbour discovery (RFC 4861
	 * section 4: router solicitation, neighbour solicitation and
	 * advertisement) with its host, whose proxy NDP answers for fe80::1.
	 */
	rs_printf(w, "\t\ticmpv6 type { nd-router-solicit, nd-neighbor-solicit, "
	             "nd-neighbor-advert } accept\n");
	rs_printf(w, "\t\tiifname vmap @from_ep\n\t}\n");
	/* natOutgoing: from a NAT pool to anywhere outside every pool, fully random. */
	rs_printf(w, "\tchain nat_post {\n\t\ttype nat hook postrouting priority srcnat; policy "
	             "accept;\n"
	             "\t\tip saddr @natpools_4 ip daddr != @pools_4 masquerade fully-random\n"
	             "\t\tip6 saddr @natpools_6 ip6 daddr != @pools_6 masquerade fully-random\n"
	             "\t}\n");
}

int policy_render_full(struct policy_state *st, char **out)
{
	struct buf_writer w;
	size_t i, len;
	bool created;
	int rc, d, fam;

	*out = NULL;
	rs_derived_clear(st);
	if ((rc = rs_collect_sets(st)))
		goto fail;
	for (i = 0; i < st->n_eps; i++)
		for (d = 0; d < 2; d++)
			if (st->eps[i].iface) {
				rc = rs_sig_of(st, &st->eps[i], (enum policy_dir)d, &created);
				if (rc < -1)
					goto fail;
				st->eps[i].sig[d] = rc;
			}
	buf_writer_init(&w, 65536);
	rs_printf(&w, "add table inet " POLICY_TABLE "\ndelete table inet " POLICY_TABLE
	              "\ntable inet " POLICY_TABLE " {\n");
	for (i = 0; i < st->n_sels; i++)
		for (fam = 4; fam <= 6; fam += 2)
			rs_emit_selset(st, i, fam, &w);
	for (i = 0; i < st->n_nets; i++) {
		char name[32];

		snprintf(name, sizeof(name), "n%zu", i);
		for (fam = 4; fam <= 6; fam += 2)
			rs_emit_prefixes(&w, name, fam, st->nets[i].nets, st->nets[i].n, NULL,
			                 NULL);
	}
	for (fam = 4; fam <= 6; fam += 2) {
		struct prefix *cidrs = calloc(st->n_pools ? st->n_pools : 1, sizeof(*cidrs));

		if (!cidrs) {
			w.error = true;
			break;
		}
		for (i = 0; i < st->n_pools; i++)
			cidrs[i] = st->pools[i].cidr;
		rs_emit_prefixes(&w, "pools", fam, cidrs, st->n_pools, NULL, NULL);
		rs_emit_prefixes(&w, "natpools", fam, cidrs, st->n_pools, rs_pool_nat, st->pools);
		free(cidrs);
	}
	for (i = 0; i < st->n_pols; i++)
		for (d = 0; d < 2; d++)
			if (st->pols[i]->types[d])
				rs_emit_policy_chain(st, i, (enum policy_dir)d, &w);
	for (i = 0; i < st->n_sigs; i++)
		rs_emit_sig_chain(st, i, false, &w);
	rs_emit_maps(st, &w);
	rs_emit_base(&w);
	rs_printf(&w, "}\n");
	buf_put_u8(&w, 0);
	*out = (char *)buf_writer_steal(&w, &len);
	buf_writer_free(&w);
	if (!*out) {
		rc = -ENOMEM;
		goto fail;
	}
	st->rendered = true;
	return 0;
fail:
	rs_derived_clear(st);
	return rc < 0 ? rc : -ENOMEM;
}
