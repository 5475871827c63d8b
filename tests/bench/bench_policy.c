/*
 * DOC: micro-benchmark of policy rendering and applying (not a test).
 *
 * 1,000 endpoints in 10 namespaces (first all on this node, the worst case:
 * each has a veth in the dispatch maps; then 110 of them, a typical node) and 500 policies (250
 * Kubernetes, 250 Calico with nets, port ranges and namespace selectors); full render, then apply
 * through libnftables inside a private network namespace (needs root), then 20 single endpoint adds
 * as incremental element updates. Targets from the issue: full render + apply <= 1 s, one add <= 5
 * ms.
 */
#include <config.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <tabby/policy.h>

#define N_EPS  1000
#define N_POLS 500
#define N_ADDS 20

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct policy *make_policy(int i)
{
	char text[2048];
	struct json_error err;
	struct policy *p = NULL;
	cJSON *j;

	if (i % 2 == 0)
		snprintf(
		    text, sizeof(text),
		    "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\","
		    "\"metadata\":{\"name\":\"k%d\",\"namespace\":\"ns%d\"},\"spec\":{"
		    "\"podSelector\":{\"matchLabels\":{\"app\":\"app%d\"}},\"ingress\":[{\"from\":"
		    "[{\"podSelector\":{\"matchLabels\":{\"role\":\"role%d\"}}},{"
		    "\"namespaceSelector"
		    "\":{\"matchLabels\":{\"team\":\"t%d\"}}}],\"ports\":[{\"port\":%d}]}]}}",
		    i, i % 10, i % 50, i % 20, i % 3, 1000 + i);
	else
		snprintf(
		    text, sizeof(text),
		    "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"NetworkPolicy\","
		    "\"metadata\":{\"name\":\"c%d\",\"namespace\":\"ns%d\"},\"spec\":{\"order\":%d,"
		    "\"selector\":\"app == 'app%d'\",\"types\":[\"Ingress\",\"Egress\"],"
		    "\"ingress\":[{\"action\":\"Deny\",\"source\":{\"selector\":\"role == "
		    "'role%d'\"}},{\"action\":\"Allow\",\"protocol\":\"TCP\",\"destination\":"
		    "{\"ports\":[\"%d:%d\"]}}],\"egress\":[{\"action\":\"Allow\",\"protocol\":"
		    "\"UDP\","
		    "\"destination\":{\"nets\":[\"198.18.%d.0/24\"],\"ports\":[53]}},{\"action\":"
		    "\"Pass\",\"destination\":{\"namespaceSelector\":\"team == 't%d'\"}}]}}",
		    i, i % 10, i % 100, (i * 7) % 50, (i * 3) % 20, 2000 + i, 2100 + i, i % 200,
		    i % 3);
	j = json_parse("bench", text, strlen(text), &err);
	if (!j || policy_parse(j, &p, &err)) {
		fprintf(stderr, "policy %d: %s\n", i, err.text);
		exit(1);
	}
	cJSON_Delete(j);
	return p;
}

struct ep_data {
	char id[64], iface[16], ns[16], app[16], role[16];
	struct policy_label labels[2];
	struct addr addr;
};

/* Endpoint e; the first n_local are on this node (have a veth). */
static void make_endpoint(struct ep_data *d, struct policy_endpoint *ep, int e, int n_local)
{
	char a[32];

	snprintf(d->id, sizeof(d->id), "node1/ns%d/pod%d/eth0", e % 10, e);
	snprintf(d->iface, sizeof(d->iface), "tb%07d", e);
	snprintf(d->ns, sizeof(d->ns), "ns%d", e % 10);
	snprintf(d->app, sizeof(d->app), "app%d", e % 50);
	snprintf(d->role, sizeof(d->role), "role%d", e % 20);
	snprintf(a, sizeof(a), "10.244.%d.%d", e / 250, e % 250 + 1);
	addr_parse(a, &d->addr);
	d->labels[0] = (struct policy_label){"app", d->app};
	d->labels[1] = (struct policy_label){"role", d->role};
	*ep = (struct policy_endpoint){d->id, d->iface, d->ns, d->labels, 2, &d->addr, 1};
	if (e >= n_local && e < N_EPS)
		ep->iface = NULL;
}

/* CPU time of this process (user + system: the kernel's netlink work counts). */
static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int run(int n_local)
{
	static struct ep_data eds[N_EPS + N_ADDS];
	struct policy *pols[N_POLS];
	struct policy_state *st = policy_state_new();
	struct policy_endpoint ep;
	struct policy_pool pool;
	double t0, c0, t_render, t_apply, c_full, adds[N_ADDS], cpus[N_ADDS], add_render = 0;
	char err[4096], *text;
	int i;

	for (i = 0; i < N_POLS; i++)
		pols[i] = make_policy(i);
	policy_state_set_policies(st, pols, N_POLS);
	for (i = 0; i < N_POLS; i++)
		policy_free(pols[i]);
	for (i = 0; i < 3; i++) {
		struct policy_label l = {"team", i == 0 ? "t0" : i == 1 ? "t1" : "t2"};
		char name[8];
		struct policy_namespace ns = {name, &l, 1};

		snprintf(name, sizeof(name), "ns%d", i);
		policy_state_set_namespace(st, &ns);
	}
	prefix_parse("10.244.0.0/16", &pool.cidr, true);
	pool.nat_outgoing = true;
	policy_state_set_pools(st, &pool, 1);
	for (i = 0; i < N_EPS; i++) {
		make_endpoint(&eds[i], &ep, i, n_local);
		policy_state_put_endpoint(st, &ep);
	}
	t0 = now_ms();
	c0 = cpu_ms();
	if (policy_render_full(st, &text)) {
		fprintf(stderr, "render failed\n");
		return 1;
	}
	t_render = now_ms() - t0;
	t0 = now_ms();
	if (policy_nft_apply(text, false, err, sizeof(err))) {
		fprintf(stderr, "apply failed: %s\n", err);
		return 1;
	}
	t_apply = now_ms() - t0;
	c_full = cpu_ms() - c0;
	printf("policy: %d endpoints (%d on this node) x %d policies: ruleset %zu bytes\n", N_EPS,
	       n_local, N_POLS, strlen(text));
	printf("policy: full render %.1f ms, apply (libnftables) %.1f ms, total %.1f ms "
	       "(target <= 1000)\n",
	       t_render, t_apply, t_render + t_apply);
	printf("policy: full render + apply CPU time %.1f ms\n", c_full);
	free(text);
	for (i = 0; i < N_ADDS; i++) {
		double r0;

		make_endpoint(&eds[N_EPS + i], &ep, N_EPS + i, n_local);
		t0 = now_ms();
		c0 = cpu_ms();
		if (policy_render_endpoint_put(st, &ep, &text)) {
			fprintf(stderr, "delta failed\n");
			return 1;
		}
		r0 = now_ms() - t0;
		add_render += r0;
		if (policy_nft_apply(text, false, err, sizeof(err))) {
			fprintf(stderr, "delta apply failed: %s\n%s", err, text);
			return 1;
		}
		adds[i] = now_ms() - t0;
		cpus[i] = cpu_ms() - c0;
		free(text);
	}
	qsort(adds, N_ADDS, sizeof(adds[0]), cmp_double);
	qsort(cpus, N_ADDS, sizeof(cpus[0]), cmp_double);
	printf("policy: one endpoint add (render + apply), %d runs: median %.2f ms, max %.2f ms, "
	       "render part mean %.2f ms (target <= 5)\n",
	       N_ADDS, adds[N_ADDS / 2], adds[N_ADDS - 1], add_render / N_ADDS);
	printf("policy: one endpoint add CPU time: median %.2f ms, max %.2f ms\n", cpus[N_ADDS / 2],
	       cpus[N_ADDS - 1]);
	policy_state_free(st);
	return 0;
}

int main(void)
{
	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "bench_policy: needs root (private network namespace)\n");
		return 77;
	}
	/* Worst case: every endpoint local; then a typical node (110 pods). */
	if (run(N_EPS))
		return 1;
	return run(110);
}
