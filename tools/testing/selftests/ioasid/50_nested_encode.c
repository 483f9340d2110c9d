// SPDX-License-Identifier: GPL-2.0
/*
 * The encoders of nested_pt.h against the hand-computed test vectors of
 * hw-formats.md §F, and the builders (guest memory, VT-d first-stage,
 * VMSAv8-64 and CD tables) against layouts worked out from the specs.
 *
 * Needs no kernel support: it only runs the library in user space.  Every
 * §F vector was re-derived from the field tables (VT-d 5.10 §9.6, §9.7,
 * §6.5.2; IHI 0070 §4, §5.2, §5.4; Arm ARM D8.3) before being written
 * here; all of them agree with the specs.
 */
#include <fcntl.h>

#include "kselftest_harness.h"
#include "nested_pt.h"

#define EXPECT_U64(want, have) EXPECT_EQ((uint64_t)(want), (uint64_t)(have))

/* ------------------------------------------------------------------------
 * §F, VT-d
 */

/* Nested PASID entry: S2 root 0x1234000, AW 010, PGTT 011, P; DID 5, PWSNP */
TEST(vtd_pasid_entry_nested)
{
	struct vtd_pe_cfg c = {
		.p = true, .aw = 2, .pgtt = VTD_PGTT_NESTED, .ssptptr = 0x1234000,
		.did = 5, .pwsnp = true, .fsptptr = 0xABCD000,
	};
	uint64_t pe[8];
	int i;

	vtd_pe_encode(pe, &c);
	EXPECT_U64(0x00000000012340C9ULL, pe[0]);
	EXPECT_U64(0x0000000000800005ULL, pe[1]);
	EXPECT_U64(0x000000000ABCD000ULL, pe[2]);
	for (i = 3; i < 8; i++) {
		EXPECT_U64(0, pe[i]);
	}

	/* the same with SRE, FSPM = 01 (5-level) and WPE */
	c.sre = true;
	c.fspm = VTD_FSPM_5LVL;
	c.wpe = true;
	vtd_pe_encode(pe, &c);
	EXPECT_U64(0x000000000ABCD015ULL, pe[2]);
	EXPECT_TRUE(words_test(pe, VTD_PE_SRE));
	EXPECT_TRUE(words_test(pe, VTD_PE_WPE));
	EXPECT_TRUE(words_test(pe, VTD_PE_PWSNP));
}

TEST(vtd_piotlb_page)
{
	struct vtd_inv d = vtd_inv_piotlb_page(5, 0x42, 0x7f0000200000ULL, 9, false);

	EXPECT_U64(0x0000004200050036ULL, d.qw[0]);
	EXPECT_U64(0x00007f0000200009ULL, d.qw[1]);
	EXPECT_U64(0, d.qw[2]);
	EXPECT_U64(0, d.qw[3]);
	/* IH is qw1 bit 6 */
	d = vtd_inv_piotlb_page(5, 0x42, 0x7f0000200000ULL, 9, true);
	EXPECT_U64(0x00007f0000200049ULL, d.qw[1]);
}

TEST(vtd_piotlb_pasid)
{
	struct vtd_inv d = vtd_inv_piotlb_pasid(5, 0x42);

	EXPECT_U64(0x0000004200050026ULL, d.qw[0]);
	EXPECT_U64(0, d.qw[1]);
}

TEST(vtd_pasid_cache)
{
	struct vtd_inv d = vtd_inv_pc(VTD_PC_G_PASID, 5, 0x42);

	EXPECT_U64(0x0000004200050017ULL, d.qw[0]);
	EXPECT_U64(0, d.qw[1]);
	/* domain-selective (G 00) and global (G 11) */
	EXPECT_U64(0x0000004200050007ULL, vtd_inv_pc(VTD_PC_G_DOMAIN, 5, 0x42).qw[0]);
	EXPECT_U64(0x0000000000000037ULL, vtd_inv_pc(VTD_PC_G_GLOBAL, 0, 0).qw[0]);
}

TEST(vtd_pasid_devtlb_all)
{
	struct vtd_inv d = vtd_inv_pdevtlb_all(0x0100, 0x42);

	EXPECT_U64(0x0100004201000008ULL, d.qw[0]);
	EXPECT_U64(0x7FFFFFFFFFFFF800ULL, d.qw[1]);
	/* PFSID is split: [3:0] at 15:12, [15:4] at 63:52; G is qw1 bit 0 */
	d = vtd_inv_pdevtlb(0x0100, 0x1234, 0x42, 0, true, 0, false);
	EXPECT_U64(0x1230004201004008ULL, d.qw[0]);
	EXPECT_U64(1, d.qw[1]);
}

TEST(vtd_pte_4k)
{
	EXPECT_U64(0x0000000012345067ULL,
		   vtd_fs_entry(0x12345000, VTD_FS_P | VTD_FS_RW | VTD_FS_US |
				VTD_FS_A | VTD_FS_D));
	/* the address field is 51:12: low and high bits do not leak in */
	EXPECT_U64(0x000FFFFFFFFFF001ULL, vtd_fs_entry(~0ULL, VTD_FS_P));
}

/* Descriptors a guest may not issue, and the wait descriptor */
TEST(vtd_other_descriptors)
{
	EXPECT_U64(0x11, vtd_inv_cc_global().qw[0]);
	EXPECT_U64(0x12, vtd_inv_iotlb_global().qw[0]);
	EXPECT_U64(0x00050022ULL, vtd_inv_iotlb_domain(5).qw[0]);
	EXPECT_U64(0x4, vtd_inv_iec_global().qw[0]);
	EXPECT_U64(0x0000abcd00000075ULL,
		   vtd_inv_wait(true, true, true, false, 0xabcd, 0x1003).qw[0]);
	EXPECT_U64(0x1000, vtd_inv_wait(true, true, true, false, 0xabcd, 0x1003).qw[1]);
}

/* ------------------------------------------------------------------------
 * §F, SMMUv3
 */

TEST(smmu_ste_linear)
{
	struct smmu_ste_cfg c = {
		.v = true, .config = SMMU_CONFIG_S1, .s1fmt = SMMU_S1FMT_LINEAR,
		.s1ctxptr = 0x80001000, .s1cdmax = 0,
		.s1dss = SMMU_S1DSS_SSID0, .s1cir = SMMU_CACHE_WBRA,
		.s1cor = SMMU_CACHE_WBRA, .s1csh = SMMU_SH_ISH,
	};
	uint64_t ste[2];

	smmu_ste_encode(ste, &c);
	EXPECT_U64(0x000000008000100BULL, ste[0]);
	EXPECT_U64(0x00000000000000D6ULL, ste[1]);
	/* S1STALLD is bit 91, EATS 93:92, STRW 95:94 */
	c.s1stalld = true;
	c.eats = SMMU_EATS_TRANS;
	c.strw = 2;
	smmu_ste_encode(ste, &c);
	EXPECT_U64(0x00000000980000D6ULL, ste[1]);
}

TEST(smmu_ste_2lvl_64k)
{
	struct smmu_ste_cfg c = {
		.v = true, .config = SMMU_CONFIG_S1, .s1fmt = SMMU_S1FMT_64K_L2,
		.s1ctxptr = 0x80010000, .s1cdmax = 16,
	};
	uint64_t ste[2];

	smmu_ste_encode(ste, &c);
	EXPECT_U64(0x800000008001002BULL, ste[0]);
	EXPECT_U64(0, ste[1]);
	/* S1ContextPtr is 55:6 */
	c.s1ctxptr = ~0ULL;
	c.s1cdmax = 0;
	smmu_ste_encode(ste, &c);
	EXPECT_U64(GENMASK64(55, 6) | 0x2B, ste[0]);
}

TEST(smmu_cd)
{
	struct smmu_cd_cfg c = {
		.t0sz = 16, .tg0 = SMMU_TG0_4K, .ir0 = SMMU_CACHE_WBRA,
		.or0 = SMMU_CACHE_WBRA, .sh0 = SMMU_SH_ISH, .epd1 = true, .v = true,
		.ips = smmu_ips_of(48), .aa64 = true, .r = true, .a = true,
		.aset = true, .asid = 7, .ttb0 = 0x12345670, .mair = 0x44ff,
	};
	uint64_t cd[8];

	smmu_cd_encode(cd, &c);
	EXPECT_U64(0x0007E205C0003510ULL, cd[0]);
	EXPECT_U64(0x12345670, cd[1]);
	EXPECT_U64(0, cd[2]);
	EXPECT_U64(0x44ff, cd[3]);
	EXPECT_EQ(5, smmu_ips_of(48));
	EXPECT_EQ(0, smmu_ips_of(32));
	EXPECT_EQ(0xff, smmu_ips_of(47));
	EXPECT_EQ(44, smmu_ips_bits(4));
	/* the single-bit fields of dword 0, by the CD table of §5.4 */
	memset(&c, 0, sizeof(c));
	c.epd0 = true;
	c.endi = true;
	c.affd = true;
	c.pan = true;
	c.hd = true;
	c.ha = true;
	smmu_cd_encode(cd, &c);
	EXPECT_U64(BIT64(14) | BIT64(15) | BIT64(35) | BIT64(40) | BIT64(42) |
		   BIT64(43), cd[0]);
	/* TTB0 is dword 1 bits 55:4; T1SZ 21:16, TG1 23:22 */
	memset(&c, 0, sizeof(c));
	c.ttb0 = ~0ULL;
	c.t1sz = 25;
	c.tg1 = SMMU_TG1_4K;
	smmu_cd_encode(cd, &c);
	EXPECT_U64(GENMASK64(55, 4), cd[1]);
	EXPECT_U64((25ULL << 16) | (2ULL << 22), cd[0]);
}

TEST(arm_l3_page)
{
	EXPECT_U64(0x0000000080000F47ULL,
		   arm_leaf_desc(3, 0x80000000, ARM_ATTRIDX(1) | ARM_AP(ARM_AP_RW) |
				 ARM_SH(SMMU_SH_ISH) | ARM_AF | ARM_NG));
	/* the same attributes in a block are bits 1:0 = 01 */
	EXPECT_U64(0x0000000080000F45ULL,
		   arm_leaf_desc(2, 0x80000000, ARM_ATTRIDX(1) | ARM_AP(ARM_AP_RW) |
				 ARM_SH(SMMU_SH_ISH) | ARM_AF | ARM_NG));
	/* table descriptor: APTable 62:61, UXNTable 60, PXNTable 59 */
	EXPECT_U64(0x7800000012345003ULL,
		   arm_table_desc(0x12345000, ARM_APTABLE(3) | ARM_UXNTABLE |
				  ARM_PXNTABLE));
}

TEST(smmu_tlbi_nh_va)
{
	struct smmu_cmd c = smmu_cmd_tlbi_nh_va(1, 7, 0xffff0000, true, NULL);

	EXPECT_U64(0x0007000100000012ULL, c.dw[0]);
	EXPECT_U64(0x00000000FFFF0001ULL, c.dw[1]);
}

TEST(smmu_tlbi_nh_asid)
{
	struct smmu_cmd c = smmu_cmd_tlbi_nh_asid(1, 7);

	EXPECT_U64(0x0007000100000011ULL, c.dw[0]);
	EXPECT_U64(0, c.dw[1]);
}

TEST(smmu_cfgi_cd)
{
	struct smmu_cmd c = smmu_cmd_cfgi_cd(0x10, 3, true);

	EXPECT_U64(0x0000001000003005ULL, c.dw[0]);
	EXPECT_U64(1, c.dw[1]);
}

TEST(smmu_cfgi_cd_all)
{
	struct smmu_cmd c = smmu_cmd_cfgi_cd_all(0x10);

	EXPECT_U64(0x0000001000000006ULL, c.dw[0]);
	EXPECT_U64(0, c.dw[1]);
}

TEST(smmu_cfgi_ste)
{
	struct smmu_cmd c = smmu_cmd_cfgi_ste(0x10, true);

	EXPECT_U64(0x0000001000000003ULL, c.dw[0]);
	EXPECT_U64(1, c.dw[1]);
	/* CMD_CFGI_ALL is CFGI_STE_RANGE with Range 31 */
	c = smmu_cmd_cfgi_all();
	EXPECT_U64(0x04, c.dw[0]);
	EXPECT_U64(31, c.dw[1]);
}

TEST(smmu_atc_inv)
{
	struct smmu_cmd c = smmu_cmd_atc_inv(0x10, true, 3, false, 0, 52);

	EXPECT_U64(0x0000001000003840ULL, c.dw[0]);
	EXPECT_U64(0x34, c.dw[1]);
	/* Global is bit 9 */
	c = smmu_cmd_atc_inv(0x10, false, 0, true, 0x5000, 0);
	EXPECT_U64(0x0000001000000240ULL, c.dw[0]);
	EXPECT_U64(0x5000, c.dw[1]);
}

/* Range fields (§4.4.1.1): SCALE 24:20, NUM 16:12 in dw0; TG 11:10, TTL 9:8 in dw1 */
TEST(smmu_tlbi_range_fields)
{
	struct smmu_tlbi_range r = {
		.tg = SMMU_TLBI_TG_4K, .ttl = 3, .num = 1, .scale = 2,
	};
	struct smmu_cmd c = smmu_cmd_tlbi_nh_va(0, 9, 0x40000000, false, &r);

	EXPECT_U64(0x0009000000201012ULL, c.dw[0]);
	EXPECT_U64(0x40000700ULL, c.dw[1]);
	EXPECT_U64(8 * NPT_4K, smmu_tlbi_range_bytes(&r, 0x1000));
	c = smmu_cmd_tlbi_nh_vaa(0, 0x40000000, true, &r);
	EXPECT_U64(0x0000000000201013ULL, c.dw[0]);
	EXPECT_U64(0x40000701ULL, c.dw[1]);
	EXPECT_EQ(SMMU_TLBI_TG_64K, smmu_tlbi_tg_of(0x10000));
	EXPECT_EQ(SMMU_TLBI_TG_16K, smmu_tlbi_tg_of(0x4000));
	/* the granule encodings of CD.TG0 differ from the TLBI's TG */
	EXPECT_EQ(SMMU_TG0_64K, smmu_tg0_of(0x10000));
	EXPECT_EQ(SMMU_TG0_16K, smmu_tg0_of(0x4000));
}

TEST(smmu_forbidden_commands)
{
	EXPECT_U64(0x30, smmu_cmd_op(SMMU_CMD_TLBI_NSNH_ALL).dw[0]);
	EXPECT_U64(0x000000050000002aULL, smmu_cmd_tlbi_s2_ipa(5, 0x1234000, true).dw[0]);
	EXPECT_U64(0x1234001, smmu_cmd_tlbi_s2_ipa(5, 0x1234000, true).dw[1]);
	EXPECT_U64(0x0007000000000021ULL, smmu_cmd_tlbi_el2_asid(7).dw[0]);
	EXPECT_U64(0x0007000000000022ULL, smmu_cmd_tlbi_el2_va(7, 0x2000, true).dw[0]);
	EXPECT_U64(0x2001, smmu_cmd_tlbi_el2_va(7, 0x2000, true).dw[1]);
	EXPECT_U64(0x23, smmu_cmd_tlbi_el2_vaa(0x2000, false).dw[0]);
	/* CMD_SYNC, CS = SEV in 13:12 */
	EXPECT_U64(0x2046, smmu_cmd_sync(2).dw[0]);
}

/* ------------------------------------------------------------------------
 * The builders
 */

#define TGPA	0x40000000ULL

TEST(gmem_allocator)
{
	struct gmem g;
	uint64_t a, b, c;
	unsigned char *p;

	ASSERT_EQ(0, gmem_init(&g, TGPA, 4 * SZ_1M, SZ_1M));
	a = gmem_alloc(&g, 64, 64);
	EXPECT_U64(TGPA, a);
	b = gmem_alloc_page(&g);
	EXPECT_U64(TGPA + NPT_4K, b);
	c = gmem_alloc(&g, 0x10000, 0x10000);
	EXPECT_U64(TGPA + 0x10000, c);
	/* gpa <-> pointer, and the bounds */
	p = gmem_ptr(&g, b + 5);
	ASSERT_NE(NULL, p);
	EXPECT_U64(b + 5, gmem_gpa(&g, p));
	EXPECT_EQ(NULL, gmem_ptr(&g, TGPA - 1));
	EXPECT_EQ(NULL, gmem_ptr(&g, TGPA + 4 * SZ_1M));
	EXPECT_NE(NULL, gmem_ptr(&g, TGPA + 4 * SZ_1M - 1));
	/* allocations are zeroed, even when reused memory was dirty */
	memset(g.host + 0x20000, 0x5a, NPT_4K);
	g.next = 0x20000;
	a = gmem_alloc_page(&g);
	EXPECT_U64(TGPA + 0x20000, a);
	EXPECT_EQ(0, ((unsigned char *)gmem_ptr(&g, a))[100]);
	/* the bump region ends at alloc_size; the rest is for fixed pages */
	EXPECT_U64(GMEM_NONE, gmem_alloc(&g, SZ_1M, NPT_4K));
	EXPECT_U64(GMEM_NONE, gmem_alloc(&g, 64, 3));
	gmem_free(&g);
	EXPECT_EQ(-EINVAL, gmem_init(&g, TGPA + 1, SZ_1M, 0));
}

/* The alignment is of the guest-physical address, not of the host pointer */
TEST(gmem_alignment_is_guest_physical)
{
	struct gmem g;

	ASSERT_EQ(0, gmem_init(&g, TGPA + NPT_4K, 4 * SZ_1M, 4 * SZ_1M));
	EXPECT_U64(TGPA + NPT_4K, gmem_alloc_page(&g));
	EXPECT_U64(TGPA + 0x10000, gmem_alloc(&g, 0x10000, 0x10000));
	EXPECT_U64(TGPA + 0x200000, gmem_alloc(&g, NPT_4K, NPT_2M));
	gmem_free(&g);
}

/* A 4-level walk of 0x7f0000201000: PML4[254] PDPT[0] PD[1] PT[1] */
TEST(vtd_fs_4level_layout)
{
	const uint64_t va = 0x7f0000201000ULL;
	uint64_t *pml4, *pdpt, *pd, *pt, *leaf;
	struct vtd_fs t;
	struct gmem g;

	ASSERT_EQ(0, gmem_init(&g, TGPA, SZ_1M, SZ_1M));
	ASSERT_EQ(0, vtd_fs_init(&t, &g, 4));
	EXPECT_EQ(254, vtd_index(va, 4));
	EXPECT_EQ(0, vtd_index(va, 3));
	EXPECT_EQ(1, vtd_index(va, 2));
	EXPECT_EQ(1, vtd_index(va, 1));
	leaf = vtd_fs_map(&t, va, 0x40080000, 1, VTD_FS_RW);
	ASSERT_NE(NULL, leaf);
	EXPECT_U64(0x40080003ULL, *leaf);
	pml4 = gmem_ptr(&g, t.root);
	ASSERT_EQ(VTD_FS_TABLE, pml4[254] & ~VTD_FS_ADDR);
	pdpt = gmem_ptr(&g, pml4[254] & VTD_FS_ADDR);
	ASSERT_NE(NULL, pdpt);
	pd = gmem_ptr(&g, pdpt[0] & VTD_FS_ADDR);
	ASSERT_NE(NULL, pd);
	pt = gmem_ptr(&g, pd[1] & VTD_FS_ADDR);
	ASSERT_NE(NULL, pt);
	EXPECT_EQ(leaf, &pt[1]);
	EXPECT_U64(gmem_gpa(&g, &pd[1]), vtd_fs_entry_gpa(&t, va, 2));
	/* a 2M leaf has PS; nothing is found below a leaf */
	leaf = vtd_fs_map(&t, va + NPT_1G, 0x40200000, 2, VTD_FS_RW | VTD_FS_US);
	ASSERT_NE(NULL, leaf);
	EXPECT_U64(0x40200087ULL, *leaf);
	EXPECT_EQ(NULL, vtd_fs_entry_ptr(&t, va + NPT_1G, 1, true));
	/* nothing found where nothing is mapped, and nothing allocated */
	g.limit = g.next;
	EXPECT_EQ(NULL, vtd_fs_entry_ptr(&t, 0x1000, 1, false));
	gmem_free(&g);
}

/* 5 levels: PML5 indexed by VA[56:48] */
TEST(vtd_fs_5level_layout)
{
	const uint64_t va = 0x00ff000000003000ULL;
	struct vtd_fs t;
	struct gmem g;
	uint64_t *pml5;

	ASSERT_EQ(0, gmem_init(&g, TGPA, SZ_1M, SZ_1M));
	ASSERT_EQ(0, vtd_fs_init(&t, &g, 5));
	EXPECT_EQ(0xff, vtd_index(va, 5));
	ASSERT_NE(NULL, vtd_fs_map(&t, va, 0x40090000, 1, VTD_FS_RW));
	pml5 = gmem_ptr(&g, t.root);
	EXPECT_TRUE(pml5[0xff] & VTD_FS_P);
	EXPECT_U64(vtd_level_size(5), 1ULL << 48);
	EXPECT_U64(vtd_level_size(3), NPT_1G);
	gmem_free(&g);
}

/* Start levels by granule and T0SZ, as in the Arm ARM's tables */
TEST(arm_start_levels)
{
	static const struct { unsigned int granule, t0sz; int level; } v[] = {
		{ 0x1000, 16, 0 }, { 0x1000, 24, 0 }, { 0x1000, 25, 1 },
		{ 0x1000, 33, 1 }, { 0x1000, 34, 2 }, { 0x1000, 39, 2 },
		{ 0x4000, 16, 0 }, { 0x4000, 17, 1 }, { 0x4000, 27, 1 },
		{ 0x4000, 28, 2 }, { 0x4000, 38, 2 }, { 0x4000, 39, 3 },
		{ 0x10000, 16, 1 }, { 0x10000, 21, 1 }, { 0x10000, 22, 2 },
		{ 0x10000, 34, 2 }, { 0x10000, 35, 3 }, { 0x10000, 39, 3 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		EXPECT_EQ(v[i].level, arm_start_level(v[i].granule, v[i].t0sz)) {
			TH_LOG("granule %#x T0SZ %u", v[i].granule, v[i].t0sz);
		}
	}
	/* block sizes: 4K L1 1G, L2 2M; 16K L2 32M; 64K L2 512M */
	EXPECT_U64(NPT_1G, arm_level_size(0x1000, 1));
	EXPECT_U64(NPT_2M, arm_level_size(0x1000, 2));
	EXPECT_U64(32 * SZ_1M, arm_level_size(0x4000, 2));
	EXPECT_U64(512 * SZ_1M, arm_level_size(0x10000, 2));
	EXPECT_U64(0x10000, arm_level_size(0x10000, 3));
}

TEST(arm_s1_layouts)
{
	struct arm_s1 t;
	struct gmem g;
	uint64_t *e, *root;

	ASSERT_EQ(0, gmem_init(&g, TGPA, 4 * SZ_1M, 4 * SZ_1M));
	/* 16K, 48 bits: a 2-entry level 0 (VA[47]) */
	ASSERT_EQ(0, arm_s1_init(&t, &g, 0x4000, 16));
	EXPECT_EQ(0, t.start);
	EXPECT_EQ(2, arm_entries(&t, 0));
	EXPECT_EQ(2048, arm_entries(&t, 1));
	EXPECT_EQ(1, arm_index(&t, 0x800000000000ULL, 0));
	e = arm_s1_map(&t, 0x800000004000ULL, 0x40100000, 3, ARM_LEAF_STD);
	ASSERT_NE(NULL, e);
	EXPECT_U64(0x40100000ULL | ARM_LEAF_STD | 3, *e);
	root = gmem_ptr(&g, t.root);
	EXPECT_U64(3, root[1] & 3);
	EXPECT_U64(0, root[0]);
	/* every table of a 16K walk is 16K-aligned; the page is L3 index 1 */
	EXPECT_U64(0, (arm_s1_entry_gpa(&t, 0x800000004000ULL, 3) - 8) % 0x4000);
	EXPECT_U64(0, (root[1] & ARM_OA) % 0x4000);

	/* 64K, 48 bits: a 64-entry level 1, 8192-entry levels 2 and 3 */
	ASSERT_EQ(0, arm_s1_init(&t, &g, 0x10000, 16));
	EXPECT_EQ(1, t.start);
	EXPECT_EQ(64, arm_entries(&t, 1));
	EXPECT_EQ(8192, arm_entries(&t, 2));
	EXPECT_EQ(0x3f, arm_index(&t, 0xfc0000000000ULL, 1));
	EXPECT_EQ(0x1fff, arm_index(&t, 0x3ffe0000000ULL, 2));
	/* a 512M block at level 2 */
	e = arm_s1_map(&t, 0x20000000, 0x40000000, 2, ARM_LEAF_STD);
	ASSERT_NE(NULL, e);
	EXPECT_U64(0x40000000ULL | ARM_LEAF_STD | 1, *e);
	EXPECT_EQ(NULL, arm_s1_entry_ptr(&t, 0x20010000, 3, true));

	/* 4K, 39 bits: start at level 1 with 512 entries */
	ASSERT_EQ(0, arm_s1_init(&t, &g, 0x1000, 25));
	EXPECT_EQ(1, t.start);
	EXPECT_EQ(512, arm_entries(&t, 1));
	EXPECT_EQ(1, arm_index(&t, NPT_1G, 1));
	gmem_free(&g);
}

TEST(smmu_cd_tables)
{
	struct smmu_cdtab t;
	struct gmem g;
	uint64_t *l1cd, gpa;

	ASSERT_EQ(0, gmem_init(&g, TGPA, 4 * SZ_1M, 4 * SZ_1M));
	/* linear, 16 CDs: 1 KiB aligned to its size */
	g.next = 64;
	ASSERT_EQ(0, smmu_cdtab_init(&t, &g, SMMU_S1FMT_LINEAR, 4));
	EXPECT_U64(TGPA + 0x400, t.base);
	EXPECT_U64(t.base + 3 * 64, smmu_cdtab_cd_gpa(&t, 3));
	EXPECT_EQ(NULL, smmu_cdtab_l1cd(&t, 3));

	/* S1Fmt 01, 1024 SSIDs: 16 L1CDs, L2 tables of 64 CDs (4K) */
	ASSERT_EQ(0, smmu_cdtab_init(&t, &g, SMMU_S1FMT_4K_L2, 10));
	EXPECT_U64(0, t.base % 128);
	l1cd = smmu_cdtab_l1cd(&t, 70);
	ASSERT_NE(NULL, l1cd);
	EXPECT_U64(t.base + 8, gmem_gpa(&g, l1cd));
	EXPECT_U64(0, *l1cd);
	gpa = smmu_cdtab_cd_gpa(&t, 70);
	EXPECT_U64(1, *l1cd & 0xfff);
	EXPECT_U64(0, (*l1cd & ~1ULL) % NPT_4K);
	EXPECT_U64((*l1cd & ~1ULL) + 6 * 64, gpa);
	/* the same L2 table for SSIDs 64..127 */
	EXPECT_U64((*l1cd & ~1ULL) + 63 * 64, smmu_cdtab_cd_gpa(&t, 127));

	/* S1Fmt 10, 2^16 SSIDs: 64 L1CDs, L2 tables of 1024 CDs (64K) */
	ASSERT_EQ(0, smmu_cdtab_init(&t, &g, SMMU_S1FMT_64K_L2, 16));
	EXPECT_U64(0, t.base % 512);
	gpa = smmu_cdtab_cd_gpa(&t, 1025);
	l1cd = smmu_cdtab_l1cd(&t, 1025);
	EXPECT_U64(t.base + 8, gmem_gpa(&g, l1cd));
	EXPECT_U64(0, (*l1cd & ~1ULL) % 0x10000);
	EXPECT_U64((*l1cd & ~1ULL) + 64, gpa);
	EXPECT_U64(0x40000001ULL, smmu_l1cd(0x40000fffULL, true));

	/* S1CDMax 0: one CD, whatever S1Fmt says */
	ASSERT_EQ(0, smmu_cdtab_init(&t, &g, SMMU_S1FMT_64K_L2, 0));
	EXPECT_U64(t.base, smmu_cdtab_cd_gpa(&t, 0));
	gmem_free(&g);
}

TEST(bit_helpers)
{
	uint64_t w[8] = {};

	words_set(w, 0);
	words_set(w, 89);
	words_set(w, 511);
	EXPECT_U64(1, w[0]);
	EXPECT_U64(BIT64(25), w[1]);
	EXPECT_U64(BIT64(63), w[7]);
	EXPECT_TRUE(words_test(w, 89));
	words_clear(w, 89);
	EXPECT_FALSE(words_test(w, 89));
	EXPECT_U64(0x0000fffffffff000ULL, GENMASK64(47, 12));
	EXPECT_U64(0x30, fld(GENMASK64(5, 4), 3));
	EXPECT_U64(3, fld_get(GENMASK64(5, 4), 0x3f));
}

TEST_HARNESS_MAIN
