/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture shared by 51_nested_vtd and 52_nested_smmu, and the checks
 * that read the same in both formats.
 *
 * A struct nenv is one test's world: a /dev/ioasid fd (with the counter
 * baseline and kernel-log watch of ioasid_utils.h's tctx), a software
 * device with 20 PASID bits, a stage-2 parent IOASID, a nested IOASID,
 * 8 MiB of guest memory at GPA 0x40000000 (mapped into the parent at
 * IOVA = GPA by nenv_start()), and one fault queue that both IOASIDs
 * report to.  The format's standard stage 1 is set up but not bound:
 *
 *   VT-d   a 4-level first-stage table; PASID entry P, PGTT 001, DID 5,
 *          PWSNP; the device allowed at the nested IOASID's PASID, which
 *          the DMAs carry.
 *   SMMU   a linear table of 16 CDs; CD 1: 4K granule, T0SZ 16, ASID 1,
 *          AA64, IPS 48 (or the CAP's OAS); STE V, Config 101, S1CDMax 4,
 *          S1DSS 10; the device allowed at RID; DMAs carry SSID 1.
 *
 * Tests change the defaults (e->pe, e->ste, e->cd, ...) before
 * nenv_start(), or build their own entries.  The nt_*() functions are the
 * tests common to both formats; each file wraps them in TEST_F().
 *
 * Include after kselftest_harness.h.
 */
#ifndef __IOASID_NESTED_ENV_H
#define __IOASID_NESTED_ENV_H

#include <pthread.h>

#include "swdev.h"
#include "nested_pt.h"

#define NENV_GPA	0x40000000ULL	/* 1 GiB aligned, below 4 GiB */
#define NENV_SIZE	(8 * SZ_1M)
#define NENV_ALLOC	(4 * SZ_1M)	/* tables come from the first half */
#define NENV_FIXED	(NENV_GPA + NENV_ALLOC)	/* pages placed by the tests */
#define NENV_COOKIE	0xc0ffee11ULL
#define NENV_DID	5
#define NENV_SSID	1
#define NENV_ASID	1
/*
 * The StreamID a guest writes in its CFGI_CD / ATC_INV commands.  Assumed
 * ignored (the header is silent): the VMM routes a command to the nested
 * IOASID of its stream, so the IOASID is the stream.
 */
#define NENV_SID	0x10
#define NENV_VMID	0	/* a stage-1-only guest SMMU writes VMID 0 */

/* Guest-virtual addresses of the common tests: each in a PML4 / L0 entry of its own */
#define NVA(n)		(0x10000000000ULL * (n) + 0x40000000ULL)

struct nenv {
	struct ioasid_tctx t;
	int dev;		/* software device, 20 PASID bits */
	int qfd;		/* fault queue of the nested IOASID and the parent */
	uint32_t parent, nested;
	uint32_t format;
	struct gmem g;
	struct ioasid_info_cap_nested cap;
	int64_t dma_pasid;	/* the PASID (SSID) the DMAs carry, -1 none */
	bool started;
	/* VT-d */
	struct vtd_fs fs;
	struct vtd_pe_cfg pe;
	/* SMMUv3 */
	struct smmu_ste_cfg ste;
	struct smmu_cdtab cdt;
	struct arm_s1 s1;
	struct smmu_cd_cfg cd;	/* CD NENV_SSID */
};

static inline bool nenv_vtd(const struct nenv *e)
{
	return e->format == IOASID_NESTED_FMT_VTD_FS;
}

/* Data pages at fixed guest-physical addresses: page @n of the second half */
static inline uint64_t nenv_page(unsigned int n)
{
	return NENV_FIXED + NPT_4K * n;
}

static inline void *nenv_hva(const struct nenv *e, uint64_t gpa)
{
	return gmem_ptr(&e->g, gpa);
}

/* The CD an SMMU test starts from: @ttb0, @asid, 4K granule, 48-bit VA */
static inline void nenv_smmu_std_cd(const struct nenv *e, struct smmu_cd_cfg *cd,
				    uint64_t ttb0, uint16_t asid)
{
	unsigned int oas = e->cap.smmu_oas;

	memset(cd, 0, sizeof(*cd));
	cd->t0sz = 16;
	cd->tg0 = SMMU_TG0_4K;
	cd->ir0 = SMMU_CACHE_WBRA;
	cd->or0 = SMMU_CACHE_WBRA;
	cd->sh0 = SMMU_SH_ISH;
	cd->epd1 = true;
	cd->v = true;
	cd->ips = smmu_ips_of(oas >= 48 || smmu_ips_of(oas) == 0xff ? 48 : oas);
	cd->aa64 = true;
	cd->r = true;
	cd->a = true;
	cd->aset = true;
	cd->asid = asid;
	cd->ttb0 = ttb0;
	cd->mair = 0xff;	/* Attr0: Normal, write-back */
}

static inline void nenv_setup(struct __test_metadata *_metadata, struct nenv *e,
			      uint32_t format)
{
	memset(e, 0, sizeof(*e));
	e->dev = -1;
	e->qfd = -1;
	e->format = format;
	tctx_setup(_metadata, &e->t);
	e->dev = sw_dev_create(20);
	ASSERT_LE(0, e->dev) {
		TH_LOG("no software device (%d): is ioasidfd_test loaded?", e->dev);
	}
	ASSERT_EQ(0, nested_cap(e->t.fd, &e->cap)) {
		TH_LOG("GET_INFO has no IOASID_INFO_CAP_NESTED");
	}
	ASSERT_EQ(1, e->cap.header.version);
	ASSERT_TRUE(e->cap.formats & (1U << format)) {
		TH_LOG("format %u not in IOASID_INFO_CAP_NESTED (%#x)", format,
		       e->cap.formats);
	}
	ASSERT_EQ(0, sw_alloc(e->t.fd, &e->parent));
	ASSERT_EQ(0, sw_alloc(e->t.fd, &e->nested));
	ASSERT_EQ(0, gmem_init(&e->g, NENV_GPA, NENV_SIZE, NENV_ALLOC));
	e->qfd = sw_fault_queue(e->t.fd, 0);
	ASSERT_LE(0, e->qfd);
	/* wherever the kernel reports a stage-2 fault, this queue gets it */
	ASSERT_EQ(0, sw_route(e->t.fd, e->nested, e->qfd));
	ASSERT_EQ(0, sw_route(e->t.fd, e->parent, e->qfd));

	if (nenv_vtd(e)) {
		ASSERT_EQ(0, vtd_fs_init(&e->fs, &e->g, 4));
		e->pe.p = true;
		e->pe.pgtt = VTD_PGTT_FS;
		e->pe.did = NENV_DID;
		e->pe.pwsnp = true;
		e->pe.fspm = VTD_FSPM_4LVL;
		e->pe.fsptptr = e->fs.root;
		e->dma_pasid = e->nested;
	} else {
		ASSERT_EQ(0, smmu_cdtab_init(&e->cdt, &e->g, SMMU_S1FMT_LINEAR, 4));
		ASSERT_EQ(0, arm_s1_init(&e->s1, &e->g, 0x1000, 16));
		nenv_smmu_std_cd(e, &e->cd, e->s1.root, NENV_ASID);
		e->ste.v = true;
		e->ste.config = SMMU_CONFIG_S1;
		e->ste.s1fmt = SMMU_S1FMT_LINEAR;
		e->ste.s1ctxptr = e->cdt.base;
		e->ste.s1cdmax = 4;
		e->ste.s1dss = SMMU_S1DSS_SSID0;
		e->ste.s1cir = SMMU_CACHE_WBRA;
		e->ste.s1cor = SMMU_CACHE_WBRA;
		e->ste.s1csh = SMMU_SH_ISH;
		e->dma_pasid = NENV_SSID;
	}
}

static inline void nenv_teardown(struct __test_metadata *_metadata, struct nenv *e)
{
	/* closes every fd (device, queue, /dev/ioasid), checks the counters */
	tctx_teardown(_metadata, &e->t);
	gmem_free(&e->g);
}

/* The bind data of the current defaults; returns its length */
static inline uint32_t nenv_data(const struct nenv *e, void *buf)
{
	if (nenv_vtd(e)) {
		struct ioasid_nested_vtd *d = buf;

		vtd_pe_encode((uint64_t *)d->pasid_entry, &e->pe);
		return sizeof(*d);
	} else {
		struct ioasid_nested_smmuv3 *d = buf;

		smmu_ste_encode((uint64_t *)d->ste, &e->ste);
		return sizeof(*d);
	}
}

/* Binds raw bind data (a struct of the format) to @pasid over the parent */
static inline int nenv_bind_raw(struct nenv *e, uint32_t pasid, const void *data,
				uint32_t flags)
{
	return nested_bind(e->t.fd, pasid, e->parent, e->format, data,
			   nenv_vtd(e) ? sizeof(struct ioasid_nested_vtd) :
					 sizeof(struct ioasid_nested_smmuv3),
			   flags);
}

static inline int nenv_bind(struct nenv *e, uint32_t flags)
{
	uint64_t data[8];

	nenv_data(e, data);
	return nenv_bind_raw(e, e->nested, data, flags);
}

/* Binds, and unbinds again on success: the IOASID is left as it was */
static inline int nenv_try_bind_raw(struct nenv *e, const void *data)
{
	int rc = nenv_bind_raw(e, e->nested, data, 0);

	if (!rc && nested_unbind(e->t.fd, e->nested))
		return -EIO;
	return rc;
}

static inline int nenv_try_bind(struct nenv *e)
{
	uint64_t data[8];

	nenv_data(e, data);
	return nenv_try_bind_raw(e, data);
}

/* Writes CD @ssid of the CD table */
static inline void nenv_write_cd(struct __test_metadata *_metadata, struct nenv *e,
				 uint32_t ssid, const struct smmu_cd_cfg *cd)
{
	uint64_t *p = smmu_cdtab_cd(&e->cdt, ssid);

	ASSERT_NE(NULL, p);
	smmu_cd_encode(p, cd);
}

/* Allows the device the standard way: VT-d at the IOASID's PASID, SMMU at RID */
static inline int nenv_allow(struct nenv *e)
{
	return sw_allow(e->dev, e->t.fd, e->nested,
			nenv_vtd(e) ? IOASID_DEVICE_PASID : 0, NENV_COOKIE);
}

static inline int nenv_disallow(struct nenv *e)
{
	return nenv_vtd(e) ? sw_disallow(e->dev, e->nested, IOASID_DEVICE_PASID) :
			     sw_disallow(e->dev, e->nested, 0);
}

/*
 * Maps the guest memory into the parent (with the @n overrides of @ov),
 * writes the SMMU's CD, binds the defaults and allows the device.
 */
static inline void nenv_start_ov(struct __test_metadata *_metadata, struct nenv *e,
				 const struct gmem_override *ov, unsigned int n)
{
	int rc;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, ov, n));
	if (!nenv_vtd(e))
		nenv_write_cd(_metadata, e, NENV_SSID, &e->cd);
	rc = nenv_bind(e, 0);
	ASSERT_EQ(0, rc) {
		TH_LOG("bind of the standard entry: %s", strerror(-rc));
	}
	ASSERT_EQ(0, nenv_allow(e));
	e->started = true;
}

static inline void nenv_start(struct __test_metadata *_metadata, struct nenv *e)
{
	nenv_start_ov(_metadata, e, NULL, 0);
}

/* ------------------------------------------------------------------------
 * Stage-1 mappings, format-neutral (4 KiB pages)
 */

/* The level of a 4K leaf, and of the first table of a walk */
static inline int nenv_leaf_level(const struct nenv *e)
{
	return nenv_vtd(e) ? 1 : 3;
}

static inline int nenv_top_level(const struct nenv *e)
{
	return nenv_vtd(e) ? e->fs.levels : e->s1.start;
}

/* The standard 4K leaf for @gpa: VT-d R/W + U/S; SMMU ARM_LEAF_STD */
static inline uint64_t nenv_leaf(const struct nenv *e, uint64_t gpa)
{
	return nenv_vtd(e) ? vtd_fs_entry(gpa, VTD_FS_P | VTD_FS_RW | VTD_FS_US) :
			     arm_leaf_desc(3, gpa, ARM_LEAF_STD);
}

/* Maps @va -> @gpa with the standard 4K leaf; returns the leaf */
static inline uint64_t *nenv_map(struct __test_metadata *_metadata, struct nenv *e,
				 uint64_t va, uint64_t gpa)
{
	uint64_t *leaf = nenv_vtd(e) ?
		vtd_fs_entry_ptr(&e->fs, va, 1, true) :
		arm_s1_entry_ptr(&e->s1, va, 3, true);

	ASSERT_NE(NULL, leaf) {
		TH_LOG("guest memory exhausted mapping %#llx", (unsigned long long)va);
	}
	*leaf = nenv_leaf(e, gpa);
	return leaf;
}

/* GPA of the entry at @level that translates @va */
static inline uint64_t nenv_entry_gpa(struct nenv *e, uint64_t va, int level)
{
	return nenv_vtd(e) ? vtd_fs_entry_gpa(&e->fs, va, level) :
			     arm_s1_entry_gpa(&e->s1, va, level);
}

/* The 4 KiB guest page holding @va's leaf entry */
static inline uint64_t nenv_leaf_page(struct nenv *e, uint64_t va)
{
	return nenv_entry_gpa(e, va, nenv_leaf_level(e)) & ~(NPT_4K - 1);
}

/* ------------------------------------------------------------------------
 * Invalidation batches
 */

#define NINV_MAX	64

struct ninv {
	uint32_t entry_len;
	uint32_t n;
	union {
		struct vtd_inv vtd[NINV_MAX];
		struct smmu_cmd smmu[NINV_MAX];
	};
};

static inline void ninv_init(struct ninv *b, const struct nenv *e)
{
	memset(b, 0, sizeof(*b));
	b->entry_len = nenv_vtd(e) ? sizeof(struct vtd_inv) : sizeof(struct smmu_cmd);
}

static inline void ninv_vtd(struct ninv *b, struct vtd_inv d)
{
	if (b->n < NINV_MAX)
		b->vtd[b->n++] = d;
}

static inline void ninv_smmu(struct ninv *b, struct smmu_cmd c)
{
	if (b->n < NINV_MAX)
		b->smmu[b->n++] = c;
}

/* An entry of b->entry_len bytes, as the guest wrote it */
static inline void ninv_raw(struct ninv *b, const void *entry)
{
	if (b->n < NINV_MAX)
		memcpy((char *)b->vtd + (size_t)b->n++ * b->entry_len, entry,
		       b->entry_len);
}

/*
 * The PASID in VT-d descriptors: the one the requests carry; requests
 * without PASID are tagged RID_PASID, assumed 0 as Linux programs it (the
 * header is silent).
 */
static inline uint32_t nenv_inv_pasid(const struct nenv *e)
{
	return e->dma_pasid >= 0 ? (uint32_t)e->dma_pasid : 0;
}

/* What a guest issues after changing one 4K leaf of @va */
static inline void ninv_page(struct ninv *b, const struct nenv *e, uint64_t va)
{
	if (nenv_vtd(e))
		ninv_vtd(b, vtd_inv_piotlb_page(e->pe.did, nenv_inv_pasid(e), va, 0, false));
	else
		ninv_smmu(b, smmu_cmd_tlbi_nh_va(NENV_VMID, e->cd.asid, va, false, NULL));
}

/* Everything the nested IOASID translates: P_IOTLB PASID-selective, TLBI_NH_ALL */
static inline void ninv_all(struct ninv *b, const struct nenv *e)
{
	if (nenv_vtd(e))
		ninv_vtd(b, vtd_inv_piotlb_pasid(e->pe.did, nenv_inv_pasid(e)));
	else
		ninv_smmu(b, smmu_cmd_tlbi_nh_all(NENV_VMID));
}

/* The guest's completion: an invalidation wait / CMD_SYNC */
static inline void ninv_sync(struct ninv *b, const struct nenv *e)
{
	if (nenv_vtd(e))
		ninv_vtd(b, vtd_inv_wait(false, false, false, false, 0, 0));
	else
		ninv_smmu(b, smmu_cmd_sync(0));
}

static inline int ninv_run(struct nenv *e, const struct ninv *b, uint32_t *done,
			   uint32_t *err)
{
	return nested_invalidate(e->t.fd, e->nested, b->vtd, b->entry_len, b->n,
				 done, err);
}

/* Runs @b, which must succeed as a whole */
static inline void ninv_ok(struct __test_metadata *_metadata, struct nenv *e,
			   const struct ninv *b)
{
	uint32_t done, err;
	int rc = ninv_run(e, b, &done, &err);

	ASSERT_EQ(0, rc) {
		TH_LOG("invalidation of %u entries: %s (done %u, error %u)",
		       b->n, strerror(-rc), done, err);
	}
	ASSERT_EQ(b->n, done);
}

static inline void nenv_inv_page(struct __test_metadata *_metadata, struct nenv *e,
				 uint64_t va)
{
	struct ninv b;

	ninv_init(&b, e);
	ninv_page(&b, e, va);
	ninv_sync(&b, e);
	ninv_ok(_metadata, e, &b);
}

static inline void nenv_inv_all(struct __test_metadata *_metadata, struct nenv *e)
{
	struct ninv b;

	ninv_init(&b, e);
	ninv_all(&b, e);
	ninv_sync(&b, e);
	ninv_ok(_metadata, e, &b);
}

/* ------------------------------------------------------------------------
 * DMA
 */

static inline int nenv_dma(struct nenv *e, uint32_t flags, uint64_t va, void *buf,
			   uint64_t len, struct ioasid_test_dma *d)
{
	return sw_dma(e->dev, e->dma_pasid, flags, va, buf, len, d);
}

/* How a small DMA at @va ends (IOASID_TEST_DMA_*), ~0 if the ioctl failed */
static inline uint32_t nenv_dma_status(struct nenv *e, uint32_t flags, uint64_t va)
{
	struct ioasid_test_dma d = {};
	char buf[64] = { 0x33 };

	if (nenv_dma(e, flags, va, buf, sizeof(buf), &d))
		return ~0U;
	return d.out_status;
}

#define NBUF	(4 * SW_PAGE)

/* A DMA write of @len bytes (pattern @seed) at @va that must land at @gpa */
static inline void nenv_write_ok(struct __test_metadata *_metadata, struct nenv *e,
				 uint32_t flags, uint64_t va, uint64_t gpa,
				 uint64_t len, unsigned int seed)
{
	static char buf[NBUF];
	struct ioasid_test_dma d = {};

	ASSERT_GE(sizeof(buf), len);
	sw_fill(buf, len, seed);
	ASSERT_EQ(0, nenv_dma(e, flags | IOASID_TEST_DMA_WRITE, va, buf, len, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status) {
		TH_LOG("write at %#llx: status %u, reason %u at %#llx",
		       (unsigned long long)va, d.out_status, d.out_fault_reason,
		       (unsigned long long)d.out_fault_addr);
	}
	ASSERT_EQ(len, d.out_done);
	ASSERT_NE(NULL, nenv_hva(e, gpa));
	ASSERT_TRUE(sw_check(nenv_hva(e, gpa), len, seed)) {
		TH_LOG("write at %#llx did not land at GPA %#llx",
		       (unsigned long long)va, (unsigned long long)gpa);
	}
}

/* A DMA read of @len bytes at @va that must return what is at @gpa */
static inline void nenv_read_ok(struct __test_metadata *_metadata, struct nenv *e,
				uint32_t flags, uint64_t va, uint64_t gpa,
				uint64_t len, unsigned int seed)
{
	static char buf[NBUF];
	struct ioasid_test_dma d = {};

	ASSERT_GE(sizeof(buf), len);
	ASSERT_NE(NULL, nenv_hva(e, gpa));
	sw_fill(nenv_hva(e, gpa), len, seed);
	memset(buf, 0, len);
	ASSERT_EQ(0, nenv_dma(e, flags, va, buf, len, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status) {
		TH_LOG("read at %#llx: status %u, reason %u at %#llx",
		       (unsigned long long)va, d.out_status, d.out_fault_reason,
		       (unsigned long long)d.out_fault_addr);
	}
	ASSERT_EQ(len, d.out_done);
	ASSERT_TRUE(sw_check(buf, len, seed)) {
		TH_LOG("read at %#llx did not come from GPA %#llx",
		       (unsigned long long)va, (unsigned long long)gpa);
	}
}

/*
 * Which of the @n guest pages @gpas a 64-byte read at @va comes from (each
 * is filled with its own pattern first): its index, -1 for none, -2 if the
 * DMA failed.
 */
static inline int nenv_reads_from(struct nenv *e, uint64_t va, const uint64_t *gpas,
				  int n)
{
	struct ioasid_test_dma d = {};
	char buf[64];
	int i;

	for (i = 0; i < n; i++)
		sw_fill(nenv_hva(e, gpas[i]), SW_PAGE, 100 + i);
	if (nenv_dma(e, 0, va, buf, sizeof(buf), &d) ||
	    d.out_status != IOASID_TEST_DMA_OK)
		return -2;
	for (i = 0; i < n; i++)
		if (sw_check(buf, sizeof(buf), 100 + i))
			return i;
	return -1;
}

#define EXPECT_READS_FROM(_e, _va, _want, ...) do {			\
	const uint64_t __g[] = { __VA_ARGS__ };				\
	int __r = nenv_reads_from((_e), (_va), __g, ARRAY_SIZE(__g));	\
									\
	EXPECT_EQ((_want), __r) {					\
		TH_LOG("read at %#llx: from page #%d, expected #%d",	\
		       (unsigned long long)(_va), __r, (int)(_want));	\
	}								\
} while (0)

/*
 * A 64-byte DMA at @va (page aligned) that must fault there with @reason
 * and move nothing.  Returns how the DMA ended.
 */
static inline void nenv_dma_faults(struct __test_metadata *_metadata, struct nenv *e,
				   uint32_t flags, uint64_t va, uint32_t reason)
{
	struct ioasid_test_dma d = {};
	char buf[64];

	memset(buf, 0x77, sizeof(buf));
	ASSERT_EQ(0, nenv_dma(e, flags, va, buf, sizeof(buf), &d));
	ASSERT_EQ(IOASID_TEST_DMA_FAULT, d.out_status) {
		TH_LOG("DMA at %#llx (flags %#x) did not fault (status %u)",
		       (unsigned long long)va, flags, d.out_status);
	}
	EXPECT_EQ(reason, d.out_fault_reason);
	EXPECT_EQ(va, d.out_fault_addr);
	EXPECT_EQ(0, d.out_done);
}

/* ------------------------------------------------------------------------
 * Fault records
 */

struct nfault {
	uint32_t reason;
	uint8_t stage;
	int level;		/* -1: not checked */
	uint64_t addr;		/* the input address (page) */
	uint64_t s2addr;	/* with stage 2 */
	bool walk;		/* IOASID_FAULT_TABLE_WALK */
	bool any_rw;		/* READ / WRITE not checked */
};

#define NFAULT_FLAGS	(IOASID_FAULT_RECOVERABLE | IOASID_FAULT_PASID_VALID | \
			 IOASID_FAULT_READ | IOASID_FAULT_WRITE | \
			 IOASID_FAULT_PRIV | IOASID_FAULT_TABLE_WALK)

/* The flags a record of a DMA with @dma_flags carries */
static inline uint32_t nenv_fault_flags(const struct nenv *e, uint32_t dma_flags,
					bool walk)
{
	return (dma_flags & IOASID_TEST_DMA_WRITE ? IOASID_FAULT_WRITE : IOASID_FAULT_READ) |
	       (dma_flags & IOASID_TEST_DMA_PRIV ? IOASID_FAULT_PRIV : 0) |
	       (dma_flags & IOASID_TEST_DMA_RECOVERABLE ? IOASID_FAULT_RECOVERABLE : 0) |
	       (e->dma_pasid >= 0 ? IOASID_FAULT_PASID_VALID : 0) |
	       (walk ? IOASID_FAULT_TABLE_WALK : 0);
}

/* Checks a record against @w for a DMA with @dma_flags */
static inline void nenv_check_record(struct __test_metadata *_metadata,
				     struct nenv *e, const struct ioasid_fault *f,
				     uint32_t dma_flags, const struct nfault *w)
{
	uint32_t mask = NFAULT_FLAGS & ~(w->any_rw ? IOASID_FAULT_READ |
					 IOASID_FAULT_WRITE : 0);

	EXPECT_EQ(sizeof(*f), f->size);
	EXPECT_EQ(w->reason, f->reason);
	EXPECT_EQ(e->nested, f->pasid);
	EXPECT_EQ(NENV_COOKIE, f->cookie);
	EXPECT_EQ(w->addr & ~(NPT_4K - 1), f->addr);
	EXPECT_EQ(w->stage, f->stage);
	if (w->level >= 0) {
		EXPECT_EQ(w->level, f->level);
	}
	if (w->stage == 2) {
		EXPECT_EQ(w->s2addr, f->stage2_addr);
	}
	EXPECT_EQ(nenv_fault_flags(e, dma_flags, w->walk) & mask, f->flags & mask) {
		TH_LOG("record flags %#x", f->flags);
	}
	EXPECT_EQ(e->dma_pasid >= 0 ? (uint32_t)e->dma_pasid : 0, f->wire_pasid);
	EXPECT_EQ(0, f->__reserved);
}

/* Reads exactly one record and checks it */
static inline void nenv_expect_record(struct __test_metadata *_metadata,
				      struct nenv *e, uint32_t dma_flags,
				      const struct nfault *w)
{
	struct ioasid_fault f;
	int rc = nested_read_fault(e->qfd, &f, 2000);

	ASSERT_EQ(0, rc) {
		TH_LOG("no fault record (%s)", strerror(-rc));
	}
	nenv_check_record(_metadata, e, &f, dma_flags, w);
	EXPECT_EQ(-EAGAIN, nested_read_fault(e->qfd, &f, 0)) {
		TH_LOG("a second record: reason %u stage %u", f.reason, f.stage);
	}
}

static inline void nenv_expect_no_record(struct __test_metadata *_metadata,
					 struct nenv *e)
{
	struct ioasid_fault f;

	EXPECT_EQ(-EAGAIN, nested_read_fault(e->qfd, &f, 0)) {
		TH_LOG("unexpected record: reason %u stage %u addr %#llx",
		       f.reason, f.stage, (unsigned long long)f.addr);
	}
}

/* A DMA at @va that faults as @w says, with its record */
static inline void nenv_fault(struct __test_metadata *_metadata, struct nenv *e,
			      uint32_t dma_flags, uint64_t va, const struct nfault *w)
{
	nenv_dma_faults(_metadata, e, dma_flags, va, w->reason);
	nenv_expect_record(_metadata, e, dma_flags, w);
}

/* A stage-1 fault at @level (-1: unchecked) */
static inline void nenv_fault_s1(struct __test_metadata *_metadata, struct nenv *e,
				 uint32_t dma_flags, uint64_t va, uint32_t reason,
				 int level)
{
	struct nfault w = {
		.reason = reason, .stage = 1, .level = level, .addr = va,
	};

	nenv_fault(_metadata, e, dma_flags, va, &w);
}

/* ------------------------------------------------------------------------
 * GET_INFO of a nested IOASID
 */

static inline uint32_t nenv_mode(struct __test_metadata *_metadata, struct nenv *e,
				 uint32_t pasid)
{
	struct ioasid_caps caps;

	test_ioasid_info_pasid(e->t.fd, pasid, &caps);
	return caps.ioas.mode;
}

static inline struct ioasid_info_cap_nested_ioas
nenv_ioas(struct __test_metadata *_metadata, struct nenv *e)
{
	struct ioasid_info_cap_nested_ioas c;
	int rc = nested_ioas_cap(e->t.fd, e->nested, &c);

	ASSERT_EQ(0, rc) {
		TH_LOG("IOASID_INFO_CAP_NESTED_IOAS: %s", strerror(-rc));
	}
	return c;
}

/* ------------------------------------------------------------------------
 * Recoverable DMA in a thread
 */

struct nenv_rdma {
	struct nenv *e;
	uint32_t flags;
	uint64_t va;
	char buf[SW_PAGE];
	struct ioasid_test_dma d;
	int rc;
	pthread_t thread;
};

static inline void *nenv_rdma_fn(void *arg)
{
	struct nenv_rdma *r = arg;

	r->d.timeout_ms = 10000;
	r->rc = nenv_dma(r->e, r->flags | IOASID_TEST_DMA_RECOVERABLE, r->va,
			 r->buf, sizeof(r->buf), &r->d);
	return NULL;
}

static inline int nenv_rdma_start(struct nenv_rdma *r, struct nenv *e,
				  uint32_t flags, uint64_t va, unsigned int seed)
{
	memset(r, 0, sizeof(*r));
	r->e = e;
	r->flags = flags;
	r->va = va;
	sw_fill(r->buf, sizeof(r->buf), seed);
	return pthread_create(&r->thread, NULL, nenv_rdma_fn, r);
}

/* ========================================================================
 * The tests common to both formats
 */

/* Write at a guest-virtual address, find the bytes at the GPA, read them back. */
static inline void nt_write_read(struct __test_metadata *_metadata, struct nenv *e)
{
	const uint64_t va = NVA(1);

	nenv_map(_metadata, e, va, nenv_page(3));
	nenv_map(_metadata, e, va + NPT_4K, nenv_page(1));
	nenv_start(_metadata, e);
	nenv_write_ok(_metadata, e, 0, va, nenv_page(3), SW_PAGE, 1);
	/* the neighbours were not touched */
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(2) + SW_PAGE - 1));
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(4)));
	nenv_read_ok(_metadata, e, 0, va + NPT_4K, nenv_page(1), SW_PAGE, 2);
	/* and back through the device, both ways */
	nenv_read_ok(_metadata, e, 0, va, nenv_page(3), 100, 3);
}

/* A DMA across pages that stage 1 scatters: each piece in its own GPA. */
static inline void nt_scatter(struct __test_metadata *_metadata, struct nenv *e)
{
	const uint64_t va = NVA(2);
	static char buf[3 * SW_PAGE], back[3 * SW_PAGE];
	struct ioasid_test_dma d = {};

	nenv_map(_metadata, e, va, nenv_page(7));
	nenv_map(_metadata, e, va + NPT_4K, nenv_page(2));
	nenv_map(_metadata, e, va + 2 * NPT_4K, nenv_page(5));
	nenv_map(_metadata, e, va + 3 * NPT_4K, nenv_page(9));
	nenv_start(_metadata, e);
	sw_fill(buf, sizeof(buf), 4);
	ASSERT_EQ(0, nenv_dma(e, IOASID_TEST_DMA_WRITE, va + 100, buf, sizeof(buf), &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_EQ(sizeof(buf), d.out_done);
	EXPECT_EQ(0, memcmp(buf, (char *)nenv_hva(e, nenv_page(7)) + 100, SW_PAGE - 100));
	EXPECT_EQ(0, memcmp(buf + SW_PAGE - 100, nenv_hva(e, nenv_page(2)), SW_PAGE));
	EXPECT_EQ(0, memcmp(buf + 2 * SW_PAGE - 100, nenv_hva(e, nenv_page(5)), SW_PAGE));
	EXPECT_EQ(0, memcmp(buf + 3 * SW_PAGE - 100, nenv_hva(e, nenv_page(9)), 100));
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(9) + 100));
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(7) + 99));
	ASSERT_EQ(0, nenv_dma(e, 0, va + 100, back, sizeof(back), &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	EXPECT_EQ(0, memcmp(buf, back, sizeof(buf)));
}

/* Nothing mapped: a stage-1 translation fault at the first missing level. */
static inline void nt_unmapped(struct __test_metadata *_metadata, struct nenv *e)
{
	const uint64_t va = NVA(3);
	char *page = nenv_hva(e, nenv_page(0));

	nenv_map(_metadata, e, va, nenv_page(0));
	nenv_start(_metadata, e);
	/* a region with no table at all: the top-level entry is missing */
	nenv_fault_s1(_metadata, e, 0, NVA(4), IOASID_FAULT_REASON_UNMAPPED,
		      nenv_top_level(e));
	/* the neighbour of a mapped page: only the leaf is missing */
	nenv_fault_s1(_metadata, e, IOASID_TEST_DMA_WRITE, va + NPT_4K,
		      IOASID_FAULT_REASON_UNMAPPED, nenv_leaf_level(e));
	EXPECT_EQ(0, page[0]);
	/* and a leaf cleared before any access */
	nenv_map(_metadata, e, va + 2 * NPT_4K, nenv_page(1));
	*nenv_map(_metadata, e, va + 3 * NPT_4K, nenv_page(2)) = 0;
	nenv_fault_s1(_metadata, e, 0, va + 3 * NPT_4K, IOASID_FAULT_REASON_UNMAPPED,
		      nenv_leaf_level(e));
	nenv_write_ok(_metadata, e, 0, va + 2 * NPT_4K, nenv_page(1), 64, 5);
}

/*
 * A leaf rewritten in place is not seen until an invalidation covers it:
 * the software IOTLB keeps a walked translation until then (the brief's
 * deterministic cache; the header only promises visibility after it).
 */
static inline void nt_rewrite_needs_inv(struct __test_metadata *_metadata,
					struct nenv *e)
{
	const uint64_t va = NVA(5), a = nenv_page(10), b = nenv_page(11);
	uint64_t *leaf = nenv_map(_metadata, e, va, a);

	nenv_start(_metadata, e);
	EXPECT_READS_FROM(e, va, 0, a, b);
	*leaf = nenv_leaf(e, b);
	EXPECT_READS_FROM(e, va, 0, a, b);
	/* writes go to the stale page too */
	nenv_write_ok(_metadata, e, 0, va, a, 64, 6);
	nenv_inv_page(_metadata, e, va);
	EXPECT_READS_FROM(e, va, 1, a, b);
	nenv_write_ok(_metadata, e, 0, va, b, 64, 7);
	/* a leaf removed: stale until invalidated, then a fault */
	*leaf = 0;
	EXPECT_READS_FROM(e, va, 1, a, b);
	nenv_inv_page(_metadata, e, va);
	nenv_fault_s1(_metadata, e, 0, va, IOASID_FAULT_REASON_UNMAPPED,
		      nenv_leaf_level(e));
}

/* A page invalidation does exactly its job: other cached pages stay stale. */
static inline void nt_page_inv_exact(struct __test_metadata *_metadata, struct nenv *e)
{
	const uint64_t va = NVA(6);
	uint64_t *leaf[3];
	int i;

	for (i = 0; i < 3; i++)
		leaf[i] = nenv_map(_metadata, e, va + i * NPT_4K, nenv_page(i));
	nenv_start(_metadata, e);
	for (i = 0; i < 3; i++) {
		EXPECT_READS_FROM(e, va + i * NPT_4K, i, nenv_page(0), nenv_page(1),
				  nenv_page(2), nenv_page(3));
	}
	for (i = 0; i < 3; i++)
		*leaf[i] = nenv_leaf(e, nenv_page(3));
	nenv_inv_page(_metadata, e, va + NPT_4K);
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(3));
	EXPECT_READS_FROM(e, va + NPT_4K, 1, nenv_page(1), nenv_page(3));
	EXPECT_READS_FROM(e, va + 2 * NPT_4K, 0, nenv_page(2), nenv_page(3));
	nenv_inv_all(_metadata, e);
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(3));
	EXPECT_READS_FROM(e, va + 2 * NPT_4K, 1, nenv_page(2), nenv_page(3));
}

/* The IOTLB counters of IOASID_INFO_CAP_NESTED_IOAS follow the lookups. */
static inline void nt_iotlb_counters(struct __test_metadata *_metadata, struct nenv *e)
{
	const uint64_t va = NVA(7);
	struct ioasid_info_cap_nested_ioas c0, c1, c2, c3, c4;
	static char buf[SW_PAGE];
	struct ioasid_test_dma d = {};

	nenv_map(_metadata, e, va, nenv_page(0));
	nenv_start(_metadata, e);
	c0 = nenv_ioas(_metadata, e);
	EXPECT_EQ(1, c0.header.version);
	EXPECT_EQ(e->parent, c0.parent_pasid);
	EXPECT_EQ(e->format, c0.format);
	EXPECT_EQ(0, c0.iotlb_entries);
	/* one page, first time: a miss that walked */
	ASSERT_EQ(0, nenv_dma(e, 0, va, buf, SW_PAGE, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	c1 = nenv_ioas(_metadata, e);
	EXPECT_EQ(c0.iotlb_misses + 1, c1.iotlb_misses);
	EXPECT_EQ(c0.iotlb_hits, c1.iotlb_hits);
	EXPECT_EQ(1, c1.iotlb_entries);
	/* again: a hit */
	ASSERT_EQ(0, nenv_dma(e, IOASID_TEST_DMA_WRITE, va, buf, SW_PAGE, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	c2 = nenv_ioas(_metadata, e);
	EXPECT_EQ(c1.iotlb_misses, c2.iotlb_misses);
	EXPECT_EQ(c1.iotlb_hits + 1, c2.iotlb_hits);
	EXPECT_EQ(1, c2.iotlb_entries);
	/* invalidated: gone, and the next lookup misses */
	nenv_inv_page(_metadata, e, va);
	c3 = nenv_ioas(_metadata, e);
	EXPECT_EQ(0, c3.iotlb_entries);
	EXPECT_EQ(c2.iotlb_hits, c3.iotlb_hits);
	ASSERT_EQ(0, nenv_dma(e, 0, va, buf, SW_PAGE, &d));
	c4 = nenv_ioas(_metadata, e);
	EXPECT_EQ(c3.iotlb_misses + 1, c4.iotlb_misses);
	EXPECT_EQ(c3.iotlb_hits, c4.iotlb_hits);
	EXPECT_EQ(1, c4.iotlb_entries);
}

/* Mode and capabilities of a bound IOASID; the device offers the format. */
static inline void nt_info(struct __test_metadata *_metadata, struct nenv *e)
{
	struct ioasid_device_info info = { .size = sizeof(info) };
	struct ioasid_info_cap_nested_ioas c;

	ASSERT_EQ(0, ioctl(e->dev, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_TRUE(info.out_nested_formats & (1U << e->format));
	EXPECT_TRUE(info.out_modes & (1U << IOASID_MODE_NESTED));
	EXPECT_EQ(-ENOENT, nested_ioas_cap(e->t.fd, e->nested, &c));
	EXPECT_EQ(IOASID_MODE_NONE, nenv_mode(_metadata, e, e->nested));
	nenv_start(_metadata, e);
	EXPECT_EQ(IOASID_MODE_NESTED, nenv_mode(_metadata, e, e->nested));
	EXPECT_EQ(IOASID_MODE_IOVA, nenv_mode(_metadata, e, e->parent));
	c = nenv_ioas(_metadata, e);
	EXPECT_EQ(e->parent, c.parent_pasid);
	EXPECT_EQ(e->format, c.format);
	/* the parent is not nested itself */
	EXPECT_EQ(-ENOENT, nested_ioas_cap(e->t.fd, e->parent, &c));
}

/* ------------------------------------------------------------------------
 * Stage 2
 */

/* A stage-1 table page the parent does not map: the walk faults at stage 2. */
static inline void nt_s2_table_unmapped(struct __test_metadata *_metadata,
					struct nenv *e)
{
	const uint64_t va = NVA(8);
	struct gmem_override ov;
	struct nfault w = {
		.reason = IOASID_FAULT_REASON_UNMAPPED, .stage = 2, .level = -1,
		.addr = va, .walk = true,
	};

	nenv_map(_metadata, e, va, nenv_page(0));
	ov.gpa = nenv_leaf_page(e, va);
	ov.rights = 0;
	w.s2addr = nenv_entry_gpa(e, va, nenv_leaf_level(e));
	nenv_start_ov(_metadata, e, &ov, 1);
	/* the parent's level numbering is not a format's: level not checked */
	nenv_fault(_metadata, e, 0, va, &w);
	nenv_fault(_metadata, e, IOASID_TEST_DMA_WRITE, va, &(struct nfault){
		.reason = IOASID_FAULT_REASON_UNMAPPED, .stage = 2, .level = -1,
		.addr = va, .walk = true, .s2addr = w.s2addr, .any_rw = true });
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(0)));
}

/* A data page the parent does not map: stage 2 faults on the output GPA. */
static inline void nt_s2_data_unmapped(struct __test_metadata *_metadata,
				       struct nenv *e)
{
	const uint64_t va = NVA(9);
	struct gmem_override ov = { nenv_page(4), 0 };
	struct nfault w = {
		.reason = IOASID_FAULT_REASON_UNMAPPED, .stage = 2, .level = -1,
		.addr = va + NPT_4K, .s2addr = nenv_page(4),
	};
	/* and one outside the guest memory altogether */
	struct nfault w2 = {
		.reason = IOASID_FAULT_REASON_UNMAPPED, .stage = 2, .level = -1,
		.addr = va + 2 * NPT_4K, .s2addr = 0x80000000ULL,
	};
	static char buf[2 * SW_PAGE];
	struct ioasid_test_dma d = {};

	nenv_map(_metadata, e, va, nenv_page(3));
	nenv_map(_metadata, e, va + NPT_4K, nenv_page(4));
	nenv_map(_metadata, e, va + 2 * NPT_4K, 0x80000000ULL);
	nenv_start_ov(_metadata, e, &ov, 1);
	nenv_fault(_metadata, e, IOASID_TEST_DMA_WRITE, va + NPT_4K, &w);
	nenv_fault(_metadata, e, 0, va + 2 * NPT_4K, &w2);
	/* a DMA across the hole stops there: the page before it is written */
	sw_fill(buf, sizeof(buf), 8);
	ASSERT_EQ(0, nenv_dma(e, IOASID_TEST_DMA_WRITE, va, buf, sizeof(buf), &d));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	EXPECT_EQ(SW_PAGE, d.out_done);
	EXPECT_EQ(va + NPT_4K, d.out_fault_addr);
	EXPECT_TRUE(sw_check(nenv_hva(e, nenv_page(3)), SW_PAGE, 8));
	nenv_expect_record(_metadata, e, IOASID_TEST_DMA_WRITE, &w);
}

/* A read-only parent mapping: reads through it work, writes fault at stage 2. */
static inline void nt_s2_data_readonly(struct __test_metadata *_metadata,
				       struct nenv *e)
{
	const uint64_t va = NVA(10);
	struct gmem_override ov = { nenv_page(6), IOASID_MAP_READ };
	struct nfault w = {
		.reason = IOASID_FAULT_REASON_PERMISSION, .stage = 2, .level = -1,
		.addr = va, .s2addr = nenv_page(6),
	};

	nenv_map(_metadata, e, va, nenv_page(6));
	nenv_start_ov(_metadata, e, &ov, 1);
	nenv_read_ok(_metadata, e, 0, va, nenv_page(6), 64, 9);
	nenv_fault(_metadata, e, IOASID_TEST_DMA_WRITE, va, &w);
	EXPECT_TRUE(sw_check(nenv_hva(e, nenv_page(6)), 64, 9));
}

/*
 * IOASID_UNMAP of the parent range holding a cached translation's data
 * page: the next access faults at once, no guest invalidation needed.
 */
static inline void nt_s2_unmap_cached_data(struct __test_metadata *_metadata,
					   struct nenv *e)
{
	const uint64_t va = NVA(11);
	struct gmem_override ov = { nenv_page(8), MAP_RW };
	struct nfault w = {
		.reason = IOASID_FAULT_REASON_UNMAPPED, .stage = 2, .level = -1,
		.addr = va, .s2addr = nenv_page(8),
	};

	nenv_map(_metadata, e, va, nenv_page(8));
	nenv_start_ov(_metadata, e, &ov, 1);
	nenv_write_ok(_metadata, e, 0, va, nenv_page(8), 64, 10);
	nenv_read_ok(_metadata, e, 0, va, nenv_page(8), 64, 11);
	ASSERT_EQ(0, sw_unmap(e->t.fd, e->parent, nenv_page(8), NPT_4K));
	memset(nenv_hva(e, nenv_page(8)), 0, 64);
	nenv_fault(_metadata, e, IOASID_TEST_DMA_WRITE, va, &w);
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(8)));
	/* mapped again: translates again */
	ASSERT_EQ(0, sw_map(e->t.fd, e->parent, nenv_hva(e, nenv_page(8)), NPT_4K,
			    nenv_page(8), MAP_RW));
	nenv_write_ok(_metadata, e, 0, va, nenv_page(8), 64, 12);
}

/*
 * IOASID_UNMAP of the page holding the stage-1 table of a cached
 * translation: the cache cannot hide it, the next access re-walks and
 * faults reading the table.
 */
static inline void nt_s2_unmap_cached_table(struct __test_metadata *_metadata,
					    struct nenv *e)
{
	const uint64_t va = NVA(12);
	struct gmem_override ov;
	struct nfault w = {
		.reason = IOASID_FAULT_REASON_UNMAPPED, .stage = 2, .level = -1,
		.walk = true,
	};

	nenv_map(_metadata, e, va, nenv_page(1));
	nenv_map(_metadata, e, va + NPT_4K, nenv_page(2));
	ov.gpa = nenv_leaf_page(e, va);
	ov.rights = MAP_RW;
	nenv_start_ov(_metadata, e, &ov, 1);
	nenv_read_ok(_metadata, e, 0, va, nenv_page(1), 64, 13);
	ASSERT_EQ(0, sw_unmap(e->t.fd, e->parent, ov.gpa, NPT_4K));
	w.addr = va;
	w.s2addr = nenv_entry_gpa(e, va, nenv_leaf_level(e));
	nenv_fault(_metadata, e, 0, va, &w);
	/* never cached, same table */
	w.addr = va + NPT_4K;
	w.s2addr = nenv_entry_gpa(e, va + NPT_4K, nenv_leaf_level(e));
	nenv_fault(_metadata, e, 0, va + NPT_4K, &w);
}

/* A parent with a nested child cannot be destroyed; the child keeps working. */
static inline void nt_parent_busy(struct __test_metadata *_metadata, struct nenv *e)
{
	const uint64_t va = NVA(13);
	uint64_t data[8];
	uint32_t other;

	nenv_map(_metadata, e, va, nenv_page(0));
	nenv_start(_metadata, e);
	EXPECT_EQ(-EBUSY, sw_destroy(e->t.fd, e->parent));
	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 14);
	/* a parent is a parent while bound, attached or not */
	ASSERT_EQ(0, nenv_disallow(e));
	EXPECT_EQ(-EBUSY, sw_destroy(e->t.fd, e->parent));
	/* it can still take a second child */
	ASSERT_EQ(0, sw_alloc(e->t.fd, &other));
	nenv_data(e, data);
	ASSERT_EQ(0, nenv_bind_raw(e, other, data, 0));
	ASSERT_EQ(0, nested_unbind(e->t.fd, e->nested));
	EXPECT_EQ(-EBUSY, sw_destroy(e->t.fd, e->parent));
	/* the last child gone (by DESTROY this time): the parent can go */
	ASSERT_EQ(0, sw_destroy(e->t.fd, other));
	EXPECT_EQ(0, sw_destroy(e->t.fd, e->parent));
}

/* ------------------------------------------------------------------------
 * Lifetimes
 */

/* DESTROY of the nested IOASID halts its DMA at once, cached or not. */
static inline void nt_destroy_halts(struct __test_metadata *_metadata, struct nenv *e)
{
	const uint64_t va = NVA(14);
	static char buf[64];
	struct ioasid_test_dma d = {};

	nenv_map(_metadata, e, va, nenv_page(0));
	nenv_start(_metadata, e);
	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 15);
	memset(nenv_hva(e, nenv_page(0)), 0, 64);
	ASSERT_EQ(0, sw_destroy(e->t.fd, e->nested));
	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ(0, nenv_dma(e, IOASID_TEST_DMA_WRITE, va, buf, sizeof(buf), &d));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	EXPECT_EQ(0, d.out_done);
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(0)));
	/* parked until the device lets go */
	EXPECT_EQ(1, sw_counter(CNT_IOASIDS_PARKED));
	ASSERT_EQ(0, nenv_disallow(e));
	EXPECT_EQ(0, sw_counter(CNT_IOASIDS_PARKED));
	EXPECT_EQ(0, sw_destroy(e->t.fd, e->parent));
}

/* UNBIND is refused while a device is attached, allowed after DISALLOW. */
static inline void nt_unbind_busy(struct __test_metadata *_metadata, struct nenv *e)
{
	const uint64_t va = NVA(15);

	nenv_map(_metadata, e, va, nenv_page(0));
	nenv_start(_metadata, e);
	EXPECT_EQ(-EBUSY, nested_unbind(e->t.fd, e->nested));
	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 16);
	ASSERT_EQ(0, nenv_disallow(e));
	ASSERT_EQ(0, nested_unbind(e->t.fd, e->nested));
	EXPECT_EQ(IOASID_MODE_NONE, nenv_mode(_metadata, e, e->nested));
	/* UNBIND of an IOASID that is not nested: "another mode" */
	EXPECT_EQ(-EMEDIUMTYPE, nested_unbind(e->t.fd, e->nested));
	/* bound again, it translates again */
	ASSERT_EQ(0, nenv_bind(e, 0));
	ASSERT_EQ(0, nenv_allow(e));
	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 17);
}

/* Closing the fd with devices attached: DMA stops, DISALLOW still releases. */
static inline void nt_close_attached(struct __test_metadata *_metadata, struct nenv *e)
{
	const uint64_t va = NVA(16);
	static char buf[64];
	struct ioasid_test_dma d = {};

	nenv_map(_metadata, e, va, nenv_page(0));
	nenv_start(_metadata, e);
	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 18);
	memset(nenv_hva(e, nenv_page(0)), 0, 64);
	close(e->t.fd);
	e->t.fd = -1;
	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ(0, nenv_dma(e, IOASID_TEST_DMA_WRITE, va, buf, sizeof(buf), &d));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(0)));
	EXPECT_EQ(0, sw_counter(CNT_PINNED));
	ASSERT_EQ(0, nenv_disallow(e));
	EXPECT_EQ(0, sw_counter(CNT_PASIDS));
}

/*
 * A recoverable fault on a missing leaf: the test fixes the guest table,
 * invalidates as a guest would, answers RETRY, and the DMA completes.
 * Recoverability is the device's (IOASID_TEST_DMA_RECOVERABLE, PCIe PRI
 * style), assumed independent of the guest's CD.S / STE.S1STALLD.
 */
static inline void nt_recoverable(struct __test_metadata *_metadata, struct nenv *e)
{
	const uint64_t va = NVA(17);
	struct nenv_rdma r;
	struct ioasid_fault f;
	struct nfault w = {
		.reason = IOASID_FAULT_REASON_UNMAPPED, .stage = 1,
		.level = nenv_leaf_level(e), .addr = va,
	};
	uint64_t *leaf;

	leaf = nenv_map(_metadata, e, va, nenv_page(5));
	*leaf = 0;
	nenv_map(_metadata, e, va + NPT_4K, nenv_page(6));
	nenv_start(_metadata, e);
	ASSERT_EQ(0, nenv_rdma_start(&r, e, IOASID_TEST_DMA_WRITE, va, 19));
	ASSERT_EQ(0, nested_read_fault(e->qfd, &f, 5000));
	nenv_check_record(_metadata, e, &f, IOASID_TEST_DMA_WRITE |
			  IOASID_TEST_DMA_RECOVERABLE, &w);
	EXPECT_NE(0, f.id);
	*leaf = nenv_leaf(e, nenv_page(5));
	nenv_inv_page(_metadata, e, va);
	ASSERT_EQ(0, sw_respond(e->qfd, f.id, IOASID_FAULT_RESP_RETRY));
	pthread_join(r.thread, NULL);
	ASSERT_EQ(0, r.rc);
	EXPECT_EQ(IOASID_TEST_DMA_OK, r.d.out_status);
	EXPECT_EQ(SW_PAGE, r.d.out_done);
	EXPECT_EQ(1, r.d.out_retries);
	EXPECT_TRUE(sw_check(nenv_hva(e, nenv_page(5)), SW_PAGE, 19));
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(6)));
	nenv_expect_no_record(_metadata, e);
}

/* ------------------------------------------------------------------------
 * The invalidation ioctl's contract
 */

struct nbad {
	const char *what;
	uint64_t e[4];		/* the entry (VT-d 4 words, SMMU 2) */
	uint32_t error;		/* IOASID_INV_ERROR_* */
};

/*
 * [page(va1), @bad, page(va2)], both pages cached and rewritten: the call
 * stops at @bad with EINVAL, out_done 1 and out_error; va1's invalidation
 * took effect, va2's did not.
 */
static inline void nt_inv_stops_at(struct __test_metadata *_metadata, struct nenv *e,
				   const struct nbad *bad, size_t n)
{
	const uint64_t a = nenv_page(0), b = nenv_page(1), c = nenv_page(2);
	uint64_t *leaf1[32], *leaf2[32];
	size_t i;

	ASSERT_GE(32, n);
	for (i = 0; i < n; i++) {
		leaf1[i] = nenv_map(_metadata, e, NVA(20) + 2 * i * NPT_4K, a);
		leaf2[i] = nenv_map(_metadata, e, NVA(20) + (2 * i + 1) * NPT_4K, b);
	}
	nenv_start(_metadata, e);
	for (i = 0; i < n; i++) {
		const uint64_t va1 = NVA(20) + 2 * i * NPT_4K, va2 = va1 + NPT_4K;
		uint32_t done, err;
		struct ninv inv;
		int rc;

		EXPECT_READS_FROM(e, va1, 0, a, b, c);
		EXPECT_READS_FROM(e, va2, 1, a, b, c);
		*leaf1[i] = nenv_leaf(e, c);
		*leaf2[i] = nenv_leaf(e, c);
		ninv_init(&inv, e);
		ninv_page(&inv, e, va1);
		ninv_raw(&inv, bad[i].e);
		ninv_page(&inv, e, va2);
		rc = ninv_run(e, &inv, &done, &err);
		EXPECT_EQ(-EINVAL, rc) {
			TH_LOG("%s: %s", bad[i].what, strerror(-rc));
		}
		EXPECT_EQ(1, done) {
			TH_LOG("%s: out_done %u", bad[i].what, done);
		}
		EXPECT_EQ(bad[i].error, err) {
			TH_LOG("%s: out_error %u", bad[i].what, err);
		}
		EXPECT_READS_FROM(e, va1, 2, a, b, c);
		EXPECT_READS_FROM(e, va2, 1, a, b, c);
	}
}

static inline int nenv_inv_cmd(struct nenv *e, uint32_t size, uint32_t flags,
			       uint32_t reserved, uint32_t pasid, const void *entries,
			       uint32_t len, uint32_t n,
			       struct ioasid_nested_invalidate *out)
{
	unsigned char buf[sizeof(*out) + 64] __attribute__((aligned(8)));
	struct ioasid_nested_invalidate *cmd = (void *)buf;
	int rc;

	memset(buf, 0, sizeof(buf));
	cmd->size = size;
	cmd->flags = flags;
	cmd->pasid = pasid;
	cmd->entry_len = len;
	cmd->entry_num = n;
	cmd->out_done = NESTED_UNSET;
	cmd->entries_uptr = (uintptr_t)entries;
	cmd->out_error = NESTED_UNSET;
	cmd->__reserved = reserved;
	if (size > sizeof(*cmd) && size <= sizeof(buf))
		buf[size - 1] = 1;	/* a non-zero byte in the unknown tail */
	rc = ioctl(e->t.fd, IOASID_NESTED_INVALIDATE, buf) ? -errno : 0;
	if (out)
		*out = *cmd;
	return rc;
}

/*
 * Every other error changes nothing: wrong entry_len, entry_num 0 or above
 * the maximum, bad pointers, unknown flags and reserved fields, IOASIDs that
 * are not nested or not this fd's, and the size rules.
 */
static inline void nt_inv_args(struct __test_metadata *_metadata, struct nenv *e,
			       const uint32_t *bad_len, size_t n_bad_len)
{
	const uint64_t va = NVA(21), a = nenv_page(0), b = nenv_page(1);
	const uint32_t len = nenv_vtd(e) ? 32 : 16;
	struct ioasid_nested_invalidate out;
	uint64_t *leaf = nenv_map(_metadata, e, va, a);
	static struct ninv inv;
	uint32_t other_pasid, none;
	unsigned char *edge;
	int other;
	size_t i;

	nenv_start(_metadata, e);
	EXPECT_READS_FROM(e, va, 0, a, b);
	*leaf = nenv_leaf(e, b);
	ninv_init(&inv, e);
	ninv_page(&inv, e, va);
	ninv_page(&inv, e, va);
#define INV_FAILS(_err, _size, _flags, _rsv, _pasid, _ent, _len, _n) do {	\
	EXPECT_EQ(-(_err), nenv_inv_cmd(e, (_size), (_flags), (_rsv), (_pasid),	\
					(_ent), (_len), (_n), &out));		\
	EXPECT_EQ(NESTED_UNSET, out.out_done);					\
	EXPECT_EQ(NESTED_UNSET, out.out_error);					\
} while (0)
	for (i = 0; i < n_bad_len; i++)
		INV_FAILS(EINVAL, sizeof(out), 0, 0, e->nested, inv.vtd, bad_len[i], 1);
	INV_FAILS(EINVAL, sizeof(out), 0, 0, e->nested, inv.vtd, len, 0);
	INV_FAILS(EINVAL, sizeof(out), 0, 0, e->nested, inv.vtd, len,
		  IOASID_NESTED_INV_MAX + 1);
	INV_FAILS(EFAULT, sizeof(out), 0, 0, e->nested, NULL, len, 1);
	INV_FAILS(EFAULT, sizeof(out), 0, 0, e->nested, unmapped_address(4096), len, 1);
	/* the first entry readable, the second in a hole: nothing applied */
	edge = mmap_anon(2 * SW_PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, edge);
	ASSERT_EQ(0, munmap(edge + SW_PAGE, SW_PAGE));
	memcpy(edge + SW_PAGE - len, inv.vtd, len);
	INV_FAILS(EFAULT, sizeof(out), 0, 0, e->nested, edge + SW_PAGE - len, len, 2);
	for (i = 0; i < 32; i++)
		INV_FAILS(EOPNOTSUPP, sizeof(out), 1U << i, 0, e->nested, inv.vtd, len, 1);
	INV_FAILS(EOPNOTSUPP, sizeof(out), 0, 1, e->nested, inv.vtd, len, 1);
	INV_FAILS(EINVAL, 8, 0, 0, e->nested, inv.vtd, len, 1);
	INV_FAILS(EINVAL, sizeof(out) - 4, 0, 0, e->nested, inv.vtd, len, 1);
	INV_FAILS(E2BIG, sizeof(out) + 8, 0, 0, e->nested, inv.vtd, len, 1);
	/* not nested: the parent, and an IOASID in IOASID_MODE_NONE */
	ASSERT_EQ(0, sw_alloc(e->t.fd, &none));
	INV_FAILS(EINVAL, sizeof(out), 0, 0, e->parent, inv.vtd, len, 1);
	INV_FAILS(EINVAL, sizeof(out), 0, 0, none, inv.vtd, len, 1);
	/* not this fd's */
	other = ioasid_open();
	ASSERT_LE(0, other);
	ASSERT_EQ(0, sw_alloc(other, &other_pasid));
	INV_FAILS(ENOENT, sizeof(out), 0, 0, other_pasid, inv.vtd, len, 1);
	INV_FAILS(ENOENT, sizeof(out), 0, 0, IOASID_PASID_MAX, inv.vtd, len, 1);
	INV_FAILS(ENOENT, sizeof(out), 0, 0, 0, inv.vtd, len, 1);
	close(other);
#undef INV_FAILS
	/* none of these invalidated anything */
	EXPECT_READS_FROM(e, va, 0, a, b);
	/* a zero tail is fine, and this one does its job */
	EXPECT_EQ(0, ({ unsigned char big[sizeof(out) + 16] __attribute__((aligned(8)));
		struct ioasid_nested_invalidate *c = (void *)big;
		memset(big, 0, sizeof(big));
		c->size = sizeof(big);
		c->pasid = e->nested;
		c->entry_len = len;
		c->entry_num = 1;
		c->entries_uptr = (uintptr_t)inv.vtd;
		ioctl(e->t.fd, IOASID_NESTED_INVALIDATE, big) ? -errno : 0; }));
	EXPECT_READS_FROM(e, va, 1, a, b);
	munmap(edge, SW_PAGE);
}

/* IOASID_NESTED_INV_MAX entries in one call */
static inline void nt_inv_max(struct __test_metadata *_metadata, struct nenv *e,
			      const void *entry)
{
	const uint32_t len = nenv_vtd(e) ? 32 : 16;
	unsigned char *arr = malloc((size_t)IOASID_NESTED_INV_MAX * len);
	uint32_t done, err, i;

	ASSERT_NE(NULL, arr);
	for (i = 0; i < IOASID_NESTED_INV_MAX; i++)
		memcpy(arr + (size_t)i * len, entry, len);
	nenv_start(_metadata, e);
	EXPECT_EQ(0, nested_invalidate(e->t.fd, e->nested, arr, len,
				       IOASID_NESTED_INV_MAX, &done, &err));
	EXPECT_EQ(IOASID_NESTED_INV_MAX, done);
	free(arr);
}

/* ------------------------------------------------------------------------
 * IOASID_NESTED_BIND's errors
 */

static inline int nenv_bind_cmd(struct nenv *e, uint32_t size, uint32_t flags,
				uint32_t pasid, uint32_t parent, uint32_t format,
				const void *data, uint32_t data_len, int tail)
{
	unsigned char buf[sizeof(struct ioasid_nested_bind) + 64] __attribute__((aligned(8)));
	struct ioasid_nested_bind *cmd = (void *)buf;

	memset(buf, 0, sizeof(buf));
	cmd->size = size;
	cmd->flags = flags;
	cmd->pasid = pasid;
	cmd->parent_pasid = parent;
	cmd->format = format;
	cmd->data_len = data_len;
	cmd->data_uptr = (uintptr_t)data;
	if (tail >= 0 && size > sizeof(*cmd) && size <= sizeof(buf))
		buf[size - 1] = tail;
	return ioctl(e->t.fd, IOASID_NESTED_BIND, buf) ? -errno : 0;
}

/*
 * The size rules, flags, data, formats and IOASIDs of IOASID_NESTED_BIND;
 * after each failure the IOASID is still IOASID_MODE_NONE and the counters
 * have not moved.
 */
static inline void nt_bind_badinput(struct __test_metadata *_metadata, struct nenv *e)
{
	const uint32_t sz = sizeof(struct ioasid_nested_bind);
	uint64_t data[8], hole_data[8];
	const uint32_t dlen = nenv_data(e, data);
	struct ioasid_counters before;
	uint32_t other_pasid, nested2, fmt_other;
	unsigned char *edge;
	int other, i;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	if (!nenv_vtd(e))
		nenv_write_cd(_metadata, e, NENV_SSID, &e->cd);
	ASSERT_EQ(0, sw_alloc(e->t.fd, &nested2));
	other = ioasid_open();
	ASSERT_LE(0, other);
	ASSERT_EQ(0, sw_alloc(other, &other_pasid));
	fmt_other = nenv_vtd(e) ? IOASID_NESTED_FMT_SMMUV3 : IOASID_NESTED_FMT_VTD_FS;
	edge = mmap_anon(2 * SW_PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, edge);
	ASSERT_EQ(0, munmap(edge + SW_PAGE, SW_PAGE));
	memcpy(edge + SW_PAGE - 8, data, 8);
	memset(hole_data, 0, sizeof(hole_data));
	ASSERT_EQ(0, counters_read(&before));

#define BIND_FAILS(_err, ...) do {						\
	int __rc = nenv_bind_cmd(e, __VA_ARGS__);				\
	EXPECT_EQ(-(_err), __rc) {						\
		TH_LOG("line %d: %s", __LINE__, strerror(-__rc));		\
	}									\
	if (!__rc)								\
		nested_unbind(e->t.fd, e->nested);				\
} while (0)
	BIND_FAILS(EINVAL, 0, 0, e->nested, e->parent, e->format, data, dlen, -1);
	BIND_FAILS(EINVAL, 8, 0, e->nested, e->parent, e->format, data, dlen, -1);
	BIND_FAILS(EINVAL, sz - 1, 0, e->nested, e->parent, e->format, data, dlen, -1);
	BIND_FAILS(E2BIG, sz + 8, 0, e->nested, e->parent, e->format, data, dlen, 1);
	BIND_FAILS(E2BIG, sz + 1, 0, e->nested, e->parent, e->format, data, dlen, 0x80);
	for (i = 2; i < 32; i++)
		BIND_FAILS(EOPNOTSUPP, sz, 1U << i, e->nested, e->parent, e->format,
			   data, dlen, -1);
	/* data */
	BIND_FAILS(EINVAL, sz, 0, e->nested, e->parent, e->format, data, dlen - 8, -1);
	BIND_FAILS(EINVAL, sz, 0, e->nested, e->parent, e->format, data, dlen + 8, -1);
	BIND_FAILS(EINVAL, sz, 0, e->nested, e->parent, e->format, data, 0, -1);
	BIND_FAILS(EFAULT, sz, 0, e->nested, e->parent, e->format, NULL, dlen, -1);
	BIND_FAILS(EFAULT, sz, 0, e->nested, e->parent, e->format,
		   edge + SW_PAGE - 8, dlen, -1);
	/* formats: unknown ones, and another format's size */
	BIND_FAILS(EOPNOTSUPP, sz, 0, e->nested, e->parent, 0, data, dlen, -1);
	BIND_FAILS(EOPNOTSUPP, sz, 0, e->nested, e->parent, 3, data, dlen, -1);
	BIND_FAILS(EOPNOTSUPP, sz, 0, e->nested, e->parent, 31, data, dlen, -1);
	BIND_FAILS(EOPNOTSUPP, sz, 0, e->nested, e->parent, ~0U, data, dlen, -1);
	if (e->cap.formats & (1U << fmt_other))
		BIND_FAILS(EINVAL, sz, 0, e->nested, e->parent, fmt_other, data,
			   dlen, -1);
	/* IOASIDs: foreign ones, the IOASID itself, a nested parent */
	BIND_FAILS(ENOENT, sz, 0, other_pasid, e->parent, e->format, data, dlen, -1);
	BIND_FAILS(ENOENT, sz, 0, e->nested, other_pasid, e->format, data, dlen, -1);
	BIND_FAILS(ENOENT, sz, 0, IOASID_PASID_MAX, e->parent, e->format, data, dlen, -1);
	BIND_FAILS(ENOENT, sz, 0, e->nested, 0, e->format, data, dlen, -1);
	BIND_FAILS(EINVAL, sz, 0, e->nested, e->nested, e->format, data, dlen, -1);
	EXPECT_EQ(0, nenv_bind_raw(e, nested2, data, 0));
	/* nested2 is used now: its translation state lives as long as it */
	before.v[CNT_IOPTS]++;
	BIND_FAILS(EINVAL, sz, 0, e->nested, nested2, e->format, data, dlen, -1);
	/* UNBIND takes no other field (assumed EINVAL: a malformed request) */
	BIND_FAILS(EINVAL, sz, IOASID_NESTED_UNBIND, nested2, e->parent, 0, NULL, 0, -1);
	BIND_FAILS(EINVAL, sz, IOASID_NESTED_UNBIND, nested2, 0, e->format, NULL, 0, -1);
	BIND_FAILS(EINVAL, sz, IOASID_NESTED_UNBIND, nested2, 0, 0, data, 0, -1);
	BIND_FAILS(EINVAL, sz, IOASID_NESTED_UNBIND, nested2, 0, 0, NULL, dlen, -1);
	EXPECT_EQ(IOASID_MODE_NESTED, nenv_mode(_metadata, e, nested2));
	ASSERT_EQ(0, nested_unbind(e->t.fd, nested2));
#undef BIND_FAILS
	EXPECT_EQ(IOASID_MODE_NONE, nenv_mode(_metadata, e, e->nested));
	EXPECT_EQ(IOASID_MODE_NONE, nenv_mode(_metadata, e, nested2));
	EXPECT_COUNTERS_EQ(&before);
	/* a zero tail is as if it were not there */
	EXPECT_EQ(0, nenv_bind_cmd(e, sz + 16, 0, e->nested, e->parent, e->format,
				   data, dlen, 0));
	EXPECT_EQ(IOASID_MODE_NESTED, nenv_mode(_metadata, e, e->nested));
	close(other);
	munmap(edge, SW_PAGE);
}

/*
 * Modes: a bound IOASID is bound again only with REPLACE; REPLACE needs a
 * nested IOASID of the same parent and format; an IOVA-mode IOASID cannot
 * be bound, a NONE parent becomes IOVA.
 */
static inline void nt_bind_modes(struct __test_metadata *_metadata, struct nenv *e)
{
	uint64_t data[8];
	uint32_t p2, n2, n3;
	int dev2;

	nenv_data(e, data);
	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	ASSERT_EQ(0, sw_alloc(e->t.fd, &p2));
	ASSERT_EQ(0, sw_alloc(e->t.fd, &n2));
	ASSERT_EQ(0, sw_alloc(e->t.fd, &n3));
	/* REPLACE of an IOASID that is not nested */
	EXPECT_EQ(-EMEDIUMTYPE, nenv_bind_raw(e, e->nested, data,
					      IOASID_NESTED_BIND_REPLACE));
	/* an IOVA-mode IOASID (the parent has mappings) cannot become nested */
	EXPECT_EQ(-EMEDIUMTYPE, nested_bind(e->t.fd, e->parent, p2, e->format, data,
					    nenv_data(e, data), 0));
	ASSERT_EQ(0, nenv_bind_raw(e, e->nested, data, 0));
	EXPECT_EQ(0, nenv_bind_raw(e, e->nested, data, IOASID_NESTED_BIND_REPLACE));
	/* REPLACE with another parent */
	EXPECT_EQ(-EMEDIUMTYPE, nested_bind(e->t.fd, e->nested, p2, e->format, data,
					    nenv_data(e, data),
					    IOASID_NESTED_BIND_REPLACE));
	/* a NONE parent becomes IOVA */
	EXPECT_EQ(IOASID_MODE_NONE, nenv_mode(_metadata, e, p2));
	ASSERT_EQ(0, nested_bind(e->t.fd, n2, p2, e->format, data,
				 nenv_data(e, data), 0));
	EXPECT_EQ(IOASID_MODE_IOVA, nenv_mode(_metadata, e, p2));
	/* a nested IOASID is no parent, even for REPLACE */
	EXPECT_EQ(-EINVAL, nested_bind(e->t.fd, n3, n2, e->format, data,
				       nenv_data(e, data), 0));
	/* an IOASID that is a parent cannot be nested itself */
	EXPECT_EQ(-EMEDIUMTYPE, nested_bind(e->t.fd, p2, e->parent, e->format, data,
					    nenv_data(e, data), 0));
	/* binding an attached IOASID is refused: bind first, then ALLOW */
	dev2 = sw_dev_create(20);
	ASSERT_LE(0, dev2);
	ASSERT_EQ(0, sw_allow(dev2, e->t.fd, n3, 0, 0));
	EXPECT_EQ(-EBUSY, nenv_bind_raw(e, n3, data, 0));
	EXPECT_EQ(IOASID_MODE_NONE, nenv_mode(_metadata, e, n3));
	close(dev2);
	EXPECT_EQ(0, nenv_bind_raw(e, n3, data, 0));
	EXPECT_EQ(0, nested_unbind(e->t.fd, n3));
	EXPECT_EQ(0, nested_unbind(e->t.fd, n2));
	EXPECT_EQ(0, nested_unbind(e->t.fd, e->nested));
	EXPECT_EQ(0, sw_destroy(e->t.fd, p2));
}

#endif /* __IOASID_NESTED_ENV_H */
