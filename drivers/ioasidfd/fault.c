// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: I/O fault queues.
 *
 * A queue is an anonymous fd.  Executors report faults with
 * ioasidfd_fault_report(); the IOASID's iopt says which queue (if any) gets
 * them.  Reporters never wait for room: a full queue counts an overflow.
 * A recoverable fault waits for its response, bounded by a timeout, and is
 * answered with an abort if the queue goes away first.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/completion.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ioasidfd_private.h"
#include "inject.h"

#define IOASIDFD_FAULT_DEPTH_DEFAULT	256
#define IOASIDFD_FAULT_DEPTH_MAX	4096

/**
 * struct ioasidfd_fault_queue - a fault queue
 * @refs: the open file, each IOASID routed here, each report in flight
 * @ctx: the /dev/ioasid context it was allocated from; a reference is held
 * @lock: protects @records, @nr, @overflow, @total, @seq and @closed;
 *        a spinlock so reporters never sleep on it
 * @read_lock: serialises readers, so records leave in order
 * @wq: readers and pollers wait here
 * @records: queued struct ioasidfd_fault_rec
 * @nr: entries in @records
 * @depth: capacity
 * @overflow: faults dropped because the queue was full, or no memory was
 *            left for their record
 * @total: faults queued since allocation
 * @seq: sequence number of the next fault, dropped ones included
 * @closed: the file is released: nothing is queued any more
 * @waiters: id -> struct ioasidfd_fault_waiter of recoverable faults
 *           waiting for a response (the xarray has its own lock)
 * @next_id: ids are handed out cyclically, so that a late answer to an old
 *           fault does not land on a new one
 */
struct ioasidfd_fault_queue {
	refcount_t refs;
	struct ioasidfd_ctx *ctx;
	spinlock_t lock; /* see the kernel-doc above */
	struct mutex read_lock; /* see the kernel-doc above */
	wait_queue_head_t wq;
	struct list_head records;
	unsigned int nr;
	unsigned int depth;
	u64 overflow;
	u64 total;
	u32 seq;
	bool closed;
	struct xarray waiters;
	u32 next_id;
};

struct ioasidfd_fault_rec {
	struct list_head item;
	struct ioasid_fault fault;
};

/*
 * A recoverable fault waiting for its response.  The responder takes it out
 * of the queue's xarray, sets @code and completes; the reporter frees it.
 */
struct ioasidfd_fault_waiter {
	struct completion done;
	u32 code;
};

static const struct file_operations ioasidfd_fault_fops;

/*
 * Frees a waiter its reporter no longer waits for.  If someone else took it
 * out of the xarray (a responder, or the queue's release), they are about to
 * complete it: wait for that before freeing.
 */
static u32 ioasidfd_fault_waiter_reclaim(struct ioasidfd_fault_queue *q, u32 id,
					 struct ioasidfd_fault_waiter *waiter)
{
	u32 code = IOASID_FAULT_RESP_ABORT;

	if (xa_erase(&q->waiters, id) != waiter) {
		wait_for_completion(&waiter->done);
		code = waiter->code;
	}
	kfree(waiter);
	return code;
}

void ioasidfd_fault_queue_put(struct ioasidfd_fault_queue *q)
{
	if (!refcount_dec_and_test(&q->refs))
		return;
	WARN_ON(!list_empty(&q->records) || !xa_empty(&q->waiters));
	xa_destroy(&q->waiters);
	mutex_destroy(&q->read_lock);
	ioasidfd_ctx_put(q->ctx);
	kfree(q);
	ioasidfd_count(IOASIDFD_CNT_FAULTQ, -1);
}

/* A fault that cannot be queued: counted, and its sequence number skipped. */
static void ioasidfd_fault_queue_lost(struct ioasidfd_fault_queue *q)
{
	spin_lock(&q->lock);
	q->seq++;
	if (!q->closed)
		q->overflow++;
	spin_unlock(&q->lock);
}

/* Queues @rec, or drops it if the queue is full or closed. */
static bool ioasidfd_fault_queue_add(struct ioasidfd_fault_queue *q,
				     struct ioasidfd_fault_rec *rec)
{
	bool queued = false;

	spin_lock(&q->lock);
	rec->fault.seq = q->seq++;
	if (q->closed) {
		/* Nobody will read it. */
	} else if (q->nr >= q->depth) {
		q->overflow++;
	} else {
		list_add_tail(&rec->item, &q->records);
		q->nr++;
		q->total++;
		queued = true;
	}
	spin_unlock(&q->lock);
	if (queued)
		wake_up_interruptible_poll(&q->wq, EPOLLIN | EPOLLRDNORM);
	return queued;
}

static u32 ioasidfd_fault_deliver(struct ioasidfd_fault_queue *q,
				  struct ioasid_fault *fault,
				  unsigned long timeout)
{
	bool recoverable = fault->flags & IOASID_FAULT_RECOVERABLE;
	struct ioasidfd_fault_waiter *waiter = NULL;
	struct ioasidfd_fault_rec *rec;
	u32 id = 0, code = IOASID_FAULT_RESP_ABORT;
	long left;

	rec = kzalloc(sizeof(*rec), GFP_KERNEL);
	ioasidfd_inject_alloc(rec, kfree);
	if (!rec) {
		ioasidfd_fault_queue_lost(q);
		return code;
	}
	if (recoverable) {
		waiter = kzalloc(sizeof(*waiter), GFP_KERNEL);
		ioasidfd_inject_alloc(waiter, kfree);
		if (waiter)
			init_completion(&waiter->done);
		if (!waiter ||
		    xa_alloc_cyclic(&q->waiters, &id, waiter, xa_limit_32b,
				    &q->next_id, GFP_KERNEL) < 0) {
			/* Cannot wait: deliver it as a fault that was aborted. */
			kfree(waiter);
			waiter = NULL;
			recoverable = false;
		}
	}
	rec->fault = *fault;
	rec->fault.size = sizeof(rec->fault);
	rec->fault.id = id;
	if (!recoverable)
		rec->fault.flags &= ~IOASID_FAULT_RECOVERABLE;

	if (!ioasidfd_fault_queue_add(q, rec)) {
		kfree(rec);
		if (waiter)
			ioasidfd_fault_waiter_reclaim(q, id, waiter);
		return code;
	}
	ioasidfd_count(IOASIDFD_CNT_FAULT_REC, 1);
	if (!waiter)
		return code;

	left = wait_for_completion_killable_timeout(&waiter->done, timeout);
	if (left > 0) {
		code = waiter->code;
		kfree(waiter);
		return code;
	}
	/* Timed out or killed: abort, unless an answer is on its way. */
	return ioasidfd_fault_waiter_reclaim(q, id, waiter);
}

/**
 * ioasidfd_fault_report() - report a DMA fault through an IOASID
 * @ioas: the IOASID that translated the access, referenced by the caller
 * @fault: the record; @flags, @pasid, @reason, @cookie and @addr are filled
 *         in by the caller
 * @timeout: for a recoverable fault, the longest wait for a response, in
 *           jiffies
 *
 * Sleeps: call with no lock held that a responder might need.
 *
 * Return: IOASID_FAULT_RESP_RETRY if a recoverable fault was answered so,
 * else IOASID_FAULT_RESP_ABORT (always for unrecoverable faults, and when no
 * queue takes the fault).
 */
u32 ioasidfd_fault_report(struct ioasidfd_ioas *ioas, struct ioasid_fault *fault,
			  unsigned long timeout)
{
	struct ioasidfd_fault_queue *q = NULL;
	struct ioasidfd_iopt *iopt;
	u32 code;

	might_sleep();
	/* Pairs with the cmpxchg() in ioasidfd_ioas_iopt(). */
	iopt = smp_load_acquire(&ioas->iopt);
	if (!iopt)
		return IOASID_FAULT_RESP_ABORT;
	mutex_lock(&iopt->lock);
	q = iopt->fault_queue;
	if (q)
		refcount_inc(&q->refs);
	mutex_unlock(&iopt->lock);
	if (!q)
		return IOASID_FAULT_RESP_ABORT;
	code = ioasidfd_fault_deliver(q, fault, timeout);
	ioasidfd_fault_queue_put(q);
	return code;
}

static ssize_t ioasidfd_fault_read(struct file *file, char __user *buf,
				   size_t count, loff_t *ppos)
{
	struct ioasidfd_fault_queue *q = file->private_data;
	const size_t rsize = sizeof(struct ioasid_fault);
	struct ioasidfd_fault_rec *rec;
	ssize_t done = 0;
	int rc;

	if (count < rsize)
		return -EINVAL;
	if (mutex_lock_interruptible(&q->read_lock))
		return -ERESTARTSYS;
	while (done + rsize <= count) {
		spin_lock(&q->lock);
		rec = list_first_entry_or_null(&q->records,
					       struct ioasidfd_fault_rec, item);
		if (rec) {
			list_del(&rec->item);
			q->nr--;
		}
		spin_unlock(&q->lock);

		if (!rec) {
			if (done)
				break;
			if (file->f_flags & O_NONBLOCK) {
				done = -EAGAIN;
				break;
			}
			rc = wait_event_interruptible(q->wq,
						      !list_empty(&q->records));
			if (rc) {
				done = rc;
				break;
			}
			continue;
		}
		ioasidfd_inject_user(buf);
		if (copy_to_user(buf + done, &rec->fault, rsize)) {
			/* Put it back where it was: nothing is lost. */
			spin_lock(&q->lock);
			list_add(&rec->item, &q->records);
			q->nr++;
			spin_unlock(&q->lock);
			done = done ?: -EFAULT;
			break;
		}
		kfree(rec);
		ioasidfd_count(IOASIDFD_CNT_FAULT_REC, -1);
		done += rsize;
	}
	mutex_unlock(&q->read_lock);
	return done;
}

static __poll_t ioasidfd_fault_poll(struct file *file, poll_table *wait)
{
	struct ioasidfd_fault_queue *q = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &q->wq, wait);
	spin_lock(&q->lock);
	if (!list_empty(&q->records))
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock(&q->lock);
	return mask;
}

static int ioasidfd_fault_respond(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_fault_respond *cmd = ucmd->cmd;
	struct ioasidfd_fault_queue *q = ucmd->fq;
	struct ioasidfd_fault_waiter *waiter;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->code != IOASID_FAULT_RESP_RETRY &&
	    cmd->code != IOASID_FAULT_RESP_ABORT)
		return -EINVAL;
	waiter = xa_erase(&q->waiters, cmd->id);
	if (!waiter)
		return -ENOENT;
	waiter->code = cmd->code;
	complete(&waiter->done);
	return 0;
}

static int ioasidfd_fault_info(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_fault_queue_info *cmd = ucmd->cmd;
	struct ioasidfd_fault_queue *q = ucmd->fq;
	struct ioasidfd_fault_waiter *waiter;
	unsigned long index;
	u32 waiting = 0;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	xa_for_each(&q->waiters, index, waiter)
		waiting++;
	spin_lock(&q->lock);
	cmd->out_depth = q->depth;
	cmd->out_queued = q->nr;
	cmd->out_overflow = q->overflow;
	cmd->out_total = q->total;
	spin_unlock(&q->lock);
	cmd->out_waiting = waiting;
	return ioasidfd_ucmd_respond(ucmd);
}

#define IOASIDFD_FQ_OP(_nr, _fn, _struct, _last) \
	IOASIDFD_OP(IOASID_CMD_FAULT_RESPOND, _nr, _fn, _struct, _last)

static const struct ioasidfd_op ioasidfd_fault_ops[] = {
	IOASIDFD_FQ_OP(IOASID_CMD_FAULT_RESPOND, ioasidfd_fault_respond,
		       struct ioasid_fault_respond, code),
	IOASIDFD_FQ_OP(IOASID_CMD_FAULT_QUEUE_INFO, ioasidfd_fault_info,
		       struct ioasid_fault_queue_info, out_total),
};

static long ioasidfd_fault_ioctl(struct file *file, unsigned int cmd,
				 unsigned long arg)
{
	struct ioasidfd_ucmd ucmd = { .fq = file->private_data };

	return ioasidfd_dispatch(ioasidfd_fault_ops, IOASID_CMD_FAULT_RESPOND,
				 ARRAY_SIZE(ioasidfd_fault_ops), &ucmd, cmd, arg);
}

static int ioasidfd_fault_release(struct inode *inode, struct file *file)
{
	struct ioasidfd_fault_queue *q = file->private_data;
	struct ioasidfd_fault_waiter *waiter;
	struct ioasidfd_fault_rec *rec, *next;
	unsigned long index;
	LIST_HEAD(dead);

	spin_lock(&q->lock);
	q->closed = true;
	list_splice_init(&q->records, &dead);
	q->nr = 0;
	spin_unlock(&q->lock);
	list_for_each_entry_safe(rec, next, &dead, item) {
		kfree(rec);
		ioasidfd_count(IOASIDFD_CNT_FAULT_REC, -1);
	}

	/* Whoever still waits for an answer gets an abort. */
	xa_for_each(&q->waiters, index, waiter) {
		if (xa_erase(&q->waiters, index) != waiter)
			continue;
		waiter->code = IOASID_FAULT_RESP_ABORT;
		complete(&waiter->done);
	}
	ioasidfd_fault_queue_put(q);
	return 0;
}

static const struct file_operations ioasidfd_fault_fops = {
	.owner = THIS_MODULE,
	.read = ioasidfd_fault_read,
	.poll = ioasidfd_fault_poll,
	.unlocked_ioctl = ioasidfd_fault_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = ioasidfd_fault_release,
	.llseek = noop_llseek,
};

int ioasidfd_fault_queue_alloc_ioctl(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_fault_queue_alloc *cmd = ucmd->cmd;
	struct ioasidfd_fault_queue *q;
	struct file *file;
	int fd, rc;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->depth > IOASIDFD_FAULT_DEPTH_MAX)
		return -ERANGE;

	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(q, kfree);
	if (!q)
		return -ENOMEM;
	refcount_set(&q->refs, 1);
	spin_lock_init(&q->lock);
	mutex_init(&q->read_lock);
	init_waitqueue_head(&q->wq);
	INIT_LIST_HEAD(&q->records);
	xa_init_flags(&q->waiters, XA_FLAGS_ALLOC1);
	q->depth = cmd->depth ?: IOASIDFD_FAULT_DEPTH_DEFAULT;
	q->ctx = ucmd->ctx;
	refcount_inc(&q->ctx->users);
	ioasidfd_count(IOASIDFD_CNT_FAULTQ, 1);

	fd = get_unused_fd_flags(O_CLOEXEC);
	ioasidfd_inject_undo(IOASIDFD_INJ_FILE, fd >= 0, put_unused_fd(fd); fd = -EMFILE);
	if (fd < 0) {
		rc = fd;
		goto err_put;
	}
	/* (The release of a file made here would free the queue.) */
	file = ioasidfd_inject(IOASIDFD_INJ_FILE) ? ERR_PTR(-ENOMEM) :
	       anon_inode_getfile("[ioasid-fault]", &ioasidfd_fault_fops, q,
				  O_RDWR);
	if (IS_ERR(file)) {
		rc = PTR_ERR(file);
		goto err_fd;
	}
	/* The user learns the fd before it exists in the table. */
	cmd->out_fault_fd = fd;
	rc = ioasidfd_ucmd_respond(ucmd);
	if (rc) {
		fput(file);
		put_unused_fd(fd);
		return rc;
	}
	fd_install(fd, file);
	return 0;

err_fd:
	put_unused_fd(fd);
err_put:
	ioasidfd_fault_queue_put(q);
	return rc;
}

int ioasidfd_set_fault_queue_ioctl(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_set_fault_queue *cmd = ucmd->cmd;
	struct ioasidfd_fault_queue *q = NULL, *old;
	struct ioasidfd_ioas *ioas;
	struct ioasidfd_iopt *iopt;
	int rc = 0;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->fault_fd != -1) {
		struct fd f = fdget(cmd->fault_fd);

		if (!f.file)
			return -EBADF;
		q = f.file->f_op == &ioasidfd_fault_fops ?
		    f.file->private_data : NULL;
		if (q && q->ctx == ucmd->ctx)
			refcount_inc(&q->refs);
		else
			q = NULL;
		fdput(f);
		if (!q)
			return -EINVAL;
	}

	ioas = ioasidfd_ioas_lookup(ucmd->ctx, cmd->pasid);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out_q;
	}
	iopt = ioasidfd_ioas_iopt(ioas);
	if (!iopt) {
		rc = -ENOMEM;
		goto out_ioas;
	}
	mutex_lock(&iopt->lock);
	if (test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags)) {
		rc = -ENOENT;
		mutex_unlock(&iopt->lock);
		goto out_ioas;
	}
	old = iopt->fault_queue;
	iopt->fault_queue = q;
	mutex_unlock(&iopt->lock);
	q = old;	/* the reference to drop */
out_ioas:
	ioasidfd_ioas_put(ioas);
out_q:
	if (q)
		ioasidfd_fault_queue_put(q);
	return rc;
}
