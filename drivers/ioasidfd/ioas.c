// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: contexts, IOASIDs and their PASIDs.
 *
 * Every PASID the module holds is in one global xarray, ioasidfd_pasids,
 * which is also the map from PASID to IOASID:
 *
 *   ALLOC     claim a PASID (its entry says "reserved": lookups find
 *             nothing), copy it out, put the IOASID on its context's live
 *             list (that reference makes it live), then store the IOASID
 *             in the entry
 *   DESTROY   set DESTROYED, wipe the translation, take the IOASID off the
 *             live list and drop that reference.  If devices still hold the
 *             IOASID its entry stays (parked): lookups skip it and the PASID
 *             is not handed out again
 *   release   the last reference gives the PASID back: first to the kernel's
 *             allocator, then the entry goes
 *
 * A lookup by a context only finds its own live IOASIDs: another context's
 * PASID is ENOENT, as is a parked one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/ioasid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "ioasidfd_private.h"

static struct kmem_cache *ioasidfd_ioas_cache;

/*
 * PASIDs.  The module records every PASID it holds in ioasidfd_pasids.
 *
 * Where the kernel has a PASID allocator (CONFIG_IOASID: x86 with VT-d SVM)
 * every PASID must also be claimed from it, so that it can never collide
 * with one the kernel hands out for SVA.  The record picks the candidate and
 * the kernel's allocator is only asked for that one PASID, because it logs
 * every failure: a user filling a range of its own PASIDs then gets ENOSPC
 * without a word in the kernel log.  A PASID the kernel refuses is held by
 * someone else: it is marked foreign and skipped, until ioasid_find() (which
 * does not log) says it is free again.
 *
 * Debian's arm64 kernel has no PASID allocator (no IOASID, no SMMUv3 SVA):
 * nothing there hands out PASIDs, and the record alone is the allocator.
 */
static DEFINE_XARRAY_FLAGS(ioasidfd_pasids, XA_FLAGS_ALLOC | XA_FLAGS_ACCOUNT);
#define IOASIDFD_PASID_RESERVED	xa_mk_value(1)
#define IOASIDFD_PASID_FOREIGN	xa_mk_value(2)

#if IS_ENABLED(CONFIG_IOASID)
static DECLARE_IOASID_SET(ioasidfd_pasid_set);

static bool ioasidfd_pasid_claim(u32 pasid)
{
	return ioasid_alloc(&ioasidfd_pasid_set, pasid, pasid, NULL) == pasid;
}

static void ioasidfd_pasid_unclaim(u32 pasid)
{
	ioasid_free(pasid);
}

static bool ioasidfd_pasid_taken(u32 pasid)
{
	return ioasid_find(NULL, pasid, NULL) != ERR_PTR(-ENOENT);
}

bool ioasidfd_pasid_system(void)
{
	return true;
}
#else
static bool ioasidfd_pasid_claim(u32 pasid)
{
	return true;
}

static void ioasidfd_pasid_unclaim(u32 pasid)
{
}

static bool ioasidfd_pasid_taken(u32 pasid)
{
	return false;
}

bool ioasidfd_pasid_system(void)
{
	return false;
}
#endif

/* Forgets foreign PASIDs in [min, max] that are free again; true if any. */
static bool ioasidfd_pasid_purge(u32 min, u32 max)
{
	unsigned long index;
	bool purged = false;
	void *entry;

	xa_for_each_range(&ioasidfd_pasids, index, entry, min, max) {
		if (entry != IOASIDFD_PASID_FOREIGN || ioasidfd_pasid_taken(index))
			continue;
		if (xa_cmpxchg(&ioasidfd_pasids, index, entry, NULL, 0) == entry)
			purged = true;
	}
	return purged;
}

/* Returns a PASID in [min, max] now held by the module, or 0. */
static u32 ioasidfd_pasid_alloc(u32 min, u32 max)
{
	bool purged = false;
	u32 pasid;

	for (;;) {
		if (xa_alloc(&ioasidfd_pasids, &pasid, IOASIDFD_PASID_RESERVED,
			     XA_LIMIT(min, max), GFP_KERNEL_ACCOUNT)) {
			if (purged || !ioasidfd_pasid_purge(min, max))
				return 0;
			purged = true;
			continue;
		}
		if (ioasidfd_pasid_claim(pasid))
			return pasid;
		/* Replaces an existing entry: cannot fail. */
		xa_store(&ioasidfd_pasids, pasid, IOASIDFD_PASID_FOREIGN, 0);
	}
}

/* Gives a PASID back; the kernel's first, so it is never seen as foreign. */
static void ioasidfd_pasid_free(u32 pasid)
{
	ioasidfd_pasid_unclaim(pasid);
	xa_erase(&ioasidfd_pasids, pasid);
}

/* Per-user accounting: uid -> struct ioasidfd_user, under the mutex. */
static DEFINE_XARRAY(ioasidfd_users);
static DEFINE_MUTEX(ioasidfd_users_lock);

static struct ioasidfd_user *ioasidfd_user_get(kuid_t uid)
{
	unsigned long key = from_kuid(&init_user_ns, uid);
	struct ioasidfd_user *user;
	int rc;

	mutex_lock(&ioasidfd_users_lock);
	user = xa_load(&ioasidfd_users, key);
	if (user) {
		refcount_inc(&user->refs);
		goto out;
	}
	user = kzalloc(sizeof(*user), GFP_KERNEL_ACCOUNT);
	if (!user) {
		user = ERR_PTR(-ENOMEM);
		goto out;
	}
	user->uid = uid;
	refcount_set(&user->refs, 1);
	rc = xa_err(xa_store(&ioasidfd_users, key, user, GFP_KERNEL_ACCOUNT));
	if (rc) {
		kfree(user);
		user = ERR_PTR(rc);
	}
out:
	mutex_unlock(&ioasidfd_users_lock);
	return user;
}

static void ioasidfd_user_put(struct ioasidfd_user *user)
{
	mutex_lock(&ioasidfd_users_lock);
	if (refcount_dec_and_test(&user->refs)) {
		xa_erase(&ioasidfd_users, from_kuid(&init_user_ns, user->uid));
		WARN_ON(atomic_read(&user->nr));
		kfree(user);
	}
	mutex_unlock(&ioasidfd_users_lock);
}

int ioasidfd_ctx_open(struct ioasidfd_ctx **out)
{
	struct ioasidfd_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->user = ioasidfd_user_get(current_uid());
	if (IS_ERR(ctx->user)) {
		int rc = PTR_ERR(ctx->user);

		kfree(ctx);
		return rc;
	}
	refcount_set(&ctx->users, 1);
	spin_lock_init(&ctx->lock);
	INIT_LIST_HEAD(&ctx->live);
	ioasidfd_count(IOASIDFD_CNT_CTX, 1);
	*out = ctx;
	return 0;
}

/**
 * ioasidfd_ctx_put() - drop a context reference
 * @ctx: from ioasidfd_ctx_fdget() or ioasidfd_ctx_from_file()
 */
void ioasidfd_ctx_put(struct ioasidfd_ctx *ctx)
{
	if (!refcount_dec_and_test(&ctx->users))
		return;
	WARN_ON(!list_empty(&ctx->live) || atomic_read(&ctx->nr_ioas));
	ioasidfd_user_put(ctx->user);
	kfree(ctx);
	ioasidfd_count(IOASIDFD_CNT_CTX, -1);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_ctx_put, IOASIDFD);

static void ioasidfd_ioas_free_rcu(struct rcu_head *head)
{
	struct ioasidfd_ioas *ioas = container_of(head, struct ioasidfd_ioas, rcu);

	ioasidfd_iopt_free(ioas->iopt);
	kmem_cache_free(ioasidfd_ioas_cache, ioas);
}

static void ioasidfd_ioas_release(struct kref *kref)
{
	struct ioasidfd_ioas *ioas = container_of(kref, struct ioasidfd_ioas, kref);
	struct ioasidfd_ctx *ctx = ioas->ctx;

	might_sleep();
	/* Only the live xarray entry's reference keeps an IOASID undestroyed. */
	WARN_ON(!test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags));

	ioasidfd_iopt_release(ioas->iopt);
	/* From here on the PASID may be handed out again. */
	ioasidfd_pasid_free(ioas->pasid);
	atomic_dec(&ctx->user->nr);
	atomic_dec(&ctx->nr_ioas);
	if (test_bit(IOASIDFD_IOAS_PARKED, &ioas->flags))
		ioasidfd_count(IOASIDFD_CNT_PARKED, -1);
	ioasidfd_count(IOASIDFD_CNT_PASID, -1);

	/* RCU readers (lookups, fdinfo) may still look at it and its iopt. */
	call_rcu(&ioas->rcu, ioasidfd_ioas_free_rcu);
	ioasidfd_ctx_put(ctx);
}

/**
 * ioasidfd_ioas_put() - drop an IOASID reference
 * @ioas: the IOASID
 *
 * Dropping the last reference of a destroyed IOASID returns its PASID to the
 * allocator.  Must be called in process context.
 */
void ioasidfd_ioas_put(struct ioasidfd_ioas *ioas)
{
	kref_put(&ioas->kref, ioasidfd_ioas_release);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_ioas_put, IOASIDFD);

/**
 * ioasidfd_ioas_pasid() - the PASID of an IOASID
 * @ioas: the IOASID
 *
 * Return: the PASID; it stays valid as long as the caller's reference.
 */
u32 ioasidfd_ioas_pasid(const struct ioasidfd_ioas *ioas)
{
	return ioas->pasid;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_ioas_pasid, IOASIDFD);

/* The IOASID of a registry entry, or NULL for a reserved/foreign PASID. */
static struct ioasidfd_ioas *ioasidfd_entry_ioas(void *entry)
{
	return entry && !xa_is_value(entry) ? entry : NULL;
}

struct ioasidfd_ioas *ioasidfd_ioas_lookup(struct ioasidfd_ctx *ctx, u32 pasid)
{
	struct ioasidfd_ioas *ioas;

	rcu_read_lock();
	ioas = ioasidfd_entry_ioas(xa_load(&ioasidfd_pasids, pasid));
	if (ioas && (ioas->ctx != ctx ||
		     test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags) ||
		     !kref_get_unless_zero(&ioas->kref)))
		ioas = NULL;
	rcu_read_unlock();
	return ioas ?: ERR_PTR(-ENOENT);
}

/**
 * ioasidfd_ioas_get() - look up an IOASID of a context by its PASID
 * @ctx: the context
 * @pasid: the PASID
 *
 * Return: the IOASID with a reference held (release with
 * ioasidfd_ioas_put()), or ERR_PTR(-ENOENT) if @pasid is not a live IOASID
 * of @ctx.  An IOASID may be destroyed while the caller holds it; operations
 * that add translation to it then fail with -ENOENT.
 */
struct ioasidfd_ioas *ioasidfd_ioas_get(struct ioasidfd_ctx *ctx, u32 pasid)
{
	return ioasidfd_ioas_lookup(ctx, pasid);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_ioas_get, IOASIDFD);

/**
 * ioasidfd_ioas_iopt() - the translation state of an IOASID, created on demand
 * @ioas: the IOASID, referenced by the caller
 *
 * Return: the iopt, or NULL if out of memory.
 */
struct ioasidfd_iopt *ioasidfd_ioas_iopt(struct ioasidfd_ioas *ioas)
{
	struct ioasidfd_iopt *iopt, *old;

	/* Pairs with the cmpxchg() below. */
	iopt = smp_load_acquire(&ioas->iopt);
	if (iopt)
		return iopt;
	iopt = ioasidfd_iopt_alloc(ioas);
	if (!iopt)
		return NULL;
	old = cmpxchg(&ioas->iopt, NULL, iopt);
	if (old) {
		ioasidfd_iopt_free(iopt);
		return old;
	}
	return iopt;
}

/*
 * Take an IOASID out of service: called once, by whoever set DESTROYED.
 * Consumes the reference of the live list.
 */
static void ioasidfd_ioas_kill(struct ioasidfd_ioas *ioas)
{
	struct ioasidfd_ctx *ctx = ioas->ctx;
	struct ioasidfd_iopt *iopt;

	/*
	 * DESTROYED is visible before we look for an iopt; whoever installs an
	 * iopt after this checks DESTROYED under the iopt lock (the cmpxchg()
	 * that installs it is a full barrier), so either we wipe it or they see
	 * the bit.
	 */
	smp_mb__after_atomic();
	iopt = READ_ONCE(ioas->iopt);
	if (iopt)
		ioasidfd_iopt_wipe(iopt);

	spin_lock(&ctx->lock);
	list_del_init(&ioas->ctx_item);
	spin_unlock(&ctx->lock);
	ioasidfd_count(IOASIDFD_CNT_IOAS, -1);
	if (kref_read(&ioas->kref) > 1) {
		set_bit(IOASIDFD_IOAS_PARKED, &ioas->flags);
		ioasidfd_count(IOASIDFD_CNT_PARKED, 1);
	}
	ioasidfd_ioas_put(ioas);
}

/* Returns the IOASID with DESTROYED newly set, or NULL if not live here. */
static struct ioasidfd_ioas *ioasidfd_ioas_take(struct ioasidfd_ctx *ctx,
						u32 pasid)
{
	struct ioasidfd_ioas *ioas;

	/*
	 * Whoever sets DESTROYED on a live IOASID owns its live reference, so
	 * it stays valid once out of the RCU read side.
	 */
	rcu_read_lock();
	ioas = ioasidfd_entry_ioas(xa_load(&ioasidfd_pasids, pasid));
	if (ioas && (ioas->ctx != ctx ||
		     test_and_set_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags)))
		ioas = NULL;
	rcu_read_unlock();
	return ioas;
}

void ioasidfd_ctx_release(struct ioasidfd_ctx *ctx)
{
	struct ioasidfd_ioas *ioas;

	/* No ioctl runs any more: only this loop takes IOASIDs off the list. */
	for (;;) {
		spin_lock(&ctx->lock);
		ioas = list_first_entry_or_null(&ctx->live, struct ioasidfd_ioas,
						ctx_item);
		if (ioas && WARN_ON(test_and_set_bit(IOASIDFD_IOAS_DESTROYED,
						     &ioas->flags)))
			list_del_init(&ioas->ctx_item);
		spin_unlock(&ctx->lock);
		if (!ioas)
			break;
		if (!list_empty(&ioas->ctx_item))
			ioasidfd_ioas_kill(ioas);
		cond_resched();
	}
	/* Parked IOASIDs keep the context (not the file) until released. */
	ioasidfd_ctx_put(ctx);
}

static int ioasidfd_quota_take(struct ioasidfd_ctx *ctx)
{
	if (atomic_inc_return(&ctx->nr_ioas) > READ_ONCE(ioasidfd_max_per_fd))
		goto err_fd;
	if (atomic_inc_return(&ctx->user->nr) > READ_ONCE(ioasidfd_max_per_user))
		goto err_user;
	return 0;

err_user:
	atomic_dec(&ctx->user->nr);
err_fd:
	atomic_dec(&ctx->nr_ioas);
	return -EDQUOT;
}

static void ioasidfd_quota_drop(struct ioasidfd_ctx *ctx)
{
	atomic_dec(&ctx->user->nr);
	atomic_dec(&ctx->nr_ioas);
}

int ioasidfd_alloc_ioctl(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_alloc *cmd = ucmd->cmd;
	struct ioasidfd_ctx *ctx = ucmd->ctx;
	u32 min = IOASID_PASID_MIN, max = IOASID_PASID_MAX;
	struct ioasidfd_ioas *ioas;
	int rc;

	if (cmd->flags & ~IOASID_ALLOC_RANGE || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->flags & IOASID_ALLOC_RANGE) {
		if (cmd->min_pasid > cmd->max_pasid)
			return -EINVAL;
		if (cmd->min_pasid < IOASID_PASID_MIN ||
		    cmd->max_pasid > IOASID_PASID_MAX)
			return -ERANGE;
		min = cmd->min_pasid;
		max = cmd->max_pasid;
	} else if (cmd->min_pasid || cmd->max_pasid) {
		return -EINVAL;
	}

	rc = ioasidfd_quota_take(ctx);
	if (rc)
		return rc;

	ioas = kmem_cache_zalloc(ioasidfd_ioas_cache, GFP_KERNEL_ACCOUNT);
	if (!ioas) {
		rc = -ENOMEM;
		goto err_quota;
	}
	ioas->pasid = ioasidfd_pasid_alloc(min, max);
	if (!ioas->pasid) {
		rc = -ENOSPC;
		goto err_free;
	}
	kref_init(&ioas->kref);
	ioas->ctx = ctx;

	/* The user learns the PASID before anyone can find the IOASID. */
	cmd->out_pasid = ioas->pasid;
	rc = ioasidfd_ucmd_respond(ucmd);
	if (rc)
		goto err_pasid;

	refcount_inc(&ctx->users);
	ioasidfd_count(IOASIDFD_CNT_PASID, 1);
	ioasidfd_count(IOASIDFD_CNT_IOAS, 1);
	spin_lock(&ctx->lock);
	list_add_tail(&ioas->ctx_item, &ctx->live);
	spin_unlock(&ctx->lock);
	/* Replaces the reserved entry: cannot fail. */
	xa_store(&ioasidfd_pasids, ioas->pasid, ioas, 0);
	return 0;

err_pasid:
	ioasidfd_pasid_free(ioas->pasid);
err_free:
	kmem_cache_free(ioasidfd_ioas_cache, ioas);
err_quota:
	ioasidfd_quota_drop(ctx);
	return rc;
}

int ioasidfd_destroy_ioctl(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_destroy *cmd = ucmd->cmd;
	struct ioasidfd_ioas *ioas;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = ioasidfd_ioas_take(ucmd->ctx, cmd->pasid);
	if (!ioas)
		return -ENOENT;
	ioasidfd_ioas_kill(ioas);
	return 0;
}

/* Builds a GET_INFO capability chain in a kernel buffer. */
struct ioasidfd_caps {
	void *buf;
	size_t len;
	size_t alloc;
	u32 last;	/* offset of the last header, or U32_MAX */
	int err;
};

static void *ioasidfd_caps_add(struct ioasidfd_caps *caps, u16 id, u16 version,
			       size_t size)
{
	struct ioasid_info_cap_header *hdr;
	size_t off = ALIGN(caps->len, 8);

	if (caps->err)
		return NULL;
	if (off + size > caps->alloc) {
		size_t n = max(2 * caps->alloc, off + size);
		void *p = krealloc(caps->buf, n, GFP_KERNEL);

		if (!p) {
			caps->err = -ENOMEM;
			return NULL;
		}
		memset(p + caps->alloc, 0, n - caps->alloc);
		caps->buf = p;
		caps->alloc = n;
	}
	hdr = caps->buf + off;
	hdr->id = id;
	hdr->version = version;
	hdr->next = 0;
	if (caps->last != U32_MAX)
		((struct ioasid_info_cap_header *)(caps->buf + caps->last))->next = off;
	caps->last = off;
	caps->len = off + size;
	return hdr;
}

static void ioasidfd_info_global(struct ioasidfd_caps *caps,
				 struct ioasidfd_ctx *ctx)
{
	struct ioasid_info_cap_pasid *pasid;
	struct ioasid_info_cap_quota *quota;
	struct ioasid_info_cap_modes *modes;

	pasid = ioasidfd_caps_add(caps, IOASID_INFO_CAP_PASID, 1, sizeof(*pasid));
	if (pasid) {
		pasid->pasid_bits = IOASID_PASID_BITS;
		pasid->pasid_min = IOASID_PASID_MIN;
		pasid->pasid_max = IOASID_PASID_MAX;
		pasid->flags = ioasidfd_pasid_system() ? IOASID_CAP_PASID_SYSTEM : 0;
	}
	quota = ioasidfd_caps_add(caps, IOASID_INFO_CAP_QUOTA, 1, sizeof(*quota));
	if (quota) {
		quota->max_per_fd = READ_ONCE(ioasidfd_max_per_fd);
		quota->max_per_user = READ_ONCE(ioasidfd_max_per_user);
		quota->nr_fd = atomic_read(&ctx->nr_ioas);
		quota->nr_user = atomic_read(&ctx->user->nr);
	}
	modes = ioasidfd_caps_add(caps, IOASID_INFO_CAP_MODES, 1, sizeof(*modes));
	if (modes) {
		modes->modes = ioasidfd_supported_modes();
		modes->executors = ioasidfd_supported_executors();
		modes->nested_formats = 0;
	}
}

static void ioasidfd_info_ioas(struct ioasidfd_caps *caps,
			       struct ioasidfd_ioas *ioas)
{
	struct ioasid_info_cap_iova_ranges *ranges;
	struct ioasid_info_cap_ioas *info;
	struct ioasid_iova_range *usable;
	struct ioasidfd_iopt *iopt;
	int nr;

	/* Pairs with the cmpxchg() in ioasidfd_ioas_iopt(). */
	iopt = smp_load_acquire(&ioas->iopt);

	info = ioasidfd_caps_add(caps, IOASID_INFO_CAP_IOAS, 1, sizeof(*info));
	if (info) {
		info->pasid = ioas->pasid;
		info->state = IOASID_STATE_LIVE;
		info->mode = IOASID_MODE_NONE;
		if (iopt) {
			mutex_lock(&iopt->lock);
			info->mode = iopt->mode;
			info->nr_attach = iopt->nr_attach;
			info->nr_mappings = iopt->nr_areas;
			info->mapped_bytes = iopt->mapped_bytes;
			mutex_unlock(&iopt->lock);
		}
	}

	nr = ioasidfd_iopt_iova_ranges(iopt, &usable);
	if (nr < 0) {
		caps->err = nr;
		return;
	}
	ranges = ioasidfd_caps_add(caps, IOASID_INFO_CAP_IOVA_RANGES, 1,
				   struct_size(ranges, ranges, nr));
	if (ranges) {
		ranges->nr_ranges = nr;
		memcpy(ranges->ranges, usable, flex_array_size(ranges, ranges, nr));
	}
	kfree(usable);
}

int ioasidfd_info_ioctl(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_info *cmd = ucmd->cmd;
	struct ioasidfd_caps caps = { .last = U32_MAX };
	struct ioasidfd_ioas *ioas = NULL;
	int rc;

	if (cmd->flags & ~IOASID_INFO_PASID || cmd->__reserved)
		return -EOPNOTSUPP;
	if (!(cmd->flags & IOASID_INFO_PASID) && cmd->pasid)
		return -EINVAL;
	if (cmd->flags & IOASID_INFO_PASID) {
		ioas = ioasidfd_ioas_lookup(ucmd->ctx, cmd->pasid);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
	}

	ioasidfd_info_global(&caps, ucmd->ctx);
	if (ioas)
		ioasidfd_info_ioas(&caps, ioas);
	rc = caps.err;
	if (rc)
		goto out;

	cmd->out_caps_written = 0;
	if (cmd->caps_len >= caps.len) {
		if (copy_to_user(u64_to_user_ptr(cmd->caps_uptr), caps.buf,
				 caps.len)) {
			rc = -EFAULT;
			goto out;
		}
		cmd->out_caps_written = caps.len;
	}
	cmd->caps_len = caps.len;
	rc = ioasidfd_ucmd_respond(ucmd);
out:
	kfree(caps.buf);
	if (ioas)
		ioasidfd_ioas_put(ioas);
	return rc;
}

static const char *ioasidfd_mode_name(u32 mode)
{
	switch (mode) {
	case IOASID_MODE_IOVA:
		return "iova";
	case IOASID_MODE_NESTED:
		return "nested";
	case IOASID_MODE_SVA:
		return "sva";
	default:
		return "none";
	}
}

void ioasidfd_show_fdinfo(struct seq_file *m, struct ioasidfd_ctx *ctx)
{
	unsigned long index;
	unsigned int n = 0;
	void *entry;

	seq_printf(m, "ioasids:\t%d\n", atomic_read(&ctx->nr_ioas));
	/*
	 * RCU keeps the IOASID being printed, and its iopt, in memory; the
	 * counts are a snapshot read without the iopt lock.  The walk resumes
	 * by index, so it can leave the read side now and then.
	 */
	rcu_read_lock();
	xa_for_each(&ioasidfd_pasids, index, entry) {
		struct ioasidfd_ioas *ioas = ioasidfd_entry_ioas(entry);
		struct ioasidfd_iopt *iopt;
		bool parked;

		if (ioas && ioas->ctx == ctx) {
			iopt = READ_ONCE(ioas->iopt);
			parked = test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags);
			seq_printf(m, "ioasid:\t%u state:%s mode:%s refs:%u attach:%u mappings:%lu\n",
				   ioas->pasid, parked ? "parked" : "live",
				   ioasidfd_mode_name(iopt ? READ_ONCE(iopt->mode) : 0),
				   kref_read(&ioas->kref),
				   iopt ? READ_ONCE(iopt->nr_attach) : 0,
				   iopt ? READ_ONCE(iopt->nr_areas) : 0);
		}
		if (!(++n % 1024)) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
}

int ioasidfd_ioas_init(void)
{
	ioasidfd_ioas_cache = kmem_cache_create("ioasidfd_ioas",
						sizeof(struct ioasidfd_ioas), 0,
						SLAB_ACCOUNT, NULL);
	return ioasidfd_ioas_cache ? 0 : -ENOMEM;
}

void ioasidfd_ioas_exit(void)
{
	unsigned long index;
	void *entry;

	/* Wait for the call_rcu() frees before the cache goes. */
	rcu_barrier();
	kmem_cache_destroy(ioasidfd_ioas_cache);
	/* Every PASID of ours is back; foreign marks are just forgotten. */
	xa_for_each(&ioasidfd_pasids, index, entry)
		WARN_ON(entry != IOASIDFD_PASID_FOREIGN);
	xa_destroy(&ioasidfd_pasids);
}
