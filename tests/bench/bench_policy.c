/*
 * DOC: benchmark of policy programming (not a test), Tabby against the legacy approach.
 *
 * 1,000 endpoints in 10 namespaces (first all on this node, the worst case: each has a veth in
 * the dispatch maps; then 110 of them, a typical node) and 500 policies (250 Kubernetes, 250
 * Calico with nets, port ranges and namespace selectors), inside a private network namespace
 * (needs root):
 *
 * - Tabby: full render, then apply through libnftables; then N_ADDS single endpoint adds through
 *   policy_apply_endpoint_put() (the fast path: one nf_tables netlink batch) and, for comparison,
 *   N_ADDS_LIB adds as nft text through libnftables (the fallback).
 * - Legacy: the same policies as one linear iptables chain per local
 *   endpoint (every rule expanded per peer address and port range, no ipsets), jumped to from
 *   FORWARD by -o / -i veth, loaded with iptables-restore (legacy and nft variants, each in its
 *   own fresh namespace); an endpoint add is its new chains and jumps plus every chain that
 *   refers to its address rewritten, with iptables-restore --noflush.
 *
 * Targets from the issue: full render + apply <= 1 s, one add <= 5 ms. One table at the end.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tabby/policy.h>

#define N_EPS            1000
#define N_POLS           500
#define N_NS             10
#define N_ADDS           100 /* fast path */
#define N_ADDS_LIB       20  /* libnftables text path */
#define N_ADDS_IPT       20  /* legacy iptables-restore (5 when all 1,000 endpoints are local) */
#define MAX_EPS          (N_EPS + N_ADDS + N_ADDS_LIB + N_ADDS_IPT)
#define RESTORE_LIMIT_MS 60000.0

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
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

struct stats {
	double med, p99;
};

/* Median and 99th percentile (nearest rank: with 20 samples that is the maximum). */
static struct stats stats_of(double *v, size_t n)
{
	size_t r = (size_t)(0.99 * (double)n + 0.999999);

	qsort(v, n, sizeof(*v), cmp_double);
	return (struct stats){v[n / 2], v[(r ? r : 1) - 1]};
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

static const struct policy_label ns_labels[3] = {{"team", "t0"}, {"team", "t1"}, {"team", "t2"}};

struct ep_data {
	char id[64], iface[16], ns[16], app[16], role[16];
	struct policy_label labels[2];
	struct addr addr;
	struct policy_endpoint ep;
};

/* Endpoint e; those below n_local and the added ones (e >= N_EPS) are on this node. */
static void make_endpoint(struct ep_data *d, int e, int n_local)
{
	char a[32];

	snprintf(d->id, sizeof(d->id), "node1/ns%d/pod%d/eth0", e % N_NS, e);
	snprintf(d->iface, sizeof(d->iface), "tb%07d", e);
	snprintf(d->ns, sizeof(d->ns), "ns%d", e % N_NS);
	snprintf(d->app, sizeof(d->app), "app%d", e % 50);
	snprintf(d->role, sizeof(d->role), "role%d", e % 20);
	snprintf(a, sizeof(a), "10.244.%d.%d", e / 250, e % 250 + 1);
	addr_parse(a, &d->addr);
	d->labels[0] = (struct policy_label){"app", d->app};
	d->labels[1] = (struct policy_label){"role", d->role};
	d->ep = (struct policy_endpoint){d->id, d->iface, d->ns, d->labels, 2, &d->addr, 1};
	if (e >= n_local && e < N_EPS)
		d->ep.iface = NULL;
}

struct bench {
	struct policy *pols[N_POLS]; /* Calico order */
	struct ep_data eds[MAX_EPS];
	int n_local;
};

static int pol_qcmp(const void *a, const void *b)
{
	return policy_cmp(*(struct policy *const *)a, *(struct policy *const *)b);
}

static void bench_init(struct bench *b, int n_local)
{
	int i;

	for (i = 0; i < N_POLS; i++)
		b->pols[i] = make_policy(i);
	qsort(b->pols, N_POLS, sizeof(b->pols[0]), pol_qcmp);
	for (i = 0; i < MAX_EPS; i++)
		make_endpoint(&b->eds[i], i, n_local);
	b->n_local = n_local;
}

static void bench_free(struct bench *b)
{
	int i;

	for (i = 0; i < N_POLS; i++)
		policy_free(b->pols[i]);
}

/* ---- Tabby ---- */

struct tabby_result {
	size_t bytes;
	double render_ms, apply_ms, full_cpu_ms;
	struct stats fast, fast_cpu, lib;
};

static int tabby_run(struct bench *b, struct tabby_result *r)
{
	double t0, c0, fast[N_ADDS], fast_cpu[N_ADDS], lib[N_ADDS_LIB];
	struct policy_state *st = policy_state_new();
	struct policy_pool pool;
	char err[4096], *text;
	int i, e, rc = 1;

	policy_state_set_policies(st, b->pols, N_POLS);
	for (i = 0; i < 3; i++) {
		char name[8];
		struct policy_namespace ns = {name, &ns_labels[i], 1};

		snprintf(name, sizeof(name), "ns%d", i);
		policy_state_set_namespace(st, &ns);
	}
	prefix_parse("10.244.0.0/16", &pool.cidr, true);
	pool.nat_outgoing = true;
	policy_state_set_pools(st, &pool, 1);
	for (i = 0; i < N_EPS; i++)
		policy_state_put_endpoint(st, &b->eds[i].ep);
	t0 = now_ms();
	c0 = cpu_ms();
	if (policy_render_full(st, &text)) {
		fprintf(stderr, "render failed\n");
		goto out;
	}
	r->render_ms = now_ms() - t0;
	r->bytes = strlen(text);
	t0 = now_ms();
	if (policy_nft_apply(text, false, err, sizeof(err))) {
		fprintf(stderr, "apply failed: %s\n", err);
		free(text);
		goto out;
	}
	r->apply_ms = now_ms() - t0;
	r->full_cpu_ms = cpu_ms() - c0;
	free(text);
	/* The pod-start path: policy_apply_endpoint_put (one netlink batch). */
	for (i = 0, e = N_EPS; i < N_ADDS; i++, e++) {
		t0 = now_ms();
		c0 = cpu_ms();
		if (policy_apply_endpoint_put(st, &b->eds[e].ep, err, sizeof(err))) {
			fprintf(stderr, "fast add failed: %s\n", err);
			goto out;
		}
		fast[i] = now_ms() - t0;
		fast_cpu[i] = cpu_ms() - c0;
	}
	/* The fallback: the same delta as nft text through libnftables. */
	for (i = 0; i < N_ADDS_LIB; i++, e++) {
		t0 = now_ms();
		if (policy_render_endpoint_put(st, &b->eds[e].ep, &text) ||
		    policy_nft_apply(text, false, err, sizeof(err))) {
			fprintf(stderr, "libnftables add failed: %s\n", err);
			goto out;
		}
		lib[i] = now_ms() - t0;
		free(text);
	}
	r->fast = stats_of(fast, N_ADDS);
	r->fast_cpu = stats_of(fast_cpu, N_ADDS);
	r->lib = stats_of(lib, N_ADDS_LIB);
	rc = 0;
out:
	policy_state_free(st);
	return rc;
}

/* ---- legacy: one linear iptables chain per local endpoint ---- */

struct legacy_result {
	size_t rules, bytes;
	double gen_ms, full_ms;
	struct stats add;
	double chains_per_add;
	int n_adds;
	bool timed_out; /* the full load took longer than RESTORE_LIMIT_MS */
};

static void ep_match(const struct ep_data *d, struct policy_match *m)
{
	int ns = atoi(d->ns + 2);

	*m = (struct policy_match){d->labels, 2, d->ns, NULL, 0};
	if (ns < 3) {
		m->ns_labels = &ns_labels[ns];
		m->n_ns_labels = 1;
	}
}

static const char *ipt_target(enum policy_action a)
{
	switch (a) {
	case POLICY_ALLOW:
		return "ACCEPT";
	case POLICY_DENY:
		return "DROP";
	case POLICY_PASS:
		return "RETURN"; /* to FORWARD's next rule: the closest to Calico's next tier */
	default:
		return "LOG";
	}
}

/* Endpoints of the legacy run: the cold 1,000 and its own adds (not Tabby's). */
static bool legacy_loaded(int e)
{
	return e < N_EPS || e >= N_EPS + N_ADDS + N_ADDS_LIB;
}

/*
 * Chain tb-<e>-<dir> of endpoint e: the rules of the policies selecting it, in order, each
 * expanded per peer address (endpoints 0..n_eps-1 matching the peer selector, or the rule's
 * nets) and per destination port range, then the default deny. *refs is set when the chain
 * names endpoint n_eps - 1's address (it changes when that endpoint is added).
 */
static size_t legacy_chain(struct bench *b, int e, enum policy_dir dir, int n_eps, FILE *f,
                           bool *refs)
{
	const char *chain_dir = dir == POLICY_INGRESS ? "in" : "eg";
	const char *peer_opt = dir == POLICY_INGRESS ? "-s" : "-d";
	struct policy_match m, pm;
	char a[PREFIX_STRLEN], proto[32], port[32];
	size_t n = 0, i, k, x, pn;
	int pe;

	ep_match(&b->eds[e], &m);
	fprintf(f, ":tb-%d-%s - [0:0]\n", e, chain_dir);
	for (i = 0; i < N_POLS; i++) {
		const struct policy *p = b->pols[i];

		if (!p->types[dir] || !policy_selector_matches(p->selector, &m))
			continue;
		for (k = 0; k < p->n_rules[dir]; k++) {
			const struct policy_rule *r = &p->rules[dir][k];
			const struct policy_entity *peer =
			    dir == POLICY_INGRESS ? &r->src : &r->dst;

			proto[0] = '\0';
			if (r->protocol == 6 || r->protocol == 17 || r->protocol == 132)
				snprintf(proto, sizeof(proto), " -p %s",
				         r->protocol == 6    ? "tcp"
				         : r->protocol == 17 ? "udp"
				                             : "sctp");
			else if (r->protocol)
				snprintf(proto, sizeof(proto), " -p %d", r->protocol);
			/* Peers: -1 stands for "any address". */
			for (pe = peer->selector || peer->n_nets ? 0 : -1;
			     pe < (peer->selector ? n_eps
			           : peer->n_nets ? (int)peer->n_nets
			                          : 0);
			     pe++) {
				a[0] = '\0';
				if (pe >= 0 && peer->selector) {
					if (!legacy_loaded(pe))
						continue;
					ep_match(&b->eds[pe], &pm);
					if (!policy_selector_matches(peer->selector, &pm))
						continue;
					addr_format(&b->eds[pe].addr, a, sizeof(a));
					if (pe == n_eps - 1)
						*refs = true;
				} else if (pe >= 0) {
					prefix_format(&peer->nets[pe], a, sizeof(a));
				}
				for (x = 0, pn = r->dst.n_ports ? r->dst.n_ports : 1; x < pn; x++) {
					port[0] = '\0';
					if (r->dst.n_ports &&
					    r->dst.ports[x].first == r->dst.ports[x].last)
						snprintf(port, sizeof(port), " --dport %u",
						         r->dst.ports[x].first);
					else if (r->dst.n_ports)
						snprintf(port, sizeof(port), " --dport %u:%u",
						         r->dst.ports[x].first,
						         r->dst.ports[x].last);
					fprintf(f, "-A tb-%d-%s%s%s%s%s%s%s -j %s\n", e, chain_dir,
					        a[0] ? " " : "", a[0] ? peer_opt : "",
					        a[0] ? " " : "", a, proto, port,
					        ipt_target(r->action));
					n++;
				}
			}
		}
	}
	fprintf(f, "-A tb-%d-%s -j DROP\n", e, chain_dir);
	return n + 1;
}

static bool legacy_is_local(const struct bench *b, int e)
{
	return b->eds[e].ep.iface != NULL;
}

/* FORWARD: conntrack first, then a jump per local endpoint and direction. */
static void legacy_jumps(FILE *f, int e)
{
	fprintf(f, "-A FORWARD -o tb%07d -j tb-%d-in\n-A FORWARD -i tb%07d -j tb-%d-eg\n", e, e, e,
	        e);
}

/*
 * Run "cmd [--noflush]" with input as stdin; wall time in ms, -1 on failure, -2 when it took
 * longer than RESTORE_LIMIT_MS (killed: the benchmark must stay short on a shared machine).
 */
static double legacy_restore(const char *cmd, bool noflush, const char *input, size_t len)
{
	FILE *in = tmpfile();
	double t0, t;
	pid_t pid;
	int status;

	if (!in || fwrite(input, 1, len, in) != len || fflush(in) ||
	    lseek(fileno(in), 0, SEEK_SET) < 0) {
		if (in)
			fclose(in);
		return -1;
	}
	t0 = now_ms();
	pid = fork();
	if (pid == 0) {
		dup2(fileno(in), 0);
		execlp(cmd, cmd, noflush ? "--noflush" : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	t = -1;
	while (pid > 0) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				t = now_ms() - t0;
			break;
		}
		if (w < 0)
			break;
		if (now_ms() - t0 > RESTORE_LIMIT_MS) {
			kill(pid, SIGKILL); /* our own child */
			waitpid(pid, &status, 0);
			t = -2;
			break;
		}
		usleep(200);
	}
	fclose(in);
	return t;
}

/* Rules in table filter as "<cmd-save>" prints them (a check that the loads took effect). */
static long legacy_count(const char *save_cmd)
{
	char line[256];
	long n = 0;
	FILE *f;

	snprintf(line, sizeof(line), "%s -t filter 2>/dev/null", save_cmd);
	f = popen(line, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "-A ", 3) == 0)
			n++;
	pclose(f);
	return n;
}

static int legacy_run(struct bench *b, const char *cmd, const char *save_cmd,
                      struct legacy_result *r)
{
	/* With 900k rules one add takes seconds (up to 30 s for iptables-nft): keep it short. */
	int n_adds = b->n_local >= N_EPS ? 5 : N_ADDS_IPT;
	double t0, adds[N_ADDS_IPT];
	size_t len, chains = 0, rules;
	char *text = NULL, *scratch = NULL;
	long want, have;
	bool refs;
	FILE *f, *g;
	int e, i, n_eps, d;

	/* Cold load: every local endpoint's two chains, the jumps, conntrack first. */
	t0 = now_ms();
	f = open_memstream(&text, &len);
	fprintf(f, "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
	r->rules = 1;
	for (e = 0; e < N_EPS; e++)
		if (legacy_is_local(b, e))
			for (d = 0; d < 2; d++)
				r->rules += legacy_chain(b, e, (enum policy_dir)d, N_EPS, f, &refs);
	fprintf(f, "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
	for (e = 0; e < N_EPS; e++)
		if (legacy_is_local(b, e)) {
			legacy_jumps(f, e);
			r->rules += 2;
		}
	fprintf(f, "COMMIT\n");
	fclose(f);
	r->gen_ms = now_ms() - t0;
	r->bytes = len;
	fprintf(stderr, "bench_policy: %s: %zu rules (%zu kB) generated in %.0f ms, loading\n", cmd,
	        r->rules, len / 1024, r->gen_ms);
	r->full_ms = legacy_restore(cmd, false, text, len);
	free(text);
	r->timed_out = r->full_ms == -2;
	if (r->timed_out)
		return 0;
	if (r->full_ms < 0) {
		fprintf(stderr, "%s: full load failed\n", cmd);
		return 1;
	}
	/*
	 * One endpoint add: its chains and jumps, and every other local chain that
	 * refers to its address rewritten (declaring an existing chain under
	 * --noflush flushes it).
	 */
	for (i = 0; i < n_adds; i++) {
		e = N_EPS + N_ADDS + N_ADDS_LIB + i;
		n_eps = e + 1;
		f = open_memstream(&text, &len);
		fprintf(f, "*filter\n");
		for (d = 0; d < 2; d++)
			legacy_chain(b, e, (enum policy_dir)d, n_eps, f, &refs);
		for (int o = 0; o < e; o++) {
			if (!legacy_is_local(b, o) || !legacy_loaded(o))
				continue;
			for (d = 0; d < 2; d++) {
				size_t slen;

				refs = false;
				g = open_memstream(&scratch, &slen);
				rules = legacy_chain(b, o, (enum policy_dir)d, n_eps, g, &refs);
				fclose(g);
				if (refs) {
					fwrite(scratch, 1, slen, f);
					chains++;
				}
				(void)rules;
				free(scratch);
				scratch = NULL;
			}
		}
		legacy_jumps(f, e);
		fprintf(f, "COMMIT\n");
		fclose(f);
		adds[i] = legacy_restore(cmd, true, text, len);
		free(text);
		if (adds[i] < 0) {
			fprintf(stderr, "%s: endpoint add failed\n", cmd);
			return 1;
		}
	}
	r->add = stats_of(adds, (size_t)n_adds);
	r->n_adds = n_adds;
	r->chains_per_add = (double)chains / n_adds;
	/* Check: the table holds the cold load plus every added endpoint's rules. */
	want = 0;
	f = open_memstream(&text, &len);
	for (e = 0; e < N_EPS + N_ADDS + N_ADDS_LIB + n_adds; e++) {
		if (!legacy_is_local(b, e) || !legacy_loaded(e))
			continue;
		for (d = 0; d < 2; d++)
			want += (long)legacy_chain(b, e, (enum policy_dir)d,
			                           N_EPS + N_ADDS + N_ADDS_LIB + n_adds, f, &refs);
		want += 2;
	}
	fclose(f);
	free(text);
	have = legacy_count(save_cmd);
	if (have != want + 1) {
		fprintf(stderr, "%s: %ld rules in the table, expected %ld\n", save_cmd, have,
		        want + 1);
		return 1;
	}
	return 0;
}

static bool have_cmd(const char *cmd)
{
	char line[256];

	snprintf(line, sizeof(line), "command -v %s >/dev/null 2>&1", cmd);
	return system(line) == 0;
}

static void print_row(const char *what, const char *full, const char *add)
{
	printf("| %-48s | %-26s | %-30s |\n", what, full, add);
}

static int bench_node(int n_local)
{
	static const char *const variants[][3] = {
	    {"iptables-legacy-restore", "iptables-legacy-save",
	     "iptables (legacy), iptables-restore"},
	    {"iptables-nft-restore", "iptables-nft-save", "iptables (nf_tables), iptables-restore"},
	};
	static struct bench b;
	struct tabby_result t;
	struct legacy_result l;
	char c1[64], c2[64], what[96];
	size_t v;
	int rc = 0;

	bench_init(&b, n_local);
	fprintf(stderr, "bench_policy: %d local endpoints: Tabby\n", n_local);
	if (unshare(CLONE_NEWNET) || tabby_run(&b, &t)) {
		bench_free(&b);
		return 1;
	}
	printf("\n%d endpoints (%d on this node, each with a veth), %d policies; one add = a new "
	       "local endpoint\n",
	       N_EPS, n_local, N_POLS);
	printf("| %-48s | %-26s | %-30s |\n|%s|%s|%s|\n", "approach", "full load (ms)",
	       "one endpoint add (ms)", "--------------------------------------------------",
	       "----------------------------", "--------------------------------");
	snprintf(c1, sizeof(c1), "%.0f (render %.0f + apply %.0f)", t.render_ms + t.apply_ms,
	         t.render_ms, t.apply_ms);
	snprintf(c2, sizeof(c2), "%.2f / p99 %.2f (CPU %.2f)", t.fast.med, t.fast.p99,
	         t.fast_cpu.med);
	snprintf(what, sizeof(what), "Tabby nft, fast path (%zu kB ruleset, %d adds)",
	         t.bytes / 1024, N_ADDS);
	print_row(what, c1, c2);
	snprintf(c2, sizeof(c2), "%.2f / p99 %.2f", t.lib.med, t.lib.p99);
	snprintf(what, sizeof(what), "Tabby nft, libnftables fallback (%d adds)", N_ADDS_LIB);
	print_row(what, "(same)", c2);
	for (v = 0; v < 2; v++) {
		if (!have_cmd(variants[v][0])) {
			print_row(variants[v][2], "not installed", "-");
			continue;
		}
		if (unshare(CLONE_NEWNET) || legacy_run(&b, variants[v][0], variants[v][1], &l)) {
			rc = 1;
			continue;
		}
		if (l.timed_out) {
			snprintf(c1, sizeof(c1), "> %.0f (%zu rules): stopped", RESTORE_LIMIT_MS,
			         l.rules);
			print_row(variants[v][2], c1, "not measured");
			continue;
		}
		snprintf(c1, sizeof(c1), "%.0f (%zu rules, %zu kB)", l.full_ms, l.rules,
		         l.bytes / 1024);
		snprintf(c2, sizeof(c2), "%.1f / p99 %.1f (%d adds, %.0f chains)", l.add.med,
		         l.add.p99, l.n_adds, l.chains_per_add);
		print_row(variants[v][2], c1, c2);
	}
	printf(
	    "Targets (Tabby): full render + apply <= 1000 ms: %s; one add <= 5 ms (median): %s\n",
	    t.render_ms + t.apply_ms <= 1000 ? "met" : "MISSED",
	    t.fast.med <= 5 ? "met" : "MISSED");
	printf("Median / p99 per add (p99 by nearest rank: with 20 or fewer adds, the maximum); "
	       "iptables-restore timed as wall time including its process start; \"chains\": "
	       "other endpoints' chains rewritten per add.\n");
	bench_free(&b);
	return rc;
}

/* Which variant plain "iptables-restore" is on this machine. */
static void print_iptables_default(void)
{
	char *path = realpath("/usr/sbin/iptables-restore", NULL);

	if (!path)
		return;
	printf("iptables-restore here is %s (%s variant)\n", path,
	       strstr(path, "nft")      ? "nf_tables"
	       : strstr(path, "legacy") ? "legacy"
	                                : "?");
	free(path);
}

/*
 * "bench_policy ruleset IFACE ADDR PEER_ADDR" (for bench_policy_iperf.sh): print the full
 * ruleset of a node whose one real pod has host veth IFACE and address ADDR, with a pod on
 * another node at PEER_ADDR, among the benchmark's 1,000 endpoints (110 local) and 500
 * policies. Both pods (role iperf, app app1 in ns3: five of the 500 policies select them too)
 * may talk TCP to each other by one more policy, "allow-iperf", first in order.
 */
static int print_ruleset(const char *iface, const char *addr, const char *peer_addr)
{
	static const char allow[] =
	    "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"NetworkPolicy\",\"metadata\":"
	    "{\"name\":\"allow-iperf\",\"namespace\":\"ns3\"},\"spec\":{\"order\":1,"
	    "\"selector\":\"role == 'iperf'\",\"types\":[\"Ingress\",\"Egress\"],\"ingress\":[{"
	    "\"action\":\"Allow\",\"protocol\":\"TCP\",\"source\":{\"selector\":\"role == "
	    "'iperf'\"}}],\"egress\":[{\"action\":\"Allow\",\"protocol\":\"TCP\","
	    "\"destination\":{\"selector\":\"role == 'iperf'\"}}]}}";
	static const struct policy_label pod_labels[] = {{"app", "app1"}, {"role", "iperf"}};
	static struct bench b;
	struct policy_state *st = policy_state_new();
	struct policy_endpoint pods[2] = {
	    {"node1/ns3/iperf/eth0", iface, "ns3", pod_labels, 2, NULL, 1},
	    {"node2/ns3/iperf/eth0", NULL, "ns3", pod_labels, 2, NULL, 1},
	};
	struct policy_pool pool;
	struct json_error err;
	struct addr a[2];
	struct policy *extra;
	char *text;
	cJSON *j;
	int i;

	if (addr_parse(addr, &a[0]) || addr_parse(peer_addr, &a[1])) {
		fprintf(stderr, "bench_policy: bad address\n");
		return 2;
	}
	pods[0].addrs = &a[0];
	pods[1].addrs = &a[1];
	bench_init(&b, 110);
	j = json_parse("allow-iperf", allow, strlen(allow), &err);
	if (!j || policy_parse(j, &extra, &err)) {
		fprintf(stderr, "allow-iperf: %s\n", err.text);
		return 1;
	}
	cJSON_Delete(j);
	policy_state_set_policies(st, b.pols, N_POLS);
	{
		struct policy *all[N_POLS + 1];

		memcpy(all, b.pols, sizeof(b.pols));
		all[N_POLS] = extra;
		policy_state_set_policies(st, all, N_POLS + 1);
	}
	policy_free(extra);
	for (i = 0; i < 3; i++) {
		char name[8];
		struct policy_namespace ns = {name, &ns_labels[i], 1};

		snprintf(name, sizeof(name), "ns%d", i);
		policy_state_set_namespace(st, &ns);
	}
	prefix_parse("10.244.0.0/16", &pool.cidr, true);
	pool.nat_outgoing = true;
	policy_state_set_pools(st, &pool, 1);
	for (i = 2; i < N_EPS; i++)
		policy_state_put_endpoint(st, &b.eds[i].ep);
	policy_state_put_endpoint(st, &pods[0]);
	policy_state_put_endpoint(st, &pods[1]);
	if (policy_render_full(st, &text)) {
		fprintf(stderr, "render failed\n");
		return 1;
	}
	fputs(text, stdout);
	free(text);
	policy_state_free(st);
	bench_free(&b);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "ruleset") == 0)
		return print_ruleset(argv[2], argv[3], argv[4]);
	if (argc != 1) {
		fprintf(stderr, "usage: bench_policy [ruleset IFACE ADDR PEER_ADDR]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "bench_policy: needs root (private network namespaces)\n");
		return 77;
	}
	/* Worst case: every endpoint local; then a typical node (110 pods). */
	print_iptables_default();
	if (bench_node(N_EPS))
		return 1;
	return bench_node(110);
}
