/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/ioasid: fault-injection points, for the fail-nth tests.
 *
 * Each call of the core that can fail (an allocation, a pin, the memlock
 * charge, a PASID claim, an IOMMU call, a user copy, a new file) is followed
 * by one line that asks ioasidfd_inject() whether this call must fail, and
 * if so undoes what the call did and gives it the result of a failure:
 *
 *	p = kzalloc(sizeof(*p), GFP_KERNEL);
 *	ioasidfd_inject_alloc(p, kfree);
 *	if (!p)
 *		return -ENOMEM;
 *
 * so the caller's own error path runs, unchanged.  A user copy is made to
 * fail the way a bad pointer makes it fail: the line before it replaces the
 * user address with one no task can map (ioasidfd_inject_user()).
 *
 * ioasidfd_vfio.ko includes this header too (the hook and the slow path are
 * exported in the IOASIDFD namespace).
 *
 * Whether a point fails is the test module's decision (struct
 * ioasidfd_test_hooks::should_fail; ioasidfd_test.ko arms tasks through
 * debugfs, root only).  Every point is a static branch, off (a no-op in the
 * instruction stream) unless some task is armed: ioasidfd_test.ko turns it
 * on for as long as it has an armed task (ioasidfd_test_inject_arm()), so
 * neither the stock module nor one with the test module loaded and idle
 * pays for a point more than a few bytes of code.
 */
#ifndef __IOASIDFD_INJECT_H
#define __IOASIDFD_INJECT_H

#include <linux/compiler.h>
#include <linux/jump_label.h>
#include <linux/ioasidfd.h>

DECLARE_STATIC_KEY_FALSE(ioasidfd_inject_armed);
bool __ioasidfd_inject(enum ioasidfd_inject_site site);
/* (out of line: its return address names the point) */

/**
 * ioasidfd_inject() - must this call fail?
 * @site: what kind of call it is (IOASIDFD_INJ_*)
 *
 * Any context.
 *
 * Return: true if the test module wants the call to fail.
 */
static inline bool ioasidfd_inject(enum ioasidfd_inject_site site)
{
	return static_branch_unlikely(&ioasidfd_inject_armed) &&
	       __ioasidfd_inject(site);
}

/*
 * After a call that succeeded when @ok: if the point fires, run @undo,
 * which takes the call's effect back and sets its result to a failure.
 */
#define ioasidfd_inject_undo(site, ok, undo)				\
	do {								\
		if ((ok) && ioasidfd_inject(site)) {			\
			undo;						\
		}							\
	} while (0)

/* After @p = an allocation: if the point fires, @release(@p), @p = NULL. */
#define ioasidfd_inject_alloc(p, release)				\
	do {								\
		typeof(p) *__p = &(p);					\
									\
		if (*__p && ioasidfd_inject(IOASIDFD_INJ_ALLOC)) {	\
			release(*__p);					\
			*__p = NULL;					\
		}							\
	} while (0)

/*
 * Before a copy to or from the user address @uaddr (a __user pointer or a
 * u64): if the point fires, the address becomes one above every task's
 * address space, so the copy fails as with a bad pointer (-EFAULT).
 */
#define IOASIDFD_INJECT_BAD_UADDR	(~0UL - 0xfffUL)
#define ioasidfd_inject_user(uaddr)					\
	ioasidfd_inject_undo(IOASIDFD_INJ_USER, true,			\
			     (uaddr) = (typeof(uaddr))IOASIDFD_INJECT_BAD_UADDR)

#endif /* __IOASIDFD_INJECT_H */
