/*
 * DOC: the `tabby` CNI plugin binary: a static relay to tabbyd.
 *
 * A container runtime execs the plugin once per CNI call, so its start-up is
 * part of every pod's setup time. It is linked statically (no dynamic loader,
 * no relocations: about 0.3 ms less per call than a dynamic binary with
 * libcjson) and does as little as it can:
 *   - VERSION is answered from a constant;
 *   - the network configuration is read only far enough to find tabbyd
 *     (peek.c: its top-level "socket", "timeout" and "cniVersion", with the
 *     static libyaml, as JSON is YAML);
 *   - the CNI_* environment (percent-encoded, as CNI-* headers) and the
 *     configuration (as the body, unread) go to tabbyd's POST /v1/cni/call
 *     (client.c), where cni_call() (call.c) does the checks and the work;
 *   - tabbyd's answer is the plugin's output: a 2xx body is printed and the
 *     plugin exits 0, any other is CNI error JSON, printed with exit 1.
 * Only the errors the plugin finds itself (no CNI_COMMAND, an unreadable
 * configuration, tabbyd unreachable) are written here (main.c), with
 * printable ASCII only, so no JSON library is needed to write them.
 */
#ifndef TABBY_CNI_PLUGIN_H
#define TABBY_CNI_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "cni.h"

/* Longest CNI_* value relayed (CNI_NETNS paths, CNI_ARGS). */
#define CNI_ENV_VALUE_MAX 8192

/* What the plugin reads of the network configuration. */
struct cni_peek {
	char socket[108]; /* "socket", or "" (absent, not a string) */
	bool socket_too_long;
	char version[16];  /* "cniVersion" if it is a printable string, or "" */
	int timeout_ms;    /* "timeout" in whole seconds 1..600 as ms, or 0 */
	char problem[160]; /* why the configuration could not be read */
};

/*
 * Find the top-level "socket", "timeout" and "cniVersion" of a JSON object
 * (the first of duplicates, as cJSON does). 0, or -EINVAL with p->problem
 * naming the line and column where the input stops being readable. A
 * document that is not an object yields 0 and nothing found.
 */
int cni_peek(const char *data, size_t len, struct cni_peek *p);

/*
 * Percent-encode s (bytes other than ALPHA DIGIT - . _ ~ / : ; = , @) into
 * out; returns the length, or (size_t)-1 if out (outlen bytes) is too small.
 */
size_t cni_pct_encode(const char *s, char *out, size_t outlen);

/* tabbyd's answer to a relayed call. */
struct cni_relay_reply {
	int status; /* HTTP status */
	char *body; /* malloc'd, NUL-terminated; NULL when empty */
	size_t len;
};

/*
 * POST the call to tabbyd's /v1/cni/call on socket_path and read its answer.
 * 0, or < 0 with err set: 11 (tabbyd unreachable or too slow), 5 (I/O, a
 * broken reply), 7 (socket path too long), 4 (an environment value longer
 * than CNI_ENV_VALUE_MAX).
 */
int cni_relay(const char *socket_path, int timeout_ms, const struct cni_env *env,
              const char *config, size_t len, struct cni_relay_reply *reply, struct cni_error *err);

/*
 * The plugin's own output, written without a JSON library (output.c):
 * VERSION's {"cniVersion", "supportedVersions"}, and CNI error JSON whose
 * strings keep printable ASCII (quote and backslash escaped) and show any
 * other byte as '?'. cni_version is used only if it is a known version.
 * Both return malloc'd text ending in a newline, NULL when out of memory.
 */
char *cni_plugin_version_json(void);
char *cni_plugin_error_json(const char *cni_version, const struct cni_error *e);

#endif
