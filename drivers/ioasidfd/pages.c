// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: pinning user memory.
 *
 * Memory is charged to RLIMIT_MEMLOCK of the pinning task's mm first (past
 * the limit nothing else is worth doing), then pinned long-term in batches
 * with pin_user_pages_fast(), outside every ioasidfd lock.  Page tables get
 * the pinned pages as runs of physically contiguous frames.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "ioasidfd_private.h"
#include "inject.h"

/* Pages pinned per pin_user_pages_fast() call. */
#define IOASIDFD_PIN_BATCH	1024UL

/* Longest run: its byte length must fit a scatterlist entry. */
#define IOASIDFD_RUN_MAX_PAGES	(SZ_2G >> PAGE_SHIFT)

static void ioasidfd_uncharge(struct mm_struct *mm, unsigned long npages)
{
	/* An mm that has exited has no locked_vm left to give back. */
	if (mmget_not_zero(mm)) {
		account_locked_vm(mm, npages, false);
		mmput(mm);
	}
}

/**
 * ioasidfd_pages_pin() - charge and pin user memory of the current task
 * @p: filled in on success
 * @uva: first address, page aligned
 * @npages: pages
 * @writable: pin for write (the device may write)
 *
 * Return: 0; -ENOMEM past RLIMIT_MEMLOCK (without CAP_IPC_LOCK) or out of
 * memory; -EFAULT for memory that cannot be pinned; -EINTR on a fatal
 * signal.  Nothing is left charged or pinned on error.
 */
int ioasidfd_pages_pin(struct ioasidfd_pages *p, unsigned long uva,
		       unsigned long npages, bool writable)
{
	unsigned int gup = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	unsigned long done = 0;
	int rc;

	p->npages = npages;
	p->writable = writable;
	p->mm = current->mm;
	mmgrab(p->mm);

	rc = account_locked_vm(p->mm, npages, true);
	ioasidfd_inject_undo(IOASIDFD_INJ_MEMLOCK, !rc,
			     account_locked_vm(p->mm, npages, false); rc = -ENOMEM);
	if (rc)
		goto err_mm;
	p->pages = kvmalloc_array(npages, sizeof(*p->pages),
				  GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	ioasidfd_inject_alloc(p->pages, kvfree);
	if (!p->pages) {
		rc = -ENOMEM;
		goto err_uncharge;
	}

	while (done < npages) {
		unsigned long n = min(npages - done, IOASIDFD_PIN_BATCH);

		rc = pin_user_pages_fast(uva + (done << PAGE_SHIFT), n, gup,
					 p->pages + done);
		ioasidfd_inject_undo(IOASIDFD_INJ_PIN, rc > 0,
				     unpin_user_pages(p->pages + done, rc); rc = -ENOMEM);
		if (rc <= 0) {
			rc = rc ?: -EFAULT;
			goto err_unpin;
		}
		done += rc;
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			goto err_unpin;
		}
		cond_resched();
	}
	ioasidfd_count(IOASIDFD_CNT_PINNED, npages);
	return 0;

err_unpin:
	unpin_user_pages(p->pages, done);
	kvfree(p->pages);
err_uncharge:
	ioasidfd_uncharge(p->mm, npages);
err_mm:
	mmdrop(p->mm);
	p->pages = NULL;
	return rc;
}

/**
 * ioasidfd_pages_unpin() - undo ioasidfd_pages_pin()
 * @p: pinned memory no page table maps any more
 */
void ioasidfd_pages_unpin(struct ioasidfd_pages *p)
{
	unpin_user_pages_dirty_lock(p->pages, p->npages, p->writable);
	ioasidfd_count(IOASIDFD_CNT_PINNED, -(long)p->npages);
	ioasidfd_uncharge(p->mm, p->npages);
	mmdrop(p->mm);
	kvfree(p->pages);
	p->pages = NULL;
}

/**
 * ioasidfd_pages_runs() - physically contiguous runs of pinned pages
 * @p: the pinned memory
 * @first: first page of @p to describe
 * @npages: pages from @first
 * @runs: returns the runs
 * @max_runs: entries in @runs
 * @done: returns the pages the runs cover (all @npages unless @runs filled)
 *
 * Return: the number of runs written.
 */
unsigned int ioasidfd_pages_runs(const struct ioasidfd_pages *p,
				 unsigned long first, unsigned long npages,
				 struct ioasidfd_pfn_run *runs,
				 unsigned int max_runs, unsigned long *done)
{
	unsigned long i, pfn;
	unsigned int nr = 0;

	for (i = 0; i < npages; i++) {
		pfn = page_to_pfn(p->pages[first + i]);
		if (nr && runs[nr - 1].pfn + runs[nr - 1].npages == pfn &&
		    runs[nr - 1].npages < IOASIDFD_RUN_MAX_PAGES) {
			runs[nr - 1].npages++;
			continue;
		}
		if (nr == max_runs)
			break;
		runs[nr].pfn = pfn;
		runs[nr].npages = 1;
		nr++;
	}
	*done = i;
	return nr;
}
