/*
 * DOC: systemd integration (Type=notify) through libsystemd's sd_notify.
 *
 * READY=1 once the API socket listens and the start-up reconciliation is
 * done; STATUS= lines an operator reads in `systemctl status tabbyd`;
 * RELOADING=1 / READY=1 around a SIGHUP reload; STOPPING=1 on SIGTERM; and
 * WATCHDOG=1 every half WatchdogSec when the unit sets one (sd_watchdog_enabled
 * reads WATCHDOG_USEC/WATCHDOG_PID). The keep-alive runs on the agent's own
 * event loop, so a loop stuck in one callback stops it and systemd restarts
 * the agent. Without systemd (no NOTIFY_SOCKET) every call is a no-op.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include <tabby/log.h>

#include "tabbyd.h"

static struct event *sd_watchdog_ev;

static void sd_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}

void sd_setup(struct tabbyd *d)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		struct timeval tv = {.tv_sec = (time_t)(usec / 2 / 1000000),
		                     .tv_usec = (suseconds_t)(usec / 2 % 1000000)};

		sd_watchdog_ev = event_new(d->base, -1, EV_PERSIST, sd_watchdog_cb, NULL);
		if (sd_watchdog_ev && event_add(sd_watchdog_ev, &tv) == 0)
			log_info("systemd watchdog every %llu ms",
			         (unsigned long long)(usec / 2 / 1000));
		sd_notify(0, "WATCHDOG=1");
	}
}

static void sd_vsend(const char *prefix, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	sd_notifyf(0, "%sSTATUS=%s", prefix, msg);
}

void sd_ready(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sd_vsend("READY=1\n", fmt, ap);
	va_end(ap);
}

void sd_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sd_vsend("", fmt, ap);
	va_end(ap);
}

void sd_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}

void sd_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=shutting down");
	if (sd_watchdog_ev) {
		event_free(sd_watchdog_ev);
		sd_watchdog_ev = NULL;
	}
}
