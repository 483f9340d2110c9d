// SPDX-License-Identifier: GPL-2.0
/*
 * PASID-granular DMA through the software executor.
 *
 * Software devices (from the test-only ioasidfd_test module) attach to
 * IOASIDs through the same device ioctls as VFIO devices and DMA through the
 * same IOASID translations; these tests prove PASID-granular semantics the
 * emulated hardware cannot run: per-PASID isolation on one device, one PASID
 * on two devices, permissions page by page, and DESTROY during DMA.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

#include "kselftest_harness.h"
#include "swdev.h"

#define NPAGES	16
#define IOVA	0x100000UL

static void *map_pages(size_t n)
{
	void *p = mmap(NULL, n * SW_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, n * SW_PAGE);
	return p;
}

static int dma_ok(const struct ioasid_test_dma *d, uint64_t len)
{
	return d->out_status == IOASID_TEST_DMA_OK && d->out_done == len;
}

FIXTURE(swdev) {
	int fd;
	int dev;
	void *buf;
	uint32_t pasid;
};

FIXTURE_SETUP(swdev)
{
	self->fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, self->fd);
	self->dev = sw_dev_create(20);
	ASSERT_LE(0, self->dev) TH_LOG("no software device: is ioasidfd_test loaded? (%d)",
				       self->dev);
	self->buf = map_pages(NPAGES);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, sw_alloc(self->fd, &self->pasid));
	ASSERT_EQ(0, sw_map(self->fd, self->pasid, self->buf, NPAGES * SW_PAGE,
			    IOVA, IOASID_MAP_READ | IOASID_MAP_WRITE));
}

FIXTURE_TEARDOWN(swdev)
{
	close(self->dev);
	close(self->fd);
	munmap(self->buf, NPAGES * SW_PAGE);
	/* Every test leaves nothing behind once its fds are closed. */
	EXPECT_EQ(0, sw_counter(CNT_DEVICES));
	EXPECT_EQ(0, sw_counter(CNT_PASIDS));
	EXPECT_EQ(0, sw_counter(CNT_PINNED));
	EXPECT_EQ(0, sw_counter(CNT_ATTACHMENTS));
	EXPECT_EQ(0, sw_counter(CNT_HWPTS));
}

TEST_F(swdev, device_info)
{
	struct ioasid_device_info info = { .size = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->dev, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_EQ(IOASID_EXEC_SOFTWARE, info.out_executor);
	EXPECT_EQ(IOASID_FAMILY_SOFTWARE, info.out_family);
	EXPECT_EQ(20, info.out_pasid_bits);
	EXPECT_EQ(SW_PAGE, info.out_pgsize_bitmap);
	EXPECT_EQ(0, info.out_aperture_start);
	EXPECT_EQ((1ULL << 48) - 1, info.out_aperture_last);
	EXPECT_TRUE(info.out_modes & (1U << IOASID_MODE_IOVA));
	EXPECT_EQ(0, info.out_attach);

	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid, 0, 1));
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 2));
	ASSERT_EQ(0, ioctl(self->dev, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_EQ(IOASID_DEVICE_ATTACHED_RID, info.out_attach);
	EXPECT_EQ(self->pasid, info.out_rid_pasid);
	EXPECT_EQ(1, info.out_nr_pasid_attach);
}

/* DMA without PASID through a RID attachment, both directions. */
TEST_F(swdev, rid_dma)
{
	char data[3 * SW_PAGE];
	struct ioasid_test_dma d = {};

	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid, 0, 7));
	sw_fill(data, sizeof(data), 1);
	/* Unaligned start, crossing pages. */
	ASSERT_EQ(0, sw_dma(self->dev, -1, IOASID_TEST_DMA_WRITE, IOVA + 100,
			    data, sizeof(data), &d));
	EXPECT_TRUE(dma_ok(&d, sizeof(data)));
	EXPECT_TRUE(sw_check((char *)self->buf + 100, sizeof(data), 1));
	EXPECT_EQ(0, ((char *)self->buf)[99]);
	EXPECT_EQ(0, ((char *)self->buf)[100 + sizeof(data)]);

	memset(data, 0, sizeof(data));
	sw_fill((char *)self->buf + 5 * SW_PAGE, 2 * SW_PAGE, 2);
	ASSERT_EQ(0, sw_dma(self->dev, -1, 0, IOVA + 5 * SW_PAGE, data,
			    2 * SW_PAGE, &d));
	EXPECT_TRUE(dma_ok(&d, 2 * SW_PAGE));
	EXPECT_TRUE(sw_check(data, 2 * SW_PAGE, 2));

	/* The same device issues no PASID requests through its RID port. */
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, 0, IOVA, data, 16, &d));
	EXPECT_EQ(IOASID_TEST_DMA_NO_ATTACH, d.out_status);
	EXPECT_EQ(0, d.out_done);
}

/* PASID A cannot reach B's memory, at the very same IOVA. */
TEST_F(swdev, pasid_isolation)
{
	void *bbuf = map_pages(NPAGES);
	struct ioasid_test_dma d = {};
	char data[SW_PAGE];
	uint32_t b = 0, c = 0;

	ASSERT_NE(NULL, bbuf);
	ASSERT_EQ(0, sw_alloc(self->fd, &b));
	ASSERT_EQ(0, sw_alloc(self->fd, &c));
	ASSERT_EQ(0, sw_map(self->fd, b, bbuf, NPAGES * SW_PAGE, IOVA,
			    IOASID_MAP_READ | IOASID_MAP_WRITE));
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0xa));
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, b, IOASID_DEVICE_PASID, 0xb));

	sw_fill(data, sizeof(data), 3);
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, IOASID_TEST_DMA_WRITE, IOVA,
			    data, sizeof(data), &d));
	EXPECT_TRUE(dma_ok(&d, sizeof(data)));
	EXPECT_TRUE(sw_check(self->buf, SW_PAGE, 3));
	EXPECT_EQ(0, memcmp(bbuf, (char[SW_PAGE]){0}, SW_PAGE));

	sw_fill(data, sizeof(data), 4);
	ASSERT_EQ(0, sw_dma(self->dev, b, IOASID_TEST_DMA_WRITE, IOVA, data,
			    sizeof(data), &d));
	EXPECT_TRUE(dma_ok(&d, sizeof(data)));
	EXPECT_TRUE(sw_check(bbuf, SW_PAGE, 4));
	EXPECT_TRUE(sw_check(self->buf, SW_PAGE, 3));

	/* Reads come from the right IOASID too. */
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, 0, IOVA, data, sizeof(data),
			    &d));
	EXPECT_TRUE(sw_check(data, SW_PAGE, 3));

	/* A PASID nothing is attached at, and requests without PASID. */
	ASSERT_EQ(0, sw_dma(self->dev, c, IOASID_TEST_DMA_WRITE, IOVA, data,
			    sizeof(data), &d));
	EXPECT_EQ(IOASID_TEST_DMA_NO_ATTACH, d.out_status);
	ASSERT_EQ(0, sw_dma(self->dev, -1, IOASID_TEST_DMA_WRITE, IOVA, data,
			    sizeof(data), &d));
	EXPECT_EQ(IOASID_TEST_DMA_NO_ATTACH, d.out_status);
	EXPECT_TRUE(sw_check(self->buf, SW_PAGE, 3));
	EXPECT_TRUE(sw_check(bbuf, SW_PAGE, 4));
	munmap(bbuf, NPAGES * SW_PAGE);
}

/* ALLOW at a wire PASID other than the IOASID's: a VMM's guest PASIDs. */
static int allow_wire(int dev, int fd, uint32_t pasid, uint32_t wire,
		      uint32_t flags, uint32_t reserved)
{
	struct ioasid_device_allow cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioasid_fd = fd,
		.pasid = pasid,
		.wire_pasid = wire,
		.__reserved = reserved,
	};

	return sw_ret(ioctl(dev, IOASID_DEVICE_ALLOW, &cmd));
}

#define WIRE	(IOASID_DEVICE_PASID | IOASID_DEVICE_WIRE_PASID)

TEST_F(swdev, wire_pasid)
{
	struct ioasid_device_info info = { .size = sizeof(info) };
	struct ioasid_test_dma d = {};
	char data[SW_PAGE];
	uint32_t w1 = 0x77, w2 = 0x1234;

	/* Two wire PASIDs of one device to the same IOASID. */
	ASSERT_NE(w1, self->pasid);
	ASSERT_NE(w2, self->pasid);
	ASSERT_EQ(0, allow_wire(self->dev, self->fd, self->pasid, w1, WIRE, 0));
	ASSERT_EQ(0, allow_wire(self->dev, self->fd, self->pasid, w2, WIRE, 0));
	EXPECT_EQ(-EBUSY, allow_wire(self->dev, self->fd, self->pasid, w1,
				     WIRE, 0));
	ASSERT_EQ(0, ioctl(self->dev, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_EQ(2, info.out_nr_pasid_attach);

	sw_fill(data, sizeof(data), 7);
	ASSERT_EQ(0, sw_dma(self->dev, w1, IOASID_TEST_DMA_WRITE, IOVA, data,
			    sizeof(data), &d));
	EXPECT_TRUE(dma_ok(&d, sizeof(data)));
	EXPECT_TRUE(sw_check(self->buf, SW_PAGE, 7));
	memset(data, 0, sizeof(data));
	ASSERT_EQ(0, sw_dma(self->dev, w2, 0, IOVA, data, sizeof(data), &d));
	EXPECT_TRUE(dma_ok(&d, sizeof(data)));
	EXPECT_TRUE(sw_check(data, SW_PAGE, 7));
	/* The IOASID's own PASID is not attached: only the wire ones are. */
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, 0, IOVA, data, sizeof(data),
			    &d));
	EXPECT_EQ(IOASID_TEST_DMA_NO_ATTACH, d.out_status);

	/* DISALLOW names the wire PASID; the other one keeps working. */
	EXPECT_EQ(-ENOENT, sw_disallow(self->dev, self->pasid,
				       IOASID_DEVICE_PASID));
	ASSERT_EQ(0, sw_disallow(self->dev, w1, IOASID_DEVICE_PASID));
	ASSERT_EQ(0, sw_dma(self->dev, w1, 0, IOVA, data, sizeof(data), &d));
	EXPECT_EQ(IOASID_TEST_DMA_NO_ATTACH, d.out_status);
	ASSERT_EQ(0, sw_dma(self->dev, w2, 0, IOVA, data, sizeof(data), &d));
	EXPECT_TRUE(dma_ok(&d, sizeof(data)));
	EXPECT_EQ(1, sw_counter(CNT_ATTACHMENTS));
	/* DESTROY: the wire attachment faults, the PASID is parked. */
	ASSERT_EQ(0, sw_destroy(self->fd, self->pasid));
	ASSERT_EQ(0, sw_dma(self->dev, w2, 0, IOVA, data, sizeof(data), &d));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	EXPECT_EQ(1, sw_counter(CNT_PASIDS));
	ASSERT_EQ(0, sw_disallow(self->dev, w2, IOASID_DEVICE_PASID));
	EXPECT_EQ(0, sw_counter(CNT_PASIDS));
}

TEST_F(swdev, wire_pasid_errors)
{
	long attach = sw_counter(CNT_ATTACHMENTS);
	int narrow = sw_dev_create(4);

	ASSERT_LE(0, narrow);
	/* WIRE_PASID needs DEVICE_PASID; a wire PASID needs WIRE_PASID. */
	EXPECT_EQ(-EINVAL, allow_wire(self->dev, self->fd, self->pasid, 5,
				      IOASID_DEVICE_WIRE_PASID, 0));
	EXPECT_EQ(-EINVAL, allow_wire(self->dev, self->fd, self->pasid, 5,
				      IOASID_DEVICE_PASID, 0));
	EXPECT_EQ(-EINVAL, allow_wire(self->dev, self->fd, self->pasid, 5, 0, 0));
	EXPECT_EQ(-EOPNOTSUPP, allow_wire(self->dev, self->fd, self->pasid, 5,
					  WIRE, 1));
	/* Outside the PASID space, and outside what the device issues. */
	EXPECT_EQ(-ERANGE, allow_wire(self->dev, self->fd, self->pasid,
				      1U << 20, WIRE, 0));
	EXPECT_EQ(-ERANGE, allow_wire(narrow, self->fd, self->pasid, 16, WIRE,
				      0));
	EXPECT_EQ(0, allow_wire(narrow, self->fd, self->pasid, 15, WIRE, 0));
	/* Wire PASID 0 is a PASID like any other to the software IOMMU. */
	EXPECT_EQ(0, allow_wire(self->dev, self->fd, self->pasid, 0, WIRE, 0));
	EXPECT_EQ(attach + 2, sw_counter(CNT_ATTACHMENTS));
	close(narrow);
}

/* One PASID on two devices: both reach the same memory, each its own way. */
TEST_F(swdev, same_pasid_two_devices)
{
	int dev2 = sw_dev_create(20);
	struct ioasid_test_dma d = {};
	char data[SW_PAGE];

	ASSERT_LE(0, dev2);
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 1));
	ASSERT_EQ(0, sw_allow(dev2, self->fd, self->pasid, IOASID_DEVICE_PASID, 2));
	/* The two attachments share one page table. */
	EXPECT_EQ(1, sw_counter(CNT_HWPTS));

	sw_fill(data, sizeof(data), 5);
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, IOASID_TEST_DMA_WRITE, IOVA,
			    data, sizeof(data), &d));
	EXPECT_TRUE(dma_ok(&d, sizeof(data)));
	memset(data, 0, sizeof(data));
	ASSERT_EQ(0, sw_dma(dev2, self->pasid, 0, IOVA, data, sizeof(data), &d));
	EXPECT_TRUE(dma_ok(&d, sizeof(data)));
	EXPECT_TRUE(sw_check(data, SW_PAGE, 5));

	/* Detaching one device leaves the other working. */
	ASSERT_EQ(0, sw_disallow(self->dev, self->pasid, IOASID_DEVICE_PASID));
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, 0, IOVA, data, 8, &d));
	EXPECT_EQ(IOASID_TEST_DMA_NO_ATTACH, d.out_status);
	ASSERT_EQ(0, sw_dma(dev2, self->pasid, 0, IOVA, data, 8, &d));
	EXPECT_TRUE(dma_ok(&d, 8));
	close(dev2);
}

/* A device can only be attached at PASIDs it can issue. */
TEST_F(swdev, pasid_width)
{
	int narrow = sw_dev_create(8), none = sw_dev_create(0);
	struct ioasid_device_info info = { .size = sizeof(info) };
	uint32_t high, low;

	ASSERT_LE(0, narrow);
	ASSERT_LE(0, none);
	EXPECT_EQ(-ERANGE, sw_dev_create(21));
	ASSERT_EQ(0, ioctl(narrow, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_EQ(8, info.out_pasid_bits);

	ASSERT_EQ(0, sw_alloc_range(self->fd, 256, 4095, &high));
	ASSERT_EQ(0, sw_alloc_range(self->fd, 1, 255, &low));
	EXPECT_EQ(-ERANGE, sw_allow(narrow, self->fd, high, IOASID_DEVICE_PASID, 0));
	EXPECT_EQ(0, sw_allow(narrow, self->fd, low, IOASID_DEVICE_PASID, 0));
	EXPECT_EQ(-ERANGE, sw_allow(none, self->fd, low, IOASID_DEVICE_PASID, 0));
	/* RID attachments need no PASID support. */
	EXPECT_EQ(0, sw_allow(none, self->fd, high, 0, 0));
	close(narrow);
	close(none);
}

/* Read-only pages can be read but not written, and nothing is written. */
TEST_F(swdev, read_only)
{
	void *ro = map_pages(2);
	struct ioasid_test_dma d = {};
	char data[2 * SW_PAGE];

	ASSERT_NE(NULL, ro);
	sw_fill(ro, 2 * SW_PAGE, 6);
	ASSERT_EQ(0, sw_map(self->fd, self->pasid, ro, 2 * SW_PAGE, 0x40000000,
			    IOASID_MAP_READ));
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0));
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, 0, 0x40000000, data,
			    sizeof(data), &d));
	EXPECT_TRUE(dma_ok(&d, sizeof(data)));
	EXPECT_TRUE(sw_check(data, sizeof(data), 6));

	memset(data, 0xee, sizeof(data));
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, IOASID_TEST_DMA_WRITE,
			    0x40000000, data, sizeof(data), &d));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	EXPECT_EQ(IOASID_FAULT_REASON_PERMISSION, d.out_fault_reason);
	EXPECT_EQ(0x40000000, d.out_fault_addr);
	EXPECT_EQ(0, d.out_done);
	EXPECT_TRUE(sw_check(ro, 2 * SW_PAGE, 6));

	/* Write-only mappings cannot be read. */
	ASSERT_EQ(0, sw_unmap(self->fd, self->pasid, IOVA, NPAGES * SW_PAGE));
	ASSERT_EQ(0, sw_map(self->fd, self->pasid, self->buf, SW_PAGE, IOVA,
			    IOASID_MAP_WRITE));
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, 0, IOVA, data, 8, &d));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	EXPECT_EQ(IOASID_FAULT_REASON_PERMISSION, d.out_fault_reason);
	munmap(ro, 2 * SW_PAGE);
}

/* A hole stops the transfer there: the pages before it are written, none after. */
TEST_F(swdev, stops_at_hole)
{
	struct ioasid_test_dma d = {};
	char data[4 * SW_PAGE];

	ASSERT_EQ(0, sw_unmap(self->fd, self->pasid, IOVA, NPAGES * SW_PAGE));
	ASSERT_EQ(0, sw_map(self->fd, self->pasid, self->buf, 2 * SW_PAGE, IOVA,
			    IOASID_MAP_READ | IOASID_MAP_WRITE));
	ASSERT_EQ(0, sw_map(self->fd, self->pasid, (char *)self->buf + 3 * SW_PAGE,
			    SW_PAGE, IOVA + 3 * SW_PAGE,
			    IOASID_MAP_READ | IOASID_MAP_WRITE));
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0));
	sw_fill(data, sizeof(data), 7);
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, IOASID_TEST_DMA_WRITE, IOVA,
			    data, sizeof(data), &d));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	EXPECT_EQ(IOASID_FAULT_REASON_UNMAPPED, d.out_fault_reason);
	EXPECT_EQ(IOVA + 2 * SW_PAGE, d.out_fault_addr);
	EXPECT_EQ(2 * SW_PAGE, d.out_done);
	EXPECT_TRUE(sw_check(self->buf, 2 * SW_PAGE, 7));
	/* The page after the hole is mapped, but was not reached. */
	EXPECT_EQ(0, memcmp((char *)self->buf + 3 * SW_PAGE, (char[SW_PAGE]){0},
			    SW_PAGE));
}

/* UNMAP, DISALLOW, DESTROY and close each stop a device's DMA. */
TEST_F(swdev, unmap_stops_dma)
{
	struct ioasid_test_dma d = {};
	char data[64];

	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0));
	ASSERT_EQ(0, sw_unmap(self->fd, self->pasid, IOVA, NPAGES * SW_PAGE));
	memset(data, 0x5a, sizeof(data));
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, IOASID_TEST_DMA_WRITE, IOVA,
			    data, sizeof(data), &d));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	EXPECT_EQ(IOASID_FAULT_REASON_UNMAPPED, d.out_fault_reason);
	EXPECT_EQ(0, ((char *)self->buf)[0]);
}

TEST_F(swdev, disallow_stops_dma)
{
	struct ioasid_test_dma d = {};
	char data[64];

	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0));
	ASSERT_EQ(0, sw_disallow(self->dev, self->pasid, IOASID_DEVICE_PASID));
	memset(data, 0x5a, sizeof(data));
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, IOASID_TEST_DMA_WRITE, IOVA,
			    data, sizeof(data), &d));
	EXPECT_EQ(IOASID_TEST_DMA_NO_ATTACH, d.out_status);
	EXPECT_EQ(0, ((char *)self->buf)[0]);
	EXPECT_EQ(0, sw_counter(CNT_ATTACHMENTS));
}

struct dma_job {
	int dev;
	uint32_t pasid;
	void *data;
	uint64_t len;
	struct ioasid_test_dma d;
	int rc;
};

static void *dma_thread(void *arg)
{
	struct dma_job *job = arg;

	job->rc = sw_dma(job->dev, job->pasid, IOASID_TEST_DMA_WRITE, IOVA,
			 job->data, job->len, &job->d);
	return NULL;
}

/*
 * DESTROY while a DMA runs: the DMA stops (nothing lands after the destroy),
 * and the PASID stays parked until the device lets go.
 */
TEST_F(swdev, destroy_during_dma)
{
	char data[NPAGES * SW_PAGE];
	struct dma_job job = {
		.dev = self->dev,
		.pasid = self->pasid,
		.data = data,
		.len = sizeof(data),
		.d = { .delay_us = 5000 },
	};
	struct timespec ts = { 0, 100 * 1000 };
	volatile char *first = self->buf;
	uint32_t again = 0;
	pthread_t t;
	int i;

	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0));
	sw_fill(data, sizeof(data), 8);
	ASSERT_NE(0, data[0]);
	ASSERT_EQ(0, pthread_create(&t, NULL, dma_thread, &job));
	/* Destroy once the DMA has visibly started (5 ms per page from then). */
	for (i = 0; i < 50000 && !first[0]; i++)
		nanosleep(&ts, NULL);
	ASSERT_NE(0, first[0]);
	ASSERT_EQ(0, sw_destroy(self->fd, self->pasid));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, job.rc);

	/* It started, and stopped at a page DESTROY had unmapped. */
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, job.d.out_status);
	EXPECT_EQ(IOASID_FAULT_REASON_UNMAPPED, job.d.out_fault_reason);
	EXPECT_LT(0, job.d.out_done);
	EXPECT_GT(sizeof(data), job.d.out_done);
	EXPECT_TRUE(sw_check(self->buf, job.d.out_done, 8));
	EXPECT_EQ(0, memcmp((char *)self->buf + job.d.out_done,
			    (char[NPAGES * SW_PAGE]){0},
			    sizeof(data) - job.d.out_done));

	/* Parked: the PASID is not handed out while the device holds it. */
	EXPECT_EQ(1, sw_counter(CNT_IOASIDS_PARKED));
	EXPECT_EQ(-ENOSPC, sw_alloc_range(self->fd, self->pasid, self->pasid,
					  &again));
	EXPECT_EQ(-ENOENT, sw_destroy(self->fd, self->pasid));
	/* The device can still let go of it, by PASID. */
	ASSERT_EQ(0, sw_disallow(self->dev, self->pasid, IOASID_DEVICE_PASID));
	EXPECT_EQ(0, sw_counter(CNT_IOASIDS_PARKED));
	ASSERT_EQ(0, sw_alloc_range(self->fd, self->pasid, self->pasid, &again));
	EXPECT_EQ(self->pasid, again);
}

/* Closing the /dev/ioasid fd stops DMA; DISALLOW still releases the PASID. */
TEST_F(swdev, close_stops_dma)
{
	struct ioasid_test_dma d = {};
	char data[64];

	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0));
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid, 0, 0));
	close(self->fd);
	memset(data, 0x5a, sizeof(data));
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, IOASID_TEST_DMA_WRITE, IOVA,
			    data, sizeof(data), &d));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	ASSERT_EQ(0, sw_dma(self->dev, -1, IOASID_TEST_DMA_WRITE, IOVA, data,
			    sizeof(data), &d));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	EXPECT_EQ(0, ((char *)self->buf)[0]);
	EXPECT_EQ(0, sw_counter(CNT_PINNED));
	EXPECT_EQ(1, sw_counter(CNT_PASIDS));

	ASSERT_EQ(0, sw_disallow(self->dev, self->pasid, 0));
	EXPECT_EQ(1, sw_counter(CNT_PASIDS));
	ASSERT_EQ(0, sw_disallow(self->dev, self->pasid, IOASID_DEVICE_PASID));
	EXPECT_EQ(0, sw_counter(CNT_PASIDS));
	EXPECT_EQ(0, sw_counter(CNT_CONTEXTS));
	self->fd = open("/dev/null", O_RDONLY);
}

/* Closing the device fd detaches it from everything. */
TEST_F(swdev, close_device_detaches)
{
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0));
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid, 0, 0));
	EXPECT_EQ(2, sw_counter(CNT_ATTACHMENTS));
	close(self->dev);
	EXPECT_EQ(0, sw_counter(CNT_ATTACHMENTS));
	/* The page table stays for a next ALLOW, until the IOASID goes. */
	EXPECT_EQ(1, sw_counter(CNT_HWPTS));
	/* Nothing holds the IOASID now: DESTROY frees the PASID at once. */
	ASSERT_EQ(0, sw_destroy(self->fd, self->pasid));
	EXPECT_EQ(0, sw_counter(CNT_PASIDS));
	EXPECT_EQ(0, sw_counter(CNT_HWPTS));
	self->dev = open("/dev/null", O_RDONLY);
}

/*
 * A page table nobody uses stays, kept up to date by MAP and UNMAP: the next
 * ALLOW only attaches, and sees every mapping, old and new.
 */
TEST_F(swdev, idle_page_table_reused)
{
	void *late = mmap(NULL, SW_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ioasid_test_dma d = {};
	char data[SW_PAGE];

	ASSERT_NE(MAP_FAILED, late);
	memset(late, 0, SW_PAGE);
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0));
	ASSERT_EQ(0, sw_disallow(self->dev, self->pasid, IOASID_DEVICE_PASID));
	EXPECT_EQ(1, sw_counter(CNT_HWPTS));
	/* Changed while idle: one mapping more, one page less. */
	ASSERT_EQ(0, sw_map(self->fd, self->pasid, late, SW_PAGE, 0x40000000,
			    IOASID_MAP_READ | IOASID_MAP_WRITE));
	ASSERT_EQ(0, sw_unmap(self->fd, self->pasid, IOVA, NPAGES * SW_PAGE));
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0));
	EXPECT_EQ(1, sw_counter(CNT_HWPTS));
	sw_fill(data, sizeof(data), 12);
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, IOASID_TEST_DMA_WRITE,
			    0x40000000, data, sizeof(data), &d));
	EXPECT_TRUE(dma_ok(&d, sizeof(data)));
	EXPECT_TRUE(sw_check(late, SW_PAGE, 12));
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, IOASID_TEST_DMA_WRITE, IOVA,
			    data, 8, &d));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	EXPECT_EQ(0, ((char *)self->buf)[0]);

	/* Destroyed while attached: freed when the device lets go. */
	ASSERT_EQ(0, sw_destroy(self->fd, self->pasid));
	EXPECT_EQ(1, sw_counter(CNT_HWPTS));
	ASSERT_EQ(0, sw_disallow(self->dev, self->pasid, IOASID_DEVICE_PASID));
	EXPECT_EQ(0, sw_counter(CNT_HWPTS));
	munmap(late, SW_PAGE);
}

/* Mappings made after ALLOW reach the device, and mappings before it too. */
TEST_F(swdev, map_after_allow)
{
	void *late = map_pages(1);
	struct ioasid_test_dma d = {};
	char data[SW_PAGE];

	ASSERT_NE(NULL, late);
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0));
	ASSERT_EQ(0, sw_map(self->fd, self->pasid, late, SW_PAGE, 0x7f0000000000UL,
			    IOASID_MAP_READ | IOASID_MAP_WRITE));
	sw_fill(data, sizeof(data), 9);
	ASSERT_EQ(0, sw_dma(self->dev, self->pasid, IOASID_TEST_DMA_WRITE,
			    0x7f0000000000UL, data, sizeof(data), &d));
	EXPECT_TRUE(dma_ok(&d, sizeof(data)));
	EXPECT_TRUE(sw_check(late, SW_PAGE, 9));
	/* Beyond the 48-bit aperture of the software IOMMU: refused. */
	EXPECT_EQ(-ERANGE, sw_map(self->fd, self->pasid, late, SW_PAGE,
				  1ULL << 48, IOASID_MAP_READ));
	munmap(late, SW_PAGE);
}

struct race {
	int fd;
	int dev;
	uint32_t pasid;
	volatile int stop;
	long allows;
	long dmas;
	int unexpected;		/* an errno the contract does not allow */
};

static void *race_allow(void *arg)
{
	struct race *r = arg;
	int rc;

	while (!r->stop) {
		rc = sw_allow(r->dev, r->fd, r->pasid, IOASID_DEVICE_PASID, 0);
		if (!rc)
			r->allows++;
		else if (rc != -ENOENT && rc != -EBUSY)
			r->unexpected = rc;
		rc = sw_disallow(r->dev, r->pasid, IOASID_DEVICE_PASID);
		if (rc && rc != -ENOENT)
			r->unexpected = rc;
	}
	return NULL;
}

static void *race_dma(void *arg)
{
	struct race *r = arg;
	struct ioasid_test_dma d = {};
	char data[2 * SW_PAGE];

	while (!r->stop) {
		if (sw_dma(r->dev, r->pasid, IOASID_TEST_DMA_WRITE, IOVA, data,
			   sizeof(data), &d))
			r->unexpected = -errno;
		else
			r->dmas++;
	}
	return NULL;
}

/*
 * ALLOW/DISALLOW and DMA on one device race with DESTROY of the IOASID:
 * every call gets an answer of the contract, and nothing is left behind.
 */
TEST_F(swdev, race_allow_dma_destroy)
{
	long allows = 0, dmas = 0;
	int round;

	for (round = 0; round < 20; round++) {
		struct race r = { .fd = self->fd, .dev = self->dev };
		struct timespec ts = { 0, (round % 5) * 2000 * 1000 };
		pthread_t ta, td;
		uint32_t pasid = 0;

		ASSERT_EQ(0, sw_alloc(self->fd, &pasid));
		ASSERT_EQ(0, sw_map(self->fd, pasid, self->buf, NPAGES * SW_PAGE,
				    IOVA, IOASID_MAP_READ | IOASID_MAP_WRITE));
		r.pasid = pasid;
		ASSERT_EQ(0, pthread_create(&ta, NULL, race_allow, &r));
		ASSERT_EQ(0, pthread_create(&td, NULL, race_dma, &r));
		nanosleep(&ts, NULL);
		ASSERT_EQ(0, sw_destroy(self->fd, pasid));
		nanosleep(&ts, NULL);
		r.stop = 1;
		pthread_join(ta, NULL);
		pthread_join(td, NULL);
		EXPECT_EQ(0, r.unexpected);
		/* Once destroyed, it cannot be allowed any more. */
		EXPECT_EQ(-ENOENT, sw_allow(self->dev, self->fd, pasid,
					    IOASID_DEVICE_PASID, 0));
		sw_disallow(self->dev, pasid, IOASID_DEVICE_PASID);
		EXPECT_EQ(0, sw_counter(CNT_ATTACHMENTS));
		EXPECT_EQ(0, sw_counter(CNT_IOASIDS_PARKED));
		allows += r.allows;
		dmas += r.dmas;
	}
	/* It raced: attachments were made and DMAs ran meanwhile. */
	EXPECT_LT(0, allows);
	EXPECT_LT(0, dmas);
	TH_LOG("%ld ALLOWs and %ld DMAs raced with 20 DESTROYs", allows, dmas);
}

TEST_F(swdev, allow_errors)
{
	struct ioasid_device_allow big[2] = {};
	int other = open("/dev/ioasid", O_RDWR), null = open("/dev/null", O_RDWR);
	uint32_t theirs;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, sw_alloc(other, &theirs));
	EXPECT_EQ(-ENOENT, sw_allow(self->dev, self->fd, theirs,
				    IOASID_DEVICE_PASID, 0));
	EXPECT_EQ(-ENOENT, sw_allow(self->dev, self->fd, 0xfffff, 0, 0));
	EXPECT_EQ(-EBADF, sw_allow(self->dev, 1000, self->pasid, 0, 0));
	EXPECT_EQ(-EINVAL, sw_allow(self->dev, null, self->pasid, 0, 0));
	EXPECT_EQ(-EINVAL, sw_allow(self->dev, self->fd, self->pasid,
				    IOASID_DEVICE_WIRE_PASID, 0));
	EXPECT_EQ(-EOPNOTSUPP, sw_allow(self->dev, self->fd, self->pasid, 4, 0));

	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid, 0, 0));
	EXPECT_EQ(-EBUSY, sw_allow(self->dev, self->fd, self->pasid, 0, 0));
	EXPECT_EQ(-EBUSY, sw_allow(self->dev, other, theirs, 0, 0));
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0));
	EXPECT_EQ(-EBUSY, sw_allow(self->dev, self->fd, self->pasid,
				   IOASID_DEVICE_PASID, 0));

	EXPECT_EQ(-ENOENT, sw_disallow(self->dev, theirs, IOASID_DEVICE_PASID));
	EXPECT_EQ(-ENOENT, sw_disallow(self->dev, theirs, 0));
	EXPECT_EQ(-EOPNOTSUPP, sw_disallow(self->dev, self->pasid, 4));

	/* Size rules of the device ioctls. */
	big[0].size = sizeof(big[0]) + 8;
	big[0].ioasid_fd = self->fd;
	big[0].pasid = self->pasid;
	((char *)big)[sizeof(big[0]) + 3] = 1;
	EXPECT_EQ(-1, ioctl(self->dev, IOASID_DEVICE_ALLOW, big));
	EXPECT_EQ(E2BIG, errno);
	big[0].size = 8;
	EXPECT_EQ(-1, ioctl(self->dev, IOASID_DEVICE_ALLOW, big));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->dev, IOASID_DEVICE_ALLOW, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->dev, _IO(IOASID_TYPE, 0x4f), big));
	EXPECT_EQ(ENOTTY, errno);
	/* Device ioctls mean nothing on /dev/ioasid. */
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_DEVICE_GET_INFO, big));
	EXPECT_EQ(ENOTTY, errno);
	close(other);
	close(null);
}

TEST_F(swdev, dma_errors)
{
	struct ioasid_test_dma d = {};
	char data[16];

	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0));
	EXPECT_EQ(-EOPNOTSUPP, sw_dma(self->dev, self->pasid, 1U << 9, IOVA, data,
				      sizeof(data), &d));
	EXPECT_EQ(-EINVAL, sw_dma(self->dev, self->pasid, 0, IOVA, data, 0, &d));
	EXPECT_EQ(-EOVERFLOW, sw_dma(self->dev, self->pasid, 0, ~0ULL - 4, data,
				     sizeof(data), &d));
	EXPECT_EQ(-EFAULT, sw_dma(self->dev, self->pasid, IOASID_TEST_DMA_WRITE,
				  IOVA, (void *)8, sizeof(data), &d));
	/* Recoverable DMA needs a timeout, others must not give one. */
	EXPECT_EQ(-EINVAL, sw_dma(self->dev, self->pasid,
				  IOASID_TEST_DMA_RECOVERABLE, IOVA, data,
				  sizeof(data), &d));
	d.timeout_ms = 10;
	EXPECT_EQ(-EINVAL, sw_dma(self->dev, self->pasid, 0, IOVA, data,
				  sizeof(data), &d));
}

/* ------------------------------------------------------------------------
 * race_allow_dma_destroy, with MAP / UNMAP, RID and PASID attachments and
 * the close of an fd (the /dev/ioasid fd, or the device's) in the race, a
 * fresh fd, device and IOASID each round: DESTROY, ALLOW / DISALLOW, DMA,
 * MAP / UNMAP and close, all at once.  Nothing may crash or warn, no call
 * may give an errno outside the contract, a DMA that starts after DESTROY
 * returned may move nothing, and once every fd is closed every object is
 * gone.
 */

#define RACE_ROUNDS	200
#define RACE_MS		6000

struct race_fd {
	int fd, dev;
	uint32_t pasid;
	uint8_t *buf;
	bool close_dev;		/* the closer closes the device fd, else /dev/ioasid */
	atomic_int stop;
	atomic_int destroyed;	/* DESTROY has returned */
	atomic_long dma_ok, dma_fault, dma_none, allowed, violations;
	atomic_int bad_errno;	/* the first errno no call may give */
	char bad_call[32];
};

static void racefd_bad(struct race_fd *r, const char *call, int rc)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&r->bad_errno, &zero, -rc))
		snprintf(r->bad_call, sizeof(r->bad_call), "%s", call);
}

static bool racefd_errno_ok(int rc, const int *ok)
{
	for (; *ok; ok++)
		if (rc == *ok)
			return true;
	return false;
}

static void *racefd_allow(void *arg)
{
	static const int allow_ok[] = { -EBUSY, -ENOENT, -EBADF, -EINVAL, 0 };
	static const int disallow_ok[] = { -ENOENT, -EBADF, 0 };
	struct race_fd *r = arg;
	unsigned int i = 0;
	int rc;

	while (!atomic_load(&r->stop)) {
		uint32_t flags = i++ % 2 ? IOASID_DEVICE_PASID : 0;

		rc = sw_allow(r->dev, r->fd, r->pasid, flags, 0);
		if (!rc)
			atomic_fetch_add(&r->allowed, 1);
		else if (!racefd_errno_ok(rc, allow_ok))
			racefd_bad(r, "ALLOW", rc);
		rc = sw_disallow(r->dev, r->pasid, flags);
		if (rc && !racefd_errno_ok(rc, disallow_ok))
			racefd_bad(r, "DISALLOW", rc);
	}
	return NULL;
}

static void *racefd_dma(void *arg)
{
	static const int ok[] = { -EBADF, 0 };
	struct race_fd *r = arg;
	char data[2 * SW_PAGE];
	unsigned int i = 0;

	memset(data, 0x6b, sizeof(data));
	while (!atomic_load(&r->stop)) {
		struct ioasid_test_dma d = {};
		bool after = atomic_load(&r->destroyed);
		int64_t pasid = i++ % 2 ? (int64_t)r->pasid : -1;
		int rc;

		rc = sw_dma(r->dev, pasid, IOASID_TEST_DMA_WRITE, IOVA, data,
			    sizeof(data), &d);
		if (rc) {
			if (!racefd_errno_ok(rc, ok))
				racefd_bad(r, "DMA", rc);
			continue;
		}
		if (d.out_status == IOASID_TEST_DMA_OK)
			atomic_fetch_add(&r->dma_ok, 1);
		else if (d.out_status == IOASID_TEST_DMA_FAULT)
			atomic_fetch_add(&r->dma_fault, 1);
		else
			atomic_fetch_add(&r->dma_none, 1);
		/* Nothing reaches memory through an IOASID once it is destroyed. */
		if (after && d.out_done)
			atomic_fetch_add(&r->violations, 1);
	}
	return NULL;
}

static void *racefd_map(void *arg)
{
	static const int ok[] = { -ENOENT, -EBADF, -EEXIST, 0 };
	struct race_fd *r = arg;
	int rc;

	while (!atomic_load(&r->stop)) {
		rc = sw_map(r->fd, r->pasid, r->buf + SW_PAGE * NPAGES / 2,
			    SW_PAGE * NPAGES / 2, IOVA + SW_PAGE * NPAGES,
			    IOASID_MAP_READ | IOASID_MAP_WRITE);
		if (rc && !racefd_errno_ok(rc, ok))
			racefd_bad(r, "MAP", rc);
		rc = sw_unmap(r->fd, r->pasid, IOVA + SW_PAGE * NPAGES,
			      SW_PAGE * NPAGES / 2);
		if (rc && !racefd_errno_ok(rc, ok))
			racefd_bad(r, "UNMAP", rc);
	}
	return NULL;
}

static void racefd_rounds(struct __test_metadata *_metadata, bool close_dev)
{
	struct ioasid_counters base, now;
	struct race_fd *r = calloc(1, sizeof(*r));
	long t0 = now_ms();
	unsigned int round;
	char buf[512], first[512];
	int kmsg, n;

	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, counters_available());
	ASSERT_TRUE(counters_wait(NULL, &base, COUNTERS_SETTLE_MS));
	kmsg = kmsg_watch_begin();
	r->buf = map_pages(NPAGES);
	ASSERT_NE(NULL, r->buf);
	for (round = 0; round < RACE_ROUNDS && now_ms() - t0 < RACE_MS; round++) {
		struct timespec ts = { 0, (long)(round % 7) * 300 * 1000 };
		pthread_t th[3];
		int i;

		r->fd = open("/dev/ioasid", O_RDWR);
		ASSERT_LE(0, r->fd);
		r->dev = sw_dev_create(20);
		ASSERT_LE(0, r->dev);
		ASSERT_EQ(0, sw_alloc(r->fd, &r->pasid));
		ASSERT_EQ(0, sw_map(r->fd, r->pasid, r->buf, SW_PAGE * NPAGES / 2,
				    IOVA, IOASID_MAP_READ | IOASID_MAP_WRITE));
		atomic_store(&r->stop, 0);
		atomic_store(&r->destroyed, 0);
		ASSERT_EQ(0, pthread_create(&th[0], NULL, racefd_allow, r));
		ASSERT_EQ(0, pthread_create(&th[1], NULL, racefd_dma, r));
		ASSERT_EQ(0, pthread_create(&th[2], NULL, racefd_map, r));
		/* DESTROY, then the close, each at a different moment each round */
		nanosleep(&ts, NULL);
		if (!sw_destroy(r->fd, r->pasid))
			atomic_store(&r->destroyed, 1);
		nanosleep(&ts, NULL);
		if (close_dev)
			close(r->dev);
		else
			close(r->fd);
		nanosleep(&ts, NULL);
		atomic_store(&r->stop, 1);
		for (i = 0; i < 3; i++)
			pthread_join(th[i], NULL);
		close(close_dev ? r->fd : r->dev);
		if (atomic_load(&r->bad_errno) || atomic_load(&r->violations))
			break;
	}
	TH_LOG("%u rounds: %ld attachments, DMA %ld moved, %ld faulted, %ld found nothing attached",
	       round, (long)r->allowed, (long)r->dma_ok, (long)r->dma_fault,
	       (long)r->dma_none);
	EXPECT_EQ(0, atomic_load(&r->bad_errno)) {
		TH_LOG("%s failed with %s", r->bad_call, strerror(r->bad_errno));
	}
	EXPECT_EQ(0, atomic_load(&r->violations)) {
		TH_LOG("DMA moved bytes through an IOASID after its DESTROY returned");
	}
	if (!counters_wait(&base, &now, COUNTERS_SETTLE_MS)) {
		counters_format(&now, buf, sizeof(buf));
		TH_LOG("counters after the rounds: %s", buf);
		EXPECT_TRUE(counters_equal(&base, &now));
	}
	n = kmsg_watch_end(kmsg, first, sizeof(first));
	EXPECT_EQ(0, n) {
		TH_LOG("kernel log: %s", first);
	}
	munmap(r->buf, NPAGES * SW_PAGE);
	free(r);
}

TEST(race_destroy_allow_dma_close_ioasid_fd)
{
	racefd_rounds(_metadata, false);
}

TEST(race_destroy_allow_dma_close_device_fd)
{
	racefd_rounds(_metadata, true);
}

TEST_HARNESS_MAIN
