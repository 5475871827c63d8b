/*
 * DOC: unit tests of kernel nexthop objects for learned routes (nexthop.c, fib.c).
 *
 * Every test runs in a fresh network namespace of its own (unshare): an
 * uplink veth up0 (198.18.0.1/24, 2001:db8::1/64) with a default route, as a
 * node has. What the library did is read back with iproute2 (`ip nexthop`,
 * `ip route`), independently of its own netlink parsing. Needs root: skipped
 * (exit 77) otherwise, failed under CI=true.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <tabby/dataplane.h>

#include "netns_helpers.h"

static struct nl_ctx *ctx;

struct errs {
	int n;
	struct dp_route r;
	enum fib_op op;
	int err;
	struct prefix all[8]; /* the first 8 failed prefixes */
};

static void on_err(const struct dp_route *r, enum fib_op op, int err, const char *why, void *arg)
{
	struct errs *e = arg;

	(void)why;
	if (e->n < 8)
		e->all[e->n] = r->dst;
	if (e->n++ == 0) {
		e->r = *r;
		e->op = op;
		e->err = err;
	}
}

static struct fib_nh *set_of(struct fib_nh_table *t, int family, const char *a, const char *b)
{
	struct dp_nexthop h[2];
	unsigned n = 1;

	memset(h, 0, sizeof(h));
	h[0].gw.family = (uint8_t)family;
	assert_int_equal(inet_pton(family, a, h[0].gw.bytes), 1);
	if (b) {
		h[1].gw.family = (uint8_t)family;
		assert_int_equal(inet_pton(family, b, h[1].gw.bytes), 1);
		n = 2;
	}
	return fib_nh_get(t, family, h, n);
}

static int prefix_init(struct prefix *p, int family, const char *a, unsigned len)
{
	char s[64];

	snprintf(s, sizeof(s), "%s/%u", a, len);
	return prefix_parse(s, p, true) == 0 && p->addr.family == family ? 0 : -1;
}

static void pfx(struct prefix *p, int i)
{
	char a[32];

	snprintf(a, sizeof(a), "198.19.%d.0", i);
	assert_int_equal(prefix_init(p, AF_INET, a, 24), 0);
}

static struct fib_batch *batch(struct fib_nh_table *t, struct errs *e)
{
	struct fib_batch *b;

	assert_int_equal(fib_batch_open(ctx, on_err, e, &b), 0);
	fib_batch_set_nexthops(b, t);
	return b;
}

/* One object for every route with the same next hop; an ECMP set is a group over two. */
static void test_share_and_group(void **state)
{
	struct fib_nh_table *t;
	struct fib_nh *a, *a2, *g, *g6;
	struct errs e = {0};
	struct fib_batch *b;
	struct prefix p6;
	char out[8192], want[128];
	int i;

	(void)state;
	assert_int_equal(fib_nh_table_open(ctx, &t), 0);
	assert_true(fib_nh_table_objects(t));
	a = set_of(t, AF_INET, "198.18.0.2", NULL);
	a2 = set_of(t, AF_INET, "198.18.0.2", NULL);
	assert_ptr_equal(a, a2);
	/* The order of the gateways does not matter. */
	g = set_of(t, AF_INET, "198.18.0.3", "198.18.0.2");
	assert_ptr_equal(g, set_of(t, AF_INET, "198.18.0.2", "198.18.0.3"));
	fib_nh_put(t, g);
	g6 = set_of(t, AF_INET6, "2001:db8::2", "2001:db8::3");
	assert_non_null(g6);
	assert_int_equal(fib_nh_id(a), 0); /* no object before a route needs one */

	b = batch(t, &e);
	for (i = 0; i < 100; i++) {
		struct prefix p;

		pfx(&p, i);
		assert_int_equal(fib_batch_add_via(b, &p, i < 90 ? a : g), 0);
	}
	assert_int_equal(prefix_init(&p6, AF_INET6, "2001:db8:77::", 64), 0);
	assert_int_equal(fib_batch_add_via(b, &p6, g6), 0);
	assert_int_equal(fib_batch_flush(b), 0);
	assert_int_equal(e.n, 0);
	assert_int_not_equal(fib_nh_id(a), 0);
	assert_int_not_equal(fib_nh_id(g), 0);

	/* a, g's second member (198.18.0.3), g, and the IPv6 group over two = 6 objects. */
	assert_int_equal(lines("ip nexthop show proto 84"), 6);
	snprintf(want, sizeof(want), "id %u via 198.18.0.2 dev up0 scope link proto 84",
	         fib_nh_id(a));
	sh(out, sizeof(out), "ip nexthop show");
	assert_contains(out, want);
	snprintf(want, sizeof(want), "id %u group %u/", fib_nh_id(g), fib_nh_id(a));
	assert_contains(out, want);
	sh(out, sizeof(out), "ip route show 198.19.5.0/24");
	snprintf(want, sizeof(want), "198.19.5.0/24 nhid %u via 198.18.0.2 dev up0 proto 84",
	         fib_nh_id(a));
	assert_contains(out, want);
	sh(out, sizeof(out), "ip route show 198.19.95.0/24");
	assert_contains(out, "nexthop via 198.18.0.2 dev up0");
	assert_contains(out, "nexthop via 198.18.0.3 dev up0");
	sh(out, sizeof(out), "ip -6 route show 2001:db8:77::/64");
	assert_contains(out, "nexthop via 2001:db8::3 dev up0");
	assert_int_equal(lines("ip route show proto 84"), 100 + 10 * 2); /* ECMP: 3 lines each */

	fib_nh_put(t, a);
	fib_nh_put(t, a2);
	fib_nh_put(t, g);
	fib_nh_put(t, g6);
	fib_batch_close(b);
	fib_nh_table_close(t);
}

struct find_id {
	struct prefix p;
	uint32_t id;
	unsigned n_nh;
};

static int find_id_cb(const struct dp_route *r, void *arg)
{
	struct find_id *f = arg;

	if (prefix_eq(&r->dst, &f->p)) {
		f->id = r->nh_id;
		f->n_nh = r->n_nexthops;
	}
	return 0;
}

/* Objects go with their last route, after it; ones still used stay. */
static void test_removal_when_unused(void **state)
{
	struct fib_nh_table *t;
	struct fib_nh *a = NULL, *g = NULL;
	struct errs e = {0};
	struct fib_batch *b;
	struct find_id f;
	struct dp_route r;
	uint32_t ida, idg;
	int i;

	(void)state;
	assert_int_equal(fib_nh_table_open(ctx, &t), 0);
	b = batch(t, &e);
	memset(&r, 0, sizeof(r));
	/* One reference per route: two routes through a, two through the group g. */
	for (i = 0; i < 4; i++) {
		struct fib_nh *h = i < 2 ? set_of(t, AF_INET, "198.18.0.2", NULL)
		                         : set_of(t, AF_INET, "198.18.0.2", "198.18.0.3");

		if (i == 0)
			a = h;
		if (i == 2)
			g = h;
		pfx(&r.dst, i);
		assert_int_equal(fib_batch_add_via(b, &r.dst, h), 0);
	}
	assert_int_equal(fib_batch_flush(b), 0);
	ida = fib_nh_id(a);
	idg = fib_nh_id(g);
	memset(&f, 0, sizeof(f));
	pfx(&f.p, 2);
	assert_int_equal(dp_routes_list_own(ctx, AF_INET, find_id_cb, &f), 0);
	assert_int_equal(f.id, idg);
	assert_int_equal(f.n_nh, 2); /* the kernel reports the group's gateways too */
	assert_int_equal(lines("ip nexthop show proto 84"), 3);

	/* The group loses one of two routes: it stays. */
	memset(&r, 0, sizeof(r));
	pfx(&r.dst, 2);
	assert_int_equal(fib_batch_del(b, &r), 0);
	fib_nh_put(t, g);
	assert_int_equal(fib_batch_flush(b), 0);
	assert_int_equal(lines("ip nexthop show proto 84"), 3);
	/* ... and its last: the group goes, its member 198.18.0.3 too, a (still used) stays. */
	pfx(&r.dst, 3);
	assert_int_equal(fib_batch_del(b, &r), 0);
	fib_nh_put(t, g);
	assert_int_equal(fib_batch_flush(b), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(lines("ip nexthop show proto 84"), 1);
	assert_int_equal(sh(NULL, 0, "ip nexthop get id %u", ida), 0);
	assert_int_not_equal(sh(NULL, 0, "ip nexthop get id %u", idg), 0);
	assert_int_equal(lines("ip route show proto 84"), 2);
	/* A set used again before the flush is not deleted. */
	for (i = 0; i < 2; i++) {
		pfx(&r.dst, i);
		assert_int_equal(fib_batch_del(b, &r), 0);
		fib_nh_put(t, a);
	}
	assert_ptr_equal(set_of(t, AF_INET, "198.18.0.2", NULL), a);
	assert_int_equal(fib_batch_flush(b), 0);
	assert_int_equal(sh(NULL, 0, "ip nexthop get id %u", ida), 0);
	assert_int_equal(lines("ip route show proto 84"), 0);
	for (i = 0; i < 2; i++) {
		pfx(&r.dst, i);
		assert_int_equal(fib_batch_add_via(b, &r.dst, a), 0);
		if (i)
			assert_ptr_equal(set_of(t, AF_INET, "198.18.0.2", NULL), a);
	}
	assert_int_equal(fib_batch_flush(b), 0);
	assert_int_equal(lines("ip route show proto 84"), 2);
	for (i = 0; i < 2; i++) {
		pfx(&r.dst, i);
		assert_int_equal(fib_batch_del(b, &r), 0);
		fib_nh_put(t, a);
	}
	assert_int_equal(fib_batch_close(b), 0);
	assert_int_equal(lines("ip nexthop show proto 84"), 0);
	assert_int_equal(lines("ip route show proto 84"), 0);
	assert_int_equal(fib_nh_table_count(t), 0);
	fib_nh_table_close(t);
}

/* Plain routes when objects are off, or for a gateway that is not on a link. */
static void test_fallback(void **state)
{
	struct fib_nh_table *t;
	struct fib_nh *a, *far;
	struct errs e = {0};
	struct fib_batch *b;
	struct prefix p;
	char out[4096];

	(void)state;
	assert_int_equal(fib_nh_table_open(ctx, &t), 0);
	fib_nh_table_disable(t);
	assert_false(fib_nh_table_objects(t));
	b = batch(t, &e);
	a = set_of(t, AF_INET, "198.18.0.2", "198.18.0.3");
	pfx(&p, 1);
	assert_int_equal(fib_batch_add_via(b, &p, a), 0);
	assert_int_equal(fib_batch_flush(b), 0);
	assert_int_equal(fib_nh_id(a), 0);
	assert_int_equal(lines("ip nexthop show"), 0);
	sh(out, sizeof(out), "ip route show 198.19.1.0/24");
	assert_not_contains(out, "nhid");
	assert_contains(out, "nexthop via 198.18.0.3 dev up0");
	fib_batch_close(b);
	fib_nh_put(t, a);
	fib_nh_table_close(t);
	assert_int_equal(sh(NULL, 0, "ip route del 198.19.1.0/24 proto 84"), 0);

	/* 198.19.250.1 is reached through the default gateway, not on a link: no object, and
	 * the kernel refuses the plain route too; the error names that route. */
	assert_int_equal(fib_nh_table_open(ctx, &t), 0);
	b = batch(t, &e);
	far = set_of(t, AF_INET, "198.19.250.1", NULL);
	a = set_of(t, AF_INET, "198.18.0.2", NULL);
	pfx(&p, 2);
	assert_int_equal(fib_batch_add_via(b, &p, far), 0);
	pfx(&p, 3);
	assert_int_equal(fib_batch_add_via(b, &p, a), 0);
	assert_int_equal(fib_batch_flush(b), 1);
	assert_int_equal(e.n, 1);
	pfx(&p, 2);
	assert_true(prefix_eq(&e.r.dst, &p));
	assert_int_equal(e.op, FIB_ADD);
	assert_true(e.err == -EINVAL || e.err == -ENETUNREACH);
	assert_int_equal(fib_nh_id(far), 0);
	assert_int_not_equal(fib_nh_id(a), 0);
	assert_non_null(fib_nh_table_notice(t));
	assert_null(fib_nh_table_notice(t));  /* once */
	assert_true(fib_nh_table_objects(t)); /* one set's trouble is not the table's */
	fib_batch_close(b);
	fib_nh_put(t, far);
	fib_nh_put(t, a);
	fib_nh_table_close(t);
}

/*
 * The kernel refuses an object at creation (198.18.0.2 is not on up1): the
 * route queued behind it in the same window is not reported for the missing
 * object but retried as a plain route, which the kernel refuses too; that
 * error, and only that one, names the route. The next route is unaffected.
 */
static void test_creation_refused(void **state)
{
	struct dp_nexthop hop = {.ifindex = 0};
	struct fib_nh_table *t;
	struct fib_nh *bad, *good;
	struct errs e = {0};
	struct fib_batch *b;
	struct prefix p;
	char out[64];

	(void)state;
	sh(out, sizeof(out), "ip -o link show up1 | cut -d: -f1");
	hop.ifindex = atoi(out);
	assert_true(hop.ifindex > 0);
	hop.gw.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, "198.18.0.2", hop.gw.bytes), 1);
	assert_int_equal(fib_nh_table_open(ctx, &t), 0);
	b = batch(t, &e);
	bad = fib_nh_get(t, AF_INET, &hop, 1);
	good = set_of(t, AF_INET, "198.18.0.2", NULL);
	assert_ptr_not_equal(bad, good); /* the link is part of the set */
	pfx(&p, 7);
	assert_int_equal(fib_batch_add_via(b, &p, bad), 0);
	pfx(&p, 8);
	assert_int_equal(fib_batch_add_via(b, &p, good), 0);
	assert_int_equal(fib_batch_flush(b), 1);
	assert_int_equal(e.n, 1);
	pfx(&p, 7);
	assert_true(prefix_eq(&e.r.dst, &p));
	assert_int_equal(fib_nh_id(bad), 0);
	assert_int_not_equal(fib_nh_id(good), 0);
	assert_non_null(fib_nh_table_notice(t));
	assert_true(fib_nh_table_objects(t));
	assert_int_equal(lines("ip nexthop show proto 84"), 1);
	assert_int_equal(lines("ip route show proto 84"), 1);
	fib_batch_close(b);
	fib_nh_put(t, bad);
	fib_nh_put(t, good);
	fib_nh_table_close(t);
}

/*
 * An id taken by someone else: ours start above the ids in use at open, and
 * one taken later (EEXIST) is skipped; their object is left alone.
 */
static void test_id_taken(void **state)
{
	struct fib_nh_table *t;
	struct fib_nh *a;
	struct errs e = {0};
	struct fib_batch *b;
	struct prefix p;
	char out[4096];

	(void)state;
	assert_int_equal(
	    sh(NULL, 0, "ip nexthop add id %u via 198.18.0.8 dev up0 proto static", 0x54000000u),
	    0);
	assert_int_equal(fib_nh_table_open(ctx, &t), 0);
	assert_int_equal(
	    sh(NULL, 0, "ip nexthop add id %u via 198.18.0.9 dev up0 proto static", 0x54000001u),
	    0);
	b = batch(t, &e);
	a = set_of(t, AF_INET, "198.18.0.2", NULL);
	pfx(&p, 4);
	assert_int_equal(fib_batch_add_via(b, &p, a), 0);
	assert_int_equal(fib_batch_close(b), 0);
	assert_int_equal(e.n, 0);
	assert_true(fib_nh_id(a) > 0x54000001u);
	sh(out, sizeof(out), "ip nexthop show id %u", 0x54000001u);
	assert_contains(out, "via 198.18.0.9 dev up0 scope link proto static");
	sh(out, sizeof(out), "ip route show 198.19.4.0/24");
	assert_contains(out, "via 198.18.0.2");
	assert_not_contains(out, "198.18.0.9");
	fib_nh_put(t, a);
	fib_nh_table_close(t);
}

/* A restart: objects in use are adopted, unused ones removed; lost ones recreated. */
static void test_adopt_gc_sync(void **state)
{
	struct fib_nh_table *t;
	struct fib_nh *a, *g, *ad;
	struct errs e = {0};
	struct fib_batch *b;
	struct prefix p;
	uint32_t ida;
	char out[4096];

	(void)state;
	assert_int_equal(fib_nh_table_open(ctx, &t), 0);
	b = batch(t, &e);
	a = set_of(t, AF_INET, "198.18.0.2", NULL);
	g = set_of(t, AF_INET, "198.18.0.2", "198.18.0.4");
	pfx(&p, 1);
	assert_int_equal(fib_batch_add_via(b, &p, a), 0);
	pfx(&p, 2);
	assert_int_equal(fib_batch_add_via(b, &p, g), 0);
	assert_int_equal(fib_batch_close(b), 0);
	ida = fib_nh_id(a);
	fib_nh_table_close(t); /* the objects stay with their routes */
	/* The group's route goes (as if withdrawn while we were away); a leftover of ours. */
	assert_int_equal(sh(NULL, 0, "ip route del 198.19.2.0/24"), 0);
	assert_int_equal(
	    sh(NULL, 0, "ip nexthop add id %u via 198.18.0.5 dev up0 proto 84", 0x54000100u), 0);
	assert_int_equal(lines("ip nexthop show proto 84"), 4);

	assert_int_equal(fib_nh_table_open(ctx, &t), 0);
	ad = fib_nh_by_id(t, ida);
	assert_non_null(ad);
	/* Interned by content: the same set as a learned route with that gateway gets. */
	assert_ptr_equal(set_of(t, AF_INET, "198.18.0.2", NULL), ad);
	assert_null(fib_nh_by_id(t, 12345));
	/* The group, its member 198.18.0.4 and the leftover go. */
	assert_int_equal(fib_nh_table_gc(t), 3);
	sh(out, sizeof(out), "ip nexthop show proto 84");
	assert_int_equal(lines("ip nexthop show proto 84"), 1);
	assert_contains(out, "via 198.18.0.2 dev up0");
	sh(out, sizeof(out), "ip route show 198.19.1.0/24");
	assert_contains(out, "nhid");
	/* New objects take ids above the earlier run's. */
	b = batch(t, &e);
	g = set_of(t, AF_INET, "198.18.0.6", NULL);
	pfx(&p, 3);
	assert_int_equal(fib_batch_add_via(b, &p, g), 0);
	assert_int_equal(fib_batch_flush(b), 0);
	assert_true(fib_nh_id(g) > 0x54000100u);

	/* The link goes down: the kernel removes the objects and their routes. */
	assert_int_equal(sh(NULL, 0,
	                    "ip link set up0 down && ip link set up0 up && "
	                    "ip addr add 198.18.0.1/24 dev up0 2>/dev/null; true"),
	                 0);
	assert_int_equal(lines("ip nexthop show proto 84"), 0);
	assert_int_equal(fib_nh_table_sync(t), 2);
	assert_int_equal(fib_nh_id(ad), 0);
	pfx(&p, 1);
	assert_int_equal(fib_batch_add_via(b, &p, ad), 0);
	assert_int_equal(fib_batch_flush(b), 0);
	assert_int_equal(e.n, 0);
	assert_int_not_equal(fib_nh_id(ad), 0);
	sh(out, sizeof(out), "ip route show 198.19.1.0/24");
	assert_contains(out, "via 198.18.0.2 dev up0");
	fib_batch_close(b);
	fib_nh_put(t, ad);
	fib_nh_put(t, ad);
	fib_nh_put(t, g);
	fib_nh_table_close(t);
}

/* Thousands of routes over several windows: each refusal names its own route. */
static void test_errors_attributed(void **state)
{
	static const int foreign[] = {5, 1500, 2999};
	struct fib_nh_table *t;
	struct fib_nh *a;
	struct errs e = {0};
	struct fib_batch *b;
	struct prefix p;
	char out[256];
	int i, k;

	(void)state;
	for (k = 0; k < 3; k++)
		assert_int_equal(sh(NULL, 0,
		                    "ip route add 198.%d.%d.0/24 via 198.18.0.3 proto static",
		                    20 + foreign[k] / 256, foreign[k] % 256),
		                 0);
	assert_int_equal(fib_nh_table_open(ctx, &t), 0);
	b = batch(t, &e);
	a = set_of(t, AF_INET, "198.18.0.2", NULL);
	for (i = 0; i < 3000; i++) {
		char s[32];

		snprintf(s, sizeof(s), "198.%d.%d.0", 20 + i / 256, i % 256);
		assert_int_equal(prefix_init(&p, AF_INET, s, 24), 0);
		assert_int_equal(fib_batch_add_via(b, &p, a), 0);
	}
	assert_int_equal(fib_batch_flush(b), 3);
	assert_int_equal(e.n, 3);
	for (k = 0; k < 3; k++) {
		char s[32];

		snprintf(s, sizeof(s), "198.%d.%d.0", 20 + foreign[k] / 256, foreign[k] % 256);
		assert_int_equal(prefix_init(&p, AF_INET, s, 24), 0);
		assert_true(prefix_eq(&e.all[k], &p));
	}
	assert_int_equal(e.err, -EEXIST);
	assert_int_equal(lines("ip route show proto 84"), 2997);
	sh(out, sizeof(out), "ip route show 198.25.220.0/24"); /* i = 1500 */
	assert_contains(out, "via 198.18.0.3 dev up0 proto static");
	fib_batch_close(b);
	fib_nh_put(t, a);
	fib_nh_table_close(t);
}

static int node_setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) < 0)
		return -1;
	if (system("ip link set lo up && ip link add up0 type veth peer name up1 && "
	           "ip link set up0 up && ip link set up1 up && "
	           "ip addr add 198.18.0.1/24 dev up0 && ip -6 addr add 2001:db8::1/64 dev up0 "
	           "nodad && ip route add default via 198.18.0.254 dev up0 && "
	           "ip -6 route add default via 2001:db8::fe dev up0") != 0)
		return -1;
	return nl_ctx_open(&ctx);
}

static int node_teardown(void **state)
{
	(void)state;
	nl_ctx_close(ctx);
	ctx = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_share_and_group, node_setup, node_teardown),
	    cmocka_unit_test_setup_teardown(test_removal_when_unused, node_setup, node_teardown),
	    cmocka_unit_test_setup_teardown(test_fallback, node_setup, node_teardown),
	    cmocka_unit_test_setup_teardown(test_creation_refused, node_setup, node_teardown),
	    cmocka_unit_test_setup_teardown(test_id_taken, node_setup, node_teardown),
	    cmocka_unit_test_setup_teardown(test_adopt_gc_sync, node_setup, node_teardown),
	    cmocka_unit_test_setup_teardown(test_errors_attributed, node_setup, node_teardown),
	};
	int rc = netns_unit_enter("test_dataplane_nexthop", "ip nexthop show >/dev/null 2>&1",
	                          "a kernel with nexthop objects (5.3+)");

	if (rc)
		return rc;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
