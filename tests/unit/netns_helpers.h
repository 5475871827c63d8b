/*
 * DOC: what the unit tests that work on the real kernel share: running in a
 * network namespace of their own (root needed: skipped with exit 77
 * otherwise, failed under CI=true), shell commands whose output is read back
 * (iproute2, independently of our own netlink parsing), and assertions on
 * that output. Include after cmocka.h.
 */
#ifndef TABBY_TEST_NETNS_HELPERS_H
#define TABBY_TEST_NETNS_HELPERS_H

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

/*
 * Move this process into a network namespace of its own, then check need_cmd
 * (a shell command, or NULL), what it needs naming it. 0 when the tests can
 * run; else the exit status: 77 (skip), or 1 under CI=true.
 */
static inline int netns_unit_enter(const char *test, const char *need_cmd, const char *need)
{
	const char *ci = getenv("CI");
	bool strict = ci && strcmp(ci, "true") == 0;
	char why[256] = "";

	if (geteuid() != 0)
		snprintf(why, sizeof(why), "not root: needs root to create network namespaces");
	else if (unshare(CLONE_NEWNET) < 0)
		snprintf(why, sizeof(why), "unshare(CLONE_NEWNET): %s", strerror(errno));
	else if (need_cmd && system(need_cmd) != 0)
		snprintf(why, sizeof(why), "needs %s", need);
	if (!why[0])
		return 0;
	fprintf(stderr, "%s: %s%s\n", test, why,
	        strict ? " (CI=true: failing instead of skipping)" : "; SKIP");
	return strict ? 1 : 77;
}

/* Output of a shell command (stdout and stderr; out may be NULL), and its exit status. */
static inline int sh(char *out, size_t len, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	size_t n;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	f = popen(cmd, "r");
	assert_non_null(f);
	if (out) {
		n = fread(out, 1, len - 1, f);
		out[n] = '\0';
	} else {
		char sink[256];

		while (fread(sink, 1, sizeof(sink), f) > 0)
			;
	}
	return WEXITSTATUS(pclose(f));
}

/* Lines of a command's output. */
static inline int lines(const char *cmd)
{
	char out[64];

	sh(out, sizeof(out), "%s | wc -l", cmd);
	return atoi(out);
}

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (!strstr((hay), (needle)))                                                      \
			fail_msg("expected \"%s\" in:\n%s", (needle), (hay));                      \
	} while (0)
#define assert_not_contains(hay, needle)                                                           \
	do {                                                                                       \
		if (strstr((hay), (needle)))                                                       \
			fail_msg("did not expect \"%s\" in:\n%s", (needle), (hay));                \
	} while (0)

#endif
