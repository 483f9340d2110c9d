// SPDX-License-Identifier: GPL-2.0
/*
 * Nested translation in the SMMUv3 stage-1 format
 * (IOASID_NESTED_FMT_SMMUV3), on software devices.
 *
 * The test is the guest: it binds STE dwords 0-1, keeps the CD table, the
 * CDs and VMSAv8-64 tables in guest memory that the parent IOASID maps at
 * IOVA = GPA, and DMAs through a device allowed at RID; requests carry the
 * SubstreamID as their PASID.  The rules are IHI 0070's (§4, §5.2-§5.4) and
 * the Arm ARM's (D8.3), summarised in hw-formats.md §B.  Where the header
 * says nothing, a one-line comment gives the behaviour assumed (the spec's).
 *
 * Fixture and checks common with the VT-d format: nested_env.h.
 */
#include "kselftest_harness.h"
#include "nested_env.h"

FIXTURE(smmu) {
	struct nenv e;
};

FIXTURE_SETUP(smmu)
{
	nenv_setup(_metadata, &self->e, IOASID_NESTED_FMT_SMMUV3);
}

FIXTURE_TEARDOWN(smmu)
{
	nenv_teardown(_metadata, &self->e);
}

static const unsigned int granules[] = { 0x1000, 0x4000, 0x10000 };

static bool smmu_has_granule(const struct nenv *e, unsigned int granule)
{
	unsigned int bit = granule == 0x1000 ? IOASID_NESTED_SMMU_GRAN_4K :
			   granule == 0x4000 ? IOASID_NESTED_SMMU_GRAN_16K :
					       IOASID_NESTED_SMMU_GRAN_64K;

	return e->cap.smmu_granules & bit;
}

static bool smmu_has(const struct nenv *e, unsigned int flag)
{
	return e->cap.smmu_flags & flag;
}

/* The STE of the current defaults, raw, for pokes */
static void smmu_ste_words(const struct nenv *e, uint64_t ste[2])
{
	smmu_ste_encode(ste, &e->ste);
}

/* Binds the defaults with @mod applied to the STE words, and unbinds */
static int smmu_try_ste(struct nenv *e, const uint64_t ste[2])
{
	return nenv_try_bind_raw(e, ste);
}

/*
 * CD @ssid with a stage-1 table of its own (@granule, @t0sz), ASID @asid;
 * @cd gets the CD as written, @t the table.
 */
static void smmu_cd_table(struct __test_metadata *_metadata, struct nenv *e,
			  uint32_t ssid, struct arm_s1 *t, unsigned int granule,
			  unsigned int t0sz, uint16_t asid, struct smmu_cd_cfg *cd)
{
	ASSERT_EQ(0, arm_s1_init(t, &e->g, granule, t0sz));
	nenv_smmu_std_cd(e, cd, t->root, asid);
	cd->t0sz = t0sz;
	cd->tg0 = smmu_tg0_of(granule);
	nenv_write_cd(_metadata, e, ssid, cd);
}

/* Runs commands, which must be accepted, then a CMD_SYNC */
static void smmu_cmds(struct __test_metadata *_metadata, struct nenv *e,
		      const struct smmu_cmd *c, size_t n)
{
	struct ninv b;
	size_t i;

	ninv_init(&b, e);
	for (i = 0; i < n; i++)
		ninv_smmu(&b, c[i]);
	ninv_sync(&b, e);
	ninv_ok(_metadata, e, &b);
}

#define SMMU_CMDS(_m, _e, ...) do {					\
	const struct smmu_cmd __c[] = { __VA_ARGS__ };			\
	smmu_cmds((_m), (_e), __c, ARRAY_SIZE(__c));			\
} while (0)

/* A leaf of @level for @oa: the standard attributes plus @attrs */
static uint64_t smmu_leaf(int level, uint64_t oa, uint64_t attrs)
{
	return arm_leaf_desc(level, oa, ARM_LEAF_STD | attrs);
}

/* ------------------------------------------------------------------------
 * The common tests
 */

TEST_F(smmu, write_read)		{ nt_write_read(_metadata, &self->e); }
TEST_F(smmu, scatter)			{ nt_scatter(_metadata, &self->e); }
TEST_F(smmu, unmapped)			{ nt_unmapped(_metadata, &self->e); }
TEST_F(smmu, rewrite_needs_inv)		{ nt_rewrite_needs_inv(_metadata, &self->e); }
TEST_F(smmu, page_inv_exact)		{ nt_page_inv_exact(_metadata, &self->e); }
TEST_F(smmu, iotlb_counters)		{ nt_iotlb_counters(_metadata, &self->e); }
TEST_F(smmu, info)			{ nt_info(_metadata, &self->e); }
TEST_F(smmu, s2_table_unmapped)		{ nt_s2_table_unmapped(_metadata, &self->e); }
TEST_F(smmu, s2_data_unmapped)		{ nt_s2_data_unmapped(_metadata, &self->e); }
TEST_F(smmu, s2_data_readonly)		{ nt_s2_data_readonly(_metadata, &self->e); }
TEST_F(smmu, s2_unmap_cached_data)	{ nt_s2_unmap_cached_data(_metadata, &self->e); }
TEST_F(smmu, s2_unmap_cached_table)	{ nt_s2_unmap_cached_table(_metadata, &self->e); }
TEST_F(smmu, parent_busy)		{ nt_parent_busy(_metadata, &self->e); }
TEST_F(smmu, destroy_halts)		{ nt_destroy_halts(_metadata, &self->e); }
TEST_F(smmu, unbind_busy)		{ nt_unbind_busy(_metadata, &self->e); }
TEST_F(smmu, close_attached)		{ nt_close_attached(_metadata, &self->e); }
TEST_F(smmu, recoverable)		{ nt_recoverable(_metadata, &self->e); }
TEST_F(smmu, bind_badinput)		{ nt_bind_badinput(_metadata, &self->e); }
TEST_F(smmu, bind_modes)		{ nt_bind_modes(_metadata, &self->e); }

TEST_F(smmu, inv_args)
{
	static const uint32_t bad_len[] = { 0, 8, 15, 17, 32 };

	nt_inv_args(_metadata, &self->e, bad_len, ARRAY_SIZE(bad_len));
}

TEST_F(smmu, inv_max)
{
	struct smmu_cmd sync = smmu_cmd_sync(0);

	nt_inv_max(_metadata, &self->e, &sync);
}

#define SMMU_BAD(_what, _c, _err)	{ _what, { (_c).dw[0], (_c).dw[1] }, _err }

/* Forbidden, unknown and malformed commands stop the queue where they are. */
TEST_F(smmu, inv_stops_at_bad_entry)
{
	struct nenv *e = &self->e;
	struct smmu_tlbi_range r = { .tg = SMMU_TLBI_TG_4K, .num = 1 };
	struct smmu_cmd t;
	struct nbad bad[24];
	size_t n = 0;

	/* STEs are the VMM's (REPLACE), stage 2 and EL2 the host's */
	bad[n++] = (struct nbad)SMMU_BAD("CFGI_STE", smmu_cmd_cfgi_ste(NENV_SID, true),
					 IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)SMMU_BAD("CFGI_ALL", smmu_cmd_cfgi_all(),
					 IOASID_INV_ERROR_ILLEGAL);
	t = smmu_cmd_cfgi_all();
	t.dw[1] = 0;
	bad[n++] = (struct nbad)SMMU_BAD("CFGI_STE_RANGE", t, IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)SMMU_BAD("TLBI_NSNH_ALL", smmu_cmd_op(SMMU_CMD_TLBI_NSNH_ALL),
					 IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)SMMU_BAD("TLBI_S2_IPA",
					 smmu_cmd_tlbi_s2_ipa(NENV_VMID, NENV_GPA, false),
					 IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)SMMU_BAD("TLBI_S12_VMALL", smmu_cmd_op(SMMU_CMD_TLBI_S12_VMALL),
					 IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)SMMU_BAD("TLBI_EL2_ALL", smmu_cmd_op(SMMU_CMD_TLBI_EL2_ALL),
					 IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)SMMU_BAD("TLBI_EL2_ASID", smmu_cmd_tlbi_el2_asid(NENV_ASID),
					 IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)SMMU_BAD("TLBI_EL2_VA",
					 smmu_cmd_tlbi_el2_va(NENV_ASID, NVA(30), false),
					 IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)SMMU_BAD("TLBI_EL2_VAA", smmu_cmd_tlbi_el2_vaa(NVA(30), false),
					 IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)SMMU_BAD("opcode 0x00", smmu_cmd_op(0), IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)SMMU_BAD("opcode 0xff", smmu_cmd_op(0xff), IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)SMMU_BAD("opcode 0x47", smmu_cmd_op(0x47), IOASID_INV_ERROR_ILLEGAL);
	/* RES0 fields set */
	t = smmu_cmd_tlbi_nh_asid(NENV_VMID, NENV_ASID);
	t.dw[0] |= BIT64(8);
	bad[n++] = (struct nbad)SMMU_BAD("TLBI_NH_ASID dw0[8]", t, IOASID_INV_ERROR_MALFORMED);
	t = smmu_cmd_tlbi_nh_asid(NENV_VMID, NENV_ASID);
	t.dw[1] = BIT64(12);
	bad[n++] = (struct nbad)SMMU_BAD("TLBI_NH_ASID dw1", t, IOASID_INV_ERROR_MALFORMED);
	t = smmu_cmd_tlbi_nh_va(NENV_VMID, NENV_ASID, NVA(30), false, NULL);
	t.dw[1] |= BIT64(4);
	bad[n++] = (struct nbad)SMMU_BAD("TLBI_NH_VA dw1[4]", t, IOASID_INV_ERROR_MALFORMED);
	t = smmu_cmd_cfgi_cd(NENV_SID, NENV_SSID, true);
	t.dw[1] |= BIT64(1);
	bad[n++] = (struct nbad)SMMU_BAD("CFGI_CD dw1[1]", t, IOASID_INV_ERROR_MALFORMED);
	t = smmu_cmd_sync(0);
	t.dw[0] |= BIT64(14);
	bad[n++] = (struct nbad)SMMU_BAD("CMD_SYNC dw0[14]", t, IOASID_INV_ERROR_MALFORMED);
	/* range fields are RES0 without IDR3.RIL */
	if (!smmu_has(e, IOASID_NESTED_SMMU_RIL))
		bad[n++] = (struct nbad)SMMU_BAD("range TLBI without RIL",
			smmu_cmd_tlbi_nh_va(NENV_VMID, NENV_ASID, NVA(30), false, &r),
			IOASID_INV_ERROR_MALFORMED);
	nt_inv_stops_at(_metadata, e, bad, n);
}

/* ------------------------------------------------------------------------
 * The STE: what a bind accepts
 */

TEST_F(smmu, bind_good_ste)
{
	struct nenv *e = &self->e;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	EXPECT_EQ(0, nenv_try_bind(e));
	/* the CD table's attributes are the guest's to choose */
	e->ste.s1cir = SMMU_CACHE_NC;
	e->ste.s1cor = SMMU_CACHE_WT;
	e->ste.s1csh = SMMU_SH_OSH;
	EXPECT_EQ(0, nenv_try_bind(e));
	e->ste.s1cdmax = 0;
	EXPECT_EQ(0, nenv_try_bind(e));
}

/*
 * Config: 000 abort, 100 bypass, 101 stage 1.  0b001-0b011 are reserved
 * (the spec: "behaves as abort"; the header: reserved encodings are EINVAL),
 * 11x enable a guest stage 2 the CAP does not offer (EINVAL); 001-011 are
 * reserved and behave as 000 (§5.2): they bind, and abort.
 */
TEST_F(smmu, bind_config)
{
	struct nenv *e = &self->e;
	int cfg;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	for (cfg = 0; cfg < 8; cfg++) {
		int want = cfg <= SMMU_CONFIG_S1 ? 0 : -EINVAL;

		e->ste.config = cfg;
		EXPECT_EQ(want, nenv_try_bind(e)) {
			TH_LOG("Config %d", cfg);
		}
	}
}

/* S1Fmt: 2-level tables need IOASID_NESTED_SMMU_CD2L; 11 is reserved, behaves as 00 (§5.2) */
TEST_F(smmu, bind_s1fmt)
{
	struct nenv *e = &self->e;
	bool cd2l = smmu_has(e, IOASID_NESTED_SMMU_CD2L);
	int fmt;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	ASSERT_LE(4, e->cap.smmu_ssid_bits);
	for (fmt = 0; fmt < 4; fmt++) {
		int want = fmt == 0 || fmt == 3 || cd2l ? 0 : -EINVAL;

		e->ste.s1fmt = fmt;
		EXPECT_EQ(want, nenv_try_bind(e)) {
			TH_LOG("S1Fmt %d (CD2L %d)", fmt, cd2l);
		}
	}
}

/* S1CDMax: 0 .. SSIDSIZE (the CAP's smmu_ssid_bits); more is ILLEGAL */
TEST_F(smmu, bind_s1cdmax)
{
	struct nenv *e = &self->e;
	unsigned int max = e->cap.smmu_ssid_bits, n;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	ASSERT_GE(20, max);
	for (n = 0; n <= max; n++) {
		e->ste.s1cdmax = n;
		EXPECT_EQ(0, nenv_try_bind(e)) {
			TH_LOG("S1CDMax %u", n);
		}
	}
	e->ste.s1cdmax = max + 1;
	EXPECT_EQ(-EINVAL, nenv_try_bind(e));
	e->ste.s1cdmax = 31;
	EXPECT_EQ(-EINVAL, nenv_try_bind(e));
}

/* S1DSS: 00 terminate, 01 bypass, 10 SSID0; 11 is reserved, behaves as 00 (§5.2) */
TEST_F(smmu, bind_s1dss)
{
	struct nenv *e = &self->e;
	int dss;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	for (dss = 0; dss < 4; dss++) {
		e->ste.s1dss = dss;
		EXPECT_EQ(0, nenv_try_bind(e)) {
			TH_LOG("S1DSS %d", dss);
		}
	}
}

/*
 * RES0 bits and reserved encodings of dwords 0-1; a pointer beyond the IAS;
 * StreamWorld EL2 without a hypervisor SMMU (STRW is then RES0, assumed).
 */
TEST_F(smmu, bind_reserved_bits)
{
	struct nenv *e = &self->e;
	const unsigned int bits[] = { SMMU_STE_RSVD_56, 57, 58, SMMU_STE_RSVD_105, 106, 107 };
	uint64_t ste[2];
	size_t i;
	int strw;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		smmu_ste_words(e, ste);
		words_set(ste, bits[i]);
		EXPECT_EQ(-EINVAL, smmu_try_ste(e, ste)) {
			TH_LOG("bit %u accepted", bits[i]);
		}
	}
	for (strw = 1; strw < 4; strw++) {
		e->ste.strw = strw;
		EXPECT_EQ(-EINVAL, nenv_try_bind(e)) {
			TH_LOG("STRW %d", strw);
		}
	}
	e->ste.strw = 0;
	ASSERT_GT(56, e->cap.smmu_ias);
	e->ste.s1ctxptr = 1ULL << e->cap.smmu_ias;
	EXPECT_EQ(-EINVAL, nenv_try_bind(e));
	e->ste.s1ctxptr = (1ULL << e->cap.smmu_ias) - 64;
	EXPECT_EQ(0, nenv_try_bind(e));
}

/*
 * IGNORED fields bind: the S1 fields of a bypass STE; everything but V of an
 * invalid STE (§5.2).  SW_RESERVED (87:84) is not a field a guest may hand
 * its host: refused like every field outside the guest's whitelist.
 */
TEST_F(smmu, bind_ignored_fields)
{
	struct nenv *e = &self->e;
	uint64_t ste[2];
	unsigned int bit;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	for (bit = SMMU_STE_SW_RSVD; bit < SMMU_STE_SW_RSVD + 4; bit++) {
		smmu_ste_words(e, ste);
		words_set(ste, bit);
		EXPECT_EQ(-EINVAL, smmu_try_ste(e, ste)) {
			TH_LOG("SW_RESERVED bit %u", bit);
		}
	}
	e->ste.config = SMMU_CONFIG_BYPASS;
	e->ste.s1cdmax = 31;
	e->ste.s1fmt = 3;
	e->ste.s1dss = 3;
	EXPECT_EQ(0, nenv_try_bind(e));
	e->ste.config = SMMU_CONFIG_S1;
	e->ste.v = false;
	EXPECT_EQ(0, nenv_try_bind(e));
	smmu_ste_words(e, ste);
	words_set(ste, SMMU_STE_RSVD_56);
	EXPECT_EQ(0, smmu_try_ste(e, ste));
}

/* ------------------------------------------------------------------------
 * STE at DMA time: invalid, abort, bypass
 */

/* An invalid STE: C_BAD_STE, a BAD_CONTEXT record (assumed stage 1: a guest structure) */
TEST_F(smmu, ste_invalid)
{
	struct nenv *e = &self->e;

	nenv_map(_metadata, e, NVA(1), nenv_page(0));
	e->ste.v = false;
	nenv_start(_metadata, e);
	nenv_fault_s1(_metadata, e, IOASID_TEST_DMA_WRITE, NVA(1),
		      IOASID_FAULT_REASON_BAD_CONTEXT, -1);
	e->dma_pasid = -1;
	nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_BAD_CONTEXT, -1);
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(0)));
}

/* Config abort: the DMA is aborted and no event recorded */
TEST_F(smmu, config_abort)
{
	struct nenv *e = &self->e;

	nenv_map(_metadata, e, NVA(1), nenv_page(0));
	e->ste.config = SMMU_CONFIG_ABORT;
	nenv_start(_metadata, e);
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, nenv_dma_status(e, IOASID_TEST_DMA_WRITE, NVA(1)));
	e->dma_pasid = -1;
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, nenv_dma_status(e, IOASID_TEST_DMA_WRITE,
							 nenv_page(0)));
	nenv_expect_no_record(_metadata, e);
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(0)));
}

/*
 * Config bypass: stage 2 only, the input address is the GPA; a SubstreamID
 * is C_BAD_SUBSTREAMID (stage 1 is disabled).
 */
TEST_F(smmu, config_bypass)
{
	struct nenv *e = &self->e;
	struct nfault w = {
		.reason = IOASID_FAULT_REASON_UNMAPPED, .stage = 2, .level = -1,
		.addr = 0x80000000ULL, .s2addr = 0x80000000ULL,
	};

	e->ste.config = SMMU_CONFIG_BYPASS;
	nenv_start(_metadata, e);
	e->dma_pasid = -1;
	nenv_write_ok(_metadata, e, 0, nenv_page(2), nenv_page(2), SW_PAGE, 1);
	nenv_read_ok(_metadata, e, 0, nenv_page(3) + 8, nenv_page(3) + 8, 64, 2);
	nenv_fault(_metadata, e, IOASID_TEST_DMA_WRITE, 0x80000000ULL, &w);
	e->dma_pasid = 1;
	nenv_fault_s1(_metadata, e, 0, nenv_page(2), IOASID_FAULT_REASON_BAD_SUBSTREAM, -1);
}

/* ------------------------------------------------------------------------
 * SubstreamIDs (§5.2 S1CDMax, S1DSS; §5.3 L1CD)
 */

/* S1CDMax 0: one CD for requests without SSID; any SSID is C_BAD_SUBSTREAMID */
TEST_F(smmu, ssid_disabled)
{
	struct nenv *e = &self->e;

	ASSERT_EQ(0, smmu_cdtab_init(&e->cdt, &e->g, SMMU_S1FMT_LINEAR, 0));
	e->ste.s1ctxptr = e->cdt.base;
	e->ste.s1cdmax = 0;
	nenv_map(_metadata, e, NVA(1), nenv_page(0));
	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	nenv_write_cd(_metadata, e, 0, &e->cd);
	ASSERT_EQ(0, nenv_bind(e, 0));
	ASSERT_EQ(0, nenv_allow(e));
	e->dma_pasid = -1;
	nenv_write_ok(_metadata, e, 0, NVA(1), nenv_page(0), 64, 1);
	e->dma_pasid = 1;
	nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_BAD_SUBSTREAM, -1);
	e->dma_pasid = 0;
	nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_BAD_SUBSTREAM, -1);
}

/* SSIDs >= 2^S1CDMax are C_BAD_SUBSTREAMID */
TEST_F(smmu, ssid_beyond_cdmax)
{
	struct nenv *e = &self->e;

	e->ste.s1cdmax = 2;
	nenv_map(_metadata, e, NVA(1), nenv_page(0));
	nenv_write_cd(_metadata, e, 3, &e->cd);
	nenv_start(_metadata, e);
	e->dma_pasid = 3;
	nenv_write_ok(_metadata, e, 0, NVA(1), nenv_page(0), 64, 2);
	e->dma_pasid = 4;
	nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_BAD_SUBSTREAM, -1);
	e->dma_pasid = 0xfffff;
	nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_BAD_SUBSTREAM, -1);
}

/* S1DSS 00: requests without SSID are terminated (F_STREAM_DISABLED); SSID 0 is a substream */
TEST_F(smmu, s1dss_terminate)
{
	struct nenv *e = &self->e;

	e->ste.s1dss = SMMU_S1DSS_TERMINATE;
	nenv_map(_metadata, e, NVA(1), nenv_page(0));
	nenv_write_cd(_metadata, e, 0, &e->cd);
	nenv_start(_metadata, e);
	e->dma_pasid = -1;
	nenv_fault_s1(_metadata, e, IOASID_TEST_DMA_WRITE, NVA(1),
		      IOASID_FAULT_REASON_STREAM_DISABLED, -1);
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(0)));
	/* the request may carry PASID 0 (assumed: the test device sends it) */
	e->dma_pasid = 0;
	nenv_write_ok(_metadata, e, 0, NVA(1), nenv_page(0), 64, 3);
	e->dma_pasid = NENV_SSID;
	nenv_write_ok(_metadata, e, 0, NVA(1), nenv_page(0), 64, 4);
}

/* S1DSS 01: requests without SSID bypass stage 1 and fetch no CD */
TEST_F(smmu, s1dss_bypass)
{
	struct nenv *e = &self->e;

	e->ste.s1dss = SMMU_S1DSS_BYPASS;
	nenv_map(_metadata, e, NVA(1), nenv_page(0));
	/* CD 0 stays invalid: it is not read */
	nenv_start(_metadata, e);
	e->dma_pasid = -1;
	nenv_write_ok(_metadata, e, 0, nenv_page(5), nenv_page(5), 64, 5);
	e->dma_pasid = NENV_SSID;
	nenv_write_ok(_metadata, e, 0, NVA(1), nenv_page(0), 64, 6);
	/* a substream still uses its CD: CD 0 is invalid */
	e->dma_pasid = 0;
	nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_BAD_CONTEXT, -1);
}

/* S1DSS 10: requests without SSID use CD 0; SSID 0 itself is F_STREAM_DISABLED */
TEST_F(smmu, s1dss_ssid0)
{
	struct nenv *e = &self->e;
	struct arm_s1 t0;
	struct smmu_cd_cfg cd0;

	nenv_map(_metadata, e, NVA(1), nenv_page(0));
	smmu_cd_table(_metadata, e, 0, &t0, 0x1000, 16, NENV_ASID + 1, &cd0);
	ASSERT_NE(NULL, arm_s1_map(&t0, NVA(1), nenv_page(1), 3, ARM_LEAF_STD));
	nenv_start(_metadata, e);
	e->dma_pasid = -1;
	nenv_write_ok(_metadata, e, 0, NVA(1), nenv_page(1), 64, 7);
	e->dma_pasid = 0;
	nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_STREAM_DISABLED, -1);
	e->dma_pasid = NENV_SSID;
	nenv_write_ok(_metadata, e, 0, NVA(1), nenv_page(0), 64, 8);
}

/* Two-level CD tables (with IOASID_NESTED_SMMU_CD2L): L2 tables, and an invalid L1CD */
TEST_F(smmu, cd_table_two_level)
{
	struct nenv *e = &self->e;
	const struct { uint8_t fmt, cdmax; uint32_t ssid[3]; } v[] = {
		{ SMMU_S1FMT_4K_L2, 8, { 1, 70, 200 } },
		{ SMMU_S1FMT_64K_L2, 12, { 2, 1100, 3000 } },
	};
	size_t i;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	nenv_map(_metadata, e, NVA(1), nenv_page(0));
	if (!smmu_has(e, IOASID_NESTED_SMMU_CD2L)) {
		e->ste.s1fmt = SMMU_S1FMT_4K_L2;
		e->ste.s1cdmax = 8;
		EXPECT_EQ(-EINVAL, nenv_try_bind(e));
		return;
	}
	ASSERT_LE(12, e->cap.smmu_ssid_bits);
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		uint32_t bad = v[i].ssid[2];

		ASSERT_EQ(0, smmu_cdtab_init(&e->cdt, &e->g, v[i].fmt, v[i].cdmax));
		e->ste.s1fmt = v[i].fmt;
		e->ste.s1cdmax = v[i].cdmax;
		e->ste.s1ctxptr = e->cdt.base;
		nenv_write_cd(_metadata, e, v[i].ssid[0], &e->cd);
		nenv_write_cd(_metadata, e, v[i].ssid[1], &e->cd);
		/* the L2 table of the third SSID exists, but its L1CD is invalid */
		nenv_write_cd(_metadata, e, bad, &e->cd);
		*smmu_cdtab_l1cd(&e->cdt, bad) &= ~1ULL;
		ASSERT_EQ(0, nenv_bind(e, 0));
		ASSERT_EQ(0, nenv_allow(e));
		e->dma_pasid = v[i].ssid[0];
		nenv_write_ok(_metadata, e, 0, NVA(1), nenv_page(0), 64, 9);
		e->dma_pasid = v[i].ssid[1];
		nenv_write_ok(_metadata, e, 0, NVA(1), nenv_page(0), 64, 10);
		e->dma_pasid = bad;
		nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_BAD_SUBSTREAM, -1);
		ASSERT_EQ(0, nenv_disallow(e));
		ASSERT_EQ(0, nested_unbind(e->t.fd, e->nested));
	}
}

/* ------------------------------------------------------------------------
 * The CD (§5.4): C_BAD_CD for every ILLEGAL configuration
 */

struct cd_case {
	const char *what;
	struct smmu_cd_cfg cd;
	bool bad;
};

/*
 * Binds the standard STE; CD i+2 is case i (CD 1 is e->cd, which
 * nenv_start() writes); each either translates or is C_BAD_CD.
 */
static void smmu_cd_cases(struct __test_metadata *_metadata, struct nenv *e,
			  const struct cd_case *c, size_t n, uint64_t va)
{
	size_t i;

	ASSERT_GE(14, n);
	nenv_map(_metadata, e, va, nenv_page(0));
	for (i = 0; i < n; i++)
		nenv_write_cd(_metadata, e, i + 2, &c[i].cd);
	nenv_start(_metadata, e);
	for (i = 0; i < n; i++) {
		e->dma_pasid = i + 2;
		if (!c[i].bad) {
			nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, i);
			continue;
		}
		TH_LOG("CD case: %s", c[i].what);
		nenv_fault_s1(_metadata, e, 0, va, IOASID_FAULT_REASON_BAD_CONTEXT, -1);
	}
}

/* V, AA64 (AArch64 tables only, assumed), ENDI (little-endian only, assumed), ASID width */
TEST_F(smmu, cd_illegal)
{
	struct nenv *e = &self->e;
	struct cd_case c[8];
	size_t n = 0;

	c[n] = (struct cd_case){ "good", e->cd, false };
	n++;
	c[n] = (struct cd_case){ "V = 0", e->cd, true };
	c[n++].cd.v = false;
	c[n] = (struct cd_case){ "AA64 = 0", e->cd, true };
	c[n++].cd.aa64 = false;
	c[n] = (struct cd_case){ "ENDI = 1", e->cd, true };
	c[n++].cd.endi = true;
	c[n] = (struct cd_case){ "ASID[15:8] without ASID16", e->cd,
				 !smmu_has(e, IOASID_NESTED_SMMU_ASID16) };
	c[n++].cd.asid = 0x1234;
	c[n] = (struct cd_case){ "HA without the CAP", e->cd,
				 !smmu_has(e, IOASID_NESTED_SMMU_HA) };
	c[n++].cd.ha = true;
	c[n] = (struct cd_case){ "HD without the CAP", e->cd,
				 !smmu_has(e, IOASID_NESTED_SMMU_HD) ||
				 !smmu_has(e, IOASID_NESTED_SMMU_HA) };
	c[n].cd.ha = true;
	c[n++].cd.hd = true;
	/* IPS beyond the OAS behaves as the OAS: not ILLEGAL */
	c[n] = (struct cd_case){ "IPS 52 bits", e->cd, false };
	c[n++].cd.ips = 6;
	smmu_cd_cases(_metadata, e, c, n, NVA(1));
}

/* T0SZ range per granule: 16 .. 39 (no IDR3.STT, no 52-bit VA: assumed) */
TEST_F(smmu, cd_t0sz)
{
	struct nenv *e = &self->e;
	const unsigned int t0sz[] = { 15, 16, 39, 40 };
	struct arm_s1 t[12];
	size_t g, i, n = 0;

	for (g = 0; g < ARRAY_SIZE(granules); g++) {
		if (!smmu_has_granule(e, granules[g]))
			continue;
		for (i = 0; i < ARRAY_SIZE(t0sz); i++, n++) {
			struct smmu_cd_cfg cd;
			unsigned int sz = t0sz[i] < 16 || t0sz[i] > 39 ? 16 : t0sz[i];

			/* the table for a legal size; the CD says t0sz[i] */
			smmu_cd_table(_metadata, e, n + 2, &t[n], granules[g], sz,
				      10 + n, &cd);
			ASSERT_NE(NULL, arm_s1_map(&t[n], 0x100000, nenv_page(16),
						   3, ARM_LEAF_STD));
			cd.t0sz = t0sz[i];
			nenv_write_cd(_metadata, e, n + 2, &cd);
		}
	}
	ASSERT_LT(0, n);
	nenv_start(_metadata, e);
	n = 0;
	for (g = 0; g < ARRAY_SIZE(granules); g++) {
		if (!smmu_has_granule(e, granules[g]))
			continue;
		for (i = 0; i < ARRAY_SIZE(t0sz); i++, n++) {
			e->dma_pasid = n + 2;
			if (t0sz[i] >= 16 && t0sz[i] <= 39) {
				nenv_write_ok(_metadata, e, 0, 0x100000, nenv_page(16),
					      64, n);
				continue;
			}
			TH_LOG("granule %#x, T0SZ %u", granules[g], t0sz[i]);
			nenv_fault_s1(_metadata, e, 0, 0x100000,
				      IOASID_FAULT_REASON_BAD_CONTEXT, -1);
		}
	}
}

/*
 * An input address beyond the TTB0 region (VA >= 2^(64 - T0SZ), TTB1
 * disabled): "outside the table's range", NON_CANONICAL (the SMMU's event
 * for it is F_TRANSLATION).
 */
TEST_F(smmu, cd_input_range)
{
	struct nenv *e = &self->e;
	struct smmu_cd_cfg cd;
	struct arm_s1 t;

	smmu_cd_table(_metadata, e, 2, &t, 0x1000, 39, 7, &cd);
	ASSERT_NE(NULL, arm_s1_map(&t, 0x1000, nenv_page(1), 3, ARM_LEAF_STD));
	nenv_map(_metadata, e, 1ULL << 25, nenv_page(2));
	nenv_start(_metadata, e);
	e->dma_pasid = 2;
	nenv_write_ok(_metadata, e, 0, 0x1000, nenv_page(1), 64, 1);
	nenv_fault_s1(_metadata, e, 0, 1ULL << 25, IOASID_FAULT_REASON_NON_CANONICAL, -1);
	nenv_fault_s1(_metadata, e, 0, 1ULL << 47, IOASID_FAULT_REASON_NON_CANONICAL, -1);
	/* T0SZ 16: bit 48 and up are outside too */
	e->dma_pasid = NENV_SSID;
	nenv_write_ok(_metadata, e, 0, 1ULL << 25, nenv_page(2), 64, 2);
	nenv_fault_s1(_metadata, e, 0, 1ULL << 48, IOASID_FAULT_REASON_NON_CANONICAL, -1);
	/* the TTB1 half, walks disabled by EPD1: a translation fault */
	nenv_fault_s1(_metadata, e, 0, 0xffff000000000000ULL,
		      IOASID_FAULT_REASON_UNMAPPED, -1);
}

/* TG0: reserved 11 and granules the CAP lacks are C_BAD_CD; EPD0 ignores TG0 */
TEST_F(smmu, cd_tg0)
{
	struct nenv *e = &self->e;
	struct cd_case c[5];
	size_t g, n = 0;

	c[n] = (struct cd_case){ "TG0 11", e->cd, true };
	c[n++].cd.tg0 = 3;
	for (g = 0; g < ARRAY_SIZE(granules); g++) {
		if (smmu_has_granule(e, granules[g]))
			continue;
		c[n] = (struct cd_case){ "unsupported granule", e->cd, true };
		c[n++].cd.tg0 = smmu_tg0_of(granules[g]);
	}
	smmu_cd_cases(_metadata, e, c, n, NVA(1));
	/* EPD0: no walk through TTB0, a translation fault; TG0 IGNORED */
	e->cd.epd0 = true;
	e->cd.tg0 = 3;
	nenv_write_cd(_metadata, e, NENV_SSID, &e->cd);
	SMMU_CMDS(_metadata, e, smmu_cmd_cfgi_cd_all(NENV_SID),
		  smmu_cmd_tlbi_nh_all(NENV_VMID));
	e->dma_pasid = NENV_SSID;
	nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_UNMAPPED, -1);
}

/*
 * IPS: stage-1 outputs (leaf and table addresses) above it are stage-1
 * Address Size faults; a TTB0 above it is ILLEGAL.
 */
TEST_F(smmu, cd_ips)
{
	struct nenv *e = &self->e;
	const uint64_t hi = 0x100000000ULL;	/* 4 GiB: beyond a 32-bit IPS */
	struct smmu_cd_cfg cd2, cd3, cd4;
	struct ioasid_test_dma d = {};
	struct arm_s1 t2, t3, t4;
	static char buf[64];
	struct gmem g2;
	uint64_t *pt;

	ASSERT_LE(36, e->cap.smmu_ias);
	ASSERT_LE(36, e->cap.smmu_oas);
	ASSERT_EQ(0, gmem_init(&g2, hi, 4 * NPT_4K, 4 * NPT_4K));
	/* IPS 32: a leaf output at 4G */
	smmu_cd_table(_metadata, e, 2, &t2, 0x1000, 25, 20, &cd2);
	ASSERT_NE(NULL, arm_s1_map(&t2, NVA(1) & GENMASK64(38, 0), hi, 3, ARM_LEAF_STD));
	cd2.ips = 0;
	nenv_write_cd(_metadata, e, 2, &cd2);
	/* IPS 36: the same output is fine */
	smmu_cd_table(_metadata, e, 3, &t3, 0x1000, 25, 21, &cd3);
	ASSERT_NE(NULL, arm_s1_map(&t3, NVA(1) & GENMASK64(38, 0), hi, 3, ARM_LEAF_STD));
	cd3.ips = 1;
	nenv_write_cd(_metadata, e, 3, &cd3);
	/* IPS 32: a table descriptor pointing at 4G (the table lives in g2) */
	smmu_cd_table(_metadata, e, 4, &t4, 0x1000, 25, 22, &cd4);
	pt = arm_s1_entry_ptr(&t4, 0x200000, 2, true);
	ASSERT_NE(NULL, pt);
	*pt = arm_table_desc(hi + NPT_4K, 0);
	((uint64_t *)gmem_ptr(&g2, hi + NPT_4K))[0] = smmu_leaf(3, nenv_page(1), 0);
	cd4.ips = 0;
	nenv_write_cd(_metadata, e, 4, &cd4);
	/* IPS 32, TTB0 at 4G: ILLEGAL */
	cd4.ttb0 = hi + 2 * NPT_4K;
	nenv_write_cd(_metadata, e, 5, &cd4);
	nenv_start(_metadata, e);
	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &g2, NULL, 0));

	e->dma_pasid = 2;
	nenv_fault_s1(_metadata, e, 0, NVA(1) & GENMASK64(38, 0),
		      IOASID_FAULT_REASON_ADDR_SIZE, 3);
	e->dma_pasid = 3;
	sw_fill(buf, sizeof(buf), 3);
	ASSERT_EQ(0, nenv_dma(e, IOASID_TEST_DMA_WRITE, NVA(1) & GENMASK64(38, 0),
			      buf, sizeof(buf), &d));
	EXPECT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	EXPECT_TRUE(sw_check(gmem_ptr(&g2, hi), 64, 3));
	/* the table address is checked: the level of the descriptor is not checked */
	e->dma_pasid = 4;
	nenv_fault_s1(_metadata, e, 0, 0x200000, IOASID_FAULT_REASON_ADDR_SIZE, -1);
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(1)));
	e->dma_pasid = 5;
	nenv_fault_s1(_metadata, e, 0, 0x200000, IOASID_FAULT_REASON_BAD_CONTEXT, -1);
	gmem_free(&g2);
}

/* ------------------------------------------------------------------------
 * Descriptors (Arm ARM D8.3)
 */

/* AF = 0 with HA = 0 and AFFD = 0: an Access flag fault; AFFD = 1 treats AF as 1 */
TEST_F(smmu, access_flag)
{
	struct nenv *e = &self->e;
	struct smmu_cd_cfg cd2 = e->cd;
	uint64_t *leaf, *block;

	leaf = nenv_map(_metadata, e, NVA(1), nenv_page(0));
	*leaf &= ~ARM_AF;
	block = arm_s1_map(&e->s1, NVA(2), NENV_FIXED, 2, ARM_LEAF_STD & ~ARM_AF);
	ASSERT_NE(NULL, block);
	cd2.affd = true;
	cd2.asid = NENV_ASID + 1;
	nenv_write_cd(_metadata, e, 2, &cd2);
	nenv_start(_metadata, e);
	nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_ACCESS_FLAG, 3);
	nenv_fault_s1(_metadata, e, IOASID_TEST_DMA_WRITE, NVA(2) + (nenv_page(1) - NENV_FIXED),
		      IOASID_FAULT_REASON_ACCESS_FLAG, 2);
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(1)));
	e->dma_pasid = 2;
	nenv_write_ok(_metadata, e, 0, NVA(1), nenv_page(0), 64, 1);
	nenv_write_ok(_metadata, e, 0, NVA(2) + (nenv_page(1) - NENV_FIXED), nenv_page(1),
		      64, 2);
	/* AFFD does not write the descriptor */
	EXPECT_FALSE(*leaf & ARM_AF);
	EXPECT_FALSE(*block & ARM_AF);
}

/* HA (with the CAP): the walk sets AF in the guest's descriptor */
TEST_F(smmu, hardware_access_flag)
{
	struct nenv *e = &self->e;
	uint64_t *leaf = nenv_map(_metadata, e, NVA(1), nenv_page(0));

	*leaf &= ~ARM_AF;
	e->cd.ha = true;
	if (!smmu_has(e, IOASID_NESTED_SMMU_HA)) {
		nenv_start(_metadata, e);
		nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_BAD_CONTEXT, -1);
		return;
	}
	nenv_start(_metadata, e);
	nenv_read_ok(_metadata, e, 0, NVA(1), nenv_page(0), 64, 3);
	EXPECT_TRUE(*leaf & ARM_AF);
}

/*
 * HD (with the CAP): a write through a writable-clean page (DBM = 1,
 * AP[2] = 1) makes it dirty (AP[2] cleared); without DBM it is a
 * Permission fault.
 */
TEST_F(smmu, hardware_dirty)
{
	struct nenv *e = &self->e;
	uint64_t *clean, *ro;

	clean = nenv_map(_metadata, e, NVA(1), nenv_page(0));
	*clean = smmu_leaf(3, nenv_page(0), ARM_DBM) | ARM_AP(ARM_AP_RO);
	ro = nenv_map(_metadata, e, NVA(1) + NPT_4K, nenv_page(1));
	*ro |= ARM_AP(ARM_AP_RO);
	e->cd.ha = true;
	e->cd.hd = true;
	if (!smmu_has(e, IOASID_NESTED_SMMU_HD) || !smmu_has(e, IOASID_NESTED_SMMU_HA)) {
		nenv_start(_metadata, e);
		nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_BAD_CONTEXT, -1);
		return;
	}
	nenv_start(_metadata, e);
	nenv_read_ok(_metadata, e, 0, NVA(1), nenv_page(0), 64, 4);
	EXPECT_TRUE(*clean & ARM_AP(2));
	nenv_write_ok(_metadata, e, 0, NVA(1), nenv_page(0), 64, 5);
	EXPECT_FALSE(*clean & ARM_AP(2));
	nenv_fault_s1(_metadata, e, IOASID_TEST_DMA_WRITE, NVA(1) + NPT_4K,
		      IOASID_FAULT_REASON_PERMISSION, 3);
}

/* Is an access allowed by AP[2:1], APTable and PAN (D8.4)? */
static bool arm_allowed(int ap, int aptable, bool priv, bool write, bool pan)
{
	bool el0 = (ap & 1) && !(aptable & ARM_APTABLE_NO_EL0);
	bool ro = (ap & 2) || (aptable & ARM_APTABLE_NO_WRITE);

	if (!priv)
		return el0 && (!write || !ro);
	/* PAN: no privileged data access where EL0 may access */
	if (pan && el0)
		return false;
	return !write || !ro;
}

/*
 * AP[2:1] x privileged/unprivileged x read/write, with PAN 0 and 1 (two CDs
 * over one table), and APTable in a level-2 table descriptor.  Privileged
 * requests are IOASID_TEST_DMA_PRIV (STE.PRIVCFG "use incoming", assumed).
 */
TEST_F(smmu, access_permissions)
{
	struct nenv *e = &self->e;
	struct smmu_cd_cfg pan = e->cd;
	int cases = 0, ap, apt, k, p;

	/* VA NVA(1 + 4 * apt + ap): leaf AP, APTable in its own L2 table */
	for (apt = 0; apt < 4; apt++)
		for (ap = 0; ap < 4; ap++) {
			uint64_t va = NVA(1 + 4 * apt + ap);
			uint64_t *tbl;

			*nenv_map(_metadata, e, va, nenv_page(cases)) =
				arm_leaf_desc(3, nenv_page(cases),
					      (ARM_LEAF_STD & ~ARM_AP(3)) | ARM_AP(ap));
			tbl = arm_s1_entry_ptr(&e->s1, va, 2, false);
			ASSERT_NE(NULL, tbl);
			*tbl |= ARM_APTABLE(apt);
			cases++;
		}
	pan.pan = true;
	pan.asid = NENV_ASID + 1;
	nenv_write_cd(_metadata, e, 2, &pan);
	nenv_start(_metadata, e);
	for (p = 0; p < 2; p++) {
		e->dma_pasid = p ? 2 : NENV_SSID;
		for (apt = 0; apt < 4; apt++)
			for (ap = 0; ap < 4; ap++) {
				uint64_t va = NVA(1 + 4 * apt + ap);
				uint64_t gpa = nenv_page(4 * apt + ap);

				/* PAN with APTable: which EL0 rights count is not tested */
				if (p && apt)
					continue;
				for (k = 0; k < 4; k++) {
					bool priv = k & 1, write = k & 2;
					uint32_t fl = (priv ? IOASID_TEST_DMA_PRIV : 0) |
						      (write ? IOASID_TEST_DMA_WRITE : 0);

					memset(nenv_hva(e, gpa), 0, 64);
					if (arm_allowed(ap, apt, priv, write, p)) {
						if (write)
							nenv_write_ok(_metadata, e, fl, va,
								      gpa, 64, k);
						else
							nenv_read_ok(_metadata, e, fl, va,
								     gpa, 64, k);
						continue;
					}
					nenv_fault_s1(_metadata, e, fl, va,
						      IOASID_FAULT_REASON_PERMISSION,
						      apt ? -1 : 3);
					EXPECT_EQ(0, *(char *)nenv_hva(e, gpa)) {
						TH_LOG("AP %d APTable %d PAN %d %s %s wrote",
						       ap, apt, p, priv ? "priv" : "user",
						       write ? "write" : "read");
					}
				}
			}
	}
}

/* An L3 descriptor with bits 1:0 = 01 is invalid: a translation fault */
TEST_F(smmu, l3_type_01)
{
	struct nenv *e = &self->e;

	*nenv_map(_metadata, e, NVA(1), nenv_page(0)) &= ~ARM_DESC_TABLE;
	nenv_start(_metadata, e);
	nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_UNMAPPED, 3);
}

struct block_case {
	unsigned int granule;
	int level;
	bool ok;
};

/*
 * The VA of block case @i: aligned to any block, in a top-level entry of
 * its own for every granule (16K's level 0 has two entries: VA[47])
 */
/* Bytes a block at @c->level maps (a level-@c->level entry's span) */
static uint64_t block_size(const struct block_case *c)
{
	unsigned int shift = __builtin_ctz(c->granule), stride = shift - 3;

	return 1ULL << (shift + stride * (3 - c->level));
}

/* Output of the block that holds nenv_page(20): aligned to the block */
static uint64_t block_oa(const struct block_case *c)
{
	uint64_t off = nenv_page(20) - NENV_GPA;

	return NENV_GPA + (off & ~(block_size(c) - 1));
}

static uint64_t block_va(const struct block_case *c, size_t i)
{
	if (c->granule == 0x4000 && c->level == 0)
		return 1ULL << 47;
	return (uint64_t)(i + 2) << 42;
}

/*
 * Blocks per granule (no FEAT_LPA / LPA2): 4K L1 1G and L2 2M; 16K L2 32M;
 * 64K L2 512M.  A block where the granule forbids one (4K L0; 16K L0, L1;
 * 64K L1) is a translation fault at that level.  Pages of each granule.
 */
TEST_F(smmu, granules_and_blocks)
{
	static const struct block_case bc[] = {
		{ 0x1000, 1, true }, { 0x1000, 2, true }, { 0x1000, 0, false },
		{ 0x4000, 2, true }, { 0x4000, 1, false }, { 0x4000, 0, false },
		{ 0x10000, 2, true }, { 0x10000, 1, false },
	};
	struct nenv *e = &self->e;
	struct arm_s1 t[3];
	struct smmu_cd_cfg cd;
	size_t g, i;

	for (g = 0; g < ARRAY_SIZE(granules); g++) {
		if (!smmu_has_granule(e, granules[g]))
			continue;
		smmu_cd_table(_metadata, e, 2 + g, &t[g], granules[g], 16, 30 + g, &cd);
		/* a page */
		ASSERT_NE(NULL, arm_s1_map(&t[g], NVA(1), nenv_page(16), 3, ARM_LEAF_STD));
		for (i = 0; i < ARRAY_SIZE(bc); i++) {
			uint64_t *d;

			if (bc[i].granule != granules[g])
				continue;
			if (bc[i].level < t[g].start)
				continue;
			d = arm_s1_entry_ptr(&t[g], block_va(&bc[i], i), bc[i].level, true);
			ASSERT_NE(NULL, d);
			*d = arm_leaf_desc(bc[i].level, block_oa(&bc[i]),
					   ARM_LEAF_STD);
		}
	}
	nenv_start(_metadata, e);
	for (g = 0; g < ARRAY_SIZE(granules); g++) {
		if (!smmu_has_granule(e, granules[g]))
			continue;
		e->dma_pasid = 2 + g;
		/* 16K and 64K: across two 4K pieces of one page */
		nenv_write_ok(_metadata, e, 0, NVA(1) + 0x800, nenv_page(16) + 0x800,
			      granules[g] == 0x1000 ? 0x800 : SW_PAGE + 8, g);
		nenv_read_ok(_metadata, e, 0, NVA(1), nenv_page(16), SW_PAGE, g + 1);
		for (i = 0; i < ARRAY_SIZE(bc); i++) {
			uint64_t va;

			if (bc[i].granule != granules[g] || bc[i].level < t[g].start)
				continue;
			/* the block is aligned: keep @va's offset inside it */
			va = block_va(&bc[i], i) +
			     ((nenv_page(20) - NENV_GPA) & (block_size(&bc[i]) - 1));
			TH_LOG("granule %#x, block at level %d", granules[g], bc[i].level);
			if (bc[i].ok)
				nenv_write_ok(_metadata, e, 0, va, nenv_page(20), 64, i);
			else
				nenv_fault_s1(_metadata, e, 0, va,
					      IOASID_FAULT_REASON_UNMAPPED, bc[i].level);
		}
	}
}

/* ------------------------------------------------------------------------
 * TLB invalidation (§4.4)
 */

/* TLBI_NH_ASID drops only that ASID's entries */
TEST_F(smmu, tlbi_asid)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	struct smmu_cd_cfg cd2;
	struct arm_s1 t2;
	uint64_t *l1, *l2;

	l1 = nenv_map(_metadata, e, va, nenv_page(0));
	smmu_cd_table(_metadata, e, 2, &t2, 0x1000, 16, 2, &cd2);
	l2 = arm_s1_map(&t2, va, nenv_page(1), 3, ARM_LEAF_STD);
	ASSERT_NE(NULL, l2);
	nenv_start(_metadata, e);
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1), nenv_page(2), nenv_page(3));
	e->dma_pasid = 2;
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1), nenv_page(2), nenv_page(3));
	*l1 = smmu_leaf(3, nenv_page(2), 0);
	*l2 = smmu_leaf(3, nenv_page(3), 0);
	SMMU_CMDS(_metadata, e, smmu_cmd_tlbi_nh_asid(NENV_VMID, NENV_ASID));
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1), nenv_page(2), nenv_page(3));
	e->dma_pasid = NENV_SSID;
	EXPECT_READS_FROM(e, va, 2, nenv_page(0), nenv_page(1), nenv_page(2), nenv_page(3));
	SMMU_CMDS(_metadata, e, smmu_cmd_tlbi_nh_asid(NENV_VMID, 2));
	e->dma_pasid = 2;
	EXPECT_READS_FROM(e, va, 3, nenv_page(0), nenv_page(1), nenv_page(2), nenv_page(3));
}

/*
 * Global (nG = 0) entries: TLBI_NH_ASID leaves them, TLBI_NH_VA of any ASID
 * and TLBI_NH_VAA drop them; non-global ones are dropped by NH_ASID and by
 * NH_VA only for their ASID, by NH_VAA for all.  TLBI_NH_ALL drops
 * everything.
 */
TEST_F(smmu, tlbi_global_entries)
{
	struct nenv *e = &self->e;
	const uint64_t g1 = NVA(1), g2 = NVA(1) + NPT_4K, g3 = NVA(1) + 2 * NPT_4K;
	const uint64_t n1 = NVA(2), n2 = NVA(2) + NPT_4K;
	const uint64_t new = nenv_page(9);
	uint64_t *lg1, *lg2, *lg3, *ln1, *ln2;

	lg1 = nenv_map(_metadata, e, g1, nenv_page(1));
	lg2 = nenv_map(_metadata, e, g2, nenv_page(2));
	lg3 = nenv_map(_metadata, e, g3, nenv_page(3));
	*lg1 &= ~ARM_NG;
	*lg2 &= ~ARM_NG;
	*lg3 &= ~ARM_NG;
	ln1 = nenv_map(_metadata, e, n1, nenv_page(4));
	ln2 = nenv_map(_metadata, e, n2, nenv_page(5));
	nenv_start(_metadata, e);
	EXPECT_READS_FROM(e, g1, 0, nenv_page(1), new);
	EXPECT_READS_FROM(e, g2, 0, nenv_page(2), new);
	EXPECT_READS_FROM(e, g3, 0, nenv_page(3), new);
	EXPECT_READS_FROM(e, n1, 0, nenv_page(4), new);
	EXPECT_READS_FROM(e, n2, 0, nenv_page(5), new);
	*lg1 = smmu_leaf(3, new, 0) & ~ARM_NG;
	*lg2 = smmu_leaf(3, new, 0) & ~ARM_NG;
	*lg3 = smmu_leaf(3, new, 0) & ~ARM_NG;
	*ln1 = smmu_leaf(3, new, 0);
	*ln2 = smmu_leaf(3, new, 0);

	SMMU_CMDS(_metadata, e, smmu_cmd_tlbi_nh_asid(NENV_VMID, NENV_ASID));
	EXPECT_READS_FROM(e, g1, 0, nenv_page(1), new);
	EXPECT_READS_FROM(e, n1, 1, nenv_page(4), new);
	EXPECT_READS_FROM(e, n2, 1, nenv_page(5), new);
	*ln1 = smmu_leaf(3, nenv_page(4), 0);
	SMMU_CMDS(_metadata, e, smmu_cmd_tlbi_nh_asid(NENV_VMID, NENV_ASID));
	EXPECT_READS_FROM(e, n1, 0, nenv_page(4), new);
	*ln1 = smmu_leaf(3, new, 0);

	/* NH_VA with another ASID: the global entry goes, the ASID's stays */
	SMMU_CMDS(_metadata, e,
		  smmu_cmd_tlbi_nh_va(NENV_VMID, NENV_ASID + 7, g1, false, NULL),
		  smmu_cmd_tlbi_nh_va(NENV_VMID, NENV_ASID + 7, n1, false, NULL));
	EXPECT_READS_FROM(e, g1, 1, nenv_page(1), new);
	EXPECT_READS_FROM(e, n1, 0, nenv_page(4), new);
	/* NH_VAA: both kinds */
	SMMU_CMDS(_metadata, e, smmu_cmd_tlbi_nh_vaa(NENV_VMID, g2, false, NULL),
		  smmu_cmd_tlbi_nh_vaa(NENV_VMID, n1, true, NULL));
	EXPECT_READS_FROM(e, g2, 1, nenv_page(2), new);
	EXPECT_READS_FROM(e, n1, 1, nenv_page(4), new);
	EXPECT_READS_FROM(e, g3, 0, nenv_page(3), new);
	/* NH_ALL: everything, global entries included */
	SMMU_CMDS(_metadata, e, smmu_cmd_tlbi_nh_all(NENV_VMID));
	EXPECT_READS_FROM(e, g3, 1, nenv_page(3), new);
}

/* Leaf = 1 invalidates a changed leaf */
TEST_F(smmu, tlbi_leaf)
{
	struct nenv *e = &self->e;
	uint64_t *leaf = nenv_map(_metadata, e, NVA(1), nenv_page(0));

	nenv_start(_metadata, e);
	EXPECT_READS_FROM(e, NVA(1), 0, nenv_page(0), nenv_page(1));
	*leaf = smmu_leaf(3, nenv_page(1), 0);
	SMMU_CMDS(_metadata, e, smmu_cmd_tlbi_nh_va(NENV_VMID, NENV_ASID, NVA(1), true, NULL));
	EXPECT_READS_FROM(e, NVA(1), 1, nenv_page(0), nenv_page(1));
}

/*
 * Range invalidation (with IOASID_NESTED_SMMU_RIL): (NUM + 1) * 2^SCALE
 * granules from the address, nothing outside; TTL as a level hint.
 */
TEST_F(smmu, tlbi_range)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	const uint64_t new = nenv_page(9);
	uint64_t *leaf[8];
	int i;

	for (i = 0; i < 8; i++)
		leaf[i] = nenv_map(_metadata, e, va + i * NPT_4K, nenv_page(i));
	nenv_start(_metadata, e);
	for (i = 0; i < 8; i++) {
		EXPECT_READS_FROM(e, va + i * NPT_4K, 0, nenv_page(i), new);
	}
	for (i = 0; i < 8; i++)
		*leaf[i] = smmu_leaf(3, new, 0);
	if (!smmu_has(e, IOASID_NESTED_SMMU_RIL)) {
		struct smmu_tlbi_range r = { .tg = SMMU_TLBI_TG_4K, .num = 1 };
		uint32_t done, err;
		struct ninv b;

		ninv_init(&b, e);
		ninv_smmu(&b, smmu_cmd_tlbi_nh_va(NENV_VMID, NENV_ASID, va, false, &r));
		EXPECT_EQ(-EINVAL, ninv_run(e, &b, &done, &err));
		EXPECT_EQ(0, done);
		EXPECT_EQ(IOASID_INV_ERROR_MALFORMED, err);
		EXPECT_READS_FROM(e, va, 0, nenv_page(0), new);
		return;
	}
	/* pages 1-2: NUM 1, SCALE 0 */
	SMMU_CMDS(_metadata, e, smmu_cmd_tlbi_nh_va(NENV_VMID, NENV_ASID, va + NPT_4K, false,
		  &(struct smmu_tlbi_range){ .tg = SMMU_TLBI_TG_4K, .num = 1 }));
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), new);
	EXPECT_READS_FROM(e, va + NPT_4K, 1, nenv_page(1), new);
	EXPECT_READS_FROM(e, va + 2 * NPT_4K, 1, nenv_page(2), new);
	EXPECT_READS_FROM(e, va + 3 * NPT_4K, 0, nenv_page(3), new);
	/* pages 4-7: NUM 0, SCALE 2, leaves at level 3; by VAA */
	SMMU_CMDS(_metadata, e, smmu_cmd_tlbi_nh_vaa(NENV_VMID, va + 4 * NPT_4K, true,
		  &(struct smmu_tlbi_range){ .tg = SMMU_TLBI_TG_4K, .ttl = 3, .scale = 2 }));
	for (i = 4; i < 8; i++) {
		EXPECT_READS_FROM(e, va + i * NPT_4K, 1, nenv_page(i), new);
	}
	EXPECT_READS_FROM(e, va + 3 * NPT_4K, 0, nenv_page(3), new);
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), new);
	/* pages 0 and 3: NUM 3 from page 0 */
	SMMU_CMDS(_metadata, e, smmu_cmd_tlbi_nh_va(NENV_VMID, NENV_ASID, va, false,
		  &(struct smmu_tlbi_range){ .tg = SMMU_TLBI_TG_4K, .num = 3 }));
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), new);
	EXPECT_READS_FROM(e, va + 3 * NPT_4K, 1, nenv_page(3), new);
}

/* ------------------------------------------------------------------------
 * CD caching (§4.3)
 */

/*
 * A CD rewritten (new ASID and table) is not seen until CMD_CFGI_CD for
 * its SSID; other SSIDs keep their cached CD until CMD_CFGI_CD_ALL.
 */
TEST_F(smmu, cd_rewrite_needs_cfgi)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	struct smmu_cd_cfg cd2, cd3, cd4;
	struct arm_s1 t2, t3, t4;

	nenv_map(_metadata, e, va, nenv_page(0));
	smmu_cd_table(_metadata, e, 2, &t2, 0x1000, 16, 2, &cd2);
	ASSERT_NE(NULL, arm_s1_map(&t2, va, nenv_page(1), 3, ARM_LEAF_STD));
	/* the replacements: ASIDs 3 and 4, their own tables */
	ASSERT_EQ(0, arm_s1_init(&t3, &e->g, 0x1000, 16));
	ASSERT_NE(NULL, arm_s1_map(&t3, va, nenv_page(2), 3, ARM_LEAF_STD));
	ASSERT_EQ(0, arm_s1_init(&t4, &e->g, 0x1000, 16));
	ASSERT_NE(NULL, arm_s1_map(&t4, va, nenv_page(3), 3, ARM_LEAF_STD));
	nenv_smmu_std_cd(e, &cd3, t3.root, 3);
	nenv_smmu_std_cd(e, &cd4, t4.root, 4);
	nenv_start(_metadata, e);

	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1), nenv_page(2), nenv_page(3));
	e->dma_pasid = 2;
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1), nenv_page(2), nenv_page(3));
	EXPECT_EQ(2, nenv_ioas(_metadata, e).ctx_entries);
	nenv_write_cd(_metadata, e, NENV_SSID, &cd3);
	nenv_write_cd(_metadata, e, 2, &cd4);
	/* a TLBI does not reload CDs */
	SMMU_CMDS(_metadata, e, smmu_cmd_tlbi_nh_all(NENV_VMID));
	e->dma_pasid = NENV_SSID;
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1), nenv_page(2), nenv_page(3));
	SMMU_CMDS(_metadata, e, smmu_cmd_cfgi_cd(NENV_SID, NENV_SSID, true));
	EXPECT_EQ(1, nenv_ioas(_metadata, e).ctx_entries);
	EXPECT_READS_FROM(e, va, 2, nenv_page(0), nenv_page(1), nenv_page(2), nenv_page(3));
	e->dma_pasid = 2;
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1), nenv_page(2), nenv_page(3));
	SMMU_CMDS(_metadata, e, smmu_cmd_cfgi_cd_all(NENV_SID));
	EXPECT_EQ(0, nenv_ioas(_metadata, e).ctx_entries);
	EXPECT_READS_FROM(e, va, 3, nenv_page(0), nenv_page(1), nenv_page(2), nenv_page(3));
	e->dma_pasid = NENV_SSID;
	EXPECT_READS_FROM(e, va, 2, nenv_page(0), nenv_page(1), nenv_page(2), nenv_page(3));
	/* a CD made invalid: C_BAD_CD once invalidated */
	e->cd.v = false;
	nenv_write_cd(_metadata, e, NENV_SSID, &e->cd);
	SMMU_CMDS(_metadata, e, smmu_cmd_cfgi_cd(NENV_SID, NENV_SSID, false));
	nenv_fault_s1(_metadata, e, 0, va, IOASID_FAULT_REASON_BAD_CONTEXT, -1);
}

/* One CD (S1CDMax 0): CFGI_CD with SubstreamID 0 reloads it */
TEST_F(smmu, cd_single_cfgi_ssid0)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	struct smmu_cd_cfg cd2;
	struct arm_s1 t2;

	ASSERT_EQ(0, smmu_cdtab_init(&e->cdt, &e->g, SMMU_S1FMT_LINEAR, 0));
	e->ste.s1ctxptr = e->cdt.base;
	e->ste.s1cdmax = 0;
	nenv_map(_metadata, e, va, nenv_page(0));
	ASSERT_EQ(0, arm_s1_init(&t2, &e->g, 0x1000, 16));
	ASSERT_NE(NULL, arm_s1_map(&t2, va, nenv_page(1), 3, ARM_LEAF_STD));
	nenv_smmu_std_cd(e, &cd2, t2.root, 2);
	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	nenv_write_cd(_metadata, e, 0, &e->cd);
	ASSERT_EQ(0, nenv_bind(e, 0));
	ASSERT_EQ(0, nenv_allow(e));
	e->dma_pasid = -1;
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));
	nenv_write_cd(_metadata, e, 0, &cd2);
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));
	SMMU_CMDS(_metadata, e, smmu_cmd_cfgi_cd(NENV_SID, 0, true));
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1));
}

/* An L1CD rewritten (with CD2L) is reloaded by CFGI_CD with Leaf = 0 */
TEST_F(smmu, l1cd_rewrite_needs_cfgi)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	const uint32_t ssid = 70;
	struct smmu_cd_cfg cd2;
	struct arm_s1 t2;
	uint64_t l2, *l1cd;

	if (!smmu_has(e, IOASID_NESTED_SMMU_CD2L)) {
		ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
		e->ste.s1fmt = SMMU_S1FMT_4K_L2;
		e->ste.s1cdmax = 8;
		EXPECT_EQ(-EINVAL, nenv_try_bind(e));
		return;
	}
	ASSERT_EQ(0, smmu_cdtab_init(&e->cdt, &e->g, SMMU_S1FMT_4K_L2, 8));
	e->ste.s1fmt = SMMU_S1FMT_4K_L2;
	e->ste.s1cdmax = 8;
	e->ste.s1ctxptr = e->cdt.base;
	nenv_map(_metadata, e, va, nenv_page(0));
	ASSERT_EQ(0, arm_s1_init(&t2, &e->g, 0x1000, 16));
	ASSERT_NE(NULL, arm_s1_map(&t2, va, nenv_page(1), 3, ARM_LEAF_STD));
	nenv_smmu_std_cd(e, &cd2, t2.root, 2);
	nenv_write_cd(_metadata, e, ssid, &e->cd);
	/* another L2 table, whose CD 70 % 64 is cd2 */
	l2 = gmem_alloc_page(&e->g);
	ASSERT_NE(GMEM_NONE, l2);
	smmu_cd_encode((uint64_t *)nenv_hva(e, l2) + 8 * (ssid % 64), &cd2);
	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	ASSERT_EQ(0, nenv_bind(e, 0));
	ASSERT_EQ(0, nenv_allow(e));
	e->dma_pasid = ssid;
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));
	l1cd = smmu_cdtab_l1cd(&e->cdt, ssid);
	*l1cd = smmu_l1cd(l2, true);
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));
	SMMU_CMDS(_metadata, e, smmu_cmd_cfgi_cd(NENV_SID, ssid, false));
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1));
}

/* The CD and L1CD reads go through stage 2: TABLE_WALK faults at their GPA */
TEST_F(smmu, s2_cd_unmapped)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	struct gmem_override ov;
	struct nfault w = {
		.reason = IOASID_FAULT_REASON_UNMAPPED, .stage = 2, .level = -1,
		.addr = va, .walk = true,
	};

	/* the CD table in a page of its own, not mapped in the parent */
	e->g.next = (e->g.next + NPT_4K - 1) & ~(NPT_4K - 1);
	ASSERT_EQ(0, smmu_cdtab_init(&e->cdt, &e->g, SMMU_S1FMT_LINEAR, 4));
	e->g.next += NPT_4K;
	e->ste.s1ctxptr = e->cdt.base;
	nenv_map(_metadata, e, va, nenv_page(0));
	ov.gpa = e->cdt.base;
	ov.rights = 0;
	w.s2addr = smmu_cdtab_cd_gpa(&e->cdt, NENV_SSID);
	nenv_start_ov(_metadata, e, &ov, 1);
	nenv_fault(_metadata, e, 0, va, &w);
	/* mapped read-only, it is enough: CDs are only read */
	ASSERT_EQ(0, sw_map(e->t.fd, e->parent, nenv_hva(e, ov.gpa), NPT_4K, ov.gpa,
			    IOASID_MAP_READ));
	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 1);
}

/* An L1CD page the parent does not map (with CD2L): TABLE_WALK at the L1CD */
TEST_F(smmu, s2_l1cd_unmapped)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	const uint32_t ssid = 1100;
	struct gmem_override ov;
	struct nfault w = {
		.reason = IOASID_FAULT_REASON_UNMAPPED, .stage = 2, .level = -1,
		.addr = va, .walk = true,
	};

	e->ste.s1fmt = SMMU_S1FMT_64K_L2;
	e->ste.s1cdmax = 12;
	if (!smmu_has(e, IOASID_NESTED_SMMU_CD2L)) {
		ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
		EXPECT_EQ(-EINVAL, nenv_try_bind(e));
		return;
	}
	ASSERT_LE(12, e->cap.smmu_ssid_bits);
	/* the L1 table (4 L1CDs) in a page of its own */
	e->g.next = (e->g.next + NPT_4K - 1) & ~(NPT_4K - 1);
	ASSERT_EQ(0, smmu_cdtab_init(&e->cdt, &e->g, SMMU_S1FMT_64K_L2, 12));
	e->g.next += NPT_4K;
	e->ste.s1ctxptr = e->cdt.base;
	nenv_map(_metadata, e, va, nenv_page(0));
	nenv_write_cd(_metadata, e, ssid, &e->cd);
	ov.gpa = e->cdt.base;
	ov.rights = 0;
	w.s2addr = gmem_gpa(&e->g, smmu_cdtab_l1cd(&e->cdt, ssid));
	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, &ov, 1));
	ASSERT_EQ(0, nenv_bind(e, 0));
	ASSERT_EQ(0, nenv_allow(e));
	e->dma_pasid = ssid;
	nenv_fault(_metadata, e, 0, va, &w);
	ASSERT_EQ(0, sw_map(e->t.fd, e->parent, nenv_hva(e, ov.gpa), NPT_4K, ov.gpa,
			    IOASID_MAP_READ));
	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 1);
}

/* SSIDs are isolated: each its CD, its table, its own faults */
TEST_F(smmu, ssid_isolation)
{
	struct nenv *e = &self->e;
	struct smmu_cd_cfg cd2;
	struct arm_s1 t2;

	nenv_map(_metadata, e, NVA(1), nenv_page(0));
	nenv_map(_metadata, e, NVA(2), nenv_page(2));
	smmu_cd_table(_metadata, e, 2, &t2, 0x1000, 16, 2, &cd2);
	ASSERT_NE(NULL, arm_s1_map(&t2, NVA(1), nenv_page(1), 3, ARM_LEAF_STD));
	nenv_start(_metadata, e);
	nenv_write_ok(_metadata, e, 0, NVA(1), nenv_page(0), 64, 1);
	e->dma_pasid = 2;
	nenv_write_ok(_metadata, e, 0, NVA(1), nenv_page(1), 64, 2);
	EXPECT_TRUE(sw_check(nenv_hva(e, nenv_page(0)), 64, 1));
	/* mapped for SSID 1 only: SSID 2's fault carries SSID 2 */
	nenv_fault_s1(_metadata, e, IOASID_TEST_DMA_WRITE, NVA(2),
		      IOASID_FAULT_REASON_UNMAPPED, 0);
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(2)));
	e->dma_pasid = NENV_SSID;
	nenv_read_ok(_metadata, e, 0, NVA(2), nenv_page(2), 64, 3);
	/* an SSID without a valid CD */
	e->dma_pasid = 3;
	nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_BAD_CONTEXT, -1);
}

/* ATC invalidations and syncs are accepted (software devices have no ATC) */
TEST_F(smmu, atc_and_sync_accepted)
{
	struct nenv *e = &self->e;

	nenv_start(_metadata, e);
	SMMU_CMDS(_metadata, e,
		  smmu_cmd_atc_inv(NENV_SID, true, NENV_SSID, false, 0, 52),
		  smmu_cmd_atc_inv(NENV_SID, false, 0, false, NVA(1), 0),
		  smmu_cmd_atc_inv(NENV_SID, false, 0, true, 0, 52),
		  smmu_cmd_sync(0), smmu_cmd_sync(2));
}

/*
 * REPLACE of the STE while attached: a bad one changes nothing; a new CD
 * table is used once the guest has invalidated CDs and TLBs (CFGI_CD_ALL,
 * TLBI_NH_ALL: the guest's CFGI_STE is the VMM's REPLACE); an abort STE
 * stops the DMA with no event.
 */
TEST_F(smmu, replace_ste)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	struct smmu_cdtab c2;
	struct smmu_cd_cfg cd2;
	struct arm_s1 t2;

	nenv_map(_metadata, e, va, nenv_page(0));
	ASSERT_EQ(0, smmu_cdtab_init(&c2, &e->g, SMMU_S1FMT_LINEAR, 2));
	ASSERT_EQ(0, arm_s1_init(&t2, &e->g, 0x1000, 16));
	ASSERT_NE(NULL, arm_s1_map(&t2, va, nenv_page(1), 3, ARM_LEAF_STD));
	nenv_smmu_std_cd(e, &cd2, t2.root, 2);
	smmu_cd_encode(smmu_cdtab_cd(&c2, NENV_SSID), &cd2);
	nenv_start(_metadata, e);
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));

	e->ste.s1ctxptr = c2.base;
	e->ste.s1cdmax = 2;
	e->ste.config = SMMU_CONFIG_S2;
	EXPECT_EQ(-EINVAL, nenv_bind(e, IOASID_NESTED_BIND_REPLACE));
	e->ste.config = SMMU_CONFIG_S1;
	e->ste.s1cdmax = e->cap.smmu_ssid_bits + 1;
	EXPECT_EQ(-EINVAL, nenv_bind(e, IOASID_NESTED_BIND_REPLACE));
	e->ste.s1cdmax = 2;
	SMMU_CMDS(_metadata, e, smmu_cmd_cfgi_cd_all(NENV_SID),
		  smmu_cmd_tlbi_nh_all(NENV_VMID));
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));

	ASSERT_EQ(0, nenv_bind(e, IOASID_NESTED_BIND_REPLACE));
	SMMU_CMDS(_metadata, e, smmu_cmd_cfgi_cd_all(NENV_SID),
		  smmu_cmd_tlbi_nh_all(NENV_VMID));
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1));
	/* S1CDMax is 2 now */
	e->dma_pasid = 4;
	nenv_fault_s1(_metadata, e, 0, va, IOASID_FAULT_REASON_BAD_SUBSTREAM, -1);
	e->dma_pasid = NENV_SSID;

	e->ste.config = SMMU_CONFIG_ABORT;
	ASSERT_EQ(0, nenv_bind(e, IOASID_NESTED_BIND_REPLACE));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, nenv_dma_status(e, 0, va));
	nenv_expect_no_record(_metadata, e);
	EXPECT_EQ(-EBUSY, nested_unbind(e->t.fd, e->nested));
	ASSERT_EQ(0, nenv_disallow(e));
	EXPECT_EQ(0, nested_unbind(e->t.fd, e->nested));
}

TEST_HARNESS_MAIN
