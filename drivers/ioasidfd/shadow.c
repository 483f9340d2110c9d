// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: shadow paging of nested IOASIDs for programmed executors.
 *
 * Linux 6.1 has no nested-domain API and the IOMMUs QEMU 7.2 emulates do
 * not nest, so a real device gets a guest's stage 1 through a shadow: the
 * guest's tables are walked through stage 2 (the parent's IOVA map) and
 * every present leaf is mapped, input address -> host page, into the
 * IOASID's programmed page tables, with the rights of both stages
 * together.  The shadow serves the requests without PASID of the kernel
 * IOMMU API executor: the VT-d entry RID_PASID selects, the CD an SMMUv3
 * STE's S1DSS selects.
 *
 * The shadow keeps two reverse maps, both charged to the user and bounded:
 *
 *   leaves   the shadowed runs: input range -> guest-physical range and
 *            rights, merged while contiguous in both; in one interval tree
 *            by input address (guest invalidations) and one by
 *            guest-physical address (stage-2 UNMAP of a data page)
 *   tables   each page of guest table entries the walks read, with the
 *            input span those entries translate (stage-2 UNMAP of a page
 *            that holds a level of the guest's table)
 *
 * Coherence:
 *   - a guest invalidation re-walks the invalidated range (everything for
 *     invalidations without a range), compares with the leaves there, and
 *     changes only what changed: removed or downgraded runs are zapped
 *     (IOTLBs flushed) before new ones are mapped, all before the ioctl
 *     returns;
 *   - a stage-2 UNMAP zaps every run whose guest-physical range, or whose
 *     table path, it removes, before the parent's pages are unpinned;
 *   - a guest that changes its tables without invalidating keeps the old
 *     translation, never one to memory outside stage 2 (every run maps
 *     pages stage 2 maps).  Stage-2 additions reach the shadow at the next
 *     invalidation that covers them.
 *
 * What cannot be shadowed is left unmapped (the device faults there, as on
 * nesting hardware) and counted: leaves whose guest-physical page is
 * outside stage 2, input addresses outside the usable IOVA ranges (the
 * aperture, reserved regions such as the MSI window), leaves with no right
 * left, and what the memory bound refuses.  The guest's accessed and dirty
 * state is set when a leaf is shadowed (dirty for every writable leaf):
 * devices' accesses through a shadow update nothing, so the shadow assumes
 * the worst.
 *
 * Locking: the reverse maps are protected by the parent's iopt lock, which
 * every user holds (builds, invalidations and ALLOWs hold the nested
 * IOASID's lock and then the parent's; a stage-2 UNMAP holds the parent's).
 * Zaps take the nested IOASID's xlate lock for writing.  Nothing allocates
 * under an xlate lock: a stage-2 UNMAP reserves the records it will need to
 * split runs in ioasidfd_shadow_prepare() first.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interval_tree_generic.h>
#include <linux/iommu.h>
#include <linux/slab.h>

#include "ioasidfd_private.h"
#include "inject.h"
#include "pgfmt.h"
#include "shadow.h"

/* Most records (runs and table pages) one shadow keeps. */
unsigned int ioasidfd_shadow_max_records = 1U << 20;

/**
 * struct ioasidfd_shadow_run - a shadowed run
 * @by_iova: in ioasidfd_shadow::runs
 * @iova: first input address
 * @last: last input address
 * @sub_iova: interval tree bookkeeping
 * @by_gpa: in ioasidfd_shadow::runs_by_gpa
 * @gpa: guest-physical address of @iova
 * @gpa_last: guest-physical address of @last
 * @sub_gpa: interval tree bookkeeping
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @huge: 2 MiB chunks of the run the IOMMU can map with 2 MiB pages
 * @keep: during a sync: found unchanged by the new walk
 * @item: on a local list while built, zapped, or in the reserve
 *
 * Immutable once in the trees, but for @keep.  A run is made of guest leaves
 * of one size under one page of guest table entries, inside one mapping of
 * the parent per push: so the host page tables never hold a page that
 * straddles what a stage-2 UNMAP or a table's span removes.
 */
struct ioasidfd_shadow_run {
	struct rb_node by_iova;
	u64 iova;
	u64 last;
	u64 sub_iova;
	struct rb_node by_gpa;
	u64 gpa;
	u64 gpa_last;
	u64 sub_gpa;
	int prot;
	unsigned long huge;
	bool keep;
	struct list_head item;
};

/**
 * struct ioasidfd_shadow_table - a page of guest table entries the shadow read
 * @node: in ioasidfd_shadow::tables
 * @gpa: guest-physical address of the page
 * @gpa_last: its last byte
 * @sub: interval tree bookkeeping
 * @span: first input address the page's entries translate
 * @span_last: the last one
 * @item: on a local list while built or removed
 */
struct ioasidfd_shadow_table {
	struct rb_node node;
	u64 gpa;
	u64 gpa_last;
	u64 sub;
	u64 span;
	u64 span_last;
	struct list_head item;
};

/**
 * struct ioasidfd_shadow - the shadow of one nested IOASID
 * @runs: the shadowed runs, by input address
 * @runs_by_gpa: the same, by guest-physical address
 * @tables: the guest table pages read, by guest-physical address
 * @nr_runs: runs in the trees
 * @nr_tables: entries of @tables
 * @reserve: preallocated runs, for splits under an xlate lock
 * @nr_reserve: entries on @reserve
 * @stats: what is shadowed and what is not
 *
 * Protected by the parent's iopt lock.
 */
struct ioasidfd_shadow {
	struct rb_root_cached runs;
	struct rb_root_cached runs_by_gpa;
	struct rb_root_cached tables;
	unsigned long nr_runs;
	unsigned long nr_tables;
	struct list_head reserve;
	unsigned int nr_reserve;
	struct ioasidfd_shadow_stats stats;
};

#define RUN_START(r)		((r)->iova)
#define RUN_LAST(r)		((r)->last)
INTERVAL_TREE_DEFINE(struct ioasidfd_shadow_run, by_iova, u64, sub_iova,
		     RUN_START, RUN_LAST, static, shadow_run_it);

#define RUN_GPA_START(r)	((r)->gpa)
#define RUN_GPA_LAST(r)		((r)->gpa_last)
INTERVAL_TREE_DEFINE(struct ioasidfd_shadow_run, by_gpa, u64, sub_gpa,
		     RUN_GPA_START, RUN_GPA_LAST, static, shadow_gpa_it);

#define TABLE_START(t)		((t)->gpa)
#define TABLE_LAST(t)		((t)->gpa_last)
INTERVAL_TREE_DEFINE(struct ioasidfd_shadow_table, node, u64, sub,
		     TABLE_START, TABLE_LAST, static, shadow_table_it);

static u64 ioasidfd_pages_of(u64 bytes)
{
	return bytes >> PAGE_SHIFT;
}

/**
 * ioasidfd_shadow_alloc() - an empty shadow
 *
 * Return: the shadow, or NULL.
 */
struct ioasidfd_shadow *ioasidfd_shadow_alloc(void)
{
	struct ioasidfd_shadow *sh;

	sh = kzalloc(sizeof(*sh), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(sh, kfree);
	if (!sh)
		return NULL;
	sh->runs = RB_ROOT_CACHED;
	sh->runs_by_gpa = RB_ROOT_CACHED;
	sh->tables = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&sh->reserve);
	sh->stats.bytes = sizeof(*sh);
	return sh;
}

static struct ioasidfd_shadow_run *
ioasidfd_shadow_run_alloc(struct ioasidfd_shadow *sh, gfp_t gfp)
{
	struct ioasidfd_shadow_run *run;

	run = kzalloc(sizeof(*run), gfp | __GFP_ACCOUNT | __GFP_NOWARN);
	ioasidfd_inject_alloc(run, kfree);
	if (run)
		sh->stats.bytes += sizeof(*run);
	return run;
}

static void ioasidfd_shadow_run_free(struct ioasidfd_shadow *sh,
				     struct ioasidfd_shadow_run *run)
{
	sh->stats.bytes -= sizeof(*run);
	kfree(run);
}

static void ioasidfd_shadow_table_free(struct ioasidfd_shadow *sh,
				       struct ioasidfd_shadow_table *t)
{
	sh->stats.bytes -= sizeof(*t);
	kfree(t);
}

/* A run from the reserve, for a split under an xlate lock; or NULL. */
static struct ioasidfd_shadow_run *
ioasidfd_shadow_run_reserved(struct ioasidfd_shadow *sh)
{
	struct ioasidfd_shadow_run *run;

	run = list_first_entry_or_null(&sh->reserve, struct ioasidfd_shadow_run,
				       item);
	if (run) {
		list_del(&run->item);
		sh->nr_reserve--;
	}
	return run;
}

/* The 2 MiB chunks of one push the IOMMU can map with 2 MiB pages. */
static unsigned long ioasidfd_shadow_count_huge(u64 iova,
						const struct ioasidfd_pages *p,
						unsigned long first,
						unsigned long npages)
{
	const unsigned long per = SZ_2M >> PAGE_SHIFT;
	unsigned long i, j, pfn, huge = 0;

	i = (ALIGN(iova, SZ_2M) - iova) >> PAGE_SHIFT;
	for (; i + per <= npages; i += per) {
		pfn = page_to_pfn(p->pages[first + i]);
		if (pfn & (per - 1))
			continue;
		for (j = 1; j < per; j++)
			if (page_to_pfn(p->pages[first + i + j]) != pfn + j)
				break;
		if (j == per)
			huge++;
	}
	return huge;
}

/*
 * The 2 MiB chunks of @run the IOMMU can map with 2 MiB pages: the IOMMU
 * never joins two mappings of the parent (see ioasidfd_shadow_batch).  The parent's lock is held.
 */
static unsigned long ioasidfd_shadow_run_huge(struct ioasidfd_iopt *parent,
					      const struct ioasidfd_shadow_run *run)
{
	u64 len = run->last - run->iova + 1, done = 0, last;
	const struct ioasidfd_pages *p;
	unsigned long index, n, huge = 0;
	int prot;

	if (len < SZ_2M)
		return 0;
	while (done < len) {
		p = ioasidfd_iova_find(parent, run->gpa + done, &index, &last,
				       &prot);
		if (!p)
			break;
		n = ioasidfd_pages_of(min(last - (run->gpa + done),
					  len - done - 1) + 1);
		huge += ioasidfd_shadow_count_huge(run->iova + done, p, index, n);
		done += n << PAGE_SHIFT;
	}
	return huge;
}

/* Into the trees; the parent's lock is held (its pages are counted). */
static void ioasidfd_shadow_insert(struct ioasidfd_iopt *iopt,
				   struct ioasidfd_shadow *sh,
				   struct ioasidfd_shadow_run *run)
{
	shadow_run_it_insert(run, &sh->runs);
	shadow_gpa_it_insert(run, &sh->runs_by_gpa);
	sh->nr_runs++;
	sh->stats.mapped_bytes += run->last - run->iova + 1;
	run->huge = ioasidfd_shadow_run_huge(iopt->parent, run);
	sh->stats.huge_2m += run->huge;
}

static void ioasidfd_shadow_remove(struct ioasidfd_shadow *sh,
				   struct ioasidfd_shadow_run *run)
{
	shadow_run_it_remove(run, &sh->runs);
	shadow_gpa_it_remove(run, &sh->runs_by_gpa);
	sh->nr_runs--;
	sh->stats.mapped_bytes -= run->last - run->iova + 1;
	sh->stats.huge_2m -= run->huge;
}

static void ioasidfd_shadow_table_remove(struct ioasidfd_shadow *sh,
					 struct ioasidfd_shadow_table *t)
{
	shadow_table_it_remove(t, &sh->tables);
	sh->nr_tables--;
}

/**
 * ioasidfd_shadow_free() - free a shadow
 * @sh: the shadow, zapped from every page table (or they are gone), or NULL
 */
void ioasidfd_shadow_free(struct ioasidfd_shadow *sh)
{
	struct ioasidfd_shadow_table *t;
	struct ioasidfd_shadow_run *run;

	if (!sh)
		return;
	while ((run = shadow_run_it_iter_first(&sh->runs, 0, U64_MAX))) {
		ioasidfd_shadow_remove(sh, run);
		ioasidfd_shadow_run_free(sh, run);
	}
	while ((t = shadow_table_it_iter_first(&sh->tables, 0, U64_MAX))) {
		ioasidfd_shadow_table_remove(sh, t);
		ioasidfd_shadow_table_free(sh, t);
	}
	while ((run = ioasidfd_shadow_run_reserved(sh)))
		ioasidfd_shadow_run_free(sh, run);
	WARN_ON(sh->stats.bytes != sizeof(*sh));
	kfree(sh);
}

/* Unmaps [iova, iova + len) from every programmed page table of @iopt. */
static void ioasidfd_shadow_zap(struct ioasidfd_iopt *iopt, u64 iova, u64 len)
{
	lockdep_assert_held_write(&iopt->xlate);
	ioasidfd_iopt_zap(iopt, iova, len);
}

/* Physical runs one batch gathers before it maps them. */
#define IOASIDFD_SHADOW_BATCH	512U

/**
 * struct ioasidfd_shadow_batch - pushes of a sync or a replay, gathered
 * @iopt: the nested IOASID, locked; its parent locked too
 * @only: the page table to fill (a replay, not on the list yet), or NULL
 *        for every programmed page table of @iopt
 * @runs: IOASIDFD_SHADOW_BATCH physical runs, contiguous in IOVA from @iova
 * @nr: entries of @runs in use
 * @iova: where @runs[0] goes
 * @next: the input address after the last page gathered
 * @prot: the rights of every page gathered
 * @from: the shadow run the last entry came from
 * @p: the parent's pinned memory the last entry came from
 * @mapped: a map succeeded
 * @mapped_last: the last input address the last good map mapped
 *
 * Scattered guest pages become one map call and one IOTLB sync per page
 * table for up to IOASIDFD_SHADOW_BATCH of them, instead of one each.  An
 * entry that would continue the previous one physically, from another
 * shadow run or another mapping of the parent, starts a new batch: the
 * IOMMU driver would join the two into one entry, and a page of its tables
 * must never straddle what a stage-2 UNMAP or a guest invalidation removes.
 */
struct ioasidfd_shadow_batch {
	struct ioasidfd_iopt *iopt;
	struct ioasidfd_hwpt *only;
	struct ioasidfd_pfn_run *runs;
	unsigned int nr;
	u64 iova;
	u64 next;
	int prot;
	const struct ioasidfd_shadow_run *from;
	const struct ioasidfd_pages *p;
	bool mapped;
	u64 mapped_last;
};

static int ioasidfd_shadow_batch_init(struct ioasidfd_shadow_batch *bt,
				      struct ioasidfd_iopt *iopt,
				      struct ioasidfd_hwpt *only)
{
	bt->iopt = iopt;
	bt->only = only;
	bt->nr = 0;
	bt->from = NULL;
	bt->p = NULL;
	bt->mapped = false;
	bt->runs = kvmalloc_array(IOASIDFD_SHADOW_BATCH, sizeof(*bt->runs),
				  GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(bt->runs, kvfree);
	return bt->runs ? 0 : -ENOMEM;
}

/* Maps what @bt gathered.  Return: 0, or an error with none of it mapped. */
static int ioasidfd_shadow_batch_map(struct ioasidfd_shadow_batch *bt)
{
	unsigned int nr = bt->nr;
	int rc;

	if (!nr)
		return 0;
	bt->nr = 0;
	bt->from = NULL;
	rc = ioasidfd_iopt_push_runs(bt->iopt, bt->iova, bt->runs, nr,
				     bt->prot, bt->only);
	if (!rc) {
		bt->mapped = true;
		bt->mapped_last = bt->next - 1;
	}
	return rc;
}

/*
 * Gathers [@iova, @ilast] of @run (pages of the parent's mappings), mapping
 * what was gathered before whenever the batch is full or cannot take more.
 * Return: 0, or the error of a map that failed (what that map held is not
 * mapped; what earlier maps did is).
 */
static int ioasidfd_shadow_batch_add(struct ioasidfd_shadow_batch *bt,
				     const struct ioasidfd_shadow_run *run,
				     u64 iova, u64 ilast)
{
	u64 len = ilast - iova + 1, done = 0, last;
	u64 gpa = run->gpa + (iova - run->iova);
	struct ioasidfd_iopt *parent = bt->iopt->parent;
	const struct ioasidfd_pages *p;
	unsigned long index, n, got;
	struct ioasidfd_pfn_run *prev;
	unsigned int nr;
	int prot, rc;

	lockdep_assert_held(&parent->lock);
	while (done < len) {
		p = ioasidfd_iova_find(parent, gpa + done, &index, &last,
				       &prot);
		/* Runs are made of what the parent maps, under its lock. */
		if (WARN_ON(!p))
			return -EFAULT;
		n = ioasidfd_pages_of(min(last - (gpa + done),
					  len - done - 1) + 1);
		while (n) {
			prev = bt->nr ? &bt->runs[bt->nr - 1] : NULL;
			if (prev &&
			    (bt->next != iova + done || bt->prot != run->prot ||
			     bt->nr == IOASIDFD_SHADOW_BATCH ||
			     ((bt->from != run || bt->p != p) &&
			      prev->pfn + prev->npages ==
			      page_to_pfn(p->pages[index])))) {
				rc = ioasidfd_shadow_batch_map(bt);
				if (rc)
					return rc;
			}
			if (!bt->nr) {
				bt->iova = iova + done;
				bt->prot = run->prot;
			}
			nr = ioasidfd_pages_runs(p, index, n,
						 bt->runs + bt->nr,
						 IOASIDFD_SHADOW_BATCH - bt->nr,
						 &got);
			bt->nr += nr;
			bt->from = run;
			bt->p = p;
			index += got;
			n -= got;
			done += (u64)got << PAGE_SHIFT;
			bt->next = iova + done;
		}
	}
	return 0;
}

/**
 * struct ioasidfd_shadow_build - one walk of a sync
 * @iopt: the nested IOASID
 * @sh: its shadow
 * @usable: IOVA ranges the page tables can map
 * @start: first input address walked
 * @last: last input address walked
 * @runs: the runs found, in address order
 * @tables: the table pages read
 * @tail: the last run of @runs, while it may grow
 * @tail_size: guest leaf size of @tail
 * @tail_block: first input address of the table page span of @tail's leaves
 * @budget: records this walk may still make
 * @skip_start: with @skip: first input address under a table page the
 *              bound left unrecorded
 * @skip_last: the last one
 * @skip: leaves in [@skip_start, @skip_last] are left unmapped: a stage-2
 *        removal of their table page could not find them
 * @last_table: the last table page recorded by this walk
 * @err: -ENOMEM if the walk ran out
 */
struct ioasidfd_shadow_build {
	struct ioasidfd_iopt *iopt;
	struct ioasidfd_shadow *sh;
	const struct ioasidfd_ranges *usable;
	u64 start;
	u64 last;
	struct list_head runs;
	struct list_head tables;
	struct ioasidfd_shadow_run *tail;
	u64 tail_size;
	u64 tail_block;
	unsigned long budget;
	u64 skip_start;
	u64 skip_last;
	bool skip;
	struct ioasidfd_shadow_table *last_table;
	int err;
};

/* Appends [iova, last] -> @gpa to the runs, merged with the tail if it can. */
static void ioasidfd_shadow_emit(struct ioasidfd_shadow_build *b, u64 iova,
				 u64 last, u64 gpa, int prot, u64 size,
				 u64 block)
{
	struct ioasidfd_shadow_run *t = b->tail, *run;

	if (t && t->last + 1 == iova && t->gpa_last + 1 == gpa &&
	    t->prot == prot && b->tail_size == size && b->tail_block == block) {
		t->last = last;
		t->gpa_last = gpa + (last - iova);
		return;
	}
	run = b->budget ? ioasidfd_shadow_run_alloc(b->sh, GFP_KERNEL) : NULL;
	if (!run) {
		if (b->budget)
			b->err = -ENOMEM;
		b->sh->stats.skipped_limit += ioasidfd_pages_of(last - iova + 1);
		return;
	}
	b->budget--;
	run->iova = iova;
	run->last = last;
	run->gpa = gpa;
	run->gpa_last = gpa + (last - iova);
	run->prot = prot;
	list_add_tail(&run->item, &b->runs);
	b->tail = run;
	b->tail_size = size;
	b->tail_block = block;
}

/* [iova, last] -> @gpa with @prot: the parts inside the usable ranges. */
static void ioasidfd_shadow_usable(struct ioasidfd_shadow_build *b, u64 iova,
				   u64 last, u64 gpa, int prot, u64 size,
				   u64 block)
{
	const struct ioasidfd_ranges *rs = b->usable;
	u64 covered = 0, s, l;
	unsigned int i;

	for (i = 0; i < rs->nr; i++) {
		s = max(iova, rs->r[i].start);
		l = min(last, rs->r[i].last);
		if (s > l)
			continue;
		ioasidfd_shadow_emit(b, s, l, gpa + (s - iova), prot, size,
				     block);
		covered += l - s + 1;
	}
	b->sh->stats.skipped_range += ioasidfd_pages_of(last - iova + 1 -
							covered);
}

/*
 * A guest translation [iova, last] -> @gpa with stage-1 rights @prot: split
 * along the parent's mappings, with the rights of both stages.
 */
static void ioasidfd_shadow_leaf(struct ioasidfd_shadow_build *b, u64 iova,
				 u64 last, u64 gpa, int prot, u64 size,
				 u64 block)
{
	struct ioasidfd_iopt *parent = b->iopt->parent;
	const struct ioasidfd_pages *p;
	unsigned long index;
	u64 cur = iova, end, alast;
	int aprot;

	while (cur <= last && !b->err) {
		u64 g = gpa + (cur - iova);

		p = ioasidfd_iova_find(parent, g, &index, &alast, &aprot);
		end = alast - g > last - cur ? last : cur + (alast - g);
		if (!p) {
			/* @alast is the end of the hole in stage 2 */
			b->sh->stats.skipped_s2 += ioasidfd_pages_of(end - cur + 1);
		} else if (!(prot & aprot)) {
			b->sh->stats.skipped_access +=
				ioasidfd_pages_of(end - cur + 1);
		} else {
			ioasidfd_shadow_usable(b, cur, end, g, prot & aprot,
					       size, block);
		}
		if (end == last)
			break;
		cur = end + 1;
	}
}

static int ioasidfd_shadow_leaf_fn(void *arg, const struct ioasidfd_s1_leaf *leaf,
				   const struct ioasidfd_s1_fault *fault)
{
	struct ioasidfd_shadow_build *b = arg;
	u64 s, l, block, span;
	int prot = 0;

	if (!leaf->size)
		return 0;
	s = max(leaf->iova, b->start);
	l = min(leaf->iova + (leaf->size - 1), b->last);
	if (fault) {
		if (fault->table_walk)
			b->sh->stats.skipped_tables++;
		else if (leaf->level && fault->reason != IOASIDFD_F_UNMAPPED)
			/* A leaf every access faults on (access flag, ...) */
			b->sh->stats.skipped_access +=
				ioasidfd_pages_of(l - s + 1);
		return b->err;
	}
	if (b->skip && s >= b->skip_start && l <= b->skip_last) {
		b->sh->stats.skipped_limit += ioasidfd_pages_of(l - s + 1);
		return 0;
	}
	if (leaf->perm & IOASIDFD_S1_READ)
		prot |= IOMMU_READ;
	if (leaf->perm & IOASIDFD_S1_WRITE)
		prot |= IOMMU_WRITE;
	if (!prot) {
		b->sh->stats.skipped_access += ioasidfd_pages_of(l - s + 1);
		return 0;
	}
	/* Leaves merge only with leaves of their size and table page. */
	span = leaf->size << (PAGE_SHIFT - 3);
	block = span ? leaf->iova & ~(span - 1) : 0;
	ioasidfd_shadow_leaf(b, s, l, leaf->oa + (s - leaf->iova), prot,
			     leaf->size, block);
	return b->err;
}

static int ioasidfd_shadow_table_fn(void *arg, u64 gpa, u64 span, u64 span_last,
				    unsigned int level)
{
	struct ioasidfd_shadow_build *b = arg;
	struct ioasidfd_shadow_table *t;

	gpa &= PAGE_MASK;
	t = b->last_table;
	if (t && t->gpa == gpa && t->span == span && t->span_last == span_last)
		return 0;
	/* Recorded already, and staying: the sync removes only inside its range */
	for (t = shadow_table_it_iter_first(&b->sh->tables, gpa, gpa); t;
	     t = shadow_table_it_iter_next(t, gpa, gpa))
		if (t->span == span && t->span_last == span_last &&
		    (span < b->start || span_last > b->last))
			return 0;
	if (!b->budget) {
		/* Its leaves could not be zapped with it: they stay unmapped */
		if (b->skip && span >= b->skip_start && span_last <= b->skip_last)
			return 0;
		b->skip = true;
		b->skip_start = span;
		b->skip_last = span_last;
		return 0;
	}
	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	ioasidfd_inject_alloc(t, kfree);
	if (!t) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->budget--;
	b->sh->stats.bytes += sizeof(*t);
	t->gpa = gpa;
	t->gpa_last = t->gpa + PAGE_SIZE - 1;
	t->span = span;
	t->span_last = span_last;
	list_add_tail(&t->item, &b->tables);
	b->last_table = t;
	return 0;
}

/* Stage 1 bypassed: the parent's mappings as they are, in [start, last]. */
static void ioasidfd_shadow_walk_bypass(struct ioasidfd_shadow_build *b)
{
	struct ioasidfd_iopt *parent = b->iopt->parent;
	const struct ioasidfd_pages *p;
	unsigned long index;
	u64 cur = b->start, end, alast;
	int aprot;

	while (cur <= b->last && !b->err) {
		p = ioasidfd_iova_find(parent, cur, &index, &alast, &aprot);
		end = min(alast, b->last);
		if (p)
			ioasidfd_shadow_usable(b, cur, end, cur, aprot, 0, 0);
		if (end == b->last)
			break;
		cur = end + 1;
	}
}

static const struct ioasidfd_s1_visit ioasidfd_shadow_visit = {
	.leaf = ioasidfd_shadow_leaf_fn,
	.table = ioasidfd_shadow_table_fn,
	.flags = IOASIDFD_WALK_SET_AD,
};

/* Is @f the same translation as the run @o of the trees? */
static bool ioasidfd_shadow_same(const struct ioasidfd_shadow_run *o,
				 const struct ioasidfd_shadow_run *f)
{
	return o->iova == f->iova && o->last == f->last && o->gpa == f->gpa &&
	       o->prot == f->prot;
}

/* Adds the table pages a walk read, but those recorded already. */
static void ioasidfd_shadow_add_tables(struct ioasidfd_shadow *sh,
				       struct list_head *tables)
{
	struct ioasidfd_shadow_table *t, *tmp, *old;

	list_for_each_entry_safe(t, tmp, tables, item) {
		list_del(&t->item);
		for (old = shadow_table_it_iter_first(&sh->tables, t->gpa,
						      t->gpa_last);
		     old; old = shadow_table_it_iter_next(old, t->gpa,
							  t->gpa_last))
			if (old->span == t->span && old->span_last == t->span_last)
				break;
		if (old) {
			ioasidfd_shadow_table_free(sh, t);
			continue;
		}
		shadow_table_it_insert(t, &sh->tables);
		sh->nr_tables++;
	}
}

/* An input range whose translation a sync finds unchanged. */
struct ioasidfd_shadow_kept {
	u64 iova;
	u64 last;
};

/**
 * struct ioasidfd_shadow_diff - what a sync leaves mapped
 * @kept: input ranges old and new runs translate alike, in address order;
 *        each inside one old run and one new run
 * @nr: entries of @kept
 * @alloc: room in @kept
 * @cur: cursor of ioasidfd_shadow_diff_walk()
 */
struct ioasidfd_shadow_diff {
	struct ioasidfd_shadow_kept *kept;
	unsigned int nr;
	unsigned int alloc;
	unsigned int cur;
};

/*
 * Could the IOMMU hold the @size chunk at @chunk of @run as one page: is it
 * inside the run, inside one mapping of the parent (one push), and are its
 * host pages contiguous and aligned?  The parent's lock is held.
 */
static bool ioasidfd_shadow_chunk_huge(struct ioasidfd_iopt *parent,
				       const struct ioasidfd_shadow_run *run,
				       u64 chunk, u64 size)
{
	const unsigned long per = size >> PAGE_SHIFT;
	const struct ioasidfd_pages *p;
	unsigned long index, i, pfn;
	u64 gpa, last;
	int prot;

	if (chunk < run->iova || chunk + (size - 1) > run->last)
		return false;
	gpa = run->gpa + (chunk - run->iova);
	p = ioasidfd_iova_find(parent, gpa, &index, &last, &prot);
	if (!p || last - gpa < size - 1)
		return false;
	pfn = page_to_pfn(p->pages[index]);
	if (pfn & (per - 1))
		return false;
	for (i = 1; i < per; i++)
		if (page_to_pfn(p->pages[index + i]) != pfn + i)
			return false;
	return true;
}

/* Sizes of page the IOMMU may hold a shadow with, above the base page. */
static const u64 ioasidfd_shadow_huge_sizes[] = { SZ_1G, SZ_2M };

/*
 * Trims [*s, *l] of the chunks that @o or @n may map with one large page
 * but that the range does not cover whole.
 */
static void ioasidfd_shadow_diff_trim(struct ioasidfd_iopt *parent,
				      const struct ioasidfd_shadow_run *o,
				      const struct ioasidfd_shadow_run *n,
				      u64 *s, u64 *l)
{
	unsigned int i;
	u64 size, cs, cl;

	for (i = 0; i < ARRAY_SIZE(ioasidfd_shadow_huge_sizes) && *s <= *l;
	     i++) {
		size = ioasidfd_shadow_huge_sizes[i];
		cs = *s & ~(size - 1);
		if ((*s != cs || *l - cs < size - 1) &&
		    (ioasidfd_shadow_chunk_huge(parent, o, cs, size) ||
		     ioasidfd_shadow_chunk_huge(parent, n, cs, size))) {
			if (*l - cs < size - 1 || cs + size == 0) {
				*s = 1;
				*l = 0;
				return;
			}
			*s = cs + size;
		}
		cl = *l & ~(size - 1);
		if (*l - cl != size - 1 && cl > *s &&
		    (ioasidfd_shadow_chunk_huge(parent, o, cl, size) ||
		     ioasidfd_shadow_chunk_huge(parent, n, cl, size)))
			*l = cl - 1;
	}
}

/*
 * Records that @o and @n translate [s, l] alike.  A chunk that either may
 * map with one large page is kept whole or not at all: the IOMMU cannot
 * unmap part of a large page, nor map one over what stays mapped.
 */
static void ioasidfd_shadow_diff_add(struct ioasidfd_iopt *parent,
				     struct ioasidfd_shadow_diff *d,
				     const struct ioasidfd_shadow_run *o,
				     const struct ioasidfd_shadow_run *n, u64 s,
				     u64 l)
{
	struct ioasidfd_shadow_kept *k;

	ioasidfd_shadow_diff_trim(parent, o, n, &s, &l);
	if (s > l)
		return;
	if (d->nr == d->alloc) {
		unsigned int alloc = max(64U, d->alloc * 2);

		k = krealloc_array(d->kept, alloc, sizeof(*k),
				   GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		/* krealloc() freed the old array: the new one stays, unused. */
		ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, k, d->kept = k; k = NULL);
		if (!k)
			return;		/* zapped and mapped again instead */
		d->kept = k;
		d->alloc = alloc;
	}
	d->kept[d->nr].iova = s;
	d->kept[d->nr].last = l;
	d->nr++;
}

/*
 * The parts of the new runs @runs (in address order) that the runs of the
 * trees translate the same way already: what needs neither a zap nor a map.
 */
static void ioasidfd_shadow_diff(struct ioasidfd_iopt *iopt,
				 struct ioasidfd_shadow *sh,
				 struct list_head *runs,
				 struct ioasidfd_shadow_diff *d)
{
	struct ioasidfd_shadow_run *n, *o;

	list_for_each_entry(n, runs, item) {
		for (o = shadow_run_it_iter_first(&sh->runs, n->iova, n->last);
		     o; o = shadow_run_it_iter_next(o, n->iova, n->last)) {
			if (o->prot != n->prot ||
			    o->gpa - o->iova != n->gpa - n->iova)
				continue;
			ioasidfd_shadow_diff_add(iopt->parent, d, o, n,
						 max(o->iova, n->iova),
						 min(o->last, n->last));
		}
		cond_resched();
	}
}

/*
 * Calls @fn on each part of [iova, last] outside the kept ranges.  Runs are
 * visited in address order, so a cursor finds the kept ranges; @fn returns
 * non-zero to stop.
 */
static int ioasidfd_shadow_diff_walk(struct ioasidfd_shadow_diff *d, u64 iova,
				     u64 last,
				     int (*fn)(void *arg, u64 s, u64 l),
				     void *arg)
{
	const struct ioasidfd_shadow_kept *k;
	u64 cur = iova;
	int rc;

	while (d->cur < d->nr && d->kept[d->cur].last < iova)
		d->cur++;
	for (; d->cur < d->nr && d->kept[d->cur].iova <= last; d->cur++) {
		k = &d->kept[d->cur];
		if (k->iova > cur) {
			rc = fn(arg, cur, k->iova - 1);
			if (rc)
				return rc;
		}
		if (k->last >= last)
			return 0;
		cur = k->last + 1;
	}
	return fn(arg, cur, last);
}

/* Adjacent ranges zapped as one: one unmap and one IOTLB sync. */
struct ioasidfd_shadow_zaps {
	struct ioasidfd_iopt *iopt;
	u64 start;
	u64 last;
	bool any;
};

static void ioasidfd_shadow_zaps_flush(struct ioasidfd_shadow_zaps *z)
{
	if (z->any)
		ioasidfd_shadow_zap(z->iopt, z->start, z->last - z->start + 1);
	z->any = false;
}

static int ioasidfd_shadow_diff_zap_fn(void *arg, u64 s, u64 l)
{
	struct ioasidfd_shadow_zaps *z = arg;

	if (z->any && s == z->last + 1) {
		z->last = l;
		return 0;
	}
	ioasidfd_shadow_zaps_flush(z);
	z->start = s;
	z->last = l;
	z->any = true;
	return 0;
}

struct ioasidfd_shadow_diff_push {
	struct ioasidfd_shadow_batch *bt;
	const struct ioasidfd_shadow_run *run;
};

static int ioasidfd_shadow_diff_push_fn(void *arg, u64 s, u64 l)
{
	struct ioasidfd_shadow_diff_push *p = arg;

	return ioasidfd_shadow_batch_add(p->bt, p->run, s, l);
}

/*
 * A sync that could not map everything leaves none of its new runs mapped,
 * and no page of the range it re-walked that it did not keep whole: what
 * its maps did (in address order, everything of its runs below @bt's
 * frontier) and the parts of its runs it kept are unmapped, the runs freed
 * and their pages counted as left out for lack of memory.  Never a hole is
 * unmapped: the IOMMU drivers warn about that.
 */
static void ioasidfd_shadow_sync_undo(struct ioasidfd_iopt *iopt,
				      struct ioasidfd_shadow *sh,
				      struct list_head *runs,
				      const struct ioasidfd_shadow_diff *diff,
				      const struct ioasidfd_shadow_batch *bt)
{
	bool mapped = bt->runs && bt->mapped;
	struct ioasidfd_shadow_zaps zaps = { .iopt = iopt };
	struct ioasidfd_shadow_run *run, *tmp;
	const struct ioasidfd_shadow_kept *k;
	unsigned int i = 0;
	u64 from;

	down_write(&iopt->xlate);
	list_for_each_entry(run, runs, item) {
		from = run->iova;
		if (mapped && run->iova <= bt->mapped_last) {
			from = min(run->last, bt->mapped_last);
			ioasidfd_shadow_diff_zap_fn(&zaps, run->iova, from);
			if (from == run->last)
				continue;
			from++;
		}
		for (; i < diff->nr && diff->kept[i].iova <= run->last; i++) {
			k = &diff->kept[i];
			if (k->last < from)
				continue;
			ioasidfd_shadow_diff_zap_fn(&zaps, max(k->iova, from),
						    k->last);
		}
	}
	ioasidfd_shadow_zaps_flush(&zaps);
	up_write(&iopt->xlate);
	list_for_each_entry_safe(run, tmp, runs, item) {
		list_del(&run->item);
		sh->stats.skipped_limit +=
			ioasidfd_pages_of(run->last - run->iova + 1);
		ioasidfd_shadow_run_free(sh, run);
	}
}

/**
 * ioasidfd_shadow_sync() - bring the shadow of an input range in line
 * @iopt: the nested IOASID, locked; its parent locked too
 * @sh: its shadow
 * @src: what requests without PASID translate with now
 * @usable: the IOVA ranges the page tables can map
 * @start: first input address to re-walk
 * @last: last one
 *
 * Walks [@start, @last] (widened to whole runs), keeps the runs that did
 * not change, zaps what changed from every programmed page table (IOTLBs
 * flushed) and maps what the walk found instead.  Page by page: where an
 * old and a new run translate alike nothing is unmapped or mapped again,
 * but for 2 MiB chunks the IOMMU may hold as one page, which change whole.
 * On return the page tables translate the range as the guest's tables do
 * now.
 *
 * Return: 0, or -ENOMEM when memory ran out: what could not be recorded
 * or mapped is left unmapped (and counted in skipped_limit), never stale.
 */
int ioasidfd_shadow_sync(struct ioasidfd_iopt *iopt, struct ioasidfd_shadow *sh,
			 const struct ioasidfd_shadow_src *src,
			 const struct ioasidfd_ranges *usable, u64 start,
			 u64 last)
{
	struct ioasidfd_shadow_build b = {
		.iopt = iopt,
		.sh = sh,
		.usable = usable,
		.runs = LIST_HEAD_INIT(b.runs),
		.tables = LIST_HEAD_INIT(b.tables),
	};
	struct ioasidfd_shadow_zaps zaps = { .iopt = iopt };
	struct ioasidfd_shadow_batch bt;
	struct ioasidfd_shadow_diff_push push = { .bt = &bt };
	struct ioasidfd_shadow_run *run, *tmp, *o;
	struct ioasidfd_shadow_table *t, *tnext;
	struct ioasidfd_shadow_diff diff = {};
	unsigned long records;
	unsigned int i;
	LIST_HEAD(dead);
	int rc;

	lockdep_assert_held(&iopt->lock);
	lockdep_assert_held(&iopt->parent->lock);
	/* Whole runs only: widen the range to the runs it cuts. */
	run = shadow_run_it_iter_first(&sh->runs, start, start);
	if (run)
		start = run->iova;
	run = shadow_run_it_iter_first(&sh->runs, last, last);
	if (run)
		last = run->last;
	b.start = start;
	b.last = last;
	/* The records of the range are replaced: they do not count */
	records = sh->nr_runs + sh->nr_tables;
	for (o = shadow_run_it_iter_first(&sh->runs, start, last); o;
	     o = shadow_run_it_iter_next(o, start, last))
		records--;
	for (t = shadow_table_it_iter_first(&sh->tables, 0, U64_MAX); t;
	     t = shadow_table_it_iter_next(t, 0, U64_MAX))
		if (t->span >= start && t->span_last <= last)
			records--;
	b.budget = records < ioasidfd_shadow_max_records ?
		   ioasidfd_shadow_max_records - records : 0;

	/* The context the walk hangs on: its pages translate everything */
	for (i = 0; i < src->nr_ctx && !b.err; i++)
		ioasidfd_shadow_table_fn(&b, src->ctx_gpa[i], 0, U64_MAX, 0);
	if (src->kind == IOASIDFD_SHADOW_S1)
		ioasidfd_s1_walk_range_ex(src->cfg, src->s2, start, last, 0,
					  &ioasidfd_shadow_visit, &b);
	else if (src->kind == IOASIDFD_SHADOW_BYPASS)
		ioasidfd_shadow_walk_bypass(&b);

	/* What did not change stays mapped: no window without translation. */
	list_for_each_entry_safe(run, tmp, &b.runs, item) {
		o = shadow_run_it_iter_first(&sh->runs, run->iova, run->iova);
		if (o && ioasidfd_shadow_same(o, run)) {
			o->keep = true;
			list_del(&run->item);
			ioasidfd_shadow_run_free(sh, run);
		}
	}
	ioasidfd_shadow_diff(iopt, sh, &b.runs, &diff);
	down_write(&iopt->xlate);
	for (o = shadow_run_it_iter_first(&sh->runs, start, last); o; o = tmp) {
		tmp = shadow_run_it_iter_next(o, start, last);
		if (o->keep) {
			o->keep = false;
			continue;
		}
		ioasidfd_shadow_remove(sh, o);
		ioasidfd_shadow_diff_walk(&diff, o->iova, o->last,
					  ioasidfd_shadow_diff_zap_fn, &zaps);
		list_add_tail(&o->item, &dead);
	}
	ioasidfd_shadow_zaps_flush(&zaps);
	up_write(&iopt->xlate);
	diff.cur = 0;
	/* Table pages whose span the walk covered were read again (or not). */
	for (t = shadow_table_it_iter_first(&sh->tables, 0, U64_MAX); t;
	     t = tnext) {
		tnext = shadow_table_it_iter_next(t, 0, U64_MAX);
		if (t->span >= start && t->span_last <= last) {
			ioasidfd_shadow_table_remove(sh, t);
			ioasidfd_shadow_table_free(sh, t);
		}
	}
	list_for_each_entry_safe(run, tmp, &dead, item) {
		list_del(&run->item);
		ioasidfd_shadow_run_free(sh, run);
	}

	rc = b.err;
	bt.runs = NULL;
	if (!rc && !list_empty(&b.runs))
		rc = ioasidfd_shadow_batch_init(&bt, iopt, NULL);
	if (!rc && bt.runs) {
		/* b.runs is in address order, and so are the maps */
		list_for_each_entry(run, &b.runs, item) {
			push.run = run;
			rc = ioasidfd_shadow_diff_walk(&diff, run->iova,
						       run->last,
						       ioasidfd_shadow_diff_push_fn,
						       &push);
			if (rc)
				break;
		}
		if (!rc)
			rc = ioasidfd_shadow_batch_map(&bt);
	}
	if (rc)
		ioasidfd_shadow_sync_undo(iopt, sh, &b.runs, &diff, &bt);
	list_for_each_entry_safe(run, tmp, &b.runs, item) {
		list_del(&run->item);
		ioasidfd_shadow_insert(iopt, sh, run);
	}
	kvfree(bt.runs);
	kfree(diff.kept);
	ioasidfd_shadow_add_tables(sh, &b.tables);
	sh->stats.runs = sh->nr_runs;
	sh->stats.tables = sh->nr_tables;
	return rc;
}

/**
 * ioasidfd_shadow_replay() - map the whole shadow into a new page table
 * @iopt: the nested IOASID, locked; its parent locked too
 * @sh: its shadow
 * @hwpt: the page table, not on the IOASID's list yet
 *
 * Return: 0, or an error (the caller frees @hwpt).
 */
int ioasidfd_shadow_replay(struct ioasidfd_iopt *iopt,
			   struct ioasidfd_shadow *sh,
			   struct ioasidfd_hwpt *hwpt)
{
	struct ioasidfd_shadow_batch bt;
	struct ioasidfd_shadow_run *run;
	int rc;

	lockdep_assert_held(&iopt->parent->lock);
	if (!sh->nr_runs)
		return 0;
	rc = ioasidfd_shadow_batch_init(&bt, iopt, hwpt);
	if (rc)
		return rc;
	for (run = shadow_run_it_iter_first(&sh->runs, 0, U64_MAX); run;
	     run = shadow_run_it_iter_next(run, 0, U64_MAX)) {
		rc = ioasidfd_shadow_batch_add(&bt, run, run->iova, run->last);
		if (rc)
			break;
		cond_resched();
	}
	if (!rc)
		rc = ioasidfd_shadow_batch_map(&bt);
	kvfree(bt.runs);
	return rc;
}

/**
 * ioasidfd_shadow_check() - does every run fit a device's IOMMU?
 * @sh: the shadow; the parent's lock is held
 * @idev: a device about to share the page tables
 *
 * Return: 0, or -ERANGE if a run lies outside the device's aperture or on
 * one of its reserved regions.
 */
int ioasidfd_shadow_check(struct ioasidfd_shadow *sh,
			  struct ioasidfd_device *idev)
{
	struct ioasidfd_shadow_run *run;
	unsigned int i;

	for (run = shadow_run_it_iter_first(&sh->runs, 0, U64_MAX); run;
	     run = shadow_run_it_iter_next(run, 0, U64_MAX)) {
		if (run->iova < idev->aperture.start ||
		    run->last > idev->aperture.last)
			return -ERANGE;
		for (i = 0; i < idev->nr_resv; i++)
			if (run->iova <= idev->resv[i].last &&
			    run->last >= idev->resv[i].start)
				return -ERANGE;
	}
	return 0;
}

/**
 * ioasidfd_shadow_prepare() - reserve what a stage-2 removal will need
 * @sh: the shadow; the parent's lock is held
 * @start: first guest-physical address to be removed
 * @last: last one
 *
 * A run that the removal cuts keeps its parts outside [@start, @last] as
 * runs of their own: up to two each, allocated here, outside the xlate
 * locks.
 *
 * Return: 0 or -ENOMEM.
 */
int ioasidfd_shadow_prepare(struct ioasidfd_shadow *sh, u64 start, u64 last)
{
	struct ioasidfd_shadow_run *run;
	unsigned int need = 0;

	for (run = shadow_gpa_it_iter_first(&sh->runs_by_gpa, start, last); run;
	     run = shadow_gpa_it_iter_next(run, start, last))
		need += (run->gpa < start) + (run->gpa_last > last);
	while (sh->nr_reserve < need) {
		run = ioasidfd_shadow_run_alloc(sh, GFP_KERNEL);
		if (!run)
			return -ENOMEM;
		list_add(&run->item, &sh->reserve);
		sh->nr_reserve++;
	}
	return 0;
}

/* The part [iova, last] of @run, as a run of its own (from the reserve). */
static void ioasidfd_shadow_keep_part(struct ioasidfd_iopt *iopt,
				      struct ioasidfd_shadow *sh,
				      const struct ioasidfd_shadow_run *run,
				      u64 iova, u64 last)
{
	struct ioasidfd_shadow_run *part = ioasidfd_shadow_run_reserved(sh);

	if (!part) {
		/* Not prepared for (a wipe): unmapped instead of recorded. */
		ioasidfd_shadow_zap(iopt, iova, last - iova + 1);
		sh->stats.skipped_limit += ioasidfd_pages_of(last - iova + 1);
		return;
	}
	part->iova = iova;
	part->last = last;
	part->gpa = run->gpa + (iova - run->iova);
	part->gpa_last = part->gpa + (last - iova);
	part->prot = run->prot;
	ioasidfd_shadow_insert(iopt, sh, part);
}

/* Removes [iova, last] of the runs there; xlate held for writing. */
static void ioasidfd_shadow_cut(struct ioasidfd_iopt *iopt,
				struct ioasidfd_shadow *sh, u64 iova, u64 last,
				struct list_head *dead)
{
	struct ioasidfd_shadow_run *run, *next;
	u64 s, l;

	for (run = shadow_run_it_iter_first(&sh->runs, iova, last); run;
	     run = next) {
		next = shadow_run_it_iter_next(run, iova, last);
		s = max(run->iova, iova);
		l = min(run->last, last);
		ioasidfd_shadow_remove(sh, run);
		ioasidfd_shadow_zap(iopt, s, l - s + 1);
		if (run->iova < s)
			ioasidfd_shadow_keep_part(iopt, sh, run, run->iova, s - 1);
		if (run->last > l)
			ioasidfd_shadow_keep_part(iopt, sh, run, l + 1, run->last);
		list_add_tail(&run->item, dead);
	}
}

/**
 * ioasidfd_shadow_parent_zap() - stage 2 lost [@start, @last]
 * @iopt: the nested IOASID, whose xlate lock is held for writing; its
 *        parent's lock and xlate lock are held
 * @sh: its shadow
 * @start: first guest-physical address removed
 * @last: last one
 *
 * Unmaps every run translating to the range, and everything below a guest
 * table page in the range, from every programmed page table, IOTLBs
 * flushed, before the parent unpins the pages.  Allocates nothing.
 */
void ioasidfd_shadow_parent_zap(struct ioasidfd_iopt *iopt,
				struct ioasidfd_shadow *sh, u64 start, u64 last)
{
	struct ioasidfd_shadow_table *t, *tnext;
	struct ioasidfd_shadow_run *run, *next;
	LIST_HEAD(dead);
	LIST_HEAD(gone);
	u64 s, l;

	lockdep_assert_held_write(&iopt->xlate);
	/* Data pages: the part of each run that lands in the range */
	for (run = shadow_gpa_it_iter_first(&sh->runs_by_gpa, start, last); run;
	     run = next) {
		next = shadow_gpa_it_iter_next(run, start, last);
		s = max(run->gpa, start) - run->gpa + run->iova;
		l = min(run->gpa_last, last) - run->gpa + run->iova;
		ioasidfd_shadow_cut(iopt, sh, s, l, &dead);
	}
	/* Table pages: everything their entries translate */
	for (t = shadow_table_it_iter_first(&sh->tables, start, last); t;
	     t = tnext) {
		tnext = shadow_table_it_iter_next(t, start, last);
		ioasidfd_shadow_cut(iopt, sh, t->span, t->span_last, &dead);
		ioasidfd_shadow_table_remove(sh, t);
		list_add_tail(&t->item, &gone);
	}
	list_for_each_entry_safe(run, next, &dead, item) {
		list_del(&run->item);
		ioasidfd_shadow_run_free(sh, run);
	}
	list_for_each_entry_safe(t, tnext, &gone, item) {
		list_del(&t->item);
		ioasidfd_shadow_table_free(sh, t);
	}
	sh->stats.runs = sh->nr_runs;
	sh->stats.tables = sh->nr_tables;
}

/**
 * ioasidfd_shadow_zap_all() - unmap the whole shadow
 * @iopt: the nested IOASID; its xlate lock is held for writing
 * @sh: its shadow
 *
 * The records stay (a replay of them needs the parent's lock); the caller
 * frees the shadow or syncs it again.
 */
void ioasidfd_shadow_zap_all(struct ioasidfd_iopt *iopt,
			     struct ioasidfd_shadow *sh)
{
	struct ioasidfd_shadow_run *run;

	for (run = shadow_run_it_iter_first(&sh->runs, 0, U64_MAX); run;
	     run = shadow_run_it_iter_next(run, 0, U64_MAX))
		ioasidfd_shadow_zap(iopt, run->iova, run->last - run->iova + 1);
}

/**
 * ioasidfd_shadow_get_stats() - what a shadow holds
 * @sh: the shadow, or NULL; its nested IOASID's lock is held
 * @stats: out
 */
void ioasidfd_shadow_get_stats(struct ioasidfd_shadow *sh,
			       struct ioasidfd_shadow_stats *stats)
{
	if (sh)
		*stats = sh->stats;
	else
		memset(stats, 0, sizeof(*stats));
}
