// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: translation state common to every mode.
 *
 * An IOASID that has been used has an iopt: its locks, its translation
 * source (what it translates with: an IOVA map, a nested guest table, ...),
 * the executor page tables (hwpts) that serve its devices and the device
 * attachments.  A source is installed explicitly, once per mode, and every
 * source offers the same operations (struct ioasidfd_source_ops): replay
 * into a new page table, check a device, translate one access for walking
 * executors, wipe on DESTROY, release.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "ioasidfd_private.h"
#include "inject.h"

/**
 * ioasidfd_xlate_init() - initialise a translation lock
 * @xlate: the lock
 *
 * Every translation lock is made here, so that they share one lockdep class,
 * which ioasidfd_xlate_lockdep_prime() marks as taken under reclaim.
 */
void ioasidfd_xlate_init(struct rw_semaphore *xlate)
{
	init_rwsem(xlate);
}

/**
 * ioasidfd_xlate_lockdep_prime() - tell lockdep the xlate lock may be taken
 *                                  in reclaim
 *
 * An MMU-notifier invalidation runs in reclaim and takes the translation
 * lock, so nothing may allocate with __GFP_DIRECT_RECLAIM while holding it.
 * Taking a lock of the class once inside fs_reclaim_acquire() teaches lockdep
 * that, and any such allocation under the lock is then reported at once,
 * whether or not a notifier exists yet.  A no-op without CONFIG_LOCKDEP.
 */
void ioasidfd_xlate_lockdep_prime(void)
{
	struct rw_semaphore dummy;

	if (!IS_ENABLED(CONFIG_LOCKDEP))
		return;
	ioasidfd_xlate_init(&dummy);
	fs_reclaim_acquire(GFP_KERNEL);
	down_write(&dummy);
	up_write(&dummy);
	fs_reclaim_release(GFP_KERNEL);
}

struct ioasidfd_iopt *ioasidfd_iopt_alloc(struct ioasidfd_ioas *ioas)
{
	struct ioasidfd_iopt *iopt;

	iopt = kzalloc(sizeof(*iopt), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(iopt, kfree);
	if (!iopt)
		return NULL;
	mutex_init(&iopt->lock);
	ioasidfd_xlate_init(&iopt->xlate);
	iopt->ioas = ioas;
	INIT_LIST_HEAD(&iopt->hwpts);
	INIT_LIST_HEAD(&iopt->attachments);
	INIT_LIST_HEAD(&iopt->children);
	INIT_LIST_HEAD(&iopt->child_item);
	ioasidfd_count(IOASIDFD_CNT_IOPT, 1);
	return iopt;
}

/* Drops what the iopt holds outside itself; process context. */
void ioasidfd_iopt_release(struct ioasidfd_iopt *iopt)
{
	if (!iopt)
		return;
	if (iopt->src && iopt->src->release)
		iopt->src->release(iopt);
	WRITE_ONCE(iopt->src, NULL);
	if (iopt->fault_queue) {
		ioasidfd_fault_queue_put(iopt->fault_queue);
		iopt->fault_queue = NULL;
	}
}

/* May run from an RCU callback: the iopt is empty by now. */
void ioasidfd_iopt_free(struct ioasidfd_iopt *iopt)
{
	if (!iopt)
		return;
	WARN_ON(iopt->src || !list_empty(&iopt->hwpts) ||
		!list_empty(&iopt->attachments) || iopt->nr_children ||
		!list_empty(&iopt->child_item));
	mutex_destroy(&iopt->lock);
	kfree(iopt);
	ioasidfd_count(IOASIDFD_CNT_IOPT, -1);
}

/**
 * ioasidfd_iopt_set_source() - give an IOASID its translation source
 * @iopt: the translation, locked
 * @src: the source
 * @priv: its state, owned by the iopt from now on
 *
 * Return: 0, or -EMEDIUMTYPE if the IOASID has a source already.
 */
int ioasidfd_iopt_set_source(struct ioasidfd_iopt *iopt,
			     const struct ioasidfd_source_ops *src, void *priv)
{
	lockdep_assert_held(&iopt->lock);
	if (iopt->src)
		return -EMEDIUMTYPE;
	down_write(&iopt->xlate);
	WRITE_ONCE(iopt->src, src);
	iopt->src_priv = priv;
	up_write(&iopt->xlate);
	return 0;
}

/**
 * ioasidfd_iopt_clear_source() - take an IOASID's translation source away
 * @iopt: the translation, locked, with no attachment
 *
 * The IOASID is IOASID_MODE_NONE again (an unbind).
 */
void ioasidfd_iopt_clear_source(struct ioasidfd_iopt *iopt)
{
	const struct ioasidfd_source_ops *src = iopt->src;

	lockdep_assert_held(&iopt->lock);
	if (WARN_ON(!src || iopt->nr_attach))
		return;
	src->wipe(iopt);
	/* Page tables made for the old mode cannot serve the next one. */
	ioasidfd_hwpt_free_idle(iopt);
	down_write(&iopt->xlate);
	WRITE_ONCE(iopt->src, NULL);
	up_write(&iopt->xlate);
	if (src->release)
		src->release(iopt);
}

/**
 * ioasidfd_iopt_unbind() - take an IOASID's source away, back to no mode
 * @ioas: the IOASID, referenced by the caller
 * @src: the source it must have (SVA, nested: the modes a BIND gave)
 *
 * Return: 0, -EMEDIUMTYPE if it has another source or none, -EBUSY while
 * devices are attached, -ENOENT if it was destroyed.
 */
int ioasidfd_iopt_unbind(struct ioasidfd_ioas *ioas,
			 const struct ioasidfd_source_ops *src)
{
	/* Pairs with the cmpxchg() in ioasidfd_ioas_iopt(). */
	struct ioasidfd_iopt *iopt = smp_load_acquire(&ioas->iopt);
	int rc = 0;

	if (!iopt)
		return -EMEDIUMTYPE;
	mutex_lock(&iopt->lock);
	if (test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags))
		rc = -ENOENT;
	else if (iopt->src != src)
		rc = -EMEDIUMTYPE;
	else if (iopt->nr_attach)
		rc = -EBUSY;
	else
		ioasidfd_iopt_clear_source(iopt);
	mutex_unlock(&iopt->lock);
	return rc;
}

/**
 * ioasidfd_iopt_parent_prepare() - warn nested children of a stage-2 removal
 * @iopt: the parent, locked (not its xlate lock)
 * @start: first IOVA about to be removed
 * @last: last IOVA about to be removed
 *
 * Return: 0, or -ENOMEM with nothing changed.
 */
int ioasidfd_iopt_parent_prepare(struct ioasidfd_iopt *iopt, u64 start,
				 u64 last)
{
	struct ioasidfd_iopt *child;
	int rc;

	lockdep_assert_held(&iopt->lock);
	list_for_each_entry(child, &iopt->children, child_item) {
		if (!child->src || !child->src->parent_prepare)
			continue;
		rc = child->src->parent_prepare(child, start, last);
		if (rc)
			return rc;
	}
	return 0;
}

/**
 * ioasidfd_iopt_parent_zap() - tell nested children their stage 2 shrank
 * @iopt: the parent; its lock and its xlate lock (for writing) are held
 * @start: first IOVA removed
 * @last: last IOVA removed
 *
 * Runs before the removed memory is unpinned, so nothing a child derived
 * from it survives the UNMAP.
 */
void ioasidfd_iopt_parent_zap(struct ioasidfd_iopt *iopt, u64 start, u64 last)
{
	struct ioasidfd_iopt *child;

	lockdep_assert_held(&iopt->lock);
	lockdep_assert_held_write(&iopt->xlate);
	list_for_each_entry(child, &iopt->children, child_item)
		if (child->src && child->src->parent_zap)
			child->src->parent_zap(child, start, last);
}

/**
 * ioasidfd_iopt_wipe() - remove all translation of a destroyed IOASID
 * @iopt: the translation
 *
 * On return nothing translates through @iopt, so the DMA of every device
 * still attached faults, and its memory is unpinned.
 */
void ioasidfd_iopt_wipe(struct ioasidfd_iopt *iopt)
{
	mutex_lock(&iopt->lock);
	if (iopt->src)
		iopt->src->wipe(iopt);
	/* Page tables kept for a next ALLOW have no future now. */
	ioasidfd_hwpt_free_idle(iopt);
	mutex_unlock(&iopt->lock);
}

static int ioasidfd_ranges_push(struct ioasidfd_ranges *rs, u64 start, u64 last)
{
	if (rs->nr == rs->alloc) {
		unsigned int n = rs->alloc ? 2 * rs->alloc : 8;
		void *p = krealloc_array(rs->r, n, sizeof(*rs->r), GFP_KERNEL);

		ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, p, rs->r = p; p = NULL);
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

/**
 * ioasidfd_ranges_device() - keep the ranges a device's IOMMU can map
 * @rs: the ranges; replaced (freed and emptied on error)
 * @idev: the device: its aperture, off its reserved regions
 *
 * Return: 0 or -ENOMEM.
 */
int ioasidfd_ranges_device(struct ioasidfd_ranges *rs,
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

/**
 * ioasidfd_iopt_usable() - the IOVA ranges every attached device allows
 * @iopt: the translation, locked; or NULL if the IOASID was never used
 * @rs: returns the ranges, kmalloc()ed; the caller frees @rs->r
 *
 * Return: 0 or -ENOMEM.
 */
int ioasidfd_iopt_usable(struct ioasidfd_iopt *iopt, struct ioasidfd_ranges *rs)
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

/* Is [start, last] inside one of the ranges? */
bool ioasidfd_ranges_cover(const struct ioasidfd_ranges *rs, u64 start, u64 last)
{
	unsigned int i;

	for (i = 0; i < rs->nr; i++)
		if (start >= rs->r[i].start && last <= rs->r[i].last)
			return true;
	return false;
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

/**
 * ioasidfd_iopt_check_attach() - can a device join an IOASID's users?
 * @iopt: the translation, locked
 * @idev: the device
 * @wire_pasid: where it would be attached, or IOASIDFD_PASID_RID
 *
 * Return: 0, -EMEDIUMTYPE if the device's executor cannot run the IOASID's
 * mode, or what the source says (struct ioasidfd_source_ops::check_attach).
 */
int ioasidfd_iopt_check_attach(struct ioasidfd_iopt *iopt,
			       struct ioasidfd_device *idev, u32 wire_pasid)
{
	lockdep_assert_held(&iopt->lock);
	if (!(idev->exec->modes & BIT(ioasidfd_iopt_mode(iopt))))
		return -EMEDIUMTYPE;
	if (!iopt->src || !iopt->src->check_attach)
		return 0;
	return iopt->src->check_attach(iopt, idev, wire_pasid);
}

/**
 * ioasidfd_iopt_access() - one access of a walking executor's device
 * @iopt: the translation of the IOASID the device is attached to
 * @acc: the access; the data moves between @acc->buf and memory
 *
 * Translates @acc->iova through the source and copies the bytes with the
 * translation lock held for reading, so a change that removes translation
 * (UNMAP, DESTROY, an invalidation) waits for the access in flight, and
 * once it returns no access reaches the old memory.  A nested IOASID's
 * parent is locked first (the lock order).
 *
 * Return: true if the bytes moved, false with @acc->fault set.
 */
bool ioasidfd_iopt_access(struct ioasidfd_iopt *iopt,
			  struct ioasidfd_access *acc)
{
	struct ioasidfd_iopt *parent = READ_ONCE(iopt->parent);
	struct page *page;
	void *va;

	const struct ioasidfd_source_ops *src = READ_ONCE(iopt->src);

	/* A source whose translation sleeps does it all itself */
	if (src && src->access)
		return src->access(iopt, acc);
	memset(&acc->fault, 0, sizeof(acc->fault));
	if (parent)
		down_read(&parent->xlate);
	down_read_nested(&iopt->xlate, parent ? SINGLE_DEPTH_NESTING : 0);
	page = iopt->src ? iopt->src->lookup(iopt, acc) : NULL;
	if (!page && !acc->fault.reason)
		acc->fault.reason = IOASID_FAULT_REASON_UNMAPPED;
	if (page) {
		va = kmap_local_page(page);
		if (acc->rights & IOASIDFD_ACC_WRITE)
			memcpy(va + offset_in_page(acc->iova), acc->buf, acc->len);
		else
			memcpy(acc->buf, va + offset_in_page(acc->iova), acc->len);
		kunmap_local(va);
	}
	up_read(&iopt->xlate);
	if (parent)
		up_read(&parent->xlate);
	return page;
}

/**
 * ioasidfd_iopt_explain_fault() - why a translation the executor ran failed
 * @iopt: the translation of the IOASID the faulting device is attached to
 * @fault: a record from the executor's IOMMU (address, access, PASID)
 *
 * A programmed executor of a nested IOASID runs a shadow: its IOMMU sees
 * one stage and reports no stage or level.  The source's own walk of the
 * address (the guest's tables over stage 2, as the software IOMMU does it)
 * says where the nested translation stops: @fault gets its stage, level,
 * reason and guest-physical address.  Left as it is when the source has no
 * walk to give, or when the walk translates the address now (the guest
 * changed its tables after the request).
 */
void ioasidfd_iopt_explain_fault(struct ioasidfd_iopt *iopt,
				 struct ioasid_fault *fault)
{
	const struct ioasidfd_source_ops *src = READ_ONCE(iopt->src);
	struct ioasidfd_iopt *parent = READ_ONCE(iopt->parent);
	struct ioasidfd_access acc = {
		.iova = fault->addr,
		.len = 1,
		.rights = fault->flags & IOASID_FAULT_WRITE ?
			  IOASIDFD_ACC_WRITE : IOASIDFD_ACC_READ,
		.pasid_valid = fault->flags & IOASID_FAULT_PASID_VALID,
		.wire_pasid = fault->wire_pasid,
	};
	struct page *page;

	if (!src || !src->explains_faults)
		return;
	if (parent)
		down_read(&parent->xlate);
	down_read_nested(&iopt->xlate, parent ? SINGLE_DEPTH_NESTING : 0);
	page = iopt->src == src ? src->lookup(iopt, &acc) : NULL;
	up_read(&iopt->xlate);
	if (parent)
		up_read(&parent->xlate);
	if (page || !acc.fault.reason)
		return;
	fault->reason = acc.fault.reason;
	fault->stage = acc.fault.stage;
	fault->level = acc.fault.level;
	fault->stage2_addr = acc.fault.s2_addr;
	if (acc.fault.table_walk)
		fault->flags |= IOASID_FAULT_TABLE_WALK;
}

/**
 * ioasidfd_iopt_stream_wide() - does a RID attachment take every PASID?
 * @iopt: the translation of an IOASID a device is attached to at RID
 *
 * Return: true if requests carrying a PASID without an attachment of their
 * own are translated by the RID attachment (struct
 * ioasidfd_source_ops::stream_wide).
 */
bool ioasidfd_iopt_stream_wide(struct ioasidfd_iopt *iopt)
{
	const struct ioasidfd_source_ops *src = READ_ONCE(iopt->src);

	return src && src->stream_wide && src->stream_wide(iopt);
}
