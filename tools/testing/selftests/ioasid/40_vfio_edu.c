// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid end to end, as a userspace driver uses it: QEMU edu devices
 * bound to ioasidfd-vfio-pci, in VFIO containers set to
 * IOASID_VFIO_IOMMU_TYPE, attached to IOASIDs with IOASID_DEVICE_ALLOW, and
 * doing real DMA through the guest's IOMMU (VT-d on amd64, SMMUv3 on arm64).
 *
 * What a DMA the IOMMU refuses looks like (QEMU 7.2, both IOMMUs): the edu
 * transfer completes; a write to RAM is dropped, a read from RAM delivers
 * zeros to the device buffer, and the IOMMU's fault interrupt fires (counted
 * in /proc/interrupts; the log messages are rate-limited).  Each fault check
 * below proves all three: memory unchanged, device buffer zeroed (for reads),
 * fault count up.
 *
 * Every test ends with the debugfs object counters back to where they were
 * and no WARN()/BUG() in the kernel log (tctx_teardown()).
 */
#include "kselftest_harness.h"
#include "ioasid_utils.h"
#include "vfio_edu.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>

#define PAGE		4096UL
#define NR_PAGES	8
#define DMA_LEN		EDU_DMA_MAX

/* IOVAs the tests use: below edu's default 28-bit DMA mask, clear of MSI windows */
#define IOVA_A		0x100000ULL
#define IOVA_B		0x200000ULL
#define IOVA_C		0x300000ULL
#define IOVA_D		0x400000ULL
/* Above 4 GiB; edu with the default DMA mask would use IOVA_C instead. */
#define IOVA_HIGH	(0x100000000ULL + IOVA_C)

#if defined(__x86_64__)
#define EXPECT_FAMILY		IOASID_FAMILY_VTD
#define MSI_WINDOW_START	0xfee00000ULL
#define MSI_WINDOW_LAST		0xfeefffffULL
#elif defined(__aarch64__)
#define EXPECT_FAMILY		IOASID_FAMILY_SMMUV3
#define MSI_WINDOW_START	0x8000000ULL
#define MSI_WINDOW_LAST		0x80fffffULL
#else
#error "the edu tests know the IOMMUs of the amd64 and arm64 guests only"
#endif
/* The guests' IOMMUs translate 48-bit IOVAs (VT-d aw-bits=48, SMMUv3 VA_BITS=48) */
#define APERTURE_LAST		((1ULL << 48) - 1)

static char edu_bdfs[EDU_MAX_DEVICES][32];
static int nr_edu;

/* ------------------------------------------------------------------------
 * Byte patterns: a fresh one for every check, so no old data can pass for new
 */

static uint32_t pattern_next(void)
{
	static uint32_t n;

	return (getpid() << 16) ^ (++n * 0x9e3779b9U) ^ (uint32_t)edu_now_ms();
}

static uint8_t pattern_byte(uint32_t seed, size_t i)
{
	uint32_t x = seed + (uint32_t)i * 0x61c88647U;

	x ^= x >> 15;
	x *= 0x2c1b3c6dU;
	x ^= x >> 12;
	return x | 1;	/* never 0: a zeroed buffer never matches */
}

static void pattern_fill(void *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		((uint8_t *)p)[i] = pattern_byte(seed, i);
}

static bool pattern_check(const void *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((const uint8_t *)p)[i] != pattern_byte(seed, i))
			return false;
	return true;
}

static bool all_zero(const void *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((const uint8_t *)p)[i])
			return false;
	return true;
}

/* ------------------------------------------------------------------------
 * DMA checks
 */

/*
 * @src (at @src_iova) -> device buffer -> @dst (at @dst_iova): the bytes
 * arrive.  @src and @dst may be the same buffer.
 */
static void dma_round_trip(struct __test_metadata *_metadata,
			   struct vfio_edu *e, uint8_t *src, uint64_t src_iova,
			   uint8_t *dst, uint64_t dst_iova)
{
	uint32_t seed = pattern_next();

	pattern_fill(src, DMA_LEN, seed);
	ASSERT_EQ(0, vfio_edu_to_device(e, src_iova, 0, DMA_LEN));
	memset(dst, 0, PAGE);
	ASSERT_EQ(0, vfio_edu_to_ram(e, 0, dst_iova, DMA_LEN));
	ASSERT_TRUE(pattern_check(dst, DMA_LEN, seed)) {
		TH_LOG("DMA %#llx -> device -> %#llx: bytes differ (dst[0] %#x)",
		       (unsigned long long)src_iova,
		       (unsigned long long)dst_iova, dst[0]);
	}
	/* The byte after the transfer is untouched. */
	ASSERT_EQ(0, dst[DMA_LEN]);
}

static long faults_before(struct __test_metadata *_metadata)
{
	long n = edu_iommu_faults();

	ASSERT_LE(0, n) {
		TH_LOG("no IOMMU fault interrupt (dmar / evtq) in /proc/interrupts");
	}
	return n;
}

static void faults_expect_more(struct __test_metadata *_metadata, long before)
{
	ASSERT_LT(before, edu_iommu_faults_after(before, 3000)) {
		TH_LOG("the IOMMU reported no fault");
	}
}

/* One DMA that the IOMMU must refuse (whatever it does to memory). */
static void dma_faults(struct __test_metadata *_metadata, struct vfio_edu *e,
		       uint64_t src, uint64_t dst, uint32_t cmd)
{
	long before = faults_before(_metadata);

	ASSERT_EQ(0, vfio_edu_dma(e, src, dst, DMA_LEN, cmd));
	faults_expect_more(_metadata, before);
}

/*
 * A device -> RAM DMA to @iova must fault: @mem, the memory a mapping at
 * @iova would reach, keeps the fresh pattern written to it here.
 */
static void dma_to_ram_faults(struct __test_metadata *_metadata,
			      struct vfio_edu *e, uint8_t *mem, uint64_t iova)
{
	uint32_t guard = pattern_next();
	long before;

	pattern_fill(mem, PAGE, guard);
	before = faults_before(_metadata);
	ASSERT_EQ(0, vfio_edu_to_ram(e, 0, iova, DMA_LEN));
	faults_expect_more(_metadata, before);
	ASSERT_TRUE(pattern_check(mem, PAGE, guard)) {
		TH_LOG("DMA to %#llx wrote to memory it must not reach",
		       (unsigned long long)iova);
	}
}

/*
 * A RAM -> device DMA from @iova must fault: the device buffer, loaded with
 * a known pattern first, reads back as zeros (edu ran the transfer and got
 * no data).  Loading and reading back go through @via (at @via_iova), which
 * the device must be able to reach.  @mem is what @iova would reach; it
 * gets a fresh pattern that must not show up.
 */
static void dma_from_ram_faults(struct __test_metadata *_metadata,
				struct vfio_edu *e, uint8_t *mem, uint64_t iova,
				uint8_t *via, uint64_t via_iova)
{
	uint32_t before_seed = pattern_next();
	long before;

	pattern_fill(via, DMA_LEN, before_seed);
	ASSERT_EQ(0, vfio_edu_to_device(e, via_iova, 0, DMA_LEN));
	pattern_fill(mem, PAGE, pattern_next());

	before = faults_before(_metadata);
	ASSERT_EQ(0, vfio_edu_to_device(e, iova, 0, DMA_LEN));
	faults_expect_more(_metadata, before);

	memset(via, 0xee, PAGE);
	ASSERT_EQ(0, vfio_edu_to_ram(e, 0, via_iova, DMA_LEN));
	ASSERT_TRUE(all_zero(via, DMA_LEN)) {
		TH_LOG("device buffer after a refused read: %#x %#x ... (want zeros)",
		       via[0], via[1]);
	}
}

/* ------------------------------------------------------------------------
 * Fixtures
 */

static void find_edus(struct __test_metadata *_metadata)
{
	if (!nr_edu)
		nr_edu = edu_find(edu_bdfs);
	ASSERT_LE(1, nr_edu) {
		TH_LOG("no edu device (1234:11e8): QEMU needs -device edu");
	}
}

static uint8_t *alloc_pages(struct __test_metadata *_metadata, int n)
{
	uint8_t *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0, n * PAGE);
	return p;
}

/* Opens edu @idx through ioasidfd-vfio-pci in a container of our type. */
static void open_edu(struct __test_metadata *_metadata, struct vfio_edu *e,
		     int idx)
{
	int rc = vfio_edu_open(e, edu_bdfs[idx], EDU_DRIVER_IOASID,
			       IOASID_VFIO_IOMMU_TYPE);

	ASSERT_EQ(0, rc) {
		TH_LOG("opening %s through %s: %s", edu_bdfs[idx],
		       EDU_DRIVER_IOASID, strerror(-rc));
	}
}

FIXTURE(edu) {
	struct ioasid_tctx t;
	struct vfio_edu e;
	__u32 pasid;
	uint8_t *mem;	/* NR_PAGES pages: page i is mem + i * PAGE */
};

FIXTURE_SETUP(edu)
{
	vfio_edu_init(&self->e);
	tctx_setup(_metadata, &self->t);
	find_edus(_metadata);
	open_edu(_metadata, &self->e, 0);
	test_ioasid_alloc(self->t.fd, &self->pasid);
	self->mem = alloc_pages(_metadata, NR_PAGES);
}

FIXTURE_TEARDOWN(edu)
{
	/* BAR0's mapping holds the device file: unmap before closing fds. */
	vfio_edu_close(&self->e);
	tctx_teardown(_metadata, &self->t);
}

static uint8_t *page(FIXTURE_DATA(edu) *self, int i)
{
	return self->mem + i * PAGE;
}

static void allow(struct __test_metadata *_metadata, struct vfio_edu *e,
		  int fd, __u32 pasid)
{
	ASSERT_EQ(0, vfio_edu_allow(e, fd, pasid, 0));
}

/* Pages 0 and 1 of the fixture's memory at IOVA_A and IOVA_B. */
static void map_two(struct __test_metadata *_metadata,
		    FIXTURE_DATA(edu) *self)
{
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 0), PAGE,
			      IOVA_A);
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 1), PAGE,
			      IOVA_B);
}

/* ALLOW the fixture's IOASID, map two pages, and prove DMA reaches both. */
static void allow_map_two(struct __test_metadata *_metadata,
			  FIXTURE_DATA(edu) *self)
{
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	map_two(_metadata, self);
	dma_round_trip(_metadata, &self->e, page(self, 0), IOVA_A,
		       page(self, 1), IOVA_B);
}

/* ------------------------------------------------------------------------
 * Device information
 */

TEST_F_TIMEOUT(edu, device_info, 120)
{
	struct ioasid_device_info info;

	ASSERT_EQ(0, vfio_edu_info(&self->e, &info));
	ASSERT_EQ(IOASID_EXEC_IOMMU_API, info.out_executor);
	ASSERT_EQ(EXPECT_FAMILY, info.out_family);
	/* 6.1's IOMMU API attaches at RID only */
	ASSERT_EQ(0, info.out_pasid_bits);
	ASSERT_TRUE(info.out_modes & (1U << IOASID_MODE_IOVA));
	/* Nested by shadow paging, in both guest formats, on either IOMMU */
	ASSERT_TRUE(info.out_modes & (1U << IOASID_MODE_NESTED));
	ASSERT_EQ((1U << IOASID_NESTED_FMT_VTD_FS) | (1U << IOASID_NESTED_FMT_SMMUV3),
		  info.out_nested_formats);
	ASSERT_EQ(0, info.out_attach);
	ASSERT_EQ(0, info.out_nr_pasid_attach);
	ASSERT_NE(0, info.out_pgsize_bitmap & PAGE);
	ASSERT_EQ(0, info.out_pgsize_bitmap & (PAGE - 1));
	ASSERT_EQ(0, info.out_aperture_start);
	ASSERT_EQ(APERTURE_LAST, info.out_aperture_last) {
		TH_LOG("aperture %#llx-%#llx: the IOMMU translates 48 bits",
		       (unsigned long long)info.out_aperture_start,
		       (unsigned long long)info.out_aperture_last);
	}

	allow(_metadata, &self->e, self->t.fd, self->pasid);
	ASSERT_EQ(0, vfio_edu_info(&self->e, &info));
	ASSERT_EQ(IOASID_DEVICE_ATTACHED_RID, info.out_attach);
	ASSERT_EQ(self->pasid, info.out_rid_pasid);
	ASSERT_EQ(0, info.out_nr_pasid_attach);

	ASSERT_EQ(0, vfio_edu_disallow(&self->e, self->pasid, 0));
	ASSERT_EQ(0, vfio_edu_info(&self->e, &info));
	ASSERT_EQ(0, info.out_attach);
}

/* ------------------------------------------------------------------------
 * DMA through an IOASID
 */

/* A device in our container but not allowed anywhere is blocked. */
TEST_F_TIMEOUT(edu, blocked_before_allow, 120)
{
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 0), PAGE,
			      IOVA_A);
	dma_to_ram_faults(_metadata, &self->e, page(self, 0), IOVA_A);
}

/* The order a userspace driver uses: map the buffers, then ALLOW. */
TEST_F_TIMEOUT(edu, dma_map_then_allow, 120)
{
	map_two(_metadata, self);
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	dma_round_trip(_metadata, &self->e, page(self, 0), IOVA_A,
		       page(self, 1), IOVA_B);
}

/* ALLOW an empty IOASID, then map. */
TEST_F_TIMEOUT(edu, dma_allow_then_map, 120)
{
	allow_map_two(_metadata, self);
	/* Both directions through one buffer. */
	dma_round_trip(_metadata, &self->e, page(self, 1), IOVA_B,
		       page(self, 1), IOVA_B);
}

/*
 * ALLOW replays mappings adjacent in IOVA in one batch, split where the
 * rights change: a read-only page between two writable ones stays
 * read-only, and the hole after them stays a hole.
 */
TEST_F_TIMEOUT(edu, dma_replay_adjacent_rights, 120)
{
	static const struct { int page; __u64 off; __u32 flags; } m[] = {
		{ 0, 0, MAP_RW_FIXED },
		{ 1, PAGE, IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA },
		{ 2, 2 * PAGE, MAP_RW_FIXED },
		{ 3, 4 * PAGE, MAP_RW_FIXED },	/* after a one-page hole */
	};
	unsigned int i;
	__u64 iova;

	for (i = 0; i < ARRAY_SIZE(m); i++) {
		iova = IOVA_C + m[i].off;
		ASSERT_EQ(0, _ioasid_map(self->t.fd, self->pasid, m[i].flags,
					 page(self, m[i].page), PAGE, &iova));
	}
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	/*
	 * The writes that must fault go first: once a read has put the
	 * read-only page in QEMU's VT-d IOTLB, a write there is dropped
	 * without a fault record (QEMU checks cached rights silently).
	 */
	dma_to_ram_faults(_metadata, &self->e, page(self, 1), IOVA_C + PAGE);
	dma_to_ram_faults(_metadata, &self->e, page(self, 5), IOVA_C + 3 * PAGE);
	dma_round_trip(_metadata, &self->e, page(self, 1), IOVA_C + PAGE,
		       page(self, 0), IOVA_C);
	dma_round_trip(_metadata, &self->e, page(self, 0), IOVA_C,
		       page(self, 2), IOVA_C + 2 * PAGE);
	dma_round_trip(_metadata, &self->e, page(self, 3), IOVA_C + 4 * PAGE,
		       page(self, 3), IOVA_C + 4 * PAGE);
}

/* IOVAs above 4 GiB, written to edu with 64-bit stores. */
TEST_F_TIMEOUT(edu, dma_above_4g, 120)
{
	uint32_t seed = pattern_next();

	allow(_metadata, &self->e, self->t.fd, self->pasid);
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 0), PAGE,
			      IOVA_HIGH);
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 1), PAGE,
			      IOVA_HIGH + PAGE);
	/* Where edu's default 28-bit DMA mask would send IOVA_HIGH */
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 2), PAGE,
			      IOVA_HIGH & 0xfffffff);
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 3), PAGE,
			      IOVA_A);

	/* Load the device from low memory, write it out high. */
	pattern_fill(page(self, 3), DMA_LEN, seed);
	ASSERT_EQ(0, vfio_edu_to_device(&self->e, IOVA_A, 0, DMA_LEN));
	pattern_fill(page(self, 2), PAGE, pattern_next());
	ASSERT_EQ(0, vfio_edu_to_ram(&self->e, 0, IOVA_HIGH, DMA_LEN));
	if (!pattern_check(page(self, 0), DMA_LEN, seed) &&
	    pattern_check(page(self, 2), DMA_LEN, seed))
		SKIP(return,
		     "edu masks DMA addresses to 28 bits (QEMU's default dma_mask): run QEMU with -global edu.dma_mask=0xffffffffffffffff");
	ASSERT_TRUE(pattern_check(page(self, 0), DMA_LEN, seed));

	/* High to high, both ways */
	dma_round_trip(_metadata, &self->e, page(self, 0), IOVA_HIGH,
		       page(self, 1), IOVA_HIGH + PAGE);
	dma_round_trip(_metadata, &self->e, page(self, 1), IOVA_HIGH + PAGE,
		       page(self, 0), IOVA_HIGH);
}

/* ------------------------------------------------------------------------
 * DMA stops when the translation goes
 */

TEST_F_TIMEOUT(edu, fault_after_unmap, 120)
{
	__u64 unmapped;

	allow_map_two(_metadata, self);

	test_ioasid_unmap(self->t.fd, self->pasid, IOVA_B, PAGE, &unmapped);
	ASSERT_EQ(PAGE, unmapped);
	dma_to_ram_faults(_metadata, &self->e, page(self, 1), IOVA_B);
	dma_from_ram_faults(_metadata, &self->e, page(self, 1), IOVA_B,
			    page(self, 0), IOVA_A);
	/* The mapping that stays still works. */
	dma_round_trip(_metadata, &self->e, page(self, 0), IOVA_A,
		       page(self, 0), IOVA_A);
}

TEST_F_TIMEOUT(edu, fault_after_disallow, 120)
{
	struct ioasid_caps caps;

	allow_map_two(_metadata, self);

	ASSERT_EQ(0, vfio_edu_disallow(&self->e, self->pasid, 0));
	test_ioasid_info_pasid(self->t.fd, self->pasid, &caps);
	ASSERT_EQ(0, caps.ioas.nr_attach);
	ASSERT_EQ(2, caps.ioas.nr_mappings);
	dma_to_ram_faults(_metadata, &self->e, page(self, 1), IOVA_B);

	/* A read while detached: the device buffer shows no data came. */
	pattern_fill(page(self, 0), PAGE, pattern_next());
	dma_faults(_metadata, &self->e, IOVA_A, EDU_BUF, 0);
	/* ALLOW again (the mappings are still there) and look. */
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	memset(page(self, 1), 0xee, PAGE);
	ASSERT_EQ(0, vfio_edu_to_ram(&self->e, 0, IOVA_B, DMA_LEN));
	ASSERT_TRUE(all_zero(page(self, 1), DMA_LEN));
	dma_round_trip(_metadata, &self->e, page(self, 0), IOVA_A,
		       page(self, 1), IOVA_B);
}

TEST_F_TIMEOUT(edu, fault_after_destroy, 120)
{
	struct ioasid_device_info info;
	__u32 pasid2;

	allow_map_two(_metadata, self);

	test_ioasid_destroy(self->t.fd, self->pasid);
	/* DESTROY wiped the translation and unpinned: nothing is mapped. */
	ASSERT_EQ(self->t.base.v[CNT_PINNED], test_counter(CNT_PINNED));
	ASSERT_EQ(self->t.base.v[CNT_AREAS], test_counter(CNT_AREAS));
	dma_to_ram_faults(_metadata, &self->e, page(self, 1), IOVA_B);
	dma_to_ram_faults(_metadata, &self->e, page(self, 0), IOVA_A);

	/* Still attached, to a parked IOASID. */
	ASSERT_EQ(0, vfio_edu_info(&self->e, &info));
	ASSERT_EQ(IOASID_DEVICE_ATTACHED_RID, info.out_attach);
	ASSERT_EQ(self->pasid, info.out_rid_pasid);
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED] + 1,
		  test_counter(CNT_IOASIDS_PARKED));

	/* DISALLOW works on it, and the device can be attached elsewhere. */
	ASSERT_EQ(0, vfio_edu_disallow(&self->e, self->pasid, 0));
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED],
		  test_counter(CNT_IOASIDS_PARKED));
	test_ioasid_alloc(self->t.fd, &pasid2);
	allow(_metadata, &self->e, self->t.fd, pasid2);
	test_ioasid_map_fixed(self->t.fd, pasid2, page(self, 2), PAGE, IOVA_C);
	dma_round_trip(_metadata, &self->e, page(self, 2), IOVA_C,
		       page(self, 2), IOVA_C);
}

TEST_F_TIMEOUT(edu, fault_after_ioasid_fd_close, 120)
{
	struct ioasid_device_info info;

	allow_map_two(_metadata, self);

	ASSERT_EQ(0, close(self->t.fd));
	self->t.fd = -1;
	ASSERT_EQ(self->t.base.v[CNT_PINNED], test_counter(CNT_PINNED));
	dma_to_ram_faults(_metadata, &self->e, page(self, 1), IOVA_B);
	dma_to_ram_faults(_metadata, &self->e, page(self, 0), IOVA_A);

	/* The attachment holds the PASID, parked, until DISALLOW. */
	ASSERT_EQ(0, vfio_edu_info(&self->e, &info));
	ASSERT_EQ(IOASID_DEVICE_ATTACHED_RID, info.out_attach);
	ASSERT_EQ(self->t.base.v[CNT_PASIDS] + 1, test_counter(CNT_PASIDS));
	ASSERT_EQ(0, vfio_edu_disallow(&self->e, self->pasid, 0));
	ASSERT_EQ(self->t.base.v[CNT_PASIDS], test_counter(CNT_PASIDS));
}

/* ------------------------------------------------------------------------
 * Parked PASIDs
 */

TEST_F_TIMEOUT(edu, destroy_parks_pasid, 120)
{
	__u32 p = self->pasid, got;
	int fd2;

	allow(_metadata, &self->e, self->t.fd, p);
	test_ioasid_destroy(self->t.fd, p);

	/* Not handed out again, to this fd or another, while attached. */
	test_err_ioasid_alloc_range(ENOSPC, self->t.fd, p, p);
	fd2 = ioasid_open();
	ASSERT_LE(0, fd2);
	test_err_ioasid_alloc_range(ENOSPC, fd2, p, p);
	/* Nor usable through its old fd. */
	test_err_ioasid_info_pasid(ENOENT, self->t.fd, p);
	ASSERT_EQ(-ENOENT, vfio_edu_allow(&self->e, self->t.fd, p, 0));

	ASSERT_EQ(0, vfio_edu_disallow(&self->e, p, 0));
	/* Reusable now, by anyone. */
	test_ioasid_alloc_range(fd2, p, p, &got);
	ASSERT_EQ(p, got);
	allow(_metadata, &self->e, fd2, got);
	ASSERT_EQ(0, vfio_edu_disallow(&self->e, got, 0));
	test_ioasid_destroy(fd2, got);
	test_ioasid_alloc_range(self->t.fd, p, p, &got);
	ASSERT_EQ(p, got);
}

/* ------------------------------------------------------------------------
 * RLIMIT_MEMLOCK
 */

TEST_F_TIMEOUT(edu, memlock_limit, 120)
{
	long pinned, areas;
	int status;
	pid_t pid;

	allow(_metadata, &self->e, self->t.fd, self->pasid);
	pinned = test_counter(CNT_PINNED);
	areas = test_counter(CNT_AREAS);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct rlimit rl = { 4 * PAGE, 4 * PAGE };
		uint8_t *m;

		/* Root's CAP_IPC_LOCK would bypass the limit. */
		if (drop_capability(CAP_IPC_LOCK) || setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(10);
		m = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (m == MAP_FAILED)
			_exit(11);
		if (_ioasid_map_fixed(self->t.fd, self->pasid, m, 8 * PAGE,
				      IOVA_C) != -1 || errno != ENOMEM)
			_exit(12);
		if (counter_get(CNT_PINNED) != pinned ||
		    counter_get(CNT_AREAS) != areas)
			_exit(13);
		/* Within the limit it works, and is charged. */
		if (_ioasid_map_fixed(self->t.fd, self->pasid, m, 2 * PAGE,
				      IOVA_D))
			_exit(14);
		if (counter_get(CNT_PINNED) != pinned + 2)
			_exit(15);
		if (_ioasid_map_fixed(self->t.fd, self->pasid, m + 2 * PAGE,
				      3 * PAGE, IOVA_C) != -1 || errno != ENOMEM)
			_exit(16);
		if (_ioasid_unmap(self->t.fd, self->pasid, 0, IOVA_D, 2 * PAGE,
				  NULL))
			_exit(17);
		_exit(0);
	}
	status = wait_child(pid);
	ASSERT_EQ(0, status) {
		TH_LOG("the child without CAP_IPC_LOCK failed at step %d",
		       status);
	}
	ASSERT_EQ(pinned, test_counter(CNT_PINNED));
	ASSERT_EQ(areas, test_counter(CNT_AREAS));
	/* Nothing of the refused mapping reached the IOMMU. */
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 0), PAGE,
			      IOVA_A);
	dma_faults(_metadata, &self->e, EDU_BUF, IOVA_C, EDU_DMA_TO_RAM);
	dma_round_trip(_metadata, &self->e, page(self, 0), IOVA_A,
		       page(self, 0), IOVA_A);
}

/* ------------------------------------------------------------------------
 * ALLOW / DISALLOW errors; a failed call changes nothing
 */

static void assert_detached(struct __test_metadata *_metadata,
			    FIXTURE_DATA(edu) *self)
{
	struct ioasid_device_info info;

	ASSERT_EQ(0, vfio_edu_info(&self->e, &info));
	ASSERT_EQ(0, info.out_attach);
	ASSERT_EQ(self->t.base.v[CNT_ATTACHMENTS], test_counter(CNT_ATTACHMENTS));
	ASSERT_EQ(self->t.base.v[CNT_HWPTS], test_counter(CNT_HWPTS));
}

TEST_F_TIMEOUT(edu, allow_bad_fd, 120)
{
	int closed = dup(0);

	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	ASSERT_EQ(-EBADF, vfio_edu_allow(&self->e, -1, self->pasid, 0));
	ASSERT_EQ(-EBADF, vfio_edu_allow(&self->e, closed, self->pasid, 0));
	ASSERT_EQ(-EBADF, vfio_edu_allow(&self->e, INT32_MAX, self->pasid, 0));
	assert_detached(_metadata, self);
}

TEST_F_TIMEOUT(edu, allow_wrong_fd_type, 120)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, null);
	ASSERT_EQ(-EINVAL, vfio_edu_allow(&self->e, null, self->pasid, 0));
	ASSERT_EQ(-EINVAL, vfio_edu_allow(&self->e, self->e.container,
					  self->pasid, 0));
	ASSERT_EQ(-EINVAL, vfio_edu_allow(&self->e, self->e.group,
					  self->pasid, 0));
	ASSERT_EQ(-EINVAL, vfio_edu_allow(&self->e, self->e.device,
					  self->pasid, 0));
	assert_detached(_metadata, self);
}

TEST_F_TIMEOUT(edu, allow_pasid_of_other_fd, 120)
{
	__u32 other;
	int fd2 = ioasid_open();

	ASSERT_LE(0, fd2);
	test_ioasid_alloc(fd2, &other);
	ASSERT_EQ(-ENOENT, vfio_edu_allow(&self->e, self->t.fd, other, 0));
	ASSERT_EQ(-ENOENT, vfio_edu_allow(&self->e, fd2, self->pasid, 0));
	/* Never allocated, and destroyed */
	ASSERT_EQ(-ENOENT, vfio_edu_allow(&self->e, self->t.fd, 0, 0));
	test_ioasid_destroy(fd2, other);
	ASSERT_EQ(-ENOENT, vfio_edu_allow(&self->e, fd2, other, 0));
	assert_detached(_metadata, self);
	/* The right fd for it works. */
	allow(_metadata, &self->e, self->t.fd, self->pasid);
}

/* edu issues no PASIDs, and 6.1's IOMMU API cannot attach one. */
TEST_F_TIMEOUT(edu, allow_at_pasid, 120)
{
	ASSERT_EQ(-ERANGE, vfio_edu_allow(&self->e, self->t.fd, self->pasid,
					  IOASID_DEVICE_PASID));
	assert_detached(_metadata, self);
	ASSERT_EQ(-ENOENT, vfio_edu_disallow(&self->e, self->pasid,
					     IOASID_DEVICE_PASID));
}

TEST_F_TIMEOUT(edu, allow_twice, 120)
{
	__u32 other;

	test_ioasid_alloc(self->t.fd, &other);
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	ASSERT_EQ(-EBUSY, vfio_edu_allow(&self->e, self->t.fd, self->pasid, 0));
	ASSERT_EQ(-EBUSY, vfio_edu_allow(&self->e, self->t.fd, other, 0));
	ASSERT_EQ(self->t.base.v[CNT_ATTACHMENTS] + 1,
		  test_counter(CNT_ATTACHMENTS));
	ASSERT_EQ(0, vfio_edu_disallow(&self->e, self->pasid, 0));
	allow(_metadata, &self->e, self->t.fd, other);
}

TEST_F_TIMEOUT(edu, disallow_not_attached, 120)
{
	struct ioasid_device_info info;
	__u32 other;

	test_ioasid_alloc(self->t.fd, &other);
	ASSERT_EQ(-ENOENT, vfio_edu_disallow(&self->e, self->pasid, 0));
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	/* RID is attached, but to another IOASID */
	ASSERT_EQ(-ENOENT, vfio_edu_disallow(&self->e, other, 0));
	ASSERT_EQ(-ENOENT, vfio_edu_disallow(&self->e, 0, 0));
	ASSERT_EQ(-ENOENT, vfio_edu_disallow(&self->e, self->pasid,
					     IOASID_DEVICE_PASID));
	ASSERT_EQ(0, vfio_edu_disallow(&self->e, self->pasid, 0));
	ASSERT_EQ(-ENOENT, vfio_edu_disallow(&self->e, self->pasid, 0));
	ASSERT_EQ(0, vfio_edu_info(&self->e, &info));
	ASSERT_EQ(0, info.out_attach);
	ASSERT_EQ(self->t.base.v[CNT_ATTACHMENTS], test_counter(CNT_ATTACHMENTS));
	/* The domain of the one ALLOW stays for the next, until DESTROY. */
	ASSERT_EQ(self->t.base.v[CNT_HWPTS] + 1, test_counter(CNT_HWPTS));
	test_ioasid_destroy(self->t.fd, self->pasid);
	ASSERT_EQ(self->t.base.v[CNT_HWPTS], test_counter(CNT_HWPTS));
}

TEST_F_TIMEOUT(edu, device_ioctl_flags, 120)
{
	struct ioasid_device_disallow dis = {
		.size = sizeof(dis),
		.pasid = self->pasid,
	};
	struct ioasid_device_info info = { .size = sizeof(info) };
	unsigned int bit;

	/* Bit 1 is IOASID_DEVICE_WIRE_PASID, only valid with bit 0. */
	ASSERT_EQ(-EINVAL, vfio_edu_allow(&self->e, self->t.fd, self->pasid,
					  IOASID_DEVICE_WIRE_PASID));
	for (bit = 2; bit < 32; bit++) {
		ASSERT_EQ(-EOPNOTSUPP, vfio_edu_allow(&self->e, self->t.fd,
						      self->pasid, 1U << bit));
	}
	assert_detached(_metadata, self);
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	for (bit = 1; bit < 32; bit++)
		ASSERT_EQ(-EOPNOTSUPP, vfio_edu_disallow(&self->e, self->pasid,
							 1U << bit));
	dis.__reserved = 1;
	ASSERT_EQ(-EOPNOTSUPP, edu_ioasid_ioctl(self->e.device,
						IOASID_DEVICE_DISALLOW, &dis));
	info.flags = 1;
	ASSERT_EQ(-EOPNOTSUPP, edu_ioasid_ioctl(self->e.device,
						IOASID_DEVICE_GET_INFO, &info));
	/* Still attached after all of that */
	ASSERT_EQ(self->t.base.v[CNT_ATTACHMENTS] + 1,
		  test_counter(CNT_ATTACHMENTS));
}

/* @size: EINVAL below the first version, E2BIG for non-zero bytes past it. */
static void check_sizes(struct __test_metadata *_metadata, int device,
			unsigned long cmd, void *arg, size_t size,
			size_t min_size, int ok)
{
	uint8_t buf[256] = {};

	ASSERT_LE(size + 8, sizeof(buf));
	memcpy(buf, arg, size);

	*(__u32 *)buf = 0;
	ASSERT_EQ(-EINVAL, edu_ioasid_ioctl(device, cmd, buf));
	*(__u32 *)buf = min_size - 1;
	ASSERT_EQ(-EINVAL, edu_ioasid_ioctl(device, cmd, buf));
	*(__u32 *)buf = size + 8;
	buf[size + 7] = 1;
	ASSERT_EQ(-E2BIG, edu_ioasid_ioctl(device, cmd, buf));
	/* Zeros past the struct are fine */
	buf[size + 7] = 0;
	ASSERT_EQ(ok, edu_ioasid_ioctl(device, cmd, buf));
}

TEST_F_TIMEOUT(edu, device_ioctl_sizes, 120)
{
	struct ioasid_device_allow allow_cmd = {
		.size = sizeof(allow_cmd),
		.ioasid_fd = self->t.fd,
		.pasid = self->pasid,
	};
	struct ioasid_device_disallow dis = {
		.size = sizeof(dis),
		.pasid = self->pasid,
	};
	struct ioasid_device_info info = { .size = sizeof(info) };

	/* GET_INFO grew (out_sva*); its first version ended at out_nr_pasid_attach */
	check_sizes(_metadata, self->e.device, IOASID_DEVICE_GET_INFO, &info,
		    sizeof(info),
		    offsetofend(struct ioasid_device_info, out_nr_pasid_attach), 0);
	check_sizes(_metadata, self->e.device, IOASID_DEVICE_DISALLOW, &dis,
		    sizeof(dis), sizeof(dis), -ENOENT);
	/* ALLOW grew (wire_pasid); its first version ended at cookie. */
	check_sizes(_metadata, self->e.device, IOASID_DEVICE_ALLOW, &allow_cmd,
		    sizeof(allow_cmd),
		    offsetofend(struct ioasid_device_allow, cookie), 0);
	/* That last ALLOW worked: now DISALLOW's zero-extended form does too. */
	check_sizes(_metadata, self->e.device, IOASID_DEVICE_DISALLOW, &dis,
		    sizeof(dis), sizeof(dis), 0);
	/* An unknown ioctl in the IOASID range is not ours, and not vfio's. */
	ASSERT_EQ(-ENOTTY, edu_ioasid_ioctl(self->e.device,
					    _IO(IOASID_TYPE, 0x43), &info));
	/* /dev/ioasid does not take the device-side ioctls. */
	ASSERT_EQ(-ENOTTY, edu_ioasid_ioctl(self->t.fd, IOASID_DEVICE_GET_INFO,
					    &info));
}

/* ------------------------------------------------------------------------
 * IOVA ranges with a device attached
 */

TEST_F_TIMEOUT(edu, iova_ranges_attached, 120)
{
	struct ioasid_caps caps;
	unsigned int i;
	bool msi_excluded = false;

	test_ioasid_info_pasid(self->t.fd, self->pasid, &caps);
	ASSERT_TRUE(caps.has_ranges);
	ASSERT_EQ(1, caps.nr_ranges);
	ASSERT_EQ(0, caps.ranges[0].start);
	ASSERT_EQ(UINT64_MAX, caps.ranges[0].last);

	allow(_metadata, &self->e, self->t.fd, self->pasid);
	test_ioasid_info_pasid(self->t.fd, self->pasid, &caps);
	ASSERT_TRUE(caps.has_ranges);
	ASSERT_LE(2, caps.nr_ranges);
	for (i = 0; i < caps.nr_ranges; i++) {
		TH_LOG("usable %#llx-%#llx",
		       (unsigned long long)caps.ranges[i].start,
		       (unsigned long long)caps.ranges[i].last);
		/* Nothing of the MSI window is usable */
		ASSERT_TRUE(caps.ranges[i].last < MSI_WINDOW_START ||
			    caps.ranges[i].start > MSI_WINDOW_LAST);
		if (caps.ranges[i].last == MSI_WINDOW_START - 1 &&
		    i + 1 < caps.nr_ranges &&
		    caps.ranges[i + 1].start == MSI_WINDOW_LAST + 1)
			msi_excluded = true;
	}
	/* ... and exactly that window is cut out */
	ASSERT_TRUE(msi_excluded);
	ASSERT_EQ(0, caps.ranges[0].start);
	ASSERT_EQ(APERTURE_LAST, caps.ranges[caps.nr_ranges - 1].last);

	test_err_ioasid_map_fixed(ERANGE, self->t.fd, self->pasid,
				  page(self, 0), PAGE, MSI_WINDOW_START);
	test_err_ioasid_map_fixed(ERANGE, self->t.fd, self->pasid,
				  page(self, 0), 2 * PAGE, MSI_WINDOW_START - PAGE);
	test_err_ioasid_map_fixed(ERANGE, self->t.fd, self->pasid,
				  page(self, 0), PAGE, MSI_WINDOW_LAST + 1 - PAGE);
	/* Right next to it is fine */
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 0), PAGE,
			      MSI_WINDOW_START - PAGE);
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 1), PAGE,
			      MSI_WINDOW_LAST + 1);
}

/* A device cannot be attached where a mapping covers its reserved regions. */
TEST_F_TIMEOUT(edu, allow_refuses_mapped_msi_window, 120)
{
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 0), PAGE,
			      MSI_WINDOW_START);
	ASSERT_EQ(-ERANGE, vfio_edu_allow(&self->e, self->t.fd, self->pasid, 0));
	assert_detached(_metadata, self);
}

/* Past what the IOMMU translates: ERANGE, no kernel warning. */
TEST_F_TIMEOUT(edu, map_beyond_aperture, 120)
{
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	test_err_ioasid_map_fixed(ERANGE, self->t.fd, self->pasid,
				  page(self, 0), PAGE, APERTURE_LAST + 1);
	test_err_ioasid_map_fixed(ERANGE, self->t.fd, self->pasid,
				  page(self, 0), 2 * PAGE, APERTURE_LAST + 1 - PAGE);
	test_err_ioasid_map_fixed(ERANGE, self->t.fd, self->pasid,
				  page(self, 0), PAGE, 1ULL << 52);
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 0), PAGE,
			      APERTURE_LAST + 1 - PAGE);
	ASSERT_EQ(self->t.base.v[CNT_AREAS] + 1, test_counter(CNT_AREAS));
}

/*
 * A domain kept idle after DISALLOW cannot mirror a mapping beyond its
 * aperture: MAP (now unconstrained, no device is attached) drops the domain
 * instead of writing into it, and the next ALLOW refuses the mapping.
 */
TEST_F_TIMEOUT(edu, idle_domain_map_beyond_aperture, 120)
{
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	ASSERT_EQ(0, vfio_edu_disallow(&self->e, self->pasid, 0));
	ASSERT_EQ(self->t.base.v[CNT_HWPTS] + 1, test_counter(CNT_HWPTS));

	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 0), PAGE,
			      APERTURE_LAST + 1);
	ASSERT_EQ(self->t.base.v[CNT_HWPTS], test_counter(CNT_HWPTS));
	ASSERT_EQ(-ERANGE, vfio_edu_allow(&self->e, self->t.fd, self->pasid, 0));

	test_ioasid_unmap(self->t.fd, self->pasid, APERTURE_LAST + 1, PAGE, NULL);
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 0), PAGE,
			      IOVA_A);
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	dma_round_trip(_metadata, &self->e, page(self, 0), IOVA_A,
		       page(self, 0), IOVA_A);
	/* the teardown checks the kernel log for a WARN */
}

/* ------------------------------------------------------------------------
 * The rest of VFIO works as with vfio-pci
 */

static int wait_eventfd(int efd, int timeout_ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t v;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return -EIO;
	return v ? 0 : -EIO;
}

static int set_msi(int device, int efd)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq = {
		.set = {
			.argsz = sizeof(irq),
			.index = VFIO_PCI_MSI_IRQ_INDEX,
			.start = 0,
		},
		.fd = efd,
	};

	if (efd >= 0) {
		irq.set.flags = VFIO_IRQ_SET_DATA_EVENTFD |
				VFIO_IRQ_SET_ACTION_TRIGGER;
		irq.set.count = 1;
	} else {
		irq.set.argsz = sizeof(irq.set);
		irq.set.flags = VFIO_IRQ_SET_DATA_NONE |
				VFIO_IRQ_SET_ACTION_TRIGGER;
		irq.set.count = 0;
	}
	return ioctl(device, VFIO_DEVICE_SET_IRQS, &irq) ? -errno : 0;
}

TEST_F_TIMEOUT(edu, vfio_regions_config_interrupts, 120)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	struct vfio_irq_info irq = { .argsz = sizeof(irq) };
	uint16_t vendor, devid, cmd;
	uint32_t ident = 0;
	int efd;

	/* Regions: BAR0 is edu's 1 MiB of MMIO, mmap()able */
	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->e.device, VFIO_DEVICE_GET_REGION_INFO, &reg));
	ASSERT_EQ(0x100000, reg.size);
	ASSERT_TRUE(reg.flags & VFIO_REGION_INFO_FLAG_MMAP);
	ASSERT_EQ(EDU_IDENT, vfio_edu_read32(&self->e, EDU_REG_IDENT));
	/* ... and read()able through the fd */
	ASSERT_EQ(4, pread(self->e.device, &ident, 4, reg.offset));
	ASSERT_EQ(EDU_IDENT, ident);

	/* Config space: IDs, and the bus master bit vfio_edu_open() set */
	ASSERT_EQ(0, vfio_edu_config_read(&self->e, PCI_VENDOR_ID, &vendor, 2));
	ASSERT_EQ(0, vfio_edu_config_read(&self->e, PCI_DEVICE_ID, &devid, 2));
	ASSERT_EQ(EDU_VENDOR, vendor);
	ASSERT_EQ(EDU_DEVICE, devid);
	ASSERT_EQ(0, vfio_edu_config_read(&self->e, PCI_COMMAND, &cmd, 2));
	ASSERT_TRUE(cmd & PCI_COMMAND_MASTER);

	/*
	 * Interrupts.  ALLOW first: with the SMMUv3 the MSI doorbell is
	 * mapped into the domain the device is in when MSIs are set up.
	 */
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 0), PAGE,
			      IOVA_A);
	irq.index = VFIO_PCI_MSI_IRQ_INDEX;
	ASSERT_EQ(0, ioctl(self->e.device, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	ASSERT_EQ(1, irq.count);
	ASSERT_TRUE(irq.flags & VFIO_IRQ_INFO_EVENTFD);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, set_msi(self->e.device, efd));

	vfio_edu_write32(&self->e, EDU_REG_IRQ_RAISE, 0x1);
	ASSERT_EQ(0, wait_eventfd(efd, 5000));
	ASSERT_EQ(0x1, vfio_edu_read32(&self->e, EDU_REG_IRQ_STATUS));
	vfio_edu_write32(&self->e, EDU_REG_IRQ_ACK, 0x1);
	ASSERT_EQ(0, vfio_edu_read32(&self->e, EDU_REG_IRQ_STATUS));

	/* A DMA that raises an interrupt when done */
	ASSERT_EQ(0, vfio_edu_dma(&self->e, IOVA_A, EDU_BUF, 64,
				  EDU_DMA_IRQ));
	ASSERT_EQ(0, wait_eventfd(efd, 5000));
	ASSERT_EQ(EDU_DMA_IRQ_BIT, vfio_edu_read32(&self->e, EDU_REG_IRQ_STATUS));
	vfio_edu_write32(&self->e, EDU_REG_IRQ_ACK, EDU_DMA_IRQ_BIT);

	ASSERT_EQ(0, set_msi(self->e.device, -1));
	close(efd);
}

/* edu raises its interrupt; the MSI must arrive at @efd. */
static void msi_fires(struct __test_metadata *_metadata, struct vfio_edu *e,
		      int efd)
{
	vfio_edu_write32(e, EDU_REG_IRQ_RAISE, 0x1);
	ASSERT_EQ(0, wait_eventfd(efd, 5000));
	vfio_edu_write32(e, EDU_REG_IRQ_ACK, 0x1);
}

/*
 * MSIs enabled before ALLOW.  On arm64 the SMMUv3 translates MSIs, and the
 * doorbell is mapped only into the domain the device was in when they were
 * set up: ioasidfd-vfio-pci refuses such an ALLOW (EBUSY) rather than let
 * the interrupts vanish.  On x86 MSIs are remapped, not translated: fine.
 */
TEST_F_TIMEOUT(edu, msi_enabled_before_allow, 120)
{
	__u32 other;
	int efd;

	test_ioasid_alloc(self->t.fd, &other);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, set_msi(self->e.device, efd));
#if defined(__aarch64__)
	ASSERT_EQ(-EBUSY, vfio_edu_allow(&self->e, self->t.fd, self->pasid, 0));
	assert_detached(_metadata, self);
	ASSERT_EQ(0, set_msi(self->e.device, -1));
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	ASSERT_EQ(0, set_msi(self->e.device, efd));
	msi_fires(_metadata, &self->e, efd);

	/* Leaving with MSIs on is fine, moving to another IOASID is not. */
	ASSERT_EQ(0, vfio_edu_disallow(&self->e, self->pasid, 0));
	ASSERT_EQ(-EBUSY, vfio_edu_allow(&self->e, self->t.fd, other, 0));
	ASSERT_EQ(0, set_msi(self->e.device, -1));
	allow(_metadata, &self->e, self->t.fd, other);
	ASSERT_EQ(0, set_msi(self->e.device, efd));
	msi_fires(_metadata, &self->e, efd);
#else
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	msi_fires(_metadata, &self->e, efd);
	ASSERT_EQ(0, vfio_edu_disallow(&self->e, self->pasid, 0));
	allow(_metadata, &self->e, self->t.fd, other);
	msi_fires(_metadata, &self->e, efd);
#endif
	ASSERT_EQ(0, set_msi(self->e.device, -1));
	close(efd);
}

/* ------------------------------------------------------------------------
 * Closing the device fd, unbinding the driver
 */

/*
 * ALLOW the fixture's IOASID again after its mapping was dropped, then map
 * page 0 at IOVA_A again.  (Re-attaching with the mapping in place is
 * dma_map_then_allow's and fault_after_disallow's business.)
 */
static void allow_empty_and_map(struct __test_metadata *_metadata,
				FIXTURE_DATA(edu) *self)
{
	test_ioasid_unmap_all(self->t.fd, self->pasid, NULL);
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 0), PAGE,
			      IOVA_A);
}

TEST_F_TIMEOUT(edu, close_device_detaches, 120)
{
	struct ioasid_caps caps;

	allow(_metadata, &self->e, self->t.fd, self->pasid);
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 0), PAGE,
			      IOVA_A);
	dma_round_trip(_metadata, &self->e, page(self, 0), IOVA_A,
		       page(self, 0), IOVA_A);

	vfio_edu_close_device(&self->e);
	ASSERT_EQ(self->t.base.v[CNT_ATTACHMENTS], test_counter(CNT_ATTACHMENTS));
	/* The domain stays, kept up to date, for the next ALLOW. */
	ASSERT_EQ(self->t.base.v[CNT_HWPTS] + 1, test_counter(CNT_HWPTS));
	ASSERT_EQ(self->t.base.v[CNT_DEVICES], test_counter(CNT_DEVICES));
	test_ioasid_info_pasid(self->t.fd, self->pasid, &caps);
	ASSERT_EQ(0, caps.ioas.nr_attach);

	/* Open again: blocked until ALLOW, then fine. */
	ASSERT_EQ(0, vfio_edu_open_device(&self->e));
	dma_to_ram_faults(_metadata, &self->e, page(self, 0), IOVA_A);
	allow_empty_and_map(_metadata, self);
	dma_round_trip(_metadata, &self->e, page(self, 0), IOVA_A,
		       page(self, 0), IOVA_A);
}

TEST_F_TIMEOUT(edu, unbind_detaches, 180)
{
	char drv[64];
	pid_t pid;
	int status;

	allow(_metadata, &self->e, self->t.fd, self->pasid);
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 0), PAGE,
			      IOVA_A);
	dma_round_trip(_metadata, &self->e, page(self, 0), IOVA_A,
		       page(self, 0), IOVA_A);

	/* Unbinding waits for the device fd to close. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Not with copies of the device fd and BAR0 mapping. */
		munmap(self->e.bar0, self->e.bar0_size);
		syscall(SYS_close_range, 3, ~0U, 0);
		_exit(edu_unbind(self->e.bdf) ? 1 : 0);
	}
	tctx_add_kid(&self->t, pid);
	usleep(1500 * 1000);
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG));
	ASSERT_EQ(self->t.base.v[CNT_ATTACHMENTS] + 1,
		  test_counter(CNT_ATTACHMENTS));

	vfio_edu_close_device(&self->e);
	ASSERT_EQ(0, wait_child(pid));
	self->t.nr_kids = 0;
	ASSERT_EQ(0, edu_driver(self->e.bdf, drv, sizeof(drv)));
	ASSERT_STREQ("", drv);
	ASSERT_EQ(self->t.base.v[CNT_ATTACHMENTS], test_counter(CNT_ATTACHMENTS));
	ASSERT_EQ(self->t.base.v[CNT_DEVICES], test_counter(CNT_DEVICES));

	/* Bound again, the device works again. */
	vfio_edu_close(&self->e);
	open_edu(_metadata, &self->e, 0);
	dma_to_ram_faults(_metadata, &self->e, page(self, 0), IOVA_A);
	allow_empty_and_map(_metadata, self);
	dma_round_trip(_metadata, &self->e, page(self, 0), IOVA_A,
		       page(self, 0), IOVA_A);
}

/*
 * The kernel IOMMU API executor under a race: one thread ALLOWs and
 * DISALLOWs the edu device, another runs DMA from the device to the
 * IOASID's mapping, while the main thread DESTROYs the IOASID and then
 * closes its /dev/ioasid fd, each at another moment every round.  Every
 * call answers within the errno contract; once DESTROY has returned, no
 * DMA lands in the page any more (a canary written then survives the DMAs
 * that follow); once everything is closed the module's counters are back.
 */
struct edu_race {
	struct vfio_edu *e;
	int fd;
	__u32 pasid;
	volatile int stop;
	volatile int closed;	/* fd closed: ALLOW may be EBADF */
	int bad_errno;		/* the first errno outside the contract */
	int dma_errno;		/* a DMA that did not complete */
	unsigned int allows, dmas;
};

static void *edu_race_allow(void *arg)
{
	struct edu_race *r = arg;
	int rc;

	while (!r->stop) {
		rc = vfio_edu_allow(r->e, r->fd, r->pasid, 0);
		if (rc == -EBADF && r->closed)
			rc = -ENOENT;
		if (rc && rc != -ENOENT && rc != -EBUSY && !r->bad_errno)
			r->bad_errno = -rc;
		if (!rc)
			r->allows++;
		usleep(2000);
		rc = vfio_edu_disallow(r->e, r->pasid, 0);
		if (rc && rc != -ENOENT && !r->bad_errno)
			r->bad_errno = -rc;
	}
	return NULL;
}

static void *edu_race_dma(void *arg)
{
	struct edu_race *r = arg;
	int rc;

	while (!r->stop) {
		rc = vfio_edu_to_ram(r->e, 0, IOVA_A, 64);
		if (rc && !r->dma_errno)
			r->dma_errno = -rc;
		r->dmas++;
	}
	return NULL;
}

TEST_F_TIMEOUT(edu, race_allow_dma_destroy_close, 300)
{
	unsigned int round, before, i, landed = 0, allows = 0, dmas = 0;
	uint8_t *p = page(self, 0);
	pthread_t ta, td;

	/* The device buffer's first 64 bytes: a pattern DMA would write. */
	allow(_metadata, &self->e, self->t.fd, self->pasid);
	memset(page(self, 1), 0xab, PAGE);
	test_ioasid_map_fixed(self->t.fd, self->pasid, page(self, 1), PAGE,
			      IOVA_A);
	ASSERT_EQ(0, vfio_edu_to_device(&self->e, IOVA_A, 0, 64));
	ASSERT_EQ(0, vfio_edu_disallow(&self->e, self->pasid, 0));

	for (round = 0; round < 12; round++) {
		struct edu_race r = { .e = &self->e };

		r.fd = edu_ioasid_open();
		ASSERT_LE(0, r.fd);
		ASSERT_EQ(0, edu_ioasid_alloc(r.fd, &r.pasid));
		memset(p, 0, PAGE);
		ASSERT_EQ(0, edu_ioasid_map(r.fd, r.pasid, p, PAGE, IOVA_A));
		ASSERT_EQ(0, pthread_create(&ta, NULL, edu_race_allow, &r));
		ASSERT_EQ(0, pthread_create(&td, NULL, edu_race_dma, &r));
		/* DESTROY 50 .. 600 ms into the round. */
		usleep((50 + 50 * round) * 1000);
		ASSERT_EQ(0, edu_ioasid_destroy(r.fd, r.pasid));
		landed += p[0] == 0xab;
		memset(p, 0x5a, 64);
		/* At least three whole DMAs after DESTROY returned. */
		before = r.dmas;
		while (r.dmas < before + 4 && !r.dma_errno)
			usleep(1000);
		if (round & 1) {
			/* The fd goes with the threads still running. */
			r.closed = 1;
			ASSERT_EQ(0, close(r.fd));
			usleep(20 * 1000);
		}
		r.stop = 1;
		pthread_join(ta, NULL);
		pthread_join(td, NULL);
		if (!(round & 1))
			ASSERT_EQ(0, close(r.fd));
		allows += r.allows;
		dmas += r.dmas;
		EXPECT_EQ(0, r.bad_errno);
		EXPECT_EQ(0, r.dma_errno);
		for (i = 0; i < 64; i++)
			ASSERT_EQ(0x5a, p[i]) {
				TH_LOG("round %u: byte %u written after DESTROY",
				       round, i);
			}
		/* The DISALLOWs are ENOENT now: the device is free. */
		ASSERT_EQ(self->t.base.v[CNT_ATTACHMENTS],
			  test_counter(CNT_ATTACHMENTS));
		ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED],
			  test_counter(CNT_IOASIDS_PARKED));
	}
	TH_LOG("%u ALLOWs, %u DMAs; DMA reached the page before DESTROY in %u of 12 rounds",
	       allows, dmas, landed);
	/* The race ran: DMA went through an ALLOWed domain. */
	ASSERT_LT(0, landed);
	/* The device is whole: ALLOW and a round trip through the fixture's. */
	allow_empty_and_map(_metadata, self);
	dma_round_trip(_metadata, &self->e, page(self, 0), IOVA_A,
		       page(self, 0), IOVA_A);
}

/* ------------------------------------------------------------------------
 * A device in a type1 container: VFIO as usual, no ALLOW
 */

FIXTURE(type1) {
	struct ioasid_tctx t;
	struct vfio_edu e;
	uint8_t *mem;
};

FIXTURE_SETUP(type1)
{
	int rc;

	vfio_edu_init(&self->e);
	tctx_setup(_metadata, &self->t);
	find_edus(_metadata);
	rc = vfio_edu_open(&self->e, edu_bdfs[0], EDU_DRIVER_IOASID,
			   VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(0, rc) {
		TH_LOG("%s in a type1 container: %s", edu_bdfs[0], strerror(-rc));
	}
	self->mem = alloc_pages(_metadata, 2);
}

FIXTURE_TEARDOWN(type1)
{
	vfio_edu_close(&self->e);
	tctx_teardown(_metadata, &self->t);
}

TEST_F_TIMEOUT(type1, allow_refused_type1_works, 120)
{
	__u32 pasid;

	test_ioasid_alloc(self->t.fd, &pasid);
	ASSERT_EQ(-EBUSY, vfio_edu_allow(&self->e, self->t.fd, pasid, 0));
	ASSERT_EQ(self->t.base.v[CNT_ATTACHMENTS], test_counter(CNT_ATTACHMENTS));

	/* type1 owns the domain, and DMA through it works */
	ASSERT_EQ(0, vfio_edu_type1_map(&self->e, self->mem, IOVA_A, 2 * PAGE));
	dma_round_trip(_metadata, &self->e, self->mem, IOVA_A,
		       self->mem + PAGE, IOVA_A + PAGE);
	/* DISALLOW has nothing to undo */
	ASSERT_EQ(-ENOENT, vfio_edu_disallow(&self->e, pasid, 0));
}

/* Our backend's container says so, and does not take type1's ioctls. */
TEST_F_TIMEOUT(type1, backend_extensions, 120)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	int c;

	ASSERT_EQ(1, ioctl(self->e.container, VFIO_CHECK_EXTENSION,
			   VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, ioctl(self->e.container, VFIO_CHECK_EXTENSION,
			   IOASID_VFIO_IOMMU_TYPE));
	vfio_edu_close(&self->e);

	ASSERT_EQ(0, vfio_edu_open(&self->e, edu_bdfs[0], EDU_DRIVER_IOASID,
				   IOASID_VFIO_IOMMU_TYPE));
	ASSERT_EQ(1, ioctl(self->e.container, VFIO_CHECK_EXTENSION,
			   IOASID_VFIO_IOMMU_TYPE));
	ASSERT_EQ(0, ioctl(self->e.container, VFIO_CHECK_EXTENSION,
			   VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(-ENOTTY, vfio_edu_type1_map(&self->e, self->mem, IOVA_A, PAGE));
	ASSERT_EQ(-1, ioctl(self->e.container, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_EQ(ENOTTY, errno);

	/* A fresh container, before SET_IOMMU, finds our type too */
	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c);
	ASSERT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, IOASID_VFIO_IOMMU_TYPE));
	ASSERT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, IOASID_VFIO_IOMMU_TYPE + 1));
}

/* ------------------------------------------------------------------------
 * Groups without MSI isolation are refused, as type1 refuses them
 */

#define TYPE1_UNSAFE	"/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"
#define OURS_UNSAFE	"/sys/module/ioasidfd_vfio/parameters/allow_unsafe_interrupts"

FIXTURE(isolation) {
	struct ioasid_tctx t;
	struct vfio_edu e;
	char type1_was[8];
	char ours_was[8];
};

FIXTURE_SETUP(isolation)
{
	vfio_edu_init(&self->e);
	tctx_setup(_metadata, &self->t);
	find_edus(_metadata);
	ASSERT_EQ(0, edu_sysfs_read(TYPE1_UNSAFE, self->type1_was,
				    sizeof(self->type1_was)));
	ASSERT_EQ(0, edu_sysfs_read(OURS_UNSAFE, self->ours_was,
				    sizeof(self->ours_was)));
	ASSERT_EQ(0, edu_sysfs_write(TYPE1_UNSAFE, "N"));
	ASSERT_EQ(0, edu_sysfs_write(OURS_UNSAFE, "N"));
	ASSERT_EQ(0, edu_bind(edu_bdfs[0], EDU_DRIVER_IOASID));
}

FIXTURE_TEARDOWN(isolation)
{
	vfio_edu_close(&self->e);
	edu_sysfs_write(TYPE1_UNSAFE, self->type1_was);
	edu_sysfs_write(OURS_UNSAFE, self->ours_was);
	tctx_teardown(_metadata, &self->t);
}

/*
 * type1 (allow_unsafe_interrupts=N) is the oracle: it takes the group
 * exactly when the group's MSIs are isolated.  Ours must agree, and take it
 * anyway with allow_unsafe_interrupts=Y.
 */
TEST_F_TIMEOUT(isolation, like_type1, 120)
{
	int type1, ours;

	type1 = vfio_edu_open_group(&self->e, edu_bdfs[0], VFIO_TYPE1v2_IOMMU);
	vfio_edu_close(&self->e);
	ASSERT_TRUE(type1 == 0 || type1 == -EPERM) {
		TH_LOG("type1: %s", strerror(-type1));
	}
	TH_LOG("MSIs of %s %s isolated", edu_bdfs[0], type1 ? "are not" : "are");

	ours = vfio_edu_open_group(&self->e, edu_bdfs[0], IOASID_VFIO_IOMMU_TYPE);
	vfio_edu_close(&self->e);
	ASSERT_EQ(type1, ours);

	ASSERT_EQ(0, edu_sysfs_write(OURS_UNSAFE, "Y"));
	ASSERT_EQ(0, vfio_edu_open_group(&self->e, edu_bdfs[0],
					 IOASID_VFIO_IOMMU_TYPE));
	ASSERT_EQ(0, vfio_edu_open_device(&self->e));
}

/* ------------------------------------------------------------------------
 * Two devices
 */

FIXTURE(two) {
	struct ioasid_tctx t;
	struct vfio_edu e[2];
	uint8_t *mem;
};

FIXTURE_SETUP(two)
{
	vfio_edu_init(&self->e[0]);
	vfio_edu_init(&self->e[1]);
	tctx_setup(_metadata, &self->t);
	find_edus(_metadata);
	if (nr_edu < 2)
		SKIP(return, "needs two edu devices, the guest has %d", nr_edu);
	self->mem = alloc_pages(_metadata, NR_PAGES);
}

FIXTURE_TEARDOWN(two)
{
	vfio_edu_close(&self->e[1]);
	vfio_edu_close(&self->e[0]);
	tctx_teardown(_metadata, &self->t);
}

/*
 * Each device on its own IOASID, both mapping an IOVA to memory of their
 * own: each DMA reaches its own memory only, and an IOVA only the other
 * IOASID maps faults.
 */
TEST_F_TIMEOUT(two, isolated_ioasids, 120)
{
	uint8_t *a0 = self->mem, *a1 = self->mem + PAGE;
	uint8_t *b0 = self->mem + 2 * PAGE, *b1 = self->mem + 3 * PAGE;
	uint32_t seed_a = pattern_next(), seed_b = pattern_next();
	__u32 pa, pb;
	int fd2;

	open_edu(_metadata, &self->e[0], 0);
	open_edu(_metadata, &self->e[1], 1);
	fd2 = ioasid_open();
	ASSERT_LE(0, fd2);
	test_ioasid_alloc(self->t.fd, &pa);
	test_ioasid_alloc(fd2, &pb);
	allow(_metadata, &self->e[0], self->t.fd, pa);
	allow(_metadata, &self->e[1], fd2, pb);
	/* Same IOVA, different memory */
	test_ioasid_map_fixed(self->t.fd, pa, a0, PAGE, IOVA_A);
	test_ioasid_map_fixed(fd2, pb, b0, PAGE, IOVA_A);
	/* Only A maps IOVA_B */
	test_ioasid_map_fixed(self->t.fd, pa, a1, PAGE, IOVA_B);
	test_ioasid_map_fixed(fd2, pb, b1, PAGE, IOVA_C);

	pattern_fill(a0, DMA_LEN, seed_a);
	pattern_fill(b0, DMA_LEN, seed_b);
	ASSERT_EQ(0, vfio_edu_to_device(&self->e[0], IOVA_A, 0, DMA_LEN));
	ASSERT_EQ(0, vfio_edu_to_device(&self->e[1], IOVA_A, 0, DMA_LEN));
	memset(a0, 0, PAGE);
	memset(b0, 0, PAGE);
	ASSERT_EQ(0, vfio_edu_to_ram(&self->e[0], 0, IOVA_A, DMA_LEN));
	ASSERT_EQ(0, vfio_edu_to_ram(&self->e[1], 0, IOVA_A, DMA_LEN));
	ASSERT_TRUE(pattern_check(a0, DMA_LEN, seed_a));
	ASSERT_TRUE(pattern_check(b0, DMA_LEN, seed_b));

	/* B cannot reach A's other buffer, nor A B's */
	dma_to_ram_faults(_metadata, &self->e[1], a1, IOVA_B);
	dma_to_ram_faults(_metadata, &self->e[0], b1, IOVA_C);
	dma_from_ram_faults(_metadata, &self->e[1], a1, IOVA_B, b1, IOVA_C);

	/* DISALLOW of one leaves the other alone */
	ASSERT_EQ(0, vfio_edu_disallow(&self->e[1], pb, 0));
	dma_to_ram_faults(_metadata, &self->e[1], b0, IOVA_A);
	dma_round_trip(_metadata, &self->e[0], a0, IOVA_A, a1, IOVA_B);
	/* And the other device cannot DISALLOW what it does not hold */
	ASSERT_EQ(-ENOENT, vfio_edu_disallow(&self->e[1], pa, 0));
}

/*
 * Two groups in one container of our type, both devices on one IOASID:
 * one page table serves both.
 */
TEST_F_TIMEOUT(two, shared_ioasid_one_container, 120)
{
	__u32 pasid;

	open_edu(_metadata, &self->e[0], 0);
	ASSERT_EQ(0, edu_bind(edu_bdfs[1], EDU_DRIVER_IOASID));
	ASSERT_EQ(0, vfio_edu_add_group(&self->e[1], edu_bdfs[1],
					self->e[0].container));
	ASSERT_EQ(0, vfio_edu_open_device(&self->e[1]));

	test_ioasid_alloc(self->t.fd, &pasid);
	allow(_metadata, &self->e[0], self->t.fd, pasid);
	allow(_metadata, &self->e[1], self->t.fd, pasid);
	ASSERT_EQ(self->t.base.v[CNT_ATTACHMENTS] + 2,
		  test_counter(CNT_ATTACHMENTS));
	test_ioasid_map_fixed(self->t.fd, pasid, self->mem, PAGE, IOVA_A);
	test_ioasid_map_fixed(self->t.fd, pasid, self->mem + PAGE, PAGE, IOVA_B);
	dma_round_trip(_metadata, &self->e[0], self->mem, IOVA_A,
		       self->mem + PAGE, IOVA_B);
	dma_round_trip(_metadata, &self->e[1], self->mem + PAGE, IOVA_B,
		       self->mem, IOVA_A);

	/* The first device goes; the second keeps working. */
	ASSERT_EQ(0, vfio_edu_disallow(&self->e[0], pasid, 0));
	dma_to_ram_faults(_metadata, &self->e[0], self->mem, IOVA_A);
	dma_round_trip(_metadata, &self->e[1], self->mem, IOVA_A,
		       self->mem + PAGE, IOVA_B);
	/* UNMAP reaches the second device's page table too */
	test_ioasid_unmap(self->t.fd, pasid, IOVA_B, PAGE, NULL);
	dma_to_ram_faults(_metadata, &self->e[1], self->mem + PAGE, IOVA_B);
}

/* ------------------------------------------------------------------------
 * The guest's whole kernel log, at the end
 */

EDU_KERNEL_LOG_CLEAN_TEST("40_vfio_edu")

TEST_HARNESS_MAIN
