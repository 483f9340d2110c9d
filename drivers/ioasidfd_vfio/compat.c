// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidfd_vfio: VFIO type1 compatibility.  Unmodified VFIO users (QEMU,
 * DPDK, ...) on /dev/ioasid.
 *
 * A second VFIO IOMMU backend, "ioasidfd-type1", that serves containers set
 * to VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU while the module parameter
 * type1_compat is on.  vfio (drivers/vfio/container.c of 6.1) keeps its
 * backends on a list, newest first, and VFIO_SET_IOMMU opens the first one
 * whose VFIO_CHECK_EXTENSION accepts the type (falling through to the next
 * when open or attaching the groups fails).  This module loads after
 * vfio_iommu_type1, so it is asked first: with type1_compat on it takes new
 * type1 containers, with it off it declines and type1 serves them as before.
 * Containers keep the backend they were set up with.
 *
 * One container is one IOASID of a kernel-owned /dev/ioasid context
 * (include/linux/ioasidfd.h, kapi.c):
 *
 *   VFIO_SET_IOMMU       a context labelled "vfio-type1[v2]:<pid>" and an
 *                        IOASID in it
 *   group joins          every device of the IOMMU group attached to the
 *                        IOASID at RID: the group's DMA goes through the
 *                        IOASID's page table (shared by the container's
 *                        groups where their IOMMU accepts it), which
 *                        replays the mappings made so far
 *   VFIO_IOMMU_MAP_DMA   IOASID_MAP at the fixed IOVA: pinned, charged to
 *                        RLIMIT_MEMLOCK of the caller's mm, mapped into every
 *                        page table before the call returns
 *   VFIO_IOMMU_UNMAP_DMA IOASID_UNMAP of whole mappings, type1's rules on top
 *   VFIO_IOMMU_GET_INFO  page sizes of the attached IOMMUs; the IOASID's
 *                        usable IOVA ranges (aperture minus every group's
 *                        reserved regions) and the mappings still available
 *   group leaves         its devices detached: back to vfio's blocking domain
 *   last group leaves    the IOASID and the context destroyed: everything
 *                        unmapped and unpinned
 *
 * The backend keeps a record of each mapping (IOVA range, user address)
 * for type1's rules: the mapping limit (dma_entry_limit), the v1 and v2
 * unmap semantics, and VFIO_DMA_MAP_FLAG_VADDR / VFIO_DMA_UNMAP_FLAG_VADDR.
 * The records mirror the IOASID's mappings exactly; both change under the
 * container's lock.  The IOASID shows in /sys/kernel/debug/ioasidfd/ioasids
 * like any other, and /sys/kernel/debug/ioasidfd_vfio/type1 lists the
 * containers and their mappings.
 *
 * Lock order: vfio's container and group locks (held by vfio around
 * attach_group and detach_group), then ioasidfd_compat_list_lock, then
 * ioasidfd_compat::lock, then the core's locks.  Pinning runs under
 * ioasidfd_compat::lock (as type1 pins under its container lock), never
 * under a lock of the core.
 *
 * Like backend.c this file depends on VFIO internals (the restated types of
 * vfio_internal.h).  What type1 does and this does not is written down in
 * Documentation/userspace-api/ioasid.rst, "VFIO type1 compatibility".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/interval_tree_generic.h>
#include <linux/iommu.h>
#include <linux/ioasidfd.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "ioasidfd_vfio.h"
#include "../ioasidfd/inject.h"
#include "vfio_internal.h"

static bool type1_compat;
module_param(type1_compat, bool, 0644);
MODULE_PARM_DESC(type1_compat,
		 "Serve new VFIO_TYPE1_IOMMU and VFIO_TYPE1v2_IOMMU containers on /dev/ioasid instead of vfio_iommu_type1 (default: false; containers keep the backend they were set up with)");

static unsigned int dma_entry_limit = U16_MAX;
module_param(dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(dma_entry_limit,
		 "Most DMA mappings of one type1-compatible container, as vfio_iommu_type1's parameter of the same name (default: 65535)");

/**
 * struct ioasidfd_compat_dma - the record of one VFIO_IOMMU_MAP_DMA
 * @node: in ioasidfd_compat::dmas
 * @start: first IOVA
 * @last: last IOVA, inclusive
 * @subtree_last: interval tree bookkeeping
 * @vaddr: the user address it was mapped from (or updated to)
 * @vaddr_invalid: the user invalidated @vaddr (VFIO_DMA_UNMAP_FLAG_VADDR)
 */
struct ioasidfd_compat_dma {
	struct rb_node node;
	u64 start;
	u64 last;
	u64 subtree_last;
	unsigned long vaddr;
	bool vaddr_invalid;
};

#define DMA_START(d)	((d)->start)
#define DMA_LAST(d)	((d)->last)
INTERVAL_TREE_DEFINE(struct ioasidfd_compat_dma, node, u64, subtree_last,
		     DMA_START, DMA_LAST, static, ioasidfd_compat_dma_it);

/**
 * struct ioasidfd_compat_group - an IOMMU group in a container
 * @item: on ioasidfd_compat::groups
 * @group: the group (vfio holds it while it is in the container)
 * @kg: its devices' attachment to the container's IOASID
 * @coherent: every device of the group has cache-coherent DMA
 */
struct ioasidfd_compat_group {
	struct list_head item;
	struct iommu_group *group;
	struct ioasidfd_kgroup *kg;
	bool coherent;
};

/**
 * struct ioasidfd_compat - a type1 container served on /dev/ioasid
 * @lock: serialises the container's ioctls and group changes; protects the
 *        fields below
 * @item: on ioasidfd_compat_list
 * @v2: VFIO_TYPE1v2_IOMMU (else VFIO_TYPE1_IOMMU): the unmap rules
 * @pid: the thread group that set the container up, for debugfs
 * @ctx: the kernel-owned /dev/ioasid context of the container
 * @ioas: the container's IOASID, referenced
 * @groups: struct ioasidfd_compat_group
 * @nr_groups: entries in @groups
 * @dmas: the mappings, mirroring those of @ioas
 * @nr_dmas: entries in @dmas
 * @dma_avail: mappings that may still be made (dma_entry_limit at open)
 * @nr_vaddr_invalid: mappings whose user address is invalidated
 */
struct ioasidfd_compat {
	struct mutex lock; /* see the kernel-doc above */
	struct list_head item;
	bool v2;
	pid_t pid;
	struct ioasidfd_ctx *ctx;
	struct ioasidfd_ioas *ioas;
	struct list_head groups;
	unsigned int nr_groups;
	struct rb_root_cached dmas;
	unsigned int nr_dmas;
	unsigned int dma_avail;
	unsigned int nr_vaddr_invalid;
};

/* Every container, for debugfs. */
static LIST_HEAD(ioasidfd_compat_list);
static DEFINE_MUTEX(ioasidfd_compat_list_lock);
static struct dentry *ioasidfd_compat_debugfs;

static void *ioasidfd_compat_open(unsigned long arg)
{
	struct ioasidfd_compat *c;
	char label[32];
	int rc;

	if (arg != VFIO_TYPE1_IOMMU && arg != VFIO_TYPE1v2_IOMMU)
		return ERR_PTR(-EINVAL);
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(c, kfree);
	if (!c)
		return ERR_PTR(-ENOMEM);
	mutex_init(&c->lock);
	INIT_LIST_HEAD(&c->groups);
	c->dmas = RB_ROOT_CACHED;
	c->v2 = arg == VFIO_TYPE1v2_IOMMU;
	c->pid = task_tgid_nr(current);
	c->dma_avail = READ_ONCE(dma_entry_limit);

	snprintf(label, sizeof(label), "vfio-type1%s:%d", c->v2 ? "v2" : "",
		 c->pid);
	c->ctx = ioasidfd_kctx_create(label);
	if (IS_ERR(c->ctx)) {
		rc = PTR_ERR(c->ctx);
		goto err_free;
	}
	c->ioas = ioasidfd_kioas_alloc(c->ctx);
	if (IS_ERR(c->ioas)) {
		rc = PTR_ERR(c->ioas);
		goto err_ctx;
	}
	mutex_lock(&ioasidfd_compat_list_lock);
	list_add_tail(&c->item, &ioasidfd_compat_list);
	mutex_unlock(&ioasidfd_compat_list_lock);
	return c;

err_ctx:
	ioasidfd_kctx_destroy(c->ctx);
err_free:
	mutex_destroy(&c->lock);
	kfree(c);
	return ERR_PTR(rc);
}

static void ioasidfd_compat_release(void *iommu_data)
{
	struct ioasidfd_compat *c = iommu_data;
	struct ioasidfd_compat_dma *dma;

	mutex_lock(&ioasidfd_compat_list_lock);
	list_del(&c->item);
	mutex_unlock(&ioasidfd_compat_list_lock);

	/* vfio releases the backend once the last group has left. */
	WARN_ON(c->nr_groups);
	/* Destroying the IOASID unmaps and unpins whatever is left. */
	ioasidfd_kioas_destroy(c->ctx, c->ioas);
	ioasidfd_kctx_destroy(c->ctx);
	while ((dma = ioasidfd_compat_dma_it_iter_first(&c->dmas, 0, U64_MAX))) {
		ioasidfd_compat_dma_it_remove(dma, &c->dmas);
		kfree(dma);
	}
	mutex_destroy(&c->lock);
	kfree(c);
}

/* type1's page sizes: those of every IOMMU, PAGE_SIZE the smallest. */
static u64 ioasidfd_compat_pgsizes(struct ioasidfd_compat *c)
{
	u64 bitmap = ioasidfd_kioas_pgsizes(c->ioas);

	if (!bitmap)
		bitmap = PAGE_MASK;
	if (bitmap & ~PAGE_MASK) {
		bitmap &= PAGE_MASK;
		bitmap |= PAGE_SIZE;
	}
	return bitmap;
}

static int ioasidfd_compat_get_info(struct ioasidfd_compat *c,
				    void __user *uarg)
{
	struct vfio_iommu_type1_info_cap_iova_range *iovas = NULL;
	struct vfio_iommu_type1_info_dma_avail *avail;
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	size_t capsz = offsetofend(struct vfio_iommu_type1_info, cap_offset);
	size_t iovas_size = 0, caps_size;
	struct vfio_iommu_type1_info info;
	struct ioasid_iova_range *ranges;
	void *caps;
	int nr, i, rc = 0;

	ioasidfd_inject_user(uarg);
	if (copy_from_user(&info, uarg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	/* Users of the first version have no cap_offset. */
	if (info.argsz >= capsz) {
		minsz = capsz;
		info.cap_offset = 0;
	}

	mutex_lock(&c->lock);
	info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	info.iova_pgsizes = ioasidfd_compat_pgsizes(c);
	nr = ioasidfd_kioas_iova_ranges(c->ioas, &ranges);
	if (nr < 0) {
		mutex_unlock(&c->lock);
		return nr;
	}
	/* The chain: the IOVA ranges (when there are any), then DMA_AVAIL. */
	if (nr)
		iovas_size = ALIGN(struct_size(iovas, iova_ranges, nr), 8);
	caps_size = iovas_size + sizeof(*avail);
	caps = kzalloc(caps_size, GFP_KERNEL);
	ioasidfd_inject_alloc(caps, kfree);
	if (!caps) {
		mutex_unlock(&c->lock);
		kfree(ranges);
		return -ENOMEM;
	}
	if (nr) {
		iovas = caps;
		iovas->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
		iovas->header.version = 1;
		/* Offsets in the chain count from the start of @info. */
		iovas->header.next = sizeof(info) + iovas_size;
		iovas->nr_iovas = nr;
		for (i = 0; i < nr; i++) {
			iovas->iova_ranges[i].start = ranges[i].start;
			iovas->iova_ranges[i].end = ranges[i].last;
		}
	}
	avail = caps + iovas_size;
	avail->header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	avail->header.version = 1;
	avail->avail = c->dma_avail;
	mutex_unlock(&c->lock);
	kfree(ranges);

	if (info.argsz < sizeof(info) + caps_size) {
		/* Tell the user how much room the chain needs. */
		info.argsz = sizeof(info) + caps_size;
	} else {
		ioasidfd_inject_user(uarg);
		if (copy_to_user(uarg + sizeof(info), caps, caps_size))
			rc = -EFAULT;
		info.cap_offset = sizeof(info);
	}
	kfree(caps);
	ioasidfd_inject_user(uarg);
	if (!rc && copy_to_user(uarg, &info, minsz))
		rc = -EFAULT;
	return rc;
}

/* The core's errno where type1's differs. */
static int ioasidfd_compat_errno(int rc)
{
	switch (rc) {
	case -ERANGE:		/* outside the usable IOVA ranges */
	case -EOVERFLOW:
		return -EINVAL;
	default:
		return rc;
	}
}

static int ioasidfd_compat_map_dma(struct ioasidfd_compat *c, void __user *uarg)
{
	const u32 mask = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
			 VFIO_DMA_MAP_FLAG_VADDR;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	struct ioasidfd_compat_dma *dma;
	bool set_vaddr;
	int prot = 0;
	u64 pgmask;
	int rc;

	ioasidfd_inject_user(uarg);
	if (copy_from_user(&map, uarg, minsz))
		return -EFAULT;
	if (map.argsz < minsz || map.flags & ~mask)
		return -EINVAL;
	set_vaddr = map.flags & VFIO_DMA_MAP_FLAG_VADDR;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	/* Either a new mapping with rights, or a new address for an old one. */
	if (!prot == !set_vaddr)
		return -EINVAL;

	mutex_lock(&c->lock);
	pgmask = (1ULL << __ffs64(ioasidfd_compat_pgsizes(c))) - 1;
	rc = -EINVAL;
	if (!map.size || (map.size | map.iova | map.vaddr) & pgmask)
		goto out_unlock;
	if (map.iova + map.size - 1 < map.iova ||
	    map.vaddr + map.size - 1 < map.vaddr)
		goto out_unlock;

	dma = ioasidfd_compat_dma_it_iter_first(&c->dmas, map.iova,
						map.iova + map.size - 1);
	if (set_vaddr) {
		/* Live update: the same mapping, from its new address. */
		if (!dma) {
			rc = -ENOENT;
		} else if (!dma->vaddr_invalid || dma->start != map.iova ||
			   dma->last != map.iova + map.size - 1) {
			rc = -EINVAL;
		} else {
			dma->vaddr = map.vaddr;
			dma->vaddr_invalid = false;
			c->nr_vaddr_invalid--;
			rc = 0;
		}
		goto out_unlock;
	}
	rc = -EEXIST;
	if (dma)
		goto out_unlock;
	rc = -ENOSPC;
	if (!c->dma_avail)
		goto out_unlock;

	rc = -ENOMEM;
	dma = kzalloc(sizeof(*dma), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(dma, kfree);
	if (!dma)
		goto out_unlock;
	dma->start = map.iova;
	dma->last = map.iova + map.size - 1;
	dma->vaddr = map.vaddr;
	rc = ioasidfd_kioas_map(c->ioas, map.vaddr, map.iova, map.size, prot);
	if (rc) {
		kfree(dma);
		rc = ioasidfd_compat_errno(rc);
		goto out_unlock;
	}
	ioasidfd_compat_dma_it_insert(dma, &c->dmas);
	c->nr_dmas++;
	c->dma_avail--;
out_unlock:
	mutex_unlock(&c->lock);
	return rc;
}

/* Forget the records of [start, last] after the IOASID unmapped them. */
static void ioasidfd_compat_forget(struct ioasidfd_compat *c, u64 start,
				   u64 last)
{
	struct ioasidfd_compat_dma *dma;

	while ((dma = ioasidfd_compat_dma_it_iter_first(&c->dmas, start, last))) {
		if (dma->vaddr_invalid)
			c->nr_vaddr_invalid--;
		ioasidfd_compat_dma_it_remove(dma, &c->dmas);
		kfree(dma);
		c->nr_dmas--;
		c->dma_avail++;
	}
}

static int ioasidfd_compat_unmap_dma(struct ioasidfd_compat *c,
				     void __user *uarg)
{
	const u32 mask = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
			 VFIO_DMA_UNMAP_FLAG_VADDR | VFIO_DMA_UNMAP_FLAG_ALL;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap __user *uunmap = uarg;
	struct vfio_iommu_type1_dma_unmap unmap;
	struct ioasidfd_compat_dma *dma, *first;
	bool all, invalidate;
	u64 start, last, pgmask, unmapped = 0;
	int rc;

	ioasidfd_inject_user(uarg);
	if (copy_from_user(&unmap, uarg, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz || unmap.flags & ~mask)
		return -EINVAL;
	/*
	 * Dirty tracking is never on (VFIO_IOMMU_DIRTY_PAGES is refused), and
	 * type1 refuses a bitmap without it.
	 */
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
		return -EINVAL;
	all = unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL;
	invalidate = unmap.flags & VFIO_DMA_UNMAP_FLAG_VADDR;

	mutex_lock(&c->lock);
	pgmask = (1ULL << __ffs64(ioasidfd_compat_pgsizes(c))) - 1;
	rc = -EINVAL;
	if (unmap.iova & pgmask)
		goto out_unlock;
	if (all) {
		if (unmap.iova || unmap.size)
			goto out_unlock;
		start = 0;
		last = U64_MAX;
	} else {
		if (!unmap.size || unmap.size & pgmask ||
		    unmap.iova + unmap.size - 1 < unmap.iova)
			goto out_unlock;
		start = unmap.iova;
		last = unmap.iova + unmap.size - 1;
	}

	/* v2: the range must not cut a mapping. */
	if (c->v2 && !all) {
		dma = ioasidfd_compat_dma_it_iter_first(&c->dmas, start, start);
		if (dma && dma->start != start)
			goto out_unlock;
		dma = ioasidfd_compat_dma_it_iter_first(&c->dmas, last, last);
		if (dma && dma->last != last)
			goto out_unlock;
	}

	/*
	 * What goes: every mapping in the range.  v1 keeps type1's old rule
	 * instead: nothing if the first mapping starts before the range, else
	 * each mapping that starts in it, whole, even past the range's end.
	 */
	rc = 0;
	first = ioasidfd_compat_dma_it_iter_first(&c->dmas, start, last);
	if (!c->v2 && first && first->start < start)
		first = NULL;
	for (dma = first; dma;
	     dma = ioasidfd_compat_dma_it_iter_next(dma, start, last)) {
		if (invalidate && dma->vaddr_invalid) {
			/* Invalidated already: the whole call is refused. */
			rc = -EINVAL;
			goto out_unlock;
		}
		unmapped += dma->last - dma->start + 1;
	}

	/* Answer first, so that a failed call changes nothing. */
	ioasidfd_inject_user(uunmap);
	if (put_user(unmapped, &uunmap->size)) {
		rc = -EFAULT;
		goto out_unlock;
	}
	if (!unmapped)
		goto out_unlock;

	if (invalidate) {
		for (dma = first; dma;
		     dma = ioasidfd_compat_dma_it_iter_next(dma, start, last)) {
			dma->vaddr_invalid = true;
			c->nr_vaddr_invalid++;
		}
		goto out_unlock;
	}

	if (c->v2 || all) {
		/* The records mirror the IOASID: it unmaps exactly those. */
		WARN_ON(ioasidfd_kioas_unmap(c->ioas, start, last, all, NULL,
					     NULL));
		ioasidfd_compat_forget(c, start, last);
		goto out_unlock;
	}
	/* v1: mapping by mapping, as the range may cut the last one. */
	while ((dma = ioasidfd_compat_dma_it_iter_first(&c->dmas, start, last))) {
		u64 s = dma->start, l = dma->last;

		WARN_ON(ioasidfd_kioas_unmap(c->ioas, s, l, false, NULL, NULL));
		ioasidfd_compat_forget(c, s, l);
	}
out_unlock:
	mutex_unlock(&c->lock);
	return rc;
}

static int ioasidfd_compat_check_extension(struct ioasidfd_compat *c,
					   unsigned long arg)
{
	struct ioasidfd_compat_group *cg;
	int rc;

	switch (arg) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		/* Asked without a container: only while serving new ones. */
		return c || READ_ONCE(type1_compat);
	case VFIO_UPDATE_VADDR:
		return !!c;
	case VFIO_DMA_CC_IOMMU:
		if (!c)
			return 0;
		rc = 1;
		mutex_lock(&c->lock);
		list_for_each_entry(cg, &c->groups, item)
			if (!cg->coherent)
				rc = 0;
		mutex_unlock(&c->lock);
		return rc;
	default:
		return 0;
	}
}

static long ioasidfd_compat_ioctl(void *iommu_data, unsigned int cmd,
				  unsigned long arg)
{
	struct ioasidfd_compat *c = iommu_data;

	/* vfio asks every backend with NULL data which types it serves. */
	if (cmd == VFIO_CHECK_EXTENSION)
		return ioasidfd_compat_check_extension(c, arg);
	if (!c)
		return -ENOTTY;
	switch (cmd) {
	case VFIO_IOMMU_GET_INFO:
		return ioasidfd_compat_get_info(c, (void __user *)arg);
	case VFIO_IOMMU_MAP_DMA:
		return ioasidfd_compat_map_dma(c, (void __user *)arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return ioasidfd_compat_unmap_dma(c, (void __user *)arg);
	case VFIO_IOMMU_DIRTY_PAGES:
		/* No dirty tracking: /dev/ioasid does not track DMA writes. */
		return -EOPNOTSUPP;
	default:
		return -ENOTTY;
	}
}

/* iommu_group_for_each_dev() callback: non-zero stops at a device without. */
static int ioasidfd_compat_dev_incoherent(struct device *dev, void *unused)
{
	return !device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY);
}

static int ioasidfd_compat_attach_group(void *iommu_data,
					struct iommu_group *group,
					enum vfio_group_type type)
{
	struct ioasidfd_compat *c = iommu_data;
	struct ioasidfd_compat_group *cg;
	struct ioasidfd_kgroup *kg;
	int rc;

	/* Mediated and no-IOMMU groups have no IOMMU to give to /dev/ioasid. */
	if (type != VFIO_IOMMU)
		return -EINVAL;
	rc = ioasidfd_vfio_check_msi(group);
	if (rc)
		return rc;
	cg = kzalloc(sizeof(*cg), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(cg, kfree);
	if (!cg)
		return -ENOMEM;
	cg->group = group;
	cg->coherent = !iommu_group_for_each_dev(group, NULL,
						 ioasidfd_compat_dev_incoherent);

	mutex_lock(&c->lock);
	/* Mappings made so far are replayed into the group's page table. */
	kg = ioasidfd_kgroup_attach(c->ioas, group);
	if (IS_ERR(kg)) {
		mutex_unlock(&c->lock);
		kfree(cg);
		/* type1 says EINVAL for mappings the group cannot reach. */
		return ioasidfd_compat_errno(PTR_ERR(kg));
	}
	cg->kg = kg;
	list_add_tail(&cg->item, &c->groups);
	c->nr_groups++;
	mutex_unlock(&c->lock);
	return 0;
}

static void ioasidfd_compat_detach_group(void *iommu_data,
					 struct iommu_group *group)
{
	struct ioasidfd_compat *c = iommu_data;
	struct ioasidfd_compat_group *cg, *found = NULL;

	mutex_lock(&c->lock);
	list_for_each_entry(cg, &c->groups, item) {
		if (cg->group == group) {
			found = cg;
			break;
		}
	}
	if (!WARN_ON(!found)) {
		/* Its DMA is blocked again; the mappings stay for the others. */
		ioasidfd_kgroup_detach(found->kg);
		list_del(&found->item);
		c->nr_groups--;
		kfree(found);
	}
	mutex_unlock(&c->lock);
}

/*
 * No pin_pages / dma_rw (emulated groups are refused), no per-device state
 * (register_device / unregister_device), and nothing to do when the
 * container's fd closes (notify): vfio checks each for NULL.
 */
static const struct vfio_iommu_driver_ops ioasidfd_compat_ops = {
	.name = "ioasidfd-type1",
	.owner = THIS_MODULE,
	.open = ioasidfd_compat_open,
	.release = ioasidfd_compat_release,
	.ioctl = ioasidfd_compat_ioctl,
	.attach_group = ioasidfd_compat_attach_group,
	.detach_group = ioasidfd_compat_detach_group,
};

static int ioasidfd_compat_type1_show(struct seq_file *m, void *unused)
{
	struct ioasidfd_compat_group *cg;
	struct ioasidfd_compat_dma *dma;
	struct ioasidfd_compat *c;

	seq_printf(m, "type1_compat %d\n", READ_ONCE(type1_compat));
	mutex_lock(&ioasidfd_compat_list_lock);
	list_for_each_entry(c, &ioasidfd_compat_list, item) {
		mutex_lock(&c->lock);
		seq_printf(m, "container %s pid %d pasid %u mappings %u dma_avail %u vaddr_invalid %u groups",
			   c->v2 ? "type1v2" : "type1", c->pid,
			   ioasidfd_ioas_pasid(c->ioas), c->nr_dmas,
			   c->dma_avail, c->nr_vaddr_invalid);
		list_for_each_entry(cg, &c->groups, item)
			seq_printf(m, " %d", iommu_group_id(cg->group));
		seq_putc(m, '\n');
		for (dma = ioasidfd_compat_dma_it_iter_first(&c->dmas, 0, U64_MAX);
		     dma; dma = ioasidfd_compat_dma_it_iter_next(dma, 0, U64_MAX))
			seq_printf(m, "  iova 0x%llx-0x%llx vaddr 0x%lx%s\n",
				   dma->start, dma->last, dma->vaddr,
				   dma->vaddr_invalid ? " vaddr-invalid" : "");
		mutex_unlock(&c->lock);
	}
	mutex_unlock(&ioasidfd_compat_list_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ioasidfd_compat_type1);

int ioasidfd_vfio_compat_init(void)
{
	int rc;

	/* Registered after the IOASID backend (and type1): asked first. */
	rc = vfio_register_iommu_driver(&ioasidfd_compat_ops);
	if (rc)
		return rc;
	ioasidfd_compat_debugfs = debugfs_create_dir("ioasidfd_vfio", NULL);
	debugfs_create_file("type1", 0400, ioasidfd_compat_debugfs, NULL,
			    &ioasidfd_compat_type1_fops);
	return 0;
}

void ioasidfd_vfio_compat_exit(void)
{
	debugfs_remove_recursive(ioasidfd_compat_debugfs);
	/* vfio holds the module while a container uses the backend. */
	vfio_unregister_iommu_driver(&ioasidfd_compat_ops);
	WARN_ON(!list_empty(&ioasidfd_compat_list));
}
