/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/ioasid-test: software devices for the /dev/ioasid test suite.
 *
 * Test-only: provided by the ioasidfd_test module, which is not loaded
 * unless asked for.  Not a stable interface.  The general ioctl rules of
 * <linux/ioasidfd.h> apply.
 */
#ifndef _UAPI_LINUX_IOASIDFD_TEST_H
#define _UAPI_LINUX_IOASIDFD_TEST_H

#include <linux/types.h>
#include <linux/ioasidfd.h>

enum {
	IOASID_TEST_CMD_DEVICE_CREATE = 0xc0,
	IOASID_TEST_CMD_DMA = 0xc1,
};

/**
 * struct ioasid_test_device_create - IOASID_TEST_DEVICE_CREATE on
 *                                    /dev/ioasid-test
 * @size: sizeof(struct ioasid_test_device_create)
 * @flags: must be 0
 * @pasid_bits: PASID width the device issues, 0 (none) to 20; ERANGE above
 * @out_device_fd: the new software device's fd (close-on-exec).  It answers
 *                 the IOASID_DEVICE_* ioctls and IOASID_TEST_DMA; closing it
 *                 detaches and destroys the device.
 */
struct ioasid_test_device_create {
	__u32 size;
	__u32 flags;
	__u32 pasid_bits;
	__s32 out_device_fd;
};

#define IOASID_TEST_DEVICE_CREATE \
	_IO(IOASID_TYPE, IOASID_TEST_CMD_DEVICE_CREATE)

/* struct ioasid_test_dma::out_status */
#define IOASID_TEST_DMA_OK		0	/* every byte moved */
#define IOASID_TEST_DMA_FAULT		1	/* stopped at a fault */
#define IOASID_TEST_DMA_NO_ATTACH	2	/* nothing attached there */

/**
 * struct ioasid_test_dma - IOASID_TEST_DMA on a software device fd
 * @size: sizeof(struct ioasid_test_dma)
 * @flags: IOASID_TEST_DMA_WRITE: the device writes memory (else reads it);
 *         IOASID_TEST_DMA_PASID: the request carries @pasid (else it is a
 *         request without PASID); IOASID_TEST_DMA_RECOVERABLE: the device
 *         waits for fault responses; IOASID_TEST_DMA_PRIV: a privileged
 *         (supervisor) request
 * @pasid: with IOASID_TEST_DMA_PASID, else 0
 * @timeout_ms: with IOASID_TEST_DMA_RECOVERABLE, the longest wait for one
 *              response (1 to 10000), else 0
 * @iova: first IOVA
 * @length: bytes, at most 64 MiB
 * @buf_uptr: the device's side of the data: the bytes it writes, or where
 *            the bytes it reads go (only @out_done bytes are written)
 * @delay_us: pause after each page (at most 10000), so a test can act while
 *            the DMA runs
 * @out_status: IOASID_TEST_DMA_*
 * @out_done: bytes moved
 * @out_fault_addr: with IOASID_TEST_DMA_FAULT, the IOVA that faulted
 * @out_fault_reason: with IOASID_TEST_DMA_FAULT, IOASID_FAULT_REASON_*
 * @out_retries: accesses retried after IOASID_FAULT_RESP_RETRY
 */
struct ioasid_test_dma {
	__u32 size;
	__u32 flags;
#define IOASID_TEST_DMA_WRITE		(1U << 0)
#define IOASID_TEST_DMA_PASID		(1U << 1)
#define IOASID_TEST_DMA_RECOVERABLE	(1U << 2)
#define IOASID_TEST_DMA_PRIV		(1U << 3)
	__u32 pasid;
	__u32 timeout_ms;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 buf_uptr;
	__u32 delay_us;
	__u32 out_status;
	__aligned_u64 out_done;
	__aligned_u64 out_fault_addr;
	__u32 out_fault_reason;
	__u32 out_retries;
};

#define IOASID_TEST_DMA		_IO(IOASID_TYPE, IOASID_TEST_CMD_DMA)

#endif /* _UAPI_LINUX_IOASIDFD_TEST_H */
