// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: the character device and its ioctl dispatcher.
 *
 * Every command struct is read once, here, with the size rules of the uAPI
 * (EINVAL below the first version, E2BIG for unknown non-zero tail bytes);
 * handlers only see the validated kernel copy.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "ioasidfd_private.h"
#include "inject.h"
#include "shadow.h"

atomic_long_t ioasidfd_counters[IOASIDFD_CNT_NR];

unsigned int ioasidfd_max_per_fd = 65536;
module_param_named(max_per_fd, ioasidfd_max_per_fd, uint, 0644);
MODULE_PARM_DESC(max_per_fd, "Most PASIDs one /dev/ioasid fd may hold, parked ones included");

unsigned int ioasidfd_max_per_user = 131072;
module_param_named(max_per_user, ioasidfd_max_per_user, uint, 0644);
MODULE_PARM_DESC(max_per_user, "Most PASIDs the fds of one user may hold, parked ones included");

module_param_named(shadow_max_records, ioasidfd_shadow_max_records, uint, 0644);
MODULE_PARM_DESC(shadow_max_records, "Most reverse-map records (runs, guest table pages) the shadow of one nested IOASID keeps; what is past it is not shadowed");

/**
 * ioasidfd_copy_cmd() - read a size-prefixed command struct from userspace
 * @kbuf: kernel copy, @ksize bytes
 * @ksize: size of the kernel's struct
 * @min_size: size of the first published version of the struct
 * @ubuf: user pointer; its first __u32 is the user's struct size
 * @user_size: returns the user's struct size
 *
 * For drivers that add ioctls in the /dev/ioasid style to their own fds.
 *
 * Return: 0, -EFAULT, -EINVAL if the user's size is below @min_size, or
 * -E2BIG if bytes past @ksize are not zero or the size exceeds PAGE_SIZE.
 */
int ioasidfd_copy_cmd(void *kbuf, size_t ksize, size_t min_size,
		      const void __user *ubuf, u32 *user_size)
{
	u32 size;
	int rc;

	ioasidfd_inject_user(ubuf);
	if (get_user(size, (const u32 __user *)ubuf))
		return -EFAULT;
	if (size < min_size)
		return -EINVAL;
	/* No command will ever be that big: don't scan gigabytes of zeroes. */
	if (size > PAGE_SIZE)
		return -E2BIG;
	ioasidfd_inject_user(ubuf);
	rc = copy_struct_from_user(kbuf, ksize, ubuf, size);
	if (rc)
		return rc;
	*user_size = size;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_copy_cmd, IOASIDFD);

/**
 * ioasidfd_ucmd_respond() - copy a command's outputs back to userspace
 * @ucmd: the command; writes min(user size, kernel size) bytes
 *
 * Return: 0 or -EFAULT.
 */
int ioasidfd_ucmd_respond(struct ioasidfd_ucmd *ucmd)
{
	size_t n = min_t(size_t, ucmd->user_size, ucmd->cmd_size);

	ioasidfd_inject_user(ucmd->ubuffer);
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd, n))
		return -EFAULT;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_ucmd_respond, IOASIDFD);

/*
 * Test hooks: registered by ioasidfd_test.ko only.  The rwsem keeps the
 * module's hooks in place while one that may sleep runs (fault_report);
 * RCU does for should_fail, which the fault-injection points call from any
 * context (see inject.h).
 */
static DECLARE_RWSEM(ioasidfd_test_hooks_lock);
static const struct ioasidfd_test_hooks __rcu *ioasidfd_test_hooks;
/* On while a task is armed; ioasidfd_vfio.ko's calls have points too. */
DEFINE_STATIC_KEY_FALSE(ioasidfd_inject_armed);
EXPORT_SYMBOL_NS_GPL(ioasidfd_inject_armed, IOASIDFD);

/**
 * ioasidfd_test_hooks_register() - install the test module's hooks
 * @hooks: the hooks; they stay until ioasidfd_test_hooks_unregister()
 *
 * Return: 0, or -EBUSY if hooks are installed already.
 */
int ioasidfd_test_hooks_register(const struct ioasidfd_test_hooks *hooks)
{
	int rc = 0;

	down_write(&ioasidfd_test_hooks_lock);
	if (rcu_access_pointer(ioasidfd_test_hooks))
		rc = -EBUSY;
	else
		rcu_assign_pointer(ioasidfd_test_hooks, hooks);
	up_write(&ioasidfd_test_hooks_lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_test_hooks_register, IOASIDFD_TEST);

/**
 * ioasidfd_test_hooks_unregister() - remove the hooks; none runs on return
 * @hooks: what ioasidfd_test_hooks_register() installed
 */
void ioasidfd_test_hooks_unregister(const struct ioasidfd_test_hooks *hooks)
{
	down_write(&ioasidfd_test_hooks_lock);
	if (!WARN_ON(rcu_access_pointer(ioasidfd_test_hooks) != hooks))
		RCU_INIT_POINTER(ioasidfd_test_hooks, NULL);
	up_write(&ioasidfd_test_hooks_lock);
	/* should_fail callers are RCU readers. */
	synchronize_rcu();
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_test_hooks_unregister, IOASIDFD_TEST);

/**
 * ioasidfd_test_inject_arm() - count an armed task in or out
 * @on: true when the test module arms a task, false when it drops one
 *
 * The injection points run their slow path (the should_fail hook) only
 * while the count is above zero.  Process context: patching the branches
 * may sleep.
 */
void ioasidfd_test_inject_arm(bool on)
{
	if (on)
		static_branch_inc(&ioasidfd_inject_armed);
	else
		static_branch_dec(&ioasidfd_inject_armed);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_test_inject_arm, IOASIDFD_TEST);

/* Before an IOMMU fault report, under the device lock. */
void ioasidfd_test_fault_report_hook(void)
{
	const struct ioasidfd_test_hooks *hooks;

	down_read(&ioasidfd_test_hooks_lock);
	hooks = rcu_dereference_protected(ioasidfd_test_hooks,
					  lockdep_is_held(&ioasidfd_test_hooks_lock));
	if (hooks && hooks->fault_report)
		hooks->fault_report();
	up_read(&ioasidfd_test_hooks_lock);
}

/* The slow path of ioasidfd_inject(): hooks are registered. */
noinline bool __ioasidfd_inject(enum ioasidfd_inject_site site)
{
	const struct ioasidfd_test_hooks *hooks;
	bool fail = false;

	rcu_read_lock();
	hooks = rcu_dereference(ioasidfd_test_hooks);
	if (hooks && hooks->should_fail)
		fail = hooks->should_fail(site, _RET_IP_);
	rcu_read_unlock();
	return fail;
}
EXPORT_SYMBOL_NS_GPL(__ioasidfd_inject, IOASIDFD);

/**
 * ioasidfd_dispatch() - run one ioctl of a command table
 * @ops: the table; entry i is command number @base + i
 * @base: the first command number of the table
 * @count: entries in @ops
 * @ucmd: the object(s) the command works on; the rest is filled in here
 * @cmd: the ioctl number
 * @arg: the user pointer
 *
 * Commands are _IO(IOASID_TYPE, nr): no size, no direction bits.  The user's
 * struct is read once, here, with the size rules of the uAPI.
 *
 * Return: the handler's result, a size-rule error, or -ENOIOCTLCMD if the
 * table has no such command (the VFS turns that into ENOTTY).
 */
long ioasidfd_dispatch(const struct ioasidfd_op *ops, unsigned int base,
		       unsigned int count, struct ioasidfd_ucmd *ucmd,
		       unsigned int cmd, unsigned long arg)
{
	u64 buf[IOASIDFD_CMD_BUF_SIZE / sizeof(u64)];
	unsigned int nr = _IOC_NR(cmd);
	const struct ioasidfd_op *op;
	int rc;

	if (cmd != _IO(IOASID_TYPE, nr) || nr < base || nr - base >= count)
		return -ENOIOCTLCMD;
	op = &ops[nr - base];
	if (!op->execute)
		return -ENOIOCTLCMD;
	if (WARN_ON_ONCE(op->size > sizeof(buf)))
		return -ENOIOCTLCMD;

	ucmd->ubuffer = (void __user *)arg;
	ucmd->cmd = buf;
	ucmd->cmd_size = op->size;
	rc = ioasidfd_copy_cmd(&buf, op->size, op->min_size, ucmd->ubuffer,
			       &ucmd->user_size);
	if (rc)
		return rc;
	return op->execute(ucmd);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_dispatch, IOASIDFD);

#define IOASIDFD_CTX_OP(_nr, _fn, _struct, _last) \
	IOASIDFD_OP(IOASID_CMD_GET_INFO, _nr, _fn, _struct, _last)

static const struct ioasidfd_op ioasidfd_ops[] = {
	IOASIDFD_CTX_OP(IOASID_CMD_GET_INFO, ioasidfd_info_ioctl,
			struct ioasid_info, out_caps_written),
	IOASIDFD_CTX_OP(IOASID_CMD_ALLOC, ioasidfd_alloc_ioctl,
			struct ioasid_alloc, __reserved),
	IOASIDFD_CTX_OP(IOASID_CMD_DESTROY, ioasidfd_destroy_ioctl,
			struct ioasid_destroy, __reserved),
	IOASIDFD_CTX_OP(IOASID_CMD_MAP, ioasidfd_map_ioctl,
			struct ioasid_map, iova),
	IOASIDFD_CTX_OP(IOASID_CMD_UNMAP, ioasidfd_unmap_ioctl,
			struct ioasid_unmap, length),
	IOASIDFD_CTX_OP(IOASID_CMD_FAULT_QUEUE_ALLOC,
			ioasidfd_fault_queue_alloc_ioctl,
			struct ioasid_fault_queue_alloc, __reserved),
	IOASIDFD_CTX_OP(IOASID_CMD_SET_FAULT_QUEUE, ioasidfd_set_fault_queue_ioctl,
			struct ioasid_set_fault_queue, __reserved),
	IOASIDFD_CTX_OP(IOASID_CMD_NESTED_BIND, ioasidfd_nested_bind_ioctl,
			struct ioasid_nested_bind, data_uptr),
	IOASIDFD_CTX_OP(IOASID_CMD_NESTED_INVALIDATE,
			ioasidfd_nested_invalidate_ioctl,
			struct ioasid_nested_invalidate, __reserved),
	IOASIDFD_CTX_OP(IOASID_CMD_SVA_BIND, ioasidfd_sva_bind_ioctl,
			struct ioasid_sva_bind, __reserved),
	IOASIDFD_CTX_OP(IOASID_CMD_SVA_PREFAULT, ioasidfd_sva_prefault_ioctl,
			struct ioasid_sva_prefault, out_skipped),
};

static long ioasidfd_fops_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	struct ioasidfd_ucmd ucmd = { .ctx = file->private_data };

	return ioasidfd_dispatch(ioasidfd_ops, IOASID_CMD_GET_INFO,
				 ARRAY_SIZE(ioasidfd_ops), &ucmd, cmd, arg);
}

static int ioasidfd_fops_open(struct inode *inode, struct file *file)
{
	struct ioasidfd_ctx *ctx;
	int rc;

	rc = ioasidfd_ctx_open(&ctx);
	if (rc)
		return rc;
	file->private_data = ctx;
	return 0;
}

static int ioasidfd_fops_release(struct inode *inode, struct file *file)
{
	ioasidfd_ctx_release(file->private_data);
	return 0;
}

static void ioasidfd_fops_show_fdinfo(struct seq_file *m, struct file *file)
{
	ioasidfd_show_fdinfo(m, file->private_data);
}

static const struct file_operations ioasidfd_fops = {
	.owner = THIS_MODULE,
	.open = ioasidfd_fops_open,
	.release = ioasidfd_fops_release,
	.unlocked_ioctl = ioasidfd_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = ioasidfd_fops_show_fdinfo,
	.llseek = noop_llseek,
};

/**
 * ioasidfd_ctx_from_file() - the context of an open /dev/ioasid file
 * @file: the file
 *
 * The caller must hold a reference on @file.  The context outlives the file
 * until ioasidfd_ctx_put(); once the file is closed its IOASIDs are gone and
 * lookups in it fail.
 *
 * Return: the context with a reference held, or ERR_PTR(-EINVAL) if @file is
 * not a /dev/ioasid file.
 */
struct ioasidfd_ctx *ioasidfd_ctx_from_file(struct file *file)
{
	struct ioasidfd_ctx *ctx;

	if (file->f_op != &ioasidfd_fops)
		return ERR_PTR(-EINVAL);
	ctx = file->private_data;
	refcount_inc(&ctx->users);
	return ctx;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_ctx_from_file, IOASIDFD);

/**
 * ioasidfd_ctx_fdget() - the context of a /dev/ioasid file descriptor
 * @fd: a file descriptor of the current task
 *
 * Like eventfd_ctx_fdget(): the reference is on the context, not the file.
 * Release it with ioasidfd_ctx_put().
 *
 * Return: the context, ERR_PTR(-EBADF) if @fd is not open, or
 * ERR_PTR(-EINVAL) if it is not a /dev/ioasid file.
 */
struct ioasidfd_ctx *ioasidfd_ctx_fdget(int fd)
{
	struct ioasidfd_ctx *ctx;
	struct fd f = fdget(fd);

	if (!f.file)
		return ERR_PTR(-EBADF);
	ctx = ioasidfd_ctx_from_file(f.file);
	fdput(f);
	return ctx;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_ctx_fdget, IOASIDFD);

static struct miscdevice ioasidfd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ioasid",
	.fops = &ioasidfd_fops,
	/* Opening grants nothing: quotas and RLIMIT_MEMLOCK bound the rest. */
	.mode = 0666,
};

static int __init ioasidfd_init(void)
{
	int rc;

	ioasidfd_xlate_lockdep_prime();
	ioasidfd_sva_init();
	rc = ioasidfd_ioas_init();
	if (rc)
		return rc;
	rc = misc_register(&ioasidfd_misc);
	if (rc)
		goto err_ioas;
	ioasidfd_debugfs_init();
	pr_info("/dev/ioasid ready, PASIDs from the %s allocator\n",
		ioasidfd_pasid_system() ? "system" : "module's own");
	return 0;

err_ioas:
	ioasidfd_ioas_exit();
	return rc;
}

static void __exit ioasidfd_exit(void)
{
	int i;

	misc_deregister(&ioasidfd_misc);
	ioasidfd_debugfs_exit();
	ioasidfd_ioas_exit();
	/* Every fd is closed and every device gone: anything left leaked. */
	for (i = 0; i < IOASIDFD_CNT_NR; i++)
		WARN(atomic_long_read(&ioasidfd_counters[i]),
		     "ioasidfd: counter %d leaked %ld\n", i,
		     atomic_long_read(&ioasidfd_counters[i]));
}

module_init(ioasidfd_init);
module_exit(ioasidfd_exit);

MODULE_DESCRIPTION("/dev/ioasid: PASID-centric I/O address space management");
MODULE_LICENSE("GPL");
