// SPDX-License-Identifier: GPL-2.0
/*
 * Build-time proof that vfio_internal.h restates Linux 6.1's VFIO internals
 * exactly.  Never compiled into the module: Kbuild preprocesses it the way
 * kbuild does for modversions (-D__GENKSYMS__), runs the kernel's genksyms
 * over it and compares the CRCs it computes with those the kernel's
 * Module.symvers records for the vfio module (vfio_abi_check.sh).
 *
 * genksyms computes a symbol's CRC over the full expansion of its
 * declaration's types, and expands only types it saw defined in a header
 * (a struct defined in the .c file counts as unknown), so this file must
 * see the same headers, and the same definitions in them, as the kernel's
 * drivers/vfio/container.c, which exports the two functions.  Its include
 * list is therefore that of container.c, with vfio_internal.h in place of
 * drivers/vfio/vfio.h.
 */
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/fs.h>
#include <linux/capability.h>
#include <linux/iommu.h>
#include <linux/miscdevice.h>
#include <linux/vfio.h>
#include <uapi/linux/vfio.h>

#include "vfio_internal.h"

/*
 * container.c's exports, declared in vfio_internal.h.  genksyms prints one
 * "#SYMVER <name> <crc>" line per export: the CRC of
 * vfio_register_iommu_driver()
 */
EXPORT_SYMBOL_GPL(vfio_register_iommu_driver);
/* and the CRC of vfio_unregister_iommu_driver() */
EXPORT_SYMBOL_GPL(vfio_unregister_iommu_driver);
