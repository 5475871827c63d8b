/*
 * DOC: deletion of released pod veths off the request path.
 *
 * The kernel takes 15-40 ms to unregister a veth (RCU grace periods while
 * it holds the RTNL), longer than all the rest of a CNI DEL. So DEL removes
 * the pod's host routes at once (no later ADD can collide with them), releases
 * the addresses and the endpoint, answers, and hands the veth's interface
 * index to this worker thread, which deletes the link through its own
 * rtnetlink socket in the node's namespace. Links are deleted by index, never
 * by name: a new pod may already have reused the name. Deleting the host end
 * removes the pod end with it. At shutdown the queue is drained before the
 * process exits, so no deleted pod keeps its veth.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include <tabby/log.h>

#include "tabbyd.h"

#define REAPER_QUEUE_MAX 4096

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond, idle;
	int queue[REAPER_QUEUE_MAX];
	size_t head, n;
	bool busy;
	bool stop;
	bool running;
	struct nl_sock *sk;
} reaper = {.lock = PTHREAD_MUTEX_INITIALIZER,
            .cond = PTHREAD_COND_INITIALIZER,
            .idle = PTHREAD_COND_INITIALIZER};

static void reaper_delete(struct nl_sock *sk, int ifindex)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int r;

	if (!link)
		return;
	rtnl_link_set_ifindex(link, ifindex);
	r = rtnl_link_delete(sk, link);
	if (r < 0 && r != -NLE_NODEV && r != -NLE_OBJ_NOTFOUND)
		log_warn("deleting the veth with ifindex %d: %s", ifindex, nl_geterror(r));
	else
		log_debug("veth with ifindex %d deleted", ifindex);
	rtnl_link_put(link);
}

static void *reaper_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&reaper.lock);
	for (;;) {
		int ifindex;

		while (reaper.n == 0 && !reaper.stop)
			pthread_cond_wait(&reaper.cond, &reaper.lock);
		if (reaper.n == 0)
			break; /* stop, and nothing left to do */
		ifindex = reaper.queue[reaper.head];
		reaper.head = (reaper.head + 1) % REAPER_QUEUE_MAX;
		reaper.n--;
		reaper.busy = true;
		pthread_mutex_unlock(&reaper.lock);
		reaper_delete(reaper.sk, ifindex);
		pthread_mutex_lock(&reaper.lock);
		reaper.busy = false;
		if (reaper.n == 0)
			pthread_cond_broadcast(&reaper.idle);
	}
	pthread_mutex_unlock(&reaper.lock);
	return NULL;
}

int reaper_start(void)
{
	int r;

	/* The socket is bound to the namespace of the thread that opens it: the node's. */
	reaper.sk = nl_socket_alloc();
	if (!reaper.sk)
		return -ENOMEM;
	r = nl_connect(reaper.sk, NETLINK_ROUTE);
	if (r < 0) {
		log_err("rtnetlink socket for veth deletion: %s", nl_geterror(r));
		nl_socket_free(reaper.sk);
		reaper.sk = NULL;
		return -EIO;
	}
	r = pthread_create(&reaper.thread, NULL, reaper_main, NULL);
	if (r != 0) {
		nl_socket_free(reaper.sk);
		reaper.sk = NULL;
		return -r;
	}
	reaper.running = true;
	return 0;
}

bool reaper_queue(int ifindex)
{
	bool queued = false;

	if (!reaper.running)
		return false;
	pthread_mutex_lock(&reaper.lock);
	if (reaper.n < REAPER_QUEUE_MAX) {
		reaper.queue[(reaper.head + reaper.n) % REAPER_QUEUE_MAX] = ifindex;
		reaper.n++;
		queued = true;
		pthread_cond_signal(&reaper.cond);
	}
	pthread_mutex_unlock(&reaper.lock);
	return queued;
}

void reaper_wait_idle(void)
{
	if (!reaper.running)
		return;
	pthread_mutex_lock(&reaper.lock);
	while (reaper.n > 0 || reaper.busy)
		pthread_cond_wait(&reaper.idle, &reaper.lock);
	pthread_mutex_unlock(&reaper.lock);
}

void reaper_stop(void)
{
	if (!reaper.running)
		return;
	pthread_mutex_lock(&reaper.lock);
	reaper.stop = true;
	pthread_cond_signal(&reaper.cond);
	pthread_mutex_unlock(&reaper.lock);
	pthread_join(reaper.thread, NULL);
	nl_socket_free(reaper.sk);
	reaper.sk = NULL;
	reaper.running = false;
}
