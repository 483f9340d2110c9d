// SPDX-License-Identifier: GPL-2.0
/*
 * Nested translation in the VT-d first-stage format
 * (IOASID_NESTED_FMT_VTD_FS), on software devices.
 *
 * The test is the guest: it builds a scalable-mode PASID entry and
 * first-stage tables in guest memory that the parent IOASID maps at
 * IOVA = GPA, binds the entry, DMAs at guest-virtual addresses and finds
 * the bytes in guest-physical pages.  The rules are VT-d 5.10's (§3.6,
 * §9.6, §9.7, §6.5.2, summarised in hw-formats.md §A).  Where the header
 * says nothing, a one-line comment gives the behaviour assumed (the spec's).
 *
 * Fixture and checks common with the SMMUv3 format: nested_env.h.
 */
#include "kselftest_harness.h"
#include "nested_env.h"

FIXTURE(vtd) {
	struct nenv e;
};

FIXTURE_SETUP(vtd)
{
	nenv_setup(_metadata, &self->e, IOASID_NESTED_FMT_VTD_FS);
}

FIXTURE_TEARDOWN(vtd)
{
	nenv_teardown(_metadata, &self->e);
}

/* The reserved bit of paging entries: the lowest one above the CAP's HAW */
static int vtd_rsvd_bit(const struct nenv *e)
{
	return e->cap.vtd_haw < 52 ? e->cap.vtd_haw : -1;
}

/* Runs one descriptor, which must be accepted */
static void vtd_inv1(struct __test_metadata *_metadata, struct nenv *e,
		     struct vtd_inv d)
{
	struct ninv b;

	ninv_init(&b, e);
	ninv_vtd(&b, d);
	ninv_ok(_metadata, e, &b);
}

/* Binds @pe (an entry of raw words) and returns the errno */
static int vtd_try(struct nenv *e, const uint64_t *pe)
{
	return nenv_try_bind_raw(e, pe);
}

/* ------------------------------------------------------------------------
 * The common tests
 */

TEST_F(vtd, write_read)		{ nt_write_read(_metadata, &self->e); }
TEST_F(vtd, scatter)		{ nt_scatter(_metadata, &self->e); }
TEST_F(vtd, unmapped)		{ nt_unmapped(_metadata, &self->e); }
TEST_F(vtd, rewrite_needs_inv)	{ nt_rewrite_needs_inv(_metadata, &self->e); }
TEST_F(vtd, page_inv_exact)	{ nt_page_inv_exact(_metadata, &self->e); }
TEST_F(vtd, iotlb_counters)	{ nt_iotlb_counters(_metadata, &self->e); }
TEST_F(vtd, info)		{ nt_info(_metadata, &self->e); }
TEST_F(vtd, s2_table_unmapped)	{ nt_s2_table_unmapped(_metadata, &self->e); }
TEST_F(vtd, s2_data_unmapped)	{ nt_s2_data_unmapped(_metadata, &self->e); }
TEST_F(vtd, s2_data_readonly)	{ nt_s2_data_readonly(_metadata, &self->e); }
TEST_F(vtd, s2_unmap_cached_data) { nt_s2_unmap_cached_data(_metadata, &self->e); }
TEST_F(vtd, s2_unmap_cached_table) { nt_s2_unmap_cached_table(_metadata, &self->e); }
TEST_F(vtd, parent_busy)	{ nt_parent_busy(_metadata, &self->e); }
TEST_F(vtd, destroy_halts)	{ nt_destroy_halts(_metadata, &self->e); }
TEST_F(vtd, unbind_busy)	{ nt_unbind_busy(_metadata, &self->e); }
TEST_F(vtd, close_attached)	{ nt_close_attached(_metadata, &self->e); }
TEST_F(vtd, recoverable)	{ nt_recoverable(_metadata, &self->e); }
TEST_F(vtd, bind_badinput)	{ nt_bind_badinput(_metadata, &self->e); }
TEST_F(vtd, bind_modes)		{ nt_bind_modes(_metadata, &self->e); }

TEST_F(vtd, inv_args)
{
	static const uint32_t bad_len[] = { 0, 8, 16, 31, 33, 64 };

	nt_inv_args(_metadata, &self->e, bad_len, ARRAY_SIZE(bad_len));
}

TEST_F(vtd, inv_max)
{
	struct vtd_inv wait = vtd_inv_wait(false, false, false, false, 0, 0);

	nt_inv_max(_metadata, &self->e, &wait);
}

#define VTD_BAD(_what, _d, _err)	{ _what, { (_d).qw[0], (_d).qw[1], (_d).qw[2], (_d).qw[3] }, _err }

/* Forbidden and malformed descriptors stop the queue where they are. */
TEST_F(vtd, inv_stops_at_bad_entry)
{
	struct nenv *e = &self->e;
	struct vtd_inv pg = vtd_inv_piotlb_page(NENV_DID, e->nested, NVA(30), 0, false);
	struct vtd_inv t;
	struct nbad bad[16];
	size_t n = 0;

	/* a guest may not touch the host's context, IOTLB or interrupt caches */
	bad[n++] = (struct nbad)VTD_BAD("context-cache", vtd_inv_cc_global(),
					IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)VTD_BAD("IOTLB global", vtd_inv_iotlb_global(),
					IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)VTD_BAD("IOTLB domain", vtd_inv_iotlb_domain(NENV_DID),
					IOASID_INV_ERROR_ILLEGAL);
	bad[n++] = (struct nbad)VTD_BAD("IEC", vtd_inv_iec_global(),
					IOASID_INV_ERROR_ILLEGAL);
	t = pg;
	t.qw[0] = (t.qw[0] & ~0xfULL) | 0xf;
	bad[n++] = (struct nbad)VTD_BAD("type 0xf", t, IOASID_INV_ERROR_ILLEGAL);
	t = pg;
	t.qw[0] |= BIT64(9);		/* Type[6:4] = 1: type 0x16 */
	bad[n++] = (struct nbad)VTD_BAD("type 0x16", t, IOASID_INV_ERROR_ILLEGAL);
	/* reserved encodings and fields */
	t = pg;
	t.qw[0] &= ~GENMASK64(5, 4);
	bad[n++] = (struct nbad)VTD_BAD("P_IOTLB G=00", t, IOASID_INV_ERROR_MALFORMED);
	t.qw[0] |= fld(GENMASK64(5, 4), 1);
	bad[n++] = (struct nbad)VTD_BAD("P_IOTLB G=01", t, IOASID_INV_ERROR_MALFORMED);
	t = pg;
	t.qw[0] |= BIT64(63);
	bad[n++] = (struct nbad)VTD_BAD("P_IOTLB qw0[63]", t, IOASID_INV_ERROR_MALFORMED);
	t = pg;
	t.qw[0] |= BIT64(12);
	bad[n++] = (struct nbad)VTD_BAD("P_IOTLB qw0[12]", t, IOASID_INV_ERROR_MALFORMED);
	t = pg;
	t.qw[1] |= BIT64(7);
	bad[n++] = (struct nbad)VTD_BAD("P_IOTLB qw1[7]", t, IOASID_INV_ERROR_MALFORMED);
	t = pg;
	t.qw[2] = 1;
	bad[n++] = (struct nbad)VTD_BAD("P_IOTLB qw2", t, IOASID_INV_ERROR_MALFORMED);
	t = pg;
	t.qw[3] = BIT64(63);
	bad[n++] = (struct nbad)VTD_BAD("P_IOTLB qw3", t, IOASID_INV_ERROR_MALFORMED);
	bad[n++] = (struct nbad)VTD_BAD("PASID-cache G=10",
					vtd_inv_pc(2, NENV_DID, e->nested),
					IOASID_INV_ERROR_MALFORMED);
	if (e->cap.vtd_mamv < 63)
		bad[n++] = (struct nbad)VTD_BAD("P_IOTLB AM > MAMV",
			vtd_inv_piotlb_page(NENV_DID, e->nested, 0,
					    e->cap.vtd_mamv + 1, false),
			IOASID_INV_ERROR_MALFORMED);
	nt_inv_stops_at(_metadata, e, bad, n);
}

/* ------------------------------------------------------------------------
 * The PASID entry: what a bind accepts
 */

TEST_F(vtd, bind_good_entry)
{
	struct nenv *e = &self->e;
	uint64_t pe[8];

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	vtd_pe_encode(pe, &e->pe);
	EXPECT_EQ(0, vtd_try(e, pe));
	/* PWSNP / PGSNP are the guest's to choose; any DID */
	e->pe.pwsnp = false;
	e->pe.pgsnp = true;
	e->pe.did = 0xffff;
	vtd_pe_encode(pe, &e->pe);
	EXPECT_EQ(0, vtd_try(e, pe));
	/* a root at the top of the guest-physical space the CAP allows */
	ASSERT_GE(63, e->cap.vtd_haw);
	e->pe.fsptptr = (1ULL << e->cap.vtd_haw) - NPT_4K;
	vtd_pe_encode(pe, &e->pe);
	EXPECT_EQ(0, vtd_try(e, pe));
}

/* PGTT: only 001 (first stage) is a guest's; 000 and 101-111 are reserved. */
TEST_F(vtd, bind_pgtt)
{
	struct nenv *e = &self->e;
	uint64_t pe[8];
	int pgtt;

	bool pt = e->cap.vtd_flags & IOASID_NESTED_VTD_PT;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	for (pgtt = 0; pgtt < 8; pgtt++) {
		int rc;

		e->pe.pgtt = pgtt;
		vtd_pe_encode(pe, &e->pe);
		rc = vtd_try(e, pe);
		/*
		 * 010/011 need a guest second stage, which is not offered;
		 * 100 (pass-through) only where IOASID_NESTED_VTD_PT says so
		 */
		EXPECT_EQ(pgtt == VTD_PGTT_FS || (pgtt == VTD_PGTT_PT && pt) ?
			  0 : -EINVAL, rc) {
			TH_LOG("PGTT %d: %s", pgtt, strerror(-rc));
		}
	}
}

/* FSPM: 00 4-level; 01 5-level only with IOASID_NESTED_VTD_5LVL; 1x reserved */
TEST_F(vtd, bind_fspm)
{
	struct nenv *e = &self->e;
	bool five = e->cap.vtd_flags & IOASID_NESTED_VTD_5LVL;
	uint64_t pe[8];
	int fspm;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	for (fspm = 0; fspm < 4; fspm++) {
		int want = fspm == 0 || (fspm == 1 && five) ? 0 : -EINVAL;

		e->pe.fspm = fspm;
		vtd_pe_encode(pe, &e->pe);
		EXPECT_EQ(want, vtd_try(e, pe)) {
			TH_LOG("FSPM %d (5-level %s)", fspm, five ? "advertised" : "not advertised");
		}
	}
}

/* Reserved bits of the 512-bit entry, and the features MTS would enable */
TEST_F(vtd, bind_reserved_bits)
{
	struct nenv *e = &self->e;
	unsigned int bits[] = {
		VTD_PE_SLEE, VTD_PE_RSVD_10, 11, VTD_PE_RSVD_80, 86, VTD_PE_RSVD_91,
		95, VTD_PE_RSVD_129, VTD_PE_RSVD_136, 139, 192, 255, 256, 257, 300,
		384, 511,
		/* CD and PAT need ECAP.MTS, which the CAP does not advertise */
		VTD_PE_CD, VTD_PE_PAT, 127,
	};
	uint64_t pe[8];
	size_t i;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		vtd_pe_encode(pe, &e->pe);
		words_set(pe, bits[i]);
		EXPECT_EQ(-EINVAL, vtd_try(e, pe)) {
			TH_LOG("bit %u accepted", bits[i]);
		}
	}
	/* FSPTPTR above the CAP's HAW: bits HAW+128 .. 191 */
	ASSERT_GE(64, e->cap.vtd_haw);
	if (e->cap.vtd_haw < 64) {
		vtd_pe_encode(pe, &e->pe);
		words_set(pe, 128 + e->cap.vtd_haw);
		EXPECT_EQ(-EINVAL, vtd_try(e, pe));
		vtd_pe_encode(pe, &e->pe);
		words_set(pe, 191);
		EXPECT_EQ(-EINVAL, vtd_try(e, pe));
	}
}

/*
 * Fields 5.10 ignores: bits 134:133 (3.x NXE, SMEP), and the second-stage
 * fields of a PGTT 001 entry (AW, SSADE, SSPTPTR).
 */
TEST_F(vtd, bind_ignored_bits)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	uint64_t pe[8];

	nenv_map(_metadata, e, va, nenv_page(0));
	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	vtd_pe_encode(pe, &e->pe);
	words_set(pe, VTD_PE_IGN_133);
	words_set(pe, 134);
	EXPECT_EQ(0, vtd_try(e, pe));
	e->pe.aw = 2;
	e->pe.ssade = true;
	e->pe.ssptptr = 0x1234000;
	vtd_pe_encode(pe, &e->pe);
	/* ... and the entry translates with them set */
	ASSERT_EQ(0, nenv_bind_raw(e, e->nested, pe, 0));
	ASSERT_EQ(0, nenv_allow(e));
	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 1);
}

/* SRE needs IOASID_NESTED_VTD_SRS, EAFE needs _EAFS; WPE means nothing without SRE */
TEST_F(vtd, bind_features)
{
	struct nenv *e = &self->e;
	bool srs = e->cap.vtd_flags & IOASID_NESTED_VTD_SRS;
	bool eafs = e->cap.vtd_flags & IOASID_NESTED_VTD_EAFS;
	uint64_t pe[8];

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	e->pe.sre = true;
	vtd_pe_encode(pe, &e->pe);
	EXPECT_EQ(srs ? 0 : -EINVAL, vtd_try(e, pe));
	e->pe.wpe = true;
	vtd_pe_encode(pe, &e->pe);
	EXPECT_EQ(srs ? 0 : -EINVAL, vtd_try(e, pe));
	e->pe.sre = false;
	vtd_pe_encode(pe, &e->pe);
	/* WPE alone is "only meaningful with SRE": accepted (assumed) */
	EXPECT_EQ(0, vtd_try(e, pe));
	e->pe.wpe = false;
	e->pe.eafe = true;
	vtd_pe_encode(pe, &e->pe);
	EXPECT_EQ(eafs ? 0 : -EINVAL, vtd_try(e, pe));
}

/*
 * A non-present entry binds (assumed: the hardware faults at DMA time, so
 * the bind mirrors it); its DMA faults BAD_CONTEXT.
 */
TEST_F(vtd, entry_not_present)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);

	nenv_map(_metadata, e, va, nenv_page(0));
	e->pe.p = false;
	nenv_start(_metadata, e);
	/* the entry, not a table level, faulted: level not checked */
	nenv_fault_s1(_metadata, e, IOASID_TEST_DMA_WRITE, va,
		      IOASID_FAULT_REASON_BAD_CONTEXT, -1);
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(0)));
}

/* FPD: the DMA still faults, but no fault record is made (VT-d §9.6) */
TEST_F(vtd, fault_processing_disable)
{
	struct nenv *e = &self->e;

	e->pe.fpd = true;
	nenv_start(_metadata, e);
	nenv_dma_faults(_metadata, e, 0, NVA(2), IOASID_FAULT_REASON_UNMAPPED);
	nenv_expect_no_record(_metadata, e);
	/* replaced without FPD (and the PASID cache invalidated): recorded again */
	e->pe.fpd = false;
	ASSERT_EQ(0, nenv_bind(e, IOASID_NESTED_BIND_REPLACE));
	vtd_inv1(_metadata, e, vtd_inv_pc(VTD_PC_G_PASID, NENV_DID, e->nested));
	nenv_fault_s1(_metadata, e, 0, NVA(2), IOASID_FAULT_REASON_UNMAPPED, 4);
}

/* ------------------------------------------------------------------------
 * Paging entries: reserved bits, PS, leaf sizes, canonical addresses
 */

/* A reserved address bit (>= HAW) at each level faults RESERVED at that level */
TEST_F(vtd, reserved_bit_each_level)
{
	struct nenv *e = &self->e;
	int bit = vtd_rsvd_bit(e), level;

	ASSERT_LE(0, bit) {
		TH_LOG("HAW %u leaves no reserved address bit", e->cap.vtd_haw);
	}
	for (level = 4; level >= 1; level--)
		nenv_map(_metadata, e, NVA(level), nenv_page(level));
	for (level = 4; level >= 1; level--)
		*vtd_fs_entry_ptr(&e->fs, NVA(level), level, false) |= BIT64(bit);
	/* and bit 51, reserved whatever the HAW */
	nenv_map(_metadata, e, NVA(5), nenv_page(5));
	*vtd_fs_entry_ptr(&e->fs, NVA(5), 2, false) |= BIT64(51);
	nenv_start(_metadata, e);
	for (level = 4; level >= 1; level--) {
		nenv_fault_s1(_metadata, e, 0, NVA(level), IOASID_FAULT_REASON_RESERVED,
			      level);
		EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(level)));
	}
	nenv_fault_s1(_metadata, e, IOASID_TEST_DMA_WRITE, NVA(5),
		      IOASID_FAULT_REASON_RESERVED, 2);
	/* bits 63:52 are ignored (5.10: no XD) */
	nenv_map(_metadata, e, NVA(6), nenv_page(6));
	*vtd_fs_entry_ptr(&e->fs, NVA(6), 1, false) |= GENMASK64(63, 52);
	*vtd_fs_entry_ptr(&e->fs, NVA(6), 3, false) |= BIT64(63);
	nenv_write_ok(_metadata, e, 0, NVA(6), nenv_page(6), 64, 2);
}

/* PS in a PML4E is reserved */
TEST_F(vtd, pml4e_ps)
{
	struct nenv *e = &self->e;

	nenv_map(_metadata, e, NVA(1), nenv_page(0));
	*vtd_fs_entry_ptr(&e->fs, NVA(1), 4, false) |= VTD_FS_PS;
	nenv_start(_metadata, e);
	nenv_fault_s1(_metadata, e, 0, NVA(1), IOASID_FAULT_REASON_RESERVED, 4);
}

/* 2M leaves: bits 20:13 reserved, bit 12 is PAT */
TEST_F(vtd, leaf_2m)
{
	struct nenv *e = &self->e;
	const uint64_t off = nenv_page(3) - NENV_FIXED;
	const unsigned int pokes[] = { 13, 16, 20 };
	uint64_t va;
	size_t i;

	/* NENV_FIXED is 2M aligned: a 2M leaf over the second half */
	vtd_fs_map(&e->fs, NVA(1), NENV_FIXED, 2, VTD_FS_RW | VTD_FS_US);
	vtd_fs_map(&e->fs, NVA(1) + NPT_2M, NENV_FIXED, 2,
		   VTD_FS_RW | VTD_FS_US | VTD_FS_PAT_LEAF);
	for (i = 0; i < ARRAY_SIZE(pokes); i++) {
		va = NVA(2) + i * NPT_2M;
		*vtd_fs_map(&e->fs, va, NENV_FIXED, 2, VTD_FS_RW | VTD_FS_US) |=
			BIT64(pokes[i]);
	}
	nenv_start(_metadata, e);
	nenv_write_ok(_metadata, e, 0, NVA(1) + off, nenv_page(3), 128, 3);
	nenv_read_ok(_metadata, e, 0, NVA(1) + off + 0x100, nenv_page(3) + 0x100, 64, 4);
	nenv_write_ok(_metadata, e, 0, NVA(1) + NPT_2M + off, nenv_page(3), 64, 5);
	for (i = 0; i < ARRAY_SIZE(pokes); i++)
		nenv_fault_s1(_metadata, e, 0, NVA(2) + i * NPT_2M + off,
			      IOASID_FAULT_REASON_RESERVED, 2);
}

/* 1G leaves with IOASID_NESTED_VTD_1G (bits 29:13 reserved); else PS in a PDPE is */
TEST_F(vtd, leaf_1g)
{
	struct nenv *e = &self->e;
	const uint64_t off = nenv_page(4) - NENV_GPA;
	bool gb = e->cap.vtd_flags & IOASID_NESTED_VTD_1G;
	const unsigned int pokes[] = { 13, 21, 29 };
	size_t i;

	/* NENV_GPA is 1G aligned: a 1G leaf over the whole guest memory */
	vtd_fs_map(&e->fs, NVA(1), NENV_GPA, 3, VTD_FS_RW | VTD_FS_US);
	vtd_fs_map(&e->fs, NVA(1) + NPT_1G, NENV_GPA, 3,
		   VTD_FS_RW | VTD_FS_US | VTD_FS_PAT_LEAF);
	for (i = 0; i < ARRAY_SIZE(pokes); i++)
		*vtd_fs_map(&e->fs, NVA(2) + i * NPT_1G, NENV_GPA, 3,
			    VTD_FS_RW | VTD_FS_US) |= BIT64(pokes[i]);
	nenv_start(_metadata, e);
	if (!gb) {
		nenv_fault_s1(_metadata, e, 0, NVA(1) + off,
			      IOASID_FAULT_REASON_RESERVED, 3);
		return;
	}
	nenv_write_ok(_metadata, e, 0, NVA(1) + off, nenv_page(4), 256, 6);
	nenv_read_ok(_metadata, e, 0, NVA(1) + off, nenv_page(4), 64, 7);
	nenv_write_ok(_metadata, e, 0, NVA(1) + NPT_1G + off, nenv_page(4), 64, 8);
	for (i = 0; i < ARRAY_SIZE(pokes); i++)
		nenv_fault_s1(_metadata, e, 0, NVA(2) + i * NPT_1G + off,
			      IOASID_FAULT_REASON_RESERVED, 3);
}

/* 4-level: input bits 63:48 must equal bit 47 */
TEST_F(vtd, non_canonical_4level)
{
	struct nenv *e = &self->e;
	const uint64_t bad[] = {
		0x0000800000000000ULL, 0x8000000000000000ULL, 0x0001000000001000ULL,
		0x7fff800000000000ULL,
	};
	size_t i;

	/* what they would index if the upper bits were dropped: mapped */
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		nenv_map(_metadata, e, bad[i] & GENMASK64(47, 0), nenv_page(i));
	nenv_start(_metadata, e);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		/* no entry faulted: level not checked */
		nenv_fault_s1(_metadata, e, IOASID_TEST_DMA_WRITE, bad[i],
			      IOASID_FAULT_REASON_NON_CANONICAL, -1);
		EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(i)));
	}
}

/*
 * 5-level paging with IOASID_NESTED_VTD_5LVL: 57-bit addresses translate,
 * bits 63:57 must equal bit 56, PS in a PML5E is reserved.  Without it the
 * entry is refused.
 */
TEST_F(vtd, five_level)
{
	struct nenv *e = &self->e;
	const uint64_t va = 0x0001000000002000ULL;	/* beyond 4-level's reach */
	const uint64_t va2 = 0x00fe000000000000ULL;
	const uint64_t bad = 0x0100000000000000ULL;	/* bit 56 alone */

	ASSERT_EQ(0, vtd_fs_init(&e->fs, &e->g, 5));
	e->pe.fspm = VTD_FSPM_5LVL;
	e->pe.fsptptr = e->fs.root;
	if (!(e->cap.vtd_flags & IOASID_NESTED_VTD_5LVL)) {
		ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
		EXPECT_EQ(-EINVAL, nenv_try_bind(e));
		return;
	}
	nenv_map(_metadata, e, va, nenv_page(0));
	nenv_map(_metadata, e, bad & GENMASK64(56, 0), nenv_page(1));
	nenv_map(_metadata, e, 0x0000800000000000ULL, nenv_page(2));
	nenv_map(_metadata, e, va2, nenv_page(3));
	*vtd_fs_entry_ptr(&e->fs, va2, 5, false) |= VTD_FS_PS;
	nenv_start(_metadata, e);
	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 9);
	/* canonical in 5-level, not in 4-level */
	nenv_write_ok(_metadata, e, 0, 0x0000800000000000ULL, nenv_page(2), 64, 10);
	nenv_fault_s1(_metadata, e, 0, bad, IOASID_FAULT_REASON_NON_CANONICAL, -1);
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(1)));
	nenv_fault_s1(_metadata, e, 0, va2, IOASID_FAULT_REASON_RESERVED, 5);
	/* nothing at all under PML5[0x0f] */
	nenv_fault_s1(_metadata, e, 0, 0x000f000000000000ULL,
		      IOASID_FAULT_REASON_UNMAPPED, 5);
}

/* 4K, 2M and (with the CAP) 1G leaves side by side, written and read back */
TEST_F(vtd, leaf_sizes)
{
	struct nenv *e = &self->e;
	bool gb = e->cap.vtd_flags & IOASID_NESTED_VTD_1G;

	nenv_map(_metadata, e, NVA(1), nenv_page(1));
	vtd_fs_map(&e->fs, NVA(2), NENV_FIXED, 2, VTD_FS_RW | VTD_FS_US);
	if (gb)
		vtd_fs_map(&e->fs, NVA(3), NENV_GPA, 3, VTD_FS_RW | VTD_FS_US);
	nenv_start(_metadata, e);
	nenv_write_ok(_metadata, e, 0, NVA(1) + 8, nenv_page(1) + 8, 512, 11);
	nenv_write_ok(_metadata, e, 0, NVA(2) + (nenv_page(2) - NENV_FIXED),
		      nenv_page(2), SW_PAGE, 12);
	/* a 2M leaf: one DMA across two 4K pieces of it */
	nenv_write_ok(_metadata, e, 0, NVA(2) + (nenv_page(5) - NENV_FIXED) + 100,
		      nenv_page(5) + 100, 2 * SW_PAGE, 13);
	if (gb) {
		nenv_write_ok(_metadata, e, 0, NVA(3) + (nenv_page(8) - NENV_GPA),
			      nenv_page(8), SW_PAGE, 14);
		nenv_read_ok(_metadata, e, 0, NVA(3) + (nenv_page(2) - NENV_GPA),
			     nenv_page(2), SW_PAGE, 15);
	}
	nenv_read_ok(_metadata, e, 0, NVA(2) + (nenv_page(8) - NENV_FIXED),
		     nenv_page(8), 64, 16);
}

/* ------------------------------------------------------------------------
 * Access rights (VT-d 5.10 §3.6.1)
 */

/* Is a request allowed, by the rules of §3.6.1? */
static bool vtd_allowed(bool priv, bool write, bool us_all, bool rw_all,
			bool sre, bool wpe)
{
	if (priv) {
		/* supervisor: SRE; reads anywhere; writes unless WPE and R/W=0 */
		if (!sre)
			return false;
		return !write || !wpe || rw_all;
	}
	return us_all && (!write || rw_all);
}

struct vtd_rights_case {
	uint64_t leaf;		/* the leaf's R/W, U/S */
	int table_level;	/* a non-leaf entry restricted, 0: none */
	uint64_t table_clear;	/* the bits cleared in it */
};

static const struct vtd_rights_case vtd_rights_cases[] = {
	{ VTD_FS_RW | VTD_FS_US },
	{ VTD_FS_US },
	{ VTD_FS_RW },
	{ 0 },
	{ VTD_FS_RW | VTD_FS_US, 2, VTD_FS_RW },
	{ VTD_FS_RW | VTD_FS_US, 4, VTD_FS_US },
	{ VTD_FS_RW | VTD_FS_US, 3, VTD_FS_RW | VTD_FS_US },
};

/*
 * User/supervisor x read/write, for each R/W and U/S in the leaf or in a
 * non-leaf entry, with SRE/WPE as the CAP allows: every request is allowed
 * or refused as §3.6.1 says, and a refused one is a PERMISSION fault that
 * moved nothing.
 */
TEST_F(vtd, access_rights)
{
	struct nenv *e = &self->e;
	bool srs = e->cap.vtd_flags & IOASID_NESTED_VTD_SRS;
	const struct { bool sre, wpe; } modes[] = {
		{ false, false }, { true, false }, { true, true },
	};
	uint64_t pe[8];
	size_t m, c;
	int k;

	for (c = 0; c < ARRAY_SIZE(vtd_rights_cases); c++) {
		const struct vtd_rights_case *rc = &vtd_rights_cases[c];

		vtd_fs_map(&e->fs, NVA(1 + c), nenv_page(c), 1, rc->leaf);
		if (rc->table_level)
			*vtd_fs_entry_ptr(&e->fs, NVA(1 + c), rc->table_level,
					  false) &= ~rc->table_clear;
	}
	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		if (modes[m].sre && !srs)
			continue;
		e->pe.sre = modes[m].sre;
		e->pe.wpe = modes[m].wpe;
		vtd_pe_encode(pe, &e->pe);
		ASSERT_EQ(0, nenv_bind_raw(e, e->nested, pe, 0));
		ASSERT_EQ(0, nenv_allow(e));
		/* what a guest does after changing the entry: a fresh start */
		vtd_inv1(_metadata, e, vtd_inv_pc(VTD_PC_G_PASID, NENV_DID, e->nested));
		vtd_inv1(_metadata, e, vtd_inv_piotlb_pasid(NENV_DID, e->nested));
		for (c = 0; c < ARRAY_SIZE(vtd_rights_cases); c++) {
			const struct vtd_rights_case *rc = &vtd_rights_cases[c];
			bool us = (rc->leaf & VTD_FS_US) &&
				  !(rc->table_clear & VTD_FS_US);
			bool rw = (rc->leaf & VTD_FS_RW) &&
				  !(rc->table_clear & VTD_FS_RW);
			const uint64_t va = NVA(1 + c);

			for (k = 0; k < 4; k++) {
				bool priv = k & 1, write = k & 2;
				uint32_t fl = (priv ? IOASID_TEST_DMA_PRIV : 0) |
					      (write ? IOASID_TEST_DMA_WRITE : 0);

				memset(nenv_hva(e, nenv_page(c)), 0, 64);
				if (vtd_allowed(priv, write, us, rw, modes[m].sre,
						modes[m].wpe)) {
					if (write)
						nenv_write_ok(_metadata, e, fl, va,
							      nenv_page(c), 64, k);
					else
						nenv_read_ok(_metadata, e, fl, va,
							     nenv_page(c), 64, k);
					continue;
				}
				/*
				 * a refused supervisor request (SRE 0) and a
				 * non-leaf restriction have no leaf level to
				 * report: level checked for leaf-only cases
				 */
				nenv_fault_s1(_metadata, e, fl, va,
					      IOASID_FAULT_REASON_PERMISSION,
					      rc->table_level || (priv && !modes[m].sre) ?
					      -1 : 1);
				EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(c))) {
					TH_LOG("case %zu, SRE %d WPE %d, %s %s wrote",
					       c, modes[m].sre, modes[m].wpe,
					       priv ? "supervisor" : "user",
					       write ? "write" : "read");
				}
			}
		}
		ASSERT_EQ(0, nenv_disallow(e));
		ASSERT_EQ(0, nested_unbind(e->t.fd, e->nested));
	}
}

/* ------------------------------------------------------------------------
 * Accessed, dirty and extended-accessed bits
 */

static bool vtd_bits(struct nenv *e, uint64_t va, int level, uint64_t bits)
{
	uint64_t *p = vtd_fs_entry_ptr(&e->fs, va, level, false);

	return p && (*p & bits) == bits;
}

/* A set in every entry of the walk, D in the leaf on a write (even after a read) */
TEST_F(vtd, accessed_dirty)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1), va2m = NVA(2) + (nenv_page(1) - NENV_FIXED);
	int l;

	nenv_map(_metadata, e, va, nenv_page(0));
	vtd_fs_map(&e->fs, NVA(2), NENV_FIXED, 2, VTD_FS_RW | VTD_FS_US);
	nenv_start(_metadata, e);
	for (l = 4; l >= 1; l--) {
		EXPECT_FALSE(vtd_bits(e, va, l, VTD_FS_A));
	}
	nenv_read_ok(_metadata, e, 0, va, nenv_page(0), 64, 1);
	for (l = 4; l >= 1; l--) {
		EXPECT_TRUE(vtd_bits(e, va, l, VTD_FS_A)) {
			TH_LOG("A not set at level %d", l);
		}
	}
	EXPECT_FALSE(vtd_bits(e, va, 1, VTD_FS_D));
	/* without EAFE, EA is ignored: never set */
	for (l = 4; l >= 1; l--) {
		EXPECT_FALSE(vtd_bits(e, va, l, VTD_FS_EA));
	}
	/* the read cached the translation; the write still sets D */
	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 2);
	EXPECT_TRUE(vtd_bits(e, va, 1, VTD_FS_D));
	/* a 2M leaf: A on the way, D in the PDE; written first this time */
	nenv_write_ok(_metadata, e, 0, va2m, nenv_page(1), 64, 3);
	for (l = 4; l >= 2; l--) {
		EXPECT_TRUE(vtd_bits(e, va2m, l, VTD_FS_A));
	}
	EXPECT_TRUE(vtd_bits(e, va2m, 2, VTD_FS_D));
	/* A/D are sticky: cleared by the guest, and set again only on a walk */
	*vtd_fs_entry_ptr(&e->fs, va, 1, false) &= ~(VTD_FS_A | VTD_FS_D);
	nenv_inv_page(_metadata, e, va);
	nenv_read_ok(_metadata, e, 0, va, nenv_page(0), 64, 4);
	EXPECT_TRUE(vtd_bits(e, va, 1, VTD_FS_A));
	EXPECT_FALSE(vtd_bits(e, va, 1, VTD_FS_D));
}

/* With EAFE (IOASID_NESTED_VTD_EAFS), EA is set together with A */
TEST_F(vtd, extended_accessed)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	int l;

	nenv_map(_metadata, e, va, nenv_page(0));
	e->pe.eafe = true;
	if (!(e->cap.vtd_flags & IOASID_NESTED_VTD_EAFS)) {
		ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
		EXPECT_EQ(-EINVAL, nenv_try_bind(e));
		return;
	}
	nenv_start(_metadata, e);
	nenv_read_ok(_metadata, e, 0, va, nenv_page(0), 64, 5);
	for (l = 4; l >= 1; l--) {
		EXPECT_TRUE(vtd_bits(e, va, l, VTD_FS_A | VTD_FS_EA)) {
			TH_LOG("A/EA not set at level %d", l);
		}
	}
}

/*
 * The walk writes A/D through stage 2: a table page mapped read-only in the
 * parent faults (stage 2, table walk) when a bit must be set, and not when
 * the guest set it already (VT-d 5.10 §3.8).
 */
TEST_F(vtd, accessed_dirty_need_writable_table)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	struct gmem_override ov;
	struct nfault w = {
		.reason = IOASID_FAULT_REASON_PERMISSION, .stage = 2, .level = -1,
		.addr = va, .walk = true, .any_rw = true,
	};
	uint64_t *leaf = nenv_map(_metadata, e, va, nenv_page(0));

	ov.gpa = nenv_leaf_page(e, va);
	ov.rights = IOASID_MAP_READ;
	w.s2addr = vtd_fs_entry_gpa(&e->fs, va, 1);
	nenv_start_ov(_metadata, e, &ov, 1);
	nenv_fault(_metadata, e, 0, va, &w);
	EXPECT_FALSE(*leaf & VTD_FS_A);
	*leaf |= VTD_FS_A;
	nenv_read_ok(_metadata, e, 0, va, nenv_page(0), 64, 6);
	/* D must be written for a write */
	memset(nenv_hva(e, nenv_page(0)), 0, 64);
	nenv_fault(_metadata, e, IOASID_TEST_DMA_WRITE, va, &w);
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(0)));
	*leaf |= VTD_FS_D;
	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 7);
}

/* ------------------------------------------------------------------------
 * PASIDs: RID, wire PASIDs, isolation
 */

/* A RID attachment translates requests without PASID through the entry */
TEST_F(vtd, rid_attachment)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	uint64_t *leaf = nenv_map(_metadata, e, va, nenv_page(0));

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	ASSERT_EQ(0, nenv_bind(e, 0));
	ASSERT_EQ(0, sw_allow(e->dev, e->t.fd, e->nested, 0, NENV_COOKIE));
	e->dma_pasid = -1;
	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 1);
	/* a fault without PASID: no PASID_VALID, wire_pasid 0 */
	nenv_fault_s1(_metadata, e, 0, NVA(2), IOASID_FAULT_REASON_UNMAPPED, 4);
	/* invalidated through PASID 0 (RID_PASID, assumed) */
	*leaf = nenv_leaf(e, nenv_page(1));
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));
	nenv_inv_page(_metadata, e, va);
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1));
	/* requests with the IOASID's PASID find no attachment */
	e->dma_pasid = e->nested;
	EXPECT_EQ(IOASID_TEST_DMA_NO_ATTACH, nenv_dma_status(e, 0, va));
	ASSERT_EQ(0, sw_disallow(e->dev, e->nested, 0));
}

#define WIRE1	0x777
#define WIRE2	0x778

/*
 * IOASID_DEVICE_WIRE_PASID: the device's requests carry the guest's PASID;
 * records report it as wire_pasid; descriptors name it; DISALLOW by it.
 */
TEST_F(vtd, wire_pasid)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	uint64_t *leaf = nenv_map(_metadata, e, va, nenv_page(0));

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	ASSERT_EQ(0, nenv_bind(e, 0));
	ASSERT_EQ(0, nested_allow(e->dev, e->t.fd, e->nested,
				  IOASID_DEVICE_PASID | IOASID_DEVICE_WIRE_PASID,
				  WIRE1, NENV_COOKIE));
	e->dma_pasid = WIRE1;
	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 1);
	nenv_fault_s1(_metadata, e, 0, NVA(2), IOASID_FAULT_REASON_UNMAPPED, 4);
	/* the IOASID's own PASID is not attached */
	e->dma_pasid = e->nested;
	EXPECT_EQ(IOASID_TEST_DMA_NO_ATTACH, nenv_dma_status(e, 0, va));
	e->dma_pasid = WIRE1;
	/* the descriptors carry the wire PASID */
	*leaf = nenv_leaf(e, nenv_page(1));
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));
	nenv_inv_page(_metadata, e, va);
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1));
	/* and at its own PASID too, at once */
	ASSERT_EQ(0, nenv_allow(e));
	e->dma_pasid = e->nested;
	nenv_write_ok(_metadata, e, 0, va, nenv_page(1), 64, 2);
	/* DISALLOW names the wire PASID */
	EXPECT_EQ(0, sw_disallow(e->dev, WIRE1, IOASID_DEVICE_PASID));
	e->dma_pasid = WIRE1;
	EXPECT_EQ(IOASID_TEST_DMA_NO_ATTACH, nenv_dma_status(e, 0, va));
	e->dma_pasid = e->nested;
	nenv_write_ok(_metadata, e, 0, va, nenv_page(1), 64, 3);
}

TEST_F(vtd, wire_pasid_errors)
{
	struct nenv *e = &self->e;
	int narrow = sw_dev_create(8);
	uint32_t other;

	ASSERT_LE(0, narrow);
	nenv_start(_metadata, e);
	ASSERT_EQ(0, sw_alloc(e->t.fd, &other));
	ASSERT_EQ(0, nested_allow(e->dev, e->t.fd, e->nested,
				  IOASID_DEVICE_PASID | IOASID_DEVICE_WIRE_PASID,
				  WIRE1, 0));
	/* the wire PASID is taken on this device, whatever the IOASID */
	EXPECT_EQ(-EBUSY, nested_allow(e->dev, e->t.fd, other,
				       IOASID_DEVICE_PASID | IOASID_DEVICE_WIRE_PASID,
				       WIRE1, 0));
	/* WIRE_PASID needs DEVICE_PASID, wire_pasid needs WIRE_PASID (assumed EINVAL) */
	EXPECT_EQ(-EINVAL, nested_allow(e->dev, e->t.fd, other,
					IOASID_DEVICE_WIRE_PASID, WIRE2, 0));
	EXPECT_EQ(-EINVAL, nested_allow(e->dev, e->t.fd, other, IOASID_DEVICE_PASID,
					WIRE2, 0));
	/* beyond what the device issues */
	EXPECT_EQ(-ERANGE, nested_allow(narrow, e->t.fd, other,
					IOASID_DEVICE_PASID | IOASID_DEVICE_WIRE_PASID,
					0x100, 0));
	EXPECT_EQ(0, nested_allow(narrow, e->t.fd, other,
				  IOASID_DEVICE_PASID | IOASID_DEVICE_WIRE_PASID,
				  0xff, 0));
	EXPECT_EQ(-ENOENT, sw_disallow(e->dev, WIRE2, IOASID_DEVICE_PASID));
	EXPECT_EQ(0, sw_disallow(e->dev, WIRE1, IOASID_DEVICE_PASID));
	close(narrow);
}

/* Two nested IOASIDs with their own tables, one device: each PASID its own memory */
TEST_F(vtd, two_pasids_isolated)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	struct vtd_fs t2;
	struct vtd_pe_cfg pe2 = e->pe;
	struct ioasid_fault f;
	uint64_t pe[8];
	uint32_t n2;

	ASSERT_EQ(0, vtd_fs_init(&t2, &e->g, 4));
	nenv_map(_metadata, e, va, nenv_page(0));
	nenv_map(_metadata, e, NVA(2), nenv_page(2));
	ASSERT_NE(NULL, vtd_fs_map(&t2, va, nenv_page(1), 1, VTD_FS_RW | VTD_FS_US));
	pe2.fsptptr = t2.root;
	pe2.did = NENV_DID + 1;
	vtd_pe_encode(pe, &pe2);
	nenv_start(_metadata, e);
	ASSERT_EQ(0, sw_alloc(e->t.fd, &n2));
	ASSERT_EQ(0, nenv_bind_raw(e, n2, pe, 0));
	ASSERT_EQ(0, sw_route(e->t.fd, n2, e->qfd));
	ASSERT_EQ(0, sw_allow(e->dev, e->t.fd, n2, IOASID_DEVICE_PASID, NENV_COOKIE));

	nenv_write_ok(_metadata, e, 0, va, nenv_page(0), 64, 1);
	EXPECT_EQ(0, *(char *)nenv_hva(e, nenv_page(1)));
	e->dma_pasid = n2;
	nenv_write_ok(_metadata, e, 0, va, nenv_page(1), 64, 2);
	EXPECT_TRUE(sw_check(nenv_hva(e, nenv_page(0)), 64, 1));
	/* mapped in the first table only: n2's fault, n2's record */
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, nenv_dma_status(e, 0, NVA(2)));
	ASSERT_EQ(0, nested_read_fault(e->qfd, &f, 2000));
	EXPECT_EQ(n2, f.pasid);
	EXPECT_EQ(n2, f.wire_pasid);
	EXPECT_EQ(1, f.stage);
	e->dma_pasid = e->nested;
	nenv_read_ok(_metadata, e, 0, NVA(2), nenv_page(2), 64, 3);
	/* an invalidation of one IOASID leaves the other's cache alone */
	*vtd_fs_entry_ptr(&t2, va, 1, false) = nenv_leaf(e, nenv_page(3));
	*vtd_fs_entry_ptr(&e->fs, va, 1, false) = nenv_leaf(e, nenv_page(3));
	nenv_inv_page(_metadata, e, va);
	EXPECT_READS_FROM(e, va, 2, nenv_page(0), nenv_page(1), nenv_page(3));
	e->dma_pasid = n2;
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1), nenv_page(3));
}

/* ------------------------------------------------------------------------
 * Invalidations: each type and granularity does its job
 */

/* AM: 2^AM pages from an aligned address, and nothing beyond */
TEST_F(vtd, piotlb_address_mask)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);	/* 2M aligned */
	const uint64_t v2m = NVA(2);
	uint64_t *leaf[4], *big;
	struct ninv b;
	int i;

	for (i = 0; i < 4; i++)
		leaf[i] = nenv_map(_metadata, e, va + i * NPT_4K, nenv_page(i));
	big = vtd_fs_map(&e->fs, v2m, NENV_FIXED, 2, VTD_FS_RW | VTD_FS_US);
	nenv_start(_metadata, e);
	for (i = 0; i < 4; i++) {
		EXPECT_READS_FROM(e, va + i * NPT_4K, i, nenv_page(0), nenv_page(1),
				  nenv_page(2), nenv_page(3), nenv_page(4));
	}
	EXPECT_READS_FROM(e, v2m + (nenv_page(9) - NENV_FIXED), 0, nenv_page(9));
	for (i = 0; i < 4; i++)
		*leaf[i] = nenv_leaf(e, nenv_page(4));
	/* AM 1 at page 2: pages 2 and 3 */
	ninv_init(&b, e);
	ninv_vtd(&b, vtd_inv_piotlb_page(NENV_DID, e->nested, va + 2 * NPT_4K, 1, false));
	ninv_ok(_metadata, e, &b);
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(4));
	EXPECT_READS_FROM(e, va + NPT_4K, 0, nenv_page(1), nenv_page(4));
	EXPECT_READS_FROM(e, va + 2 * NPT_4K, 1, nenv_page(2), nenv_page(4));
	EXPECT_READS_FROM(e, va + 3 * NPT_4K, 1, nenv_page(3), nenv_page(4));
	/* AM 2 from page 0: the rest */
	ninv_init(&b, e);
	ninv_vtd(&b, vtd_inv_piotlb_page(NENV_DID, e->nested, va, 2, false));
	ninv_ok(_metadata, e, &b);
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(4));
	EXPECT_READS_FROM(e, va + NPT_4K, 1, nenv_page(1), nenv_page(4));
	/* a 2M leaf moved to the next 2M of guest memory: AM 9 */
	*big = vtd_fs_entry(NENV_FIXED + NPT_2M,
			    VTD_FS_P | VTD_FS_RW | VTD_FS_US | VTD_FS_PS);
	EXPECT_READS_FROM(e, v2m + (nenv_page(9) - NENV_FIXED), 0, nenv_page(9),
			  nenv_page(9) + NPT_2M);
	ASSERT_LE(9, e->cap.vtd_mamv);
	ninv_init(&b, e);
	ninv_vtd(&b, vtd_inv_piotlb_page(NENV_DID, e->nested, v2m, 9, false));
	ninv_ok(_metadata, e, &b);
	EXPECT_READS_FROM(e, v2m + (nenv_page(9) - NENV_FIXED), 1, nenv_page(9),
			  nenv_page(9) + NPT_2M);
}

/* IH = 1 (only leaves changed) still invalidates the leaf */
TEST_F(vtd, piotlb_invalidation_hint)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	uint64_t *leaf = nenv_map(_metadata, e, va, nenv_page(0));
	struct ninv b;

	nenv_start(_metadata, e);
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));
	*leaf = nenv_leaf(e, nenv_page(1));
	ninv_init(&b, e);
	ninv_vtd(&b, vtd_inv_piotlb_page(NENV_DID, e->nested, va, 0, true));
	ninv_ok(_metadata, e, &b);
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1));
}

/*
 * The IOTLB is tagged with DID and PASID (VT-d §6.5.2): a descriptor naming
 * another DID or PASID leaves this IOASID's translations alone (assumed: the
 * header leaves matching to the spec).
 */
TEST_F(vtd, piotlb_did_and_pasid_tags)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	uint64_t *leaf = nenv_map(_metadata, e, va, nenv_page(0));
	struct ninv b;

	nenv_start(_metadata, e);
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));
	*leaf = nenv_leaf(e, nenv_page(1));
	ninv_init(&b, e);
	ninv_vtd(&b, vtd_inv_piotlb_page(NENV_DID + 1, e->nested, va, 0, false));
	ninv_vtd(&b, vtd_inv_piotlb_pasid(NENV_DID + 1, e->nested));
	ninv_vtd(&b, vtd_inv_piotlb_page(NENV_DID, e->nested + 1, va, 0, false));
	ninv_vtd(&b, vtd_inv_piotlb_pasid(NENV_DID, e->nested + 1));
	ninv_ok(_metadata, e, &b);
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));
	ninv_init(&b, e);
	ninv_vtd(&b, vtd_inv_piotlb_pasid(NENV_DID, e->nested));
	ninv_ok(_metadata, e, &b);
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1));
}

/*
 * One IOASID at two wire PASIDs: each PASID's translations are cached apart,
 * and a PASID-selective P_IOTLB drops only its own (assumed: cache entries
 * are tagged with the PASID the request carried, as in the hardware).
 */
TEST_F(vtd, piotlb_pasid_selective)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	uint64_t *leaf = nenv_map(_metadata, e, va, nenv_page(0));
	struct ninv b;

	ASSERT_EQ(0, gmem_map(e->t.fd, e->parent, &e->g, NULL, 0));
	ASSERT_EQ(0, nenv_bind(e, 0));
	ASSERT_EQ(0, nested_allow(e->dev, e->t.fd, e->nested,
				  IOASID_DEVICE_PASID | IOASID_DEVICE_WIRE_PASID,
				  WIRE1, NENV_COOKIE));
	ASSERT_EQ(0, nested_allow(e->dev, e->t.fd, e->nested,
				  IOASID_DEVICE_PASID | IOASID_DEVICE_WIRE_PASID,
				  WIRE2, NENV_COOKIE));
	e->dma_pasid = WIRE1;
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));
	e->dma_pasid = WIRE2;
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));
	*leaf = nenv_leaf(e, nenv_page(1));
	ninv_init(&b, e);
	ninv_vtd(&b, vtd_inv_piotlb_pasid(NENV_DID, WIRE1));
	ninv_ok(_metadata, e, &b);
	e->dma_pasid = WIRE1;
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1));
	e->dma_pasid = WIRE2;
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));
	ninv_init(&b, e);
	ninv_vtd(&b, vtd_inv_piotlb_page(NENV_DID, WIRE2, va, 0, false));
	ninv_ok(_metadata, e, &b);
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1));
}

/*
 * PASID-cache invalidations (domain, PASID, global) are accepted and empty
 * the PASID-entry cache; the next request loads the entry again.
 */
TEST_F(vtd, pasid_cache_invalidation)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	const struct vtd_inv pc[] = {
		vtd_inv_pc(VTD_PC_G_DOMAIN, NENV_DID, 0),
		vtd_inv_pc(VTD_PC_G_PASID, NENV_DID, e->nested),
		vtd_inv_pc(VTD_PC_G_GLOBAL, 0, 0),
	};
	size_t i;

	nenv_map(_metadata, e, va, nenv_page(0));
	nenv_start(_metadata, e);
	for (i = 0; i < ARRAY_SIZE(pc); i++) {
		nenv_read_ok(_metadata, e, 0, va, nenv_page(0), 64, i);
		EXPECT_EQ(1, nenv_ioas(_metadata, e).ctx_entries);
		vtd_inv1(_metadata, e, pc[i]);
		EXPECT_EQ(0, nenv_ioas(_metadata, e).ctx_entries) {
			TH_LOG("PASID-cache invalidation G=%llu",
			       (unsigned long long)fld_get(GENMASK64(5, 4), pc[i].qw[0]));
		}
	}
	/* another DID's or PASID's invalidation leaves the entry cached */
	nenv_read_ok(_metadata, e, 0, va, nenv_page(0), 64, 9);
	vtd_inv1(_metadata, e, vtd_inv_pc(VTD_PC_G_DOMAIN, NENV_DID + 1, 0));
	vtd_inv1(_metadata, e, vtd_inv_pc(VTD_PC_G_PASID, NENV_DID, e->nested + 1));
	EXPECT_EQ(1, nenv_ioas(_metadata, e).ctx_entries);
}

/* Device-TLB invalidations and waits are accepted (software devices have no ATC) */
TEST_F(vtd, devtlb_and_wait_accepted)
{
	struct nenv *e = &self->e;
	struct ninv b;

	nenv_start(_metadata, e);
	ninv_init(&b, e);
	ninv_vtd(&b, vtd_inv_piotlb_pasid(NENV_DID, e->nested));
	ninv_vtd(&b, vtd_inv_pdevtlb_all(0x0100, e->nested));
	ninv_vtd(&b, vtd_inv_pdevtlb(0x0100, 0x0100, e->nested, 0, false, NVA(1), false));
	ninv_vtd(&b, vtd_inv_pdevtlb(0x0100, 0x0100, e->nested, 0, true,
				     VTD_DEVTLB_ALL_ADDR, true));
	ninv_vtd(&b, vtd_inv_wait(false, false, true, false, 0, 0));
	ninv_vtd(&b, vtd_inv_wait(false, false, false, false, 0, 0));
	ninv_ok(_metadata, e, &b);
}

/* ------------------------------------------------------------------------
 * REPLACE
 */

/*
 * REPLACE while attached switches to the new table once the guest's
 * invalidations of §6.5.3.3 Table 28 are done (PASID cache, then IOTLB); a
 * bad replacement changes nothing.
 */
TEST_F(vtd, replace_switches_table)
{
	struct nenv *e = &self->e;
	const uint64_t va = NVA(1);
	struct vtd_fs t2;
	struct ninv b;
	uint64_t pe[8];

	nenv_map(_metadata, e, va, nenv_page(0));
	ASSERT_EQ(0, vtd_fs_init(&t2, &e->g, 4));
	ASSERT_NE(NULL, vtd_fs_map(&t2, va, nenv_page(1), 1, VTD_FS_RW | VTD_FS_US));
	ASSERT_NE(NULL, vtd_fs_map(&t2, NVA(2), nenv_page(2), 1, VTD_FS_RW | VTD_FS_US));
	nenv_start(_metadata, e);
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));

	/* a bad entry: refused, the old one stays */
	e->pe.fsptptr = t2.root;
	e->pe.pgtt = 0;
	EXPECT_EQ(-EINVAL, nenv_bind(e, IOASID_NESTED_BIND_REPLACE));
	e->pe.pgtt = VTD_PGTT_FS;
	vtd_pe_encode(pe, &e->pe);
	words_set(pe, VTD_PE_RSVD_136);
	EXPECT_EQ(-EINVAL, nenv_bind_raw(e, e->nested, pe, IOASID_NESTED_BIND_REPLACE));
	nenv_inv_all(_metadata, e);
	EXPECT_READS_FROM(e, va, 0, nenv_page(0), nenv_page(1));

	ASSERT_EQ(0, nenv_bind(e, IOASID_NESTED_BIND_REPLACE));
	ninv_init(&b, e);
	ninv_vtd(&b, vtd_inv_pc(VTD_PC_G_PASID, NENV_DID, e->nested));
	ninv_vtd(&b, vtd_inv_piotlb_pasid(NENV_DID, e->nested));
	ninv_ok(_metadata, e, &b);
	EXPECT_READS_FROM(e, va, 1, nenv_page(0), nenv_page(1));
	nenv_write_ok(_metadata, e, 0, NVA(2), nenv_page(2), 64, 1);
	EXPECT_EQ(IOASID_MODE_NESTED, nenv_mode(_metadata, e, e->nested));
	/* the attachment is the same one: DISALLOW, then UNBIND */
	EXPECT_EQ(-EBUSY, nested_unbind(e->t.fd, e->nested));
	ASSERT_EQ(0, nenv_disallow(e));
	EXPECT_EQ(0, nested_unbind(e->t.fd, e->nested));
}

TEST_HARNESS_MAIN
