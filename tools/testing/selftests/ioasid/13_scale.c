// SPDX-License-Identifier: GPL-2.0
/*
 * 100,000 IOASIDs in one /dev/ioasid fd: all distinct, all usable, listed
 * in fdinfo, within the quotas, and all released by close().
 *
 * About 15 s in the amd64 TCG guest on an idle host; each test may take
 * up to 600 s (harness timeout) and the program 1500 s (13_scale.timeout),
 * for slower hosts and the arm64 guest.  On the debug kernel (kmemleak
 * present) 20,000: KASAN and kmemleak check the same paths at a fifth of
 * the count, where 100,000 took 553 s.  IOASID_SCALE_NR sets the count.
 */
#include "kselftest_harness.h"
#include "ioasid_utils.h"

#include <stdlib.h>
#include <unistd.h>

static int nr_scale = 100000;
#define NR_SCALE	nr_scale

static void __attribute__((constructor)) scale_count(void)
{
	const char *env = getenv("IOASID_SCALE_NR");

	if (env && atoi(env) >= 1000)
		nr_scale = atoi(env) / 1000 * 1000;
	else if (!access("/sys/kernel/debug/kmemleak", F_OK))
		nr_scale = 20000;
}

FIXTURE(scale) {
	struct ioasid_tctx t;
	__u32 *pasid;
	unsigned char *seen;	/* one byte per PASID value */
};

FIXTURE_SETUP(scale)
{
	tctx_setup(_metadata, &self->t);
	ASSERT_TRUE(ioasid_params_saved);
	self->pasid = calloc(NR_SCALE, sizeof(*self->pasid));
	ASSERT_NE(NULL, self->pasid);
	self->seen = calloc(IOASID_PASID_MAX + 1, 1);
	ASSERT_NE(NULL, self->seen);
}

FIXTURE_TEARDOWN(scale)
{
	tctx_teardown(_metadata, &self->t);
	EXPECT_EQ(0, ioasid_params_restore());
}

static void alloc_all(struct __test_metadata *_metadata,
		      FIXTURE_DATA(scale) *self)
{
	long t0 = now_ms();
	int i;

	/* Exactly enough quota for the test, so the quota is tested too */
	ASSERT_EQ(0, param_write("max_per_user", NR_SCALE));
	ASSERT_EQ(0, param_write("max_per_fd", NR_SCALE));
	for (i = 0; i < NR_SCALE; i++) {
		ASSERT_EQ(0, _ioasid_alloc(self->t.fd, 0, 0, 0, &self->pasid[i])) {
			TH_LOG("ALLOC #%d: %s", i, strerror(errno));
		}
		ASSERT_LE(IOASID_PASID_MIN, self->pasid[i]);
		ASSERT_GE(IOASID_PASID_MAX, self->pasid[i]);
		ASSERT_EQ(0, self->seen[self->pasid[i]]) {
			TH_LOG("PASID %u handed out twice", self->pasid[i]);
		}
		self->seen[self->pasid[i]] = 1;
	}
	TH_LOG("%d ALLOCs in %ld ms", NR_SCALE, now_ms() - t0);
	test_err_ioasid_alloc(EDQUOT, self->t.fd);
}

TEST_F_TIMEOUT(scale, hundred_thousand_ioasids, 600)
{
	struct ioasid_caps caps;
	struct fdinfo fi;
	unsigned int seed = 42;
	long t0;
	size_t i;
	int k;

	alloc_all(_metadata, self);

	ASSERT_EQ(self->t.base.v[CNT_PASIDS] + NR_SCALE, test_counter(CNT_PASIDS));
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_LIVE] + NR_SCALE,
		  test_counter(CNT_IOASIDS_LIVE));
	test_ioasid_info(self->t.fd, &caps);
	ASSERT_EQ(NR_SCALE, caps.quota.nr_fd);
	ASSERT_EQ(NR_SCALE, caps.quota.nr_user);

	/* GET_INFO on the first, the last and some in between */
	test_ioasid_info_pasid(self->t.fd, self->pasid[0], &caps);
	test_ioasid_info_pasid(self->t.fd, self->pasid[NR_SCALE - 1], &caps);
	for (k = 0; k < 200; k++) {
		__u32 p = self->pasid[rand_r(&seed) % NR_SCALE];

		test_ioasid_info_pasid(self->t.fd, p, &caps);
		ASSERT_EQ(IOASID_MODE_NONE, caps.ioas.mode);
	}
	/* a PASID not in the fd is still ENOENT */
	for (k = IOASID_PASID_MAX; k > 0 && self->seen[k]; k--)
		;
	test_err_ioasid_info_pasid(ENOENT, self->t.fd, k);

	/* fdinfo lists them all */
	t0 = now_ms();
	ASSERT_EQ(0, fdinfo_read(0, self->t.fd, &fi));
	TH_LOG("fdinfo of %d IOASIDs read in %ld ms", NR_SCALE, now_ms() - t0);
	ASSERT_EQ(NR_SCALE, fi.nr_ioasids);
	ASSERT_EQ(NR_SCALE, fi.n);
	ASSERT_EQ(0, fi.bad_lines);
	for (i = 0; i < fi.n; i++) {
		ASSERT_EQ(1, self->seen[fi.ent[i].pasid]);
		self->seen[fi.ent[i].pasid] = 2;	/* listed once */
	}
	fdinfo_free(&fi);

	/* destroy 1000 spread out, then the quota lets 1000 more in */
	for (k = 0; k < 1000; k++)
		test_ioasid_destroy(self->t.fd, self->pasid[k * (NR_SCALE / 1000)]);
	test_ioasid_info(self->t.fd, &caps);
	ASSERT_EQ(NR_SCALE - 1000, caps.quota.nr_fd);
	for (k = 0; k < 1000; k++) {
		__u32 p;

		test_ioasid_alloc(self->t.fd, &p);
	}
	test_err_ioasid_alloc(EDQUOT, self->t.fd);

	/* close releases all of them */
	t0 = now_ms();
	ASSERT_EQ(0, close(self->t.fd));
	self->t.fd = -1;
	ASSERT_COUNTERS_IDLE();
	TH_LOG("close of %d IOASIDs and release in %ld ms", NR_SCALE,
	       now_ms() - t0);
}

/* Same, with every IOASID given an iopt by a MAP, then released by close */
TEST_F_TIMEOUT(scale, hundred_thousand_mapped_ioasids, 600)
{
	size_t pg = page_size();
	unsigned char *buf;
	long t0;
	int i;

	buf = mmap_aligned(pg, pg);
	ASSERT_NE(NULL, buf);
	alloc_all(_metadata, self);
	t0 = now_ms();
	for (i = 0; i < NR_SCALE; i++)
		ASSERT_EQ(0, _ioasid_map_fixed(self->t.fd, self->pasid[i], buf,
					       pg, SZ_1M));
	TH_LOG("%d MAPs in %ld ms", NR_SCALE, now_ms() - t0);
	ASSERT_EQ(self->t.base.v[CNT_PINNED] + NR_SCALE, test_counter(CNT_PINNED));
	ASSERT_EQ(self->t.base.v[CNT_IOPTS] + NR_SCALE, test_counter(CNT_IOPTS));
	t0 = now_ms();
	ASSERT_EQ(0, close(self->t.fd));
	self->t.fd = -1;
	ASSERT_COUNTERS_IDLE();
	TH_LOG("close and release in %ld ms", now_ms() - t0);
}

TEST_HARNESS_MAIN
