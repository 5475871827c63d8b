/*
 * DOC: unit tests of the route export (src/tabbyd/routing_export.c) against
 * a real BGP speaker (no sessions) and IPAM on an in-memory datastore: the
 * node's affine blocks and borrowed addresses are originated, kept in step
 * through the store watch and its debounce timer, withdrawn when gone;
 * configured prefixes are left alone; routing_export_is_local() says which
 * learned prefixes the FIB must never install.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <tabby/ipam.h>
#include <tabby/log.h>
#include <tabby/store.h>

#include "tabbyd.h"

struct fixture {
	struct tabbyd d;
	struct ipam *other; /* node-2 */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct bgp_speaker_config sc = {
	    .local_as = 64512, .router_id = 0xc6120001, .no_listen = true};
	struct ipam_pool pool = {.name = "p4", .block_size = 30};
	char err[IPAM_ERRLEN];

	assert_non_null(f);
	log_init("test_tabbyd_routing", LOG_WARNING, LOG_TARGET_STDERR);
	assert_int_equal(store_open("memory:", &f->d.store), 0);
	assert_int_equal(prefix_parse("10.250.0.0/29", &pool.cidr, true), 0);
	assert_int_equal(ipam_pool_create(f->d.store, &pool, err, sizeof(err)), 0);
	free(pool.node_selector); /* filled in by validation */
	f->d.cfg.node_name = "node-1";
	f->d.ipam = ipam_new(f->d.store, "node-1");
	f->other = ipam_new(f->d.store, "node-2");
	assert_non_null(f->d.ipam);
	assert_non_null(f->other);
	f->d.base = event_base_new();
	assert_non_null(f->d.base);
	assert_int_equal(bgp_speaker_new(f->d.base, &sc, &f->d.bgp), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	routing_export_stop(&f->d);
	bgp_speaker_free(f->d.bgp);
	event_base_free(f->d.base);
	ipam_free(f->d.ipam);
	ipam_free(f->other);
	store_close(f->d.store);
	free(f->d.cfg.bgp.origins);
	free(f);
	return 0;
}

static int assign(struct ipam *ipam, const char *handle, unsigned max_blocks, struct addr *out)
{
	struct ipam_assign_args a = {
	    .handle = handle, .num4 = 1, .max_blocks_per_host = max_blocks};
	struct ipam_assign_result r;
	int ret = ipam_auto_assign(ipam, &a, &r);

	if (ret == 0 && out)
		*out = r.addrs[0];
	return ret;
}

/* The speaker originates p (a "local" route in its Loc-RIB). */
static bool originated(struct fixture *f, const char *p)
{
	cJSON *rib = bgp_rib_to_json(f->d.bgp), *r;
	bool found = false;

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(rib, "ipv4"))
	{
		cJSON *pf = cJSON_GetObjectItemCaseSensitive(r, "prefix");
		cJSON *from = cJSON_GetObjectItemCaseSensitive(r, "from");

		found |= cJSON_IsString(pf) && strcmp(pf->valuestring, p) == 0 &&
		         cJSON_IsString(from) && strcmp(from->valuestring, "local") == 0;
	}
	cJSON_Delete(rib);
	return found;
}

static void host_prefix(const struct addr *a, char *buf, size_t len)
{
	struct prefix p;

	prefix_from_addr(&p, a);
	prefix_format(&p, buf, len);
}

/* a's /30 block, the pool's other /30, and a /32 in a's block other than a. */
static void block_of(const struct addr *a, char *mine, size_t ml, char *other, size_t ol,
                     char *inside, size_t il)
{
	struct prefix p;
	struct addr x;

	prefix_from_addr(&p, a);
	p.len = 30;
	prefix_normalize(&p);
	prefix_format(&p, mine, ml);
	p.addr.bytes[3] ^= 4;
	prefix_format(&p, other, ol);
	p.addr.bytes[3] ^= 4;
	x = p.addr;
	x.bytes[3] = (uint8_t)(p.addr.bytes[3] + (a->bytes[3] == p.addr.bytes[3] + 1 ? 2 : 1));
	host_prefix(&x, inside, il);
}

static bool is_local(struct fixture *f, const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse(s, &p, true), 0);
	return routing_export_is_local(&f->d, &p);
}

/* Run the store watch and the event loop until p is (want) or is not originated; 2 s at most. */
static bool wait_originated(struct fixture *f, const char *p, bool want)
{
	int i;

	for (i = 0; i < 400; i++) {
		store_poll(f->d.store);
		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
		if (originated(f, p) == want)
			return true;
		usleep(5000);
	}
	return false;
}

static void test_export(void **state)
{
	struct fixture *f = *state;
	struct addr a, borrowed;
	struct prefix op;
	char hp[PREFIX_STRLEN], mine[PREFIX_STRLEN], other[PREFIX_STRLEN], inside[PREFIX_STRLEN];
	unsigned released;
	int i;

	/* The pool has two blocks: node-1 claims one, node-2 the other. */
	assert_int_equal(assign(f->d.ipam, "a0", 0, &a), 0);
	assert_int_equal(assign(f->other, "b0", 0, NULL), 0);
	block_of(&a, mine, sizeof(mine), other, sizeof(other), inside, sizeof(inside));
	assert_int_equal(routing_export_start(&f->d), 0);
	assert_true(originated(f, mine));
	assert_false(originated(f, other));

	/* What the FIB must not install: our block, anything covering it; not what is inside. */
	assert_true(is_local(f, mine));
	assert_true(is_local(f, "10.250.0.0/29"));
	assert_true(is_local(f, "10.0.0.0/8"));
	assert_false(is_local(f, inside)); /* another node's borrowed address in our block */
	assert_false(is_local(f, other));
	assert_false(is_local(f, "fd00::/8"));

	/* Fill node-1's block, then borrow one from node-2's (no new block allowed). */
	for (i = 1; i < 4; i++) {
		char h[8];

		snprintf(h, sizeof(h), "a%d", i);
		assert_int_equal(assign(f->d.ipam, h, 0, NULL), 0);
	}
	assert_int_equal(assign(f->d.ipam, "a4", 1, &borrowed), 0);
	host_prefix(&borrowed, hp, sizeof(hp));
	assert_true(prefix_parse(other, &op, true) == 0 && prefix_contains_addr(&op, &borrowed));
	assert_true(wait_originated(f, hp, true));
	assert_true(is_local(f, hp));
	assert_true(originated(f, mine));

	/* Released: withdrawn, and no longer local. */
	assert_int_equal(ipam_release_ips(f->d.ipam, &borrowed, 1, &released), 0);
	assert_int_equal(released, 1);
	assert_true(wait_originated(f, hp, false));
	assert_false(is_local(f, hp));
	assert_true(originated(f, mine));
}

static void test_configured_prefix_kept(void **state)
{
	struct fixture *f = *state;
	struct addr borrowed;
	char hp[PREFIX_STRLEN];
	unsigned released;
	int i;

	for (i = 0; i < 4; i++) {
		char h[8];

		snprintf(h, sizeof(h), "a%d", i);
		assert_int_equal(assign(f->d.ipam, h, 0, NULL), 0);
	}
	assert_int_equal(assign(f->other, "b0", 0, NULL), 0);
	assert_int_equal(assign(f->d.ipam, "a4", 1, &borrowed), 0);
	/* The borrowed /32 is also declared in bgp.originate (bgp.c originates it). */
	f->d.cfg.bgp.origins = calloc(1, sizeof(*f->d.cfg.bgp.origins));
	assert_non_null(f->d.cfg.bgp.origins);
	f->d.cfg.bgp.n_origins = 1;
	prefix_from_addr(&f->d.cfg.bgp.origins[0].prefix, &borrowed);
	assert_int_equal(bgp_originate(f->d.bgp, &f->d.cfg.bgp.origins[0].prefix, NULL), 0);
	assert_int_equal(routing_export_start(&f->d), 0);
	host_prefix(&borrowed, hp, sizeof(hp));
	assert_true(originated(f, hp));
	assert_true(is_local(f, hp));
	assert_int_equal(ipam_release_ips(f->d.ipam, &borrowed, 1, &released), 0);
	/* The watch fires and the resync runs, but the configured prefix stays. */
	for (i = 0; i < 20; i++) {
		store_poll(f->d.store);
		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
		usleep(5000);
	}
	assert_false(is_local(f, hp));
	assert_true(originated(f, hp));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_export, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_configured_prefix_kept, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
