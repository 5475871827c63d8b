/*
 * DOC: questions to the local tabbyd over its Unix socket (HTTP/JSON, with
 * libcurl): `node status` prints Calico's BGP peer table, `version` prints
 * the client's version and, when the agent answers, the agent's.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include <tabby/json.h>
#include <tabby/prefix.h>

#include "ctl.h"

#define CTL_REPLY_MAX (16u << 20)

static const char node_usage[] = "usage: tabbyctl node status [-o table|wide|json]\n";

struct ctl_reply {
	char *data;
	size_t len;
	bool too_big;
};

static size_t ctl_curl_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct ctl_reply *r = arg;
	size_t n = size * nmemb;
	char *nd;

	if (r->len + n > CTL_REPLY_MAX) {
		r->too_big = true;
		return 0;
	}
	nd = realloc(r->data, r->len + n + 1);
	if (!nd)
		return 0;
	memcpy(nd + r->len, ptr, n);
	r->data = nd;
	r->len += n;
	r->data[r->len] = '\0';
	return n;
}

int ctl_agent_get(struct ctl *c, const char *path, cJSON **body, char *err, size_t errlen)
{
	struct ctl_reply r = {0};
	struct json_error jerr;
	char url[256];
	long status = 0;
	CURLcode cc;
	CURL *h;
	int ret = -EIO;

	*body = NULL;
	h = curl_easy_init();
	if (!h) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -ENOMEM;
	}
	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ctl_curl_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(h);
	if (cc == CURLE_COULDNT_CONNECT) {
		snprintf(err, errlen, "tabbyd is not running (nothing answers on %s)",
		         c->socket_path);
		ret = -ECONNREFUSED;
		goto out;
	}
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "asking tabbyd on %s: %s", c->socket_path,
		         r.too_big ? "reply too large" : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	*body = r.data ? json_parse("tabbyd reply", r.data, r.len, &jerr) : NULL;
	if (status == 404) {
		snprintf(err, errlen, "tabbyd does not offer %s", path);
		ret = -ENOENT;
	} else if (status != 200) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(*body, "msg");

		snprintf(err, errlen, "tabbyd answered %ld: %s", status,
		         cJSON_IsString(m) ? m->valuestring : "(no message)");
	} else if (!*body) {
		snprintf(err, errlen, "%s", jerr.text);
	} else {
		ret = 0;
	}
	if (ret < 0) {
		cJSON_Delete(*body);
		*body = NULL;
	}
out:
	free(r.data);
	curl_easy_cleanup(h);
	return ret;
}

static const char *ctl_jstr(const cJSON *o, const char *k, const char *dflt)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(j) ? j->valuestring : dflt;
}

static double ctl_jnum(const cJSON *o, const char *k)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(j) ? j->valuedouble : 0;
}

static void ctl_peer_table(struct ctl *c, const cJSON *peers, int family, bool wide)
{
	static const char *const cols[] = {"PEER ADDRESS", "PEER TYPE",  "STATE",
	                                   "SINCE",        "INFO",       "RECEIVED",
	                                   "ACCEPTED",     "ADVERTISED", NULL};
	const cJSON *p;
	size_t n = 0, ncols = wide ? 8 : 5, i, j, w[8];
	char cell[8][96];

	cJSON_ArrayForEach(p, peers)
	{
		struct addr a;

		if (addr_parse(ctl_jstr(p, "address", ""), &a) == 0 && a.family == family)
			n++;
	}
	fprintf(c->out, "%s BGP status\n", family == AF_INET ? "IPv4" : "IPv6");
	if (!n) {
		fprintf(c->out, "No %s peers found.\n\n", family == AF_INET ? "IPv4" : "IPv6");
		return;
	}
	for (j = 0; j < ncols; j++)
		w[j] = strlen(cols[j]);
	/* Two passes: widths, then the rows. */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			for (j = 0; j < ncols; j++) {
				fputc('+', c->out);
				for (i = 0; i < w[j] + 2; i++)
					fputc('-', c->out);
			}
			fputs("+\n", c->out);
			for (j = 0; j < ncols; j++)
				fprintf(c->out, "| %-*s ", (int)w[j], cols[j]);
			fputs("|\n", c->out);
			for (j = 0; j < ncols; j++) {
				fputc('+', c->out);
				for (i = 0; i < w[j] + 2; i++)
					fputc('-', c->out);
			}
			fputs("+\n", c->out);
		}
		cJSON_ArrayForEach(p, peers)
		{
			struct addr a;
			const char *state = ctl_jstr(p, "state", "?");
			const char *err = ctl_jstr(p, "last_error", "");

			if (addr_parse(ctl_jstr(p, "address", ""), &a) != 0 || a.family != family)
				continue;
			snprintf(cell[0], sizeof(cell[0]), "%s", ctl_jstr(p, "address", ""));
			snprintf(cell[1], sizeof(cell[1]), "%s",
			         ctl_jstr(p, "description",
			                  strcmp(ctl_jstr(p, "type", ""), "ebgp") == 0
			                      ? "eBGP peer"
			                      : "iBGP peer"));
			snprintf(cell[2], sizeof(cell[2]), "%s",
			         strcmp(state, "Established") == 0 ? "up" : "start");
			snprintf(cell[3], sizeof(cell[3]), "%s", ctl_jstr(p, "since", ""));
			/* The last error explains a session that is down, not one that is up. */
			if (strcmp(state, "Established") == 0)
				snprintf(cell[4], sizeof(cell[4]), "%s", state);
			else
				snprintf(cell[4], sizeof(cell[4]), "%s%s%s", state, *err ? " " : "",
				         err);
			snprintf(cell[5], sizeof(cell[5]), "%.0f",
			         ctl_jnum(p, "prefixes_received"));
			snprintf(cell[6], sizeof(cell[6]), "%.0f",
			         ctl_jnum(p, "prefixes_accepted"));
			snprintf(cell[7], sizeof(cell[7]), "%.0f",
			         ctl_jnum(p, "prefixes_advertised"));
			for (j = 0; j < ncols; j++) {
				if (pass == 0 && strlen(cell[j]) > w[j])
					w[j] = strlen(cell[j]);
				if (pass == 1)
					fprintf(c->out, "| %-*s ", (int)w[j], cell[j]);
			}
			if (pass == 1)
				fputs("|\n", c->out);
		}
	}
	for (j = 0; j < ncols; j++) {
		fputc('+', c->out);
		for (i = 0; i < w[j] + 2; i++)
			fputc('-', c->out);
	}
	fputs("+\n\n", c->out);
}

int ctl_cmd_node(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char err[512];
	cJSON *body;
	int opt;

	if (argc < 2 || strcmp(argv[1], "status") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(node_usage, c->out);
			return CTL_EXIT_OK;
		}
		return ctl_usage_error(c, node_usage, "node: the only command is \"status\"");
	}
	optind = 0;
	while ((opt = getopt_long(argc - 1, argv + 1, "o:h", opts, NULL)) != -1) {
		if (opt == 'o') {
			if (ctl_parse_output(optarg, &c->output) < 0 || c->output == CTL_OUT_YAML)
				return ctl_usage_error(c, node_usage,
				                       "unknown output format \"%s\"", optarg);
		} else if (opt == 'h') {
			fputs(node_usage, c->out);
			return CTL_EXIT_OK;
		} else {
			fputs(node_usage, c->err);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind < argc - 1)
		return ctl_usage_error(c, node_usage, "node status: unexpected argument \"%s\"",
		                       argv[optind + 1]);
	if (ctl_agent_get(c, "/v1/bgp", &body, err, sizeof(err)) < 0) {
		fprintf(c->err, "tabbyctl: %s\n", err);
		return CTL_EXIT_ERROR;
	}
	if (c->output == CTL_OUT_JSON) {
		ctl_print_json(c->out, body);
	} else if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(body, "enabled"))) {
		fprintf(c->out, "Tabby process is running.\n\nBGP is not enabled on this node.\n");
	} else {
		const cJSON *peers = cJSON_GetObjectItemCaseSensitive(body, "peers");

		fprintf(c->out, "Tabby process is running.\n\n");
		ctl_peer_table(c, peers, AF_INET, c->output == CTL_OUT_WIDE);
		ctl_peer_table(c, peers, AF_INET6, c->output == CTL_OUT_WIDE);
	}
	cJSON_Delete(body);
	return CTL_EXIT_OK;
}

int ctl_cmd_version(struct ctl *c, int argc, char **argv)
{
	char err[512];
	cJSON *body;

	if (argc > 1) {
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
			fputs("usage: tabbyctl version\n", c->out);
			return CTL_EXIT_OK;
		}
		return ctl_usage_error(c, "usage: tabbyctl version\n",
		                       "version takes no arguments");
	}
	fprintf(c->out, "Client Version:    %s\n", PACKAGE_VERSION);
	if (ctl_agent_get(c, "/v1/status", &body, err, sizeof(err)) == 0) {
		fprintf(c->out, "Agent Version:     %s\n", ctl_jstr(body, "version", "unknown"));
		fprintf(c->out, "Agent Node:        %s\n", ctl_jstr(body, "node", "unknown"));
		cJSON_Delete(body);
	} else {
		fprintf(c->out, "Agent Version:     unavailable (%s)\n", err);
	}
	return CTL_EXIT_OK;
}
