// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid under concurrency: many threads on one fd allocating,
 * destroying, mapping, unmapping and reading fdinfo.  The invariants:
 * a PASID is never handed to two live IOASIDs, a DESTROY raced by others
 * succeeds exactly once, operations racing a DESTROY fail with ENOENT and
 * nothing else, and when the fd closes every object is gone.
 *
 * Threads never ASSERT (the harness unwinds the main thread only); they
 * count what went wrong and the main thread checks the counts.
 */
#include "kselftest_harness.h"
#include "ioasid_utils.h"

#include <pthread.h>
#include <stdatomic.h>

#define NTHREADS	4

FIXTURE(threads) {
	struct ioasid_tctx t;
};

FIXTURE_SETUP(threads)
{
	tctx_setup(_metadata, &self->t);
}

FIXTURE_TEARDOWN(threads)
{
	tctx_teardown(_metadata, &self->t);
}

/* One bit per PASID: set while some thread holds it live. */
static _Atomic unsigned long held[(IOASID_PASID_MAX + 1) / (8 * sizeof(long))];

static bool hold(__u32 pasid)
{
	unsigned long bit = 1UL << (pasid % (8 * sizeof(long)));

	return !(atomic_fetch_or(&held[pasid / (8 * sizeof(long))], bit) & bit);
}

static void unhold(__u32 pasid)
{
	unsigned long bit = 1UL << (pasid % (8 * sizeof(long)));

	atomic_fetch_and(&held[pasid / (8 * sizeof(long))], ~bit);
}

struct churn {
	int fd;
	unsigned int seed;
	int iters;
	__u32 lo, hi;		/* range, or 0 */
	/* results */
	int allocs, enospc;
	int dup;		/* a PASID already live elsewhere */
	int bad_errno;		/* an errno the spec does not allow here */
	int info_fail;		/* GET_INFO of an own live IOASID failed */
	int last_errno;
};

/* Allocate and destroy, keeping up to 16 live at a time. */
static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	struct ioasid_caps caps;
	__u32 live[16];
	int nr = 0, i, rc;

	for (i = 0; i < c->iters; i++) {
		bool do_alloc = nr == 0 || (nr < 16 && rand_r(&c->seed) % 2);

		if (do_alloc) {
			__u32 p;

			if (c->lo)
				rc = _ioasid_alloc_range(c->fd, c->lo, c->hi, &p);
			else
				rc = _ioasid_alloc(c->fd, 0, 0, 0, &p);
			if (rc) {
				if (c->lo && errno == ENOSPC) {
					c->enospc++;
				} else {
					c->bad_errno++;
					c->last_errno = errno;
				}
				continue;
			}
			c->allocs++;
			if (!hold(p))
				c->dup++;
			live[nr++] = p;
		} else {
			int k = rand_r(&c->seed) % nr;
			__u32 p = live[k];

			if (_ioasid_info_pasid(c->fd, p, &caps) ||
			    caps.ioas.pasid != p)
				c->info_fail++;
			live[k] = live[--nr];
			/* give it up before the kernel can hand it out again */
			unhold(p);
			if (_ioasid_destroy(c->fd, p)) {
				c->bad_errno++;
				c->last_errno = errno;
			}
		}
	}
	while (nr) {
		unhold(live[--nr]);
		if (_ioasid_destroy(c->fd, live[nr])) {
			c->bad_errno++;
			c->last_errno = errno;
		}
	}
	return NULL;
}

static void run_churn(struct __test_metadata *_metadata, int fd, int iters,
		      __u32 lo, __u32 hi)
{
	struct churn c[NTHREADS] = {};
	pthread_t th[NTHREADS];
	int i, allocs = 0;

	for (i = 0; i < NTHREADS; i++) {
		c[i].fd = fd;
		c[i].seed = 1234 + i;
		c[i].iters = iters;
		c[i].lo = lo;
		c[i].hi = hi;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, churn_thread, &c[i]));
	}
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	for (i = 0; i < NTHREADS; i++) {
		EXPECT_EQ(0, c[i].dup);
		EXPECT_EQ(0, c[i].bad_errno) {
			TH_LOG("thread %d: unexpected errno %s", i,
			       strerror(c[i].last_errno));
		}
		EXPECT_EQ(0, c[i].info_fail);
		allocs += c[i].allocs;
	}
	ASSERT_LT(0, allocs);
	ASSERT_EQ(0, test_nr_fd(fd));
}

TEST_F_TIMEOUT(threads, alloc_destroy_churn, 300)
{
	run_churn(_metadata, self->t.fd, 2000, 0, 0);
	ASSERT_EQ(self->t.base.v[CNT_PASIDS], test_counter(CNT_PASIDS));
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED],
		  test_counter(CNT_IOASIDS_PARKED));
}

/* A range smaller than what the threads want: ENOSPC, never a duplicate. */
TEST_F_TIMEOUT(threads, alloc_destroy_churn_small_range, 300)
{
	run_churn(_metadata, self->t.fd, 2000, 0xE0000, 0xE0000 + 7);
	ASSERT_EQ(self->t.base.v[CNT_PASIDS], test_counter(CNT_PASIDS));
}

/* Threads on two fds (and dup()s) of one process share the PASID space. */
TEST_F_TIMEOUT(threads, churn_across_fds, 300)
{
	struct churn c[NTHREADS] = {};
	pthread_t th[NTHREADS];
	int fds[NTHREADS], i;

	fds[0] = self->t.fd;
	fds[1] = ioasid_open();
	fds[2] = dup(fds[0]);
	fds[3] = ioasid_open();
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_LE(0, fds[i]);
		c[i].fd = fds[i];
		c[i].seed = 99 + i;
		c[i].iters = 1500;
		c[i].lo = 0xE0100;
		c[i].hi = 0xE0100 + 15;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, churn_thread, &c[i]));
	}
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	for (i = 0; i < NTHREADS; i++) {
		EXPECT_EQ(0, c[i].dup);
		EXPECT_EQ(0, c[i].bad_errno) {
			TH_LOG("thread %d: unexpected errno %s", i,
			       strerror(c[i].last_errno));
		}
		EXPECT_EQ(0, c[i].info_fail);
	}
}

struct alloc_many {
	int fd, n, fails;
	__u32 *out;
};

static void *alloc_many_thread(void *arg)
{
	struct alloc_many *a = arg;
	int i;

	for (i = 0; i < a->n; i++)
		if (_ioasid_alloc(a->fd, 0, 0, 0, &a->out[i]))
			a->fails++;
	return NULL;
}

TEST_F_TIMEOUT(threads, concurrent_allocs_are_distinct, 300)
{
	const int per = 1000;
	struct alloc_many a[NTHREADS];
	pthread_t th[NTHREADS];
	__u32 *all;
	int i, j;

	all = calloc(NTHREADS * per, sizeof(*all));
	ASSERT_NE(NULL, all);
	memset(held, 0, sizeof(held));
	for (i = 0; i < NTHREADS; i++) {
		a[i] = (struct alloc_many){ self->t.fd, per, 0, all + i * per };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, alloc_many_thread, &a[i]));
	}
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		ASSERT_EQ(0, a[i].fails);
	}
	for (j = 0; j < NTHREADS * per; j++) {
		ASSERT_LE(IOASID_PASID_MIN, all[j]);
		ASSERT_GE(IOASID_PASID_MAX, all[j]);
		ASSERT_TRUE(hold(all[j])) {
			TH_LOG("PASID %u handed out twice", all[j]);
		}
	}
	ASSERT_EQ(NTHREADS * per, test_nr_fd(self->t.fd));
	ASSERT_EQ(self->t.base.v[CNT_PASIDS] + NTHREADS * per,
		  test_counter(CNT_PASIDS));
	ASSERT_EQ(0, close(self->t.fd));
	self->t.fd = -1;
	ASSERT_COUNTERS_IDLE();
	free(all);
}

/* ------------------------------------------------------------------------
 * Many threads DESTROY the same PASID at once: exactly one succeeds.
 */

struct race {
	int fd;
	pthread_barrier_t *start, *done;
	_Atomic __u32 *pasid;
	int rounds;
	int ok, enoent, other;
};

static void *destroy_race_thread(void *arg)
{
	struct race *r = arg;
	int i;

	for (i = 0; i < r->rounds; i++) {
		pthread_barrier_wait(r->start);
		if (!_ioasid_destroy(r->fd, atomic_load(r->pasid)))
			r->ok++;
		else if (errno == ENOENT)
			r->enoent++;
		else
			r->other++;
		pthread_barrier_wait(r->done);
	}
	return NULL;
}

TEST_F_TIMEOUT(threads, concurrent_destroy_of_one_pasid, 300)
{
	const int rounds = 300;
	pthread_barrier_t start, done;
	struct race r[NTHREADS] = {};
	pthread_t th[NTHREADS];
	_Atomic __u32 pasid = 0;
	int i, k, ok = 0, enoent = 0;

	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, NTHREADS + 1));
	ASSERT_EQ(0, pthread_barrier_init(&done, NULL, NTHREADS + 1));
	for (i = 0; i < NTHREADS; i++) {
		r[i] = (struct race){ .fd = self->t.fd, .start = &start,
				      .done = &done, .pasid = &pasid,
				      .rounds = rounds };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, destroy_race_thread, &r[i]));
	}
	for (k = 0; k < rounds; k++) {
		__u32 p;

		/* a failed ASSERT here would leave the threads waiting */
		if (_ioasid_alloc(self->t.fd, 0, 0, 0, &p))
			p = 0;
		atomic_store(&pasid, p);
		pthread_barrier_wait(&start);
		pthread_barrier_wait(&done);
		EXPECT_NE(0, p);
		EXPECT_EQ(0, test_nr_fd(self->t.fd)) {
			TH_LOG("round %d: the IOASID survived", k);
		}
	}
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		ASSERT_EQ(0, r[i].other);
		ok += r[i].ok;
		enoent += r[i].enoent;
	}
	ASSERT_EQ(rounds, ok);
	ASSERT_EQ(rounds * (NTHREADS - 1), enoent);
	ASSERT_EQ(self->t.base.v[CNT_PASIDS], test_counter(CNT_PASIDS));
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED],
		  test_counter(CNT_IOASIDS_PARKED));
}

/* ------------------------------------------------------------------------
 * MAP, UNMAP and GET_INFO racing a DESTROY of their IOASID
 */

struct mapper {
	int fd;
	__u32 pasid;
	int kind;		/* 0 map, 1 unmap, 2 get_info */
	unsigned char *buf;
	size_t pg;
	unsigned int seed;
	_Atomic int *stop;
	_Atomic int ops;
	int ok, enoent, other, last_errno;
};

static void *mapper_thread(void *arg)
{
	struct mapper *m = arg;
	struct ioasid_caps caps;
	__u64 iova, unmapped;
	int rc;

	while (!atomic_load(m->stop)) {
		switch (m->kind) {
		case 0:
			rc = _ioasid_map(m->fd, m->pasid, MAP_RW, m->buf,
					 (1 + rand_r(&m->seed) % 4) * m->pg, &iova);
			break;
		case 1:
			/* ENOENT: nothing mapped now, or destroyed */
			if (rand_r(&m->seed) % 2)
				rc = _ioasid_unmap_all(m->fd, m->pasid, &unmapped);
			else
				rc = _ioasid_unmap(m->fd, m->pasid, 0, 0,
						   UINT64_MAX - m->pg + 1, &unmapped);
			break;
		default:
			rc = _ioasid_info_pasid(m->fd, m->pasid, &caps);
			if (!rc && caps.ioas.pasid != m->pasid) {
				rc = -1;
				errno = EBADMSG;
			}
			break;
		}
		atomic_fetch_add(&m->ops, 1);
		if (!rc)
			m->ok++;
		else if (errno == ENOENT)
			m->enoent++;
		else {
			m->other++;
			m->last_errno = errno;
		}
		/* once destroyed, it stays destroyed */
		if (rc && errno == ENOENT && m->kind != 1)
			break;
	}
	return NULL;
}

TEST_F_TIMEOUT(threads, map_unmap_info_race_destroy, 300)
{
	const int rounds = 20, nmap = 4;
	size_t pg = page_size();
	int maps_ok = 0, raced = 0;
	unsigned char *buf;
	int k, i;

	buf = mmap_aligned(4 * pg, 4 * pg);
	ASSERT_NE(NULL, buf);
	for (k = 0; k < rounds; k++) {
		struct mapper m[4];
		pthread_t th[4];
		_Atomic int stop = 0;
		__u32 p;

		test_ioasid_alloc(self->t.fd, &p);
		for (i = 0; i < nmap; i++) {
			m[i] = (struct mapper){
				.fd = self->t.fd, .pasid = p,
				.kind = i < 2 ? 0 : i - 1,
				.buf = buf, .pg = pg, .seed = k * 10 + i,
				.stop = &stop,
			};
			ASSERT_EQ(0, pthread_create(&th[i], NULL, mapper_thread, &m[i]));
		}
		/* every thread is going before the DESTROY lands */
		for (i = 0; i < nmap; i++) {
			long deadline = now_ms() + 10000;

			while (!atomic_load(&m[i].ops) && now_ms() < deadline)
				usleep(1000);
		}
		usleep((k % 5) * 2000);
		test_ioasid_destroy(self->t.fd, p);
		/*
		 * MAP and GET_INFO threads stop at their first ENOENT, which
		 * must come; the UNMAP thread gets ENOENT either way.
		 */
		for (i = 0; i < nmap; i++)
			if (m[i].kind != 1)
				ASSERT_EQ(0, pthread_join(th[i], NULL));
		atomic_store(&stop, 1);
		for (i = 0; i < nmap; i++) {
			if (m[i].kind == 1)
				ASSERT_EQ(0, pthread_join(th[i], NULL));
			EXPECT_EQ(0, m[i].other) {
				TH_LOG("round %d thread %d: unexpected %s", k, i,
				       strerror(m[i].last_errno));
			}
			if (m[i].kind == 0) {
				maps_ok += m[i].ok;
				raced += m[i].enoent;
			}
		}
		/* Every mapping that raced in was wiped or refused */
		ASSERT_EQ(self->t.base.v[CNT_PINNED], test_counter(CNT_PINNED));
		ASSERT_EQ(self->t.base.v[CNT_AREAS], test_counter(CNT_AREAS));
		test_err_ioasid_info_pasid(ENOENT, self->t.fd, p);
	}
	ASSERT_EQ(0, test_nr_fd(self->t.fd));
	/* the race was run: MAPs worked before the DESTROY, failed after */
	TH_LOG("%d MAPs before DESTROY, %d refused after", maps_ok, raced);
	ASSERT_LT(0, maps_ok);
	ASSERT_LT(0, raced);
}

/* ------------------------------------------------------------------------
 * fdinfo read while the fd churns: well-formed, and bounded
 */

struct fdinfo_reader {
	int fd;
	_Atomic int *stop;
	int reads, bad, fail;
};

static void *fdinfo_thread(void *arg)
{
	struct fdinfo_reader *r = arg;
	struct fdinfo fi;

	while (!atomic_load(r->stop)) {
		if (fdinfo_read(0, r->fd, &fi)) {
			r->fail++;
			continue;
		}
		r->reads++;
		/* 4 threads x at most 16 live each */
		if (fi.bad_lines || fi.nr_ioasids < 0 || fi.nr_ioasids > 64 ||
		    fi.n > 64)
			r->bad++;
		fdinfo_free(&fi);
	}
	return NULL;
}

TEST_F_TIMEOUT(threads, fdinfo_during_churn, 300)
{
	struct fdinfo_reader r = { .fd = self->t.fd };
	_Atomic int stop = 0;
	pthread_t th;

	r.stop = &stop;
	ASSERT_EQ(0, pthread_create(&th, NULL, fdinfo_thread, &r));
	run_churn(_metadata, self->t.fd, 1500, 0, 0);
	atomic_store(&stop, 1);
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_LT(0, r.reads);
	ASSERT_EQ(0, r.bad);
	ASSERT_EQ(0, r.fail);
}

TEST_HARNESS_MAIN
