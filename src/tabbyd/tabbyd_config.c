/*
 * DOC: tabbyd's node-local configuration file (doc/tabbyd.yaml.5).
 *
 *   nodeName: node-1                       # default: the hostname
 *   datastore: sqlite:/var/lib/tabby/tabby.db   # store URL or SQLite path
 *   addresses: [198.18.0.1/24, 2001:db8::1/64]  # the node's underlay addresses
 *   logLevel: info                         # error, warning, notice, info, debug
 *   apiSocket: /run/tabby/tabbyd.sock
 *   mtu: 1500                              # pod MTU (default: from the node's links)
 *   labels: {rack: r1}                     # labels of the Node (pools' nodeSelector)
 *   bootstrapPools:                        # IPPools created at start when absent
 *     - {name: default-ipv4, cidr: 10.244.0.0/16, blockSize: 26, natOutgoing: false,
 *        nodeSelector: "all()"}
 *   bgp: {enabled: true, asNumber: 64512, peers: [...], originate: [...]}  # bgp_config.c
 *   policy: {enabled: true}                # network policy (policy_agent.c)
 *
 * Unknown keys are errors (a typo must not silently fall back to a default).
 * Every error names file, line, column and field, through the common YAML
 * loader (include/tabby/yaml.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tabby/log.h>
#include <tabby/yaml.h>

#include "tabbyd.h"

static int tabbyd_config_strdup(const char *s, char **out)
{
	free(*out);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int tabbyd_config_defaults(struct tabbyd_config *cfg)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	cfg->log_level = LOG_INFO;
	cfg->policy_enabled = true;
	if (tabbyd_config_strdup(host, &cfg->node_name) < 0 ||
	    tabbyd_config_strdup(TABBYD_DEFAULT_STORE, &cfg->datastore) < 0 ||
	    tabbyd_config_strdup(TABBYD_DEFAULT_SOCKET, &cfg->api_socket) < 0)
		return -ENOMEM;
	return 0;
}

static bool tabbyd_node_name_valid(const char *s)
{
	const char *p;

	if (!s[0] || strlen(s) > 253)
		return false;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '.' || (*p >= 'A' && *p <= 'Z') || *p == '_'))
			return false;
	return true;
}

static int tabbyd_config_pools(const struct yaml_node *seq, struct tabbyd_config *cfg,
                               struct yaml_error *err)
{
	static const char *const keys[] = {"name",        "cidr",         "blockSize",
	                                   "natOutgoing", "nodeSelector", NULL};
	size_t i;
	int r;

	if (seq->kind != YAML_KIND_SEQUENCE)
		return yaml_node_error(seq, err, "expected a sequence of pools, got %s",
		                       yaml_kind_name(seq->kind));
	if (seq->count > TABBYD_MAX_POOLS)
		return yaml_node_error(seq, err, "at most %d pools", TABBYD_MAX_POOLS);
	for (i = 0; i < seq->count; i++) {
		const struct yaml_node *p = seq->items[i];
		struct tabbyd_pool_config *pc = &cfg->pools[cfg->n_pools];
		const char *s;
		struct prefix pfx;
		int64_t bs;

		if ((r = yaml_expect_mapping(p, err)) < 0 ||
		    (r = yaml_check_keys(p, keys, err)) < 0)
			return r;
		cfg->n_pools++;
		if ((r = yaml_get_string(p, "name", &s, err)) < 0)
			return r == -ENOENT ? yaml_key_error(p, "name", err, "a pool needs a name")
			                    : r;
		if ((r = tabbyd_config_strdup(s, &pc->name)) < 0)
			return r;
		if ((r = yaml_get_string(p, "cidr", &s, err)) < 0)
			return r == -ENOENT ? yaml_key_error(p, "cidr", err, "a pool needs a cidr")
			                    : r;
		if (prefix_parse(s, &pfx, true) < 0)
			return yaml_node_error(yaml_map_get(p, "cidr"), err,
			                       "\"%s\" is not a network prefix (host bits must be "
			                       "zero)",
			                       s);
		if ((r = tabbyd_config_strdup(s, &pc->cidr)) < 0)
			return r;
		r = yaml_get_int(p, "blockSize", 1, 128, &bs, err);
		if (r < 0 && r != -ENOENT)
			return r;
		pc->block_size = r == 0 ? (unsigned)bs : 0;
		r = yaml_get_bool(p, "natOutgoing", &pc->nat_outgoing, err);
		if (r < 0 && r != -ENOENT)
			return r;
		r = yaml_get_string(p, "nodeSelector", &s, err);
		if (r == 0 && (r = tabbyd_config_strdup(s, &pc->node_selector)) < 0)
			return r;
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return 0;
}

/* labels: {key: value, ...} for the Node resource (pools select nodes by them). */
static int tabbyd_config_labels(const struct yaml_node *root, struct tabbyd_config *cfg,
                                struct yaml_error *err)
{
	const struct yaml_node *map = yaml_map_get(root, "labels");
	size_t i;
	int r;

	if (!map || yaml_node_is_null(map))
		return 0;
	if ((r = yaml_expect_mapping(map, err)) < 0)
		return r;
	if (map->count > TABBYD_MAX_LABELS)
		return yaml_node_error(map, err, "at most %d labels", TABBYD_MAX_LABELS);
	for (i = 0; i < map->count; i++) {
		const char *v;

		if ((r = yaml_node_string(map->pairs[i].value, &v, err)) < 0)
			return r;
		cfg->label_keys[i] = strdup(yaml_node_str(map->pairs[i].key));
		cfg->label_values[i] = strdup(v);
		cfg->n_labels++;
		if (!cfg->label_keys[i] || !cfg->label_values[i])
			return -ENOMEM;
	}
	return 0;
}

/* "198.18.0.1/24" keeps the address (host bits and all) and the length. */
static int tabbyd_config_underlay(const char *s, struct prefix *out)
{
	char a[ADDR_STRLEN + 8];
	struct prefix p;
	char *slash;

	if (strlen(s) >= sizeof(a) || prefix_parse(s, &p, false) < 0)
		return -EINVAL;
	memcpy(a, s, strlen(s) + 1);
	slash = strchr(a, '/');
	if (slash)
		*slash = '\0';
	if (addr_parse(a, &out->addr) < 0)
		return -EINVAL;
	out->len = p.len;
	return 0;
}

static int tabbyd_config_addresses(const struct yaml_node *root, struct tabbyd_config *cfg,
                                   struct yaml_error *err)
{
	const struct yaml_node *seq = yaml_map_get(root, "addresses");
	size_t i;

	if (!seq || yaml_node_is_null(seq))
		return 0;
	if (seq->kind != YAML_KIND_SEQUENCE)
		return yaml_node_error(seq, err, "expected a sequence of addresses, got %s",
		                       yaml_kind_name(seq->kind));
	if (seq->count > TABBYD_MAX_UNDERLAY)
		return yaml_node_error(seq, err, "at most %d addresses", TABBYD_MAX_UNDERLAY);
	for (i = 0; i < seq->count; i++) {
		const char *s;
		int r = yaml_node_string(seq->items[i], &s, err);

		if (r < 0)
			return r;
		if (tabbyd_config_underlay(s, &cfg->underlay[i]) < 0)
			return yaml_node_error(seq->items[i], err,
			                       "\"%s\" is not an IP address (with optional /len)",
			                       s);
		cfg->n_underlay++;
	}
	return 0;
}

/* `policy: {enabled: true}` (policy_agent.c). */
static int tabbyd_config_policy(const struct yaml_node *root, struct tabbyd_config *cfg,
                                struct yaml_error *err)
{
	static const char *const keys[] = {"enabled", NULL};
	const struct yaml_node *map = yaml_map_get(root, "policy");
	int r;

	if (!map || yaml_node_is_null(map))
		return 0;
	if ((r = yaml_expect_mapping(map, err)) < 0 || (r = yaml_check_keys(map, keys, err)) < 0)
		return r;
	r = yaml_get_bool(map, "enabled", &cfg->policy_enabled, err);
	return r == -ENOENT ? 0 : r;
}

static int tabbyd_config_root(const struct yaml_node *root, struct tabbyd_config *cfg,
                              struct yaml_error *err)
{
	static const char *const keys[] = {
	    "nodeName",       "datastore", "addresses", "logLevel", "apiSocket", "mtu",
	    "bootstrapPools", "labels",    "bgp",       "policy",   NULL};
	const struct yaml_node *n;
	const char *s;
	int64_t v;
	int r;

	if ((r = yaml_expect_mapping(root, err)) < 0 || (r = yaml_check_keys(root, keys, err)) < 0)
		return r;
	if ((r = yaml_get_string(root, "nodeName", &s, err)) == 0) {
		if (!tabbyd_node_name_valid(s))
			return yaml_node_error(yaml_map_get(root, "nodeName"), err,
			                       "\"%s\" is not a valid node name", s);
		if ((r = tabbyd_config_strdup(s, &cfg->node_name)) < 0)
			return r;
	} else if (r != -ENOENT) {
		return r;
	}
	if ((r = yaml_get_string(root, "datastore", &s, err)) == 0) {
		if (!s[0])
			return yaml_node_error(yaml_map_get(root, "datastore"), err,
			                       "empty datastore");
		if ((r = tabbyd_config_strdup(s, &cfg->datastore)) < 0)
			return r;
	} else if (r != -ENOENT) {
		return r;
	}
	if ((r = yaml_get_string(root, "logLevel", &s, err)) == 0) {
		cfg->log_level = log_level_parse(s);
		if (cfg->log_level < 0)
			return yaml_node_error(
			    yaml_map_get(root, "logLevel"), err,
			    "\"%s\" is not error, warning, notice, info or debug", s);
	} else if (r != -ENOENT) {
		return r;
	}
	if ((r = yaml_get_string(root, "apiSocket", &s, err)) == 0) {
		if (s[0] != '/' || strlen(s) >= 108)
			return yaml_node_error(yaml_map_get(root, "apiSocket"), err,
			                       "expected an absolute path shorter than 108 bytes");
		if ((r = tabbyd_config_strdup(s, &cfg->api_socket)) < 0)
			return r;
	} else if (r != -ENOENT) {
		return r;
	}
	r = yaml_get_int(root, "mtu", 68, 65535, &v, err);
	if (r == 0)
		cfg->mtu = (unsigned)v;
	else if (r != -ENOENT)
		return r;
	if ((r = tabbyd_config_addresses(root, cfg, err)) < 0 ||
	    (r = tabbyd_config_labels(root, cfg, err)) < 0)
		return r;
	n = yaml_map_get(root, "bootstrapPools");
	if (n && !yaml_node_is_null(n) && (r = tabbyd_config_pools(n, cfg, err)) < 0)
		return r;
	if ((r = tabbyd_config_policy(root, cfg, err)) < 0)
		return r;
	/* After the addresses: the router ID defaults to the first IPv4 one. */
	return tabbyd_bgp_config_parse(root, cfg, err);
}

int tabbyd_config_load(const char *path, bool must_exist, struct tabbyd_config *cfg, char *err,
                       size_t errlen)
{
	struct yaml_stream *ys = NULL;
	struct yaml_error yerr = {0};
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	ret = tabbyd_config_defaults(cfg);
	if (ret < 0)
		goto out;
	if (!path)
		path = TABBYD_DEFAULT_CONFIG;
	ret = tabbyd_config_strdup(path, &cfg->path);
	if (ret < 0)
		goto out;
	ret = tabbyd_bgp_config_parse(NULL, cfg, &yerr); /* the defaults of bgp: */
	if (ret < 0)
		goto out;
	if (!must_exist && access(path, F_OK) < 0 && errno == ENOENT) {
		ret = 0; /* no file at the default place: all defaults */
		goto out;
	}
	ret = yaml_load_single(path, &ys, &yerr);
	if (ret < 0) {
		if (!yerr.text[0])
			snprintf(yerr.text, sizeof(yerr.text), "%s: %s", path, strerror(-ret));
		snprintf(err, errlen, "%s", yerr.text);
		goto out;
	}
	if (ys->ndocs == 0 || yaml_node_is_null(ys->docs[0])) {
		ret = 0; /* an empty file: all defaults */
		goto out;
	}
	ret = tabbyd_config_root(ys->docs[0], cfg, &yerr);
	if (ret < 0)
		snprintf(err, errlen, "%s", ret == -ENOMEM ? "out of memory" : yerr.text);
out:
	yaml_stream_free(ys);
	if (ret < 0 && ret != -ENOMEM && !err[0])
		snprintf(err, errlen, "%s: %s", path ? path : "config", strerror(-ret));
	if (ret < 0)
		tabbyd_config_free(cfg); /* nothing half-loaded is left to the caller */
	return ret;
}

void tabbyd_config_free(struct tabbyd_config *cfg)
{
	size_t i;

	free(cfg->path);
	free(cfg->node_name);
	free(cfg->datastore);
	free(cfg->api_socket);
	for (i = 0; i < cfg->n_pools; i++) {
		free(cfg->pools[i].name);
		free(cfg->pools[i].cidr);
		free(cfg->pools[i].node_selector);
	}
	for (i = 0; i < cfg->n_labels; i++) {
		free(cfg->label_keys[i]);
		free(cfg->label_values[i]);
	}
	tabbyd_bgp_config_free(&cfg->bgp);
	memset(cfg, 0, sizeof(*cfg));
}
