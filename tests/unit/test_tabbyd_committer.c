/*
 * DOC: unit tests of the committer thread (src/tabbyd/cni_committer.c): a job
 * runs on another thread and committer_wait() waits for it; results handed
 * over with committer_signal() reach committer_wait_for() before the job
 * ends; a job that ends without them ends the wait; and with two CPUs or
 * more the job runs with the main thread's CPU taken out of its set.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "tabbyd.h"

struct job {
	pthread_t thread;
	cpu_set_t set;
	int value;
	bool signal;
	bool finished;
	bool release; /* the main thread lets a signalling job end */
};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void set_value(void *arg)
{
	((struct job *)arg)->value = 42;
}

static bool value_set(void *arg)
{
	return ((struct job *)arg)->value == 42;
}

static bool job_released(void *arg)
{
	return ((struct job *)arg)->release;
}

static void job_fn(void *arg)
{
	struct job *j = arg;

	j->thread = pthread_self();
	sched_getaffinity(0, sizeof(j->set), &j->set);
	if (j->signal) {
		committer_signal(set_value, j);
		/* Hold the job open until the main thread has seen the value. */
		while (!committer_wait_for(job_released, j))
			sleep_ms(1);
	} else {
		sleep_ms(20);
	}
	j->finished = true;
}

static void test_runs_elsewhere_and_waits(void **state)
{
	struct job j = {0};

	(void)state;
	committer_start(job_fn, &j);
	committer_wait();
	assert_true(j.finished);
	assert_false(pthread_equal(j.thread, pthread_self()));
}

static void release_job(void *arg)
{
	((struct job *)arg)->release = true;
}

static void test_signal_before_end(void **state)
{
	struct job j = {.signal = true};

	(void)state;
	committer_start(job_fn, &j);
	assert_true(committer_wait_for(value_set, &j));
	assert_false(j.finished); /* the job is still waiting to be released */
	committer_signal(release_job, &j);
	committer_wait();
	assert_true(j.finished);
}

static void test_end_without_signal(void **state)
{
	struct job j = {0};

	(void)state;
	committer_start(job_fn, &j);
	assert_false(committer_wait_for(value_set, &j));
	assert_true(j.finished);
}

static void test_kept_off_the_main_cpu(void **state)
{
	cpu_set_t mine;
	int tries, hits = 0, cpu = -1;
	bool checked;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(mine), &mine), 0);
	if (CPU_COUNT(&mine) < 2) {
		/* Nowhere else to go: the job keeps the whole set. */
		struct job j = {0};

		committer_start(job_fn, &j);
		committer_wait();
		assert_true(CPU_EQUAL(&j.set, &mine));
		return;
	}
	/*
	 * The main thread may move between sched_getcpu() and the start (rarely):
	 * every job lacks exactly one CPU, and that is the main thread's in most.
	 */
	for (tries = 0; tries < 20; tries++) {
		struct job j = {0};

		cpu = sched_getcpu();
		committer_start(job_fn, &j);
		committer_wait();
		assert_int_equal(CPU_COUNT(&j.set), CPU_COUNT(&mine) - 1);
		hits += !CPU_ISSET(cpu, &j.set);
	}
	checked = hits >= 15;
	assert_true(checked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_runs_elsewhere_and_waits),
	    cmocka_unit_test(test_signal_before_end),
	    cmocka_unit_test(test_end_without_signal),
	    cmocka_unit_test(test_kept_off_the_main_cpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
