/*
 * DOC: the REST API's BGP endpoints (doc/tabbyd.8), routed here by api.c.
 *
 *   GET  /v1/bgp                         bgp_speaker_to_json() + "enabled", "fib"
 *                                        counters, "node_to_node_mesh", "as_number",
 *                                        "route_reflector_cluster_id"; per peer
 *                                        "source" (config, mesh, bgppeer), "mesh",
 *                                        "bgppeer", "node" (routing_sessions.c)
 *                                        ({"enabled": false, "peers": []} when off)
 *   GET  /v1/bgp/rib                     the Loc-RIB, bgp_rib_to_json() + "enabled"
 *   POST /v1/bgp/peers/ADDRESS/refresh   ask the peer for its routes again (RFC 2918)
 *   POST /v1/bgp/peers/ADDRESS/reset     Cease / Administrative Reset, then reconnect
 *
 * A bad address is 400, an unknown peer (or BGP off) 404, a wrong method 405,
 * a refresh the session cannot do now (not Established, no route refresh
 * capability) 409. tabbyctl node status reads GET /v1/bgp.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/http.h>

#include <tabby/log.h>

#include "tabbyd.h"

#define API_BGP_PEERS "/v1/bgp/peers/"

static void api_bgp_send(struct evhttp_request *r, cJSON *o)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	if (s)
		api_send_json(r, 200, s);
	else
		api_send_error(r, 500, 5, "out of memory", NULL);
	free(s);
	cJSON_Delete(o);
}

/* Cluster routing: where each session came from, the settings in effect, the FIB's counters. */
static void api_bgp_routing(const struct tabbyd *d, cJSON *o)
{
	cJSON *peers = cJSON_GetObjectItemCaseSensitive(o, "peers"), *p, *fib;
	size_t wanted, installed, suppressed;

	cJSON_ArrayForEach(p, peers)
	{
		cJSON *a = cJSON_GetObjectItemCaseSensitive(p, "address");
		struct addr addr = {0};

		if (!cJSON_IsString(a) || addr_parse(a->valuestring, &addr) < 0)
			addr.family = 0;
		routing_sessions_peer_json(d, p, &addr);
	}
	cJSON_AddBoolToObject(o, "node_to_node_mesh", d->bgp_eff.mesh);
	if (d->bgp_eff.cluster_id) {
		char cid[16];
		uint32_t c = d->bgp_eff.cluster_id;

		snprintf(cid, sizeof(cid), "%u.%u.%u.%u", c >> 24, (c >> 16) & 255, (c >> 8) & 255,
		         c & 255);
		cJSON_AddStringToObject(o, "route_reflector_cluster_id", cid);
	}
	fib = cJSON_AddObjectToObject(o, "fib");
	if (!fib)
		return;
	routing_fib_counts(d, &wanted, &installed, &suppressed);
	cJSON_AddBoolToObject(fib, "install_routes", d->rt_fib != NULL);
	cJSON_AddNumberToObject(fib, "reconcile_seconds", d->cfg.bgp.fib_reconcile_seconds);
	cJSON_AddNumberToObject(fib, "learned", (double)wanted);
	cJSON_AddNumberToObject(fib, "installed", (double)installed);
	cJSON_AddNumberToObject(fib, "suppressed", (double)suppressed);
}

static void api_bgp_show(struct tabbyd *d, struct evhttp_request *r, bool rib)
{
	cJSON *o;

	if (!d->bgp) {
		o = cJSON_CreateObject();
		if (o) {
			cJSON_AddBoolToObject(o, "enabled", false);
			if (rib) {
				cJSON_AddArrayToObject(o, "ipv4");
				cJSON_AddArrayToObject(o, "ipv6");
			} else {
				cJSON_AddArrayToObject(o, "peers");
			}
		}
		api_bgp_send(r, o);
		return;
	}
	o = rib ? bgp_rib_to_json(d->bgp) : bgp_speaker_to_json(d->bgp);
	if (o)
		cJSON_AddBoolToObject(o, "enabled", true);
	if (o && !rib) {
		cJSON_AddNumberToObject(o, "best_changes", (double)d->bgp_best_changes);
		api_bgp_routing(d, o);
	}
	api_bgp_send(r, o);
}

/* POST /v1/bgp/peers/ADDRESS/ACTION; rest is what follows API_BGP_PEERS. */
static void api_bgp_peer_action(struct tabbyd *d, struct evhttp_request *r, const char *rest)
{
	const char *slash = strrchr(rest, '/');
	char abuf[ADDR_STRLEN + 8], *dec = NULL;
	struct bgp_peer *peer;
	const char *action;
	struct addr a;
	size_t alen;
	int ret;

	if (!slash || slash == rest) {
		api_send_error(r, 404, 7,
		               "no such API path: use /v1/bgp/peers/ADDRESS/refresh or "
		               "/reset",
		               NULL);
		return;
	}
	action = slash + 1;
	if (strcmp(action, "refresh") != 0 && strcmp(action, "reset") != 0) {
		api_send_error(r, 404, 7, "unknown peer action: use refresh or reset", action);
		return;
	}
	if (evhttp_request_get_command(r) != EVHTTP_REQ_POST) {
		api_send_error(r, 405, 7, "use POST", NULL);
		return;
	}
	alen = (size_t)(slash - rest);
	if (alen >= sizeof(abuf)) {
		api_send_error(r, 400, 7, "not an IP address", NULL);
		return;
	}
	memcpy(abuf, rest, alen);
	abuf[alen] = '\0';
	dec = evhttp_uridecode(abuf, 0, NULL); /* "2001%3Adb8%3A%3A2" works too */
	if (!dec || addr_parse(dec, &a) < 0) {
		api_send_error(r, 400, 7, "not an IP address", dec ? dec : abuf);
		goto out;
	}
	peer = d->bgp ? bgp_peer_find(d->bgp, &a) : NULL;
	if (!peer) {
		api_send_error(r, 404, 7,
		               d->bgp ? "no such BGP peer" : "BGP is not enabled on this node",
		               dec);
		goto out;
	}
	if (action[2] == 's') { /* reset */
		log_notice("API: resetting the BGP session with %s", dec);
		bgp_peer_reset(peer);
		api_send_json(r, 200, "{\"ok\":true}");
		goto out;
	}
	ret = bgp_peer_request_refresh(peer, 0);
	if (ret == -ENOTCONN)
		api_send_error(r, 409, 7, "the session is not Established", dec);
	else if (ret == -EOPNOTSUPP)
		api_send_error(r, 409, 7, "the peer did not advertise route refresh (RFC 2918)",
		               dec);
	else if (ret < 0)
		api_send_error(r, 500, 11, "sending ROUTE-REFRESH failed", strerror(-ret));
	else {
		log_info("API: asked BGP peer %s for a route refresh", dec);
		api_send_json(r, 200, "{\"ok\":true}");
	}
out:
	free(dec);
}

void api_bgp(struct tabbyd *d, struct evhttp_request *r, const char *path)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(r);

	if (strcmp(path, "/v1/bgp") == 0 || strcmp(path, "/v1/bgp/rib") == 0) {
		if (cmd != EVHTTP_REQ_GET)
			api_send_error(r, 405, 7, "use GET", NULL);
		else
			api_bgp_show(d, r, path[7] == '/');
		return;
	}
	if (strncmp(path, API_BGP_PEERS, strlen(API_BGP_PEERS)) == 0) {
		api_bgp_peer_action(d, r, path + strlen(API_BGP_PEERS));
		return;
	}
	api_send_error(r, 404, 7, "no such API path", path);
}
