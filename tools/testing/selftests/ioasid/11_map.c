// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid IOASID_MAP / IOASID_UNMAP without devices: IOVA placement,
 * overlap and split rules, argument checks, pinning and its accounting
 * (debugfs pinned_pages, RLIMIT_MEMLOCK).
 */
#include "kselftest_harness.h"
#include "ioasid_utils.h"

#include <linux/mman.h>
#include <sys/resource.h>

#define NPAGES		64

FIXTURE(map) {
	struct ioasid_tctx t;
	__u32 pasid;
	size_t pg;
	size_t len;		/* NPAGES pages */
	unsigned char *buf;	/* len bytes, aligned to len */
};

FIXTURE_SETUP(map)
{
	tctx_setup(_metadata, &self->t);
	self->pg = page_size();
	self->len = NPAGES * self->pg;
	self->buf = mmap_aligned(self->len, self->len);
	ASSERT_NE(NULL, self->buf);
	test_ioasid_alloc(self->t.fd, &self->pasid);
}

FIXTURE_TEARDOWN(map)
{
	tctx_teardown(_metadata, &self->t);
}

#define PINNED_DELTA(_self) (test_counter(CNT_PINNED) - (_self)->t.base.v[CNT_PINNED])
#define AREAS_DELTA(_self) (test_counter(CNT_AREAS) - (_self)->t.base.v[CNT_AREAS])

/* The IOAS capability of the fixture's IOASID */
#define ioas_info(_self) ({						\
	struct ioasid_caps __c;						\
	test_ioasid_info_pasid((_self)->t.fd, (_self)->pasid, &__c);	\
	__c.ioas;							\
})

TEST_F(map, fixed_iova)
{
	struct ioasid_info_cap_ioas ioas;
	__u64 iova = SZ_1M;

	ioas = ioas_info(self);
	ASSERT_EQ(IOASID_MODE_NONE, ioas.mode);
	ASSERT_EQ(0, _ioasid_map(self->t.fd, self->pasid, MAP_RW_FIXED,
				 self->buf, 16 * self->pg, &iova));
	ASSERT_EQ(SZ_1M, iova);
	ioas = ioas_info(self);
	ASSERT_EQ(IOASID_MODE_IOVA, ioas.mode);
	ASSERT_EQ(1, ioas.nr_mappings);
	ASSERT_EQ(16 * self->pg, ioas.mapped_bytes);
	ASSERT_EQ(16, PINNED_DELTA(self));
	ASSERT_EQ(1, AREAS_DELTA(self));
	ASSERT_EQ(self->t.base.v[CNT_IOPTS] + 1, test_counter(CNT_IOPTS));
}

TEST_F(map, kernel_chosen_iova)
{
	struct ioasid_info_cap_ioas ioas;
	__u64 a, b;

	test_ioasid_map(self->t.fd, self->pasid, MAP_RW, self->buf,
			8 * self->pg, &a);
	ASSERT_EQ(0, a % self->pg);
	test_ioasid_map(self->t.fd, self->pasid, MAP_RW, self->buf + 8 * self->pg,
			8 * self->pg, &b);
	ASSERT_EQ(0, b % self->pg);
	/* disjoint */
	ASSERT_TRUE(b + 8 * self->pg <= a || a + 8 * self->pg <= b);
	/* really there: a fixed map on top collides */
	test_err_ioasid_map_fixed(EEXIST, self->t.fd, self->pasid,
				  self->buf, self->pg, a);
	test_err_ioasid_map_fixed(EEXIST, self->t.fd, self->pasid,
				  self->buf, self->pg, b + 7 * self->pg);
	ioas = ioas_info(self);
	ASSERT_EQ(2, ioas.nr_mappings);
	ASSERT_EQ(16 * self->pg, ioas.mapped_bytes);
}

TEST_F(map, kernel_iova_avoids_fixed_mappings)
{
	__u64 iova;
	int k;

	/* Occupy [0, 4 pages) and [5 pages, 6 pages): a 1-page hole at 4 */
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, 4 * self->pg, 0);
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, self->pg,
			      5 * self->pg);
	for (k = 0; k < 8; k++) {
		test_ioasid_map(self->t.fd, self->pasid, MAP_RW,
				self->buf + k * self->pg, self->pg, &iova);
		ASSERT_FALSE(iova < 4 * self->pg);
		ASSERT_NE(5 * self->pg, iova);
	}
	ASSERT_EQ(10, ioas_info(self).nr_mappings);
}

static void check_2m_alignment(struct __test_metadata *_metadata,
			       FIXTURE_DATA(map) *self, void *buf2m, size_t len)
{
	__u64 small, iova;

	/* Take IOVA 0 first, so that alignment has to be worked for */
	test_ioasid_map(self->t.fd, self->pasid, MAP_RW, self->buf, self->pg,
			&small);
	test_ioasid_map(self->t.fd, self->pasid, MAP_RW, buf2m, len, &iova);
	ASSERT_EQ(0, iova % SZ_2M) {
		TH_LOG("a 2 MiB-aligned buffer of %zu bytes got IOVA 0x%llx",
		       len, (unsigned long long)iova);
	}
	ASSERT_TRUE(iova + len <= small || small + self->pg <= iova);
}

TEST_F(map, kernel_iova_2m_aligned_anon)
{
	void *buf = mmap_aligned(2 * SZ_2M, SZ_2M);

	ASSERT_NE(NULL, buf);
	check_2m_alignment(_metadata, self, buf, SZ_2M);
	check_2m_alignment(_metadata, self, buf, 2 * SZ_2M);
}

TEST_F(map, kernel_iova_2m_aligned_hugetlb)
{
	void *buf;

	buf = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
	if (buf == MAP_FAILED)
		SKIP(return, "no 2 MiB hugetlb page free (vm.nr_hugepages): %s",
		     strerror(errno));
	memset(buf, 1, SZ_2M);
	check_2m_alignment(_metadata, self, buf, SZ_2M);
	ASSERT_EQ(SZ_2M / self->pg + 1, PINNED_DELTA(self));
}

TEST_F(map, overlap_is_eexist)
{
	const __u64 base = 16 * self->pg;	/* mapping: pages [16, 24) */
	size_t pg = self->pg;
	long pinned;

	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, 8 * pg, base);
	pinned = PINNED_DELTA(self);
	/* same range, front overlap, back overlap, inside, around, one page */
	test_err_ioasid_map_fixed(EEXIST, self->t.fd, self->pasid, self->buf, 8 * pg, base);
	test_err_ioasid_map_fixed(EEXIST, self->t.fd, self->pasid, self->buf, 8 * pg, base - 4 * pg);
	test_err_ioasid_map_fixed(EEXIST, self->t.fd, self->pasid, self->buf, 8 * pg, base + 4 * pg);
	test_err_ioasid_map_fixed(EEXIST, self->t.fd, self->pasid, self->buf, 2 * pg, base + 3 * pg);
	test_err_ioasid_map_fixed(EEXIST, self->t.fd, self->pasid, self->buf, 16 * pg, base - 4 * pg);
	test_err_ioasid_map_fixed(EEXIST, self->t.fd, self->pasid, self->buf, pg, base + 7 * pg);
	test_err_ioasid_map_fixed(EEXIST, self->t.fd, self->pasid, self->buf, 2 * pg, base - pg);
	/* the failures pinned nothing and mapped nothing */
	ASSERT_EQ(pinned, PINNED_DELTA(self));
	ASSERT_EQ(1, ioas_info(self).nr_mappings);
	/* adjacent on both sides is fine */
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, pg, base - pg);
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, pg, base + 8 * pg);
	ASSERT_EQ(3, ioas_info(self).nr_mappings);
	ASSERT_EQ(10, PINNED_DELTA(self));
}

TEST_F(map, unmap_cutting_a_mapping_is_einval)
{
	const __u64 a = SZ_1M, b = 2 * SZ_1M;
	size_t pg = self->pg;
	struct ioasid_info_cap_ioas ioas;

	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, 8 * pg, a);
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, 8 * pg, b);
	/* front half, back half, middle, one page */
	test_err_ioasid_unmap(EINVAL, self->t.fd, self->pasid, a, 4 * pg);
	test_err_ioasid_unmap(EINVAL, self->t.fd, self->pasid, a + 4 * pg, 4 * pg);
	test_err_ioasid_unmap(EINVAL, self->t.fd, self->pasid, a + pg, 2 * pg);
	test_err_ioasid_unmap(EINVAL, self->t.fd, self->pasid, a + 7 * pg, pg);
	/* all of a but half of b: nothing at all is unmapped, a included */
	test_err_ioasid_unmap(EINVAL, self->t.fd, self->pasid, a, b - a + 4 * pg);
	/* from before a into a */
	test_err_ioasid_unmap(EINVAL, self->t.fd, self->pasid, a - 4 * pg, 8 * pg);

	ioas = ioas_info(self);
	ASSERT_EQ(2, ioas.nr_mappings);
	ASSERT_EQ(16 * pg, ioas.mapped_bytes);
	ASSERT_EQ(16, PINNED_DELTA(self));
	test_err_ioasid_map_fixed(EEXIST, self->t.fd, self->pasid, self->buf, pg, a);
}

TEST_F(map, unmap_covering_two_mappings)
{
	const __u64 a = SZ_1M, b = 2 * SZ_1M;
	size_t pg = self->pg;
	__u64 unmapped = 0;

	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, 8 * pg, a);
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf + 8 * pg, 4 * pg, b);
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, pg, 4 * SZ_1M);
	ASSERT_EQ(13, PINNED_DELTA(self));
	/* A range with slack on both ends covering the first two */
	test_ioasid_unmap(self->t.fd, self->pasid, a - SZ_64K,
			  b + 4 * pg - a + 2 * SZ_64K, &unmapped);
	ASSERT_EQ(12 * pg, unmapped);
	ASSERT_EQ(1, ioas_info(self).nr_mappings);
	ASSERT_EQ(pg, ioas_info(self).mapped_bytes);
	ASSERT_EQ(1, PINNED_DELTA(self));
	ASSERT_EQ(1, AREAS_DELTA(self));
	/* gone: mapping there again works */
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, 8 * pg, a);
}

TEST_F(map, unmap_exact_range)
{
	size_t pg = self->pg;
	__u64 unmapped = 0;

	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, 8 * pg, SZ_1M);
	test_ioasid_unmap(self->t.fd, self->pasid, SZ_1M, 8 * pg, &unmapped);
	ASSERT_EQ(8 * pg, unmapped);
	ASSERT_EQ(0, ioas_info(self).nr_mappings);
	ASSERT_EQ(0, PINNED_DELTA(self));
	test_err_ioasid_unmap(ENOENT, self->t.fd, self->pasid, SZ_1M, 8 * pg);
}

TEST_F(map, unmap_all)
{
	size_t pg = self->pg;
	__u64 unmapped = 0, iova;

	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, 8 * pg, SZ_1M);
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, 2 * pg, 0);
	test_ioasid_map(self->t.fd, self->pasid, MAP_RW, self->buf, 4 * pg, &iova);
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, pg,
			      UINT64_MAX - pg + 1);
	test_ioasid_unmap_all(self->t.fd, self->pasid, &unmapped);
	ASSERT_EQ(15 * pg, unmapped);
	ASSERT_EQ(0, ioas_info(self).nr_mappings);
	ASSERT_EQ(0, ioas_info(self).mapped_bytes);
	ASSERT_EQ(0, PINNED_DELTA(self));
	ASSERT_EQ(0, AREAS_DELTA(self));
	/* UNMAP_ALL of nothing is a success that unmaps 0 bytes */
	unmapped = 1;
	test_ioasid_unmap_all(self->t.fd, self->pasid, &unmapped);
	ASSERT_EQ(0, unmapped);
}

TEST_F(map, unmap_nothing_is_enoent)
{
	size_t pg = self->pg;
	__u32 fresh;
	__u64 unmapped = 1;

	/* an IOASID that never mapped anything */
	test_err_ioasid_unmap(ENOENT, self->t.fd, self->pasid, 0, pg);
	test_err_ioasid_unmap(ENOENT, self->t.fd, self->pasid, 0, UINT64_MAX - pg + 1);
	test_ioasid_unmap_all(self->t.fd, self->pasid, &unmapped);
	ASSERT_EQ(0, unmapped);

	/* a hole between mappings */
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, pg, SZ_1M);
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, pg, 3 * SZ_1M);
	test_err_ioasid_unmap(ENOENT, self->t.fd, self->pasid, SZ_1M + pg,
			      2 * SZ_1M - pg);
	test_err_ioasid_unmap(ENOENT, self->t.fd, self->pasid, 0, SZ_1M);
	ASSERT_EQ(2, ioas_info(self).nr_mappings);

	/* another IOASID's mappings are not this one's */
	test_ioasid_alloc(self->t.fd, &fresh);
	test_err_ioasid_unmap(ENOENT, self->t.fd, fresh, SZ_1M, pg);
	ASSERT_EQ(2, ioas_info(self).nr_mappings);
}

TEST_F(map, readonly_memory)
{
	size_t pg = self->pg;
	__u64 iova = SZ_1M;
	long pinned;

	/* filled while writable, then read-only */
	ASSERT_EQ(0, mprotect(self->buf, 8 * pg, PROT_READ));
	test_ioasid_map(self->t.fd, self->pasid,
			IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA, self->buf,
			8 * pg, &iova);
	pinned = PINNED_DELTA(self);
	ASSERT_EQ(8, pinned);
	/* the device may not be given write access to it */
	iova = 2 * SZ_1M;
	test_err_ioasid_map(EFAULT, self->t.fd, self->pasid, MAP_RW_FIXED,
			    self->buf, 8 * pg, &iova);
	test_err_ioasid_map(EFAULT, self->t.fd, self->pasid,
			    IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
			    self->buf, 8 * pg, &iova);
	ASSERT_EQ(pinned, PINNED_DELTA(self));
	ASSERT_EQ(1, ioas_info(self).nr_mappings);
}

TEST_F(map, readonly_never_touched_memory)
{
	void *ro = mmap_anon(4 * self->pg, PROT_READ);
	__u64 iova;

	ASSERT_NE(NULL, ro);
	test_ioasid_map(self->t.fd, self->pasid, IOASID_MAP_READ, ro,
			4 * self->pg, &iova);
	ASSERT_EQ(4, PINNED_DELTA(self));
	test_ioasid_unmap_all(self->t.fd, self->pasid, NULL);
	ASSERT_EQ(0, PINNED_DELTA(self));
}

TEST_F(map, write_only_access)
{
	__u64 iova;

	test_ioasid_map(self->t.fd, self->pasid, IOASID_MAP_WRITE, self->buf,
			self->pg, &iova);
	ASSERT_EQ(1, ioas_info(self).nr_mappings);
}

TEST_F(map, bad_length_or_alignment_is_einval)
{
	size_t pg = self->pg;
	__u64 iova;

	/* zero length */
	iova = SZ_1M;
	test_err_ioasid_map(EINVAL, self->t.fd, self->pasid, MAP_RW_FIXED, self->buf, 0, &iova);
	test_err_ioasid_map(EINVAL, self->t.fd, self->pasid, MAP_RW, self->buf, 0, NULL);
	/* unaligned length */
	test_err_ioasid_map(EINVAL, self->t.fd, self->pasid, MAP_RW_FIXED, self->buf, pg + 1, &iova);
	test_err_ioasid_map(EINVAL, self->t.fd, self->pasid, MAP_RW_FIXED, self->buf, pg - 1, &iova);
	test_err_ioasid_map(EINVAL, self->t.fd, self->pasid, MAP_RW_FIXED, self->buf, 512, &iova);
	/* unaligned user address */
	test_err_ioasid_map(EINVAL, self->t.fd, self->pasid, MAP_RW_FIXED, self->buf + 8, pg, &iova);
	test_err_ioasid_map(EINVAL, self->t.fd, self->pasid, MAP_RW, self->buf + pg / 2, pg, NULL);
	/* unaligned fixed IOVA */
	iova = SZ_1M + 512;
	test_err_ioasid_map(EINVAL, self->t.fd, self->pasid, MAP_RW_FIXED, self->buf, pg, &iova);
	iova = 1;
	test_err_ioasid_map(EINVAL, self->t.fd, self->pasid, MAP_RW_FIXED, self->buf, pg, &iova);
	/* neither READ nor WRITE */
	iova = SZ_1M;
	test_err_ioasid_map(EINVAL, self->t.fd, self->pasid, IOASID_MAP_FIXED_IOVA, self->buf, pg, &iova);
	test_err_ioasid_map(EINVAL, self->t.fd, self->pasid, 0, self->buf, pg, NULL);

	/* UNMAP: zero or unaligned length or IOVA */
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, pg, SZ_1M);
	test_err_ioasid_unmap(EINVAL, self->t.fd, self->pasid, SZ_1M, 0);
	test_err_ioasid_unmap(EINVAL, self->t.fd, self->pasid, SZ_1M, pg - 1);
	test_err_ioasid_unmap(EINVAL, self->t.fd, self->pasid, SZ_1M + 1, pg);
	test_err_ioasid_unmap(EINVAL, self->t.fd, self->pasid, SZ_1M - 8, pg + 8);
	/* UNMAP_ALL takes no range */
	ASSERT_EQ(-1, _ioasid_unmap(self->t.fd, self->pasid, IOASID_UNMAP_ALL, SZ_1M, 0, NULL));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, _ioasid_unmap(self->t.fd, self->pasid, IOASID_UNMAP_ALL, 0, pg, NULL));
	ASSERT_EQ(EINVAL, errno);

	ASSERT_EQ(1, ioas_info(self).nr_mappings);
	ASSERT_EQ(1, PINNED_DELTA(self));
}

TEST_F(map, iova_without_fixed_flag_is_einval)
{
	struct ioasid_map cmd = {
		.size = sizeof(cmd),
		.flags = MAP_RW,
		.pasid = self->pasid,
		.user_va = (uintptr_t)self->buf,
		.length = self->pg,
		.iova = SZ_1M,
	};

	/* @iova is an input only with IOASID_MAP_FIXED_IOVA */
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_MAP, &cmd));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, PINNED_DELTA(self));
}

TEST_F(map, wraparound_is_eoverflow)
{
	size_t pg = self->pg;
	__u64 iova;

	/* IOVA + length wraps past 2^64 */
	iova = UINT64_MAX - pg + 1;
	test_err_ioasid_map(EOVERFLOW, self->t.fd, self->pasid, MAP_RW_FIXED,
			    self->buf, 2 * pg, &iova);
	iova = UINT64_MAX - 4 * pg + 1;
	test_err_ioasid_map(EOVERFLOW, self->t.fd, self->pasid, MAP_RW_FIXED,
			    self->buf, 8 * pg, &iova);
	/* user address + length wraps */
	test_err_ioasid_map(EOVERFLOW, self->t.fd, self->pasid, MAP_RW,
			    (void *)(uintptr_t)(UINT64_MAX - pg + 1), 2 * pg, NULL);
	/* UNMAP range wraps */
	test_err_ioasid_unmap(EOVERFLOW, self->t.fd, self->pasid,
			      UINT64_MAX - pg + 1, 2 * pg);
	test_err_ioasid_unmap(EOVERFLOW, self->t.fd, self->pasid, 2 * pg,
			      UINT64_MAX - pg + 1);
	/* ... while [pg, 2^64 - 1] is a valid range (that holds nothing) */
	test_err_ioasid_unmap(ENOENT, self->t.fd, self->pasid, pg,
			      UINT64_MAX - pg + 1);
	ASSERT_EQ(0, PINNED_DELTA(self));
}

TEST_F(map, top_of_iova_space)
{
	size_t pg = self->pg;
	__u64 top = UINT64_MAX - 4 * pg + 1, unmapped = 0, iova;

	/* [top, 2^64 - 1]: the last byte of the space is mappable */
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, 4 * pg, top);
	test_err_ioasid_map_fixed(EEXIST, self->t.fd, self->pasid, self->buf,
				  pg, UINT64_MAX - pg + 1);
	/* the kernel still finds room below */
	test_ioasid_map(self->t.fd, self->pasid, MAP_RW, self->buf, 4 * pg, &iova);
	ASSERT_TRUE(iova + 4 * pg <= top);
	test_ioasid_unmap(self->t.fd, self->pasid, top, 4 * pg, &unmapped);
	ASSERT_EQ(4 * pg, unmapped);
	ASSERT_EQ(4, PINNED_DELTA(self));
}

TEST_F(map, bad_user_address_is_efault)
{
	size_t pg = self->pg;
	void *hole = unmapped_address(8 * pg);
	unsigned char *half;
	long pinned;
	__u64 iova;

	ASSERT_NE(NULL, hole);
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, pg, 0);
	pinned = PINNED_DELTA(self);

	/* nothing mapped there */
	test_err_ioasid_map(EFAULT, self->t.fd, self->pasid, MAP_RW, hole, 8 * pg, &iova);
	/* NULL */
	test_err_ioasid_map(EFAULT, self->t.fd, self->pasid, MAP_RW, NULL, pg, &iova);
	/* the kernel's half of the address space */
#if defined(__x86_64__) || defined(__aarch64__)
	test_err_ioasid_map(EFAULT, self->t.fd, self->pasid, MAP_RW,
			    (void *)0xffff888000000000UL, pg, &iova);
#endif
	/* a range whose second half is not mapped: all or nothing */
	half = mmap_anon(8 * pg, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, half);
	memset(half, 1, 8 * pg);
	ASSERT_EQ(0, munmap(half + 4 * pg, 4 * pg));
	test_err_ioasid_map(EFAULT, self->t.fd, self->pasid, MAP_RW, half, 8 * pg, &iova);
	/* PROT_NONE memory */
	ASSERT_EQ(0, mprotect(half, 4 * pg, PROT_NONE));
	test_err_ioasid_map(EFAULT, self->t.fd, self->pasid, MAP_RW, half, 4 * pg, &iova);

	ASSERT_EQ(pinned, PINNED_DELTA(self));
	ASSERT_EQ(1, AREAS_DELTA(self));
	ASSERT_EQ(1, ioas_info(self).nr_mappings);
}

TEST_F(map, same_memory_mapped_twice)
{
	size_t pg = self->pg;
	__u64 unmapped;

	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, 8 * pg, SZ_1M);
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, 8 * pg, 2 * SZ_1M);
	/* each mapping pins its own reference */
	ASSERT_EQ(16, PINNED_DELTA(self));
	test_ioasid_unmap(self->t.fd, self->pasid, SZ_1M, 8 * pg, &unmapped);
	ASSERT_EQ(8, PINNED_DELTA(self));
	ASSERT_EQ(1, ioas_info(self).nr_mappings);
}

TEST_F(map, memfd_shared_memory)
{
	size_t len = 8 * self->pg;
	__u64 iova;
	void *p;
	int mfd;

	mfd = memfd_create("ioasid-test", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, len));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 3, len);
	test_ioasid_map(self->t.fd, self->pasid, MAP_RW, p, len, &iova);
	ASSERT_EQ(8, PINNED_DELTA(self));
	/* The pins hold the pages, not the mapping */
	ASSERT_EQ(0, munmap(p, len));
	ASSERT_EQ(0, close(mfd));
	ASSERT_EQ(8, PINNED_DELTA(self));
	test_ioasid_unmap_all(self->t.fd, self->pasid, NULL);
	ASSERT_EQ(0, PINNED_DELTA(self));
}

TEST_F(map, many_mappings_one_unmap)
{
	size_t pg = self->pg;
	__u64 unmapped = 0;
	int k;

	for (k = 0; k < 256; k++)
		test_ioasid_map_fixed(self->t.fd, self->pasid,
				      self->buf + (k % NPAGES) * pg, pg,
				      SZ_1M + 2 * k * pg);
	ASSERT_EQ(256, ioas_info(self).nr_mappings);
	ASSERT_EQ(256, PINNED_DELTA(self));
	ASSERT_EQ(256, AREAS_DELTA(self));
	test_ioasid_unmap(self->t.fd, self->pasid, SZ_1M, 512 * pg, &unmapped);
	ASSERT_EQ(256 * pg, unmapped);
	ASSERT_EQ(0, PINNED_DELTA(self));
	ASSERT_EQ(0, AREAS_DELTA(self));
}

TEST_F(map, destroy_unpins_at_once)
{
	size_t pg = self->pg;
	__u64 iova = SZ_1M;

	test_ioasid_map_fixed(self->t.fd, self->pasid, self->buf, 32 * pg, 0);
	test_ioasid_map(self->t.fd, self->pasid, MAP_RW, self->buf, 8 * pg, &iova);
	ASSERT_EQ(40, PINNED_DELTA(self));
	test_ioasid_destroy(self->t.fd, self->pasid);
	/* Before DESTROY returns: every mapping removed and unpinned */
	ASSERT_EQ(0, PINNED_DELTA(self));
	ASSERT_EQ(0, AREAS_DELTA(self));
	iova = SZ_1M;
	test_err_ioasid_map(ENOENT, self->t.fd, self->pasid, MAP_RW_FIXED,
			    self->buf, pg, &iova);
	test_err_ioasid_unmap(ENOENT, self->t.fd, self->pasid, 0, 32 * pg);
	ASSERT_EQ(-1, _ioasid_unmap_all(self->t.fd, self->pasid, NULL));
	ASSERT_EQ(ENOENT, errno);
}

/* ------------------------------------------------------------------------
 * RLIMIT_MEMLOCK
 *
 * The pins are charged to the mapping task's mm.  A forked child has an mm
 * of its own with nothing locked; it drops CAP_IPC_LOCK, lowers its limit
 * and maps through the inherited fd.
 */

static int child_memlock(int fd, __u32 pasid, unsigned char *buf, size_t pg,
			 bool drop_cap)
{
	struct rlimit rl = { 16 * pg, 16 * pg };
	struct ioasid_caps c;
	long pinned;
	__u64 iova, unmapped;

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		return 10;
	if (drop_cap && drop_capability(CAP_IPC_LOCK))
		return 11;

	if (!drop_cap) {
		/* CAP_IPC_LOCK: the limit does not apply */
		if (_ioasid_map(fd, pasid, MAP_RW, buf, 32 * pg, &iova))
			return 12;
		return 0;
	}

	/* within the limit */
	if (_ioasid_map_fixed(fd, pasid, buf, 8 * pg, 0))
		return 20;
	pinned = counter_get(CNT_PINNED);
	/* 8 + 16 > 16: refused, and nothing pinned, charged or mapped */
	if (!_ioasid_map_fixed(fd, pasid, buf, 16 * pg, SZ_1M) || errno != ENOMEM)
		return 21;
	if (counter_get(CNT_PINNED) != pinned)
		return 22;
	if (_ioasid_info_pasid(fd, pasid, &c) || c.ioas.nr_mappings != 1)
		return 23;
	/* exactly up to the limit */
	if (_ioasid_map_fixed(fd, pasid, buf, 8 * pg, SZ_1M))
		return 24;
	/* one page more */
	if (!_ioasid_map_fixed(fd, pasid, buf, pg, 2 * SZ_1M) || errno != ENOMEM)
		return 25;
	if (counter_get(CNT_PINNED) != pinned + 8)
		return 26;
	/* unmapping gives the charge back */
	if (_ioasid_unmap(fd, pasid, 0, 0, 8 * pg, &unmapped) || unmapped != 8 * pg)
		return 27;
	if (_ioasid_map_fixed(fd, pasid, buf, 8 * pg, 3 * SZ_1M))
		return 28;
	/* a kernel-chosen IOVA is charged the same way */
	if (!_ioasid_map(fd, pasid, MAP_RW, buf, pg, &iova) || errno != ENOMEM)
		return 29;
	return 0;
}

TEST_F(map, rlimit_memlock_without_cap_ipc_lock)
{
	int status;
	pid_t pid;

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(child_memlock(self->t.fd, self->pasid, self->buf,
				    self->pg, true));
	tctx_add_kid(&self->t, pid);
	status = wait_child(pid);
	ASSERT_EQ(0, status) {
		TH_LOG("child failed at step %d", status);
	}
	/* the child's mappings outlive it */
	ASSERT_EQ(2, ioas_info(self).nr_mappings);
	ASSERT_EQ(16, PINNED_DELTA(self));
}

TEST_F(map, rlimit_memlock_with_cap_ipc_lock)
{
	int status;
	pid_t pid;

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(child_memlock(self->t.fd, self->pasid, self->buf,
				    self->pg, false));
	tctx_add_kid(&self->t, pid);
	status = wait_child(pid);
	ASSERT_EQ(0, status) {
		TH_LOG("child failed at step %d", status);
	}
	ASSERT_EQ(32, PINNED_DELTA(self));
}

/*
 * A huge MAP past RLIMIT_MEMLOCK must fail with ENOMEM before the kernel does
 * any work proportional to its length, and without a kernel warning.  The
 * range is reserved PROT_NONE: nothing could be pinned there anyway.
 */
/*
 * Huge lengths: past the 2^28-page limit of one MAP the answer is EINVAL
 * before any work; just below it, over RLIMIT_MEMLOCK, ENOMEM before any
 * allocation proportional to the length (no kvmalloc WARN, nothing pinned).
 */
static int huge_map_errno(struct __test_metadata *_metadata,
			  FIXTURE_DATA(map) *self, void *res, size_t len)
{
	int status;
	pid_t pid;

	pid = fork_child();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct rlimit rl = { SZ_64K, SZ_64K };
		__u64 iova;

		if (setrlimit(RLIMIT_MEMLOCK, &rl) ||
		    drop_capability(CAP_IPC_LOCK))
			_exit(100);
		if (!_ioasid_map(self->t.fd, self->pasid, MAP_RW, res, len, &iova))
			_exit(101);
		_exit(errno);
	}
	tctx_add_kid(&self->t, pid);
	status = wait_child(pid);
	return status;
}

TEST_F(map, huge_length_over_rlimit)
{
	const size_t huge = 1UL << 41;	/* 2 TiB */
	const size_t limit = 1UL << 40;	/* 2^28 pages of 4 KiB */
	void *res;

	res = mmap(NULL, huge, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		SKIP(return, "cannot reserve 2 TiB of address space: %s",
		     strerror(errno));
	EXPECT_EQ(EINVAL, huge_map_errno(_metadata, self, res, huge));
	EXPECT_EQ(ENOMEM, huge_map_errno(_metadata, self, res, limit));
	EXPECT_EQ(ENOMEM, huge_map_errno(_metadata, self, res, limit - 4096));
	EXPECT_EQ(0, PINNED_DELTA(self));
	munmap(res, huge);
	/* the teardown checks the kernel log for a WARN */
}

TEST_HARNESS_MAIN
