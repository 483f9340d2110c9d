// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid-test: software devices for the /dev/ioasid test suite.
 *
 * A thin uAPI over the core's software executor: each device is an fd that
 * answers the IOASID_DEVICE_* ioctls exactly as a VFIO device fd does (both
 * go to ioasidfd_device_ioctl()) and runs DMA with ioasidfd_sw_dma_rw().
 * The module is test-only and stays unloaded unless a test loads it.  Its
 * commands go through the core's dispatcher (ioasidfd_dispatch()), with the
 * same size rules as every /dev/ioasid command.
 *
 * It also owns the core's test knobs, in /sys/kernel/debug/ioasidfd_test/
 * (root only; harmless at their defaults):
 *
 *   fault_report_delay_ms  stretch each report of a fault the IOMMU driver
 *                          delivers by that many milliseconds (at most
 *                          1000), so that a test can race DISALLOW against a
 *                          report in flight deterministically
 *   fail_nth               fault injection, per task, like the kernel's
 *                          /proc/self/task/<tid>/fail-nth but at the core's
 *                          own injection points (drivers/ioasidfd/inject.h),
 *                          so it works on kernels without fault injection.
 *                          A task writes "N [SITES]" to arm itself: the Nth
 *                          point it reaches from then on, counting only the
 *                          kinds in the hex bitmap SITES (1 << IOASIDFD_INJ_*,
 *                          default all), fails, once.  "0" disarms.  Reading
 *                          gives "SEEN FIRED KIND": the points the task
 *                          reached since it armed itself, 1 if the Nth
 *                          failed (else 0), and that point's kind (alloc,
 *                          pin, memlock, pasid, iommu, user, file; "-" if
 *                          none), followed by the point's place in the
 *                          code when one failed.  Nothing fails in a task
 *                          that did not arm itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ioasidfd.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/ioasidfd_test.h>

#define IOASIDFD_TEST_DMA_MAX		SZ_64M
#define IOASIDFD_TEST_TIMEOUT_MAX	10000
#define IOASIDFD_TEST_DELAY_MAX		10000

static u32 ioasidfd_test_report_delay_ms;

static void ioasidfd_test_fault_report(void)
{
	u32 delay = min_t(u32, READ_ONCE(ioasidfd_test_report_delay_ms), 1000);

	if (delay)
		msleep(delay);
}

/**
 * struct ioasidfd_test_armed - a task armed through fail_nth
 * @pid: the task; a reference is held, so the number is not reused
 * @nth: which point fails
 * @sites: bitmap of (1 << IOASIDFD_INJ_*) that count
 * @seen: points of @sites reached since arming
 * @fired: the site that failed, or -1
 * @fired_ip: where that point is
 * @rcu: freed after a grace period: the points read it under RCU
 *
 * @seen and @fired change only in the task itself.
 */
struct ioasidfd_test_armed {
	struct pid *pid;
	unsigned int nth;
	u32 sites;
	unsigned int seen;
	int fired;
	unsigned long fired_ip;
	struct rcu_head rcu;
};

static const char *const ioasidfd_test_site_names[IOASIDFD_INJ_NR] = {
	[IOASIDFD_INJ_ALLOC] = "alloc",
	[IOASIDFD_INJ_PIN] = "pin",
	[IOASIDFD_INJ_MEMLOCK] = "memlock",
	[IOASIDFD_INJ_PASID] = "pasid",
	[IOASIDFD_INJ_IOMMU] = "iommu",
	[IOASIDFD_INJ_USER] = "user",
	[IOASIDFD_INJ_FILE] = "file",
};

/* pid number (of the init namespace) -> struct ioasidfd_test_armed */
static DEFINE_XARRAY(ioasidfd_test_armed);
static DEFINE_MUTEX(ioasidfd_test_armed_lock);	/* serialises the writers */

static void ioasidfd_test_armed_free(struct ioasidfd_test_armed *a)
{
	if (!a)
		return;
	put_pid(a->pid);
	kfree_rcu(a, rcu);
}

/* The calling task's entry, or NULL; under rcu_read_lock() or the mutex. */
static struct ioasidfd_test_armed *ioasidfd_test_armed_self(void)
{
	struct ioasidfd_test_armed *a;

	a = xa_load(&ioasidfd_test_armed, task_pid_nr(current));
	return a && a->pid == task_pid(current) ? a : NULL;
}

/* The core's should_fail hook: any context, under rcu_read_lock(). */
static bool ioasidfd_test_should_fail(enum ioasidfd_inject_site site,
				      unsigned long ip)
{
	struct ioasidfd_test_armed *a;
	unsigned int seen;

	if (!in_task() || xa_empty(&ioasidfd_test_armed))
		return false;
	a = ioasidfd_test_armed_self();
	if (!a || !(a->sites & BIT(site)))
		return false;
	seen = a->seen + 1;
	WRITE_ONCE(a->seen, seen);
	if (seen != a->nth || a->fired >= 0)
		return false;
	a->fired_ip = ip;
	WRITE_ONCE(a->fired, site);
	return true;
}

/* The test module's own points (IOASID_TEST_DMA, device creation). */
static bool ioasidfd_test_inject(enum ioasidfd_inject_site site)
{
	bool fail;

	rcu_read_lock();
	fail = ioasidfd_test_should_fail(site, _RET_IP_);
	rcu_read_unlock();
	return fail;
}

static ssize_t ioasidfd_test_fail_nth_read(struct file *file, char __user *ubuf,
					   size_t count, loff_t *ppos)
{
	struct ioasidfd_test_armed *a;
	char buf[160];
	int len;

	rcu_read_lock();
	a = ioasidfd_test_armed_self();
	if (a && a->fired >= 0)
		len = scnprintf(buf, sizeof(buf), "%u 1 %s %pS\n", a->seen,
				ioasidfd_test_site_names[a->fired],
				(void *)a->fired_ip);
	else
		len = scnprintf(buf, sizeof(buf), "%u 0 -\n", a ? a->seen : 0);
	rcu_read_unlock();
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

/*
 * Drops the entries of tasks that are gone; the mutex is held.  Return: how
 * many (each held the core's injection branch on once).
 */
static unsigned int ioasidfd_test_armed_reap(void)
{
	struct ioasidfd_test_armed *a;
	unsigned long index;
	unsigned int n = 0;

	xa_for_each(&ioasidfd_test_armed, index, a) {
		if (pid_has_task(a->pid, PIDTYPE_PID))
			continue;
		xa_erase(&ioasidfd_test_armed, index);
		ioasidfd_test_armed_free(a);
		n++;
	}
	return n;
}

static ssize_t ioasidfd_test_fail_nth_write(struct file *file,
					    const char __user *ubuf,
					    size_t count, loff_t *ppos)
{
	struct ioasidfd_test_armed *a = NULL, *old;
	unsigned int nth;
	u32 sites = GENMASK(IOASIDFD_INJ_NR - 1, 0);
	unsigned int gone;
	char buf[48];
	int n, rc;

	if (*ppos || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	n = sscanf(buf, "%u %x", &nth, &sites);
	if (n < 1 || !sites || sites & ~GENMASK(IOASIDFD_INJ_NR - 1, 0))
		return -EINVAL;
	if (nth) {
		a = kzalloc(sizeof(*a), GFP_KERNEL);
		if (!a)
			return -ENOMEM;
		a->pid = get_task_pid(current, PIDTYPE_PID);
		a->nth = nth;
		a->sites = sites;
		a->fired = -1;
	}
	/*
	 * Every stored entry holds the core's injection branch on once; the
	 * branch is patched outside the mutex (it takes the CPU hotplug lock).
	 */
	mutex_lock(&ioasidfd_test_armed_lock);
	gone = ioasidfd_test_armed_reap();
	if (a)
		old = xa_store(&ioasidfd_test_armed, task_pid_nr(current), a,
			       GFP_KERNEL);
	else
		old = xa_erase(&ioasidfd_test_armed, task_pid_nr(current));
	rc = xa_err(old);
	if (rc)
		old = NULL;
	mutex_unlock(&ioasidfd_test_armed_lock);
	if (!rc && a)
		ioasidfd_test_inject_arm(true);
	if (old)
		gone++;
	while (gone--)
		ioasidfd_test_inject_arm(false);
	if (rc) {
		ioasidfd_test_armed_free(a);
		return rc;
	}
	ioasidfd_test_armed_free(old);
	*ppos = count;
	return count;
}

static const struct file_operations ioasidfd_test_fail_nth_fops = {
	.owner = THIS_MODULE,
	.read = ioasidfd_test_fail_nth_read,
	.write = ioasidfd_test_fail_nth_write,
	.llseek = no_llseek,
};

static const struct ioasidfd_test_hooks ioasidfd_test_hooks = {
	.fault_report = ioasidfd_test_fault_report,
	.should_fail = ioasidfd_test_should_fail,
};

static int ioasidfd_test_dma(struct ioasidfd_ucmd *ucmd)
{
	const u32 valid = IOASID_TEST_DMA_WRITE | IOASID_TEST_DMA_PASID |
			  IOASID_TEST_DMA_RECOVERABLE | IOASID_TEST_DMA_PRIV;
	struct ioasidfd_device *idev = ucmd->priv;
	struct ioasid_test_dma *c = ucmd->cmd;
	struct ioasidfd_sw_dma dma = {};
	u64 off = 0;
	void *buf;
	int rc;

	if (c->flags & ~valid)
		return -EOPNOTSUPP;
	if ((!(c->flags & IOASID_TEST_DMA_PASID) && c->pasid) ||
	    (!(c->flags & IOASID_TEST_DMA_RECOVERABLE) && c->timeout_ms))
		return -EINVAL;
	if (c->flags & IOASID_TEST_DMA_RECOVERABLE &&
	    (!c->timeout_ms || c->timeout_ms > IOASIDFD_TEST_TIMEOUT_MAX))
		return -EINVAL;
	if (!c->length || c->length > IOASIDFD_TEST_DMA_MAX ||
	    c->delay_us > IOASIDFD_TEST_DELAY_MAX)
		return -EINVAL;
	if (c->iova + c->length - 1 < c->iova)
		return -EOVERFLOW;

	buf = kvzalloc(c->length, GFP_KERNEL_ACCOUNT);
	if (buf && ioasidfd_test_inject(IOASIDFD_INJ_ALLOC)) {
		kvfree(buf);
		buf = NULL;
	}
	if (!buf)
		return -ENOMEM;
	if (c->flags & IOASID_TEST_DMA_WRITE &&
	    (ioasidfd_test_inject(IOASIDFD_INJ_USER) ||
	     copy_from_user(buf, u64_to_user_ptr(c->buf_uptr), c->length))) {
		rc = -EFAULT;
		goto out;
	}

	dma.pasid = c->flags & IOASID_TEST_DMA_PASID ? c->pasid :
		    IOASIDFD_PASID_RID;
	dma.write = c->flags & IOASID_TEST_DMA_WRITE;
	dma.recoverable = c->flags & IOASID_TEST_DMA_RECOVERABLE;
	dma.priv = c->flags & IOASID_TEST_DMA_PRIV;
	dma.timeout = msecs_to_jiffies(c->timeout_ms);
	c->out_retries = 0;
	/* With a delay, one page per request, pausing in between. */
	do {
		u64 iova = c->iova + off;
		u64 len = c->delay_us ? min_t(u64, c->length - off,
					       PAGE_SIZE - offset_in_page(iova)) :
					 c->length;

		dma.iova = iova;
		dma.length = len;
		dma.buf = buf + off;
		rc = ioasidfd_sw_dma_rw(idev, &dma);
		if (rc)
			goto out;
		off += dma.done;
		c->out_retries += dma.retries;
		if (dma.status != IOASIDFD_SW_DMA_OK)
			break;
		if (c->delay_us && off < c->length) {
			fsleep(c->delay_us);
			if (fatal_signal_pending(current)) {
				rc = -EINTR;
				goto out;
			}
		}
	} while (off < c->length);

	switch (dma.status) {
	case IOASIDFD_SW_DMA_OK:
		c->out_status = IOASID_TEST_DMA_OK;
		break;
	case IOASIDFD_SW_DMA_FAULT:
		c->out_status = IOASID_TEST_DMA_FAULT;
		break;
	default:
		c->out_status = IOASID_TEST_DMA_NO_ATTACH;
		break;
	}
	c->out_done = off;
	c->out_fault_addr = dma.status == IOASIDFD_SW_DMA_FAULT ?
			     dma.fault_addr : 0;
	c->out_fault_reason = dma.status == IOASIDFD_SW_DMA_FAULT ?
			       dma.fault_reason : 0;
	if (!(c->flags & IOASID_TEST_DMA_WRITE) &&
	    (ioasidfd_test_inject(IOASIDFD_INJ_USER) ||
	     copy_to_user(u64_to_user_ptr(c->buf_uptr), buf, off))) {
		rc = -EFAULT;
		goto out;
	}
	rc = ioasidfd_ucmd_respond(ucmd);
out:
	kvfree(buf);
	return rc;
}

#define IOASIDFD_TEST_OP(_nr, _fn, _struct, _last) \
	IOASIDFD_OP(IOASID_TEST_CMD_DEVICE_CREATE, _nr, _fn, _struct, _last)

static const struct ioasidfd_op ioasidfd_test_dev_ops[] = {
	IOASIDFD_TEST_OP(IOASID_TEST_CMD_DMA, ioasidfd_test_dma,
			 struct ioasid_test_dma, out_retries),
};

static long ioasidfd_test_dev_ioctl(struct file *file, unsigned int cmd,
				    unsigned long arg)
{
	struct ioasidfd_device *idev = file->private_data;
	struct ioasidfd_ucmd ucmd = { .priv = idev };
	long rc;

	rc = ioasidfd_device_ioctl(idev, cmd, arg);
	if (rc != -ENOIOCTLCMD)
		return rc;
	return ioasidfd_dispatch(ioasidfd_test_dev_ops,
				 IOASID_TEST_CMD_DEVICE_CREATE,
				 ARRAY_SIZE(ioasidfd_test_dev_ops), &ucmd, cmd, arg);
}

static int ioasidfd_test_dev_release(struct inode *inode, struct file *file)
{
	ioasidfd_device_destroy(file->private_data);
	return 0;
}

static const struct file_operations ioasidfd_test_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = ioasidfd_test_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = ioasidfd_test_dev_release,
	.llseek = noop_llseek,
};

static int ioasidfd_test_create(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_test_device_create *cmd = ucmd->cmd;
	struct ioasidfd_device *idev;
	struct file *file;
	int fd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	idev = ioasidfd_sw_device_create(cmd->pasid_bits);
	if (IS_ERR(idev))
		return PTR_ERR(idev);

	fd = ioasidfd_test_inject(IOASIDFD_INJ_FILE) ? -EMFILE :
	     get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ioasidfd_device_destroy(idev);
		return fd;
	}
	file = ioasidfd_test_inject(IOASIDFD_INJ_FILE) ? ERR_PTR(-ENOMEM) :
	       anon_inode_getfile("[ioasid-swdev]", &ioasidfd_test_dev_fops,
				  idev, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		ioasidfd_device_destroy(idev);
		return PTR_ERR(file);
	}
	/* The caller learns the fd before it exists; fput() destroys idev. */
	cmd->out_device_fd = fd;
	if (ioasidfd_ucmd_respond(ucmd)) {
		fput(file);
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}

/* The nested walker over the caller's own CPU page tables. */
static int ioasidfd_test_walk(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_test_walk_mm *cmd = ucmd->cmd;
	struct ioasidfd_test_walk_rec *recs;
	struct ioasid_test_walk_rec out;
	unsigned int nr, i;
	u32 format;
	int rc;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (!cmd->length || !cmd->max_recs ||
	    cmd->max_recs > IOASID_TEST_WALK_MAX)
		return -EINVAL;
	if (cmd->va + cmd->length - 1 < cmd->va)
		return -EOVERFLOW;
	recs = kvcalloc(cmd->max_recs, sizeof(*recs), GFP_KERNEL);
	if (recs && ioasidfd_test_inject(IOASIDFD_INJ_ALLOC)) {
		kvfree(recs);
		recs = NULL;
	}
	if (!recs)
		return -ENOMEM;
	rc = ioasidfd_test_walk_mm(current->mm, cmd->va, cmd->length, recs,
				   cmd->max_recs, &nr, &format);
	for (i = 0; i < nr && !rc; i++) {
		out = (struct ioasid_test_walk_rec){
			.va = recs[i].va,
			.size = recs[i].size,
			.pa = recs[i].pa,
			.perm = recs[i].perm,
			.level = recs[i].level,
		};
		if (ioasidfd_test_inject(IOASIDFD_INJ_USER) ||
		    copy_to_user(u64_to_user_ptr(cmd->recs_uptr) +
				 i * sizeof(out), &out, sizeof(out)))
			rc = -EFAULT;
	}
	kvfree(recs);
	if (rc)
		return rc;
	cmd->out_nr = nr;
	cmd->out_format = format;
	return ioasidfd_ucmd_respond(ucmd);
}

static const struct ioasidfd_op ioasidfd_test_ops[] = {
	IOASIDFD_TEST_OP(IOASID_TEST_CMD_DEVICE_CREATE, ioasidfd_test_create,
			 struct ioasid_test_device_create, out_device_fd),
	IOASIDFD_TEST_OP(IOASID_TEST_CMD_WALK_MM, ioasidfd_test_walk,
			 struct ioasid_test_walk_mm, __reserved),
};

static long ioasidfd_test_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	struct ioasidfd_ucmd ucmd = {};

	return ioasidfd_dispatch(ioasidfd_test_ops,
				 IOASID_TEST_CMD_DEVICE_CREATE,
				 ARRAY_SIZE(ioasidfd_test_ops), &ucmd, cmd, arg);
}

static const struct file_operations ioasidfd_test_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = ioasidfd_test_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice ioasidfd_test_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ioasid-test",
	.fops = &ioasidfd_test_fops,
	.mode = 0600,
};

static struct dentry *ioasidfd_test_debugfs;

static int __init ioasidfd_test_init(void)
{
	int rc;

	rc = ioasidfd_test_hooks_register(&ioasidfd_test_hooks);
	if (rc)
		return rc;
	rc = misc_register(&ioasidfd_test_misc);
	if (rc) {
		ioasidfd_test_hooks_unregister(&ioasidfd_test_hooks);
		return rc;
	}
	ioasidfd_test_debugfs = debugfs_create_dir("ioasidfd_test", NULL);
	debugfs_create_u32("fault_report_delay_ms", 0600, ioasidfd_test_debugfs,
			   &ioasidfd_test_report_delay_ms);
	debugfs_create_file("fail_nth", 0600, ioasidfd_test_debugfs, NULL,
			    &ioasidfd_test_fail_nth_fops);
	return 0;
}

static void __exit ioasidfd_test_exit(void)
{
	struct ioasidfd_test_armed *a;
	unsigned long index;

	debugfs_remove_recursive(ioasidfd_test_debugfs);
	misc_deregister(&ioasidfd_test_misc);
	ioasidfd_test_hooks_unregister(&ioasidfd_test_hooks);
	/* No point calls the hook any more, and no one can write fail_nth. */
	xa_for_each(&ioasidfd_test_armed, index, a) {
		ioasidfd_test_armed_free(a);
		ioasidfd_test_inject_arm(false);
	}
	xa_destroy(&ioasidfd_test_armed);
}

module_init(ioasidfd_test_init);
module_exit(ioasidfd_test_exit);

MODULE_DESCRIPTION("/dev/ioasid-test: software devices for the /dev/ioasid tests");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOASIDFD);
MODULE_IMPORT_NS(IOASIDFD_TEST);
