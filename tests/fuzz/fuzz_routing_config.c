/*
 * DOC: libFuzzer target for the cluster-routing documents tabbyd reads from
 * the datastore (src/tabbyd/routing_config.c, and the export settings of a
 * BGPConfiguration: src/tabbyd/routing_export_config.c).
 *
 * The store may be written by other means than tabbyctl, so BGPConfiguration,
 * Node and BGPPeer documents are untrusted input. The first byte picks the
 * kind, the rest is the JSON text. A parse must either succeed or fail with a
 * message naming the field, and never crash or leak.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "routing_peers.h"
#include "tabbyd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct routing_export_bgpconfig ec;
	struct routing_bgpconfig bc;
	struct routing_node node;
	struct routing_bgppeer peer;
	char err[512], *json;
	int ret = 0;

	if (size < 1)
		return 0;
	json = malloc(size);
	if (!json)
		return 0;
	memcpy(json, data + 1, size - 1);
	json[size - 1] = '\0';
	err[0] = '\0';
	switch (data[0] % 3) {
	case 0:
		memset(&bc, 0, sizeof(bc));
		ret = routing_config_bgpconfig("default", json, &bc, err, sizeof(err));
		if (ret < 0 && ret != -ENOMEM && !err[0])
			abort();
		err[0] = '\0';
		ret = routing_export_bgpconfig_parse(json, &ec, err, sizeof(err));
		if (ret == 0)
			routing_export_bgpconfig_free(&ec);
		break;
	case 1:
		memset(&node, 0, sizeof(node));
		ret = routing_config_node("node1", json, &node, err, sizeof(err));
		if (ret == 0)
			routing_config_node_clear(&node);
		break;
	default:
		memset(&peer, 0, sizeof(peer));
		ret = routing_config_bgppeer("peer1", json, &peer, err, sizeof(err));
		if (ret == 0)
			routing_config_bgppeer_clear(&peer);
		break;
	}
	if (ret < 0 && ret != -ENOMEM && !err[0])
		abort(); /* an error must say what was wrong */
	free(json);
	return 0;
}
