/*
 * DOC: logging for operators (see include/tabby/log.h).
 *
 * A line on stderr looks like
 *   2026-11-21T14:00:00.123Z tabbyd[123]: warning: peer 198.18.0.2: hold timer expired
 * (ISO 8601 / RFC 3339 section 5.6 UTC timestamp, identifier, PID, level).
 * Under systemd the same event goes to the journal as structured fields
 * (MESSAGE, PRIORITY, SYSLOG_IDENTIFIER) instead, so journalctl -p works.
 *
 * systemd sets JOURNAL_STREAM=<dev>:<inode> when it connects stderr to the
 * journal (systemd.exec(5)); LOG_TARGET_AUTO trusts it only if stderr still is
 * that very stream, so a child that redirected stderr keeps plain lines.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include <tabby/log.h>

#define LOG_LINE_MAX 4096

int log_level_current = LOG_INFO;

static struct {
	char ident[64];
	bool journal;
	int fd;
} log_state = {
    .ident = "tabby",
    .journal = false,
    .fd = STDERR_FILENO,
};

static const char *const log_names[] = {
    [LOG_EMERG] = "emerg",     [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit", [LOG_ERR] = "error",
    [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

/* Is stderr the stream that JOURNAL_STREAM names? */
static bool log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int end = 0;

	if (!env || sscanf(env, "%llu:%llu%n", &dev, &ino, &end) != 2 || env[end] != '\0')
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, int level, enum log_target target)
{
	if (ident)
		snprintf(log_state.ident, sizeof(log_state.ident), "%s", ident);
	log_set_level(level);
	log_state.fd = STDERR_FILENO;
	switch (target) {
	case LOG_TARGET_JOURNAL:
		log_state.journal = true;
		break;
	case LOG_TARGET_STDERR:
		log_state.journal = false;
		break;
	case LOG_TARGET_AUTO:
	default:
		log_state.journal = log_stderr_is_journal();
		break;
	}
}

void log_set_fd(int fd)
{
	log_state.fd = fd;
	log_state.journal = false;
}

bool log_to_journal(void)
{
	return log_state.journal;
}

void log_set_level(int level)
{
	if (level < LOG_EMERG)
		level = LOG_EMERG;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	log_level_current = level;
}

int log_get_level(void)
{
	return log_level_current;
}

int log_level_parse(const char *name)
{
	static const struct {
		const char *name;
		int level;
	} aliases[] = {{"err", LOG_ERR}, {"warn", LOG_WARNING}, {"critical", LOG_CRIT}};

	if (!name)
		return -1;
	for (int i = LOG_EMERG; i <= LOG_DEBUG; i++)
		if (strcasecmp(name, log_names[i]) == 0)
			return i;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcasecmp(name, aliases[i].name) == 0)
			return aliases[i].level;
	return -1;
}

const char *log_level_name(int level)
{
	if (level < LOG_EMERG || level > LOG_DEBUG)
		return "unknown";
	return log_names[level];
}

/* "2026-11-21T14:00:00.123Z" into buf (at least 25 bytes). */
static void log_timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* One event is one line: newlines and other control bytes become spaces. */
static void log_flatten(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			*s = ' ';
}

static void log_write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void log_to_fd(int prio, const char *msg)
{
	char line[LOG_LINE_MAX + 128];
	char ts[32];
	int n;

	log_timestamp(ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%s %s[%ld]: %s: %s\n", ts, log_state.ident,
	             (long)getpid(), log_level_name(prio), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	log_write_all(log_state.fd, line, (size_t)n);
}

void log_vmsg(int prio, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	int saved_errno = errno; /* so callers may log, then use errno */

	if (prio > log_level_current)
		goto out;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_state.journal &&
	    sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", prio, "SYSLOG_IDENTIFIER=%s",
	                    log_state.ident, NULL) >= 0)
		goto out;
	log_flatten(msg);
	log_to_fd(prio, msg);
out:
	errno = saved_errno;
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
	va_list ap;

	if (log_level_current < LOG_CRIT)
		log_level_current = LOG_CRIT;
	va_start(ap, fmt);
	log_vmsg(LOG_CRIT, fmt, ap);
	va_end(ap);
	abort();
}
