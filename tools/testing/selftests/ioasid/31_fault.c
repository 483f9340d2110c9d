// SPDX-License-Identifier: GPL-2.0
/*
 * I/O fault queues, driven by software devices: records, recoverable faults
 * and their responses, overflow, and the queue going away.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include "kselftest_harness.h"
#include "swdev.h"

#define IOVA	0x200000UL
#define NPAGES	4

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(fq) {
	int fd;
	int dev;
	int qfd;
	void *buf;
	uint32_t pasid;
};

FIXTURE_VARIANT(fq) {
	uint32_t depth;
};

FIXTURE_VARIANT_ADD(fq, depth_default) {
	.depth = 0,
};

FIXTURE_VARIANT_ADD(fq, depth_4) {
	.depth = 4,
};

FIXTURE_SETUP(fq)
{
	self->fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, self->fd);
	self->dev = sw_dev_create(20);
	ASSERT_LE(0, self->dev);
	self->buf = mmap(NULL, NPAGES * SW_PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, NPAGES * SW_PAGE);
	ASSERT_EQ(0, sw_alloc(self->fd, &self->pasid));
	/* Page 0 read-write, page 1 read-only, pages 2.. unmapped. */
	ASSERT_EQ(0, sw_map(self->fd, self->pasid, self->buf, SW_PAGE, IOVA,
			    IOASID_MAP_READ | IOASID_MAP_WRITE));
	ASSERT_EQ(0, sw_map(self->fd, self->pasid, (char *)self->buf + SW_PAGE,
			    SW_PAGE, IOVA + SW_PAGE, IOASID_MAP_READ));
	self->qfd = sw_fault_queue(self->fd, variant->depth);
	ASSERT_LE(0, self->qfd);
	ASSERT_EQ(0, sw_route(self->fd, self->pasid, self->qfd));
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid,
			      IOASID_DEVICE_PASID, 0x1111));
	ASSERT_EQ(0, sw_allow(self->dev, self->fd, self->pasid, 0, 0x2222));
}

FIXTURE_TEARDOWN(fq)
{
	close(self->dev);
	close(self->qfd);
	close(self->fd);
	munmap(self->buf, NPAGES * SW_PAGE);
	EXPECT_EQ(0, sw_counter(CNT_FAULTQ));
	EXPECT_EQ(0, sw_counter(CNT_FAULT_RECORDS));
	EXPECT_EQ(0, sw_counter(CNT_PASIDS));
	EXPECT_EQ(0, sw_counter(CNT_DEVICES));
}

/* An address no user buffer lives at (hidden from the compiler's checks). */
static void *bad_ptr(void)
{
	static volatile uintptr_t addr = 8;

	return (void *)addr;
}

static int read_fault(int qfd, struct ioasid_fault *f)
{
	ssize_t n = read(qfd, f, sizeof(*f));

	return n == sizeof(*f) ? 0 : n < 0 ? -errno : -EIO;
}

/* A DMA that faults: returns the DMA's status. */
static uint32_t fault_dma(int dev, int64_t pasid, uint32_t flags, uint64_t iova)
{
	struct ioasid_test_dma d = {};
	char data[64] = { 1 };

	if (sw_dma(dev, pasid, flags, iova, data, sizeof(data), &d))
		return ~0U;
	return d.out_status;
}

TEST_F(fq, record_unmapped_read)
{
	struct ioasid_fault f;

	ASSERT_EQ(IOASID_TEST_DMA_FAULT,
		  fault_dma(self->dev, self->pasid, 0, IOVA + 2 * SW_PAGE + 12));
	ASSERT_EQ(0, read_fault(self->qfd, &f));
	EXPECT_EQ(sizeof(f), f.size);
	EXPECT_EQ(IOASID_FAULT_READ | IOASID_FAULT_PASID_VALID, f.flags);
	EXPECT_EQ(self->pasid, f.pasid);
	EXPECT_EQ(IOASID_FAULT_REASON_UNMAPPED, f.reason);
	EXPECT_EQ(0x1111, f.cookie);
	EXPECT_EQ(IOVA + 2 * SW_PAGE, f.addr);
	EXPECT_EQ(0, f.id);
	EXPECT_EQ(0, f.seq);
}

TEST_F(fq, record_read_only_write)
{
	struct ioasid_fault f;

	/* Without PASID: through the RID attachment and its cookie. */
	ASSERT_EQ(IOASID_TEST_DMA_FAULT,
		  fault_dma(self->dev, -1, IOASID_TEST_DMA_WRITE, IOVA + SW_PAGE));
	ASSERT_EQ(0, read_fault(self->qfd, &f));
	EXPECT_EQ(IOASID_FAULT_WRITE, f.flags);
	EXPECT_EQ(IOASID_FAULT_REASON_PERMISSION, f.reason);
	EXPECT_EQ(0x2222, f.cookie);
	EXPECT_EQ(IOVA + SW_PAGE, f.addr);
	/* The page was not written. */
	EXPECT_EQ(0, ((char *)self->buf)[SW_PAGE]);
	/* Reading it is fine and reports nothing. */
	ASSERT_EQ(IOASID_TEST_DMA_OK, fault_dma(self->dev, -1, 0, IOVA + SW_PAGE));
	EXPECT_EQ(-EAGAIN, ({ fcntl(self->qfd, F_SETFL, O_NONBLOCK);
			      read_fault(self->qfd, &f); }));
}

TEST_F(fq, read_and_poll)
{
	struct pollfd p = { .fd = self->qfd, .events = POLLIN };
	struct ioasid_fault f[3];
	char small[sizeof(f[0]) - 1];

	ASSERT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, fcntl(self->qfd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->qfd, f, sizeof(f)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, read(self->qfd, small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);

	ASSERT_EQ(IOASID_TEST_DMA_FAULT,
		  fault_dma(self->dev, self->pasid, 0, IOVA + 3 * SW_PAGE));
	ASSERT_EQ(IOASID_TEST_DMA_FAULT,
		  fault_dma(self->dev, self->pasid, 0, IOVA + 2 * SW_PAGE));
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & POLLIN);
	/* Whole records only, in order, as many as fit. */
	EXPECT_EQ(sizeof(f[0]) * 2, read(self->qfd, f, sizeof(f)));
	EXPECT_EQ(IOVA + 3 * SW_PAGE, f[0].addr);
	EXPECT_EQ(IOVA + 2 * SW_PAGE, f[1].addr);
	EXPECT_EQ(0, f[0].seq);
	EXPECT_EQ(1, f[1].seq);
	ASSERT_EQ(0, poll(&p, 1, 0));
	/* A bad buffer loses nothing. */
	ASSERT_EQ(IOASID_TEST_DMA_FAULT,
		  fault_dma(self->dev, self->pasid, 0, IOVA + 3 * SW_PAGE));
	EXPECT_EQ(-1, read(self->qfd, bad_ptr(), sizeof(f[0])));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(sizeof(f[0]), read(self->qfd, f, sizeof(f)));
	EXPECT_EQ(2, f[0].seq);
}

/* A blocking read sleeps until a fault arrives. */
static void *late_fault(void *arg)
{
	int *dev = arg;
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	fault_dma(*dev, -1, 0, IOVA + 2 * SW_PAGE);
	return NULL;
}

TEST_F(fq, blocking_read)
{
	struct ioasid_fault f;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, late_fault, &self->dev));
	ASSERT_EQ(0, read_fault(self->qfd, &f));
	EXPECT_EQ(IOASID_FAULT_REASON_UNMAPPED, f.reason);
	pthread_join(t, NULL);
}

struct rdma {
	int dev;
	uint32_t pasid;
	uint32_t timeout_ms;
	uint64_t iova;
	char data[SW_PAGE];
	struct ioasid_test_dma d;
	double took;
};

static void *recoverable_dma(void *arg)
{
	struct rdma *r = arg;
	double t0 = now();

	r->d.timeout_ms = r->timeout_ms;
	sw_dma(r->dev, r->pasid, IOASID_TEST_DMA_WRITE | IOASID_TEST_DMA_RECOVERABLE,
	       r->iova, r->data, sizeof(r->data), &r->d);
	r->took = now() - t0;
	return NULL;
}

/* The fault is answered after a MAP fixes it: the access is retried. */
TEST_F(fq, recoverable_retry)
{
	struct rdma r = { .dev = self->dev, .pasid = self->pasid,
			  .timeout_ms = 10000, .iova = IOVA + 2 * SW_PAGE };
	struct ioasid_fault_queue_info info;
	struct ioasid_fault f;
	pthread_t t;

	sw_fill(r.data, sizeof(r.data), 11);
	ASSERT_EQ(0, pthread_create(&t, NULL, recoverable_dma, &r));
	ASSERT_EQ(0, read_fault(self->qfd, &f));
	EXPECT_EQ(IOASID_FAULT_RECOVERABLE | IOASID_FAULT_WRITE |
		  IOASID_FAULT_PASID_VALID, f.flags);
	EXPECT_NE(0, f.id);
	EXPECT_EQ(IOVA + 2 * SW_PAGE, f.addr);
	ASSERT_EQ(0, sw_queue_info(self->qfd, &info));
	EXPECT_EQ(1, info.out_waiting);

	ASSERT_EQ(0, sw_map(self->fd, self->pasid, (char *)self->buf + 2 * SW_PAGE,
			    SW_PAGE, IOVA + 2 * SW_PAGE,
			    IOASID_MAP_READ | IOASID_MAP_WRITE));
	ASSERT_EQ(0, sw_respond(self->qfd, f.id, IOASID_FAULT_RESP_RETRY));
	pthread_join(t, NULL);
	EXPECT_EQ(IOASID_TEST_DMA_OK, r.d.out_status);
	EXPECT_EQ(SW_PAGE, r.d.out_done);
	EXPECT_EQ(1, r.d.out_retries);
	EXPECT_TRUE(sw_check((char *)self->buf + 2 * SW_PAGE, SW_PAGE, 11));
	/* Answered once: a second answer finds nothing. */
	EXPECT_EQ(-ENOENT, sw_respond(self->qfd, f.id, IOASID_FAULT_RESP_RETRY));
	ASSERT_EQ(0, sw_queue_info(self->qfd, &info));
	EXPECT_EQ(0, info.out_waiting);
}

/* Retrying without fixing faults again, with a new id each time. */
TEST_F(fq, recoverable_retry_unfixed)
{
	struct rdma r = { .dev = self->dev, .pasid = self->pasid,
			  .timeout_ms = 10000, .iova = IOVA + 2 * SW_PAGE };
	struct ioasid_fault f1, f2;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, recoverable_dma, &r));
	ASSERT_EQ(0, read_fault(self->qfd, &f1));
	ASSERT_EQ(0, sw_respond(self->qfd, f1.id, IOASID_FAULT_RESP_RETRY));
	ASSERT_EQ(0, read_fault(self->qfd, &f2));
	EXPECT_NE(f1.id, f2.id);
	EXPECT_EQ(f1.seq + 1, f2.seq);
	ASSERT_EQ(0, sw_respond(self->qfd, f2.id, IOASID_FAULT_RESP_ABORT));
	pthread_join(t, NULL);
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, r.d.out_status);
	EXPECT_EQ(1, r.d.out_retries);
	EXPECT_EQ(0, ((char *)self->buf)[2 * SW_PAGE]);
}

TEST_F(fq, recoverable_abort)
{
	struct rdma r = { .dev = self->dev, .pasid = self->pasid,
			  .timeout_ms = 10000, .iova = IOVA + 2 * SW_PAGE };
	struct ioasid_fault f;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, recoverable_dma, &r));
	ASSERT_EQ(0, read_fault(self->qfd, &f));
	ASSERT_EQ(0, sw_respond(self->qfd, f.id, IOASID_FAULT_RESP_ABORT));
	pthread_join(t, NULL);
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, r.d.out_status);
	EXPECT_EQ(IOASID_FAULT_REASON_UNMAPPED, r.d.out_fault_reason);
	EXPECT_EQ(0, r.d.out_retries);
	EXPECT_LT(r.took, 9.0);
}

/* Nobody answers: the access gives up at its timeout, and the id is gone. */
TEST_F(fq, recoverable_timeout)
{
	struct rdma r = { .dev = self->dev, .pasid = self->pasid,
			  .timeout_ms = 300, .iova = IOVA + 2 * SW_PAGE };
	struct ioasid_fault f;

	recoverable_dma(&r);
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, r.d.out_status);
	EXPECT_LE(0.25, r.took);
	ASSERT_EQ(0, read_fault(self->qfd, &f));
	EXPECT_TRUE(f.flags & IOASID_FAULT_RECOVERABLE);
	EXPECT_EQ(-ENOENT, sw_respond(self->qfd, f.id, IOASID_FAULT_RESP_RETRY));
}

/* Closing the queue answers every waiting fault with an abort, at once. */
TEST_F(fq, close_while_waiting)
{
	struct rdma r = { .dev = self->dev, .pasid = self->pasid,
			  .timeout_ms = 10000, .iova = IOVA + 2 * SW_PAGE };
	struct pollfd p = { .fd = self->qfd, .events = POLLIN };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, recoverable_dma, &r));
	ASSERT_EQ(1, poll(&p, 1, 10000));
	/* The record is unread and the access waits: close the queue. */
	close(self->qfd);
	pthread_join(t, NULL);
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, r.d.out_status);
	EXPECT_LT(r.took, 9.0);
	EXPECT_EQ(0, sw_counter(CNT_FAULT_RECORDS));
	/* The IOASID still routes to the closed queue: faults go nowhere. */
	EXPECT_EQ(1, sw_counter(CNT_FAULTQ));
	EXPECT_EQ(IOASID_TEST_DMA_FAULT,
		  fault_dma(self->dev, self->pasid, 0, IOVA + 2 * SW_PAGE));
	EXPECT_EQ(0, sw_counter(CNT_FAULT_RECORDS));
	ASSERT_EQ(0, sw_route(self->fd, self->pasid, -1));
	EXPECT_EQ(0, sw_counter(CNT_FAULTQ));
	self->qfd = open("/dev/null", O_RDONLY);
}

/* A full queue counts overflows and never makes a faulting access wait. */
TEST_F(fq, overflow)
{
	struct ioasid_fault_queue_info info;
	uint32_t depth = variant->depth ?: 256;
	struct rdma r = { .dev = self->dev, .pasid = self->pasid,
			  .timeout_ms = 10000, .iova = IOVA + 2 * SW_PAGE };
	struct ioasid_fault f;
	uint32_t i;

	for (i = 0; i < depth + 6; i++)
		ASSERT_EQ(IOASID_TEST_DMA_FAULT,
			  fault_dma(self->dev, self->pasid, 0, IOVA + 3 * SW_PAGE));
	ASSERT_EQ(0, sw_queue_info(self->qfd, &info));
	EXPECT_EQ(depth, info.out_depth);
	EXPECT_EQ(depth, info.out_queued);
	EXPECT_EQ(6, info.out_overflow);
	EXPECT_EQ(depth, info.out_total);

	/* Full: a recoverable fault is aborted without waiting. */
	recoverable_dma(&r);
	EXPECT_EQ(IOASID_TEST_DMA_FAULT, r.d.out_status);
	EXPECT_LT(r.took, 5.0);
	ASSERT_EQ(0, sw_queue_info(self->qfd, &info));
	EXPECT_EQ(7, info.out_overflow);
	EXPECT_EQ(0, info.out_waiting);

	/* Drain; the next record's sequence number shows what was lost. */
	for (i = 0; i < depth; i++) {
		ASSERT_EQ(0, read_fault(self->qfd, &f));
		EXPECT_EQ(i, f.seq);
	}
	ASSERT_EQ(IOASID_TEST_DMA_FAULT,
		  fault_dma(self->dev, self->pasid, 0, IOVA + 3 * SW_PAGE));
	ASSERT_EQ(0, read_fault(self->qfd, &f));
	EXPECT_EQ(depth + 7, f.seq);
}

/* Faults go where the IOASID is routed, and nowhere once unrouted. */
TEST_F(fq, routing)
{
	int q2 = sw_fault_queue(self->fd, 8);
	struct ioasid_fault_queue_info info;
	struct ioasid_fault f;

	ASSERT_LE(0, q2);
	ASSERT_EQ(0, sw_route(self->fd, self->pasid, q2));
	ASSERT_EQ(IOASID_TEST_DMA_FAULT,
		  fault_dma(self->dev, self->pasid, 0, IOVA + 2 * SW_PAGE));
	ASSERT_EQ(0, read_fault(q2, &f));
	ASSERT_EQ(0, sw_queue_info(self->qfd, &info));
	EXPECT_EQ(0, info.out_total);

	ASSERT_EQ(0, sw_route(self->fd, self->pasid, -1));
	ASSERT_EQ(IOASID_TEST_DMA_FAULT,
		  fault_dma(self->dev, self->pasid, 0, IOVA + 2 * SW_PAGE));
	ASSERT_EQ(0, sw_queue_info(q2, &info));
	EXPECT_EQ(1, info.out_total);
	close(q2);
	/* Unrouted: the queue's last reference went with its fd. */
	EXPECT_EQ(1, sw_counter(CNT_FAULTQ));
}

/* A destroyed IOASID still reports its devices' faults until released. */
TEST_F(fq, destroyed_ioasid_faults)
{
	struct ioasid_fault f;

	ASSERT_EQ(0, sw_destroy(self->fd, self->pasid));
	ASSERT_EQ(IOASID_TEST_DMA_FAULT,
		  fault_dma(self->dev, self->pasid, 0, IOVA));
	ASSERT_EQ(0, read_fault(self->qfd, &f));
	EXPECT_EQ(IOASID_FAULT_REASON_UNMAPPED, f.reason);
	EXPECT_EQ(self->pasid, f.pasid);
	EXPECT_EQ(IOVA, f.addr);
}

TEST_F(fq, errors)
{
	int other = open("/dev/ioasid", O_RDWR), null = open("/dev/null", O_RDWR);
	struct ioasid_fault_queue_alloc qa = { .size = sizeof(qa) };
	struct ioasid_fault_respond big[2] = {};
	int q_other;

	ASSERT_LE(0, other);
	q_other = sw_fault_queue(other, 0);
	ASSERT_LE(0, q_other);
	EXPECT_EQ(-EINVAL, sw_route(self->fd, self->pasid, q_other));
	EXPECT_EQ(-EINVAL, sw_route(self->fd, self->pasid, null));
	EXPECT_EQ(-EBADF, sw_route(self->fd, self->pasid, 1000));
	EXPECT_EQ(-ENOENT, sw_route(self->fd, 0xfffff, self->qfd));
	EXPECT_EQ(-ERANGE, sw_fault_queue(self->fd, 4097));
	qa.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_FAULT_QUEUE_ALLOC, &qa));
	EXPECT_EQ(EOPNOTSUPP, errno);

	EXPECT_EQ(-ENOENT, sw_respond(self->qfd, 12345, IOASID_FAULT_RESP_ABORT));
	EXPECT_EQ(-EINVAL, sw_respond(self->qfd, 1, 0));
	EXPECT_EQ(-EINVAL, sw_respond(self->qfd, 1, 3));
	big[0].size = sizeof(big[0]) + 4;
	big[0].code = IOASID_FAULT_RESP_ABORT;
	((char *)big)[sizeof(big[0])] = 1;
	EXPECT_EQ(-1, ioctl(self->qfd, IOASID_FAULT_RESPOND, big));
	EXPECT_EQ(E2BIG, errno);
	big[0].size = 4;
	EXPECT_EQ(-1, ioctl(self->qfd, IOASID_FAULT_RESPOND, big));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->qfd, IOASID_ALLOC, big));
	EXPECT_EQ(ENOTTY, errno);
	/* Queue ioctls mean nothing on /dev/ioasid. */
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_FAULT_QUEUE_INFO, big));
	EXPECT_EQ(ENOTTY, errno);
	/* A write is not how faults are answered. */
	EXPECT_EQ(-1, write(self->qfd, big, sizeof(big[0])));
	close(q_other);
	close(other);
	close(null);
}

TEST_HARNESS_MAIN
