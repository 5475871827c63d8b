/*
 * DOC: tabbyd, the node agent: start-up, signals and the event loop.
 *
 * One process, one libevent loop. Start-up order: configuration (a bad file
 * is reported with file, line and field, exit status 1), datastore, netlink,
 * IPAM; register the Node and bootstrap pools; reconcile (reconcile.c);
 * apply network policy (policy_agent.c); open the API socket; tell systemd
 * READY=1. The datastore's change events (store_notify_fd()) are read here
 * and delivered to the watches of the policy agent and cluster routing.
 * SIGTERM/SIGINT stop the loop cleanly (pods, routes and the policy table
 * stay as they are, so a restart disturbs nothing); SIGHUP
 * reloads the configuration: log level, underlay addresses, labels, MTU,
 * bootstrap pools and the bgp: section (bgp.c) take effect at once, node name,
 * datastore and API socket at the next start (a warning says so). The BGP
 * speaker starts after the API listens and before READY=1, and stops (Cease
 * to every peer) before the API closes.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include <tabby/dataplane.h>
#include <tabby/ipam.h>
#include <tabby/log.h>
#include <tabby/store.h>

#include "policy_agent.h"
#include "tabbyd.h"

#define TABBYD_STORE_POLL_MS 100 /* when the store has no notification descriptor */
#define TABBYD_PRIO_N        3   /* libevent priorities; events get 1 (= 3 / 2) by default */
#define TABBYD_PRIO_LOW      2   /* datastore watches (policy agent, routing) */

static void tabbyd_usage(FILE *f)
{
	fprintf(f,
	        "usage: tabbyd [-c FILE] [-t] [-d] [-V]\n"
	        "  -c FILE  configuration (default %s)\n"
	        "  -t       check the configuration and exit\n"
	        "  -d       log at debug level (overrides logLevel)\n"
	        "  -V       print the version and exit\n",
	        TABBYD_DEFAULT_CONFIG);
}

static void tabbyd_reload(struct tabbyd *d)
{
	struct tabbyd_config n;
	char err[600] = "", bgp[96];
	size_t i;

	sd_reloading();
	if (tabbyd_config_load(d->cfg.path, true, &n, err, sizeof(err)) < 0) {
		log_err("reload: %s; keeping the running configuration", err);
		sd_ready("running; reload failed: %s", err);
		return;
	}
	if (strcmp(n.node_name, d->cfg.node_name) != 0 ||
	    strcmp(n.datastore, d->cfg.datastore) != 0 ||
	    strcmp(n.api_socket, d->cfg.api_socket) != 0)
		log_warn("reload: nodeName, datastore and apiSocket changes take effect at the "
		         "next start");
	log_set_level(n.log_level);
	d->cfg.log_level = n.log_level;
	d->cfg.mtu = n.mtu;
	memcpy(d->cfg.underlay, n.underlay, sizeof(n.underlay));
	d->cfg.n_underlay = n.n_underlay;
	for (i = 0; i < d->cfg.n_pools; i++) {
		free(d->cfg.pools[i].name);
		free(d->cfg.pools[i].cidr);
		free(d->cfg.pools[i].node_selector);
	}
	memcpy(d->cfg.pools, n.pools, sizeof(n.pools));
	d->cfg.n_pools = n.n_pools;
	n.n_pools = 0; /* moved */
	for (i = 0; i < d->cfg.n_labels; i++) {
		free(d->cfg.label_keys[i]);
		free(d->cfg.label_values[i]);
	}
	memcpy(d->cfg.label_keys, n.label_keys, sizeof(n.label_keys));
	memcpy(d->cfg.label_values, n.label_values, sizeof(n.label_values));
	d->cfg.n_labels = n.n_labels;
	n.n_labels = 0; /* moved */
	if (n.policy_enabled != d->cfg.policy_enabled)
		log_warn("reload: policy.enabled takes effect at the next start");
	tabbyd_bgp_reload(d, &n.bgp);
	tabbyd_config_free(&n);
	if (tabbyd_node_register(d) < 0)
		log_err("reload: updating the Node document failed");
	tabbyd_pools_bootstrap(d);
	log_info("configuration reloaded from %s", d->cfg.path);
	tabbyd_bgp_summary(d, bgp, sizeof(bgp));
	sd_ready("running as node %s; configuration reloaded; %s", d->cfg.node_name, bgp);
}

static void tabbyd_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct tabbyd *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		tabbyd_reload(d);
		return;
	}
	log_info("%s received: shutting down (pods keep their network)",
	         sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopbreak(d->base);
}

/*
 * The directory of a SQLite datastore (systemd's StateDirectory= makes
 * /var/lib/tabby; without systemd tabbyd makes it itself, mode 0700).
 */
static void tabbyd_datastore_dir(const char *url)
{
	char path[4096];
	char *p;

	if (strncmp(url, "sqlite:", 7) == 0)
		url += 7;
	if (url[0] != '/' || strlen(url) >= sizeof(path))
		return;
	memcpy(path, url, strlen(url) + 1);
	p = strchr(path, '?');
	if (p)
		*p = '\0';
	p = strrchr(path, '/');
	if (!p || p == path)
		return;
	*p = '\0';
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return;
		*p = '/';
	}
	if (mkdir(path, 0700) == 0)
		log_info("created %s for the datastore", path);
}

/* The store's watches (policy_agent.c, routing_*.c) are delivered from here. */
static void tabbyd_store_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tabbyd *d = arg;
	int ret;

	(void)fd;
	(void)what;
	ret = store_poll(d->store);
	if (ret < 0 && ret != -ERANGE) /* -ERANGE: the watch's owner starts it again */
		log_warn("reading datastore changes: %s", store_strerror(ret));
}

static int tabbyd_store_events(struct tabbyd *d)
{
	struct timeval tv = {.tv_usec = TABBYD_STORE_POLL_MS * 1000};
	int fd = store_notify_fd(d->store);

	if (fd >= 0)
		d->store_event = event_new(d->base, fd, EV_READ | EV_PERSIST, tabbyd_store_cb, d);
	else
		d->store_event = event_new(d->base, -1, EV_PERSIST, tabbyd_store_cb, d);
	/* Below the default priority: a CNI reply's write goes before the watches' work. */
	if (d->store_event)
		event_priority_set(d->store_event, TABBYD_PRIO_LOW);
	if (!d->store_event || event_add(d->store_event, fd >= 0 ? NULL : &tv) < 0) {
		log_err("datastore events: out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int tabbyd_open(struct tabbyd *d)
{
	struct reconcile_stats st;
	char bgp[96];
	int ret;

	ret = api_check_free(d->cfg.api_socket);
	if (ret < 0) {
		log_err("API socket %s: %s", d->cfg.api_socket,
		        ret == -EADDRINUSE ? "another tabbyd is running on it" : strerror(-ret));
		return ret;
	}
	sd_status("opening datastore %s", d->cfg.datastore);
	tabbyd_datastore_dir(d->cfg.datastore);
	ret = store_open(d->cfg.datastore, &d->store);
	if (ret < 0) {
		log_err("datastore %s: %s", d->cfg.datastore, store_strerror(ret));
		return ret;
	}
	ret = tabbyd_store_events(d);
	if (ret < 0)
		return ret;
	ret = nl_ctx_open(&d->nl);
	if (ret < 0) {
		log_err("netlink: %s", strerror(-ret));
		return ret;
	}
	ret = reaper_start();
	if (ret < 0)
		log_warn("veth deletion thread: %s; DEL waits for the kernel", strerror(-ret));
	d->ipam = ipam_new(d->store, d->cfg.node_name);
	if (!d->ipam) {
		log_err("IPAM context for node %s", d->cfg.node_name);
		return -ENOMEM;
	}
	ipam_set_selector(d->ipam, node_selector_matches, d);
	ret = tabbyd_node_register(d);
	if (ret < 0) {
		log_err("registering node %s: %s", d->cfg.node_name, store_strerror(ret));
		return ret;
	}
	tabbyd_pools_bootstrap(d);
	tabbyd_node_sysctls(d);
	sd_status("reconciling endpoints, addresses and routes");
	ret = reconcile_startup(d, &st);
	if (ret < 0)
		return ret;
	sd_status("applying network policy");
	ret = policy_agent_start(d);
	if (ret < 0)
		return ret;
	ret = api_start(d);
	if (ret < 0)
		return ret;
	ret = tabbyd_bgp_start(d);
	if (ret < 0)
		return ret;
	d->ready = true;
	sd_setup(d);
	tabbyd_bgp_summary(d, bgp, sizeof(bgp));
	sd_ready("node %s: %u endpoint%s, %u affine block%s; %s; API on %s", d->cfg.node_name,
	         st.endpoints - st.endpoints_removed,
	         st.endpoints - st.endpoints_removed == 1 ? "" : "s", st.blackholes,
	         st.blackholes == 1 ? "" : "s", bgp, d->cfg.api_socket);
	log_notice("tabbyd %s ready: node %s, datastore %s, API %s", PACKAGE_VERSION,
	           d->cfg.node_name, store_describe(d->store), d->cfg.api_socket);
	return 0;
}

static void tabbyd_close(struct tabbyd *d)
{
	tabbyd_bgp_stop(d);
	api_stop(d);
	policy_agent_stop(d); /* the table stays: pods stay protected */
	if (d->store_event)
		event_free(d->store_event);
	reaper_stop(); /* deletes what is still queued */
	if (d->ipam)
		ipam_free(d->ipam);
	if (d->nl)
		nl_ctx_close(d->nl);
	if (d->store)
		store_close(d->store);
	free(d->blackholes);
	node_labels_clear(d);
	tabbyd_config_free(&d->cfg);
}

int main(int argc, char **argv)
{
	struct tabbyd d = {.api_fd = -1};
	struct event *sigs[3] = {NULL, NULL, NULL};
	const int signums[3] = {SIGTERM, SIGINT, SIGHUP};
	const char *config = NULL;
	bool test_only = false, debug = false;
	char err[600] = "";
	int opt, ret = 1;
	size_t i;

	while ((opt = getopt(argc, argv, "c:tdVh")) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 't':
			test_only = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'V':
			printf("tabbyd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			tabbyd_usage(stdout);
			return 0;
		default:
			tabbyd_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		tabbyd_usage(stderr);
		return 2;
	}
	log_init("tabbyd", LOG_INFO, LOG_TARGET_AUTO);
	if (tabbyd_config_load(config, config != NULL, &d.cfg, err, sizeof(err)) < 0) {
		log_err("configuration: %s", err);
		goto out;
	}
	if (test_only) {
		printf("%s: configuration ok (node %s)\n", d.cfg.path, d.cfg.node_name);
		ret = 0;
		goto out;
	}
	log_set_level(debug ? LOG_DEBUG : d.cfg.log_level);
	signal(SIGPIPE, SIG_IGN);
	d.started = time(NULL);
	d.base = event_base_new();
	if (!d.base || event_base_priority_init(d.base, TABBYD_PRIO_N) < 0) {
		log_err("libevent: cannot create the event loop");
		goto out;
	}
	for (i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(d.base, signums[i], tabbyd_signal_cb, &d);
		if (!sigs[i] || event_add(sigs[i], NULL) < 0) {
			log_err("libevent: cannot watch signal %d", signums[i]);
			goto out;
		}
	}
	if (tabbyd_open(&d) < 0) {
		sd_status("start-up failed");
		goto out;
	}
	if (event_base_dispatch(d.base) < 0)
		log_err("event loop failed");
	sd_stopping();
	ret = 0;
out:
	tabbyd_close(&d);
	for (i = 0; i < 3; i++)
		if (sigs[i])
			event_free(sigs[i]);
	if (d.base)
		event_base_free(d.base);
	if (ret == 0 && !test_only)
		log_info("tabbyd stopped");
	return ret;
}
