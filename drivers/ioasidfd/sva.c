// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: the process address space translation source (IOASID_MODE_SVA).
 *
 * An SVA IOASID translates device addresses as a process's mm translates
 * its virtual addresses.  The binding holds the mm (mmgrab(), not the
 * task): when the process exits or execs, its mm's mappings go, and so does
 * everything devices could reach through them.
 *
 * Whose mm: the caller's own, or the mm of an fd of /proc/PID/mem the
 * caller opened for writing.  Linux 6.1 exports neither ptrace_may_access()
 * nor mm_access(), and redoing their credential rules here would skip the
 * LSMs (Yama, SELinux).  Opening /proc/PID/mem runs the kernel's own check,
 * mm_access(task, PTRACE_MODE_ATTACH | PTRACE_MODE_FSCREDS), LSMs included,
 * and the open file holds the mm it checked: the module takes the mm from
 * such a file, which it recognises by its file operations (learnt by
 * opening /proc/self/mem once at load).  Requiring write access makes the
 * intent explicit; the check itself is the same for reads.
 *
 * Two executors:
 *
 *   walking (software IOMMU)   each access faults its page in with
 *       get_user_pages_remote() — missing pages populated, copy-on-write
 *       broken for writes, VMA rights, mlock and userfaultfd honoured, as
 *       the CPU would — and copies while holding the mm's mmap lock for
 *       reading, so munmap, mprotect, mremap and fork, which take it for
 *       writing, wait for the access: a device never writes a page the
 *       process stopped mapping there before the write;
 *   programmed (kernel IOMMU API)   the mm is mirrored at IOVA = VA into the
 *       IOASID's domains by IOASID_SVA_PREFAULT (hmm_range_fault()), and an
 *       mmu_interval_notifier over the whole address space unmaps, IOTLB
 *       flushed, before the CPU's mapping changes.  Mirrored pages are not
 *       pinned: invalidated pages need another prefault.
 *
 * Locking: the mirror's record of what is mapped (@mirror, @huge) changes
 * under the IOASID's xlate lock held for writing — the lock the notifier
 * takes, under which nothing sleeps or allocates with reclaim (maps are
 * atomic).  Prefault faults pages in with no ioasidfd lock held, then maps
 * under xlate if the notifier's sequence says nothing changed meanwhile.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/hmm.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sizes.h>

#include "ioasidfd_private.h"
#include "inject.h"

const struct ioasidfd_source_ops ioasidfd_sva_source;

/* Pages faulted in and mirrored per round of a prefault. */
#define IOASIDFD_SVA_BATCH	512UL

/* Mirror records: the pfn and the rights of a mirrored page. */
#define IOASIDFD_SVA_W		BIT(0)
#define IOASIDFD_SVA_SHIFT	1

/* The file operations of /proc/PID/mem, learnt at module load. */
static const struct file_operations *ioasidfd_proc_mem_fops;

/**
 * struct ioasidfd_sva - the state of an SVA source
 * @iopt: the IOASID's translation
 * @mm: the process address space; mmgrab()ed
 * @notifier: over the whole address space, while @notified
 * @notified: the notifier is registered (a programmed page table exists)
 * @dead: unbound or destroyed: nothing translates
 * @mirror: VA page -> xa_mk_value(pfn << 1 | IOASIDFD_SVA_W) of the pages
 *          mirrored into the programmed page tables
 * @huge: 2 MiB block index -> xa_mk_value(1) for blocks mirrored whole in
 *        one map call: the IOMMU may hold them as one 2 MiB page, so they
 *        are unmapped whole
 * @faults: pages the walking executor faulted in
 * @nr_mirrored: entries of @mirror, for fdinfo
 * @rcu: freed after a grace period: fdinfo reads the counts
 *
 * @dead, @mirror and @huge change under the xlate lock held for writing.
 */
struct ioasidfd_sva {
	struct ioasidfd_iopt *iopt;
	struct mm_struct *mm;
	struct mmu_interval_notifier notifier;
	bool notified;
	bool dead;
	struct xarray mirror;
	struct xarray huge;
	atomic64_t faults;
	atomic_long_t nr_mirrored;
	struct rcu_head rcu;
};

/* The page frame of an hmm_range_fault() result (6.1 has no helper). */
static unsigned long ioasidfd_hmm_pfn(unsigned long hmm_pfn)
{
	return hmm_pfn & ~HMM_PFN_FLAGS;
}

static struct ioasidfd_sva *ioasidfd_sva(struct ioasidfd_iopt *iopt)
{
	return iopt && iopt->src == &ioasidfd_sva_source ? iopt->src_priv : NULL;
}

/* Unmaps [first, first + n) pages of the mirror; xlate held for writing. */
static void ioasidfd_sva_unmap_run(struct ioasidfd_sva *sva, unsigned long first,
				   unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		xa_erase(&sva->mirror, first + i);
	atomic_long_sub(n, &sva->nr_mirrored);
	ioasidfd_iopt_zap(sva->iopt, first << PAGE_SHIFT, n << PAGE_SHIFT);
}

/*
 * Removes the mirror of VA pages [first, last]: whole 2 MiB blocks where
 * they may be held as one IOMMU page; runs of mirrored pages unmapped one
 * run at a time.  The xlate lock is held for writing.
 */
static void ioasidfd_sva_zap(struct ioasidfd_sva *sva, unsigned long first,
			     unsigned long last)
{
	const unsigned long per = SZ_2M >> PAGE_SHIFT;
	unsigned long index, run = 0, start = 0;
	void *entry;

	lockdep_assert_held_write(&sva->iopt->xlate);
	if (!xa_empty(&sva->huge)) {
		xa_for_each_range(&sva->huge, index, entry, first / per,
				  last / per) {
			first = min(first, index * per);
			last = max(last, index * per + per - 1);
			xa_erase(&sva->huge, index);
		}
	}
	xa_for_each_range(&sva->mirror, index, entry, first, last) {
		if (run && index == start + run) {
			run++;
			continue;
		}
		if (run)
			ioasidfd_sva_unmap_run(sva, start, run);
		start = index;
		run = 1;
	}
	if (run)
		ioasidfd_sva_unmap_run(sva, start, run);
}

/*
 * The MMU notifier: before the CPU's mapping of [start, end) changes, the
 * devices lose theirs.  May not sleep when the range is not blockable.
 */
static bool ioasidfd_sva_invalidate(struct mmu_interval_notifier *mni,
				    const struct mmu_notifier_range *range,
				    unsigned long cur_seq)
{
	struct ioasidfd_sva *sva = container_of(mni, struct ioasidfd_sva,
						notifier);
	struct ioasidfd_iopt *iopt = sva->iopt;

	if (mmu_notifier_range_blockable(range))
		down_write(&iopt->xlate);
	else if (!down_write_trylock(&iopt->xlate))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	ioasidfd_sva_zap(sva, range->start >> PAGE_SHIFT,
			 (range->end - 1) >> PAGE_SHIFT);
	up_write(&iopt->xlate);
	return true;
}

static const struct mmu_interval_notifier_ops ioasidfd_sva_mni_ops = {
	.invalidate = ioasidfd_sva_invalidate,
};

/* The notifier, for the mirror: registered at the first programmed table. */
static int ioasidfd_sva_notify(struct ioasidfd_sva *sva)
{
	int rc;

	if (sva->notified)
		return 0;
	if (!mmget_not_zero(sva->mm))
		return -ESRCH;
	rc = mmu_interval_notifier_insert(&sva->notifier, sva->mm, 0,
					  TASK_SIZE, &ioasidfd_sva_mni_ops);
	ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, !rc,
			     mmu_interval_notifier_remove(&sva->notifier); rc = -ENOMEM);
	mmput(sva->mm);
	if (!rc)
		sva->notified = true;
	return rc;
}

/*
 * A new programmed page table: it mirrors what is mirrored already.  Runs
 * under the xlate lock (replay_xlate), so no invalidation passes it by.
 */
static int ioasidfd_sva_replay(struct ioasidfd_iopt *iopt,
			       struct ioasidfd_hwpt *hwpt,
			       struct ioasidfd_device *idev)
{
	struct ioasidfd_sva *sva = iopt->src_priv;
	struct ioasidfd_pfn_run run;
	unsigned long index;
	void *entry;
	int rc;

	lockdep_assert_held_write(&iopt->xlate);
	xa_for_each(&sva->mirror, index, entry) {
		unsigned long v = xa_to_value(entry);

		run.pfn = v >> IOASIDFD_SVA_SHIFT;
		run.npages = 1;
		rc = ioasidfd_iopt_push_runs_atomic(iopt, index << PAGE_SHIFT,
						    &run, 1,
						    IOMMU_READ |
						    (v & IOASIDFD_SVA_W ?
						     IOMMU_WRITE : 0), hwpt);
		if (rc)
			return rc;
	}
	return 0;
}

/* The first programmed page table needs the notifier before it is filled. */
static int ioasidfd_sva_check_attach(struct ioasidfd_iopt *iopt,
				     struct ioasidfd_device *idev,
				     u32 wire_pasid)
{
	struct ioasidfd_sva *sva = iopt->src_priv;

	if (idev->exec->walks)
		return 0;
	/* mmu_interval_notifier_insert() may sleep and allocate: no xlate */
	return ioasidfd_sva_notify(sva);
}

/*
 * The walking executor's access: fault the page in as the CPU would, and
 * copy while the mmap lock keeps the process's mapping of it in place.
 */
static bool ioasidfd_sva_access(struct ioasidfd_iopt *iopt,
				struct ioasidfd_access *acc)
{
	struct ioasidfd_sva *sva = iopt->src_priv;
	bool write = acc->rights & IOASIDFD_ACC_WRITE;
	struct mm_struct *mm = sva->mm;
	struct vm_area_struct *vma;
	struct page *page = NULL;
	int locked = 0, tries;
	bool done = false, faulted = false;
	void *va;
	long rc = 0;

	memset(&acc->fault, 0, sizeof(acc->fault));
	acc->fault.reason = IOASID_FAULT_REASON_UNMAPPED;
	if (READ_ONCE(sva->dead) || !mmget_not_zero(mm))
		return false;
	for (tries = 0; tries < 3; tries++) {
		locked = 1;
		mmap_read_lock(mm);
		/* Present with the right: no fault to count */
		rc = get_user_pages_remote(mm, acc->iova & PAGE_MASK, 1,
					   FOLL_NOFAULT | (write ? FOLL_WRITE : 0),
					   &page, NULL, &locked);
		if (rc == 1 && locked)
			break;
		faulted = true;
		rc = get_user_pages_remote(mm, acc->iova & PAGE_MASK, 1,
					   write ? FOLL_WRITE : 0, &page, NULL,
					   &locked);
		ioasidfd_inject_undo(IOASIDFD_INJ_PIN, locked && rc == 1,
				     put_page(page); page = NULL; rc = -ENOMEM);
		if (locked)
			break;
		/* The fault dropped the lock: the page may be stale, again */
		if (rc == 1)
			put_page(page);
		page = NULL;
		rc = -EAGAIN;
	}
	if (rc == 1) {
		if (faulted)
			atomic64_inc(&sva->faults);
		down_read(&iopt->xlate);
		if (!sva->dead) {
			va = kmap_local_page(page);
			if (write)
				memcpy(va + offset_in_page(acc->iova), acc->buf,
				       acc->len);
			else
				memcpy(acc->buf, va + offset_in_page(acc->iova),
				       acc->len);
			kunmap_local(va);
			done = true;
		}
		up_read(&iopt->xlate);
	} else if (locked && rc == -EFAULT) {
		vma = vma_lookup(mm, acc->iova);
		/* Mapped there, but not with that right */
		if (vma)
			acc->fault.reason = IOASID_FAULT_REASON_PERMISSION;
	} else if (locked) {
		/* The process's mapping allows it: the kernel could not (memory) */
		acc->fault.reason = IOASID_FAULT_REASON_OTHER;
	}
	if (locked)
		mmap_read_unlock(mm);
	if (page)
		put_page(page);
	mmput(mm);
	return done;
}

/* Nothing translates any more; the mirror goes.  The iopt lock is held. */
static void ioasidfd_sva_wipe(struct ioasidfd_iopt *iopt)
{
	struct ioasidfd_sva *sva = iopt->src_priv;

	lockdep_assert_held(&iopt->lock);
	down_write(&iopt->xlate);
	WRITE_ONCE(sva->dead, true);
	ioasidfd_sva_zap(sva, 0, ULONG_MAX >> PAGE_SHIFT);
	up_write(&iopt->xlate);
	/* Waits for an invalidation in flight; takes no ioasidfd lock itself */
	if (sva->notified) {
		mmu_interval_notifier_remove(&sva->notifier);
		sva->notified = false;
	}
}

static void ioasidfd_sva_release(struct ioasidfd_iopt *iopt)
{
	struct ioasidfd_sva *sva = iopt->src_priv;

	WARN_ON(!sva->dead || sva->notified);
	xa_destroy(&sva->mirror);
	xa_destroy(&sva->huge);
	mmdrop(sva->mm);
	WRITE_ONCE(iopt->src_priv, NULL);
	kfree_rcu(sva, rcu);
}

static void ioasidfd_sva_info(struct ioasidfd_iopt *iopt,
			      struct ioasid_info_cap_ioas *info)
{
	struct ioasidfd_sva *sva = iopt->src_priv;

	info->mapped_bytes = (u64)atomic_long_read(&sva->nr_mirrored) <<
			     PAGE_SHIFT;
}

static void ioasidfd_sva_fdinfo(struct ioasidfd_iopt *iopt, struct seq_file *m)
{
	struct ioasidfd_sva *sva = READ_ONCE(iopt->src_priv);

	if (sva)
		seq_printf(m, " mirrored_pages:%ld page_faults:%lld",
			   atomic_long_read(&sva->nr_mirrored),
			   atomic64_read(&sva->faults));
}

const struct ioasidfd_source_ops ioasidfd_sva_source = {
	.mode = IOASID_MODE_SVA,
	.replay = ioasidfd_sva_replay,
	.replay_xlate = true,
	.check_attach = ioasidfd_sva_check_attach,
	.access = ioasidfd_sva_access,
	.wipe = ioasidfd_sva_wipe,
	.release = ioasidfd_sva_release,
	.info = ioasidfd_sva_info,
	.fdinfo = ioasidfd_sva_fdinfo,
};

/*
 * Records pages [first, first + n) of a run as mirrored; on failure nothing
 * of it stays recorded.  The xlate lock is held for writing.
 */
static int ioasidfd_sva_record(struct ioasidfd_sva *sva, unsigned long first,
			       unsigned long n, unsigned long pfn, bool w)
{
	const unsigned long per = SZ_2M >> PAGE_SHIFT;
	unsigned long i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++)
		rc = xa_err(xa_store(&sva->mirror, first + i,
				     xa_mk_value((pfn + i) << IOASIDFD_SVA_SHIFT |
						 (w ? IOASIDFD_SVA_W : 0)),
				     GFP_ATOMIC | __GFP_ACCOUNT));
	/* (A failure here is the last store's: the unwind below erases all.) */
	ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, !rc, rc = -ENOMEM);
	/* A whole block in one map: the IOMMU may hold it as one page */
	if (!rc && n == per)
		rc = xa_err(xa_store(&sva->huge, first / per, xa_mk_value(1),
				     GFP_ATOMIC | __GFP_ACCOUNT));
	ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, !rc && n == per,
			     xa_erase(&sva->huge, first / per); rc = -ENOMEM);
	if (rc)
		while (i--)
			xa_erase(&sva->mirror, first + i);
	else
		atomic_long_add(n, &sva->nr_mirrored);
	return rc;
}

/*
 * Mirrors @n pages from page index @first, page frames from @pfn on, with
 * write access if @w; xlate held for writing.
 */
static int ioasidfd_sva_mirror_run(struct ioasidfd_sva *sva,
				   unsigned long first, unsigned long n,
				   unsigned long pfn, bool w, u64 *mapped)
{
	struct ioasidfd_iopt *iopt = sva->iopt;
	u64 at = (u64)first << PAGE_SHIFT, len = (u64)n << PAGE_SHIFT;
	struct ioasidfd_pfn_run run;
	void *old;
	int rc;

	/* Already mirrored the same way (one page): nothing to do */
	old = xa_load(&sva->mirror, first);
	if (old && n == 1 &&
	    xa_to_value(old) == (pfn << IOASIDFD_SVA_SHIFT |
				 (w ? IOASIDFD_SVA_W : 0))) {
		*mapped += len;
		return 0;
	}
	ioasidfd_sva_zap(sva, first, first + n - 1);
	run.pfn = pfn;
	run.npages = n;
	rc = ioasidfd_iopt_push_runs_atomic(iopt, at, &run, 1,
					    IOMMU_READ | (w ? IOMMU_WRITE : 0),
					    NULL);
	if (rc)
		return rc;
	rc = ioasidfd_sva_record(sva, first, n, pfn, w);
	if (rc) {
		/* Unrecorded is unmapped */
		ioasidfd_iopt_zap(iopt, at, len);
		return rc;
	}
	*mapped += len;
	return 0;
}

/*
 * Maps the faulted-in batch [va, va + n pages) into the programmed page
 * tables, unless the mm changed since @seq (then -EAGAIN: fault again).
 * The parts outside the usable IOVA ranges are skipped.  The xlate lock
 * is taken for writing: the notifier's lock.
 */
static int ioasidfd_sva_mirror(struct ioasidfd_sva *sva, unsigned long va,
			       const unsigned long *pfns, unsigned long n,
			       unsigned long seq,
			       const struct ioasidfd_ranges *usable,
			       u64 *mapped, u64 *skipped)
{
	const unsigned long per = SZ_2M >> PAGE_SHIFT;
	struct ioasidfd_iopt *iopt = sva->iopt;
	unsigned long i, j, first = va >> PAGE_SHIFT;
	unsigned int r;
	int rc = 0;

	down_write(&iopt->xlate);
	if (sva->dead) {
		up_write(&iopt->xlate);
		return -ESRCH;
	}
	if (mmu_interval_read_retry(&sva->notifier, seq)) {
		up_write(&iopt->xlate);
		return -EAGAIN;
	}
	for (i = 0; i < n && !rc; i = j) {
		unsigned long pfn = ioasidfd_hmm_pfn(pfns[i]);
		bool w = pfns[i] & HMM_PFN_WRITE;
		u64 at = (u64)(first + i) << PAGE_SHIFT, last, covered = 0;
		u64 s, l;

		/* A run: contiguous, same rights, within one 2 MiB block */
		for (j = i + 1; j < n; j++)
			if (ioasidfd_hmm_pfn(pfns[j]) != pfn + (j - i) ||
			    !!(pfns[j] & HMM_PFN_WRITE) != w ||
			    !((first + j) % per))
				break;
		last = at + ((u64)(j - i) << PAGE_SHIFT) - 1;
		/* Each part inside a usable range, whole pages */
		for (r = 0; r < usable->nr && !rc; r++) {
			s = max(at, usable->r[r].start);
			l = min(last, usable->r[r].last);
			if (s > l)
				continue;
			s = ALIGN(s, PAGE_SIZE);
			l = ALIGN_DOWN(l + 1, PAGE_SIZE);
			if (s >= l)
				continue;
			rc = ioasidfd_sva_mirror_run(sva, s >> PAGE_SHIFT,
						     (l - s) >> PAGE_SHIFT,
						     pfn + ((s - at) >> PAGE_SHIFT),
						     w, mapped);
			covered += l - s;
		}
		if (!rc)
			*skipped += last - at + 1 - covered;
	}
	up_write(&iopt->xlate);
	return rc;
}

/**
 * ioasidfd_sva_prefault() - fault a range in and mirror it
 * @ioas: an SVA IOASID, referenced by the caller
 * @va: first virtual address, page aligned
 * @length: bytes, page aligned, not 0
 * @write: fault in for writing
 * @mapped: returns the bytes mirrored into the programmed page tables
 * @skipped: returns the bytes outside the usable IOVA ranges
 *
 * Return: 0; -EFAULT if a page cannot be faulted in as asked; -ESRCH if
 * the process has exited; -EMEDIUMTYPE if the IOASID is not SVA; -ENOENT
 * if it was destroyed; -ENOMEM; -EINTR on a fatal signal.
 */
int ioasidfd_sva_prefault(struct ioasidfd_ioas *ioas, u64 va, u64 length,
			  bool write, u64 *mapped, u64 *skipped)
{
	/* Pairs with the cmpxchg() in ioasidfd_ioas_iopt(). */
	struct ioasidfd_iopt *iopt = smp_load_acquire(&ioas->iopt);
	unsigned long *pfns = NULL;
	struct ioasidfd_ranges rs = {};
	struct ioasidfd_sva *sva;
	struct hmm_range range = {
		.default_flags = HMM_PFN_REQ_FAULT |
				 (write ? HMM_PFN_REQ_WRITE : 0),
	};
	u64 done = 0;
	int rc;

	*mapped = *skipped = 0;
	if (!iopt)
		return -EMEDIUMTYPE;
	/* The lock keeps the binding and the set of page tables */
	mutex_lock(&iopt->lock);
	rc = -ENOENT;
	if (test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags))
		goto out_unlock;
	sva = ioasidfd_sva(iopt);
	rc = -EMEDIUMTYPE;
	if (!sva)
		goto out_unlock;
	rc = -ESRCH;
	if (!mmget_not_zero(sva->mm))
		goto out_unlock;
	rc = ioasidfd_iopt_usable(iopt, &rs);
	if (rc)
		goto out_mm;
	pfns = kvmalloc_array(IOASIDFD_SVA_BATCH, sizeof(*pfns), GFP_KERNEL);
	ioasidfd_inject_alloc(pfns, kvfree);
	rc = -ENOMEM;
	if (!pfns)
		goto out_mm;
	range.notifier = &sva->notifier;
	range.hmm_pfns = pfns;
	rc = 0;
	while (done < length && !rc) {
		u64 n = min_t(u64, (length - done) >> PAGE_SHIFT,
			      IOASIDFD_SVA_BATCH);

		range.start = va + done;
		range.end = range.start + (n << PAGE_SHIFT);
again:
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			break;
		}
		/* Without a programmed table there is no notifier: only fault */
		if (!sva->notified) {
			int locked = 1;
			long got;

			mmap_read_lock(sva->mm);
			got = get_user_pages_remote(sva->mm, range.start, n,
						    write ? FOLL_WRITE : 0, NULL,
						    NULL, &locked);
			ioasidfd_inject_undo(IOASIDFD_INJ_PIN, got > 0, got = -ENOMEM);
			if (locked)
				mmap_read_unlock(sva->mm);
			rc = got == n ? 0 : got < 0 ? got : -EFAULT;
			done += n << PAGE_SHIFT;
			continue;
		}
		range.notifier_seq = mmu_interval_read_begin(&sva->notifier);
		mmap_read_lock(sva->mm);
		rc = hmm_range_fault(&range);
		mmap_read_unlock(sva->mm);
		if (rc == -EBUSY) {
			rc = 0;
			goto again;
		}
		/* 6.1's hmm_range_fault(): -EPERM for a write it cannot do */
		if (rc == -EPERM)
			rc = -EFAULT;
		if (rc)
			break;
		rc = ioasidfd_sva_mirror(sva, range.start, pfns, n,
					 range.notifier_seq, &rs, mapped,
					 skipped);
		if (rc == -EAGAIN) {
			rc = 0;
			goto again;
		}
		done += n << PAGE_SHIFT;
		cond_resched();
	}
	kvfree(pfns);
out_mm:
	kfree(rs.r);
	mmput(sva->mm);
out_unlock:
	mutex_unlock(&iopt->lock);
	return rc;
}

/*
 * The mm of a /proc/PID/mem fd, mmgrab()ed: the kernel checked the opener
 * for PTRACE_MODE_ATTACH when it opened the file, which holds that mm.
 */
static struct mm_struct *ioasidfd_sva_foreign_mm(int fd)
{
	struct mm_struct *mm;
	struct fd f = fdget(fd);

	if (!f.file)
		return ERR_PTR(-EBADF);
	if (!ioasidfd_proc_mem_fops || f.file->f_op != ioasidfd_proc_mem_fops) {
		mm = ERR_PTR(-EINVAL);
	} else if (!(f.file->f_mode & FMODE_WRITE)) {
		mm = ERR_PTR(-EPERM);
	} else {
		mm = f.file->private_data;
		if (mm)
			mmgrab(mm);
		else
			mm = ERR_PTR(-EINVAL);	/* a task without an mm */
	}
	fdput(f);
	return mm;
}

/**
 * ioasidfd_sva_bind() - make an IOASID translate with a process's mm
 * @ioas: an IOASID in IOASID_MODE_NONE, referenced by the caller
 * @mm: the mm; the binding takes its own mmgrab() reference
 *
 * Return: 0; -EMEDIUMTYPE for an IOASID of another mode; -EBUSY if it is
 * attached; -ENOENT if it was destroyed; -ESRCH if the mm has exited;
 * -ENOMEM.
 */
int ioasidfd_sva_bind(struct ioasidfd_ioas *ioas, struct mm_struct *mm)
{
	struct ioasidfd_iopt *iopt = ioasidfd_ioas_iopt(ioas);
	struct ioasidfd_sva *sva;
	int rc;

	if (!iopt)
		return -ENOMEM;
	if (!mmget_not_zero(mm))
		return -ESRCH;
	mmput(mm);
	sva = kzalloc(sizeof(*sva), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(sva, kfree);
	if (!sva)
		return -ENOMEM;
	sva->iopt = iopt;
	sva->mm = mm;
	xa_init(&sva->mirror);
	xa_init(&sva->huge);
	mutex_lock(&iopt->lock);
	if (test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags))
		rc = -ENOENT;
	else if (iopt->src)
		rc = -EMEDIUMTYPE;
	else if (iopt->nr_attach)
		rc = -EBUSY;
	else
		rc = 0;
	if (!rc) {
		/* Page tables kept from before were made for no mode */
		ioasidfd_hwpt_free_idle(iopt);
		mmgrab(mm);
		WARN_ON(ioasidfd_iopt_set_source(iopt, &ioasidfd_sva_source,
						 sva));
	}
	mutex_unlock(&iopt->lock);
	if (rc)
		kfree(sva);
	return rc;
}

/**
 * ioasidfd_sva_unbind() - make an SVA IOASID IOASID_MODE_NONE again
 * @ioas: the IOASID, referenced by the caller
 *
 * Return: as ioasidfd_iopt_unbind().
 */
int ioasidfd_sva_unbind(struct ioasidfd_ioas *ioas)
{
	return ioasidfd_iopt_unbind(ioas, &ioasidfd_sva_source);
}

int ioasidfd_sva_bind_ioctl(struct ioasidfd_ucmd *ucmd)
{
	const u32 valid = IOASID_SVA_BIND_FOREIGN | IOASID_SVA_UNBIND;
	struct ioasid_sva_bind *cmd = ucmd->cmd;
	struct ioasidfd_ioas *ioas;
	struct mm_struct *mm;
	int rc;

	if (cmd->flags & ~valid || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->flags & IOASID_SVA_UNBIND) {
		if (cmd->flags != IOASID_SVA_UNBIND || cmd->mm_fd != -1)
			return -EINVAL;
	} else if (!(cmd->flags & IOASID_SVA_BIND_FOREIGN) && cmd->mm_fd != -1) {
		return -EINVAL;
	}
	ioas = ioasidfd_ioas_lookup(ucmd->ctx, cmd->pasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (cmd->flags & IOASID_SVA_UNBIND) {
		rc = ioasidfd_sva_unbind(ioas);
		goto out;
	}
	if (cmd->flags & IOASID_SVA_BIND_FOREIGN) {
		mm = ioasidfd_sva_foreign_mm(cmd->mm_fd);
	} else {
		mm = current->mm;
		if (mm)
			mmgrab(mm);
		else
			mm = ERR_PTR(-EINVAL);
	}
	rc = PTR_ERR_OR_ZERO(mm);
	if (!rc) {
		rc = ioasidfd_sva_bind(ioas, mm);
		mmdrop(mm);
	}
out:
	ioasidfd_ioas_put(ioas);
	return rc;
}

int ioasidfd_sva_prefault_ioctl(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_sva_prefault *cmd = ucmd->cmd;
	struct ioasidfd_ioas *ioas;
	int rc;

	if (cmd->flags & ~IOASID_SVA_PREFAULT_WRITE || cmd->__reserved)
		return -EOPNOTSUPP;
	if (!cmd->length || !PAGE_ALIGNED(cmd->va) || !PAGE_ALIGNED(cmd->length))
		return -EINVAL;
	if (cmd->va + cmd->length - 1 < cmd->va)
		return -EOVERFLOW;
	if (cmd->va + cmd->length > TASK_SIZE)
		return -EFAULT;
	ioas = ioasidfd_ioas_lookup(ucmd->ctx, cmd->pasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = ioasidfd_sva_prefault(ioas, cmd->va, cmd->length,
				   cmd->flags & IOASID_SVA_PREFAULT_WRITE,
				   &cmd->out_mapped, &cmd->out_skipped);
	if (!rc)
		rc = ioasidfd_ucmd_respond(ucmd);
	ioasidfd_ioas_put(ioas);
	return rc;
}

/* Learns the file operations of /proc/PID/mem, in the loading task. */
void ioasidfd_sva_init(void)
{
	struct file *f = filp_open("/proc/self/mem", O_RDONLY, 0);

	if (IS_ERR(f)) {
		pr_info("no /proc/self/mem: binding another process's mm is off\n");
		return;
	}
	ioasidfd_proc_mem_fops = f->f_op;
	filp_close(f, NULL);
}
