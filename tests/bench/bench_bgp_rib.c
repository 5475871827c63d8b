/*
 * DOC: micro-benchmark of UPDATE decode + RIB ingest (bgp/rib_update.c).
 *
 * Pre-encodes UPDATE bodies in memory, then times only rib_peer_update() on
 * them, in a child process per case so that each case has its own peak RSS:
 *   1. 1,000,000 IPv4 /24 prefixes, 1000 per UPDATE, one attribute set;
 *   2. 100,000 prefixes, one per UPDATE, each with a different MED.
 * A subscriber counts the best-route changes (as the agent's FIB hook would).
 * Prints CPU time (user + system), VmHWM, and RIB bytes per route
 * (VmRSS growth during ingest / routes). A third case feeds the 1M prefixes
 * in scattered order (real table dumps are mostly sorted). Reference on this class of machine
 * (LAB-NOTES.md): BIRD 0.42 CPU-s and 94 MiB for case 1, 0.16 s and 41 MiB
 * for case 2. Usage: bench_bgp_rib [scale-percent [case]], default 100, all cases.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../bgp/rib.h"

struct bench_bodies {
	uint8_t *mem;
	size_t *off;
	size_t *len;
	size_t n;
	size_t bytes;
};

static size_t bench_changes;

static void bench_on_change(void *arg, const struct rib_change *c, size_t n)
{
	bench_changes += n;
}

/* "VmHWM:" / "VmRSS:" from /proc/self/status, in KiB. */
static long bench_status_kib(const char *key)
{
	char line[256];
	long v = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key), NULL, 10);
	fclose(fp);
	return v;
}

static double bench_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* Encode n_msgs UPDATE bodies of per_msg prefixes; distinct_med gives each its own MED. */
static int bench_encode(struct bench_bodies *bb, size_t n_msgs, size_t per_msg, bool distinct_med,
                        bool shuffle)
{
	struct bgp_attr_builder *b = bgp_attr_builder_new();
	struct bgp_attr_table t;
	const uint32_t path[] = {65001, 65010, 65020};
	struct buf_writer w;
	size_t prefix_no = 0;

	if (!b || bgp_attr_table_init(&t) < 0)
		return -1;
	buf_writer_init(&w, n_msgs * (per_msg * 4 + 64));
	bb->off = calloc(n_msgs, sizeof(size_t));
	bb->len = calloc(n_msgs, sizeof(size_t));
	bb->n = n_msgs;
	bgp_attr_builder_set_path(b, path, 3);
	b->k.origin = BGP_ORIGIN_IGP;
	b->k.present = BGP_ATTRS_ORIGIN | BGP_ATTRS_NEXT_HOP | BGP_ATTRS_MED;
	addr_parse("198.18.0.2", &b->k.next_hop);
	for (size_t m = 0; m < n_msgs; m++) {
		struct bgp_attrs *a;
		size_t start = w.len, alen_off;

		b->k.med = distinct_med ? (uint32_t)m : 0;
		a = bgp_attr_intern(&t, b);
		buf_put_u16(&w, 0);
		alen_off = w.len;
		buf_put_u16(&w, 0);
		bgp_attr_encode(&w, a, true, true);
		buf_patch_u16(&w, alen_off, (uint16_t)(w.len - alen_off - 2));
		bgp_attr_unref(&t, a);
		for (size_t i = 0; i < per_msg; i++, prefix_no++) {
			struct prefix p = {.addr = {.family = AF_INET}, .len = 24};
			/* shuffle: an odd multiplier is a bijection mod 2^24: distinct, scattered.
			 */
			uint32_t num = shuffle ? (uint32_t)(prefix_no * 0x9E3779B1u) & 0xffffffu
			                       : (uint32_t)prefix_no;
			uint32_t v = 0x10000000u + (num << 8);
			p.addr.bytes[0] = (uint8_t)(v >> 24);
			p.addr.bytes[1] = (uint8_t)(v >> 16);
			p.addr.bytes[2] = (uint8_t)(v >> 8);
			bgp_nlri_encode(&w, &p);
		}
		bb->off[m] = start;
		bb->len[m] = w.len - start;
	}
	if (!buf_writer_ok(&w))
		return -1;
	bb->mem = buf_writer_steal(&w, &bb->bytes);
	bgp_attr_table_free(&t);
	bgp_attr_builder_free(b);
	return 0;
}

static int bench_case(const char *name, size_t n_msgs, size_t per_msg, bool distinct_med,
                      bool shuffle)
{
	struct rib_config cfg = {.local_as = 64512, .router_id = 0xC612FF01, .multipath = 1};
	struct rib_peer_config pc = {.peer_as = 65001};
	struct rib_peer_session s = {0};
	struct bench_bodies bb = {0};
	struct rib_update_result res;
	struct rib_peer *peer;
	struct rib *rib;
	double cpu0, cpu1;
	long rss0, rss1, hwm;
	size_t routes;

	if (bench_encode(&bb, n_msgs, per_msg, distinct_med, shuffle) < 0)
		return 1;
	rib = rib_new(&cfg);
	addr_parse("198.18.0.2", &pc.addr);
	peer = rib_peer_add(rib, &pc);
	s.params.local_as = 64512;
	s.params.peer_as = 65001;
	s.params.peer_id = 0xC6120002;
	s.params.ebgp = true;
	s.params.as4 = true;
	s.params.families = BGP_AF_BIT(BGP_AF_IPV4);
	addr_parse("198.18.0.1", &s.local_addr);
	rib_peer_up(rib, peer, &s);
	rib_subscribe(rib, bench_on_change, NULL);
	rss0 = bench_status_kib("VmRSS:");
	cpu0 = bench_cpu();
	/* As the session does: the next UPDATE is prepared before the current one is applied. */
	for (size_t m = 0; m < bb.n; m++) {
		if (m + 1 < bb.n)
			rib_peer_update_prefetch(rib, peer, bb.mem + bb.off[m + 1], bb.len[m + 1]);
		if (rib_peer_update(rib, peer, bb.mem + bb.off[m], bb.len[m], &res) != 0 ||
		    res.attr.verdict != BGP_VERDICT_OK) {
			fprintf(stderr, "%s: UPDATE %zu rejected\n", name, m);
			return 1;
		}
	}
	cpu1 = bench_cpu();
	rss1 = bench_status_kib("VmRSS:");
	hwm = bench_status_kib("VmHWM:");
	routes = rib_route_count(rib);
	printf("%-34s routes %8zu  CPU %6.3f s  (%5.0f ns/route)  VmHWM %6.1f MiB  RIB %5.1f "
	       "bytes/route  changes %zu  attr sets %zu\n",
	       name, routes, cpu1 - cpu0, (cpu1 - cpu0) * 1e9 / (double)routes, hwm / 1024.0,
	       (double)(rss1 - rss0) * 1024.0 / (double)routes, bench_changes,
	       rib_attr_table(rib)->count);
	fflush(stdout);
	return routes == n_msgs * per_msg ? 0 : 1;
}

/* Each case in its own process, so VmHWM is that case's peak. */
static int bench_fork(const char *name, size_t n_msgs, size_t per_msg, bool distinct_med,
                      bool shuffle)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(bench_case(name, n_msgs, per_msg, distinct_med, shuffle));
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	long scale = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
	long only = argc > 2 ? strtol(argv[2], NULL, 10) : 0; /* run only case 1, 2 or 3 */
	int rc = 0;

	if (scale <= 0 || scale > 1000)
		scale = 100;
	printf("bench_bgp_rib: decode + ingest from in-memory UPDATEs (BIRD 2.0.12 reference: "
	       "1M/1 set 0.42 CPU-s 94 MiB; 100k/distinct MED 0.16 CPU-s 41 MiB)\n");
	if (!only || only == 1)
		rc |= bench_fork("1M prefixes, 1000/UPDATE, 1 set", (size_t)(10 * scale), 1000,
		                 false, false);
	if (!only || only == 2)
		rc |= bench_fork("100k prefixes, 1/UPDATE, own MED", (size_t)(1000 * scale), 1,
		                 true, false);
	/* Not BIRD's setup: the same 1M in scattered order (no locality to exploit). */
	if (!only || only == 3)
		rc |= bench_fork("1M prefixes, scattered order", (size_t)(10 * scale), 1000, false,
		                 true);
	return rc;
}
