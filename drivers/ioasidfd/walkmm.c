// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: the nested walkers against the kernel's own page tables.
 *
 * The CPU's page tables are an IOMMU stage-1 format: x86-64's are VT-d
 * first-stage tables (which is why VT-d SVA can point a PASID entry at
 * mm->pgd), arm64's are VMSAv8-64 stage-1 tables (which an SMMUv3 CD's TTB0
 * can point at).  So the walkers of pgwalk.c can be checked against a
 * client nobody here wrote: the page tables Linux's own mm code builds for a
 * process.  ioasidfd_test_walk_mm() walks a range of an mm that way, with an
 * identity stage 2 (guest-physical = host-physical, read only), for the test
 * module, which compares the result with /proc/self/pagemap.
 *
 * Test-only: exported in the IOASIDFD_TEST namespace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>

#include "ioasidfd_private.h"
#include "pgfmt.h"

/* Identity stage 2 over RAM, for reading the CPU's tables. */
static struct page *ioasidfd_walkmm_s2(void *arg, u64 gpa, u32 need,
				       u32 *reason)
{
	unsigned long pfn = gpa >> PAGE_SHIFT;

	if (!pfn_valid(pfn)) {
		*reason = IOASIDFD_F_UNMAPPED;
		return NULL;
	}
	if (need & IOASIDFD_S1_WRITE) {
		*reason = IOASIDFD_F_PERMISSION;
		return NULL;
	}
	return pfn_to_page(pfn);
}

static const struct ioasidfd_nested_caps ioasidfd_walkmm_caps = {
	.flags = IOASIDFD_CAP_VTD_5LVL | IOASIDFD_CAP_VTD_1G |
		 IOASIDFD_CAP_SMMU_HTTU_A | IOASIDFD_CAP_SMMU_HTTU_D |
		 IOASIDFD_CAP_SMMU_ASID16,
	.haw = 52,
	.ias = 48,
	.oas = 48,
	.granules = IOASIDFD_GRAN_4K,
};

#ifdef CONFIG_X86_64
/* A first-stage PASID entry (VT-d 5.10 §9.6) whose root is the mm's PGD. */
static int ioasidfd_walkmm_cfg(struct mm_struct *mm, struct ioasidfd_s1_cfg *cfg,
			       u32 *format)
{
	struct ioasidfd_vtd_ctx ctx;
	u64 pe[8] = {};
	int rc;

	pe[0] = BIT_ULL(0) | (1ULL << 6);		/* P, PGTT 001b */
	pe[2] = virt_to_phys(mm->pgd) |		/* FSPTPTR */
		(pgtable_l5_enabled() ? 1ULL << 2 : 0);	/* FSPM */
	rc = ioasidfd_vtd_parse_pasid_entry(pe, &ioasidfd_walkmm_caps, &ctx);
	if (rc)
		return rc;
	*cfg = ctx.cfg;
	*format = IOASID_NESTED_FMT_VTD_FS;
	return 0;
}
#elif defined(CONFIG_ARM64)
/*
 * A CD (SMMUv3 §5.4) whose TTB0 is the mm's PGD, as an SVA CD would be:
 * 48-bit VA, 4 KiB granule, hardware access flag and dirty state (Linux
 * marks clean writable pages with DBM), no TTB1.
 */
static int ioasidfd_walkmm_cfg(struct mm_struct *mm, struct ioasidfd_s1_cfg *cfg,
			       u32 *format)
{
	const struct ioasidfd_smmu_ste ste = {
		.valid = true,
		.config = IOASIDFD_SMMU_STE_S1,
	};
	u64 cd[8] = {};

	cd[0] = (64 - VA_BITS) |			/* T0SZ, TG0 4K */
		BIT_ULL(30) | BIT_ULL(31) |		/* EPD1, V */
		(5ULL << 32) |				/* IPS 48 bits */
		BIT_ULL(41) | BIT_ULL(42) | BIT_ULL(43) | /* AA64, HD, HA */
		BIT_ULL(45) | BIT_ULL(46);		/* R, A */
	cd[1] = virt_to_phys(mm->pgd) & GENMASK_ULL(55, 4);
	*format = IOASID_NESTED_FMT_SMMUV3;
	return ioasidfd_smmu_parse_cd(cd, &ste, &ioasidfd_walkmm_caps, cfg);
}
#else
static int ioasidfd_walkmm_cfg(struct mm_struct *mm, struct ioasidfd_s1_cfg *cfg,
			       u32 *format)
{
	return -EOPNOTSUPP;
}
#endif

struct ioasidfd_walkmm {
	struct ioasidfd_test_walk_rec *recs;
	unsigned int max;
	unsigned int nr;
};

static int ioasidfd_walkmm_leaf(void *arg, const struct ioasidfd_s1_leaf *leaf,
				const struct ioasidfd_s1_fault *fault)
{
	struct ioasidfd_walkmm *w = arg;
	struct ioasidfd_test_walk_rec *r;

	if (fault)
		return 0;		/* holes are not reported */
	if (w->nr == w->max)
		return -ENOSPC;
	r = &w->recs[w->nr++];
	r->va = leaf->iova;
	r->size = leaf->size;
	r->pa = leaf->oa;
	r->perm = leaf->perm;
	r->level = leaf->level;
	return 0;
}

/**
 * ioasidfd_test_walk_mm() - walk an mm's CPU page tables with a nested walker
 * @mm: the mm, referenced by the caller (mmget())
 * @va: first virtual address
 * @len: bytes
 * @recs: returns one record per present leaf, in address order
 * @max: entries of @recs
 * @nr: returns the records written
 * @format: returns IOASID_NESTED_FMT_* of the walker used
 *
 * Unprivileged rights (a user-level request); holes are skipped.  Runs
 * under the mm's mmap lock, read, so the tables stay.
 *
 * Return: 0; -ENOSPC when @recs filled up; -EOPNOTSUPP on an architecture
 * whose CPU tables no walker reads; -EINVAL if the walk configuration is
 * refused.
 */
int ioasidfd_test_walk_mm(struct mm_struct *mm, u64 va, u64 len,
			  struct ioasidfd_test_walk_rec *recs, unsigned int max,
			  unsigned int *nr, u32 *format)
{
	const struct ioasidfd_s2_walk s2 = { .page = ioasidfd_walkmm_s2 };
	struct ioasidfd_walkmm w = { .recs = recs, .max = max };
	struct ioasidfd_s1_cfg cfg;
	int rc;

	*nr = 0;
	rc = ioasidfd_walkmm_cfg(mm, &cfg, format);
	if (rc)
		return rc;
	mmap_read_lock(mm);
	rc = ioasidfd_s1_walk_range(&cfg, &s2, va, va + len - 1, 0,
				    ioasidfd_walkmm_leaf, &w);
	mmap_read_unlock(mm);
	*nr = w.nr;
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_test_walk_mm, IOASIDFD_TEST);
