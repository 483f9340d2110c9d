// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid-test: software devices for the /dev/ioasid test suite.
 *
 * A thin uAPI over the core's software executor: each device is an fd that
 * answers the IOASID_DEVICE_* ioctls exactly as a VFIO device fd does (both
 * go to ioasidfd_device_ioctl()) and runs DMA with ioasidfd_sw_dma_rw().
 * The module is test-only and stays unloaded unless a test loads it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ioasidfd.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/ioasidfd_test.h>

#define IOASIDFD_TEST_DMA_MAX		SZ_64M
#define IOASIDFD_TEST_TIMEOUT_MAX	10000
#define IOASIDFD_TEST_DELAY_MAX		10000

static long ioasidfd_test_dma(struct ioasidfd_device *idev, void __user *uptr)
{
	const u32 valid = IOASID_TEST_DMA_WRITE | IOASID_TEST_DMA_PASID |
			  IOASID_TEST_DMA_RECOVERABLE;
	struct ioasidfd_sw_dma dma = {};
	struct ioasid_test_dma cmd;
	u64 off = 0;
	u32 usize;
	void *buf;
	int rc;

	rc = ioasidfd_copy_cmd(&cmd, sizeof(cmd),
			       offsetofend(struct ioasid_test_dma, out_retries),
			       uptr, &usize);
	if (rc)
		return rc;
	if (cmd.flags & ~valid)
		return -EOPNOTSUPP;
	if ((!(cmd.flags & IOASID_TEST_DMA_PASID) && cmd.pasid) ||
	    (!(cmd.flags & IOASID_TEST_DMA_RECOVERABLE) && cmd.timeout_ms))
		return -EINVAL;
	if (cmd.flags & IOASID_TEST_DMA_RECOVERABLE &&
	    (!cmd.timeout_ms || cmd.timeout_ms > IOASIDFD_TEST_TIMEOUT_MAX))
		return -EINVAL;
	if (!cmd.length || cmd.length > IOASIDFD_TEST_DMA_MAX ||
	    cmd.delay_us > IOASIDFD_TEST_DELAY_MAX)
		return -EINVAL;
	if (cmd.iova + cmd.length - 1 < cmd.iova)
		return -EOVERFLOW;

	buf = kvzalloc(cmd.length, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	if (cmd.flags & IOASID_TEST_DMA_WRITE &&
	    copy_from_user(buf, u64_to_user_ptr(cmd.buf_uptr), cmd.length)) {
		rc = -EFAULT;
		goto out;
	}

	dma.pasid = cmd.flags & IOASID_TEST_DMA_PASID ? cmd.pasid :
		    IOASIDFD_PASID_RID;
	dma.write = cmd.flags & IOASID_TEST_DMA_WRITE;
	dma.recoverable = cmd.flags & IOASID_TEST_DMA_RECOVERABLE;
	dma.timeout = msecs_to_jiffies(cmd.timeout_ms);
	cmd.out_retries = 0;
	/* With a delay, one page per request, pausing in between. */
	do {
		u64 iova = cmd.iova + off;
		u64 len = cmd.delay_us ? min_t(u64, cmd.length - off,
					       PAGE_SIZE - offset_in_page(iova)) :
					 cmd.length;

		dma.iova = iova;
		dma.length = len;
		dma.buf = buf + off;
		rc = ioasidfd_sw_dma_rw(idev, &dma);
		if (rc)
			goto out;
		off += dma.done;
		cmd.out_retries += dma.retries;
		if (dma.status != IOASIDFD_SW_DMA_OK)
			break;
		if (cmd.delay_us && off < cmd.length) {
			fsleep(cmd.delay_us);
			if (fatal_signal_pending(current)) {
				rc = -EINTR;
				goto out;
			}
		}
	} while (off < cmd.length);

	switch (dma.status) {
	case IOASIDFD_SW_DMA_OK:
		cmd.out_status = IOASID_TEST_DMA_OK;
		break;
	case IOASIDFD_SW_DMA_FAULT:
		cmd.out_status = IOASID_TEST_DMA_FAULT;
		break;
	default:
		cmd.out_status = IOASID_TEST_DMA_NO_ATTACH;
		break;
	}
	cmd.out_done = off;
	cmd.out_fault_addr = dma.status == IOASIDFD_SW_DMA_FAULT ?
			     dma.fault_addr : 0;
	cmd.out_fault_reason = dma.status == IOASIDFD_SW_DMA_FAULT ?
			       dma.fault_reason : 0;
	if (!(cmd.flags & IOASID_TEST_DMA_WRITE) &&
	    copy_to_user(u64_to_user_ptr(cmd.buf_uptr), buf, off)) {
		rc = -EFAULT;
		goto out;
	}
	if (copy_to_user(uptr, &cmd, min_t(size_t, usize, sizeof(cmd))))
		rc = -EFAULT;
out:
	kvfree(buf);
	return rc;
}

static long ioasidfd_test_dev_ioctl(struct file *file, unsigned int cmd,
				    unsigned long arg)
{
	struct ioasidfd_device *idev = file->private_data;
	long rc;

	rc = ioasidfd_device_ioctl(idev, cmd, arg);
	if (rc != -ENOIOCTLCMD)
		return rc;
	if (cmd == IOASID_TEST_DMA)
		return ioasidfd_test_dma(idev, (void __user *)arg);
	return -ENOTTY;
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

static long ioasidfd_test_create(void __user *uptr)
{
	struct ioasid_test_device_create cmd;
	struct ioasidfd_device *idev;
	struct file *file;
	u32 usize;
	int fd, rc;

	rc = ioasidfd_copy_cmd(&cmd, sizeof(cmd),
			       offsetofend(struct ioasid_test_device_create,
					   out_device_fd),
			       uptr, &usize);
	if (rc)
		return rc;
	if (cmd.flags)
		return -EOPNOTSUPP;
	idev = ioasidfd_sw_device_create(cmd.pasid_bits);
	if (IS_ERR(idev))
		return PTR_ERR(idev);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ioasidfd_device_destroy(idev);
		return fd;
	}
	file = anon_inode_getfile("[ioasid-swdev]", &ioasidfd_test_dev_fops,
				  idev, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		ioasidfd_device_destroy(idev);
		return PTR_ERR(file);
	}
	/* The caller learns the fd before it exists; fput() destroys idev. */
	cmd.out_device_fd = fd;
	if (copy_to_user(uptr, &cmd, min_t(size_t, usize, sizeof(cmd)))) {
		fput(file);
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}

static long ioasidfd_test_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	if (cmd == IOASID_TEST_DEVICE_CREATE)
		return ioasidfd_test_create((void __user *)arg);
	return -ENOTTY;
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

module_misc_device(ioasidfd_test_misc);

MODULE_DESCRIPTION("/dev/ioasid-test: software devices for the /dev/ioasid tests");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOASIDFD);
