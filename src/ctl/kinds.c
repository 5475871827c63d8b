/*
 * DOC: the resource kinds tabbyctl knows, in Calico's projectcalico.org/v3
 * shapes, with their store keys and their validation.
 *
 * Each kind's spec is described by a table of fields (name, type, whether
 * Tabby implements it). Validation walks the document against the table:
 * a field of the wrong type or an unknown field is an error naming its path
 * (Calico's own decoder is strict too, and a typo must not pass silently);
 * a field that Calico defines but Tabby does not implement is accepted with
 * a warning naming it; a value Tabby cannot honour (an overlay mode, say) is
 * rejected. Kind-specific checks follow (IPPool goes through the IPAM
 * library's own validation, so tabbyctl and the agent agree).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/ipam.h>
#include <tabby/prefix.h>
#include <tabby/store.h>

#include "ctl.h"

enum ctl_type {
	CT_STRING,
	CT_BOOL,
	CT_INT,
	CT_ASN,      /* 1..4294967295, number or "64512" or asdot "1.10" */
	CT_CIDR,     /* canonical prefix */
	CT_ADDR,     /* address */
	CT_IFADDR,   /* address with optional /len ("198.18.0.1/24") */
	CT_PEERADDR, /* address, "IPv4:port" or "[IPv6]:port" */
	CT_DURATION, /* Go duration: "120s", "1m30s" */
	CT_OBJECT,   /* nested fields */
	CT_LIST,     /* array of objects with nested fields */
	CT_STRINGS,  /* array of strings */
	CT_MAP,      /* string -> string (labels) */
	CT_ANY,      /* not inspected (only for fields that warn) */
};

enum ctl_support {
	CS_YES,  /* implemented */
	CS_WARN, /* Calico's, accepted, not implemented: warn */
};

struct ctl_field {
	const char *name;
	enum ctl_type type;
	enum ctl_support support;
	int64_t min, max;                 /* CT_INT */
	const char *const *values;        /* CT_STRING: allowed values, or NULL */
	const struct ctl_field *children; /* CT_OBJECT, CT_LIST */
};

#define F_END                                                                                      \
	{                                                                                          \
		NULL, 0, 0, 0, 0, NULL, NULL                                                       \
	}

struct ctl_check {
	char *path;
	size_t pathlen;
	char *msg;
	size_t msglen;
	void (*warn)(void *arg, const char *field, const char *what);
	void *arg;
};

static int ctl_fail(struct ctl_check *ck, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int ctl_fail(struct ctl_check *ck, const char *path, const char *fmt, ...)
{
	va_list ap;

	snprintf(ck->path, ck->pathlen, "%s", path);
	va_start(ap, fmt);
	vsnprintf(ck->msg, ck->msglen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- value checks ---- */

static bool ctl_duration_valid(const char *s)
{
	static const char *const units[] = {"ns", "us", "µs", "ms", "s", "m", "h", NULL};
	bool any = false;
	size_t i, n;

	if (strcmp(s, "0") == 0)
		return true;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s) || *s == '.')
			s++;
		for (i = 0; units[i]; i++) {
			n = strlen(units[i]);
			/* "m" must not swallow the "m" of "ms". */
			if (strncmp(s, units[i], n) == 0 &&
			    !(strcmp(units[i], "m") == 0 && s[1] == 's'))
				break;
		}
		if (!units[i])
			return false;
		s += strlen(units[i]);
		any = true;
	}
	return any;
}

static int ctl_asn_parse(const cJSON *v, uint32_t *out)
{
	unsigned long hi, lo;
	char *end;

	if (cJSON_IsNumber(v)) {
		if (v->valuedouble < 1 || v->valuedouble > 4294967295.0 ||
		    v->valuedouble != (double)(uint32_t)v->valuedouble)
			return -EINVAL;
		*out = (uint32_t)v->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(v) || !isdigit((unsigned char)v->valuestring[0]))
		return -EINVAL;
	errno = 0;
	hi = strtoul(v->valuestring, &end, 10);
	if (*end == '.') { /* RFC 5396 asdot */
		lo = strtoul(end + 1, &end, 10);
		if (*end || hi > 65535 || lo > 65535)
			return -EINVAL;
		*out = (uint32_t)(hi << 16 | lo);
	} else {
		if (*end || errno || hi > 4294967295UL)
			return -EINVAL;
		*out = (uint32_t)hi;
	}
	return *out ? 0 : -EINVAL;
}

static bool ctl_peer_addr_valid(const char *s)
{
	char buf[ADDR_STRLEN + 8];
	struct addr a;
	const char *colon;
	char *end;
	unsigned long port;

	if (addr_parse(s, &a) == 0)
		return true;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(buf))
			return false;
		memcpy(buf, s + 1, (size_t)(close - s - 1));
		buf[close - s - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(buf))
			return false;
		memcpy(buf, s, (size_t)(colon - s));
		buf[colon - s] = '\0';
	}
	port = strtoul(colon + 1, &end, 10);
	return addr_parse(buf, &a) == 0 && *end == '\0' && colon[1] && port >= 1 && port <= 65535;
}

static int ctl_check_fields(struct ctl_check *ck, const cJSON *obj, const char *path,
                            const struct ctl_field *fields);

static int ctl_check_value(struct ctl_check *ck, const cJSON *v, const char *path,
                           const struct ctl_field *f)
{
	struct prefix p;
	struct addr a;
	uint32_t asn;
	const cJSON *it;
	char sub[256];
	size_t i;
	int ret;

	switch (f->type) {
	case CT_STRING:
		if (!cJSON_IsString(v))
			return ctl_fail(ck, path, "expected a string");
		if (f->values) {
			for (i = 0; f->values[i]; i++)
				if (strcmp(f->values[i], v->valuestring) == 0)
					return 0;
			return ctl_fail(ck, path, "\"%s\" is not one of the allowed values",
			                v->valuestring);
		}
		return 0;
	case CT_BOOL:
		return cJSON_IsBool(v) ? 0 : ctl_fail(ck, path, "expected true or false");
	case CT_INT:
		if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble)
			return ctl_fail(ck, path, "expected an integer");
		if (v->valuedouble < (double)f->min || v->valuedouble > (double)f->max)
			return ctl_fail(ck, path, "%.0f is out of range %lld..%lld", v->valuedouble,
			                (long long)f->min, (long long)f->max);
		return 0;
	case CT_ASN:
		return ctl_asn_parse(v, &asn) == 0
		           ? 0
		           : ctl_fail(ck, path, "not an AS number (1..4294967295 or asdot)");
	case CT_CIDR:
		if (!cJSON_IsString(v) || prefix_parse(v->valuestring, &p, true) < 0)
			return ctl_fail(ck, path, "\"%s\" is not a valid CIDR",
			                cJSON_IsString(v) ? v->valuestring : "");
		return 0;
	case CT_ADDR:
		if (!cJSON_IsString(v) || addr_parse(v->valuestring, &a) < 0)
			return ctl_fail(ck, path, "\"%s\" is not a valid IP address",
			                cJSON_IsString(v) ? v->valuestring : "");
		return 0;
	case CT_IFADDR:
		if (!cJSON_IsString(v) || prefix_parse(v->valuestring, &p, false) < 0)
			return ctl_fail(ck, path, "\"%s\" is not a valid address[/length]",
			                cJSON_IsString(v) ? v->valuestring : "");
		return 0;
	case CT_PEERADDR:
		if (!cJSON_IsString(v) || !ctl_peer_addr_valid(v->valuestring))
			return ctl_fail(ck, path, "\"%s\" is not an IP address (or IP:port)",
			                cJSON_IsString(v) ? v->valuestring : "");
		return 0;
	case CT_DURATION:
		if (!cJSON_IsString(v) || !ctl_duration_valid(v->valuestring))
			return ctl_fail(ck, path, "expected a duration such as \"120s\"");
		return 0;
	case CT_OBJECT:
		if (!cJSON_IsObject(v))
			return ctl_fail(ck, path, "expected a mapping");
		return ctl_check_fields(ck, v, path, f->children);
	case CT_LIST:
		if (!cJSON_IsArray(v))
			return ctl_fail(ck, path, "expected a list");
		i = 0;
		cJSON_ArrayForEach(it, v)
		{
			if (snprintf(sub, sizeof(sub), "%s[%zu]", path, i++) >= (int)sizeof(sub))
				return ctl_fail(ck, path, "nested too deeply");
			if (!cJSON_IsObject(it))
				return ctl_fail(ck, sub, "expected a mapping");
			ret = ctl_check_fields(ck, it, sub, f->children);
			if (ret < 0)
				return ret;
		}
		return 0;
	case CT_STRINGS:
	case CT_MAP:
		if (f->type == CT_STRINGS ? !cJSON_IsArray(v) : !cJSON_IsObject(v))
			return ctl_fail(ck, path,
			                f->type == CT_STRINGS ? "expected a list"
			                                      : "expected a mapping");
		i = 0;
		cJSON_ArrayForEach(it, v)
		{
			int len = f->type == CT_STRINGS
			              ? snprintf(sub, sizeof(sub), "%s[%zu]", path, i++)
			              : snprintf(sub, sizeof(sub), "%s.%s", path, it->string);

			if (len >= (int)sizeof(sub))
				return ctl_fail(ck, path, "nested too deeply");
			if (!cJSON_IsString(it))
				return ctl_fail(ck, sub, "expected a string");
		}
		return 0;
	case CT_ANY:
		return 0;
	}
	return 0;
}

static int ctl_check_fields(struct ctl_check *ck, const cJSON *obj, const char *path,
                            const struct ctl_field *fields)
{
	const struct ctl_field *f;
	const cJSON *it;
	char sub[256];
	int ret;

	cJSON_ArrayForEach(it, obj)
	{
		if (snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", it->string) >=
		    (int)sizeof(sub))
			return ctl_fail(ck, path, "nested too deeply");
		for (f = fields; f->name; f++)
			if (strcmp(f->name, it->string) == 0)
				break;
		if (!f->name)
			return ctl_fail(ck, sub, "unknown field");
		if (cJSON_IsNull(it))
			continue;
		ret = ctl_check_value(ck, it, sub, f);
		if (ret < 0)
			return ret;
		if (f->support == CS_WARN && ck->warn)
			ck->warn(ck->arg, sub, "accepted, but not implemented by Tabby: ignored");
	}
	return 0;
}

/* ---- metadata ---- */

static const struct ctl_field ctl_metadata_fields[] = {
    {"name", CT_STRING, CS_YES, 0, 0, NULL, NULL},
    {"namespace", CT_STRING, CS_YES, 0, 0, NULL, NULL},
    {"labels", CT_MAP, CS_YES, 0, 0, NULL, NULL},
    {"annotations", CT_MAP, CS_YES, 0, 0, NULL, NULL},
    {"resourceVersion", CT_ANY, CS_YES, 0, 0, NULL, NULL},
    {"uid", CT_ANY, CS_YES, 0, 0, NULL, NULL},
    {"creationTimestamp", CT_ANY, CS_YES, 0, 0, NULL, NULL},
    {"generation", CT_ANY, CS_YES, 0, 0, NULL, NULL},
    F_END,
};

/* ---- IPPool ---- */

static const char *const ctl_overlay_modes[] = {"Never", "Always", "CrossSubnet", NULL};
static const char *const ctl_allowed_uses[] = {"Workload", "Tunnel", "LoadBalancer", NULL};
static const char *const ctl_assignment_modes[] = {"Automatic", "Manual", NULL};

static const struct ctl_field ctl_ippool_fields[] = {
    {"cidr", CT_CIDR, CS_YES, 0, 0, NULL, NULL},
    {"blockSize", CT_INT, CS_YES, 1, 128, NULL, NULL},
    {"natOutgoing", CT_BOOL, CS_YES, 0, 0, NULL, NULL},
    {"disabled", CT_BOOL, CS_YES, 0, 0, NULL, NULL},
    {"nodeSelector", CT_STRING, CS_YES, 0, 0, NULL, NULL},
    {"ipipMode", CT_STRING, CS_YES, 0, 0, ctl_overlay_modes, NULL},
    {"vxlanMode", CT_STRING, CS_YES, 0, 0, ctl_overlay_modes, NULL},
    {"disableBGPExport", CT_BOOL, CS_WARN, 0, 0, NULL, NULL},
    {"allowedUses", CT_STRINGS, CS_YES, 0, 0, NULL, NULL},
    {"assignmentMode", CT_STRING, CS_YES, 0, 0, ctl_assignment_modes, NULL},
    {"ipip", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    {"nat-outgoing", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    F_END,
};

static int ctl_ippool_extra(struct ctl_check *ck, cJSON *doc)
{
	static const char *const overlays[] = {"ipipMode", "vxlanMode"};
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(doc, "spec");
	const cJSON *uses, *mode;
	struct ipam_pool pool;
	char err[IPAM_ERRLEN], path[64];
	char *printed, *colon;
	size_t i;
	int ret;

	for (i = 0; i < 2; i++) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(spec, overlays[i]);

		/*
		 * Tabby has no overlay: pod traffic is always routed natively, so
		 * the fabric must carry the pod routes (BGP to the ToR), as with
		 * "Never". Calico's own samples say CrossSubnet: accept, and say so.
		 */
		if (cJSON_IsString(m) && strcmp(m->valuestring, "Never") != 0 && ck->warn) {
			snprintf(path, sizeof(path), "spec.%s", overlays[i]);
			ck->warn(ck->arg, path,
			         "Tabby has no overlay and routes pod traffic natively (as with "
			         "\"Never\"): ignored");
		}
	}
	uses = cJSON_GetObjectItemCaseSensitive(spec, "allowedUses");
	if (uses) {
		const cJSON *u;
		bool workload = false;

		cJSON_ArrayForEach(u, uses)
		{
			if (!cJSON_IsString(u))
				return ctl_fail(ck, "spec.allowedUses",
				                "expected a list of strings");
			for (i = 0; ctl_allowed_uses[i]; i++)
				if (strcmp(u->valuestring, ctl_allowed_uses[i]) == 0)
					break;
			if (!ctl_allowed_uses[i])
				return ctl_fail(ck, "spec.allowedUses",
				                "\"%s\" is not Workload, Tunnel or LoadBalancer",
				                u->valuestring);
			workload |= strcmp(u->valuestring, "Workload") == 0;
		}
		/* Tabby would hand its addresses to pods anyway: refuse, do not mislead. */
		if (!workload)
			return ctl_fail(ck, "spec.allowedUses",
			                "a pool without \"Workload\" cannot be honoured: Tabby "
			                "assigns every enabled pool to pods");
	}
	mode = cJSON_GetObjectItemCaseSensitive(spec, "assignmentMode");
	if (cJSON_IsString(mode) && strcmp(mode->valuestring, "Manual") == 0)
		return ctl_fail(
		    ck, "spec.assignmentMode",
		    "\"Manual\" cannot be honoured: Tabby assigns from every enabled "
		    "pool automatically (use disabled: true to keep a pool out of use)");
	if (!cJSON_GetObjectItemCaseSensitive(spec, "cidr"))
		return ctl_fail(ck, "spec.cidr", "missing");
	printed = cJSON_PrintUnformatted(doc);
	if (!printed)
		return -ENOMEM;
	ret = ipam_pool_from_json(printed, &pool, err, sizeof(err));
	free(printed);
	if (ret == 0) {
		ipam_pool_clear(&pool);
		return 0;
	}
	/* IPAM's messages read "spec.cidr: ...": split the field from the text. */
	colon = strstr(err, ": ");
	if (colon && strncmp(err, "spec", 4) == 0) {
		*colon = '\0';
		return ctl_fail(ck, err, "%s", colon + 2);
	}
	return ctl_fail(ck, "spec", "%s", err);
}

/* ---- IPAMConfiguration ---- */

static const struct ctl_field ctl_ipamconfig_fields[] = {
    {"strictAffinity", CT_BOOL, CS_YES, 0, 0, NULL, NULL},
    {"maxBlocksPerHost", CT_INT, CS_YES, 0, 1000000, NULL, NULL},
    {"autoAllocateBlocks", CT_BOOL, CS_YES, 0, 0, NULL, NULL},
    F_END,
};

/* ---- BGPConfiguration ---- */

static const struct ctl_field ctl_cidr_item_fields[] = {
    {"cidr", CT_CIDR, CS_YES, 0, 0, NULL, NULL},
    F_END,
};
static const struct ctl_field ctl_community_fields[] = {
    {"name", CT_STRING, CS_YES, 0, 0, NULL, NULL},
    {"value", CT_STRING, CS_YES, 0, 0, NULL, NULL},
    F_END,
};
static const struct ctl_field ctl_prefix_adv_fields[] = {
    {"cidr", CT_CIDR, CS_YES, 0, 0, NULL, NULL},
    {"communities", CT_STRINGS, CS_YES, 0, 0, NULL, NULL},
    F_END,
};
static const char *const ctl_log_severities[] = {"Trace", "Debug", "Info", "Warning",
                                                 "Error", "Fatal", NULL};

static const struct ctl_field ctl_bgpconfig_fields[] = {
    {"asNumber", CT_ASN, CS_YES, 0, 0, NULL, NULL},
    {"nodeToNodeMeshEnabled", CT_BOOL, CS_YES, 0, 0, NULL, NULL},
    {"listenPort", CT_INT, CS_YES, 1, 65535, NULL, NULL},
    {"serviceClusterIPs", CT_LIST, CS_YES, 0, 0, NULL, ctl_cidr_item_fields},
    {"serviceExternalIPs", CT_LIST, CS_YES, 0, 0, NULL, ctl_cidr_item_fields},
    {"serviceLoadBalancerIPs", CT_LIST, CS_YES, 0, 0, NULL, ctl_cidr_item_fields},
    {"communities", CT_LIST, CS_YES, 0, 0, NULL, ctl_community_fields},
    {"prefixAdvertisements", CT_LIST, CS_YES, 0, 0, NULL, ctl_prefix_adv_fields},
    {"logSeverityScreen", CT_STRING, CS_WARN, 0, 0, ctl_log_severities, NULL},
    {"nodeMeshPassword", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    {"nodeMeshMaxRestartTime", CT_DURATION, CS_WARN, 0, 0, NULL, NULL},
    {"bindMode", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    {"ignoredInterfaces", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    {"localWorkloadPeeringIPV4", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    {"localWorkloadPeeringIPV6", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    {"programClusterRoutes", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    F_END,
};

/* ---- BGPPeer ---- */

static const char *const ctl_source_address[] = {"UseNodeIP", "None", NULL};
static const struct ctl_field ctl_secret_ref_fields[] = {
    {"name", CT_STRING, CS_YES, 0, 0, NULL, NULL},
    {"key", CT_STRING, CS_YES, 0, 0, NULL, NULL},
    F_END,
};
static const struct ctl_field ctl_password_fields[] = {
    {"secretKeyRef", CT_OBJECT, CS_YES, 0, 0, NULL, ctl_secret_ref_fields},
    F_END,
};

static const struct ctl_field ctl_bgppeer_fields[] = {
    {"node", CT_STRING, CS_YES, 0, 0, NULL, NULL},
    {"nodeSelector", CT_STRING, CS_YES, 0, 0, NULL, NULL},
    {"peerIP", CT_PEERADDR, CS_YES, 0, 0, NULL, NULL},
    {"peerSelector", CT_STRING, CS_YES, 0, 0, NULL, NULL},
    {"asNumber", CT_ASN, CS_YES, 0, 0, NULL, NULL},
    {"password", CT_OBJECT, CS_YES, 0, 0, NULL, ctl_password_fields},
    {"sourceAddress", CT_STRING, CS_YES, 0, 0, ctl_source_address, NULL},
    {"keepOriginalNextHop", CT_BOOL, CS_WARN, 0, 0, NULL, NULL},
    {"maxRestartTime", CT_DURATION, CS_WARN, 0, 0, NULL, NULL},
    {"ttlSecurity", CT_INT, CS_YES, 0, 255, NULL, NULL},
    {"keepaliveTime", CT_DURATION, CS_WARN, 0, 0, NULL, NULL},
    {"numAllowedLocalASNumbers", CT_INT, CS_WARN, 0, 10, NULL, NULL},
    {"filters", CT_STRINGS, CS_WARN, 0, 0, NULL, NULL},
    {"reachableBy", CT_ADDR, CS_WARN, 0, 0, NULL, NULL},
    {"localASNumber", CT_ASN, CS_WARN, 0, 0, NULL, NULL},
    {"localWorkloadSelector", CT_STRING, CS_WARN, 0, 0, NULL, NULL},
    {"nextHopMode", CT_STRING, CS_WARN, 0, 0, NULL, NULL},
    F_END,
};

static int ctl_bgppeer_extra(struct ctl_check *ck, cJSON *doc)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(doc, "spec");
	bool has_ip = cJSON_GetObjectItemCaseSensitive(spec, "peerIP") != NULL;
	bool has_sel = cJSON_GetObjectItemCaseSensitive(spec, "peerSelector") != NULL;

	if (has_ip == has_sel)
		return ctl_fail(ck, has_ip ? "spec.peerSelector" : "spec.peerIP",
		                has_ip ? "peerIP and peerSelector exclusive: give one"
		                       : "missing (give peerIP or peerSelector)");
	if (has_ip && !cJSON_GetObjectItemCaseSensitive(spec, "asNumber"))
		return ctl_fail(ck, "spec.asNumber", "missing (required with peerIP)");
	if (cJSON_GetObjectItemCaseSensitive(spec, "node") &&
	    cJSON_GetObjectItemCaseSensitive(spec, "nodeSelector"))
		return ctl_fail(ck, "spec.nodeSelector", "node and nodeSelector are exclusive");
	return 0;
}

/* ---- Node ---- */

static const struct ctl_field ctl_node_bgp_fields[] = {
    {"asNumber", CT_ASN, CS_YES, 0, 0, NULL, NULL},
    {"ipv4Address", CT_IFADDR, CS_YES, 0, 0, NULL, NULL},
    {"ipv6Address", CT_IFADDR, CS_YES, 0, 0, NULL, NULL},
    {"routeReflectorClusterID", CT_ADDR, CS_YES, 0, 0, NULL, NULL},
    {"ipv4IPIPTunnelAddr", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    F_END,
};
static const struct ctl_field ctl_node_addr_fields[] = {
    {"address", CT_IFADDR, CS_YES, 0, 0, NULL, NULL},
    {"type", CT_STRING, CS_YES, 0, 0, NULL, NULL},
    F_END,
};
static const struct ctl_field ctl_node_fields[] = {
    {"bgp", CT_OBJECT, CS_YES, 0, 0, NULL, ctl_node_bgp_fields},
    {"addresses", CT_LIST, CS_YES, 0, 0, NULL, ctl_node_addr_fields},
    {"orchRefs", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    {"ipv4VXLANTunnelAddr", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    {"ipv6VXLANTunnelAddr", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    {"vxlanTunnelMACAddr", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    {"wireguard", CT_ANY, CS_WARN, 0, 0, NULL, NULL},
    F_END,
};

/* ---- the registry ---- */

struct ctl_kind_impl {
	struct ctl_kind kind;
	const struct ctl_field *spec_fields;
	bool spec_required;
	int (*extra)(struct ctl_check *ck, cJSON *doc);
};

static int ctl_validate_common(const struct ctl_kind_impl *ki, cJSON *doc, struct ctl_check *ck)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(doc, "spec");
	int ret;

	ret = ctl_check_fields(ck, meta, "metadata", ctl_metadata_fields);
	if (ret < 0)
		return ret;
	if (!spec) {
		if (ki->spec_required)
			return ctl_fail(ck, "spec", "missing");
	} else if (!cJSON_IsObject(spec)) {
		return ctl_fail(ck, "spec", "expected a mapping");
	} else {
		ret = ctl_check_fields(ck, spec, "spec", ki->spec_fields);
		if (ret < 0)
			return ret;
	}
	return ki->extra ? ki->extra(ck, doc) : 0;
}

#define CTL_VALIDATOR(fn, impl)                                                                    \
	static int fn(cJSON *doc, char *path, size_t pathlen, char *msg, size_t msglen,            \
	              void (*warn)(void *, const char *, const char *), void *arg)                 \
	{                                                                                          \
		struct ctl_check ck = {path, pathlen, msg, msglen, warn, arg};                     \
		return ctl_validate_common(&(impl), doc, &ck);                                     \
	}

static void ctl_key_ippool(const char *ns, const char *name, char *buf, size_t len)
{
	(void)ns;
	snprintf(buf, len, STORE_KEY_PREFIX "ippools/%s", name);
}
static void ctl_key_ipamconfig(const char *ns, const char *name, char *buf, size_t len)
{
	(void)ns;
	(void)name;
	snprintf(buf, len, STORE_KEY_PREFIX "ipam/config");
}
static void ctl_key_bgpconfig(const char *ns, const char *name, char *buf, size_t len)
{
	(void)ns;
	snprintf(buf, len, STORE_KEY_PREFIX "bgpconfig/%s", name);
}
static void ctl_key_bgppeer(const char *ns, const char *name, char *buf, size_t len)
{
	(void)ns;
	snprintf(buf, len, STORE_KEY_PREFIX "bgppeers/%s", name);
}
static void ctl_key_node(const char *ns, const char *name, char *buf, size_t len)
{
	(void)ns;
	snprintf(buf, len, STORE_KEY_PREFIX "nodes/%s", name);
}

static const char *ctl_str(const cJSON *doc, const char *a, const char *b, const char *c)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(doc, a);

	if (b)
		j = cJSON_GetObjectItemCaseSensitive(j, b);
	if (c)
		j = cJSON_GetObjectItemCaseSensitive(j, c);
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

/* Any scalar at doc.a.b[.c] as text, "" when absent. */
char *ctl_cell(const cJSON *doc, const char *a, const char *b, const char *c, const char *dflt)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(doc, a);
	char buf[64];

	if (b)
		j = cJSON_GetObjectItemCaseSensitive(j, b);
	if (c)
		j = cJSON_GetObjectItemCaseSensitive(j, c);
	if (cJSON_IsString(j))
		return strdup(j->valuestring);
	if (cJSON_IsBool(j))
		return strdup(cJSON_IsTrue(j) ? "true" : "false");
	if (cJSON_IsNumber(j)) {
		snprintf(buf, sizeof(buf), "%.0f", j->valuedouble);
		return strdup(buf);
	}
	return strdup(dflt);
}

static void ctl_row_ippool(const cJSON *d, bool wide, char **cells, size_t n)
{
	size_t i = 0;

	cells[i++] = ctl_cell(d, "metadata", "name", NULL, "");
	cells[i++] = ctl_cell(d, "spec", "cidr", NULL, "");
	if (wide) {
		cells[i++] = ctl_cell(d, "spec", "natOutgoing", NULL, "false");
		cells[i++] = ctl_cell(d, "spec", "ipipMode", NULL, "Never");
		cells[i++] = ctl_cell(d, "spec", "vxlanMode", NULL, "Never");
		cells[i++] = ctl_cell(d, "spec", "disabled", NULL, "false");
		cells[i++] = ctl_cell(d, "spec", "disableBGPExport", NULL, "false");
	}
	cells[i++] = ctl_cell(d, "spec", "nodeSelector", NULL, "all()");
	(void)n;
}

static void ctl_row_ipamconfig(const cJSON *d, bool wide, char **cells, size_t n)
{
	(void)wide;
	(void)n;
	cells[0] = ctl_cell(d, "metadata", "name", NULL, "default");
	cells[1] = ctl_cell(d, "spec", "strictAffinity", NULL, "false");
	cells[2] = ctl_cell(d, "spec", "maxBlocksPerHost", NULL, "20");
	cells[3] = ctl_cell(d, "spec", "autoAllocateBlocks", NULL, "true");
}

static void ctl_row_bgpconfig(const cJSON *d, bool wide, char **cells, size_t n)
{
	(void)wide;
	(void)n;
	cells[0] = ctl_cell(d, "metadata", "name", NULL, "");
	cells[1] = ctl_cell(d, "spec", "logSeverityScreen", NULL, "Info");
	cells[2] = ctl_cell(d, "spec", "nodeToNodeMeshEnabled", NULL, "true");
	cells[3] = ctl_cell(d, "spec", "asNumber", NULL, "64512");
}

static void ctl_row_bgppeer(const cJSON *d, bool wide, char **cells, size_t n)
{
	size_t i = 0;

	cells[i++] = ctl_cell(d, "metadata", "name", NULL, "");
	cells[i++] = ctl_cell(d, "spec", "peerIP", NULL, "");
	cells[i++] = ctl_str(d, "spec", "node", NULL)
	                 ? ctl_cell(d, "spec", "node", NULL, "")
	                 : ctl_cell(d, "spec", "nodeSelector", NULL, "(global)");
	cells[i++] = ctl_cell(d, "spec", "asNumber", NULL, "");
	if (wide)
		cells[i++] = ctl_cell(d, "spec", "peerSelector", NULL, "");
	(void)n;
}

static void ctl_row_node(const cJSON *d, bool wide, char **cells, size_t n)
{
	(void)n;
	cells[0] = ctl_cell(d, "metadata", "name", NULL, "");
	if (wide) {
		cells[1] = ctl_cell(d, "spec", "bgp", "asNumber", "(64512)");
		cells[2] = ctl_cell(d, "spec", "bgp", "ipv4Address", "");
		cells[3] = ctl_cell(d, "spec", "bgp", "ipv6Address", "");
	}
}

static const char *const ippool_aliases[] = {"ippool", "ippools", "ipp", "pool", "pools", NULL};
static const char *const ipamconfig_aliases[] = {"ipamconfiguration", "ipamconfigurations",
                                                 "ipamconfig", "ipamconfigs", NULL};
static const char *const bgpconfig_aliases[] = {"bgpconfiguration", "bgpconfigurations",
                                                "bgpconfig", "bgpconfigs", NULL};
static const char *const bgppeer_aliases[] = {"bgppeer", "bgppeers", "bgpp", "bgpps", NULL};
static const char *const node_aliases[] = {"node", "nodes", "no", NULL};

static const char *const ippool_cols[] = {"NAME", "CIDR", "SELECTOR", NULL};
static const char *const ippool_wide[] = {
    "NAME",     "CIDR", "NAT", "IPIPMODE", "VXLANMODE", "DISABLED", "DISABLEBGPEXPORT",
    "SELECTOR", NULL};
static const char *const ipamconfig_cols[] = {"NAME", "STRICTAFFINITY", "MAXBLOCKSPERHOST",
                                              "AUTOALLOCATEBLOCKS", NULL};
static const char *const bgpconfig_cols[] = {"NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER",
                                             NULL};
static const char *const bgppeer_cols[] = {"NAME", "PEERIP", "NODE", "ASN", NULL};
static const char *const bgppeer_wide[] = {"NAME", "PEERIP", "NODE", "ASN", "PEERSELECTOR", NULL};
static const char *const node_cols[] = {"NAME", NULL};
static const char *const node_wide[] = {"NAME", "ASN", "IPV4", "IPV6", NULL};

static const struct ctl_kind_impl ctl_ippool_impl, ctl_ipamconfig_impl, ctl_bgpconfig_impl,
    ctl_bgppeer_impl, ctl_node_impl;
CTL_VALIDATOR(ctl_validate_ippool, ctl_ippool_impl)
CTL_VALIDATOR(ctl_validate_ipamconfig, ctl_ipamconfig_impl)
CTL_VALIDATOR(ctl_validate_bgpconfig, ctl_bgpconfig_impl)
CTL_VALIDATOR(ctl_validate_bgppeer, ctl_bgppeer_impl)
CTL_VALIDATOR(ctl_validate_node, ctl_node_impl)

static const struct ctl_kind_impl ctl_ippool_impl = {
    {"IPPool", "projectcalico.org/v3", ippool_aliases, false, false, false, ctl_key_ippool,
     STORE_KEY_PREFIX "ippools/", ctl_validate_ippool, ippool_cols, ippool_wide, ctl_row_ippool},
    ctl_ippool_fields,
    true,
    ctl_ippool_extra};
static const struct ctl_kind_impl ctl_ipamconfig_impl = {
    {"IPAMConfiguration", "projectcalico.org/v3", ipamconfig_aliases, true, false, false,
     ctl_key_ipamconfig, STORE_KEY_PREFIX "ipam/config", ctl_validate_ipamconfig, ipamconfig_cols,
     ipamconfig_cols, ctl_row_ipamconfig},
    ctl_ipamconfig_fields,
    false,
    NULL};
static const struct ctl_kind_impl ctl_bgpconfig_impl = {
    {"BGPConfiguration", "projectcalico.org/v3", bgpconfig_aliases, false, false, false,
     ctl_key_bgpconfig, STORE_KEY_PREFIX "bgpconfig/", ctl_validate_bgpconfig, bgpconfig_cols,
     bgpconfig_cols, ctl_row_bgpconfig},
    ctl_bgpconfig_fields,
    false,
    NULL};
static const struct ctl_kind_impl ctl_bgppeer_impl = {
    {"BGPPeer", "projectcalico.org/v3", bgppeer_aliases, false, false, false, ctl_key_bgppeer,
     STORE_KEY_PREFIX "bgppeers/", ctl_validate_bgppeer, bgppeer_cols, bgppeer_wide,
     ctl_row_bgppeer},
    ctl_bgppeer_fields,
    true,
    ctl_bgppeer_extra};
static const struct ctl_kind_impl ctl_node_impl = {
    {"Node", "projectcalico.org/v3", node_aliases, false, false, false, ctl_key_node,
     STORE_KEY_PREFIX "nodes/", ctl_validate_node, node_cols, node_wide, ctl_row_node},
    ctl_node_fields,
    false,
    NULL};

static const struct ctl_kind_impl *const ctl_kinds[] = {
    &ctl_ippool_impl, &ctl_ipamconfig_impl, &ctl_bgpconfig_impl, &ctl_bgppeer_impl, &ctl_node_impl,
};

static const struct ctl_kind *ctl_kind_at(size_t i)
{
	size_t n = sizeof(ctl_kinds) / sizeof(ctl_kinds[0]);

	if (i < n)
		return &ctl_kinds[i]->kind;
	return i - n < ctl_n_policy_kinds ? ctl_policy_kinds[i - n] : NULL;
}

const struct ctl_kind *ctl_kind_find(const char *name)
{
	const struct ctl_kind *k;
	size_t i, j;

	for (i = 0; (k = ctl_kind_at(i)); i++) {
		if (strcasecmp(k->name, name) == 0)
			return k;
		for (j = 0; k->aliases[j]; j++)
			if (strcasecmp(k->aliases[j], name) == 0)
				return k;
	}
	return NULL;
}

const struct ctl_kind *ctl_kind_find_doc(const char *api_version, const char *kind)
{
	const struct ctl_kind *k;
	size_t i;

	for (i = 0; (k = ctl_kind_at(i)); i++)
		if (strcmp(k->name, kind) == 0 && strcmp(k->api_version, api_version) == 0)
			return k;
	return NULL;
}

const char *ctl_kind_names(void)
{
	return "IPPool, IPAMConfiguration, BGPConfiguration, BGPPeer, Node (projectcalico.org/v3), "
	       "NetworkPolicy, GlobalNetworkPolicy (projectcalico.org/v3), NetworkPolicy "
	       "(networking.k8s.io/v1), Namespace (v1), WorkloadEndpoint (read-only)";
}

int ctl_pools_check_overlap(struct store *s, cJSON *const *pools, size_t n, size_t *bad, char *msg,
                            size_t msglen)
{
	struct ipam_pool *stored = NULL;
	struct prefix *cidrs;
	size_t nstored = 0, i, j;
	int ret;

	cidrs = calloc(n ? n : 1, sizeof(*cidrs));
	if (!cidrs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *c = ctl_str(pools[i], "spec", "cidr", NULL);

		if (!c || prefix_parse(c, &cidrs[i], true) < 0) {
			ret = -EINVAL;
			*bad = i;
			snprintf(msg, msglen, "not a valid CIDR");
			goto out;
		}
	}
	ret = ipam_pool_list(s, &stored, &nstored);
	if (ret < 0) {
		snprintf(msg, msglen, "cannot list the stored IP pools: %s", store_strerror(ret));
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *name = ctl_str(pools[i], "metadata", "name", NULL);
		char a[PREFIX_STRLEN], b[PREFIX_STRLEN];

		for (j = 0; j < i; j++) {
			if (prefix_overlaps(&cidrs[i], &cidrs[j])) {
				*bad = i;
				snprintf(msg, msglen,
				         "%s overlaps %s of IPPool %s in the same input",
				         prefix_format(&cidrs[i], a, sizeof(a)),
				         prefix_format(&cidrs[j], b, sizeof(b)),
				         ctl_str(pools[j], "metadata", "name", NULL));
				ret = -EINVAL;
				goto out;
			}
		}
		for (j = 0; j < nstored; j++) {
			if (strcmp(stored[j].name, name) == 0)
				continue; /* replaced by this apply */
			if (prefix_overlaps(&cidrs[i], &stored[j].cidr)) {
				*bad = i;
				snprintf(msg, msglen, "%s overlaps %s of the existing IPPool %s",
				         prefix_format(&cidrs[i], a, sizeof(a)),
				         prefix_format(&stored[j].cidr, b, sizeof(b)),
				         stored[j].name);
				ret = -EINVAL;
				goto out;
			}
		}
	}
out:
	ipam_pool_list_free(stored, nstored);
	free(cidrs);
	return ret;
}
