/*
 * DOC: datastore benchmark: two-op transactions per second.
 *
 * IPAM's assignment is one transaction that updates a block and creates a
 * handle; this measures how many such store_txn() calls per second each back
 * end and durability setting sustains single-process (each txn one commit).
 * Usage: store_bench [seconds]   (a fresh database in a temporary directory)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tabby/store.h>

static double store_bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int store_bench_run(const char *url, double seconds)
{
	struct store *s = NULL;
	char block[64], handle[64], value[160];
	double t0, t;
	long n = 0;
	int err;

	err = store_open(url, &s);
	if (err) {
		fprintf(stderr, "store_bench: %s: %s\n", url, store_strerror(err));
		return 1;
	}
	t0 = store_bench_now();
	do {
		struct store_op ops[2] = {
		    {.type = STORE_OP_PUT, .key = block, .value = value},
		    {.type = STORE_OP_CREATE, .key = handle, .value = value},
		};

		snprintf(block, sizeof(block), "/tabby/v1/ipam/blocks/10.%ld.0.0-26", n % 64);
		snprintf(handle, sizeof(handle), "/tabby/v1/ipam/handles/pod-%ld", n);
		snprintf(value, sizeof(value),
		         "{\"cidr\":\"10.%ld.0.0/26\",\"affinity\":\"node-1\",\"seq\":%ld}", n % 64,
		         n);
		err = store_txn(s, ops, 2, NULL, NULL);
		if (err) {
			fprintf(stderr, "store_bench: txn: %s\n", store_strerror(err));
			store_close(s);
			return 1;
		}
		n++;
		t = store_bench_now() - t0;
	} while (t < seconds);
	printf("%-24s %8.0f txn/s (2 ops each, %ld txns in %.2f s)\n", store_describe(s), n / t, n,
	       t);
	store_close(s);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const syncs[] = {"full", "normal", "off"};
	char dir[] = "/var/tmp/tabby-store-bench-XXXXXX", url[160], path[128];
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	static const char *const sfx[] = {"", "-wal", "-shm", "-notify"};
	char file[160];
	size_t i, k;
	int rc = 0;

	if (!mkdtemp(dir)) {
		perror("store_bench: mkdtemp");
		return 1;
	}
	rc |= store_bench_run("memory:", seconds);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/bench-%s.db", dir, syncs[i]);
		snprintf(url, sizeof(url), "sqlite:%s?sync=%s", path, syncs[i]);
		rc |= store_bench_run(url, seconds);
		for (k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++) {
			snprintf(file, sizeof(file), "%s%s", path, sfx[k]);
			unlink(file);
		}
	}
	rmdir(dir);
	return rc;
}
