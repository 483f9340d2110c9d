// SPDX-License-Identifier: GPL-2.0
/*
 * Nested IOASIDs on the real IOMMU, by shadow paging: a QEMU edu device,
 * bound to ioasidfd-vfio-pci and allowed at RID on a nested IOASID, does
 * real DMA through the guest's IOMMU (VT-d on amd64, SMMUv3 on arm64) at
 * guest-virtual addresses that the test's own guest tables translate.
 *
 * The test is the guest: it keeps its stage-1 tables (and, for the SMMUv3
 * format, its CD) in guest memory that the parent IOASID maps at IOVA = GPA,
 * binds the VT-d PASID entry or the STE, and issues the invalidations a
 * guest owes.  The device's requests carry no PASID, so they use
 *   VT-d:  the bound PASID entry, as RID_PASID (0) does: the descriptors
 *          name PASID 0 (as Linux programs RID_PASID; the header is silent);
 *   SMMU:  CD 0 (S1CDMax 0: one CD, no substreams), or what S1DSS selects.
 * Both formats run on both guests: the shadow does not depend on the host's
 * IOMMU format.  The semantics checked are those of shadow.c and nested.c's
 * top comments; where they are silent the spec's behaviour is assumed and a
 * comment says so.
 *
 * DMA and faults, as in 40_vfio_edu: an edu transfer moves at most 4095
 * bytes and takes ~100 ms; a refused write to RAM is dropped, a refused read
 * delivers zeros to the device, and the IOMMU's fault interrupt counts it
 * (edu_iommu_faults()).  Linux 6.1's VT-d driver reports no fault to the
 * module, so on amd64 no fault record may appear; its SMMUv3 driver does,
 * so on arm64 each fault must come with a record at the faulting address.
 *
 * Every test ends with the nested IOASID's skipped_* counters as the test
 * expects them, the debugfs object counters back to where they were and no
 * problem in the kernel log (tctx_teardown(), EDU_KERNEL_LOG_CLEAN_TEST).
 */
#include "kselftest_harness.h"
#include "nested_env.h"
#include "vfio_edu.h"

#define PAGE		4096ULL
#define DLEN		EDU_DMA_MAX
#define COOKIE		0x5adc0ffee0000053ULL

/* Guest-virtual addresses; all clear of both guests' MSI windows */
#define GVA_LOW		0x100000ULL		/* 1 MiB */
#define GVA_SCR		0x20000000ULL		/* the scratch page */
#define GVA(n)		(0x130000000ULL + PAGE * (n))	/* above 4 GiB */
#define GVA_HUGE	0x140000000ULL		/* 2 MiB aligned */
#define GVA_1G		0x200000000ULL		/* 1 GiB aligned */
#define GVA_FAR		0x8012345000ULL		/* a top-level entry of its own */
#define GVA_BADTOP	0x10000000000ULL	/* another one */
#define GVA_HIGH	0x7f1234560000ULL	/* near the top of 47 bits */

/* Data pages at fixed GPAs: page 0 of the fixed half is the scratch page */
#define GPA_SCR		nenv_page(0)
#define P(n)		nenv_page(n)
/* Guest-physical addresses stage 2 does not map */
#define GPA_OUT		0xc0000000ULL
/* THP-backed guest memory of the 2 MiB test */
#define GPA_HUGE	0x80000000ULL
#define HUGE_SIZE	(4 * SZ_1M)

#if defined(__x86_64__)
#define MSI_WINDOW	0xfee00000ULL
#elif defined(__aarch64__)
#define MSI_WINDOW	0x08000000ULL
#else
#error "the edu tests know the IOMMUs of the amd64 and arm64 guests only"
#endif

static char edu_bdfs[EDU_MAX_DEVICES][32];
static int nr_edu;

/* ------------------------------------------------------------------------
 * Byte patterns: never 0, a fresh seed for every check
 */

static uint32_t pat_next(void)
{
	static uint32_t n;

	return ((uint32_t)getpid() << 16) ^ (++n * 0x9e3779b9U) ^
	       (uint32_t)edu_now_ms();
}

static uint8_t pat_byte(uint32_t seed, size_t i)
{
	uint32_t x = seed ^ ((uint32_t)i * 0x85ebca6bU);

	x ^= x >> 13;
	x *= 0xc2b2ae35U;
	x ^= x >> 16;
	return x | 0x80;
}

static void pat_fill(void *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		((uint8_t *)p)[i] = pat_byte(seed, i);
}

static bool pat_check(const void *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((const uint8_t *)p)[i] != pat_byte(seed, i))
			return false;
	return true;
}

static bool zeroed(const void *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((const uint8_t *)p)[i])
			return false;
	return true;
}

/* AnonHugePages of the mapping that holds @va, in kB (-1: not found) */
static long smaps_anon_huge_kb(const void *va)
{
	unsigned long lo, hi, at = (uintptr_t)va;
	char line[512];
	bool in = false;
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		int n = 0;

		if (sscanf(line, "%lx-%lx %n", &lo, &hi, &n) == 2 && n) {
			in = at >= lo && at < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* ------------------------------------------------------------------------
 * The fixture
 */

/* What the nested IOASID's skipped_* counters must read at the end */
struct skipped {
	uint64_t s2, range, access, limit, tables;
};

FIXTURE(shadow) {
	struct nenv e;		/* fd, parent, nested, guest memory, tables */
	struct vfio_edu edu;
	bool records;		/* the host IOMMU reports faults (SMMUv3) */
	bool dev_valid;		/* the device buffer holds pattern dev_seed */
	uint32_t dev_seed;
	uint64_t scr_va;	/* where the device reaches the scratch page */
	bool live;		/* the nested IOASID still exists and is bound */
	struct skipped want;
	struct ioasid_fault rec;	/* the last fault record checked */
	bool max_records_saved;
	unsigned int max_records;
	/* THP-backed guest memory, GPA_HUGE (the 2 MiB test) */
	struct gmem huge;
	void *huge_base;
	size_t huge_len;
};

FIXTURE_VARIANT(shadow) {
	uint32_t format;
};

FIXTURE_VARIANT_ADD(shadow, vtd) {
	.format = IOASID_NESTED_FMT_VTD_FS,
};

FIXTURE_VARIANT_ADD(shadow, smmu) {
	.format = IOASID_NESTED_FMT_SMMUV3,
};

static bool is_vtd(FIXTURE_DATA(shadow) *self)
{
	return nenv_vtd(&self->e);
}

/* The PASID entry (VT-d) or STE + CD (SMMU) of the standard guest */
static void std_context(struct __test_metadata *_metadata,
			FIXTURE_DATA(shadow) *self)
{
	struct nenv *e = &self->e;

	if (nenv_vtd(e)) {
		ASSERT_EQ(0, vtd_fs_init(&e->fs, &e->g, 4));
		memset(&e->pe, 0, sizeof(e->pe));
		e->pe.p = true;
		e->pe.pgtt = VTD_PGTT_FS;
		e->pe.did = NENV_DID;
		e->pe.pwsnp = true;
		e->pe.fspm = VTD_FSPM_4LVL;
		e->pe.fsptptr = e->fs.root;
	} else {
		/* One CD (S1CDMax 0): requests without SSID use it */
		ASSERT_EQ(0, smmu_cdtab_init(&e->cdt, &e->g, SMMU_S1FMT_LINEAR, 0));
		ASSERT_EQ(0, arm_s1_init(&e->s1, &e->g, 0x1000, 16));
		nenv_smmu_std_cd(e, &e->cd, e->s1.root, NENV_ASID);
		memset(&e->ste, 0, sizeof(e->ste));
		e->ste.v = true;
		e->ste.config = SMMU_CONFIG_S1;
		e->ste.s1fmt = SMMU_S1FMT_LINEAR;
		e->ste.s1ctxptr = e->cdt.base;
		e->ste.s1cdmax = 0;
		e->ste.s1cir = SMMU_CACHE_WBRA;
		e->ste.s1cor = SMMU_CACHE_WBRA;
		e->ste.s1csh = SMMU_SH_ISH;
	}
}

FIXTURE_SETUP(shadow)
{
	struct nenv *e = &self->e;
	struct ioasid_device_info info;
	int rc;

	memset(self, 0, sizeof(*self));
	vfio_edu_init(&self->edu);
	self->scr_va = GVA_SCR;
	e->dev = -1;
	e->qfd = -1;
	e->format = variant->format;
	e->dma_pasid = -1;	/* requests without PASID */
	tctx_setup(_metadata, &e->t);
	if (!nr_edu)
		nr_edu = edu_find(edu_bdfs);
	ASSERT_LE(1, nr_edu) {
		TH_LOG("no edu device (1234:11e8)");
	}
	rc = vfio_edu_open(&self->edu, edu_bdfs[0], EDU_DRIVER_IOASID,
			   IOASID_VFIO_IOMMU_TYPE);
	ASSERT_EQ(0, rc) {
		TH_LOG("opening %s through %s: %s", edu_bdfs[0],
		       EDU_DRIVER_IOASID, strerror(-rc));
	}
	ASSERT_EQ(0, vfio_edu_info(&self->edu, &info));
	ASSERT_EQ(IOASID_EXEC_IOMMU_API, info.out_executor);
	ASSERT_TRUE(info.out_nested_formats & (1U << e->format));
	self->records = info.out_family == IOASID_FAMILY_SMMUV3;
	ASSERT_EQ(0, nested_cap(e->t.fd, &e->cap));
	ASSERT_EQ(0, sw_alloc(e->t.fd, &e->parent));
	ASSERT_EQ(0, sw_alloc(e->t.fd, &e->nested));
	ASSERT_EQ(0, gmem_init(&e->g, NENV_GPA, NENV_SIZE, NENV_ALLOC));
	e->qfd = sw_fault_queue(e->t.fd, 0);
	ASSERT_LE(0, e->qfd);
	ASSERT_EQ(0, sw_route(e->t.fd, e->nested, e->qfd));
	ASSERT_EQ(0, sw_route(e->t.fd, e->parent, e->qfd));
	std_context(_metadata, self);
	/* The scratch page, through which the device buffer is loaded and read */
	nenv_map(_metadata, e, GVA_SCR, GPA_SCR);
}

/* DMAs go through @e from now on; its buffer holds nothing known */
static void use_dev(FIXTURE_DATA(shadow) *self, const struct vfio_edu *e)
{
	self->edu = *e;
	self->dev_valid = false;
}

static struct ioasid_info_cap_nested_ioas ioas_cap(struct __test_metadata *_metadata,
						   FIXTURE_DATA(shadow) *self)
{
	return nenv_ioas(_metadata, &self->e);
}

FIXTURE_TEARDOWN(shadow)
{
	struct nenv *e = &self->e;

	/*
	 * No ASSERT here: after a failed ASSERT the 6.1 harness still has its
	 * trigger set, and the next ASSERT would jump back into the teardown.
	 */
	if (self->live && e->t.fd >= 0) {
		struct ioasid_info_cap_nested_ioas c;
		int rc = nested_ioas_cap(e->t.fd, e->nested, &c);

		EXPECT_EQ(0, rc);
		if (rc)
			memset(&c, 0xff, sizeof(c));
		EXPECT_EQ(self->want.s2, c.shadow_skipped_s2);
		EXPECT_EQ(self->want.range, c.shadow_skipped_range);
		EXPECT_EQ(self->want.access, c.shadow_skipped_access);
		EXPECT_EQ(self->want.limit, c.shadow_skipped_limit);
		EXPECT_EQ(self->want.tables, c.shadow_skipped_tables);
	}
	if (self->max_records_saved)
		EXPECT_EQ(0, param_write("shadow_max_records", self->max_records));
	/* BAR0's mapping holds the device file: unmap before the fds go */
	vfio_edu_close(&self->edu);
	if (self->huge_base)
		munmap(self->huge_base, self->huge_len);
	self->huge.host = NULL;
	nenv_teardown(_metadata, e);
}

/* Host pointer of guest-physical @gpa, in either guest memory */
static uint8_t *hva(FIXTURE_DATA(shadow) *self, uint64_t gpa)
{
	uint8_t *p = gmem_ptr(&self->e.g, gpa);

	if (!p && self->huge.host)
		p = gmem_ptr(&self->huge, gpa);
	return p;
}

/* ------------------------------------------------------------------------
 * Guest tables, format-neutral
 */

/* A 4K leaf for @gpa: read-write, or read-only */
static uint64_t leaf_rw(FIXTURE_DATA(shadow) *self, uint64_t gpa, bool writable)
{
	if (is_vtd(self))
		return vtd_fs_entry(gpa, VTD_FS_P | VTD_FS_US |
					 (writable ? VTD_FS_RW : 0));
	return arm_leaf_desc(3, gpa, (ARM_LEAF_STD & ~ARM_AP(3)) |
				     ARM_AP(writable ? ARM_AP_RW : ARM_AP_RO));
}

static uint64_t *map_page(struct __test_metadata *_metadata,
			  FIXTURE_DATA(shadow) *self, uint64_t va, uint64_t gpa)
{
	return nenv_map(_metadata, &self->e, va, gpa);
}

/* A block leaf (VT-d level 2/3 with PS, SMMU level 2/1) of @size */
static uint64_t *map_block(struct __test_metadata *_metadata,
			   FIXTURE_DATA(shadow) *self, uint64_t va, uint64_t gpa,
			   uint64_t size)
{
	struct nenv *e = &self->e;
	uint64_t *leaf;

	if (is_vtd(self))
		leaf = vtd_fs_map(&e->fs, va, gpa, size == NPT_1G ? 3 : 2,
				  VTD_FS_RW | VTD_FS_US);
	else
		leaf = arm_s1_map(&e->s1, va, gpa, size == NPT_1G ? 1 : 2,
				  ARM_LEAF_STD);
	ASSERT_NE(NULL, leaf);
	return leaf;
}

static uint64_t block_leaf(FIXTURE_DATA(shadow) *self, uint64_t gpa, uint64_t size)
{
	if (is_vtd(self))
		return vtd_fs_entry(gpa, VTD_FS_P | VTD_FS_RW | VTD_FS_US | VTD_FS_PS);
	return arm_leaf_desc(size == NPT_1G ? 1 : 2, gpa, ARM_LEAF_STD);
}

/* ------------------------------------------------------------------------
 * Bind, ALLOW
 */

static void start_ov(struct __test_metadata *_metadata, FIXTURE_DATA(shadow) *self,
		     const struct gmem_override *ov, unsigned int n)
{
	struct nenv *e = &self->e;
	int rc;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, ov, n));
	if (self->huge.host) {
		ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &self->huge, NULL, 0));
	}
	if (!nenv_vtd(e))
		nenv_write_cd(_metadata, e, 0, &e->cd);
	rc = nenv_bind(e, 0);
	ASSERT_EQ(0, rc) {
		TH_LOG("bind: %s", strerror(-rc));
	}
	rc = nested_allow(self->edu.device, e->t.fd, e->nested, 0, 0, COOKIE);
	ASSERT_EQ(0, rc) {
		TH_LOG("ALLOW of the edu device at RID: %s", strerror(-rc));
	}
	self->live = true;
}

static void start(struct __test_metadata *_metadata, FIXTURE_DATA(shadow) *self)
{
	start_ov(_metadata, self, NULL, 0);
}

static int replace(FIXTURE_DATA(shadow) *self)
{
	return nenv_bind(&self->e, IOASID_NESTED_BIND_REPLACE);
}

/* ------------------------------------------------------------------------
 * Invalidations a guest issues
 */

static void inv_run(struct __test_metadata *_metadata, FIXTURE_DATA(shadow) *self,
		    struct ninv *b)
{
	ninv_sync(b, &self->e);
	ninv_ok(_metadata, &self->e, b);
}

/* One 4 KiB page: P_IOTLB page-selective (AM 0) / TLBI_NH_VA */
static void inv_page(struct __test_metadata *_metadata, FIXTURE_DATA(shadow) *self,
		     uint64_t va)
{
	nenv_inv_page(_metadata, &self->e, va);
}

/* 2^@order pages from @va (aligned): P_IOTLB with AM / a range TLBI (RIL) */
static void inv_range(struct __test_metadata *_metadata, FIXTURE_DATA(shadow) *self,
		      uint64_t va, unsigned int order)
{
	struct nenv *e = &self->e;
	struct ninv b;

	ninv_init(&b, e);
	if (nenv_vtd(e)) {
		ninv_vtd(&b, vtd_inv_piotlb_page(e->pe.did, 0, va, order, false));
	} else {
		struct smmu_tlbi_range r = {
			.tg = SMMU_TLBI_TG_4K,
			.num = (1U << (order < 5 ? order : 5)) - 1,
			.scale = order < 5 ? 0 : order - 5,
		};

		ASSERT_TRUE(e->cap.smmu_flags & IOASID_NESTED_SMMU_RIL);
		ninv_smmu(&b, smmu_cmd_tlbi_nh_va(NENV_VMID, e->cd.asid, va, false, &r));
	}
	inv_run(_metadata, self, &b);
}

/* The whole context: P_IOTLB PASID-selective (PASID 0) / TLBI_NH_ASID */
static void inv_context(struct __test_metadata *_metadata, FIXTURE_DATA(shadow) *self)
{
	struct nenv *e = &self->e;
	struct ninv b;

	ninv_init(&b, e);
	if (nenv_vtd(e))
		ninv_vtd(&b, vtd_inv_piotlb_pasid(e->pe.did, 0));
	else
		ninv_smmu(&b, smmu_cmd_tlbi_nh_asid(NENV_VMID, e->cd.asid));
	inv_run(_metadata, self, &b);
}

/*
 * Everything: VT-d a global PASID-cache invalidation and P_IOTLB
 * PASID-selective (VT-d has no IOTLB invalidation of every PASID a guest
 * may issue); SMMU TLBI_NH_ALL.
 */
static void inv_everything(struct __test_metadata *_metadata,
			   FIXTURE_DATA(shadow) *self)
{
	struct nenv *e = &self->e;
	struct ninv b;

	ninv_init(&b, e);
	if (nenv_vtd(e)) {
		ninv_vtd(&b, vtd_inv_pc(VTD_PC_G_GLOBAL, 0, 0));
		ninv_vtd(&b, vtd_inv_piotlb_pasid(e->pe.did, 0));
	} else {
		ninv_smmu(&b, smmu_cmd_tlbi_nh_all(NENV_VMID));
	}
	inv_run(_metadata, self, &b);
}

/* ------------------------------------------------------------------------
 * DMA checks
 */

/* For failure messages: the data pages that hold @seed's pattern */
static const char *where_did_it_go(FIXTURE_DATA(shadow) *self, uint32_t seed)
{
	static char msg[256];
	size_t n = 0;
	unsigned int i;

	msg[0] = 0;
	for (i = 1; i < 64 && n < sizeof(msg) - 32; i++)
		if (pat_check(hva(self, P(i)), 64, seed))
			n += snprintf(msg + n, sizeof(msg) - n, "%s P(%u)",
				      n ? "," : "; the bytes are in", i);
	return msg;
}

static void dev_load(struct __test_metadata *_metadata, FIXTURE_DATA(shadow) *self)
{
	uint32_t seed = pat_next();

	pat_fill(hva(self, GPA_SCR), DLEN, seed);
	ASSERT_EQ(0, vfio_edu_to_device(&self->edu, self->scr_va, 0, DLEN));
	self->dev_seed = seed;
	self->dev_valid = true;
}

/*
 * The device writes DLEN bytes at @va: they must land at @gpa (the byte
 * after them untouched).  The device buffer is loaded first if need be.
 */
static void write_ok(struct __test_metadata *_metadata, FIXTURE_DATA(shadow) *self,
		     uint64_t va, uint64_t gpa)
{
	uint8_t *p = hva(self, gpa);

	ASSERT_NE(NULL, p);
	if (!self->dev_valid)
		dev_load(_metadata, self);
	memset(p, 0, DLEN + 1);
	ASSERT_EQ(0, vfio_edu_to_ram(&self->edu, 0, va, DLEN));
	ASSERT_TRUE(pat_check(p, DLEN, self->dev_seed)) {
		TH_LOG("device write at GVA %#llx did not land at GPA %#llx (%#x %#x ...)%s",
		       (unsigned long long)va, (unsigned long long)gpa, p[0], p[1],
		       where_did_it_go(self, self->dev_seed));
	}
	ASSERT_EQ(0, p[DLEN]);
}

/* The device reads DLEN bytes at @va: they must come from @gpa. */
static void read_ok(struct __test_metadata *_metadata, FIXTURE_DATA(shadow) *self,
		    uint64_t va, uint64_t gpa)
{
	uint8_t *p = hva(self, gpa), *scr = hva(self, GPA_SCR);
	uint32_t seed = pat_next();

	ASSERT_NE(NULL, p);
	pat_fill(p, DLEN, seed);
	self->dev_valid = false;
	ASSERT_EQ(0, vfio_edu_to_device(&self->edu, va, 0, DLEN));
	memset(scr, 0, PAGE);
	ASSERT_EQ(0, vfio_edu_to_ram(&self->edu, 0, self->scr_va, DLEN));
	ASSERT_TRUE(pat_check(scr, DLEN, seed)) {
		TH_LOG("device read at GVA %#llx did not come from GPA %#llx (%#x %#x ...)",
		       (unsigned long long)va, (unsigned long long)gpa, scr[0], scr[1]);
	}
	self->dev_seed = seed;
	self->dev_valid = true;
}

static void drain_records(FIXTURE_DATA(shadow) *self, int wait_ms)
{
	struct ioasid_fault f;

	while (!nested_read_fault(self->e.qfd, &f, wait_ms))
		wait_ms = 0;
}

/*
 * How a faulting DMA's record is checked.  The IOMMU sees only the shadow;
 * the module explains its records with the nested walk, so a record has
 * the reason, stage and level the guest's tables (or stage 2) give.
 */
enum rec {
	REC_NONE,	/* no record may come (VT-d always) */
	REC_ANY,	/* a record may come or not: not checked */
	REC_UNMAPPED,	/* on SMMUv3: a record with this reason */
	REC_PERM,
	REC_RESERVED,
	REC_ACCESS_FLAG,
	REC_LAGS,	/* the guest's tables translate it, the shadow lags:
			 * the IOMMU's record as it is (unmapped, no stage) */
};

static uint32_t rec_reason(enum rec want)
{
	switch (want) {
	case REC_PERM:
		return IOASID_FAULT_REASON_PERMISSION;
	case REC_RESERVED:
		return IOASID_FAULT_REASON_RESERVED;
	case REC_ACCESS_FLAG:
		return IOASID_FAULT_REASON_ACCESS_FLAG;
	default:
		return IOASID_FAULT_REASON_UNMAPPED;
	}
}

/*
 * One faulting DMA's record: on SMMUv3 the first record is this DMA's, at
 * @va, with @rw and the reason; on VT-d there is none.
 */
static void expect_record(struct __test_metadata *_metadata,
			  FIXTURE_DATA(shadow) *self, uint64_t va, uint32_t rw,
			  enum rec want)
{
	struct ioasid_fault f;
	int rc;

	if (want == REC_ANY) {
		drain_records(self, self->records ? 300 : 0);
		return;
	}
	if (!self->records || want == REC_NONE) {
		rc = nested_read_fault(self->e.qfd, &f, 0);
		EXPECT_EQ(-EAGAIN, rc) {
			TH_LOG("a fault record (reason %u at %#llx)", f.reason,
			       (unsigned long long)f.addr);
		}
		drain_records(self, 0);
		return;
	}
	rc = nested_read_fault(self->e.qfd, &f, 2000);
	ASSERT_EQ(0, rc) {
		TH_LOG("no fault record for the DMA at %#llx (%s)",
		       (unsigned long long)va, strerror(-rc));
	}
	EXPECT_EQ(sizeof(f), f.size);
	EXPECT_EQ(va, f.addr);
	EXPECT_EQ(self->e.nested, f.pasid);
	EXPECT_EQ(COOKIE, f.cookie);
	EXPECT_EQ(rw, f.flags & (IOASID_FAULT_READ | IOASID_FAULT_WRITE));
	EXPECT_EQ(0, f.flags & (IOASID_FAULT_PASID_VALID | IOASID_FAULT_RECOVERABLE));
	EXPECT_EQ(rec_reason(want), f.reason);
	/* Explained by the nested walk: a stage */
	if (want == REC_LAGS) {
		EXPECT_EQ(0, f.stage);
	} else {
		EXPECT_TRUE(f.stage == 1 || f.stage == 2) {
			TH_LOG("record of %#llx without a stage (%u)",
			       (unsigned long long)va, f.stage);
		}
	}
	EXPECT_EQ(0, f.id);
	self->rec = f;
	/* The same DMA's later chunks may fault too: their records go */
	drain_records(self, 100);
}

static long faults_now(struct __test_metadata *_metadata)
{
	long n = edu_iommu_faults();

	ASSERT_LE(0, n) {
		TH_LOG("no IOMMU fault interrupt (dmar / evtq) in /proc/interrupts");
	}
	return n;
}

static void faults_moved(struct __test_metadata *_metadata, long before, uint64_t va)
{
	ASSERT_LT(before, edu_iommu_faults_after(before, 3000)) {
		TH_LOG("the DMA at GVA %#llx raised no IOMMU fault",
		       (unsigned long long)va);
	}
}

/*
 * The device writes at @va: the IOMMU must refuse it.  The @n guest pages
 * @guard (what the translation reaches, or reached) keep a fresh pattern.
 */
static void write_faults(struct __test_metadata *_metadata,
			 FIXTURE_DATA(shadow) *self, uint64_t va,
			 const uint64_t *guard, unsigned int n, enum rec want)
{
	uint32_t seed[8];
	unsigned int i;
	long before;

	ASSERT_GE(8, n);
	for (i = 0; i < n; i++) {
		ASSERT_NE(NULL, hva(self, guard[i]));
		seed[i] = pat_next();
		pat_fill(hva(self, guard[i]), PAGE, seed[i]);
	}
	drain_records(self, 0);
	before = faults_now(_metadata);
	ASSERT_EQ(0, vfio_edu_to_ram(&self->edu, 0, va, DLEN));
	/* (braces: an ASSERT with a handler is two statements) */
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(pat_check(hva(self, guard[i]), PAGE, seed[i])) {
			TH_LOG("the write at GVA %#llx, which must fault, changed GPA %#llx",
			       (unsigned long long)va,
			       (unsigned long long)guard[i]);
		}
	}
	faults_moved(_metadata, before, va);
	expect_record(_metadata, self, va, IOASID_FAULT_WRITE, want);
}

/* A device write at @va reaches nothing: @guard keeps its pattern. */
static void write_dropped(struct __test_metadata *_metadata,
			  FIXTURE_DATA(shadow) *self, uint64_t va, uint64_t guard)
{
	uint32_t seed = pat_next();

	pat_fill(hva(self, guard), PAGE, seed);
	ASSERT_EQ(0, vfio_edu_to_ram(&self->edu, 0, va, DLEN));
	ASSERT_TRUE(pat_check(hva(self, guard), PAGE, seed)) {
		TH_LOG("the write at GVA %#llx changed GPA %#llx",
		       (unsigned long long)va, (unsigned long long)guard);
	}
	drain_records(self, self->records ? 300 : 0);
}

#define WRITE_FAULTS(_va, _want, ...) do {				\
	const uint64_t __g[] = { __VA_ARGS__ };				\
									\
	write_faults(_metadata, self, (_va), __g, ARRAY_SIZE(__g), (_want)); \
} while (0)

/*
 * The device reads at @va: the IOMMU must refuse it, and the device gets
 * zeros (checked through the scratch page).
 */
static void read_faults(struct __test_metadata *_metadata,
			FIXTURE_DATA(shadow) *self, uint64_t va, enum rec want)
{
	uint8_t *scr = hva(self, GPA_SCR);
	long before;

	if (!self->dev_valid)
		dev_load(_metadata, self);
	drain_records(self, 0);
	before = faults_now(_metadata);
	ASSERT_EQ(0, vfio_edu_to_device(&self->edu, va, 0, DLEN));
	faults_moved(_metadata, before, va);
	expect_record(_metadata, self, va, IOASID_FAULT_READ, want);
	self->dev_valid = false;
	memset(scr, 0xee, PAGE);
	ASSERT_EQ(0, vfio_edu_to_ram(&self->edu, 0, self->scr_va, DLEN));
	ASSERT_TRUE(zeroed(scr, DLEN)) {
		TH_LOG("a refused read at GVA %#llx delivered data (%#x ...)",
		       (unsigned long long)va, scr[0]);
	}
}

/* ========================================================================
 * Tests
 */

/*
 * A DMA at a low and at a high (above 4 GiB) guest-virtual address lands
 * in the guest-physical page stage 1 names, and reads back through the
 * device; the shadow maps exactly the three leaves.
 */
TEST_F_TIMEOUT(shadow, write_read_low_high, 60)
{
	struct ioasid_info_cap_nested_ioas c;

	map_page(_metadata, self, GVA_LOW, P(1));
	map_page(_metadata, self, GVA_HIGH, P(2));
	start(_metadata, self);
	c = ioas_cap(_metadata, self);
	EXPECT_EQ(self->e.parent, c.parent_pasid);
	EXPECT_EQ(self->e.format, c.format);
	EXPECT_EQ(3, c.shadow_runs);
	EXPECT_EQ(3 * PAGE, c.shadow_bytes);
	EXPECT_LT(0, c.shadow_tables);
	EXPECT_LT(0, c.shadow_mem);
	EXPECT_EQ(0, c.shadow_huge_2m);

	write_ok(_metadata, self, GVA_LOW, P(1));
	EXPECT_TRUE(zeroed(hva(self, P(2)), PAGE));
	EXPECT_TRUE(zeroed(hva(self, P(3)), PAGE));
	write_ok(_metadata, self, GVA_HIGH, P(2));
	EXPECT_TRUE(zeroed(hva(self, P(3)), PAGE));
	read_ok(_metadata, self, GVA_HIGH, P(2));
	read_ok(_metadata, self, GVA_LOW, P(1));
}

/*
 * A PTE rewritten without invalidation keeps its old translation; a
 * page-selective invalidation of another page does not change it; one of
 * the page makes the next DMA follow.
 */
TEST_F_TIMEOUT(shadow, inv_page, 60)
{
	uint64_t *leaf = map_page(_metadata, self, GVA(0), P(1));

	map_page(_metadata, self, GVA(2), P(4));
	start(_metadata, self);
	write_ok(_metadata, self, GVA(0), P(1));

	*leaf = nenv_leaf(&self->e, P(2));
	write_ok(_metadata, self, GVA(0), P(1));
	EXPECT_TRUE(zeroed(hva(self, P(2)), PAGE));
	/* the neighbour (not mapped) and another mapped page: not this one */
	inv_page(_metadata, self, GVA(1));
	inv_page(_metadata, self, GVA(2));
	write_ok(_metadata, self, GVA(0), P(1));
	EXPECT_TRUE(zeroed(hva(self, P(2)), PAGE));

	inv_page(_metadata, self, GVA(0));
	memset(hva(self, P(1)), 0, PAGE);
	write_ok(_metadata, self, GVA(0), P(2));
	EXPECT_TRUE(zeroed(hva(self, P(1)), PAGE));
	read_ok(_metadata, self, GVA(0), P(2));
	EXPECT_EQ(3, ioas_cap(_metadata, self).shadow_runs);
}

/* Eight PTEs rewritten, one range invalidation: all eight follow. */
TEST_F_TIMEOUT(shadow, inv_range, 60)
{
	uint64_t *leaf[8];
	int i;

	for (i = 0; i < 8; i++)
		leaf[i] = map_page(_metadata, self, GVA(i), P(1 + i));
	start(_metadata, self);
	/* one run: contiguous in input and guest-physical addresses */
	EXPECT_EQ(2, ioas_cap(_metadata, self).shadow_runs);
	for (i = 0; i < 8; i++)
		*leaf[i] = nenv_leaf(&self->e, P(9 + i));
	write_ok(_metadata, self, GVA(7), P(8));
	inv_range(_metadata, self, GVA(0), 3);
	memset(hva(self, P(1)), 0, PAGE);
	memset(hva(self, P(8)), 0, PAGE);
	write_ok(_metadata, self, GVA(0), P(9));
	write_ok(_metadata, self, GVA(7), P(16));
	read_ok(_metadata, self, GVA(4), P(13));
	EXPECT_TRUE(zeroed(hva(self, P(1)), PAGE));
	EXPECT_TRUE(zeroed(hva(self, P(8)), PAGE));
	EXPECT_EQ(8 * PAGE + PAGE, ioas_cap(_metadata, self).shadow_bytes);
}

/*
 * Invalidations without a range: the whole context (VT-d PASID-selective
 * for PASID 0, SMMU by ASID) and everything.  VT-d: a PASID-selective
 * invalidation of another PASID leaves requests without PASID alone.
 */
TEST_F_TIMEOUT(shadow, inv_context_and_all, 60)
{
	uint64_t *a = map_page(_metadata, self, GVA(0), P(1));
	uint64_t *b = map_page(_metadata, self, GVA_FAR, P(2));

	start(_metadata, self);
	write_ok(_metadata, self, GVA(0), P(1));
	*a = nenv_leaf(&self->e, P(3));
	*b = nenv_leaf(&self->e, P(4));
	if (is_vtd(self)) {
		struct ninv v;

		ninv_init(&v, &self->e);
		ninv_vtd(&v, vtd_inv_piotlb_pasid(self->e.pe.did, 7));
		inv_run(_metadata, self, &v);
		write_ok(_metadata, self, GVA(0), P(1));
	}
	inv_context(_metadata, self);
	write_ok(_metadata, self, GVA(0), P(3));
	write_ok(_metadata, self, GVA_FAR, P(4));

	*a = nenv_leaf(&self->e, P(5));
	*b = nenv_leaf(&self->e, P(6));
	inv_everything(_metadata, self);
	memset(hva(self, P(3)), 0, PAGE);
	memset(hva(self, P(4)), 0, PAGE);
	write_ok(_metadata, self, GVA(0), P(5));
	write_ok(_metadata, self, GVA_FAR, P(6));
	EXPECT_TRUE(zeroed(hva(self, P(3)), PAGE));
	EXPECT_TRUE(zeroed(hva(self, P(4)), PAGE));
}

/*
 * Guest-physical pages outside stage 2: never shadowed (counted in
 * shadow_skipped_s2), the device faults there; a PTE rewritten to such a
 * page without invalidation keeps its old translation, into stage 2.
 */
TEST_F_TIMEOUT(shadow, outside_stage2, 60)
{
	uint64_t *leaf = map_page(_metadata, self, GVA(0), P(1));

	map_page(_metadata, self, GVA(1), GPA_OUT);
	start(_metadata, self);
	EXPECT_EQ(1, ioas_cap(_metadata, self).shadow_skipped_s2);
	EXPECT_EQ(2 * PAGE, ioas_cap(_metadata, self).shadow_bytes);
	WRITE_FAULTS(GVA(1), REC_UNMAPPED, P(1), P(2));

	*leaf = nenv_leaf(&self->e, GPA_OUT + PAGE);
	write_ok(_metadata, self, GVA(0), P(1));
	inv_page(_metadata, self, GVA(0));
	EXPECT_EQ(2, ioas_cap(_metadata, self).shadow_skipped_s2);
	WRITE_FAULTS(GVA(0), REC_UNMAPPED, P(1));
	self->want.s2 = 2;
}

/*
 * Read-only in stage 1: a device write faults and memory is unchanged, a
 * read works; made writable and invalidated, writes work.
 */
TEST_F_TIMEOUT(shadow, s1_readonly, 60)
{
	uint64_t *leaf = map_page(_metadata, self, GVA(0), P(1));

	*leaf = leaf_rw(self, P(1), false);
	map_page(_metadata, self, GVA(1), P(2));
	start(_metadata, self);
	EXPECT_EQ(3 * PAGE, ioas_cap(_metadata, self).shadow_bytes);
	WRITE_FAULTS(GVA(0), REC_PERM, P(1));
	read_ok(_metadata, self, GVA(0), P(1));
	write_ok(_metadata, self, GVA(1), P(2));

	*leaf = leaf_rw(self, P(1), true);
	inv_page(_metadata, self, GVA(0));
	write_ok(_metadata, self, GVA(0), P(1));
}

/* Read-only in stage 2 (IOASID_MAP_READ only): the same. */
TEST_F_TIMEOUT(shadow, s2_readonly, 60)
{
	struct gmem_override ov = { P(1), IOASID_MAP_READ };

	map_page(_metadata, self, GVA(0), P(1));
	map_page(_metadata, self, GVA(1), P(2));
	start_ov(_metadata, self, &ov, 1);
	EXPECT_EQ(3 * PAGE, ioas_cap(_metadata, self).shadow_bytes);
	WRITE_FAULTS(GVA(0), REC_PERM, P(1));
	read_ok(_metadata, self, GVA(0), P(1));
	write_ok(_metadata, self, GVA(1), P(2));
}

/*
 * IOASID_UNMAP in stage 2 of a data page: the device faults at once there
 * (no guest invalidation), through both guest-virtual pages that map it,
 * other pages work; mapped again and invalidated, the page works again.
 */
TEST_F_TIMEOUT(shadow, s2_unmap_data, 60)
{
	struct gmem_override ov = { P(1), MAP_RW };
	struct ioasid_info_cap_nested_ioas c;

	map_page(_metadata, self, GVA(0), P(1));
	map_page(_metadata, self, GVA(1), P(2));
	/* a second guest-virtual page on the same guest-physical page */
	map_page(_metadata, self, GVA_FAR, P(1));
	start_ov(_metadata, self, &ov, 1);
	write_ok(_metadata, self, GVA(0), P(1));
	write_ok(_metadata, self, GVA_FAR, P(1));
	ASSERT_EQ(0, sw_unmap(self->e.t.fd, self->e.parent, P(1), PAGE));
	c = ioas_cap(_metadata, self);
	EXPECT_EQ(2 * PAGE, c.shadow_bytes);
	WRITE_FAULTS(GVA(0), REC_UNMAPPED, P(1));
	WRITE_FAULTS(GVA_FAR, REC_UNMAPPED, P(1));
	read_faults(_metadata, self, GVA(0), REC_UNMAPPED);
	write_ok(_metadata, self, GVA(1), P(2));

	/*
	 * Mapped again: shadow.c lets stage-2 additions wait for the next
	 * invalidation that covers them (nesting hardware would see them at
	 * once; either is allowed, so only the state after it is checked).
	 */
	ASSERT_EQ(0, sw_map(self->e.t.fd, self->e.parent, hva(self, P(1)), PAGE,
			    P(1), MAP_RW));
	inv_page(_metadata, self, GVA(0));
	write_ok(_metadata, self, GVA(0), P(1));
	EXPECT_EQ(3 * PAGE, ioas_cap(_metadata, self).shadow_bytes);
	/* the alias was not invalidated: still unmapped */
	WRITE_FAULTS(GVA_FAR, REC_LAGS, P(1));
}

/*
 * IOASID_UNMAP in stage 2 of the page holding the last level of the guest
 * table: everything it translates faults at once, a page under another
 * table works.  Re-walked while the table page is missing, it is counted
 * in shadow_skipped_tables; mapped again and invalidated, it works again.
 */
TEST_F_TIMEOUT(shadow, s2_unmap_table, 60)
{
	struct gmem_override ov;
	struct ioasid_info_cap_nested_ioas c0, c1;

	map_page(_metadata, self, GVA(0), P(1));
	map_page(_metadata, self, GVA(1), P(2));
	map_page(_metadata, self, GVA_FAR, P(3));
	ov.gpa = nenv_leaf_page(&self->e, GVA(0));
	ov.rights = MAP_RW;
	start_ov(_metadata, self, &ov, 1);
	write_ok(_metadata, self, GVA(1), P(2));
	c0 = ioas_cap(_metadata, self);
	ASSERT_EQ(0, sw_unmap(self->e.t.fd, self->e.parent, ov.gpa, PAGE));
	c1 = ioas_cap(_metadata, self);
	EXPECT_EQ(c0.shadow_bytes - 2 * PAGE, c1.shadow_bytes);
	EXPECT_EQ(c0.shadow_tables - 1, c1.shadow_tables);
	WRITE_FAULTS(GVA(0), REC_UNMAPPED, P(1));
	WRITE_FAULTS(GVA(1), REC_UNMAPPED, P(2));
	write_ok(_metadata, self, GVA_FAR, P(3));

	inv_everything(_metadata, self);
	EXPECT_EQ(1, ioas_cap(_metadata, self).shadow_skipped_tables);
	WRITE_FAULTS(GVA(0), REC_UNMAPPED, P(1));
	ASSERT_EQ(0, sw_map(self->e.t.fd, self->e.parent, hva(self, ov.gpa), PAGE,
			    ov.gpa, MAP_RW));
	inv_everything(_metadata, self);
	write_ok(_metadata, self, GVA(0), P(1));
	EXPECT_EQ(c0.shadow_bytes, ioas_cap(_metadata, self).shadow_bytes);
	self->want.tables = 1;
}

/*
 * The page holding the top level of the guest table (PML4 / level-0
 * table) leaves stage 2: nothing translates any more, the scratch page
 * included.
 */
TEST_F_TIMEOUT(shadow, s2_unmap_root, 60)
{
	struct gmem_override ov;
	struct nenv *e = &self->e;

	map_page(_metadata, self, GVA(0), P(1));
	ov.gpa = is_vtd(self) ? e->fs.root : e->s1.root & ~(PAGE - 1);
	ov.rights = MAP_RW;
	start_ov(_metadata, self, &ov, 1);
	write_ok(_metadata, self, GVA(0), P(1));
	ASSERT_EQ(0, sw_unmap(e->t.fd, e->parent, ov.gpa, PAGE));
	EXPECT_EQ(0, ioas_cap(_metadata, self).shadow_bytes);
	EXPECT_EQ(0, ioas_cap(_metadata, self).shadow_runs);
	WRITE_FAULTS(GVA(0), REC_UNMAPPED, P(1));
	WRITE_FAULTS(GVA_SCR, REC_UNMAPPED, GPA_SCR);
	ASSERT_EQ(0, sw_map(e->t.fd, e->parent, hva(self, ov.gpa), PAGE, ov.gpa,
			    MAP_RW));
	inv_everything(_metadata, self);
	write_ok(_metadata, self, GVA(0), P(1));
}

/*
 * SMMU: the page holding the CD leaves stage 2.  nested.c: "neither a
 * data page nor a table page that stage 2 lost stays reachable"; the CD
 * is read through stage 2 like a table (the header), so the device must
 * fault at once, as the software walker does.  VT-d: the PASID entry is
 * the bind's, held by value (as the PASID cache holds it), not read from
 * guest memory: a stage-2 UNMAP of a page that is neither table nor data
 * (where a guest keeps its PASID table) changes nothing.
 */
TEST_F_TIMEOUT(shadow, s2_unmap_cd, 60)
{
	struct gmem_override ov;
	struct nenv *e = &self->e;
	struct ninv b;
	uint64_t pt, runs;

	if (is_vtd(self)) {
		map_page(_metadata, self, GVA(0), P(1));
		pt = gmem_alloc_page(&e->g);
		ASSERT_NE(GMEM_NONE, pt);
		ov.gpa = pt;
		ov.rights = MAP_RW;
		start_ov(_metadata, self, &ov, 1);
		write_ok(_metadata, self, GVA(0), P(1));
		runs = ioas_cap(_metadata, self).shadow_runs;
		ASSERT_EQ(0, sw_unmap(e->t.fd, e->parent, pt, PAGE));
		EXPECT_EQ(runs, ioas_cap(_metadata, self).shadow_runs);
		write_ok(_metadata, self, GVA(0), P(1));
		inv_everything(_metadata, self);
		write_ok(_metadata, self, GVA(0), P(1));
		return;
	}
	map_page(_metadata, self, GVA(0), P(1));
	ov.gpa = e->cdt.base & ~(PAGE - 1);
	ov.rights = MAP_RW;
	start_ov(_metadata, self, &ov, 1);
	write_ok(_metadata, self, GVA(0), P(1));
	ASSERT_EQ(0, sw_unmap(e->t.fd, e->parent, ov.gpa, PAGE));
	WRITE_FAULTS(GVA(0), REC_UNMAPPED, P(1));
	ASSERT_EQ(0, sw_map(e->t.fd, e->parent, hva(self, ov.gpa), PAGE, ov.gpa,
			    MAP_RW));
	ninv_init(&b, e);
	ninv_smmu(&b, smmu_cmd_cfgi_cd(NENV_SID, 0, true));
	ninv_smmu(&b, smmu_cmd_tlbi_nh_asid(NENV_VMID, e->cd.asid));
	inv_run(_metadata, self, &b);
	write_ok(_metadata, self, GVA(0), P(1));
}

/*
 * Entries the hardware refuses: a leaf with a reserved bit (VT-d bit 50
 * above HAW 48) or a reserved encoding (VMSAv8 0b01 at level 3), a
 * non-present leaf, a top-level entry with a reserved encoding (VT-d PS in
 * a PML4E, VMSAv8 a block at level 0); and a leaf no request may use (VT-d
 * U/S 0, SMMU AF 0), counted in shadow_skipped_access.  All fault, memory
 * unchanged; a good neighbour works.
 */
TEST_F_TIMEOUT(shadow, bad_entries, 60)
{
	struct nenv *e = &self->e;
	uint64_t *l;

	l = map_page(_metadata, self, GVA(0), P(1));
	*l = is_vtd(self) ? *l | BIT64(50) : *l & ~ARM_DESC_TABLE;
	l = map_page(_metadata, self, GVA(1), P(2));
	*l = 0;
	l = map_page(_metadata, self, GVA(2), P(3));
	*l = is_vtd(self) ? *l & ~VTD_FS_US : *l & ~ARM_AF;
	map_page(_metadata, self, GVA(3), P(4));
	map_page(_metadata, self, GVA_BADTOP, P(5));
	if (is_vtd(self)) {
		l = vtd_fs_entry_ptr(&e->fs, GVA_BADTOP, 4, false);
		ASSERT_NE(NULL, l);
		*l |= VTD_FS_PS;
	} else {
		l = arm_s1_entry_ptr(&e->s1, GVA_BADTOP, 0, false);
		ASSERT_NE(NULL, l);
		*l &= ~ARM_DESC_TABLE;
	}
	start(_metadata, self);
	EXPECT_EQ(2 * PAGE, ioas_cap(_metadata, self).shadow_bytes);
	EXPECT_EQ(1, ioas_cap(_metadata, self).shadow_skipped_access);
	self->want.access = 1;
	/*
	 * VT-d: reserved bits (§9.7: bit 50 above HAW, PS in a PML4E) and
	 * a user request at a supervisor page (§3.6); VMSAv8: an invalid
	 * encoding is a translation fault, AF 0 an access flag fault.
	 */
	WRITE_FAULTS(GVA(0), is_vtd(self) ? REC_RESERVED : REC_UNMAPPED, P(1));
	WRITE_FAULTS(GVA(1), REC_UNMAPPED, P(2));
	WRITE_FAULTS(GVA(2), is_vtd(self) ? REC_PERM : REC_ACCESS_FLAG, P(3));
	WRITE_FAULTS(GVA_BADTOP, is_vtd(self) ? REC_RESERVED : REC_UNMAPPED,
		     P(5));
	write_ok(_metadata, self, GVA(3), P(4));
}

/* DESTROY of the nested IOASID stops its DMA; DISALLOW then releases it. */
TEST_F_TIMEOUT(shadow, destroy_stops_dma, 60)
{
	map_page(_metadata, self, GVA(0), P(1));
	start(_metadata, self);
	write_ok(_metadata, self, GVA(0), P(1));
	EXPECT_EQ(-EBUSY, sw_destroy(self->e.t.fd, self->e.parent));
	ASSERT_EQ(0, sw_destroy(self->e.t.fd, self->e.nested));
	self->live = false;
	WRITE_FAULTS(GVA(0), REC_ANY, P(1));
	EXPECT_EQ(1, sw_counter(CNT_IOASIDS_PARKED));
	ASSERT_EQ(0, vfio_edu_disallow(&self->edu, self->e.nested, 0));
	EXPECT_EQ(0, sw_counter(CNT_IOASIDS_PARKED));
	EXPECT_EQ(0, sw_destroy(self->e.t.fd, self->e.parent));
}

/*
 * DISALLOW stops DMA; UNBIND is refused while attached and allowed after;
 * bound and allowed again, the shadow is built again.
 */
TEST_F_TIMEOUT(shadow, disallow_stops_dma, 60)
{
	map_page(_metadata, self, GVA(0), P(1));
	start(_metadata, self);
	write_ok(_metadata, self, GVA(0), P(1));
	EXPECT_EQ(-EBUSY, nested_unbind(self->e.t.fd, self->e.nested));
	ASSERT_EQ(0, vfio_edu_disallow(&self->edu, self->e.nested, 0));
	WRITE_FAULTS(GVA(0), REC_ANY, P(1));
	ASSERT_EQ(0, nested_unbind(self->e.t.fd, self->e.nested));
	EXPECT_EQ(IOASID_MODE_NONE, nenv_mode(_metadata, &self->e, self->e.nested));
	self->live = false;
	ASSERT_EQ(0, nenv_bind(&self->e, 0));
	ASSERT_EQ(0, nested_allow(self->edu.device, self->e.t.fd, self->e.nested,
				  0, 0, COOKIE));
	self->live = true;
	write_ok(_metadata, self, GVA(0), P(1));
}

/* Closing the /dev/ioasid fd stops DMA; DISALLOW still releases the PASID. */
TEST_F_TIMEOUT(shadow, close_stops_dma, 60)
{
	map_page(_metadata, self, GVA(0), P(1));
	start(_metadata, self);
	write_ok(_metadata, self, GVA(0), P(1));
	close(self->e.t.fd);
	self->e.t.fd = -1;
	self->live = false;
	WRITE_FAULTS(GVA(0), REC_ANY, P(1));
	EXPECT_EQ(0, sw_counter(CNT_PINNED));
	ASSERT_EQ(0, vfio_edu_disallow(&self->edu, self->e.nested, 0));
}

/*
 * REPLACE of the PASID entry / STE with one pointing at another table,
 * with the invalidations the guest owes: VT-d (nested.c) keeps using the
 * cached entry until the PASID-cache invalidation, then P_IOTLB; SMMU a
 * CFGI_STE the VMM did (the REPLACE), then TLBI_NH_ASID.
 */
TEST_F_TIMEOUT(shadow, replace_switches_tables, 60)
{
	struct nenv *e = &self->e;
	struct ninv b;

	map_page(_metadata, self, GVA(0), P(1));
	start(_metadata, self);
	write_ok(_metadata, self, GVA(0), P(1));
	/* a second table: GVA(0) -> P(2), the scratch page as before */
	if (is_vtd(self)) {
		ASSERT_EQ(0, vtd_fs_init(&e->fs, &e->g, 4));
		e->pe.fsptptr = e->fs.root;
	} else {
		ASSERT_EQ(0, smmu_cdtab_init(&e->cdt, &e->g, SMMU_S1FMT_LINEAR, 0));
		ASSERT_EQ(0, arm_s1_init(&e->s1, &e->g, 0x1000, 16));
		e->cd.ttb0 = e->s1.root;
		nenv_write_cd(_metadata, e, 0, &e->cd);
		e->ste.s1ctxptr = e->cdt.base;
	}
	map_page(_metadata, self, GVA_SCR, GPA_SCR);
	map_page(_metadata, self, GVA(0), P(2));
	ASSERT_EQ(0, replace(self));
	ninv_init(&b, e);
	if (is_vtd(self)) {
		write_ok(_metadata, self, GVA(0), P(1));
		ninv_vtd(&b, vtd_inv_pc(VTD_PC_G_PASID, e->pe.did, 0));
		ninv_vtd(&b, vtd_inv_piotlb_pasid(e->pe.did, 0));
	} else {
		ninv_smmu(&b, smmu_cmd_tlbi_nh_asid(NENV_VMID, e->cd.asid));
	}
	inv_run(_metadata, self, &b);
	memset(hva(self, P(1)), 0, PAGE);
	write_ok(_metadata, self, GVA(0), P(2));
	EXPECT_TRUE(zeroed(hva(self, P(1)), PAGE));
	EXPECT_EQ(2 * PAGE, ioas_cap(_metadata, self).shadow_bytes);
}

/*
 * REPLACE with a new tag and a new table: a VT-d entry with a new DID,
 * then only the PASID-cache invalidation the spec asks for, which names the
 * DID of the entry it removes (the old one); an SMMU STE whose CD has a new
 * ASID, nothing more.  Cached translations carry the old tag, so no lookup
 * can hit them: from then on requests translate through the new table (as
 * a software device on the same IOASID does, checked too).
 */
TEST_F_TIMEOUT(shadow, replace_new_tag, 60)
{
	struct nenv *e = &self->e;
	struct ioasid_test_dma d = {};
	uint16_t old_did = e->pe.did;
	uint8_t buf[64];
	struct ninv b;
	int sw;

	map_page(_metadata, self, GVA(0), P(1));
	start(_metadata, self);
	sw = sw_dev_create(0);
	ASSERT_LE(0, sw);
	ASSERT_EQ(0, sw_allow(sw, e->t.fd, e->nested, 0, 0));
	write_ok(_metadata, self, GVA(0), P(1));
	ASSERT_EQ(0, sw_dma(sw, -1, 0, GVA(0), buf, sizeof(buf), &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	if (is_vtd(self)) {
		ASSERT_EQ(0, vtd_fs_init(&e->fs, &e->g, 4));
		e->pe.fsptptr = e->fs.root;
		e->pe.did = old_did + 1;
	} else {
		ASSERT_EQ(0, smmu_cdtab_init(&e->cdt, &e->g, SMMU_S1FMT_LINEAR, 0));
		ASSERT_EQ(0, arm_s1_init(&e->s1, &e->g, 0x1000, 16));
		e->cd.ttb0 = e->s1.root;
		e->cd.asid = NENV_ASID + 1;
		nenv_write_cd(_metadata, e, 0, &e->cd);
		e->ste.s1ctxptr = e->cdt.base;
	}
	map_page(_metadata, self, GVA_SCR, GPA_SCR);
	map_page(_metadata, self, GVA(0), P(2));
	ASSERT_EQ(0, replace(self));
	if (is_vtd(self)) {
		ninv_init(&b, e);
		ninv_vtd(&b, vtd_inv_pc(VTD_PC_G_PASID, old_did, 0));
		inv_run(_metadata, self, &b);
	}
	/* the software walker, first: the reference */
	memset(hva(self, P(1)), 0x11, 64);
	memset(hva(self, P(2)), 0x22, 64);
	ASSERT_EQ(0, sw_dma(sw, -1, 0, GVA(0), buf, sizeof(buf), &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	EXPECT_EQ(0x22, buf[0]) {
		TH_LOG("the software walker reads from %s", buf[0] == 0x11 ?
		       "the old table's page" : "elsewhere");
	}
	memset(hva(self, P(1)), 0, PAGE);
	write_ok(_metadata, self, GVA(0), P(2));
	EXPECT_TRUE(zeroed(hva(self, P(1)), PAGE));
}

/*
 * 2 MiB guest blocks over THP-backed stage 2 (2 MiB aligned,
 * MADV_HUGEPAGE) are shadowed with 2 MiB pages; DMA works across a block,
 * within it and from one block into the next.  A block rewritten to
 * another and invalidated by one page-selective entry (AM 0 / TLBI_NH_VA
 * of one address: the spec removes the whole large page) follows.
 */
TEST_F_TIMEOUT(shadow, huge_2m, 60)
{
	struct ioasid_info_cap_nested_ioas c;
	uint64_t *blk;
	size_t len = HUGE_SIZE + SZ_2M;
	uint8_t *base, *al;
	long kb;

	base = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, base);
	self->huge_base = base;
	self->huge_len = len;
	al = (uint8_t *)(((uintptr_t)base + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1));
	ASSERT_EQ(0, madvise(al, HUGE_SIZE, MADV_HUGEPAGE));
	memset(al, 0, HUGE_SIZE);
	kb = smaps_anon_huge_kb(al);
	if (kb < (long)(HUGE_SIZE / 1024))
		SKIP(return, "no THP for the guest memory (AnonHugePages %ld kB)", kb);
	self->huge.host = al;
	self->huge.gpa = GPA_HUGE;
	self->huge.size = HUGE_SIZE;

	blk = map_block(_metadata, self, GVA_HUGE, GPA_HUGE, NPT_2M);
	map_block(_metadata, self, GVA_HUGE + NPT_2M, GPA_HUGE + NPT_2M, NPT_2M);
	start(_metadata, self);
	c = ioas_cap(_metadata, self);
	EXPECT_EQ(HUGE_SIZE + PAGE, c.shadow_bytes);
	EXPECT_EQ(2, c.shadow_huge_2m) {
		TH_LOG("AnonHugePages %ld kB; shadow_huge_2m %llu", kb,
		       (unsigned long long)c.shadow_huge_2m);
	}
	write_ok(_metadata, self, GVA_HUGE, GPA_HUGE);
	/* across 4 KiB pages inside the block, the last page, into the next */
	write_ok(_metadata, self, GVA_HUGE + 0x100800, GPA_HUGE + 0x100800);
	write_ok(_metadata, self, GVA_HUGE + 0x1ff000, GPA_HUGE + 0x1ff000);
	write_ok(_metadata, self, GVA_HUGE + 0x1ff800, GPA_HUGE + 0x1ff800);
	read_ok(_metadata, self, GVA_HUGE + NPT_2M + 0x80000,
		GPA_HUGE + NPT_2M + 0x80000);

	*blk = block_leaf(self, GPA_HUGE + NPT_2M, NPT_2M);
	inv_page(_metadata, self, GVA_HUGE + 0x123000);
	memset(hva(self, GPA_HUGE + 0x10000), 0, PAGE);
	write_ok(_metadata, self, GVA_HUGE + 0x10000, GPA_HUGE + NPT_2M + 0x10000);
	EXPECT_TRUE(zeroed(hva(self, GPA_HUGE + 0x10000), PAGE));
	/* still two 2 MiB chunks (the same host page twice now) */
	c = ioas_cap(_metadata, self);
	EXPECT_EQ(HUGE_SIZE + PAGE, c.shadow_bytes);
	EXPECT_EQ(2, c.shadow_huge_2m) {
		TH_LOG("shadow_huge_2m %llu after the block was re-shadowed",
		       (unsigned long long)c.shadow_huge_2m);
	}
}

/*
 * A 1 GiB guest block over 8 MiB of stage 2: the part stage 2 maps is
 * shadowed, the rest counted in shadow_skipped_s2, page by page.
 */
TEST_F_TIMEOUT(shadow, block_1g_partial_stage2, 60)
{
	uint64_t off = P(5) - NENV_GPA;

	if (is_vtd(self) && !(self->e.cap.vtd_flags & IOASID_NESTED_VTD_1G))
		SKIP(return, "no 1 GiB first-stage pages");
	map_block(_metadata, self, GVA_1G, NENV_GPA, NPT_1G);
	start(_metadata, self);
	EXPECT_EQ(NENV_SIZE + PAGE, ioas_cap(_metadata, self).shadow_bytes);
	self->want.s2 = (NPT_1G - NENV_SIZE) / PAGE;
	EXPECT_EQ(self->want.s2, ioas_cap(_metadata, self).shadow_skipped_s2);
	write_ok(_metadata, self, GVA_1G + off, P(5));
	WRITE_FAULTS(GVA_1G + 16 * SZ_1M, REC_UNMAPPED, P(5));
}

/*
 * Input addresses the host IOMMU cannot map: in the MSI window (a reserved
 * region of the device's group) and outside the aperture (48 bits): VT-d
 * a canonical upper-half address, SMMU one through TTB1.  Counted in
 * shadow_skipped_range; the rest works.
 */
TEST_F_TIMEOUT(shadow, skipped_range, 60)
{
	struct nenv *e = &self->e;
	struct ioasid_caps caps;
	uint64_t high;
	unsigned int i;

	map_page(_metadata, self, MSI_WINDOW, P(1));
	map_page(_metadata, self, GVA(0), P(3));
	if (is_vtd(self)) {
		high = 0xffff800000000000ULL;
		map_page(_metadata, self, high, P(2));
	} else {
		struct arm_s1 t1;

		high = 0xffff000040000000ULL;
		ASSERT_EQ(0, arm_s1_init(&t1, &e->g, 0x1000, 16));
		ASSERT_NE(NULL, arm_s1_map(&t1, high, P(2), 3, ARM_LEAF_STD));
		e->cd.epd1 = false;
		e->cd.t1sz = 16;
		e->cd.tg1 = SMMU_TG1_4K;
		e->cd.ir1 = SMMU_CACHE_WBRA;
		e->cd.or1 = SMMU_CACHE_WBRA;
		e->cd.sh1 = SMMU_SH_ISH;
		e->cd.ttb1 = t1.root;
	}
	start(_metadata, self);
	/* the window is not usable for the device: the test's assumption */
	test_ioasid_info_pasid(e->t.fd, e->nested, &caps);
	for (i = 0; i < caps.nr_ranges; i++) {
		ASSERT_FALSE(caps.ranges[i].start <= MSI_WINDOW &&
			     MSI_WINDOW <= caps.ranges[i].last);
	}
	EXPECT_EQ(2, ioas_cap(_metadata, self).shadow_skipped_range);
	EXPECT_EQ(2 * PAGE, ioas_cap(_metadata, self).shadow_bytes);
	self->want.range = 2;
	write_ok(_metadata, self, GVA(0), P(3));
	/*
	 * and a device write there reaches nothing (QEMU 7.2's SMMUv3 drops
	 * it without an event, VT-d reports it: the fault count is not checked)
	 */
	write_dropped(_metadata, self, high, P(2));
}

/*
 * Other table geometries: VT-d 5-level tables (an address above 2^47 that
 * the 48-bit host can map works, one above 2^48 is skipped); SMMU 64 KiB
 * granule (a 64 KiB leaf is shadowed whole).
 */
TEST_F_TIMEOUT(shadow, other_geometry, 60)
{
	struct nenv *e = &self->e;
	uint64_t va;

	if (is_vtd(self)) {
		if (!(e->cap.vtd_flags & IOASID_NESTED_VTD_5LVL))
			SKIP(return, "no 5-level first-stage tables");
		ASSERT_EQ(0, vtd_fs_init(&e->fs, &e->g, 5));
		e->pe.fspm = VTD_FSPM_5LVL;
		e->pe.fsptptr = e->fs.root;
		map_page(_metadata, self, GVA_SCR, GPA_SCR);
		va = 0x800012345000ULL;
		map_page(_metadata, self, va, P(1));
		map_page(_metadata, self, 0x1000012345000ULL, P(2));
		start(_metadata, self);
		EXPECT_EQ(1, ioas_cap(_metadata, self).shadow_skipped_range);
		EXPECT_EQ(2 * PAGE, ioas_cap(_metadata, self).shadow_bytes);
		self->want.range = 1;
		write_ok(_metadata, self, va, P(1));
		read_ok(_metadata, self, va, P(1));
	} else {
		const uint64_t g64 = P(16);	/* 64 KiB aligned */

		if (!(e->cap.smmu_granules & IOASID_NESTED_SMMU_GRAN_64K))
			SKIP(return, "no 64 KiB granule");
		ASSERT_EQ(0, g64 & 0xffff);
		ASSERT_EQ(0, arm_s1_init(&e->s1, &e->g, 0x10000, 16));
		e->cd.tg0 = SMMU_TG0_64K;
		e->cd.ttb0 = e->s1.root;
		ASSERT_NE(NULL, arm_s1_map(&e->s1, GVA_SCR, GPA_SCR, 3, ARM_LEAF_STD));
		va = GVA(0);
		ASSERT_NE(NULL, arm_s1_map(&e->s1, va, g64, 3, ARM_LEAF_STD));
		start(_metadata, self);
		EXPECT_EQ(2 * 0x10000, ioas_cap(_metadata, self).shadow_bytes);
		write_ok(_metadata, self, va + 0xf000, g64 + 0xf000);
		read_ok(_metadata, self, va + 0x8000, g64 + 0x8000);
	}
}

/*
 * Stage 1 bypassed for requests without PASID: VT-d a pass-through PASID
 * entry (PGTT 100b), SMMU S1DSS 01 with a CD table (S1CDMax 2): the shadow
 * is stage 2 itself.  REPLACEd with stage 1 (VT-d through the PASID-cache
 * invalidation; SMMU S1DSS 10, CD 0), the guest's table is used.
 */
TEST_F_TIMEOUT(shadow, bypass_and_back, 60)
{
	struct nenv *e = &self->e;
	struct ninv b;

	if (is_vtd(self) && !(e->cap.vtd_flags & IOASID_NESTED_VTD_PT))
		SKIP(return, "no pass-through PASID entries");
	map_page(_metadata, self, GVA(0), P(2));
	if (is_vtd(self)) {
		e->pe.pgtt = VTD_PGTT_PT;
		e->pe.fsptptr = 0;
	} else {
		ASSERT_EQ(0, smmu_cdtab_init(&e->cdt, &e->g, SMMU_S1FMT_LINEAR, 2));
		e->ste.s1ctxptr = e->cdt.base;
		e->ste.s1cdmax = 2;
		e->ste.s1dss = SMMU_S1DSS_BYPASS;
	}
	start(_metadata, self);
	EXPECT_EQ(NENV_SIZE, ioas_cap(_metadata, self).shadow_bytes);
	self->scr_va = GPA_SCR;
	write_ok(_metadata, self, P(1), P(1));
	write_ok(_metadata, self, GPA_SCR + PAGE * 3, P(3));

	ninv_init(&b, e);
	if (is_vtd(self)) {
		e->pe.pgtt = VTD_PGTT_FS;
		e->pe.fsptptr = e->fs.root;
		ASSERT_EQ(0, replace(self));
		ninv_vtd(&b, vtd_inv_pc(VTD_PC_G_PASID, e->pe.did, 0));
		ninv_vtd(&b, vtd_inv_piotlb_pasid(e->pe.did, 0));
	} else {
		e->ste.s1dss = SMMU_S1DSS_SSID0;
		ASSERT_EQ(0, replace(self));
		ninv_smmu(&b, smmu_cmd_tlbi_nh_asid(NENV_VMID, e->cd.asid));
	}
	inv_run(_metadata, self, &b);
	self->scr_va = GVA_SCR;
	EXPECT_EQ(2 * PAGE, ioas_cap(_metadata, self).shadow_bytes);
	write_ok(_metadata, self, GVA(0), P(2));
	WRITE_FAULTS(P(1), REC_UNMAPPED, P(1));
}

/*
 * A leaf table moved: the guest copies its last-level table to another
 * page with one entry changed, points the entry above at the copy and
 * invalidates the 2 MiB it spans (not leaf-only).  The new table is used,
 * and it is the one whose stage-2 UNMAP stops the device.
 */
TEST_F_TIMEOUT(shadow, leaf_table_moved, 60)
{
	struct nenv *e = &self->e;
	struct gmem_override ov;
	uint64_t *up, *pt_a, *pt_b, nt;
	unsigned int tables;

	map_page(_metadata, self, GVA(0), P(1));
	map_page(_metadata, self, GVA(1), P(2));
	nt = gmem_alloc_page(&e->g);
	ASSERT_NE(GMEM_NONE, nt);
	ov.gpa = nt;
	ov.rights = MAP_RW;
	start_ov(_metadata, self, &ov, 1);
	write_ok(_metadata, self, GVA(0), P(1));
	tables = ioas_cap(_metadata, self).shadow_tables;

	up = is_vtd(self) ? vtd_fs_entry_ptr(&e->fs, GVA(0), 2, false) :
			    arm_s1_entry_ptr(&e->s1, GVA(0), 2, false);
	ASSERT_NE(NULL, up);
	pt_a = (uint64_t *)hva(self, *up & (is_vtd(self) ? VTD_FS_ADDR : ARM_OA));
	pt_b = (uint64_t *)hva(self, nt);
	memcpy(pt_b, pt_a, PAGE);
	pt_b[(GVA(0) >> 12) & 511] = nenv_leaf(e, P(3));
	*up = (*up & ~(is_vtd(self) ? VTD_FS_ADDR : ARM_OA)) | nt;
	inv_range(_metadata, self, GVA(0) & ~(NPT_2M - 1), 9);
	EXPECT_EQ(tables, ioas_cap(_metadata, self).shadow_tables);
	memset(hva(self, P(1)), 0, PAGE);
	write_ok(_metadata, self, GVA(0), P(3));
	write_ok(_metadata, self, GVA(1), P(2));
	EXPECT_TRUE(zeroed(hva(self, P(1)), PAGE));

	ASSERT_EQ(0, sw_unmap(e->t.fd, e->parent, nt, PAGE));
	WRITE_FAULTS(GVA(0), REC_UNMAPPED, P(1), P(3));
	WRITE_FAULTS(GVA(1), REC_UNMAPPED, P(2));
}

/*
 * Changes while no device is attached (the page table stays, idle, kept
 * in sync: hwpt.c): a PTE rewritten and invalidated, a new page mapped and
 * invalidated, a data page unmapped from stage 2.  ALLOWed again, the
 * device sees exactly the new state.
 */
TEST_F_TIMEOUT(shadow, detached_changes, 60)
{
	struct gmem_override ov = { P(5), MAP_RW };
	struct nenv *e = &self->e;
	uint64_t *leaf;
	int rc;

	leaf = map_page(_metadata, self, GVA(0), P(1));
	map_page(_metadata, self, GVA(2), P(5));
	start_ov(_metadata, self, &ov, 1);
	write_ok(_metadata, self, GVA(0), P(1));
	ASSERT_EQ(0, vfio_edu_disallow(&self->edu, e->nested, 0));

	*leaf = nenv_leaf(e, P(2));
	map_page(_metadata, self, GVA(1), P(3));
	inv_everything(_metadata, self);
	ASSERT_EQ(0, sw_unmap(e->t.fd, e->parent, P(5), PAGE));
	rc = nested_allow(self->edu.device, e->t.fd, e->nested, 0, 0, COOKIE);
	ASSERT_EQ(0, rc) {
		TH_LOG("ALLOW again: %s", strerror(-rc));
	}
	memset(hva(self, P(1)), 0, PAGE);
	write_ok(_metadata, self, GVA(0), P(2));
	write_ok(_metadata, self, GVA(1), P(3));
	EXPECT_TRUE(zeroed(hva(self, P(1)), PAGE));
	WRITE_FAULTS(GVA(2), REC_UNMAPPED, P(5));
	EXPECT_EQ(3 * PAGE, ioas_cap(_metadata, self).shadow_bytes);
}

/*
 * A guest page in the MSI window, mapped and invalidated while no device
 * is attached: at the first ALLOW such a page is skipped and counted
 * (skipped_range); it must be the same at the next one: ALLOW works, the
 * page is counted, the rest translates.
 */
TEST_F_TIMEOUT(shadow, detached_msi_window, 60)
{
	struct nenv *e = &self->e;
	struct ioasid_info_cap_nested_ioas c;
	int rc;

	map_page(_metadata, self, GVA(0), P(1));
	start(_metadata, self);
	write_ok(_metadata, self, GVA(0), P(1));
	ASSERT_EQ(0, vfio_edu_disallow(&self->edu, e->nested, 0));
	map_page(_metadata, self, MSI_WINDOW, P(2));
	inv_page(_metadata, self, MSI_WINDOW);
	rc = nested_allow(self->edu.device, e->t.fd, e->nested, 0, 0, COOKIE);
	c = ioas_cap(_metadata, self);
	ASSERT_EQ(0, rc) {
		TH_LOG("ALLOW again: %s (shadow_bytes %llu, skipped_range %llu)",
		       strerror(-rc), (unsigned long long)c.shadow_bytes,
		       (unsigned long long)c.shadow_skipped_range);
	}
	EXPECT_EQ(2 * PAGE, c.shadow_bytes);
	EXPECT_EQ(1, c.shadow_skipped_range);
	self->want.range = 1;
	write_ok(_metadata, self, GVA(0), P(1));
}

/*
 * The guest tears its context down: VT-d a PASID entry cleared (Linux
 * zeroes it) and the PASID-cache invalidation of the old entry, which
 * names its DID; SMMU an STE that aborts.  From then on nothing
 * translates (the software walker on the same IOASID agrees).
 */
TEST_F_TIMEOUT(shadow, replace_clear_context, 60)
{
	struct nenv *e = &self->e;
	struct ioasid_test_dma d = {};
	uint16_t old_did = e->pe.did;
	uint8_t buf[64];
	struct ninv b;
	int sw;

	map_page(_metadata, self, GVA(0), P(1));
	start(_metadata, self);
	sw = sw_dev_create(0);
	ASSERT_LE(0, sw);
	ASSERT_EQ(0, sw_allow(sw, e->t.fd, e->nested, 0, 0));
	write_ok(_metadata, self, GVA(0), P(1));
	if (is_vtd(self)) {
		memset(&e->pe, 0, sizeof(e->pe));
		ASSERT_EQ(0, replace(self));
		ninv_init(&b, e);
		ninv_vtd(&b, vtd_inv_pc(VTD_PC_G_PASID, old_did, 0));
		inv_run(_metadata, self, &b);
	} else {
		e->ste.config = SMMU_CONFIG_ABORT;
		ASSERT_EQ(0, replace(self));
	}
	ASSERT_EQ(0, sw_dma(sw, -1, 0, GVA(0), buf, sizeof(buf), &d));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	drain_records(self, 0);
	WRITE_FAULTS(GVA(0), REC_ANY, P(1));
	EXPECT_EQ(0, ioas_cap(_metadata, self).shadow_bytes);
}

/*
 * The bound on reverse-map records (module parameter shadow_max_records):
 * what does not fit is left unmapped and counted in skipped_limit, never
 * stale; with room again, an invalidation shadows it.
 */
TEST_F_TIMEOUT(shadow, record_limit, 60)
{
	struct ioasid_info_cap_nested_ioas c;
	int i;

	ASSERT_EQ(0, param_read("shadow_max_records", &self->max_records));
	self->max_records_saved = true;
	/* eight runs: not contiguous in guest-physical addresses */
	for (i = 0; i < 8; i++)
		map_page(_metadata, self, GVA(i), P(1 + 2 * i));
	/* the scratch page and its 4 tables, 2 more tables, 3 of the 8 runs */
	ASSERT_EQ(0, param_write("shadow_max_records", 10));
	start(_metadata, self);
	c = ioas_cap(_metadata, self);
	EXPECT_LT(0, c.shadow_skipped_limit);
	EXPECT_GT(8, c.shadow_skipped_limit);
	/* the header: skipped_limit counts guest pages not shadowed */
	EXPECT_EQ(9 * PAGE, c.shadow_bytes + c.shadow_skipped_limit * PAGE) {
		TH_LOG("shadow_bytes %llu, shadow_skipped_limit %llu: 9 pages mapped",
		       (unsigned long long)c.shadow_bytes,
		       (unsigned long long)c.shadow_skipped_limit);
	}
	EXPECT_GE(10, c.shadow_runs + c.shadow_tables);
	self->want.limit = c.shadow_skipped_limit;
	write_ok(_metadata, self, GVA(0), P(1));
	WRITE_FAULTS(GVA(7), REC_LAGS, P(15));

	ASSERT_EQ(0, param_write("shadow_max_records", self->max_records));
	inv_everything(_metadata, self);
	EXPECT_EQ(self->want.limit, ioas_cap(_metadata, self).shadow_skipped_limit);
	EXPECT_EQ(9 * PAGE, ioas_cap(_metadata, self).shadow_bytes);
	write_ok(_metadata, self, GVA(7), P(15));
}

/*
 * SMMUv3 hosts report the shadow's faults: the record of a nested IOASID
 * says which stage faulted (the header: 1 the guest's table, 2 the
 * parent; 0 only for IOASIDs that are not nested).
 */
TEST_F_TIMEOUT(shadow, fault_record_stage, 60)
{
	struct gmem_override ov = { P(2), IOASID_MAP_READ };
	uint64_t *leaf;

	/*
	 * VT-d on 6.1 only logs its faults (dmar_fault() reports to no
	 * domain handler): the DMAs must still fail, and no record come.
	 */
	leaf = map_page(_metadata, self, GVA(0), P(1));
	*leaf = leaf_rw(self, P(1), false);
	map_page(_metadata, self, GVA(1), P(2));
	start_ov(_metadata, self, &ov, 1);
	WRITE_FAULTS(GVA(0), REC_PERM, P(1));
	if (self->records) {
		EXPECT_EQ(1, self->rec.stage);
		/* the leaf: VT-d's PT is level 1, VMSAv8's level 3 */
		EXPECT_EQ(is_vtd(self) ? 1 : 3, self->rec.level);
	}
	WRITE_FAULTS(GVA(1), REC_PERM, P(2));
	if (self->records) {
		EXPECT_EQ(2, self->rec.stage);
		EXPECT_EQ(P(2), self->rec.stage2_addr);
	}
}

/*
 * Two edu devices allowed at RID on the one nested IOASID share its
 * shadow: both translate, an invalidation reaches both, a stage-2 UNMAP
 * stops both, and one device's DISALLOW leaves the other working.
 */
TEST_F_TIMEOUT(shadow, two_devices, 60)
{
	struct gmem_override ov = { P(1), MAP_RW };
	struct vfio_edu one, two;
	uint64_t *leaf;
	int rc;

	if (nr_edu < 2)
		SKIP(return, "one edu device");
	leaf = map_page(_metadata, self, GVA(0), P(1));
	map_page(_metadata, self, GVA(1), P(2));
	start_ov(_metadata, self, &ov, 1);
	one = self->edu;
	vfio_edu_init(&two);
	rc = vfio_edu_open(&two, edu_bdfs[1], EDU_DRIVER_IOASID,
			   IOASID_VFIO_IOMMU_TYPE);
	ASSERT_EQ(0, rc);
	rc = nested_allow(two.device, self->e.t.fd, self->e.nested, 0, 0, COOKIE);
	ASSERT_EQ(0, rc) {
		TH_LOG("ALLOW of a second device: %s", strerror(-rc));
	}
	write_ok(_metadata, self, GVA(1), P(2));
	use_dev(self, &two);
	write_ok(_metadata, self, GVA(0), P(1));

	*leaf = nenv_leaf(&self->e, P(3));
	inv_page(_metadata, self, GVA(0));
	write_ok(_metadata, self, GVA(0), P(3));
	use_dev(self, &one);
	write_ok(_metadata, self, GVA(0), P(3));

	*leaf = nenv_leaf(&self->e, P(1));
	inv_page(_metadata, self, GVA(0));
	ASSERT_EQ(0, sw_unmap(self->e.t.fd, self->e.parent, P(1), PAGE));
	WRITE_FAULTS(GVA(0), REC_UNMAPPED, P(1));
	use_dev(self, &two);
	WRITE_FAULTS(GVA(0), REC_UNMAPPED, P(1));

	ASSERT_EQ(0, vfio_edu_disallow(&one, self->e.nested, 0));
	write_ok(_metadata, self, GVA(1), P(2));
	vfio_edu_close(&two);
	self->edu = one;
}

/* ------------------------------------------------------------------------
 * At the end: nothing left, nothing in the kernel log
 */

FIXTURE(end) {
	int unused;
};

FIXTURE_SETUP(end)
{
}

FIXTURE_TEARDOWN(end)
{
}

TEST_F(end, counters_idle)
{
	ASSERT_EQ(0, counters_available());
	ASSERT_COUNTERS_IDLE();
}

EDU_KERNEL_LOG_CLEAN_TEST("53_nested_shadow")

TEST_HARNESS_MAIN
