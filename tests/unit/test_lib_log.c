/*
 * DOC: unit tests for src/lib/log.c: level names, filtering, the stderr
 * line format (read back through a pipe), journal detection, log_fatal.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <tabby/log.h>

static int pipe_fds[2];

static int setup(void **state)
{
	(void)state;
	if (pipe(pipe_fds) < 0)
		return -1;
	unsetenv("JOURNAL_STREAM");
	log_init("tabbyd", LOG_INFO, LOG_TARGET_STDERR);
	log_set_fd(pipe_fds[1]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_init("tabbyd", LOG_INFO, LOG_TARGET_STDERR);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	return 0;
}

/* Everything written to the pipe so far (the write end stays open). */
static size_t drain(char *buf, size_t len)
{
	size_t n = 0;
	int flags = O_NONBLOCK;

	fcntl(pipe_fds[0], F_SETFL, flags);
	while (n + 1 < len) {
		ssize_t r = read(pipe_fds[0], buf + n, len - 1 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	return n;
}

static void test_level_names(void **state)
{
	(void)state;
	assert_int_equal(log_level_parse("error"), LOG_ERR);
	assert_int_equal(log_level_parse("err"), LOG_ERR);
	assert_int_equal(log_level_parse("warning"), LOG_WARNING);
	assert_int_equal(log_level_parse("warn"), LOG_WARNING);
	assert_int_equal(log_level_parse("WARN"), LOG_WARNING);
	assert_int_equal(log_level_parse("notice"), LOG_NOTICE);
	assert_int_equal(log_level_parse("info"), LOG_INFO);
	assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
	assert_int_equal(log_level_parse("crit"), LOG_CRIT);
	assert_int_equal(log_level_parse("verbose"), -1);
	assert_int_equal(log_level_parse(""), -1);
	assert_int_equal(log_level_parse(NULL), -1);
	assert_string_equal(log_level_name(LOG_ERR), "error");
	assert_string_equal(log_level_name(LOG_WARNING), "warning");
	assert_string_equal(log_level_name(LOG_DEBUG), "debug");
	assert_string_equal(log_level_name(99), "unknown");
	assert_string_equal(log_level_name(-1), "unknown");
}

static void test_filtering(void **state)
{
	char buf[4096];

	(void)state;
	drain(buf, sizeof(buf));
	log_set_level(LOG_WARNING);
	assert_int_equal(log_get_level(), LOG_WARNING);
	log_info("hidden %d", 1);
	log_debug("hidden %d", 2);
	log_notice("hidden %d", 3);
	assert_int_equal(drain(buf, sizeof(buf)), 0);
	log_warn("shown %d", 4);
	log_err("shown %d", 5);
	log_msg(LOG_NOTICE, "hidden too"); /* log_msg filters as well, one level off too */
	drain(buf, sizeof(buf));
	assert_non_null(strstr(buf, "warning: shown 4\n"));
	assert_non_null(strstr(buf, "error: shown 5\n"));
	assert_null(strstr(buf, "hidden"));
	log_set_level(LOG_DEBUG);
	log_debug("now shown");
	drain(buf, sizeof(buf));
	assert_non_null(strstr(buf, "debug: now shown\n"));
	log_set_level(1000); /* clamped */
	assert_int_equal(log_get_level(), LOG_DEBUG);
	log_set_level(-5);
	assert_int_equal(log_get_level(), LOG_EMERG);
	log_set_level(LOG_INFO);
}

static void test_line_format(void **state)
{
	char buf[4096], want[256];
	regex_t re;
	int rc;

	(void)state;
	drain(buf, sizeof(buf));
	log_warn("peer %s: hold timer expired", "198.18.0.2");
	drain(buf, sizeof(buf));
	snprintf(want, sizeof(want),
	         "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
	         "tabbyd\\[%ld\\]: warning: peer 198\\.18\\.0\\.2: hold timer expired\n$",
	         (long)getpid());
	assert_int_equal(regcomp(&re, want, REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&re, buf, 0, NULL, 0);
	regfree(&re);
	if (rc != 0)
		fail_msg("line does not match: %s", buf);
}

static void test_one_line_per_event(void **state)
{
	char buf[16384], big[6000];

	(void)state;
	drain(buf, sizeof(buf));
	log_err("multi\nline\rmessage");
	drain(buf, sizeof(buf));
	assert_non_null(strstr(buf, "error: multi line message\n"));
	assert_int_equal(strchr(buf, '\n') - buf + 1, (long)strlen(buf));

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_err("%s", big);
	drain(buf, sizeof(buf));
	assert_true(strlen(buf) < sizeof(big)); /* truncated */
	assert_int_equal(buf[strlen(buf) - 1], '\n');
	assert_int_equal(strchr(buf, '\n') - buf + 1, (long)strlen(buf));
}

static void test_errno_preserved(void **state)
{
	char buf[256];

	(void)state;
	errno = ENOENT;
	log_err("open failed: %s", strerror(errno));
	assert_int_equal(errno, ENOENT);
	drain(buf, sizeof(buf));
}

static void test_journal_detection(void **state)
{
	struct stat st;
	char env[64];

	(void)state;
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	unsetenv("JOURNAL_STREAM");
	log_init("t", LOG_INFO, LOG_TARGET_AUTO);
	assert_false(log_to_journal());
	setenv("JOURNAL_STREAM", "1:2", 1); /* some other stream */
	log_init("t", LOG_INFO, LOG_TARGET_AUTO);
	assert_false(log_to_journal());
	setenv("JOURNAL_STREAM", "garbage", 1);
	log_init("t", LOG_INFO, LOG_TARGET_AUTO);
	assert_false(log_to_journal());
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_init("t", LOG_INFO, LOG_TARGET_AUTO);
	assert_true(log_to_journal());
	snprintf(env, sizeof(env), "%llu:%llux", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_init("t", LOG_INFO, LOG_TARGET_AUTO);
	assert_false(log_to_journal());
	log_init("t", LOG_INFO, LOG_TARGET_STDERR);
	assert_false(log_to_journal());
	log_init("t", LOG_INFO, LOG_TARGET_JOURNAL);
	assert_true(log_to_journal());
	unsetenv("JOURNAL_STREAM");
	log_init("tabbyd", LOG_INFO, LOG_TARGET_STDERR);
	log_set_fd(pipe_fds[1]);
}

static void test_fatal_aborts(void **state)
{
	char buf[1024];
	int status;
	pid_t pid;

	(void)state;
	drain(buf, sizeof(buf));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGABRT, SIG_DFL);
		log_set_level(LOG_ERR); /* fatal is logged whatever the level */
		log_fatal("rib invariant broken: %d", 42);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	drain(buf, sizeof(buf));
	assert_non_null(strstr(buf, ": crit: rib invariant broken: 42\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_level_names),     cmocka_unit_test(test_filtering),
	    cmocka_unit_test(test_line_format),     cmocka_unit_test(test_one_line_per_event),
	    cmocka_unit_test(test_errno_preserved), cmocka_unit_test(test_journal_detection),
	    cmocka_unit_test(test_fatal_aborts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
