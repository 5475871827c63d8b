/*
 * DOC: IPAM benchmark (not a test): assignments and releases per second on
 * the SQLite store, one process and then 4 processes (4 nodes) sharing one
 * file, for each sync setting asked for.
 *
 *   bench_ipam [-n total] [-p processes] [-s full,normal,off] [-d dir] [-b batch]
 *              [-r repeats]  (medians of the repeats are printed)
 *
 * Each configuration runs one call per address ("one by one": every
 * assignment is its own durable transaction, so the rate is bounded by the
 * disk's fsync latency) and with group commit (ipam_auto_assign_batch() and
 * ipam_release_handles(), "batch N": N requests share one transaction). The
 * store's description (back end and sync setting) is printed with each
 * figure; the target is 2,000 durable (sync=full) assignments/s in one
 * process.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include <tabby/ipam.h>
#include <tabby/log.h>
#include <tabby/store.h>

struct bench_times {
	double assign_start, assign_end, release_start, release_end;
	unsigned assigned, released, failed;
};

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_open(const char *path, const char *sync, struct store **s)
{
	char url[600];

	snprintf(url, sizeof(url), "sqlite:%s?sync=%s", path, sync);
	return store_open(url, s);
}

/* One process: n assignments, then n releases by handle, in groups of batch. */
static int bench_worker(const char *path, const char *sync, int me, unsigned n, unsigned batch,
                        struct bench_times *t, int start_fd)
{
	struct ipam_assign_args *args = calloc(batch, sizeof(*args));
	struct ipam_assign_result *res = calloc(batch, sizeof(*res));
	char(*handles)[64] = calloc(batch, sizeof(*handles));
	const char **ids = calloc(batch, sizeof(*ids));
	int *rets = calloc(batch, sizeof(*rets));
	struct store *s = NULL;
	struct ipam *ip;
	char node[32];
	unsigned i, k, m, released;
	char go;

	if (!args || !res || !handles || !ids || !rets || bench_open(path, sync, &s) < 0)
		return 1;
	snprintf(node, sizeof(node), "bench-node-%d", me);
	ip = ipam_new(s, node);
	if (!ip || ipam_sync(ip) < 0)
		return 1;
	if (start_fd >= 0 && read(start_fd, &go, 1) != 1)
		return 1;
	t->assign_start = bench_now();
	for (i = 0; i < n; i += m) {
		m = n - i < batch ? n - i : batch;
		for (k = 0; k < m; k++) {
			snprintf(handles[k], sizeof(handles[k]), "%s-%u", node, i + k);
			args[k] = (struct ipam_assign_args){
			    .handle = handles[k],
			    .attrs = {.namespace = "bench", .pod = handles[k]},
			    .num4 = 1};
		}
		if (batch == 1)
			rets[0] = ipam_auto_assign(ip, &args[0], &res[0]);
		else
			ipam_auto_assign_batch(ip, args, m, res, rets);
		for (k = 0; k < m; k++) {
			if (rets[k] == 0)
				t->assigned++;
			else
				t->failed++;
		}
	}
	t->assign_end = bench_now();
	t->release_start = bench_now();
	for (i = 0; i < n; i += m) {
		m = n - i < batch ? n - i : batch;
		for (k = 0; k < m; k++) {
			snprintf(handles[k], sizeof(handles[k]), "%s-%u", node, i + k);
			ids[k] = handles[k];
		}
		released = 0;
		if (batch == 1)
			ipam_release_by_handle(ip, ids[0], &released);
		else
			ipam_release_handles(ip, ids, m, &released);
		t->released += released;
		t->failed += m - released;
	}
	t->release_end = bench_now();
	ipam_free(ip);
	store_close(s);
	free(args);
	free(res);
	free(handles);
	free(ids);
	free(rets);
	return 0;
}

/* The database and the side files the store made beside it (same name + suffix). */
static void bench_remove(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[512], file[1100];
	size_t plen;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	plen = strlen(slash ? slash + 1 : path);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, slash ? slash + 1 : path, plen) != 0)
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
		unlink(file);
	}
	if (d)
		closedir(d);
}

/* "sqlite (sync=full)" without the path. */
static const char *bench_describe(const struct store *s)
{
	static char buf[64];
	const char *d = store_describe(s), *end = strchr(d, ')');

	snprintf(buf, sizeof(buf), "%.*s", end ? (int)(end - d + 1) : (int)strlen(d), d);
	return buf;
}

static const char *bench_mode(unsigned batch)
{
	static char buf[32];

	if (batch == 1)
		return "one by one";
	snprintf(buf, sizeof(buf), "batch %u", batch);
	return buf;
}

static int bench_once(const char *dir, const char *sync, int nproc, unsigned n, unsigned batch,
                      double *arate, double *rrate, char *desc, size_t desclen)
{
	char path[512], err[IPAM_ERRLEN];
	struct ipam_pool pool = {0};
	struct ipam_config cfg;
	struct bench_times *t;
	struct store *s = NULL;
	double a0 = 1e300, a1 = 0, r0 = 1e300, r1 = 0;
	unsigned assigned = 0, released = 0, failed = 0;
	pid_t pids[64];
	int fds[2], i, status, ret;

	snprintf(path, sizeof(path), "%s/tabby-bench-ipam-%d.db", dir, (int)getpid());
	ret = bench_open(path, sync, &s);
	if (ret < 0) {
		fprintf(stderr, "bench_ipam: cannot open %s: %s\n", path, store_strerror(ret));
		return ret;
	}
	pool.name = strdup("bench");
	prefix_parse("10.128.0.0/12", &pool.cidr, true);
	if (ipam_pool_create(s, &pool, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_ipam: %s\n", err);
		return -EINVAL;
	}
	ipam_pool_clear(&pool);
	/* One node takes many blocks here: lift Calico's default limit of 20. */
	ipam_config_default(&cfg);
	cfg.max_blocks_per_host = 0;
	if (ipam_config_set(s, &cfg) < 0)
		return -EIO;
	t = mmap(NULL, sizeof(*t) * nproc, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	         0);
	if (t == MAP_FAILED || pipe(fds) < 0)
		return -errno;
	memset(t, 0, sizeof(*t) * nproc);
	for (i = 0; i < nproc; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(fds[1]);
			_exit(bench_worker(path, sync, i, n, batch, &t[i], fds[0]));
		}
	}
	close(fds[0]);
	usleep(200000); /* let every worker open the store */
	for (i = 0; i < nproc; i++)
		if (write(fds[1], "g", 1) != 1)
			return -errno;
	close(fds[1]);
	for (i = 0; i < nproc; i++) {
		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
		assigned += t[i].assigned;
		released += t[i].released;
		failed += t[i].failed;
		a0 = t[i].assign_start < a0 ? t[i].assign_start : a0;
		a1 = t[i].assign_end > a1 ? t[i].assign_end : a1;
		r0 = t[i].release_start < r0 ? t[i].release_start : r0;
		r1 = t[i].release_end > r1 ? t[i].release_end : r1;
	}
	*arate = assigned / (a1 - a0);
	*rrate = released / (r1 - r0);
	snprintf(desc, desclen, "%s", bench_describe(s));
	if (assigned != (unsigned)nproc * n || released != (unsigned)nproc * n)
		failed++;
	munmap(t, sizeof(*t) * nproc);
	store_close(s);
	bench_remove(path);
	return failed ? -EIO : 0;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Run a configuration `repeats` times and print the medians. */
static int bench_run(const char *dir, const char *sync, int nproc, unsigned n, unsigned batch,
                     unsigned repeats)
{
	double arate[16], rrate[16];
	char desc[64] = "";
	unsigned i;
	int ret = 0;

	for (i = 0; i < repeats && ret == 0; i++)
		ret = bench_once(dir, sync, nproc, n, batch, &arate[i], &rrate[i], desc,
		                 sizeof(desc));
	if (ret < 0) {
		printf("%-22s %d process%s, %-10s FAILED\n", desc, nproc, nproc > 1 ? "es" : "  ",
		       bench_mode(batch));
		return ret;
	}
	qsort(arate, repeats, sizeof(*arate), bench_cmp);
	qsort(rrate, repeats, sizeof(*rrate), bench_cmp);
	printf("%-22s %d process%s, %-10s %6u assignments %7.0f/s  %6u releases %7.0f/s\n", desc,
	       nproc, nproc > 1 ? "es" : "  ", bench_mode(batch), n * (unsigned)nproc,
	       arate[repeats / 2], n * (unsigned)nproc, rrate[repeats / 2]);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = "/var/tmp", *syncs = "full,normal";
	unsigned n = 2000, batch = 16, repeats = 1;
	int nproc = 4, opt, ret = 0;
	char *list, *tok, *save = NULL;

	while ((opt = getopt(argc, argv, "n:p:s:d:b:r:")) != -1) {
		switch (opt) {
		case 'n':
			n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			nproc = atoi(optarg);
			break;
		case 's':
			syncs = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'b':
			batch = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			repeats = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr,
			        "usage: %s [-n count] [-p processes] [-s full,normal,off] "
			        "[-d dir] [-b batch] [-r repeats]\n",
			        argv[0]);
			return 2;
		}
	}
	if (nproc < 1 || nproc > 64 || n == 0 || batch == 0 || repeats == 0 || repeats > 16)
		return 2;
	log_set_level(LOG_WARNING);
	printf("IPAM on SQLite in %s: assignments, then releases by handle; median of %u runs\n",
	       dir, repeats);
	list = strdup(syncs);
	for (tok = strtok_r(list, ",", &save); tok && ret == 0; tok = strtok_r(NULL, ",", &save)) {
		ret = bench_run(dir, tok, 1, n, 1, repeats);
		if (ret == 0 && batch > 1)
			ret = bench_run(dir, tok, 1, n, batch, repeats);
		if (ret == 0 && nproc > 1)
			ret = bench_run(dir, tok, nproc, n / (unsigned)nproc, 1, repeats);
		if (ret == 0 && nproc > 1 && batch > 1)
			ret = bench_run(dir, tok, nproc, n / (unsigned)nproc, batch, repeats);
	}
	free(list);
	return ret < 0 ? 1 : 0;
}
