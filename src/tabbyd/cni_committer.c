/*
 * DOC: the committer, the worker thread that runs an ADD's datastore part.
 *
 * An ADD's IPAM assignment and endpoint document end in a commit that waits
 * for an fsync, while the main thread has the kernel create and wire the veth
 * pair; the two overlap only if they run on different CPUs. The scheduler
 * tends to queue a thread woken from a busy CPU on that same CPU: on a 2-CPU
 * machine the committer was seen waiting there for the whole veth creation
 * (about 0.5 ms, the kernel does not yield under the RTNL) while the other
 * CPU idled, and the commit then ran after the wiring instead of beside it.
 * So before each job the committer is allowed every CPU of the main thread's
 * set but the one the main thread is on; its affinity changes only when the
 * main thread has moved. With a single CPU nothing is restricted.
 *
 * One job at a time; while it runs the main thread touches neither the store
 * nor IPAM. committer_signal() and committer_wait_for() let a job hand results
 * to the main thread before it ends (the addresses before their commit).
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>

#include <tabby/log.h>

#include "tabbyd.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void (*fn)(void *arg);
	void *arg;
	bool pending, done, started, failed;
	pthread_t thread;
	int away_from; /* the CPU the committer was last kept off, -1: none */
} committer = {
    .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .away_from = -1};

static void *committer_main(void *unused)
{
	void (*fn)(void *);
	void *arg;

	(void)unused;
	pthread_mutex_lock(&committer.lock);
	for (;;) {
		while (!committer.pending)
			pthread_cond_wait(&committer.cond, &committer.lock);
		fn = committer.fn;
		arg = committer.arg;
		committer.pending = false;
		pthread_mutex_unlock(&committer.lock);
		fn(arg);
		pthread_mutex_lock(&committer.lock);
		committer.done = true;
		pthread_cond_broadcast(&committer.cond);
	}
	return NULL;
}

/* Keep the committer off the CPU the calling (main) thread runs on. */
static void committer_place(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0 || cpu == committer.away_from || cpu >= CPU_SETSIZE)
		return;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	CPU_CLR(cpu, &set);
	if (CPU_COUNT(&set) == 0)
		return; /* one CPU: nowhere else to go */
	if (pthread_setaffinity_np(committer.thread, sizeof(set), &set) == 0)
		committer.away_from = cpu;
}

void committer_start(void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&committer.lock);
	if (!committer.started && !committer.failed) {
		if (pthread_create(&committer.thread, NULL, committer_main, NULL) == 0) {
			pthread_detach(committer.thread);
			committer.started = true;
		} else {
			committer.failed = true;
			log_warn("no committer thread: ADDs commit before wiring");
		}
	}
	if (!committer.started) {
		pthread_mutex_unlock(&committer.lock);
		fn(arg);
		return;
	}
	committer_place();
	committer.fn = fn;
	committer.arg = arg;
	committer.done = false;
	committer.pending = true;
	pthread_cond_broadcast(&committer.cond);
	pthread_mutex_unlock(&committer.lock);
}

void committer_signal(void (*update)(void *), void *arg)
{
	pthread_mutex_lock(&committer.lock);
	update(arg);
	pthread_cond_broadcast(&committer.cond);
	pthread_mutex_unlock(&committer.lock);
}

bool committer_wait_for(bool (*ready)(void *), void *arg)
{
	bool ok;

	pthread_mutex_lock(&committer.lock);
	while (committer.started && !ready(arg) && (committer.pending || !committer.done))
		pthread_cond_wait(&committer.cond, &committer.lock);
	ok = ready(arg);
	pthread_mutex_unlock(&committer.lock);
	return ok;
}

void committer_wait(void)
{
	pthread_mutex_lock(&committer.lock);
	while (committer.started && (committer.pending || !committer.done))
		pthread_cond_wait(&committer.cond, &committer.lock);
	pthread_mutex_unlock(&committer.lock);
}
