// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: the software executor.
 *
 * Neither Linux 6.1 nor QEMU 7.2 can run PASID-tagged DMA, so this executor
 * runs it in software, for devices emulated in the kernel and for the test
 * suite.  It sits behind the same executor ops as the kernel IOMMU API one:
 * IOASIDs, their mappings (pinning, accounting, the area tree), device
 * attachments, DESTROY and fault reporting are the common code; only the page
 * table and the DMA engine below are its own.
 *
 * Page table: an xarray indexed by IOVA page, holding the page frame and its
 * access rights.  Its rw_semaphore is the IOTLB: a DMA access holds it for
 * reading while it translates and copies one page, map and unmap hold it for
 * writing, so once unmap returns no access can still reach the old pages.
 *
 * Devices: each attachment is a port, keyed by the PASID requests carry (or
 * IOASIDFD_SW_RID for requests without PASID), under the device's own
 * rw_semaphore.
 *
 * Lock order: iopt lock -> device port lock -> page table lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#include "ioasidfd_private.h"

/* Port key of requests without PASID: above every PASID. */
#define IOASIDFD_SW_RID		(IOASID_PASID_MAX + 1UL)

/* The software IOMMU translates 48-bit IOVAs with 4 KiB pages. */
#define IOASIDFD_SW_IOVA_BITS	48

#define IOASIDFD_SW_PTE_READ	BIT(0)
#define IOASIDFD_SW_PTE_WRITE	BIT(1)
#define IOASIDFD_SW_PTE_SHIFT	2

/* Most retries of one access after IOASID_FAULT_RESP_RETRY answers. */
#define IOASIDFD_SW_MAX_RETRIES	16

struct ioasidfd_sw_pt {
	struct rw_semaphore lock; /* the IOTLB: see the top of the file */
	struct xarray ptes;
};

struct ioasidfd_sw_dev {
	struct rw_semaphore lock; /* write: attach/detach; read: DMA access */
	struct xarray ports;	  /* port key -> struct ioasidfd_attach */
};

static unsigned long ioasidfd_sw_port(u32 pasid)
{
	return pasid == IOASIDFD_PASID_RID ? IOASIDFD_SW_RID : pasid;
}

static int ioasidfd_sw_probe(struct ioasidfd_device *idev)
{
	struct ioasidfd_sw_dev *sw;

	sw = kzalloc(sizeof(*sw), GFP_KERNEL);
	if (!sw)
		return -ENOMEM;
	init_rwsem(&sw->lock);
	xa_init(&sw->ports);
	idev->priv = sw;
	idev->family = &ioasidfd_families[IOASID_FAMILY_SOFTWARE];
	idev->pgsize_bitmap = PAGE_SIZE;
	idev->aperture.start = 0;
	idev->aperture.last = BIT_ULL(IOASIDFD_SW_IOVA_BITS) - 1;
	return 0;
}

static void ioasidfd_sw_remove(struct ioasidfd_device *idev)
{
	struct ioasidfd_sw_dev *sw = idev->priv;

	WARN_ON(!xa_empty(&sw->ports));
	xa_destroy(&sw->ports);
	kfree(sw);
}

static struct ioasidfd_hwpt *ioasidfd_sw_hwpt_alloc(struct ioasidfd_device *idev)
{
	struct ioasidfd_hwpt *hwpt;
	struct ioasidfd_sw_pt *pt;

	hwpt = kzalloc(sizeof(*hwpt), GFP_KERNEL_ACCOUNT);
	pt = kzalloc(sizeof(*pt), GFP_KERNEL_ACCOUNT);
	if (!hwpt || !pt) {
		kfree(hwpt);
		kfree(pt);
		return ERR_PTR(-ENOMEM);
	}
	init_rwsem(&pt->lock);
	xa_init(&pt->ptes);
	hwpt->priv = pt;
	return hwpt;
}

static void ioasidfd_sw_hwpt_free(struct ioasidfd_hwpt *hwpt)
{
	struct ioasidfd_sw_pt *pt = hwpt->priv;

	/* The IOASID may still map things: its last user just went. */
	xa_destroy(&pt->ptes);
	kfree(pt);
	kfree(hwpt);
}

static void ioasidfd_sw_clear(struct ioasidfd_sw_pt *pt, unsigned long first,
			      unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		xa_erase(&pt->ptes, first + i);
}

static int ioasidfd_sw_map(struct ioasidfd_hwpt *hwpt, unsigned long iova,
			   struct page **pages, unsigned long npages, int prot)
{
	struct ioasidfd_sw_pt *pt = hwpt->priv;
	unsigned long first = iova >> PAGE_SHIFT, i, rights = 0;
	int rc = 0;

	if (prot & IOMMU_READ)
		rights |= IOASIDFD_SW_PTE_READ;
	if (prot & IOMMU_WRITE)
		rights |= IOASIDFD_SW_PTE_WRITE;
	down_write(&pt->lock);
	for (i = 0; i < npages; i++) {
		unsigned long pte = page_to_pfn(pages[i]) << IOASIDFD_SW_PTE_SHIFT |
				    rights;

		rc = xa_err(xa_store(&pt->ptes, first + i, xa_mk_value(pte),
				     GFP_KERNEL_ACCOUNT));
		if (rc) {
			ioasidfd_sw_clear(pt, first, i);
			break;
		}
	}
	up_write(&pt->lock);
	return rc;
}

static void ioasidfd_sw_unmap(struct ioasidfd_hwpt *hwpt, unsigned long iova,
			      unsigned long length)
{
	struct ioasidfd_sw_pt *pt = hwpt->priv;

	/* Taking the lock for writing waits out every access in flight. */
	down_write(&pt->lock);
	ioasidfd_sw_clear(pt, iova >> PAGE_SHIFT, length >> PAGE_SHIFT);
	up_write(&pt->lock);
}

static int ioasidfd_sw_attach(struct ioasidfd_attach *attach)
{
	struct ioasidfd_sw_dev *sw = attach->idev->priv;
	int rc;

	down_write(&sw->lock);
	rc = xa_err(xa_store(&sw->ports, ioasidfd_sw_port(attach->pasid), attach,
			     GFP_KERNEL));
	up_write(&sw->lock);
	return rc;
}

static void ioasidfd_sw_detach(struct ioasidfd_attach *attach)
{
	struct ioasidfd_sw_dev *sw = attach->idev->priv;

	down_write(&sw->lock);
	xa_erase(&sw->ports, ioasidfd_sw_port(attach->pasid));
	up_write(&sw->lock);
}

const struct ioasidfd_exec_ops ioasidfd_exec_sw = {
	.executor = IOASID_EXEC_SOFTWARE,
	.modes = BIT(IOASID_MODE_NONE) | BIT(IOASID_MODE_IOVA),
	.probe = ioasidfd_sw_probe,
	.remove = ioasidfd_sw_remove,
	.hwpt_alloc = ioasidfd_sw_hwpt_alloc,
	.hwpt_free = ioasidfd_sw_hwpt_free,
	.map = ioasidfd_sw_map,
	.unmap = ioasidfd_sw_unmap,
	.attach = ioasidfd_sw_attach,
	.detach = ioasidfd_sw_detach,
};

/**
 * ioasidfd_sw_device_create() - a device whose DMA the software IOMMU runs
 * @pasid_bits: PASID width the device issues (0 to 20; 0: no PASID)
 *
 * The device attaches to IOASIDs like any other (ioasidfd_device_attach(),
 * ioasidfd_device_ioctl()), and DMAs with ioasidfd_sw_dma_rw().  Destroy it
 * with ioasidfd_device_destroy().
 *
 * Return: the device, ERR_PTR(-ERANGE) for a bad @pasid_bits, or
 * ERR_PTR(-ENOMEM).
 */
struct ioasidfd_device *ioasidfd_sw_device_create(u32 pasid_bits)
{
	if (pasid_bits > IOASID_PASID_BITS)
		return ERR_PTR(-ERANGE);
	return ioasidfd_device_alloc(NULL, &ioasidfd_exec_sw, pasid_bits);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_sw_device_create, IOASIDFD);

/* Outcome of translating and copying one page. */
struct ioasidfd_sw_step {
	struct ioasidfd_ioas *ioas;	/* referenced, on a fault */
	u64 cookie;
	u32 reason;
	bool attached;
};

static void ioasidfd_sw_access(struct ioasidfd_device *idev,
			       struct ioasidfd_sw_dma *dma, u64 off, size_t len,
			       struct ioasidfd_sw_step *step)
{
	struct ioasidfd_sw_dev *sw = idev->priv;
	u64 iova = dma->iova + off;
	struct ioasidfd_attach *attach;
	struct ioasidfd_sw_pt *pt;
	unsigned long need, pte;
	void *entry, *va;

	need = dma->write ? IOASIDFD_SW_PTE_WRITE : IOASIDFD_SW_PTE_READ;
	down_read(&sw->lock);
	attach = xa_load(&sw->ports, ioasidfd_sw_port(dma->pasid));
	step->attached = attach;
	if (!attach)
		goto out;
	pt = attach->hwpt->priv;

	down_read(&pt->lock);
	entry = xa_load(&pt->ptes, iova >> PAGE_SHIFT);
	pte = entry ? xa_to_value(entry) : 0;
	if (!entry) {
		step->reason = IOASID_FAULT_REASON_UNMAPPED;
	} else if (!(pte & need)) {
		step->reason = IOASID_FAULT_REASON_PERMISSION;
	} else {
		va = kmap_local_page(pfn_to_page(pte >> IOASIDFD_SW_PTE_SHIFT));
		if (dma->write)
			memcpy(va + offset_in_page(iova), dma->buf + off, len);
		else
			memcpy(dma->buf + off, va + offset_in_page(iova), len);
		kunmap_local(va);
	}
	up_read(&pt->lock);

	if (step->reason) {
		/* The attachment holds the IOASID: this reference is safe. */
		kref_get(&attach->ioas->kref);
		step->ioas = attach->ioas;
		step->cookie = attach->cookie;
	}
out:
	up_read(&sw->lock);
}

/**
 * ioasidfd_sw_dma_rw() - DMA by a software device, through its IOMMU
 * @idev: a device from ioasidfd_sw_device_create()
 * @dma: the request; see struct ioasidfd_sw_dma
 *
 * Moves @dma->length bytes between @dma->buf and the IOVA range, page by
 * page, through the IOASID attached where the request lands (at
 * @dma->pasid, or at RID).  A page without a translation or without the
 * access right stops the transfer: nothing is accessed at or past it, and
 * the fault goes to the IOASID's fault queue.  With @dma->recoverable the
 * access waits up to @dma->timeout for the answer and retries when told to.
 *
 * Return: 0 when the request ran (see @dma->status for how it ended),
 * -EINVAL if @idev is not a software device.
 */
int ioasidfd_sw_dma_rw(struct ioasidfd_device *idev, struct ioasidfd_sw_dma *dma)
{
	u64 off = 0;

	if (idev->exec != &ioasidfd_exec_sw)
		return -EINVAL;
	dma->done = 0;
	dma->retries = 0;
	dma->status = IOASIDFD_SW_DMA_OK;
	while (off < dma->length) {
		u64 iova = dma->iova + off;
		size_t len = min_t(u64, dma->length - off,
				   PAGE_SIZE - offset_in_page(iova));
		struct ioasidfd_sw_step step = {};
		struct ioasid_fault fault = {};
		u32 code;

		ioasidfd_sw_access(idev, dma, off, len, &step);
		if (!step.attached) {
			dma->status = IOASIDFD_SW_DMA_NO_ATTACH;
			break;
		}
		if (!step.reason) {
			off += len;
			dma->done = off;
			continue;
		}

		fault.flags = dma->write ? IOASID_FAULT_WRITE : IOASID_FAULT_READ;
		if (dma->pasid != IOASIDFD_PASID_RID)
			fault.flags |= IOASID_FAULT_PASID_VALID;
		if (dma->recoverable)
			fault.flags |= IOASID_FAULT_RECOVERABLE;
		fault.pasid = step.ioas->pasid;
		fault.reason = step.reason;
		fault.cookie = step.cookie;
		fault.addr = iova & PAGE_MASK;
		code = ioasidfd_fault_report(step.ioas, &fault, dma->timeout);
		ioasidfd_ioas_put(step.ioas);

		if (dma->recoverable && code == IOASID_FAULT_RESP_RETRY &&
		    dma->retries < IOASIDFD_SW_MAX_RETRIES) {
			dma->retries++;
			continue;
		}
		dma->status = IOASIDFD_SW_DMA_FAULT;
		dma->fault_addr = iova;
		dma->fault_reason = step.reason;
		break;
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_sw_dma_rw, IOASIDFD);
