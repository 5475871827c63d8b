/*
 * DOC: bgp_inject - a minimal, fast BGP injector for the RIB-ingest benchmark.
 *
 * Benchmark tooling, not part of the product. It pre-encodes the whole UPDATE
 * stream for one attribute mix and N IPv4 prefixes before it even connects,
 * opens one eBGP session (RFC 4271 4.2 OPEN with the capabilities of
 * RFC 4760 (multiprotocol, IPv4 unicast) and RFC 6793 (4-octet AS)), and once
 * the session is Established writes the stream in large writes followed by
 * End-of-RIB (RFC 4724 2: an UPDATE without withdrawn routes, attributes or
 * NLRI). Then it keeps the session up with KEEPALIVEs until SIGTERM/SIGINT.
 *
 * Mixes:
 *   packed  one attribute set (ORIGIN IGP, AS_PATH [local AS], NEXT_HOP local),
 *           as many prefixes per UPDATE as fit in 4096 octets (~1000 /24s);
 *   unique  the same plus MULTI_EXIT_DISC = i for prefix i, one prefix per UPDATE.
 * Prefixes are 100.0.0.0/24, 100.0.1.0/24, ... (or /32s with -L 32).
 *
 * Output on stdout, one "key=value" per line, flushed as it happens, for the
 * harness (tests/bench/bench_bgp_ingest.sh): established_realtime (CLOCK_REALTIME,
 * seconds), the receiver's CPU ticks and RSS at that instant when -P names its
 * processes, write_done_realtime when the last byte went to the kernel, and
 * the injector's own CPU time.
 */
#include <config.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <tabby/buf.h>

/* RFC 4271 4.1: message header and types. */
#define BGP_HEADER_LEN    19
#define BGP_MAX_MSG       4096
#define BGP_MSG_OPEN      1
#define BGP_MSG_UPDATE    2
#define BGP_MSG_NOTIFY    3
#define BGP_MSG_KEEPALIVE 4
#define BGP_AS_TRANS      23456 /* RFC 6793 9 */
#define BGP_HOLD_TIME     90
#define INJECT_CHUNK      (1u << 20) /* bytes per write() */

enum inject_mix {
	INJECT_MIX_PACKED,
	INJECT_MIX_UNIQUE,
};

struct inject_opts {
	enum inject_mix mix;
	uint32_t n;
	struct in_addr local, peer;
	bool have_peer;
	uint32_t local_as, peer_as; /* peer_as 0: accept any */
	int prefix_len;
	bool listen;
	const char *pids;
	int timeout_s;
	const char *write_file;
};

/* What the harness needs from the peer's OPEN. */
struct inject_peer_open {
	uint32_t as;
	uint16_t hold_time;
	bool as4;
};

/* The receiver's processes at one instant. */
struct inject_sample {
	unsigned long long cpu_ticks; /* utime + stime, all threads */
	unsigned long long rss_kib;   /* VmRSS */
	unsigned long long cpu_ns;    /* sum_exec_runtime of the live threads (schedstat) */
};

/* The i-th prefix's address in host order, or 0 past 223.255.255.255. */
static uint32_t inject_prefix_base(const struct inject_opts *o, uint32_t i)
{
	uint64_t a = 0x64000000ull + ((uint64_t)i << (32 - o->prefix_len));

	return a > 0xdfffffffull ? 0 : (uint32_t)a;
}

/* RFC 4271 4.1: marker and type; the length is patched by inject_end_msg(). */
static size_t inject_begin_msg(struct buf_writer *w, uint8_t type)
{
	size_t start = w->len;

	for (int i = 0; i < 4; i++)
		buf_put_u32(w, 0xffffffffu);
	buf_put_u16(w, 0);
	buf_put_u8(w, type);
	return start;
}

static void inject_end_msg(struct buf_writer *w, size_t start)
{
	buf_patch_u16(w, start + 16, (uint16_t)(w->len - start));
}

static void inject_encode_keepalive(struct buf_writer *w)
{
	inject_end_msg(w, inject_begin_msg(w, BGP_MSG_KEEPALIVE));
}

/* RFC 4271 4.2 OPEN with capabilities (RFC 5492): MP IPv4 unicast, 4-octet AS. */
static void inject_encode_open(struct buf_writer *w, uint32_t as, uint32_t id_net, uint16_t hold)
{
	size_t start = inject_begin_msg(w, BGP_MSG_OPEN);

	buf_put_u8(w, 4);
	buf_put_u16(w, as > 0xffff ? BGP_AS_TRANS : (uint16_t)as);
	buf_put_u16(w, hold);
	buf_put_bytes(w, &id_net, 4);
	buf_put_u8(w, 14); /* optional parameters length */
	buf_put_u8(w, 2);  /* parameter: capabilities */
	buf_put_u8(w, 12); /* its length */
	buf_put_u8(w, 1);  /* RFC 4760 8: multiprotocol */
	buf_put_u8(w, 4);
	buf_put_u16(w, 1); /* AFI IPv4 */
	buf_put_u8(w, 0);
	buf_put_u8(w, 1);  /* SAFI unicast */
	buf_put_u8(w, 65); /* RFC 6793 3: 4-octet AS */
	buf_put_u8(w, 4);
	buf_put_u32(w, as);
	inject_end_msg(w, start);
}

/* RFC 4271 4.2 and RFC 5492 4: the peer's AS, hold time and 4-octet AS capability. */
static int inject_parse_open(const uint8_t *msg, size_t len, struct inject_peer_open *po)
{
	struct buf_reader r, params;
	uint8_t version = 0, plen = 0;
	uint16_t as2 = 0;

	*po = (struct inject_peer_open){0};
	buf_reader_init(&r, msg, len);
	buf_skip(&r, BGP_HEADER_LEN);
	buf_get_u8(&r, &version);
	buf_get_u16(&r, &as2);
	buf_get_u16(&r, &po->hold_time);
	buf_skip(&r, 4);
	buf_get_u8(&r, &plen);
	if (buf_sub(&r, plen, &params) < 0 || version != 4)
		return -EBADMSG;
	po->as = as2;
	while (buf_remaining(&params) > 0) {
		struct buf_reader caps;
		uint8_t ptype = 0, pl = 0;

		buf_get_u8(&params, &ptype);
		buf_get_u8(&params, &pl);
		if (buf_sub(&params, pl, &caps) < 0)
			return -EBADMSG;
		while (ptype == 2 && buf_remaining(&caps) > 0) {
			struct buf_reader cap;
			uint8_t code = 0, cl = 0;

			buf_get_u8(&caps, &code);
			buf_get_u8(&caps, &cl);
			if (buf_sub(&caps, cl, &cap) < 0)
				return -EBADMSG;
			if (code == 65 && buf_get_u32(&cap, &po->as) == 0)
				po->as4 = true;
		}
	}
	return 0;
}

/*
 * RFC 4271 4.3 / 5.1: the path attributes every UPDATE carries: ORIGIN IGP,
 * AS_PATH one AS_SEQUENCE [as] with 4-octet ASNs (RFC 6793 4.1, both sides
 * have the capability), NEXT_HOP, and for the unique mix MULTI_EXIT_DISC.
 */
static void inject_encode_attrs(struct buf_writer *w, const struct inject_opts *o, bool med,
                                uint32_t med_value)
{
	size_t len_at = w->len;

	buf_put_u16(w, 0); /* total path attribute length, patched below */
	buf_put_u8(w, 0x40);
	buf_put_u8(w, 1); /* ORIGIN */
	buf_put_u8(w, 1);
	buf_put_u8(w, 0); /* IGP */
	buf_put_u8(w, 0x40);
	buf_put_u8(w, 2); /* AS_PATH */
	buf_put_u8(w, 6);
	buf_put_u8(w, 2); /* AS_SEQUENCE */
	buf_put_u8(w, 1);
	buf_put_u32(w, o->local_as);
	buf_put_u8(w, 0x40);
	buf_put_u8(w, 3); /* NEXT_HOP */
	buf_put_u8(w, 4);
	buf_put_bytes(w, &o->local.s_addr, 4);
	if (med) {
		buf_put_u8(w, 0x80);
		buf_put_u8(w, 4); /* MULTI_EXIT_DISC */
		buf_put_u8(w, 4);
		buf_put_u32(w, med_value);
	}
	buf_patch_u16(w, len_at, (uint16_t)(w->len - len_at - 2));
}

/* RFC 4271 4.3: NLRI as length + the significant octets of the prefix. */
static void inject_encode_nlri(struct buf_writer *w, const struct inject_opts *o, uint32_t i)
{
	uint32_t a = inject_prefix_base(o, i);

	buf_put_u8(w, (uint8_t)o->prefix_len);
	buf_put_u24(w, a >> 8);
	if (o->prefix_len > 24)
		buf_put_u8(w, (uint8_t)a);
}

/* The whole stream for the mix: UPDATEs for prefixes 0..n-1, then End-of-RIB. */
static int inject_encode_stream(struct buf_writer *w, const struct inject_opts *o)
{
	size_t nlri_len = 1 + (size_t)o->prefix_len / 8, eor;
	uint32_t i = 0;

	while (i < o->n && buf_writer_ok(w)) {
		size_t start = inject_begin_msg(w, BGP_MSG_UPDATE);

		buf_put_u16(w, 0); /* no withdrawn routes */
		if (o->mix == INJECT_MIX_UNIQUE) {
			inject_encode_attrs(w, o, true, i);
			inject_encode_nlri(w, o, i++);
		} else {
			inject_encode_attrs(w, o, false, 0);
			while (i < o->n && w->len - start + nlri_len <= BGP_MAX_MSG)
				inject_encode_nlri(w, o, i++);
		}
		inject_end_msg(w, start);
	}
	/* RFC 4724 2: End-of-RIB for IPv4 unicast is an UPDATE with nothing in it. */
	eor = inject_begin_msg(w, BGP_MSG_UPDATE);
	buf_put_u16(w, 0);
	buf_put_u16(w, 0);
	inject_end_msg(w, eor);
	return buf_writer_ok(w) ? 0 : -ENOMEM;
}

/* Add the on-CPU nanoseconds (first field of proc(5) schedstat) of each thread of pid. */
static void inject_proc_sched(const char *pid, unsigned long long *ns)
{
	char path[300];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		unsigned long long v = 0;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task/%s/schedstat", pid, de->d_name);
		f = fopen(path, "re");
		if (f && fscanf(f, "%llu", &v) == 1)
			*ns += v;
		if (f)
			fclose(f);
	}
	closedir(d);
}

/* utime + stime (fields 14 and 15 of proc(5) stat), schedstat and VmRSS of each listed PID. */
static int inject_proc_sample(const char *pids, struct inject_sample *s)
{
	char path[64], line[1024], *list = NULL, *save = NULL;
	int ret = 0;

	*s = (struct inject_sample){0};
	if (!pids)
		return 0;
	list = strdup(pids);
	if (!list)
		return -ENOMEM;
	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long long ut = 0, st = 0, kib = 0;
		FILE *f;
		char *p;

		snprintf(path, sizeof(path), "/proc/%s/stat", tok);
		f = fopen(path, "re");
		if (!f) {
			ret = -errno;
			goto out;
		}
		p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
		fclose(f);
		if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		                 &ut, &st) != 2) {
			ret = -EBADMSG;
			goto out;
		}
		s->cpu_ticks += ut + st;
		inject_proc_sched(tok, &s->cpu_ns);
		snprintf(path, sizeof(path), "/proc/%s/status", tok);
		f = fopen(path, "re");
		if (!f) {
			ret = -errno;
			goto out;
		}
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "VmRSS: %llu", &kib) == 1)
				s->rss_kib += kib;
		fclose(f);
	}
out:
	free(list);
	return ret;
}

static volatile sig_atomic_t inject_stop;

static void inject_on_signal(int sig)
{
	(void)sig;
	inject_stop = 1;
}

static void inject_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: bgp_inject -m packed|unique -n N -l LOCAL_ADDR -p PEER_ADDR [options]\n"
	    "  -a AS        local AS (default 65001)\n"
	    "  -A AS        expected peer AS (default: accept any)\n"
	    "  -L LEN       prefix length, 24 or 32 (default 24)\n"
	    "  -s           listen on LOCAL_ADDR:179 and accept the peer instead of connecting\n"
	    "  -P PID,...   processes of the receiver: sample CPU ticks and RSS at Established\n"
	    "  -t SECONDS   give up connecting/accepting after this long (default 60)\n"
	    "  -w FILE      write the encoded UPDATE stream (with End-of-RIB) to FILE and exit\n");
}

static int inject_parse_args(int argc, char **argv, struct inject_opts *o)
{
	int c;

	*o = (struct inject_opts){.local_as = 65001, .prefix_len = 24, .timeout_s = 60};
	while ((c = getopt(argc, argv, "m:n:l:p:a:A:L:sP:t:w:h")) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "packed") == 0)
				o->mix = INJECT_MIX_PACKED;
			else if (strcmp(optarg, "unique") == 0)
				o->mix = INJECT_MIX_UNIQUE;
			else
				return -EINVAL;
			break;
		case 'n':
			o->n = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'l':
			if (inet_pton(AF_INET, optarg, &o->local) != 1)
				return -EINVAL;
			break;
		case 'p':
			if (inet_pton(AF_INET, optarg, &o->peer) != 1)
				return -EINVAL;
			o->have_peer = true;
			break;
		case 'a':
			o->local_as = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'A':
			o->peer_as = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'L':
			o->prefix_len = atoi(optarg);
			break;
		case 's':
			o->listen = true;
			break;
		case 'P':
			o->pids = optarg;
			break;
		case 't':
			o->timeout_s = atoi(optarg);
			break;
		case 'w':
			o->write_file = optarg;
			break;
		case 'h':
			inject_usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (o->n == 0 || o->local.s_addr == 0 || (o->prefix_len != 24 && o->prefix_len != 32))
		return -EINVAL;
	if (!o->write_file && !o->have_peer && !o->listen)
		return -EINVAL;
	if (inject_prefix_base(o, o->n - 1) == 0)
		return -ERANGE;
	return 0;
}

/* This process's CPU seconds (user + system) so far. */
static double inject_self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void inject_print_time(const char *key)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%s=%lld.%09ld\n", key, (long long)ts.tv_sec, ts.tv_nsec);
	fflush(stdout);
}

/* Write all of buf to a blocking fd. */
static int inject_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes from a blocking fd; -ECONNRESET on EOF. */
static int inject_read_all(int fd, uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR) {
			if (inject_stop)
				return -EINTR;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* RFC 4271 4.1: read one whole message into msg (BGP_MAX_MSG bytes). */
static int inject_read_msg(int fd, uint8_t *msg, uint8_t *type, size_t *len)
{
	struct buf_reader r;
	uint16_t mlen = 0;
	int ret;

	ret = inject_read_all(fd, msg, BGP_HEADER_LEN);
	if (ret < 0)
		goto out;
	buf_reader_init(&r, msg, BGP_HEADER_LEN);
	buf_skip(&r, 16);
	buf_get_u16(&r, &mlen);
	buf_get_u8(&r, type);
	if (!buf_reader_ok(&r) || mlen < BGP_HEADER_LEN || mlen > BGP_MAX_MSG) {
		ret = -EBADMSG;
		goto out;
	}
	ret = inject_read_all(fd, msg + BGP_HEADER_LEN, mlen - BGP_HEADER_LEN);
	*len = mlen;
out:
	return ret;
}

/* Report a NOTIFICATION (RFC 4271 4.5) from the peer on stderr. */
static void inject_report_notification(const uint8_t *msg, size_t len)
{
	struct buf_reader r;
	uint8_t code = 0, sub = 0;

	buf_reader_init(&r, msg, len);
	buf_skip(&r, BGP_HEADER_LEN);
	buf_get_u8(&r, &code);
	buf_get_u8(&r, &sub);
	fprintf(stderr, "bgp_inject: peer sent NOTIFICATION %u/%u\n", code, sub);
}

/* OPEN, then KEEPALIVE both ways (RFC 4271 8.2.2): returns the negotiated hold time. */
static int inject_handshake(int fd, const struct inject_opts *o)
{
	uint8_t msg[BGP_MAX_MSG];
	struct buf_writer w;
	struct inject_peer_open po;
	uint8_t type = 0;
	size_t len = 0;
	int ret;

	buf_writer_init_fixed(&w, msg, sizeof(msg));
	inject_encode_open(&w, o->local_as, o->local.s_addr, BGP_HOLD_TIME);
	if (!buf_writer_ok(&w))
		return -ENOBUFS;
	ret = inject_write_all(fd, msg, w.len);
	if (ret < 0)
		return ret;
	ret = inject_read_msg(fd, msg, &type, &len);
	if (ret < 0)
		return ret;
	if (type != BGP_MSG_OPEN) {
		if (type == BGP_MSG_NOTIFY)
			inject_report_notification(msg, len);
		return -EPROTO;
	}
	ret = inject_parse_open(msg, len, &po);
	if (ret < 0)
		return ret;
	if (!po.as4) {
		fprintf(stderr, "bgp_inject: peer lacks the 4-octet AS capability\n");
		return -EPROTONOSUPPORT;
	}
	if (o->peer_as && po.as != o->peer_as) {
		fprintf(stderr, "bgp_inject: peer AS %" PRIu32 ", expected %" PRIu32 "\n", po.as,
		        o->peer_as);
		return -EPROTO;
	}
	buf_writer_init_fixed(&w, msg, sizeof(msg));
	inject_encode_keepalive(&w);
	ret = inject_write_all(fd, msg, w.len);
	if (ret < 0)
		return ret;
	ret = inject_read_msg(fd, msg, &type, &len);
	if (ret < 0)
		return ret;
	if (type != BGP_MSG_KEEPALIVE) {
		if (type == BGP_MSG_NOTIFY)
			inject_report_notification(msg, len);
		return -EPROTO;
	}
	return po.hold_time < BGP_HOLD_TIME ? po.hold_time : BGP_HOLD_TIME;
}

/* Connect to the peer (retrying while it is not up yet) or accept it. */
static int inject_connect(const struct inject_opts *o)
{
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr = o->local};
	struct sockaddr_in peer = {
	    .sin_family = AF_INET, .sin_addr = o->peer, .sin_port = htons(179)};
	int one = 1, fd = -1, lfd = -1, ret = -ETIMEDOUT;

	for (int tries = 0; tries < o->timeout_s * 10 && !inject_stop; tries++) {
		if (o->listen) {
			local.sin_port = htons(179);
			lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (lfd < 0 ||
			    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
			    bind(lfd, (struct sockaddr *)&local, sizeof(local)) || listen(lfd, 1)) {
				ret = -errno;
				goto out;
			}
			/* accept() honours the receive timeout of the listening socket. */
			setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO,
			           &(struct timeval){.tv_sec = o->timeout_s},
			           sizeof(struct timeval));
			fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			ret = fd < 0 ? -errno : 0;
			goto out;
		}
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local))) {
			ret = -errno;
			goto out;
		}
		if (connect(fd, (struct sockaddr *)&peer, sizeof(peer)) == 0) {
			ret = 0;
			goto out;
		}
		ret = -errno;
		close(fd);
		fd = -1;
		usleep(100000);
	}
out:
	if (lfd >= 0)
		close(lfd);
	if (ret < 0 && fd >= 0)
		close(fd);
	return ret < 0 ? ret : fd;
}

/* Discard whatever the peer sent; a NOTIFICATION or EOF ends the session. */
static int inject_drain(int fd, uint8_t *rbuf, size_t *rlen)
{
	ssize_t n = read(fd, rbuf + *rlen, BGP_MAX_MSG * 2 - *rlen);
	struct buf_reader r;
	size_t off = 0;

	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;
	*rlen += (size_t)n;
	buf_reader_init(&r, rbuf, *rlen);
	/* RFC 4271 4.1: walk whole messages; keep a partial one for the next read. */
	while (buf_remaining(&r) >= BGP_HEADER_LEN) {
		uint16_t mlen = 0;
		uint8_t type = 0;

		buf_skip(&r, 16);
		buf_get_u16(&r, &mlen);
		buf_get_u8(&r, &type);
		if (mlen < BGP_HEADER_LEN || mlen > BGP_MAX_MSG)
			return -EBADMSG;
		if (buf_skip(&r, mlen - BGP_HEADER_LEN) < 0)
			break;
		if (type == BGP_MSG_NOTIFY) {
			inject_report_notification(rbuf + off, mlen);
			return -ECONNRESET;
		}
		off += mlen;
	}
	memmove(rbuf, rbuf + off, *rlen - off);
	*rlen -= off;
	return 0;
}

/*
 * Write the stream with large non-blocking writes while draining the input,
 * then keep the session alive until told to stop (RFC 4271 4.4: KEEPALIVE
 * every hold/3 seconds).
 */
static int inject_run(int fd, const uint8_t *stream, size_t stream_len, int hold)
{
	double cpu_start = inject_self_cpu();
	uint8_t rbuf[BGP_MAX_MSG * 2], ka[BGP_HEADER_LEN];
	struct buf_writer w;
	size_t off = 0, rlen = 0;
	time_t last_ka = time(NULL);
	int ret = 0;

	buf_writer_init_fixed(&w, ka, sizeof(ka));
	inject_encode_keepalive(&w);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (!inject_stop) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN | (off < stream_len ? POLLOUT : 0)};
		int timeout = off < stream_len ? 1000 : 500;

		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			ret = -errno;
			goto out;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			ret = inject_drain(fd, rbuf, &rlen);
			if (ret < 0)
				goto out;
		}
		if ((pfd.revents & POLLOUT) && off < stream_len) {
			size_t chunk =
			    stream_len - off < INJECT_CHUNK ? stream_len - off : INJECT_CHUNK;
			ssize_t n = write(fd, stream + off, chunk);

			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				ret = -errno;
				goto out;
			}
			off += n > 0 ? (size_t)n : 0;
			if (off == stream_len) {
				/* The burst's cost only: encoding happened before connecting. */
				inject_print_time("write_done_realtime");
				printf("injector_cpu_s=%.3f\n", inject_self_cpu() - cpu_start);
				fflush(stdout);
			}
		}
		if (off == stream_len && hold > 0 && time(NULL) - last_ka >= hold / 3) {
			/* Small enough to go out whole once the burst has drained. */
			if (write(fd, ka, sizeof(ka)) == (ssize_t)sizeof(ka))
				last_ka = time(NULL);
		}
	}
out:
	return ret;
}

static int inject_write_file(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret;

	if (fd < 0)
		return -errno;
	ret = inject_write_all(fd, data, len);
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = inject_on_signal};
	struct inject_opts o;
	struct inject_sample s;
	struct buf_writer stream;
	int fd = -1, hold, ret;

	buf_writer_init(&stream, 0);
	ret = inject_parse_args(argc, argv, &o);
	if (ret < 0) {
		inject_usage(stderr);
		goto out;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = inject_encode_stream(&stream, &o);
	if (ret < 0)
		goto out;
	printf("stream_bytes=%zu\nprefixes=%" PRIu32 "\n", stream.len, o.n);
	fflush(stdout);
	if (o.write_file) {
		ret = inject_write_file(o.write_file, stream.data, stream.len);
		goto out;
	}

	fd = inject_connect(&o);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	hold = inject_handshake(fd, &o);
	if (hold < 0) {
		ret = hold;
		goto out;
	}
	/* Established: sample the receiver first, then print, then burst. */
	ret = inject_proc_sample(o.pids, &s);
	inject_print_time("established_realtime");
	if (ret == 0 && o.pids)
		printf("receiver_cpu_ticks=%llu\nreceiver_cpu_ns=%llu\nreceiver_rss_kib=%llu\n"
		       "clk_tck=%ld\n",
		       s.cpu_ticks, s.cpu_ns, s.rss_kib, sysconf(_SC_CLK_TCK));
	fflush(stdout);
	ret = inject_run(fd, stream.data, stream.len, hold);
	if (ret == 0) {
		/* RFC 4486 3: Cease / Administrative Shutdown, best effort. */
		static const uint8_t cease[] = {[0 ... 15] = 0xff, 0, 21, BGP_MSG_NOTIFY, 6, 2};

		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		(void)!write(fd, cease, sizeof(cease));
	}
out:
	if (fd >= 0)
		close(fd);
	buf_writer_free(&stream);
	if (ret < 0 && ret != -EINVAL)
		fprintf(stderr, "bgp_inject: %s\n", strerror(-ret));
	return ret < 0 ? 1 : 0;
}
