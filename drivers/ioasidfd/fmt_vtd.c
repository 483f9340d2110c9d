// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: Intel VT-d formats of nested translation, as a guest sees
 * them: the scalable-mode PASID-table entry (VT-d 5.10 §9.6), the first-stage
 * IA-32e paging entries (§3.6, §9.7) for the walker of pgwalk.c, and the
 * queued-invalidation descriptors (§6.5.2).
 *
 * The guest's view of nesting is a first-stage-only PASID entry (PGTT 001)
 * whose FSPTPTR and table addresses are GPAs: the executor puts stage 2
 * behind it.  A guest second stage (PGTT 010/011) is not offered.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/errno.h>
#include <linux/string.h>

#include "pgfmt.h"

/* PASID-table entry (VT-d 5.10 §9.6), by 64-bit word */
#define VTD_PE0_P		BIT_ULL(0)
#define VTD_PE0_FPD		BIT_ULL(1)
#define VTD_PE0_PGTT		GENMASK_ULL(8, 6)
#define VTD_PE0_RSVD		(BIT_ULL(5) | GENMASK_ULL(11, 10))
#define VTD_PE1_DID		GENMASK_ULL(15, 0)
#define VTD_PE1_PWSNP		BIT_ULL(23)
#define VTD_PE1_PGSNP		BIT_ULL(24)
#define VTD_PE1_CD		BIT_ULL(25)
#define VTD_PE1_PAT		GENMASK_ULL(63, 32)
#define VTD_PE1_RSVD		(GENMASK_ULL(22, 16) | GENMASK_ULL(31, 27))
#define VTD_PE2_SRE		BIT_ULL(0)
#define VTD_PE2_FSPM		GENMASK_ULL(3, 2)
#define VTD_PE2_WPE		BIT_ULL(4)
#define VTD_PE2_EAFE		BIT_ULL(7)
#define VTD_PE2_FSPTPTR		GENMASK_ULL(63, 12)
#define VTD_PE2_RSVD		(BIT_ULL(1) | GENMASK_ULL(11, 8))

#define VTD_PGTT_FS		1	/* first-stage only */
#define VTD_PGTT_SS		2	/* second-stage only */
#define VTD_PGTT_NESTED		3
#define VTD_PGTT_PT		4	/* pass-through */

#define VTD_FSPM_4LVL		0
#define VTD_FSPM_5LVL		1

/* First-stage paging entries (VT-d 5.10 §9.7, Tables 34-40) */
#define VTD_FS_P		BIT_ULL(0)
#define VTD_FS_RW		BIT_ULL(1)
#define VTD_FS_US		BIT_ULL(2)
#define VTD_FS_A		BIT_ULL(5)
#define VTD_FS_D		BIT_ULL(6)
#define VTD_FS_PS		BIT_ULL(7)
#define VTD_FS_EA		BIT_ULL(10)
#define VTD_FS_ADDR		GENMASK_ULL(51, 12)

/* Queued-invalidation descriptors (VT-d 5.10 §6.5.2) */
#define VTD_QI_TYPE_LO		GENMASK_ULL(3, 0)
#define VTD_QI_TYPE_HI		GENMASK_ULL(11, 9)
#define VTD_QI_GRAN		GENMASK_ULL(5, 4)
#define VTD_QI_DID		GENMASK_ULL(31, 16)
#define VTD_QI_PASID		GENMASK_ULL(51, 32)

#define VTD_QI_CC		0x1	/* context-cache */
#define VTD_QI_IOTLB		0x2
#define VTD_QI_DEVTLB		0x3
#define VTD_QI_IEC		0x4
#define VTD_QI_WAIT		0x5
#define VTD_QI_PIOTLB		0x6
#define VTD_QI_PC		0x7	/* PASID-cache */
#define VTD_QI_PDEVTLB		0x8	/* PASID-based device-TLB */

/* P_IOTLB (§6.5.2.4) */
#define VTD_PIOTLB0_RSVD	(GENMASK_ULL(8, 6) | GENMASK_ULL(15, 12) | \
				 GENMASK_ULL(63, 52))
#define VTD_PIOTLB1_AM		GENMASK_ULL(5, 0)
#define VTD_PIOTLB1_IH		BIT_ULL(6)
#define VTD_PIOTLB1_RSVD	GENMASK_ULL(11, 7)
#define VTD_PIOTLB1_ADDR	GENMASK_ULL(63, 12)
#define VTD_PIOTLB_G_PASID	2	/* PASID-selective */
#define VTD_PIOTLB_G_PAGE	3	/* page-selective within PASID */

/* PASID-cache (§6.5.2.2) */
#define VTD_PC0_RSVD		(GENMASK_ULL(8, 6) | GENMASK_ULL(15, 12) | \
				 GENMASK_ULL(63, 52))
#define VTD_PC_G_DOMAIN		0
#define VTD_PC_G_PASID		1
#define VTD_PC_G_GLOBAL		3

/* PASID-based device-TLB (§6.5.2.6) */
#define VTD_PDEVTLB1_RSVD	GENMASK_ULL(10, 1)

/* Invalidation wait (§6.5.2.8) */
#define VTD_WAIT0_RSVD		(BIT_ULL(8) | GENMASK_ULL(31, 12))
#define VTD_WAIT1_RSVD		GENMASK_ULL(1, 0)

/* Bits 51:HAW of a first-stage entry (VT-d 5.10 §9.7) */
static u64 vtd_rsvd_hi(unsigned int haw)
{
	return haw < 52 ? GENMASK_ULL(51, haw) : 0;
}

static u32 vtd_fs_input(const struct ioasidfd_s1_cfg *cfg, u64 iova,
			u32 access, struct ioasidfd_s1_in *in)
{
	unsigned int ia = cfg->half[0].ia_bits;

	/*
	 * VT-d 5.10 §3.6: the input must be canonical: bits 63:47 (4-level)
	 * or 63:56 (5-level) all equal.  Both halves use the one root.
	 */
	if (!ioasidfd_s1_regions(iova, ia - 1, ia - 1, in))
		return IOASIDFD_F_NON_CANONICAL;
	in->half = 0;
	/* VT-d 5.10 §3.6.1: supervisor requests are blocked unless SRE=1 */
	if ((access & IOASIDFD_S1_PRIV) && !(cfg->flags & IOASIDFD_S1_CFG_SRE))
		return IOASIDFD_F_PERMISSION;
	return 0;
}

/* VT-d 5.10 §3.6.1: what one entry leaves to requests */
static u32 vtd_fs_allow(const struct ioasidfd_s1_cfg *cfg, u64 pte)
{
	bool rw = pte & VTD_FS_RW, us = pte & VTD_FS_US;
	/* Supervisor reads: any validly translated address */
	u32 allow = IOASIDFD_S1_ALLOW_PR;

	/* Supervisor writes: R/W=1 at every level only with WPE=1 */
	if (rw || !(cfg->flags & IOASIDFD_S1_CFG_WPE))
		allow |= IOASIDFD_S1_ALLOW_PW;
	/* User reads need U/S=1; user writes R/W=1 and U/S=1, every level */
	if (us)
		allow |= IOASIDFD_S1_ALLOW_UR;
	if (us && rw)
		allow |= IOASIDFD_S1_ALLOW_UW;
	return allow;
}

static void vtd_fs_decode(const struct ioasidfd_s1_cfg *cfg,
			  const struct ioasidfd_s1_half *h, unsigned int level,
			  bool last, u64 pte, struct ioasidfd_s1_pte *out)
{
	out->kind = IOASIDFD_PTE_INVALID;
	/* §9.7: P=0 references no table and maps no page; bits 63:52 ignored */
	if (!(pte & VTD_FS_P)) {
		out->fault = IOASIDFD_F_UNMAPPED;
		return;
	}
	/* §9.7 Tables 34-40: bits 51:HAW are reserved in every entry */
	if (pte & vtd_rsvd_hi(cfg->oa_bits))
		goto reserved;
	out->allow = vtd_fs_allow(cfg, pte);

	switch (level) {
	case 5:
	case 4:
		/* Tables 34/35: bit 7 (PS) of a PML5E/PML4E is reserved */
		if (pte & VTD_FS_PS)
			goto reserved;
		break;
	case 3:
		if (!(pte & VTD_FS_PS))
			break;
		/* Table 36: PS in a PDPE is reserved without CAP.FS1GP */
		if (!(cfg->flags & IOASIDFD_S1_CFG_1G))
			goto reserved;
		/* Table 36: bits 29:13 of a 1 GB leaf are reserved */
		if (pte & GENMASK_ULL(29, 13))
			goto reserved;
		out->kind = IOASIDFD_PTE_LEAF;
		out->addr = pte & GENMASK_ULL(51, 30);
		return;
	case 2:
		if (!(pte & VTD_FS_PS))
			break;
		/* Table 38: bits 20:13 of a 2 MB leaf are reserved */
		if (pte & GENMASK_ULL(20, 13))
			goto reserved;
		out->kind = IOASIDFD_PTE_LEAF;
		out->addr = pte & GENMASK_ULL(51, 21);
		return;
	default:
		/* Table 40: a PTE maps 4 KB; its bit 7 is PAT */
		out->kind = IOASIDFD_PTE_LEAF;
		out->addr = pte & VTD_FS_ADDR;
		return;
	}
	out->kind = IOASIDFD_PTE_TABLE;
	out->addr = pte & VTD_FS_ADDR;
	return;

reserved:
	out->kind = IOASIDFD_PTE_INVALID;
	out->fault = IOASIDFD_F_RESERVED;
}

static u32 vtd_fs_rights(const struct ioasidfd_s1_cfg *cfg, u32 allow,
			 u32 access)
{
	return ioasidfd_s1_allow_perm(allow, access);
}

/*
 * VT-d 5.10 §3.6 (A/D): A is set in every entry referenced, EA with it when
 * EAFE=1, D in the leaf on a write.  Sticky: the hardware never clears them.
 */
static u64 vtd_fs_update(const struct ioasidfd_s1_cfg *cfg, u64 pte,
			 bool leaf, u32 access)
{
	u64 want = VTD_FS_A;

	if (cfg->flags & IOASIDFD_S1_CFG_EAFE)
		want |= VTD_FS_EA;
	if (leaf && (access & IOASIDFD_S1_WRITE))
		want |= VTD_FS_D;
	return pte | want;
}

const struct ioasidfd_s1_fmt ioasidfd_vtd_fs_fmt = {
	.name = "vtd-fs",
	.levels_descend = true,
	.hw_bits = VTD_FS_A | VTD_FS_D | VTD_FS_EA,
	.input = vtd_fs_input,
	.decode = vtd_fs_decode,
	.rights = vtd_fs_rights,
	.update = vtd_fs_update,
};

int ioasidfd_vtd_parse_pasid_entry(const u64 val[8],
				   const struct ioasidfd_nested_caps *caps,
				   struct ioasidfd_vtd_ctx *out)
{
	struct ioasidfd_s1_cfg *cfg = &out->cfg;
	unsigned int haw = caps->haw, pgtt, fspm, i;
	bool five;

	memset(out, 0, sizeof(*out));
	/* §9.6 P: a non-present entry; every other field is ignored */
	if (!(val[0] & VTD_PE0_P)) {
		out->mode = IOASIDFD_VTD_NOT_PRESENT;
		return 0;
	}
	if (haw < 32 || haw > 52)
		return -EINVAL;

	/* §9.6: reserved fields must be 0 (bits 11:10, 5; 86:80, 95:91; ...) */
	if ((val[0] & VTD_PE0_RSVD) || (val[1] & VTD_PE1_RSVD) ||
	    (val[2] & VTD_PE2_RSVD))
		return -EINVAL;
	/* §9.6: bits 191:HAW+128 (FSPTPTR above HAW) and 511:192 reserved */
	if (val[2] & GENMASK_ULL(63, haw))
		return -EINVAL;
	for (i = 3; i < 8; i++)
		if (val[i])
			return -EINVAL;
	/* §9.6 CD, PAT: reserved while ECAP.MTS=0, which we never advertise */
	if (val[1] & (VTD_PE1_CD | VTD_PE1_PAT))
		return -EINVAL;
	/* §9.6 SRE: reserved when ECAP.SRS=0 */
	if ((val[2] & VTD_PE2_SRE) && !(caps->flags & IOASIDFD_CAP_VTD_SRS))
		return -EINVAL;

	pgtt = FIELD_GET(VTD_PE0_PGTT, val[0]);
	switch (pgtt) {
	case VTD_PGTT_FS:
		out->mode = IOASIDFD_VTD_FIRST_STAGE;
		break;
	case VTD_PGTT_PT:
		/* §9.6 PGTT 100b: pass-through, only with ECAP.PT */
		if (!(caps->flags & IOASIDFD_CAP_VTD_PT))
			return -EINVAL;
		out->mode = IOASIDFD_VTD_PASSTHROUGH;
		break;
	case VTD_PGTT_SS:
	case VTD_PGTT_NESTED:
		/* A guest second stage (ECAP.SLTS/NEST) is not offered */
		return -EINVAL;
	default:
		/* §9.6 PGTT: 000b and 101b-111b are reserved */
		return -EINVAL;
	}

	out->fpd = val[0] & VTD_PE0_FPD;
	out->sre = val[2] & VTD_PE2_SRE;
	out->did = FIELD_GET(VTD_PE1_DID, val[1]);
	out->pwsnp = val[1] & VTD_PE1_PWSNP;
	out->pgsnp = val[1] & VTD_PE1_PGSNP;
	/*
	 * §9.6: AW, SSPTPTR, SSADE and EMTE are ignored for PGTT 001b/100b;
	 * FSPTPTR, FSPM, WPE and EAFE are first-stage fields, ignored for
	 * pass-through.
	 */
	if (out->mode == IOASIDFD_VTD_PASSTHROUGH)
		return 0;

	fspm = FIELD_GET(VTD_PE2_FSPM, val[2]);
	/* §9.6 FSPM: 10b/11b are reserved */
	if (fspm != VTD_FSPM_4LVL && fspm != VTD_FSPM_5LVL)
		return -EINVAL;
	/* §9.6 FSPM: 5-level paging needs CAP.FS5LP */
	five = fspm == VTD_FSPM_5LVL;
	if (five && !(caps->flags & IOASIDFD_CAP_VTD_5LVL))
		return -EINVAL;
	/* §9.6 EAFE: reserved when ECAP.EAFS=0 */
	if ((val[2] & VTD_PE2_EAFE) && !(caps->flags & IOASIDFD_CAP_VTD_EAFS))
		return -EINVAL;

	cfg->fmt = &ioasidfd_vtd_fs_fmt;
	cfg->root[0] = val[2] & VTD_PE2_FSPTPTR;
	cfg->half[0].enabled = true;
	cfg->half[0].gran_shift = 12;
	cfg->half[0].stride = 9;
	cfg->half[0].levels = five ? 5 : 4;
	cfg->half[0].first_level = five ? 5 : 4;
	cfg->half[0].ia_bits = five ? 57 : 48;
	cfg->oa_bits = haw;
	cfg->tag = out->did;
	if (out->fpd)
		cfg->flags |= IOASIDFD_S1_CFG_NOREC_S1 | IOASIDFD_S1_CFG_NOREC_S2;
	if (out->sre)
		cfg->flags |= IOASIDFD_S1_CFG_SRE;
	/* §9.6 WPE: only meaningful with SRE; accepted either way */
	if (val[2] & VTD_PE2_WPE)
		cfg->flags |= IOASIDFD_S1_CFG_WPE;
	if (val[2] & VTD_PE2_EAFE)
		cfg->flags |= IOASIDFD_S1_CFG_EAFE;
	if (caps->flags & IOASIDFD_CAP_VTD_1G)
		cfg->flags |= IOASIDFD_S1_CFG_1G;
	return 0;
}

static int vtd_inv_piotlb(const u64 qw[4],
			  const struct ioasidfd_nested_caps *caps,
			  struct ioasidfd_inv *out)
{
	unsigned int am;
	u64 addr;

	/* §6.5.2.4: reserved fields */
	if ((qw[0] & VTD_PIOTLB0_RSVD) || qw[2] || qw[3])
		return -EINVAL;
	out->tag = FIELD_GET(VTD_QI_DID, qw[0]);
	out->pasid = FIELD_GET(VTD_QI_PASID, qw[0]);
	out->flags = IOASIDFD_INV_MATCH_TAG | IOASIDFD_INV_MATCH_PASID;

	switch (FIELD_GET(VTD_QI_GRAN, qw[0])) {
	case VTD_PIOTLB_G_PASID:
		/* §6.5.2.4: every mapping of DID+PASID; ADDR/AM/IH unused */
		out->op = IOASIDFD_INV_S1_PASID;
		return 0;
	case VTD_PIOTLB_G_PAGE:
		break;
	default:
		/* §6.5.2.4 G: 00b and 01b are reserved */
		return -EINVAL;
	}
	if (qw[1] & VTD_PIOTLB1_RSVD)
		return -EINVAL;
	am = FIELD_GET(VTD_PIOTLB1_AM, qw[1]);
	addr = qw[1] & VTD_PIOTLB1_ADDR;
	/* §6.5.2.4 AM: at most CAP.MAMV */
	if (am > caps->mamv || am > 52)
		return -EINVAL;
	/* §6.5.2.4 ADDR: aligned to the 2^(AM+12) bytes invalidated */
	if (addr & (BIT_ULL(am + 12) - 1))
		return -EINVAL;
	out->op = IOASIDFD_INV_S1_RANGE;
	out->start = addr;
	out->last = addr + (BIT_ULL(am + 12) - 1);
	/* §6.5.2.4 IH: only leaf entries changed */
	if (qw[1] & VTD_PIOTLB1_IH)
		out->flags |= IOASIDFD_INV_LEAF;
	return 0;
}

static int vtd_inv_pc(const u64 qw[4], struct ioasidfd_inv *out)
{
	/* §6.5.2.2: reserved fields */
	if ((qw[0] & VTD_PC0_RSVD) || qw[1] || qw[2] || qw[3])
		return -EINVAL;
	switch (FIELD_GET(VTD_QI_GRAN, qw[0])) {
	case VTD_PC_G_DOMAIN:
		/* Every PASID-cache entry of DID */
		out->op = IOASIDFD_INV_CTX_ALL;
		out->flags = IOASIDFD_INV_MATCH_TAG;
		out->tag = FIELD_GET(VTD_QI_DID, qw[0]);
		return 0;
	case VTD_PC_G_PASID:
		/* The entry of PASID, within DID */
		out->op = IOASIDFD_INV_CTX;
		out->flags = IOASIDFD_INV_MATCH_TAG | IOASIDFD_INV_MATCH_PASID;
		out->tag = FIELD_GET(VTD_QI_DID, qw[0]);
		out->pasid = FIELD_GET(VTD_QI_PASID, qw[0]);
		return 0;
	case VTD_PC_G_GLOBAL:
		/* Every PASID of the target */
		out->op = IOASIDFD_INV_CTX_ALL;
		return 0;
	default:
		/* §6.5.2.2 G: 10b is reserved */
		return -EINVAL;
	}
}

int ioasidfd_vtd_inv_decode(const u64 qw[4],
			    const struct ioasidfd_nested_caps *caps,
			    struct ioasidfd_inv *out)
{
	unsigned int type;

	memset(out, 0, sizeof(*out));
	/* §6.5.2: Type is qw0 bits 3:0 with Type[6:4] in bits 11:9 */
	type = FIELD_GET(VTD_QI_TYPE_LO, qw[0]) |
	       FIELD_GET(VTD_QI_TYPE_HI, qw[0]) << 4;

	switch (type) {
	case VTD_QI_PIOTLB:
		return vtd_inv_piotlb(qw, caps, out);
	case VTD_QI_PC:
		return vtd_inv_pc(qw, out);
	case VTD_QI_PDEVTLB:
		/* §6.5.2.6: only with ECAP.DT (device-TLBs) */
		if (!(caps->flags & IOASIDFD_CAP_ATS))
			return -EPERM;
		if ((qw[1] & VTD_PDEVTLB1_RSVD) || qw[2] || qw[3])
			return -EINVAL;
		/* No ATC behind us: validated, nothing to do */
		out->op = IOASIDFD_INV_NOP;
		out->flags = IOASIDFD_INV_DEVTLB;
		out->pasid = FIELD_GET(VTD_QI_PASID, qw[0]);
		return 0;
	case VTD_QI_WAIT:
		/* §6.5.2.8: reserved fields */
		if ((qw[0] & VTD_WAIT0_RSVD) || (qw[1] & VTD_WAIT1_RSVD) ||
		    qw[2] || qw[3])
			return -EINVAL;
		/* The VMM completes waits (status write, interrupt) */
		out->op = IOASIDFD_INV_NOP;
		out->flags = IOASIDFD_INV_SYNC;
		return 0;
	case VTD_QI_CC:
	case VTD_QI_IOTLB:
	case VTD_QI_DEVTLB:
	case VTD_QI_IEC:
	default:
		/*
		 * Context-cache, IOTLB and device-TLB without PASID (second
		 * stage and context entries are the host's), interrupt entry
		 * cache, page-group responses and reserved types.
		 */
		return -EPERM;
	}
}
