// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidfd_vfio: /dev/ioasid for VFIO users.
 *
 * Three parts, registered together:
 *  - backend.c: a VFIO IOMMU backend, IOASID_VFIO_IOMMU_TYPE, that a
 *    /dev/vfio/vfio container selects with VFIO_SET_IOMMU so that its
 *    groups' IOMMU domains are left to /dev/ioasid;
 *  - compat.c: a second backend that serves VFIO_TYPE1_IOMMU and
 *    VFIO_TYPE1v2_IOMMU containers on /dev/ioasid while the parameter
 *    type1_compat is on (an IOASID per container);
 *  - pci.c: the ioasidfd-vfio-pci driver, vfio-pci plus the IOASID_DEVICE_*
 *    ioctls on its device fds.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "ioasidfd_vfio.h"

static int __init ioasidfd_vfio_init(void)
{
	int rc;

	rc = ioasidfd_vfio_backend_init();
	if (rc)
		return rc;
	rc = ioasidfd_vfio_compat_init();
	if (rc)
		goto err_backend;
	rc = ioasidfd_vfio_pci_init();
	if (rc)
		goto err_compat;
	return 0;

err_compat:
	ioasidfd_vfio_compat_exit();
err_backend:
	ioasidfd_vfio_backend_exit();
	return rc;
}

static void __exit ioasidfd_vfio_exit(void)
{
	ioasidfd_vfio_pci_exit();
	ioasidfd_vfio_compat_exit();
	ioasidfd_vfio_backend_exit();
}

module_init(ioasidfd_vfio_init);
module_exit(ioasidfd_vfio_exit);

MODULE_DESCRIPTION("/dev/ioasid for VFIO: IOMMU backends (IOASID and type1-compatible) and vfio-pci variant driver");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOASIDFD);
