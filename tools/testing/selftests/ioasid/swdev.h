/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for tests of software devices (/dev/ioasid-test) and fault queues.
 * Each returns 0 or -errno, so tests can assert either way.
 */
#ifndef __IOASID_SWDEV_H
#define __IOASID_SWDEV_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/ioasidfd.h>
#include <linux/ioasidfd_test.h>

#include "ioasid_utils.h"

#define SW_PAGE 4096UL

/* A module counter (CNT_* of ioasid_utils.h), or -1. */
#define sw_counter(which)	counter_get(which)

static inline int sw_ret(int rc)
{
	return rc ? -errno : 0;
}

/* -errno forms of the raw calls of ioasid_utils.h, used with EXPECT_EQ. */
static inline int sw_alloc_range(int fd, uint32_t min, uint32_t max,
				 uint32_t *pasid)
{
	return sw_ret(_ioasid_alloc(fd, min || max ? IOASID_ALLOC_RANGE : 0,
				    min, max, pasid));
}

static inline int sw_alloc(int fd, uint32_t *pasid)
{
	return sw_alloc_range(fd, 0, 0, pasid);
}

static inline int sw_destroy(int fd, uint32_t pasid)
{
	return sw_ret(_ioasid_destroy(fd, pasid));
}

static inline int sw_map(int fd, uint32_t pasid, void *va, uint64_t len,
			 uint64_t iova, uint32_t rights)
{
	__u64 at = iova;

	return sw_ret(_ioasid_map(fd, pasid, rights | IOASID_MAP_FIXED_IOVA, va,
				  len, &at));
}

static inline int sw_unmap(int fd, uint32_t pasid, uint64_t iova, uint64_t len)
{
	return sw_ret(_ioasid_unmap(fd, pasid, 0, iova, len, NULL));
}

/* Creates a software device; returns its fd or -errno. */
static inline int sw_dev_create(uint32_t pasid_bits)
{
	struct ioasid_test_device_create cmd = {
		.size = sizeof(cmd),
		.pasid_bits = pasid_bits,
	};
	int tfd = open("/dev/ioasid-test", O_RDWR);
	int rc;

	if (tfd < 0)
		return -errno;
	rc = sw_ret(ioctl(tfd, IOASID_TEST_DEVICE_CREATE, &cmd));
	close(tfd);
	return rc ? rc : cmd.out_device_fd;
}

static inline int sw_allow(int dev, int fd, uint32_t pasid, uint32_t flags,
			   uint64_t cookie)
{
	return sw_ret(_ioasid_device_allow(dev, fd, pasid, flags, cookie));
}

static inline int sw_disallow(int dev, uint32_t pasid, uint32_t flags)
{
	return sw_ret(_ioasid_device_disallow(dev, pasid, flags));
}

/*
 * A software DMA.  @pasid < 0 sends a request without PASID.  Returns 0 when
 * the DMA ran (see @out for how it ended) or -errno.
 */
static inline int sw_dma(int dev, int64_t pasid, uint32_t flags, uint64_t iova,
			 void *buf, uint64_t len, struct ioasid_test_dma *out)
{
	struct ioasid_test_dma cmd = {
		.size = sizeof(cmd),
		.flags = flags | (pasid >= 0 ? IOASID_TEST_DMA_PASID : 0),
		.pasid = pasid >= 0 ? (uint32_t)pasid : 0,
		.iova = iova,
		.length = len,
		.buf_uptr = (uintptr_t)buf,
	};
	int rc;

	if (out) {
		cmd.timeout_ms = out->timeout_ms;
		cmd.delay_us = out->delay_us;
	}
	rc = sw_ret(ioctl(dev, IOASID_TEST_DMA, &cmd));
	if (out)
		*out = cmd;
	return rc;
}

/* Allocates a fault queue; returns its fd or -errno. */
static inline int sw_fault_queue(int fd, uint32_t depth)
{
	struct ioasid_fault_queue_alloc cmd = {
		.size = sizeof(cmd),
		.depth = depth,
	};
	int rc = sw_ret(ioctl(fd, IOASID_FAULT_QUEUE_ALLOC, &cmd));

	return rc ? rc : cmd.out_fault_fd;
}

static inline int sw_route(int fd, uint32_t pasid, int qfd)
{
	struct ioasid_set_fault_queue cmd = {
		.size = sizeof(cmd),
		.pasid = pasid,
		.fault_fd = qfd,
	};

	return sw_ret(ioctl(fd, IOASID_SET_FAULT_QUEUE, &cmd));
}

static inline int sw_respond(int qfd, uint32_t id, uint32_t code)
{
	struct ioasid_fault_respond cmd = {
		.size = sizeof(cmd),
		.id = id,
		.code = code,
	};

	return sw_ret(ioctl(qfd, IOASID_FAULT_RESPOND, &cmd));
}

static inline int sw_queue_info(int qfd, struct ioasid_fault_queue_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return sw_ret(ioctl(qfd, IOASID_FAULT_QUEUE_INFO, info));
}

/* Fills @buf with a pattern derived from @seed. */
static inline void sw_fill(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 12));
}

static inline int sw_check(const void *buf, size_t len, unsigned int seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 131 + i * 7 + (i >> 12)))
			return 0;
	return 1;
}

#endif /* __IOASID_SWDEV_H */
