// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO type1 compatibility (ioasidfd_vfio's type1_compat=1), as a plain
 * type1 program sees it: edu devices bound to vfio-pci, VFIO_TYPE1v2_IOMMU
 * (and VFIO_TYPE1_IOMMU) containers, VFIO_IOMMU_MAP_DMA / UNMAP_DMA /
 * GET_INFO, real DMA through the guest's IOMMU.  The program makes no
 * /dev/ioasid call: it only switches the mode (sysfs), and reads debugfs to
 * see that /dev/ioasid, not vfio_iommu_type1, serves the container and to
 * check that nothing leaks.
 *
 * A refused DMA (QEMU 7.2, both IOMMUs): the edu transfer completes, a write
 * to RAM is dropped, and the IOMMU's fault interrupt fires.
 */
#include "kselftest_harness.h"
#include "ioasid_utils.h"
#include "vfio_edu.h"

#include <sys/resource.h>

#define PAGE		4096UL
#define NR_PAGES	16
#define DMA_LEN		EDU_DMA_MAX

/* Below edu's default 28-bit DMA mask, clear of the MSI windows */
#define IOVA_A		0x100000ULL
#define IOVA_B		0x200000ULL
#define IOVA_C		0x300000ULL

#if defined(__x86_64__)
#define MSI_WINDOW_START	0xfee00000ULL
#define MSI_WINDOW_LAST		0xfeefffffULL
#elif defined(__aarch64__)
#define MSI_WINDOW_START	0x8000000ULL
#define MSI_WINDOW_LAST		0x80fffffULL
#else
#error "the edu tests know the IOMMUs of the amd64 and arm64 guests only"
#endif
#define APERTURE_LAST		((1ULL << 48) - 1)

#define PARAM_DIR	"/sys/module/ioasidfd_vfio/parameters/"
#define COMPAT_PARAM	PARAM_DIR "type1_compat"
#define LIMIT_PARAM	PARAM_DIR "dma_entry_limit"
#define COMPAT_DEBUGFS	"/sys/kernel/debug/ioasidfd_vfio/type1"
#define IOASIDS_DEBUGFS	"/sys/kernel/debug/ioasidfd/ioasids"

static char edu_bdfs[EDU_MAX_DEVICES][32];
static int nr_edu;

static uint32_t pattern_next(void)
{
	static uint32_t n;

	return (getpid() << 16) ^ (++n * 0x9e3779b9U) ^ (uint32_t)edu_now_ms();
}

static void pattern_fill(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)((seed + i * 0x61c88647U) >> 13) | 1;
}

static bool pattern_check(const uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != ((uint8_t)((seed + i * 0x61c88647U) >> 13) | 1))
			return false;
	return true;
}

/* @src (at @src_iova) -> device buffer -> @dst (at @dst_iova): the bytes arrive. */
static void dma_round_trip(struct __test_metadata *_metadata,
			   struct vfio_edu *e, uint8_t *src, uint64_t src_iova,
			   uint8_t *dst, uint64_t dst_iova)
{
	uint32_t seed = pattern_next();

	pattern_fill(src, DMA_LEN, seed);
	ASSERT_EQ(0, vfio_edu_to_device(e, src_iova, 0, DMA_LEN));
	memset(dst, 0, DMA_LEN);
	ASSERT_EQ(0, vfio_edu_to_ram(e, 0, dst_iova, DMA_LEN));
	ASSERT_TRUE(pattern_check(dst, DMA_LEN, seed)) {
		TH_LOG("DMA %#llx -> device -> %#llx: bytes differ",
		       (unsigned long long)src_iova,
		       (unsigned long long)dst_iova);
	}
}

/* A device -> RAM DMA to @iova faults, and @mem (what it would reach) keeps its bytes. */
static void dma_to_ram_faults(struct __test_metadata *_metadata,
			      struct vfio_edu *e, uint8_t *mem, uint64_t iova)
{
	uint32_t guard = pattern_next();
	long before;

	pattern_fill(mem, PAGE, guard);
	before = edu_iommu_faults();
	ASSERT_LE(0, before) {
		TH_LOG("no IOMMU fault interrupt (dmar / evtq) in /proc/interrupts");
	}
	ASSERT_EQ(0, vfio_edu_to_ram(e, 0, iova, DMA_LEN));
	ASSERT_LT(before, edu_iommu_faults_after(before, 3000)) {
		TH_LOG("DMA to %#llx: the IOMMU reported no fault",
		       (unsigned long long)iova);
	}
	ASSERT_TRUE(pattern_check(mem, PAGE, guard)) {
		TH_LOG("DMA to %#llx wrote to memory it must not reach",
		       (unsigned long long)iova);
	}
}

static int map_flags(struct vfio_edu *e, uint32_t flags, void *va,
		     uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = flags,
		.vaddr = (uintptr_t)va, .iova = iova, .size = len,
	};

	return ioctl(e->container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

static int map(struct vfio_edu *e, void *va, uint64_t iova, uint64_t len)
{
	return vfio_edu_type1_map(e, va, iova, len);
}

/* UNMAP_DMA; the kernel's unmapped size in *@size (left alone on failure). */
static int unmap_flags(struct vfio_edu *e, uint32_t flags, uint64_t iova,
		       uint64_t len, uint64_t *size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .flags = flags,
		.iova = iova, .size = len,
	};

	*size = ~0ULL;
	if (ioctl(e->container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	*size = unmap.size;
	return 0;
}

/* The caps of VFIO_IOMMU_GET_INFO that the tests look at. */
struct type1_info {
	uint32_t flags;
	uint64_t pgsizes;
	int nr_iovas;	/* -1: no IOVA-range capability */
	struct vfio_iova_range iovas[16];
	long dma_avail;	/* -1: no DMA-available capability */
	bool migration;
};

static int get_info(struct vfio_edu *e, struct type1_info *out)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *hdr;
	uint32_t argsz = sizeof(*info);
	uint32_t off;
	int i;

	memset(out, 0, sizeof(*out));
	out->nr_iovas = -1;
	out->dma_avail = -1;
	/* First with room for the fixed part only: the kernel says how much. */
	info = calloc(1, 4096);
	if (!info)
		return -ENOMEM;
	info->argsz = argsz;
	if (ioctl(e->container, VFIO_IOMMU_GET_INFO, info))
		goto err;
	if (info->argsz <= argsz || info->argsz > 4096 || info->cap_offset) {
		free(info);
		return -EMSGSIZE;
	}
	argsz = info->argsz;
	memset(info, 0, 4096);
	info->argsz = argsz;
	if (ioctl(e->container, VFIO_IOMMU_GET_INFO, info))
		goto err;
	out->flags = info->flags;
	out->pgsizes = info->iova_pgsizes;
	for (off = info->cap_offset; off; off = hdr->next) {
		if (off + sizeof(*hdr) > argsz) {
			free(info);
			return -EOVERFLOW;
		}
		hdr = (void *)info + off;
		switch (hdr->id) {
		case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: {
			struct vfio_iommu_type1_info_cap_iova_range *r = (void *)hdr;

			out->nr_iovas = r->nr_iovas;
			for (i = 0; i < r->nr_iovas && i < 16; i++)
				out->iovas[i] = r->iova_ranges[i];
			break;
		}
		case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL:
			out->dma_avail =
				((struct vfio_iommu_type1_info_dma_avail *)hdr)->avail;
			break;
		case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION:
			out->migration = true;
			break;
		}
	}
	free(info);
	return 0;
err:
	free(info);
	return -errno;
}

/* Is the whole of [start, last] in one of the reported ranges? */
static bool iova_usable(const struct type1_info *ti, uint64_t start,
			uint64_t last)
{
	int i;

	for (i = 0; i < ti->nr_iovas; i++)
		if (start >= ti->iovas[i].start && last <= ti->iovas[i].end)
			return true;
	return false;
}

/* Does debugfs file @path have a line containing all of @a and @b? */
static bool debugfs_has(const char *path, const char *a, const char *b)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, a) && (!b || strstr(line, b));
	fclose(f);
	return found;
}

static void find_edus(struct __test_metadata *_metadata, int need)
{
	if (!nr_edu)
		nr_edu = edu_find(edu_bdfs);
	ASSERT_LE(need, nr_edu) {
		TH_LOG("%d edu device(s) needed (1234:11e8), %d found", need,
		       nr_edu);
	}
}

static int set_param(const char *path, const char *val)
{
	return edu_sysfs_write(path, val);
}

/* ------------------------------------------------------------------------
 * The fixture: compat mode on, edu #0 on plain vfio-pci in a type1v2 (or,
 * with the variant, type1) container
 */

FIXTURE(compat) {
	struct ioasid_counters base;
	int kmsg;
	char was[8];
	struct vfio_edu e;
	struct vfio_edu e1;
	uint8_t *mem;	/* NR_PAGES pages */
};

FIXTURE_VARIANT(compat) {
	unsigned long type;
};

FIXTURE_VARIANT_ADD(compat, v2) {
	.type = VFIO_TYPE1v2_IOMMU,
};

FIXTURE_VARIANT_ADD(compat, v1) {
	.type = VFIO_TYPE1_IOMMU,
};

static void compat_open(struct __test_metadata *_metadata, struct vfio_edu *e,
			int idx, unsigned long type)
{
	int rc = vfio_edu_open(e, edu_bdfs[idx], EDU_DRIVER_VFIO, type);

	ASSERT_EQ(0, rc) {
		TH_LOG("opening %s through vfio-pci, type %lu: %s",
		       edu_bdfs[idx], type, strerror(-rc));
	}
}

FIXTURE_SETUP(compat)
{
	struct ioasid_counters c;

	vfio_edu_init(&self->e);
	vfio_edu_init(&self->e1);
	self->kmsg = -1;
	ASSERT_EQ(0, counters_available());
	counters_wait(NULL, &c, 3000);
	self->base = c;
	self->kmsg = kmsg_watch_begin();
	find_edus(_metadata, 1);
	ASSERT_EQ(0, edu_sysfs_read(COMPAT_PARAM, self->was, sizeof(self->was))) {
		TH_LOG("no %s: ioasidfd_vfio without type1 compatibility?",
		       COMPAT_PARAM);
	}
	ASSERT_EQ(0, set_param(COMPAT_PARAM, "1"));
	self->mem = mmap(NULL, NR_PAGES * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	compat_open(_metadata, &self->e, 0, variant->type);
}

FIXTURE_TEARDOWN(compat)
{
	vfio_edu_close(&self->e);
	vfio_edu_close(&self->e1);
	set_param(COMPAT_PARAM, self->was[0] ? self->was : "N");
	set_param(LIMIT_PARAM, "65535");
	edu_unbind(edu_bdfs[0]);
	if (nr_edu > 1)
		edu_unbind(edu_bdfs[1]);
	if (self->kmsg >= 0)
		EXPECT_KMSG_CLEAN(self->kmsg);
	/* Every container closed: nothing mapped, pinned or attached is left. */
	EXPECT_COUNTERS_EQ(&self->base);
}

static uint8_t *pg(FIXTURE_DATA(compat) *self, int i)
{
	return self->mem + i * PAGE;
}

/* /dev/ioasid serves the container, and shows what it maps */
TEST_F_TIMEOUT(compat, served_by_ioasid, 120)
{
	char owner[64], pid[32];

	snprintf(owner, sizeof(owner), "owner vfio-type1%s:%d",
		 variant->type == VFIO_TYPE1v2_IOMMU ? "v2" : "", getpid());
	snprintf(pid, sizeof(pid), "pid %d ", getpid());
	ASSERT_TRUE(debugfs_has(COMPAT_DEBUGFS, "container ", pid));
	ASSERT_TRUE(debugfs_has(IOASIDS_DEBUGFS, owner, edu_bdfs[0])) {
		TH_LOG("%s has no IOASID '%s' with %s", IOASIDS_DEBUGFS, owner,
		       edu_bdfs[0]);
	}
	ASSERT_EQ(0, map(&self->e, pg(self, 0), IOVA_A, 4 * PAGE));
	ASSERT_TRUE(debugfs_has(IOASIDS_DEBUGFS, owner,
				"mappings 1 mapped_bytes 16384 pinned_pages 4 "));
	ASSERT_TRUE(debugfs_has(COMPAT_DEBUGFS, "iova 0x100000-0x103fff vaddr ",
				NULL));

	ASSERT_EQ(1, ioctl(self->e.container, VFIO_CHECK_EXTENSION,
			   VFIO_TYPE1_IOMMU));
	ASSERT_EQ(1, ioctl(self->e.container, VFIO_CHECK_EXTENSION,
			   VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(1, ioctl(self->e.container, VFIO_CHECK_EXTENSION,
			   VFIO_UNMAP_ALL));
	ASSERT_EQ(1, ioctl(self->e.container, VFIO_CHECK_EXTENSION,
			   VFIO_UPDATE_VADDR));
	ASSERT_EQ(0, ioctl(self->e.container, VFIO_CHECK_EXTENSION,
			   IOASID_VFIO_IOMMU_TYPE));
}

TEST_F_TIMEOUT(compat, dma_works, 120)
{
	ASSERT_EQ(0, map(&self->e, pg(self, 0), IOVA_A, PAGE));
	ASSERT_EQ(0, map(&self->e, pg(self, 1), IOVA_B, PAGE));
	dma_round_trip(_metadata, &self->e, pg(self, 0), IOVA_A, pg(self, 1),
		       IOVA_B);
	/* Above 4 GiB too, where edu's DMA mask lets it */
	ASSERT_EQ(0, map(&self->e, pg(self, 2), 0x100000000ULL + IOVA_C, PAGE));
}

TEST_F_TIMEOUT(compat, fault_after_unmap, 120)
{
	uint64_t size;

	ASSERT_EQ(0, map(&self->e, pg(self, 0), IOVA_A, PAGE));
	ASSERT_EQ(0, map(&self->e, pg(self, 1), IOVA_B, PAGE));
	dma_round_trip(_metadata, &self->e, pg(self, 0), IOVA_A, pg(self, 1),
		       IOVA_B);
	ASSERT_EQ(0, unmap_flags(&self->e, 0, IOVA_B, PAGE, &size));
	ASSERT_EQ(PAGE, size);
	dma_to_ram_faults(_metadata, &self->e, pg(self, 1), IOVA_B);
	/* The other mapping still works */
	dma_round_trip(_metadata, &self->e, pg(self, 0), IOVA_A, pg(self, 0),
		       IOVA_A);
}

/*
 * As with type1, closing the container fd alone changes nothing while the
 * group holds the container; closing everything takes the mappings down,
 * unpinned, and a new container does not have them.
 */
TEST_F_TIMEOUT(compat, fault_after_container_close, 120)
{
	long pinned = counter_get(CNT_PINNED);

	ASSERT_EQ(0, map(&self->e, pg(self, 0), IOVA_A, PAGE));
	ASSERT_EQ(0, map(&self->e, pg(self, 1), IOVA_B, 2 * PAGE));
	ASSERT_EQ(pinned + 3, counter_get(CNT_PINNED));
	close(self->e.container);
	self->e.container = -1;
	dma_round_trip(_metadata, &self->e, pg(self, 0), IOVA_A, pg(self, 1),
		       IOVA_B);

	vfio_edu_close(&self->e);
	ASSERT_EQ(pinned, counter_get(CNT_PINNED));
	ASSERT_FALSE(debugfs_has(COMPAT_DEBUGFS, "container ", NULL));

	compat_open(_metadata, &self->e, 0, variant->type);
	ASSERT_EQ(0, map(&self->e, pg(self, 2), IOVA_C, PAGE));
	dma_to_ram_faults(_metadata, &self->e, pg(self, 1), IOVA_B);
	dma_round_trip(_metadata, &self->e, pg(self, 2), IOVA_C, pg(self, 2),
		       IOVA_C);
}

/* GET_INFO: page sizes, the aperture with the MSI window cut out, DMA_AVAIL */
TEST_F_TIMEOUT(compat, info_iova_ranges, 120)
{
	struct type1_info ti;
	int i, hole = -1;

	ASSERT_EQ(0, get_info(&self->e, &ti));
	ASSERT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, ti.flags);
	ASSERT_NE(0, ti.pgsizes & PAGE);
	ASSERT_EQ(0, ti.pgsizes & (PAGE - 1));
	ASSERT_FALSE(ti.migration);
	ASSERT_EQ(65535, ti.dma_avail);
	ASSERT_LE(2, ti.nr_iovas) {
		TH_LOG("%d IOVA ranges: the MSI window must be a hole", ti.nr_iovas);
	}
	for (i = 0; i < ti.nr_iovas; i++) {
		TH_LOG("range %d: %#llx-%#llx", i,
		       (unsigned long long)ti.iovas[i].start,
		       (unsigned long long)ti.iovas[i].end);
		if (i && ti.iovas[i].start <= ti.iovas[i - 1].end)
			ASSERT_TRUE(false);
		if (ti.iovas[i].end == MSI_WINDOW_START - 1)
			hole = i;
	}
	ASSERT_LE(0, hole);
	ASSERT_GT(ti.nr_iovas, hole + 1);
	ASSERT_EQ(MSI_WINDOW_LAST + 1, ti.iovas[hole + 1].start);
	ASSERT_EQ(0, ti.iovas[0].start);
	ASSERT_EQ(APERTURE_LAST, ti.iovas[ti.nr_iovas - 1].end);

	/* The hole cannot be mapped, its borders can */
	ASSERT_EQ(-EINVAL, map(&self->e, pg(self, 0), MSI_WINDOW_START, PAGE));
	ASSERT_EQ(-EINVAL, map(&self->e, pg(self, 0), MSI_WINDOW_START - PAGE,
			       2 * PAGE));
	ASSERT_EQ(-EINVAL, map(&self->e, pg(self, 0), APERTURE_LAST + 1, PAGE));
	ASSERT_EQ(0, map(&self->e, pg(self, 0), MSI_WINDOW_START - PAGE, PAGE));
	ASSERT_EQ(0, map(&self->e, pg(self, 1), MSI_WINDOW_LAST + 1, PAGE));

	ASSERT_EQ(0, get_info(&self->e, &ti));
	ASSERT_EQ(65533, ti.dma_avail);
}

TEST_F_TIMEOUT(compat, overlapping_maps_refused, 120)
{
	long pinned;

	ASSERT_EQ(0, map(&self->e, pg(self, 0), IOVA_A, 4 * PAGE));
	pinned = counter_get(CNT_PINNED);
	ASSERT_EQ(-EEXIST, map(&self->e, pg(self, 4), IOVA_A, 4 * PAGE));
	ASSERT_EQ(-EEXIST, map(&self->e, pg(self, 4), IOVA_A + 3 * PAGE, 2 * PAGE));
	ASSERT_EQ(-EEXIST, map(&self->e, pg(self, 4), IOVA_A - PAGE, 2 * PAGE));
	ASSERT_EQ(-EEXIST, map(&self->e, pg(self, 4), IOVA_A - PAGE, 6 * PAGE));
	ASSERT_EQ(-EEXIST, map(&self->e, pg(self, 4), IOVA_A + PAGE, PAGE));
	ASSERT_EQ(pinned, counter_get(CNT_PINNED));
	/* Next to it is fine */
	ASSERT_EQ(0, map(&self->e, pg(self, 4), IOVA_A + 4 * PAGE, PAGE));
	ASSERT_EQ(0, map(&self->e, pg(self, 5), IOVA_A - PAGE, PAGE));
}

TEST_F_TIMEOUT(compat, bad_requests, 120)
{
	uint64_t size;

	ASSERT_EQ(-EINVAL, map(&self->e, pg(self, 0), IOVA_A, 0));
	ASSERT_EQ(-EINVAL, map(&self->e, pg(self, 0), IOVA_A + 1, PAGE));
	ASSERT_EQ(-EINVAL, map(&self->e, pg(self, 0) + 8, IOVA_A, PAGE));
	ASSERT_EQ(-EINVAL, map(&self->e, pg(self, 0), IOVA_A, PAGE + 1));
	ASSERT_EQ(-EINVAL, map(&self->e, pg(self, 0), -PAGE, 2 * PAGE));
	ASSERT_EQ(-EINVAL, map_flags(&self->e, 0, pg(self, 0), IOVA_A, PAGE));
	ASSERT_EQ(-EINVAL, map_flags(&self->e, VFIO_DMA_MAP_FLAG_READ | 0x80,
				     pg(self, 0), IOVA_A, PAGE));
	ASSERT_EQ(-EFAULT, map(&self->e, unmapped_address(PAGE), IOVA_A, PAGE));
	ASSERT_EQ(-EINVAL, unmap_flags(&self->e, 0, IOVA_A + 1, PAGE, &size));
	ASSERT_EQ(-EINVAL, unmap_flags(&self->e, 0, IOVA_A, 0, &size));
	ASSERT_EQ(-EINVAL, unmap_flags(&self->e, VFIO_DMA_UNMAP_FLAG_ALL,
				       IOVA_A, 0, &size));
	ASSERT_EQ(-EINVAL, unmap_flags(&self->e, 0x80, IOVA_A, PAGE, &size));
	ASSERT_EQ(-EINVAL, unmap_flags(&self->e,
				       VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
				       IOVA_A, PAGE, &size));
	/* Nothing was mapped by any of them */
	ASSERT_EQ(0, unmap_flags(&self->e, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, &size));
	ASSERT_EQ(0, size);
}

/* v2 unmaps whole mappings only; v1 keeps type1's old rule */
TEST_F_TIMEOUT(compat, partial_unmaps, 120)
{
	uint64_t size;

	ASSERT_EQ(0, map(&self->e, pg(self, 0), IOVA_A, 4 * PAGE));
	if (variant->type == VFIO_TYPE1v2_IOMMU) {
		ASSERT_EQ(-EINVAL, unmap_flags(&self->e, 0, IOVA_A, PAGE, &size));
		ASSERT_EQ(-EINVAL, unmap_flags(&self->e, 0, IOVA_A + PAGE,
					       PAGE, &size));
		ASSERT_EQ(-EINVAL, unmap_flags(&self->e, 0, IOVA_A + PAGE,
					       8 * PAGE, &size));
		ASSERT_EQ(-EINVAL, unmap_flags(&self->e, 0, IOVA_A - PAGE,
					       2 * PAGE, &size));
		/* Still all there */
		dma_round_trip(_metadata, &self->e, pg(self, 0), IOVA_A,
			       pg(self, 3), IOVA_A + 3 * PAGE);
		/* A range around it takes it whole */
		ASSERT_EQ(0, unmap_flags(&self->e, 0, IOVA_A - PAGE, 6 * PAGE,
					 &size));
		ASSERT_EQ(4 * PAGE, size);
	} else {
		/* Starting inside: nothing, and success */
		ASSERT_EQ(0, unmap_flags(&self->e, 0, IOVA_A + PAGE, PAGE, &size));
		ASSERT_EQ(0, size);
		dma_round_trip(_metadata, &self->e, pg(self, 0), IOVA_A,
			       pg(self, 3), IOVA_A + 3 * PAGE);
		/* Covering its start: all of it */
		ASSERT_EQ(0, unmap_flags(&self->e, 0, IOVA_A, PAGE, &size));
		ASSERT_EQ(4 * PAGE, size);
	}
	dma_to_ram_faults(_metadata, &self->e, pg(self, 3), IOVA_A + 3 * PAGE);
	/* Nothing there: success, 0 bytes */
	ASSERT_EQ(0, unmap_flags(&self->e, 0, IOVA_A, 4 * PAGE, &size));
	ASSERT_EQ(0, size);
}

TEST_F_TIMEOUT(compat, unmapped_size, 120)
{
	long pinned = counter_get(CNT_PINNED);
	struct type1_info ti;
	uint64_t size;

	ASSERT_EQ(0, map(&self->e, pg(self, 0), IOVA_A, PAGE));
	ASSERT_EQ(0, map(&self->e, pg(self, 1), IOVA_A + 2 * PAGE, 2 * PAGE));
	ASSERT_EQ(0, map(&self->e, pg(self, 3), IOVA_B, 3 * PAGE));
	ASSERT_EQ(0, map(&self->e, pg(self, 6), IOVA_C, 5 * PAGE));
	ASSERT_EQ(pinned + 11, counter_get(CNT_PINNED));
	ASSERT_EQ(0, get_info(&self->e, &ti));
	ASSERT_EQ(65535 - 4, ti.dma_avail);

	/* Two mappings in a range with holes */
	ASSERT_EQ(0, unmap_flags(&self->e, 0, IOVA_A, IOVA_B - IOVA_A, &size));
	ASSERT_EQ(3 * PAGE, size);
	ASSERT_EQ(pinned + 8, counter_get(CNT_PINNED));
	ASSERT_EQ(0, get_info(&self->e, &ti));
	ASSERT_EQ(65535 - 2, ti.dma_avail);
	/* The rest, with UNMAP_FLAG_ALL */
	ASSERT_EQ(0, unmap_flags(&self->e, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, &size));
	ASSERT_EQ(8 * PAGE, size);
	ASSERT_EQ(pinned, counter_get(CNT_PINNED));
	ASSERT_EQ(0, get_info(&self->e, &ti));
	ASSERT_EQ(65535, ti.dma_avail);
}

/* Live update: the user address goes away and comes back, DMA goes on */
TEST_F_TIMEOUT(compat, update_vaddr, 120)
{
	uint32_t vflag = VFIO_DMA_MAP_FLAG_VADDR;
	uint64_t size;

	ASSERT_EQ(0, map(&self->e, pg(self, 0), IOVA_A, 2 * PAGE));
	ASSERT_EQ(0, map(&self->e, pg(self, 2), IOVA_B, PAGE));
	/* Not invalidated: no new address */
	ASSERT_EQ(-EINVAL, map_flags(&self->e, vflag, pg(self, 8), IOVA_A,
				     2 * PAGE));
	ASSERT_EQ(-ENOENT, map_flags(&self->e, vflag, pg(self, 8), IOVA_C, PAGE));
	ASSERT_EQ(-EINVAL, map_flags(&self->e, vflag | VFIO_DMA_MAP_FLAG_READ,
				     pg(self, 8), IOVA_A, 2 * PAGE));

	ASSERT_EQ(0, unmap_flags(&self->e, VFIO_DMA_UNMAP_FLAG_VADDR, IOVA_A,
				 IOVA_B + PAGE - IOVA_A, &size));
	ASSERT_EQ(3 * PAGE, size);
	ASSERT_TRUE(debugfs_has(COMPAT_DEBUGFS, "vaddr_invalid 2", NULL));
	/* Twice: refused, nothing changes */
	ASSERT_EQ(-EINVAL, unmap_flags(&self->e, VFIO_DMA_UNMAP_FLAG_VADDR,
				       IOVA_A, 2 * PAGE, &size));
	/* The device keeps its DMA meanwhile */
	dma_round_trip(_metadata, &self->e, pg(self, 0), IOVA_A, pg(self, 2),
		       IOVA_B);
	/* The new address must cover the whole mapping */
	ASSERT_EQ(-EINVAL, map_flags(&self->e, vflag, pg(self, 8), IOVA_A, PAGE));
	ASSERT_EQ(0, map_flags(&self->e, vflag, pg(self, 8), IOVA_A, 2 * PAGE));
	ASSERT_EQ(0, map_flags(&self->e, vflag, pg(self, 10), IOVA_B, PAGE));
	ASSERT_TRUE(debugfs_has(COMPAT_DEBUGFS, "vaddr_invalid 0", NULL));
	/* The pages pinned at MAP stay those the device reaches */
	dma_round_trip(_metadata, &self->e, pg(self, 2), IOVA_B, pg(self, 0),
		       IOVA_A);
	ASSERT_EQ(0, unmap_flags(&self->e, 0, IOVA_A, 2 * PAGE, &size));
	ASSERT_EQ(2 * PAGE, size);
}

TEST_F_TIMEOUT(compat, dirty_tracking_refused, 120)
{
	struct vfio_iommu_type1_dirty_bitmap dirty = {
		.argsz = sizeof(dirty),
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};

	ASSERT_EQ(-1, ioctl(self->e.container, VFIO_IOMMU_DIRTY_PAGES, &dirty));
	ASSERT_EQ(EOPNOTSUPP, errno);
}

TEST_F_TIMEOUT(compat, dma_entry_limit, 120)
{
	struct type1_info ti;
	uint64_t size;

	/* The limit is taken when a container is set up */
	vfio_edu_close(&self->e);
	ASSERT_EQ(0, set_param(LIMIT_PARAM, "2"));
	compat_open(_metadata, &self->e, 0, variant->type);
	ASSERT_EQ(0, get_info(&self->e, &ti));
	ASSERT_EQ(2, ti.dma_avail);
	ASSERT_EQ(0, map(&self->e, pg(self, 0), IOVA_A, PAGE));
	ASSERT_EQ(0, map(&self->e, pg(self, 1), IOVA_B, PAGE));
	ASSERT_EQ(-ENOSPC, map(&self->e, pg(self, 2), IOVA_C, PAGE));
	ASSERT_EQ(0, unmap_flags(&self->e, 0, IOVA_A, PAGE, &size));
	ASSERT_EQ(0, map(&self->e, pg(self, 2), IOVA_C, PAGE));
}

/* RLIMIT_MEMLOCK of the mapping task's mm, as type1 charges it */
TEST_F_TIMEOUT(compat, memlock_limit, 120)
{
	long pinned = counter_get(CNT_PINNED);
	int status;
	pid_t pid;

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct rlimit rl = { 4 * PAGE, 4 * PAGE };
		uint8_t *m;

		if (drop_capability(CAP_IPC_LOCK) ||
		    setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(10);
		m = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (m == MAP_FAILED)
			_exit(11);
		if (map(&self->e, m, IOVA_C, 8 * PAGE) != -ENOMEM)
			_exit(12);
		if (counter_get(CNT_PINNED) != pinned)
			_exit(13);
		if (map(&self->e, m, IOVA_A, 2 * PAGE))
			_exit(14);
		if (map(&self->e, m + 2 * PAGE, IOVA_C, 3 * PAGE) != -ENOMEM)
			_exit(15);
		if (counter_get(CNT_PINNED) != pinned + 2)
			_exit(16);
		_exit(0);
	}
	status = wait_child(pid);
	ASSERT_EQ(0, status) {
		TH_LOG("the child without CAP_IPC_LOCK failed at step %d", status);
	}
	/* Its mapping outlives it, in the container, as with type1 */
	ASSERT_EQ(pinned + 2, counter_get(CNT_PINNED));
}

/* Two groups in one container; the second joins after mappings exist */
TEST_F_TIMEOUT(compat, second_group_after_mappings, 120)
{
	struct type1_info ti;
	uint64_t size;
	int rc;

	find_edus(_metadata, 2);
	ASSERT_EQ(0, map(&self->e, pg(self, 0), IOVA_A, PAGE));
	ASSERT_EQ(0, map(&self->e, pg(self, 1), IOVA_B, PAGE));
	dma_round_trip(_metadata, &self->e, pg(self, 0), IOVA_A, pg(self, 1),
		       IOVA_B);

	ASSERT_EQ(0, edu_bind(edu_bdfs[1], EDU_DRIVER_VFIO));
	rc = vfio_edu_add_group(&self->e1, edu_bdfs[1], self->e.container);
	ASSERT_EQ(0, rc) {
		TH_LOG("adding %s's group: %s", edu_bdfs[1], strerror(-rc));
	}
	ASSERT_EQ(0, vfio_edu_open_device(&self->e1));
	/* The mappings made before it joined reach it */
	dma_round_trip(_metadata, &self->e1, pg(self, 1), IOVA_B, pg(self, 0),
		       IOVA_A);
	ASSERT_TRUE(debugfs_has(IOASIDS_DEBUGFS, edu_bdfs[0], edu_bdfs[1]));
	ASSERT_EQ(0, get_info(&self->e, &ti));
	ASSERT_TRUE(iova_usable(&ti, IOVA_A, IOVA_C));
	ASSERT_FALSE(iova_usable(&ti, MSI_WINDOW_START, MSI_WINDOW_START));

	/* New mappings reach both; an unmap takes them from both */
	ASSERT_EQ(0, map(&self->e, pg(self, 2), IOVA_C, PAGE));
	dma_round_trip(_metadata, &self->e1, pg(self, 2), IOVA_C, pg(self, 2),
		       IOVA_C);
	dma_round_trip(_metadata, &self->e, pg(self, 2), IOVA_C, pg(self, 2),
		       IOVA_C);
	ASSERT_EQ(0, unmap_flags(&self->e, 0, IOVA_C, PAGE, &size));
	dma_to_ram_faults(_metadata, &self->e1, pg(self, 2), IOVA_C);
	dma_to_ram_faults(_metadata, &self->e, pg(self, 2), IOVA_C);

	/* The first group leaves; the second keeps the mappings */
	vfio_edu_close(&self->e);
	dma_round_trip(_metadata, &self->e1, pg(self, 0), IOVA_A, pg(self, 1),
		       IOVA_B);
}

/* ------------------------------------------------------------------------
 * With the mode off, type1 serves type1 containers as before
 */

FIXTURE(off) {
	char was[8];
	struct vfio_edu e;
	uint8_t *mem;
};

FIXTURE_SETUP(off)
{
	vfio_edu_init(&self->e);
	find_edus(_metadata, 1);
	ASSERT_EQ(0, edu_sysfs_read(COMPAT_PARAM, self->was, sizeof(self->was)));
	ASSERT_EQ(0, set_param(COMPAT_PARAM, "0"));
	self->mem = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(off)
{
	vfio_edu_close(&self->e);
	set_param(COMPAT_PARAM, self->was[0] ? self->was : "N");
	edu_unbind(edu_bdfs[0]);
}

TEST_F_TIMEOUT(off, type1_serves, 120)
{
	long pinned = counter_get(CNT_PINNED);
	struct type1_info ti;
	int c;

	/* Nobody but type1 answers for the types */
	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c);
	ASSERT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	close(c);

	compat_open(_metadata, &self->e, 0, VFIO_TYPE1v2_IOMMU);
	ASSERT_FALSE(debugfs_has(COMPAT_DEBUGFS, "container ", NULL));
	ASSERT_EQ(0, map(&self->e, self->mem, IOVA_A, 2 * PAGE));
	/* type1 pins: the module's counters do not move */
	ASSERT_EQ(pinned, counter_get(CNT_PINNED));
	dma_round_trip(_metadata, &self->e, self->mem, IOVA_A,
		       self->mem + PAGE, IOVA_A + PAGE);
	/* type1 reports a migration capability; the compat mode does not */
	ASSERT_EQ(0, get_info(&self->e, &ti));
	ASSERT_TRUE(ti.migration);
}

/* The switch only decides for new containers */
TEST_F_TIMEOUT(off, switch_keeps_containers, 120)
{
	long pinned = counter_get(CNT_PINNED);

	compat_open(_metadata, &self->e, 0, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(0, set_param(COMPAT_PARAM, "1"));
	ASSERT_EQ(0, map(&self->e, self->mem, IOVA_A, PAGE));
	ASSERT_EQ(pinned, counter_get(CNT_PINNED));
	ASSERT_FALSE(debugfs_has(COMPAT_DEBUGFS, "container ", NULL));
}

EDU_KERNEL_LOG_CLEAN_TEST("42_vfio_type1_compat")

TEST_HARNESS_MAIN
