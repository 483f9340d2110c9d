// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: the PASID space and its accounting.
 *
 * Every PASID the module holds is in one global xarray, ioasidfd_pasids,
 * which is also the map from PASID to IOASID.  An entry is one of:
 *
 *   IOASIDFD_PASID_RESERVED  claimed, its IOASID not published yet (or
 *                            being released): lookups find nothing
 *   IOASIDFD_PASID_FOREIGN   the kernel's allocator refused it: someone
 *                            else holds it; skipped until it is free again
 *   a struct ioasidfd_ioas   published: live or parked
 *
 * Where the kernel has a PASID allocator (CONFIG_IOASID: x86 with VT-d SVM)
 * every PASID must also be claimed from it, so that it can never collide
 * with one the kernel hands out for SVA.  The map picks the candidate and
 * the kernel's allocator is only asked for that one PASID, because it logs
 * every failure: a user filling a range of its own PASIDs then gets ENOSPC
 * without a word in the kernel log.  ioasid_find() (which does not log)
 * says when a foreign PASID is free again.
 *
 * Debian's arm64 kernel has no PASID allocator (no IOASID, no SMMUv3 SVA):
 * nothing there hands out PASIDs, and the map alone is the allocator.
 *
 * The uAPI's struct names (struct ioasid_alloc, ...) and the kernel's
 * allocator functions (ioasid_alloc(), ...) share a prefix: C keeps struct
 * tags and function names in separate name spaces, and this file, which
 * uses both, is the proof that they coexist.
 *
 * Quotas: each context and each user (uid) may hold a bounded number of
 * PASIDs, live and parked (module parameters max_per_fd, max_per_user).
 *
 * The pool: a PASID whose IOASID is released goes back to the kernel's
 * allocator only later.  Up to pasid_pool of them wait in the map as
 * IOASIDFD_PASID_POOLED entries (marked IOASIDFD_PASID_POOL_MARK), still
 * claimed, and the next ALLOC in their range takes one: no round trip
 * through ioasid_alloc()/ioasid_free(), and no xarray node freed and
 * allocated again, which is most of what an ALLOC+DESTROY pair costs.  A
 * pool left unused for a second (IOASIDFD_POOL_IDLE) is given back, so the
 * PASIDs that SVA users of the kernel's allocator could want are only ever
 * held while the module churns through IOASIDs.  Pooled PASIDs count
 * against no quota and are not live: lookups never find them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioasid.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <linux/workqueue.h>

#include "ioasidfd_private.h"
#include "inject.h"

static DEFINE_XARRAY_FLAGS(ioasidfd_pasids, XA_FLAGS_ALLOC | XA_FLAGS_ACCOUNT);
#define IOASIDFD_PASID_RESERVED	xa_mk_value(1)
#define IOASIDFD_PASID_FOREIGN	xa_mk_value(2)
#define IOASIDFD_PASID_POOLED	xa_mk_value(3)
#define IOASIDFD_PASID_POOL_MARK	XA_MARK_1

static unsigned int ioasidfd_pasid_pool_max = 32;
module_param_named(pasid_pool, ioasidfd_pasid_pool_max, uint, 0644);
MODULE_PARM_DESC(pasid_pool, "Most released PASIDs kept claimed for the next ALLOCs (given back to the kernel after a second unused; 0: none)");

/* Pooled PASIDs, and whether the pool served an ALLOC since the last check */
static atomic_t ioasidfd_pasid_pooled = ATOMIC_INIT(0);
static bool ioasidfd_pasid_pool_used;
#define IOASIDFD_POOL_IDLE	HZ

static void ioasidfd_pasid_pool_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(ioasidfd_pasid_pool_work,
			    ioasidfd_pasid_pool_work_fn);

#if IS_ENABLED(CONFIG_IOASID)
static DECLARE_IOASID_SET(ioasidfd_pasid_set);

static bool ioasidfd_pasid_claim(u32 pasid)
{
	bool ok = ioasid_alloc(&ioasidfd_pasid_set, pasid, pasid, NULL) == pasid;

	ioasidfd_inject_undo(IOASIDFD_INJ_PASID, ok, ioasid_free(pasid); ok = false);
	return ok;
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
	return !ioasidfd_inject(IOASIDFD_INJ_PASID);
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

/* A pooled PASID in [min, max], now reserved for the caller; or 0. */
static u32 ioasidfd_pasid_from_pool(u32 min, u32 max)
{
	XA_STATE(xas, &ioasidfd_pasids, min);
	void *entry;
	u32 pasid = 0;

	if (!atomic_read(&ioasidfd_pasid_pooled))
		return 0;
	xas_lock(&xas);
	entry = xas_find_marked(&xas, max, IOASIDFD_PASID_POOL_MARK);
	if (entry == IOASIDFD_PASID_POOLED) {
		/* Replaces an entry of the same kind: allocates nothing */
		xas_store(&xas, IOASIDFD_PASID_RESERVED);
		xas_clear_mark(&xas, IOASIDFD_PASID_POOL_MARK);
		pasid = xas.xa_index;
		atomic_dec(&ioasidfd_pasid_pooled);
		WRITE_ONCE(ioasidfd_pasid_pool_used, true);
	}
	xas_unlock(&xas);
	return pasid;
}

/* Gives every pooled PASID back to the kernel's allocator. */
static void ioasidfd_pasid_pool_drain(void)
{
	unsigned long index;
	void *entry;

	xa_for_each_marked(&ioasidfd_pasids, index, entry,
			   IOASIDFD_PASID_POOL_MARK) {
		if (xa_cmpxchg(&ioasidfd_pasids, index, IOASIDFD_PASID_POOLED,
			       IOASIDFD_PASID_RESERVED, 0) !=
		    IOASIDFD_PASID_POOLED)
			continue;	/* an ALLOC took it meanwhile */
		atomic_dec(&ioasidfd_pasid_pooled);
		ioasidfd_pasid_unclaim(index);
		xa_erase(&ioasidfd_pasids, index);
	}
}

/* A pool unused for IOASIDFD_POOL_IDLE goes back to the kernel. */
static void ioasidfd_pasid_pool_work_fn(struct work_struct *work)
{
	if (xchg(&ioasidfd_pasid_pool_used, false)) {
		schedule_delayed_work(&ioasidfd_pasid_pool_work,
				      IOASIDFD_POOL_IDLE);
		return;
	}
	ioasidfd_pasid_pool_drain();
}

/**
 * ioasidfd_pasid_alloc() - claim a PASID
 * @min: lowest acceptable PASID
 * @max: highest acceptable PASID
 * @out: returns the PASID
 *
 * The PASID is reserved: lookups find nothing there until
 * ioasidfd_pasid_publish().
 *
 * Return: 0 with a PASID in [@min, @max] now held by the module, -ENOSPC if
 * every PASID of the range is taken, -ENOMEM.
 */
int ioasidfd_pasid_alloc(u32 min, u32 max, u32 *out)
{
	bool purged = false;
	u32 pasid;
	int rc;

	pasid = ioasidfd_pasid_from_pool(min, max);
	if (pasid) {
		*out = pasid;
		return 0;
	}
	for (;;) {
		rc = xa_alloc(&ioasidfd_pasids, &pasid, IOASIDFD_PASID_RESERVED,
			      XA_LIMIT(min, max), GFP_KERNEL_ACCOUNT);
		ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, !rc,
				     xa_erase(&ioasidfd_pasids, pasid); rc = -ENOMEM);
		if (rc == -EBUSY) {
			/* The range is full, or only foreign PASIDs are free. */
			if (purged || !ioasidfd_pasid_purge(min, max))
				return -ENOSPC;
			purged = true;
			continue;
		}
		if (rc)
			return rc;
		if (ioasidfd_pasid_claim(pasid)) {
			*out = pasid;
			return 0;
		}
		/*
		 * The kernel's allocator refuses a PASID someone else holds, and
		 * any PASID when it has no memory: only the first is foreign.
		 * (Should the holder free it between the two calls, this call
		 * fails for nothing; the next one gets the PASID.)
		 */
		if (!ioasidfd_pasid_taken(pasid)) {
			xa_erase(&ioasidfd_pasids, pasid);
			return -ENOMEM;
		}
		/* Replaces an existing entry: cannot fail. */
		xa_store(&ioasidfd_pasids, pasid, IOASIDFD_PASID_FOREIGN, 0);
	}
}

/* Makes @ioas what lookups of @pasid find; replaces the reservation. */
void ioasidfd_pasid_publish(u32 pasid, struct ioasidfd_ioas *ioas)
{
	xa_store(&ioasidfd_pasids, pasid, ioas, 0);
}

/*
 * Gives a PASID back: to the pool while it has room, else to the kernel's
 * allocator first, so that it is never seen as foreign.
 */
void ioasidfd_pasid_free(u32 pasid)
{
	if (atomic_inc_return(&ioasidfd_pasid_pooled) <=
	    READ_ONCE(ioasidfd_pasid_pool_max)) {
		/* Replaces the IOASID's entry: allocates nothing */
		xa_lock(&ioasidfd_pasids);
		__xa_store(&ioasidfd_pasids, pasid, IOASIDFD_PASID_POOLED, 0);
		__xa_set_mark(&ioasidfd_pasids, pasid, IOASIDFD_PASID_POOL_MARK);
		xa_unlock(&ioasidfd_pasids);
		WRITE_ONCE(ioasidfd_pasid_pool_used, true);
		schedule_delayed_work(&ioasidfd_pasid_pool_work,
				      IOASIDFD_POOL_IDLE);
		return;
	}
	atomic_dec(&ioasidfd_pasid_pooled);
	ioasidfd_pasid_unclaim(pasid);
	xa_erase(&ioasidfd_pasids, pasid);
}

/* The IOASID of a map entry, or NULL for a reserved or foreign PASID. */
static struct ioasidfd_ioas *ioasidfd_entry_ioas(void *entry)
{
	return entry && !xa_is_value(entry) ? entry : NULL;
}

/**
 * ioasidfd_pasid_load() - the IOASID a PASID names
 * @pasid: the PASID
 *
 * Called under rcu_read_lock(); the IOASID's memory stays valid until it is
 * released, and it may be destroyed or parked.
 *
 * Return: the IOASID, or NULL.
 */
struct ioasidfd_ioas *ioasidfd_pasid_load(u32 pasid)
{
	return ioasidfd_entry_ioas(xa_load(&ioasidfd_pasids, pasid));
}

/**
 * ioasidfd_pasid_next() - walk the published IOASIDs in PASID order
 * @index: in: where to start; out: the PASID found
 *
 * Called under rcu_read_lock(); resumes by index, so the caller may leave
 * the read side between calls (increment @index first).
 *
 * Return: the next IOASID at or after @index, or NULL at the end.
 */
struct ioasidfd_ioas *ioasidfd_pasid_next(unsigned long *index)
{
	void *entry;

	xa_for_each_start(&ioasidfd_pasids, *index, entry, *index) {
		struct ioasidfd_ioas *ioas = ioasidfd_entry_ioas(entry);

		if (ioas)
			return ioas;
	}
	return NULL;
}

/* Per-user accounting: uid -> struct ioasidfd_user, under the mutex. */
static DEFINE_XARRAY(ioasidfd_users);
static DEFINE_MUTEX(ioasidfd_users_lock);

struct ioasidfd_user *ioasidfd_user_get(kuid_t uid)
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
	ioasidfd_inject_alloc(user, kfree);
	if (!user) {
		user = ERR_PTR(-ENOMEM);
		goto out;
	}
	user->uid = uid;
	refcount_set(&user->refs, 1);
	rc = xa_err(xa_store(&ioasidfd_users, key, user, GFP_KERNEL_ACCOUNT));
	ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, !rc, xa_erase(&ioasidfd_users, key); rc = -ENOMEM);
	if (rc) {
		kfree(user);
		user = ERR_PTR(rc);
	}
out:
	mutex_unlock(&ioasidfd_users_lock);
	return user;
}

void ioasidfd_user_put(struct ioasidfd_user *user)
{
	mutex_lock(&ioasidfd_users_lock);
	if (refcount_dec_and_test(&user->refs)) {
		xa_erase(&ioasidfd_users, from_kuid(&init_user_ns, user->uid));
		WARN_ON(atomic_read(&user->nr));
		kfree(user);
	}
	mutex_unlock(&ioasidfd_users_lock);
}

/* One more PASID for @ctx and its user, or -EDQUOT. */
int ioasidfd_quota_take(struct ioasidfd_ctx *ctx)
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

void ioasidfd_quota_drop(struct ioasidfd_ctx *ctx)
{
	atomic_dec(&ctx->user->nr);
	atomic_dec(&ctx->nr_ioas);
}

void ioasidfd_pasid_exit(void)
{
	unsigned long index;
	void *entry;

	cancel_delayed_work_sync(&ioasidfd_pasid_pool_work);
	ioasidfd_pasid_pool_drain();
	/* Every PASID of ours is back; foreign marks are just forgotten. */
	xa_for_each(&ioasidfd_pasids, index, entry)
		WARN_ON(entry != IOASIDFD_PASID_FOREIGN);
	xa_destroy(&ioasidfd_pasids);
}
