// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: IOVA address spaces.
 *
 * An IOASID in IOASID_MODE_IOVA holds areas: runs of pinned user pages at an
 * IOVA.  The areas are the truth; every executor page table (hwpt) the
 * IOASID uses mirrors them.  Pages are pinned once per area, whatever the
 * number of hwpts, and stay pinned until the area is unmapped from every hwpt
 * (the executors flush their IOTLBs before unmap returns) — never longer,
 * never shorter.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interval_tree_generic.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "ioasidfd_private.h"

/* Pages pinned per pin_user_pages_fast() call, and mapped per hwpt call. */
#define IOASIDFD_PIN_BATCH	1024UL
#define IOASIDFD_MAP_BATCH	8192UL

/* Largest MAP, in pages: its page array must stay below INT_MAX bytes. */
#define IOASIDFD_MAP_MAX_PAGES	BIT(28)

/**
 * struct ioasidfd_area - pinned user memory mapped at an IOVA
 * @node: in ioasidfd_iopt::areas
 * @start: first IOVA
 * @last: last IOVA (inclusive)
 * @subtree_last: interval tree bookkeeping
 * @pages: the pinned pages, @npages of them
 * @npages: pages in the area
 * @mm: the mm charged for @npages in locked_vm; mmgrab()ed
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @free_item: on a local list once out of the tree
 *
 * Immutable once in the tree; the tree is under the iopt lock.
 */
struct ioasidfd_area {
	struct rb_node node;
	u64 start;
	u64 last;
	u64 subtree_last;
	struct page **pages;
	unsigned long npages;
	struct mm_struct *mm;
	int prot;
	struct list_head free_item;
};

#define AREA_START(a)	((a)->start)
#define AREA_LAST(a)	((a)->last)
INTERVAL_TREE_DEFINE(struct ioasidfd_area, node, u64, subtree_last,
		     AREA_START, AREA_LAST, static, ioasidfd_area_it);

struct ioasidfd_iopt *ioasidfd_iopt_alloc(struct ioasidfd_ioas *ioas)
{
	struct ioasidfd_iopt *iopt;

	iopt = kzalloc(sizeof(*iopt), GFP_KERNEL_ACCOUNT);
	if (!iopt)
		return NULL;
	mutex_init(&iopt->lock);
	iopt->ioas = ioas;
	iopt->areas = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&iopt->hwpts);
	INIT_LIST_HEAD(&iopt->attachments);
	ioasidfd_count(IOASIDFD_CNT_IOPT, 1);
	return iopt;
}

/* Drops what the iopt holds outside itself; process context. */
void ioasidfd_iopt_release(struct ioasidfd_iopt *iopt)
{
	if (iopt && iopt->fault_queue) {
		ioasidfd_fault_queue_put(iopt->fault_queue);
		iopt->fault_queue = NULL;
	}
}

/* May run from an RCU callback: the iopt is empty by now. */
void ioasidfd_iopt_free(struct ioasidfd_iopt *iopt)
{
	if (!iopt)
		return;
	WARN_ON(!RB_EMPTY_ROOT(&iopt->areas.rb_root) ||
		!list_empty(&iopt->hwpts) || !list_empty(&iopt->attachments));
	mutex_destroy(&iopt->lock);
	kfree(iopt);
	ioasidfd_count(IOASIDFD_CNT_IOPT, -1);
}

/* Memory accounting against RLIMIT_MEMLOCK of the mapping task. */
static int ioasidfd_charge(struct mm_struct *mm, unsigned long npages)
{
	return account_locked_vm(mm, npages, true);
}

static void ioasidfd_uncharge(struct mm_struct *mm, unsigned long npages)
{
	/* An mm that has exited has no locked_vm left to give back. */
	if (mmget_not_zero(mm)) {
		account_locked_vm(mm, npages, false);
		mmput(mm);
	}
}

static void ioasidfd_area_free(struct ioasidfd_area *area)
{
	unpin_user_pages_dirty_lock(area->pages, area->npages,
				    area->prot & IOMMU_WRITE);
	ioasidfd_count(IOASIDFD_CNT_PINNED, -(long)area->npages);
	ioasidfd_uncharge(area->mm, area->npages);
	mmdrop(area->mm);
	kvfree(area->pages);
	kfree(area);
	ioasidfd_count(IOASIDFD_CNT_AREA, -1);
}

/* Charges, then pins [uva, uva + length).  Nothing is left behind on error. */
static struct ioasidfd_area *ioasidfd_area_pin(unsigned long uva, u64 length,
					       int prot)
{
	unsigned int gup = FOLL_LONGTERM | (prot & IOMMU_WRITE ? FOLL_WRITE : 0);
	unsigned long npages = length >> PAGE_SHIFT, done = 0;
	struct ioasidfd_area *area;
	int rc;

	area = kzalloc(sizeof(*area), GFP_KERNEL_ACCOUNT);
	if (!area)
		return ERR_PTR(-ENOMEM);
	area->npages = npages;
	area->prot = prot;
	area->mm = current->mm;
	mmgrab(area->mm);

	/* Charge first: past RLIMIT_MEMLOCK nothing else is worth doing. */
	rc = ioasidfd_charge(area->mm, npages);
	if (rc)
		goto err_mm;
	area->pages = kvmalloc_array(npages, sizeof(*area->pages),
				     GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!area->pages) {
		rc = -ENOMEM;
		goto err_uncharge;
	}

	while (done < npages) {
		unsigned long n = min(npages - done, IOASIDFD_PIN_BATCH);

		rc = pin_user_pages_fast(uva + (done << PAGE_SHIFT), n, gup,
					 area->pages + done);
		if (rc <= 0) {
			rc = rc ?: -EFAULT;
			goto err_unpin;
		}
		done += rc;
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			goto err_unpin;
		}
		cond_resched();
	}
	ioasidfd_count(IOASIDFD_CNT_PINNED, npages);
	ioasidfd_count(IOASIDFD_CNT_AREA, 1);
	return area;

err_unpin:
	unpin_user_pages(area->pages, done);
	kvfree(area->pages);
err_uncharge:
	ioasidfd_uncharge(area->mm, npages);
err_mm:
	mmdrop(area->mm);
	kfree(area);
	return ERR_PTR(rc);
}

static int ioasidfd_hwpt_map_area(struct ioasidfd_hwpt *hwpt,
				  struct ioasidfd_area *area)
{
	unsigned long done = 0;
	int rc;

	while (done < area->npages) {
		unsigned long n = min(area->npages - done, IOASIDFD_MAP_BATCH);

		rc = hwpt->ops->map(hwpt, area->start + (done << PAGE_SHIFT),
				    area->pages + done, n,
				    area->prot | hwpt->prot);
		if (rc) {
			if (done)
				hwpt->ops->unmap(hwpt, area->start,
						 done << PAGE_SHIFT);
			return rc;
		}
		done += n;
		cond_resched();
	}
	return 0;
}

static void ioasidfd_hwpt_unmap_area(struct ioasidfd_hwpt *hwpt,
				     struct ioasidfd_area *area)
{
	hwpt->ops->unmap(hwpt, area->start, area->last - area->start + 1);
}

/* Maps @area into every hwpt of @iopt, or into none. */
static int ioasidfd_iopt_map_area(struct ioasidfd_iopt *iopt,
				  struct ioasidfd_area *area)
{
	struct ioasidfd_hwpt *hwpt, *tmp;
	int rc;

	lockdep_assert_held(&iopt->lock);
	/*
	 * The usable ranges keep a mapping inside the aperture of every page
	 * table in use; one kept idle may not reach that far: it goes.
	 */
	list_for_each_entry_safe(hwpt, tmp, &iopt->hwpts, item) {
		if (area->start >= hwpt->aperture.start &&
		    area->last <= hwpt->aperture.last)
			continue;
		if (!WARN_ON(hwpt->users))
			ioasidfd_hwpt_free(hwpt);
	}
	list_for_each_entry(hwpt, &iopt->hwpts, item) {
		rc = ioasidfd_hwpt_map_area(hwpt, area);
		if (rc)
			goto err_unmap;
	}
	return 0;

err_unmap:
	list_for_each_entry_continue_reverse(hwpt, &iopt->hwpts, item)
		ioasidfd_hwpt_unmap_area(hwpt, area);
	return rc;
}

/* Takes @area out of the tree and of every hwpt; the caller frees it. */
static void ioasidfd_iopt_remove_area(struct ioasidfd_iopt *iopt,
				      struct ioasidfd_area *area)
{
	struct ioasidfd_hwpt *hwpt;

	lockdep_assert_held(&iopt->lock);
	list_for_each_entry(hwpt, &iopt->hwpts, item)
		ioasidfd_hwpt_unmap_area(hwpt, area);
	ioasidfd_area_it_remove(area, &iopt->areas);
	iopt->nr_areas--;
	iopt->mapped_bytes -= area->last - area->start + 1;
}

/**
 * ioasidfd_iopt_fill_hwpt() - map every area into a new page table
 * @iopt: the IOASID translation, locked
 * @hwpt: an empty page table about to join @iopt
 *
 * Return: 0, or an error with @hwpt left empty.
 */
int ioasidfd_iopt_fill_hwpt(struct ioasidfd_iopt *iopt,
			    struct ioasidfd_hwpt *hwpt)
{
	struct ioasidfd_area *area, *done;
	int rc;

	lockdep_assert_held(&iopt->lock);
	for (area = ioasidfd_area_it_iter_first(&iopt->areas, 0, U64_MAX); area;
	     area = ioasidfd_area_it_iter_next(area, 0, U64_MAX)) {
		rc = ioasidfd_hwpt_map_area(hwpt, area);
		if (rc)
			goto err_unmap;
	}
	return 0;

err_unmap:
	for (done = ioasidfd_area_it_iter_first(&iopt->areas, 0, U64_MAX);
	     done != area;
	     done = ioasidfd_area_it_iter_next(done, 0, U64_MAX))
		ioasidfd_hwpt_unmap_area(hwpt, done);
	return rc;
}

/**
 * ioasidfd_iopt_wipe() - remove all translation of a destroyed IOASID
 * @iopt: the translation
 *
 * On return no hwpt of @iopt maps anything, so the DMA of every device still
 * attached faults, and the memory is unpinned.
 */
void ioasidfd_iopt_wipe(struct ioasidfd_iopt *iopt)
{
	struct ioasidfd_area *area, *next;
	struct ioasidfd_hwpt *hwpt, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&iopt->lock);
	while ((area = ioasidfd_area_it_iter_first(&iopt->areas, 0, U64_MAX))) {
		ioasidfd_iopt_remove_area(iopt, area);
		list_add_tail(&area->free_item, &dead);
	}
	/* Page tables kept for a next ALLOW have no future now. */
	list_for_each_entry_safe(hwpt, tmp, &iopt->hwpts, item)
		if (!hwpt->users)
			ioasidfd_hwpt_free(hwpt);
	mutex_unlock(&iopt->lock);

	list_for_each_entry_safe(area, next, &dead, free_item) {
		ioasidfd_area_free(area);
		cond_resched();
	}
}

/* A growable array of sorted, disjoint inclusive ranges. */
struct ioasidfd_ranges {
	struct ioasid_iova_range *r;
	unsigned int nr;
	unsigned int alloc;
};

static int ioasidfd_ranges_push(struct ioasidfd_ranges *rs, u64 start, u64 last)
{
	if (rs->nr == rs->alloc) {
		unsigned int n = rs->alloc ? 2 * rs->alloc : 8;
		void *p = krealloc_array(rs->r, n, sizeof(*rs->r), GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		rs->r = p;
		rs->alloc = n;
	}
	rs->r[rs->nr].start = start;
	rs->r[rs->nr].last = last;
	rs->nr++;
	return 0;
}

/* Keeps the parts of each range inside [start, last] (or outside, if !keep). */
static int ioasidfd_ranges_clip(struct ioasidfd_ranges *rs, u64 start, u64 last,
				bool keep)
{
	struct ioasidfd_ranges out = {};
	unsigned int i;
	int rc = 0;

	for (i = 0; i < rs->nr && !rc; i++) {
		u64 s = rs->r[i].start, l = rs->r[i].last;

		if (keep) {
			if (l < start || s > last)
				continue;
			rc = ioasidfd_ranges_push(&out, max(s, start), min(l, last));
			continue;
		}
		if (l < start || s > last) {
			rc = ioasidfd_ranges_push(&out, s, l);
			continue;
		}
		if (s < start)
			rc = ioasidfd_ranges_push(&out, s, start - 1);
		if (!rc && l > last)
			rc = ioasidfd_ranges_push(&out, last + 1, l);
	}
	kfree(rs->r);
	if (rc) {
		kfree(out.r);
		out = (struct ioasidfd_ranges){};
	}
	*rs = out;
	return rc;
}

static int ioasidfd_ranges_device(struct ioasidfd_ranges *rs,
				  struct ioasidfd_device *idev)
{
	unsigned int i;
	int rc;

	rc = ioasidfd_ranges_clip(rs, idev->aperture.start, idev->aperture.last,
				  true);
	for (i = 0; i < idev->nr_resv && !rc; i++)
		rc = ioasidfd_ranges_clip(rs, idev->resv[i].start,
					  idev->resv[i].last, false);
	return rc;
}

/* Usable IOVA ranges of @iopt (locked): every attached device allows them. */
static int ioasidfd_iopt_usable(struct ioasidfd_iopt *iopt,
				struct ioasidfd_ranges *rs)
{
	struct ioasidfd_attach *attach;
	int rc;

	*rs = (struct ioasidfd_ranges){};
	rc = ioasidfd_ranges_push(rs, 0, U64_MAX);
	if (!iopt || rc)
		return rc;
	lockdep_assert_held(&iopt->lock);
	list_for_each_entry(attach, &iopt->attachments, item) {
		rc = ioasidfd_ranges_device(rs, attach->idev);
		if (!rc)
			rc = ioasidfd_ranges_clip(rs, attach->hwpt->aperture.start,
						  attach->hwpt->aperture.last,
						  true);
		if (rc)
			return rc;
	}
	return 0;
}

/**
 * ioasidfd_iopt_iova_ranges() - the IOVA ranges an IOASID can map now
 * @iopt: the translation, or NULL if the IOASID was never used
 * @out: returns a kmalloc()ed array the caller frees
 *
 * Return: the number of ranges, or -ENOMEM.
 */
int ioasidfd_iopt_iova_ranges(struct ioasidfd_iopt *iopt,
			      struct ioasid_iova_range **out)
{
	struct ioasidfd_ranges rs;
	int rc;

	if (iopt)
		mutex_lock(&iopt->lock);
	rc = ioasidfd_iopt_usable(iopt, &rs);
	if (iopt)
		mutex_unlock(&iopt->lock);
	if (rc) {
		kfree(rs.r);
		return rc;
	}
	*out = rs.r;
	return rs.nr;
}

static bool ioasidfd_range_inside(const struct ioasid_iova_range *r, u64 start,
				  u64 last)
{
	return start >= r->start && last <= r->last;
}

/**
 * ioasidfd_iopt_check_device() - can a device join an IOASID's users?
 * @iopt: the translation, locked
 * @idev: the device
 *
 * Return: 0, or -ERANGE if a mapping lies outside the device's aperture or
 * over one of its reserved regions.
 */
int ioasidfd_iopt_check_device(struct ioasidfd_iopt *iopt,
			       struct ioasidfd_device *idev)
{
	struct ioasidfd_area *area;
	unsigned int i;

	lockdep_assert_held(&iopt->lock);
	for (area = ioasidfd_area_it_iter_first(&iopt->areas, 0, U64_MAX); area;
	     area = ioasidfd_area_it_iter_next(area, 0, U64_MAX)) {
		if (!ioasidfd_range_inside(&idev->aperture, area->start,
					   area->last))
			return -ERANGE;
		for (i = 0; i < idev->nr_resv; i++)
			if (area->start <= idev->resv[i].last &&
			    area->last >= idev->resv[i].start)
				return -ERANGE;
	}
	return 0;
}

/*
 * Picks the lowest free IOVA for @length bytes, aligned like @uva up to 1 GiB
 * so that huge pages can be mapped as such.  IOVA 0 is never picked: too
 * many drivers take a 0 DMA address for "none".
 */
static int ioasidfd_iopt_alloc_iova(struct ioasidfd_iopt *iopt,
				    struct ioasidfd_ranges *rs,
				    unsigned long uva, u64 length, u64 *iova)
{
	u64 align = min_t(u64, 1ULL << __ffs(uva), SZ_1G);
	unsigned int i;

	align = min_t(u64, align, rounddown_pow_of_two(length));
	for (i = 0; i < rs->nr; i++) {
		u64 cand = ALIGN(max(rs->r[i].start, align), align);
		struct ioasidfd_area *area;

		while (cand >= rs->r[i].start && cand <= rs->r[i].last &&
		       length - 1 <= rs->r[i].last - cand) {
			area = ioasidfd_area_it_iter_first(&iopt->areas, cand,
							   cand + length - 1);
			if (!area) {
				*iova = cand;
				return 0;
			}
			/* Past the area, unless that wraps around. */
			if (area->last > U64_MAX - align)
				break;
			cand = ALIGN(area->last + 1, align);
		}
	}
	return -ENOSPC;
}

int ioasidfd_map_ioctl(struct ioasidfd_ucmd *ucmd)
{
	const u32 valid = IOASID_MAP_READ | IOASID_MAP_WRITE |
			  IOASID_MAP_FIXED_IOVA;
	struct ioasid_map *cmd = ucmd->cmd;
	struct ioasidfd_area *area;
	struct ioasidfd_ioas *ioas;
	struct ioasidfd_iopt *iopt;
	struct ioasidfd_ranges rs = {};
	unsigned int i;
	int prot = 0;
	u64 iova;
	int rc;

	if (cmd->flags & ~valid || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->flags & IOASID_MAP_READ)
		prot |= IOMMU_READ;
	if (cmd->flags & IOASID_MAP_WRITE)
		prot |= IOMMU_WRITE;
	if (!prot || !cmd->length || !PAGE_ALIGNED(cmd->length) ||
	    !PAGE_ALIGNED(cmd->user_va) ||
	    cmd->length >> PAGE_SHIFT > IOASIDFD_MAP_MAX_PAGES)
		return -EINVAL;
	if (cmd->flags & IOASID_MAP_FIXED_IOVA) {
		if (!PAGE_ALIGNED(cmd->iova))
			return -EINVAL;
		if (cmd->iova + cmd->length - 1 < cmd->iova)
			return -EOVERFLOW;
	} else if (cmd->iova) {
		return -EINVAL;
	}
	if (cmd->user_va + cmd->length - 1 < cmd->user_va)
		return -EOVERFLOW;
	if (cmd->user_va + cmd->length > TASK_SIZE)
		return -EFAULT;

	ioas = ioasidfd_ioas_lookup(ucmd->ctx, cmd->pasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	iopt = ioasidfd_ioas_iopt(ioas);
	if (!iopt) {
		rc = -ENOMEM;
		goto out_put;
	}

	/* Pin outside the lock: it is the slow part, and may fault pages in. */
	area = ioasidfd_area_pin(cmd->user_va, cmd->length, prot);
	if (IS_ERR(area)) {
		rc = PTR_ERR(area);
		goto out_put;
	}

	mutex_lock(&iopt->lock);
	if (test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags)) {
		rc = -ENOENT;
		goto err_unlock;
	}
	if (iopt->mode != IOASID_MODE_NONE && iopt->mode != IOASID_MODE_IOVA) {
		rc = -EMEDIUMTYPE;
		goto err_unlock;
	}
	rc = ioasidfd_iopt_usable(iopt, &rs);
	if (rc)
		goto err_unlock;
	if (cmd->flags & IOASID_MAP_FIXED_IOVA) {
		iova = cmd->iova;
		rc = -ERANGE;
		for (i = 0; i < rs.nr; i++)
			if (ioasidfd_range_inside(&rs.r[i], iova,
						  iova + cmd->length - 1))
				rc = 0;
		if (rc)
			goto err_unlock;
		if (ioasidfd_area_it_iter_first(&iopt->areas, iova,
						iova + cmd->length - 1)) {
			rc = -EEXIST;
			goto err_unlock;
		}
	} else {
		rc = ioasidfd_iopt_alloc_iova(iopt, &rs, cmd->user_va,
					      cmd->length, &iova);
		if (rc)
			goto err_unlock;
	}
	area->start = iova;
	area->last = iova + cmd->length - 1;
	rc = ioasidfd_iopt_map_area(iopt, area);
	if (rc)
		goto err_unlock;
	ioasidfd_area_it_insert(area, &iopt->areas);
	iopt->nr_areas++;
	iopt->mapped_bytes += cmd->length;
	iopt->mode = IOASID_MODE_IOVA;
	mutex_unlock(&iopt->lock);
	kfree(rs.r);

	cmd->iova = iova;
	rc = ioasidfd_ucmd_respond(ucmd);
	if (rc) {
		/* The caller cannot know the IOVA: take the mapping back. */
		mutex_lock(&iopt->lock);
		if (ioasidfd_area_it_iter_first(&iopt->areas, area->start,
						area->last) == area)
			ioasidfd_iopt_remove_area(iopt, area);
		else
			area = NULL;	/* a concurrent UNMAP or DESTROY took it */
		mutex_unlock(&iopt->lock);
		if (area)
			ioasidfd_area_free(area);
	}
	goto out_put;

err_unlock:
	mutex_unlock(&iopt->lock);
	kfree(rs.r);
	ioasidfd_area_free(area);
out_put:
	ioasidfd_ioas_put(ioas);
	return rc;
}

int ioasidfd_unmap_ioctl(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_unmap *cmd = ucmd->cmd;
	struct ioasidfd_area *area, *next;
	struct ioasidfd_ioas *ioas;
	struct ioasidfd_iopt *iopt;
	u64 start, last, unmapped = 0;
	LIST_HEAD(dead);
	int rc = 0;

	if (cmd->flags & ~IOASID_UNMAP_ALL || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->flags & IOASID_UNMAP_ALL) {
		if (cmd->iova || cmd->length)
			return -EINVAL;
		start = 0;
		last = U64_MAX;
	} else {
		if (!cmd->length || !PAGE_ALIGNED(cmd->iova) ||
		    !PAGE_ALIGNED(cmd->length))
			return -EINVAL;
		if (cmd->iova + cmd->length - 1 < cmd->iova)
			return -EOVERFLOW;
		start = cmd->iova;
		last = cmd->iova + cmd->length - 1;
	}

	ioas = ioasidfd_ioas_lookup(ucmd->ctx, cmd->pasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/* UNMAP_ALL of an IOASID that maps nothing succeeds with 0 bytes. */
	rc = cmd->flags & IOASID_UNMAP_ALL ? 0 : -ENOENT;
	/* Pairs with the cmpxchg() in ioasidfd_ioas_iopt(). */
	iopt = smp_load_acquire(&ioas->iopt);
	if (!iopt)
		goto out_respond;

	mutex_lock(&iopt->lock);
	if (test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags)) {
		rc = -ENOENT;
		goto out_unlock;
	}
	/* Mappings are never split: refuse before touching anything. */
	for (area = ioasidfd_area_it_iter_first(&iopt->areas, start, last); area;
	     area = ioasidfd_area_it_iter_next(area, start, last)) {
		if (area->start < start || area->last > last) {
			rc = -EINVAL;
			goto out_unlock;
		}
		unmapped += area->last - area->start + 1;
		rc = 0;
	}
	if (rc)
		goto out_unlock;
	/* Answer first, so that a failed call has changed nothing. */
	cmd->length = unmapped;
	rc = ioasidfd_ucmd_respond(ucmd);
	if (rc)
		goto out_unlock;
	while ((area = ioasidfd_area_it_iter_first(&iopt->areas, start, last))) {
		ioasidfd_iopt_remove_area(iopt, area);
		list_add_tail(&area->free_item, &dead);
	}
out_unlock:
	mutex_unlock(&iopt->lock);

	/* Every IOTLB is flushed: the pages can go. */
	list_for_each_entry_safe(area, next, &dead, free_item)
		ioasidfd_area_free(area);
	ioasidfd_ioas_put(ioas);
	return rc;

out_respond:
	if (!rc) {
		cmd->length = 0;
		rc = ioasidfd_ucmd_respond(ucmd);
	}
	ioasidfd_ioas_put(ioas);
	return rc;
}
