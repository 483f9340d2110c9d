// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: the IOVA-map translation source (IOASID_MODE_IOVA).
 *
 * The source holds areas: runs of pinned user pages at an IOVA, in an
 * interval tree.  The areas are the truth; every programmed page table of
 * the IOASID mirrors them through the update path of hwpt.c, and walking
 * executors look them up per access.  Pages are pinned once per area,
 * whatever the number of page tables, and stay pinned until the area is
 * out of the tree and zapped from every page table (IOTLBs flushed) —
 * never longer, never shorter.
 *
 * MAP pins outside every lock, pushes into the page tables under the iopt
 * lock, then inserts the area into the tree under xlate; UNMAP takes areas
 * out of the tree and zaps them under xlate, then unpins.  So a walking
 * executor or a nested child, which read the tree under xlate, never see an
 * area that is not mapped everywhere, nor one whose pages are going.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interval_tree_generic.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "ioasidfd_private.h"
#include "inject.h"

/* Largest MAP, in pages: its page array must stay below INT_MAX bytes. */
#define IOASIDFD_MAP_MAX_PAGES	BIT(28)

/**
 * struct ioasidfd_area - pinned user memory mapped at an IOVA
 * @node: in ioasidfd_iova::areas
 * @start: first IOVA
 * @last: last IOVA (inclusive)
 * @subtree_last: interval tree bookkeeping
 * @pages: the pinned memory
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @installed: this mapping gave the IOASID its mode (its first MAP)
 * @free_item: on a local list once out of the tree
 * @id: unique for the module's lifetime: names the mapping to its MAP,
 *      which may not touch it once the iopt lock is dropped
 *
 * Immutable once in the tree.
 */
struct ioasidfd_area {
	struct rb_node node;
	u64 start;
	u64 last;
	u64 subtree_last;
	struct ioasidfd_pages pages;
	int prot;
	bool installed;
	struct list_head free_item;
	u64 id;
};

/* Names mappings for ioasidfd_iova_undo_map(), which must not guess. */
static atomic64_t ioasidfd_area_ids = ATOMIC64_INIT(0);

/**
 * struct ioasidfd_iova - the state of an IOVA-map source
 * @areas: the mappings; changed with the iopt lock and the xlate lock held
 *         for writing, read under either
 * @nr_areas: number of @areas (iopt lock)
 * @mapped_bytes: bytes covered by @areas (iopt lock)
 * @rcu: freed after a grace period: fdinfo reads @nr_areas under RCU
 */
struct ioasidfd_iova {
	struct rb_root_cached areas;
	unsigned long nr_areas;
	u64 mapped_bytes;
	struct rcu_head rcu;
};

#define AREA_START(a)	((a)->start)
#define AREA_LAST(a)	((a)->last)
INTERVAL_TREE_DEFINE(struct ioasidfd_area, node, u64, subtree_last,
		     AREA_START, AREA_LAST, static, ioasidfd_area_it);

static struct ioasidfd_iova *ioasidfd_iova(struct ioasidfd_iopt *iopt)
{
	return iopt->src == &ioasidfd_iova_source ? iopt->src_priv : NULL;
}

static u64 ioasidfd_area_length(const struct ioasidfd_area *area)
{
	return area->last - area->start + 1;
}

static void ioasidfd_area_free(struct ioasidfd_area *area)
{
	ioasidfd_pages_unpin(&area->pages);
	kfree(area);
	ioasidfd_count(IOASIDFD_CNT_AREA, -1);
}

/* Takes @area out of the tree and of every page table; xlate held. */
static void ioasidfd_iova_remove(struct ioasidfd_iopt *iopt,
				 struct ioasidfd_iova *iv,
				 struct ioasidfd_area *area)
{
	lockdep_assert_held_write(&iopt->xlate);
	ioasidfd_area_it_remove(area, &iv->areas);
	ioasidfd_iopt_zap(iopt, area->start, ioasidfd_area_length(area));
	ioasidfd_iopt_parent_zap(iopt, area->start, area->last);
	iv->nr_areas--;
	iv->mapped_bytes -= ioasidfd_area_length(area);
}

/*
 * Every mapping into @hwpt, in IOVA order, through one batch: mappings that
 * are adjacent in IOVA with the same rights share map calls and IOTLB
 * syncs (many small MAPs of one buffer replay as one).
 */
static int ioasidfd_iova_replay(struct ioasidfd_iopt *iopt,
				struct ioasidfd_hwpt *hwpt,
				struct ioasidfd_device *idev)
{
	struct ioasidfd_iova *iv = iopt->src_priv;
	struct ioasidfd_hwpt_batch b;
	struct iommu_iotlb_gather gather;
	struct ioasidfd_area *area;
	int rc;

	lockdep_assert_held(&iopt->lock);
	if (!iv->nr_areas)
		return 0;
	rc = ioasidfd_hwpt_batch_init(&b, hwpt, iv->mapped_bytes >> PAGE_SHIFT);
	if (rc)
		return rc;
	for (area = ioasidfd_area_it_iter_first(&iv->areas, 0, U64_MAX); area;
	     area = ioasidfd_area_it_iter_next(area, 0, U64_MAX)) {
		rc = ioasidfd_hwpt_batch_add(&b, area->start, &area->pages, 0,
					     area->pages.npages, area->prot);
		if (rc)
			goto err_unmap;
	}
	rc = ioasidfd_hwpt_batch_flush(&b);
	if (rc)
		goto err_unmap;
	ioasidfd_hwpt_batch_fini(&b);
	return 0;

err_unmap:
	/* What lies below b.iova is mapped: the mappings, not the holes. */
	iommu_iotlb_gather_init(&gather);
	for (area = ioasidfd_area_it_iter_first(&iv->areas, 0, b.iova - 1);
	     area && area->start < b.iova;
	     area = ioasidfd_area_it_iter_next(area, 0, b.iova - 1))
		hwpt->ops->unmap(hwpt, area->start,
				 min_t(u64, area->last + 1, b.iova) - area->start,
				 &gather);
	hwpt->ops->flush(hwpt, &gather);
	ioasidfd_hwpt_batch_fini(&b);
	return rc;
}

/*
 * Every mapping must lie inside the device's aperture, off its reserved
 * regions: the lowest start and the highest end of the tree for the one,
 * an interval lookup per region for the other, whatever the number of
 * mappings.
 */
static int ioasidfd_iova_check_attach(struct ioasidfd_iopt *iopt,
				      struct ioasidfd_device *idev,
				      u32 wire_pasid)
{
	struct ioasidfd_iova *iv = iopt->src_priv;
	struct ioasidfd_area *first, *top;
	struct rb_node *leftmost;
	unsigned int i;

	lockdep_assert_held(&iopt->lock);
	leftmost = rb_first_cached(&iv->areas);
	if (!leftmost)
		return 0;
	first = rb_entry(leftmost, struct ioasidfd_area, node);
	top = rb_entry(iv->areas.rb_root.rb_node, struct ioasidfd_area, node);
	/* The root's subtree_last is the highest last IOVA of all */
	if (first->start < idev->aperture.start ||
	    top->subtree_last > idev->aperture.last)
		return -ERANGE;
	for (i = 0; i < idev->nr_resv; i++)
		if (ioasidfd_area_it_iter_first(&iv->areas, idev->resv[i].start,
						idev->resv[i].last))
			return -ERANGE;
	return 0;
}

/* Stage 2 is stable under the iopt lock or the xlate lock. */
static void ioasidfd_iova_assert_stable(struct ioasidfd_iopt *iopt)
{
	lockdep_assert(lockdep_is_held(&iopt->lock) ||
		       lockdep_is_held(&iopt->xlate));
}

/**
 * ioasidfd_iova_find() - the mapping an IOVA falls in
 * @iopt: the translation; its lock or its xlate lock is held
 * @iova: the address
 * @index: returns the index of @iova's page in the mapping's pages
 * @last: returns the mapping's last IOVA; or, when nothing maps @iova, the
 *        last IOVA of the hole (U64_MAX if no mapping follows)
 * @prot: returns its IOMMU_* rights
 *
 * Return: the mapping's pinned pages, or NULL if nothing maps @iova.
 */
const struct ioasidfd_pages *ioasidfd_iova_find(struct ioasidfd_iopt *iopt,
						u64 iova, unsigned long *index,
						u64 *last, int *prot)
{
	struct ioasidfd_iova *iv = ioasidfd_iova(iopt);
	struct ioasidfd_area *area;

	ioasidfd_iova_assert_stable(iopt);
	area = iv ? ioasidfd_area_it_iter_first(&iv->areas, iova, U64_MAX) :
	       NULL;
	if (!area || area->start > iova) {
		/* A hole: up to the next mapping */
		*last = area ? area->start - 1 : U64_MAX;
		return NULL;
	}
	*index = (iova - area->start) >> PAGE_SHIFT;
	*last = area->last;
	*prot = area->prot;
	return &area->pages;
}

/**
 * ioasidfd_iova_page() - the page an IOVA of an IOVA-map source names
 * @iopt: the translation; its lock or its xlate lock is held
 * @iova: the address
 * @rights: IOASIDFD_ACC_READ and/or IOASIDFD_ACC_WRITE needed
 * @reason: returns IOASID_FAULT_REASON_UNMAPPED or _PERMISSION on failure
 *
 * The stage-2 lookup of nested children, and the software executor's.
 *
 * Return: the pinned page, valid while xlate is held, or NULL.
 */
struct page *ioasidfd_iova_page(struct ioasidfd_iopt *iopt, u64 iova,
				u32 rights, u32 *reason)
{
	struct ioasidfd_iova *iv = ioasidfd_iova(iopt);
	struct ioasidfd_area *area;

	ioasidfd_iova_assert_stable(iopt);
	area = iv ? ioasidfd_area_it_iter_first(&iv->areas, iova, iova) : NULL;
	if (!area) {
		*reason = IOASID_FAULT_REASON_UNMAPPED;
		return NULL;
	}
	if ((rights & IOASIDFD_ACC_READ && !(area->prot & IOMMU_READ)) ||
	    (rights & IOASIDFD_ACC_WRITE && !(area->prot & IOMMU_WRITE))) {
		*reason = IOASID_FAULT_REASON_PERMISSION;
		return NULL;
	}
	return area->pages.pages[(iova - area->start) >> PAGE_SHIFT];
}

static struct page *ioasidfd_iova_lookup(struct ioasidfd_iopt *iopt,
					 struct ioasidfd_access *acc)
{
	return ioasidfd_iova_page(iopt, acc->iova,
				  acc->rights & (IOASIDFD_ACC_READ |
						 IOASIDFD_ACC_WRITE),
				  &acc->fault.reason);
}

static void ioasidfd_iova_wipe(struct ioasidfd_iopt *iopt)
{
	struct ioasidfd_iova *iv = iopt->src_priv;
	struct ioasidfd_area *area, *next;
	LIST_HEAD(dead);

	lockdep_assert_held(&iopt->lock);
	/*
	 * Best effort: children that cannot prepare zap more than the
	 * removed range; nothing of the parent survives a wipe anyway.
	 */
	ioasidfd_iopt_parent_prepare(iopt, 0, U64_MAX);
	down_write(&iopt->xlate);
	while ((area = ioasidfd_area_it_iter_first(&iv->areas, 0, U64_MAX))) {
		ioasidfd_iova_remove(iopt, iv, area);
		list_add_tail(&area->free_item, &dead);
	}
	up_write(&iopt->xlate);
	list_for_each_entry_safe(area, next, &dead, free_item) {
		ioasidfd_area_free(area);
		cond_resched();
	}
}

static void ioasidfd_iova_release(struct ioasidfd_iopt *iopt)
{
	struct ioasidfd_iova *iv = iopt->src_priv;

	WARN_ON(!RB_EMPTY_ROOT(&iv->areas.rb_root));
	WRITE_ONCE(iopt->src_priv, NULL);
	kfree_rcu(iv, rcu);
}

/**
 * ioasidfd_iova_nr_mappings() - mappings of an IOASID, for fdinfo
 * @iopt: the translation, or NULL; under rcu_read_lock(), without its lock
 *
 * Return: a snapshot of the number of mappings (0 unless an IOVA map).
 */
unsigned long ioasidfd_iova_nr_mappings(struct ioasidfd_iopt *iopt)
{
	struct ioasidfd_iova *iv;

	if (!iopt || READ_ONCE(iopt->src) != &ioasidfd_iova_source)
		return 0;
	iv = READ_ONCE(iopt->src_priv);
	return iv ? READ_ONCE(iv->nr_areas) : 0;
}

static void ioasidfd_iova_info(struct ioasidfd_iopt *iopt,
			       struct ioasid_info_cap_ioas *info)
{
	struct ioasidfd_iova *iv = iopt->src_priv;

	info->nr_mappings = iv->nr_areas;
	info->mapped_bytes = iv->mapped_bytes;
}

const struct ioasidfd_source_ops ioasidfd_iova_source = {
	.mode = IOASID_MODE_IOVA,
	.replay = ioasidfd_iova_replay,
	.check_attach = ioasidfd_iova_check_attach,
	.lookup = ioasidfd_iova_lookup,
	.wipe = ioasidfd_iova_wipe,
	.release = ioasidfd_iova_release,
	.info = ioasidfd_iova_info,
};

/*
 * Picks the lowest free IOVA for @length bytes, aligned like @uva up to 1 GiB
 * so that huge pages can be mapped as such.  IOVA 0 is never picked: too
 * many drivers take a 0 DMA address for "none".
 */
static int ioasidfd_iova_alloc(struct ioasidfd_iova *iv,
			       struct ioasidfd_ranges *rs, unsigned long uva,
			       u64 length, u64 *iova)
{
	u64 align = min_t(u64, 1ULL << __ffs(uva), SZ_1G);
	unsigned int i;

	align = min_t(u64, align, rounddown_pow_of_two(length));
	for (i = 0; i < rs->nr; i++) {
		u64 cand = ALIGN(max(rs->r[i].start, align), align);
		struct ioasidfd_area *area;

		while (cand >= rs->r[i].start && cand <= rs->r[i].last &&
		       length - 1 <= rs->r[i].last - cand) {
			area = ioasidfd_area_it_iter_first(&iv->areas, cand,
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

/* Places @area in @iv (the IOVA chosen or checked), maps it, makes it visible. */
static int ioasidfd_iova_insert(struct ioasidfd_iopt *iopt,
				struct ioasidfd_iova *iv,
				struct ioasidfd_area *area, unsigned long uva,
				u64 length, bool fixed, u64 iova)
{
	struct ioasidfd_ranges rs;
	int rc;

	lockdep_assert_held(&iopt->lock);
	rc = ioasidfd_iopt_usable(iopt, &rs);
	if (rc)
		goto out;
	if (fixed) {
		rc = -ERANGE;
		if (!ioasidfd_ranges_cover(&rs, iova, iova + length - 1))
			goto out;
		rc = -EEXIST;
		if (ioasidfd_area_it_iter_first(&iv->areas, iova,
						iova + length - 1))
			goto out;
	} else {
		rc = ioasidfd_iova_alloc(iv, &rs, uva, length, &iova);
		if (rc)
			goto out;
	}
	area->start = iova;
	area->last = iova + length - 1;
	ioasidfd_hwpt_prune(iopt, area->start, area->last);
	rc = ioasidfd_iopt_push(iopt, area->start, &area->pages, 0,
				area->pages.npages, area->prot);
	if (rc)
		goto out;
	down_write(&iopt->xlate);
	ioasidfd_area_it_insert(area, &iv->areas);
	up_write(&iopt->xlate);
	iv->nr_areas++;
	iv->mapped_bytes += length;
out:
	kfree(rs.r);
	return rc;
}

/**
 * ioasidfd_iova_map() - pin user memory and map it into an IOASID
 * @ioas: the IOASID, referenced by the caller
 * @uva: first user address of the current task, page aligned
 * @length: bytes, a non-zero multiple of the page size
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @fixed: map at *@iova; else the kernel picks the IOVA
 * @iova: in with @fixed: the IOVA; out: the IOVA used
 * @out_id: returns the mapping's id, for ioasidfd_iova_undo_map()
 *
 * A never-used IOASID becomes IOASID_MODE_IOVA.  On failure nothing
 * changed: no mapping, no mode, nothing pinned or charged.
 *
 * Return: 0; -EINVAL for a malformed range; -EMEDIUMTYPE if the IOASID
 * has another mode; -ENOENT if it was destroyed; -EEXIST, -ERANGE, -ENOSPC
 * for the IOVA; -ENOMEM (RLIMIT_MEMLOCK too), -EFAULT, -EINTR from pinning.
 */
int ioasidfd_iova_map(struct ioasidfd_ioas *ioas, unsigned long uva,
		      u64 length, int prot, bool fixed, u64 *iova, u64 *out_id)
{
	struct ioasidfd_iova *iv, *fresh = NULL;
	struct ioasidfd_area *area;
	struct ioasidfd_iopt *iopt;
	int rc;

	if (!length || !PAGE_ALIGNED(length) || !PAGE_ALIGNED(uva) ||
	    length >> PAGE_SHIFT > IOASIDFD_MAP_MAX_PAGES ||
	    !(prot & (IOMMU_READ | IOMMU_WRITE)) ||
	    (fixed && !PAGE_ALIGNED(*iova)))
		return -EINVAL;

	iopt = ioasidfd_ioas_iopt(ioas);
	area = kzalloc(sizeof(*area), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(area, kfree);
	if (!iopt || !area) {
		kfree(area);
		return -ENOMEM;
	}
	area->prot = prot;
	area->id = atomic64_inc_return(&ioasidfd_area_ids);
	/* Pin outside the lock: it is the slow part, and may fault pages in. */
	rc = ioasidfd_pages_pin(&area->pages, uva, length >> PAGE_SHIFT,
				prot & IOMMU_WRITE);
	if (rc) {
		kfree(area);
		return rc;
	}
	ioasidfd_count(IOASIDFD_CNT_AREA, 1);

	mutex_lock(&iopt->lock);
	if (test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags)) {
		rc = -ENOENT;
		goto err_unlock;
	}
	iv = ioasidfd_iova(iopt);
	if (!iv) {
		rc = -EMEDIUMTYPE;
		if (iopt->src)
			goto err_unlock;
		rc = -ENOMEM;
		fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
		ioasidfd_inject_alloc(fresh, kfree);
		if (!fresh)
			goto err_unlock;
		fresh->areas = RB_ROOT_CACHED;
		iv = fresh;
	}
	rc = ioasidfd_iova_insert(iopt, iv, area, uva, length, fixed, *iova);
	if (rc)
		goto err_unlock;
	/* The first mapping gives the IOASID its mode. */
	if (fresh) {
		WARN_ON(ioasidfd_iopt_set_source(iopt, &ioasidfd_iova_source,
						 fresh));
		area->installed = true;
	}
	/* Once unlocked, a DESTROY or an UNMAP may free the area at once */
	*iova = area->start;
	*out_id = area->id;
	mutex_unlock(&iopt->lock);
	return 0;

err_unlock:
	mutex_unlock(&iopt->lock);
	kfree(fresh);
	ioasidfd_area_free(area);
	return rc;
}

/**
 * ioasidfd_iova_install() - make a never-used IOASID an empty IOVA map
 * @iopt: the translation, locked, without a source
 *
 * For a stage-2 parent bound before its first MAP.
 *
 * Return: 0, -EMEDIUMTYPE if it has a source, or -ENOMEM.
 */
int ioasidfd_iova_install(struct ioasidfd_iopt *iopt)
{
	struct ioasidfd_iova *iv;
	int rc;

	lockdep_assert_held(&iopt->lock);
	if (iopt->src)
		return -EMEDIUMTYPE;
	iv = kzalloc(sizeof(*iv), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(iv, kfree);
	if (!iv)
		return -ENOMEM;
	iv->areas = RB_ROOT_CACHED;
	rc = ioasidfd_iopt_set_source(iopt, &ioasidfd_iova_source, iv);
	if (rc)
		kfree(iv);
	return rc;
}

/**
 * ioasidfd_iova_undo_map() - take back a mapping whose caller cannot use it
 * @ioas: the IOASID
 * @iova: the IOVA ioasidfd_iova_map() returned
 * @id: the id it returned
 *
 * For a MAP whose reply could not reach the user.  A concurrent UNMAP or
 * DESTROY may have taken the mapping already: then nothing is left to do.
 * If the MAP gave the IOASID its mode and nothing has used it since (no
 * other mapping, attachment or nested child), the IOASID is
 * IOASID_MODE_NONE again, as before the call.
 */
void ioasidfd_iova_undo_map(struct ioasidfd_ioas *ioas, u64 iova, u64 id)
{
	struct ioasidfd_iopt *iopt = ioas->iopt;
	struct ioasidfd_area *area = NULL;
	struct ioasidfd_iova *iv;
	bool found = false;

	mutex_lock(&iopt->lock);
	iv = ioasidfd_iova(iopt);
	if (iv)
		area = ioasidfd_area_it_iter_first(&iv->areas, iova, iova);
	/* Not gone, and not another mapping made there since */
	if (area && area->id == id) {
		/* As for the wipe: best effort, zapping more if need be. */
		ioasidfd_iopt_parent_prepare(iopt, area->start, area->last);
		down_write(&iopt->xlate);
		ioasidfd_iova_remove(iopt, iv, area);
		up_write(&iopt->xlate);
		found = true;
		if (area->installed && !iv->nr_areas && !iopt->nr_attach &&
		    !iopt->nr_children)
			ioasidfd_iopt_clear_source(iopt);
	}
	mutex_unlock(&iopt->lock);
	if (found)
		ioasidfd_area_free(area);
}

/**
 * ioasidfd_iova_unmap() - unmap whole mappings of an IOASID
 * @ioas: the IOASID, referenced by the caller
 * @start: first IOVA of the range
 * @last: last IOVA of the range (inclusive)
 * @all: the range is everything: no mapping is not an error
 * @confirm: called, with the IOASID locked, once the request is known to be
 *           valid, with the bytes it will unmap; a non-zero return aborts
 *           with nothing changed (the handler's reply failed)
 * @arg: for @confirm
 *
 * Mappings are never split.  On return the memory is unmapped from every
 * page table, their IOTLBs flushed, and unpinned.
 *
 * Return: 0; -ENOENT if the range holds no mapping (unless @all) or the
 * IOASID was destroyed; -EINVAL if the range cuts a mapping; -EMEDIUMTYPE
 * if the IOASID is not an IOVA map; or what @confirm returned.
 */
int ioasidfd_iova_unmap(struct ioasidfd_ioas *ioas, u64 start, u64 last,
			bool all, int (*confirm)(void *arg, u64 unmapped),
			void *arg)
{
	struct ioasidfd_area *area, *next;
	struct ioasidfd_iova *iv;
	struct ioasidfd_iopt *iopt;
	u64 unmapped = 0;
	LIST_HEAD(dead);
	int rc;

	/* Pairs with the cmpxchg() in ioasidfd_ioas_iopt(). */
	iopt = smp_load_acquire(&ioas->iopt);
	/* An IOASID that maps nothing: UNMAP_ALL succeeds with 0 bytes. */
	if (!iopt)
		return all ? confirm(arg, 0) : -ENOENT;

	mutex_lock(&iopt->lock);
	rc = -ENOENT;
	if (test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags))
		goto out_unlock;
	iv = ioasidfd_iova(iopt);
	if (!iv) {
		if (iopt->src)
			rc = -EMEDIUMTYPE;
		else if (all)
			rc = confirm(arg, 0);
		goto out_unlock;
	}
	/* Refuse before touching anything. */
	for (area = ioasidfd_area_it_iter_first(&iv->areas, start, last); area;
	     area = ioasidfd_area_it_iter_next(area, start, last)) {
		if (area->start < start || area->last > last) {
			rc = -EINVAL;
			goto out_unlock;
		}
		unmapped += ioasidfd_area_length(area);
		rc = 0;
	}
	if (all)
		rc = 0;
	if (!rc)
		rc = confirm(arg, unmapped);
	/* Nested children allocate what they need before xlate is taken. */
	if (!rc)
		rc = ioasidfd_iopt_parent_prepare(iopt, start, last);
	if (rc)
		goto out_unlock;
	down_write(&iopt->xlate);
	while ((area = ioasidfd_area_it_iter_first(&iv->areas, start, last))) {
		ioasidfd_iova_remove(iopt, iv, area);
		list_add_tail(&area->free_item, &dead);
	}
	up_write(&iopt->xlate);
out_unlock:
	mutex_unlock(&iopt->lock);

	/* Every IOTLB is flushed: the pages can go. */
	list_for_each_entry_safe(area, next, &dead, free_item) {
		ioasidfd_area_free(area);
		cond_resched();
	}
	return rc;
}
