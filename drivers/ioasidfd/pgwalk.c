// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: the stage-1 page-table walker of nested translation.
 *
 * One walk, driven by a format table (struct ioasidfd_s1_fmt): the format
 * says where an input address goes (which root, or which fault), what an
 * entry is (invalid, table, leaf), what rights the folded entries leave to a
 * request, and which bits an access sets.  The walker does the rest: index
 * arithmetic, reading the entries through stage 2, folding the rights,
 * the atomic accessed/dirty updates.
 *
 * walk_one() walks one address from the root to its leaf or hole.  Both
 * entry points are built on it: ioasidfd_s1_translate() is one walk plus the
 * access check and the updates; ioasidfd_s1_walk_range() repeats it from
 * address to address, each step skipping the whole span the last entry
 * covered.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "pgfmt.h"

/* Walks restarted because an entry changed under an A/D update. */
#define S1_UPDATE_RETRIES	8

/**
 * struct s1_path - entries of one walk, and the table pages read
 * @gpa: address of the entry read at each depth
 * @val: its value
 * @pfn: guest frame of the page cached at each depth (U64_MAX: none)
 * @page: that page, as stage 2 gave it for reading
 *
 * The page cache lets a range walk reuse the table pages of the previous
 * step instead of asking stage 2 again; stage 2 stays stable for the whole
 * walk (the caller's lock).
 */
struct s1_path {
	u64 gpa[IOASIDFD_S1_MAX_LEVELS];
	u64 val[IOASIDFD_S1_MAX_LEVELS];
	u64 pfn[IOASIDFD_S1_MAX_LEVELS];
	struct page *page[IOASIDFD_S1_MAX_LEVELS];
};

/**
 * struct s1_step - the outcome of walk_one()
 * @depth: depth of the last entry read (0: the root table)
 * @base: first input address of the span that entry covers
 * @shift: log2 of that span
 * @pte: the last entry, decoded
 * @allow: the rights folded over the walk
 * @fault: reason, 0 for a valid leaf
 * @stage2: @fault comes from stage 2 reading a table
 */
struct s1_step {
	unsigned int depth;
	u64 base;
	unsigned int shift;
	struct ioasidfd_s1_pte pte;
	u32 allow;
	u32 fault;
	bool stage2;
};

static void s1_path_init(struct s1_path *path)
{
	unsigned int d;

	for (d = 0; d < IOASIDFD_S1_MAX_LEVELS; d++)
		path->pfn[d] = U64_MAX;
}

static unsigned int s1_level(const struct ioasidfd_s1_cfg *cfg,
			     const struct ioasidfd_s1_half *h, unsigned int depth)
{
	return cfg->fmt->levels_descend ? h->first_level - depth :
					  h->first_level + depth;
}

/* Input bits below the span of an entry at @depth */
static unsigned int s1_shift(const struct ioasidfd_s1_half *h,
			     unsigned int depth)
{
	return h->gran_shift + h->stride * (h->levels - 1 - depth);
}

/* Read the little-endian entry at @gpa, through the page cache of @depth. */
static bool s1_read(const struct ioasidfd_s2_walk *s2, struct s1_path *path,
		    unsigned int depth, u64 gpa, u64 *val, u32 *reason)
{
	u64 pfn = gpa >> PAGE_SHIFT;
	__le64 *p;

	if (path->pfn[depth] != pfn) {
		struct page *page;

		page = s2->page(s2->arg, gpa, IOASIDFD_S1_READ, reason);
		if (!page)
			return false;
		path->page[depth] = page;
		path->pfn[depth] = pfn;
	}
	p = kmap_local_page(path->page[depth]);
	*val = le64_to_cpu(READ_ONCE(p[offset_in_page(gpa) / sizeof(*p)]));
	kunmap_local(p);
	return true;
}

/*
 * Walk @ia (untagged) through half @half from the root to the entry that
 * decides it: a leaf, an invalid entry, or a table page stage 2 refuses.
 */
static void walk_one(const struct ioasidfd_s1_cfg *cfg,
		     const struct ioasidfd_s2_walk *s2, unsigned int half,
		     u64 ia, struct s1_path *path, struct s1_step *st)
{
	const struct ioasidfd_s1_half *h = &cfg->half[half];
	unsigned int root_bits = h->ia_bits - s1_shift(h, 0);
	u64 table = cfg->root[half];
	unsigned int d;

	st->allow = IOASIDFD_S1_ALLOW_ALL;
	st->stage2 = false;
	for (d = 0; d < h->levels; d++) {
		unsigned int shift = s1_shift(h, d);
		unsigned int bits = d ? h->stride : root_bits;
		u64 idx = (ia >> shift) & (BIT_ULL(bits) - 1);
		bool last = d == h->levels - 1;
		u64 gpa = table + idx * sizeof(u64);
		u32 reason = 0;
		u64 val;

		st->depth = d;
		st->shift = shift;
		st->base = ia & ~(BIT_ULL(shift) - 1);
		path->gpa[d] = gpa;
		if (!s1_read(s2, path, d, gpa, &val, &reason)) {
			/*
			 * Stage 2 refused the table page: a table-walk fault
			 * for every entry of the table in that page (tables
			 * are aligned to their size, or to a page)
			 */
			st->shift = shift + min(bits, PAGE_SHIFT - 3);
			st->base = ia & ~(BIT_ULL(st->shift) - 1);
			st->pte.kind = IOASIDFD_PTE_INVALID;
			st->fault = reason ? reason : IOASIDFD_F_UNMAPPED;
			st->stage2 = true;
			return;
		}
		path->val[d] = val;
		memset(&st->pte, 0, sizeof(st->pte));
		cfg->fmt->decode(cfg, h, s1_level(cfg, h, d), last, val,
				 &st->pte);
		/* A format never points below its last level; be safe anyway */
		if (st->pte.kind == IOASIDFD_PTE_TABLE && last) {
			st->pte.kind = IOASIDFD_PTE_INVALID;
			st->pte.fault = IOASIDFD_F_UNMAPPED;
		}
		if (st->pte.kind == IOASIDFD_PTE_INVALID) {
			st->fault = st->pte.fault ? st->pte.fault :
						    IOASIDFD_F_UNMAPPED;
			return;
		}
		st->allow &= st->pte.allow;
		if (st->pte.kind == IOASIDFD_PTE_LEAF) {
			st->fault = st->pte.fault;
			return;
		}
		table = st->pte.addr;
	}
}

static void s1_fault(const struct ioasidfd_s1_cfg *cfg,
		     const struct ioasidfd_s1_half *h, const struct s1_step *st,
		     u64 iova, struct ioasidfd_s1_fault *fault, u64 gpa)
{
	memset(fault, 0, sizeof(*fault));
	fault->reason = st->fault;
	fault->addr = iova;
	fault->level = s1_level(cfg, h, st->depth);
	if (st->stage2) {
		fault->stage = 2;
		fault->table_walk = true;
		fault->cls = IOASIDFD_FCLS_TT;
		fault->gpa = gpa;
		fault->record = !(cfg->flags & IOASIDFD_S1_CFG_NOREC_S2);
	} else {
		fault->stage = 1;
		fault->cls = IOASIDFD_FCLS_IN;
		fault->record = !(cfg->flags & IOASIDFD_S1_CFG_NOREC_S1);
	}
}

/* A fault of the input address itself: before any table. */
static void s1_input_fault(const struct ioasidfd_s1_cfg *cfg, u32 reason,
			   u64 iova, struct ioasidfd_s1_fault *fault)
{
	memset(fault, 0, sizeof(*fault));
	fault->reason = reason;
	fault->stage = 1;
	fault->addr = iova;
	fault->cls = IOASIDFD_FCLS_IN;
	fault->record = !(cfg->flags & IOASIDFD_S1_CFG_NOREC_S1);
}

static void s1_fill_leaf(const struct ioasidfd_s1_cfg *cfg,
			 const struct ioasidfd_s1_half *h,
			 const struct s1_path *path, const struct s1_step *st,
			 u32 access, struct ioasidfd_s1_leaf *leaf)
{
	const struct ioasidfd_s1_fmt *fmt = cfg->fmt;
	u64 pte = path->val[st->depth];
	unsigned int d;

	leaf->iova = st->base;
	leaf->size = BIT_ULL(st->shift);
	leaf->oa = st->pte.addr;
	leaf->perm = fmt->rights(cfg, st->allow, access);
	leaf->global = st->pte.global;
	leaf->level = s1_level(cfg, h, st->depth);
	leaf->flags = 0;
	/* What a read would set anywhere on the walk, what a write adds */
	for (d = 0; d <= st->depth; d++)
		if (fmt->update(cfg, path->val[d], d == st->depth,
				IOASIDFD_S1_READ) != path->val[d])
			leaf->flags |= IOASIDFD_S1_LEAF_UNACCESSED;
	if (fmt->update(cfg, pte, true, IOASIDFD_S1_WRITE) !=
	    fmt->update(cfg, pte, true, IOASIDFD_S1_READ))
		leaf->flags |= IOASIDFD_S1_LEAF_CLEAN;
}

/*
 * Set the bits the format wants in entry @depth of the walk: 0, -EAGAIN if
 * the entry is no longer what the walk read, or -EFAULT if stage 2 does not
 * let the table page be written.
 */
static int s1_update(const struct ioasidfd_s1_cfg *cfg,
		     const struct ioasidfd_s2_walk *s2,
		     const struct s1_path *path, unsigned int depth, bool leaf,
		     u32 access, u32 *reason)
{
	u64 old = path->val[depth];
	u64 new = cfg->fmt->update(cfg, old, leaf, access);
	u64 gpa = path->gpa[depth];
	struct page *page;
	u64 expect;
	void *kaddr;
	bool done;

	if (new == old)
		return 0;
	/* VT-d 5.10 §3.8, SMMUv3 §3.13.5: the update is a stage-2 write */
	page = s2->page(s2->arg, gpa, IOASIDFD_S1_READ | IOASIDFD_S1_WRITE,
			reason);
	if (!page) {
		if (!*reason)
			*reason = IOASIDFD_F_PERMISSION;
		return -EFAULT;
	}
	/* The entry is little endian: compare and exchange its raw bits */
	kaddr = kmap_local_page(page);
	expect = (__force u64)cpu_to_le64(old);
	done = try_cmpxchg64((u64 *)(kaddr + offset_in_page(gpa)), &expect,
			     (__force u64)cpu_to_le64(new));
	kunmap_local(kaddr);
	return done ? 0 : -EAGAIN;
}

int ioasidfd_s1_translate(const struct ioasidfd_s1_cfg *cfg,
			  const struct ioasidfd_s2_walk *s2, u64 iova, u32 access,
			  struct ioasidfd_s1_leaf *leaf,
			  struct ioasidfd_s1_fault *fault)
{
	const struct ioasidfd_s1_fmt *fmt = cfg->fmt;
	const struct ioasidfd_s1_half *h;
	unsigned int tries = 0, d;
	struct ioasidfd_s1_in in;
	struct s1_path path;
	struct s1_step st;
	u32 need, reason;
	u64 ia;
	int rc;

	memset(leaf, 0, sizeof(*leaf));
	ia = fmt->untag ? fmt->untag(cfg, iova) : iova;
	reason = fmt->input(cfg, ia, access, &in);
	if (reason) {
		s1_input_fault(cfg, reason, iova, fault);
		return -EFAULT;
	}
	h = &cfg->half[in.half];
	need = access & (IOASIDFD_S1_READ | IOASIDFD_S1_WRITE);
again:
	s1_path_init(&path);
	walk_one(cfg, s2, in.half, ia, &path, &st);
	if (!st.fault && (need & ~fmt->rights(cfg, st.allow, access)))
		st.fault = IOASIDFD_F_PERMISSION;	/* reported at the leaf */
	if (st.fault) {
		s1_fault(cfg, h, &st, iova, fault, path.gpa[st.depth]);
		return -EFAULT;
	}
	/* Allowed: now the accessed/dirty state, root first */
	for (d = 0; d <= st.depth; d++) {
		reason = 0;
		rc = s1_update(cfg, s2, &path, d, d == st.depth, access,
			       &reason);
		if (rc == -EAGAIN) {
			if (++tries < S1_UPDATE_RETRIES)
				goto again;
			return -EAGAIN;
		}
		if (rc) {
			st.depth = d;
			st.fault = reason;
			st.stage2 = true;
			s1_fault(cfg, h, &st, iova, fault, path.gpa[d]);
			return -EFAULT;
		}
	}
	s1_fill_leaf(cfg, h, &path, &st, access, leaf);
	/* The entries now hold what this access set */
	leaf->flags &= ~IOASIDFD_S1_LEAF_UNACCESSED;
	if (access & IOASIDFD_S1_WRITE)
		leaf->flags &= ~IOASIDFD_S1_LEAF_CLEAN;
	return 0;
}

/*
 * Reports the table pages of the walk that were not reported at this depth
 * yet (struct ioasidfd_s1_visit::table): the page of entries read at each
 * depth, with the input span its entries translate.
 */
static int s1_report_tables(const struct ioasidfd_s1_cfg *cfg,
			    const struct ioasidfd_s1_half *h,
			    const struct s1_path *path, unsigned int read,
			    u64 ia, u64 *reported,
			    const struct ioasidfd_s1_visit *visit, void *arg)
{
	unsigned int root_bits = h->ia_bits - s1_shift(h, 0);
	unsigned int d, bits, span_shift;
	u64 page, span;
	int rc;

	for (d = 0; d < read && d < IOASIDFD_S1_MAX_LEVELS; d++) {
		page = path->gpa[d] & PAGE_MASK;
		if (reported[d] == page)
			continue;
		reported[d] = page;
		/* Deeper pages belong to this one: report them again */
		if (d + 1 < IOASIDFD_S1_MAX_LEVELS)
			reported[d + 1] = U64_MAX;
		bits = d ? h->stride : root_bits;
		span_shift = s1_shift(h, d) + min(bits, PAGE_SHIFT - 3);
		span = span_shift >= 64 ? 0 : ia & ~(BIT_ULL(span_shift) - 1);
		rc = visit->table(arg, page, span,
				  span_shift >= 64 ? U64_MAX :
				  span + (BIT_ULL(span_shift) - 1),
				  s1_level(cfg, h, d));
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * IOASIDFD_WALK_SET_AD: the accessed state of a read in every entry of the
 * walk, the dirty state of a write in a leaf that grants writes.  0, -EAGAIN
 * when an entry changed under the update, -EFAULT with @st made a stage-2
 * fault when stage 2 refused the write.
 */
static int s1_walk_set_ad(const struct ioasidfd_s1_cfg *cfg,
			  const struct ioasidfd_s2_walk *s2,
			  const struct s1_path *path, struct s1_step *st,
			  u32 access)
{
	u32 rights = cfg->fmt->rights(cfg, st->allow, access);
	u32 acc = access | IOASIDFD_S1_READ, reason;
	unsigned int d;
	int rc;

	/* Only what an allowed access would set */
	if (!(rights & IOASIDFD_S1_READ))
		return 0;
	if (rights & IOASIDFD_S1_WRITE)
		acc |= IOASIDFD_S1_WRITE;
	for (d = 0; d <= st->depth; d++) {
		reason = 0;
		rc = s1_update(cfg, s2, path, d, d == st->depth, acc, &reason);
		if (rc == -EFAULT) {
			st->depth = d;
			st->fault = reason;
			st->stage2 = true;
		}
		if (rc)
			return rc;
	}
	return 0;
}

int ioasidfd_s1_walk_range_ex(const struct ioasidfd_s1_cfg *cfg,
			      const struct ioasidfd_s2_walk *s2, u64 start,
			      u64 last, u32 access,
			      const struct ioasidfd_s1_visit *visit, void *arg)
{
	const struct ioasidfd_s1_fmt *fmt = cfg->fmt;
	u64 reported[IOASIDFD_S1_MAX_LEVELS];
	struct ioasidfd_s1_fault fault;
	struct ioasidfd_s1_leaf leaf;
	struct ioasidfd_s1_in in;
	struct s1_path path;
	unsigned int tries, read;
	struct s1_step st;
	u64 addr = start;
	u32 reason;
	int rc;

	if (start > last)
		return 0;
	access &= IOASIDFD_S1_PRIV;
	s1_path_init(&path);
	memset(reported, 0xff, sizeof(reported));
	for (;;) {
		u64 hi;

		reason = fmt->input(cfg, addr, access, &in);
		hi = min(in.hi, last);
		if (reason) {
			/* A whole input region faults: one span */
			memset(&leaf, 0, sizeof(leaf));
			leaf.iova = addr;
			leaf.size = hi - addr + 1;	/* 0: all of 2^64 */
			s1_input_fault(cfg, reason, addr, &fault);
			rc = visit->leaf(arg, &leaf, &fault);
			if (rc)
				return rc;
		} else {
			const struct ioasidfd_s1_half *h = &cfg->half[in.half];

			memset(reported, 0xff, sizeof(reported));
			for (;;) {
				u64 end;

				tries = 0;
again:
				walk_one(cfg, s2, in.half, addr, &path, &st);
				/* Table pages read: all but one stage 2 refused */
				read = st.stage2 ? st.depth : st.depth + 1;
				if (!st.fault && (visit->flags & IOASIDFD_WALK_SET_AD)) {
					rc = s1_walk_set_ad(cfg, s2, &path, &st,
							    access);
					/* The guest rewrote an entry: read it again */
					if (rc == -EAGAIN &&
					    ++tries < S1_UPDATE_RETRIES) {
						s1_path_init(&path);
						goto again;
					}
					if (rc == -EAGAIN)
						st.fault = IOASIDFD_F_UNMAPPED;
				}
				if (visit->table) {
					rc = s1_report_tables(cfg, h, &path, read,
							      addr, reported,
							      visit, arg);
					if (rc)
						return rc;
				}
				memset(&leaf, 0, sizeof(leaf));
				if (!st.fault) {
					s1_fill_leaf(cfg, h, &path, &st, access,
						     &leaf);
					rc = visit->leaf(arg, &leaf, NULL);
				} else {
					s1_fault(cfg, h, &st, addr, &fault,
						 path.gpa[st.depth]);
					leaf.iova = st.base;
					leaf.size = BIT_ULL(st.shift);
					if (st.pte.kind == IOASIDFD_PTE_LEAF) {
						/* A leaf every access faults on */
						leaf.oa = st.pte.addr;
						leaf.global = st.pte.global;
						leaf.level = fault.level;
					}
					rc = visit->leaf(arg, &leaf, &fault);
				}
				if (rc)
					return rc;
				end = st.base + BIT_ULL(st.shift) - 1;
				if (end >= hi)
					break;
				addr = end + 1;
			}
		}
		if (hi == last)
			return 0;
		addr = hi + 1;
	}
}

int ioasidfd_s1_walk_range(const struct ioasidfd_s1_cfg *cfg,
			   const struct ioasidfd_s2_walk *s2, u64 start, u64 last,
			   u32 access, ioasidfd_s1_leaf_fn fn, void *arg)
{
	const struct ioasidfd_s1_visit visit = { .leaf = fn };

	return ioasidfd_s1_walk_range_ex(cfg, s2, start, last, access, &visit,
					 arg);
}

bool ioasidfd_s1_regions(u64 addr, unsigned int lo_bits, unsigned int hi_bits,
			 struct ioasidfd_s1_in *in)
{
	u64 lo_end = BIT_ULL(lo_bits) - 1;
	u64 hi_start = -BIT_ULL(hi_bits);

	if (addr <= lo_end) {
		in->half = 0;
		in->lo = 0;
		in->hi = lo_end;
		return true;
	}
	if (addr >= hi_start) {
		in->half = 1;
		in->lo = hi_start;
		in->hi = U64_MAX;
		return true;
	}
	in->half = 0;
	in->lo = lo_end + 1;
	in->hi = hi_start - 1;
	return false;
}

bool ioasidfd_inv_matches(const struct ioasidfd_inv *inv, u32 pasid, u32 tag,
			  bool global, u64 iova, u64 size)
{
	bool tag_ok;

	if ((inv->flags & IOASIDFD_INV_MATCH_PASID) && pasid != inv->pasid)
		return false;
	if (inv->flags & IOASIDFD_INV_ALL_TAGS)
		tag_ok = true;
	else if (inv->flags & IOASIDFD_INV_MATCH_TAG)
		tag_ok = tag == inv->tag ||
			 (global && (inv->flags & IOASIDFD_INV_INCLUDE_GLOBAL));
	else
		tag_ok = true;

	switch (inv->op) {
	case IOASIDFD_INV_S1_ALL:
		return true;
	case IOASIDFD_INV_S1_TAG:
		/* SMMUv3 §4.4.2.2: by ASID, non-global entries only */
		return !global && tag == inv->tag;
	case IOASIDFD_INV_S1_PASID:
		return tag_ok;
	case IOASIDFD_INV_S1_RANGE:
		/* Overlap of [iova, iova + size - 1] and [start, last] */
		return tag_ok && size && iova <= inv->last &&
		       inv->start <= iova + (size - 1);
	default:
		return false;
	}
}

bool ioasidfd_inv_matches_ctx(const struct ioasidfd_inv *inv, u32 pasid,
			      u32 tag)
{
	if (inv->op != IOASIDFD_INV_CTX && inv->op != IOASIDFD_INV_CTX_ALL)
		return false;
	if ((inv->flags & IOASIDFD_INV_MATCH_TAG) && tag != inv->tag)
		return false;
	if ((inv->flags & IOASIDFD_INV_MATCH_PASID) && pasid != inv->pasid)
		return false;
	return true;
}
