/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/ioasid: internal structures.
 *
 * Lock order, outermost first:
 *
 *   ioasidfd_device::lock
 *     -> ioasidfd_group::lock
 *       -> ioasidfd_iopt::lock
 *         -> iommu_group mutex (iommu_attach_group() and friends)
 *         -> mmap_lock (RLIMIT_MEMLOCK accounting)
 *
 * Pinning (pin_user_pages_fast()) runs with no ioasidfd lock held.
 *
 * ioasidfd_ctx::lock, the lock of the PASID xarray and ioasidfd_users_lock
 * are leaves: nothing sleeps or takes another lock under them.
 */
#ifndef __IOASIDFD_PRIVATE_H
#define __IOASIDFD_PRIVATE_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include <linux/ioasidfd.h>
#include <uapi/linux/ioasidfd.h>

struct iommu_domain;
struct iommu_group;
struct page;

/**
 * struct ioasidfd_user - IOASID accounting of one user (uid)
 * @uid: the user
 * @refs: contexts opened by this user; freed at zero, under
 *        ioasidfd_users_lock
 * @nr: PASIDs held by all of them (live and parked)
 */
struct ioasidfd_user {
	kuid_t uid;
	refcount_t refs;
	atomic_t nr;
};

/**
 * struct ioasidfd_ctx - one open /dev/ioasid file
 * @users: references.  One belongs to the open file and is dropped at
 *         release; one is held by each in-kernel user (ioasidfd_ctx_fdget())
 *         and by each IOASID allocated from this context, live or parked.
 *         The struct is freed when it drops to zero.
 * @lock: protects @live
 * @live: the live IOASIDs (struct ioasidfd_ioas::ctx_item); the list owns a
 *        reference on each.  The PASID xarray of ioas.c maps PASIDs to
 *        IOASIDs for lookups, parked ones included
 * @nr_ioas: PASIDs this context holds, live and parked, for the per-fd quota
 * @user: per-user accounting, shared with the user's other contexts
 */
struct ioasidfd_ctx {
	refcount_t users;
	spinlock_t lock; /* see the kernel-doc above */
	struct list_head live;
	atomic_t nr_ioas;
	struct ioasidfd_user *user;
};

/* ioasidfd_ioas::flags bits */
enum {
	IOASIDFD_IOAS_DESTROYED,	/* no longer reachable through the fd */
	IOASIDFD_IOAS_PARKED,		/* destroyed with references left */
};

/**
 * struct ioasidfd_ioas - one IOASID
 * @kref: references.  The context's live list owns one while the IOASID
 *        is live; each device attachment owns one; in-kernel users take
 *        short-term ones with ioasidfd_ioas_get().  At zero the PASID returns
 *        to the allocator and the memory is freed after an RCU grace period.
 *        The release must run in process context.
 * @pasid: the system PASID naming the IOASID
 * @flags: IOASIDFD_IOAS_* bits, set once, atomically
 * @ctx: the context it was allocated from; holds a reference on it
 * @iopt: translation state, allocated on first use and installed with
 *        cmpxchg(); NULL while the IOASID has never been used.  It lives as
 *        long as the IOASID.
 * @ctx_item: on the context's live list, under its lock; empty once DESTROYED
 * @rcu: deferred free, for RCU lookups
 *
 * Kept small on purpose: an idle IOASID is this struct and its PASID.
 */
struct ioasidfd_ioas {
	struct kref kref;
	u32 pasid;
	unsigned long flags;
	struct ioasidfd_ctx *ctx;
	struct ioasidfd_iopt *iopt;
	struct list_head ctx_item;
	struct rcu_head rcu;
};

/**
 * struct ioasidfd_iopt - translation state of an IOASID that has been used
 * @lock: protects every field below, and the IOASIDFD_IOAS_DESTROYED check
 *        of the owning IOASID for anything that adds translation
 * @ioas: the owner
 * @mode: IOASID_MODE_*; IOASID_MODE_NONE until the first MAP
 * @areas: IOVA mappings (struct ioasidfd_area), an interval tree
 * @nr_areas: number of @areas
 * @mapped_bytes: bytes covered by @areas
 * @hwpts: executor page tables (struct ioasidfd_hwpt) that mirror @areas
 * @attachments: device attachments (struct ioasidfd_attach)
 * @nr_attach: number of @attachments
 * @fault_queue: where faults of DMA through the IOASID are reported, or NULL;
 *               holds a reference on the queue
 */
struct ioasidfd_iopt {
	struct mutex lock; /* see the kernel-doc above */
	struct ioasidfd_ioas *ioas;
	u32 mode;
	struct rb_root_cached areas;
	unsigned long nr_areas;
	u64 mapped_bytes;
	struct list_head hwpts;
	struct list_head attachments;
	unsigned int nr_attach;
	struct ioasidfd_fault_queue *fault_queue;
};

struct ioasidfd_attach;
struct ioasidfd_device;
struct ioasidfd_fault_queue;
struct ioasidfd_hwpt;

/**
 * struct ioasidfd_exec_ops - an executor: what runs a device's translation
 * @executor: IOASID_EXEC_*
 * @modes: bitmap of (1 << IOASID_MODE_*) it can execute
 * @probe: fill in a new device's family, PASID width, page sizes, aperture
 *         and reserved regions
 * @remove: undo @probe; the device has no attachment left
 * @hwpt_alloc: allocate an empty page table that @idev can attach to
 * @hwpt_free: free a page table no attachment uses
 * @map: map @npages pinned pages at @iova with IOMMU_* @prot; all or nothing
 * @unmap: unmap [@iova, @iova + @length); the IOTLB is flushed on return
 * @attach: make the requests of @attach->idev at @attach->pasid (or without
 *          PASID: IOASIDFD_PASID_RID) use @attach->hwpt.  Any error means
 *          that page table cannot serve the device; a new one may
 * @detach: undo @attach; the device's requests there fault on return
 *
 * Called with the iopt lock of the IOASID that owns @hwpt held, and for
 * attach/detach also the device lock.
 */
struct ioasidfd_exec_ops {
	u32 executor;
	u32 modes;
	int (*probe)(struct ioasidfd_device *idev);
	void (*remove)(struct ioasidfd_device *idev);
	struct ioasidfd_hwpt *(*hwpt_alloc)(struct ioasidfd_device *idev);
	void (*hwpt_free)(struct ioasidfd_hwpt *hwpt);
	int (*map)(struct ioasidfd_hwpt *hwpt, unsigned long iova,
		   struct page **pages, unsigned long npages, int prot);
	void (*unmap)(struct ioasidfd_hwpt *hwpt, unsigned long iova,
		      unsigned long length);
	int (*attach)(struct ioasidfd_attach *attach);
	void (*detach)(struct ioasidfd_attach *attach);
};

/**
 * struct ioasidfd_family - what one IOMMU family supports
 * @family: IOASID_FAMILY_*
 * @name: for logs and debugfs
 * @nested_formats: nested stage-1 formats its walkers accept
 * @sva: hardware SVA bind works on this kernel
 */
struct ioasidfd_family {
	u32 family;
	const char *name;
	u32 nested_formats;
	bool sva;
};

/**
 * struct ioasidfd_hwpt - a page table an executor programs for one IOASID
 * @item: on ioasidfd_iopt::hwpts
 * @ops: the executor that owns it
 * @iopt: the IOASID translation it mirrors
 * @users: attachments using it.  At zero it stays, mirrored, for the next
 *         attachment, until the IOASID is destroyed
 * @prot: IOMMU_* bits added to every mapping (IOMMU_CACHE where coherent)
 * @aperture: IOVAs it can map, as fixed by the IOMMU at its last attach
 * @domain: the kernel IOMMU domain (IOASID_EXEC_IOMMU_API)
 * @priv: executor data (IOASID_EXEC_SOFTWARE)
 *
 * All fields are protected by the owning iopt's lock.
 */
struct ioasidfd_hwpt {
	struct list_head item;
	const struct ioasidfd_exec_ops *ops;
	struct ioasidfd_iopt *iopt;
	unsigned int users;
	int prot;
	struct ioasid_iova_range aperture;
	struct iommu_domain *domain;
	void *priv;
};

/**
 * struct ioasidfd_attach - a device authorised to DMA through an IOASID
 * @item: on ioasidfd_iopt::attachments, under the iopt lock
 * @idev: the device
 * @ioas: the IOASID; the attachment owns a reference on it
 * @hwpt: the page table the device uses; holds one of its @users
 * @pasid: the PASID the device's requests carry, or IOASIDFD_PASID_RID
 * @cookie: reported in fault records
 */
struct ioasidfd_attach {
	struct list_head item;
	struct ioasidfd_device *idev;
	struct ioasidfd_ioas *ioas;
	struct ioasidfd_hwpt *hwpt;
	u32 pasid;
	u64 cookie;
};

/**
 * struct ioasidfd_group - the devices of one IOMMU group
 * @refs: ioasidfd_devices of the group; under ioasidfd_groups_lock
 * @id: iommu_group_id()
 * @iommu_group: the group; a reference is held
 * @lock: protects the fields below
 * @rid_ioas: the IOASID the group is attached to at RID, or NULL.  The
 *            kernel IOMMU API attaches whole groups, so every device of the
 *            group attached at RID names this IOASID; their attachments hold
 *            it, so no reference of its own is needed
 * @rid_hwpt: the page table the group is attached to
 * @nr_rid: devices of the group attached at RID
 */
struct ioasidfd_group {
	refcount_t refs;
	int id;
	struct iommu_group *iommu_group;
	struct mutex lock; /* see the kernel-doc above */
	struct ioasidfd_ioas *rid_ioas;
	struct ioasidfd_hwpt *rid_hwpt;
	unsigned int nr_rid;
};

/**
 * struct ioasidfd_device - a device that can be attached to IOASIDs
 * @dev: the device (NULL for software devices)
 * @exec: its executor
 * @family: its IOMMU family
 * @group: its IOMMU group (IOASID_EXEC_IOMMU_API)
 * @lock: protects @rid and @pasids, and serialises attach/detach
 * @rid: the RID attachment, or NULL
 * @pasids: PASID -> struct ioasidfd_attach
 * @nr_pasids: entries in @pasids
 * @pasid_bits: PASID width the device can be attached at; 0 = RID only
 * @pgsize_bitmap: page sizes of its IOMMU
 * @aperture: IOVAs its IOMMU translates
 * @resv: IOVA ranges it must not use (reserved regions), sorted
 * @nr_resv: entries in @resv
 * @msi_base: IOVA of the software MSI window (IOMMU_RESV_SW_MSI), valid
 *            with @msi_translated
 * @msi_translated: the IOMMU translates the device's MSIs: their doorbell
 *                  must be mapped in the device's domain
 * @prot: IOMMU_* bits for its mappings (IOMMU_CACHE when coherent)
 * @fault_handler: the IOMMU driver reports the device's faults to us
 * @priv: executor data
 */
struct ioasidfd_device {
	struct device *dev;
	const struct ioasidfd_exec_ops *exec;
	const struct ioasidfd_family *family;
	struct ioasidfd_group *group;
	struct mutex lock; /* see the kernel-doc above */
	struct ioasidfd_attach *rid;
	struct xarray pasids;
	unsigned int nr_pasids;
	u32 pasid_bits;
	u64 pgsize_bitmap;
	struct ioasid_iova_range aperture;
	struct ioasid_iova_range *resv;
	unsigned int nr_resv;
	u64 msi_base;
	bool msi_translated;
	int prot;
	bool fault_handler;
	void *priv;
};

/* Global object counters, readable in debugfs, checked at module exit. */
enum ioasidfd_counter {
	IOASIDFD_CNT_CTX,
	IOASIDFD_CNT_IOAS,
	IOASIDFD_CNT_PARKED,
	IOASIDFD_CNT_PASID,
	IOASIDFD_CNT_IOPT,
	IOASIDFD_CNT_AREA,
	IOASIDFD_CNT_PINNED,
	IOASIDFD_CNT_HWPT,
	IOASIDFD_CNT_DEVICE,
	IOASIDFD_CNT_ATTACH,
	IOASIDFD_CNT_GROUP,
	IOASIDFD_CNT_FAULTQ,
	IOASIDFD_CNT_FAULT_REC,
	IOASIDFD_CNT_NR,
};

extern atomic_long_t ioasidfd_counters[IOASIDFD_CNT_NR];

static inline void ioasidfd_count(enum ioasidfd_counter c, long delta)
{
	atomic_long_add(delta, &ioasidfd_counters[c]);
}

/* Module parameters */
extern unsigned int ioasidfd_max_per_fd;
extern unsigned int ioasidfd_max_per_user;

/* main.c */
/**
 * struct ioasidfd_ucmd - one ioctl being executed
 * @ctx: the /dev/ioasid context (ioctls on /dev/ioasid)
 * @idev: the device (device-side ioctls)
 * @fq: the fault queue (fault queue ioctls)
 * @ubuffer: the user's struct
 * @user_size: its size as the user gave it
 * @cmd: the kernel's validated copy
 * @cmd_size: the kernel's struct size
 */
struct ioasidfd_ucmd {
	struct ioasidfd_ctx *ctx;
	struct ioasidfd_device *idev;
	struct ioasidfd_fault_queue *fq;
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
 * forever by the last field of the struct's first version.
 */
#define IOASIDFD_OP(_base, _nr, _fn, _struct, _last)			\
	[(_nr) - (_base)] = {						\
		.execute = _fn,						\
		.size = sizeof(_struct),				\
		.min_size = offsetofend(_struct, _last),		\
	}

long ioasidfd_dispatch(const struct ioasidfd_op *ops, unsigned int base,
		       unsigned int count, struct ioasidfd_ucmd *ucmd,
		       unsigned int cmd, unsigned long arg);
int ioasidfd_ucmd_respond(struct ioasidfd_ucmd *ucmd);

/* ioas.c */
int ioasidfd_ioas_init(void);
void ioasidfd_ioas_exit(void);
bool ioasidfd_pasid_system(void);
int ioasidfd_ctx_open(struct ioasidfd_ctx **out);
void ioasidfd_ctx_release(struct ioasidfd_ctx *ctx);
int ioasidfd_alloc_ioctl(struct ioasidfd_ucmd *ucmd);
int ioasidfd_destroy_ioctl(struct ioasidfd_ucmd *ucmd);
int ioasidfd_info_ioctl(struct ioasidfd_ucmd *ucmd);
struct ioasidfd_iopt *ioasidfd_ioas_iopt(struct ioasidfd_ioas *ioas);
struct ioasidfd_ioas *ioasidfd_ioas_lookup(struct ioasidfd_ctx *ctx, u32 pasid);
void ioasidfd_show_fdinfo(struct seq_file *m, struct ioasidfd_ctx *ctx);

/* iopt.c */
struct ioasidfd_iopt *ioasidfd_iopt_alloc(struct ioasidfd_ioas *ioas);
void ioasidfd_iopt_release(struct ioasidfd_iopt *iopt);
void ioasidfd_iopt_free(struct ioasidfd_iopt *iopt);
void ioasidfd_iopt_wipe(struct ioasidfd_iopt *iopt);
int ioasidfd_iopt_iova_ranges(struct ioasidfd_iopt *iopt,
			      struct ioasid_iova_range **out);
int ioasidfd_iopt_check_device(struct ioasidfd_iopt *iopt,
			       struct ioasidfd_device *idev);
int ioasidfd_iopt_fill_hwpt(struct ioasidfd_iopt *iopt,
			    struct ioasidfd_hwpt *hwpt);
int ioasidfd_map_ioctl(struct ioasidfd_ucmd *ucmd);
int ioasidfd_unmap_ioctl(struct ioasidfd_ucmd *ucmd);

/* fault.c */
int ioasidfd_fault_queue_alloc_ioctl(struct ioasidfd_ucmd *ucmd);
int ioasidfd_set_fault_queue_ioctl(struct ioasidfd_ucmd *ucmd);
void ioasidfd_fault_queue_put(struct ioasidfd_fault_queue *q);
u32 ioasidfd_fault_report(struct ioasidfd_ioas *ioas, struct ioasid_fault *rec,
			  unsigned long timeout);

/* device.c */
void ioasidfd_hwpt_free(struct ioasidfd_hwpt *hwpt);
u32 ioasidfd_supported_modes(void);
u32 ioasidfd_supported_executors(void);
int ioasidfd_device_init(void);
void ioasidfd_device_exit(void);

struct ioasidfd_group *ioasidfd_group_get(struct iommu_group *iommu_group);
void ioasidfd_group_put(struct ioasidfd_group *group);
extern const struct ioasidfd_family ioasidfd_families[];
struct ioasidfd_device *ioasidfd_device_alloc(struct device *dev,
					      const struct ioasidfd_exec_ops *exec,
					      u32 pasid_bits);
int ioasidfd_device_report_fault(struct ioasidfd_device *idev, u32 pasid,
				 struct ioasid_fault *fault);

/* exec_iommu.c */
extern const struct ioasidfd_exec_ops ioasidfd_exec_iommu;

/* exec_sw.c */
extern const struct ioasidfd_exec_ops ioasidfd_exec_sw;

/* debugfs.c */
extern u32 ioasidfd_fault_report_delay_ms;
void ioasidfd_debugfs_init(void);
void ioasidfd_debugfs_exit(void);

#endif /* __IOASIDFD_PRIVATE_H */
