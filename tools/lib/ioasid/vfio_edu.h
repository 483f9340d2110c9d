/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A userspace VFIO driver for QEMU's "edu" device, and thin wrappers of the
 * /dev/ioasid ioctls, for the selftests and tools.  Header only.
 *
 * Conventions: functions return 0 or a negative errno (never -1 + errno),
 * so that tests can compare with the expected errno directly.  Nothing here
 * prints; callers decide what a failure means.
 *
 * The edu device (PCI 1234:11e8), as emulated by QEMU 7.2:
 *  - BAR0 (1 MiB of MMIO): 0x00 identification (0x010000ed), 0x04 liveness
 *    (reads back the inverse of what was written), 0x60 raise interrupt,
 *    0x64 acknowledge interrupt, 0x80 DMA source address, 0x88 DMA
 *    destination address, 0x90 DMA byte count, 0x98 DMA command (bit 0 start
 *    and busy, bit 1 direction: 0 RAM -> device, 1 device -> RAM, bit 2
 *    raise an interrupt when done);
 *  - the device side of a DMA is a 4096-byte buffer at device address
 *    0x40000; QEMU 7.2 aborts on a transfer that reaches its end, so a DMA
 *    moves at most 4095 bytes;
 *  - the DMA runs 100 ms (virtual time) after the command is written;
 *  - the device masks the RAM-side address with its "dma_mask" property
 *    (default 28 bits), so IOVAs above 256 MiB need QEMU to set it, e.g.
 *    -global edu.dma_mask=0xffffffffffffffff;
 *  - the address registers keep what a 4-byte write gives them, and 8-byte
 *    pread()/pwrite() on a vfio-pci BAR is split into 4-byte accesses:
 *    addresses are written with 64-bit stores to the mmap()ed BAR instead.
 *
 * A DMA the IOMMU refuses does not hang the device: the transfer completes,
 * a write to RAM is dropped and a read from RAM delivers no data.
 */
#ifndef __IOASID_VFIO_EDU_H
#define __IOASID_VFIO_EDU_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <linux/ioasidfd.h>

#include "ioasid_raw.h"
#include "kmsg.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_REG_IDENT		0x00
#define EDU_IDENT		0x010000ed
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_START		0x1
#define EDU_DMA_TO_RAM		0x2
#define EDU_DMA_IRQ		0x4
#define EDU_DMA_IRQ_BIT		0x100	/* in the interrupt status */
#define EDU_BUF			0x40000ULL
#define EDU_BUF_SIZE		4096
#define EDU_DMA_MAX		(EDU_BUF_SIZE - 1)

#define EDU_DRIVER_IOASID	"ioasidfd-vfio-pci"
#define EDU_DRIVER_VFIO		"vfio-pci"

#define EDU_SYSFS_PCI		"/sys/bus/pci"
#define EDU_MAX_DEVICES		16

/* --- sysfs ---------------------------------------------------------------- */

static inline int edu_sysfs_write(const char *path, const char *val)
{
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != strlen(val))
		rc = -EIO;
	close(fd);
	return rc;
}

static inline int edu_sysfs_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

static inline unsigned long edu_sysfs_ulong(const char *bdf, const char *attr)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), EDU_SYSFS_PCI "/devices/%s/%s", bdf, attr);
	if (edu_sysfs_read(path, buf, sizeof(buf)))
		return ULONG_MAX;
	return strtoul(buf, NULL, 0);
}

static inline int edu_cmp_bdf(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * edu_find() - the edu devices of the system, sorted by PCI address
 * @bdfs: receives up to EDU_MAX_DEVICES addresses ("0000:00:03.0")
 *
 * Return: how many there are, or a negative errno.
 */
static inline int edu_find(char bdfs[EDU_MAX_DEVICES][32])
{
	struct dirent *de;
	int n = 0;
	DIR *dir;

	dir = opendir(EDU_SYSFS_PCI "/devices");
	if (!dir)
		return -errno;
	while ((de = readdir(dir)) && n < EDU_MAX_DEVICES) {
		if (de->d_name[0] == '.')
			continue;
		if (edu_sysfs_ulong(de->d_name, "vendor") != EDU_VENDOR ||
		    edu_sysfs_ulong(de->d_name, "device") != EDU_DEVICE)
			continue;
		snprintf(bdfs[n++], 32, "%.31s", de->d_name);
	}
	closedir(dir);
	qsort(bdfs, n, 32, edu_cmp_bdf);
	return n;
}

/* The driver @bdf is bound to, "" if none. */
static inline int edu_driver(const char *bdf, char *drv, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), EDU_SYSFS_PCI "/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		drv[0] = 0;
		return 0;
	}
	link[n] = 0;
	snprintf(drv, size, "%s", strrchr(link, '/') + 1);
	return 0;
}

/* The IOMMU group number of @bdf. */
static inline int edu_iommu_group(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), EDU_SYSFS_PCI "/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	return atoi(strrchr(link, '/') + 1);
}

/* Unbind @bdf from its driver, if any (blocks while a VFIO fd is open). */
static inline int edu_unbind(const char *bdf)
{
	char path[PATH_MAX], drv[64];
	int rc;

	rc = edu_driver(bdf, drv, sizeof(drv));
	if (rc || !drv[0])
		return rc;
	snprintf(path, sizeof(path), EDU_SYSFS_PCI "/devices/%s/driver/unbind", bdf);
	return edu_sysfs_write(path, bdf);
}

/*
 * edu_bind() - bind @bdf to @driver through driver_override
 *
 * Return: 0 once @driver is bound, -ENODEV if it did not take the device
 * (not loaded?), or another negative errno.
 */
static inline int edu_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX], drv[64];
	int rc;

	rc = edu_driver(bdf, drv, sizeof(drv));
	if (rc)
		return rc;
	if (!strcmp(drv, driver))
		return 0;
	rc = edu_unbind(bdf);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), EDU_SYSFS_PCI "/devices/%s/driver_override", bdf);
	rc = edu_sysfs_write(path, driver);
	if (rc)
		return rc;
	/* drivers_probe fails when no driver takes the device: check below. */
	edu_sysfs_write(EDU_SYSFS_PCI "/drivers_probe", bdf);
	rc = edu_driver(bdf, drv, sizeof(drv));
	if (rc)
		return rc;
	return strcmp(drv, driver) ? -ENODEV : 0;
}

/* --- VFIO ------------------------------------------------------------------- */

/**
 * struct vfio_edu - an edu device driven through VFIO
 * @bdf: PCI address
 * @group_id: IOMMU group number
 * @container: /dev/vfio/vfio fd, or -1
 * @group: /dev/vfio/<group_id> fd, or -1
 * @device: the device fd, or -1
 * @bar0: BAR0 mapped, or NULL
 * @bar0_size: its size
 * @config: offset of the config space region in the device fd
 */
struct vfio_edu {
	char bdf[32];
	int group_id;
	int container;
	int group;
	int device;
	uint8_t *bar0;
	size_t bar0_size;
	uint64_t config;
};

static inline void vfio_edu_init(struct vfio_edu *e)
{
	memset(e, 0, sizeof(*e));
	e->container = -1;
	e->group = -1;
	e->device = -1;
}

/*
 * BAR0 accessors.  Relaxed atomic loads and stores: each is exactly one
 * access of the register's size (never split, merged or left out), which is
 * what MMIO needs; on x86 and arm64 they are plain moves.
 */
static inline uint32_t vfio_edu_read32(struct vfio_edu *e, unsigned int reg)
{
	return __atomic_load_n((uint32_t *)(e->bar0 + reg), __ATOMIC_RELAXED);
}

static inline void vfio_edu_write32(struct vfio_edu *e, unsigned int reg,
				    uint32_t val)
{
	__atomic_store_n((uint32_t *)(e->bar0 + reg), val, __ATOMIC_RELAXED);
}

/* One 8-byte store: edu keeps all 64 bits only from an 8-byte access. */
static inline void vfio_edu_write64(struct vfio_edu *e, unsigned int reg,
				    uint64_t val)
{
	__atomic_store_n((uint64_t *)(e->bar0 + reg), val, __ATOMIC_RELAXED);
}

static inline uint64_t vfio_edu_read64(struct vfio_edu *e, unsigned int reg)
{
	return __atomic_load_n((uint64_t *)(e->bar0 + reg), __ATOMIC_RELAXED);
}

/*
 * Close the device fd, and unmap BAR0 first: the mapping holds the device
 * file open too.  The group stays in its container.
 */
static inline void vfio_edu_close_device(struct vfio_edu *e)
{
	if (e->bar0)
		munmap(e->bar0, e->bar0_size);
	e->bar0 = NULL;
	if (e->device >= 0)
		close(e->device);
	e->device = -1;
}

/* Close in the reverse order of vfio_edu_open(); safe on partial opens. */
static inline void vfio_edu_close(struct vfio_edu *e)
{
	vfio_edu_close_device(e);
	if (e->group >= 0)
		close(e->group);
	if (e->container >= 0)
		close(e->container);
	vfio_edu_init(e);
}

/* Open @bdf's group and put it in @container (the fd is dup()ed). */
static inline int vfio_edu_add_group(struct vfio_edu *e, const char *bdf,
				     int container)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int rc;

	vfio_edu_init(e);
	snprintf(e->bdf, sizeof(e->bdf), "%s", bdf);
	e->group_id = edu_iommu_group(bdf);
	if (e->group_id < 0)
		return e->group_id;
	e->container = fcntl(container, F_DUPFD_CLOEXEC, 0);
	if (e->container < 0)
		goto err;
	snprintf(path, sizeof(path), "/dev/vfio/%d", e->group_id);
	e->group = open(path, O_RDWR | O_CLOEXEC);
	if (e->group < 0)
		goto err;
	if (ioctl(e->group, VFIO_GROUP_GET_STATUS, &status))
		goto err;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EPERM;
		goto err;
	}
	if (ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->container))
		goto err;
	return 0;

err:
	rc = -errno;
	vfio_edu_close(e);
	return rc;
}

/*
 * vfio_edu_open_group() - a new container with @bdf's group in it, set to
 * @iommu_type (IOASID_VFIO_IOMMU_TYPE or VFIO_TYPE1v2_IOMMU); the device fd
 * is not opened yet.  On failure, everything opened is closed again.
 */
static inline int vfio_edu_open_group(struct vfio_edu *e, const char *bdf,
				      unsigned long iommu_type)
{
	int container, rc;

	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		return -errno;
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		close(container);
		return -EINVAL;
	}
	rc = vfio_edu_add_group(e, bdf, container);
	close(container);
	if (rc)
		return rc;
	if (ioctl(e->container, VFIO_SET_IOMMU, iommu_type)) {
		rc = -errno;
		vfio_edu_close(e);
	}
	return rc;
}

static inline int vfio_edu_config_read(struct vfio_edu *e, unsigned int off,
				       void *val, size_t size)
{
	ssize_t n = pread(e->device, val, size, e->config + off);

	return n == (ssize_t)size ? 0 : n < 0 ? -errno : -EIO;
}

static inline int vfio_edu_config_write(struct vfio_edu *e, unsigned int off,
					const void *val, size_t size)
{
	ssize_t n = pwrite(e->device, val, size, e->config + off);

	return n == (ssize_t)size ? 0 : n < 0 ? -errno : -EIO;
}

/* Memory decoding and bus mastering on: the device may DMA from now on. */
static inline int vfio_edu_enable(struct vfio_edu *e)
{
	uint16_t cmd;
	int rc;

	rc = vfio_edu_config_read(e, PCI_COMMAND, &cmd, sizeof(cmd));
	if (rc)
		return rc;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	return vfio_edu_config_write(e, PCI_COMMAND, &cmd, sizeof(cmd));
}

/*
 * vfio_edu_open_device() - after vfio_edu_open_group(): the device fd,
 * BAR0 mmap()ed, bus mastering enabled, the device checked alive.
 */
static inline int vfio_edu_open_device(struct vfio_edu *e)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	void *p;
	int rc;

	e->device = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, e->bdf);
	if (e->device < 0)
		return -errno;
	if (ioctl(e->device, VFIO_DEVICE_GET_INFO, &info))
		return -errno;
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX)
		return -ENODEV;

	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return -errno;
	e->config = reg.offset;

	memset(&reg, 0, sizeof(reg));
	reg.argsz = sizeof(reg);
	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return -errno;
	if (!(reg.flags & VFIO_REGION_INFO_FLAG_MMAP) || reg.size < 0x100)
		return -ENODEV;
	p = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 e->device, reg.offset);
	if (p == MAP_FAILED)
		return -errno;
	e->bar0 = p;
	e->bar0_size = reg.size;

	rc = vfio_edu_enable(e);
	if (rc)
		return rc;
	if (vfio_edu_read32(e, EDU_REG_IDENT) != EDU_IDENT)
		return -ENODEV;
	vfio_edu_write32(e, EDU_REG_LIVENESS, 0x12345678);
	if (vfio_edu_read32(e, EDU_REG_LIVENESS) != ~0x12345678U)
		return -EIO;
	return 0;
}

/*
 * vfio_edu_open() - bind @bdf to @driver, open it through a container of
 * @iommu_type, map BAR0 and enable bus mastering.  On failure, everything
 * opened is closed again.
 */
static inline int vfio_edu_open(struct vfio_edu *e, const char *bdf,
				const char *driver, unsigned long iommu_type)
{
	int rc;

	rc = edu_bind(bdf, driver);
	if (rc)
		return rc;
	rc = vfio_edu_open_group(e, bdf, iommu_type);
	if (rc)
		return rc;
	rc = vfio_edu_open_device(e);
	if (rc)
		vfio_edu_close(e);
	return rc;
}

static inline uint64_t edu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Wait until no DMA runs; -ETIMEDOUT after @timeout_ms. */
static inline int vfio_edu_dma_wait(struct vfio_edu *e, unsigned int timeout_ms)
{
	uint64_t end = edu_now_ms() + timeout_ms;

	while (vfio_edu_read32(e, EDU_REG_DMA_CMD) & EDU_DMA_START) {
		if (edu_now_ms() > end)
			return -ETIMEDOUT;
		usleep(1000);
	}
	return 0;
}

/*
 * vfio_edu_dma() - run one DMA and wait for its end
 * @src: source address (an IOVA, or EDU_BUF + offset)
 * @dst: destination address
 * @count: bytes, 1..EDU_DMA_MAX, within the device buffer
 * @cmd: EDU_DMA_TO_RAM for device -> RAM, 0 for RAM -> device; EDU_DMA_IRQ
 *
 * The registers are read back before the start, so that an address the
 * device did not take is reported (-EIO) instead of silently used.
 */
static inline int vfio_edu_dma(struct vfio_edu *e, uint64_t src, uint64_t dst,
			       uint32_t count, uint32_t cmd)
{
	int rc;

	if (!count || count > EDU_DMA_MAX)
		return -EINVAL;
	rc = vfio_edu_dma_wait(e, 5000);
	if (rc)
		return rc;
	vfio_edu_write64(e, EDU_REG_DMA_SRC, src);
	vfio_edu_write64(e, EDU_REG_DMA_DST, dst);
	vfio_edu_write64(e, EDU_REG_DMA_COUNT, count);
	if (vfio_edu_read64(e, EDU_REG_DMA_SRC) != src ||
	    vfio_edu_read64(e, EDU_REG_DMA_DST) != dst ||
	    vfio_edu_read64(e, EDU_REG_DMA_COUNT) != count)
		return -EIO;
	vfio_edu_write32(e, EDU_REG_DMA_CMD, cmd | EDU_DMA_START);
	return vfio_edu_dma_wait(e, 10000);
}

/* @len bytes of RAM at @iova into the device buffer at @off. */
static inline int vfio_edu_to_device(struct vfio_edu *e, uint64_t iova,
				     unsigned int off, uint32_t len)
{
	return vfio_edu_dma(e, iova, EDU_BUF + off, len, 0);
}

/*
 * VFIO type1 calls on the container of @e (a device opened with
 * VFIO_TYPE1v2_IOMMU): map @len bytes at @va read-write at @iova, and unmap
 * exactly that range.  Return: 0 or -errno (-EIO: type1 unmapped another
 * amount).
 */
static inline int vfio_edu_type1_map(struct vfio_edu *e, void *va,
				     uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = len,
	};

	return ioctl(e->container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

static inline int vfio_edu_type1_unmap(struct vfio_edu *e, uint64_t iova,
				       uint64_t len)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = len,
	};

	if (ioctl(e->container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	return unmap.size == len ? 0 : -EIO;
}

/* @len bytes of the device buffer at @off to RAM at @iova. */
static inline int vfio_edu_to_ram(struct vfio_edu *e, unsigned int off,
				  uint64_t iova, uint32_t len)
{
	return vfio_edu_dma(e, EDU_BUF + off, iova, len, EDU_DMA_TO_RAM);
}

/*
 * DMA faults the IOMMU reported so far: the interrupt count of the VT-d
 * fault interrupt ("dmar" in /proc/interrupts) or of the SMMUv3 event queue
 * ("evtq").  The guest rate-limits the fault messages in its log, so this is
 * the reliable counter.  Return: the count, or -ENOENT if there is no such
 * interrupt line.
 */
static inline long edu_iommu_faults(void)
{
	char line[1024];
	long total = -ENOENT;
	FILE *f;

	f = fopen("/proc/interrupts", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (!strstr(line, "dmar") && !strstr(line, "evtq"))
			continue;
		p = strchr(line, ':');
		if (!p)
			continue;
		if (total < 0)
			total = 0;
		for (p++;; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			total += v;
		}
	}
	fclose(f);
	return total;
}

/*
 * Wait up to @timeout_ms for the fault count to pass @before (the fault
 * interrupt is handled asynchronously).  Return: the new count, or @before.
 */
static inline long edu_iommu_faults_after(long before, unsigned int timeout_ms)
{
	uint64_t end = edu_now_ms() + timeout_ms;
	long now;

	do {
		now = edu_iommu_faults();
		if (now != before)
			return now;
		usleep(5000);
	} while (edu_now_ms() < end);
	return now;
}

/*
 * EDU_KERNEL_LOG_CLEAN_TEST(prog): in a kselftest program, a last test
 * (kernel_log_clean, in a fixture of its own so that it runs after every
 * other) that fails if any problem line (see kmsg.h) reached the
 * kernel log since @prog started.  Use once, after the program's other tests.
 */
#define EDU_KERNEL_LOG_CLEAN_TEST(prog)					\
static int edu_kmsg_watch_fd = -1;					\
									\
static void __attribute__((constructor)) edu_kmsg_watch_start(void)	\
{									\
	edu_kmsg_watch_fd = kmsg_watch_begin();				\
}									\
									\
FIXTURE(log) {								\
	int unused;							\
};									\
									\
FIXTURE_SETUP(log)							\
{									\
}									\
									\
FIXTURE_TEARDOWN(log)							\
{									\
}									\
									\
TEST_F(log, kernel_log_clean)						\
{									\
	char first[512];						\
	int n = kmsg_problems(edu_kmsg_watch_fd, first, sizeof(first));	\
									\
	ASSERT_LE(0, n) {						\
		TH_LOG("cannot read /dev/kmsg: %s", strerror(-n));	\
	}								\
	ASSERT_EQ(0, n) {						\
		TH_LOG("%d problem line(s) in the kernel log since %s started, first: %s", \
		       n, prog, first);					\
	}								\
}

/* --- /dev/ioasid ------------------------------------------------------------ */

/*
 * The few /dev/ioasid calls a userspace driver needs, as -errno returning
 * forms of the raw calls of ioasid_raw.h.
 */
static inline int edu_ioasid_open(void)
{
	int fd = ioasid_open();

	return fd < 0 ? -errno : fd;
}

static inline int edu_ioasid_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int edu_ioasid_alloc(int fd, uint32_t *pasid)
{
	return _ioasid_alloc(fd, 0, 0, 0, pasid) ? -errno : 0;
}

static inline int edu_ioasid_destroy(int fd, uint32_t pasid)
{
	return _ioasid_destroy(fd, pasid) ? -errno : 0;
}

/* Map @len bytes at @va to @iova, readable and writable by the device. */
static inline int edu_ioasid_map(int fd, uint32_t pasid, void *va, uint64_t len,
				 uint64_t iova)
{
	return _ioasid_map_fixed(fd, pasid, va, len, iova) ? -errno : 0;
}

static inline int edu_ioasid_unmap(int fd, uint32_t pasid, uint64_t iova,
				   uint64_t len)
{
	return _ioasid_unmap(fd, pasid, 0, iova, len, NULL) ? -errno : 0;
}

/* IOASID_DEVICE_ALLOW on the device fd: at RID (@flags 0) or at the PASID. */
static inline int vfio_edu_allow(struct vfio_edu *e, int ioasid_fd,
				 uint32_t pasid, uint32_t flags)
{
	return _ioasid_device_allow(e->device, ioasid_fd, pasid, flags, 0) ?
	       -errno : 0;
}

static inline int vfio_edu_disallow(struct vfio_edu *e, uint32_t pasid,
				    uint32_t flags)
{
	return _ioasid_device_disallow(e->device, pasid, flags) ? -errno : 0;
}

static inline int vfio_edu_info(struct vfio_edu *e,
				struct ioasid_device_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return edu_ioasid_ioctl(e->device, IOASID_DEVICE_GET_INFO, info);
}

#endif /* __IOASID_VFIO_EDU_H */
