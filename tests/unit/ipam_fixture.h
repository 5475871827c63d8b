/*
 * DOC: the fixture the IPAM assignment and release tests share: a fresh
 * in-memory store per test (st) and mkpool() to create a pool in it.
 * Include after cmocka.h and ipam_impl.h.
 */
#ifndef TABBY_TEST_IPAM_FIXTURE_H
#define TABBY_TEST_IPAM_FIXTURE_H

static struct store *st;

static int setup(void **state)
{
	(void)state;
	return store_open("memory:", &st);
}

static int teardown(void **state)
{
	(void)state;
	store_close(st);
	st = NULL;
	return 0;
}

static void mkpool(const char *name, const char *cidr, unsigned block_size)
{
	struct ipam_pool p = {0};
	char err[IPAM_ERRLEN] = "";

	p.name = strdup(name);
	assert_int_equal(prefix_parse(cidr, &p.cidr, true), 0);
	p.block_size = block_size;
	if (ipam_pool_create(st, &p, err, sizeof(err)) != 0)
		fail_msg("pool %s: %s", name, err);
	ipam_pool_clear(&p);
}

#endif
