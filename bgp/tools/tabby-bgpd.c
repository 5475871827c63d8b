/*
 * DOC: tabby-bgpd, the BGP speaker library as a standalone daemon.
 *
 * For tests and benchmarks until tabbyd embeds the library (tabbyd will make
 * exactly the same bgp_* calls). It reads a JSON configuration (local AS,
 * router id, listen address/port, peers, prefixes to originate; a file named
 * *.yaml or *.yml is read as YAML with the same keys), runs the
 * speaker in one libevent loop and never touches the kernel's routing table.
 *
 *   tabby-bgpd -c CONFIG.json|CONFIG.yaml [-d]  run (-d: debug logs)
 *   tabby-bgpd --query SOCKET COMMAND [ARGS]   ask a running daemon
 *
 * The control socket (config "control_socket") takes one line per
 * connection and answers with JSON:
 *   show | peers | rib                     state and/or Loc-RIB
 *   originate PREFIX [med N] [local_pref N] [community A:B]...
 *   withdraw PREFIX
 *   refresh PEER-ADDRESS                   send ROUTE-REFRESH (RFC 2918)
 *   reset PEER-ADDRESS
 * SIGUSR1 writes the "show" document to "dump_file"; SIGINT/SIGTERM stop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include <tabby/bgp.h>
#include <tabby/log.h>
#include <tabby/prefix.h>
#include <tabby/yaml.h>

struct bgpd {
	struct event_base *base;
	struct bgp_speaker *sp;
	char *dump_file;
	char *ctl_path;
	int ctl_fd;
	struct event *ev_ctl, *ev_usr1, *ev_int, *ev_term;
	uint64_t best_changes;
};

static char *bgpd_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf) {
			buf[n] = 0;
		}
	}
	fclose(f);
	return buf;
}

static int json_u32(const cJSON *o, const char *key, uint32_t def, uint32_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v) {
		*out = def;
		return 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 4294967295.0)
		return -EINVAL;
	*out = (uint32_t)v->valuedouble;
	return 0;
}

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool json_bool(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* "65000:100" -> 65000 << 16 | 100 */
static int bgpd_parse_community(const char *s, uint32_t *out)
{
	unsigned a, b;
	char end;

	if (sscanf(s, "%u:%u%c", &a, &b, &end) != 2 || a > 65535 || b > 65535)
		return -EINVAL;
	*out = a << 16 | b;
	return 0;
}

static int bgpd_originate_json(struct bgpd *d, const cJSON *o)
{
	struct bgp_route_attrs ra = {0};
	uint32_t comms[32];
	const cJSON *c, *arr;
	const char *ps = cJSON_IsString(o) ? o->valuestring : json_str(o, "prefix");
	struct prefix p;
	size_t n = 0;

	if (!ps || prefix_parse(ps, &p, true) < 0)
		return -EINVAL;
	if (cJSON_IsObject(o)) {
		if (cJSON_GetObjectItemCaseSensitive(o, "med")) {
			ra.has_med = true;
			if (json_u32(o, "med", 0, &ra.med) < 0)
				return -EINVAL;
		}
		if (cJSON_GetObjectItemCaseSensitive(o, "local_pref")) {
			ra.has_local_pref = true;
			if (json_u32(o, "local_pref", 0, &ra.local_pref) < 0)
				return -EINVAL;
		}
		arr = cJSON_GetObjectItemCaseSensitive(o, "communities");
		cJSON_ArrayForEach(c, arr)
		{
			if (n == 32 || !cJSON_IsString(c) ||
			    bgpd_parse_community(c->valuestring, &comms[n]) < 0)
				return -EINVAL;
			n++;
		}
	}
	ra.communities = comms;
	ra.n_communities = n;
	return bgp_originate(d->sp, &p, &ra);
}

static int bgpd_peer_json(struct bgpd *d, const cJSON *o)
{
	struct bgp_peer_config pc = {0};
	const char *s;
	const cJSON *fam, *f;
	uint32_t v;
	int err = -EINVAL;

	s = json_str(o, "address");
	if (!s || addr_parse(s, &pc.addr) < 0)
		goto out;
	if (json_u32(o, "remote_as", 0, &pc.remote_as) < 0)
		goto out;
	pc.description = json_str(o, "description");
	pc.passive = json_bool(o, "passive");
	if (json_u32(o, "port", 0, &v) < 0 || v > 65535)
		goto out;
	pc.port = v;
	s = json_str(o, "source");
	if (s && addr_parse(s, &pc.source) < 0)
		goto out;
	pc.password = json_str(o, "password");
	pc.ttl_security = json_bool(o, "ttl_security");
	if (cJSON_GetObjectItemCaseSensitive(o, "hold_time")) {
		if (json_u32(o, "hold_time", 0, &v) < 0 || v > 65535)
			goto out;
		pc.hold_time = v ? (int)v : BGP_HOLD_TIME_NONE;
	}
	if (json_u32(o, "keepalive", 0, &v) < 0 || v > 65535)
		goto out;
	pc.keepalive = v;
	if (json_u32(o, "connect_retry", 0, &v) < 0 || v > 65535)
		goto out;
	pc.connect_retry = v;
	if (json_u32(o, "idle_hold", 0, &v) < 0 || v > 65535)
		goto out;
	pc.idle_hold = v;
	pc.rr_client = json_bool(o, "rr_client");
	pc.next_hop_self = json_bool(o, "next_hop_self");
	if (json_u32(o, "max_prefixes", 0, &pc.max_prefixes) < 0)
		goto out;
	fam = cJSON_GetObjectItemCaseSensitive(o, "families");
	cJSON_ArrayForEach(f, fam)
	{
		if (cJSON_IsString(f) && !strncmp(f->valuestring, "ipv4", 4))
			pc.families |= BGP_FAMILY_IPV4;
		else if (cJSON_IsString(f) && !strncmp(f->valuestring, "ipv6", 4))
			pc.families |= BGP_FAMILY_IPV6;
		else
			goto out;
	}
	err = bgp_peer_add(d->sp, &pc, NULL);
out:
	if (err)
		log_err("tabby-bgpd: bad peer %s: %s", json_str(o, "address") ?: "?",
		        strerror(-err));
	return err;
}

static bool bgpd_is_yaml(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml"));
}

/* The configuration as cJSON, from JSON or (by file name) YAML. */
static cJSON *bgpd_load(const char *path)
{
	struct yaml_stream *ys = NULL;
	struct yaml_error yerr = {0};
	cJSON *root = NULL;
	char *text;

	if (bgpd_is_yaml(path)) {
		if (yaml_load_single(path, &ys, &yerr) < 0 ||
		    !(root = yaml_to_json(ys->docs[0], &yerr)))
			log_err("tabby-bgpd: %s", yerr.text);
		yaml_stream_free(ys);
		return root;
	}
	text = bgpd_read_file(path);
	if (!text) {
		log_err("tabby-bgpd: cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	root = cJSON_Parse(text);
	if (!root)
		log_err("tabby-bgpd: %s: not valid JSON", path);
	free(text);
	return root;
}

static int bgpd_config(struct bgpd *d, const char *path)
{
	struct bgp_speaker_config sc = {0};
	struct in_addr rid;
	const cJSON *arr, *it;
	const char *s;
	uint32_t v;
	cJSON *root = bgpd_load(path);
	int err = -EINVAL;

	if (!root)
		goto out;
	if (json_u32(root, "local_as", 64512, &sc.local_as) < 0)
		goto out;
	s = json_str(root, "router_id");
	if (!s || inet_pton(AF_INET, s, &rid) != 1) {
		log_err("tabby-bgpd: router_id must be a dotted quad");
		goto out;
	}
	sc.router_id = ntohl(rid.s_addr);
	s = json_str(root, "listen");
	if (s && addr_parse(s, &sc.listen_addr) < 0)
		goto out;
	if (json_u32(root, "listen_port", 179, &v) < 0 || v > 65535)
		goto out;
	sc.listen_port = v;
	sc.no_listen = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "listen_enabled"));
	if (json_u32(root, "multipath", 1, &sc.multipath) < 0 ||
	    json_u32(root, "cluster_id", 0, &sc.cluster_id) < 0)
		goto out;
	if ((s = json_str(root, "dump_file")))
		d->dump_file = strdup(s);
	if ((s = json_str(root, "control_socket")))
		d->ctl_path = strdup(s);
	err = bgp_speaker_new(d->base, &sc, &d->sp);
	if (err) {
		log_err("tabby-bgpd: cannot start the speaker: %s", strerror(-err));
		goto out;
	}
	arr = cJSON_GetObjectItemCaseSensitive(root, "peers");
	cJSON_ArrayForEach(it, arr)
	{
		err = bgpd_peer_json(d, it);
		if (err)
			goto out;
	}
	arr = cJSON_GetObjectItemCaseSensitive(root, "originate");
	cJSON_ArrayForEach(it, arr)
	{
		err = bgpd_originate_json(d, it);
		if (err) {
			log_err("tabby-bgpd: bad originate entry: %s", strerror(-err));
			goto out;
		}
	}
	err = 0;
out:
	cJSON_Delete(root);
	return err;
}

static cJSON *bgpd_show(struct bgpd *d)
{
	cJSON *o = bgp_speaker_to_json(d->sp);

	if (o) {
		cJSON_AddItemToObject(o, "rib", bgp_rib_to_json(d->sp));
		cJSON_AddNumberToObject(o, "best_changes", (double)d->best_changes);
	}
	return o;
}

/* One control command; returns the JSON answer. */
static cJSON *bgpd_command(struct bgpd *d, char *line)
{
	char *argv[40];
	int argc = 0, err = 0;
	char *save = NULL, *tok;
	cJSON *ans = NULL;
	struct addr a;

	for (tok = strtok_r(line, " \t\r\n", &save); tok && argc < 40;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = tok;
	if (argc == 0 || !strcmp(argv[0], "show"))
		return bgpd_show(d);
	if (!strcmp(argv[0], "peers"))
		return bgp_speaker_to_json(d->sp);
	if (!strcmp(argv[0], "rib"))
		return bgp_rib_to_json(d->sp);
	if (!strcmp(argv[0], "originate") && argc >= 2) {
		cJSON *o = cJSON_CreateObject(), *comms = NULL;
		int i;

		cJSON_AddStringToObject(o, "prefix", argv[1]);
		for (i = 2; i + 1 < argc; i += 2) {
			if (!strcmp(argv[i], "community")) {
				if (!comms)
					comms = cJSON_AddArrayToObject(o, "communities");
				cJSON_AddItemToArray(comms, cJSON_CreateString(argv[i + 1]));
			} else {
				cJSON_AddNumberToObject(o, argv[i], strtod(argv[i + 1], NULL));
			}
		}
		err = bgpd_originate_json(d, o);
		cJSON_Delete(o);
	} else if (!strcmp(argv[0], "withdraw") && argc == 2) {
		struct prefix p;

		err = prefix_parse(argv[1], &p, true);
		if (!err)
			err = bgp_withdraw(d->sp, &p);
	} else if ((!strcmp(argv[0], "refresh") || !strcmp(argv[0], "reset")) && argc == 2) {
		struct bgp_peer *peer;

		err = addr_parse(argv[1], &a);
		peer = err ? NULL : bgp_peer_find(d->sp, &a);
		if (!peer)
			err = -ENOENT;
		else if (argv[0][2] == 'f')
			err = bgp_peer_request_refresh(peer, 0);
		else
			bgp_peer_reset(peer);
	} else {
		err = -EINVAL;
	}
	ans = cJSON_CreateObject();
	cJSON_AddBoolToObject(ans, "ok", err == 0);
	if (err)
		cJSON_AddStringToObject(ans, "error", strerror(-err));
	return ans;
}

static void bgpd_ctl_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct bgpd *d = arg;
	struct timeval tv = {.tv_sec = 2};
	char line[1024];
	ssize_t n;
	size_t len = 0;
	cJSON *ans;
	char *out;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < sizeof(line) - 1 && (n = read(fd, line + len, sizeof(line) - 1 - len)) > 0) {
		len += n;
		if (memchr(line, '\n', len))
			break;
	}
	line[len] = 0;
	ans = bgpd_command(d, line);
	out = ans ? cJSON_PrintUnformatted(ans) : NULL;
	if (out) {
		size_t off = 0, olen = strlen(out);

		while (off < olen && (n = write(fd, out + off, olen - off)) > 0)
			off += n;
		(void)!write(fd, "\n", 1);
	}
	free(out);
	cJSON_Delete(ans);
	close(fd);
}

static int bgpd_ctl_listen(struct bgpd *d)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	if (strlen(d->ctl_path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, d->ctl_path);
	unlink(d->ctl_path);
	d->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->ctl_fd < 0)
		return -errno;
	if (bind(d->ctl_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(d->ctl_fd, 8) < 0)
		return -errno;
	chmod(d->ctl_path, 0600);
	d->ev_ctl = event_new(d->base, d->ctl_fd, EV_READ | EV_PERSIST, bgpd_ctl_cb, d);
	if (!d->ev_ctl)
		return -ENOMEM;
	return event_add(d->ev_ctl, NULL);
}

static void bgpd_dump(struct bgpd *d)
{
	cJSON *o = bgpd_show(d);
	char *text = o ? cJSON_Print(o) : NULL;
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", d->dump_file);
	f = text ? fopen(tmp, "w") : NULL;
	if (f) {
		fputs(text, f);
		fputc('\n', f);
		if (fclose(f) == 0)
			rename(tmp, d->dump_file);
	}
	free(text);
	cJSON_Delete(o);
}

static void bgpd_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct bgpd *d = arg;

	if (sig == SIGUSR1) {
		if (d->dump_file)
			bgpd_dump(d);
		return;
	}
	log_info("tabby-bgpd: signal %d, stopping", (int)sig);
	event_base_loopbreak(d->base);
}

static void bgpd_best_cb(void *arg, const struct bgp_best_change *ch, size_t n)
{
	struct bgpd *d = arg;
	char pb[PREFIX_STRLEN], nb[ADDR_STRLEN];
	size_t i;

	d->best_changes += n;
	if (LOG_DEBUG > log_level_current)
		return;
	for (i = 0; i < n; i++)
		log_debug("tabby-bgpd: best %s %s%s", prefix_format(&ch[i].prefix, pb, sizeof(pb)),
		          ch[i].withdrawn ? "withdrawn" : "via ",
		          !ch[i].withdrawn && ch[i].n_next_hops
		              ? addr_format(&ch[i].next_hops[0], nb, sizeof(nb))
		              : "");
}

/* --query SOCKET COMMAND...: send one line, print the answer. */
static int bgpd_query(int argc, char **argv)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char line[1024] = "", buf[65536];
	ssize_t n;
	int fd, i;

	if (argc < 1 || strlen(argv[0]) >= sizeof(sun.sun_path))
		return 2;
	strcpy(sun.sun_path, argv[0]);
	for (i = 1; i < argc; i++) {
		strncat(line, argv[i], sizeof(line) - strlen(line) - 2);
		strncat(line, " ", sizeof(line) - strlen(line) - 1);
	}
	strncat(line, "\n", sizeof(line) - strlen(line) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "tabby-bgpd: %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	if (write(fd, line, strlen(line)) < 0)
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"debug", no_argument, NULL, 'd'},
	    {"query", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct bgpd d = {.ctl_fd = -1};
	const char *config = NULL;
	int level = LOG_INFO, c, rc = 1;

	while ((c = getopt_long(argc, argv, "+c:dqh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'd':
			level = LOG_DEBUG;
			break;
		case 'q':
			return bgpd_query(argc - optind, argv + optind);
		default:
			fprintf(stderr, "usage: tabby-bgpd -c CONFIG.json [-d]\n"
			                "       tabby-bgpd --query SOCKET show|peers|rib|originate "
			                "PREFIX|withdraw PREFIX|refresh PEER|reset PEER\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!config) {
		fprintf(stderr, "tabby-bgpd: -c CONFIG.json is required\n");
		return 2;
	}
	log_init("tabby-bgpd", level, LOG_TARGET_STDERR);
	signal(SIGPIPE, SIG_IGN);
	d.base = event_base_new();
	if (!d.base)
		return 1;
	if (bgpd_config(&d, config) < 0)
		goto out;
	bgp_subscribe_best(d.sp, bgpd_best_cb, &d);
	if (d.ctl_path && bgpd_ctl_listen(&d) < 0) {
		log_err("tabby-bgpd: cannot listen on %s: %s", d.ctl_path, strerror(errno));
		goto out;
	}
	d.ev_usr1 = evsignal_new(d.base, SIGUSR1, bgpd_signal_cb, &d);
	d.ev_int = evsignal_new(d.base, SIGINT, bgpd_signal_cb, &d);
	d.ev_term = evsignal_new(d.base, SIGTERM, bgpd_signal_cb, &d);
	event_add(d.ev_usr1, NULL);
	event_add(d.ev_int, NULL);
	event_add(d.ev_term, NULL);
	log_info("tabby-bgpd: running");
	event_base_dispatch(d.base);
	rc = 0;
out:
	bgp_speaker_free(d.sp);
	if (d.ev_ctl)
		event_free(d.ev_ctl);
	if (d.ctl_fd >= 0) {
		close(d.ctl_fd);
		unlink(d.ctl_path);
	}
	if (d.ev_usr1)
		event_free(d.ev_usr1);
	if (d.ev_int)
		event_free(d.ev_int);
	if (d.ev_term)
		event_free(d.ev_term);
	event_base_free(d.base);
	free(d.dump_file);
	free(d.ctl_path);
	return rc;
}
