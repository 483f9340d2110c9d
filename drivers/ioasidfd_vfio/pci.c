// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidfd-vfio-pci: vfio-pci whose device fds also take the IOASID_DEVICE_*
 * ioctls of /dev/ioasid.
 *
 * Everything vfio-pci does is done by vfio-pci-core, unchanged: regions,
 * BAR mmap, config space, interrupts, reset.  On top, each open device gets
 * an ioasidfd_device, through which IOASID_DEVICE_ALLOW attaches the
 * device's IOMMU group to an IOASID.  That is only allowed while the group
 * is in a VFIO container whose IOMMU backend is ours (IOASID_VFIO_IOMMU_TYPE):
 * then no one else owns the group's domain.
 *
 * Where the IOMMU translates MSIs (SMMUv3 with a GICv3 ITS: the group has a
 * software MSI window), the MSI doorbell is mapped into the domain the
 * device is in when its MSIs are set up, and only there.  MSIs set up
 * before an ALLOW (in the blocking domain, or in the domain of an IOASID the
 * device has left since) would be lost after it, silently; such an ALLOW is
 * refused with EBUSY instead: disable MSI/MSI-X, ALLOW, enable them again.
 * Elsewhere (VT-d: MSIs go through interrupt remapping, untranslated) MSIs
 * do not depend on the domain.
 *
 * The driver binds only to devices whose driver_override names it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/ioasidfd.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>
#include <uapi/linux/ioasidfd.h>

#include "ioasidfd_vfio.h"

/**
 * struct ioasidfd_vfio_pci - a PCI device bound to ioasidfd-vfio-pci
 * @core_device: vfio-pci-core's device; first, as vfio_alloc_device() wants
 * @idev: the device's /dev/ioasid side while its fd is open, else NULL.
 *        Set by open_device and cleared by close_device, which vfio core
 *        serialises (dev_set lock); the fd ioctls that use it can only run
 *        in between.
 */
struct ioasidfd_vfio_pci {
	struct vfio_pci_core_device core_device;
	struct ioasidfd_device *idev;
};

static struct ioasidfd_vfio_pci *to_ioasidfd_vfio_pci(struct vfio_device *vdev)
{
	return container_of(vdev, struct ioasidfd_vfio_pci, core_device.vdev);
}

static int ioasidfd_vfio_pci_open_device(struct vfio_device *vdev)
{
	struct ioasidfd_vfio_pci *ipdev = to_ioasidfd_vfio_pci(vdev);
	struct ioasidfd_device *idev;
	int rc;

	rc = ioasidfd_vfio_check_device(vdev);
	if (rc)
		return rc;
	rc = vfio_pci_core_enable(&ipdev->core_device);
	if (rc)
		return rc;
	idev = ioasidfd_device_create(vdev->dev);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto err_disable;
	}
	ipdev->idev = idev;
	vfio_pci_core_finish_enable(&ipdev->core_device);
	return 0;

err_disable:
	vfio_pci_core_disable(&ipdev->core_device);
	return rc;
}

static void ioasidfd_vfio_pci_close_device(struct vfio_device *vdev)
{
	struct ioasidfd_vfio_pci *ipdev = to_ioasidfd_vfio_pci(vdev);

	/*
	 * Detach from every IOASID first: from here on the group is in its
	 * blocking domain and whatever DMA the device still does faults.
	 */
	ioasidfd_device_destroy(ipdev->idev);
	ipdev->idev = NULL;
	vfio_pci_core_close_device(vdev);
}

static long ioasidfd_vfio_pci_allow(struct ioasidfd_vfio_pci *ipdev,
				    unsigned long arg)
{
	struct vfio_pci_core_device *core = &ipdev->core_device;
	long rc;

	/*
	 * Only a group in one of our containers may be attached: in a type1
	 * container, type1 owns the group's domain.
	 */
	rc = ioasidfd_vfio_device_owned(&core->vdev);
	if (rc)
		return rc;
	if (!ioasidfd_device_msi_translated(ipdev->idev))
		return ioasidfd_device_ioctl(ipdev->idev, IOASID_DEVICE_ALLOW, arg);

	/* igate, held by VFIO_DEVICE_SET_IRQS, keeps MSIs off meanwhile. */
	mutex_lock(&core->igate);
	if (core->irq_type == VFIO_PCI_MSI_IRQ_INDEX ||
	    core->irq_type == VFIO_PCI_MSIX_IRQ_INDEX)
		rc = -EBUSY;
	else
		rc = ioasidfd_device_ioctl(ipdev->idev, IOASID_DEVICE_ALLOW, arg);
	mutex_unlock(&core->igate);
	return rc;
}

static long ioasidfd_vfio_pci_ioctl(struct vfio_device *vdev, unsigned int cmd,
				    unsigned long arg)
{
	struct ioasidfd_vfio_pci *ipdev = to_ioasidfd_vfio_pci(vdev);
	long rc;

	if (cmd == IOASID_DEVICE_ALLOW)
		return ioasidfd_vfio_pci_allow(ipdev, arg);
	rc = ioasidfd_device_ioctl(ipdev->idev, cmd, arg);
	if (rc != -ENOIOCTLCMD)
		return rc;
	return vfio_pci_core_ioctl(vdev, cmd, arg);
}

static const struct vfio_device_ops ioasidfd_vfio_pci_ops = {
	.name = "ioasidfd-vfio-pci",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = ioasidfd_vfio_pci_open_device,
	.close_device = ioasidfd_vfio_pci_close_device,
	.ioctl = ioasidfd_vfio_pci_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.mmap = vfio_pci_core_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
};

static int ioasidfd_vfio_pci_probe(struct pci_dev *pdev,
				   const struct pci_device_id *id)
{
	struct ioasidfd_vfio_pci *ipdev;
	int rc;

	ipdev = vfio_alloc_device(ioasidfd_vfio_pci, core_device.vdev,
				  &pdev->dev, &ioasidfd_vfio_pci_ops);
	if (IS_ERR(ipdev))
		return PTR_ERR(ipdev);
	dev_set_drvdata(&pdev->dev, &ipdev->core_device);
	rc = vfio_pci_core_register_device(&ipdev->core_device);
	if (rc)
		goto err_put;
	return 0;

err_put:
	vfio_put_device(&ipdev->core_device.vdev);
	return rc;
}

static void ioasidfd_vfio_pci_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core_device = dev_get_drvdata(&pdev->dev);

	/* Waits until the device's fds are closed: close_device has run. */
	vfio_pci_core_unregister_device(core_device);
	vfio_put_device(&core_device->vdev);
}

static const struct pci_device_id ioasidfd_vfio_pci_table[] = {
	/* Any device, but only through driver_override. */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, ioasidfd_vfio_pci_table);

static struct pci_driver ioasidfd_vfio_pci_driver = {
	.name = "ioasidfd-vfio-pci",
	.id_table = ioasidfd_vfio_pci_table,
	.probe = ioasidfd_vfio_pci_probe,
	.remove = ioasidfd_vfio_pci_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	/* vfio core claims DMA ownership of the group when it is used. */
	.driver_managed_dma = true,
};

int ioasidfd_vfio_pci_init(void)
{
	return pci_register_driver(&ioasidfd_vfio_pci_driver);
}

void ioasidfd_vfio_pci_exit(void)
{
	pci_unregister_driver(&ioasidfd_vfio_pci_driver);
}
