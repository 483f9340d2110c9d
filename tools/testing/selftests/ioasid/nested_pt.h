/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest structures for the nested-translation tests (5x_nested_*.c).
 *
 * A nested IOASID's stage 1 is a guest's own table in a hardware format,
 * read through the stage-2 parent.  These helpers build such guest
 * structures inside a "guest memory" object: a host buffer that the test
 * maps into the parent IOASID at IOVA = GPA, with a bump allocator of
 * aligned guest pages and gpa <-> pointer conversion.  Everything is
 * encoded here, from the specifications (VT-d 5.10 §9.6-§9.7, §6.5.2;
 * SMMUv3 IHI 0070 §4, §5.2-§5.4; Arm ARM D8.3), independently of the
 * kernel's code:
 *
 *   gmem_*        guest memory, and its IOASID_MAP into a parent
 *   vtd_pe_*      scalable-mode PASID-table entries
 *   vtd_fs_*      first-stage (IA-32e) 4- and 5-level tables
 *   vtd_inv_*     queued-invalidation descriptors (4 x u64)
 *   smmu_ste_*    STE dwords 0-1
 *   smmu_cd_*     context descriptors, L1CDs, linear and 2-level CD tables
 *   arm_s1_*      VMSAv8-64 stage-1 tables, 4K / 16K / 64K granules
 *   smmu_cmd_*    command-queue commands (2 x u64)
 *   nested_*      the new ioctls, in the style of swdev.h (0 or -errno)
 *
 * No harness dependency: 50_nested_encode checks the encoders against hand
 * computed vectors without any kernel support.
 */
#ifndef __IOASID_NESTED_PT_H
#define __IOASID_NESTED_PT_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ioasidfd.h>
#include <linux/ioasidfd_test.h>

#define BIT64(n)		(1ULL << (n))
#define GENMASK64(h, l)		((~0ULL >> (63 - (h))) & ~((1ULL << (l)) - 1))
#define NPT_4K			0x1000ULL
#define NPT_2M			0x200000ULL
#define NPT_1G			0x40000000ULL
#ifndef SZ_1M
#define SZ_1M			0x100000UL
#endif

/* @val into the field @mask (contiguous bits), and back */
static inline uint64_t fld(uint64_t mask, uint64_t val)
{
	return (val << __builtin_ctzll(mask)) & mask;
}

static inline uint64_t fld_get(uint64_t mask, uint64_t v)
{
	return (v & mask) >> __builtin_ctzll(mask);
}

/* Bit @bit of a little-endian array of 64-bit words (entry bit N in word N/64) */
static inline void words_set(uint64_t *w, unsigned int bit)
{
	w[bit / 64] |= BIT64(bit % 64);
}

static inline void words_clear(uint64_t *w, unsigned int bit)
{
	w[bit / 64] &= ~BIT64(bit % 64);
}

static inline bool words_test(const uint64_t *w, unsigned int bit)
{
	return w[bit / 64] & BIT64(bit % 64);
}

/* ------------------------------------------------------------------------
 * Guest memory
 */

#define GMEM_NONE	(~0ULL)

struct gmem {
	uint8_t *host;		/* the host buffer */
	uint64_t gpa;		/* guest-physical address of host[0] */
	uint64_t size;
	uint64_t next;		/* bump allocator: next free offset */
	uint64_t limit;		/* bump allocations stay below this offset */
};

/*
 * @size bytes of zeroed memory at guest-physical @gpa (page aligned); the
 * bump allocator hands out [@gpa, @gpa + @alloc_size), the rest is for
 * pages a test places at fixed addresses.  Returns 0 or -errno.
 */
static inline int gmem_init(struct gmem *g, uint64_t gpa, uint64_t size,
			    uint64_t alloc_size)
{
	void *p;

	memset(g, 0, sizeof(*g));
	if ((gpa | size) & (NPT_4K - 1) || alloc_size > size)
		return -EINVAL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	memset(p, 0, size);
	g->host = p;
	g->gpa = gpa;
	g->size = size;
	g->limit = alloc_size;
	return 0;
}

static inline void gmem_free(struct gmem *g)
{
	if (g->host)
		munmap(g->host, g->size);
	g->host = NULL;
}

static inline bool gmem_contains(const struct gmem *g, uint64_t gpa, uint64_t len)
{
	return gpa >= g->gpa && len <= g->size && gpa - g->gpa <= g->size - len;
}

/* Host pointer of @gpa, or NULL outside the guest memory. */
static inline void *gmem_ptr(const struct gmem *g, uint64_t gpa)
{
	return gmem_contains(g, gpa, 1) ? g->host + (gpa - g->gpa) : NULL;
}

static inline uint64_t gmem_gpa(const struct gmem *g, const void *p)
{
	return g->gpa + (uint64_t)((const uint8_t *)p - g->host);
}

/* Zeroed guest memory, @align a power of two; GMEM_NONE when exhausted. */
static inline uint64_t gmem_alloc(struct gmem *g, uint64_t size, uint64_t align)
{
	uint64_t at;

	if (!align || align & (align - 1))
		return GMEM_NONE;
	/* the alignment is of the guest-physical address */
	at = ((g->gpa + g->next + align - 1) & ~(align - 1)) - g->gpa;
	if (at + size > g->limit || at + size < at)
		return GMEM_NONE;
	g->next = at + size;
	memset(g->host + at, 0, size);
	return g->gpa + at;
}

static inline uint64_t gmem_alloc_page(struct gmem *g)
{
	return gmem_alloc(g, NPT_4K, NPT_4K);
}

/*
 * A guest page that gets a stage-2 mapping of its own, so that a test can
 * unmap it alone later: with @rights (IOASID_MAP_READ / _WRITE), or not
 * mapped at all (@rights 0).
 */
struct gmem_override {
	uint64_t gpa;
	uint32_t rights;
};

static inline int gmem_map_range(int fd, uint32_t parent, const struct gmem *g,
				 uint64_t off, uint64_t len, uint32_t rights)
{
	struct ioasid_map cmd = {
		.size = sizeof(cmd),
		.flags = rights | IOASID_MAP_FIXED_IOVA,
		.pasid = parent,
		.user_va = (uintptr_t)(g->host + off),
		.length = len,
		.iova = g->gpa + off,
	};

	if (!len)
		return 0;
	return ioctl(fd, IOASID_MAP, &cmd) ? -errno : 0;
}

/*
 * Maps the whole guest memory into @parent at IOVA = GPA, read-write,
 * except the @n pages of @ov.  Returns 0 or the first -errno.
 */
static inline int gmem_map(int fd, uint32_t parent, const struct gmem *g,
			   const struct gmem_override *ov, unsigned int n)
{
	struct gmem_override sorted[64];
	uint64_t off = 0;
	unsigned int i, j;
	int rc;

	if (n > 64)
		return -E2BIG;
	memcpy(sorted, ov, n * sizeof(*ov));
	for (i = 1; i < n; i++)		/* insertion sort by address */
		for (j = i; j && sorted[j].gpa < sorted[j - 1].gpa; j--) {
			struct gmem_override t = sorted[j];

			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		uint64_t at = sorted[i].gpa - g->gpa;

		if (!gmem_contains(g, sorted[i].gpa, NPT_4K) || at & (NPT_4K - 1) ||
		    at < off)
			return -EINVAL;
		rc = gmem_map_range(fd, parent, g, off, at - off,
				    IOASID_MAP_READ | IOASID_MAP_WRITE);
		if (rc)
			return rc;
		if (sorted[i].rights) {
			rc = gmem_map_range(fd, parent, g, at, NPT_4K,
					    sorted[i].rights);
			if (rc)
				return rc;
		}
		off = at + NPT_4K;
	}
	return gmem_map_range(fd, parent, g, off, g->size - off,
			      IOASID_MAP_READ | IOASID_MAP_WRITE);
}

/* ------------------------------------------------------------------------
 * VT-d scalable-mode PASID-table entry (512 bits, VT-d 5.10 §9.6)
 */

#define VTD_PGTT_FS		1	/* first-stage only */
#define VTD_PGTT_SS		2	/* second-stage only */
#define VTD_PGTT_NESTED		3
#define VTD_PGTT_PT		4	/* pass-through */
#define VTD_FSPM_4LVL		0
#define VTD_FSPM_5LVL		1

/* Absolute bit numbers of the entry, for raw pokes (words_set()) */
#define VTD_PE_P		0
#define VTD_PE_FPD		1
#define VTD_PE_SLEE		5	/* 3.x only; reserved in 5.10 */
#define VTD_PE_SSADE		9
#define VTD_PE_RSVD_10		10	/* 11:10 reserved */
#define VTD_PE_RSVD_80		80	/* 86:80 reserved */
#define VTD_PE_PWSNP		87
#define VTD_PE_PGSNP		88
#define VTD_PE_CD		89	/* needs ECAP.MTS */
#define VTD_PE_EMTE		90	/* needs ECAP.MTS */
#define VTD_PE_RSVD_91		91	/* 95:91 reserved (3.x EMT/PWT/PCD) */
#define VTD_PE_PAT		96	/* 127:96, needs ECAP.MTS */
#define VTD_PE_SRE		128
#define VTD_PE_RSVD_129		129	/* 3.x ERE; reserved */
#define VTD_PE_WPE		132
#define VTD_PE_IGN_133		133	/* 134:133 ignored in 5.10 (3.x NXE, SMEP) */
#define VTD_PE_EAFE		135
#define VTD_PE_RSVD_136		136	/* 139:136 reserved */
#define VTD_PE_FSPTPTR		140	/* HAW+127:140 */

struct vtd_pe_cfg {
	bool p, fpd;
	uint8_t aw;		/* second-stage address width (ignored for PGTT 001) */
	uint8_t pgtt;
	bool ssade;
	uint64_t ssptptr;	/* second-stage root (ignored for PGTT 001) */
	uint16_t did;
	bool pwsnp, pgsnp;
	bool sre, wpe, eafe;
	uint8_t fspm;
	uint64_t fsptptr;	/* first-stage root, a GPA under nesting */
};

static inline void vtd_pe_encode(uint64_t pe[8], const struct vtd_pe_cfg *c)
{
	memset(pe, 0, 8 * sizeof(pe[0]));
	pe[0] = (c->p ? BIT64(0) : 0) | (c->fpd ? BIT64(1) : 0) |
		fld(GENMASK64(4, 2), c->aw) | fld(GENMASK64(8, 6), c->pgtt) |
		(c->ssade ? BIT64(9) : 0) | (c->ssptptr & GENMASK64(63, 12));
	pe[1] = fld(GENMASK64(15, 0), c->did) | (c->pwsnp ? BIT64(23) : 0) |
		(c->pgsnp ? BIT64(24) : 0);
	pe[2] = (c->sre ? BIT64(0) : 0) | fld(GENMASK64(3, 2), c->fspm) |
		(c->wpe ? BIT64(4) : 0) | (c->eafe ? BIT64(7) : 0) |
		(c->fsptptr & GENMASK64(63, 12));
}

/* ------------------------------------------------------------------------
 * VT-d first-stage paging (IA-32e, VT-d 5.10 §3.6, §9.7 Tables 34-40)
 *
 * Levels are numbered as the fault records do: 5 PML5, 4 PML4, 3 PDPT,
 * 2 PD, 1 PT.
 */

#define VTD_FS_P		BIT64(0)
#define VTD_FS_RW		BIT64(1)
#define VTD_FS_US		BIT64(2)
#define VTD_FS_PWT		BIT64(3)
#define VTD_FS_PCD		BIT64(4)
#define VTD_FS_A		BIT64(5)
#define VTD_FS_D		BIT64(6)	/* leaves only */
#define VTD_FS_PS		BIT64(7)	/* non-leaf: must be 0; PTE: PAT */
#define VTD_FS_PAT_4K		BIT64(7)
#define VTD_FS_G		BIT64(8)	/* ignored */
#define VTD_FS_EA		BIT64(10)	/* with PASID-entry EAFE */
#define VTD_FS_PAT_LEAF		BIT64(12)	/* 2M / 1G leaves */
#define VTD_FS_ADDR		GENMASK64(51, 12)
#define VTD_FS_TABLE		(VTD_FS_P | VTD_FS_RW | VTD_FS_US)

static inline unsigned int vtd_shift(int level)
{
	return 12 + 9 * (level - 1);
}

static inline uint64_t vtd_level_size(int level)
{
	return 1ULL << vtd_shift(level);
}

static inline unsigned int vtd_index(uint64_t va, int level)
{
	return (va >> vtd_shift(level)) & 511;
}

/* A paging entry: @addr (the next table, or the page) and @flags */
static inline uint64_t vtd_fs_entry(uint64_t addr, uint64_t flags)
{
	return (addr & VTD_FS_ADDR) | flags;
}

struct vtd_fs {
	struct gmem *g;
	int levels;		/* 4 or 5 */
	uint64_t root;		/* GPA of the PML4 / PML5: FSPTPTR */
	uint64_t tflags;	/* flags of the non-leaf entries it creates */
};

static inline int vtd_fs_init(struct vtd_fs *t, struct gmem *g, int levels)
{
	t->g = g;
	t->levels = levels;
	t->tflags = VTD_FS_TABLE;
	t->root = gmem_alloc_page(g);
	return t->root == GMEM_NONE || (levels != 4 && levels != 5) ? -ENOMEM : 0;
}

/*
 * The entry at @level that translates @va.  With @create, missing tables
 * on the way are allocated (and their entries get t->tflags); else NULL
 * if the walk does not get there (not present, or a leaf above @level).
 */
static inline uint64_t *vtd_fs_entry_ptr(struct vtd_fs *t, uint64_t va,
					 int level, bool create)
{
	uint64_t table = t->root;
	int l;

	for (l = t->levels; ; l--) {
		uint64_t *tab = gmem_ptr(t->g, table), *e;

		if (!tab)
			return NULL;
		e = &tab[vtd_index(va, l)];
		if (l == level)
			return e;
		if (!(*e & VTD_FS_P)) {
			uint64_t next;

			if (!create)
				return NULL;
			next = gmem_alloc_page(t->g);
			if (next == GMEM_NONE)
				return NULL;
			*e = vtd_fs_entry(next, t->tflags | VTD_FS_P);
		} else if (*e & VTD_FS_PS) {
			return NULL;
		}
		table = *e & VTD_FS_ADDR;
	}
}

static inline uint64_t vtd_fs_entry_gpa(struct vtd_fs *t, uint64_t va, int level)
{
	uint64_t *e = vtd_fs_entry_ptr(t, va, level, false);

	return e ? gmem_gpa(t->g, e) : GMEM_NONE;
}

/*
 * Maps @va to @gpa with a leaf at @level (1: 4K, 2: 2M, 3: 1G; PS is set
 * above level 1) carrying @flags (P is added).  Returns the leaf, or NULL.
 */
static inline uint64_t *vtd_fs_map(struct vtd_fs *t, uint64_t va, uint64_t gpa,
				   int level, uint64_t flags)
{
	uint64_t *e = vtd_fs_entry_ptr(t, va, level, true);

	if (e)
		*e = vtd_fs_entry(gpa, flags | VTD_FS_P |
				  (level > 1 ? VTD_FS_PS : 0));
	return e;
}

/* ------------------------------------------------------------------------
 * VT-d queued-invalidation descriptors (VT-d 5.10 §6.5.2), 256 bits.
 * Type is qw0 bits 3:0 plus Type[6:4] in bits 11:9.
 */

struct vtd_inv {
	uint64_t qw[4];
};

#define VTD_INV_CC		0x1	/* context-cache */
#define VTD_INV_IOTLB		0x2	/* IOTLB (second stage / legacy) */
#define VTD_INV_DEVTLB		0x3	/* device-TLB, no PASID */
#define VTD_INV_IEC		0x4	/* interrupt entry cache */
#define VTD_INV_WAIT		0x5
#define VTD_INV_PIOTLB		0x6	/* PASID-based IOTLB */
#define VTD_INV_PC		0x7	/* PASID cache */
#define VTD_INV_PDEVTLB		0x8	/* PASID-based device-TLB */

#define VTD_PIOTLB_G_PASID	2	/* all mappings of DID + PASID */
#define VTD_PIOTLB_G_PAGE	3	/* page-selective within PASID */
#define VTD_PC_G_DOMAIN		0
#define VTD_PC_G_PASID		1
#define VTD_PC_G_GLOBAL		3

/* "all addresses" of a device-TLB invalidation: S = 1, ADDR[63:12] 0x7FFFF_FFFFFFFF */
#define VTD_DEVTLB_ALL_ADDR	GENMASK64(62, 12)

static inline struct vtd_inv vtd_inv_piotlb_pasid(uint16_t did, uint32_t pasid)
{
	struct vtd_inv d = { { VTD_INV_PIOTLB | fld(GENMASK64(5, 4), VTD_PIOTLB_G_PASID) |
			       fld(GENMASK64(31, 16), did) |
			       fld(GENMASK64(51, 32), pasid) } };

	return d;
}

/* 2^@am pages from @addr (aligned to 2^(@am + 12)); @ih: only leaves changed */
static inline struct vtd_inv vtd_inv_piotlb_page(uint16_t did, uint32_t pasid,
						 uint64_t addr, unsigned int am,
						 bool ih)
{
	struct vtd_inv d = vtd_inv_piotlb_pasid(did, pasid);

	d.qw[0] = (d.qw[0] & ~GENMASK64(5, 4)) | fld(GENMASK64(5, 4), VTD_PIOTLB_G_PAGE);
	d.qw[1] = (addr & GENMASK64(63, 12)) | (ih ? BIT64(6) : 0) |
		  fld(GENMASK64(5, 0), am);
	return d;
}

static inline struct vtd_inv vtd_inv_pc(unsigned int gran, uint16_t did,
					uint32_t pasid)
{
	struct vtd_inv d = { { VTD_INV_PC | fld(GENMASK64(5, 4), gran) |
			       fld(GENMASK64(31, 16), did) |
			       fld(GENMASK64(51, 32), pasid) } };

	return d;
}

/* PASID-based device-TLB: @s with the ATS size encoding in @addr's low bits */
static inline struct vtd_inv vtd_inv_pdevtlb(uint16_t sid, uint16_t pfsid,
					     uint32_t pasid, uint8_t mip,
					     bool global, uint64_t addr, bool s)
{
	struct vtd_inv d = { { VTD_INV_PDEVTLB | fld(GENMASK64(8, 4), mip) |
			       fld(GENMASK64(15, 12), pfsid & 0xf) |
			       fld(GENMASK64(31, 16), sid) |
			       fld(GENMASK64(51, 32), pasid) |
			       fld(GENMASK64(63, 52), pfsid >> 4),
			       (global ? BIT64(0) : 0) | (s ? BIT64(11) : 0) |
			       (addr & GENMASK64(63, 12)) } };

	return d;
}

static inline struct vtd_inv vtd_inv_pdevtlb_all(uint16_t sid, uint32_t pasid)
{
	return vtd_inv_pdevtlb(sid, sid, pasid, 0, false, VTD_DEVTLB_ALL_ADDR, true);
}

static inline struct vtd_inv vtd_inv_wait(bool iflag, bool sw, bool fn, bool pd,
					  uint32_t sdata, uint64_t saddr)
{
	struct vtd_inv d = { { VTD_INV_WAIT | (iflag ? BIT64(4) : 0) |
			       (sw ? BIT64(5) : 0) | (fn ? BIT64(6) : 0) |
			       (pd ? BIT64(7) : 0) | fld(GENMASK64(63, 32), sdata),
			       saddr & GENMASK64(63, 2) } };

	return d;
}

/* Descriptors a guest may not issue: host structures the guest does not own. */
static inline struct vtd_inv vtd_inv_cc_global(void)
{
	struct vtd_inv d = { { VTD_INV_CC | fld(GENMASK64(5, 4), 1) } };

	return d;
}

static inline struct vtd_inv vtd_inv_iotlb_global(void)
{
	struct vtd_inv d = { { VTD_INV_IOTLB | fld(GENMASK64(5, 4), 1) } };

	return d;
}

static inline struct vtd_inv vtd_inv_iotlb_domain(uint16_t did)
{
	struct vtd_inv d = { { VTD_INV_IOTLB | fld(GENMASK64(5, 4), 2) |
			       fld(GENMASK64(31, 16), did) } };

	return d;
}

static inline struct vtd_inv vtd_inv_iec_global(void)
{
	struct vtd_inv d = { { VTD_INV_IEC } };	/* G (bit 4) = 0: global */

	return d;
}

/* ------------------------------------------------------------------------
 * SMMUv3 Stream Table Entry, dwords 0-1 (IHI 0070 §5.2)
 */

#define SMMU_CONFIG_ABORT	0
#define SMMU_CONFIG_BYPASS	4
#define SMMU_CONFIG_S1		5
#define SMMU_CONFIG_S2		6
#define SMMU_CONFIG_NESTED	7
#define SMMU_S1FMT_LINEAR	0
#define SMMU_S1FMT_4K_L2	1	/* 64 CDs per L2 table */
#define SMMU_S1FMT_64K_L2	2	/* 1024 CDs per L2 table */
#define SMMU_S1DSS_TERMINATE	0
#define SMMU_S1DSS_BYPASS	1
#define SMMU_S1DSS_SSID0	2
#define SMMU_CACHE_NC		0
#define SMMU_CACHE_WBRA		1	/* STE S1CIR/COR; CD IRx/ORx: WBWA */
#define SMMU_CACHE_WT		2
#define SMMU_CACHE_WB		3
#define SMMU_SH_NSH		0
#define SMMU_SH_OSH		2
#define SMMU_SH_ISH		3
#define SMMU_EATS_ABT		0
#define SMMU_EATS_TRANS		1
#define SMMU_EATS_S1CHK		2

/* Absolute bits of the STE, for raw pokes */
#define SMMU_STE_RSVD_56	56	/* 58:56 RES0 */
#define SMMU_STE_SW_RSVD	84	/* 87:84 SW_RESERVED, IGNORED */
#define SMMU_STE_RSVD_105	105	/* 107:105 RES0 */

struct smmu_ste_cfg {
	bool v;
	uint8_t config;
	uint8_t s1fmt;
	uint64_t s1ctxptr;	/* CD table or L1CD table, an IPA (GPA) under nesting */
	uint8_t s1cdmax;	/* log2 of the number of CDs */
	uint8_t s1dss;
	uint8_t s1cir, s1cor, s1csh;
	bool s1stalld;
	uint8_t eats;
	uint8_t strw;
};

static inline void smmu_ste_encode(uint64_t ste[2], const struct smmu_ste_cfg *c)
{
	ste[0] = (c->v ? BIT64(0) : 0) | fld(GENMASK64(3, 1), c->config) |
		 fld(GENMASK64(5, 4), c->s1fmt) |
		 (c->s1ctxptr & GENMASK64(55, 6)) |
		 fld(GENMASK64(63, 59), c->s1cdmax);
	ste[1] = fld(GENMASK64(1, 0), c->s1dss) | fld(GENMASK64(3, 2), c->s1cir) |
		 fld(GENMASK64(5, 4), c->s1cor) | fld(GENMASK64(7, 6), c->s1csh) |
		 (c->s1stalld ? BIT64(27) : 0) | fld(GENMASK64(29, 28), c->eats) |
		 fld(GENMASK64(31, 30), c->strw);
}

/* ------------------------------------------------------------------------
 * SMMUv3 context descriptors (IHI 0070 §5.4) and L1CDs (§5.3)
 */

/* CD.TG0 encodings (TG1 differs: 01 16K, 10 4K, 11 64K) */
#define SMMU_TG0_4K		0
#define SMMU_TG0_64K		1
#define SMMU_TG0_16K		2
#define SMMU_TG1_16K		1
#define SMMU_TG1_4K		2
#define SMMU_TG1_64K		3

struct smmu_cd_cfg {
	uint8_t t0sz, tg0, ir0, or0, sh0;
	bool epd0, endi;
	uint8_t t1sz, tg1, ir1, or1, sh1;
	bool epd1, v;
	uint8_t ips;		/* 0: 32 bits ... 5: 48 bits, 6: 52 bits */
	bool affd, wxn, uwxn, tbi0, tbi1, pan, aa64, hd, ha, s, r, a, aset;
	uint16_t asid;
	uint64_t ttb0, ttb1;
	uint64_t mair;
};

static inline void smmu_cd_encode(uint64_t cd[8], const struct smmu_cd_cfg *c)
{
	memset(cd, 0, 8 * sizeof(cd[0]));
	cd[0] = fld(GENMASK64(5, 0), c->t0sz) | fld(GENMASK64(7, 6), c->tg0) |
		fld(GENMASK64(9, 8), c->ir0) | fld(GENMASK64(11, 10), c->or0) |
		fld(GENMASK64(13, 12), c->sh0) | (c->epd0 ? BIT64(14) : 0) |
		(c->endi ? BIT64(15) : 0) | fld(GENMASK64(21, 16), c->t1sz) |
		fld(GENMASK64(23, 22), c->tg1) | fld(GENMASK64(25, 24), c->ir1) |
		fld(GENMASK64(27, 26), c->or1) | fld(GENMASK64(29, 28), c->sh1) |
		(c->epd1 ? BIT64(30) : 0) | (c->v ? BIT64(31) : 0) |
		fld(GENMASK64(34, 32), c->ips) | (c->affd ? BIT64(35) : 0) |
		(c->wxn ? BIT64(36) : 0) | (c->uwxn ? BIT64(37) : 0) |
		(c->tbi0 ? BIT64(38) : 0) | (c->tbi1 ? BIT64(39) : 0) |
		(c->pan ? BIT64(40) : 0) | (c->aa64 ? BIT64(41) : 0) |
		(c->hd ? BIT64(42) : 0) | (c->ha ? BIT64(43) : 0) |
		(c->s ? BIT64(44) : 0) | (c->r ? BIT64(45) : 0) |
		(c->a ? BIT64(46) : 0) | (c->aset ? BIT64(47) : 0) |
		fld(GENMASK64(63, 48), c->asid);
	cd[1] = c->ttb0 & GENMASK64(55, 4);
	cd[2] = c->ttb1 & GENMASK64(55, 4);
	cd[3] = c->mair;
}

/* CD.IPS for an output size in bits; 0xff for a size IPS cannot encode */
static inline uint8_t smmu_ips_of(unsigned int bits)
{
	static const uint8_t sizes[] = { 32, 36, 40, 42, 44, 48, 52 };
	unsigned int i;

	for (i = 0; i < sizeof(sizes); i++)
		if (sizes[i] == bits)
			return i;
	return 0xff;
}

static inline unsigned int smmu_ips_bits(uint8_t ips)
{
	static const uint8_t sizes[] = { 32, 36, 40, 42, 44, 48, 52, 56 };

	return sizes[ips & 7];
}

static inline uint8_t smmu_tg0_of(unsigned int granule)
{
	return granule == 0x10000 ? SMMU_TG0_64K :
	       granule == 0x4000 ? SMMU_TG0_16K : SMMU_TG0_4K;
}

static inline uint64_t smmu_l1cd(uint64_t l2ptr, bool v)
{
	return (v ? BIT64(0) : 0) | (l2ptr & GENMASK64(55, 12));
}

/*
 * A CD table in guest memory: S1ContextPtr points at a linear table of
 * 2^cdmax CDs, or at an L1 table of L1CDs (S1Fmt 01: 4K L2 tables of 64
 * CDs, 10: 64K L2 tables of 1024 CDs).  With cdmax 0 it is one CD.
 */
struct smmu_cdtab {
	struct gmem *g;
	uint8_t fmt, cdmax;
	uint64_t base;		/* S1ContextPtr */
};

static inline unsigned int smmu_cdtab_split(const struct smmu_cdtab *t)
{
	return t->fmt == SMMU_S1FMT_4K_L2 ? 6 : 10;
}

static inline bool smmu_cdtab_2lvl(const struct smmu_cdtab *t)
{
	return t->cdmax && (t->fmt == SMMU_S1FMT_4K_L2 || t->fmt == SMMU_S1FMT_64K_L2);
}

static inline int smmu_cdtab_init(struct smmu_cdtab *t, struct gmem *g,
				  uint8_t fmt, uint8_t cdmax)
{
	uint64_t size;

	t->g = g;
	t->fmt = fmt;
	t->cdmax = cdmax;
	if (smmu_cdtab_2lvl(t)) {
		unsigned int split = smmu_cdtab_split(t);

		size = 8ULL << (cdmax > split ? cdmax - split : 0);
	} else {
		size = 64ULL << cdmax;
	}
	/* aligned to its size, at least 64 bytes */
	t->base = gmem_alloc(g, size < 64 ? 64 : size, size < 64 ? 64 : size);
	return t->base == GMEM_NONE ? -ENOMEM : 0;
}

/* The L1CD that locates @ssid's CD (2-level tables only) */
static inline uint64_t *smmu_cdtab_l1cd(struct smmu_cdtab *t, uint32_t ssid)
{
	uint64_t *l1 = gmem_ptr(t->g, t->base);

	if (!l1 || !smmu_cdtab_2lvl(t))
		return NULL;
	return &l1[ssid >> smmu_cdtab_split(t)];
}

/* GPA of @ssid's CD; a 2-level table gets its L2 table (and L1CD) if needed */
static inline uint64_t smmu_cdtab_cd_gpa(struct smmu_cdtab *t, uint32_t ssid)
{
	uint64_t *l1cd, l2size;

	if (!smmu_cdtab_2lvl(t))
		return t->base + 64ULL * ssid;
	l1cd = smmu_cdtab_l1cd(t, ssid);
	if (!l1cd)
		return GMEM_NONE;
	if (!(*l1cd & 1)) {
		uint64_t l2;

		l2size = 64ULL << smmu_cdtab_split(t);
		l2 = gmem_alloc(t->g, l2size, l2size);
		if (l2 == GMEM_NONE)
			return GMEM_NONE;
		*l1cd = smmu_l1cd(l2, true);
	}
	return (*l1cd & GENMASK64(55, 12)) +
	       64ULL * (ssid & ((1U << smmu_cdtab_split(t)) - 1));
}

static inline uint64_t *smmu_cdtab_cd(struct smmu_cdtab *t, uint32_t ssid)
{
	uint64_t gpa = smmu_cdtab_cd_gpa(t, ssid);

	return gpa == GMEM_NONE ? NULL : gmem_ptr(t->g, gpa);
}

/* ------------------------------------------------------------------------
 * VMSAv8-64 stage-1 translation tables (Arm ARM D8.3), 4K / 16K / 64K
 * granules, levels 0..3, the start level derived from T0SZ.
 */

#define ARM_DESC_VALID		BIT64(0)
#define ARM_DESC_TABLE		BIT64(1)	/* table (L0-2) or page (L3) */
#define ARM_ATTRIDX(n)		fld(GENMASK64(4, 2), (n))
#define ARM_NS			BIT64(5)
#define ARM_AP(n)		fld(GENMASK64(7, 6), (n))
#define ARM_AP_EL1_RW		0	/* AP[2:1]: EL1 RW, EL0 none */
#define ARM_AP_RW		1	/* EL1 and EL0 RW */
#define ARM_AP_EL1_RO		2	/* EL1 RO, EL0 none */
#define ARM_AP_RO		3	/* EL1 and EL0 RO */
#define ARM_SH(n)		fld(GENMASK64(9, 8), (n))
#define ARM_AF			BIT64(10)
#define ARM_NG			BIT64(11)
#define ARM_DBM			BIT64(51)
#define ARM_CONT		BIT64(52)
#define ARM_PXN			BIT64(53)
#define ARM_UXN			BIT64(54)
#define ARM_PXNTABLE		BIT64(59)
#define ARM_UXNTABLE		BIT64(60)
#define ARM_APTABLE(n)		fld(GENMASK64(62, 61), (n))
#define ARM_APTABLE_NO_EL0	1	/* APTable[0]: no unprivileged access below */
#define ARM_APTABLE_NO_WRITE	2	/* APTable[1]: no write access below */
#define ARM_NSTABLE		BIT64(63)
#define ARM_OA			GENMASK64(47, 12)
/* A normal leaf: AttrIndx 0, EL0+EL1 RW, inner shareable, AF, not global */
#define ARM_LEAF_STD		(ARM_ATTRIDX(0) | ARM_AP(ARM_AP_RW) | \
				 ARM_SH(SMMU_SH_ISH) | ARM_AF | ARM_NG)

/* log2 of the granule */
static inline unsigned int arm_gshift(unsigned int granule)
{
	return __builtin_ctz(granule);
}

/* The level a walk starts at for @granule and @t0sz (VA bits 64 - T0SZ) */
static inline int arm_start_level(unsigned int granule, unsigned int t0sz)
{
	unsigned int gs = arm_gshift(granule), stride = gs - 3;
	unsigned int bits = 64 - t0sz - gs;

	return 4 - (int)((bits + stride - 1) / stride);
}

static inline unsigned int arm_shift(unsigned int granule, int level)
{
	unsigned int gs = arm_gshift(granule);

	return gs + (gs - 3) * (3 - level);
}

static inline uint64_t arm_level_size(unsigned int granule, int level)
{
	return 1ULL << arm_shift(granule, level);
}

struct arm_s1 {
	struct gmem *g;
	unsigned int granule;	/* 0x1000, 0x4000, 0x10000 */
	unsigned int t0sz;
	int start;		/* start level */
	uint64_t root;		/* GPA: CD.TTB0 */
	uint64_t tattrs;	/* attributes of the table descriptors it creates */
};

/* Entries of the table at @level */
static inline unsigned int arm_entries(const struct arm_s1 *t, int level)
{
	unsigned int gs = arm_gshift(t->granule);

	if (level == t->start)
		return 1U << (64 - t->t0sz - arm_shift(t->granule, level));
	return 1U << (gs - 3);
}

static inline unsigned int arm_index(const struct arm_s1 *t, uint64_t va, int level)
{
	return (va >> arm_shift(t->granule, level)) & (arm_entries(t, level) - 1);
}

static inline uint64_t arm_table_desc(uint64_t next, uint64_t attrs)
{
	return (next & ARM_OA) | ARM_DESC_VALID | ARM_DESC_TABLE | attrs;
}

/* Block (levels 0-2, bits 1:0 = 01) or page (level 3, bits 1:0 = 11) */
static inline uint64_t arm_leaf_desc(int level, uint64_t oa, uint64_t attrs)
{
	return (oa & ARM_OA) | ARM_DESC_VALID | (level == 3 ? ARM_DESC_TABLE : 0) |
	       attrs;
}

static inline uint64_t arm_table_alloc(struct arm_s1 *t, int level)
{
	uint64_t size = 8ULL * arm_entries(t, level);

	/* a table is aligned to its size; a smaller start table to 64 bytes */
	if (size < 64)
		size = 64;
	return gmem_alloc(t->g, size, size);
}

static inline int arm_s1_init(struct arm_s1 *t, struct gmem *g,
			      unsigned int granule, unsigned int t0sz)
{
	t->g = g;
	t->granule = granule;
	t->t0sz = t0sz;
	t->start = arm_start_level(granule, t0sz);
	t->tattrs = 0;
	if (t->start < 0 || t->start > 3)
		return -EINVAL;
	t->root = arm_table_alloc(t, t->start);
	return t->root == GMEM_NONE ? -ENOMEM : 0;
}

/* The descriptor at @level translating @va (see vtd_fs_entry_ptr()) */
static inline uint64_t *arm_s1_entry_ptr(struct arm_s1 *t, uint64_t va,
					 int level, bool create)
{
	uint64_t table = t->root;
	int l;

	for (l = t->start; ; l++) {
		uint64_t *tab = gmem_ptr(t->g, table), *e;

		if (!tab || l > 3)
			return NULL;
		e = &tab[arm_index(t, va, l)];
		if (l == level)
			return e;
		if (!(*e & ARM_DESC_VALID)) {
			uint64_t next;

			if (!create)
				return NULL;
			next = arm_table_alloc(t, l + 1);
			if (next == GMEM_NONE)
				return NULL;
			*e = arm_table_desc(next, t->tattrs);
		} else if (!(*e & ARM_DESC_TABLE)) {
			return NULL;
		}
		table = *e & ARM_OA;
	}
}

static inline uint64_t arm_s1_entry_gpa(struct arm_s1 *t, uint64_t va, int level)
{
	uint64_t *e = arm_s1_entry_ptr(t, va, level, false);

	return e ? gmem_gpa(t->g, e) : GMEM_NONE;
}

/* Maps @va to @oa with a leaf at @level (3: page, else a block). */
static inline uint64_t *arm_s1_map(struct arm_s1 *t, uint64_t va, uint64_t oa,
				   int level, uint64_t attrs)
{
	uint64_t *e = arm_s1_entry_ptr(t, va, level, true);

	if (e)
		*e = arm_leaf_desc(level, oa, attrs);
	return e;
}

/* ------------------------------------------------------------------------
 * SMMUv3 commands (IHI 0070 §4), 2 x u64
 */

struct smmu_cmd {
	uint64_t dw[2];
};

#define SMMU_CMD_PREFETCH_CONFIG 0x01
#define SMMU_CMD_CFGI_STE	0x03
#define SMMU_CMD_CFGI_STE_RANGE	0x04	/* Range 31: CMD_CFGI_ALL */
#define SMMU_CMD_CFGI_CD	0x05
#define SMMU_CMD_CFGI_CD_ALL	0x06
#define SMMU_CMD_TLBI_NH_ALL	0x10
#define SMMU_CMD_TLBI_NH_ASID	0x11
#define SMMU_CMD_TLBI_NH_VA	0x12
#define SMMU_CMD_TLBI_NH_VAA	0x13
#define SMMU_CMD_TLBI_EL2_ALL	0x20
#define SMMU_CMD_TLBI_EL2_ASID	0x21
#define SMMU_CMD_TLBI_EL2_VA	0x22
#define SMMU_CMD_TLBI_EL2_VAA	0x23
#define SMMU_CMD_TLBI_S12_VMALL	0x28
#define SMMU_CMD_TLBI_S2_IPA	0x2a
#define SMMU_CMD_TLBI_NSNH_ALL	0x30
#define SMMU_CMD_ATC_INV	0x40
#define SMMU_CMD_SYNC		0x46

/* Range TLBI: TG is the granule of the entries (01 4K, 10 16K, 11 64K; not CD.TG0's) */
#define SMMU_TLBI_TG_4K		1
#define SMMU_TLBI_TG_16K	2
#define SMMU_TLBI_TG_64K	3

/*
 * Range and level-hint fields (need IDR3.RIL): the range is
 * (NUM + 1) * 2^SCALE granules from the address; TTL is the leaf's level
 * (0: any).  All zero for a single-address invalidation.
 */
struct smmu_tlbi_range {
	uint8_t tg, ttl, num, scale;
};

static inline uint8_t smmu_tlbi_tg_of(unsigned int granule)
{
	return granule == 0x10000 ? SMMU_TLBI_TG_64K :
	       granule == 0x4000 ? SMMU_TLBI_TG_16K : SMMU_TLBI_TG_4K;
}

static inline uint64_t smmu_tlbi_range_bytes(const struct smmu_tlbi_range *r,
					     unsigned int granule)
{
	return (uint64_t)(r->num + 1) << r->scale << arm_gshift(granule);
}

static inline struct smmu_cmd smmu_cmd_op(uint8_t op)
{
	struct smmu_cmd c = { { op, 0 } };

	return c;
}

static inline struct smmu_cmd smmu_cmd_tlbi_nh_all(uint16_t vmid)
{
	struct smmu_cmd c = smmu_cmd_op(SMMU_CMD_TLBI_NH_ALL);

	c.dw[0] |= fld(GENMASK64(47, 32), vmid);
	return c;
}

static inline struct smmu_cmd smmu_cmd_tlbi_nh_asid(uint16_t vmid, uint16_t asid)
{
	struct smmu_cmd c = smmu_cmd_tlbi_nh_all(vmid);

	c.dw[0] = (c.dw[0] & ~0xffULL) | SMMU_CMD_TLBI_NH_ASID |
		  fld(GENMASK64(63, 48), asid);
	return c;
}

/* Fields shared by the by-address TLBIs: NUM/SCALE in dw0, the rest in dw1 */
static inline void smmu_tlbi_addr(struct smmu_cmd *c, uint64_t addr, bool leaf,
				  const struct smmu_tlbi_range *r)
{
	if (r)
		c->dw[0] |= fld(GENMASK64(16, 12), r->num) |
			    fld(GENMASK64(24, 20), r->scale);
	c->dw[1] = (leaf ? BIT64(0) : 0) | (addr & GENMASK64(63, 12));
	if (r)
		c->dw[1] |= fld(GENMASK64(9, 8), r->ttl) | fld(GENMASK64(11, 10), r->tg);
}

static inline struct smmu_cmd smmu_cmd_tlbi_nh_va(uint16_t vmid, uint16_t asid,
						  uint64_t addr, bool leaf,
						  const struct smmu_tlbi_range *r)
{
	struct smmu_cmd c = smmu_cmd_op(SMMU_CMD_TLBI_NH_VA);

	c.dw[0] |= fld(GENMASK64(47, 32), vmid) | fld(GENMASK64(63, 48), asid);
	smmu_tlbi_addr(&c, addr, leaf, r);
	return c;
}

static inline struct smmu_cmd smmu_cmd_tlbi_nh_vaa(uint16_t vmid, uint64_t addr,
						   bool leaf,
						   const struct smmu_tlbi_range *r)
{
	struct smmu_cmd c = smmu_cmd_op(SMMU_CMD_TLBI_NH_VAA);

	c.dw[0] |= fld(GENMASK64(47, 32), vmid);
	smmu_tlbi_addr(&c, addr, leaf, r);
	return c;
}

static inline struct smmu_cmd smmu_cmd_cfgi_cd(uint32_t sid, uint32_t ssid, bool leaf)
{
	struct smmu_cmd c = smmu_cmd_op(SMMU_CMD_CFGI_CD);

	c.dw[0] |= fld(GENMASK64(31, 12), ssid) | fld(GENMASK64(63, 32), sid);
	c.dw[1] = leaf ? 1 : 0;
	return c;
}

static inline struct smmu_cmd smmu_cmd_cfgi_cd_all(uint32_t sid)
{
	struct smmu_cmd c = smmu_cmd_op(SMMU_CMD_CFGI_CD_ALL);

	c.dw[0] |= fld(GENMASK64(63, 32), sid);
	return c;
}

static inline struct smmu_cmd smmu_cmd_cfgi_ste(uint32_t sid, bool leaf)
{
	struct smmu_cmd c = smmu_cmd_op(SMMU_CMD_CFGI_STE);

	c.dw[0] |= fld(GENMASK64(63, 32), sid);
	c.dw[1] = leaf ? 1 : 0;
	return c;
}

static inline struct smmu_cmd smmu_cmd_cfgi_all(void)
{
	struct smmu_cmd c = smmu_cmd_op(SMMU_CMD_CFGI_STE_RANGE);

	c.dw[1] = 31;
	return c;
}

/* Size: the span is 4K * 2^size, naturally aligned; 52 is everything */
static inline struct smmu_cmd smmu_cmd_atc_inv(uint32_t sid, bool ssv, uint32_t ssid,
					       bool global, uint64_t addr,
					       uint8_t size)
{
	struct smmu_cmd c = smmu_cmd_op(SMMU_CMD_ATC_INV);

	c.dw[0] |= (global ? BIT64(9) : 0) | (ssv ? BIT64(11) : 0) |
		   fld(GENMASK64(31, 12), ssid) | fld(GENMASK64(63, 32), sid);
	c.dw[1] = fld(GENMASK64(5, 0), size) | (addr & GENMASK64(63, 12));
	return c;
}

/* CS: 0 no signal, 1 IRQ, 2 SEV */
static inline struct smmu_cmd smmu_cmd_sync(uint8_t cs)
{
	struct smmu_cmd c = smmu_cmd_op(SMMU_CMD_SYNC);

	c.dw[0] |= fld(GENMASK64(13, 12), cs);
	return c;
}

static inline struct smmu_cmd smmu_cmd_tlbi_s2_ipa(uint16_t vmid, uint64_t addr,
						   bool leaf)
{
	struct smmu_cmd c = smmu_cmd_op(SMMU_CMD_TLBI_S2_IPA);

	c.dw[0] |= fld(GENMASK64(47, 32), vmid);
	c.dw[1] = (leaf ? BIT64(0) : 0) | (addr & GENMASK64(51, 12));
	return c;
}

static inline struct smmu_cmd smmu_cmd_tlbi_el2_asid(uint16_t asid)
{
	struct smmu_cmd c = smmu_cmd_op(SMMU_CMD_TLBI_EL2_ASID);

	c.dw[0] |= fld(GENMASK64(63, 48), asid);
	return c;
}

static inline struct smmu_cmd smmu_cmd_tlbi_el2_va(uint16_t asid, uint64_t addr,
						   bool leaf)
{
	struct smmu_cmd c = smmu_cmd_op(SMMU_CMD_TLBI_EL2_VA);

	c.dw[0] |= fld(GENMASK64(63, 48), asid);
	smmu_tlbi_addr(&c, addr, leaf, NULL);
	return c;
}

static inline struct smmu_cmd smmu_cmd_tlbi_el2_vaa(uint64_t addr, bool leaf)
{
	struct smmu_cmd c = smmu_cmd_op(SMMU_CMD_TLBI_EL2_VAA);

	smmu_tlbi_addr(&c, addr, leaf, NULL);
	return c;
}

/* ------------------------------------------------------------------------
 * The nested ioctls: 0 or -errno
 */

static inline int nested_bind(int fd, uint32_t pasid, uint32_t parent,
			      uint32_t format, const void *data, uint32_t len,
			      uint32_t flags)
{
	struct ioasid_nested_bind cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.pasid = pasid,
		.parent_pasid = parent,
		.format = format,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
	};

	return ioctl(fd, IOASID_NESTED_BIND, &cmd) ? -errno : 0;
}

static inline int nested_unbind(int fd, uint32_t pasid)
{
	struct ioasid_nested_bind cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_NESTED_UNBIND,
		.pasid = pasid,
	};

	return ioctl(fd, IOASID_NESTED_BIND, &cmd) ? -errno : 0;
}

#define NESTED_UNSET	0xdeadbeefU	/* what out_done / out_error hold before the call */

/*
 * IOASID_NESTED_INVALIDATE.  *@done and *@error (either may be NULL) get
 * what the kernel left in out_done / out_error, NESTED_UNSET if it wrote
 * nothing there.
 */
static inline int nested_invalidate(int fd, uint32_t pasid, const void *entries,
				    uint32_t entry_len, uint32_t n,
				    uint32_t *done, uint32_t *error)
{
	struct ioasid_nested_invalidate cmd = {
		.size = sizeof(cmd),
		.pasid = pasid,
		.entry_len = entry_len,
		.entry_num = n,
		.out_done = NESTED_UNSET,
		.entries_uptr = (uintptr_t)entries,
		.out_error = NESTED_UNSET,
	};
	int rc = ioctl(fd, IOASID_NESTED_INVALIDATE, &cmd) ? -errno : 0;

	if (done)
		*done = cmd.out_done;
	if (error)
		*error = cmd.out_error;
	return rc;
}

/* IOASID_DEVICE_ALLOW with every field, @wire with IOASID_DEVICE_WIRE_PASID */
static inline int nested_allow(int dev, int fd, uint32_t pasid, uint32_t flags,
			       uint32_t wire, uint64_t cookie)
{
	struct ioasid_device_allow cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioasid_fd = fd,
		.pasid = pasid,
		.cookie = cookie,
		.wire_pasid = wire,
	};

	return ioctl(dev, IOASID_DEVICE_ALLOW, &cmd) ? -errno : 0;
}

/*
 * One fault record, waiting up to @timeout_ms for it (0: only if one is
 * queued): 0, -EAGAIN if none came, -EIO for a short read, or -errno.
 */
static inline int nested_read_fault(int qfd, struct ioasid_fault *f, int timeout_ms)
{
	struct pollfd p = { .fd = qfd, .events = POLLIN };
	ssize_t n;

	memset(f, 0, sizeof(*f));
	n = poll(&p, 1, timeout_ms);
	if (n < 0)
		return -errno;
	if (!n || !(p.revents & POLLIN))
		return -EAGAIN;
	n = read(qfd, f, sizeof(*f));
	if (n < 0)
		return -errno;
	return n == sizeof(*f) ? 0 : -EIO;
}

/*
 * Copies capability @id of a GET_INFO chain (@flags / @pasid as for
 * IOASID_GET_INFO) into @out, at most @len bytes.  0, -ENOENT if the chain
 * lacks it, -EBADMSG for a malformed chain, or the ioctl's -errno.
 */
static inline int nested_info_cap(int fd, uint32_t flags, uint32_t pasid,
				  uint16_t id, void *out, size_t len)
{
	unsigned char buf[4096] __attribute__((aligned(8)));
	struct ioasid_info cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.pasid = pasid,
		.caps_len = sizeof(buf),
		.caps_uptr = (uintptr_t)buf,
	};
	uint32_t off = 0;
	int hops;

	memset(buf, 0, sizeof(buf));
	if (ioctl(fd, IOASID_GET_INFO, &cmd))
		return -errno;
	if (cmd.out_caps_written < sizeof(struct ioasid_info_cap_header))
		return -EBADMSG;
	for (hops = 0; hops < 64; hops++) {
		const struct ioasid_info_cap_header *h = (const void *)(buf + off);

		if (off % 8 || off + sizeof(*h) > cmd.out_caps_written)
			return -EBADMSG;
		if (h->id == id) {
			if (off + len > cmd.out_caps_written)
				return -EBADMSG;
			memcpy(out, h, len);
			return 0;
		}
		if (!h->next)
			return -ENOENT;
		if (h->next <= off)
			return -EBADMSG;
		off = h->next;
	}
	return -EBADMSG;
}

static inline int nested_cap(int fd, struct ioasid_info_cap_nested *out)
{
	return nested_info_cap(fd, 0, 0, IOASID_INFO_CAP_NESTED, out, sizeof(*out));
}

static inline int nested_ioas_cap(int fd, uint32_t pasid,
				  struct ioasid_info_cap_nested_ioas *out)
{
	return nested_info_cap(fd, IOASID_INFO_PASID, pasid,
			       IOASID_INFO_CAP_NESTED_IOAS, out, sizeof(*out));
}

#endif /* __IOASID_NESTED_PT_H */
