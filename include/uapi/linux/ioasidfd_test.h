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
	IOASID_TEST_CMD_WALK_MM = 0xc2,
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

/**
 * struct ioasid_test_walk_rec - one leaf of IOASID_TEST_WALK_MM
 * @va: first virtual address of the leaf
 * @size: its size
 * @pa: physical address of @va
 * @perm: IOASID_TEST_WALK_READ / _WRITE, as a user-level request gets them
 * @level: the format's level of the leaf (VT-d 1 = PT, SMMUv3 3 = page)
 */
struct ioasid_test_walk_rec {
	__aligned_u64 va;
	__aligned_u64 size;
	__aligned_u64 pa;
	__u32 perm;
#define IOASID_TEST_WALK_READ		(1U << 0)
#define IOASID_TEST_WALK_WRITE		(1U << 1)
	__u32 level;
};

/* Most records of one IOASID_TEST_WALK_MM */
#define IOASID_TEST_WALK_MAX		65536

/**
 * struct ioasid_test_walk_mm - IOASID_TEST_WALK_MM on /dev/ioasid-test
 * @size: sizeof(struct ioasid_test_walk_mm)
 * @flags: must be 0
 * @va: first virtual address of the caller's to walk
 * @length: bytes
 * @recs_uptr: array of @max_recs struct ioasid_test_walk_rec
 * @max_recs: 1 to IOASID_TEST_WALK_MAX
 * @out_nr: records written (present leaves, in address order)
 * @out_format: IOASID_NESTED_FMT_* of the walker: x86-64 CPU page tables
 *              are VT-d first-stage tables, arm64's VMSAv8-64 stage 1
 * @__reserved: must be 0
 *
 * Walks the caller's own CPU page tables with the module's nested walker
 * (an identity stage 2), so that the walker can be checked against the
 * tables Linux's mm builds (compare with /proc/self/pagemap).  ENOSPC when
 * the range has more leaves than @max_recs; EOPNOTSUPP on an architecture
 * whose tables no walker reads.
 */
struct ioasid_test_walk_mm {
	__u32 size;
	__u32 flags;
	__aligned_u64 va;
	__aligned_u64 length;
	__aligned_u64 recs_uptr;
	__u32 max_recs;
	__u32 out_nr;
	__u32 out_format;
	__u32 __reserved;
};

#define IOASID_TEST_WALK_MM	_IO(IOASID_TYPE, IOASID_TEST_CMD_WALK_MM)

#endif /* _UAPI_LINUX_IOASIDFD_TEST_H */
