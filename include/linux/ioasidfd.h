/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel API of /dev/ioasid, for the VFIO hook and other drivers.
 *
 * Exported in the IOASIDFD symbol namespace: MODULE_IMPORT_NS(IOASIDFD).
 */
#ifndef __LINUX_IOASIDFD_H
#define __LINUX_IOASIDFD_H

#include <linux/types.h>
#include <linux/err.h>

struct device;
struct file;
struct ioasidfd_ctx;
struct ioasidfd_ioas;
struct ioasidfd_device;

/* Contexts: one per open /dev/ioasid file, looked up eventfd-style. */
struct ioasidfd_ctx *ioasidfd_ctx_fdget(int fd);
struct ioasidfd_ctx *ioasidfd_ctx_from_file(struct file *file);
void ioasidfd_ctx_put(struct ioasidfd_ctx *ctx);

/* IOASIDs, named by their PASID within a context. */
struct ioasidfd_ioas *ioasidfd_ioas_get(struct ioasidfd_ctx *ctx, u32 pasid);
void ioasidfd_ioas_put(struct ioasidfd_ioas *ioas);
u32 ioasidfd_ioas_pasid(const struct ioasidfd_ioas *ioas);

/*
 * Devices.  A driver that owns a device's DMA (for PCI devices under VFIO:
 * the group is in a container set to IOASID_VFIO_IOMMU_TYPE) creates an
 * ioasidfd_device for it and routes the IOASID_DEVICE_* ioctls of its device
 * fd to ioasidfd_device_ioctl().
 */
struct ioasidfd_device *ioasidfd_device_create(struct device *dev);
void ioasidfd_device_destroy(struct ioasidfd_device *idev);
int ioasidfd_device_attach(struct ioasidfd_device *idev,
			   struct ioasidfd_ioas *ioas, u32 flags, u64 cookie);
int ioasidfd_device_detach(struct ioasidfd_device *idev, u32 pasid, u32 flags);
long ioasidfd_device_ioctl(struct ioasidfd_device *idev, unsigned int cmd,
			   unsigned long arg);

#endif /* __LINUX_IOASIDFD_H */
