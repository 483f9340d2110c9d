// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: executor page tables (hwpts).
 *
 * An IOASID's devices share its hwpts: one per executor and set of IOMMU
 * constraints that can use the same table.  A hwpt of an executor that
 * holds a programmed table (the kernel IOMMU API) mirrors the IOASID's
 * source: it is filled by the source's replay when made, then kept in sync
 * through the one update path below, which every source uses:
 *
 *   push  map runs of physical memory into every programmed hwpt of the
 *         IOASID, all or nothing; may allocate, so under the iopt lock only,
 *         before the source makes the new translation visible
 *   zap   unmap a range from every programmed hwpt and flush their IOTLBs;
 *         under the xlate lock held for writing, never allocating, so that
 *         a notifier may do it
 *
 * A hwpt of a walking executor (the software IOMMU) holds no table: the
 * executor asks the source per access.
 *
 * A hwpt no device uses any more stays on the IOASID's list, kept in sync,
 * so that the next ALLOW only attaches (building and filling a domain is most
 * of an ALLOW's cost).  Destroying the IOASID frees it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "ioasidfd_private.h"
#include "inject.h"

/* Runs given to an executor's map per call. */
#define IOASIDFD_MAP_RUNS	8192U

static void ioasidfd_hwpt_link(struct ioasidfd_hwpt *hwpt)
{
	struct ioasidfd_iopt *iopt = hwpt->iopt;

	lockdep_assert_held(&iopt->lock);
	down_write(&iopt->xlate);
	list_add_tail(&hwpt->item, &iopt->hwpts);
	up_write(&iopt->xlate);
	ioasidfd_count(IOASIDFD_CNT_HWPT, 1);
}

/* Frees a page table no device uses; the iopt lock is held. */
static void ioasidfd_hwpt_free(struct ioasidfd_hwpt *hwpt)
{
	struct ioasidfd_iopt *iopt = hwpt->iopt;

	lockdep_assert_held(&iopt->lock);
	WARN_ON(hwpt->users);
	down_write(&iopt->xlate);
	list_del(&hwpt->item);
	up_write(&iopt->xlate);
	hwpt->ops->hwpt_free(hwpt);
	ioasidfd_count(IOASIDFD_CNT_HWPT, -1);
}

/**
 * ioasidfd_hwpt_zap() - unmap a range from one programmed page table
 * @hwpt: the page table
 * @iova: first IOVA
 * @length: bytes, all of them mapped
 *
 * The IOTLB is flushed on return.
 */
void ioasidfd_hwpt_zap(struct ioasidfd_hwpt *hwpt, unsigned long iova,
		       unsigned long length)
{
	struct iommu_iotlb_gather gather;

	iommu_iotlb_gather_init(&gather);
	hwpt->ops->unmap(hwpt, iova, length, &gather);
	hwpt->ops->flush(hwpt, &gather);
}

/**
 * ioasidfd_hwpt_batch_init() - start a batch for one page table
 * @b: the batch
 * @hwpt: the page table
 * @npages: the most pages the batch will be given (sizes its run array)
 *
 * Return: 0, or -ENOMEM.
 */
int ioasidfd_hwpt_batch_init(struct ioasidfd_hwpt_batch *b,
			     struct ioasidfd_hwpt *hwpt, unsigned long npages)
{
	lockdep_assert_held(&hwpt->iopt->lock);
	*b = (struct ioasidfd_hwpt_batch){
		.hwpt = hwpt,
		.max = clamp_t(unsigned long, npages, 1, IOASIDFD_MAP_RUNS),
	};
	b->runs = kvmalloc_array(b->max, sizeof(*b->runs), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(b->runs, kvfree);
	return b->runs ? 0 : -ENOMEM;
}

/**
 * ioasidfd_hwpt_batch_flush() - map what a batch gathered
 * @b: the batch
 *
 * Return: 0, or the executor's error with nothing of the batch mapped.
 */
int ioasidfd_hwpt_batch_flush(struct ioasidfd_hwpt_batch *b)
{
	struct ioasidfd_hwpt *hwpt = b->hwpt;
	int rc;

	if (!b->nr)
		return 0;
	rc = hwpt->ops->map(hwpt, b->iova, b->runs, b->nr, b->prot | hwpt->prot,
			    GFP_KERNEL_ACCOUNT);
	b->nr = 0;
	if (rc)
		return rc;
	b->iova = b->end;
	cond_resched();
	return 0;
}

/**
 * ioasidfd_hwpt_batch_add() - add pinned pages to a batch
 * @b: the batch
 * @iova: where page @first goes
 * @p: the pinned memory
 * @first: first page of @p
 * @npages: pages from @first
 * @prot: IOMMU_* rights (the page table's own bits are added at the map)
 *
 * Physically contiguous pages become one run, so the executor can use its
 * largest page sizes.  What the batch holds is mapped first when @iova does
 * not follow it or @prot differs, and whenever the batch is full.
 *
 * Return: 0, or an error (see &struct ioasidfd_hwpt_batch for what is left
 * mapped).
 */
int ioasidfd_hwpt_batch_add(struct ioasidfd_hwpt_batch *b, unsigned long iova,
			    const struct ioasidfd_pages *p, unsigned long first,
			    unsigned long npages, int prot)
{
	unsigned long done = 0, n;
	int rc;

	if (b->nr && (iova != b->end || prot != b->prot)) {
		rc = ioasidfd_hwpt_batch_flush(b);
		if (rc)
			return rc;
	}
	if (!b->nr) {
		b->iova = iova;
		b->end = iova;
		b->prot = prot;
	}
	while (done < npages) {
		if (b->nr == b->max) {
			rc = ioasidfd_hwpt_batch_flush(b);
			if (rc)
				return rc;
		}
		b->nr += ioasidfd_pages_runs(p, first + done, npages - done,
					     b->runs + b->nr, b->max - b->nr, &n);
		done += n;
		b->end += n << PAGE_SHIFT;
	}
	return 0;
}

/* Ends a batch; what it gathered and did not flush is dropped. */
void ioasidfd_hwpt_batch_fini(struct ioasidfd_hwpt_batch *b)
{
	kvfree(b->runs);
	b->runs = NULL;
}

/*
 * Maps pinned pages into one page table; on error nothing of them is left
 * mapped there.
 */
static int ioasidfd_hwpt_push(struct ioasidfd_hwpt *hwpt, unsigned long iova,
			      const struct ioasidfd_pages *p,
			      unsigned long first, unsigned long npages,
			      int prot)
{
	struct ioasidfd_hwpt_batch b;
	int rc;

	rc = ioasidfd_hwpt_batch_init(&b, hwpt, npages);
	if (rc)
		return rc;
	rc = ioasidfd_hwpt_batch_add(&b, iova, p, first, npages, prot) ?:
	     ioasidfd_hwpt_batch_flush(&b);
	if (rc && b.iova > iova)
		ioasidfd_hwpt_zap(hwpt, iova, b.iova - iova);
	ioasidfd_hwpt_batch_fini(&b);
	return rc;
}

/**
 * ioasidfd_iopt_push() - map pinned pages into every programmed page table
 * @iopt: the translation, locked
 * @iova: where page @first goes
 * @p: the pinned memory
 * @first: first page of @p
 * @npages: pages from @first
 * @prot: IOMMU_* rights
 *
 * Called before the source makes the translation visible.
 *
 * Return: 0, or an error with nothing mapped in any page table.
 */
int ioasidfd_iopt_push(struct ioasidfd_iopt *iopt, unsigned long iova,
		       const struct ioasidfd_pages *p, unsigned long first,
		       unsigned long npages, int prot)
{
	struct ioasidfd_hwpt *hwpt;
	int rc;

	lockdep_assert_held(&iopt->lock);
	list_for_each_entry(hwpt, &iopt->hwpts, item) {
		if (hwpt->ops->walks)
			continue;
		rc = ioasidfd_hwpt_push(hwpt, iova, p, first, npages, prot);
		if (rc)
			goto err_zap;
	}
	return 0;

err_zap:
	list_for_each_entry_continue_reverse(hwpt, &iopt->hwpts, item)
		if (!hwpt->ops->walks)
			ioasidfd_hwpt_zap(hwpt, iova, npages << PAGE_SHIFT);
	return rc;
}

/* Maps @runs at @iova into @only, or into every programmed page table. */
static int ioasidfd_iopt_map_runs(struct ioasidfd_iopt *iopt, unsigned long iova,
				  const struct ioasidfd_pfn_run *runs,
				  unsigned int nr, int prot,
				  struct ioasidfd_hwpt *only, gfp_t gfp)
{
	struct ioasidfd_hwpt *hwpt;
	unsigned long len = 0;
	unsigned int i;
	int rc;

	for (i = 0; i < nr; i++)
		len += runs[i].npages << PAGE_SHIFT;
	if (only)
		return only->ops->map(only, iova, runs, nr, prot | only->prot,
				      gfp);
	list_for_each_entry(hwpt, &iopt->hwpts, item) {
		if (hwpt->ops->walks)
			continue;
		rc = hwpt->ops->map(hwpt, iova, runs, nr, prot | hwpt->prot,
				    gfp);
		if (rc)
			goto err_zap;
	}
	return 0;

err_zap:
	list_for_each_entry_continue_reverse(hwpt, &iopt->hwpts, item)
		if (!hwpt->ops->walks)
			ioasidfd_hwpt_zap(hwpt, iova, len);
	return rc;
}

/**
 * ioasidfd_iopt_push_runs_atomic() - map runs without sleeping
 * @iopt: the translation; its xlate lock is held for writing
 * @iova: where the first run goes
 * @runs: physical memory, contiguous in IOVA from @iova
 * @nr: entries in @runs
 * @prot: IOMMU_* rights
 * @only: map into this page table only (not on the list yet), or NULL for
 *        every programmed page table of @iopt
 *
 * For an mm mirror, which maps under the lock its MMU notifier takes.
 *
 * Return: 0, or an error with nothing of the range mapped anywhere.
 */
int ioasidfd_iopt_push_runs_atomic(struct ioasidfd_iopt *iopt,
				   unsigned long iova,
				   const struct ioasidfd_pfn_run *runs,
				   unsigned int nr, int prot,
				   struct ioasidfd_hwpt *only)
{
	lockdep_assert_held_write(&iopt->xlate);
	return ioasidfd_iopt_map_runs(iopt, iova, runs, nr, prot, only,
				      GFP_ATOMIC | __GFP_ACCOUNT);
}

/**
 * ioasidfd_iopt_push_runs() - map physical runs into programmed page tables
 * @iopt: the translation, locked (not its xlate lock: this allocates)
 * @iova: where the first run goes
 * @runs: physical memory, contiguous in IOVA from @iova
 * @nr: entries in @runs
 * @prot: IOMMU_* rights
 * @only: map into this page table only (not on the list yet), or NULL for
 *        every programmed page table of @iopt
 *
 * For a shadow, whose runs are gathered from many guest leaves: one map
 * call and one IOTLB sync per page table for all of them.  The caller owns
 * what the runs point at for as long as they are mapped.
 *
 * Return: 0, or an error with nothing of the range mapped anywhere.
 */
int ioasidfd_iopt_push_runs(struct ioasidfd_iopt *iopt, unsigned long iova,
			    const struct ioasidfd_pfn_run *runs,
			    unsigned int nr, int prot,
			    struct ioasidfd_hwpt *only)
{
	lockdep_assert_held(&iopt->lock);
	return ioasidfd_iopt_map_runs(iopt, iova, runs, nr, prot, only,
				      GFP_KERNEL_ACCOUNT);
}

/**
 * ioasidfd_iopt_zap() - remove a range from every programmed page table
 * @iopt: the translation; its xlate lock is held for writing
 * @iova: first IOVA
 * @length: bytes
 *
 * On return no device reaches the range through a page table of @iopt.
 */
void ioasidfd_iopt_zap(struct ioasidfd_iopt *iopt, unsigned long iova,
		       unsigned long length)
{
	struct ioasidfd_hwpt *hwpt;

	lockdep_assert_held_write(&iopt->xlate);
	list_for_each_entry(hwpt, &iopt->hwpts, item)
		if (!hwpt->ops->walks)
			ioasidfd_hwpt_zap(hwpt, iova, length);
}

/**
 * ioasidfd_iopt_programmed() - does the IOASID have a programmed page table?
 * @iopt: the translation, locked
 *
 * Return: true if a push would reach a page table.
 */
bool ioasidfd_iopt_programmed(struct ioasidfd_iopt *iopt)
{
	struct ioasidfd_hwpt *hwpt;

	lockdep_assert_held(&iopt->lock);
	list_for_each_entry(hwpt, &iopt->hwpts, item)
		if (!hwpt->ops->walks)
			return true;
	return false;
}

/**
 * ioasidfd_hwpt_prune() - drop idle page tables that cannot map a range
 * @iopt: the translation, locked
 * @start: first IOVA about to be mapped
 * @last: last IOVA
 *
 * The usable ranges keep a mapping inside the aperture of every page table
 * in use; one kept idle may not reach that far: it goes.
 */
void ioasidfd_hwpt_prune(struct ioasidfd_iopt *iopt, u64 start, u64 last)
{
	struct ioasidfd_hwpt *hwpt, *tmp;

	lockdep_assert_held(&iopt->lock);
	list_for_each_entry_safe(hwpt, tmp, &iopt->hwpts, item) {
		if (start >= hwpt->aperture.start && last <= hwpt->aperture.last)
			continue;
		if (!WARN_ON(hwpt->users))
			ioasidfd_hwpt_free(hwpt);
	}
}

/**
 * ioasidfd_hwpt_free_idle() - free the page tables no device uses
 * @iopt: the translation, locked; its IOASID is destroyed
 */
void ioasidfd_hwpt_free_idle(struct ioasidfd_iopt *iopt)
{
	struct ioasidfd_hwpt *hwpt, *tmp;

	lockdep_assert_held(&iopt->lock);
	list_for_each_entry_safe(hwpt, tmp, &iopt->hwpts, item)
		if (!hwpt->users)
			ioasidfd_hwpt_free(hwpt);
}

/* A new page table of @ops for the attachment's device, attached and filled. */
static struct ioasidfd_hwpt *ioasidfd_hwpt_create(struct ioasidfd_iopt *iopt,
						  struct ioasidfd_attach *attach)
{
	const struct ioasidfd_exec_ops *ops = attach->idev->exec;
	struct ioasidfd_hwpt *hwpt;
	int rc;

	hwpt = ops->hwpt_alloc(attach->idev);
	if (IS_ERR(hwpt))
		return hwpt;
	hwpt->ops = ops;
	hwpt->iopt = iopt;
	hwpt->prot = attach->idev->prot;
	/*
	 * Attach the empty table, then fill it: Linux 6.1's SMMUv3 driver
	 * builds a domain's page table at its first attach, and both it and
	 * VT-d fix the aperture only then.  Until the fill is done the
	 * device's DMA faults, as it did before.
	 */
	attach->hwpt = hwpt;
	rc = ops->attach(attach);
	if (rc)
		goto err_free;
	/* The executor's attach has fixed the device's aperture. */
	hwpt->aperture = attach->idev->aperture;
	rc = ioasidfd_iopt_check_attach(iopt, attach->idev, attach->wire_pasid);
	if (rc)
		goto err_detach;
	if (!ops->walks && iopt->src && iopt->src->replay_xlate) {
		/* Filled and listed in one hold: no zap of the source misses it */
		down_write(&iopt->xlate);
		rc = iopt->src->replay(iopt, hwpt, attach->idev);
		if (!rc)
			list_add_tail(&hwpt->item, &iopt->hwpts);
		up_write(&iopt->xlate);
		if (rc)
			goto err_detach;
		ioasidfd_count(IOASIDFD_CNT_HWPT, 1);
		return hwpt;
	}
	if (!ops->walks && iopt->src)
		rc = iopt->src->replay(iopt, hwpt, attach->idev);
	if (rc)
		goto err_detach;
	ioasidfd_hwpt_link(hwpt);
	return hwpt;

err_detach:
	ops->detach(attach);

err_free:
	attach->hwpt = NULL;
	ops->hwpt_free(hwpt);
	return ERR_PTR(rc);
}

/**
 * ioasidfd_hwpt_get() - attach a device through a page table of an IOASID
 * @iopt: the translation, locked
 * @attach: the attachment being made; its device lock is held
 *
 * Shares a page table where the executor accepts it; a refusal (6.1 drivers
 * say -EINVAL for an incompatible IOMMU instance) only means this device
 * needs one of its own, which is made, attached and filled.  Running out of
 * memory is no refusal: it fails the attachment.
 *
 * Return: 0 with @attach->hwpt set and holding a use, or an error.
 */
int ioasidfd_hwpt_get(struct ioasidfd_iopt *iopt, struct ioasidfd_attach *attach)
{
	const struct ioasidfd_exec_ops *ops = attach->idev->exec;
	struct ioasidfd_hwpt *hwpt;
	int rc;

	lockdep_assert_held(&iopt->lock);
	list_for_each_entry(hwpt, &iopt->hwpts, item) {
		if (hwpt->ops != ops || hwpt->prot != attach->idev->prot)
			continue;
		attach->hwpt = hwpt;
		rc = ops->attach(attach);
		if (!rc) {
			/* Joining may have narrowed it (6.1 VT-d lowers the AGAW). */
			hwpt->aperture = attach->idev->aperture;
			goto out;
		}
		if (rc == -ENOMEM) {
			attach->hwpt = NULL;
			return rc;
		}
	}
	hwpt = ioasidfd_hwpt_create(iopt, attach);
	if (IS_ERR(hwpt)) {
		attach->hwpt = NULL;
		return PTR_ERR(hwpt);
	}
out:
	hwpt->users++;
	return 0;
}

/**
 * ioasidfd_hwpt_put() - drop an attachment's use of a page table
 * @hwpt: the page table; its iopt lock is held
 *
 * The last use of a destroyed IOASID's page table frees it; otherwise it
 * stays for the next attachment.
 */
void ioasidfd_hwpt_put(struct ioasidfd_hwpt *hwpt)
{
	lockdep_assert_held(&hwpt->iopt->lock);
	if (--hwpt->users)
		return;
	if (test_bit(IOASIDFD_IOAS_DESTROYED, &hwpt->iopt->ioas->flags))
		ioasidfd_hwpt_free(hwpt);
}
