/*
 * DOC: logging for operators.
 *
 * One line per event, with a syslog priority. To stderr
 * ("2026-11-21T14:00:00.123Z tabbyd[123]: warning: peer 198.18.0.2: ...") or,
 * when started by systemd (JOURNAL_STREAM is set) or asked to, to the journal
 * with the priority and a SYSLOG_IDENTIFIER. Messages below the configured
 * level cost one comparison.
 */
#ifndef TABBY_LOG_H
#define TABBY_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

enum log_target {
	LOG_TARGET_AUTO, /* journal if JOURNAL_STREAM says stderr is the journal */
	LOG_TARGET_STDERR,
	LOG_TARGET_JOURNAL,
};

void log_init(const char *ident, int level, enum log_target target);
void log_set_level(int level);
int log_get_level(void);
/* "error", "warning", "info", "debug" (and "err", "warn") to a priority, or -1. */
int log_level_parse(const char *name);
const char *log_level_name(int level);
/* Send stderr-format lines to fd instead (tests, or a log file); disables the journal. */
void log_set_fd(int fd);
/* Does log_init() route messages to the journal? */
bool log_to_journal(void);

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int prio, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

extern int log_level_current;
#define log_at(prio, ...)                                                                          \
	do {                                                                                       \
		if ((prio) <= log_level_current)                                                   \
			log_msg((prio), __VA_ARGS__);                                              \
	} while (0)
#define log_err(...)    log_at(LOG_ERR, __VA_ARGS__)
#define log_warn(...)   log_at(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_at(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)   log_at(LOG_INFO, __VA_ARGS__)
#define log_debug(...)  log_at(LOG_DEBUG, __VA_ARGS__)

/* Invariant broken: log and abort. */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
