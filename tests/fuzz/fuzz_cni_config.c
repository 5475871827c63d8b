/*
 * DOC: libFuzzer target for the CNI plugin's network configuration parser.
 *
 * Feeds arbitrary bytes to cni_config_parse() (src/cni/config.c) and, when the
 * configuration parses, builds the ADD result from its prevResult as if the
 * agent had answered with it, so the result builder sees hostile input too.
 * Every failure must come back as an error code in the CNI range.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "cni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_config cfg;
	struct cni_error err = {0};

	if (cni_config_parse((const char *)data, size, &cfg, &err) == 0) {
		if (cfg.prev_result) {
			char *r = cni_result_build(&cfg, cfg.prev_result, &err);

			free(r);
		}
	} else if (err.code < 1 || err.code > 11) {
		abort();
	}
	cni_config_free(&cfg);
	return 0;
}
