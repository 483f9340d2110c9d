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
 * It walks: a software device's access is translated through the IOASID's
 * source per access (ioasidfd_iopt_access()), under the IOASID's
 * translation lock, which plays the IOTLB: an UNMAP, a DESTROY or an
 * invalidation waits out the access in flight, and once it returns no
 * access reaches the old memory.  Its page tables (hwpts) hold no table;
 * they only count the attachments that share the executor.
 *
 * Devices: each attachment is a port, keyed by the wire PASID requests carry
 * (or IOASIDFD_SW_RID for requests without PASID), under the device's own
 * rw_semaphore.  A request with a PASID that has no port of its own goes
 * to the RID attachment when the IOASID there takes every PASID of the
 * stream (an SMMUv3-format nested IOASID, whose CD table the SubstreamID
 * indexes).
 *
 * Lock order: iopt lock -> device port lock -> xlate lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#include "ioasidfd_private.h"
#include "inject.h"

/* Port key of requests without PASID: above every PASID. */
#define IOASIDFD_SW_RID		(IOASID_PASID_MAX + 1UL)

/* The software IOMMU translates 48-bit IOVAs with 4 KiB pages. */
#define IOASIDFD_SW_IOVA_BITS	48

/* Most retries of one access after IOASID_FAULT_RESP_RETRY answers. */
#define IOASIDFD_SW_MAX_RETRIES	16

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
	ioasidfd_inject_alloc(sw, kfree);
	if (!sw)
		return -ENOMEM;
	init_rwsem(&sw->lock);
	xa_init(&sw->ports);
	idev->priv = sw;
	idev->family = &ioasidfd_families[IOASID_FAMILY_SOFTWARE];
	idev->pgsize_bitmap = PAGE_SIZE;
	idev->aperture.start = 0;
	idev->aperture.last = BIT_ULL(IOASIDFD_SW_IOVA_BITS) - 1;
	/* No IOMMU behind it: SVA is the walk's */
	idev->sva_hw_errno = ENODEV;
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

	hwpt = kzalloc(sizeof(*hwpt), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(hwpt, kfree);
	return hwpt ?: ERR_PTR(-ENOMEM);
}

static void ioasidfd_sw_hwpt_free(struct ioasidfd_hwpt *hwpt)
{
	kfree(hwpt);
}

static int ioasidfd_sw_attach(struct ioasidfd_attach *attach)
{
	struct ioasidfd_sw_dev *sw = attach->idev->priv;
	int rc;

	down_write(&sw->lock);
	rc = xa_err(xa_store(&sw->ports, ioasidfd_sw_port(attach->wire_pasid), attach,
			     GFP_KERNEL));
	ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, !rc,
			     xa_erase(&sw->ports, ioasidfd_sw_port(attach->wire_pasid));
			     rc = -ENOMEM);
	up_write(&sw->lock);
	return rc;
}

static void ioasidfd_sw_detach(struct ioasidfd_attach *attach)
{
	struct ioasidfd_sw_dev *sw = attach->idev->priv;

	down_write(&sw->lock);
	xa_erase(&sw->ports, ioasidfd_sw_port(attach->wire_pasid));
	up_write(&sw->lock);
}

const struct ioasidfd_exec_ops ioasidfd_exec_sw = {
	.executor = IOASID_EXEC_SOFTWARE,
	.modes = BIT(IOASID_MODE_NONE) | BIT(IOASID_MODE_IOVA) |
		 BIT(IOASID_MODE_NESTED) | BIT(IOASID_MODE_SVA),
	.walks = true,
	.probe = ioasidfd_sw_probe,
	.remove = ioasidfd_sw_remove,
	.hwpt_alloc = ioasidfd_sw_hwpt_alloc,
	.hwpt_free = ioasidfd_sw_hwpt_free,
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
	struct ioasidfd_fault_info fault;
	bool attached;
};

/* The port a request lands on: its wire PASID's, or a stream-wide RID one. */
static struct ioasidfd_attach *ioasidfd_sw_port_of(struct ioasidfd_sw_dev *sw,
						   u32 pasid)
{
	struct ioasidfd_attach *attach;

	attach = xa_load(&sw->ports, ioasidfd_sw_port(pasid));
	if (attach || pasid == IOASIDFD_PASID_RID)
		return attach;
	attach = xa_load(&sw->ports, IOASIDFD_SW_RID);
	if (attach && ioasidfd_iopt_stream_wide(attach->ioas->iopt))
		return attach;
	return NULL;
}

static void ioasidfd_sw_access(struct ioasidfd_device *idev,
			       struct ioasidfd_sw_dma *dma, u64 off, size_t len,
			       struct ioasidfd_sw_step *step)
{
	struct ioasidfd_sw_dev *sw = idev->priv;
	struct ioasidfd_access acc = {
		.iova = dma->iova + off,
		.len = len,
		.rights = dma->write ? IOASIDFD_ACC_WRITE : IOASIDFD_ACC_READ,
		.pasid_valid = dma->pasid != IOASIDFD_PASID_RID,
		.wire_pasid = dma->pasid,
		.buf = dma->buf + off,
	};
	struct ioasidfd_attach *attach;

	if (dma->priv)
		acc.rights |= IOASIDFD_ACC_PRIV;
	down_read(&sw->lock);
	attach = ioasidfd_sw_port_of(sw, dma->pasid);
	step->attached = attach;
	if (attach && !ioasidfd_iopt_access(attach->ioas->iopt, &acc)) {
		/* The attachment holds the IOASID: this reference is safe. */
		kref_get(&attach->ioas->kref);
		step->ioas = attach->ioas;
		step->cookie = attach->cookie;
		step->fault = acc.fault;
	}
	up_read(&sw->lock);
}

/* The record of a fault the software IOMMU reports. */
static void ioasidfd_sw_fault_record(struct ioasidfd_sw_dma *dma, u64 iova,
				     const struct ioasidfd_sw_step *step,
				     struct ioasid_fault *fault)
{
	fault->flags = dma->write ? IOASID_FAULT_WRITE : IOASID_FAULT_READ;
	if (dma->pasid != IOASIDFD_PASID_RID) {
		fault->flags |= IOASID_FAULT_PASID_VALID;
		fault->wire_pasid = dma->pasid;
	}
	if (dma->recoverable)
		fault->flags |= IOASID_FAULT_RECOVERABLE;
	if (dma->priv)
		fault->flags |= IOASID_FAULT_PRIV;
	if (step->fault.table_walk)
		fault->flags |= IOASID_FAULT_TABLE_WALK;
	fault->pasid = step->ioas->pasid;
	fault->reason = step->fault.reason;
	fault->cookie = step->cookie;
	fault->addr = iova & PAGE_MASK;
	fault->stage = step->fault.stage;
	fault->level = step->fault.level;
	fault->stage2_addr = step->fault.s2_addr;
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
		if (!step.ioas) {
			off += len;
			dma->done = off;
			continue;
		}

		code = IOASID_FAULT_RESP_ABORT;
		if (!step.fault.silent) {
			ioasidfd_sw_fault_record(dma, iova, &step, &fault);
			code = ioasidfd_fault_report(step.ioas, &fault,
						     dma->timeout);
		}
		ioasidfd_ioas_put(step.ioas);

		if (dma->recoverable && code == IOASID_FAULT_RESP_RETRY &&
		    dma->retries < IOASIDFD_SW_MAX_RETRIES) {
			dma->retries++;
			continue;
		}
		dma->status = IOASIDFD_SW_DMA_FAULT;
		dma->fault_addr = iova;
		dma->fault_reason = step.fault.reason;
		break;
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_sw_dma_rw, IOASIDFD);
