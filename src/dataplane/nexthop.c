/*
 * DOC: kernel nexthop objects shared by learned routes (Linux 5.3+).
 *
 * A route through a nexthop object costs the kernel less than a route with
 * its own gateway: it only looks the object up by id (RTA_NH_ID) instead of
 * validating a gateway per route, and every route with the same next hops
 * shares one object. This file interns next-hop sets (one struct fib_nh per
 * family and sorted gateway list, reference-counted by the routes using it),
 * builds the RTM_NEWNEXTHOP / RTM_DELNEXTHOP messages that fib.c sends ahead
 * of (creation) or after (deletion) the routes, and adopts, re-reads and
 * cleans up the protocol-84 objects in the kernel. Single gateways are
 * objects with NHA_GATEWAY and NHA_OIF (the kernel requires the link: it is
 * resolved once per gateway with a route lookup); an ECMP set is a group
 * object (NHA_GROUP, family AF_UNSPEC) over the single-gateway objects.
 *
 * Object ids come from 0x54000000 ('T' << 24) upwards, above the ids of an
 * earlier run; an id someone else took (EEXIST) is skipped.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/nexthop.h>
#include <netlink/attr.h>

#include "fib_int.h"
#include "fib_sock.h"

#define FIB_NH_ID_BASE 0x54000000u

/* Something for the operator; fib_nh_table_notice() hands it over once. */
__attribute__((format(printf, 2, 3))) static void fib_nh_notice(struct fib_nh_table *t,
                                                                const char *fmt, ...)
{
	va_list ap;

	if (t->notice[0])
		return; /* the first one until it is read */
	va_start(ap, fmt);
	vsnprintf(t->notice, sizeof(t->notice), fmt, ap);
	va_end(ap);
}

const char *fib_nh_table_notice(struct fib_nh_table *t)
{
	if (!t->notice[0])
		return NULL;
	memcpy(t->notice_out, t->notice, sizeof(t->notice));
	t->notice[0] = '\0';
	return t->notice_out;
}

static size_t fib_nh_alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int fib_nh_hop_cmp(const void *a, const void *b)
{
	const struct dp_nexthop *x = a, *y = b;
	int c = memcmp(x->gw.bytes, y->gw.bytes, sizeof(x->gw.bytes));

	if (c)
		return c;
	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return (int)x->weight - (int)y->weight;
}

static uint32_t fib_nh_hash(int family, const struct dp_nexthop *hops, unsigned n)
{
	uint32_t h = 2166136261u ^ (uint32_t)family; /* FNV-1a */
	unsigned i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(hops[i].gw.bytes); k++)
			h = (h ^ hops[i].gw.bytes[k]) * 16777619u;
		h = (h ^ (uint32_t)hops[i].ifindex) * 16777619u;
		h = (h ^ hops[i].weight) * 16777619u;
	}
	return h % FIB_NH_BUCKETS;
}

static bool fib_nh_same(const struct fib_nh *h, int family, const struct dp_nexthop *hops,
                        unsigned n)
{
	unsigned i;

	if (h->family != family || h->n != n)
		return false;
	for (i = 0; i < n; i++)
		if (fib_nh_hop_cmp(&h->hop[i], &hops[i]) != 0)
			return false;
	return true;
}

/* Find or make the set for normalised, sorted hops; no reference taken. */
static struct fib_nh *fib_nh_intern(struct fib_nh_table *t, int family,
                                    const struct dp_nexthop *hops, unsigned n, uint32_t id)
{
	uint32_t b = fib_nh_hash(family, hops, n);
	struct fib_nh *h;
	unsigned i;

	for (h = t->buckets[b]; h; h = h->next)
		if (fib_nh_same(h, family, hops, n) && (!id || h->id == id))
			return h;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->family = (uint8_t)family;
	h->n = n;
	memcpy(h->hop, hops, n * sizeof(*hops));
	h->state = t->objects ? FIB_NH_NEW : FIB_NH_PLAIN;
	h->id = id ? id : t->next_id++;
	if (n > 1) {
		for (i = 0; i < n; i++) {
			struct dp_nexthop one = hops[i];

			one.weight = 1;
			h->member[i] = fib_nh_intern(t, family, &one, 1, 0);
			if (!h->member[i])
				goto fail;
			h->member[i]->refs++;
		}
	}
	h->next = t->buckets[b];
	t->buckets[b] = h;
	t->n_sets++;
	return h;
fail:
	while (i-- > 0)
		fib_nh_put(t, h->member[i]);
	free(h);
	return NULL;
}

struct fib_nh *fib_nh_get(struct fib_nh_table *t, int family, const struct dp_nexthop *hops,
                          unsigned n)
{
	struct dp_nexthop norm[DP_MAX_NEXTHOPS];
	struct fib_nh *h;
	unsigned i;

	if (!n || n > DP_MAX_NEXTHOPS || (family != AF_INET && family != AF_INET6))
		return NULL;
	memset(norm, 0, sizeof(norm));
	for (i = 0; i < n; i++) {
		if (hops[i].gw.family != family)
			return NULL;
		norm[i].gw.family = (uint8_t)family;
		memcpy(norm[i].gw.bytes, hops[i].gw.bytes, fib_nh_alen(family));
		norm[i].ifindex = hops[i].ifindex;
		norm[i].weight = hops[i].weight ? hops[i].weight : 1;
	}
	qsort(norm, n, sizeof(norm[0]), fib_nh_hop_cmp);
	h = fib_nh_intern(t, family, norm, n, 0);
	if (h)
		h->refs++;
	return h;
}

struct fib_nh *fib_nh_by_id(struct fib_nh_table *t, uint32_t id)
{
	size_t b;

	for (b = 0; b < FIB_NH_BUCKETS; b++)
		for (struct fib_nh *h = t->buckets[b]; h; h = h->next)
			if (h->id == id && h->state == FIB_NH_KERNEL) {
				h->refs++;
				return h;
			}
	return NULL;
}

void fib_nh_put(struct fib_nh_table *t, struct fib_nh *h)
{
	if (!h || !h->refs)
		return;
	if (--h->refs == 0 && !h->dead) {
		h->dead = true;
		h->dead_next = t->dead;
		t->dead = h;
	}
}

const struct dp_nexthop *fib_nh_hops(const struct fib_nh *h, unsigned *n)
{
	*n = h->n;
	return h->hop;
}

uint32_t fib_nh_id(const struct fib_nh *h)
{
	return h->state == FIB_NH_KERNEL ? h->id : 0;
}

unsigned fib_nh_refs(const struct fib_nh *h)
{
	return h ? h->refs : 0;
}

bool fib_nh_table_objects(const struct fib_nh_table *t)
{
	return t->objects;
}

size_t fib_nh_table_count(const struct fib_nh_table *t)
{
	return t->n_sets;
}

void fib_nh_table_disable(struct fib_nh_table *t)
{
	t->objects = false;
}

struct fib_nh *fib_nh_reap(struct fib_nh_table *t)
{
	while (t->dead) {
		struct fib_nh *h = t->dead, **s;

		t->dead = h->dead_next;
		h->dead = false;
		if (h->refs)
			continue; /* referenced again since */
		for (s = &t->buckets[fib_nh_hash(h->family, h->hop, h->n)]; *s != h;
		     s = &(*s)->next)
			;
		*s = h->next;
		return h;
	}
	return NULL;
}

void fib_nh_free(struct fib_nh_table *t, struct fib_nh *h)
{
	unsigned i;

	if (h->n > 1)
		for (i = 0; i < h->n; i++)
			fib_nh_put(t, h->member[i]);
	t->n_sets--;
	free(h);
}

/* The link a gateway is reached over (a connected route), or 0. */
static int fib_nh_resolve(struct fib_nh_table *t, const struct dp_nexthop *hop)
{
	struct dp_route r = {0};

	if (hop->ifindex)
		return hop->ifindex;
	if (dp_nl_route_lookup(t->ctx->sk, &hop->gw, &r) < 0)
		return 0;
	if (r.n_nexthops != 1 || r.nh[0].gw.family || r.type != RTN_UNICAST)
		return 0; /* not on a link: the kernel would refuse the object */
	return r.nh[0].ifindex;
}

bool fib_nh_prepare(struct fib_nh_table *t, struct fib_nh *h)
{
	char a[INET6_ADDRSTRLEN];
	unsigned i;

	if (!t->objects && h->state != FIB_NH_KERNEL)
		return false;
	if (h->state == FIB_NH_PLAIN)
		return false;
	if (h->state != FIB_NH_NEW)
		return true;
	if (h->n == 1) {
		if (!h->oif)
			h->oif = fib_nh_resolve(t, &h->hop[0]);
		if (h->oif)
			return true;
		fib_nh_notice(t,
		              "next hop %s is not on a link: its routes carry the gateway "
		              "(no nexthop object)",
		              dp_nl_addr_str(&h->hop[0].gw, a, sizeof(a)));
		h->state = FIB_NH_PLAIN;
		return false;
	}
	for (i = 0; i < h->n; i++) {
		if (!fib_nh_prepare(t, h->member[i])) {
			h->state = FIB_NH_PLAIN;
			return false;
		}
	}
	return true;
}

struct nl_msg *fib_nh_new_msg(const struct fib_nh *h)
{
	struct nhmsg nhm = {.nh_family = h->n > 1 ? AF_UNSPEC : h->family,
	                    .nh_protocol = TABBY_RTPROT};
	struct nexthop_grp grp[DP_MAX_NEXTHOPS];
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWNEXTHOP, NLM_F_CREATE | NLM_F_EXCL);
	unsigned i;

	if (!msg)
		return NULL;
	if (nlmsg_append(msg, &nhm, sizeof(nhm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, NHA_ID, h->id) < 0)
		goto fail;
	if (h->n == 1) {
		if (nla_put_u32(msg, NHA_OIF, (uint32_t)h->oif) < 0 ||
		    nla_put(msg, NHA_GATEWAY, (int)fib_nh_alen(h->family), h->hop[0].gw.bytes) < 0)
			goto fail;
		return msg;
	}
	/* RTA_MULTIPATH's rtnh_hops and nexthop_grp.weight are both weight - 1. */
	memset(grp, 0, sizeof(grp));
	for (i = 0; i < h->n; i++) {
		grp[i].id = h->member[i]->id;
		grp[i].weight = (uint8_t)(h->hop[i].weight - 1);
	}
	if (nla_put(msg, NHA_GROUP, (int)(h->n * sizeof(grp[0])), grp) < 0)
		goto fail;
	return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}

struct nl_msg *fib_nh_del_msg(uint32_t id)
{
	struct nhmsg nhm = {0}; /* a deletion names the id and nothing else */
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_DELNEXTHOP, 0);

	if (!msg)
		return NULL;
	if (nlmsg_append(msg, &nhm, sizeof(nhm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, NHA_ID, id) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

void fib_nh_created(struct fib_nh_table *t, struct fib_nh *h, int err, const char *why)
{
	if (err == 0) {
		h->state = FIB_NH_KERNEL;
		return;
	}
	if (err == -EEXIST) { /* the id is someone else's: take another one */
		h->id = t->next_id++;
		h->state = FIB_NH_NEW;
		return;
	}
	h->state = FIB_NH_PLAIN;
	if (err == -EOPNOTSUPP || err == -EAFNOSUPPORT || err == -EPROTONOSUPPORT) {
		t->objects = false;
		if (!t->logged_fallback)
			fib_nh_notice(t,
			              "the kernel refuses nexthop objects (%s): routes carry "
			              "their gateways from now on",
			              why);
		t->logged_fallback = true;
		return;
	}
	fib_nh_notice(t, "nexthop object %u refused (%s): routes through it carry their gateways",
	              h->id, why);
}

/* ---- the kernel's objects --------------------------------------------------- */

struct fib_nh_kobj {
	uint32_t id;
	uint8_t family, protocol;
	int oif;
	struct addr gw;
	unsigned n_grp;
	struct nexthop_grp grp[DP_MAX_NEXTHOPS];
};

struct fib_nh_kdump {
	struct fib_nh_kobj *v;
	size_t n, cap;
	int err;
};

static int fib_nh_kdump_cb(struct nlmsghdr *hdr, void *arg)
{
	struct fib_nh_kdump *d = arg;
	struct nlattr *tb[NHA_MAX + 1];
	struct fib_nh_kobj *o;
	struct nhmsg *nhm;

	if (hdr->nlmsg_type != RTM_NEWNEXTHOP ||
	    nlmsg_parse(hdr, sizeof(*nhm), tb, NHA_MAX, NULL) < 0 || !tb[NHA_ID])
		return 0;
	nhm = nlmsg_data(hdr);
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct fib_nh_kobj *nv = realloc(d->v, cap * sizeof(*nv));

		if (!nv) {
			d->err = -ENOMEM;
			return 0;
		}
		d->v = nv;
		d->cap = cap;
	}
	o = &d->v[d->n++];
	memset(o, 0, sizeof(*o));
	o->id = nla_get_u32(tb[NHA_ID]);
	o->family = nhm->nh_family;
	o->protocol = nhm->nh_protocol;
	if (tb[NHA_OIF])
		o->oif = (int)nla_get_u32(tb[NHA_OIF]);
	if (tb[NHA_GATEWAY] && (size_t)nla_len(tb[NHA_GATEWAY]) == fib_nh_alen(o->family)) {
		o->gw.family = o->family;
		memcpy(o->gw.bytes, nla_data(tb[NHA_GATEWAY]), fib_nh_alen(o->family));
	}
	if (tb[NHA_GROUP]) {
		size_t len = (size_t)nla_len(tb[NHA_GROUP]) / sizeof(struct nexthop_grp);

		o->n_grp = len > DP_MAX_NEXTHOPS ? DP_MAX_NEXTHOPS : (unsigned)len;
		memcpy(o->grp, nla_data(tb[NHA_GROUP]), o->n_grp * sizeof(o->grp[0]));
	}
	return 0;
}

/* Every nexthop object of the namespace (the dump cannot filter by protocol). */
static int fib_nh_kdump(struct fib_nh_table *t, struct fib_nh_kdump *d)
{
	struct nhmsg nhm = {0};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNEXTHOP, NLM_F_DUMP);
	int rc;

	memset(d, 0, sizeof(*d));
	if (!msg)
		return -ENOMEM;
	rc = nlmsg_append(msg, &nhm, sizeof(nhm), NLMSG_ALIGNTO) < 0 ? -ENOMEM : 0;
	if (rc == 0)
		rc = dp_nl_dump(t->ctx->sk, msg, fib_nh_kdump_cb, d);
	nlmsg_free(msg);
	if (rc == 0)
		rc = d->err;
	return rc;
}

static const struct fib_nh_kobj *fib_nh_kfind(const struct fib_nh_kdump *d, uint32_t id)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].id == id)
			return &d->v[i];
	return NULL;
}

/* Our single-gateway objects first, then the groups over them. */
static void fib_nh_adopt(struct fib_nh_table *t, const struct fib_nh_kdump *d)
{
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < d->n; i++) {
			const struct fib_nh_kobj *o = &d->v[i];
			struct dp_nexthop hops[DP_MAX_NEXTHOPS];
			struct fib_nh *h;
			unsigned k, n = 0;

			/* Our ids start above every id in use, whoever's. */
			if (o->id >= FIB_NH_ID_BASE && o->id >= t->next_id)
				t->next_id = o->id + 1;
			if (o->protocol != TABBY_RTPROT || (pass == 0) != (o->n_grp == 0))
				continue;
			memset(hops, 0, sizeof(hops));
			if (!o->n_grp) {
				if (!o->gw.family)
					continue;
				hops[n].gw = o->gw;
				hops[n++].weight = 1;
			}
			for (k = 0; k < o->n_grp; k++) {
				const struct fib_nh_kobj *m = fib_nh_kfind(d, o->grp[k].id);

				if (!m || !m->gw.family)
					break;
				hops[n].gw = m->gw;
				hops[n++].weight = (uint8_t)(o->grp[k].weight + 1);
			}
			if (o->n_grp && n != o->n_grp)
				continue;
			qsort(hops, n, sizeof(hops[0]), fib_nh_hop_cmp);
			h = fib_nh_intern(t, o->gw.family ? o->gw.family : hops[0].gw.family, hops,
			                  n, o->id);
			if (!h || h->id != o->id)
				continue;
			h->state = FIB_NH_KERNEL;
			h->adopted = true;
			h->oif = o->oif;
		}
	}
}

int fib_nh_table_open(struct nl_ctx *ctx, struct fib_nh_table **out)
{
	struct fib_nh_table *t = calloc(1, sizeof(*t));
	struct fib_nh_kdump d;
	int rc;

	if (!t)
		return -ENOMEM;
	t->ctx = ctx;
	t->objects = true;
	t->next_id = FIB_NH_ID_BASE;
	rc = fib_sock_open(&t->sock);
	if (rc < 0)
		fib_nh_notice(t, "opening the FIB's netlink socket: %s; using the shared one",
		              strerror(-rc));
	rc = fib_nh_kdump(t, &d);
	if (rc == 0)
		fib_nh_adopt(t, &d);
	else
		fib_nh_notice(t, "listing nexthop objects: %s; none adopted", strerror(-rc));
	free(d.v);
	*out = t;
	return 0;
}

void fib_nh_table_close(struct fib_nh_table *t)
{
	size_t b;

	if (!t)
		return;
	fib_sock_close(t->sock);
	fib_batch_spare_free(t->spare);
	for (b = 0; b < FIB_NH_BUCKETS; b++) {
		struct fib_nh *h, *next;

		for (h = t->buckets[b]; h; h = next) {
			next = h->next;
			free(h);
		}
	}
	free(t);
}

int fib_nh_table_gc(struct fib_nh_table *t)
{
	struct fib_nh *h;
	size_t b;
	int gone = 0;

	for (b = 0; b < FIB_NH_BUCKETS; b++)
		for (h = t->buckets[b]; h; h = h->next)
			if (h->adopted && !h->refs && !h->dead) {
				h->dead = true;
				h->dead_next = t->dead;
				t->dead = h;
			}
	/* Groups come before their members: a member is unused only once its group went. */
	while ((h = fib_nh_reap(t))) {
		if (h->state == FIB_NH_KERNEL) {
			struct nl_msg *msg = fib_nh_del_msg(h->id);
			int rc =
			    msg ? dp_nl_request(t->ctx->sk, msg, NULL, NULL, NULL, 0) : -ENOMEM;

			nlmsg_free(msg);
			if (rc == 0)
				gone++;
			else if (rc != -ENOENT)
				fib_nh_notice(t, "removing leftover nexthop object %u: %s", h->id,
				              strerror(-rc));
		}
		fib_nh_free(t, h);
	}
	return gone;
}

int fib_nh_table_sync(struct fib_nh_table *t)
{
	struct fib_nh_kdump d;
	size_t b;
	int rc, lost = 0;

	rc = fib_nh_kdump(t, &d);
	if (rc < 0) {
		free(d.v);
		return rc;
	}
	for (b = 0; b < FIB_NH_BUCKETS; b++)
		for (struct fib_nh *h = t->buckets[b]; h; h = h->next)
			if (h->state == FIB_NH_KERNEL && !fib_nh_kfind(&d, h->id)) {
				h->state = t->objects ? FIB_NH_NEW : FIB_NH_PLAIN;
				h->oif = 0; /* its link may have changed */
				lost++;
			}
	free(d.v);
	return lost;
}
