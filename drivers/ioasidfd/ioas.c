// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: contexts and IOASIDs, and the /dev/ioasid handlers.
 *
 * An IOASID is named by a system PASID (pasid.c keeps the map):
 *
 *   ALLOC     claim a PASID (lookups find nothing there yet), copy it out,
 *             put the IOASID on its context's live list (that reference
 *             makes it live), then publish it in the PASID map
 *   DESTROY   set DESTROYED, wipe the translation, take the IOASID off the
 *             live list and drop that reference.  If devices (or nested
 *             children) still hold the IOASID its entry stays (parked):
 *             lookups skip it and the PASID is not handed out again
 *   release   the last reference gives the PASID back
 *
 * A lookup by a context only finds its own live IOASIDs: another context's
 * PASID is ENOENT, as is a parked one.
 *
 * The handlers here only copy in, call the kernel functions (ioas.c itself,
 * iova.c, nested.c) and reply; a call that fails changes nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/iommu.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ioasidfd_private.h"
#include "inject.h"

static struct kmem_cache *ioasidfd_ioas_cache;

int ioasidfd_ctx_open(struct ioasidfd_ctx **out)
{
	struct ioasidfd_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(ctx, kfree);
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
	/* Only the live list's reference keeps an IOASID undestroyed. */
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
struct ioasidfd_ioas *ioasidfd_ioas_lookup(struct ioasidfd_ctx *ctx, u32 pasid)
{
	struct ioasidfd_ioas *ioas;

	rcu_read_lock();
	ioas = ioasidfd_pasid_load(pasid);
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

/*
 * Sets DESTROYED on a live IOASID of @ctx, which then owns its live
 * reference: -ENOENT if it is not one, -EBUSY if nested IOASIDs use it as
 * their stage 2.  The iopt lock orders this against a nested bind, which
 * checks DESTROYED under it.
 */
static int ioasidfd_ioas_take(struct ioasidfd_ctx *ctx, u32 pasid,
			      struct ioasidfd_ioas **out)
{
	struct ioasidfd_ioas *ioas;
	struct ioasidfd_iopt *iopt;
	int rc = 0;

	ioas = ioasidfd_ioas_lookup(ctx, pasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/* Pairs with the cmpxchg() in ioasidfd_ioas_iopt(). */
	iopt = smp_load_acquire(&ioas->iopt);
	if (iopt) {
		mutex_lock(&iopt->lock);
		if (iopt->nr_children)
			rc = -EBUSY;
	}
	if (!rc && test_and_set_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags))
		rc = -ENOENT;
	if (iopt)
		mutex_unlock(&iopt->lock);
	/* The live list's reference keeps it now, or it was not ours. */
	ioasidfd_ioas_put(ioas);
	if (!rc)
		*out = ioas;
	return rc;
}

void ioasidfd_ctx_release(struct ioasidfd_ctx *ctx)
{
	struct ioasidfd_ioas *ioas;

	/*
	 * No ioctl runs any more: only this loop takes IOASIDs off the list.
	 * A stage-2 parent may go before its nested children: it is wiped,
	 * so they translate nothing, and stays parked until they let go.
	 */
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

/**
 * ioasidfd_ioas_alloc() - a new IOASID of a context, not yet visible
 * @ctx: the context
 * @min: lowest acceptable PASID
 * @max: highest acceptable PASID
 *
 * The caller makes it visible with ioasidfd_ioas_publish() (after telling
 * the user its PASID) or takes it back with ioasidfd_ioas_abort().
 *
 * Return: the IOASID, or ERR_PTR(-EDQUOT) at a quota, ERR_PTR(-ENOSPC)
 * if every PASID of the range is taken, ERR_PTR(-ENOMEM).
 */
struct ioasidfd_ioas *ioasidfd_ioas_alloc(struct ioasidfd_ctx *ctx, u32 min,
					  u32 max)
{
	struct ioasidfd_ioas *ioas;
	int rc;

	rc = ioasidfd_quota_take(ctx);
	if (rc)
		return ERR_PTR(rc);
	ioas = kmem_cache_zalloc(ioasidfd_ioas_cache, GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, ioas,
			     kmem_cache_free(ioasidfd_ioas_cache, ioas); ioas = NULL);
	if (!ioas) {
		rc = -ENOMEM;
		goto err_quota;
	}
	rc = ioasidfd_pasid_alloc(min, max, &ioas->pasid);
	if (rc)
		goto err_free;
	kref_init(&ioas->kref);
	ioas->ctx = ctx;
	return ioas;

err_free:
	kmem_cache_free(ioasidfd_ioas_cache, ioas);
err_quota:
	ioasidfd_quota_drop(ctx);
	return ERR_PTR(rc);
}

/* Makes an IOASID of ioasidfd_ioas_alloc() live and visible. */
void ioasidfd_ioas_publish(struct ioasidfd_ioas *ioas)
{
	struct ioasidfd_ctx *ctx = ioas->ctx;

	refcount_inc(&ctx->users);
	ioasidfd_count(IOASIDFD_CNT_PASID, 1);
	ioasidfd_count(IOASIDFD_CNT_IOAS, 1);
	spin_lock(&ctx->lock);
	list_add_tail(&ioas->ctx_item, &ctx->live);
	spin_unlock(&ctx->lock);
	ioasidfd_pasid_publish(ioas->pasid, ioas);
}

/* Undoes ioasidfd_ioas_alloc() of an IOASID never published. */
void ioasidfd_ioas_abort(struct ioasidfd_ioas *ioas)
{
	ioasidfd_pasid_free(ioas->pasid);
	ioasidfd_quota_drop(ioas->ctx);
	kmem_cache_free(ioasidfd_ioas_cache, ioas);
}

/**
 * ioasidfd_ioas_destroy() - destroy an IOASID of a context
 * @ctx: the context
 * @pasid: its PASID
 *
 * Return: 0, -ENOENT if @pasid is not a live IOASID of @ctx, -EBUSY if
 * nested IOASIDs use it as their stage 2.
 */
int ioasidfd_ioas_destroy(struct ioasidfd_ctx *ctx, u32 pasid)
{
	struct ioasidfd_ioas *ioas;
	int rc;

	rc = ioasidfd_ioas_take(ctx, pasid, &ioas);
	if (!rc)
		ioasidfd_ioas_kill(ioas);
	return rc;
}

int ioasidfd_alloc_ioctl(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_alloc *cmd = ucmd->cmd;
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

	ioas = ioasidfd_ioas_alloc(ucmd->ctx, min, max);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/* The user learns the PASID before anyone can find the IOASID. */
	cmd->out_pasid = ioas->pasid;
	rc = ioasidfd_ucmd_respond(ucmd);
	if (rc) {
		ioasidfd_ioas_abort(ioas);
		return rc;
	}
	ioasidfd_ioas_publish(ioas);
	return 0;
}

int ioasidfd_destroy_ioctl(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_destroy *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	return ioasidfd_ioas_destroy(ucmd->ctx, cmd->pasid);
}

int ioasidfd_map_ioctl(struct ioasidfd_ucmd *ucmd)
{
	const u32 valid = IOASID_MAP_READ | IOASID_MAP_WRITE |
			  IOASID_MAP_FIXED_IOVA;
	struct ioasid_map *cmd = ucmd->cmd;
	bool fixed = cmd->flags & IOASID_MAP_FIXED_IOVA;
	u64 id;
	struct ioasidfd_ioas *ioas;
	u64 iova = cmd->iova;
	int prot = 0;
	int rc;

	if (cmd->flags & ~valid || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->flags & IOASID_MAP_READ)
		prot |= IOMMU_READ;
	if (cmd->flags & IOASID_MAP_WRITE)
		prot |= IOMMU_WRITE;
	if (!prot || !cmd->length || (!fixed && cmd->iova))
		return -EINVAL;
	if (fixed && cmd->iova + cmd->length - 1 < cmd->iova)
		return -EOVERFLOW;
	if (cmd->user_va + cmd->length - 1 < cmd->user_va)
		return -EOVERFLOW;
	if (cmd->user_va + cmd->length > TASK_SIZE)
		return -EFAULT;

	ioas = ioasidfd_ioas_lookup(ucmd->ctx, cmd->pasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = ioasidfd_iova_map(ioas, cmd->user_va, cmd->length, prot, fixed,
			       &iova, &id);
	if (rc)
		goto out_put;
	cmd->iova = iova;
	rc = ioasidfd_ucmd_respond(ucmd);
	/* The caller cannot know the IOVA: take the mapping back. */
	if (rc)
		ioasidfd_iova_undo_map(ioas, iova, id);
out_put:
	ioasidfd_ioas_put(ioas);
	return rc;
}

/* Answer first, so that a failed call has changed nothing. */
static int ioasidfd_unmap_confirm(void *arg, u64 unmapped)
{
	struct ioasidfd_ucmd *ucmd = arg;
	struct ioasid_unmap *cmd = ucmd->cmd;

	cmd->length = unmapped;
	return ioasidfd_ucmd_respond(ucmd);
}

int ioasidfd_unmap_ioctl(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_unmap *cmd = ucmd->cmd;
	bool all = cmd->flags & IOASID_UNMAP_ALL;
	struct ioasidfd_ioas *ioas;
	u64 start, last;
	int rc;

	if (cmd->flags & ~IOASID_UNMAP_ALL || cmd->__reserved)
		return -EOPNOTSUPP;
	if (all) {
		if (cmd->iova || cmd->length)
			return -EINVAL;
		start = 0;
		last = U64_MAX;
	} else {
		if (!cmd->length || !PAGE_ALIGNED(cmd->iova) ||
		    !PAGE_ALIGNED(cmd->length))
			return -EINVAL;
		if (cmd->iova + cmd->length - 1 < cmd->iova)
			return -EOVERFLOW;
		start = cmd->iova;
		last = cmd->iova + cmd->length - 1;
	}

	ioas = ioasidfd_ioas_lookup(ucmd->ctx, cmd->pasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = ioasidfd_iova_unmap(ioas, start, last, all, ioasidfd_unmap_confirm,
				 ucmd);
	ioasidfd_ioas_put(ioas);
	return rc;
}

/* Builds a GET_INFO capability chain in a kernel buffer. */
struct ioasidfd_caps {
	void *buf;
	size_t len;
	size_t alloc;
	u32 last;	/* offset of the last header, or U32_MAX */
	int err;
};

/**
 * ioasidfd_caps_add() - append a capability to a GET_INFO chain
 * @caps: the chain
 * @id: IOASID_INFO_CAP_*
 * @version: the layout's version
 * @size: bytes of the capability struct, header included
 *
 * Return: the zeroed capability with its header filled in, or NULL (the
 * chain's error is set) when out of memory.
 */
void *ioasidfd_caps_add(struct ioasidfd_caps *caps, u16 id, u16 version,
			size_t size)
{
	struct ioasid_info_cap_header *hdr;
	size_t off = ALIGN(caps->len, 8);

	if (caps->err)
		return NULL;
	if (off + size > caps->alloc) {
		size_t n = max(2 * caps->alloc, off + size);
		void *p = krealloc(caps->buf, n, GFP_KERNEL);

		/* krealloc() freed the old buffer: the new one stays, unused. */
		ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, p, caps->buf = p; p = NULL);
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
		modes->nested_formats = ioasidfd_nested_formats();
	}
	ioasidfd_nested_info(caps);
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
			info->mode = ioasidfd_iopt_mode(iopt);
			info->nr_attach = iopt->nr_attach;
			if (iopt->src && iopt->src->info)
				iopt->src->info(iopt, info);
			if (iopt->src && iopt->src->caps)
				iopt->src->caps(iopt, caps);
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
		ioasidfd_inject_user(cmd->caps_uptr);
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
	struct ioasidfd_ioas *ioas;
	unsigned long index = 0;
	unsigned int n = 0;

	seq_printf(m, "ioasids:\t%d\n", atomic_read(&ctx->nr_ioas));
	/*
	 * RCU keeps the IOASID being printed, and its iopt, in memory; the
	 * figures are a snapshot read without the iopt lock.  The walk
	 * resumes by index, so it can leave the read side now and then.
	 */
	rcu_read_lock();
	while ((ioas = ioasidfd_pasid_next(&index))) {
		struct ioasidfd_iopt *iopt;
		const struct ioasidfd_source_ops *src;
		struct ioasid_info_cap_ioas info = {};
		bool parked;

		if (ioas->ctx == ctx) {
			iopt = READ_ONCE(ioas->iopt);
			parked = test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags);
			if (iopt)
				info.nr_attach = READ_ONCE(iopt->nr_attach);
			seq_printf(m, "ioasid:\t%u state:%s mode:%s refs:%u attach:%u mappings:%lu",
				   ioas->pasid, parked ? "parked" : "live",
				   ioasidfd_mode_name(ioasidfd_iopt_mode(iopt)),
				   kref_read(&ioas->kref), info.nr_attach,
				   ioasidfd_iova_nr_mappings(iopt));
			src = iopt ? READ_ONCE(iopt->src) : NULL;
			if (src && src->fdinfo)
				src->fdinfo(iopt, m);
			seq_putc(m, '\n');
		}
		index++;
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
	/* Wait for the call_rcu() frees before the cache goes. */
	rcu_barrier();
	kmem_cache_destroy(ioasidfd_ioas_cache);
	ioasidfd_pasid_exit();
}
