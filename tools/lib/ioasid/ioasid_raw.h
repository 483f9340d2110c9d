/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw /dev/ioasid calls and small helpers, shared by the selftests and the
 * tools (benchmarks, demo): _ioasid_xxx(...) returns 0, or -1 with errno
 * set.  Header only; no kselftest harness needed.
 */
#ifndef __IOASID_RAW_H
#define __IOASID_RAW_H

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include <linux/ioasidfd.h>

/*
 * ASSERT_EQ(8, some_u32) compares an int literal with an unsigned value all
 * over these tests; with -Wextra that is a -Wsign-compare warning at every
 * use.  The harness reports both sides with their own signedness, so the
 * warning says nothing here.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"

#define IOASID_DEV		"/dev/ioasid"
#define IOASID_DEBUGFS		"/sys/kernel/debug"
#define IOASID_COUNTERS		IOASID_DEBUGFS "/ioasidfd/counters"
#define IOASID_PARAMS		"/sys/module/ioasidfd/parameters/"

#define SZ_4K			0x1000UL
#define SZ_64K			0x10000UL
#define SZ_1M			0x100000UL
#define SZ_2M			0x200000UL

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef offsetofend
#define offsetofend(t, m)	(offsetof(t, m) + sizeof(((t *)0)->m))
#endif

static inline unsigned long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static inline int ioasid_open(void)
{
	return open(IOASID_DEV, O_RDWR | O_CLOEXEC);
}

/* ------------------------------------------------------------------------
 * Raw ioctls
 */

static inline int _ioasid_alloc(int fd, __u32 flags, __u32 min, __u32 max,
				__u32 *pasid)
{
	struct ioasid_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.min_pasid = min,
		.max_pasid = max,
	};
	int rc;

	rc = ioctl(fd, IOASID_ALLOC, &cmd);
	if (!rc && pasid)
		*pasid = cmd.out_pasid;
	return rc;
}

static inline int _ioasid_alloc_range(int fd, __u32 min, __u32 max,
				      __u32 *pasid)
{
	return _ioasid_alloc(fd, IOASID_ALLOC_RANGE, min, max, pasid);
}

static inline int _ioasid_destroy(int fd, __u32 pasid)
{
	struct ioasid_destroy cmd = {
		.size = sizeof(cmd),
		.pasid = pasid,
	};

	return ioctl(fd, IOASID_DESTROY, &cmd);
}

/* @iova: in with IOASID_MAP_FIXED_IOVA, out always; may be NULL if not fixed */
static inline int _ioasid_map(int fd, __u32 pasid, __u32 flags,
			      const void *va, __u64 length, __u64 *iova)
{
	struct ioasid_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.pasid = pasid,
		.user_va = (uintptr_t)va,
		.length = length,
		.iova = (flags & IOASID_MAP_FIXED_IOVA) && iova ? *iova : 0,
	};
	int rc;

	rc = ioctl(fd, IOASID_MAP, &cmd);
	if (!rc && iova)
		*iova = cmd.iova;
	return rc;
}

#define MAP_RW		(IOASID_MAP_READ | IOASID_MAP_WRITE)
#define MAP_RW_FIXED	(MAP_RW | IOASID_MAP_FIXED_IOVA)

static inline int _ioasid_map_fixed(int fd, __u32 pasid, const void *va,
				    __u64 length, __u64 iova)
{
	return _ioasid_map(fd, pasid, MAP_RW_FIXED, va, length, &iova);
}

static inline int _ioasid_unmap(int fd, __u32 pasid, __u32 flags, __u64 iova,
				__u64 length, __u64 *unmapped)
{
	struct ioasid_unmap cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.pasid = pasid,
		.iova = iova,
		.length = length,
	};
	int rc;

	rc = ioctl(fd, IOASID_UNMAP, &cmd);
	if (!rc && unmapped)
		*unmapped = cmd.length;
	return rc;
}

static inline int _ioasid_unmap_all(int fd, __u32 pasid, __u64 *unmapped)
{
	return _ioasid_unmap(fd, pasid, IOASID_UNMAP_ALL, 0, 0, unmapped);
}

/* IOASID_DEVICE_ALLOW on a device fd (VFIO or software): at RID or a PASID. */
static inline int _ioasid_device_allow(int dev, int ioasid_fd, __u32 pasid,
				       __u32 flags, __u64 cookie)
{
	struct ioasid_device_allow cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioasid_fd = ioasid_fd,
		.pasid = pasid,
		.cookie = cookie,
	};

	return ioctl(dev, IOASID_DEVICE_ALLOW, &cmd);
}

static inline int _ioasid_device_disallow(int dev, __u32 pasid, __u32 flags)
{
	struct ioasid_device_disallow cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.pasid = pasid,
	};

	return ioctl(dev, IOASID_DEVICE_DISALLOW, &cmd);
}

/* Raw GET_INFO: fills *cmd (size, flags, pasid and caps fields set here). */
static inline int _ioasid_get_info_raw(int fd, __u32 flags, __u32 pasid,
				       void *caps, __u32 caps_len,
				       struct ioasid_info *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->size = sizeof(*cmd);
	cmd->flags = flags;
	cmd->pasid = pasid;
	cmd->caps_len = caps_len;
	cmd->caps_uptr = (uintptr_t)caps;
	return ioctl(fd, IOASID_GET_INFO, cmd);
}

#endif /* __IOASID_RAW_H */
