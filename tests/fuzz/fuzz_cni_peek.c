/*
 * DOC: libFuzzer target for what the relay plugin reads of a configuration.
 *
 * Feeds arbitrary bytes to cni_peek() (src/cni/peek.c, libyaml) and checks
 * what it found: a socket path that fits sun_path and has no NUL, a
 * cniVersion of printable ASCII, a timeout of 1-600 s. Where cJSON reads the
 * same bytes as an object whose "socket" is a string, a socket path the peek
 * found must be that string (the plugin must knock on the door tabbyd's own
 * parse of the configuration names). The bytes are also percent-encoded as
 * an environment value and the result checked for the allowed alphabet.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_peek(const char *s, size_t size)
{
	struct cni_peek p;
	const cJSON *sock;
	cJSON *root;
	size_t i;

	if (cni_peek(s, size, &p) < 0) {
		if (!p.problem[0])
			abort();
		return;
	}
	if (strlen(p.socket) >= sizeof(p.socket) || (p.socket[0] && p.socket_too_long))
		abort();
	for (i = 0; p.version[i]; i++)
		if (p.version[i] < 0x20 || p.version[i] > 0x7e)
			abort();
	if (p.timeout_ms && (p.timeout_ms < 1000 || p.timeout_ms > 600000))
		abort();
	root = cJSON_ParseWithLength(s, size);
	sock = cJSON_GetObjectItemCaseSensitive(root, "socket");
	/* YAML folds raw line breaks in quoted strings, which JSON forbids but cJSON takes. */
	if (p.socket[0] && cJSON_IsObject(root) && cJSON_IsString(sock) &&
	    !strpbrk(sock->valuestring, "\n\r\t") && strcmp(p.socket, sock->valuestring) != 0)
		abort();
	cJSON_Delete(root);
}

static void check_encoding(const char *s)
{
	size_t cap = 3 * strlen(s) + 1, n, i;
	char *out = malloc(cap);

	if (!out)
		return;
	n = cni_pct_encode(s, out, cap);
	if (n == (size_t)-1 || strlen(out) != n)
		abort();
	for (i = 0; i < n; i++)
		if (!strchr(
		        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/:;=,@%",
		        out[i]) ||
		    !out[i])
			abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_peek(s, size);
	check_encoding(s);
	free(s);
	return 0;
}
