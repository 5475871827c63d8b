/*
 * DOC: tabbyctl ipam show / check / release, in calicoctl's words and columns.
 *
 * show: pools (and with --show-blocks their blocks) with total, used and free
 * addresses; --ip tells who holds one address; --show-borrowed lists
 * addresses held by nodes other than their block's; --show-configuration the
 * IPAMConfiguration in force.
 * check: compares the IPAM data with the workload endpoints and nodes in the
 * store (ipam_check() plus endpoints whose addresses are not allocated to
 * them), prints a summary and optionally writes a JSON report that
 * `ipam release --from-report` takes.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/ipam.h>
#include <tabby/json.h>
#include <tabby/store.h>

#include "ctl.h"

static const char ipam_usage[] =
    "usage: tabbyctl ipam show [--ip IP] [--show-blocks] [--show-borrowed] "
    "[--show-configuration]\n"
    "       tabbyctl ipam check [-o report.json]\n"
    "       tabbyctl ipam release --ip IP | --from-report FILE\n";

/* Calico's bordered table for ipam show. */
static void ctl_print_boxed(FILE *out, const char *const *header, char ***rows, size_t nrows)
{
	size_t ncols = 0, i, j, w[8] = {0};

	while (ncols < 8 && header[ncols])
		ncols++;
	for (j = 0; j < ncols; j++)
		w[j] = strlen(header[j]);
	for (i = 0; i < nrows; i++)
		for (j = 0; j < ncols; j++)
			if (strlen(rows[i][j]) > w[j])
				w[j] = strlen(rows[i][j]);
#define CTL_RULE()                                                                                 \
	do {                                                                                       \
		for (j = 0; j < ncols; j++) {                                                      \
			fputc('+', out);                                                           \
			for (size_t k_ = 0; k_ < w[j] + 2; k_++)                                   \
				fputc('-', out);                                                   \
		}                                                                                  \
		fputs("+\n", out);                                                                 \
	} while (0)
	CTL_RULE();
	for (j = 0; j < ncols; j++)
		fprintf(out, "| %-*s ", (int)w[j], header[j]);
	fputs("|\n", out);
	CTL_RULE();
	for (i = 0; i < nrows; i++) {
		for (j = 0; j < ncols; j++)
			fprintf(out, "| %-*s ", (int)w[j], rows[i][j]);
		fputs("|\n", out);
	}
	CTL_RULE();
#undef CTL_RULE
}

/*
 * Address counts: an IPv6 pool holds more than 2^64 addresses, so counts are
 * long doubles, printed exactly below 2^53 and in scientific notation above
 * (as calicoctl does). "%p" adds the percentage of total.
 */
static char *ctl_fmt(const char *fmt, long double a, long double total)
{
	char num[64], *s = NULL;

	if (a < 9007199254740992.0L)
		snprintf(num, sizeof(num), "%.0Lf", a);
	else
		snprintf(num, sizeof(num), "%.6Lg", a);
	if (fmt[1] == 'p')
		return asprintf(&s, "%s (%.0Lf%%)", num, total > 0 ? a * 100 / total : 0) < 0 ? NULL
		                                                                              : s;
	return strdup(num);
}

static long double ctl_prefix_size(const struct prefix *p)
{
	return ldexpl(1.0L, (int)addr_bits(p->addr.family) - p->len);
}

static int ctl_ipam_show_ip(struct ctl *c, struct store *s, const char *ip)
{
	struct ipam_ip_info info;
	char b[PREFIX_STRLEN];
	struct addr a;
	int ret;

	if (addr_parse(ip, &a) < 0)
		return ctl_usage_error(c, NULL, "ipam show: \"%s\" is not an IP address", ip);
	ret = ipam_ip_info(s, &a, &info);
	if (ret < 0) {
		fprintf(c->err, "tabbyctl: reading IPAM data: %s\n", store_strerror(ret));
		return CTL_EXIT_ERROR;
	}
	if (!info.in_block)
		fprintf(c->out, "IP %s is not in any allocated block\n", ip);
	else if (!info.allocated)
		fprintf(c->out, "IP %s is not assigned (block %s, affine to %s)\n", ip,
		        prefix_format(&info.block, b, sizeof(b)),
		        info.block_affinity ? info.block_affinity : "no node");
	else
		fprintf(c->out,
		        "IP %s is in use\n  block: %s (affine to %s)\n  handle: %s\n"
		        "  node: %s\n  namespace: %s\n  pod: %s\n",
		        ip, prefix_format(&info.block, b, sizeof(b)),
		        info.block_affinity ? info.block_affinity : "no node",
		        info.handle ? info.handle : "-", info.node ? info.node : "-",
		        info.namespace ? info.namespace : "-", info.pod ? info.pod : "-");
	ipam_ip_info_clear(&info);
	return CTL_EXIT_OK;
}

static int ctl_ipam_show(struct ctl *c, struct store *s, bool show_blocks, bool show_borrowed)
{
	static const char *const header[] = {"GROUPING",   "CIDR",     "IPS TOTAL",
	                                     "IPS IN USE", "IPS FREE", NULL};
	struct ipam_block_info *blocks = NULL;
	struct ipam_pool *pools = NULL;
	size_t np = 0, nb = 0, i, j, nrows = 0, r;
	char ***rows = NULL;
	char buf[PREFIX_STRLEN];
	int ret;

	if ((ret = ipam_pool_list(s, &pools, &np)) < 0 ||
	    (ret = ipam_block_list(s, &blocks, &nb)) < 0) {
		fprintf(c->err, "tabbyctl: reading IPAM data: %s\n", store_strerror(ret));
		ipam_pool_list_free(pools, np);
		return CTL_EXIT_ERROR;
	}
	rows = calloc(np + nb + 1, sizeof(*rows));
	for (i = 0; rows && i < np; i++) {
		long double total = ctl_prefix_size(&pools[i].cidr), used = 0;

		for (j = 0; j < nb; j++)
			if (prefix_contains(&pools[i].cidr, &blocks[j].cidr))
				used += blocks[j].in_use;
		rows[nrows] = calloc(5, sizeof(char *));
		if (!rows[nrows])
			break;
		rows[nrows][0] = strdup("IP Pool");
		rows[nrows][1] = strdup(prefix_format(&pools[i].cidr, buf, sizeof(buf)));
		rows[nrows][2] = ctl_fmt("%d", total, total);
		rows[nrows][3] = ctl_fmt("%p", used, total);
		rows[nrows][4] = ctl_fmt("%p", total - used, total);
		nrows++;
		for (j = 0; show_blocks && j < nb; j++) {
			if (!prefix_contains(&pools[i].cidr, &blocks[j].cidr))
				continue;
			rows[nrows] = calloc(5, sizeof(char *));
			if (!rows[nrows])
				break;
			rows[nrows][0] = strdup("Block");
			rows[nrows][1] = strdup(prefix_format(&blocks[j].cidr, buf, sizeof(buf)));
			rows[nrows][2] = ctl_fmt("%d", (long double)blocks[j].total,
			                         (long double)blocks[j].total);
			rows[nrows][3] = ctl_fmt("%p", (long double)blocks[j].in_use,
			                         (long double)blocks[j].total);
			rows[nrows][4] =
			    ctl_fmt("%p", (long double)(blocks[j].total - blocks[j].in_use),
			            (long double)blocks[j].total);
			nrows++;
		}
	}
	for (r = 0; r < nrows; r++)
		for (j = 0; j < 5; j++)
			if (!rows[r][j])
				rows[r][j] = strdup("");
	ctl_print_boxed(c->out, header, rows, nrows);
	if (show_borrowed) {
		fprintf(c->out, "\n%-24s %-24s %s\n", "BLOCK", "AFFINITY", "BORROWED IPS");
		for (j = 0; j < nb; j++)
			if (blocks[j].borrowed)
				fprintf(c->out, "%-24s %-24s %llu\n",
				        prefix_format(&blocks[j].cidr, buf, sizeof(buf)),
				        blocks[j].affinity ? blocks[j].affinity : "(none)",
				        (unsigned long long)blocks[j].borrowed);
	}
	for (r = 0; r < nrows; r++) {
		for (j = 0; j < 5; j++)
			free(rows[r][j]);
		free(rows[r]);
	}
	free(rows);
	ipam_pool_list_free(pools, np);
	ipam_block_info_free(blocks, nb);
	return CTL_EXIT_OK;
}

static int ctl_ipam_show_config(struct ctl *c, struct store *s)
{
	struct ipam_config cfg;
	int ret = ipam_config_get(s, &cfg);

	if (ret < 0) {
		fprintf(c->err, "tabbyctl: reading the IPAM configuration: %s\n",
		        store_strerror(ret));
		return CTL_EXIT_ERROR;
	}
	fprintf(c->out,
	        "+--------------------+-------+\n| PROPERTY           | VALUE |\n"
	        "+--------------------+-------+\n| StrictAffinity     | %-5s |\n"
	        "| MaxBlocksPerHost   | %-5u |\n| AutoAllocateBlocks | %-5s |\n"
	        "+--------------------+-------+\n",
	        cfg.strict_affinity ? "true" : "false", cfg.max_blocks_per_host,
	        cfg.auto_allocate_blocks ? "true" : "false");
	return CTL_EXIT_OK;
}

/* Names of the documents directly under prefix (workload endpoint ids, node names). */
static int ctl_names_under(struct store *s, const char *prefix, bool nested, char ***out, size_t *n,
                           struct store_list *keep)
{
	size_t i, cnt = 0;
	int ret = store_list(s, prefix, keep);

	*out = NULL;
	*n = 0;
	if (ret < 0)
		return ret;
	*out = calloc(keep->n ? keep->n : 1, sizeof(char *));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < keep->n; i++) {
		const char *rest = keep->kvs[i].key + strlen(prefix);
		const char *slash = strrchr(rest, '/');

		/* workloads/<node>/<id>: the id; nodes/<name>: the name. */
		if (nested ? !slash : slash != NULL)
			continue;
		(*out)[cnt++] = (char *)(nested ? slash + 1 : rest);
	}
	*n = cnt;
	return 0;
}

static cJSON *ctl_alloc_json(const struct ipam_check_alloc *a)
{
	cJSON *o = cJSON_CreateObject();
	char buf[PREFIX_STRLEN];

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "ip", addr_format(&a->addr, buf, sizeof(buf)));
	cJSON_AddStringToObject(o, "block", prefix_format(&a->block, buf, sizeof(buf)));
	cJSON_AddStringToObject(o, "handle", a->handle ? a->handle : "");
	if (a->node)
		cJSON_AddStringToObject(o, "node", a->node);
	if (a->namespace)
		cJSON_AddStringToObject(o, "namespace", a->namespace);
	if (a->pod)
		cJSON_AddStringToObject(o, "pod", a->pod);
	return o;
}

/* Workload endpoints whose addresses are not allocated to them. */
static int ctl_check_endpoints(struct store *s, const struct store_list *wl, cJSON *report,
                               size_t *count)
{
	cJSON *arr = cJSON_AddArrayToObject(report, "endpointsWithoutAllocations");
	size_t i;

	*count = 0;
	for (i = 0; arr && i < wl->n; i++) {
		cJSON *doc = cJSON_Parse(wl->kvs[i].value);
		const cJSON *nets = json_get(doc, "spec.ipNetworks"), *it;
		const char *id = strrchr(wl->kvs[i].key, '/') + 1;

		cJSON_ArrayForEach(it, nets)
		{
			struct ipam_ip_info info;
			struct prefix p;

			if (!cJSON_IsString(it) || prefix_parse(it->valuestring, &p, false) < 0 ||
			    ipam_ip_info(s, &p.addr, &info) < 0)
				continue;
			if (!info.allocated || !info.handle || strcmp(info.handle, id) != 0) {
				cJSON *o = cJSON_CreateObject();

				cJSON_AddStringToObject(o, "endpoint", id);
				cJSON_AddStringToObject(o, "ip", it->valuestring);
				cJSON_AddStringToObject(o, "allocatedTo",
				                        info.allocated && info.handle ? info.handle
				                                                      : "");
				cJSON_AddItemToArray(arr, o);
				(*count)++;
			}
			ipam_ip_info_clear(&info);
		}
		cJSON_Delete(doc);
	}
	return 0;
}

static int ctl_ipam_check(struct ctl *c, struct store *s, const char *report_path)
{
	struct store_list wl = {0}, nodes = {0};
	struct ipam_check_report r = {0};
	char **handles = NULL, **names = NULL;
	size_t nh = 0, nn = 0, i, no_alloc = 0, problems;
	cJSON *report = NULL, *arr;
	char buf[PREFIX_STRLEN];
	int ret, rc = CTL_EXIT_ERROR;

	if ((ret = ctl_names_under(s, STORE_KEY_PREFIX "workloads/", true, &handles, &nh, &wl)) <
	        0 ||
	    (ret = ctl_names_under(s, STORE_KEY_PREFIX "nodes/", false, &names, &nn, &nodes)) < 0 ||
	    (ret = ipam_check(s, (const char *const *)handles, nh, (const char *const *)names, nn,
	                      &r)) < 0) {
		fprintf(c->err, "tabbyctl: ipam check: %s\n", store_strerror(ret));
		goto out;
	}
	report = cJSON_CreateObject();
	if (!report)
		goto out;
	arr = cJSON_AddArrayToObject(report, "leakedAllocations");
	for (i = 0; arr && i < r.n_leaked; i++)
		cJSON_AddItemToArray(arr, ctl_alloc_json(&r.leaked[i]));
	arr = cJSON_AddArrayToObject(report, "unrecordedAllocations");
	for (i = 0; arr && i < r.n_unrecorded; i++)
		cJSON_AddItemToArray(arr, ctl_alloc_json(&r.unrecorded[i]));
	arr = cJSON_AddArrayToObject(report, "handlesWithoutAllocations");
	for (i = 0; arr && i < r.n_empty_handles; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(r.empty_handles[i]));
	arr = cJSON_AddArrayToObject(report, "blocksAffineToMissingNodes");
	for (i = 0; arr && i < r.n_orphan_blocks; i++)
		cJSON_AddItemToArray(
		    arr, cJSON_CreateString(prefix_format(&r.orphan_blocks[i], buf, sizeof(buf))));
	arr = cJSON_AddArrayToObject(report, "danglingAffinities");
	for (i = 0; arr && i < r.n_dangling_affinities; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(r.dangling_affinities[i]));
	ctl_check_endpoints(s, &wl, report, &no_alloc);

	fprintf(c->out, "Checking IPAM for inconsistencies...\n\n");
	fprintf(c->out,
	        "Found %zu IP pool block(s), %zu allocation(s), %zu handle(s), "
	        "%zu workload endpoint(s), %zu node(s).\n",
	        r.n_blocks, r.n_allocations, r.n_handles, nh, nn);
	for (i = 0; i < r.n_leaked; i++)
		fprintf(c->out, "  leaked: %s (handle %s, node %s): no workload endpoint\n",
		        addr_format(&r.leaked[i].addr, buf, sizeof(buf)), r.leaked[i].handle,
		        r.leaked[i].node ? r.leaked[i].node : "-");
	fprintf(c->out, "Allocations without a workload endpoint (leaked): %zu\n", r.n_leaked);
	fprintf(c->out, "Allocations not recorded in a handle: %zu\n", r.n_unrecorded);
	fprintf(c->out, "Workload endpoints without their allocation: %zu\n", no_alloc);
	fprintf(c->out, "Handles without allocations: %zu\n", r.n_empty_handles);
	fprintf(c->out, "Blocks affine to missing nodes: %zu\n", r.n_orphan_blocks);
	fprintf(c->out, "Affinities without their block: %zu\n", r.n_dangling_affinities);
	problems = ipam_check_problems(&r) + no_alloc;
	fprintf(c->out, "\n%s: %zu problem(s) found.\n", problems ? "Check failed" : "Check passed",
	        problems);
	if (report_path) {
		char *text = cJSON_Print(report);
		FILE *f = fopen(report_path, "w");

		if (!f || !text || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0) {
			fprintf(c->err, "tabbyctl: writing %s: %s\n", report_path, strerror(errno));
			cJSON_free(text);
			goto out;
		}
		cJSON_free(text);
		fprintf(c->out, "Report written to %s\n", report_path);
	}
	rc = CTL_EXIT_OK;
out:
	cJSON_Delete(report);
	ipam_check_report_free(&r);
	free(handles);
	free(names);
	store_list_free(&wl);
	store_list_free(&nodes);
	return rc;
}

static int ctl_ipam_release(struct ctl *c, struct store *s, const char *ip, const char *report)
{
	struct addr *addrs = NULL;
	size_t n = 0;
	unsigned released = 0;
	struct ipam *ipam;
	int ret, rc = CTL_EXIT_ERROR;

	if (ip) {
		addrs = calloc(1, sizeof(*addrs));
		if (!addrs || addr_parse(ip, &addrs[0]) < 0) {
			free(addrs);
			return ctl_usage_error(c, NULL, "ipam release: \"%s\" is not an IP address",
			                       ip);
		}
		n = 1;
	} else {
		struct json_error jerr;
		const cJSON *leaked, *it;
		cJSON *doc;
		FILE *f = fopen(report, "r");
		char *text = NULL;
		size_t len = 0;

		if (!f) {
			fprintf(c->err, "tabbyctl: %s: %s\n", report, strerror(errno));
			return CTL_EXIT_ERROR;
		}
		text = calloc(1, JSON_MAX_INPUT + 1);
		if (text)
			len = fread(text, 1, JSON_MAX_INPUT, f);
		fclose(f);
		doc = text ? json_parse(report, text, len, &jerr) : NULL;
		free(text);
		if (!doc) {
			fprintf(c->err, "tabbyctl: %s\n", jerr.text);
			return CTL_EXIT_ERROR;
		}
		/* Only what the check called leaked: never an address still in use. */
		leaked = json_get(doc, "leakedAllocations");
		addrs = calloc((size_t)cJSON_GetArraySize(leaked) + 1, sizeof(*addrs));
		cJSON_ArrayForEach(it, leaked)
		{
			const cJSON *ipj = cJSON_GetObjectItemCaseSensitive(it, "ip");

			if (addrs && cJSON_IsString(ipj) &&
			    addr_parse(ipj->valuestring, &addrs[n]) == 0)
				n++;
		}
		cJSON_Delete(doc);
		if (!addrs)
			return CTL_EXIT_ERROR;
	}
	ipam = ipam_new(s, "tabbyctl");
	if (!ipam)
		goto out;
	ret = ipam_release_ips(ipam, addrs, n, &released);
	if (ret < 0) {
		fprintf(c->err, "tabbyctl: ipam release: %s\n", ipam_last_error(ipam));
		ipam_free(ipam);
		goto out;
	}
	ipam_free(ipam);
	fprintf(c->out, "Released %u of %zu address(es)%s\n", released, n,
	        released < n ? " (the others were not allocated)" : "");
	rc = CTL_EXIT_OK;
out:
	free(addrs);
	return rc;
}

int ctl_cmd_ipam(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"ip", required_argument, NULL, 'i'},
	    {"show-blocks", no_argument, NULL, 'b'},
	    {"show-borrowed", no_argument, NULL, 'r'},
	    {"show-configuration", no_argument, NULL, 'C'},
	    {"output", required_argument, NULL, 'o'},
	    {"from-report", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *sub, *ip = NULL, *out = NULL, *from = NULL;
	bool blocks = false, borrowed = false, config = false;
	struct store *s;
	int opt;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(ipam_usage, argc < 2 ? c->err : c->out);
		return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
	}
	sub = argv[1];
	optind = 0;
	while ((opt = getopt_long(argc - 1, argv + 1, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			ip = optarg;
			break;
		case 'b':
			blocks = true;
			break;
		case 'r':
			borrowed = true;
			break;
		case 'C':
			config = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'h':
			fputs(ipam_usage, c->out);
			return CTL_EXIT_OK;
		default:
			fputs(ipam_usage, c->err);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind < argc - 1)
		return ctl_usage_error(c, ipam_usage, "ipam %s: unexpected argument \"%s\"", sub,
		                       argv[optind + 1]);
	if (strcmp(sub, "show") == 0) {
		if (out || from)
			return ctl_usage_error(c, ipam_usage, "ipam show: unexpected option");
		if (ctl_store(c, &s) < 0)
			return CTL_EXIT_ERROR;
		if (ip)
			return ctl_ipam_show_ip(c, s, ip);
		if (config)
			return ctl_ipam_show_config(c, s);
		return ctl_ipam_show(c, s, blocks, borrowed);
	}
	if (strcmp(sub, "check") == 0) {
		if (ip || from || blocks || borrowed || config)
			return ctl_usage_error(c, ipam_usage, "ipam check: unexpected option");
		if (ctl_store(c, &s) < 0)
			return CTL_EXIT_ERROR;
		return ctl_ipam_check(c, s, out);
	}
	if (strcmp(sub, "release") == 0) {
		if (!ip == !from)
			return ctl_usage_error(c, ipam_usage,
			                       "ipam release: give --ip IP or --from-report FILE");
		if (ctl_store(c, &s) < 0)
			return CTL_EXIT_ERROR;
		return ctl_ipam_release(c, s, ip, from);
	}
	return ctl_usage_error(c, ipam_usage, "unknown ipam command \"%s\"", sub);
}
