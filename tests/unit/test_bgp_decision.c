/*
 * DOC: unit tests for the decision process (bgp/decision.c): each tie-break
 * of RFC 4271 9.1.2.2 in turn (with 9.1.1 LOCAL_PREF first and RFC 4456 9
 * ORIGINATOR_ID / CLUSTER_LIST), order independence, and multipath sets.
 * Routes are fed as real UPDATEs through the RIB.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bgp_core_helpers.h"

enum { I1, I2, E1, E2, E3, NPEERS };

struct fx {
	struct rib *rib;
	struct bgp_attr_builder *b;
	struct rib_peer *p[NPEERS];
	uint8_t body[8192];
	struct rib_change last;
};

static void on_change(void *arg, const struct rib_change *c, size_t n)
{
	struct fx *f = arg;

	f->last = c[n - 1];
}

static struct fx *make(bool always_med, bool missing_worst)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct rib_config cfg = {.local_as = 64512,
	                         .router_id = 0xC612FF01,
	                         .multipath = 4,
	                         .always_compare_med = always_med,
	                         .med_missing_as_worst = missing_worst};

	f->rib = rib_new(&cfg);
	f->b = bgp_attr_builder_new();
	assert_int_equal(rib_subscribe(f->rib, on_change, f), 0);
	f->p[I1] = th_peer(f->rib, 64512, 64512, "198.18.0.11", 11, false);
	f->p[I2] = th_peer(f->rib, 64512, 64512, "198.18.0.12", 12, false);
	f->p[E1] = th_peer(f->rib, 64512, 65001, "198.18.0.21", 21, false);
	f->p[E2] = th_peer(f->rib, 64512, 65001, "198.18.0.22", 22, false);
	f->p[E3] = th_peer(f->rib, 64512, 65002, "198.18.0.23", 23, false);
	return f;
}

static int setup(void **state)
{
	*state = make(false, false);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rib_free(f->rib);
	bgp_attr_builder_free(f->b);
	free(f);
	return 0;
}

static const char *const PFX[] = {"198.18.100.0/24"};

struct route_spec {
	int peer;
	uint32_t path[4];
	size_t plen;
	uint8_t origin;
	long med, lp;
	uint32_t originator;
	unsigned cluster_len;
};

static void announce(struct fx *f, const struct route_spec *r)
{
	struct rib_update_result res;
	uint8_t cl[16] = {0};
	char nh[32];
	size_t len;

	snprintf(nh, sizeof(nh), "198.18.1.%d", r->peer + 1);
	th_attrs(f->b, r->origin, r->path, r->plen, nh, r->med, r->lp);
	if (r->originator) {
		f->b->k.originator_id = r->originator;
		f->b->k.present |= BGP_ATTRS_ORIGINATOR;
	}
	if (r->cluster_len) {
		for (unsigned i = 0; i < r->cluster_len; i++)
			cl[4 * i] = (uint8_t)(100 + i);
		f->b->part[BGP_PART_CLUSTER_LIST] = cl;
		f->b->part_len[BGP_PART_CLUSTER_LIST] = 4 * r->cluster_len;
	}
	len = th_body(f->body, sizeof(f->body), f->b, true, NULL, 0, PFX, 1);
	assert_int_equal(rib_peer_update(f->rib, f->p[r->peer], f->body, len, &res), 0);
	assert_int_equal(res.attr.verdict, BGP_VERDICT_OK);
}

static void withdraw_all(struct fx *f)
{
	struct rib_update_result res;
	size_t len = th_body(f->body, sizeof(f->body), NULL, true, PFX, 1, NULL, 0);

	for (int i = 0; i < NPEERS; i++)
		assert_int_equal(rib_peer_update(f->rib, f->p[i], f->body, len, &res), 0);
	assert_null(th_best(f->rib, PFX[0]));
}

/* Announce a then b, check the winner; then b then a: the same winner. */
static void duel(struct fx *f, const struct route_spec *a, const struct route_spec *b, int winner)
{
	announce(f, a);
	announce(f, b);
	assert_int_equal(th_best(f->rib, PFX[0])->peer_id, rib_peer_id(f->p[winner]));
	withdraw_all(f);
	announce(f, b);
	announce(f, a);
	assert_int_equal(th_best(f->rib, PFX[0])->peer_id, rib_peer_id(f->p[winner]));
	withdraw_all(f);
}

/* 9.1.1: LOCAL_PREF beats everything after it, even a longer path. */
static void test_local_pref(void **state)
{
	struct route_spec a = {I1, {65009, 1, 2}, 3, 0, -1, 200, 0, 0};
	struct route_spec b = {I2, {65009}, 1, 0, -1, 100, 0, 0};

	duel(*state, &a, &b, I1);
	/* Missing LOCAL_PREF counts as 100: loses to 150. */
	b.lp = -1;
	a.lp = 150;
	duel(*state, &a, &b, I1);
}

/* 9.1.2.2 (a): shortest AS_PATH. */
static void test_as_path_len(void **state)
{
	struct route_spec a = {E1, {65001, 1, 2}, 3, 0, -1, -1, 0, 0};
	struct route_spec b = {E3, {65002, 7}, 2, 0, -1, -1, 0, 0};

	duel(*state, &a, &b, E3);
}

/* 9.1.2.2 (b): lowest ORIGIN. */
static void test_origin(void **state)
{
	struct route_spec a = {E1, {65001, 5}, 2, BGP_ORIGIN_EGP, -1, -1, 0, 0};
	struct route_spec b = {E2, {65001, 6}, 2, BGP_ORIGIN_IGP, -1, -1, 0, 0};
	struct route_spec c = {E1, {65001, 5}, 2, BGP_ORIGIN_INCOMPLETE, -1, -1, 0, 0};

	duel(*state, &a, &b, E2);
	duel(*state, &c, &a, E1);
}

/* 9.1.2.2 (c): MED only between routes from the same neighbouring AS. */
static void test_med(void **state)
{
	struct fx *f = *state;
	struct route_spec a = {E1, {65001}, 1, 0, 20, -1, 0, 0};
	struct route_spec b = {E2, {65001}, 1, 0, 10, -1, 0, 0};
	struct route_spec c = {E3, {65002}, 1, 0, 5, -1, 0, 0};
	struct route_spec nomed = {E2, {65001}, 1, 0, -1, -1, 0, 0};

	duel(f, &a, &b, E2);
	/* Different AS: MED not compared; (f) lowest BGP id decides: E1 (21) over E3 (23). */
	duel(f, &a, &c, E1);
	/* Missing MED is 0: beats 20. */
	duel(f, &a, &nomed, E2);
	teardown(state);
	/* always-compare-med: E3's 5 wins across ASes. */
	*state = f = make(true, false);
	duel(f, &a, &c, E3);
	teardown(state);
	/* Missing MED as worst: 20 beats missing. */
	*state = f = make(false, true);
	duel(f, &a, &nomed, E1);
}

/*
 * 9.1.2.2 (c) is not a pairwise order: A (AS 65001, MED 10), B (AS 65001,
 * MED 5), C (AS 65002, MED 0). MED removes A; then (f) picks B over C. Every
 * arrival order must give B.
 */
static void test_med_set_semantics(void **state)
{
	struct fx *f = *state;
	struct route_spec r[3] = {
	    {E1, {65001}, 1, 0, 10, -1, 0, 0},
	    {E2, {65001}, 1, 0, 5, -1, 0, 0},
	    {E3, {65002}, 1, 0, 0, -1, 0, 0},
	};
	const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

	for (int i = 0; i < 6; i++) {
		for (int j = 0; j < 3; j++)
			announce(f, &r[perm[i][j]]);
		assert_int_equal(th_best(f->rib, PFX[0])->peer_id, rib_peer_id(f->p[E2]));
		withdraw_all(f);
	}
}

/* 9.1.2.2 (d): eBGP over iBGP. */
static void test_ebgp_over_ibgp(void **state)
{
	struct route_spec a = {I1, {65009}, 1, 0, -1, 100, 0, 0};
	struct route_spec b = {E2, {65001}, 1, 0, -1, -1, 0, 0};

	duel(*state, &a, &b, E2);
}

/* 9.1.2.2 (f): lowest BGP Identifier; RFC 4456 9: ORIGINATOR_ID stands in for it. */
static void test_bgp_id(void **state)
{
	struct route_spec a = {E1, {65001}, 1, 0, -1, -1, 0, 0};
	struct route_spec b = {E2, {65001}, 1, 0, -1, -1, 0, 0};
	struct route_spec c = {I1, {65009}, 1, 0, -1, -1, 50, 0};
	struct route_spec d = {I2, {65009}, 1, 0, -1, -1, 0, 0};

	duel(*state, &a, &b, E1);
	/* I1's id is 11, but its route's ORIGINATOR_ID 50 > I2's id 12. */
	duel(*state, &c, &d, I2);
}

/* RFC 4456 9: shorter CLUSTER_LIST, between (f) and (g). */
static void test_cluster_list(void **state)
{
	struct route_spec a = {I1, {65009}, 1, 0, -1, -1, 7, 2};
	struct route_spec b = {I2, {65009}, 1, 0, -1, -1, 7, 1};

	duel(*state, &a, &b, I2);
}

/* 9.1.2.2 (g): lowest peer address when everything else ties. */
static void test_peer_address(void **state)
{
	struct route_spec a = {I1, {65009}, 1, 0, -1, -1, 7, 1};
	struct route_spec b = {I2, {65009}, 1, 0, -1, -1, 7, 1};

	duel(*state, &b, &a, I1);
}

/* Multipath: ties through (e), same neighbour AS for eBGP. */
static void test_multipath(void **state)
{
	struct fx *f = *state;
	struct route_spec a = {E1, {65001}, 1, 0, -1, -1, 0, 0};
	struct route_spec b = {E2, {65001}, 1, 0, -1, -1, 0, 0};
	struct route_spec c = {E3, {65002}, 1, 0, -1, -1, 0, 0};
	struct route_spec d = {E2, {65001, 3}, 1 + 1, 0, -1, -1, 0, 0};
	const struct rib_dest *dest;
	struct prefix p;
	char s[ADDR_STRLEN];

	announce(f, &a);
	announce(f, &b);
	announce(f, &c);
	assert_int_equal(prefix_parse(PFX[0], &p, true), 0);
	dest = rib_lookup_dest(f->rib, &p);
	assert_int_equal(dest->routes->peer_id, rib_peer_id(f->p[E1]));
	assert_true(dest->routes->flags & RIB_ROUTE_BEST);
	assert_true(dest->routes->next->flags & RIB_ROUTE_MULTIPATH);
	assert_int_equal(dest->routes->next->peer_id, rib_peer_id(f->p[E2]));
	assert_false(dest->routes->next->next->flags & RIB_ROUTE_MULTIPATH);
	/* The FIB is told both next hops, best first. */
	assert_false(f->last.withdrawn);
	assert_int_equal(f->last.n_next_hops, 2);
	assert_string_equal(addr_format(&f->last.next_hops[0], s, sizeof(s)), "198.18.1.3");
	assert_string_equal(addr_format(&f->last.next_hops[1], s, sizeof(s)), "198.18.1.4");
	/* A longer path from E2 leaves the set. */
	announce(f, &d);
	assert_int_equal(f->last.n_next_hops, 1);
	assert_false(dest->routes->next->flags & RIB_ROUTE_MULTIPATH);
	withdraw_all(f);
	assert_true(f->last.withdrawn);
}

/*
 * The multipath set does not depend on arrival order: here the best path
 * (lowest BGP Identifier, step f) is the newer one. Regression: steps (f)
 * and (g) used to compact the tie list the multipath set is read from.
 */
static void test_multipath_order(void **state)
{
	struct fx *f = *state;
	struct route_spec a = {E1, {65001}, 1, 0, -1, -1, 0, 0};
	struct route_spec b = {E2, {65001}, 1, 0, -1, -1, 0, 0};
	char s[ADDR_STRLEN];

	announce(f, &b);
	announce(f, &a);
	assert_int_equal(f->last.n_next_hops, 2);
	assert_string_equal(addr_format(&f->last.next_hops[0], s, sizeof(s)), "198.18.1.3");
	assert_string_equal(addr_format(&f->last.next_hops[1], s, sizeof(s)), "198.18.1.4");
	withdraw_all(f);
	/* And with the best path first, as in test_multipath, the same set. */
	announce(f, &a);
	announce(f, &b);
	assert_int_equal(f->last.n_next_hops, 2);
	withdraw_all(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_local_pref, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_as_path_len, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_origin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_med, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_med_set_semantics, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ebgp_over_ibgp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bgp_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cluster_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peer_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multipath, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multipath_order, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
