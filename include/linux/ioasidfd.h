/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel API of /dev/ioasid, for the VFIO hook and other drivers.
 *
 * Exported in the IOASIDFD symbol namespace: MODULE_IMPORT_NS(IOASIDFD).
 */
#ifndef __LINUX_IOASIDFD_H
#define __LINUX_IOASIDFD_H

#include <linux/build_bug.h>
#include <linux/types.h>
#include <linux/err.h>
#include <linux/stddef.h>
#include <uapi/linux/ioasidfd.h>

struct device;
struct file;
struct iommu_group;
struct ioasidfd_ctx;
struct ioasidfd_ioas;
struct ioasidfd_device;
struct ioasidfd_kgroup;

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
int ioasidfd_device_attach_pasid(struct ioasidfd_device *idev,
				 struct ioasidfd_ioas *ioas, u32 wire_pasid,
				 u64 cookie);
int ioasidfd_device_detach(struct ioasidfd_device *idev, u32 pasid, u32 flags);
long ioasidfd_device_ioctl(struct ioasidfd_device *idev, unsigned int cmd,
			   unsigned long arg);
bool ioasidfd_device_msi_translated(struct ioasidfd_device *idev);

/*
 * Kernel-owned contexts (kapi.c): for drivers that serve another uAPI on
 * top of /dev/ioasid (ioasidfd_vfio's VFIO type1 compatibility: an IOASID
 * per container).  No fd; the driver holds the context and its IOASIDs,
 * maps at fixed IOVAs in the calling task's mm, and attaches whole IOMMU
 * groups at RID.
 */
struct ioasidfd_ctx *ioasidfd_kctx_create(const char *label);
void ioasidfd_kctx_destroy(struct ioasidfd_ctx *ctx);
struct ioasidfd_ioas *ioasidfd_kioas_alloc(struct ioasidfd_ctx *ctx);
void ioasidfd_kioas_destroy(struct ioasidfd_ctx *ctx, struct ioasidfd_ioas *ioas);
int ioasidfd_kioas_map(struct ioasidfd_ioas *ioas, unsigned long uva, u64 iova,
		       u64 length, int prot);
int ioasidfd_kioas_unmap(struct ioasidfd_ioas *ioas, u64 start, u64 last,
			 bool all, int (*confirm)(void *arg, u64 unmapped),
			 void *arg);
int ioasidfd_kioas_iova_ranges(struct ioasidfd_ioas *ioas,
			       struct ioasid_iova_range **out);
u64 ioasidfd_kioas_pgsizes(struct ioasidfd_ioas *ioas);
struct ioasidfd_kgroup *ioasidfd_kgroup_attach(struct ioasidfd_ioas *ioas,
					       struct iommu_group *group);
void ioasidfd_kgroup_detach(struct ioasidfd_kgroup *kg);

/* Reads a struct whose first __u32 is its size, with the uAPI size rules. */
int ioasidfd_copy_cmd(void *kbuf, size_t ksize, size_t min_size,
		      const void __user *ubuf, u32 *user_size);

/*
 * Command tables: the dispatcher of every fd the module serves, for drivers
 * that add commands in the /dev/ioasid style (_IO numbers, size-first
 * structs) to fds of their own.
 */

/* Largest command struct a table may hold. */
#define IOASIDFD_CMD_BUF_SIZE	128

/**
 * struct ioasidfd_ucmd - one ioctl being executed
 * @ctx: the /dev/ioasid context (ioctls on /dev/ioasid)
 * @idev: the device (device-side ioctls)
 * @fq: the fault queue (fault queue ioctls)
 * @priv: the object of another module's command table
 * @ubuffer: the user's struct
 * @user_size: its size as the user gave it
 * @cmd: the kernel's validated copy
 * @cmd_size: the kernel's struct size
 */
struct ioasidfd_ucmd {
	struct ioasidfd_ctx *ctx;
	struct ioasidfd_device *idev;
	struct ioasidfd_fault_queue *fq;
	void *priv;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
	size_t cmd_size;
};

/**
 * struct ioasidfd_op - one ioctl of a table, for ioasidfd_dispatch()
 * @execute: the handler; it sees only the validated copy in @ucmd->cmd
 * @size: sizeof() the kernel's struct
 * @min_size: size of the first published version of the struct
 */
struct ioasidfd_op {
	int (*execute)(struct ioasidfd_ucmd *ucmd);
	u16 size;
	u16 min_size;
};

/*
 * An entry of a table whose first command number is _base; min_size is fixed
 * forever by the last field of the struct's first version.  The struct must
 * fit the dispatcher's buffer: checked at compile time.
 */
#define IOASIDFD_OP(_base, _nr, _fn, _struct, _last)			\
	[(_nr) - (_base)] = {						\
		.execute = _fn,						\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(_struct) >		\
					  IOASIDFD_CMD_BUF_SIZE),	\
		.min_size = offsetofend(_struct, _last),		\
	}

long ioasidfd_dispatch(const struct ioasidfd_op *ops, unsigned int base,
		       unsigned int count, struct ioasidfd_ucmd *ucmd,
		       unsigned int cmd, unsigned long arg);
int ioasidfd_ucmd_respond(struct ioasidfd_ucmd *ucmd);

/*
 * The software executor: devices emulated in the kernel, whose PASID-tagged
 * DMA the module's software IOMMU runs (Linux 6.1 and QEMU 7.2 cannot).
 */

/* Requests without PASID, in struct ioasidfd_sw_dma::pasid */
#define IOASIDFD_PASID_RID	U32_MAX

enum ioasidfd_sw_dma_status {
	IOASIDFD_SW_DMA_OK,		/* every byte moved */
	IOASIDFD_SW_DMA_FAULT,		/* stopped at a fault, see fault_* */
	IOASIDFD_SW_DMA_NO_ATTACH,	/* nothing attached where it lands */
};

/**
 * struct ioasidfd_sw_dma - a DMA request of a software device
 * @pasid: the PASID the request carries, or IOASIDFD_PASID_RID
 * @write: the device writes memory (else it reads it)
 * @recoverable: the device waits for fault responses (like PRI/stall)
 * @priv: a privileged (supervisor) request
 * @timeout: longest wait for one response, in jiffies
 * @iova: first IOVA
 * @length: bytes
 * @buf: the device side of the data: read from when @write, else written
 * @done: out: bytes moved before the transfer ended
 * @status: out: enum ioasidfd_sw_dma_status
 * @fault_reason: out: IOASID_FAULT_REASON_* with IOASIDFD_SW_DMA_FAULT
 * @fault_addr: out: the IOVA that faulted
 * @retries: out: accesses retried after IOASID_FAULT_RESP_RETRY
 */
struct ioasidfd_sw_dma {
	u32 pasid;
	bool write;
	bool recoverable;
	bool priv;
	unsigned long timeout;
	u64 iova;
	u64 length;
	void *buf;
	u64 done;
	u32 status;
	u32 fault_reason;
	u64 fault_addr;
	u32 retries;
};

struct ioasidfd_device *ioasidfd_sw_device_create(u32 pasid_bits);
int ioasidfd_sw_dma_rw(struct ioasidfd_device *idev, struct ioasidfd_sw_dma *dma);

/*
 * Kinds of the core's fault-injection points (drivers/ioasidfd/inject.h):
 * each point is one call that can fail, and says what kind of call it is.
 */
enum ioasidfd_inject_site {
	IOASIDFD_INJ_ALLOC,	/* a memory allocation (kmalloc, xa_*, ...) */
	IOASIDFD_INJ_PIN,	/* pin_user_pages_fast() */
	IOASIDFD_INJ_MEMLOCK,	/* account_locked_vm() */
	IOASIDFD_INJ_PASID,	/* claiming a PASID from the kernel's allocator */
	IOASIDFD_INJ_IOMMU,	/* iommu_domain_alloc(), _attach_group(), _map_sg() */
	IOASIDFD_INJ_USER,	/* copy_from_user(), copy_to_user() */
	IOASIDFD_INJ_FILE,	/* a new fd or file */
	IOASIDFD_INJ_NR,
};

/**
 * struct ioasidfd_test_hooks - what the test module may change in the core
 * @fault_report: called before each IOMMU fault report, under the device
 *                lock, so a test can stretch a report in flight (may sleep)
 * @should_fail: called at each fault-injection point of the core, with the
 *               point's kind and address (for reports); true makes that
 *               call fail.  Any context, under rcu_read_lock(): must not
 *               sleep
 *
 * Test-only (ioasidfd_test.ko): the core calls the hooks when registered and
 * does nothing otherwise.  Namespace IOASIDFD_TEST.
 */
struct ioasidfd_test_hooks {
	void (*fault_report)(void);
	bool (*should_fail)(enum ioasidfd_inject_site site, unsigned long ip);
};

/**
 * struct ioasidfd_test_walk_rec - a leaf ioasidfd_test_walk_mm() found
 * @va: first virtual address of the leaf
 * @size: its size
 * @pa: the physical address of @va
 * @perm: bit 0 read, bit 1 write, as a user-level request gets them
 * @level: the format's level of the leaf
 */
struct ioasidfd_test_walk_rec {
	u64 va;
	u64 size;
	u64 pa;
	u32 perm;
	u32 level;
};

struct mm_struct;
int ioasidfd_test_walk_mm(struct mm_struct *mm, u64 va, u64 len,
			  struct ioasidfd_test_walk_rec *recs, unsigned int max,
			  unsigned int *nr, u32 *format);

int ioasidfd_test_hooks_register(const struct ioasidfd_test_hooks *hooks);
void ioasidfd_test_hooks_unregister(const struct ioasidfd_test_hooks *hooks);
void ioasidfd_test_inject_arm(bool on);

#endif /* __LINUX_IOASIDFD_H */
