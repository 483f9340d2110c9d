// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: the nested translation source (IOASID_MODE_NESTED).
 *
 * A nested IOASID holds one guest stage-1 context in a hardware format — a
 * VT-d scalable-mode PASID-table entry, or an SMMUv3 STE whose CD table lives
 * in guest memory — over a stage-2 parent, an IOVA-map IOASID of the same fd
 * whose IOVAs are the guest's physical addresses.  The format layer
 * (pgfmt.h: pgwalk.c, fmt_vtd.c, fmt_smmuv3.c) validates the guest's
 * structures and walks its tables, reading every table entry through stage
 * 2; this file binds, caches and invalidates.
 *
 * Caches, modelled on the hardware's so that a guest that changes its tables
 * without the invalidation the hardware requires keeps seeing the old
 * translation — deterministically:
 *
 *   IOTLB      stage-1 results (input page -> guest-physical page and
 *              rights), tagged like the hardware tags them: VT-d by DID and
 *              PASID, SMMUv3 by ASID (or global, nG = 0).  An entry stays
 *              until an invalidation covers it, a REPLACE, or a stage-2
 *              change; at IOASIDFD_NESTED_TLB_MAX entries nothing more is
 *              cached (a miss walks again)
 *   context    VT-d: the PASID entry each PASID used (PASID cache), until
 *   cache      a PASID-cache invalidation; SMMUv3: the context descriptor
 *              each SubstreamID resolved to (CD cache), until CMD_CFGI_CD
 *              / CMD_CFGI_CD_ALL or a change of the STE
 *
 * The VT-d PASID entry and the SMMUv3 STE are given by the VMM (bind,
 * REPLACE), the way the guest's memory would give them to the hardware: a
 * REPLACEd PASID entry is used from the PASID-cache invalidation on (VT-d
 * 5.10 §6.5.3.3 Table 28), and a REPLACEd STE at once, with the CDs cached
 * through it dropped, as CMD_CFGI_STE (which the VMM handled) does.
 *
 * A first write through an IOTLB entry that a read walked still uses the
 * entry; the walk that sets the dirty state in the guest's current leaf
 * entry runs alongside (the translation it finds is not used).
 *
 * Stage 2 is never cached: every access translates its guest-physical
 * address through the parent's IOVA map while holding the parent's xlate
 * lock, and an UNMAP of the parent also empties the children's caches
 * (parent_zap), so neither a data page nor a table page that stage 2 lost
 * stays reachable.
 *
 * Locking: the bound context and the caches' contents change under the
 * IOASID's xlate lock held for writing (REPLACE, invalidation, parent zap,
 * wipe); lookups run under it for reading and add to the caches under
 * ioasidfd_nested::lock, allocating without reclaim.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ioasidfd_private.h"
#include "inject.h"
#include "pgfmt.h"
#include "shadow.h"

/* Most IOTLB entries one nested IOASID caches. */
#define IOASIDFD_NESTED_TLB_MAX		4096
#define IOASIDFD_NESTED_TLB_BITS	8

/* CD cache key of requests without SubstreamID (above every SSID). */
#define IOASIDFD_NESTED_NO_SSID		(IOASID_PASID_MAX + 1U)

/* VT-d: requests without PASID use the entry RID_PASID names; Linux uses 0. */
#define IOASIDFD_NESTED_RID_PASID	0

/* What the software IOMMU offers a guest, in either format. */
static const struct ioasidfd_nested_caps ioasidfd_nested_sw_caps = {
	.flags = IOASIDFD_CAP_VTD_5LVL | IOASIDFD_CAP_VTD_1G |
		 IOASIDFD_CAP_VTD_SRS | IOASIDFD_CAP_VTD_EAFS |
		 IOASIDFD_CAP_SMMU_CD2L | IOASIDFD_CAP_SMMU_RIL |
		 IOASIDFD_CAP_SMMU_ASID16 | IOASIDFD_CAP_SMMU_HTTU_A |
		 IOASIDFD_CAP_SMMU_HTTU_D | IOASIDFD_CAP_SMMU_STALL |
		 IOASIDFD_CAP_VTD_PT | IOASIDFD_CAP_ATS,
	.haw = 48,
	.mamv = 20,
	.ssid_bits = IOASID_PASID_BITS,
	.ias = 48,
	.oas = 48,
	.granules = IOASIDFD_GRAN_4K | IOASIDFD_GRAN_16K | IOASIDFD_GRAN_64K,
};

/* Global IOTLB statistics, in debugfs (monotonic). */
atomic64_t ioasidfd_nested_hits, ioasidfd_nested_misses;

/**
 * struct ioasidfd_tlb_entry - one cached stage-1 translation
 * @node: in ioasidfd_nested::tlb
 * @pasid: VT-d: the PASID of the request; SMMUv3: unused (tagged by ASID)
 * @tag: VT-d DID, SMMUv3 ASID
 * @leaf: what the walk found: input page, size, output GPA, rights, global
 * @priv: walked for a privileged request (rights differ)
 * @written: walked for a write (the dirty bit is set in the guest's entry)
 */
struct ioasidfd_tlb_entry {
	struct hlist_node node;
	u32 pasid;
	u32 tag;
	struct ioasidfd_s1_leaf leaf;
	bool priv;
	bool written;
};

/**
 * struct ioasidfd_cd_entry - a context descriptor an SSID resolved to
 * @cfg: the walk configuration from the CD
 * @index: which CD of the table it is (CD 0 also serves requests without
 *         SubstreamID under S1DSS = 10b)
 * @bypass: stage 1 bypassed (S1DSS = 01b for requests without SSID)
 */
struct ioasidfd_cd_entry {
	struct ioasidfd_s1_cfg cfg;
	u32 index;
	bool bypass;
};

/**
 * struct ioasidfd_nested - the state of a nested source
 * @parent: the stage-2 IOASID; a reference is held
 * @format: IOASID_NESTED_FMT_*
 * @vtd: the bound PASID entry, decoded (IOASID_NESTED_FMT_VTD_FS)
 * @ste: the bound STE, decoded (IOASID_NESTED_FMT_SMMUV3)
 * @raw: the bound entry as the guest wrote it
 * @dead: wiped (DESTROY, unbind): nothing translates
 * @lock: protects @tlb, @nr_tlb, @sizes, @hits and @misses
 * @tlb: the IOTLB
 * @nr_tlb: entries in @tlb
 * @sizes: OR of the leaf sizes in @tlb, so a lookup probes only those
 * @ctxs: the context cache: VT-d PASID -> struct ioasidfd_vtd_ctx;
 *        SMMUv3 SSID (or IOASIDFD_NESTED_NO_SSID) -> struct
 *        ioasidfd_cd_entry; the xarray's own lock
 * @hits: IOTLB hits
 * @misses: IOTLB misses (walks)
 * @shadow: the shadow the programmed page tables (kernel IOMMU API
 *          executor) translate with, made by their first replay; NULL while
 *          only walking executors use the IOASID.  Protected by the
 *          parent's iopt lock (see shadow.c)
 * @fd_runs: the shadow's runs, for fdinfo (read without locks)
 * @fd_mem: the memory of its reverse map, for fdinfo
 * @rcu: freed after a grace period: fdinfo reads @fd_runs, @fd_mem
 *
 * @vtd, @ste, @raw and @dead change with the xlate lock held for writing.
 */
struct ioasidfd_nested {
	struct ioasidfd_ioas *parent;
	u32 format;
	union {
		struct ioasidfd_vtd_ctx vtd;
		struct ioasidfd_smmu_ste ste;
	};
	union {
		struct ioasid_nested_vtd vtd;
		struct ioasid_nested_smmuv3 smmu;
	} raw;
	bool dead;
	spinlock_t lock; /* see the kernel-doc above */
	DECLARE_HASHTABLE(tlb, IOASIDFD_NESTED_TLB_BITS);
	unsigned int nr_tlb;
	u64 sizes;
	struct xarray ctxs;
	u64 hits;
	u64 misses;
	struct ioasidfd_shadow *shadow;
	u64 fd_runs;
	u64 fd_mem;
	struct rcu_head rcu;
};

static struct ioasidfd_nested *ioasidfd_nested(struct ioasidfd_iopt *iopt)
{
	return iopt && iopt->src == &ioasidfd_nested_source ? iopt->src_priv :
	       NULL;
}

static u32 ioasidfd_tlb_hash(u64 base, u64 size)
{
	return hash_64(base ^ (u64)ilog2(size), IOASIDFD_NESTED_TLB_BITS);
}

/* Empties the context cache; the xlate lock is held for writing. */
static void ioasidfd_nested_ctx_flush(struct ioasidfd_nested *n)
{
	unsigned long index;
	void *ctx;

	xa_for_each(&n->ctxs, index, ctx)
		kfree(xa_erase(&n->ctxs, index));
}

/* Empties the caches; the xlate lock is held for writing. */
static void ioasidfd_nested_flush(struct ioasidfd_iopt *iopt,
				  struct ioasidfd_nested *n)
{
	struct ioasidfd_tlb_entry *e;
	struct hlist_node *tmp;
	int bkt;

	lockdep_assert_held_write(&iopt->xlate);
	spin_lock(&n->lock);
	hash_for_each_safe(n->tlb, bkt, tmp, e, node) {
		hash_del(&e->node);
		kfree(e);
	}
	n->nr_tlb = 0;
	n->sizes = 0;
	spin_unlock(&n->lock);
	ioasidfd_nested_ctx_flush(n);
}

/* Most hash probes a range invalidation makes instead of a full scan. */
#define IOASIDFD_NESTED_TLB_PROBES	256

/*
 * A range invalidation of a few pages: probes the hash at each cached leaf
 * size's aligned bases in the range.  False, having done nothing, when a
 * scan of every entry is cheaper.  Under n->lock.
 */
static bool ioasidfd_nested_tlb_probe(struct ioasidfd_nested *n,
				      const struct ioasidfd_inv *inv)
{
	u64 sizes = n->sizes, probes = 0, size, base;
	struct ioasidfd_tlb_entry *e;
	struct hlist_node *tmp;

	if (inv->op != IOASIDFD_INV_S1_RANGE)
		return false;
	while (sizes) {
		size = sizes & -sizes;
		sizes &= sizes - 1;
		probes += (((inv->last & ~(size - 1)) -
			    (inv->start & ~(size - 1))) >> __ffs64(size)) + 1;
		if (probes > IOASIDFD_NESTED_TLB_PROBES || probes > n->nr_tlb)
			return false;
	}
	for (sizes = n->sizes; sizes; sizes &= sizes - 1) {
		size = sizes & -sizes;
		for (base = inv->start & ~(size - 1);; base += size) {
			hash_for_each_possible_safe(n->tlb, e, tmp, node,
						    ioasidfd_tlb_hash(base, size)) {
				if (e->leaf.size != size || e->leaf.iova != base ||
				    !ioasidfd_inv_matches(inv, e->pasid, e->tag,
							  e->leaf.global,
							  e->leaf.iova,
							  e->leaf.size))
					continue;
				hash_del(&e->node);
				kfree(e);
				n->nr_tlb--;
			}
			if (base >= (inv->last & ~(size - 1)))
				break;
		}
	}
	return true;
}

/* Drops the IOTLB entries an invalidation covers; xlate held for writing. */
static void ioasidfd_nested_tlb_inv(struct ioasidfd_nested *n,
				    const struct ioasidfd_inv *inv)
{
	struct ioasidfd_tlb_entry *e;
	struct hlist_node *tmp;
	int bkt;

	spin_lock(&n->lock);
	if (!n->nr_tlb || ioasidfd_nested_tlb_probe(n, inv)) {
		spin_unlock(&n->lock);
		return;
	}
	hash_for_each_safe(n->tlb, bkt, tmp, e, node) {
		if (!ioasidfd_inv_matches(inv, e->pasid, e->tag, e->leaf.global,
					  e->leaf.iova, e->leaf.size))
			continue;
		hash_del(&e->node);
		kfree(e);
		n->nr_tlb--;
	}
	spin_unlock(&n->lock);
}

/* Drops the context cache entries an invalidation covers. */
static void ioasidfd_nested_ctx_inv(struct ioasidfd_nested *n,
				    const struct ioasidfd_inv *inv)
{
	const struct ioasidfd_vtd_ctx *vtd;
	const struct ioasidfd_cd_entry *cd;
	unsigned long key;
	void *ctx;
	bool drop;

	xa_for_each(&n->ctxs, key, ctx) {
		if (n->format == IOASID_NESTED_FMT_VTD_FS) {
			vtd = ctx;
			drop = ioasidfd_inv_matches_ctx(inv, key, vtd->did);
		} else {
			cd = ctx;
			drop = ioasidfd_inv_matches_ctx(inv, cd->index, 0);
		}
		if (drop)
			kfree(xa_erase(&n->ctxs, key));
	}
}

/*
 * VT-d: the PASID entry a request at @pasid uses, through the PASID cache;
 * the bound entry itself when it cannot be cached.
 */
static const struct ioasidfd_vtd_ctx *
ioasidfd_nested_vtd_ctx(struct ioasidfd_nested *n, u32 pasid)
{
	struct ioasidfd_vtd_ctx *ctx, *old;

	ctx = xa_load(&n->ctxs, pasid);
	if (ctx)
		return ctx;
	ctx = kmemdup(&n->vtd, sizeof(n->vtd),
		      GFP_NOWAIT | __GFP_NOWARN | __GFP_ACCOUNT);
	ioasidfd_inject_alloc(ctx, kfree);
	if (!ctx)
		return &n->vtd;
	old = xa_cmpxchg(&n->ctxs, pasid, NULL, ctx, GFP_NOWAIT | __GFP_NOWARN);
	if (old) {
		kfree(ctx);
		return xa_is_err(old) ? &n->vtd : old;
	}
	return ctx;
}

/* Finds a cached translation of @iova; under n->lock. */
static struct ioasidfd_tlb_entry *
ioasidfd_nested_tlb_find(struct ioasidfd_nested *n, u32 pasid, u32 tag,
			 bool priv, u64 iova)
{
	struct ioasidfd_tlb_entry *e;
	u64 sizes = n->sizes;

	while (sizes) {
		u64 size = sizes & -sizes;
		u64 base = iova & ~(size - 1);

		sizes &= sizes - 1;
		hash_for_each_possible(n->tlb, e, node,
				       ioasidfd_tlb_hash(base, size)) {
			if (e->leaf.size != size || e->leaf.iova != base ||
			    e->priv != priv)
				continue;
			if (n->format == IOASID_NESTED_FMT_VTD_FS ?
			    e->pasid == pasid && e->tag == tag :
			    e->leaf.global || e->tag == tag)
				return e;
		}
	}
	return NULL;
}

/* Caches a walk's result, unless the IOTLB is full; under xlate (read). */
static void ioasidfd_nested_tlb_add(struct ioasidfd_nested *n, u32 pasid,
				    u32 tag, bool priv, bool written,
				    const struct ioasidfd_s1_leaf *leaf)
{
	struct ioasidfd_tlb_entry *e, *old;

	e = kmalloc(sizeof(*e), GFP_NOWAIT | __GFP_NOWARN | __GFP_ACCOUNT);
	ioasidfd_inject_alloc(e, kfree);
	if (!e)
		return;
	e->pasid = pasid;
	e->tag = tag;
	e->leaf = *leaf;
	e->priv = priv;
	e->written = written;
	spin_lock(&n->lock);
	/* A concurrent walk of the same page, or a re-walk to set D. */
	old = ioasidfd_nested_tlb_find(n, pasid, tag, priv, leaf->iova);
	if (old && old->leaf.size == leaf->size && old->leaf.iova == leaf->iova) {
		hash_del(&old->node);
		kfree(old);
		n->nr_tlb--;
	}
	if (n->nr_tlb >= IOASIDFD_NESTED_TLB_MAX) {
		spin_unlock(&n->lock);
		kfree(e);
		return;
	}
	hash_add(n->tlb, &e->node, ioasidfd_tlb_hash(leaf->iova, leaf->size));
	n->nr_tlb++;
	n->sizes |= leaf->size;
	spin_unlock(&n->lock);
}

/* The dirty update of a hit failed: the entry is clean again. */
static void ioasidfd_nested_dirty_undo(struct ioasidfd_nested *n, u32 pasid,
				       u32 tag, bool priv, u64 iova)
{
	struct ioasidfd_tlb_entry *e;

	spin_lock(&n->lock);
	e = ioasidfd_nested_tlb_find(n, pasid, tag, priv, iova);
	if (e)
		e->written = false;
	spin_unlock(&n->lock);
}

/* Stage 2 for the format layer's table reads: the parent's IOVA map. */
static struct page *ioasidfd_nested_s2_page(void *arg, u64 gpa, u32 need,
					    u32 *reason)
{
	struct ioasidfd_iopt *parent = arg;
	struct page *page;
	u32 r;

	page = ioasidfd_iova_page(parent, gpa, need & (IOASIDFD_ACC_READ |
						       IOASIDFD_ACC_WRITE), &r);
	if (!page)
		*reason = r == IOASID_FAULT_REASON_PERMISSION ?
			  IOASIDFD_F_PERMISSION : IOASIDFD_F_UNMAPPED;
	return page;
}

/* The uAPI reason of a format-layer fault. */
static u32 ioasidfd_nested_reason(u32 reason)
{
	switch (reason) {
	case IOASIDFD_F_UNMAPPED:
		return IOASID_FAULT_REASON_UNMAPPED;
	case IOASIDFD_F_PERMISSION:
		return IOASID_FAULT_REASON_PERMISSION;
	case IOASIDFD_F_ACCESS_FLAG:
		return IOASID_FAULT_REASON_ACCESS_FLAG;
	case IOASIDFD_F_ADDR_SIZE:
		return IOASID_FAULT_REASON_ADDR_SIZE;
	case IOASIDFD_F_NON_CANONICAL:
		return IOASID_FAULT_REASON_NON_CANONICAL;
	case IOASIDFD_F_RESERVED:
		return IOASID_FAULT_REASON_RESERVED;
	case IOASIDFD_F_BAD_CONTEXT:
	case IOASIDFD_F_ABORT:
		return IOASID_FAULT_REASON_BAD_CONTEXT;
	case IOASIDFD_F_BAD_SUBSTREAM:
		return IOASID_FAULT_REASON_BAD_SUBSTREAM;
	case IOASIDFD_F_STREAM_DISABLED:
		return IOASID_FAULT_REASON_STREAM_DISABLED;
	default:
		return IOASID_FAULT_REASON_OTHER;
	}
}

static void ioasidfd_nested_fault(struct ioasidfd_access *acc,
				  const struct ioasidfd_s1_fault *f)
{
	acc->fault.reason = ioasidfd_nested_reason(f->reason);
	acc->fault.stage = f->stage;
	acc->fault.level = f->level;
	acc->fault.table_walk = f->table_walk;
	acc->fault.silent = !f->record;
	acc->fault.s2_addr = f->stage == 2 ? f->gpa : 0;
}

/* A fault of the context itself (PASID entry, STE), at stage 1. */
static void ioasidfd_nested_ctx_fault(struct ioasidfd_access *acc, u32 reason,
				      bool silent)
{
	acc->fault.reason = ioasidfd_nested_reason(reason);
	acc->fault.stage = 1;
	acc->fault.silent = silent;
}

/*
 * Stage 1 through the IOTLB: the output GPA of @acc->iova with its rights,
 * or false with @acc->fault set.
 */
static bool ioasidfd_nested_s1(struct ioasidfd_nested *n,
			       const struct ioasidfd_s1_cfg *cfg,
			       const struct ioasidfd_s2_walk *s2, u32 pasid,
			       u32 tag, struct ioasidfd_access *acc, u64 *gpa)
{
	bool priv = acc->rights & IOASIDFD_ACC_PRIV;
	bool write = acc->rights & IOASIDFD_ACC_WRITE;
	struct ioasidfd_tlb_entry *e;
	struct ioasidfd_s1_fault f = {};
	struct ioasidfd_s1_leaf leaf;
	bool hit = false, dirty = false;
	int rc;

	spin_lock(&n->lock);
	e = ioasidfd_nested_tlb_find(n, pasid, tag, priv, acc->iova);
	if (e) {
		leaf = e->leaf;
		hit = true;
		dirty = write && !e->written &&
			(leaf.perm & IOASIDFD_S1_WRITE);
		if (dirty)
			e->written = true;
		n->hits++;
	} else {
		n->misses++;
	}
	spin_unlock(&n->lock);
	if (hit) {
		struct ioasidfd_s1_leaf now;

		atomic64_inc(&ioasidfd_nested_hits);
		/*
		 * The first write through an entry a read walked: set the
		 * dirty state in the guest's leaf the way a walk does, but keep
		 * using the cached translation (it stays until invalidated).
		 */
		if (dirty) {
			rc = ioasidfd_s1_translate(cfg, s2, acc->iova,
						   acc->rights, &now, &f);
			/* Setting D needs a writable table: its fault is ours. */
			if (rc) {
				ioasidfd_nested_dirty_undo(n, pasid, tag, priv,
							   acc->iova);
				if (rc == -EAGAIN)
					ioasidfd_nested_ctx_fault(acc,
								  IOASIDFD_F_UNMAPPED,
								  true);
				else
					ioasidfd_nested_fault(acc, &f);
				return false;
			}
		}
		/* The IOTLB keeps the rights it walked: check them again. */
		if ((write && !(leaf.perm & IOASIDFD_S1_WRITE)) ||
		    (!write && !(leaf.perm & IOASIDFD_S1_READ))) {
			acc->fault.reason = IOASID_FAULT_REASON_PERMISSION;
			acc->fault.stage = 1;
			acc->fault.level = leaf.level;
			acc->fault.silent = cfg->flags & IOASIDFD_S1_CFG_NOREC_S1;
			return false;
		}
	} else {
		atomic64_inc(&ioasidfd_nested_misses);
		rc = ioasidfd_s1_translate(cfg, s2, acc->iova, acc->rights,
					   &leaf, &f);
		if (rc == -EAGAIN) {
			/* The guest kept rewriting the entry: nothing recorded. */
			ioasidfd_nested_ctx_fault(acc, IOASIDFD_F_UNMAPPED, true);
			return false;
		}
		if (rc) {
			ioasidfd_nested_fault(acc, &f);
			return false;
		}
		ioasidfd_nested_tlb_add(n, pasid, tag, priv, write, &leaf);
	}
	*gpa = leaf.oa + (acc->iova - leaf.iova);
	return true;
}

/*
 * SMMUv3: the CD a request resolves to, through the CD cache; @scratch
 * holds it when it cannot be cached.  NULL with @acc->fault set on a fault.
 */
static const struct ioasidfd_cd_entry *
ioasidfd_nested_cd(struct ioasidfd_nested *n, const struct ioasidfd_s2_walk *s2,
		   struct ioasidfd_access *acc, struct ioasidfd_cd_entry *scratch)
{
	u32 key = acc->pasid_valid ? acc->wire_pasid : IOASIDFD_NESTED_NO_SSID;
	struct ioasidfd_cd_entry *cd, *old;
	struct ioasidfd_s1_fault f = {};
	u32 index = 0;

	cd = xa_load(&n->ctxs, key);
	if (cd)
		return cd;
	if (ioasidfd_smmu_fetch_cd(&n->ste, s2, acc->pasid_valid,
				   acc->wire_pasid, &ioasidfd_nested_sw_caps,
				   &scratch->cfg, &index, &scratch->bypass, &f)) {
		ioasidfd_nested_fault(acc, &f);
		return NULL;
	}
	scratch->index = index;
	cd = kmemdup(scratch, sizeof(*scratch),
		     GFP_NOWAIT | __GFP_NOWARN | __GFP_ACCOUNT);
	ioasidfd_inject_alloc(cd, kfree);
	if (!cd)
		return scratch;
	old = xa_cmpxchg(&n->ctxs, key, NULL, cd, GFP_NOWAIT | __GFP_NOWARN);
	if (old) {
		/* Raced with another access, or no memory: not cached. */
		kfree(cd);
		return xa_is_err(old) ? scratch : old;
	}
	return cd;
}

/*
 * VT-d: stage 1 of an access through the PASID entry its PASID uses; @gpa
 * is the output, @fpd whether faults go unrecorded.
 */
static bool ioasidfd_nested_vtd(struct ioasidfd_nested *n,
				const struct ioasidfd_s2_walk *s2,
				struct ioasidfd_access *acc, u64 *gpa, bool *fpd)
{
	u32 pasid = acc->pasid_valid ? acc->wire_pasid : IOASIDFD_NESTED_RID_PASID;
	const struct ioasidfd_vtd_ctx *vtd = ioasidfd_nested_vtd_ctx(n, pasid);

	*fpd = vtd->fpd;
	switch (vtd->mode) {
	case IOASIDFD_VTD_NOT_PRESENT:
		ioasidfd_nested_ctx_fault(acc, IOASIDFD_F_BAD_CONTEXT, vtd->fpd);
		return false;
	case IOASIDFD_VTD_FIRST_STAGE:
		return ioasidfd_nested_s1(n, &vtd->cfg, s2, pasid, vtd->did, acc,
					  gpa);
	default:
		/* Pass-through: stage 2 only. */
		return true;
	}
}

/* SMMUv3: stage 1 of an access through the STE and the CD it selects. */
static bool ioasidfd_nested_smmu(struct ioasidfd_nested *n,
				 const struct ioasidfd_s2_walk *s2,
				 struct ioasidfd_access *acc, u64 *gpa)
{
	const struct ioasidfd_cd_entry *cd;
	struct ioasidfd_cd_entry scratch;
	struct ioasidfd_s1_fault f = {};
	bool bypass;

	if (!n->ste.valid) {
		/* An invalid STE: C_BAD_STE, recorded. */
		ioasidfd_nested_ctx_fault(acc, IOASIDFD_F_BAD_CONTEXT, false);
		return false;
	}
	if (n->ste.config == IOASIDFD_SMMU_STE_ABORT) {
		/* Config abort: terminated without an event. */
		ioasidfd_nested_ctx_fault(acc, IOASIDFD_F_ABORT, true);
		return false;
	}
	bypass = n->ste.config == IOASIDFD_SMMU_STE_BYPASS;
	if (bypass && acc->pasid_valid) {
		/* SMMUv3 §5.2: stage 1 bypassed, a SubstreamID is illegal */
		ioasidfd_nested_ctx_fault(acc, IOASIDFD_F_BAD_SUBSTREAM, false);
		return false;
	}
	if (!bypass) {
		cd = ioasidfd_nested_cd(n, s2, acc, &scratch);
		if (!cd)
			return false;
		if (!cd->bypass)
			return ioasidfd_nested_s1(n, &cd->cfg, s2, 0, cd->cfg.tag,
						  acc, gpa);
	}
	/* Stage 1 bypassed: the input must fit the IAS (SMMUv3 §3.4). */
	if (ioasidfd_smmu_check_bypass(&ioasidfd_nested_sw_caps, acc->iova,
				       &f)) {
		ioasidfd_nested_fault(acc, &f);
		return false;
	}
	return true;
}

static struct page *ioasidfd_nested_lookup(struct ioasidfd_iopt *iopt,
					   struct ioasidfd_access *acc)
{
	struct ioasidfd_nested *n = iopt->src_priv;
	const struct ioasidfd_s2_walk s2 = {
		.page = ioasidfd_nested_s2_page,
		.arg = iopt->parent,
	};
	struct page *page;
	u64 gpa = acc->iova;
	bool fpd = false;
	u32 reason;

	if (n->dead) {
		ioasidfd_nested_ctx_fault(acc, IOASIDFD_F_UNMAPPED, false);
		return NULL;
	}
	if (n->format == IOASID_NESTED_FMT_VTD_FS ?
	    !ioasidfd_nested_vtd(n, &s2, acc, &gpa, &fpd) :
	    !ioasidfd_nested_smmu(n, &s2, acc, &gpa))
		return NULL;

	/* Stage 2, never cached: the rights of both stages together. */
	page = ioasidfd_iova_page(iopt->parent, gpa,
				  acc->rights & (IOASIDFD_ACC_READ |
						 IOASIDFD_ACC_WRITE), &reason);
	if (!page) {
		acc->fault.reason = reason;
		acc->fault.stage = 2;
		acc->fault.s2_addr = gpa;
		/* VT-d FPD: no fault through this PASID entry is recorded. */
		acc->fault.silent = fpd;
	}
	return page;
}

static unsigned int ioasidfd_xa_count(struct xarray *xa)
{
	unsigned long index;
	unsigned int n = 0;
	void *entry;

	xa_for_each(xa, index, entry)
		n++;
	return n;
}

/* The shadow's figures for fdinfo; the parent's lock is held. */
static void ioasidfd_nested_fd_stats(struct ioasidfd_nested *n)
{
	struct ioasidfd_shadow_stats st;

	ioasidfd_shadow_get_stats(n->shadow, &st);
	WRITE_ONCE(n->fd_runs, st.runs);
	WRITE_ONCE(n->fd_mem, n->shadow ? st.bytes : 0);
}

/* Nothing translates any more; the caches go.  The iopt lock is held. */
static void ioasidfd_nested_wipe(struct ioasidfd_iopt *iopt)
{
	struct ioasidfd_nested *n = iopt->src_priv;
	struct ioasidfd_iopt *parent = iopt->parent;

	lockdep_assert_held(&iopt->lock);
	/* The parent's lock keeps the shadow from its UNMAPs meanwhile. */
	mutex_lock_nested(&parent->lock, SINGLE_DEPTH_NESTING);
	down_write(&iopt->xlate);
	n->dead = true;
	ioasidfd_nested_flush(iopt, n);
	if (n->shadow)
		ioasidfd_shadow_zap_all(iopt, n->shadow);
	up_write(&iopt->xlate);
	ioasidfd_shadow_free(n->shadow);
	n->shadow = NULL;
	ioasidfd_nested_fd_stats(n);
	/*
	 * The parent may go now (it is no longer a stage 2 in use), but stays
	 * in memory, and its iopt with it, until this IOASID releases it.
	 */
	if (!list_empty(&iopt->child_item)) {
		list_del_init(&iopt->child_item);
		parent->nr_children--;
	}
	mutex_unlock(&parent->lock);
}

static void ioasidfd_nested_release(struct ioasidfd_iopt *iopt)
{
	struct ioasidfd_nested *n = iopt->src_priv;

	WARN_ON(!n->dead || !list_empty(&iopt->child_item));
	WRITE_ONCE(iopt->parent, NULL);
	WRITE_ONCE(iopt->src_priv, NULL);
	ioasidfd_ioas_put(n->parent);
	xa_destroy(&n->ctxs);
	kfree_rcu(n, rcu);
}

static int ioasidfd_nested_shadow_sync(struct ioasidfd_iopt *iopt,
				       struct ioasidfd_device *idev, u64 start,
				       u64 last);

/*
 * Which devices can run it: executors whose walkers take the format; an
 * SMMUv3 STE is one stream, so it is attached at RID only.
 */
static int ioasidfd_nested_check_attach(struct ioasidfd_iopt *iopt,
					struct ioasidfd_device *idev,
					u32 wire_pasid)
{
	struct ioasidfd_nested *n = iopt->src_priv;
	int rc = 0;

	if (!(idev->family->nested_formats & BIT(n->format)))
		return -EMEDIUMTYPE;
	if (n->format == IOASID_NESTED_FMT_SMMUV3 &&
	    wire_pasid != IOASIDFD_PASID_RID)
		return -EMEDIUMTYPE;
	/*
	 * A shadow made for other devices must fit this one's IOMMU.  One
	 * kept while no device was attached followed the guest's tables
	 * without any device's bounds: it is walked again within this one's
	 * (no translation changes: nothing uses it).
	 */
	if (!idev->exec->walks && n->shadow) {
		mutex_lock_nested(&iopt->parent->lock, SINGLE_DEPTH_NESTING);
		rc = ioasidfd_shadow_check(n->shadow, idev);
		if (rc == -ERANGE && !iopt->nr_attach)
			rc = ioasidfd_nested_shadow_sync(iopt, idev, 0, U64_MAX);
		mutex_unlock(&iopt->parent->lock);
	}
	return rc;
}

/*
 * What requests without PASID translate with, for the shadow: VT-d the
 * entry of RID_PASID, SMMUv3 the CD S1DSS selects.  Through the context
 * caches, like every access.  @scratch holds an uncached CD.
 */
static void ioasidfd_nested_rid_src(struct ioasidfd_nested *n,
				    const struct ioasidfd_s2_walk *s2,
				    struct ioasidfd_cd_entry *scratch,
				    struct ioasidfd_shadow_src *src)
{
	struct ioasidfd_access acc = { .rights = IOASIDFD_ACC_READ };
	const struct ioasidfd_vtd_ctx *vtd;
	const struct ioasidfd_cd_entry *cd;

	src->kind = IOASIDFD_SHADOW_NONE;
	src->s2 = s2;
	src->nr_ctx = 0;
	if (n->dead)
		return;
	if (n->format == IOASID_NESTED_FMT_VTD_FS) {
		vtd = ioasidfd_nested_vtd_ctx(n, IOASIDFD_NESTED_RID_PASID);
		if (vtd->mode == IOASIDFD_VTD_FIRST_STAGE) {
			src->kind = IOASIDFD_SHADOW_S1;
			src->cfg = &vtd->cfg;
		} else if (vtd->mode == IOASIDFD_VTD_PASSTHROUGH) {
			src->kind = IOASIDFD_SHADOW_BYPASS;
		}
		return;
	}
	if (!n->ste.valid || n->ste.config == IOASIDFD_SMMU_STE_ABORT)
		return;
	if (n->ste.config == IOASIDFD_SMMU_STE_BYPASS) {
		src->kind = IOASIDFD_SHADOW_BYPASS;
		return;
	}
	cd = ioasidfd_nested_cd(n, s2, &acc, scratch);
	if (!cd)
		return;		/* terminated or a bad CD: nothing translates */
	/* The shadow hangs on CD 0 (and its L1CD) in guest memory too */
	if (!cd->bypass)
		ioasidfd_smmu_cd_pages(&n->ste, s2, cd->index,
				       &ioasidfd_nested_sw_caps, src->ctx_gpa,
				       &src->nr_ctx);
	if (cd->bypass) {
		src->kind = IOASIDFD_SHADOW_BYPASS;
	} else {
		src->kind = IOASIDFD_SHADOW_S1;
		src->cfg = &cd->cfg;
	}
}

/*
 * Re-walks [start, last] of the shadow (everything: 0, U64_MAX) for the
 * programmed page tables; the IOASID and its parent are locked.  @idev, if
 * not NULL, is a device about to join whose IOMMU bounds the shadow too.
 */
static int ioasidfd_nested_shadow_sync(struct ioasidfd_iopt *iopt,
				       struct ioasidfd_device *idev, u64 start,
				       u64 last)
{
	struct ioasidfd_nested *n = iopt->src_priv;
	const struct ioasidfd_s2_walk s2 = {
		.page = ioasidfd_nested_s2_page,
		.arg = iopt->parent,
	};
	struct ioasidfd_cd_entry scratch;
	struct ioasidfd_shadow_src src;
	struct ioasidfd_ranges rs;
	int rc;

	lockdep_assert_held(&iopt->parent->lock);
	rc = ioasidfd_iopt_usable(iopt, &rs);
	if (!rc && idev)
		rc = ioasidfd_ranges_device(&rs, idev);
	if (rc) {
		kfree(rs.r);
		return rc;
	}
	ioasidfd_nested_rid_src(n, &s2, &scratch, &src);
	rc = ioasidfd_shadow_sync(iopt, n->shadow, &src, &rs, start, last);
	kfree(rs.r);
	ioasidfd_nested_fd_stats(n);
	return rc;
}

/*
 * A new page table of the kernel IOMMU API executor: the shadow, built at
 * the first one (bounded by the device's IOMMU), mapped into it.
 */
static int ioasidfd_nested_replay(struct ioasidfd_iopt *iopt,
				  struct ioasidfd_hwpt *hwpt,
				  struct ioasidfd_device *idev)
{
	struct ioasidfd_nested *n = iopt->src_priv;
	int rc = 0;

	mutex_lock_nested(&iopt->parent->lock, SINGLE_DEPTH_NESTING);
	if (!n->shadow) {
		n->shadow = ioasidfd_shadow_alloc();
		rc = n->shadow ? ioasidfd_nested_shadow_sync(iopt, idev, 0,
							     U64_MAX) : -ENOMEM;
		/* What is left unmapped is counted; only no memory fails. */
		if (rc && rc != -ENOMEM)
			rc = 0;
	}
	if (!rc)
		rc = ioasidfd_shadow_replay(iopt, n->shadow, hwpt);
	mutex_unlock(&iopt->parent->lock);
	return rc;
}

static bool ioasidfd_nested_stream_wide(struct ioasidfd_iopt *iopt)
{
	struct ioasidfd_nested *n = iopt->src_priv;

	return n->format == IOASID_NESTED_FMT_SMMUV3;
}

/* The parent lost [start, last]: nothing derived from it may stay cached. */
static void ioasidfd_nested_parent_zap(struct ioasidfd_iopt *iopt, u64 start,
				       u64 last)
{
	struct ioasidfd_nested *n = iopt->src_priv;

	down_write_nested(&iopt->xlate, SINGLE_DEPTH_NESTING);
	ioasidfd_nested_flush(iopt, n);
	if (n->shadow)
		ioasidfd_shadow_parent_zap(iopt, n->shadow, start, last);
	up_write(&iopt->xlate);
	ioasidfd_nested_fd_stats(n);
}

static int ioasidfd_nested_parent_prepare(struct ioasidfd_iopt *iopt, u64 start,
					  u64 last)
{
	struct ioasidfd_nested *n = iopt->src_priv;

	return n->shadow ? ioasidfd_shadow_prepare(n->shadow, start, last) : 0;
}

static void ioasidfd_nested_caps(struct ioasidfd_iopt *iopt,
				 struct ioasidfd_caps *caps)
{
	struct ioasidfd_nested *n = iopt->src_priv;
	struct ioasid_info_cap_nested_ioas *cap;
	struct ioasidfd_shadow_stats st;

	cap = ioasidfd_caps_add(caps, IOASID_INFO_CAP_NESTED_IOAS, 1,
				sizeof(*cap));
	if (!cap)
		return;
	cap->parent_pasid = n->parent->pasid;
	cap->format = n->format;
	spin_lock(&n->lock);
	cap->iotlb_hits = n->hits;
	cap->iotlb_misses = n->misses;
	cap->iotlb_entries = n->nr_tlb;
	spin_unlock(&n->lock);
	cap->ctx_entries = ioasidfd_xa_count(&n->ctxs);
	/* The shadow is the parent's to lock; this IOASID's lock is held. */
	mutex_lock_nested(&iopt->parent->lock, SINGLE_DEPTH_NESTING);
	ioasidfd_shadow_get_stats(n->shadow, &st);
	mutex_unlock(&iopt->parent->lock);
	cap->shadow_runs = st.runs;
	cap->shadow_tables = st.tables;
	cap->shadow_bytes = st.mapped_bytes;
	cap->shadow_huge_2m = st.huge_2m;
	cap->shadow_skipped_s2 = st.skipped_s2;
	cap->shadow_skipped_range = st.skipped_range;
	cap->shadow_skipped_access = st.skipped_access;
	cap->shadow_skipped_limit = st.skipped_limit;
	cap->shadow_skipped_tables = st.skipped_tables;
	cap->shadow_mem = st.bytes;
}

static void ioasidfd_nested_fdinfo(struct ioasidfd_iopt *iopt,
				   struct seq_file *m)
{
	struct ioasidfd_nested *n = READ_ONCE(iopt->src_priv);

	if (n)
		seq_printf(m, " parent:%u format:%u shadow_runs:%llu shadow_mem:%llu",
			   n->parent->pasid, n->format, READ_ONCE(n->fd_runs),
			   READ_ONCE(n->fd_mem));
}

const struct ioasidfd_source_ops ioasidfd_nested_source = {
	.fdinfo = ioasidfd_nested_fdinfo,
	.mode = IOASID_MODE_NESTED,
	.replay = ioasidfd_nested_replay,
	.check_attach = ioasidfd_nested_check_attach,
	.lookup = ioasidfd_nested_lookup,
	.wipe = ioasidfd_nested_wipe,
	.release = ioasidfd_nested_release,
	.stream_wide = ioasidfd_nested_stream_wide,
	.caps = ioasidfd_nested_caps,
	.parent_prepare = ioasidfd_nested_parent_prepare,
	.explains_faults = true,
	.parent_zap = ioasidfd_nested_parent_zap,
};

/* Validates the guest's entry into @n; -EINVAL if the hardware would not take it. */
static int ioasidfd_nested_parse(struct ioasidfd_nested *n, u32 format,
				 const void *data)
{
	const struct ioasidfd_nested_caps *caps = &ioasidfd_nested_sw_caps;

	n->format = format;
	if (format == IOASID_NESTED_FMT_VTD_FS) {
		memcpy(&n->raw.vtd, data, sizeof(n->raw.vtd));
		return ioasidfd_vtd_parse_pasid_entry(n->raw.vtd.pasid_entry,
						      caps, &n->vtd);
	}
	memcpy(&n->raw.smmu, data, sizeof(n->raw.smmu));
	return ioasidfd_smmu_parse_ste(n->raw.smmu.ste, caps, &n->ste);
}

static size_t ioasidfd_nested_data_len(u32 format)
{
	switch (format) {
	case IOASID_NESTED_FMT_VTD_FS:
		return sizeof(struct ioasid_nested_vtd);
	case IOASID_NESTED_FMT_SMMUV3:
		return sizeof(struct ioasid_nested_smmuv3);
	default:
		return 0;
	}
}

/*
 * REPLACE: the VMM relays a guest's new PASID entry or STE.  A PASID entry
 * is used once the guest's PASID-cache invalidation drops the cached one;
 * an STE at once, with the CDs cached through it (the VMM did the work of
 * the guest's CMD_CFGI_STE).  The IOTLB is left to the guest's TLB
 * invalidations, as on the hardware.
 */
static int ioasidfd_nested_replace(struct ioasidfd_iopt *iopt,
				   struct ioasidfd_ioas *parent, u32 format,
				   struct ioasidfd_nested *fresh)
{
	struct ioasidfd_nested *n = ioasidfd_nested(iopt);

	if (!n || n->parent != parent || n->format != format)
		return -EMEDIUMTYPE;
	down_write(&iopt->xlate);
	if (format == IOASID_NESTED_FMT_VTD_FS) {
		n->vtd = fresh->vtd;
	} else {
		n->ste = fresh->ste;
		ioasidfd_nested_ctx_flush(n);
	}
	n->raw = fresh->raw;
	up_write(&iopt->xlate);
	/* The new STE is in force: the shadow follows it at once. */
	if (format == IOASID_NESTED_FMT_SMMUV3 && n->shadow) {
		mutex_lock_nested(&iopt->parent->lock, SINGLE_DEPTH_NESTING);
		ioasidfd_nested_shadow_sync(iopt, NULL, 0, U64_MAX);
		mutex_unlock(&iopt->parent->lock);
	}
	return 0;
}

/* The first bind: the IOASID (locked, unattached) becomes nested over @parent. */
static int ioasidfd_nested_install(struct ioasidfd_iopt *iopt,
				   struct ioasidfd_ioas *parent,
				   struct ioasidfd_nested *n)
{
	struct ioasidfd_iopt *piopt = parent->iopt;
	int rc;

	if (iopt->src)
		return -EMEDIUMTYPE;
	if (iopt->nr_attach)
		return -EBUSY;
	mutex_lock_nested(&piopt->lock, SINGLE_DEPTH_NESTING);
	rc = -ENOENT;
	if (test_bit(IOASIDFD_IOAS_DESTROYED, &parent->flags))
		goto out;
	if (!piopt->src) {
		rc = ioasidfd_iova_install(piopt);
		if (rc)
			goto out;
	}
	rc = -EINVAL;
	if (piopt->src != &ioasidfd_iova_source)
		goto out;
	/* Page tables kept from before: made for another mode. */
	ioasidfd_hwpt_free_idle(iopt);
	kref_get(&parent->kref);
	n->parent = parent;
	list_add_tail(&iopt->child_item, &piopt->children);
	piopt->nr_children++;
	down_write(&iopt->xlate);
	WRITE_ONCE(iopt->parent, piopt);
	up_write(&iopt->xlate);
	WARN_ON(ioasidfd_iopt_set_source(iopt, &ioasidfd_nested_source, n));
	rc = 0;
out:
	mutex_unlock(&piopt->lock);
	return rc;
}

/**
 * ioasidfd_nested_bind() - give an IOASID a guest stage 1 over a stage 2
 * @ioas: the IOASID, referenced by the caller
 * @parent: the stage-2 IOASID, of the same context, referenced
 * @format: IOASID_NESTED_FMT_*
 * @data: the format's struct, in kernel memory
 * @replace: replace the entry of an IOASID nested over @parent already
 *
 * Return: 0; -EINVAL for an entry the hardware would refuse, a nested or
 * identical parent; -EOPNOTSUPP for an unknown format; -EMEDIUMTYPE for an
 * IOASID of another mode (or, with @replace, not nested like this);
 * -EBUSY for an IOASID that is attached; -ENOENT if either was destroyed;
 * -ENOMEM.
 */
int ioasidfd_nested_bind(struct ioasidfd_ioas *ioas, struct ioasidfd_ioas *parent,
			 u32 format, const void *data, bool replace)
{
	struct ioasidfd_iopt *iopt, *piopt;
	struct ioasidfd_nested *n;
	int rc;

	if (!ioasidfd_nested_data_len(format))
		return -EOPNOTSUPP;
	if (ioas == parent)
		return -EINVAL;
	n = kzalloc(sizeof(*n), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(n, kfree);
	if (!n)
		return -ENOMEM;
	spin_lock_init(&n->lock);
	hash_init(n->tlb);
	xa_init(&n->ctxs);
	rc = ioasidfd_nested_parse(n, format, data);
	if (rc)
		goto out_free;

	iopt = ioasidfd_ioas_iopt(ioas);
	piopt = ioasidfd_ioas_iopt(parent);
	rc = -ENOMEM;
	if (!iopt || !piopt)
		goto out_free;
	mutex_lock(&iopt->lock);
	rc = -ENOENT;
	if (test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags))
		goto out_unlock;
	/* Another mode (a parent of others is an IOVA map) */
	rc = -EMEDIUMTYPE;
	if (!replace && iopt->src)
		goto out_unlock;
	/* A parent that is nested itself is not a stage 2. */
	rc = -EINVAL;
	if (ioasidfd_nested(piopt))
		goto out_unlock;
	if (replace) {
		rc = ioasidfd_nested_replace(iopt, parent, format, n);
		goto out_unlock;
	}
	rc = ioasidfd_nested_install(iopt, parent, n);
	if (!rc)
		n = NULL;
out_unlock:
	mutex_unlock(&iopt->lock);
out_free:
	if (n)
		xa_destroy(&n->ctxs);
	kfree(n);
	return rc;
}

/**
 * ioasidfd_nested_unbind() - make a nested IOASID IOASID_MODE_NONE again
 * @ioas: the IOASID, referenced by the caller
 *
 * Return: as ioasidfd_iopt_unbind().
 */
int ioasidfd_nested_unbind(struct ioasidfd_ioas *ioas)
{
	return ioasidfd_iopt_unbind(ioas, &ioasidfd_nested_source);
}

int ioasidfd_nested_bind_ioctl(struct ioasidfd_ucmd *ucmd)
{
	const u32 valid = IOASID_NESTED_BIND_REPLACE | IOASID_NESTED_UNBIND;
	struct ioasid_nested_bind *cmd = ucmd->cmd;
	union {
		struct ioasid_nested_vtd vtd;
		struct ioasid_nested_smmuv3 smmu;
	} data;
	struct ioasidfd_ioas *ioas, *parent;
	size_t len;
	int rc;

	if (cmd->flags & ~valid)
		return -EOPNOTSUPP;
	if (cmd->flags & IOASID_NESTED_UNBIND) {
		if (cmd->flags != IOASID_NESTED_UNBIND || cmd->parent_pasid ||
		    cmd->format || cmd->data_len || cmd->data_uptr)
			return -EINVAL;
		ioas = ioasidfd_ioas_lookup(ucmd->ctx, cmd->pasid);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		rc = ioasidfd_nested_unbind(ioas);
		ioasidfd_ioas_put(ioas);
		return rc;
	}
	len = ioasidfd_nested_data_len(cmd->format);
	if (!len)
		return -EOPNOTSUPP;
	if (cmd->data_len != len)
		return -EINVAL;
	ioasidfd_inject_user(cmd->data_uptr);
	if (copy_from_user(&data, u64_to_user_ptr(cmd->data_uptr), len))
		return -EFAULT;

	ioas = ioasidfd_ioas_lookup(ucmd->ctx, cmd->pasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	parent = ioasidfd_ioas_lookup(ucmd->ctx, cmd->parent_pasid);
	if (IS_ERR(parent)) {
		rc = PTR_ERR(parent);
		goto out_ioas;
	}
	rc = ioasidfd_nested_bind(ioas, parent, cmd->format, &data,
				  cmd->flags & IOASID_NESTED_BIND_REPLACE);
	ioasidfd_ioas_put(parent);
out_ioas:
	ioasidfd_ioas_put(ioas);
	return rc;
}

/* Applies one decoded entry to the caches; xlate held for writing. */
static void ioasidfd_nested_apply(struct ioasidfd_nested *n,
				  const struct ioasidfd_inv *inv)
{
	switch (inv->op) {
	case IOASIDFD_INV_NOP:
		break;
	case IOASIDFD_INV_CTX:
	case IOASIDFD_INV_CTX_ALL:
		ioasidfd_nested_ctx_inv(n, inv);
		break;
	default:
		ioasidfd_nested_tlb_inv(n, inv);
		break;
	}
}

/* The input range a shadow must re-walk after some invalidations. */
struct ioasidfd_nested_dirty {
	bool any;
	u64 start;
	u64 last;
};

/*
 * Which part of the shadow an invalidation concerns: the shadow translates
 * requests without PASID (VT-d RID_PASID, SMMUv3 CD 0 or bypass), so
 * invalidations of other PASIDs leave it alone; a range invalidation
 * re-walks its range, any other everything.
 */
static void ioasidfd_nested_note(struct ioasidfd_nested *n,
				 const struct ioasidfd_inv *inv,
				 struct ioasidfd_nested_dirty *d)
{
	bool vtd = n->format == IOASID_NESTED_FMT_VTD_FS;
	const struct ioasidfd_vtd_ctx *cached;
	u64 start = 0, last = U64_MAX;
	u16 did = 0;

	if (!n->shadow || inv->op == IOASIDFD_INV_NOP)
		return;
	if (inv->op == IOASIDFD_INV_CTX || inv->op == IOASIDFD_INV_CTX_ALL) {
		/*
		 * The shadow was built from the PASID entry the PASID cache
		 * held, so a PASID-cache invalidation selects it by that DID.
		 */
		if (vtd) {
			cached = xa_load(&n->ctxs, IOASIDFD_NESTED_RID_PASID);
			did = cached ? cached->did : n->vtd.did;
		}
		if (!ioasidfd_inv_matches_ctx(inv, IOASIDFD_NESTED_RID_PASID,
					      did))
			return;
	} else if (vtd && (inv->flags & IOASIDFD_INV_MATCH_PASID) &&
		   inv->pasid != IOASIDFD_NESTED_RID_PASID) {
		return;
	} else if (inv->op == IOASIDFD_INV_S1_RANGE) {
		start = inv->start;
		last = inv->last;
	}
	if (!d->any) {
		d->any = true;
		d->start = start;
		d->last = last;
		return;
	}
	d->start = min(d->start, start);
	d->last = max(d->last, last);
}

/**
 * ioasidfd_nested_invalidate() - apply a guest's cache invalidations
 * @ioas: a nested IOASID, referenced by the caller
 * @entries: @nr entries of @entry_len bytes, in kernel memory
 * @entry_len: 32 (VT-d descriptors) or 16 (SMMUv3 commands)
 * @nr: entries
 * @done: returns the entries applied
 * @error: returns IOASID_INV_ERROR_* of entry @done on failure
 *
 * Return: 0 when all were applied; -EINVAL at a malformed or forbidden entry
 * (those before it applied), for a bad @entry_len or a non-nested IOASID;
 * -ENOENT if it was destroyed.
 */
int ioasidfd_nested_invalidate(struct ioasidfd_ioas *ioas, const void *entries,
			       u32 entry_len, u32 nr, u32 *done, u32 *error)
{
	/* Pairs with the cmpxchg() in ioasidfd_ioas_iopt(). */
	struct ioasidfd_iopt *iopt = smp_load_acquire(&ioas->iopt);
	struct ioasidfd_nested_dirty dirty = {};
	struct ioasidfd_nested *n;
	struct ioasidfd_inv inv;
	int rc = 0;
	u32 i;

	*done = 0;
	*error = IOASID_INV_ERROR_NONE;
	if (!iopt)
		return -EINVAL;
	mutex_lock(&iopt->lock);
	n = ioasidfd_nested(iopt);
	if (test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags)) {
		rc = -ENOENT;
		goto out_unlock;
	}
	if (!n || entry_len != (n->format == IOASID_NESTED_FMT_VTD_FS ?
				32 : 16)) {
		rc = -EINVAL;
		goto out_unlock;
	}
	down_write(&iopt->xlate);
	for (i = 0; i < nr; i++) {
		const u64 *e = entries + (size_t)i * entry_len;

		if (n->format == IOASID_NESTED_FMT_VTD_FS)
			rc = ioasidfd_vtd_inv_decode(e, &ioasidfd_nested_sw_caps,
						     &inv);
		else
			rc = ioasidfd_smmu_cmd_decode(e, &ioasidfd_nested_sw_caps,
						      &inv);
		if (rc) {
			*error = rc == -EPERM ? IOASID_INV_ERROR_ILLEGAL :
					       IOASID_INV_ERROR_MALFORMED;
			rc = -EINVAL;
			break;
		}
		/* Noted first: a context entry is matched by its cached DID. */
		ioasidfd_nested_note(n, &inv, &dirty);
		ioasidfd_nested_apply(n, &inv);
	}
	*done = i;
	up_write(&iopt->xlate);
	/* The shadow follows before the call returns. */
	if (dirty.any) {
		mutex_lock_nested(&iopt->parent->lock, SINGLE_DEPTH_NESTING);
		ioasidfd_nested_shadow_sync(iopt, NULL, dirty.start, dirty.last);
		mutex_unlock(&iopt->parent->lock);
	}
out_unlock:
	mutex_unlock(&iopt->lock);
	return rc;
}

int ioasidfd_nested_invalidate_ioctl(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_nested_invalidate *cmd = ucmd->cmd;
	struct ioasidfd_ioas *ioas;
	size_t bytes;
	void *entries;
	int rc, rc2;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->entry_len != 16 && cmd->entry_len != 32)
		return -EINVAL;
	if (!cmd->entry_num || cmd->entry_num > IOASID_NESTED_INV_MAX)
		return -EINVAL;
	ioas = ioasidfd_ioas_lookup(ucmd->ctx, cmd->pasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/* Everything is read first, so a bad pointer changes nothing. */
	bytes = (size_t)cmd->entry_len * cmd->entry_num;
	entries = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(entries, kvfree);
	rc = -ENOMEM;
	if (!entries)
		goto out_put;
	rc = -EFAULT;
	ioasidfd_inject_user(cmd->entries_uptr);
	if (copy_from_user(entries, u64_to_user_ptr(cmd->entries_uptr), bytes))
		goto out_free;
	rc = ioasidfd_nested_invalidate(ioas, entries, cmd->entry_len,
					cmd->entry_num, &cmd->out_done,
					&cmd->out_error);
	/* A stop at a bad entry is reported in the outputs too. */
	if (!rc || cmd->out_error) {
		rc2 = ioasidfd_ucmd_respond(ucmd);
		if (!rc)
			rc = rc2;
	}
out_free:
	kvfree(entries);
out_put:
	ioasidfd_ioas_put(ioas);
	return rc;
}

/* GET_INFO: what nested binds the module takes. */
void ioasidfd_nested_info(struct ioasidfd_caps *caps)
{
	const struct ioasidfd_nested_caps *c = &ioasidfd_nested_sw_caps;
	struct ioasid_info_cap_nested *cap;

	cap = ioasidfd_caps_add(caps, IOASID_INFO_CAP_NESTED, 1, sizeof(*cap));
	if (!cap)
		return;
	cap->formats = ioasidfd_nested_formats();
	if (c->flags & IOASIDFD_CAP_VTD_5LVL)
		cap->vtd_flags |= IOASID_NESTED_VTD_5LVL;
	if (c->flags & IOASIDFD_CAP_VTD_1G)
		cap->vtd_flags |= IOASID_NESTED_VTD_1G;
	if (c->flags & IOASIDFD_CAP_VTD_SRS)
		cap->vtd_flags |= IOASID_NESTED_VTD_SRS;
	if (c->flags & IOASIDFD_CAP_VTD_EAFS)
		cap->vtd_flags |= IOASID_NESTED_VTD_EAFS;
	if (c->flags & IOASIDFD_CAP_VTD_PT)
		cap->vtd_flags |= IOASID_NESTED_VTD_PT;
	if (c->flags & IOASIDFD_CAP_SMMU_CD2L)
		cap->smmu_flags |= IOASID_NESTED_SMMU_CD2L;
	if (c->flags & IOASIDFD_CAP_SMMU_RIL)
		cap->smmu_flags |= IOASID_NESTED_SMMU_RIL;
	if (c->flags & IOASIDFD_CAP_SMMU_ASID16)
		cap->smmu_flags |= IOASID_NESTED_SMMU_ASID16;
	if (c->flags & IOASIDFD_CAP_SMMU_HTTU_A)
		cap->smmu_flags |= IOASID_NESTED_SMMU_HA;
	if (c->flags & IOASIDFD_CAP_SMMU_HTTU_D)
		cap->smmu_flags |= IOASID_NESTED_SMMU_HD;
	if (c->granules & IOASIDFD_GRAN_4K)
		cap->smmu_granules |= IOASID_NESTED_SMMU_GRAN_4K;
	if (c->granules & IOASIDFD_GRAN_16K)
		cap->smmu_granules |= IOASID_NESTED_SMMU_GRAN_16K;
	if (c->granules & IOASIDFD_GRAN_64K)
		cap->smmu_granules |= IOASID_NESTED_SMMU_GRAN_64K;
	cap->vtd_haw = c->haw;
	cap->vtd_mamv = c->mamv;
	cap->smmu_ssid_bits = c->ssid_bits;
	cap->smmu_ias = c->ias;
	cap->smmu_oas = c->oas;
}
