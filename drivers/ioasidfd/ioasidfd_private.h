/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/ioasid: internal structures.
 *
 * Files, by concept:
 *   main.c        the fd, the dispatcher, module init
 *   pasid.c       the PASID space: the module's PASID map, the kernel's
 *                 allocator, per-fd and per-user quotas
 *   ioas.c        contexts and IOASID objects; the /dev/ioasid handlers
 *                 (copy-in, call, reply) and GET_INFO / fdinfo
 *   iopt.c        translation state common to every mode: installing a
 *                 translation source, usable IOVA ranges, per-access
 *                 translation for executors that walk
 *   pages.c       pinning user memory and charging RLIMIT_MEMLOCK
 *   iova.c        the IOVA-map translation source (IOASID_MODE_IOVA)
 *   hwpt.c        executor page tables: lifetime, sharing, reuse, and the
 *                 one update path (push / zap) from sources to them
 *   device.c      devices, IOMMU groups, attachments, the device ioctls
 *   exec_*.c      executors
 *   fault.c       fault queues
 *
 * Lock order, outermost first:
 *
 *   ioasidfd_device::lock
 *     -> ioasidfd_group::lock
 *       -> ioasidfd_iopt::lock         (a nested IOASID's before its parent's)
 *         -> iommu_group mutex          (iommu_attach_group() and friends)
 *         -> mmap_lock                  (RLIMIT_MEMLOCK accounting)
 *         -> software device port lock  (exec_sw.c)
 *           -> ioasidfd_iopt::xlate     (a parent's before its children's)
 *
 * Pinning (pin_user_pages_fast()) runs with no ioasidfd lock held.
 *
 * ioasidfd_iopt::xlate is the translation lock.  Readers are the users of a
 * translation that do not hold a programmed page table: the software
 * executor's DMA accesses and nested children reading their stage 2.  A
 * writer removes translation: UNMAP, DESTROY, an invalidation, a notifier.
 * Nothing allocates memory that may recurse into reclaim while holding it
 * (lockdep knows it as taken under fs_reclaim, see ioasidfd_xlate_init()),
 * so an MMU-notifier callback may take it.  Pushing new translation into
 * executor page tables allocates, so it runs under ioasidfd_iopt::lock only,
 * before the source makes the translation visible under xlate.
 *
 * ioasidfd_ctx::lock, the lock of the PASID xarray and ioasidfd_users_lock
 * are leaves: nothing sleeps or takes another lock under them.
 */
#ifndef __IOASIDFD_PRIVATE_H
#define __IOASIDFD_PRIVATE_H

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include <linux/ioasidfd.h>
#include <uapi/linux/ioasidfd.h>

struct iommu_domain;
struct iommu_group;
struct iommu_iotlb_gather;
struct mm_struct;
struct page;
struct seq_file;

struct ioasidfd_attach;
struct ioasidfd_caps;
struct ioasidfd_device;
struct ioasidfd_fault_queue;
struct ioasidfd_hwpt;
struct ioasidfd_iopt;

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
 *        reference on each.  The PASID map of pasid.c maps PASIDs to
 *        IOASIDs for lookups, parked ones included
 * @nr_ioas: PASIDs this context holds, live and parked, for the per-fd quota
 * @user: per-user accounting, shared with the user's other contexts
 * @label: the owner of a kernel-owned context (ioasidfd_kctx_create()), for
 *         debugfs; empty for the context of a /dev/ioasid fd
 */
struct ioasidfd_ctx {
	refcount_t users;
	spinlock_t lock; /* see the kernel-doc above */
	struct list_head live;
	atomic_t nr_ioas;
	struct ioasidfd_user *user;
	char label[32];
};

/* ioasidfd_ioas::flags bits */
enum {
	IOASIDFD_IOAS_DESTROYED,	/* no longer reachable through the fd */
	IOASIDFD_IOAS_PARKED,		/* destroyed with references left */
};

/**
 * struct ioasidfd_ioas - one IOASID
 * @kref: references.  The context's live list owns one while the IOASID
 *        is live; each device attachment owns one; each nested child owns
 *        one on its parent; in-kernel users take short-term ones with
 *        ioasidfd_ioas_get().  At zero the PASID returns to the allocator
 *        and the memory is freed after an RCU grace period.  The release
 *        must run in process context.
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

/* Rights of an access or a translation */
#define IOASIDFD_ACC_READ	BIT(0)
#define IOASIDFD_ACC_WRITE	BIT(1)
#define IOASIDFD_ACC_PRIV	BIT(2)	/* a privileged (supervisor) request */

/**
 * struct ioasidfd_fault_info - why a translation failed
 * @reason: IOASID_FAULT_REASON_*
 * @stage: 0 when the IOASID is not nested, else 1 or 2
 * @level: table level of the faulting entry, with @stage
 * @table_walk: stage 2 failed to read a stage-1 structure
 * @silent: the hardware records no event (SMMU Config abort)
 * @s2_addr: with @stage 2, the guest-physical address
 */
struct ioasidfd_fault_info {
	u32 reason;
	u8 stage;
	u8 level;
	bool table_walk;
	bool silent;
	u64 s2_addr;
};

/**
 * struct ioasidfd_access - one access of a walking executor's device
 * @iova: the address, in the IOASID's input space
 * @len: bytes, not crossing a page of @iova
 * @rights: IOASIDFD_ACC_READ or _WRITE, maybe with _PRIV
 * @pasid_valid: the request carries @wire_pasid
 * @wire_pasid: the PASID (SubstreamID) the request carries
 * @buf: the device's side of the data
 * @fault: out: why it failed
 */
struct ioasidfd_access {
	u64 iova;
	u32 len;
	u32 rights;
	bool pasid_valid;
	u32 wire_pasid;
	void *buf;
	struct ioasidfd_fault_info fault;
};

/**
 * struct ioasidfd_source_ops - a way of translating: what an IOASID's mode is
 * @mode: IOASID_MODE_*
 * @replay: program every translation of the source into @hwpt, a new page
 *          table of an executor that holds one, for @idev, the device it is
 *          made for (whose aperture and reserved regions bound it); all or
 *          nothing.  The iopt lock is held
 * @check_attach: can @idev join the source's users (at @wire_pasid, or
 *                IOASIDFD_PASID_RID)?  0, -ERANGE for translation the
 *                device's IOMMU cannot reach, -EMEDIUMTYPE for one its
 *                executor cannot run.  The iopt lock is held
 * @lookup: translate one address for a walking executor: the page holding
 *          @iova if the source grants @acc->rights there, else NULL with
 *          @acc->fault set.  Called with xlate held for reading (and for a
 *          nested IOASID its parent's too); the page stays valid until
 *          xlate is released
 * @wipe: remove every translation (DESTROY); the iopt lock is held, and
 *        the source takes xlate for writing itself.  What must be freed
 *        outside the lock goes through @release
 * @release: free the source's state; the IOASID is going away and nothing
 *           uses the iopt any more
 * @info: fill in the mode-specific fields of GET_INFO; the iopt lock is held
 * @access: one access of a walking executor, done by the source itself
 *          (translation and copy), without any lock held: for sources whose
 *          translation sleeps (an mm: I/O page faults).  Return as
 *          ioasidfd_iopt_access(); may be NULL (then @lookup is used)
 * @fdinfo: append " key:value" figures of the source to the IOASID's
 *          fdinfo line; under rcu_read_lock(), without the iopt lock (the
 *          source frees its state after a grace period).  May be NULL
 * @replay_xlate: @replay runs with the xlate lock held for writing, and the
 *                new page table joins the IOASID's list in the same hold
 *                (an MMU notifier's zaps must never miss it)
 * @stream_wide: does a RID attachment take the requests of every PASID of
 *               the stream too (an SMMUv3 STE: the SubstreamID selects a CD)?
 *               May be NULL (no)
 * @caps: add mode-specific GET_INFO capabilities; the iopt lock is held.
 *        May be NULL
 * @parent_prepare: the parent (stage 2) of this nested IOASID is about to
 *                  remove [@start, @last]: allocate what @parent_zap will
 *                  need.  Called with the parent's iopt lock held, before
 *                  its xlate lock; may be NULL
 * @explains_faults: @lookup can say why a programmed executor's request
 *                   failed (its IOMMU runs a shadow and sees one stage):
 *                   ioasidfd_iopt_explain_fault()
 * @parent_zap: the parent (stage 2) of this nested IOASID removed
 *              [@start, @last]: drop everything derived from it.  Called
 *              with the parent's iopt lock and xlate lock (for writing)
 *              held; takes this IOASID's xlate for writing itself.  May be
 *              NULL
 */
struct ioasidfd_source_ops {
	u32 mode;
	int (*replay)(struct ioasidfd_iopt *iopt, struct ioasidfd_hwpt *hwpt,
		      struct ioasidfd_device *idev);
	int (*check_attach)(struct ioasidfd_iopt *iopt,
			    struct ioasidfd_device *idev, u32 wire_pasid);
	struct page *(*lookup)(struct ioasidfd_iopt *iopt,
			       struct ioasidfd_access *acc);
	void (*wipe)(struct ioasidfd_iopt *iopt);
	void (*release)(struct ioasidfd_iopt *iopt);
	void (*info)(struct ioasidfd_iopt *iopt, struct ioasid_info_cap_ioas *info);
	bool (*access)(struct ioasidfd_iopt *iopt, struct ioasidfd_access *acc);
	void (*fdinfo)(struct ioasidfd_iopt *iopt, struct seq_file *m);
	bool replay_xlate;
	bool (*stream_wide)(struct ioasidfd_iopt *iopt);
	void (*caps)(struct ioasidfd_iopt *iopt, struct ioasidfd_caps *caps);
	int (*parent_prepare)(struct ioasidfd_iopt *iopt, u64 start, u64 last);
	bool explains_faults;
	void (*parent_zap)(struct ioasidfd_iopt *iopt, u64 start, u64 last);
};

/**
 * struct ioasidfd_iopt - translation state of an IOASID that has been used
 * @lock: configuration: the source, @hwpts, @attachments, @fault_queue,
 *        @nr_children; and the IOASIDFD_IOAS_DESTROYED check of the owner
 *        for anything that adds translation.  Serialises MAP, UNMAP,
 *        ALLOW, DISALLOW and DESTROY of the IOASID
 * @xlate: the translation lock (see the top of the file): held for writing
 *         to remove translation, and with @lock to change @src or @hwpts;
 *         held for reading by per-access translators
 * @ioas: the owner
 * @src: the translation source, or NULL (IOASID_MODE_NONE): set with @lock
 *       and @xlate held, once per mode
 * @src_priv: the source's state
 * @hwpts: executor page tables (struct ioasidfd_hwpt) of this IOASID
 * @attachments: device attachments (struct ioasidfd_attach)
 * @nr_attach: number of @attachments
 * @children: nested IOASIDs using this one as their stage 2 (their
 *            ioasidfd_iopt::child_item); under this iopt's lock
 * @nr_children: entries in @children
 * @child_item: on the parent's @children, under the parent's lock
 * @parent: a nested IOASID's stage 2 (whose IOASID the nested source holds
 *          a reference on); set with the source, stable while attached
 * @fault_queue: where faults of DMA through the IOASID are reported, or NULL;
 *               holds a reference on the queue
 */
struct ioasidfd_iopt {
	struct mutex lock; /* see the kernel-doc above */
	struct rw_semaphore xlate; /* see the kernel-doc above */
	struct ioasidfd_ioas *ioas;
	const struct ioasidfd_source_ops *src;
	void *src_priv;
	struct list_head hwpts;
	struct list_head attachments;
	unsigned int nr_attach;
	struct list_head children;
	unsigned int nr_children;
	struct list_head child_item;
	struct ioasidfd_iopt *parent;
	struct ioasidfd_fault_queue *fault_queue;
};

static inline u32 ioasidfd_iopt_mode(const struct ioasidfd_iopt *iopt)
{
	const struct ioasidfd_source_ops *src = iopt ? READ_ONCE(iopt->src) : NULL;

	return src ? src->mode : IOASID_MODE_NONE;
}

/**
 * struct ioasidfd_pfn_run - physically contiguous memory, for page tables
 * @pfn: first page frame
 * @npages: pages
 */
struct ioasidfd_pfn_run {
	unsigned long pfn;
	unsigned long npages;
};

/**
 * struct ioasidfd_exec_ops - an executor: what runs a device's translation
 * @executor: IOASID_EXEC_*
 * @modes: bitmap of (1 << IOASID_MODE_*) it can execute
 * @walks: the executor translates each access through the source itself
 *         (@lookup of struct ioasidfd_source_ops); else it holds a
 *         programmed page table that sources push to and zap from
 * @probe: fill in a new device's family, PASID width, page sizes, aperture
 *         and reserved regions
 * @remove: undo @probe; the device has no attachment left
 * @hwpt_alloc: allocate an empty page table that @idev can attach to
 * @hwpt_free: free a page table no attachment uses
 * @map: map @nr runs of physical memory, contiguous in IOVA from @iova, with
 *       IOMMU_* @prot; all or nothing, the IOTLB in sync on return.
 *       Allocates with @gfp: GFP_KERNEL, or GFP_ATOMIC under an xlate lock
 *       (an mm mirror maps under the lock its MMU notifier takes).
 *       Programmed executors only
 * @unmap: unmap [@iova, @iova + @length), collecting the IOTLB flush in
 *         @gather; never allocates.  Programmed executors only
 * @flush: complete the IOTLB flushes collected in @gather: afterwards no
 *         device reaches what was unmapped.  Programmed executors only
 * @attach: make the requests of @attach->idev at @attach->wire_pasid (or
 *          without PASID: IOASIDFD_PASID_RID) use @attach->hwpt.  Any error
 *          means that page table cannot serve the device; a new one may
 * @detach: undo @attach; the device's requests there fault on return
 *
 * @map, @unmap and @flush are called with the iopt lock of the IOASID that
 * owns @hwpt held (@unmap and @flush also with its xlate lock, for
 * writing); @attach and @detach with the iopt lock and the device lock.
 */
struct ioasidfd_exec_ops {
	u32 executor;
	u32 modes;
	bool walks;
	int (*probe)(struct ioasidfd_device *idev);
	void (*remove)(struct ioasidfd_device *idev);
	struct ioasidfd_hwpt *(*hwpt_alloc)(struct ioasidfd_device *idev);
	void (*hwpt_free)(struct ioasidfd_hwpt *hwpt);
	int (*map)(struct ioasidfd_hwpt *hwpt, unsigned long iova,
		   const struct ioasidfd_pfn_run *runs, unsigned int nr, int prot,
		   gfp_t gfp);
	void (*unmap)(struct ioasidfd_hwpt *hwpt, unsigned long iova,
		      unsigned long length, struct iommu_iotlb_gather *gather);
	void (*flush)(struct ioasidfd_hwpt *hwpt,
		      struct iommu_iotlb_gather *gather);
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
 * struct ioasidfd_hwpt - a page table an executor keeps for one IOASID
 * @item: on ioasidfd_iopt::hwpts
 * @ops: the executor that owns it
 * @iopt: the IOASID translation it serves
 * @users: attachments using it.  At zero it stays, kept in sync, for the
 *         next attachment, until the IOASID is destroyed
 * @prot: IOMMU_* bits added to every mapping (IOMMU_CACHE where coherent)
 * @aperture: IOVAs it can map, as fixed by the IOMMU at its last attach
 * @domain: the kernel IOMMU domain (IOASID_EXEC_IOMMU_API)
 * @priv: executor data
 *
 * All fields are protected by the owning iopt's lock; the list linkage
 * also by its xlate lock.  A walking executor's hwpt holds no table: it
 * only names the attachments that share the executor.
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
 * @wire_pasid: the PASID the device's requests carry, or IOASIDFD_PASID_RID
 *              for requests without PASID.  Not necessarily the IOASID's
 *              own PASID (a guest's PASID, for instance)
 * @cookie: reported in fault records
 */
struct ioasidfd_attach {
	struct list_head item;
	struct ioasidfd_device *idev;
	struct ioasidfd_ioas *ioas;
	struct ioasidfd_hwpt *hwpt;
	u32 wire_pasid;
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
 * @pasids: wire PASID -> struct ioasidfd_attach
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
 * @sva_hw_errno: what the kernel answered, at probe, to enabling hardware
 *                SVA for the device (0 or a positive errno; for
 *                DEVICE_GET_INFO)
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
	u32 sva_hw_errno;
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

/* main.c: the dispatcher is in <linux/ioasidfd.h> */

/* pasid.c */
void ioasidfd_pasid_exit(void);
bool ioasidfd_pasid_system(void);
int ioasidfd_pasid_alloc(u32 min, u32 max, u32 *pasid);
void ioasidfd_pasid_publish(u32 pasid, struct ioasidfd_ioas *ioas);
void ioasidfd_pasid_free(u32 pasid);
struct ioasidfd_ioas *ioasidfd_pasid_load(u32 pasid);
struct ioasidfd_ioas *ioasidfd_pasid_next(unsigned long *index);
struct ioasidfd_user *ioasidfd_user_get(kuid_t uid);
void ioasidfd_user_put(struct ioasidfd_user *user);
int ioasidfd_quota_take(struct ioasidfd_ctx *ctx);
void ioasidfd_quota_drop(struct ioasidfd_ctx *ctx);

/* ioas.c */
int ioasidfd_ioas_init(void);
void ioasidfd_ioas_exit(void);
int ioasidfd_ctx_open(struct ioasidfd_ctx **out);
void ioasidfd_ctx_release(struct ioasidfd_ctx *ctx);
struct ioasidfd_ioas *ioasidfd_ioas_alloc(struct ioasidfd_ctx *ctx, u32 min,
					  u32 max);
void ioasidfd_ioas_publish(struct ioasidfd_ioas *ioas);
void ioasidfd_ioas_abort(struct ioasidfd_ioas *ioas);
int ioasidfd_ioas_destroy(struct ioasidfd_ctx *ctx, u32 pasid);
struct ioasidfd_iopt *ioasidfd_ioas_iopt(struct ioasidfd_ioas *ioas);
struct ioasidfd_ioas *ioasidfd_ioas_lookup(struct ioasidfd_ctx *ctx, u32 pasid);
int ioasidfd_alloc_ioctl(struct ioasidfd_ucmd *ucmd);
int ioasidfd_destroy_ioctl(struct ioasidfd_ucmd *ucmd);
int ioasidfd_info_ioctl(struct ioasidfd_ucmd *ucmd);
void *ioasidfd_caps_add(struct ioasidfd_caps *caps, u16 id, u16 version,
			size_t size);
int ioasidfd_map_ioctl(struct ioasidfd_ucmd *ucmd);
int ioasidfd_unmap_ioctl(struct ioasidfd_ucmd *ucmd);
void ioasidfd_show_fdinfo(struct seq_file *m, struct ioasidfd_ctx *ctx);

/* iopt.c */
void ioasidfd_xlate_init(struct rw_semaphore *xlate);
void ioasidfd_xlate_lockdep_prime(void);
struct ioasidfd_iopt *ioasidfd_iopt_alloc(struct ioasidfd_ioas *ioas);
void ioasidfd_iopt_release(struct ioasidfd_iopt *iopt);
void ioasidfd_iopt_free(struct ioasidfd_iopt *iopt);
void ioasidfd_iopt_wipe(struct ioasidfd_iopt *iopt);
int ioasidfd_iopt_set_source(struct ioasidfd_iopt *iopt,
			     const struct ioasidfd_source_ops *src, void *priv);
void ioasidfd_iopt_clear_source(struct ioasidfd_iopt *iopt);
int ioasidfd_iopt_unbind(struct ioasidfd_ioas *ioas,
			 const struct ioasidfd_source_ops *src);
int ioasidfd_iopt_parent_prepare(struct ioasidfd_iopt *iopt, u64 start,
				 u64 last);
void ioasidfd_iopt_parent_zap(struct ioasidfd_iopt *iopt, u64 start, u64 last);
int ioasidfd_iopt_iova_ranges(struct ioasidfd_iopt *iopt,
			      struct ioasid_iova_range **out);
int ioasidfd_iopt_check_attach(struct ioasidfd_iopt *iopt,
			       struct ioasidfd_device *idev, u32 wire_pasid);
bool ioasidfd_iopt_access(struct ioasidfd_iopt *iopt,
			  struct ioasidfd_access *acc);
bool ioasidfd_iopt_stream_wide(struct ioasidfd_iopt *iopt);
void ioasidfd_iopt_explain_fault(struct ioasidfd_iopt *iopt,
				 struct ioasid_fault *fault);

/* A growable array of sorted, disjoint inclusive ranges. */
struct ioasidfd_ranges {
	struct ioasid_iova_range *r;
	unsigned int nr;
	unsigned int alloc;
};

int ioasidfd_iopt_usable(struct ioasidfd_iopt *iopt, struct ioasidfd_ranges *rs);
bool ioasidfd_ranges_cover(const struct ioasidfd_ranges *rs, u64 start,
			   u64 last);
int ioasidfd_ranges_device(struct ioasidfd_ranges *rs,
			   struct ioasidfd_device *idev);

/* pages.c */

/**
 * struct ioasidfd_pages - pinned user memory, charged to RLIMIT_MEMLOCK
 * @pages: the pinned pages, @npages of them
 * @npages: pages
 * @mm: the mm charged for @npages in locked_vm; mmgrab()ed
 * @writable: pinned for write (unpinned dirty)
 */
struct ioasidfd_pages {
	struct page **pages;
	unsigned long npages;
	struct mm_struct *mm;
	bool writable;
};

int ioasidfd_pages_pin(struct ioasidfd_pages *p, unsigned long uva,
		       unsigned long npages, bool writable);
void ioasidfd_pages_unpin(struct ioasidfd_pages *p);
unsigned int ioasidfd_pages_runs(const struct ioasidfd_pages *p,
				 unsigned long first, unsigned long npages,
				 struct ioasidfd_pfn_run *runs,
				 unsigned int max_runs, unsigned long *done);

/* iova.c: the IOVA-map source */
extern const struct ioasidfd_source_ops ioasidfd_iova_source;
int ioasidfd_iova_map(struct ioasidfd_ioas *ioas, unsigned long uva,
		      u64 length, int prot, bool fixed, u64 *iova, u64 *out_id);
int ioasidfd_iova_install(struct ioasidfd_iopt *iopt);
void ioasidfd_iova_undo_map(struct ioasidfd_ioas *ioas, u64 iova, u64 id);
int ioasidfd_iova_unmap(struct ioasidfd_ioas *ioas, u64 start, u64 last,
			bool all, int (*confirm)(void *arg, u64 unmapped),
			void *arg);
unsigned long ioasidfd_iova_nr_mappings(struct ioasidfd_iopt *iopt);
const struct ioasidfd_pages *ioasidfd_iova_find(struct ioasidfd_iopt *iopt,
						u64 iova, unsigned long *index,
						u64 *last, int *prot);
struct page *ioasidfd_iova_page(struct ioasidfd_iopt *iopt, u64 iova,
				u32 rights, u32 *reason);

/* nested.c: the nested source */
extern const struct ioasidfd_source_ops ioasidfd_nested_source;
extern atomic64_t ioasidfd_nested_hits, ioasidfd_nested_misses;
int ioasidfd_nested_bind(struct ioasidfd_ioas *ioas, struct ioasidfd_ioas *parent,
			 u32 format, const void *data, bool replace);
int ioasidfd_nested_unbind(struct ioasidfd_ioas *ioas);
int ioasidfd_nested_invalidate(struct ioasidfd_ioas *ioas, const void *entries,
			       u32 entry_len, u32 nr, u32 *done, u32 *error);
int ioasidfd_nested_bind_ioctl(struct ioasidfd_ucmd *ucmd);
int ioasidfd_nested_invalidate_ioctl(struct ioasidfd_ucmd *ucmd);
void ioasidfd_nested_info(struct ioasidfd_caps *caps);

/* sva.c: the process address space source */
extern const struct ioasidfd_source_ops ioasidfd_sva_source;
int ioasidfd_sva_bind(struct ioasidfd_ioas *ioas, struct mm_struct *mm);
int ioasidfd_sva_unbind(struct ioasidfd_ioas *ioas);
int ioasidfd_sva_prefault(struct ioasidfd_ioas *ioas, u64 va, u64 length,
			  bool write, u64 *mapped, u64 *skipped);
int ioasidfd_sva_bind_ioctl(struct ioasidfd_ucmd *ucmd);
int ioasidfd_sva_prefault_ioctl(struct ioasidfd_ucmd *ucmd);
void ioasidfd_sva_init(void);

/* hwpt.c */
int ioasidfd_hwpt_get(struct ioasidfd_iopt *iopt, struct ioasidfd_attach *attach);
void ioasidfd_hwpt_put(struct ioasidfd_hwpt *hwpt);
void ioasidfd_hwpt_free_idle(struct ioasidfd_iopt *iopt);
void ioasidfd_hwpt_prune(struct ioasidfd_iopt *iopt, u64 start, u64 last);

/**
 * struct ioasidfd_hwpt_batch - pinned pages on their way into one page table
 * @hwpt: the page table
 * @runs: the runs gathered, contiguous in IOVA from @iova
 * @max: entries of @runs
 * @nr: runs gathered
 * @iova: where @runs[0] goes; after an error, everything added below it is
 *        mapped and nothing at or above it
 * @end: the IOVA after the last page gathered
 * @prot: the rights of the runs gathered
 *
 * One map call and one IOTLB sync for up to @max runs, whether they come
 * from one mapping or from many that are adjacent in IOVA with the same
 * rights (a replay).  The caller holds the iopt lock throughout.
 */
struct ioasidfd_hwpt_batch {
	struct ioasidfd_hwpt *hwpt;
	struct ioasidfd_pfn_run *runs;
	unsigned int max;
	unsigned int nr;
	unsigned long iova;
	unsigned long end;
	int prot;
};

int ioasidfd_hwpt_batch_init(struct ioasidfd_hwpt_batch *b,
			     struct ioasidfd_hwpt *hwpt, unsigned long npages);
int ioasidfd_hwpt_batch_add(struct ioasidfd_hwpt_batch *b, unsigned long iova,
			    const struct ioasidfd_pages *p, unsigned long first,
			    unsigned long npages, int prot);
int ioasidfd_hwpt_batch_flush(struct ioasidfd_hwpt_batch *b);
void ioasidfd_hwpt_batch_fini(struct ioasidfd_hwpt_batch *b);
int ioasidfd_iopt_push_runs_atomic(struct ioasidfd_iopt *iopt,
				   unsigned long iova,
				   const struct ioasidfd_pfn_run *runs,
				   unsigned int nr, int prot,
				   struct ioasidfd_hwpt *only);
int ioasidfd_iopt_push(struct ioasidfd_iopt *iopt, unsigned long iova,
		       const struct ioasidfd_pages *p, unsigned long first,
		       unsigned long npages, int prot);
int ioasidfd_iopt_push_runs(struct ioasidfd_iopt *iopt, unsigned long iova,
			    const struct ioasidfd_pfn_run *runs,
			    unsigned int nr, int prot,
			    struct ioasidfd_hwpt *only);
void ioasidfd_iopt_zap(struct ioasidfd_iopt *iopt, unsigned long iova,
		       unsigned long length);
void ioasidfd_hwpt_zap(struct ioasidfd_hwpt *hwpt, unsigned long iova,
		       unsigned long length);
bool ioasidfd_iopt_programmed(struct ioasidfd_iopt *iopt);

/* fault.c */
int ioasidfd_fault_queue_alloc_ioctl(struct ioasidfd_ucmd *ucmd);
int ioasidfd_set_fault_queue_ioctl(struct ioasidfd_ucmd *ucmd);
void ioasidfd_fault_queue_put(struct ioasidfd_fault_queue *q);
u32 ioasidfd_fault_report(struct ioasidfd_ioas *ioas, struct ioasid_fault *rec,
			  unsigned long timeout);

/* device.c */
u32 ioasidfd_supported_modes(void);
u32 ioasidfd_supported_executors(void);
u32 ioasidfd_nested_formats(void);
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
void ioasidfd_debugfs_init(void);
void ioasidfd_debugfs_exit(void);

/* main.c: hooks of the test module (ioasidfd_test.ko) */
void ioasidfd_test_fault_report_hook(void);

#endif /* __IOASIDFD_PRIVATE_H */
