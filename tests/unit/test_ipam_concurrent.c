/*
 * DOC: IPAM under concurrent writers: several processes (one node each) share
 * one SQLite file and assign and release addresses from one small pool at
 * once, holding several at a time so that blocks fill up, get claimed by
 * everyone and borrowed from.
 *
 * "No address handed out twice" is checked live: a shared-memory table says
 * which process holds each address of the pool; a process marks an address
 * when IPAM gives it out (an address already marked is a double assignment)
 * and unmarks it before asking IPAM to release it. Afterwards the store must
 * hold no allocation, no handle and nothing the consistency check dislikes.
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
#include <sys/mman.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include <tabby/log.h>

#include "ipam_impl.h"

#define NPROC  4
#define ROUNDS 500
/*
 * Addresses a process holds at most: process 0 needs two of the four blocks,
 * so someone must borrow; together they can hold the whole pool, so an
 * assignment never finds it exhausted, but often nearly so.
 */
#define HOLD        22
#define HOLD_OF(me) ((me) == 0 ? 22u : 14u)
#define POOL        "10.99.0.0/26"
#define POOL_SIZE   64

struct shared {
	int owner[POOL_SIZE]; /* 0 free, else process index + 1 */
	struct {
		unsigned assigned, released, borrowed, doubles, errors;
		unsigned by_handle, by_ip, batches;
	} proc[NPROC];
};

static char tmp_dir[64], db_path[96];

/* A private directory for the database and whatever side files the store makes. */
static int setup(void **state)
{
	(void)state;
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/tabby-ipam-conc-XXXXXX");
	if (!mkdtemp(tmp_dir))
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/ipam.db", tmp_dir);
	return 0;
}

static int teardown(void **state)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(tmp_dir);

	(void)state;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmp_dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	return rmdir(tmp_dir);
}

static unsigned slot(const struct addr *a)
{
	struct prefix p;
	uint64_t off = POOL_SIZE;

	prefix_parse(POOL, &p, true);
	if (!prefix_contains_addr(&p, a) || addr_offset(&p.addr, a, &off) < 0)
		return POOL_SIZE;
	return (unsigned)off;
}

struct child {
	struct shared *sh;
	int me;
	char node[32];
	struct ipam *ip;
	char handles[HOLD][48];
	struct addr held[HOLD];
	unsigned n_held, seed;
};

/* IPAM gave us an address: mark it ours; someone holding it already is a double. */
static void child_took(struct child *c, const struct ipam_assign_result *res, int ret)
{
	int expect = 0;

	if (ret < 0 || res->n != 1 || slot(&res->addrs[0]) >= POOL_SIZE) {
		fprintf(stderr, "%s: assign: %d %s\n", c->node, ret, ipam_last_error(c->ip));
		c->sh->proc[c->me].errors++;
		return;
	}
	if (!__atomic_compare_exchange_n(&c->sh->owner[slot(&res->addrs[0])], &expect, c->me + 1,
	                                 false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		char buf[ADDR_STRLEN];

		fprintf(stderr, "%s: %s handed out twice (held by process %d)\n", c->node,
		        addr_format(&res->addrs[0], buf, sizeof(buf)), expect - 1);
		c->sh->proc[c->me].doubles++;
	}
	c->sh->proc[c->me].assigned++;
	c->sh->proc[c->me].borrowed += res->borrowed;
	c->held[c->n_held++] = res->addrs[0];
}

/* Give back held address i (unmarked first: IPAM may hand it out once released). */
static void child_give_back(struct child *c, unsigned i)
{
	unsigned n = 0;
	int ret;

	__atomic_store_n(&c->sh->owner[slot(&c->held[i])], 0, __ATOMIC_SEQ_CST);
	if (rand_r(&c->seed) & 1) {
		ret = ipam_release_by_handle(c->ip, c->handles[i], &n);
		c->sh->proc[c->me].by_handle++;
	} else {
		ret = ipam_release_ips(c->ip, &c->held[i], 1, &n);
		c->sh->proc[c->me].by_ip++;
	}
	if (ret < 0 || n != 1) {
		fprintf(stderr, "%s: release: %d %s\n", c->node, ret, ipam_last_error(c->ip));
		c->sh->proc[c->me].errors++;
	}
	c->sh->proc[c->me].released++;
	c->n_held--;
	c->held[i] = c->held[c->n_held];
	memcpy(c->handles[i], c->handles[c->n_held], sizeof(c->handles[i]));
}

/* Give back the last two held addresses in one transaction. */
static void child_give_back_two(struct child *c)
{
	const char *two[2] = {c->handles[c->n_held - 1], c->handles[c->n_held - 2]};
	unsigned n = 0;
	int ret;

	__atomic_store_n(&c->sh->owner[slot(&c->held[c->n_held - 1])], 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&c->sh->owner[slot(&c->held[c->n_held - 2])], 0, __ATOMIC_SEQ_CST);
	ret = ipam_release_handles(c->ip, two, 2, &n);
	if (ret < 0 || n != 2) {
		fprintf(stderr, "%s: release of two: %d %s\n", c->node, ret,
		        ipam_last_error(c->ip));
		c->sh->proc[c->me].errors++;
	}
	c->sh->proc[c->me].released += 2;
	c->sh->proc[c->me].by_handle += 2;
	c->sh->proc[c->me].batches++;
	c->n_held -= 2;
}

/* Assign `want` (1 or 2: then in one batch) addresses. */
static void child_take(struct child *c, unsigned want, unsigned *got)
{
	struct ipam_assign_args args[2];
	struct ipam_assign_result res[2];
	int rets[2];
	unsigned k, base = c->n_held;

	for (k = 0; k < want; k++) {
		char *h = c->handles[c->n_held + k];

		snprintf(h, sizeof(c->handles[0]), "%s-%u", c->node, *got + k);
		args[k] = (struct ipam_assign_args){
		    .handle = h, .attrs = {.namespace = "ns", .pod = h}, .num4 = 1};
	}
	if (want == 1) {
		rets[0] = ipam_auto_assign(c->ip, &args[0], &res[0]);
	} else {
		ipam_auto_assign_batch(c->ip, args, want, res, rets);
		c->sh->proc[c->me].batches++;
	}
	for (k = 0; k < want; k++) {
		/* child_took() appends only what it got: keep each handle beside its address. */
		if (c->n_held != base + k)
			memmove(c->handles[c->n_held], c->handles[base + k], sizeof(c->handles[0]));
		child_took(c, &res[k], rets[k]);
	}
	*got += want;
}

static int child(struct shared *sh, int me)
{
	struct child c = {.sh = sh, .me = me, .seed = (unsigned)me * 7919u + 1};
	struct store *s = NULL;
	char url[128];
	unsigned got = 0, want;

	snprintf(url, sizeof(url), "sqlite:%s?sync=normal", db_path);
	snprintf(c.node, sizeof(c.node), "node-%d", me);
	if (store_open(url, &s) < 0)
		return 1;
	c.ip = ipam_new(s, c.node);
	while (got < ROUNDS) {
		want = got + 2 <= ROUNDS && rand_r(&c.seed) % 3 == 0 ? 2 : 1;
		while (c.n_held + want > HOLD_OF(me)) {
			if (c.n_held >= 2 && rand_r(&c.seed) % 3 == 0)
				child_give_back_two(&c);
			else
				child_give_back(&c, rand_r(&c.seed) % c.n_held);
		}
		child_take(&c, want, &got);
	}
	while (c.n_held)
		child_give_back(&c, c.n_held - 1);
	ipam_free(c.ip);
	store_close(s);
	return 0;
}

static void test_concurrent(void **state)
{
	struct shared *sh;
	struct store *s;
	struct ipam_pool p = {0};
	struct ipam_check_report r;
	char err[IPAM_ERRLEN], url[128];
	unsigned assigned = 0, released = 0, borrowed = 0, doubles = 0, errors = 0;
	unsigned by_handle = 0, by_ip = 0, batches = 0;
	pid_t pids[NPROC];
	int i, status;

	(void)state;
	snprintf(url, sizeof(url), "sqlite:%s?sync=normal", db_path);
	assert_int_equal(store_open(url, &s), 0);
	p.name = strdup("small");
	assert_int_equal(prefix_parse(POOL, &p.cidr, true), 0);
	p.block_size = 28; /* 4 blocks of 16 */
	assert_int_equal(ipam_pool_create(s, &p, err, sizeof(err)), 0);
	ipam_pool_clear(&p);
	store_close(s);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(child(sh, i));
	}
	for (i = 0; i < NPROC; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		assigned += sh->proc[i].assigned;
		released += sh->proc[i].released;
		borrowed += sh->proc[i].borrowed;
		doubles += sh->proc[i].doubles;
		errors += sh->proc[i].errors;
		by_handle += sh->proc[i].by_handle;
		by_ip += sh->proc[i].by_ip;
		batches += sh->proc[i].batches;
	}

	assert_int_equal(store_open(url, &s), 0);
	assert_int_equal(ipam_check(s, NULL, 0, NULL, 0, &r), 0);
	printf("ipam concurrent: %d processes, %u assigned (%u borrowed), %u released "
	       "(%u by handle, %u by address), %u batches of two, %u handed out twice, %u errors; "
	       "afterwards %zu blocks, %zu allocations, %zu handles, %zu problems\n",
	       NPROC, assigned, borrowed, released, by_handle, by_ip, batches, doubles, errors,
	       r.n_blocks, r.n_allocations, r.n_handles, ipam_check_problems(&r));
	assert_int_equal(assigned, NPROC * ROUNDS);
	assert_int_equal(released, NPROC * ROUNDS);
	assert_int_equal(doubles, 0);
	assert_int_equal(errors, 0);
	assert_int_equal(r.n_allocations, 0);
	assert_int_equal(r.n_handles, 0);
	assert_int_equal(ipam_check_problems(&r), 0);
	for (i = 0; i < POOL_SIZE; i++)
		assert_int_equal(sh->owner[i], 0);
	ipam_check_report_free(&r);
	store_close(s);
	munmap(sh, sizeof(*sh));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
	};

	log_set_level(LOG_WARNING);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
