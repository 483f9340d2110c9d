/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioasidfd_vfio: what the VFIO IOMMU backend (backend.c) and the vfio-pci
 * variant driver (pci.c) offer each other.
 */
#ifndef __IOASIDFD_VFIO_H
#define __IOASIDFD_VFIO_H

struct iommu_group;
struct vfio_device;

/* backend.c and compat.c: the only files that depend on VFIO internals */
int ioasidfd_vfio_backend_init(void);
void ioasidfd_vfio_backend_exit(void);
int ioasidfd_vfio_check_device(struct vfio_device *vdev);
int ioasidfd_vfio_device_owned(struct vfio_device *vdev);
int ioasidfd_vfio_check_msi(struct iommu_group *group);

/* compat.c: VFIO type1 compatibility (module parameter type1_compat) */
int ioasidfd_vfio_compat_init(void);
void ioasidfd_vfio_compat_exit(void);

/* pci.c */
int ioasidfd_vfio_pci_init(void);
void ioasidfd_vfio_pci_exit(void);

#endif /* __IOASIDFD_VFIO_H */
