/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/ioasid: hardware formats of nested (guest) stage-1 translation.
 *
 * Pure functions over guest-written structures: Intel VT-d scalable-mode
 * PASID-table entries, first-stage paging entries and queued-invalidation
 * descriptors; Arm SMMUv3 STEs, L1CDs, CDs, VMSAv8-64 stage-1 descriptors and
 * commands.  Nothing here knows the module's objects: guest memory is reached
 * through struct ioasidfd_s2_walk, the caller's stage 2.
 *
 *   pgwalk.c       the one stage-1 walker (translate, walk a range)
 *   fmt_vtd.c      VT-d tables and callbacks, PASID entry, descriptors
 *   fmt_smmuv3.c   SMMUv3 tables and callbacks, STE, CD, commands
 *
 * Spec references: "VT-d 5.10 §x" is the Intel VT-d Architecture
 * Specification rev 5.10; "SMMUv3 §x" is Arm IHI 0070 G.b; "Arm ARM Dx" is
 * DDI 0487 (VMSAv8-64 descriptors and permissions).
 *
 * Return codes of the parsers and decoders: 0 on success; -EINVAL for a
 * malformed structure (a reserved bit or a reserved encoding, an ILLEGAL
 * combination, an out-of-range field); -EPERM for a well-formed descriptor
 * or command the guest may not issue through us (its type is refused).
 * Translation returns -EFAULT with a struct ioasidfd_s1_fault filled in.
 */
#ifndef __IOASIDFD_PGFMT_H
#define __IOASIDFD_PGFMT_H

#include <linux/bits.h>
#include <linux/types.h>

struct page;

/* Access rights / request attributes */
#define IOASIDFD_S1_READ	BIT(0)
#define IOASIDFD_S1_WRITE	BIT(1)
#define IOASIDFD_S1_PRIV	BIT(2)	/* supervisor/privileged request (VT-d PR=1, SMMU PnU=1) */

/**
 * struct ioasidfd_s2_walk - stage-2 access for stage-1 table walks
 * @page: the pinned page holding guest-physical @gpa if stage 2 grants
 *        @need (IOASIDFD_S1_READ and/or IOASIDFD_S1_WRITE); else NULL with
 *        *@reason set to IOASIDFD_F_UNMAPPED or IOASIDFD_F_PERMISSION.
 *        Called with whatever keeps stage 2 stable held by the caller; may
 *        not sleep.  The page must stay valid until the walk returns
 * @arg: passed to @page
 */
struct ioasidfd_s2_walk {
	struct page *(*page)(void *arg, u64 gpa, u32 need, u32 *reason);
	void *arg;
};

/**
 * enum ioasidfd_fault_reason - why a stage-1 translation failed
 * @IOASIDFD_F_NONE: no fault
 * @IOASIDFD_F_UNMAPPED: not present / invalid descriptor (translation fault)
 * @IOASIDFD_F_PERMISSION: access rights
 * @IOASIDFD_F_ACCESS_FLAG: SMMU: AF=0, no HA, no AFFD
 * @IOASIDFD_F_ADDR_SIZE: output or table address beyond the output size
 * @IOASIDFD_F_NON_CANONICAL: VT-d: input not canonical; SMMU: input outside
 *                            the TxSZ range
 * @IOASIDFD_F_RESERVED: reserved bit set in a paging entry
 * @IOASIDFD_F_BAD_CONTEXT: VT-d: PASID entry not present/bad; SMMU:
 *                          C_BAD_CD / C_BAD_STE (see &ioasidfd_s1_fault.cls)
 * @IOASIDFD_F_BAD_SUBSTREAM: SMMU C_BAD_SUBSTREAMID
 * @IOASIDFD_F_STREAM_DISABLED: SMMU F_STREAM_DISABLED (S1DSS rules)
 * @IOASIDFD_F_ABORT: SMMU Config abort: terminated, no event recorded
 */
enum ioasidfd_fault_reason {
	IOASIDFD_F_NONE,
	IOASIDFD_F_UNMAPPED,
	IOASIDFD_F_PERMISSION,
	IOASIDFD_F_ACCESS_FLAG,
	IOASIDFD_F_ADDR_SIZE,
	IOASIDFD_F_NON_CANONICAL,
	IOASIDFD_F_RESERVED,
	IOASIDFD_F_BAD_CONTEXT,
	IOASIDFD_F_BAD_SUBSTREAM,
	IOASIDFD_F_STREAM_DISABLED,
	IOASIDFD_F_ABORT,
};

/**
 * enum ioasidfd_fault_class - which structure a fault concerns
 * @IOASIDFD_FCLS_IN: the input address or the translation (SMMU CLASS=IN)
 * @IOASIDFD_FCLS_TT: a stage-1 translation table (SMMU CLASS=TT)
 * @IOASIDFD_FCLS_CD: a CD or L1CD (SMMU CLASS=CD, C_BAD_CD)
 * @IOASIDFD_FCLS_STE: the STE (C_BAD_STE)
 */
enum ioasidfd_fault_class {
	IOASIDFD_FCLS_IN,
	IOASIDFD_FCLS_TT,
	IOASIDFD_FCLS_CD,
	IOASIDFD_FCLS_STE,
};

/**
 * struct ioasidfd_s1_fault - a failed stage-1 (or stage-2 on its behalf) step
 * @reason: enum ioasidfd_fault_reason
 * @stage: 1 or 2
 * @level: table level where it happened (format numbering: VT-d 5..1, SMMU
 *         0..3); 0 for a fault before any table (input, context)
 * @table_walk: stage-2 fault while reading or updating a stage-1 table,
 *              a CD or an L1CD
 * @record: false where the hardware records no event (SMMU Config abort,
 *          CD.R=0 for translation-related stage-1 faults, VT-d FPD=1)
 * @cls: enum ioasidfd_fault_class
 * @addr: input address, as the request carried it
 * @gpa: for @stage 2: the guest-physical address that faulted
 */
struct ioasidfd_s1_fault {
	u32 reason;
	u8 stage;
	u8 level;
	bool table_walk;
	bool record;
	u8 cls;
	u64 addr;
	u64 gpa;
};

/* What an executor advertises to a guest (struct ioasidfd_nested_caps::flags) */
#define IOASIDFD_CAP_VTD_5LVL		BIT(0)	/* CAP.FS5LP: 5-level first stage */
#define IOASIDFD_CAP_VTD_1G		BIT(1)	/* CAP.FS1GP: 1 GB first-stage pages */
#define IOASIDFD_CAP_VTD_SRS		BIT(2)	/* ECAP.SRS: supervisor requests */
#define IOASIDFD_CAP_VTD_EAFS		BIT(3)	/* ECAP.EAFS: extended accessed flag */
#define IOASIDFD_CAP_ATS		BIT(4)	/* VT-d ECAP.DT / SMMU IDR0.ATS */
#define IOASIDFD_CAP_VTD_PT		BIT(5)	/* ECAP.PT: PGTT 100b pass-through */
#define IOASIDFD_CAP_SMMU_CD2L		BIT(8)	/* IDR0.CD2L: 2-level CD tables */
#define IOASIDFD_CAP_SMMU_HTTU_A	BIT(9)	/* IDR0.HTTU >= 01: AF update */
#define IOASIDFD_CAP_SMMU_HTTU_D	BIT(10)	/* IDR0.HTTU >= 10: dirty update too */
#define IOASIDFD_CAP_SMMU_ASID16	BIT(11)	/* IDR0.ASID16 */
#define IOASIDFD_CAP_SMMU_RIL		BIT(12)	/* IDR3.RIL: range invalidation */
#define IOASIDFD_CAP_SMMU_STT		BIT(13)	/* IDR3.STT: small translation tables */
#define IOASIDFD_CAP_SMMU_STALL		BIT(14)	/* IDR0.STALL_MODEL=00 (else 01) */

/* struct ioasidfd_nested_caps::granules */
#define IOASIDFD_GRAN_4K		BIT(0)
#define IOASIDFD_GRAN_16K		BIT(1)
#define IOASIDFD_GRAN_64K		BIT(2)

/**
 * struct ioasidfd_nested_caps - what an executor advertises to a guest
 * @flags: IOASIDFD_CAP_*
 * @haw: VT-d host address width of GPAs (e.g. 48): first-stage entries
 *       reserve bits 51:@haw
 * @ssid_bits: SMMU IDR1.SSIDSIZE, 0..20
 * @ias: SMMU IAS: guest IPA bits (S1ContextPtr, L1CD.L2Ptr)
 * @oas: SMMU OAS as the guest sees it (caps CD.IPS); at most 48
 * @granules: SMMU IDR5.GRAN*: IOASIDFD_GRAN_*
 * @mamv: VT-d CAP.MAMV: largest AM of a page-selective invalidation
 *
 * The SMMU model behind these: AArch64 tables only (IDR0.TTF=10), little
 * endian tables only (TTENDIAN=10), abort termination only
 * (IDR0.TERM_MODEL=1), no stage 2 (IDR0.S2P=0), no Hyp, no 52-bit VA/PA
 * (IDR5.VAX=0, DS=0), no HAD/E0PD/EPAN/PIE.
 */
struct ioasidfd_nested_caps {
	u32 flags;
	u8 haw;
	u8 ssid_bits;
	u8 ias;
	u8 oas;
	u32 granules;
	u8 mamv;
};

struct ioasidfd_s1_cfg;
struct ioasidfd_s1_half;

/* struct ioasidfd_s1_pte::kind */
enum {
	IOASIDFD_PTE_INVALID,	/* a hole or a faulting entry: see @fault */
	IOASIDFD_PTE_TABLE,	/* points to the next level at @addr */
	IOASIDFD_PTE_LEAF,	/* maps the entry's span at @addr */
};

/* Rights a level leaves to the rest of the walk (struct ioasidfd_s1_pte::allow) */
#define IOASIDFD_S1_ALLOW_PR	BIT(0)	/* privileged read */
#define IOASIDFD_S1_ALLOW_PW	BIT(1)	/* privileged write */
#define IOASIDFD_S1_ALLOW_UR	BIT(2)	/* unprivileged read */
#define IOASIDFD_S1_ALLOW_UW	BIT(3)	/* unprivileged write */
#define IOASIDFD_S1_ALLOW_ALL	GENMASK(3, 0)

/**
 * struct ioasidfd_s1_pte - one stage-1 entry, decoded by its format
 * @kind: IOASIDFD_PTE_INVALID, _TABLE or _LEAF
 * @fault: INVALID: why (IOASIDFD_F_UNMAPPED, _RESERVED, _ADDR_SIZE); LEAF:
 *         a fault every access to the leaf takes (SMMU access flag), else 0
 * @addr: TABLE: GPA of the next-level table; LEAF: output GPA of the first
 *        byte of the leaf
 * @allow: IOASIDFD_S1_ALLOW_* this entry leaves (folded over all levels)
 * @global: LEAF: not tagged (SMMU nG=0)
 */
struct ioasidfd_s1_pte {
	u8 kind;
	u8 fault;
	u64 addr;
	u32 allow;
	bool global;
};

/**
 * struct ioasidfd_s1_in - where an input address goes
 * @half: which root of the configuration translates it (0, or 1 for SMMU
 *        TTB1)
 * @lo: first address of the region sharing this outcome
 * @hi: last address of that region
 */
struct ioasidfd_s1_in {
	u8 half;
	u64 lo;
	u64 hi;
};

/**
 * struct ioasidfd_s1_fmt - a stage-1 format, for the one walker of pgwalk.c
 * @name: "vtd-fs", "smmuv3-s1"
 * @levels_descend: level numbers decrease from the root (VT-d 5/4..1);
 *                  else they increase (SMMU start level..3)
 * @hw_bits: entry bits the hardware updates (A/D, AF/AP[2])
 * @untag: the address to translate for the input address of a request (SMMU
 *         TBI: VA[63:56] replaced by the sign extension of VA[55]); NULL:
 *         identity
 * @input: input-address check and root selection: 0 and @in, or a fault
 *         reason for the whole region @in describes.  @access matters for
 *         context-level rights (VT-d: supervisor requests need SRE)
 * @decode: decode entry @pte at @level (format numbering) of the walk
 *          through @h; @last: the lowest level of the walk
 * @rights: IOASIDFD_S1_READ/WRITE granted by the folded @allow to a request
 *          of privilege @access & IOASIDFD_S1_PRIV
 * @update: @pte with the bits the hardware sets when an access @access uses
 *          it (@leaf: the leaf entry); @pte itself when nothing changes
 */
struct ioasidfd_s1_fmt {
	const char *name;
	bool levels_descend;
	u64 hw_bits;
	u64 (*untag)(const struct ioasidfd_s1_cfg *cfg, u64 iova);
	u32 (*input)(const struct ioasidfd_s1_cfg *cfg, u64 iova, u32 access,
		     struct ioasidfd_s1_in *in);
	void (*decode)(const struct ioasidfd_s1_cfg *cfg,
		       const struct ioasidfd_s1_half *h, unsigned int level,
		       bool last, u64 pte, struct ioasidfd_s1_pte *out);
	u32 (*rights)(const struct ioasidfd_s1_cfg *cfg, u32 allow, u32 access);
	u64 (*update)(const struct ioasidfd_s1_cfg *cfg, u64 pte, bool leaf,
		      u32 access);
};

/**
 * ioasidfd_s1_allow_perm() - rights of folded IOASIDFD_S1_ALLOW_* bits
 * @allow: IOASIDFD_S1_ALLOW_* left by the walk
 * @access: the request; only IOASIDFD_S1_PRIV matters
 *
 * Return: IOASIDFD_S1_READ/WRITE of the request's privilege.
 */
static inline u32 ioasidfd_s1_allow_perm(u32 allow, u32 access)
{
	if (access & IOASIDFD_S1_PRIV)
		return (allow & IOASIDFD_S1_ALLOW_PR ? IOASIDFD_S1_READ : 0) |
		       (allow & IOASIDFD_S1_ALLOW_PW ? IOASIDFD_S1_WRITE : 0);
	return (allow & IOASIDFD_S1_ALLOW_UR ? IOASIDFD_S1_READ : 0) |
	       (allow & IOASIDFD_S1_ALLOW_UW ? IOASIDFD_S1_WRITE : 0);
}

/* Deepest walk of any format (VT-d 5-level) */
#define IOASIDFD_S1_MAX_LEVELS	5

/**
 * struct ioasidfd_s1_half - geometry of the tables behind one root
 * @enabled: walks allowed (SMMU: EPDx=0); else every input faults
 * @gran_shift: log2 of the granule (12, 14, 16)
 * @stride: index bits per level (9, 11, 13)
 * @levels: lookup levels, 1..IOASIDFD_S1_MAX_LEVELS
 * @first_level: format number of the root level (VT-d 4 or 5, SMMU 0..3)
 * @ia_bits: input bits translated (VT-d 48/57, SMMU 64 - TxSZ)
 * @tbi: SMMU TBIx: VA[63:56] ignored
 */
struct ioasidfd_s1_half {
	bool enabled;
	u8 gran_shift;
	u8 stride;
	u8 levels;
	u8 first_level;
	u8 ia_bits;
	bool tbi;
};

/* struct ioasidfd_s1_cfg::flags */
#define IOASIDFD_S1_CFG_NOREC_S1	BIT(0)	/* stage-1 faults not recorded (FPD, CD.R=0) */
#define IOASIDFD_S1_CFG_NOREC_S2	BIT(1)	/* stage-2 faults not recorded (VT-d FPD) */
#define IOASIDFD_S1_CFG_SRE		BIT(2)	/* VT-d: supervisor requests allowed */
#define IOASIDFD_S1_CFG_WPE		BIT(3)	/* VT-d: supervisor writes honour R/W */
#define IOASIDFD_S1_CFG_EAFE		BIT(4)	/* VT-d: EA set with A */
#define IOASIDFD_S1_CFG_1G		BIT(5)	/* VT-d: PS in a PDPE (CAP.FS1GP) */
#define IOASIDFD_S1_CFG_AFFD		BIT(8)	/* SMMU: AF=0 does not fault */
#define IOASIDFD_S1_CFG_HA		BIT(9)	/* SMMU: hardware sets AF */
#define IOASIDFD_S1_CFG_HD		BIT(10)	/* SMMU: hardware dirty state (DBM); implies HA */
#define IOASIDFD_S1_CFG_PAN		BIT(11)	/* SMMU: privileged access to EL0 pages faults */
#define IOASIDFD_S1_CFG_ASET		BIT(12)	/* SMMU: private ASID set (informational) */
#define IOASIDFD_S1_CFG_STALL		BIT(13)	/* SMMU: CD.S, stall on fault */

/**
 * struct ioasidfd_s1_cfg - a guest stage-1 walk configuration
 * @fmt: the format's table
 * @root: GPA of the root table per half: [1] is SMMU TTB1 (upper VA half),
 *        unused for VT-d
 * @half: geometry per root
 * @oa_bits: output size: GPAs at or above 2^@oa_bits are reserved (VT-d HAW)
 *           or an address-size fault (SMMU effective IPS)
 * @tag: VT-d DID / SMMU ASID
 * @flags: IOASIDFD_S1_CFG_*
 *
 * Built by ioasidfd_vtd_parse_pasid_entry() or ioasidfd_smmu_fetch_cd();
 * immutable afterwards, so it can be cached (keyed by PASID / CD index) and
 * read without locks.
 */
struct ioasidfd_s1_cfg {
	const struct ioasidfd_s1_fmt *fmt;
	u64 root[2];
	struct ioasidfd_s1_half half[2];
	u8 oa_bits;
	u32 tag;
	u32 flags;
};

/* struct ioasidfd_s1_leaf::flags: what an access would still change */
#define IOASIDFD_S1_LEAF_UNACCESSED	BIT(0)	/* A/EA (VT-d) or AF (SMMU, HA) clear */
#define IOASIDFD_S1_LEAF_CLEAN		BIT(1)	/* a write sets D / clears AP[2] (HD) */

/**
 * struct ioasidfd_s1_leaf - one present, valid stage-1 leaf
 * @iova: first input address of the leaf (page/block base; SMMU: untagged)
 * @size: 4K, 2M, 1G (VT-d); granule and block sizes (SMMU)
 * @oa: output GPA of @iova
 * @perm: IOASIDFD_S1_READ/WRITE granted for the request's privilege
 * @global: SMMU nG=0 (not ASID-tagged); VT-d: false
 * @level: level of the leaf (format numbering)
 * @flags: IOASIDFD_S1_LEAF_*, as of the walk (walk_range does not update)
 *
 * For a hole, ioasidfd_s1_walk_range() passes @iova and @size of the span
 * the faulting entry (or input region) covers, the rest zero.
 */
struct ioasidfd_s1_leaf {
	u64 iova;
	u64 size;
	u64 oa;
	u32 perm;
	bool global;
	u8 level;
	u8 flags;
};

/**
 * typedef ioasidfd_s1_leaf_fn - visitor of ioasidfd_s1_walk_range()
 * @arg: the walk's @arg
 * @leaf: the leaf, or the span of a hole
 * @fault: NULL for a present, valid leaf; else why the span faults
 *
 * Return: 0 to go on, anything else to stop the walk with that value.
 */
typedef int (*ioasidfd_s1_leaf_fn)(void *arg, const struct ioasidfd_s1_leaf *leaf,
				   const struct ioasidfd_s1_fault *fault);

/**
 * ioasidfd_s1_translate() - translate one address for one access
 * @cfg: the walk configuration
 * @s2: stage 2, for the table reads and the A/D updates
 * @iova: input address
 * @access: IOASIDFD_S1_READ and/or IOASIDFD_S1_WRITE, maybe IOASIDFD_S1_PRIV
 * @leaf: out: the leaf translating @iova (the output GPA of @iova is
 *        @leaf->oa + (untagged @iova - @leaf->iova))
 * @fault: out: why not, on -EFAULT
 *
 * The software IOMMU's per-access path.  Checks the rights of the format
 * (VT-d 5.10 §3.6.1; SMMU AP/APTable/PAN) and, only when the access is
 * allowed, sets the accessed/dirty state in every entry the format wants
 * (VT-d A/EA/D; SMMU AF with HA, AP[2] with HD) with an atomic
 * compare-and-exchange, which needs stage-2 write access to the table page.
 * Does not sleep; callers may hold spinlocks.
 *
 * Return: 0, -EFAULT (@fault filled in), or -EAGAIN when the guest kept
 * rewriting an entry being updated (no translation, nothing recorded).
 */
int ioasidfd_s1_translate(const struct ioasidfd_s1_cfg *cfg,
			  const struct ioasidfd_s2_walk *s2, u64 iova, u32 access,
			  struct ioasidfd_s1_leaf *leaf,
			  struct ioasidfd_s1_fault *fault);

/**
 * ioasidfd_s1_walk_range() - visit every leaf and hole of an input range
 * @cfg: the walk configuration
 * @s2: stage 2, for the table reads
 * @start: first input address
 * @last: last input address (inclusive)
 * @access: only IOASIDFD_S1_PRIV matters: the privilege the rights are for
 * @fn: called in address order for each present, valid leaf (with the
 *      rights of a request of that privilege, possibly none) and for each
 *      hole or faulting entry with a fault.  The span passed is the whole
 *      entry and may extend beyond [@start, @last]
 * @arg: passed to @fn
 *
 * Sets no accessed/dirty state.  Iterative, without cond_resched(): callers
 * may hold a spinlock or an rwsem; they bound the work with the range.
 * Only untagged (SMMU) / canonical addresses are visited: tagged aliases and
 * non-canonical gaps are reported as one faulting span each.
 *
 * Return: 0 once [@start, @last] is covered, or the first non-zero value
 * @fn returned.
 */
int ioasidfd_s1_walk_range(const struct ioasidfd_s1_cfg *cfg,
			   const struct ioasidfd_s2_walk *s2, u64 start, u64 last,
			   u32 access, ioasidfd_s1_leaf_fn fn, void *arg);

/* struct ioasidfd_s1_visit::flags */
#define IOASIDFD_WALK_SET_AD	BIT(0)	/* set accessed/dirty state as an access would */

/**
 * struct ioasidfd_s1_visit - what ioasidfd_s1_walk_range_ex() reports and does
 * @leaf: called as ioasidfd_s1_walk_range()'s @fn
 * @table: called for each page (PAGE_SIZE) of guest table entries the walk
 *         reads, once per page and walk position: its guest-physical
 *         address, the first and last input address the entries of that
 *         page translate, and the level of the entries.  Non-zero stops the
 *         walk with that value.  May be NULL
 * @flags: IOASIDFD_WALK_SET_AD: set, in every entry of the walk to each
 *         valid leaf, the accessed state a read sets, and in the leaf the
 *         dirty state a write sets when the leaf grants writes (a shadow of
 *         the tables assumes every access happens: the device's accesses
 *         through it update nothing).  Needs stage-2 write access to the
 *         table pages: a leaf whose update stage 2 refuses is reported as a
 *         stage-2 table-walk fault instead
 */
struct ioasidfd_s1_visit {
	ioasidfd_s1_leaf_fn leaf;
	int (*table)(void *arg, u64 gpa, u64 span, u64 span_last,
		     unsigned int level);
	u32 flags;
};

/**
 * ioasidfd_s1_walk_range_ex() - ioasidfd_s1_walk_range() with table reports
 *                               and accessed/dirty updates
 * @cfg: the walk configuration
 * @s2: stage 2, for the table reads (and updates)
 * @start: first input address
 * @last: last input address (inclusive)
 * @access: only IOASIDFD_S1_PRIV matters
 * @visit: the visitors and flags
 * @arg: passed to the visitors
 *
 * Return: as ioasidfd_s1_walk_range().
 */
int ioasidfd_s1_walk_range_ex(const struct ioasidfd_s1_cfg *cfg,
			      const struct ioasidfd_s2_walk *s2, u64 start,
			      u64 last, u32 access,
			      const struct ioasidfd_s1_visit *visit, void *arg);

/**
 * ioasidfd_s1_regions() - input regions of a two-halved address space
 * @addr: the input address
 * @lo_bits: the low region is [0, 2^@lo_bits)
 * @hi_bits: the high region is [2^64 - 2^@hi_bits, 2^64)
 * @in: out: the region holding @addr (lo, hi) and its half (0 low, 1 high)
 *
 * For the formats' @input callbacks.
 *
 * Return: true if @addr is in one of the two regions; false if it is in the
 * gap between them (then @in->lo/hi describe the gap).
 */
bool ioasidfd_s1_regions(u64 addr, unsigned int lo_bits, unsigned int hi_bits,
			 struct ioasidfd_s1_in *in);

/* ---------------------------------------------------------------- VT-d */

extern const struct ioasidfd_s1_fmt ioasidfd_vtd_fs_fmt;

/* struct ioasidfd_vtd_ctx::mode */
enum {
	IOASIDFD_VTD_NOT_PRESENT,	/* P=0: every request faults IOASIDFD_F_BAD_CONTEXT */
	IOASIDFD_VTD_FIRST_STAGE,	/* PGTT 001: @cfg translates, stage 2 after it */
	IOASIDFD_VTD_PASSTHROUGH,	/* PGTT 100: stage 2 only */
};

/**
 * struct ioasidfd_vtd_ctx - a validated guest PASID-table entry
 * @mode: IOASIDFD_VTD_NOT_PRESENT, _FIRST_STAGE or _PASSTHROUGH
 * @fpd: FPD: faults through this entry are not recorded
 * @sre: SRE: supervisor requests allowed
 * @did: DID, the tag of IOTLB and PASID-cache entries
 * @pwsnp: PWSNP hint (accepted, not used)
 * @pgsnp: PGSNP hint (accepted, not used)
 * @cfg: the first-stage walk, for IOASIDFD_VTD_FIRST_STAGE
 */
struct ioasidfd_vtd_ctx {
	u8 mode;
	bool fpd;
	bool sre;
	u16 did;
	bool pwsnp;
	bool pgsnp;
	struct ioasidfd_s1_cfg cfg;
};

/**
 * ioasidfd_vtd_parse_pasid_entry() - validate a guest PASID-table entry
 * @val: the 512-bit entry as the guest wrote it (CPU-order u64 words)
 * @caps: what the executor advertises (CAP/ECAP bits, HAW)
 * @out: out: the entry, and its first-stage walk configuration
 *
 * Per VT-d 5.10 §9.6.  P=0 is valid: a non-present entry.  Accepted: FPD,
 * PGTT 001 (first stage only, FSPTPTR a GPA: the guest view of nesting) or
 * 100 (pass-through), DID, PWSNP/PGSNP, SRE (needs SRS), FSPM 00/01 (01
 * needs 5-level), WPE, EAFE (needs EAFS), FSPTPTR within HAW.  Fields
 * ignored for PGTT 001/100 (AW, SSPTPTR, SSADE, EMTE) are ignored; CD and
 * PAT (memory types, never advertised) must be 0; PGTT 010/011 (a guest
 * stage 2) and reserved PGTTs are refused.
 *
 * Return: 0, or -EINVAL for a reserved bit, a reserved encoding or a
 * feature @caps does not advertise.
 */
int ioasidfd_vtd_parse_pasid_entry(const u64 val[8],
				   const struct ioasidfd_nested_caps *caps,
				   struct ioasidfd_vtd_ctx *out);

/* ---------------------------------------------------------------- SMMUv3 */

extern const struct ioasidfd_s1_fmt ioasidfd_smmu_s1_fmt;

/* struct ioasidfd_smmu_ste::config, effective */
enum {
	IOASIDFD_SMMU_STE_ABORT,	/* Config 000, and reserved 001..011 */
	IOASIDFD_SMMU_STE_BYPASS,	/* Config 100: stage 2 only */
	IOASIDFD_SMMU_STE_S1,		/* Config 101: guest stage 1, then stage 2 */
};

/* struct ioasidfd_smmu_ste::s1fmt, effective */
enum {
	IOASIDFD_SMMU_S1FMT_LINEAR,	/* 00, and reserved 11 */
	IOASIDFD_SMMU_S1FMT_2L_4K,	/* 01: 4 KB L2 tables of 64 CDs */
	IOASIDFD_SMMU_S1FMT_2L_64K,	/* 10: 64 KB L2 tables of 1024 CDs */
};

/* struct ioasidfd_smmu_ste::s1dss, effective */
enum {
	IOASIDFD_SMMU_S1DSS_TERMINATE,	/* 00, and reserved 11 */
	IOASIDFD_SMMU_S1DSS_BYPASS,	/* 01 */
	IOASIDFD_SMMU_S1DSS_SSID0,	/* 10 */
};

/**
 * struct ioasidfd_smmu_ste - a validated guest STE (dwords 0-1)
 * @valid: V; when false every transaction aborts with C_BAD_STE
 * @config: IOASIDFD_SMMU_STE_ABORT, _BYPASS or _S1
 * @s1fmt: IOASIDFD_SMMU_S1FMT_* (effective)
 * @s1cdmax: log2 of the CDs (0: one CD, no substreams; 0 when SSIDSIZE=0)
 * @s1dss: IOASIDFD_SMMU_S1DSS_* (effective)
 * @s1stalld: S1STALLD
 * @eats: EATS (effective: 00 or 01)
 * @s1ctxptr: S1ContextPtr (IPA of the CD or L1CD table), aligned as the
 *            SMMU uses it
 * @cir: S1CIR (hint)
 * @cor: S1COR (hint)
 * @csh: S1CSH (hint)
 */
struct ioasidfd_smmu_ste {
	bool valid;
	u8 config;
	u8 s1fmt;
	u8 s1cdmax;
	u8 s1dss;
	bool s1stalld;
	u8 eats;
	u64 s1ctxptr;
	u8 cir;
	u8 cor;
	u8 csh;
};

/**
 * ioasidfd_smmu_parse_ste() - validate guest STE dwords 0-1
 * @ste: dwords 0 and 1 (CPU order)
 * @caps: what the executor advertises
 * @out: out: the STE
 *
 * SMMUv3 §5.2 (SteIllegal).  V=0 is valid (everything aborts with
 * C_BAD_STE).  Accepted: Config 000 (abort), 001..011 (reserved, behave as
 * abort), 100 (bypass: stage 2 only), 101 (stage 1); S1Fmt (11 behaves as
 * 00; 01/10 need CD2L), S1ContextPtr within IAS, S1CDMax <= SSIDSIZE,
 * S1DSS (11 behaves as 00), S1CIR/S1COR/S1CSH, S1STALLD (needs a
 * configurable stall model), EATS 00/01.  Any other bit of dwords 0-1 is
 * refused: the guest gets no stage 2, no Hyp, no MPAM.
 *
 * Return: 0 or -EINVAL.
 */
int ioasidfd_smmu_parse_ste(const u64 ste[2],
			    const struct ioasidfd_nested_caps *caps,
			    struct ioasidfd_smmu_ste *out);

/**
 * ioasidfd_smmu_parse_cd() - validate a CD and build its walk configuration
 * @cd: the 64-byte CD (CPU-order dwords)
 * @ste: the STE it was reached through (S1STALLD)
 * @caps: what the executor advertises
 * @cfg: out: the walk configuration (tag = ASID)
 *
 * SMMUv3 §5.4 CdIllegal: V, AA64, ENDI, TxSZ range for the granule, TGx
 * supported (unless EPDx), TTBx within the effective IPS and 48 bits,
 * HA/HD, ASID width, S and A versus the fault models.
 *
 * Return: 0 or -EINVAL (C_BAD_CD).
 */
int ioasidfd_smmu_parse_cd(const u64 cd[8], const struct ioasidfd_smmu_ste *ste,
			   const struct ioasidfd_nested_caps *caps,
			   struct ioasidfd_s1_cfg *cfg);

/**
 * ioasidfd_smmu_fetch_cd() - resolve the CD for a request
 * @ste: the validated STE
 * @s2: stage 2, to read the L1CD and the CD
 * @ssv: the request carries a SubstreamID
 * @ssid: the SubstreamID
 * @caps: what the executor advertises
 * @cfg: out: the walk configuration
 * @cd_index: out: which CD of the table was used, for caching by CD index
 *            (S1DSS=10 without SSV uses CD 0)
 * @bypass: out: stage 1 is bypassed (Config bypass, S1DSS=01): translate
 *          by stage 2 only (see ioasidfd_smmu_check_bypass())
 * @fault: out: why the request cannot be translated
 *
 * SMMUv3 §3.9, §5.2 (S1CDMax, S1DSS, S1Fmt), §5.3 L1CD, §5.4 CD.  A
 * stage-2 fault reading the L1CD or the CD is a table-walk fault of stage 2
 * with class IOASIDFD_FCLS_CD.  @fault->addr is left 0: the caller knows
 * the input address of the request.
 *
 * Return: 0 (@cfg or *@bypass set), or -EFAULT with @fault filled in.
 */
int ioasidfd_smmu_fetch_cd(const struct ioasidfd_smmu_ste *ste,
			   const struct ioasidfd_s2_walk *s2, bool ssv, u32 ssid,
			   const struct ioasidfd_nested_caps *caps,
			   struct ioasidfd_s1_cfg *cfg, u32 *cd_index,
			   bool *bypass, struct ioasidfd_s1_fault *fault);

/**
 * ioasidfd_smmu_cd_pages() - where CD @index and its L1CD are
 * @ste: the validated STE
 * @s2: stage 2, to read the L1CD
 * @index: the CD's index in the table
 * @caps: what the executor advertises
 * @gpa: out: the guest-physical addresses of the L1CD entry (2-level tables)
 *       and of the CD, in that order
 * @nr: out: how many of @gpa are set
 *
 * For a shadow of the CD, whose translation must go when stage 2 loses
 * either.
 *
 * Return: 0, or -EFAULT if the CD cannot be located (then @gpa holds the
 * L1CD only, if any).
 */
int ioasidfd_smmu_cd_pages(const struct ioasidfd_smmu_ste *ste,
			   const struct ioasidfd_s2_walk *s2, u32 index,
			   const struct ioasidfd_nested_caps *caps, u64 gpa[2],
			   unsigned int *nr);

/**
 * ioasidfd_smmu_check_bypass() - input check of a stage-1 bypassed request
 * @caps: what the executor advertises
 * @iova: the input address, passed to stage 2 as the IPA
 * @fault: out: a stage-1 address-size fault
 *
 * SMMUv3 §3.4: an input address beyond the IAS faults F_ADDR_SIZE.
 *
 * Return: 0 or -EFAULT.
 */
int ioasidfd_smmu_check_bypass(const struct ioasidfd_nested_caps *caps,
			       u64 iova, struct ioasidfd_s1_fault *fault);

/* ---------------------------------------------------------- invalidation */

/* struct ioasidfd_inv::op */
enum {
	IOASIDFD_INV_NOP,	/* fence/sync/prefetch/device-TLB with no ATC */
	IOASIDFD_INV_S1_ALL,	/* every stage-1 leaf */
	IOASIDFD_INV_S1_TAG,	/* every leaf of a DID/ASID (SMMU: not global ones) */
	IOASIDFD_INV_S1_PASID,	/* every leaf of DID+PASID (VT-d P_IOTLB) */
	IOASIDFD_INV_S1_RANGE,	/* leaves overlapping [start, last] */
	IOASIDFD_INV_CTX,	/* PASID-cache / CD cache of one PASID/SSID */
	IOASIDFD_INV_CTX_ALL,	/* every PASID-cache / CD-cache entry (of a DID) */
};

/* struct ioasidfd_inv::flags */
#define IOASIDFD_INV_MATCH_TAG		BIT(0)	/* only entries tagged @tag */
#define IOASIDFD_INV_MATCH_PASID	BIT(1)	/* only entries of @pasid */
#define IOASIDFD_INV_LEAF		BIT(2)	/* VT-d IH / SMMU Leaf: only leaves changed */
#define IOASIDFD_INV_ALL_TAGS		BIT(3)	/* SMMU VAA / NH_ALL: any ASID */
#define IOASIDFD_INV_INCLUDE_GLOBAL	BIT(4)	/* global (nG=0) entries match too */
#define IOASIDFD_INV_SYNC		BIT(5)	/* NOP: a fence to complete (CMD_SYNC, wait) */
#define IOASIDFD_INV_DEVTLB		BIT(6)	/* NOP: a device-TLB/ATC invalidation */

/**
 * struct ioasidfd_inv - one decoded guest invalidation
 * @op: IOASIDFD_INV_*
 * @flags: IOASIDFD_INV_* flags
 * @pasid: VT-d PASID / SMMU SSID (CD index), with MATCH_PASID or _CTX
 * @tag: DID / ASID, with MATCH_TAG
 * @start: first input address, for IOASIDFD_INV_S1_RANGE
 * @last: last input address (inclusive)
 */
struct ioasidfd_inv {
	u32 op;
	u32 flags;
	u32 pasid;
	u32 tag;
	u64 start;
	u64 last;
};

/**
 * ioasidfd_vtd_inv_decode() - decode one VT-d queued-invalidation descriptor
 * @qw: the 256-bit descriptor (a 128-bit one zero-extended)
 * @caps: what the executor advertises (MAMV, ATS)
 * @out: out: the invalidation
 *
 * Accepted (VT-d 5.10 §6.5.2): P_IOTLB (PASID-selective, page-selective
 * within PASID), PASID-cache (domain-selective, PASID-selective, global),
 * PASID-based device-TLB (validated, no-op: no ATC) and invalidation wait
 * (validated, no-op: the VMM completes waits).
 *
 * Return: 0; -EPERM for any other descriptor type (context-cache, IOTLB,
 * IEC, device-TLB, page-group response, reserved types, or a device-TLB
 * invalidation without ATS); -EINVAL for a reserved granularity, a
 * non-zero reserved field, AM above MAMV or a misaligned address.
 */
int ioasidfd_vtd_inv_decode(const u64 qw[4],
			    const struct ioasidfd_nested_caps *caps,
			    struct ioasidfd_inv *out);

/**
 * ioasidfd_smmu_cmd_decode() - decode one SMMUv3 command
 * @cmd: the 16-byte command (CPU-order dwords)
 * @caps: what the executor advertises (RIL, ATS)
 * @out: out: the invalidation
 *
 * Accepted (SMMUv3 §4): CMD_TLBI_NH_ALL, NH_ASID, NH_VA, NH_VAA (range
 * with RIL), CMD_CFGI_CD, CMD_CFGI_CD_ALL, CMD_ATC_INV (with ATS; no-op),
 * CMD_SYNC and CMD_PREFETCH_CONFIG/ADDR (no-ops).  The VMID and StreamID
 * fields are the VMM's business and are ignored.
 *
 * Return: 0; -EPERM for CMD_CFGI_STE, CFGI_STE_RANGE/CFGI_ALL,
 * TLBI_NSNH_ALL, EL2/EL3 and Secure TLBIs, TLBI_S2_IPA, TLBI_S12_VMALL,
 * PRI_RESP, RESUME, STALL_TERM, ATC_INV without ATS and unknown opcodes;
 * -EINVAL for a non-zero reserved field or an ILLEGAL parameter.
 */
int ioasidfd_smmu_cmd_decode(const u64 cmd[2],
			     const struct ioasidfd_nested_caps *caps,
			     struct ioasidfd_inv *out);

/**
 * ioasidfd_inv_matches() - does an invalidation remove a cached leaf?
 * @inv: the invalidation
 * @pasid: the PASID the leaf was cached for (VT-d; SMMU: unused)
 * @tag: the DID / ASID the leaf was cached with
 * @global: the leaf is global (SMMU nG=0)
 * @iova: first input address of the leaf
 * @size: its size
 *
 * SMMU semantics: NH_ASID leaves global entries; NH_VA removes that VA for
 * the ASID and global entries; NH_VAA for all ASIDs.  VT-d P_IOTLB matches
 * DID+PASID, page-selective by range overlap.  Context invalidations
 * (IOASIDFD_INV_CTX*) match no leaf: see ioasidfd_inv_matches_ctx().
 *
 * Return: true if the leaf must go.
 */
bool ioasidfd_inv_matches(const struct ioasidfd_inv *inv, u32 pasid, u32 tag,
			  bool global, u64 iova, u64 size);

/**
 * ioasidfd_inv_matches_ctx() - does an invalidation remove a cached context?
 * @inv: the invalidation
 * @pasid: the PASID (VT-d) or CD index (SMMU) the context was cached for
 * @tag: the DID of the cached PASID entry (VT-d; SMMU: unused)
 *
 * For PASID-cache (VT-d) and CD-cache (SMMU) entries, i.e. cached
 * struct ioasidfd_vtd_ctx / struct ioasidfd_s1_cfg.
 *
 * Return: true if the context must go.
 */
bool ioasidfd_inv_matches_ctx(const struct ioasidfd_inv *inv, u32 pasid,
			      u32 tag);

#endif /* __IOASIDFD_PGFMT_H */
