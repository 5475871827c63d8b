/*
 * DOC: libFuzzer target for the CNI plugin's network configuration parser.
 *
 * Feeds arbitrary bytes to cni_config_parse() (src/cni/config.c) and, when the
 * configuration parses, builds the ADD result from its prevResult as if the
 * agent had answered with it, so the result builder sees hostile input too.
 * Every failure must come back as an error code in the CNI range. The same
 * bytes then go through cni_call() (src/cni/call.c, what tabbyd runs for the
 * relay plugin) as ADD, DEL, CHECK or GC, with a stand-in agent that answers
 * with the prevResult: its output must be text, and CNI error JSON on failure.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "cni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_send(void *ctx, const char *method, const char *path, const char *body, int *status,
                     cJSON **reply, struct cni_error *err)
{
	const struct cni_config *cfg = ctx;

	*status = 200;
	*reply = cfg->prev_result ? cJSON_Duplicate(cfg->prev_result, true) : NULL;
	return 0;
}

static void fuzz_call(const uint8_t *data, size_t size, const struct cni_config *cfg)
{
	static const char *const verbs[] = {"ADD", "DEL", "CHECK", "GC"};
	struct cni_env env = {verbs[size % 4], "c1", "/proc/self/ns/net", "eth0",
	                      "IgnoreUnknown=1;K8S_POD_NAME=p"};
	struct cni_error err;
	cJSON *o = NULL;
	char *out = NULL;
	int code;

	code = cni_call(&env, (const char *)data, size, fuzz_send, (void *)cfg, &out, &err);
	if (!out)
		return;
	if (code) {
		const cJSON *c;

		o = cJSON_Parse(out);
		c = cJSON_GetObjectItemCaseSensitive(o, "code");
		if (!cJSON_IsNumber(c) || c->valueint != code)
			abort();
	}
	cJSON_Delete(o);
	free(out);
}

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
	fuzz_call(data, size, &cfg);
	cni_config_free(&cfg);
	return 0;
}
