/*
 * DOC: the BGPConfiguration's export settings, parsed (pure; routing_export.c uses them).
 *
 * From the document /tabby/v1/bgpconfig/default: the service CIDRs every node
 * originates (serviceClusterIPs, serviceExternalIPs, serviceLoadBalancerIPs;
 * repeats dropped, a bare address taken as a host prefix) and the
 * communities of spec.prefixAdvertisements: RFC 1997 "A:B" and RFC 8092
 * large "A:B:C", each a literal or the name of a spec.communities entry. A
 * malformed document is refused with the field named ("spec.x[i].y: what").
 * The store can be written by other means than tabbyctl, so this is
 * untrusted input: fuzzed by tests/fuzz/fuzz_routing_config.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/json.h>
#include <tabby/log.h>

#include "tabbyd.h"

#define ROUTING_EXPORT_MAX_CIDRS TABBYD_BGP_MAX_ORIGINS

/* p at the end of v, unless it is there already. */
static int routing_export_append(struct prefix **v, size_t *n, const struct prefix *p)
{
	struct prefix *nv;
	size_t i;

	for (i = 0; i < *n; i++)
		if (prefix_eq(&(*v)[i], p))
			return 0;
	if (*n >= ROUTING_EXPORT_MAX_CIDRS)
		return -E2BIG;
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = *p;
	*v = nv;
	return 0;
}

static bool routing_export_number(const char **s, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)**s))
		return false;
	errno = 0;
	*out = strtoul(*s, &end, 10);
	if (errno || *out > UINT32_MAX)
		return false;
	*s = end;
	return true;
}

/*
 * RFC 1997 "A:B" (0-65535 each) into *out = A << 16 | B: returns 0; RFC 8092
 * "A:B:C" (32 bits each) into *large: returns 1; -EINVAL otherwise.
 */
static int routing_export_community(const char *s, uint32_t *out, struct bgp_large_community *large)
{
	unsigned long a, b, c;

	if (!routing_export_number(&s, &a) || *s++ != ':' || !routing_export_number(&s, &b))
		return -EINVAL;
	if (*s == ':') {
		s++;
		if (!routing_export_number(&s, &c) || *s)
			return -EINVAL;
		*large = (struct bgp_large_community){(uint32_t)a, (uint32_t)b, (uint32_t)c};
		return 1;
	}
	if (*s || a > 0xffff || b > 0xffff)
		return -EINVAL;
	*out = (uint32_t)(a << 16 | b);
	return 0;
}

/* spec.communities: check every {name, value}; names point into root. */
static int routing_export_names(const cJSON *root, const char ***names, const char ***values,
                                size_t *n, struct json_error *je)
{
	const cJSON *arr;
	char path[JSON_PATH_MAX];
	struct bgp_large_community lv;
	uint32_t v;
	int ret, i, cnt;

	*n = 0;
	ret = json_get_array(root, "spec.communities", &arr, je);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	cnt = cJSON_GetArraySize(arr);
	*names = calloc(cnt ? cnt : 1, sizeof(**names));
	*values = calloc(cnt ? cnt : 1, sizeof(**values));
	if (!*names || !*values)
		return -ENOMEM;
	for (i = 0; i < cnt; i++) {
		snprintf(path, sizeof(path), "spec.communities[%d].name", i);
		ret = json_get_string(root, path, &(*names)[i], je);
		if (ret < 0)
			return -EINVAL;
		snprintf(path, sizeof(path), "spec.communities[%d].value", i);
		ret = json_get_string(root, path, &(*values)[i], je);
		if (ret < 0)
			return -EINVAL;
		ret = routing_export_community((*values)[i], &v, &lv);
		if (ret == -EINVAL)
			return json_error_at(je, path, "\"%.64s\" is not a community A:B or A:B:C",
			                     (*values)[i]);
		(*n)++;
	}
	return 0;
}

/* spec.prefixAdvertisements[i]: its CIDR and communities (names resolved). */
static int routing_export_adv_parse(const cJSON *root, int i, const char **names,
                                    const char **values, size_t n_names,
                                    struct routing_export_adv *adv, struct json_error *je)
{
	const cJSON *arr;
	char path[JSON_PATH_MAX];
	const char *s, *lit;
	struct bgp_large_community lv;
	uint32_t v;
	size_t k;
	int ret, j, cnt;

	memset(adv, 0, sizeof(*adv));
	snprintf(path, sizeof(path), "spec.prefixAdvertisements[%d].cidr", i);
	ret = json_get_prefix(root, path, true, &adv->cidr, je);
	if (ret < 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "spec.prefixAdvertisements[%d].communities", i);
	ret = json_get_array(root, path, &arr, je);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	cnt = cJSON_GetArraySize(arr);
	for (j = 0; j < cnt; j++) {
		snprintf(path, sizeof(path), "spec.prefixAdvertisements[%d].communities[%d]", i, j);
		if (json_get_string(root, path, &s, je) < 0)
			return -EINVAL;
		lit = s;
		for (k = 0; k < n_names; k++)
			if (strcmp(names[k], s) == 0) {
				lit = values[k];
				break;
			}
		ret = routing_export_community(lit, &v, &lv);
		if (ret < 0)
			return json_error_at(
			    je, path,
			    "\"%.64s\" is neither a name in spec.communities nor a "
			    "community A:B or A:B:C",
			    s);
		if (ret == 1) {
			if (adv->n_large >= TABBYD_BGP_MAX_COMMS)
				return json_error_at(je, path, "more than %d large communities",
				                     TABBYD_BGP_MAX_COMMS);
			adv->large[adv->n_large++] = lv;
			continue;
		}
		if (adv->n_communities >= TABBYD_BGP_MAX_COMMS)
			return json_error_at(je, path, "more than %d communities",
			                     TABBYD_BGP_MAX_COMMS);
		adv->communities[adv->n_communities++] = v;
	}
	return 0;
}

void routing_export_bgpconfig_free(struct routing_export_bgpconfig *c)
{
	free(c->services);
	free(c->advs);
	memset(c, 0, sizeof(*c));
}

int routing_export_bgpconfig_parse(const char *json, struct routing_export_bgpconfig *out,
                                   char *err, size_t errlen)
{
	static const char *const lists[] = {"serviceClusterIPs", "serviceExternalIPs",
	                                    "serviceLoadBalancerIPs"};
	struct json_error je = {0};
	const char **names = NULL, **values = NULL;
	size_t n_names = 0, l;
	const cJSON *arr = NULL, *spec;
	char path[JSON_PATH_MAX];
	struct prefix p;
	cJSON *root;
	int ret, i, cnt;

	memset(out, 0, sizeof(*out));
	root = json_parse(ROUTING_EXPORT_BGPCONFIG_KEY, json, strlen(json), &je);
	if (!root) {
		ret = -EINVAL;
		goto out;
	}
	ret = json_get_object(root, "spec", &spec, &je);
	if (ret == -ENOENT) {
		ret = 0;
		goto out;
	}
	for (l = 0; ret == 0 && l < sizeof(lists) / sizeof(lists[0]); l++) {
		snprintf(path, sizeof(path), "spec.%s", lists[l]);
		ret = json_get_array(root, path, &arr, &je);
		if (ret == -ENOENT) {
			ret = 0;
			continue;
		}
		cnt = ret == 0 ? cJSON_GetArraySize(arr) : 0;
		for (i = 0; ret == 0 && i < cnt; i++) {
			snprintf(path, sizeof(path), "spec.%s[%d].cidr", lists[l], i);
			ret = json_get_prefix(root, path, true, &p, &je);
			if (ret == 0)
				ret = routing_export_append(&out->services, &out->n_services, &p);
			if (ret == -E2BIG)
				ret = json_error_at(&je, path, "more than %d service CIDRs",
				                    ROUTING_EXPORT_MAX_CIDRS);
		}
	}
	if (ret == 0)
		ret = routing_export_names(root, &names, &values, &n_names, &je);
	if (ret == 0) {
		ret = json_get_array(root, "spec.prefixAdvertisements", &arr, &je);
		if (ret == -ENOENT) {
			ret = 0;
			goto out;
		}
	}
	cnt = ret == 0 ? cJSON_GetArraySize(arr) : 0;
	if (cnt > 0) {
		out->advs = calloc(cnt, sizeof(*out->advs));
		if (!out->advs)
			ret = -ENOMEM;
	}
	for (i = 0; ret == 0 && i < cnt; i++) {
		ret = routing_export_adv_parse(root, i, names, values, n_names, &out->advs[i], &je);
		out->n_advs += ret == 0;
	}
out:
	if (ret == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
	} else if (ret < 0) {
		snprintf(err, errlen, "%s", je.text); /* a missing field is malformed too */
		ret = -EINVAL;
	}
	if (ret < 0)
		routing_export_bgpconfig_free(out);
	free(names);
	free(values);
	cJSON_Delete(root);
	return ret;
}

size_t routing_export_communities(const struct routing_export_bgpconfig *c, const struct prefix *p,
                                  uint32_t *out, size_t max)
{
	size_t i, j, k, n = 0;

	for (i = 0; i < c->n_advs; i++) {
		if (!prefix_contains(&c->advs[i].cidr, p))
			continue;
		for (j = 0; j < c->advs[i].n_communities && n < max; j++) {
			for (k = 0; k < n && out[k] != c->advs[i].communities[j]; k++)
				;
			if (k == n)
				out[n++] = c->advs[i].communities[j];
		}
	}
	return n;
}

size_t routing_export_large_communities(const struct routing_export_bgpconfig *c,
                                        const struct prefix *p, struct bgp_large_community *out,
                                        size_t max)
{
	size_t i, j, k, n = 0;

	for (i = 0; i < c->n_advs; i++) {
		if (!prefix_contains(&c->advs[i].cidr, p))
			continue;
		for (j = 0; j < c->advs[i].n_large && n < max; j++) {
			const struct bgp_large_community *l = &c->advs[i].large[j];

			for (k = 0; k < n && memcmp(&out[k], l, sizeof(*l)) != 0; k++)
				;
			if (k == n) /* RFC 8092 5: no duplicates */
				out[n++] = *l;
		}
	}
	return n;
}
