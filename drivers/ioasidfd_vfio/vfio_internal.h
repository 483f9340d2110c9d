/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of VFIO's internal header (drivers/vfio/vfio.h of Linux 6.1)
 * that a VFIO IOMMU backend needs, restated because the kernel does not
 * install that header.
 *
 * Every type here must be the kernel's, member for member: the vfio module
 * calls through struct vfio_iommu_driver_ops, and struct vfio_group is what
 * vfio_device::group points to.  Modversions does not compare a restatement
 * with the original (modpost copies the CRC of vfio_register_iommu_driver
 * from Module.symvers), so the build does: vfio_abi.c is run through
 * genksyms with these types and the build fails unless the CRCs of
 * vfio_register_iommu_driver and vfio_unregister_iommu_driver equal those in
 * the kernel's Module.symvers.  genksyms expands these structs (and every
 * type they reach) by member type and name, so any difference shows.  At
 * load time the module loader then compares that same CRC with the running
 * vfio module's.
 *
 * Only backend.c and compat.c, the places of the module that depend on VFIO
 * internals, include this file (and vfio_abi.c, the build's check).  Keep
 * the include list below equal to that of the kernel's drivers/vfio/vfio.h:
 * it decides which types genksyms sees defined.
 */
#ifndef __IOASIDFD_VFIO_INTERNAL_H
#define __IOASIDFD_VFIO_INTERNAL_H

#include <linux/device.h>
#include <linux/cdev.h>
#include <linux/module.h>

struct iommu_group;
struct vfio_device;
struct vfio_container;

/**
 * enum vfio_group_type - what stands behind a VFIO group
 * @VFIO_IOMMU: a physical device behind an IOMMU (the only kind the
 *              ioasidfd backend accepts)
 * @VFIO_EMULATED_IOMMU: a mediated device whose DMA its parent driver does
 *                       on its behalf, with a fake IOMMU group
 * @VFIO_NO_IOMMU: a physical device without an IOMMU (unsafe no-IOMMU mode)
 */
enum vfio_group_type {
	VFIO_IOMMU,
	VFIO_EMULATED_IOMMU,
	VFIO_NO_IOMMU,
};

/**
 * struct vfio_group - VFIO's object for an IOMMU group (internal to vfio.ko)
 * @dev: the /dev/vfio/N device
 * @cdev: its character device
 * @drivers: devices of the group bound to a VFIO driver
 * @container_users: users of the container through this group
 * @iommu_group: the IOMMU group; constant for the vfio_group's life
 * @container: the container the group is in, or NULL
 * @device_list: the group's vfio_devices
 * @device_lock: protects @device_list
 * @vfio_next: on VFIO's list of groups
 * @container_next: on the container's list of groups
 * @type: what stands behind the group
 * @group_lock: VFIO's lock for the group's container and open state
 * @kvm: the KVM instance the group is associated with
 * @opened_file: the open group file, or NULL
 * @notifier: notifier chain
 *
 * The ioasidfd backend only reads @iommu_group, to check this restatement
 * against the device it serves.
 */
struct vfio_group {
	struct device dev;
	struct cdev cdev;
	refcount_t drivers;
	unsigned int container_users;
	struct iommu_group *iommu_group;
	struct vfio_container *container;
	struct list_head device_list;
	struct mutex device_lock; /* see the kernel-doc above */
	struct list_head vfio_next;
	struct list_head container_next;
	enum vfio_group_type type;
	struct mutex group_lock; /* see the kernel-doc above */
	struct kvm *kvm;
	struct file *opened_file;
	struct blocking_notifier_head notifier;
};

/**
 * enum vfio_iommu_notify_type - events of a backend's notify() callback
 * @VFIO_IOMMU_CONTAINER_CLOSE: the container's file was closed
 */
enum vfio_iommu_notify_type {
	VFIO_IOMMU_CONTAINER_CLOSE = 0,
};

/**
 * struct vfio_iommu_driver_ops - a VFIO IOMMU backend
 * @name: the backend's name
 * @owner: the module vfio pins while a container uses the backend
 * @open: VFIO_SET_IOMMU chose the backend; returns its data for the container
 * @release: the container dropped the backend (its last group left)
 * @ioctl: container ioctls vfio does not handle itself; also called with a
 *         NULL first argument for VFIO_CHECK_EXTENSION
 * @attach_group: a group joins the container (or the container gets the
 *                backend while groups are in it)
 * @detach_group: undo @attach_group
 * @pin_pages: pin pages for an emulated-IOMMU device (optional)
 * @unpin_pages: undo @pin_pages
 * @register_device: a device of a group in the container was opened
 *                   (optional, but set together with @unregister_device)
 * @unregister_device: undo @register_device
 * @dma_rw: CPU access to IOVAs for an emulated-IOMMU device (optional)
 * @group_iommu_domain: the IOMMU domain of a group (optional)
 * @notify: container events (optional)
 */
struct vfio_iommu_driver_ops {
	char *name;
	struct module *owner;
	void *(*open)(unsigned long arg);
	void (*release)(void *iommu_data);
	long (*ioctl)(void *iommu_data, unsigned int cmd, unsigned long arg);
	int (*attach_group)(void *iommu_data, struct iommu_group *group,
			    enum vfio_group_type type);
	void (*detach_group)(void *iommu_data, struct iommu_group *group);
	int (*pin_pages)(void *iommu_data, struct iommu_group *group,
			 dma_addr_t user_iova, int npage, int prot,
			 struct page **pages);
	void (*unpin_pages)(void *iommu_data, dma_addr_t user_iova, int npage);
	void (*register_device)(void *iommu_data, struct vfio_device *vdev);
	void (*unregister_device)(void *iommu_data, struct vfio_device *vdev);
	int (*dma_rw)(void *iommu_data, dma_addr_t user_iova, void *data,
		      size_t count, bool write);
	struct iommu_domain *(*group_iommu_domain)(void *iommu_data,
						   struct iommu_group *group);
	void (*notify)(void *iommu_data, enum vfio_iommu_notify_type event);
};

int vfio_register_iommu_driver(const struct vfio_iommu_driver_ops *ops);
void vfio_unregister_iommu_driver(const struct vfio_iommu_driver_ops *ops);

#endif /* __IOASIDFD_VFIO_INTERNAL_H */
