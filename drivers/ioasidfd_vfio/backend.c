// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidfd_vfio: a VFIO IOMMU backend that leaves the IOMMU to /dev/ioasid.
 *
 * A /dev/vfio/vfio container set to IOASID_VFIO_IOMMU_TYPE gets this
 * backend instead of type1.  It maps nothing and allocates no domain: when a
 * group joins such a container, vfio core has already claimed the group's
 * DMA ownership, which leaves the group in its blocking domain (all DMA
 * faults) until a device of the group is attached to an IOASID through its
 * device fd (IOASID_DEVICE_ALLOW), which is when /dev/ioasid attaches the
 * group to the IOASID's domain.  The backend's job is to say which groups
 * are in such containers, and to refuse groups whose interrupts are not
 * isolated, as type1 does.
 *
 * This file and compat.c (the type1 compatibility backend) are the only
 * files of the module that depend on VFIO internals (the restated types of
 * vfio_internal.h), and vfio_register_iommu_driver() only exists on kernels
 * with the legacy VFIO container; a port to a kernel that serves
 * /dev/vfio/vfio from iommufd replaces these two files.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/irqdomain.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/xarray.h>
#include <uapi/linux/ioasidfd.h>

#include "ioasidfd_vfio.h"
#include "vfio_internal.h"

static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Accept groups whose devices' MSIs are not isolated by interrupt remapping (unsafe: the user can raise arbitrary interrupts; default: false)");

/**
 * struct ioasidfd_vfio_iommu - a container set to IOASID_VFIO_IOMMU_TYPE
 * @nr_groups: groups attached to the container, under ioasidfd_vfio_lock
 *
 * Created by VFIO_SET_IOMMU (open), freed when the container's last group
 * leaves (release).  vfio core serialises the callbacks of one container
 * with its own locks; the global lock below covers what is shared between
 * containers.
 */
struct ioasidfd_vfio_iommu {
	unsigned int nr_groups;
};

/*
 * iommu_group_id() -> the struct ioasidfd_vfio_iommu of the container the
 * group is in, for every group in a container using this backend.  Entries
 * are stored and erased under ioasidfd_vfio_lock, which nests inside vfio's
 * group and container locks; lookups are lockless (xa_load()).  A group's
 * id cannot be reused while it has an entry: vfio holds the group.
 */
static DEFINE_XARRAY(ioasidfd_vfio_groups);
static DEFINE_MUTEX(ioasidfd_vfio_lock);

static void *ioasidfd_vfio_open(unsigned long arg)
{
	struct ioasidfd_vfio_iommu *iommu;

	if (arg != IOASID_VFIO_IOMMU_TYPE)
		return ERR_PTR(-EINVAL);
	iommu = kzalloc(sizeof(*iommu), GFP_KERNEL_ACCOUNT);
	if (!iommu)
		return ERR_PTR(-ENOMEM);
	return iommu;
}

static void ioasidfd_vfio_release(void *iommu_data)
{
	struct ioasidfd_vfio_iommu *iommu = iommu_data;

	/* vfio releases the backend once the last group has left. */
	WARN_ON(iommu->nr_groups);
	kfree(iommu);
}

static long ioasidfd_vfio_ioctl(void *iommu_data, unsigned int cmd,
				unsigned long arg)
{
	/*
	 * vfio asks every backend with iommu_data == NULL which types it
	 * serves, both for VFIO_CHECK_EXTENSION on a container without a
	 * backend and to pick the backend of VFIO_SET_IOMMU.
	 */
	if (cmd == VFIO_CHECK_EXTENSION)
		return arg == IOASID_VFIO_IOMMU_TYPE;
	/* No MAP_DMA, no GET_INFO: IOVA maps are made on /dev/ioasid. */
	return -ENOTTY;
}

/* iommu_group_for_each_dev() callback: non-zero stops at a bad device. */
static int ioasidfd_vfio_dev_msi_unsafe(struct device *dev, void *unused)
{
	return !device_iommu_capable(dev, IOMMU_CAP_INTR_REMAP);
}

/*
 * A device that can DMA to the MSI doorbell can raise any interrupt unless
 * MSIs are remapped (VT-d interrupt remapping) or isolated by the interrupt
 * controller (GICv3 ITS).  Every device of the group must be covered.
 */
static bool ioasidfd_vfio_msi_isolated(struct iommu_group *group)
{
	return irq_domain_check_msi_remap() ||
	       !iommu_group_for_each_dev(group, NULL,
					 ioasidfd_vfio_dev_msi_unsafe);
}

/**
 * ioasidfd_vfio_check_msi() - may a group's devices join a container?
 * @group: the IOMMU group
 *
 * Both backends of the module (IOASID_VFIO_IOMMU_TYPE and the type1
 * compatibility of compat.c) refuse groups whose MSIs are not isolated, as
 * type1 does, unless allow_unsafe_interrupts is set.
 *
 * Return: 0, or -EPERM.
 */
int ioasidfd_vfio_check_msi(struct iommu_group *group)
{
	if (ioasidfd_vfio_msi_isolated(group))
		return 0;
	if (!allow_unsafe_interrupts) {
		pr_warn_ratelimited("IOMMU group %d: no interrupt remapping; load with allow_unsafe_interrupts=1 to use it anyway\n",
				    iommu_group_id(group));
		return -EPERM;
	}
	pr_warn_once("accepting groups without interrupt remapping (allow_unsafe_interrupts)\n");
	return 0;
}

static int ioasidfd_vfio_attach_group(void *iommu_data,
				      struct iommu_group *group,
				      enum vfio_group_type type)
{
	struct ioasidfd_vfio_iommu *iommu = iommu_data;
	int rc;

	/* Mediated and no-IOMMU groups have no IOMMU to give to /dev/ioasid. */
	if (type != VFIO_IOMMU)
		return -EINVAL;
	rc = ioasidfd_vfio_check_msi(group);
	if (rc)
		return rc;

	mutex_lock(&ioasidfd_vfio_lock);
	/* vfio core puts a group in one container at a time. */
	rc = xa_insert(&ioasidfd_vfio_groups, iommu_group_id(group), iommu,
		       GFP_KERNEL);
	if (!rc)
		iommu->nr_groups++;
	mutex_unlock(&ioasidfd_vfio_lock);
	return rc;
}

static void ioasidfd_vfio_detach_group(void *iommu_data,
				       struct iommu_group *group)
{
	struct ioasidfd_vfio_iommu *iommu = iommu_data;
	void *old;

	/*
	 * Nothing to undo in the IOMMU: the group's devices have no open fd
	 * (vfio keeps a group with open devices in its container), so
	 * /dev/ioasid has detached them all.
	 */
	mutex_lock(&ioasidfd_vfio_lock);
	old = xa_erase(&ioasidfd_vfio_groups, iommu_group_id(group));
	if (!WARN_ON(old != iommu))
		iommu->nr_groups--;
	mutex_unlock(&ioasidfd_vfio_lock);
}

/*
 * The backend keeps no state per device and pins nothing for emulated
 * devices (their groups are refused), so register_device/unregister_device,
 * pin_pages/unpin_pages, dma_rw, group_iommu_domain and notify stay NULL:
 * vfio core checks each of them for NULL before calling it.
 */
static const struct vfio_iommu_driver_ops ioasidfd_vfio_ops = {
	.name = "ioasidfd",
	.owner = THIS_MODULE,
	.open = ioasidfd_vfio_open,
	.release = ioasidfd_vfio_release,
	.ioctl = ioasidfd_vfio_ioctl,
	.attach_group = ioasidfd_vfio_attach_group,
	.detach_group = ioasidfd_vfio_detach_group,
};

/**
 * ioasidfd_vfio_check_device() - check the restated vfio_group on a device
 * @vdev: a registered vfio_device
 *
 * The build proves that vfio_internal.h matches the kernel it is built
 * against, and the module loader that the running vfio module is that one.
 * This is the cheap run-time check on top: the group vfio found for @vdev
 * must name the device's IOMMU group.
 *
 * Return: 0, or -EINVAL (with a log message) if it does not.
 */
int ioasidfd_vfio_check_device(struct vfio_device *vdev)
{
	struct iommu_group *group = iommu_group_get(vdev->dev);
	int rc = 0;

	if (!group || vdev->group->iommu_group != group) {
		dev_err(vdev->dev, "struct vfio_group does not match vfio_internal.h: refusing the device\n");
		rc = -EINVAL;
	}
	iommu_group_put(group);
	return rc;
}

/**
 * ioasidfd_vfio_device_owned() - is a device's group in one of our containers?
 * @vdev: a vfio_device with an open fd
 *
 * Only then does the device's DMA belong to /dev/ioasid; in a type1
 * container it belongs to type1's domain.  The answer cannot change while
 * the device's fd is open: vfio keeps the group in its container until then,
 * and a container keeps its backend while it has groups.
 *
 * Return: 0 if it is, -EBUSY if not.
 */
int ioasidfd_vfio_device_owned(struct vfio_device *vdev)
{
	struct iommu_group *group = iommu_group_get(vdev->dev);
	void *iommu;

	if (!group)
		return -EBUSY;
	iommu = xa_load(&ioasidfd_vfio_groups, iommu_group_id(group));
	iommu_group_put(group);
	return iommu ? 0 : -EBUSY;
}

int ioasidfd_vfio_backend_init(void)
{
	return vfio_register_iommu_driver(&ioasidfd_vfio_ops);
}

void ioasidfd_vfio_backend_exit(void)
{
	/* vfio holds the module while a container uses the backend. */
	vfio_unregister_iommu_driver(&ioasidfd_vfio_ops);
	WARN_ON(!xa_empty(&ioasidfd_vfio_groups));
	xa_destroy(&ioasidfd_vfio_groups);
}
