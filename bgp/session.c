/*
 * DOC: BGP transport: listening, connecting, TCP-MD5, GTSM and framing.
 *
 * Raw non-blocking sockets with libevent events and our own buffers, so the
 * receive path can be fast: each read fills as much of a 128 KiB buffer as
 * the kernel has, every complete message in it is handed to peer.c in place
 * (no copy per message), and only a trailing partial message is moved to the
 * front. While an UPDATE is handled, the one after it (if whole) is already
 * being decoded by the RIB (rib_peer_update_prefetch), and the Loc-RIB
 * changes of one read callback are batched (rib_batch_begin/end). The send path appends whole
 * messages to one growing buffer and writes as much as the socket takes; a write event finishes the
 * rest.
 *
 * TCP-MD5 (RFC 2385) is a per-peer-address key set with TCP_MD5SIG on the
 * connecting socket and on every listening socket. GTSM (RFC 5082) sends with
 * TTL (hop limit) 255 and drops anything that arrives with less than 254.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/socket.h>

#include <event2/event.h>

#include <tabby/log.h>

#include "peer.h"

#ifndef IP_MINTTL
#define IP_MINTTL 21
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73
#endif

static socklen_t session_sockaddr(const struct addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->bytes, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	memcpy(&s4->sin_addr, a->bytes, 4);
	return sizeof(*s4);
}

static void session_addr_from(const struct sockaddr_storage *ss, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			a->family = AF_INET;
			memcpy(a->bytes, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			addr_from_in6(a, &s6->sin6_addr);
		}
	} else if (ss->ss_family == AF_INET) {
		addr_from_in(a, &((const struct sockaddr_in *)ss)->sin_addr);
	}
}

/* RFC 2385: the key protects every segment to and from this peer address. */
int bgp_session_set_md5(int fd, const struct addr *peer, const char *key)
{
	struct tcp_md5sig md5;
	size_t len = key ? strlen(key) : 0;

	if (len > TCP_MD5SIG_MAXKEYLEN)
		return -EINVAL;
	memset(&md5, 0, sizeof(md5));
	session_sockaddr(peer, 0, &md5.tcpm_addr);
	md5.tcpm_keylen = len;
	if (len)
		memcpy(md5.tcpm_key, key, len);
	if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5)) < 0)
		return -errno;
	return 0;
}

/* RFC 5082 3: send with TTL 255, accept only 255 - (hops - 1) = 254 for a one-hop peer. */
int bgp_session_set_gtsm(int fd, int family)
{
	int ttl = 255, min = 254;

	if (family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &min, sizeof(min)) < 0)
			return -errno;
		return 0;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MINTTL, &min, sizeof(min)) < 0)
		return -errno;
	return 0;
}

/* ---- listening --------------------------------------------------------- */

static void session_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct bgp_speaker *sp = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct bgp_peer *peer;
	struct addr remote;
	char buf[ADDR_STRLEN];
	int fd;

	fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	session_addr_from(&ss, &remote);
	peer = bgp_peer_find(sp, &remote);
	if (!peer) {
		log_info("bgp: refused connection from %s: not a configured peer",
		         addr_format(&remote, buf, sizeof(buf)));
		close(fd);
		return;
	}
	bgp_peer_accept(peer, fd);
}

static int session_listen_one(struct bgp_speaker *sp, const struct addr *a)
{
	struct sockaddr_storage ss;
	socklen_t sl = session_sockaddr(a, sp->cfg.listen_port, &ss);
	struct bgp_listener *l = &sp->listeners[sp->n_listeners];
	int fd, one = 1, err;
	char buf[ADDR_STRLEN];

	fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/*
	 * RFC 5082 3: a GTSM peer must see TTL 255 on every segment, and the
	 * kernel answers a SYN (SYN-ACK) with the listener's TTL before accept()
	 * hands us the socket. Sending 255 to other peers does no harm.
	 */
	{
		int ttl = 255;

		if (a->family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl));
		else
			setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
		err = -errno;
		log_err("bgp: cannot listen on [%s]:%u: %s", addr_format(a, buf, sizeof(buf)),
		        sp->cfg.listen_port, strerror(-err));
		close(fd);
		return err;
	}
	l->fd = fd;
	l->ev = event_new(sp->base, fd, EV_READ | EV_PERSIST, session_accept_cb, sp);
	if (!l->ev) {
		close(fd);
		return -ENOMEM;
	}
	event_add(l->ev, NULL);
	sp->n_listeners++;
	log_info("bgp: listening on [%s]:%u", addr_format(a, buf, sizeof(buf)),
	         sp->cfg.listen_port);
	return 0;
}

int bgp_session_listen(struct bgp_speaker *sp)
{
	struct addr any4 = {.family = AF_INET}, any6 = {.family = AF_INET6};
	int err;

	if (sp->cfg.listen_addr.family)
		return session_listen_one(sp, &sp->cfg.listen_addr);
	err = session_listen_one(sp, &any4);
	if (err)
		return err;
	/* A host without IPv6 still gets its IPv4 listener. */
	if (session_listen_one(sp, &any6) < 0)
		log_warn("bgp: no IPv6 listener");
	return 0;
}

void bgp_session_unlisten(struct bgp_speaker *sp)
{
	size_t i;

	for (i = 0; i < sp->n_listeners; i++) {
		event_free(sp->listeners[i].ev);
		close(sp->listeners[i].fd);
	}
	sp->n_listeners = 0;
}

int bgp_session_listen_md5(struct bgp_speaker *sp, const struct addr *peer, const char *key)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t i;
	int err = 0;

	for (i = 0; i < sp->n_listeners; i++) {
		/* The key's address family must match the listener's. */
		sl = sizeof(ss);
		if (getsockname(sp->listeners[i].fd, (struct sockaddr *)&ss, &sl) < 0 ||
		    ss.ss_family != peer->family)
			continue;
		err = bgp_session_set_md5(sp->listeners[i].fd, peer, key);
		if (err)
			break;
	}
	return err;
}

/* ---- one connection ---------------------------------------------------- */

/*
 * The message after an UPDATE, if it is a whole UPDATE too: have the RIB
 * decode it now, so that its interning-table miss overlaps the current one's
 * work. (A bad marker or length is found when its turn comes; the prepared
 * work is then dropped.)
 */
static void conn_prefetch_next(struct bgp_conn *c, size_t max)
{
	const uint8_t *n = c->rbuf + c->rpos;
	size_t avail = c->rlen - c->rpos, nlen;

	if (avail < BGP_HEADER_LEN || n[BGP_HEADER_LEN - 1] != BGP_MSG_UPDATE)
		return;
	nlen = (size_t)n[BGP_MARKER_LEN] << 8 | n[BGP_MARKER_LEN + 1];
	if (nlen < BGP_UPDATE_MIN_LEN || nlen > max || nlen > avail)
		return;
	bgp_peer_prefetch_update(c, n, nlen);
}

/* Hand every complete message in rbuf to peer.c; stop if the socket went away. */
static void conn_process(struct bgp_conn *c)
{
	struct rib *rib = c->peer->sp->rib;
	uint32_t gen = c->gen;
	struct bgp_msg_header hdr;
	struct bgp_notify err;
	size_t max = c->params.max_msg_len ? c->params.max_msg_len : BGP_MAX_MSG_LEN;

	while (c->rlen - c->rpos >= BGP_HEADER_LEN) {
		const uint8_t *m = c->rbuf + c->rpos;

		if (bgp_msg_decode_header(m, c->rlen - c->rpos, max, &hdr, &err) < 0) {
			bgp_fsm_error(&c->fsm, BGP_EV_BGP_HEADER_ERR, err.code, err.subcode,
			              err.data, err.data_len);
			goto out;
		}
		if (c->rlen - c->rpos < hdr.len)
			break;
		c->rpos += hdr.len;
		if (hdr.type == BGP_MSG_UPDATE)
			conn_prefetch_next(c, max);
		if (bgp_peer_handle_msg(c, hdr.type, m, hdr.len) < 0 || c->gen != gen)
			goto out;
	}
	/* Move the trailing partial message to the front. */
	if (c->rpos == c->rlen) {
		c->rpos = c->rlen = 0;
	} else if (c->rpos > 0 && c->rlen + BGP_MAX_EXT_MSG_LEN > BGP_RBUF_SIZE) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
out:
	/* Whatever was prepared refers to this buffer, about to be reused. */
	rib_peer_update_prefetch_drop(rib);
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bgp_conn *c = arg;
	struct rib *rib = c->peer->sp->rib;
	uint32_t gen = c->gen;
	ssize_t n;
	int rounds;

	/* The Loc-RIB changes of everything read now go to subscribers as one batch. */
	rib_batch_begin(rib);
	for (rounds = 0; rounds < 16; rounds++) {
		if (c->rlen == BGP_RBUF_SIZE && c->rpos > 0) {
			memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
			c->rlen -= c->rpos;
			c->rpos = 0;
		}
		n = read(c->fd, c->rbuf + c->rlen, BGP_RBUF_SIZE - c->rlen);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			char name[64];

			log_info("bgp: peer %s: connection %s",
			         bgp_peer_name(c->peer, name, sizeof(name)),
			         n == 0 ? "closed by the peer" : strerror(errno));
			bgp_fsm_event(&c->fsm, BGP_EV_TCP_CONNECTION_FAILS);
			goto out;
		}
		if (n < 0)
			break;
		c->rlen += n;
		conn_process(c);
		if (c->gen != gen)
			goto out;
		if ((size_t)n < BGP_RBUF_SIZE / 4)
			break;
	}
	rib_batch_end(rib);
	/* Outbound UPDATEs produced by what we just read go out in one batch. */
	bgp_peer_schedule_flush(c->peer);
	return;
out:
	rib_batch_end(rib);
}

static void conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bgp_conn *c = arg;
	int err = c->connect_err;
	socklen_t sl = sizeof(err);
	struct sockaddr_storage ss;

	if (c->connecting) {
		c->connecting = false;
		if (!err && getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
			err = errno;
		if (err) {
			char name[64];

			log_debug("bgp: peer %s: connect: %s",
			          bgp_peer_name(c->peer, name, sizeof(name)), strerror(err));
			c->connect_err = 0;
			bgp_fsm_event(&c->fsm, BGP_EV_TCP_CONNECTION_FAILS);
			return;
		}
		sl = sizeof(ss);
		if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0)
			session_addr_from(&ss, &c->local);
		event_add(c->ev_read, NULL);
		/* RFC 4271 8.1.4 event 16: our connection is up. */
		bgp_fsm_event(&c->fsm, BGP_EV_TCP_CR_ACKED);
		return;
	}
	bgp_conn_write(c);
}

static int conn_events(struct bgp_conn *c)
{
	struct event_base *base = c->peer->sp->base;

	c->ev_read = event_new(base, c->fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	c->ev_write = event_new(base, c->fd, EV_WRITE, conn_write_cb, c);
	if (!c->ev_read || !c->ev_write)
		return -ENOMEM;
	return 0;
}

void bgp_conn_write(struct bgp_conn *c)
{
	ssize_t n;

	while (c->fd >= 0 && !c->connecting && c->woff < c->wbuf.len) {
		n = write(c->fd, c->wbuf.data + c->woff, c->wbuf.len - c->woff);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				event_add(c->ev_write, NULL);
				return;
			}
			/* The read side sees the failure and feeds TcpConnectionFails. */
			c->woff = c->wbuf.len;
			break;
		}
		c->woff += n;
	}
	if (c->woff >= c->wbuf.len) {
		buf_writer_reset(&c->wbuf);
		c->woff = 0;
	}
}

/* RFC 4271 8.1.4 "initiates a TCP connection": non-blocking, done in conn_write_cb. */
void bgp_conn_connect(struct bgp_conn *c)
{
	struct bgp_peer *peer = c->peer;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, err = 0;
	char name[64];

	bgp_conn_close(c);
	fd = socket(peer->cfg.addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	c->fd = fd;
	c->outbound = true;
	c->connecting = true;
	c->open_received = false;
	memset(&c->params, 0, sizeof(c->params));
	c->gen++;
	if (conn_events(c) < 0) {
		err = ENOMEM;
		goto fail;
	}
	if (peer->cfg.password &&
	    (err = -bgp_session_set_md5(fd, &peer->cfg.addr, peer->cfg.password)) != 0)
		goto fail;
	if (peer->cfg.ttl_security && (err = -bgp_session_set_gtsm(fd, peer->cfg.addr.family)) != 0)
		goto fail;
	if (peer->cfg.source.family) {
		int one = 1;

		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		sl = session_sockaddr(&peer->cfg.source, 0, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
			err = errno;
			goto fail;
		}
	}
	sl = session_sockaddr(&peer->cfg.addr, peer->cfg.port, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
		err = errno;
fail:
	if (err) {
		log_warn("bgp: peer %s: cannot connect: %s",
		         bgp_peer_name(peer, name, sizeof(name)), strerror(err));
		if (c->fd < 0 || !c->ev_write) {
			/* No socket to report through: the ConnectRetryTimer will try again. */
			return;
		}
	}
	/* Completion (or the failure above) is reported from the loop, never re-entrantly. */
	c->connect_err = err;
	if (err)
		event_active(c->ev_write, EV_WRITE, 0);
	else
		event_add(c->ev_write, NULL);
}

int bgp_conn_attach(struct bgp_conn *c, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int err;

	bgp_conn_close(c);
	c->fd = fd;
	c->outbound = false;
	c->connecting = false;
	c->open_received = false;
	memset(&c->params, 0, sizeof(c->params));
	c->gen++;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		session_addr_from(&ss, &c->local);
	if (c->peer->cfg.ttl_security) {
		err = bgp_session_set_gtsm(fd, c->peer->cfg.addr.family);
		if (err)
			return err;
	}
	err = conn_events(c);
	if (err)
		return err;
	event_add(c->ev_read, NULL);
	return 0;
}

/* Close the socket (after one last attempt to send what is queued, e.g. a NOTIFICATION). */
void bgp_conn_close(struct bgp_conn *c)
{
	if (c->fd >= 0 && !c->connecting && c->woff < c->wbuf.len)
		(void)!write(c->fd, c->wbuf.data + c->woff, c->wbuf.len - c->woff);
	if (c->ev_read)
		event_free(c->ev_read);
	if (c->ev_write)
		event_free(c->ev_write);
	c->ev_read = c->ev_write = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->connecting = false;
	c->connect_err = 0;
	c->rpos = c->rlen = 0;
	buf_writer_reset(&c->wbuf);
	c->woff = 0;
	c->gen++;
}

int bgp_conn_new(struct bgp_peer *peer, bool primary_cfg, struct bgp_conn **out)
{
	struct bgp_conn *c = calloc(1, sizeof(*c));
	struct bgp_fsm_config fc;
	int err = -ENOMEM;

	if (!c)
		goto fail;
	c->peer = peer;
	c->fd = -1;
	c->rbuf = malloc(BGP_RBUF_SIZE);
	if (!c->rbuf)
		goto fail;
	buf_writer_init(&c->wbuf, 4096);
	bgp_peer_fsm_config(peer, &fc);
	if (!primary_cfg) {
		/* A second, incoming connection: never reconnects by itself. */
		fc.passive = true;
		fc.auto_restart = false;
	}
	err = bgp_fsm_init(&c->fsm, peer->sp->base, &fc, &bgp_peer_fsm_ops, c);
	if (err)
		goto fail;
	*out = c;
	return 0;
fail:
	if (c) {
		free(c->rbuf);
		buf_writer_free(&c->wbuf);
		free(c);
	}
	return err;
}

void bgp_conn_free(struct bgp_conn *c)
{
	if (!c)
		return;
	bgp_fsm_fini(&c->fsm);
	bgp_conn_close(c);
	buf_writer_free(&c->wbuf);
	free(c->rbuf);
	free(c);
}

/*
 * Our addresses of both families on the interface that holds the session's
 * local address, for next-hop-self in the other family (IPv6 routes over an
 * IPv4 session, RFC 4760 3, and the reverse). Link-local and loopback
 * addresses are skipped; a family without an address stays zero.
 */
void bgp_session_local_addrs(const struct addr *local, struct addr *v4, struct addr *v6)
{
	struct ifaddrs *ifa_list, *ifa;
	const char *ifname = NULL;
	struct addr a;

	memset(v4, 0, sizeof(*v4));
	memset(v6, 0, sizeof(*v6));
	if (getifaddrs(&ifa_list) < 0)
		return;
	for (ifa = ifa_list; ifa; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr ||
		    (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6))
			continue;
		session_addr_from((const struct sockaddr_storage *)ifa->ifa_addr, &a);
		if (addr_eq(&a, local)) {
			ifname = ifa->ifa_name;
			break;
		}
	}
	for (ifa = ifa_list; ifa && ifname; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || strcmp(ifa->ifa_name, ifname) != 0 ||
		    (ifa->ifa_flags & IFF_LOOPBACK))
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET && !v4->family) {
			addr_from_in(v4, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr);
		} else if (ifa->ifa_addr->sa_family == AF_INET6 && !v6->family) {
			const struct in6_addr *in6 =
			    &((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;

			if (!IN6_IS_ADDR_LINKLOCAL(in6))
				addr_from_in6(v6, in6);
		}
	}
	freeifaddrs(ifa_list);
	if (local->family == AF_INET)
		*v4 = *local;
	else
		*v6 = *local;
}
