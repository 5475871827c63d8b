/*
 * DOC: fills a datastore with IPAM data for tabbyctl's tests: node-a holds
 * three addresses, two of them with a workload endpoint and one leaked.
 * Prints "HANDLE ADDRESS" for each. usage: ctl_fixture STORE-URL
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <tabby/ipam.h>
#include <tabby/store.h>

static int fixture_endpoint(struct store *s, const char *handle, const struct addr *a)
{
	char key[256], value[512], buf[ADDR_STRLEN];

	snprintf(key, sizeof(key), STORE_KEY_PREFIX "workloads/node-a/%s", handle);
	snprintf(value, sizeof(value),
	         "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"WorkloadEndpoint\","
	         "\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"},"
	         "\"spec\":{\"node\":\"node-a\",\"ipNetworks\":[\"%s/32\"]}}",
	         handle, addr_format(a, buf, sizeof(buf)));
	return store_put(s, key, value, NULL);
}

int main(int argc, char **argv)
{
	static const char *const handles[] = {"net:c1:eth0", "net:c2:eth0", "net:leak:eth0"};
	struct store *s;
	struct ipam *ipam;
	int i, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: ctl_fixture STORE-URL\n");
		return 2;
	}
	if (store_open(argv[1], &s) < 0)
		return 1;
	ipam = ipam_new(s, "node-a");
	ret = store_put(s, STORE_KEY_PREFIX "nodes/node-a",
	                "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"Node\","
	                "\"metadata\":{\"name\":\"node-a\"},\"spec\":{}}",
	                NULL);
	for (i = 0; ret == 0 && i < 3; i++) {
		static const char *const pool[] = {"my.ippool-1"};
		struct ipam_assign_args args = {
		    .handle = handles[i], .num4 = 1, .pools = pool, .n_pools = 1};
		struct ipam_assign_result res;

		args.attrs.namespace = "default";
		args.attrs.pod = handles[i];
		ret = ipam_auto_assign(ipam, &args, &res);
		if (ret == 0) {
			char buf[ADDR_STRLEN];

			printf("%s %s\n", handles[i], addr_format(&res.addrs[0], buf, sizeof(buf)));
		}
		if (ret == 0 && i < 2)
			ret = fixture_endpoint(s, handles[i], &res.addrs[0]);
	}
	if (ret < 0)
		fprintf(stderr, "ctl_fixture: %s\n", ipam_last_error(ipam));
	ipam_free(ipam);
	store_close(s);
	return ret < 0 ? 1 : 0;
}
