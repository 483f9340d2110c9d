// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: the kernel IOMMU API executor.
 *
 * Runs IOVA translation on the real IOMMU (VT-d, SMMUv3, ...) through the
 * API Linux 6.1 exports: an unmanaged iommu_domain per page table, attached
 * to whole IOMMU groups, i.e. at RID granularity.  6.1 has no PASID attach,
 * so devices run by this executor cannot be attached at a PASID.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "ioasidfd_private.h"
#include "inject.h"

/* The sysfs name of the device's IOMMU tells the family. */
static const struct ioasidfd_family *ioasidfd_iommu_family(struct device *dev)
{
	struct iommu_device *iommu = dev->iommu ? dev->iommu->iommu_dev : NULL;
	const char *name = iommu && iommu->dev ? dev_name(iommu->dev) : "";

	if (str_has_prefix(name, "dmar"))
		return &ioasidfd_families[IOASID_FAMILY_VTD];
	if (str_has_prefix(name, "smmu3."))
		return &ioasidfd_families[IOASID_FAMILY_SMMUV3];
	return &ioasidfd_families[IOASID_FAMILY_OTHER];
}

static int ioasidfd_iommu_resv(struct ioasidfd_device *idev)
{
	struct iommu_resv_region *region;
	LIST_HEAD(regions);
	unsigned int n = 0;
	int rc;

	rc = iommu_get_group_resv_regions(idev->group->iommu_group, &regions);
	if (rc)
		goto out;
	list_for_each_entry(region, &regions, list)
		n++;
	idev->resv = kcalloc(n, sizeof(*idev->resv), GFP_KERNEL);
	ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, n && idev->resv,
			     kfree(idev->resv); idev->resv = NULL);
	if (n && !idev->resv) {
		rc = -ENOMEM;
		goto out;
	}
	/* The group's list is sorted and merged; keep it that way. */
	list_for_each_entry(region, &regions, list) {
		idev->resv[idev->nr_resv].start = region->start;
		idev->resv[idev->nr_resv].last = region->start + region->length - 1;
		idev->nr_resv++;
		if (region->type == IOMMU_RESV_SW_MSI) {
			idev->msi_base = region->start;
			idev->msi_translated = true;
		}
	}
out:
	iommu_put_resv_regions(idev->dev, &regions);
	return rc;
}

/*
 * Faults the IOMMU driver reports for the device.  On Linux 6.1 the SMMUv3
 * driver reports unrecoverable translation, address size, access and
 * permission faults here (from its event queue thread, which may sleep); the
 * VT-d driver reports none.
 */
static int ioasidfd_iommu_fault(struct iommu_fault *evt, void *data)
{
	struct ioasidfd_device *idev = data;
	struct iommu_fault_unrecoverable *f = &evt->event;
	struct ioasid_fault fault = {};
	u32 pasid = IOASIDFD_PASID_RID;

	if (evt->type != IOMMU_FAULT_DMA_UNRECOV)
		return -EOPNOTSUPP;
	if (f->flags & IOMMU_FAULT_UNRECOV_PASID_VALID) {
		pasid = f->pasid;
		fault.flags |= IOASID_FAULT_PASID_VALID;
	}
	if (f->perm & IOMMU_FAULT_PERM_WRITE)
		fault.flags |= IOASID_FAULT_WRITE;
	else
		fault.flags |= IOASID_FAULT_READ;
	switch (f->reason) {
	case IOMMU_FAULT_REASON_PTE_FETCH:
		fault.reason = IOASID_FAULT_REASON_UNMAPPED;
		break;
	case IOMMU_FAULT_REASON_PERMISSION:
		fault.reason = IOASID_FAULT_REASON_PERMISSION;
		break;
	default:
		fault.reason = IOASID_FAULT_REASON_OTHER;
		break;
	}
	if (f->flags & IOMMU_FAULT_UNRECOV_ADDR_VALID)
		fault.addr = f->addr;
	return ioasidfd_device_report_fault(idev, pasid, &fault);
}

static void ioasidfd_iommu_geometry(struct ioasidfd_device *idev,
				    struct iommu_domain *domain)
{
	idev->pgsize_bitmap = domain->pgsize_bitmap;
	if (domain->geometry.force_aperture) {
		idev->aperture.start = domain->geometry.aperture_start;
		idev->aperture.last = domain->geometry.aperture_end;
	} else {
		idev->aperture.start = 0;
		idev->aperture.last = U64_MAX;
	}
}

/*
 * What the kernel says to hardware SVA for @dev, the way its own SVA users
 * ask (I/O page faults first, then SVA), undone at once: 0 or a positive
 * errno, for DEVICE_GET_INFO.  The caller owns the device.
 */
static u32 ioasidfd_iommu_sva_errno(struct device *dev)
{
	int rc;

	rc = iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_IOPF);
	if (rc)
		return -rc;
	rc = iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_SVA);
	if (!rc)
		iommu_dev_disable_feature(dev, IOMMU_DEV_FEAT_SVA);
	iommu_dev_disable_feature(dev, IOMMU_DEV_FEAT_IOPF);
	return -rc;
}

/*
 * iommu_detach_group() cannot fail, yet in 6.1 it can: it re-attaches the
 * group's blocking domain, and a driver that allocates at attach (VT-d's
 * per-unit domain bookkeeping) may fail there, WARN and leave the group in
 * @domain.  The caller is about to free @domain and what it maps, so a
 * device must not stay in it: retry, and say so loudly if it stays.
 *
 * Return: true if the group left @domain.
 */
static bool ioasidfd_iommu_detach_group(struct iommu_domain *domain,
					struct device *dev,
					struct iommu_group *iommu_group)
{
	int tries;

	for (tries = 0; tries < 3; tries++) {
		iommu_detach_group(domain, iommu_group);
		if (iommu_get_domain_for_dev(dev) != domain)
			return true;
	}
	dev_err(dev, "its IOMMU group could not leave a domain being freed\n");
	return false;
}

static int ioasidfd_iommu_probe(struct ioasidfd_device *idev)
{
	struct device *dev = idev->dev;
	struct iommu_group *iommu_group;
	struct iommu_domain *domain;
	int rc;

	iommu_group = iommu_group_get(dev);
	if (!iommu_group)
		return -ENODEV;
	idev->group = ioasidfd_group_get(iommu_group);
	if (IS_ERR(idev->group))
		return PTR_ERR(idev->group);

	/*
	 * Page sizes and aperture are those of the domains we will use.  The
	 * 6.1 VT-d and SMMUv3 drivers fix a domain's aperture (and SMMUv3 its
	 * page sizes) at its first attach, so attach an empty domain for a
	 * moment: the caller owns the group's DMA, which stays blocked.  If
	 * the group is busy (another device of it is attached, or it is in a
	 * type1 container) the figures are refined at the device's attach.
	 */
	domain = iommu_domain_alloc(dev->bus);
	ioasidfd_inject_undo(IOASIDFD_INJ_IOMMU, domain, iommu_domain_free(domain); domain = NULL);
	/* The group has an IOMMU (it has a group): no domain is no memory. */
	if (!domain) {
		rc = -ENOMEM;
		goto err_group;
	}
	if (!iommu_attach_group(domain, iommu_group)) {
		ioasidfd_iommu_geometry(idev, domain);
		/* A domain the group is still in is leaked, not freed. */
		if (!ioasidfd_iommu_detach_group(domain, dev, iommu_group))
			domain = NULL;
	} else {
		/* Devices of a group share its attachment: same figures. */
		mutex_lock(&idev->group->lock);
		ioasidfd_iommu_geometry(idev, idev->group->rid_hwpt ?
					idev->group->rid_hwpt->domain : domain);
		mutex_unlock(&idev->group->lock);
	}
	if (domain)
		iommu_domain_free(domain);

	rc = ioasidfd_iommu_resv(idev);
	if (rc)
		goto err_resv;
	idev->family = ioasidfd_iommu_family(dev);
	idev->pasid_bits = 0;
	idev->sva_hw_errno = ioasidfd_iommu_sva_errno(dev);
	if (device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		idev->prot = IOMMU_CACHE;
	/*
	 * Only one handler per device: if another driver holds it, faults are
	 * just not routed to fault queues.
	 */
	if (iommu_register_device_fault_handler(dev, ioasidfd_iommu_fault, idev))
		dev_dbg(dev, "IOMMU faults will not reach ioasid fault queues\n");
	else
		idev->fault_handler = true;
	return 0;

err_resv:
	kfree(idev->resv);
err_group:
	ioasidfd_group_put(idev->group);
	return rc;
}

static void ioasidfd_iommu_remove(struct ioasidfd_device *idev)
{
	/* Waits for a handler in flight; called without the device lock. */
	if (idev->fault_handler)
		iommu_unregister_device_fault_handler(idev->dev);
	kfree(idev->resv);
	ioasidfd_group_put(idev->group);
}

static struct ioasidfd_hwpt *ioasidfd_iommu_hwpt_alloc(struct ioasidfd_device *idev)
{
	struct ioasidfd_hwpt *hwpt;
	int rc;

	hwpt = kzalloc(sizeof(*hwpt), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(hwpt, kfree);
	if (!hwpt)
		return ERR_PTR(-ENOMEM);
	hwpt->domain = iommu_domain_alloc(idev->dev->bus);
	ioasidfd_inject_undo(IOASIDFD_INJ_IOMMU, hwpt->domain,
			     iommu_domain_free(hwpt->domain); hwpt->domain = NULL);
	if (!hwpt->domain) {
		rc = -ENOMEM;
		goto err_free;
	}
	/*
	 * Where MSIs are translated (SMMUv3 + GICv3 ITS) the doorbell must be
	 * mapped in the domain when the device's MSIs are set up: give the
	 * domain the software MSI window, as the VFIO type1 backend does.
	 */
	if (idev->msi_translated) {
		rc = iommu_get_msi_cookie(hwpt->domain, idev->msi_base);
		ioasidfd_inject_undo(IOASIDFD_INJ_IOMMU, !rc, rc = -ENOMEM);
		if (rc)
			goto err_domain;
	}
	return hwpt;

err_domain:
	iommu_domain_free(hwpt->domain);
err_free:
	kfree(hwpt);
	return ERR_PTR(rc);
}

static void ioasidfd_iommu_hwpt_free(struct ioasidfd_hwpt *hwpt)
{
	iommu_domain_free(hwpt->domain);
	kfree(hwpt);
}

/* Without sleeping: one iommu_map_atomic() per run (6.1 exports no atomic sg map). */
static int ioasidfd_iommu_map_atomic(struct ioasidfd_hwpt *hwpt,
				     unsigned long iova,
				     const struct ioasidfd_pfn_run *runs,
				     unsigned int nr, int prot)
{
	size_t done = 0, len;
	unsigned int i;
	int rc;

	for (i = 0; i < nr; i++) {
		len = runs[i].npages << PAGE_SHIFT;
		rc = iommu_map_atomic(hwpt->domain, iova + done,
				      PFN_PHYS(runs[i].pfn), len, prot);
		ioasidfd_inject_undo(IOASIDFD_INJ_IOMMU, !rc,
				     iommu_unmap(hwpt->domain, iova + done, len); rc = -ENOMEM);
		if (rc) {
			if (done)
				iommu_unmap(hwpt->domain, iova, done);
			return rc;
		}
		done += len;
	}
	return 0;
}

/*
 * One iommu_map_sg() per batch of runs: the driver maps each physically
 * contiguous run with the largest page sizes it can and syncs the IOTLB
 * once for the whole batch, instead of once per run.
 */
static int ioasidfd_iommu_map(struct ioasidfd_hwpt *hwpt, unsigned long iova,
			      const struct ioasidfd_pfn_run *runs,
			      unsigned int nr, int prot, gfp_t gfp)
{
	struct scatterlist *sg;
	struct sg_table sgt;
	size_t length = 0;
	ssize_t mapped;
	unsigned int i;
	int rc;

	if (!gfpflags_allow_blocking(gfp))
		return ioasidfd_iommu_map_atomic(hwpt, iova, runs, nr, prot);
	rc = sg_alloc_table(&sgt, nr, gfp);
	ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, !rc, sg_free_table(&sgt); rc = -ENOMEM);
	if (rc)
		return rc;
	for_each_sgtable_sg(&sgt, sg, i) {
		sg_set_page(sg, pfn_to_page(runs[i].pfn),
			    runs[i].npages << PAGE_SHIFT, 0);
		length += runs[i].npages << PAGE_SHIFT;
	}
	mapped = iommu_map_sg(hwpt->domain, iova, sgt.sgl, sgt.orig_nents, prot);
	ioasidfd_inject_undo(IOASIDFD_INJ_IOMMU, mapped > 0,
			     iommu_unmap(hwpt->domain, iova, mapped); mapped = -ENOMEM);
	sg_free_table(&sgt);
	if (mapped < 0)
		return mapped;
	if (WARN_ON(mapped != length)) {
		iommu_unmap(hwpt->domain, iova, mapped);
		return -EIO;
	}
	return 0;
}

static void ioasidfd_iommu_unmap(struct ioasidfd_hwpt *hwpt, unsigned long iova,
				 unsigned long length,
				 struct iommu_iotlb_gather *gather)
{
	size_t done = iommu_unmap_fast(hwpt->domain, iova, length, gather);

	WARN_ON(done != length);
}

static void ioasidfd_iommu_flush(struct ioasidfd_hwpt *hwpt,
				 struct iommu_iotlb_gather *gather)
{
	iommu_iotlb_sync(hwpt->domain, gather);
}

static int ioasidfd_iommu_attach(struct ioasidfd_attach *attach)
{
	struct iommu_domain *domain = attach->hwpt->domain;
	int rc;

	if (WARN_ON(attach->wire_pasid != IOASIDFD_PASID_RID))
		return -EOPNOTSUPP;
	rc = iommu_attach_group(domain, attach->idev->group->iommu_group);
	ioasidfd_inject_undo(IOASIDFD_INJ_IOMMU, !rc,
			     iommu_detach_group(domain, attach->idev->group->iommu_group);
			     rc = -ENOMEM);
	if (!rc)
		/* The figures of an attached domain are final. */
		ioasidfd_iommu_geometry(attach->idev, domain);
	return rc;
}

static void ioasidfd_iommu_detach(struct ioasidfd_attach *attach)
{
	/*
	 * Back to the blocking domain of the group's DMA owner.  Should that
	 * keep failing, the error is all that is left: the caller's state is
	 * past undoing (the VFIO release path cannot fail either).
	 */
	ioasidfd_iommu_detach_group(attach->hwpt->domain, attach->idev->dev,
				    attach->idev->group->iommu_group);
}

const struct ioasidfd_exec_ops ioasidfd_exec_iommu = {
	.executor = IOASID_EXEC_IOMMU_API,
	/* Nested IOASIDs by shadow paging (shadow.c), at RID */
	.modes = BIT(IOASID_MODE_NONE) | BIT(IOASID_MODE_IOVA) |
		 BIT(IOASID_MODE_NESTED) | BIT(IOASID_MODE_SVA),
	.probe = ioasidfd_iommu_probe,
	.remove = ioasidfd_iommu_remove,
	.hwpt_alloc = ioasidfd_iommu_hwpt_alloc,
	.hwpt_free = ioasidfd_iommu_hwpt_free,
	.map = ioasidfd_iommu_map,
	.unmap = ioasidfd_iommu_unmap,
	.flush = ioasidfd_iommu_flush,
	.attach = ioasidfd_iommu_attach,
	.detach = ioasidfd_iommu_detach,
};
