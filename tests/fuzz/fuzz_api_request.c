/*
 * DOC: libFuzzer target for tabbyd's API request parser.
 *
 * The first input byte picks the verb (ADD, DEL, CHECK, GC), the rest is the
 * request body given to api_request_parse() (src/tabbyd/api_request.c), as it
 * would arrive on the API socket. A parse must either succeed with fields
 * that respect the documented bounds or fail with a message.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_cni_request req;
	char err[API_ERRLEN];
	int code;

	if (size < 1)
		return 0;
	err[0] = '\0';
	if (api_request_parse((enum api_request_kind)(data[0] % 4), (const char *)data + 1,
	                      size - 1, &req, &code, err, sizeof(err)) == 0) {
		if (!req.network || req.n_ips > API_MAX_ADDRS || req.n_pools > API_MAX_POOLS ||
		    req.n_prev_ips > API_MAX_ADDRS || (req.ifname && strlen(req.ifname) > 15))
			abort();
		api_request_free(&req);
	} else if (!err[0] || (code != API_PARSE_UNDECODABLE && code != API_PARSE_INVALID)) {
		abort();
	}
	return 0;
}
