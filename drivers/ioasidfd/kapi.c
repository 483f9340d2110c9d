// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: the in-kernel API for drivers that own IOASIDs themselves.
 *
 * A driver that serves another uAPI on top of /dev/ioasid (the VFIO type1
 * compatibility backend of ioasidfd_vfio.ko: one IOASID per container)
 * needs what the /dev/ioasid handlers do, without an fd:
 *
 *   - a kernel-owned context, made and torn down by the driver, charged to
 *     the user who caused it (quotas, RLIMIT_MEMLOCK of the mapping task);
 *   - IOASIDs of that context, held by the driver;
 *   - MAP and UNMAP at fixed IOVAs, pinning the calling task's memory;
 *   - the IOVA ranges and page sizes the attached devices allow;
 *   - attaching a whole IOMMU group at RID, since the kernel IOMMU API of
 *     6.1 attaches whole groups: one ioasidfd_device per device of the
 *     group, each attached at RID (the first attachment attaches the
 *     group, the others share it, see device.c).
 *
 * These are thin wrappers of the kernel functions under the handlers; they
 * keep the handlers' rules (a failed call changes nothing, one errno
 * contract) and take no lock of their own, so the lock order is that of
 * ioasidfd_private.h with the caller's locks outside all of it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "ioasidfd_private.h"
#include "inject.h"

/**
 * ioasidfd_kctx_create() - a context owned by the kernel, without an fd
 * @label: names the owner in debugfs (copied, truncated to 31 bytes)
 *
 * The context is charged to the current user: the per-user PASID quota
 * counts its IOASIDs.  Tear it down with ioasidfd_kctx_destroy().
 *
 * Return: the context, or ERR_PTR(-ENOMEM).
 */
struct ioasidfd_ctx *ioasidfd_kctx_create(const char *label)
{
	struct ioasidfd_ctx *ctx;
	int rc;

	rc = ioasidfd_ctx_open(&ctx);
	if (rc)
		return ERR_PTR(rc);
	strscpy(ctx->label, label, sizeof(ctx->label));
	return ctx;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_kctx_create, IOASIDFD);

/**
 * ioasidfd_kctx_destroy() - tear down a kernel-owned context
 * @ctx: from ioasidfd_kctx_create()
 *
 * What closing a /dev/ioasid fd does: every live IOASID of @ctx is
 * destroyed (its translation wiped, its memory unpinned); IOASIDs still held
 * by an attachment stay parked until it goes.
 */
void ioasidfd_kctx_destroy(struct ioasidfd_ctx *ctx)
{
	ioasidfd_ctx_release(ctx);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_kctx_destroy, IOASIDFD);

/**
 * ioasidfd_kioas_alloc() - a new IOASID of a kernel-owned context
 * @ctx: the context
 *
 * Return: the IOASID, live, with a reference held for the caller (drop it
 * with ioasidfd_kioas_destroy()); or ERR_PTR(-EDQUOT) at a quota,
 * ERR_PTR(-ENOSPC) without a free PASID, ERR_PTR(-ENOMEM).
 */
struct ioasidfd_ioas *ioasidfd_kioas_alloc(struct ioasidfd_ctx *ctx)
{
	struct ioasidfd_ioas *ioas;

	ioas = ioasidfd_ioas_alloc(ctx, IOASID_PASID_MIN, IOASID_PASID_MAX);
	if (IS_ERR(ioas))
		return ioas;
	/* The caller's reference, next to the live list's. */
	kref_get(&ioas->kref);
	ioasidfd_ioas_publish(ioas);
	return ioas;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_kioas_alloc, IOASIDFD);

/**
 * ioasidfd_kioas_destroy() - destroy an IOASID and drop the caller's reference
 * @ctx: its context
 * @ioas: from ioasidfd_kioas_alloc()
 *
 * As IOASID_DESTROY: the translation is wiped at once and the memory
 * unpinned; the PASID stays parked while attachments hold the IOASID.
 */
void ioasidfd_kioas_destroy(struct ioasidfd_ctx *ctx, struct ioasidfd_ioas *ioas)
{
	/* -ENOENT: destroyed already (the context went first); fine. */
	ioasidfd_ioas_destroy(ctx, ioas->pasid);
	ioasidfd_ioas_put(ioas);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_kioas_destroy, IOASIDFD);

/**
 * ioasidfd_kioas_map() - pin the current task's memory and map it at an IOVA
 * @ioas: the IOASID, referenced by the caller
 * @uva: first user address, page aligned
 * @iova: where it goes, page aligned
 * @length: bytes, a non-zero multiple of the page size
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 *
 * IOASID_MAP with IOASID_MAP_FIXED_IOVA: charged to RLIMIT_MEMLOCK of the
 * current task's mm, pinned, and pushed into every page table of the
 * IOASID before it returns.  On failure nothing changed.
 *
 * Return: 0; -EINVAL for a malformed request, -EOVERFLOW if the IOVA range
 * wraps, -EFAULT for addresses outside the user's space or memory that
 * cannot be pinned, -EEXIST if it overlaps a mapping, -ERANGE outside the
 * usable IOVA ranges, -EMEDIUMTYPE if the IOASID is not an IOVA map,
 * -ENOENT if it was destroyed, -ENOMEM (RLIMIT_MEMLOCK too), -EINTR.
 */
int ioasidfd_kioas_map(struct ioasidfd_ioas *ioas, unsigned long uva, u64 iova,
		       u64 length, int prot)
{
	u64 id;

	if (!length)
		return -EINVAL;
	if (iova + length - 1 < iova)
		return -EOVERFLOW;
	if (uva + length - 1 < uva || uva + length > TASK_SIZE)
		return -EFAULT;
	return ioasidfd_iova_map(ioas, uva, length, prot, true, &iova, &id);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_kioas_map, IOASIDFD);

static int ioasidfd_kioas_confirm_any(void *arg, u64 unmapped)
{
	return 0;
}

/**
 * ioasidfd_kioas_unmap() - unmap whole mappings of an IOASID
 * @ioas: the IOASID, referenced by the caller
 * @start: first IOVA of the range
 * @last: last IOVA of the range, inclusive
 * @all: the range is everything, and holding no mapping is no error
 * @confirm: called once the request is known to be valid, with the bytes it
 *           will unmap, before anything changes; non-zero aborts the call
 *           with nothing changed.  May be NULL
 * @arg: for @confirm
 *
 * IOASID_UNMAP: mappings are never split.  On return the memory is out of
 * every page table, the IOTLBs are flushed, and it is unpinned.
 *
 * Return: 0; -ENOENT if the range holds no mapping (unless @all) or the
 * IOASID was destroyed; -EINVAL if the range cuts a mapping; -EMEDIUMTYPE
 * if the IOASID is not an IOVA map; or what @confirm returned.
 */
int ioasidfd_kioas_unmap(struct ioasidfd_ioas *ioas, u64 start, u64 last,
			 bool all, int (*confirm)(void *arg, u64 unmapped),
			 void *arg)
{
	if (start > last)
		return -EINVAL;
	if (!confirm)
		confirm = ioasidfd_kioas_confirm_any;
	return ioasidfd_iova_unmap(ioas, start, last, all, confirm, arg);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_kioas_unmap, IOASIDFD);

/**
 * ioasidfd_kioas_iova_ranges() - the IOVA ranges an IOASID can map now
 * @ioas: the IOASID, referenced by the caller
 * @out: returns a kmalloc()ed array of inclusive ranges, sorted; the caller
 *       kfree()s it
 *
 * The intersection of the apertures of every device attached, minus the
 * reserved regions of their IOMMU groups; everything while none is.
 *
 * Return: the number of ranges (0 when nothing can be mapped), or -ENOMEM.
 */
int ioasidfd_kioas_iova_ranges(struct ioasidfd_ioas *ioas,
			       struct ioasid_iova_range **out)
{
	/* Pairs with the cmpxchg() in ioasidfd_ioas_iopt(). */
	return ioasidfd_iopt_iova_ranges(smp_load_acquire(&ioas->iopt), out);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_kioas_iova_ranges, IOASIDFD);

/**
 * ioasidfd_kioas_pgsizes() - the IOMMU page sizes every attached device has
 * @ioas: the IOASID, referenced by the caller
 *
 * Return: the bitmap of page sizes common to the IOMMUs of the devices
 * attached to @ioas, or 0 if none is.
 */
u64 ioasidfd_kioas_pgsizes(struct ioasidfd_ioas *ioas)
{
	struct ioasidfd_attach *attach;
	struct ioasidfd_iopt *iopt;
	u64 bitmap = 0;
	bool any = false;

	/* Pairs with the cmpxchg() in ioasidfd_ioas_iopt(). */
	iopt = smp_load_acquire(&ioas->iopt);
	if (!iopt)
		return 0;
	mutex_lock(&iopt->lock);
	list_for_each_entry(attach, &iopt->attachments, item) {
		bitmap = any ? bitmap & attach->idev->pgsize_bitmap :
			 attach->idev->pgsize_bitmap;
		any = true;
	}
	mutex_unlock(&iopt->lock);
	return bitmap;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_kioas_pgsizes, IOASIDFD);

/**
 * struct ioasidfd_kgroup - an IOMMU group attached at RID to an IOASID
 * @nr: devices in @idevs
 * @idevs: one ioasidfd_device per device of the group, each attached (each
 *         attachment holds a reference on the IOASID)
 */
struct ioasidfd_kgroup {
	unsigned int nr;
	struct ioasidfd_device *idevs[];
};

struct ioasidfd_kgroup_walk {
	struct device **devs;
	unsigned int nr;
	unsigned int max;
};

/* iommu_group_for_each_dev() callback, under the group's mutex. */
static int ioasidfd_kgroup_count(struct device *dev, void *data)
{
	struct ioasidfd_kgroup_walk *w = data;

	w->nr++;
	return 0;
}

static int ioasidfd_kgroup_collect(struct device *dev, void *data)
{
	struct ioasidfd_kgroup_walk *w = data;

	if (w->nr == w->max)
		return -EBUSY;
	w->devs[w->nr++] = get_device(dev);
	return 0;
}

/**
 * ioasidfd_kgroup_attach() - attach every device of an IOMMU group at RID
 * @ioas: the IOASID, referenced by the caller
 * @group: the IOMMU group, whose DMA ownership the caller holds (for VFIO:
 *         the group is in a container the caller's backend serves)
 *
 * The group's DMA goes through @ioas on return: its page table was shared
 * with the IOASID's other devices where their IOMMU accepts it, or made and
 * filled with the IOASID's mappings.  Undo with ioasidfd_kgroup_detach().
 * On failure nothing is attached.
 *
 * Return: the attachment; ERR_PTR(-ERANGE) if mappings of @ioas lie
 * outside what the group's IOMMU translates or on its reserved regions,
 * ERR_PTR(-ENODEV) for a group without devices or IOMMU, ERR_PTR(-EBUSY)
 * if its devices changed meanwhile or it is attached elsewhere,
 * ERR_PTR(-ENOENT) if @ioas was destroyed, another ERR_PTR.
 */
struct ioasidfd_kgroup *ioasidfd_kgroup_attach(struct ioasidfd_ioas *ioas,
					       struct iommu_group *group)
{
	struct ioasidfd_kgroup_walk w = {};
	struct ioasidfd_kgroup *kg;
	unsigned int i;
	int rc;

	iommu_group_for_each_dev(group, &w, ioasidfd_kgroup_count);
	if (!w.nr)
		return ERR_PTR(-ENODEV);
	w.max = w.nr;
	w.nr = 0;
	w.devs = kcalloc(w.max, sizeof(*w.devs), GFP_KERNEL);
	kg = kzalloc(struct_size(kg, idevs, w.max), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(w.devs, kfree);
	ioasidfd_inject_alloc(kg, kfree);
	if (!w.devs || !kg) {
		rc = -ENOMEM;
		goto out;
	}
	/* A device joined the group between the walks: -EBUSY. */
	rc = iommu_group_for_each_dev(group, &w, ioasidfd_kgroup_collect);
	if (rc)
		goto out;
	for (i = 0; i < w.nr; i++) {
		struct ioasidfd_device *idev;

		idev = ioasidfd_device_create(w.devs[i]);
		if (IS_ERR(idev)) {
			rc = PTR_ERR(idev);
			goto out;
		}
		kg->idevs[kg->nr++] = idev;
		rc = ioasidfd_device_attach(idev, ioas, 0, 0);
		if (rc)
			goto out;
	}
out:
	for (i = 0; i < w.nr; i++)
		put_device(w.devs[i]);
	kfree(w.devs);
	if (rc && kg) {
		ioasidfd_kgroup_detach(kg);
		kg = NULL;
	}
	return rc ? ERR_PTR(rc) : kg;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_kgroup_attach, IOASIDFD);

/**
 * ioasidfd_kgroup_detach() - undo ioasidfd_kgroup_attach()
 * @kg: the attachment
 *
 * On return the group is back in its DMA owner's blocking domain (its DMA
 * faults) and no longer holds the IOASID.
 */
void ioasidfd_kgroup_detach(struct ioasidfd_kgroup *kg)
{
	/* The last device's detach takes the group out of the page table. */
	while (kg->nr)
		ioasidfd_device_destroy(kg->idevs[--kg->nr]);
	kfree(kg);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_kgroup_detach, IOASIDFD);
