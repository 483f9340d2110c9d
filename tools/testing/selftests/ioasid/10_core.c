// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid core object model: IOASID lifecycle, PASID ranges, GET_INFO,
 * isolation between fds, fdinfo, fork semantics and quotas.
 *
 * Checked against include/uapi/linux/ioasidfd.h.  Every test ends with the
 * debugfs object counters back where they were before it, and with no
 * WARN()/BUG() in the kernel log (see tctx_teardown()).
 */
#include "kselftest_harness.h"
#include "ioasid_utils.h"

#include <sys/stat.h>

/* Child side: report the first failing step as the exit status. */
#define CHILD_CHECK(_n, _cond) do { if (!(_cond)) _exit(_n); } while (0)

/* A range of the PASID space the range tests use; nothing else allocates there. */
#define TEST_PASID_BASE		0xF0000U

FIXTURE(core) {
	struct ioasid_tctx t;
};

FIXTURE_SETUP(core)
{
	tctx_setup(_metadata, &self->t);
}

FIXTURE_TEARDOWN(core)
{
	tctx_teardown(_metadata, &self->t);
}

/* ------------------------------------------------------------------------
 * Lifecycle
 */

TEST_F(core, alloc_returns_valid_distinct_pasids)
{
	__u32 pasid[32];
	int i, j;

	for (i = 0; i < 32; i++) {
		test_ioasid_alloc(self->t.fd, &pasid[i]);
		ASSERT_LE(IOASID_PASID_MIN, pasid[i]);
		ASSERT_GE(IOASID_PASID_MAX, pasid[i]);
		for (j = 0; j < i; j++)
			ASSERT_NE(pasid[j], pasid[i]);
	}
	ASSERT_EQ(32, test_nr_fd(self->t.fd));
	ASSERT_EQ(self->t.base.v[CNT_PASIDS] + 32, test_counter(CNT_PASIDS));
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_LIVE] + 32,
		  test_counter(CNT_IOASIDS_LIVE));
	/* An idle IOASID has no translation state yet. */
	ASSERT_EQ(self->t.base.v[CNT_IOPTS], test_counter(CNT_IOPTS));
}

TEST_F(core, get_info_global_caps)
{
	struct ioasid_caps caps;
	__u32 pasid;

	test_ioasid_info(self->t.fd, &caps);
	ASSERT_TRUE(caps.has_pasid);
	ASSERT_TRUE(caps.has_quota);
	ASSERT_TRUE(caps.has_modes);
	/* Per-IOASID caps only with IOASID_INFO_PASID */
	ASSERT_FALSE(caps.has_ioas);
	ASSERT_FALSE(caps.has_ranges);
	ASSERT_EQ(caps.caps_len, caps.written);

	ASSERT_EQ(IOASID_PASID_BITS, caps.pasid.pasid_bits);
	ASSERT_EQ(IOASID_PASID_MIN, caps.pasid.pasid_min);
	ASSERT_EQ(IOASID_PASID_MAX, caps.pasid.pasid_max);
	ASSERT_EQ(0, caps.pasid.flags & ~IOASID_CAP_PASID_SYSTEM);
#if defined(__x86_64__)
	/* Debian's amd64 kernel has CONFIG_IOASID (VT-d SVM): the system allocator */
	ASSERT_EQ(IOASID_CAP_PASID_SYSTEM, caps.pasid.flags);
#elif defined(__aarch64__)
	/* Debian's arm64 kernel has no PASID allocator: the module's own */
	ASSERT_EQ(0, caps.pasid.flags);
#endif

	ASSERT_EQ(0, caps.quota.nr_fd);
	ASSERT_LT(0, caps.quota.max_per_fd);
	ASSERT_LT(0, caps.quota.max_per_user);

	/* IOVA mode and the IOMMU API executor are what this module is built on */
	ASSERT_NE(0, caps.modes.modes & (1U << IOASID_MODE_IOVA));
	ASSERT_NE(0, caps.modes.executors & (1U << IOASID_EXEC_IOMMU_API));
	ASSERT_EQ(0, caps.modes.__reserved);

	/* The global caps do not change with an IOASID in the fd */
	test_ioasid_alloc(self->t.fd, &pasid);
	test_ioasid_info(self->t.fd, &caps);
	ASSERT_FALSE(caps.has_ioas);
	ASSERT_EQ(1, caps.quota.nr_fd);
}

TEST_F(core, get_info_chain_well_formed)
{
	struct ioasid_info cmd;
	struct ioasid_caps caps;
	unsigned char *buf;
	__u32 pasid;
	size_t i;

	test_ioasid_alloc(self->t.fd, &pasid);
	buf = malloc(8192);
	ASSERT_NE(NULL, buf);
	memset(buf, 0xa5, 8192);
	ASSERT_EQ(0, _ioasid_get_info_raw(self->t.fd, IOASID_INFO_PASID, pasid,
					  buf, 8192, &cmd));
	ASSERT_EQ(cmd.caps_len, cmd.out_caps_written);
	ASSERT_EQ(0, cmd.caps_len % 8);
	/* Written exactly caps_len bytes, not one more */
	for (i = cmd.caps_len; i < 8192; i++)
		ASSERT_EQ(0xa5, buf[i]);
	ASSERT_EQ(0, ioasid_caps_parse(buf, cmd.caps_len, &caps)) {
		TH_LOG("malformed chain: %s", caps.err);
	}
	ASSERT_EQ(6, caps.nr_caps);
	ASSERT_EQ(0, caps.nr_unknown);
	ASSERT_TRUE(caps.has_pasid && caps.has_quota && caps.has_modes &&
		    caps.has_ioas && caps.has_ranges && caps.has_nested);
	/* Not nested: no nested IOASID capability */
	ASSERT_FALSE(caps.has_nested_ioas);
	/* The first capability sits at offset 0 */
	ASSERT_NE(0, ((struct ioasid_info_cap_header *)buf)->id);
	/* The inputs are echoed unchanged */
	ASSERT_EQ(sizeof(cmd), cmd.size);
	ASSERT_EQ(IOASID_INFO_PASID, cmd.flags);
	ASSERT_EQ(pasid, cmd.pasid);
	ASSERT_EQ(0, cmd.__reserved);
	free(buf);
}

TEST_F(core, get_info_pasid)
{
	struct ioasid_caps caps;
	__u32 pasid;

	test_ioasid_alloc(self->t.fd, &pasid);
	test_ioasid_info_pasid(self->t.fd, pasid, &caps);
	ASSERT_TRUE(caps.has_pasid && caps.has_quota && caps.has_modes);
	ASSERT_EQ(IOASID_STATE_LIVE, caps.ioas.state);
	ASSERT_EQ(IOASID_MODE_NONE, caps.ioas.mode);
	ASSERT_EQ(0, caps.ioas.nr_attach);
	ASSERT_EQ(0, caps.ioas.nr_mappings);
	ASSERT_EQ(0, caps.ioas.mapped_bytes);
	ASSERT_EQ(0, caps.ioas.__reserved);
	/* Nothing attached: the whole 64-bit space */
	ASSERT_TRUE(caps.has_ranges);
	ASSERT_EQ(1, caps.nr_ranges);
	ASSERT_EQ(0, caps.ranges[0].start);
	ASSERT_EQ(UINT64_MAX, caps.ranges[0].last);
	/* GET_INFO does not create translation state */
	ASSERT_EQ(self->t.base.v[CNT_IOPTS], test_counter(CNT_IOPTS));
}

TEST_F(core, get_info_pasid_needs_flag)
{
	struct ioasid_info cmd;
	char buf[1024];
	__u32 pasid;

	test_ioasid_alloc(self->t.fd, &pasid);
	/* @pasid is 0 unless IOASID_INFO_PASID */
	ASSERT_EQ(-1, _ioasid_get_info_raw(self->t.fd, 0, pasid, buf,
					   sizeof(buf), &cmd));
	ASSERT_EQ(EINVAL, errno);
	/* PASID 0 is never an IOASID */
	test_err_ioasid_info_pasid(ENOENT, self->t.fd, 0);
	test_err_ioasid_info_pasid(ENOENT, self->t.fd, IOASID_PASID_MAX + 1);
	test_err_ioasid_info_pasid(ENOENT, self->t.fd, UINT32_MAX);
}

TEST_F(core, destroy)
{
	struct ioasid_caps caps;
	__u32 pasid, other;

	test_ioasid_alloc(self->t.fd, &pasid);
	test_ioasid_alloc(self->t.fd, &other);
	test_ioasid_destroy(self->t.fd, pasid);
	test_err_ioasid_info_pasid(ENOENT, self->t.fd, pasid);
	ASSERT_EQ(1, test_nr_fd(self->t.fd));
	/* Destroying one leaves the other alone */
	test_ioasid_info_pasid(self->t.fd, other, &caps);
	/* The PASID went back at once: nothing held it */
	ASSERT_EQ(self->t.base.v[CNT_PASIDS] + 1, test_counter(CNT_PASIDS));
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED],
		  test_counter(CNT_IOASIDS_PARKED));
}

TEST_F(core, destroy_twice)
{
	__u32 pasid;

	test_ioasid_alloc(self->t.fd, &pasid);
	test_ioasid_destroy(self->t.fd, pasid);
	test_err_ioasid_destroy(ENOENT, self->t.fd, pasid);
	test_err_ioasid_destroy(ENOENT, self->t.fd, pasid);
	ASSERT_EQ(0, test_nr_fd(self->t.fd));
}

TEST_F(core, destroy_never_allocated)
{
	__u32 pasid;

	test_err_ioasid_destroy(ENOENT, self->t.fd, 0);
	test_err_ioasid_destroy(ENOENT, self->t.fd, TEST_PASID_BASE + 77);
	test_err_ioasid_destroy(ENOENT, self->t.fd, IOASID_PASID_MAX);
	test_err_ioasid_destroy(ENOENT, self->t.fd, IOASID_PASID_MAX + 1);
	test_err_ioasid_destroy(ENOENT, self->t.fd, UINT32_MAX);
	/* ... also with IOASIDs in the fd */
	test_ioasid_alloc(self->t.fd, &pasid);
	test_err_ioasid_destroy(ENOENT, self->t.fd, pasid + 1);
	test_err_ioasid_destroy(ENOENT, self->t.fd, pasid - 1);
	ASSERT_EQ(1, test_nr_fd(self->t.fd));
}

/* ------------------------------------------------------------------------
 * ALLOC with a range
 */

TEST_F(core, alloc_range_single_pasid)
{
	const __u32 p = TEST_PASID_BASE + 1;
	__u32 got = 0;

	test_ioasid_alloc_range(self->t.fd, p, p, &got);
	ASSERT_EQ(p, got);
	/* Taken: the 1-PASID range is exhausted */
	test_err_ioasid_alloc_range(ENOSPC, self->t.fd, p, p);
	/* The range ends are inclusive */
	test_ioasid_alloc_range(self->t.fd, p - 1, p + 1, &got);
	ASSERT_TRUE(got == p - 1 || got == p + 1);
	/* Edges of the PASID space */
	test_ioasid_alloc_range(self->t.fd, IOASID_PASID_MAX, IOASID_PASID_MAX, &got);
	ASSERT_EQ(IOASID_PASID_MAX, got);
	test_ioasid_alloc_range(self->t.fd, IOASID_PASID_MIN, IOASID_PASID_MAX, &got);
	ASSERT_LE(IOASID_PASID_MIN, got);
	ASSERT_GE(IOASID_PASID_MAX, got);
}

/*
 * A DESTROY with no users returns the PASID at once: nothing parks it, so an
 * ALLOC in a range holding only that PASID gets it back, in this fd and in
 * another one.
 */
TEST_F(core, destroy_returns_pasid_at_once)
{
	const __u32 p = TEST_PASID_BASE + 2;
	__u32 got;
	int fd2;

	test_ioasid_alloc_range(self->t.fd, p, p, &got);
	ASSERT_EQ(p, got);
	test_ioasid_destroy(self->t.fd, p);
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED],
		  test_counter(CNT_IOASIDS_PARKED));
	got = 0;
	test_ioasid_alloc_range(self->t.fd, p, p, &got);
	ASSERT_EQ(p, got);
	test_ioasid_destroy(self->t.fd, p);

	/* PASIDs are system-wide: another fd gets it as well */
	fd2 = ioasid_open();
	ASSERT_LE(0, fd2);
	got = 0;
	test_ioasid_alloc_range(fd2, p, p, &got);
	ASSERT_EQ(p, got);
	/* ... and then this fd cannot */
	test_err_ioasid_alloc_range(ENOSPC, self->t.fd, p, p);
	/* Closing fd2 returns it too */
	ASSERT_EQ(0, close(fd2));
	got = 0;
	test_ioasid_alloc_range(self->t.fd, p, p, &got);
	ASSERT_EQ(p, got);
}

TEST_F(core, alloc_range_min_above_max)
{
	test_err_ioasid_alloc_range(EINVAL, self->t.fd, TEST_PASID_BASE + 5,
				    TEST_PASID_BASE + 4);
	test_err_ioasid_alloc_range(EINVAL, self->t.fd, IOASID_PASID_MAX, 1);
	/* min > max wins over "outside the space" */
	test_err_ioasid_alloc_range(EINVAL, self->t.fd, UINT32_MAX, 0);
	ASSERT_EQ(0, test_nr_fd(self->t.fd));
	ASSERT_EQ(self->t.base.v[CNT_PASIDS], test_counter(CNT_PASIDS));
}

TEST_F(core, alloc_range_outside_space)
{
	test_err_ioasid_alloc_range(ERANGE, self->t.fd, 0, 0);
	test_err_ioasid_alloc_range(ERANGE, self->t.fd, 0, 10);
	test_err_ioasid_alloc_range(ERANGE, self->t.fd, 1, IOASID_PASID_MAX + 1);
	test_err_ioasid_alloc_range(ERANGE, self->t.fd, IOASID_PASID_MAX + 1,
				    IOASID_PASID_MAX + 1);
	test_err_ioasid_alloc_range(ERANGE, self->t.fd, IOASID_PASID_MAX,
				    UINT32_MAX);
	test_err_ioasid_alloc_range(ERANGE, self->t.fd, UINT32_MAX, UINT32_MAX);
	ASSERT_EQ(0, test_nr_fd(self->t.fd));
	ASSERT_EQ(self->t.base.v[CNT_PASIDS], test_counter(CNT_PASIDS));
}

TEST_F(core, alloc_range_exhausted)
{
	const __u32 lo = TEST_PASID_BASE + 16, hi = TEST_PASID_BASE + 23;
	__u32 got[8], extra;
	int i, j;

	for (i = 0; i < 8; i++) {
		test_ioasid_alloc_range(self->t.fd, lo, hi, &got[i]);
		ASSERT_LE(lo, got[i]);
		ASSERT_GE(hi, got[i]);
		for (j = 0; j < i; j++)
			ASSERT_NE(got[j], got[i]);
	}
	/* Failures take no quota and leak no PASID */
	for (i = 0; i < 50; i++)
		test_err_ioasid_alloc_range(ENOSPC, self->t.fd, lo, hi);
	ASSERT_EQ(8, test_nr_fd(self->t.fd));
	ASSERT_EQ(self->t.base.v[CNT_PASIDS] + 8, test_counter(CNT_PASIDS));
	/* Unranged allocations still work */
	test_ioasid_alloc(self->t.fd, &extra);
	/* Free one in the middle: exactly that one comes back */
	test_ioasid_destroy(self->t.fd, got[3]);
	test_ioasid_alloc_range(self->t.fd, lo, hi, &extra);
	ASSERT_EQ(got[3], extra);
	test_err_ioasid_alloc_range(ENOSPC, self->t.fd, lo, hi);
}

/*
 * /dev/ioasid is open to every user (0666), so nothing a user can repeat at
 * will may write to the kernel log, or must be rate-limited.  A full range
 * is the easiest error to repeat: 500 ALLOCs that fail with ENOSPC, by an
 * unprivileged user, may log no more than a ratelimited burst (10).
 */
TEST_F(core, alloc_enospc_does_not_flood_log)
{
	const __u32 p = TEST_PASID_BASE + 3;
	char first[512];
	int kmsg, n, status;
	pid_t pid;
	__u32 got;

	test_ioasid_alloc_range(self->t.fd, p, p, &got);
	kmsg = kmsg_watch_begin();
	ASSERT_LE(0, kmsg);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd, i;

		CHILD_CHECK(10, !setgid(65534) && !setuid(65534));
		fd = ioasid_open();
		CHILD_CHECK(11, fd >= 0);
		for (i = 0; i < 500; i++)
			CHILD_CHECK(12, _ioasid_alloc_range(fd, p, p, &got) &&
					errno == ENOSPC);
		_exit(0);
	}
	tctx_add_kid(&self->t, pid);
	status = wait_child(pid);
	ASSERT_EQ(0, status);
	n = kmsg_watch_count(kmsg, first, sizeof(first));
	if (n > 10)
		TH_LOG("%d kernel log records from 500 failed ALLOCs, first: %s",
		       n, first);
	ASSERT_GE(10, n);
}

TEST_F(core, alloc_unranged_with_bounds)
{
	__u32 pasid;

	/* min/max are 0 without IOASID_ALLOC_RANGE */
	ASSERT_EQ(-1, _ioasid_alloc(self->t.fd, 0, 1, 0, &pasid));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, _ioasid_alloc(self->t.fd, 0, 0, 100, &pasid));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, test_nr_fd(self->t.fd));
}

TEST_F(core, pasids_unique_across_fds)
{
	const __u32 lo = TEST_PASID_BASE + 32, hi = TEST_PASID_BASE + 39;
	__u32 got[8];
	int fd2, i, j;

	fd2 = ioasid_open();
	ASSERT_LE(0, fd2);
	for (i = 0; i < 8; i++) {
		test_ioasid_alloc_range(i % 2 ? fd2 : self->t.fd, lo, hi, &got[i]);
		for (j = 0; j < i; j++)
			ASSERT_NE(got[j], got[i]);
	}
	test_err_ioasid_alloc_range(ENOSPC, self->t.fd, lo, hi);
	test_err_ioasid_alloc_range(ENOSPC, fd2, lo, hi);
	ASSERT_EQ(4, test_nr_fd(self->t.fd));
	ASSERT_EQ(4, test_nr_fd(fd2));
	ASSERT_EQ(self->t.base.v[CNT_CONTEXTS] + 2, test_counter(CNT_CONTEXTS));
	ASSERT_EQ(0, close(fd2));
	/* fd2's four came back */
	for (i = 0; i < 4; i++)
		test_ioasid_alloc_range(self->t.fd, lo, hi, &got[0]);
	test_err_ioasid_alloc_range(ENOSPC, self->t.fd, lo, hi);
}

/* ------------------------------------------------------------------------
 * Parking, fdinfo and close
 */

TEST_F(core, no_parked_without_devices)
{
	struct fdinfo fi;
	__u32 p[4];
	size_t i;
	int k;

	for (k = 0; k < 4; k++)
		test_ioasid_alloc(self->t.fd, &p[k]);
	test_ioasid_destroy(self->t.fd, p[1]);
	test_ioasid_destroy(self->t.fd, p[2]);
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED],
		  test_counter(CNT_IOASIDS_PARKED));
	ASSERT_EQ(self->t.base.v[CNT_PASIDS] + 2, test_counter(CNT_PASIDS));
	ASSERT_EQ(0, fdinfo_read(0, self->t.fd, &fi));
	ASSERT_EQ(2, fi.nr_ioasids);
	ASSERT_EQ(2, fi.n);
	for (i = 0; i < fi.n; i++)
		ASSERT_STREQ("live", fi.ent[i].state);
	fdinfo_free(&fi);
	/* The quota counts live and parked: with none parked it is the live count */
	ASSERT_EQ(2, test_nr_fd(self->t.fd));
}

TEST_F(core, fdinfo_lists_ioasids)
{
	const struct fdinfo_ioasid *e;
	struct fdinfo fi;
	__u32 p[3];
	void *buf;
	int k;

	for (k = 0; k < 3; k++)
		test_ioasid_alloc(self->t.fd, &p[k]);
	buf = mmap_aligned(2 * SZ_64K, SZ_64K);
	ASSERT_NE(NULL, buf);
	test_ioasid_map_fixed(self->t.fd, p[1], buf, SZ_64K, SZ_1M);
	test_ioasid_map_fixed(self->t.fd, p[1], (char *)buf + SZ_64K, SZ_64K,
			      2 * SZ_1M);

	ASSERT_EQ(0, fdinfo_read(0, self->t.fd, &fi));
	ASSERT_EQ(0, fi.bad_lines);
	ASSERT_EQ(3, fi.nr_ioasids);
	ASSERT_EQ(3, fi.n);
	for (k = 0; k < 3; k++) {
		e = fdinfo_find(&fi, p[k]);
		ASSERT_NE(NULL, e) {
			TH_LOG("PASID %u missing from fdinfo", p[k]);
		}
		ASSERT_STREQ("live", e->state);
		ASSERT_STREQ(k == 1 ? "iova" : "none", e->mode);
		/* Only the fd's own reference: no device holds it */
		ASSERT_EQ(1, e->refs);
		ASSERT_EQ(0, e->attach);
		ASSERT_EQ(k == 1 ? 2 : 0, e->mappings);
	}
	fdinfo_free(&fi);

	test_ioasid_destroy(self->t.fd, p[1]);
	ASSERT_EQ(0, fdinfo_read(0, self->t.fd, &fi));
	ASSERT_EQ(2, fi.nr_ioasids);
	ASSERT_EQ(2, fi.n);
	ASSERT_EQ(NULL, fdinfo_find(&fi, p[1]));
	ASSERT_NE(NULL, fdinfo_find(&fi, p[0]));
	ASSERT_NE(NULL, fdinfo_find(&fi, p[2]));
	fdinfo_free(&fi);
}

TEST_F(core, fdinfo_empty_fd)
{
	struct fdinfo fi;

	ASSERT_EQ(0, fdinfo_read(0, self->t.fd, &fi));
	ASSERT_EQ(0, fi.nr_ioasids);
	ASSERT_EQ(0, fi.n);
	fdinfo_free(&fi);
}

TEST_F(core, close_releases_everything)
{
	struct ioasid_counters c;
	size_t len = 16 * page_size();
	__u32 p[8];
	__u64 iova;
	void *buf;
	int k;

	buf = mmap_aligned(len, len);
	ASSERT_NE(NULL, buf);
	for (k = 0; k < 8; k++) {
		test_ioasid_alloc(self->t.fd, &p[k]);
		if (k % 2)
			continue;
		test_ioasid_map_fixed(self->t.fd, p[k], buf, len, 0);
		test_ioasid_map(self->t.fd, p[k], MAP_RW, buf, len, &iova);
	}
	test_ioasid_destroy(self->t.fd, p[7]);
	ASSERT_EQ(0, counters_read(&c));
	ASSERT_EQ(self->t.base.v[CNT_CONTEXTS] + 1, c.v[CNT_CONTEXTS]);
	ASSERT_EQ(self->t.base.v[CNT_PASIDS] + 7, c.v[CNT_PASIDS]);
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_LIVE] + 7, c.v[CNT_IOASIDS_LIVE]);
	ASSERT_EQ(self->t.base.v[CNT_AREAS] + 8, c.v[CNT_AREAS]);
	ASSERT_EQ(self->t.base.v[CNT_PINNED] + 8 * 16, c.v[CNT_PINNED]);
	ASSERT_LE(self->t.base.v[CNT_IOPTS] + 4, c.v[CNT_IOPTS]);

	ASSERT_EQ(0, close(self->t.fd));
	self->t.fd = -1;
	EXPECT_COUNTERS_EQ(&self->t.base);
	/* The memory is no longer pinned: it can go */
	ASSERT_EQ(0, munmap(buf, len));
}

/* ------------------------------------------------------------------------
 * Isolation between fds
 */

TEST_F(core, isolation_between_fds)
{
	struct ioasid_caps caps;
	__u32 mine, theirs;
	void *buf;
	__u64 iova = SZ_1M;
	int fd2;

	buf = mmap_aligned(SZ_64K, SZ_64K);
	ASSERT_NE(NULL, buf);
	fd2 = ioasid_open();
	ASSERT_LE(0, fd2);
	test_ioasid_alloc(self->t.fd, &mine);
	test_ioasid_alloc(fd2, &theirs);
	test_ioasid_map_fixed(fd2, theirs, buf, SZ_64K, SZ_1M);

	/* fd2's PASID does not exist for this fd ... */
	test_err_ioasid_info_pasid(ENOENT, self->t.fd, theirs);
	test_err_ioasid_map(ENOENT, self->t.fd, theirs, MAP_RW_FIXED, buf,
			    SZ_64K, &iova);
	test_err_ioasid_unmap(ENOENT, self->t.fd, theirs, SZ_1M, SZ_64K);
	ASSERT_EQ(-1, _ioasid_unmap_all(self->t.fd, theirs, NULL));
	ASSERT_EQ(ENOENT, errno);
	test_err_ioasid_destroy(ENOENT, self->t.fd, theirs);
	/* ... nor this fd's for fd2 */
	test_err_ioasid_info_pasid(ENOENT, fd2, mine);
	test_err_ioasid_destroy(ENOENT, fd2, mine);

	/* and nothing happened to either */
	test_ioasid_info_pasid(fd2, theirs, &caps);
	ASSERT_EQ(IOASID_MODE_IOVA, caps.ioas.mode);
	ASSERT_EQ(1, caps.ioas.nr_mappings);
	ASSERT_EQ(SZ_64K, caps.ioas.mapped_bytes);
	ASSERT_EQ(1, caps.quota.nr_fd);
	test_ioasid_info_pasid(self->t.fd, mine, &caps);
	ASSERT_EQ(IOASID_MODE_NONE, caps.ioas.mode);
	ASSERT_EQ(1, caps.quota.nr_fd);
	ASSERT_EQ(0, close(fd2));
}

TEST_F(core, dup_shares_the_context)
{
	__u32 pasid, other;
	int fd2;

	test_ioasid_alloc(self->t.fd, &pasid);
	fd2 = dup(self->t.fd);
	ASSERT_LE(0, fd2);
	test_ioasid_alloc(fd2, &other);
	ASSERT_EQ(2, test_nr_fd(self->t.fd));
	ASSERT_EQ(self->t.base.v[CNT_CONTEXTS] + 1, test_counter(CNT_CONTEXTS));
	/* Closing one of the two descriptors releases nothing */
	ASSERT_EQ(0, close(self->t.fd));
	self->t.fd = -1;
	ASSERT_EQ(2, test_nr_fd(fd2));
	test_ioasid_destroy(fd2, pasid);
	ASSERT_EQ(0, close(fd2));
	ASSERT_COUNTERS_IDLE();
}

/* ------------------------------------------------------------------------
 * fork()
 *
 * A /dev/ioasid fd names an open file description, and the IOASIDs belong to
 * that description (its context), not to a process.  After fork() parent and
 * child hold two descriptors of the same description, exactly like dup():
 *
 *  - the child sees the same IOASIDs and can GET_INFO, ALLOC, MAP, UNMAP and
 *    DESTROY them; its changes are the parent's and vice versa;
 *  - a child exiting only closes its descriptor: nothing is released;
 *  - the parent closing its descriptor while the child still holds one
 *    releases nothing either: the child keeps working;
 *  - the last close of the description, wherever it happens, releases every
 *    IOASID, mapping and pin (the counters go back to 0).
 *
 * Mappings made by the child stay pinned after it exits; their pins are
 * charged to the child's (dead) mm, and unmapping them later is fine.
 */


static int pipe_read_u32(int fd, __u32 *v)
{
	return read(fd, v, sizeof(*v)) == sizeof(*v) ? 0 : -1;
}

static int pipe_write_u32(int fd, __u32 v)
{
	return write(fd, &v, sizeof(v)) == sizeof(v) ? 0 : -1;
}

TEST_F(core, fork_child_uses_same_ioasids)
{
	size_t len = 8 * page_size();
	struct ioasid_caps caps;
	int fd = self->t.fd, pfd[2];
	__u32 p, q = 0;
	__u64 unmapped;
	pid_t pid;
	void *buf;

	buf = mmap_aligned(len, len);
	ASSERT_NE(NULL, buf);
	test_ioasid_alloc(fd, &p);
	test_ioasid_map_fixed(fd, p, buf, len, SZ_1M);
	ASSERT_EQ(0, pipe(pfd));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ioasid_caps c;
		void *cbuf = mmap_aligned(len, len);
		__u32 nq;

		CHILD_CHECK(10, cbuf);
		/* sees the parent's IOASID and its mapping */
		CHILD_CHECK(11, !_ioasid_info_pasid(fd, p, &c));
		CHILD_CHECK(12, c.ioas.nr_mappings == 1 && c.quota.nr_fd == 1);
		/* allocates in the same context */
		CHILD_CHECK(13, !_ioasid_alloc(fd, 0, 0, 0, &nq));
		/* maps its own memory into the parent's IOASID */
		CHILD_CHECK(14, !_ioasid_map_fixed(fd, p, cbuf, len, 2 * SZ_1M));
		CHILD_CHECK(15, !pipe_write_u32(pfd[1], nq));
		_exit(0);
	}
	tctx_add_kid(&self->t, pid);
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, pipe_read_u32(pfd[0], &q));

	/* What the child did is visible here; its exit released nothing */
	test_ioasid_info_pasid(fd, q, &caps);
	test_ioasid_info_pasid(fd, p, &caps);
	ASSERT_EQ(2, caps.ioas.nr_mappings);
	ASSERT_EQ(2 * len, caps.ioas.mapped_bytes);
	ASSERT_EQ(2, caps.quota.nr_fd);
	ASSERT_EQ(self->t.base.v[CNT_PINNED] + 2 * len / page_size(),
		  test_counter(CNT_PINNED));
	/* The dead child's pins go with the mapping */
	test_ioasid_unmap(fd, p, 2 * SZ_1M, len, &unmapped);
	ASSERT_EQ(len, unmapped);
	ASSERT_EQ(self->t.base.v[CNT_PINNED] + len / page_size(),
		  test_counter(CNT_PINNED));
}

TEST_F(core, fork_child_exit_releases_nothing)
{
	struct ioasid_counters before, after;
	struct fdinfo fi;
	int fd = self->t.fd;
	__u32 p[3];
	pid_t pid;
	int k;

	for (k = 0; k < 3; k++)
		test_ioasid_alloc(fd, &p[k]);
	ASSERT_EQ(0, counters_read(&before));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ioasid_caps c;

		CHILD_CHECK(10, !_ioasid_info_pasid(fd, p[0], &c));
		/* exit without closing: the kernel closes the descriptor */
		_exit(0);
	}
	tctx_add_kid(&self->t, pid);
	ASSERT_EQ(0, wait_child(pid));

	ASSERT_EQ(0, counters_read(&after));
	ASSERT_TRUE(counters_equal(&before, &after));
	ASSERT_EQ(3, test_nr_fd(fd));
	ASSERT_EQ(0, fdinfo_read(0, fd, &fi));
	ASSERT_EQ(3, fi.n);
	fdinfo_free(&fi);
}

TEST_F(core, fork_child_destroys_parent_ioasid)
{
	int fd = self->t.fd;
	__u32 p, keep;
	pid_t pid;

	test_ioasid_alloc(fd, &p);
	test_ioasid_alloc(fd, &keep);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_CHECK(10, !_ioasid_destroy(fd, p));
		CHILD_CHECK(11, _ioasid_destroy(fd, p) && errno == ENOENT);
		_exit(0);
	}
	tctx_add_kid(&self->t, pid);
	ASSERT_EQ(0, wait_child(pid));
	test_err_ioasid_info_pasid(ENOENT, fd, p);
	test_err_ioasid_destroy(ENOENT, fd, p);
	ASSERT_EQ(1, test_nr_fd(fd));
	ASSERT_EQ(self->t.base.v[CNT_PASIDS] + 1, test_counter(CNT_PASIDS));
}

TEST_F(core, fork_last_close_releases)
{
	struct ioasid_counters before, after;
	size_t len = 4 * page_size();
	int fd = self->t.fd, go[2], done[2];
	__u32 p[4], q;
	pid_t pid;
	void *buf;
	int k;

	buf = mmap_aligned(len, len);
	ASSERT_NE(NULL, buf);
	for (k = 0; k < 4; k++)
		test_ioasid_alloc(fd, &p[k]);
	test_ioasid_map_fixed(fd, p[0], buf, len, 0);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ioasid_caps c;
		__u32 cmd, nq;

		close(go[1]);
		close(done[0]);
		CHILD_CHECK(10, !pipe_read_u32(go[0], &cmd));
		/* The parent has closed its descriptor: all still here */
		CHILD_CHECK(11, !_ioasid_info_pasid(fd, p[0], &c));
		CHILD_CHECK(12, c.ioas.nr_mappings == 1 && c.quota.nr_fd == 4);
		CHILD_CHECK(13, !_ioasid_alloc(fd, 0, 0, 0, &nq));
		CHILD_CHECK(14, !_ioasid_destroy(fd, p[1]));
		CHILD_CHECK(15, !pipe_write_u32(done[1], nq));
		/* Now wait to be told to close the last descriptor */
		CHILD_CHECK(16, !pipe_read_u32(go[0], &cmd));
		CHILD_CHECK(17, !close(fd));
		CHILD_CHECK(18, !pipe_write_u32(done[1], 0));
		CHILD_CHECK(19, !pipe_read_u32(go[0], &cmd));
		_exit(0);
	}
	tctx_add_kid(&self->t, pid);
	close(go[0]);
	close(done[1]);

	ASSERT_EQ(0, counters_read(&before));
	ASSERT_EQ(0, close(fd));
	self->t.fd = -1;
	ASSERT_EQ(0, counters_read(&after));
	ASSERT_TRUE(counters_equal(&before, &after));

	ASSERT_EQ(0, pipe_write_u32(go[1], 1));
	ASSERT_EQ(0, pipe_read_u32(done[0], &q)) {
		TH_LOG("child failed: exit %d", wait_child(pid));
	}
	ASSERT_EQ(self->t.base.v[CNT_PASIDS] + 4, test_counter(CNT_PASIDS));
	ASSERT_EQ(self->t.base.v[CNT_CONTEXTS] + 1, test_counter(CNT_CONTEXTS));

	/* The last close, in the child, while it is still alive */
	ASSERT_EQ(0, pipe_write_u32(go[1], 2));
	ASSERT_EQ(0, pipe_read_u32(done[0], &q));
	ASSERT_COUNTERS_IDLE();
	ASSERT_EQ(0, pipe_write_u32(go[1], 3));
	ASSERT_EQ(0, wait_child(pid));
	self->t.nr_kids = 0;
}

/* ------------------------------------------------------------------------
 * Quotas
 */

FIXTURE(quota) {
	struct ioasid_tctx t;
};

FIXTURE_SETUP(quota)
{
	tctx_setup(_metadata, &self->t);
	ASSERT_TRUE(ioasid_params_saved) {
		TH_LOG("cannot read %smax_per_fd / max_per_user", IOASID_PARAMS);
	}
}

FIXTURE_TEARDOWN(quota)
{
	tctx_teardown(_metadata, &self->t);
	EXPECT_EQ(0, ioasid_params_restore());
}

static void set_quotas(struct __test_metadata *_metadata, unsigned int per_fd,
		       unsigned int per_user)
{
	unsigned int v;

	ASSERT_EQ(0, param_write("max_per_fd", per_fd));
	ASSERT_EQ(0, param_write("max_per_user", per_user));
	ASSERT_EQ(0, param_read("max_per_fd", &v));
	ASSERT_EQ(per_fd, v);
	ASSERT_EQ(0, param_read("max_per_user", &v));
	ASSERT_EQ(per_user, v);
}

TEST_F(quota, per_fd)
{
	struct ioasid_caps caps;
	__u32 p[8], extra;
	int k;

	set_quotas(_metadata, 8, 1000);
	for (k = 0; k < 8; k++)
		test_ioasid_alloc(self->t.fd, &p[k]);
	test_err_ioasid_alloc(EDQUOT, self->t.fd);
	/* EDQUOT also with a range */
	test_err_ioasid_alloc_range(EDQUOT, self->t.fd, TEST_PASID_BASE + 40,
				    TEST_PASID_BASE + 40);

	test_ioasid_info(self->t.fd, &caps);
	ASSERT_EQ(8, caps.quota.max_per_fd);
	ASSERT_EQ(1000, caps.quota.max_per_user);
	ASSERT_EQ(8, caps.quota.nr_fd);
	ASSERT_EQ(8, caps.quota.nr_user);
	/* The failures took nothing */
	ASSERT_EQ(self->t.base.v[CNT_PASIDS] + 8, test_counter(CNT_PASIDS));

	test_ioasid_destroy(self->t.fd, p[5]);
	test_ioasid_alloc(self->t.fd, &extra);
	test_err_ioasid_alloc(EDQUOT, self->t.fd);
}

TEST_F(quota, per_fd_is_per_fd)
{
	__u32 p;
	int fd2, k;

	set_quotas(_metadata, 4, 1000);
	fd2 = ioasid_open();
	ASSERT_LE(0, fd2);
	for (k = 0; k < 4; k++) {
		test_ioasid_alloc(self->t.fd, &p);
		test_ioasid_alloc(fd2, &p);
	}
	test_err_ioasid_alloc(EDQUOT, self->t.fd);
	test_err_ioasid_alloc(EDQUOT, fd2);
	ASSERT_EQ(4, test_nr_fd(fd2));
}

TEST_F(quota, per_user_across_fds)
{
	struct ioasid_caps caps;
	__u32 p;
	int fd2, k;

	set_quotas(_metadata, 8, 12);
	fd2 = ioasid_open();
	ASSERT_LE(0, fd2);
	for (k = 0; k < 8; k++)
		test_ioasid_alloc(self->t.fd, &p);
	for (k = 0; k < 4; k++)
		test_ioasid_alloc(fd2, &p);
	/* fd2 is below its per-fd quota but the user is at 12 */
	test_err_ioasid_alloc(EDQUOT, fd2);
	test_err_ioasid_alloc(EDQUOT, self->t.fd);

	test_ioasid_info(fd2, &caps);
	ASSERT_EQ(4, caps.quota.nr_fd);
	ASSERT_EQ(12, caps.quota.nr_user);
	ASSERT_EQ(12, caps.quota.max_per_user);
	test_ioasid_info(self->t.fd, &caps);
	ASSERT_EQ(8, caps.quota.nr_fd);
	ASSERT_EQ(12, caps.quota.nr_user);

	/* Closing the first fd gives the user its quota back */
	ASSERT_EQ(0, close(self->t.fd));
	self->t.fd = -1;
	test_ioasid_info(fd2, &caps);
	ASSERT_EQ(4, caps.quota.nr_user);
	for (k = 0; k < 4; k++)
		test_ioasid_alloc(fd2, &p);
	/* and now fd2 meets its per-fd quota */
	test_err_ioasid_alloc(EDQUOT, fd2);
	test_ioasid_info(fd2, &caps);
	ASSERT_EQ(8, caps.quota.nr_fd);
	ASSERT_EQ(8, caps.quota.nr_user);
}

/*
 * Another user has a quota of its own.  The quota is charged to the user who
 * opened the fd (the QUOTA cap's "calling fd's user"), so a setuid child
 * still meets its parent's quota through the inherited fd.
 */
TEST_F(quota, other_user_has_own_quota)
{
	struct ioasid_caps caps;
	int fd = self->t.fd;
	__u32 p;
	pid_t pid;
	int k;

	set_quotas(_metadata, 100, 4);
	for (k = 0; k < 4; k++)
		test_ioasid_alloc(fd, &p);
	test_err_ioasid_alloc(EDQUOT, fd);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ioasid_caps c;
		__u32 q;
		int nfd, i;

		CHILD_CHECK(10, !setgid(65534));
		CHILD_CHECK(11, !setuid(65534));
		CHILD_CHECK(12, getuid() == 65534);
		nfd = ioasid_open();
		CHILD_CHECK(13, nfd >= 0);
		CHILD_CHECK(14, !_ioasid_info(nfd, 0, 0, &c));
		CHILD_CHECK(15, c.quota.nr_fd == 0 && c.quota.nr_user == 0);
		for (i = 0; i < 4; i++)
			CHILD_CHECK(16, !_ioasid_alloc(nfd, 0, 0, 0, &q));
		CHILD_CHECK(17, _ioasid_alloc(nfd, 0, 0, 0, &q) && errno == EDQUOT);
		CHILD_CHECK(18, !_ioasid_info(nfd, 0, 0, &c));
		CHILD_CHECK(19, c.quota.nr_fd == 4 && c.quota.nr_user == 4);
		/* The inherited fd is still root's: root is at quota */
		CHILD_CHECK(20, _ioasid_alloc(fd, 0, 0, 0, &q) && errno == EDQUOT);
		CHILD_CHECK(21, !_ioasid_info(fd, 0, 0, &c));
		CHILD_CHECK(22, c.quota.nr_user == 4 && c.quota.nr_fd == 4);
		_exit(0);
	}
	tctx_add_kid(&self->t, pid);
	ASSERT_EQ(0, wait_child(pid));
	/* The other user's use never counted here */
	test_ioasid_info(fd, &caps);
	ASSERT_EQ(4, caps.quota.nr_user);
	test_err_ioasid_alloc(EDQUOT, fd);
}

TEST_F(quota, cap_tracks_use_and_limits)
{
	struct ioasid_caps caps;
	__u32 p[3], q;
	int fd2, k;

	set_quotas(_metadata, 5, 7);
	fd2 = ioasid_open();
	ASSERT_LE(0, fd2);
	for (k = 0; k < 3; k++)
		test_ioasid_alloc(self->t.fd, &p[k]);
	test_ioasid_alloc(fd2, &q);
	test_ioasid_info(self->t.fd, &caps);
	ASSERT_EQ(5, caps.quota.max_per_fd);
	ASSERT_EQ(7, caps.quota.max_per_user);
	ASSERT_EQ(3, caps.quota.nr_fd);
	ASSERT_EQ(4, caps.quota.nr_user);
	test_ioasid_destroy(self->t.fd, p[0]);
	test_ioasid_info(self->t.fd, &caps);
	ASSERT_EQ(2, caps.quota.nr_fd);
	ASSERT_EQ(3, caps.quota.nr_user);

	/* Lowering a limit below the use refuses new ones, keeps the old */
	set_quotas(_metadata, 1, 7);
	test_err_ioasid_alloc(EDQUOT, self->t.fd);
	test_ioasid_info_pasid(self->t.fd, p[1], &caps);
	ASSERT_EQ(1, caps.quota.max_per_fd);
	test_ioasid_destroy(self->t.fd, p[1]);
	test_err_ioasid_alloc(EDQUOT, self->t.fd);
	test_ioasid_destroy(self->t.fd, p[2]);
	test_ioasid_alloc(self->t.fd, &p[0]);
	test_err_ioasid_alloc(EDQUOT, self->t.fd);
}

TEST_F(quota, zero_quota)
{
	set_quotas(_metadata, 0, 1000);
	test_err_ioasid_alloc(EDQUOT, self->t.fd);
	set_quotas(_metadata, 1000, 0);
	test_err_ioasid_alloc(EDQUOT, self->t.fd);
	ASSERT_EQ(0, test_nr_fd(self->t.fd));
	ASSERT_EQ(self->t.base.v[CNT_PASIDS], test_counter(CNT_PASIDS));
}

TEST_HARNESS_MAIN
