// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: Arm SMMUv3 formats of nested translation, as a guest sees
 * them: the STE the guest writes (dwords 0-1, SMMUv3 §5.2), the L1CD and CD
 * it points to (§5.3, §5.4), read through stage 2, the VMSAv8-64 stage-1
 * descriptors (Arm ARM D8.3, D8.4) for the walker of pgwalk.c, and the
 * commands of its command queue (§4).
 *
 * The guest SMMU is stage-1 only: its STEs use Config 000/100/101 and every
 * pointer in them (S1ContextPtr, L2Ptr, TTBx, table addresses) is an IPA that
 * the executor's stage 2 translates.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/highmem.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "pgfmt.h"

/* STE dwords 0-1 (SMMUv3 §5.2) */
#define STE0_V			BIT_ULL(0)
#define STE0_CONFIG		GENMASK_ULL(3, 1)
#define STE0_S1FMT		GENMASK_ULL(5, 4)
#define STE0_S1CTXPTR		GENMASK_ULL(55, 6)
#define STE0_RSVD		GENMASK_ULL(58, 56)
#define STE0_S1CDMAX		GENMASK_ULL(63, 59)
#define STE1_S1DSS		GENMASK_ULL(1, 0)
#define STE1_S1CIR		GENMASK_ULL(3, 2)
#define STE1_S1COR		GENMASK_ULL(5, 4)
#define STE1_S1CSH		GENMASK_ULL(7, 6)
#define STE1_S1STALLD		BIT_ULL(27)
#define STE1_EATS		GENMASK_ULL(29, 28)
#define STE1_GUEST		(STE1_S1DSS | STE1_S1CIR | STE1_S1COR | \
				 STE1_S1CSH | STE1_S1STALLD | STE1_EATS)

#define STE_CFG_BYPASS		4
#define STE_CFG_S1		5
#define STE_EATS_SPLIT		2
#define STE_EATS_DPT		3

/* L1CD (SMMUv3 §5.3) */
#define L1CD_V			BIT_ULL(0)
#define L1CD_L2PTR		GENMASK_ULL(55, 12)

/* CD (SMMUv3 §5.4), dword 0; TTB0 and TTB1 in dwords 1 and 2 */
#define CD0_T0SZ		GENMASK_ULL(5, 0)
#define CD0_TG0			GENMASK_ULL(7, 6)
#define CD0_EPD0		BIT_ULL(14)
#define CD0_ENDI		BIT_ULL(15)
#define CD0_T1SZ		GENMASK_ULL(21, 16)
#define CD0_TG1			GENMASK_ULL(23, 22)
#define CD0_EPD1		BIT_ULL(30)
#define CD0_V			BIT_ULL(31)
#define CD0_IPS			GENMASK_ULL(34, 32)
#define CD0_AFFD		BIT_ULL(35)
#define CD0_TBI0		BIT_ULL(38)
#define CD0_TBI1		BIT_ULL(39)
#define CD0_PAN			BIT_ULL(40)
#define CD0_AA64		BIT_ULL(41)
#define CD0_HD			BIT_ULL(42)
#define CD0_HA			BIT_ULL(43)
#define CD0_S			BIT_ULL(44)
#define CD0_R			BIT_ULL(45)
#define CD0_A			BIT_ULL(46)
#define CD0_ASET		BIT_ULL(47)
#define CD0_ASID		GENMASK_ULL(63, 48)
#define CD_TTB			GENMASK_ULL(51, 4)

/* VMSAv8-64 stage-1 descriptors (Arm ARM D8.3) */
#define S1_VALID		BIT_ULL(0)
#define S1_TABLE		BIT_ULL(1)	/* table (L0-2) / page (L3) */
#define S1_AP_EL0		BIT_ULL(6)	/* AP[1] */
#define S1_AP_RO		BIT_ULL(7)	/* AP[2] */
#define S1_AF			BIT_ULL(10)
#define S1_NG			BIT_ULL(11)
#define S1_DBM			BIT_ULL(51)
#define S1_APT_NO_EL0		BIT_ULL(61)	/* APTable[0] */
#define S1_APT_NO_WRITE		BIT_ULL(62)	/* APTable[1] */

/* Commands (SMMUv3 §4) */
#define CMD0_OP			GENMASK_ULL(7, 0)
#define CMD0_ATC_GLOBAL		BIT_ULL(9)
#define CMD0_SSEC		BIT_ULL(10)
#define CMD0_SSV		BIT_ULL(11)
#define CMD0_SSID		GENMASK_ULL(31, 12)
#define CMD0_SID		GENMASK_ULL(63, 32)
#define CMD0_NUM		GENMASK_ULL(16, 12)
#define CMD0_SCALE		GENMASK_ULL(24, 20)	/* bit 25 RES0: IDR5.DS=0 */
#define CMD0_VMID		GENMASK_ULL(47, 32)
#define CMD0_ASID		GENMASK_ULL(63, 48)
#define CMD0_SYNC_CS		GENMASK_ULL(13, 12)
#define CMD0_SYNC_MSH		GENMASK_ULL(23, 22)
#define CMD0_SYNC_MSIATTR	GENMASK_ULL(27, 24)
#define CMD0_SYNC_MSIDATA	GENMASK_ULL(63, 32)
#define CMD1_LEAF		BIT_ULL(0)
#define CMD1_TTL		GENMASK_ULL(9, 8)
#define CMD1_TG			GENMASK_ULL(11, 10)
#define CMD1_ADDR		GENMASK_ULL(63, 12)
#define CMD1_ATC_SIZE		GENMASK_ULL(5, 0)
#define CMD1_SYNC_MSIADDR	GENMASK_ULL(55, 2)

#define CMD_PREFETCH_CONFIG	0x01
#define CMD_PREFETCH_ADDR	0x02
#define CMD_CFGI_STE		0x03
#define CMD_CFGI_STE_RANGE	0x04	/* and CMD_CFGI_ALL */
#define CMD_CFGI_CD		0x05
#define CMD_CFGI_CD_ALL		0x06
#define CMD_TLBI_NH_ALL		0x10
#define CMD_TLBI_NH_ASID	0x11
#define CMD_TLBI_NH_VA		0x12
#define CMD_TLBI_NH_VAA		0x13
#define CMD_ATC_INV		0x40
#define CMD_SYNC		0x46

#define CMD_SYNC_CS_RSVD	3
#define CMD_ATC_SIZE_ALL	52

/* Output sizes of CD.IPS (SMMUv3 §5.4): 110 52 bits, 111 56 (v3.4) */
static const u8 smmu_ips_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 56 };

/* No 52-bit OA (IDR5.OAS <= 48, no FEAT_LPA/DS): OA bits 47:12 */
#define SMMU_MAX_OA		48

static u64 smmu_s1_untag(const struct ioasidfd_s1_cfg *cfg, u64 iova)
{
	unsigned int half = (iova >> 55) & 1;

	/* SMMUv3 §3.4.1: with TBIx, VA[63:56] are taken as VA[55] */
	if (cfg->half[half].tbi)
		return sign_extend64(iova, 55);
	return iova;
}

static u32 smmu_s1_input(const struct ioasidfd_s1_cfg *cfg, u64 iova,
			 u32 access, struct ioasidfd_s1_in *in)
{
	const struct ioasidfd_s1_half *h0 = &cfg->half[0], *h1 = &cfg->half[1];

	/*
	 * SMMUv3 §3.4 (1b), §3.4.1: VA[55] selects TTB0/TTB1 and the VA must
	 * be a sign extension of the top bit of that half's TxSZ range; else
	 * F_TRANSLATION.  A disabled half covers its whole 55-bit range.
	 */
	if (!ioasidfd_s1_regions(iova, h0->enabled ? h0->ia_bits : 55,
				 h1->enabled ? h1->ia_bits : 55, in))
		return IOASIDFD_F_NON_CANONICAL;
	/* SMMUv3 §5.4 EPDx: a miss through a disabled TTBx: F_TRANSLATION */
	if (!cfg->half[in->half].enabled)
		return IOASIDFD_F_UNMAPPED;
	return 0;
}

/* Arm ARM D8.4.1.2 Table D8-63: AP[2:1] of a stage-1 supporting EL0 and EL1 */
static u32 smmu_s1_ap_allow(const struct ioasidfd_s1_cfg *cfg, u64 pte)
{
	bool ro = pte & S1_AP_RO;
	u32 allow = IOASIDFD_S1_ALLOW_PR;

	/* SMMUv3 §3.13.3: with HD, DBM=1 makes a read-only page writable-clean */
	if (ro && (pte & S1_DBM) && (cfg->flags & IOASIDFD_S1_CFG_HD))
		ro = false;
	if (!ro)
		allow |= IOASIDFD_S1_ALLOW_PW;
	if (pte & S1_AP_EL0)
		allow |= IOASIDFD_S1_ALLOW_UR | (ro ? 0 : IOASIDFD_S1_ALLOW_UW);
	return allow;
}

static void smmu_s1_decode(const struct ioasidfd_s1_cfg *cfg,
			   const struct ioasidfd_s1_half *h, unsigned int level,
			   bool last, u64 pte, struct ioasidfd_s1_pte *out)
{
	unsigned int shift = h->gran_shift + h->stride * (3 - level);

	out->kind = IOASIDFD_PTE_INVALID;
	out->fault = IOASIDFD_F_UNMAPPED;
	/* Arm ARM D8.3: bit 0 clear: an invalid descriptor */
	if (!(pte & S1_VALID))
		return;
	if (!last && (pte & S1_TABLE)) {
		/* Next-level table address: bits 47:granule (no FEAT_LPA) */
		out->addr = pte & GENMASK_ULL(SMMU_MAX_OA - 1, h->gran_shift);
		/* SMMUv3 §5.4 IPS: a table address beyond it: F_ADDR_SIZE */
		if (out->addr >> cfg->oa_bits) {
			out->fault = IOASIDFD_F_ADDR_SIZE;
			return;
		}
		/* Arm ARM D8.4 Table D8-64: APTable limits the levels below */
		out->allow = IOASIDFD_S1_ALLOW_ALL;
		if (pte & S1_APT_NO_EL0)
			out->allow &= ~(IOASIDFD_S1_ALLOW_UR | IOASIDFD_S1_ALLOW_UW);
		if (pte & S1_APT_NO_WRITE)
			out->allow &= ~(IOASIDFD_S1_ALLOW_PW | IOASIDFD_S1_ALLOW_UW);
		out->kind = IOASIDFD_PTE_TABLE;
		out->fault = 0;
		return;
	}
	/*
	 * Arm ARM D8.3: at level 3, 0b01 is reserved (invalid); blocks exist
	 * at level 1 (4 KB granule) and level 2 only (no FEAT_LPA2/LPA).
	 */
	if (last ? !(pte & S1_TABLE) :
		   !(level == 2 || (level == 1 && h->gran_shift == 12)))
		return;
	out->addr = pte & GENMASK_ULL(SMMU_MAX_OA - 1, shift);
	/* SMMUv3 §5.4 IPS: an output address beyond it: F_ADDR_SIZE */
	if (out->addr >> cfg->oa_bits) {
		out->fault = IOASIDFD_F_ADDR_SIZE;
		return;
	}
	out->kind = IOASIDFD_PTE_LEAF;
	out->fault = 0;
	out->allow = smmu_s1_ap_allow(cfg, pte);
	out->global = !(pte & S1_NG);
	/* SMMUv3 §5.4 AFFD, §3.13.2: AF=0 faults unless HA or AFFD */
	if (!(pte & S1_AF) &&
	    !(cfg->flags & (IOASIDFD_S1_CFG_HA | IOASIDFD_S1_CFG_AFFD)))
		out->fault = IOASIDFD_F_ACCESS_FLAG;
}

static u32 smmu_s1_rights(const struct ioasidfd_s1_cfg *cfg, u32 allow,
			  u32 access)
{
	/*
	 * SMMUv3 §5.4 PAN, Arm ARM D8.4.5: a privileged data access to an
	 * address EL0 can access (after APTable) is a permission fault.
	 */
	if ((access & IOASIDFD_S1_PRIV) && (cfg->flags & IOASIDFD_S1_CFG_PAN) &&
	    (allow & (IOASIDFD_S1_ALLOW_UR | IOASIDFD_S1_ALLOW_UW)))
		return 0;
	return ioasidfd_s1_allow_perm(allow, access);
}

static u64 smmu_s1_update(const struct ioasidfd_s1_cfg *cfg, u64 pte,
			  bool leaf, u32 access)
{
	/* No HAFT: table descriptors are never updated (SMMUv3 §3.13.6) */
	if (!leaf)
		return pte;
	/* SMMUv3 §3.13.2: HA sets AF=1 on access */
	if (cfg->flags & IOASIDFD_S1_CFG_HA)
		pte |= S1_AF;
	/* SMMUv3 §3.13.3: HD, a write to a writable-clean page clears AP[2] */
	if ((access & IOASIDFD_S1_WRITE) && (cfg->flags & IOASIDFD_S1_CFG_HD) &&
	    (pte & S1_DBM))
		pte &= ~S1_AP_RO;
	return pte;
}

const struct ioasidfd_s1_fmt ioasidfd_smmu_s1_fmt = {
	.name = "smmuv3-s1",
	.levels_descend = false,
	.hw_bits = S1_AF | S1_AP_RO,
	.untag = smmu_s1_untag,
	.input = smmu_s1_input,
	.decode = smmu_s1_decode,
	.rights = smmu_s1_rights,
	.update = smmu_s1_update,
};

/* CD index bits of one L2 table: 6 for S1Fmt 01 (4 KB), 10 for 10 (64 KB) */
static unsigned int smmu_cd_split(const struct ioasidfd_smmu_ste *ste)
{
	return ste->s1fmt == IOASIDFD_SMMU_S1FMT_2L_4K ? 6 : 10;
}

int ioasidfd_smmu_parse_ste(const u64 ste[2],
			    const struct ioasidfd_nested_caps *caps,
			    struct ioasidfd_smmu_ste *out)
{
	unsigned int config, cdmax, fmt, dss;
	u64 ptr, size;

	memset(out, 0, sizeof(*out));
	/* §5.2 V: V=0: the other fields are ignored, C_BAD_STE */
	if (!(ste[0] & STE0_V))
		return 0;
	out->valid = true;
	/*
	 * §5.2: bits 58:56 are RES0; dword 1 holds only stage-1 fields for a
	 * guest: no stage 2 (S2*), no Hyp (STRW), no MPAM, no overrides.
	 */
	if ((ste[0] & STE0_RSVD) || (ste[1] & ~STE1_GUEST))
		return -EINVAL;

	config = FIELD_GET(STE0_CONFIG, ste[0]);
	switch (config) {
	case STE_CFG_BYPASS:
		/* §5.2: S1* ignored; EATS ignored (Config[1:0]=00) */
		out->config = IOASIDFD_SMMU_STE_BYPASS;
		return 0;
	case STE_CFG_S1:
		out->config = IOASIDFD_SMMU_STE_S1;
		break;
	case 6:
	case 7:
		/* §5.2 Config: 11x is ILLEGAL without stage 2 (IDR0.S2P=0) */
		return -EINVAL;
	default:
		/* §5.2 Config: 000 abort, 0b0xx reserved behave as 000 */
		out->config = IOASIDFD_SMMU_STE_ABORT;
		return 0;
	}

	ptr = ste[0] & STE0_S1CTXPTR;
	/* §5.2 S1ContextPtr: an IPA within the IAS (§3.4.3: C_BAD_STE) */
	if (caps->ias < 64 && (ptr >> caps->ias))
		return -EINVAL;
	/* §5.2 S1CDMax: ignored with SSIDSIZE=0; else 0..SSIDSIZE */
	cdmax = caps->ssid_bits ? FIELD_GET(STE0_S1CDMAX, ste[0]) : 0;
	if (cdmax > caps->ssid_bits)
		return -EINVAL;
	out->s1cdmax = cdmax;
	if (cdmax) {
		fmt = FIELD_GET(STE0_S1FMT, ste[0]);
		/* §5.2 S1Fmt: 2-level tables are ILLEGAL without IDR0.CD2L */
		if ((fmt == 1 || fmt == 2) &&
		    !(caps->flags & IOASIDFD_CAP_SMMU_CD2L))
			return -EINVAL;
		/* §5.2 S1Fmt: 11 is reserved and behaves as 00 */
		out->s1fmt = fmt == 3 ? IOASIDFD_SMMU_S1FMT_LINEAR : fmt;
		dss = FIELD_GET(STE1_S1DSS, ste[1]);
		/* §5.2 S1DSS: 11 is reserved and behaves as 00 (terminate) */
		out->s1dss = dss == 3 ? IOASIDFD_SMMU_S1DSS_TERMINATE : dss;
		/*
		 * §5.2 S1Fmt: the table is aligned to its size (2-level: or
		 * 64 bytes); S1ContextPtr bits below are RES0: the SMMU may
		 * take them as zero, which we do.
		 */
		if (out->s1fmt == IOASIDFD_SMMU_S1FMT_LINEAR)
			size = 64ULL << cdmax;
		else
			size = max(64ULL, 8ULL << (cdmax > smmu_cd_split(out) ?
						   cdmax - smmu_cd_split(out) : 0));
		ptr &= ~(size - 1);
	}
	out->s1ctxptr = ptr;

	out->s1stalld = ste[1] & STE1_S1STALLD;
	/* §5.2 S1STALLD: ILLEGAL when IDR0.STALL_MODEL is not 00 */
	if (out->s1stalld && !(caps->flags & IOASIDFD_CAP_SMMU_STALL))
		return -EINVAL;
	/* §5.2 EATS: ignored when IDR0.ATS=0 */
	if (caps->flags & IOASIDFD_CAP_ATS) {
		out->eats = FIELD_GET(STE1_EATS, ste[1]);
		/* §5.2 EATS: 10 (split-stage) is ILLEGAL unless Config=111 */
		if (out->eats == STE_EATS_SPLIT)
			return -EINVAL;
		/* §5.2 EATS: 11 is reserved with IDR3.DPT=0, behaves as 00 */
		if (out->eats == STE_EATS_DPT)
			out->eats = 0;
	}
	out->cir = FIELD_GET(STE1_S1CIR, ste[1]);
	out->cor = FIELD_GET(STE1_S1COR, ste[1]);
	out->csh = FIELD_GET(STE1_S1CSH, ste[1]);
	return 0;
}

/* Granule shift of CD.TG0 (@tg1: CD.TG1 encoding), 0 if reserved */
static unsigned int smmu_tg_shift(unsigned int tg, bool tg1)
{
	static const u8 tg0_shift[4] = { 12, 16, 14, 0 };
	static const u8 tg1_shift[4] = { 0, 14, 12, 16 };

	return tg1 ? tg1_shift[tg] : tg0_shift[tg];
}

static u32 smmu_gran_cap(unsigned int shift)
{
	switch (shift) {
	case 12:
		return IOASIDFD_GRAN_4K;
	case 14:
		return IOASIDFD_GRAN_16K;
	case 16:
		return IOASIDFD_GRAN_64K;
	default:
		return 0;
	}
}

/* One half (TTB0 or TTB1) of a CD whose EPDx is 0 */
static int smmu_cd_half(const struct ioasidfd_nested_caps *caps,
			unsigned int shift, unsigned int tsz, u64 ttb,
			unsigned int ips, bool tbi,
			struct ioasidfd_s1_half *h, u64 *root)
{
	unsigned int max_tsz, ia, stride, levels, root_bits;

	/* §5.4 TG0/TG1: a reserved or unsupported (IDR5) granule is ILLEGAL */
	if (!(smmu_gran_cap(shift) & caps->granules))
		return -EINVAL;
	/*
	 * §5.4 T0SZ/T1SZ: 16 (no 52-bit VA) to 39, or to 48 (4 KB, 16 KB)
	 * and 47 (64 KB) with IDR3.STT; out of range is ILLEGAL (v3.1).
	 */
	if (caps->flags & IOASIDFD_CAP_SMMU_STT)
		max_tsz = shift == 16 ? 47 : 48;
	else
		max_tsz = 39;
	if (tsz < 16 || tsz > max_tsz)
		return -EINVAL;
	/*
	 * §5.4 TTB0/TTB1: ILLEGAL beyond the effective IPS, or beyond 48
	 * bits below 64 KB granules (DS=0); the effective IPS is <= 48.
	 */
	if (ttb >> ips)
		return -EINVAL;

	ia = 64 - tsz;
	stride = shift - 3;
	levels = DIV_ROUND_UP(ia - shift, stride);
	root_bits = ia - (shift + stride * (levels - 1));
	h->enabled = true;
	h->gran_shift = shift;
	h->stride = stride;
	h->levels = levels;
	h->first_level = 4 - levels;
	h->ia_bits = ia;
	h->tbi = tbi;
	/* §5.4 TTBx: the SMMU aligns it to the starting-level table size */
	*root = ttb & ~((8ULL << root_bits) - 1);
	return 0;
}

int ioasidfd_smmu_parse_cd(const u64 cd[8], const struct ioasidfd_smmu_ste *ste,
			   const struct ioasidfd_nested_caps *caps,
			   struct ioasidfd_s1_cfg *cfg)
{
	u64 d0 = cd[0];
	bool epd0 = d0 & CD0_EPD0, epd1 = d0 & CD0_EPD1;
	bool ha = d0 & CD0_HA, hd = d0 & CD0_HD;
	unsigned int ips;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	/* §5.4 V: a transaction through an invalid CD: C_BAD_CD */
	if (!(d0 & CD0_V))
		return -EINVAL;
	/* §5.4 AA64: VMSAv8-32 LPAE is ILLEGAL without IDR0.TTF[0] */
	if (!(d0 & CD0_AA64))
		return -EINVAL;
	/* §5.4 ENDI: big-endian tables are ILLEGAL (TTENDIAN=10) */
	if ((d0 & CD0_ENDI) && !(epd0 && epd1))
		return -EINVAL;
	/* §5.4 HA/HD: ILLEGAL beyond IDR0.HTTU */
	if (ha && !(caps->flags & (IOASIDFD_CAP_SMMU_HTTU_A |
				   IOASIDFD_CAP_SMMU_HTTU_D)))
		return -EINVAL;
	if (hd && !(caps->flags & IOASIDFD_CAP_SMMU_HTTU_D))
		return -EINVAL;
	/* §5.4 ASID: ASID[15:8] non-zero is ILLEGAL without IDR0.ASID16 */
	if ((d0 & GENMASK_ULL(63, 56)) &&
	    !(caps->flags & IOASIDFD_CAP_SMMU_ASID16))
		return -EINVAL;
	/*
	 * §5.5: CD.S=1 is ILLEGAL with STALL_MODEL=01, or with STALL_MODEL=00
	 * through an STE with S1STALLD=1.
	 */
	if ((d0 & CD0_S) && (!(caps->flags & IOASIDFD_CAP_SMMU_STALL) ||
			     ste->s1stalld))
		return -EINVAL;
	/* §5.5 A: CD.A=0 is ILLEGAL with IDR0.TERM_MODEL=1 (abort only) */
	if (!(d0 & CD0_A))
		return -EINVAL;

	/* §5.4 IPS: eff_IPS = min(IPS, OAS); 52-bit output is not modelled */
	ips = min3(smmu_ips_bits[FIELD_GET(CD0_IPS, d0)], caps->oas,
		   SMMU_MAX_OA);
	if (!epd0) {
		rc = smmu_cd_half(caps,
				  smmu_tg_shift(FIELD_GET(CD0_TG0, d0), false),
				  FIELD_GET(CD0_T0SZ, d0), cd[1] & CD_TTB, ips,
				  d0 & CD0_TBI0, &cfg->half[0], &cfg->root[0]);
		if (rc)
			return rc;
	}
	if (!epd1) {
		rc = smmu_cd_half(caps,
				  smmu_tg_shift(FIELD_GET(CD0_TG1, d0), true),
				  FIELD_GET(CD0_T1SZ, d0), cd[2] & CD_TTB, ips,
				  d0 & CD0_TBI1, &cfg->half[1], &cfg->root[1]);
		if (rc)
			return rc;
	}

	cfg->fmt = &ioasidfd_smmu_s1_fmt;
	cfg->oa_bits = ips;
	cfg->tag = FIELD_GET(CD0_ASID, d0);
	if (d0 & CD0_AFFD)
		cfg->flags |= IOASIDFD_S1_CFG_AFFD;
	if (ha)
		cfg->flags |= IOASIDFD_S1_CFG_HA;
	/* §5.4 HA/HD: {HD, HA} = 10 behaves as 00 */
	if (ha && hd)
		cfg->flags |= IOASIDFD_S1_CFG_HD;
	if (d0 & CD0_PAN)
		cfg->flags |= IOASIDFD_S1_CFG_PAN;
	if (d0 & CD0_ASET)
		cfg->flags |= IOASIDFD_S1_CFG_ASET;
	if (d0 & CD0_S)
		cfg->flags |= IOASIDFD_S1_CFG_STALL;
	/* §5.5 R: R=0 suppresses the records of terminated (S=0) faults */
	else if (!(d0 & CD0_R))
		cfg->flags |= IOASIDFD_S1_CFG_NOREC_S1;
	return 0;
}

/* Read @n little-endian dwords at @gpa (not crossing a page) through stage 2 */
static bool smmu_read(const struct ioasidfd_s2_walk *s2, u64 gpa,
		      unsigned int n, u64 *val, u32 *reason)
{
	struct page *page;
	__le64 *p;
	unsigned int i;

	page = s2->page(s2->arg, gpa, IOASIDFD_S1_READ, reason);
	if (!page) {
		if (!*reason)
			*reason = IOASIDFD_F_UNMAPPED;
		return false;
	}
	p = kmap_local_page(page);
	for (i = 0; i < n; i++)
		val[i] = le64_to_cpu(READ_ONCE(p[offset_in_page(gpa) /
						 sizeof(*p) + i]));
	kunmap_local(p);
	return true;
}

static int smmu_cd_fail(struct ioasidfd_s1_fault *fault, u32 reason, u8 cls)
{
	fault->reason = reason;
	fault->cls = cls;
	return -EFAULT;
}

/* Stage 2 refused a CD or L1CD read: CLASS=CD table-walk fault */
static int smmu_cd_s2_fail(struct ioasidfd_s1_fault *fault, u32 reason,
			   u64 gpa)
{
	fault->stage = 2;
	fault->table_walk = true;
	fault->gpa = gpa;
	return smmu_cd_fail(fault, reason, IOASIDFD_FCLS_CD);
}

/* The IPA of CD @index in the (multi-CD) table of @ste */
static int smmu_locate_cd(const struct ioasidfd_smmu_ste *ste,
			  const struct ioasidfd_s2_walk *s2, u32 index,
			  const struct ioasidfd_nested_caps *caps, u64 *cd_gpa,
			  struct ioasidfd_s1_fault *fault)
{
	u64 ias_end = caps->ias < 64 ? BIT_ULL(caps->ias) : 0;
	unsigned int split;
	u64 gpa, l1;
	u32 reason = 0;

	if (ste->s1fmt == IOASIDFD_SMMU_S1FMT_LINEAR) {
		gpa = ste->s1ctxptr + (u64)index * 64;
		/* §3.4.3 (2a): an indexed CD address beyond the IAS: C_BAD_STE */
		if (ias_end && gpa + 63 >= ias_end)
			return smmu_cd_fail(fault, IOASIDFD_F_BAD_CONTEXT,
					    IOASIDFD_FCLS_STE);
		*cd_gpa = gpa;
		return 0;
	}
	/* §5.2 S1Fmt 01/10: L1 indexed by SSID[S1CDMax-1:split] */
	split = smmu_cd_split(ste);
	gpa = ste->s1ctxptr + (u64)(index >> split) * 8;
	if (ias_end && gpa + 7 >= ias_end)
		return smmu_cd_fail(fault, IOASIDFD_F_BAD_CONTEXT,
				    IOASIDFD_FCLS_STE);
	if (!smmu_read(s2, gpa, 1, &l1, &reason))
		return smmu_cd_s2_fail(fault, reason, gpa);
	/* §5.3.1: an L1CD with V=0: C_BAD_SUBSTREAMID */
	if (!(l1 & L1CD_V))
		return smmu_cd_fail(fault, IOASIDFD_F_BAD_SUBSTREAM,
				    IOASIDFD_FCLS_CD);
	gpa = l1 & L1CD_L2PTR;
	/* §5.2 S1Fmt=10: L2Ptr[15:12] are RES0, taken as zero */
	if (split == 10)
		gpa &= ~(BIT_ULL(16) - 1);
	/* §5.3 L2Ptr within the IAS; §3.4.3 (4a): C_BAD_SUBSTREAMID */
	gpa += (u64)(index & (BIT(split) - 1)) * 64;
	if (ias_end && gpa + 63 >= ias_end)
		return smmu_cd_fail(fault, IOASIDFD_F_BAD_SUBSTREAM,
				    IOASIDFD_FCLS_CD);
	*cd_gpa = gpa;
	return 0;
}

int ioasidfd_smmu_cd_pages(const struct ioasidfd_smmu_ste *ste,
			   const struct ioasidfd_s2_walk *s2, u32 index,
			   const struct ioasidfd_nested_caps *caps, u64 gpa[2],
			   unsigned int *nr)
{
	struct ioasidfd_s1_fault fault;
	u64 cd_gpa;
	int rc;

	*nr = 0;
	if (ste->s1fmt != IOASIDFD_SMMU_S1FMT_LINEAR)
		gpa[(*nr)++] = ste->s1ctxptr +
			       (u64)(index >> smmu_cd_split(ste)) * 8;
	rc = smmu_locate_cd(ste, s2, index, caps, &cd_gpa, &fault);
	if (!rc)
		gpa[(*nr)++] = cd_gpa;
	return rc;
}

int ioasidfd_smmu_fetch_cd(const struct ioasidfd_smmu_ste *ste,
			   const struct ioasidfd_s2_walk *s2, bool ssv, u32 ssid,
			   const struct ioasidfd_nested_caps *caps,
			   struct ioasidfd_s1_cfg *cfg, u32 *cd_index,
			   bool *bypass, struct ioasidfd_s1_fault *fault)
{
	u32 index = 0, reason = 0;
	u64 cd_gpa, cd[8];
	int rc;

	*bypass = false;
	*cd_index = 0;
	memset(fault, 0, sizeof(*fault));
	fault->stage = 1;
	fault->record = true;

	/* §5.2 V: an invalid (or ILLEGAL) STE: C_BAD_STE */
	if (!ste->valid)
		return smmu_cd_fail(fault, IOASIDFD_F_BAD_CONTEXT,
				    IOASIDFD_FCLS_STE);
	switch (ste->config) {
	case IOASIDFD_SMMU_STE_S1:
		break;
	case IOASIDFD_SMMU_STE_BYPASS:
		/* §5.2 S1Fmt: a SubstreamID with stage 1 disabled */
		if (ssv)
			return smmu_cd_fail(fault, IOASIDFD_F_BAD_SUBSTREAM,
					    IOASIDFD_FCLS_STE);
		*bypass = true;
		return 0;
	default:
		/* §5.2 Config 000: abort, no event recorded */
		fault->record = false;
		return smmu_cd_fail(fault, IOASIDFD_F_ABORT, IOASIDFD_FCLS_STE);
	}

	if (!ste->s1cdmax) {
		/* §5.2 S1CDMax=0 (or SSIDSIZE=0): SSV=1 is C_BAD_SUBSTREAMID */
		if (ssv)
			return smmu_cd_fail(fault, IOASIDFD_F_BAD_SUBSTREAM,
					    IOASIDFD_FCLS_STE);
		cd_gpa = ste->s1ctxptr;
	} else {
		if (ssv) {
			/* §5.2 S1CDMax: SSID >= 2^S1CDMax: C_BAD_SUBSTREAMID */
			if (ssid >= BIT(ste->s1cdmax))
				return smmu_cd_fail(fault,
						    IOASIDFD_F_BAD_SUBSTREAM,
						    IOASIDFD_FCLS_STE);
			/* §5.2 S1DSS=10: SSID 0 is terminated, F_STREAM_DISABLED */
			if (ste->s1dss == IOASIDFD_SMMU_S1DSS_SSID0 && !ssid)
				return smmu_cd_fail(fault,
						    IOASIDFD_F_STREAM_DISABLED,
						    IOASIDFD_FCLS_STE);
			index = ssid;
		} else if (ste->s1dss == IOASIDFD_SMMU_S1DSS_BYPASS) {
			/* §5.2 S1DSS=01: bypass stage 1, no CD fetched */
			*bypass = true;
			return 0;
		} else if (ste->s1dss == IOASIDFD_SMMU_S1DSS_TERMINATE) {
			/* §5.2 S1DSS=00 (and 11): F_STREAM_DISABLED */
			return smmu_cd_fail(fault, IOASIDFD_F_STREAM_DISABLED,
					    IOASIDFD_FCLS_STE);
		}
		/* else §5.2 S1DSS=10: no SubstreamID uses CD 0 */
		rc = smmu_locate_cd(ste, s2, index, caps, &cd_gpa, fault);
		if (rc)
			return rc;
	}

	/* A CD is 64 bytes, 64-byte aligned: within one page */
	if (!smmu_read(s2, cd_gpa, ARRAY_SIZE(cd), cd, &reason))
		return smmu_cd_s2_fail(fault, reason, cd_gpa);
	/* §5.4: an ILLEGAL CD: C_BAD_CD */
	if (ioasidfd_smmu_parse_cd(cd, ste, caps, cfg))
		return smmu_cd_fail(fault, IOASIDFD_F_BAD_CONTEXT,
				    IOASIDFD_FCLS_CD);
	*cd_index = index;
	return 0;
}

int ioasidfd_smmu_check_bypass(const struct ioasidfd_nested_caps *caps,
			       u64 iova, struct ioasidfd_s1_fault *fault)
{
	/* §3.4: bypassing stage 1, an input beyond the IAS is F_ADDR_SIZE */
	if (caps->ias >= 64 || !(iova >> caps->ias))
		return 0;
	memset(fault, 0, sizeof(*fault));
	fault->reason = IOASIDFD_F_ADDR_SIZE;
	fault->stage = 1;
	fault->record = true;
	fault->addr = iova;
	return -EFAULT;
}

/* Range of a TLBI by address (SMMUv3 §4.4.1.1) */
static int smmu_cmd_range(const u64 cmd[2],
			  const struct ioasidfd_nested_caps *caps,
			  struct ioasidfd_inv *out)
{
	unsigned int num = FIELD_GET(CMD0_NUM, cmd[0]);
	unsigned int scale = FIELD_GET(CMD0_SCALE, cmd[0]);
	unsigned int ttl = FIELD_GET(CMD1_TTL, cmd[1]);
	unsigned int tg = FIELD_GET(CMD1_TG, cmd[1]);
	/* §4.4.2: TBI may apply to the address: take VA[63:56] as VA[55] */
	u64 addr = sign_extend64(cmd[1] & CMD1_ADDR, 55);
	u64 len;

	out->op = IOASIDFD_INV_S1_RANGE;
	out->start = addr;
	if (cmd[1] & CMD1_LEAF)
		out->flags |= IOASIDFD_INV_LEAF;
	if (!tg) {
		/* §4.4.1.1: TG=0: one address; NUM, SCALE, TTL are RES0 */
		if (num || scale || ttl)
			return -EINVAL;
		out->last = addr + (BIT_ULL(12) - 1);
		return 0;
	}
	/* §4.4.1.1: TG, TTL, NUM and SCALE are RES0 without IDR3.RIL */
	if (!(caps->flags & IOASIDFD_CAP_SMMU_RIL))
		return -EINVAL;
	/* §4.4.1.1: TG!=0 with NUM=0, SCALE=0, TTL=0 is reserved: CERROR_ILL */
	if (!num && !scale && !ttl)
		return -EINVAL;
	/* §4.4.1.1: TG=16 KB with TTL=01 needs IDR5.DS: else CERROR_ILL */
	if (tg == 2 && ttl == 1)
		return -EINVAL;
	/* Range = (NUM + 1) * 2^SCALE * granule; TTL only narrows: ignored */
	len = (u64)(num + 1) << (scale + 10 + 2 * tg);	/* TG 01 4K, 10 16K, 11 64K */
	/* §4.4.1.1: the address does not wrap */
	out->last = addr + (len - 1) < addr ? U64_MAX : addr + (len - 1);
	return 0;
}

int ioasidfd_smmu_cmd_decode(const u64 cmd[2],
			     const struct ioasidfd_nested_caps *caps,
			     struct ioasidfd_inv *out)
{
	unsigned int op = FIELD_GET(CMD0_OP, cmd[0]);
	u64 ok0 = CMD0_OP, ok1 = 0;

	memset(out, 0, sizeof(*out));
	/*
	 * §4.1.5: fields not listed are RES0, and we check them (malformed:
	 * CERROR_ILL).  §4.1.6: SSec is 0 on the Non-secure queue, so it is
	 * not among the fields listed.  VMID and StreamID are the VMM's
	 * business (it knows which guest and device): not decoded.
	 */
	switch (op) {
	case CMD_TLBI_NH_ALL:
		/* §4.4.2.1: every stage-1 entry of the VMID, global too */
		ok0 |= CMD0_VMID;
		out->op = IOASIDFD_INV_S1_ALL;
		out->flags = IOASIDFD_INV_ALL_TAGS | IOASIDFD_INV_INCLUDE_GLOBAL;
		break;
	case CMD_TLBI_NH_ASID:
		/* §4.4.2.2: non-global entries of the ASID */
		ok0 |= CMD0_VMID | CMD0_ASID;
		out->op = IOASIDFD_INV_S1_TAG;
		out->flags = IOASIDFD_INV_MATCH_TAG;
		out->tag = FIELD_GET(CMD0_ASID, cmd[0]);
		break;
	case CMD_TLBI_NH_VA:
		/* §4.4.2.4: the VA for the ASID, and global entries */
		ok0 |= CMD0_NUM | CMD0_SCALE | CMD0_VMID | CMD0_ASID;
		ok1 |= CMD1_LEAF | CMD1_TTL | CMD1_TG | CMD1_ADDR;
		out->flags = IOASIDFD_INV_MATCH_TAG | IOASIDFD_INV_INCLUDE_GLOBAL;
		out->tag = FIELD_GET(CMD0_ASID, cmd[0]);
		break;
	case CMD_TLBI_NH_VAA:
		/* §4.4.2.3: the VA for every ASID, global entries too */
		ok0 |= CMD0_NUM | CMD0_SCALE | CMD0_VMID;
		ok1 |= CMD1_LEAF | CMD1_TTL | CMD1_TG | CMD1_ADDR;
		out->flags = IOASIDFD_INV_ALL_TAGS | IOASIDFD_INV_INCLUDE_GLOBAL;
		break;
	case CMD_CFGI_CD:
		/* §4.3.3: the CD at index SubstreamID; Leaf=0: its L1CD too */
		ok0 |= CMD0_SSID | CMD0_SID;
		ok1 |= CMD1_LEAF;
		out->op = IOASIDFD_INV_CTX;
		out->flags = IOASIDFD_INV_MATCH_PASID;
		if (cmd[1] & CMD1_LEAF)
			out->flags |= IOASIDFD_INV_LEAF;
		out->pasid = FIELD_GET(CMD0_SSID, cmd[0]);
		break;
	case CMD_CFGI_CD_ALL:
		/* §4.3.4: every CD and L1CD of the StreamID */
		ok0 |= CMD0_SID;
		out->op = IOASIDFD_INV_CTX_ALL;
		break;
	case CMD_ATC_INV:
		/* §4.5.1: ILLEGAL when IDR0.ATS=0 */
		if (!(caps->flags & IOASIDFD_CAP_ATS))
			return -EPERM;
		ok0 |= CMD0_ATC_GLOBAL | CMD0_SSV | CMD0_SSID | CMD0_SID;
		ok1 |= CMD1_ATC_SIZE | CMD1_ADDR;
		/* §4.5.1: Size above 52 may raise CERROR_ILL */
		if (FIELD_GET(CMD1_ATC_SIZE, cmd[1]) > CMD_ATC_SIZE_ALL)
			return -EINVAL;
		/* No ATC behind us: validated, nothing to do */
		out->op = IOASIDFD_INV_NOP;
		out->flags = IOASIDFD_INV_DEVTLB;
		if (cmd[0] & CMD0_SSV)
			out->pasid = FIELD_GET(CMD0_SSID, cmd[0]);
		break;
	case CMD_SYNC:
		/* §4.7.3: CS=11 is reserved: CERROR_ILL */
		if (FIELD_GET(CMD0_SYNC_CS, cmd[0]) == CMD_SYNC_CS_RSVD)
			return -EINVAL;
		ok0 |= CMD0_SYNC_CS | CMD0_SYNC_MSH | CMD0_SYNC_MSIATTR |
		       CMD0_SYNC_MSIDATA;
		ok1 |= CMD1_SYNC_MSIADDR;
		/* The VMM completes the sync (its MSI or SEV) */
		out->op = IOASIDFD_INV_NOP;
		out->flags = IOASIDFD_INV_SYNC;
		break;
	case CMD_PREFETCH_CONFIG:
		/* §4.2.1: a hint; nothing is prefetched */
		ok0 |= CMD0_SSV | CMD0_SSID | CMD0_SID;
		out->op = IOASIDFD_INV_NOP;
		break;
	case CMD_PREFETCH_ADDR:
		/* §4.2.2: a hint; §4.1.5 lets us ignore its dword 1 */
		ok0 |= CMD0_SSV | CMD0_SSID | CMD0_SID;
		ok1 = ~0ULL;
		out->op = IOASIDFD_INV_NOP;
		break;
	default:
		/*
		 * CMD_CFGI_STE, CFGI_STE_RANGE/CFGI_ALL (the VMM re-shadows
		 * STEs, §4.3.7), CFGI_VMS_PIDM, TLBI_NSNH_ALL, EL2/EL3/Secure
		 * TLBIs, TLBI_S2_IPA and TLBI_S12_VMALL (no stage 2, no Hyp
		 * for the guest), PRI_RESP, RESUME, STALL_TERM, DPTI and
		 * reserved or IMPLEMENTATION DEFINED opcodes (§4.1.1).
		 */
		return -EPERM;
	}
	if ((cmd[0] & ~ok0) || (cmd[1] & ~ok1))
		return -EINVAL;
	if (op == CMD_TLBI_NH_VA || op == CMD_TLBI_NH_VAA)
		return smmu_cmd_range(cmd, caps, out);
	return 0;
}
