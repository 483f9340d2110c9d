// SPDX-License-Identifier: GPL-2.0
/*
 * Shared virtual addressing: IOASIDs in IOASID_MODE_SVA, bound to the
 * caller's mm or to another process's through a /proc/PID/mem fd, as
 * include/uapi/linux/ioasidfd.h ("Shared virtual addressing (SVA)") and the
 * top comment of drivers/ioasidfd/sva.c describe them.
 *
 * The rule every test checks, one way or another: a device bound to an mm
 * reaches exactly what the process itself would reach at that virtual
 * address, now.  Never a page the process stopped mapping there, never a
 * write to a page the process may not write.
 *
 *   sw_*       software devices (/dev/ioasid-test): the walking executor,
 *              I/O page faults resolved like the CPU's, fault records;
 *   edu_*      a QEMU edu device through ioasidfd-vfio-pci: the mm mirrored
 *              into the IOMMU domain by IOASID_SVA_PREFAULT and unmapped by
 *              the MMU notifier (unpinned: after an invalidation the device
 *              faults until the next prefault).  A refused edu DMA is seen
 *              as in 40_vfio_edu: memory unchanged, a read delivers zeros to
 *              the device buffer, and the IOMMU's fault interrupt count goes
 *              up;
 *   foreign_*  binding another process's mm: the /proc/PID/mem fd as the
 *              capability, the kernel's ptrace-attach check (uids, FSCREDS,
 *              Yama) at its open, the bound process exiting mid-DMA;
 *   stress_*   mmap/munmap/mprotect/fork in a thread while DMA runs, with
 *              canaries in the pages taken away (reachable through a
 *              second mapping of a memfd) that no DMA may overwrite.
 *
 * QEMU 7.2 checks an access against a cached IOTLB entry without raising a
 * fault when the right is missing: a device write to a page whose read-only
 * translation a read just cached is dropped silently (memory unchanged, no
 * fault counted).  So every "write refused" check on a page runs before any
 * read of it since its last invalidation.
 *
 * Every test ends with the object counters back where they were and a clean
 * kernel log (tctx_teardown()).
 */
#include "kselftest_harness.h"
#include "swdev.h"
#include "vfio_edu.h"

#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <linux/userfaultfd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC		0x0001U
#endif

#define PG		4096UL
#define DMA_LEN		EDU_DMA_MAX

#if defined(__x86_64__)
#define MSI_START	0xfee00000UL
#define MSI_LAST	0xfeefffffUL
#elif defined(__aarch64__)
#define MSI_START	0x8000000UL
#define MSI_LAST	0x80fffffUL
#else
#error "the SVA tests know the MSI windows of the amd64 and arm64 guests only"
#endif

#define YAMA_SCOPE	"/proc/sys/kernel/yama/ptrace_scope"

/* ------------------------------------------------------------------------
 * Patterns: a new seed for every check, never a zero byte
 */

static uint32_t seed_next(void)
{
	static uint32_t n;

	return (uint32_t)getpid() * 0x10001U ^ (++n * 0x9e3779b9U) ^
	       (uint32_t)edu_now_ms();
}

static uint8_t pat(uint32_t seed, size_t i)
{
	uint32_t x = seed ^ (uint32_t)(i * 0x85ebca6bU);

	x ^= x >> 13;
	x *= 0xc2b2ae35U;
	x ^= x >> 16;
	return (uint8_t)(x | 0x10);
}

static void fill(void *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		((uint8_t *)p)[i] = pat(seed, i);
}

static bool same(const void *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((const uint8_t *)p)[i] != pat(seed, i))
			return false;
	return true;
}

static bool zeroes(const void *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((const uint8_t *)p)[i])
			return false;
	return true;
}

/* ------------------------------------------------------------------------
 * The two SVA ioctls, -errno forms
 */

static int sva_bind(int fd, uint32_t pasid, uint32_t flags, int mm_fd)
{
	struct ioasid_sva_bind c = {
		.size = sizeof(c),
		.flags = flags,
		.pasid = pasid,
		.mm_fd = mm_fd,
	};

	return ioctl(fd, IOASID_SVA_BIND, &c) ? -errno : 0;
}

static int sva_unbind(int fd, uint32_t pasid)
{
	return sva_bind(fd, pasid, IOASID_SVA_UNBIND, -1);
}

static int sva_prefault(int fd, uint32_t pasid, const void *va, uint64_t len,
			bool write, uint64_t *mapped, uint64_t *skipped)
{
	struct ioasid_sva_prefault c = {
		.size = sizeof(c),
		.flags = write ? IOASID_SVA_PREFAULT_WRITE : 0,
		.pasid = pasid,
		.va = (uintptr_t)va,
		.length = len,
		.out_mapped = 0xdead,
		.out_skipped = 0xbeef,
	};
	int rc = ioctl(fd, IOASID_SVA_PREFAULT, &c) ? -errno : 0;

	if (mapped)
		*mapped = c.out_mapped;
	if (skipped)
		*skipped = c.out_skipped;
	return rc;
}

/* The IOASID's mode and mirrored bytes, from GET_INFO; -1 if it fails. */
static int ioas_state(int fd, uint32_t pasid, uint64_t *bytes)
{
	struct ioasid_caps caps;

	if (_ioasid_info_pasid(fd, pasid, &caps) || !caps.has_ioas)
		return -1;
	if (bytes)
		*bytes = caps.ioas.mapped_bytes;
	return caps.ioas.mode;
}

/*
 * The fdinfo line of an SVA IOASID: "ioasid:\t<pasid> state:live mode:sva
 * ... mirrored_pages:<n> page_faults:<n>".  Returns 0, or -1 if it is
 * missing or not of that form.
 */
static int fdinfo_sva(int fd, uint32_t pasid, long *mirrored, long long *faults)
{
	char path[64], line[512], mode[16];
	unsigned int p;
	int rc = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *m;

		if (sscanf(line, "ioasid:\t%u state:%*s mode:%15s", &p, mode) != 2 ||
		    p != pasid)
			continue;
		m = strstr(line, " mirrored_pages:");
		if (strcmp(mode, "sva") || !m ||
		    sscanf(m, " mirrored_pages:%ld page_faults:%lld", mirrored,
			   faults) != 2)
			break;
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

static int open_mem(pid_t pid, int flags)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int read_record(int qfd, struct ioasid_fault *f)
{
	struct pollfd p = { .fd = qfd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 2000) != 1)
		return -ETIMEDOUT;
	n = read(qfd, f, sizeof(*f));
	return n == sizeof(*f) ? 0 : n < 0 ? -errno : -EIO;
}

static bool queue_empty(int qfd)
{
	struct pollfd p = { .fd = qfd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

/* ------------------------------------------------------------------------
 * A child to bind: it owns a private buffer made before the fork (so at
 * the same virtual address as the parent's) and answers commands on a pipe
 */

#define KID_PAGES	8

/* A kid told to exec runs this program again, which then only sleeps. */
#define SLEEPER_ENV	"SVA54_SLEEPER"

static void __attribute__((constructor)) sleeper(void)
{
	if (getenv(SLEEPER_ENV)) {
		sleep(60);
		_exit(0);
	}
}

struct kid_cmd {
	char op;		/* 'c' check, 'w' write, 'q' quit, 'p' ping */
	uint32_t seed;
	uint32_t page;
	uint32_t len;
};

struct kid {
	pid_t pid;
	int cmd;		/* parent -> child */
	int rep;		/* child -> parent */
	uint8_t *buf;		/* KID_PAGES pages, also mapped in the parent */
};

static void kid_loop(int cmd, int rep, uint8_t *buf)
{
	struct kid_cmd c;
	char r;

	while (read(cmd, &c, sizeof(c)) == sizeof(c)) {
		switch (c.op) {
		case 'c':
			r = same(buf + c.page * PG, c.len, c.seed) ? 'y' :
			    zeroes(buf + c.page * PG, c.len) ? 'z' : 'n';
			break;
		case 'w':
			fill(buf + c.page * PG, c.len, c.seed);
			r = 'y';
			break;
		case 'q':
			_exit(0);
		case 'x': {
			char *argv[] = { "54_sva-sleeper", NULL };
			char *envp[] = { SLEEPER_ENV "=1", NULL };

			execve("/proc/self/exe", argv, envp);
			_exit(4);
		}
		default:
			r = 'y';
			break;
		}
		if (write(rep, &r, 1) != 1)
			_exit(3);
	}
	_exit(0);
}

/*
 * Forks a kid whose buffer pages hold seed + page index; @pre runs in the
 * parent, on the filled buffer, just before the fork.
 */
static int kid_start_pre(struct kid *k, uint32_t seed,
			 void (*pre)(void *arg, uint8_t *buf), void *arg)
{
	int c[2], r[2];
	unsigned int i;

	k->buf = map_anon(KID_PAGES * PG);
	if (!k->buf)
		return -ENOMEM;
	for (i = 0; i < KID_PAGES; i++)
		fill(k->buf + i * PG, PG, seed + i);
	if (pipe(c) || pipe(r))
		return -errno;
	if (pre)
		pre(arg, k->buf);
	k->pid = fork_child();
	if (k->pid < 0)
		return -errno;
	if (!k->pid) {
		close(c[1]);
		close(r[0]);
		kid_loop(c[0], r[1], k->buf);
	}
	close(c[0]);
	close(r[1]);
	k->cmd = c[1];
	k->rep = r[0];
	return 0;
}

static int kid_start(struct kid *k, uint32_t seed)
{
	return kid_start_pre(k, seed, NULL, NULL);
}

/* 'y', 'n', 'z' (zeroes) or 0 when the kid is gone. */
static char kid_do(struct kid *k, char op, uint32_t page, uint32_t seed,
		   uint32_t len)
{
	struct kid_cmd c = { .op = op, .seed = seed, .page = page, .len = len };
	char r = 0;

	if (write(k->cmd, &c, sizeof(c)) != sizeof(c))
		return 0;
	if (op == 'q' || op == 'x')
		return 'y';
	if (read(k->rep, &r, 1) != 1)
		return 0;
	return r;
}

static int kid_stop(struct kid *k)
{
	int rc;

	if (k->pid <= 0)
		return 0;
	kid_do(k, 'q', 0, 0, 0);
	rc = wait_child(k->pid);
	k->pid = 0;
	close(k->cmd);
	close(k->rep);
	return rc;
}

static void kid_kill(struct kid *k)
{
	if (k->pid <= 0)
		return;
	kill(k->pid, SIGKILL);
	waitpid(k->pid, NULL, 0);
	k->pid = 0;
	close(k->cmd);
	close(k->rep);
}

/* ------------------------------------------------------------------------
 * Software device fixture: one IOASID bound to our own mm, the device
 * attached at its PASID, faults routed to a queue
 */

#define SW_COOKIE	0x5a5a

FIXTURE(sw) {
	struct ioasid_tctx t;
	int dev;
	int qfd;
	uint32_t pasid;
};

FIXTURE_SETUP(sw)
{
	tctx_setup(_metadata, &self->t);
	self->dev = sw_dev_create(20);
	ASSERT_LE(0, self->dev) {
		TH_LOG("no software device (is ioasidfd_test loaded?): %s",
		       strerror(-self->dev));
	}
	ASSERT_EQ(0, sw_alloc(self->t.fd, &self->pasid));
	ASSERT_EQ(0, sva_bind(self->t.fd, self->pasid, 0, -1));
	ASSERT_EQ(IOASID_MODE_SVA, ioas_state(self->t.fd, self->pasid, NULL));
	self->qfd = sw_fault_queue(self->t.fd, 64);
	ASSERT_LE(0, self->qfd);
	ASSERT_EQ(0, sw_route(self->t.fd, self->pasid, self->qfd));
	ASSERT_EQ(0, sw_allow(self->dev, self->t.fd, self->pasid,
			      IOASID_DEVICE_PASID, SW_COOKIE));
}

FIXTURE_TEARDOWN(sw)
{
	tctx_teardown(_metadata, &self->t);
}

static int swd(FIXTURE_DATA(sw) *self, bool write, const void *va, void *buf,
	       size_t len, struct ioasid_test_dma *d)
{
	memset(d, 0, sizeof(*d));
	return sw_dma(self->dev, self->pasid,
		      write ? IOASID_TEST_DMA_WRITE : 0, (uintptr_t)va, buf,
		      len, d);
}

/* A DMA that must fault at @va with @reason, and its fault record. */
static void sw_expect_fault(struct __test_metadata *_metadata,
			    FIXTURE_DATA(sw) *self, bool write, void *va,
			    uint32_t reason)
{
	struct ioasid_test_dma d;
	struct ioasid_fault f;
	uint8_t buf[256];

	fill(buf, sizeof(buf), seed_next());
	ASSERT_EQ(0, swd(self, write, va, buf, sizeof(buf), &d));
	ASSERT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	ASSERT_EQ(0, d.out_done);
	ASSERT_EQ((uintptr_t)va, d.out_fault_addr);
	ASSERT_EQ(reason, d.out_fault_reason);
	ASSERT_EQ(0, read_record(self->qfd, &f));
	EXPECT_EQ(sizeof(f), f.size);
	EXPECT_EQ((write ? IOASID_FAULT_WRITE : IOASID_FAULT_READ) |
		  IOASID_FAULT_PASID_VALID, f.flags);
	EXPECT_EQ(self->pasid, f.pasid);
	EXPECT_EQ(self->pasid, f.wire_pasid);
	EXPECT_EQ(reason, f.reason);
	EXPECT_EQ(SW_COOKIE, f.cookie);
	EXPECT_EQ((uintptr_t)va & ~(PG - 1), f.addr);
	EXPECT_EQ(0, f.stage);
	EXPECT_TRUE(queue_empty(self->qfd));
}

/* DMA into never-touched malloc()ed memory: the I/O page fault path. */
TEST_F(sw, write_untouched_malloc)
{
	const size_t len = 256 * 1024;	/* past the mmap threshold: fresh pages */
	uint8_t *m = malloc(len), data[3 * 4096 + 100];
	struct ioasid_test_dma d;
	uint32_t seed = seed_next();

	ASSERT_NE(NULL, m);
	fill(data, sizeof(data), seed);
	/* unaligned, across pages */
	ASSERT_EQ(0, swd(self, true, m + 1000, data, sizeof(data), &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_EQ(sizeof(data), d.out_done);
	ASSERT_TRUE(same(m + 1000, sizeof(data), seed));
	ASSERT_TRUE(zeroes(m + 1000 + sizeof(data), 64));
	/* a read of never-touched memory reads zeroes */
	memset(data, 0xff, sizeof(data));
	ASSERT_EQ(0, swd(self, false, m + len - 2 * PG, data, 2 * PG, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_TRUE(zeroes(data, 2 * PG));
	/* the CPU's writes are what the device reads */
	fill(m + 64 * 1024, 500, seed + 1);
	ASSERT_EQ(0, swd(self, false, m + 64 * 1024, data, 500, &d));
	ASSERT_TRUE(same(data, 500, seed + 1));
	ASSERT_TRUE(queue_empty(self->qfd));
	free(m);
}

/* A file-backed private mapping and a shared one: read, and write through. */
TEST_F(sw, file_and_shared_mappings)
{
	char path[] = "/tmp/sva-XXXXXX";
	uint8_t file[2 * 4096], data[2 * 4096];
	struct ioasid_test_dma d;
	uint32_t seed = seed_next();
	uint8_t *ro, *sh, *sh2;
	int f;

	f = mkstemp(path);
	ASSERT_LE(0, f);
	unlink(path);
	fill(file, sizeof(file), seed);
	ASSERT_EQ(sizeof(file), write(f, file, sizeof(file)));

	/* read-only file mapping, never touched by the CPU */
	ro = mmap(NULL, sizeof(file), PROT_READ, MAP_PRIVATE, f, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, swd(self, false, ro, data, sizeof(data), &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_TRUE(same(data, sizeof(data), seed));
	sw_expect_fault(_metadata, self, true, ro + PG, IOASID_FAULT_REASON_PERMISSION);
	ASSERT_TRUE(same(ro, sizeof(file), seed));

	/* shared file mapping: a device write reaches the file */
	sh = mmap(NULL, sizeof(file), PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	ASSERT_NE(MAP_FAILED, sh);
	fill(data, PG, seed + 1);
	ASSERT_EQ(0, swd(self, true, sh + PG, data, PG, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_EQ(PG, pread(f, file, PG, PG));
	ASSERT_TRUE(same(file, PG, seed + 1));
	/* ... and the private mapping, never written, sees the file */
	ASSERT_TRUE(same(ro + PG, PG, seed + 1));

	/* shared anonymous memory: both views of one page */
	sh = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	sh2 = mremap(sh, 0, PG, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, sh2);
	fill(data, PG, seed + 2);
	ASSERT_EQ(0, swd(self, true, sh, data, PG, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_TRUE(same(sh2, PG, seed + 2));
	close(f);
	ASSERT_TRUE(queue_empty(self->qfd));
}

/* The process's rights, page by page: read-only, PROT_NONE, unmapped. */
TEST_F(sw, rights_and_holes)
{
	uint8_t *m = map_anon(4 * PG), data[2 * 4096];
	struct ioasid_test_dma d;
	struct ioasid_fault f;
	uint32_t seed = seed_next();

	ASSERT_NE(NULL, m);
	fill(m, 4 * PG, seed);
	ASSERT_EQ(0, mprotect(m + PG, PG, PROT_READ));
	ASSERT_EQ(0, mprotect(m + 2 * PG, PG, PROT_NONE));
	ASSERT_EQ(0, munmap(m + 3 * PG, PG));

	/* read-only: read yes, write no, memory unchanged */
	ASSERT_EQ(0, swd(self, false, m + PG, data, PG, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_EQ(0, memcmp(data, m + PG, PG));
	sw_expect_fault(_metadata, self, true, m + PG, IOASID_FAULT_REASON_PERMISSION);
	ASSERT_EQ(0, memcmp(data, m + PG, PG));
	/* a write that runs into it stops there, the first page written */
	fill(data, sizeof(data), seed + 9);
	ASSERT_EQ(0, swd(self, true, m, data, sizeof(data), &d));
	ASSERT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	ASSERT_EQ(PG, d.out_done);
	ASSERT_EQ((uintptr_t)(m + PG), d.out_fault_addr);
	ASSERT_TRUE(same(m, PG, seed + 9));
	ASSERT_EQ(0, read_record(self->qfd, &f));
	EXPECT_EQ(IOASID_FAULT_REASON_PERMISSION, f.reason);
	/* PROT_NONE: mapped, no right at all */
	sw_expect_fault(_metadata, self, false, m + 2 * PG, IOASID_FAULT_REASON_PERMISSION);
	sw_expect_fault(_metadata, self, true, m + 2 * PG, IOASID_FAULT_REASON_PERMISSION);
	/* a hole */
	sw_expect_fault(_metadata, self, false, m + 3 * PG, IOASID_FAULT_REASON_UNMAPPED);
	sw_expect_fault(_metadata, self, true, m + 3 * PG + 8, IOASID_FAULT_REASON_UNMAPPED);
	/* the null page and a kernel address */
	sw_expect_fault(_metadata, self, false, (void *)PG, IOASID_FAULT_REASON_UNMAPPED);
	/* mprotect back: the device may write again */
	ASSERT_EQ(0, mprotect(m + PG, 2 * PG, PROT_READ | PROT_WRITE));
	fill(data, PG, seed + 3);
	ASSERT_EQ(0, swd(self, true, m + 2 * PG, data, PG, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_TRUE(same(m + 2 * PG, PG, seed + 3));
	ASSERT_TRUE(queue_empty(self->qfd));
}

/* munmap, mremap, DONTNEED, fork and COW as the CPU sees them. */
TEST_F(sw, follows_the_mm)
{
	uint8_t *m = map_anon(4 * PG), *moved, data[4096], save[4096];
	struct ioasid_test_dma d;
	uint32_t seed = seed_next();
	struct kid k = {};
	pid_t pid;
	int st;

	ASSERT_NE(NULL, m);
	fill(m, 4 * PG, seed);
	/* mremap: the old address is a hole, the new one has the data */
	moved = mremap(m, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
		       m + 64 * PG);
	ASSERT_NE(MAP_FAILED, moved);
	sw_expect_fault(_metadata, self, false, m, IOASID_FAULT_REASON_UNMAPPED);
	ASSERT_EQ(0, swd(self, false, moved, data, PG, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_TRUE(same(data, PG, seed));
	/* DONTNEED: zeroes after, and a write fills a new page */
	ASSERT_EQ(0, madvise(moved, PG, MADV_DONTNEED));
	ASSERT_EQ(0, swd(self, false, moved, data, PG, &d));
	ASSERT_TRUE(zeroes(data, PG));
	fill(data, PG, seed + 1);
	ASSERT_EQ(0, swd(self, true, moved, data, PG, &d));
	ASSERT_TRUE(same(moved, PG, seed + 1));

	/* fork: a device write breaks COW for us; the child keeps its page */
	ASSERT_EQ(0, kid_start(&k, seed + 100));
	tctx_add_kid(&self->t, k.pid);
	fill(data, PG, seed + 2);
	ASSERT_EQ(0, swd(self, true, k.buf + PG, data, PG, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_TRUE(same(k.buf + PG, PG, seed + 2));
	ASSERT_EQ('y', kid_do(&k, 'c', 1, seed + 101, PG));
	/* the child writes: we (and the device) keep ours */
	ASSERT_EQ('y', kid_do(&k, 'w', 2, seed + 3, PG));
	ASSERT_EQ(0, swd(self, false, k.buf + 2 * PG, data, PG, &d));
	ASSERT_TRUE(same(data, PG, seed + 102));
	ASSERT_EQ(0, kid_stop(&k));

	/* a child made after the bind is not bound: its writes are its own */
	memcpy(save, moved + 3 * PG, PG);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (!pid) {
		fill(moved + 3 * PG, PG, seed + 4);
		_exit(0);
	}
	st = wait_child(pid);
	ASSERT_EQ(0, st);
	ASSERT_EQ(0, swd(self, false, moved + 3 * PG, data, PG, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_EQ(0, memcmp(data, save, PG));
	ASSERT_EQ(0, memcmp(moved + 3 * PG, save, PG));
	ASSERT_TRUE(queue_empty(self->qfd));
}

/*
 * fdinfo's page_faults: the struct ioasidfd_sva comment says "pages the
 * walking executor faulted in".  Accesses to a page already present fault
 * nothing in.
 */
TEST_F(sw, fdinfo_page_faults)
{
	uint8_t *m = map_anon(4 * PG), data[64];
	struct ioasid_test_dma d;
	long mirrored;
	long long f0, f1, f2;
	int i;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, fdinfo_sva(self->t.fd, self->pasid, &mirrored, &f0));
	ASSERT_EQ(0, mirrored);
	/* four pages never touched: four faulted in */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, swd(self, true, m + i * PG, data, sizeof(data), &d));
	ASSERT_EQ(0, fdinfo_sva(self->t.fd, self->pasid, &mirrored, &f1));
	ASSERT_EQ(0, mirrored);
	ASSERT_LE(f0 + 4, f1);
	/* the same pages again, present and writable */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, swd(self, true, m + i * PG, data, sizeof(data), &d));
		ASSERT_EQ(0, swd(self, false, m + i * PG, data, sizeof(data), &d));
	}
	ASSERT_EQ(0, fdinfo_sva(self->t.fd, self->pasid, &mirrored, &f2));
	ASSERT_EQ(f1, f2) {
		TH_LOG("page_faults %lld -> %lld -> %lld: 8 accesses to present pages counted",
		       f0, f1, f2);
	}
}

/* DEVICE_GET_INFO: a software device runs SVA by walking the mm, no IOMMU */
TEST_F(sw, device_info_sva)
{
	struct ioasid_device_info info = { .size = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->dev, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_EQ(IOASID_DEVICE_SVA_WALK, info.out_sva);
	EXPECT_EQ(ENODEV, info.out_sva_hw_errno);
}

/* UNBIND needs the device gone; afterwards the IOASID binds again. */
TEST_F(sw, unbind_and_rebind)
{
	uint8_t *m = map_anon(PG), data[64];
	struct ioasid_test_dma d;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(-EBUSY, sva_unbind(self->t.fd, self->pasid));
	ASSERT_EQ(-EMEDIUMTYPE, sva_bind(self->t.fd, self->pasid, 0, -1));
	ASSERT_EQ(0, sw_disallow(self->dev, self->pasid, IOASID_DEVICE_PASID));
	ASSERT_EQ(0, sva_unbind(self->t.fd, self->pasid));
	ASSERT_EQ(IOASID_MODE_NONE, ioas_state(self->t.fd, self->pasid, NULL));
	ASSERT_EQ(-EMEDIUMTYPE, sva_unbind(self->t.fd, self->pasid));
	ASSERT_EQ(-EMEDIUMTYPE, sva_prefault(self->t.fd, self->pasid, m, PG,
					     false, NULL, NULL));
	ASSERT_EQ(0, sva_bind(self->t.fd, self->pasid, 0, -1));
	ASSERT_EQ(0, sw_allow(self->dev, self->t.fd, self->pasid,
			      IOASID_DEVICE_PASID, SW_COOKIE));
	fill(data, sizeof(data), 7);
	ASSERT_EQ(0, swd(self, true, m, data, sizeof(data), &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_TRUE(same(m, sizeof(data), 7));
}

/* DESTROY while attached: DMA faults, the PASID parks until DISALLOW. */
TEST_F(sw, destroy_parks_until_disallow)
{
	uint8_t *m = map_anon(PG), data[64];
	struct ioasid_test_dma d;

	ASSERT_NE(NULL, m);
	memset(m, 0x11, PG);
	ASSERT_EQ(0, sw_destroy(self->t.fd, self->pasid));
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED] + 1,
		  test_counter(CNT_IOASIDS_PARKED));
	fill(data, sizeof(data), 8);
	ASSERT_EQ(0, swd(self, true, m, data, sizeof(data), &d));
	ASSERT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	ASSERT_EQ(0x11, m[0]);
	ASSERT_EQ(-ENOENT, sva_prefault(self->t.fd, self->pasid, m, PG, false,
					NULL, NULL));
	ASSERT_EQ(0, sw_disallow(self->dev, self->pasid, IOASID_DEVICE_PASID));
	ASSERT_EQ(self->t.base.v[CNT_PASIDS], test_counter(CNT_PASIDS));
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED],
		  test_counter(CNT_IOASIDS_PARKED));
}

/* Prefault with only software devices: faults pages in, mirrors nothing. */
TEST_F(sw, prefault_without_mirror)
{
	uint8_t *m = map_anon(16 * PG);
	uint64_t mapped, skipped, bytes;
	unsigned char vec[16];
	int i;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, sva_prefault(self->t.fd, self->pasid, m, 16 * PG, true,
				  &mapped, &skipped));
	ASSERT_EQ(0, mapped);
	ASSERT_EQ(0, skipped);
	ASSERT_EQ(IOASID_MODE_SVA, ioas_state(self->t.fd, self->pasid, &bytes));
	ASSERT_EQ(0, bytes);
	/* the pages are there now: mincore says resident */
	ASSERT_EQ(0, mincore(m, 16 * PG, vec));
	for (i = 0; i < 16; i++)
		ASSERT_TRUE(vec[i] & 1);
	ASSERT_EQ(-EFAULT, sva_prefault(self->t.fd, self->pasid,
					unmapped_address(PG), PG, false, NULL, NULL));
	ASSERT_EQ(0, mprotect(m, PG, PROT_READ));
	ASSERT_EQ(-EFAULT, sva_prefault(self->t.fd, self->pasid, m, PG, true,
					NULL, NULL));
	ASSERT_EQ(0, sva_prefault(self->t.fd, self->pasid, m, PG, false,
				  NULL, NULL));
}

struct uffd_job {
	int uffd;
	uint32_t seed;
	int events;
	uint64_t addr[2];
	uint64_t flags[2];
	uint8_t *src;
};

/* Resolves two missing-page faults with pages of the job's pattern. */
static void *uffd_handler(void *arg)
{
	struct uffd_job *j = arg;
	struct uffd_msg msg;
	struct pollfd p = { .fd = j->uffd, .events = POLLIN };

	while (j->events < 2 && poll(&p, 1, 5000) == 1) {
		struct uffdio_copy copy = { .len = PG };

		if (read(j->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT)
			break;
		j->addr[j->events] = msg.arg.pagefault.address;
		j->flags[j->events] = msg.arg.pagefault.flags;
		fill(j->src, PG, j->seed + j->events);
		copy.dst = msg.arg.pagefault.address & ~(PG - 1);
		copy.src = (uintptr_t)j->src;
		if (ioctl(j->uffd, UFFDIO_COPY, &copy))
			break;
		j->events++;
	}
	return NULL;
}

/* userfaultfd: the device's access waits for the handler, as the CPU's would. */
TEST_F(sw, userfaultfd_missing_pages)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffd_job j = { .seed = seed_next() };
	uint8_t *m = map_anon(2 * PG), data[256];
	struct ioasid_test_dma d;
	pthread_t th;

	ASSERT_NE(NULL, m);
	j.src = map_anon(PG);
	ASSERT_NE(NULL, j.src);
	j.uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (j.uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(j.uffd, UFFDIO_API, &api));
	reg.range.start = (uintptr_t)m;
	reg.range.len = 2 * PG;
	ASSERT_EQ(0, ioctl(j.uffd, UFFDIO_REGISTER, &reg));
	ASSERT_EQ(0, pthread_create(&th, NULL, uffd_handler, &j));

	/* a read of a missing page: the handler's page */
	ASSERT_EQ(0, swd(self, false, m + 100, data, sizeof(data), &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_EQ(0, memcmp(data, m + 100, sizeof(data)));
	ASSERT_TRUE(same(m, PG, j.seed));
	/* a write: a write fault, then the device's bytes over the handler's */
	fill(data, sizeof(data), j.seed + 7);
	ASSERT_EQ(0, swd(self, true, m + PG + 8, data, sizeof(data), &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(2, j.events);
	ASSERT_EQ((uintptr_t)m, j.addr[0] & ~(PG - 1));
	ASSERT_EQ(0, j.flags[0] & UFFD_PAGEFAULT_FLAG_WRITE);
	ASSERT_EQ((uintptr_t)m + PG, j.addr[1] & ~(PG - 1));
	ASSERT_NE(0, j.flags[1] & UFFD_PAGEFAULT_FLAG_WRITE);
	ASSERT_TRUE(same(m + PG + 8, sizeof(data), j.seed + 7));
	ASSERT_EQ(pat(j.seed + 1, 0), m[PG]);
	close(j.uffd);
	ASSERT_TRUE(queue_empty(self->qfd));
}

struct rec_job {
	int dev;
	uint32_t pasid;
	uint8_t *va;
	uint8_t data[64];
	struct ioasid_test_dma d;
	int rc;
};

static void *recoverable_dma(void *arg)
{
	struct rec_job *j = arg;

	memset(&j->d, 0, sizeof(j->d));
	j->d.timeout_ms = 5000;
	j->rc = sw_dma(j->dev, j->pasid, IOASID_TEST_DMA_WRITE |
		       IOASID_TEST_DMA_RECOVERABLE, (uintptr_t)j->va, j->data,
		       sizeof(j->data), &j->d);
	return NULL;
}

/* A recoverable fault on a hole: map it, answer RETRY, the write lands. */
TEST_F(sw, recoverable_fault_then_map)
{
	struct rec_job j = { .dev = self->dev, .pasid = self->pasid };
	uint32_t seed = seed_next();
	struct ioasid_fault f;
	uint8_t *fence = mmap(NULL, 3 * PG, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *hole, *p;
	pthread_t th;

	/* a one-page hole between two mappings: the thread's stack cannot take it */
	ASSERT_NE(MAP_FAILED, fence);
	hole = fence + PG;
	ASSERT_EQ(0, munmap(hole, PG));
	j.va = hole + 8;
	fill(j.data, sizeof(j.data), seed);
	ASSERT_EQ(0, pthread_create(&th, NULL, recoverable_dma, &j));
	ASSERT_EQ(0, read_record(self->qfd, &f));
	EXPECT_EQ(IOASID_FAULT_RECOVERABLE | IOASID_FAULT_WRITE |
		  IOASID_FAULT_PASID_VALID, f.flags);
	EXPECT_EQ(IOASID_FAULT_REASON_UNMAPPED, f.reason);
	EXPECT_EQ((uintptr_t)hole, f.addr);
	p = mmap(hole, PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(hole, p);
	ASSERT_EQ(0, sw_respond(self->qfd, f.id, IOASID_FAULT_RESP_RETRY));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(0, j.rc);
	ASSERT_EQ(IOASID_TEST_DMA_OK, j.d.out_status);
	ASSERT_EQ(1, j.d.out_retries);
	ASSERT_TRUE(same(hole + 8, sizeof(j.data), seed));
	ASSERT_TRUE(queue_empty(self->qfd));
}

/* ------------------------------------------------------------------------
 * edu fixture: an edu device at RID of an IOASID bound to our own mm, and
 * a staging page (prefaulted for writing) to load and read the device buffer
 */

static char edu_bdfs[EDU_MAX_DEVICES][32];
static int nr_edu;

FIXTURE(edu) {
	struct ioasid_tctx t;
	struct vfio_edu e;
	uint32_t pasid;
	uint8_t *stage;
	int pre_rc;
};

FIXTURE_SETUP(edu)
{
	int rc;

	vfio_edu_init(&self->e);
	tctx_setup(_metadata, &self->t);
	if (!nr_edu)
		nr_edu = edu_find(edu_bdfs);
	ASSERT_LE(1, nr_edu) {
		TH_LOG("no edu device");
	}
	rc = vfio_edu_open(&self->e, edu_bdfs[0], EDU_DRIVER_IOASID,
			   IOASID_VFIO_IOMMU_TYPE);
	ASSERT_EQ(0, rc) {
		TH_LOG("opening %s: %s", edu_bdfs[0], strerror(-rc));
	}
	ASSERT_EQ(0, sw_alloc(self->t.fd, &self->pasid));
	ASSERT_EQ(0, sva_bind(self->t.fd, self->pasid, 0, -1));
	ASSERT_EQ(0, vfio_edu_allow(&self->e, self->t.fd, self->pasid, 0));
	self->stage = map_anon(PG);
	ASSERT_NE(NULL, self->stage);
}

FIXTURE_TEARDOWN(edu)
{
	vfio_edu_close(&self->e);
	tctx_teardown(_metadata, &self->t);
}

static int pf(FIXTURE_DATA(edu) *self, const void *va, uint64_t len, bool w)
{
	return sva_prefault(self->t.fd, self->pasid, va, len, w, NULL, NULL);
}

/* The device buffer gets @seed's pattern (through the staging page). */
static void dev_load(struct __test_metadata *_metadata,
		     FIXTURE_DATA(edu) *self, uint32_t seed)
{
	fill(self->stage, DMA_LEN, seed);
	ASSERT_EQ(0, pf(self, self->stage, PG, true));
	ASSERT_EQ(0, vfio_edu_to_device(&self->e, (uintptr_t)self->stage, 0,
					DMA_LEN));
}

/* The device buffer as it is now, into the staging page. */
static void dev_dump(struct __test_metadata *_metadata,
		     FIXTURE_DATA(edu) *self)
{
	memset(self->stage, 0xee, PG);
	ASSERT_EQ(0, pf(self, self->stage, PG, true));
	ASSERT_EQ(0, vfio_edu_to_ram(&self->e, 0, (uintptr_t)self->stage,
				     DMA_LEN));
}

static long faults_now(struct __test_metadata *_metadata)
{
	long n = edu_iommu_faults();

	ASSERT_LE(0, n) {
		TH_LOG("no IOMMU fault interrupt in /proc/interrupts");
	}
	return n;
}

/* The device writes @seed's pattern at @va: it must arrive. */
static void edu_write_ok(struct __test_metadata *_metadata,
			 FIXTURE_DATA(edu) *self, uint8_t *va, uint32_t seed)
{
	dev_load(_metadata, self, seed);
	ASSERT_EQ(0, vfio_edu_to_ram(&self->e, 0, (uintptr_t)va, DMA_LEN));
	ASSERT_TRUE(same(va, DMA_LEN, seed)) {
		TH_LOG("device write to %p did not arrive (%#x)", va, va[0]);
	}
}

/* The device reads @len bytes at @va: it must get what the CPU sees. */
static void edu_read_ok(struct __test_metadata *_metadata,
			FIXTURE_DATA(edu) *self, uint8_t *va)
{
	ASSERT_EQ(0, vfio_edu_to_device(&self->e, (uintptr_t)va, 0, DMA_LEN));
	dev_dump(_metadata, self);
	ASSERT_EQ(0, memcmp(self->stage, va, DMA_LEN)) {
		TH_LOG("device read of %p: %#x, the CPU sees %#x", va,
		       self->stage[0], va[0]);
	}
}

/*
 * The device writes at @va: refused.  @view is the page the write would
 * land in if it got through (the old page, through another mapping, or
 * @va itself when it is readable), or NULL.
 */
static void edu_write_faults(struct __test_metadata *_metadata,
			     FIXTURE_DATA(edu) *self, uint8_t *va,
			     const uint8_t *view)
{
	uint8_t before[DMA_LEN];
	long f0;

	if (view)
		memcpy(before, view, DMA_LEN);
	dev_load(_metadata, self, seed_next());
	f0 = faults_now(_metadata);
	ASSERT_EQ(0, vfio_edu_to_ram(&self->e, 0, (uintptr_t)va, DMA_LEN));
	ASSERT_LT(f0, edu_iommu_faults_after(f0, 3000)) {
		TH_LOG("device write to %p: no IOMMU fault", va);
	}
	if (view)
		ASSERT_EQ(0, memcmp(before, view, DMA_LEN)) {
			TH_LOG("device write to %p changed memory", va);
		}
}

/* The device reads at @va: refused, the device buffer gets zeroes. */
static void edu_read_faults(struct __test_metadata *_metadata,
			    FIXTURE_DATA(edu) *self, uint8_t *va)
{
	long f0;

	dev_load(_metadata, self, seed_next());
	f0 = faults_now(_metadata);
	ASSERT_EQ(0, vfio_edu_to_device(&self->e, (uintptr_t)va, 0, DMA_LEN));
	ASSERT_LT(f0, edu_iommu_faults_after(f0, 3000)) {
		TH_LOG("device read of %p: no IOMMU fault", va);
	}
	dev_dump(_metadata, self);
	ASSERT_TRUE(zeroes(self->stage, DMA_LEN)) {
		TH_LOG("device read of %p got data (%#x)", va, self->stage[0]);
	}
}

static int memfd(size_t len)
{
	int fd = syscall(SYS_memfd_create, "sva", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, len))
		return -errno;
	return fd;
}

TEST_F_TIMEOUT(edu, device_modes, 60)
{
	struct ioasid_device_info info;

	ASSERT_EQ(0, vfio_edu_info(&self->e, &info));
	ASSERT_EQ(IOASID_EXEC_IOMMU_API, info.out_executor);
	ASSERT_TRUE(info.out_modes & (1U << IOASID_MODE_SVA));
	ASSERT_EQ(IOASID_DEVICE_ATTACHED_RID, info.out_attach);
	ASSERT_EQ(self->pasid, info.out_rid_pasid);
}

/* malloc()ed memory, both ways, at unaligned addresses. */
TEST_F_TIMEOUT(edu, dma_malloc, 120)
{
	uint8_t *m = malloc(6 * PG);
	uintptr_t first, last;
	uint64_t mapped, skipped, bytes;
	long long faults;
	long mirrored;

	ASSERT_NE(NULL, m);
	memset(m, 0, 6 * PG);
	first = (uintptr_t)m & ~(PG - 1);
	last = ((uintptr_t)m + 6 * PG + PG - 1) & ~(PG - 1);
	ASSERT_EQ(0, sva_prefault(self->t.fd, self->pasid, (void *)first,
				  last - first, true, &mapped, &skipped));
	ASSERT_EQ(last - first, mapped);
	ASSERT_EQ(0, skipped);
	ASSERT_EQ(IOASID_MODE_SVA, ioas_state(self->t.fd, self->pasid, &bytes));
	ASSERT_LE(last - first, bytes);
	ASSERT_EQ(0, fdinfo_sva(self->t.fd, self->pasid, &mirrored, &faults));
	ASSERT_EQ(bytes / PG, mirrored);
	edu_write_ok(_metadata, self, m + 100, seed_next());
	edu_write_ok(_metadata, self, m + 3 * PG - 17, seed_next());
	fill(m + 4 * PG + 5, DMA_LEN, seed_next());
	edu_read_ok(_metadata, self, m + 4 * PG + 5);
	free(m);
}

/* A THP-backed buffer, mirrored with 2 MiB blocks; one split keeps the rest. */
TEST_F_TIMEOUT(edu, dma_thp, 120)
{
	const size_t len = 2 * SZ_2M;
	uint8_t *m = mmap_aligned(len, SZ_2M);
	uint64_t mapped, bytes;
	uint8_t *hole;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, munmap(m, len));
	m = mmap(m, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	if (madvise(m, len, MADV_HUGEPAGE))
		SKIP(return, "no THP (madvise: %s)", strerror(errno));
	memset(m, 0x33, len);
	ASSERT_EQ(0, sva_prefault(self->t.fd, self->pasid, m, len, true,
				  &mapped, NULL));
	ASSERT_EQ(len, mapped);
	ASSERT_EQ(IOASID_MODE_SVA, ioas_state(self->t.fd, self->pasid, &bytes));
	ASSERT_LE(len, bytes);
	edu_write_ok(_metadata, self, m + 5, seed_next());
	edu_write_ok(_metadata, self, m + SZ_2M - PG - 1, seed_next());
	edu_write_ok(_metadata, self, m + SZ_2M + 300 * PG, seed_next());
	fill(m + SZ_2M + 511 * PG, PG, seed_next());
	edu_read_ok(_metadata, self, m + SZ_2M + 511 * PG);

	/* a hole in the first block: that page goes, so does its block's mirror */
	hole = m + 200 * PG;
	ASSERT_EQ(0, munmap(hole, PG));
	edu_write_faults(_metadata, self, hole, NULL);
	edu_write_faults(_metadata, self, m + 10 * PG, m + 10 * PG);
	/* the other block is untouched */
	edu_write_ok(_metadata, self, m + SZ_2M + 7 * PG, seed_next());
	/* prefault again: everything but the hole */
	ASSERT_EQ(-EFAULT, pf(self, m, SZ_2M, true));
	ASSERT_EQ(0, pf(self, m, 200 * PG, true));
	ASSERT_EQ(0, pf(self, hole + PG, SZ_2M - 201 * PG, true));
	edu_write_ok(_metadata, self, m + 10 * PG, seed_next());
	edu_write_ok(_metadata, self, hole + PG, seed_next());
	edu_write_faults(_metadata, self, hole, NULL);
}

/* hugetlb pages mirror too; MMIO (the device's own BAR) never does. */
TEST_F_TIMEOUT(edu, hugetlb_and_mmio, 120)
{
	uint64_t mapped = 1, skipped = 1;
	uint8_t *h;
	int rc;

	/* VM_IO | VM_PFNMAP: nothing to fault in, nothing mirrored */
	rc = sva_prefault(self->t.fd, self->pasid, self->e.bar0, PG, false,
			  &mapped, &skipped);
	ASSERT_EQ(-EFAULT, rc) {
		TH_LOG("prefault of the edu BAR mapping: %s", strerror(-rc));
	}
	edu_write_faults(_metadata, self, self->e.bar0 + 0x1000, NULL);
	ASSERT_EQ(EDU_IDENT, vfio_edu_read32(&self->e, EDU_REG_IDENT));

	h = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (h == MAP_FAILED)
		SKIP(return, "no hugetlb page: %s", strerror(errno));
	memset(h, 0x44, SZ_2M);
	ASSERT_EQ(0, sva_prefault(self->t.fd, self->pasid, h, SZ_2M, true,
				  &mapped, &skipped));
	ASSERT_EQ(SZ_2M, mapped);
	ASSERT_EQ(0, skipped);
	edu_write_ok(_metadata, self, h + SZ_1M + 5, seed_next());
	edu_write_ok(_metadata, self, h + SZ_2M - PG, seed_next());
	fill(h + 77 * PG, PG, seed_next());
	edu_read_ok(_metadata, self, h + 77 * PG);
	ASSERT_EQ(0, munmap(h, SZ_2M));
	edu_write_faults(_metadata, self, h, NULL);
}

/* munmap: the old page (still a memfd page, seen elsewhere) is never reached. */
TEST_F_TIMEOUT(edu, after_munmap, 120)
{
	int mfd = memfd(2 * PG);
	uint8_t *a, *view, *b, old[4096];
	uint32_t seed = seed_next();

	ASSERT_LE(0, mfd);
	a = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	view = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, view);
	fill(a, 2 * PG, seed);
	ASSERT_EQ(0, pf(self, a, 2 * PG, true));
	edu_write_ok(_metadata, self, a, seed_next());
	ASSERT_EQ(0, munmap(a, PG));
	edu_write_faults(_metadata, self, a, view);
	edu_read_faults(_metadata, self, a);
	/* the neighbour stays mirrored */
	edu_write_ok(_metadata, self, a + PG, seed_next());
	ASSERT_EQ(0, memcmp(view + PG, a + PG, PG));
	/* a new page there: faults until prefaulted, then it is the new one */
	b = mmap(a, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_FIXED, -1, 0);
	ASSERT_EQ(a, b);
	memset(b, 0, PG);
	edu_write_faults(_metadata, self, b, view);
	ASSERT_EQ(0, pf(self, b, PG, true));
	memcpy(old, view, PG);
	edu_write_ok(_metadata, self, b, seed_next());
	ASSERT_EQ(0, memcmp(old, view, PG));
	close(mfd);
}

/* mprotect(PROT_READ): no write ever, reads after a new prefault. */
TEST_F_TIMEOUT(edu, after_mprotect, 120)
{
	uint8_t *m = map_anon(2 * PG);
	int rc;

	ASSERT_NE(NULL, m);
	fill(m, 2 * PG, seed_next());
	ASSERT_EQ(0, pf(self, m, 2 * PG, true));
	edu_write_ok(_metadata, self, m, seed_next());
	ASSERT_EQ(0, mprotect(m, PG, PROT_READ));
	edu_write_faults(_metadata, self, m, m);
	edu_read_faults(_metadata, self, m);	/* invalidated: until prefault */
	/* refused (EFAULT by the header: see write_prefault_read_only) */
	rc = pf(self, m, PG, true);
	ASSERT_TRUE(rc == -EFAULT || rc == -EPERM) {
		TH_LOG("write prefault of a read-only page: %s", strerror(-rc));
	}
	ASSERT_EQ(0, pf(self, m, PG, false));
	edu_write_faults(_metadata, self, m, m);
	edu_read_ok(_metadata, self, m);
	/* the other page kept its mirror, rights and all */
	edu_write_ok(_metadata, self, m + PG, seed_next());
	/* writable again: after a prefault, writes land */
	ASSERT_EQ(0, mprotect(m, PG, PROT_READ | PROT_WRITE));
	edu_write_faults(_metadata, self, m, m);
	ASSERT_EQ(0, pf(self, m, PG, true));
	edu_write_ok(_metadata, self, m, seed_next());
}

/* MADV_DONTNEED: the old page is gone for the device as for the CPU. */
TEST_F_TIMEOUT(edu, after_dontneed, 120)
{
	int mfd = memfd(PG);
	uint8_t *m = map_anon(PG), *sh, *view;

	ASSERT_NE(NULL, m);
	fill(m, PG, seed_next());
	ASSERT_EQ(0, pf(self, m, PG, true));
	edu_read_ok(_metadata, self, m);
	ASSERT_EQ(0, madvise(m, PG, MADV_DONTNEED));
	edu_write_faults(_metadata, self, m, m);
	edu_read_faults(_metadata, self, m);
	ASSERT_TRUE(zeroes(m, PG));
	/* a read prefault: the zero page, read-only */
	ASSERT_EQ(0, pf(self, m, PG, false));
	edu_write_faults(_metadata, self, m, m);
	edu_read_ok(_metadata, self, m);
	ASSERT_TRUE(zeroes(m, PG));
	ASSERT_EQ(0, pf(self, m, PG, true));
	edu_write_ok(_metadata, self, m, seed_next());

	/* shared memfd: DONTNEED drops our mapping only, the page lives on */
	ASSERT_LE(0, mfd);
	sh = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	view = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, sh);
	ASSERT_NE(MAP_FAILED, view);
	fill(sh, PG, seed_next());
	ASSERT_EQ(0, pf(self, sh, PG, true));
	edu_write_ok(_metadata, self, sh, seed_next());
	ASSERT_EQ(0, madvise(sh, PG, MADV_DONTNEED));
	edu_write_faults(_metadata, self, sh, view);
	ASSERT_EQ(0, pf(self, sh, PG, true));
	edu_write_ok(_metadata, self, sh, seed_next());
	ASSERT_EQ(0, memcmp(sh, view, PG));
	close(mfd);
}

/* mremap (moved): neither address reaches the page until prefaulted. */
TEST_F_TIMEOUT(edu, after_mremap, 120)
{
	int mfd = memfd(2 * PG);
	uint8_t *a, *view, *b, *dest;

	ASSERT_LE(0, mfd);
	a = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	view = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	dest = unmapped_address(64 * PG);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, view);
	ASSERT_NE(NULL, dest);
	fill(a, 2 * PG, seed_next());
	ASSERT_EQ(0, pf(self, a, 2 * PG, true));
	edu_write_ok(_metadata, self, a + PG, seed_next());
	b = mremap(a, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
	ASSERT_EQ(dest, b);
	edu_write_faults(_metadata, self, a, view);
	edu_write_faults(_metadata, self, a + PG, view + PG);
	edu_write_faults(_metadata, self, b, view);
	ASSERT_EQ(-EFAULT, pf(self, a, PG, false));
	ASSERT_EQ(0, pf(self, b, 2 * PG, true));
	edu_write_ok(_metadata, self, b + PG, seed_next());
	ASSERT_EQ(0, memcmp(view + PG, b + PG, PG));

	/* a private anonymous page moves the same way */
	a = map_anon(PG);
	ASSERT_NE(NULL, a);
	fill(a, PG, seed_next());
	ASSERT_EQ(0, pf(self, a, PG, true));
	b = mremap(a, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, dest + 8 * PG);
	ASSERT_EQ(dest + 8 * PG, b);
	edu_read_faults(_metadata, self, a);
	edu_read_faults(_metadata, self, b);
	ASSERT_EQ(0, pf(self, b, PG, false));
	edu_read_ok(_metadata, self, b);
	close(mfd);
}

/* Before the fork: the kid's buffer mirrored writable. */
static void prefault_rw(void *arg, uint8_t *buf)
{
	FIXTURE_DATA(edu) *self = arg;

	self->pre_rc = pf(self, buf, KID_PAGES * PG, true);
}

/*
 * fork, then the parent writes (COW): the device never writes the page the
 * child shares, and after the parent's write never reaches the old one.
 */
TEST_F_TIMEOUT(edu, fork_cow_parent, 180)
{
	struct kid k = {};
	uint32_t s0 = seed_next(), s1;

	ASSERT_EQ(0, kid_start_pre(&k, s0, prefault_rw, self));
	tctx_add_kid(&self->t, k.pid);
	ASSERT_EQ(0, self->pre_rc);
	/* before the fork it was mirrored writable: not any more */
	edu_write_faults(_metadata, self, k.buf + 2 * PG, k.buf + 2 * PG);
	ASSERT_EQ('y', kid_do(&k, 'c', 2, s0 + 2, PG));
	ASSERT_EQ(0, pf(self, k.buf, 2 * PG, false));
	/* the page is shared with the child: the mirror is read-only */
	edu_write_faults(_metadata, self, k.buf, k.buf);
	edu_read_ok(_metadata, self, k.buf);
	ASSERT_EQ('y', kid_do(&k, 'c', 0, s0, PG));
	/* the parent writes: COW, the device loses the old page */
	s1 = seed_next();
	fill(k.buf, PG, s1);
	edu_read_faults(_metadata, self, k.buf);
	ASSERT_EQ(0, pf(self, k.buf, PG, true));
	edu_read_ok(_metadata, self, k.buf);
	edu_write_ok(_metadata, self, k.buf, s1 + 1);
	ASSERT_EQ('y', kid_do(&k, 'c', 0, s0, PG));
	/* a write prefault breaks COW itself, as a CPU write would */
	ASSERT_EQ(0, pf(self, k.buf + PG, PG, true));
	edu_write_ok(_metadata, self, k.buf + PG, s1 + 2);
	ASSERT_EQ('y', kid_do(&k, 'c', 1, s0 + 1, PG));
	ASSERT_EQ(0, kid_stop(&k));
}

/* fork, then the child writes: the device keeps the parent's page. */
TEST_F_TIMEOUT(edu, fork_cow_child, 180)
{
	struct kid k = {};
	uint32_t s0 = seed_next(), s1 = seed_next();

	/* mirrored writable before the fork */
	ASSERT_EQ(0, kid_start_pre(&k, s0, prefault_rw, self));
	tctx_add_kid(&self->t, k.pid);
	ASSERT_EQ(0, self->pre_rc);
	ASSERT_EQ(0, pf(self, k.buf, PG, false));
	ASSERT_EQ('y', kid_do(&k, 'w', 0, s1, PG));
	edu_write_faults(_metadata, self, k.buf, k.buf);
	edu_read_ok(_metadata, self, k.buf);
	ASSERT_TRUE(same(k.buf, PG, s0));
	ASSERT_EQ(0, pf(self, k.buf, PG, true));
	edu_write_ok(_metadata, self, k.buf, s1 + 5);
	ASSERT_EQ('y', kid_do(&k, 'c', 0, s1, PG));
	ASSERT_EQ(0, kid_stop(&k));
}

/* A page never touched and never prefaulted: nothing there for the device. */
TEST_F_TIMEOUT(edu, unpopulated_faults, 120)
{
	uint8_t *m = map_anon(4 * PG);
	unsigned char vec[4];

	ASSERT_NE(NULL, m);
	edu_write_faults(_metadata, self, m, NULL);
	edu_read_faults(_metadata, self, m + PG);
	ASSERT_EQ(0, mincore(m, 4 * PG, vec));
	ASSERT_EQ(0, vec[0] & 1);
	ASSERT_EQ(0, vec[1] & 1);
	ASSERT_TRUE(zeroes(m, 2 * PG));
	/* prefaulted for reading: zeroes, read-only */
	ASSERT_EQ(0, pf(self, m + 2 * PG, PG, false));
	edu_write_faults(_metadata, self, m + 2 * PG, m + 2 * PG);
	edu_read_ok(_metadata, self, m + 2 * PG);
	ASSERT_TRUE(zeroes(m + 2 * PG, PG));
}

/* Every PREFAULT error of the header. */
TEST_F_TIMEOUT(edu, prefault_errors, 120)
{
	uint8_t *m = map_anon(4 * PG);
	uint64_t mapped, skipped;
	uint32_t none, iova, other_pasid;
	int other, rc;

	ASSERT_NE(NULL, m);
	/* EFAULT: nothing mapped, a hole inside, past TASK_SIZE */
	ASSERT_EQ(-EFAULT, pf(self, unmapped_address(4 * PG), 4 * PG, false));
	ASSERT_EQ(0, munmap(m + 2 * PG, PG));
	ASSERT_EQ(-EFAULT, pf(self, m, 4 * PG, false));
	ASSERT_EQ(-EFAULT, pf(self, (void *)(1UL << 48), PG, false));
	ASSERT_EQ(-EFAULT, pf(self, (void *)0, PG, false));
	/* a write prefault of a read-only mapping: write_prefault_read_only */
	ASSERT_EQ(0, mprotect(m, PG, PROT_READ));
	rc = pf(self, m, PG, true);
	ASSERT_TRUE(rc == -EFAULT || rc == -EPERM);
	rc = pf(self, m + 3 * PG, PG, true);	/* never touched, writable */
	ASSERT_EQ(0, rc);
	/* PROT_NONE: no right to fault in */
	ASSERT_EQ(0, mprotect(m + PG, PG, PROT_NONE));
	rc = pf(self, m + PG, PG, false);
	ASSERT_EQ(-EFAULT, rc) {
		TH_LOG("read prefault of PROT_NONE: %s", strerror(-rc));
	}
	/* EINVAL: unaligned, empty */
	ASSERT_EQ(-EINVAL, pf(self, m + 1, PG, false));
	ASSERT_EQ(-EINVAL, pf(self, m, PG - 1, false));
	ASSERT_EQ(-EINVAL, pf(self, m, 0, false));
	/* EOVERFLOW: wraps */
	ASSERT_EQ(-EOVERFLOW, pf(self, m, ~0UL & ~(PG - 1), false));
	ASSERT_EQ(-EOVERFLOW, sva_prefault(self->t.fd, self->pasid,
					   (void *)(~0UL & ~(PG - 1)), 2 * PG,
					   false, NULL, NULL));
	/* ENOENT: not an IOASID of this fd */
	ASSERT_EQ(-ENOENT, sva_prefault(self->t.fd, 0, m, PG, false, NULL, NULL));
	ASSERT_EQ(-ENOENT, sva_prefault(self->t.fd, IOASID_PASID_MAX, m, PG,
					false, NULL, NULL));
	other = ioasid_open();
	ASSERT_LE(0, other);
	ASSERT_EQ(0, sw_alloc(other, &other_pasid));
	ASSERT_EQ(0, sva_bind(other, other_pasid, 0, -1));
	ASSERT_EQ(-ENOENT, sva_prefault(self->t.fd, other_pasid, m + 3 * PG, PG,
					false, NULL, NULL));
	ASSERT_EQ(-ENOENT, sva_prefault(other, self->pasid, m + 3 * PG, PG,
					false, NULL, NULL));
	close(other);
	/* EMEDIUMTYPE: NONE and IOVA IOASIDs */
	ASSERT_EQ(0, sw_alloc(self->t.fd, &none));
	ASSERT_EQ(-EMEDIUMTYPE, sva_prefault(self->t.fd, none, m + 3 * PG, PG,
					     false, NULL, NULL));
	ASSERT_EQ(0, sw_alloc(self->t.fd, &iova));
	ASSERT_EQ(0, sw_map(self->t.fd, iova, m + 3 * PG, PG, 0x100000,
			    IOASID_MAP_READ | IOASID_MAP_WRITE));
	ASSERT_EQ(-EMEDIUMTYPE, sva_prefault(self->t.fd, iova, m + 3 * PG, PG,
					     false, NULL, NULL));
	ASSERT_EQ(-EMEDIUMTYPE, sva_bind(self->t.fd, iova, 0, -1));
	/* the outputs of a failing call are not written */
	mapped = skipped = 7;
	ASSERT_EQ(-EFAULT, sva_prefault(self->t.fd, self->pasid,
					unmapped_address(PG), PG, false,
					&mapped, &skipped));
	ASSERT_EQ(0xdead, mapped);
	ASSERT_EQ(0xbeef, skipped);
}

/* out_mapped / out_skipped, the MSI window, and mapped_bytes. */
TEST_F_TIMEOUT(edu, prefault_counts_msi_window, 120)
{
	const size_t win = MSI_LAST + 1 - MSI_START;
	uint64_t mapped, skipped, bytes0, bytes;
	struct ioasid_caps caps;
	uint8_t *m = map_anon(8 * PG), *w;
	unsigned int i;
	bool excluded = false;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(IOASID_MODE_SVA, ioas_state(self->t.fd, self->pasid, &bytes0));
	ASSERT_EQ(0, sva_prefault(self->t.fd, self->pasid, m, 8 * PG, false,
				  &mapped, &skipped));
	ASSERT_EQ(8 * PG, mapped);
	ASSERT_EQ(0, skipped);
	ioas_state(self->t.fd, self->pasid, &bytes);
	ASSERT_EQ(bytes0 + 8 * PG, bytes);
	/* again: all of it mirrored already, counted again */
	ASSERT_EQ(0, sva_prefault(self->t.fd, self->pasid, m, 8 * PG, true,
				  &mapped, &skipped));
	ASSERT_EQ(8 * PG, mapped);
	ioas_state(self->t.fd, self->pasid, &bytes);
	ASSERT_EQ(bytes0 + 8 * PG, bytes);
	ASSERT_EQ(0, munmap(m, 8 * PG));
	ioas_state(self->t.fd, self->pasid, &bytes);
	ASSERT_EQ(bytes0, bytes);

	/* the usable ranges exclude the MSI window */
	test_ioasid_info_pasid(self->t.fd, self->pasid, &caps);
	ASSERT_TRUE(caps.has_ranges);
	for (i = 0; i + 1 < caps.nr_ranges; i++)
		if (caps.ranges[i].last < MSI_START &&
		    caps.ranges[i + 1].start > MSI_LAST)
			excluded = true;
	ASSERT_TRUE(excluded);

	/* memory at those virtual addresses: faulted in, not mirrored */
	w = mmap((void *)(MSI_START - PG), win + 2 * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (w == MAP_FAILED || w != (void *)(MSI_START - PG)) {
		if (w != MAP_FAILED)
			munmap(w, win + 2 * PG);
		SKIP(return, "cannot map %#lx: %s", MSI_START - PG,
		     strerror(errno));
	}
	/*
	 * The page after the window read-only, the others written: the
	 * rights cut the mirror's run at the window's end (the run across a
	 * THP is msi_window_thp_block's business).
	 */
	memset(w, 0, win + PG);
	fill(w + win + PG, PG, seed_next());
	ASSERT_EQ(0, mprotect(w + win + PG, PG, PROT_READ));
	ASSERT_EQ(0, sva_prefault(self->t.fd, self->pasid, w, win + 2 * PG,
				  false, &mapped, &skipped));
	ASSERT_EQ(2 * PG, mapped);
	ASSERT_EQ(win, skipped);
	ioas_state(self->t.fd, self->pasid, &bytes);
	ASSERT_EQ(bytes0 + 2 * PG, bytes);
	/* the pages on each side are reachable */
	edu_write_ok(_metadata, self, w, seed_next());
	edu_read_ok(_metadata, self, w + win + PG);
	/* the window's pages are the CPU's: faulted in, untouched by the device */
	ASSERT_TRUE(zeroes(w + PG, PG));
	ASSERT_EQ(0, munmap(w, win + 2 * PG));
}

/*
 * The header: "EFAULT if a page cannot be [faulted in]: not mapped, or not
 * writable for a write prefault", with a mirror (an edu device attached)
 * as without one (hmm_range_fault() itself says EPERM).
 */
TEST_F_TIMEOUT(edu, write_prefault_read_only, 60)
{
	uint8_t *m = map_anon(2 * PG);
	int rc;

	ASSERT_NE(NULL, m);
	memset(m, 1, 2 * PG);
	ASSERT_EQ(0, mprotect(m, PG, PROT_READ));
	rc = pf(self, m, PG, true);
	ASSERT_EQ(-EFAULT, rc) {
		TH_LOG("write prefault of a read-only mapping, mirrored: %s",
		       strerror(-rc));
	}
	/* never touched, read-only */
	ASSERT_EQ(0, mprotect(m + PG, PG, PROT_READ));
	ASSERT_EQ(0, madvise(m + PG, PG, MADV_DONTNEED));
	rc = pf(self, m + PG, PG, true);
	ASSERT_EQ(-EFAULT, rc) {
		TH_LOG("write prefault of an unpopulated read-only mapping: %s",
		       strerror(-rc));
	}
}

/*
 * Prefault runs are cut where the physical pages stop being contiguous,
 * where the rights change and at 2 MiB boundaries, and where the usable
 * IOVA ranges end.  A THP that straddles the end of the MSI window is one
 * run: its usable half must be mirrored (and not counted in out_skipped).
 */
TEST_F_TIMEOUT(edu, msi_window_thp_block, 60)
{
	const uintptr_t block = MSI_START & ~(SZ_2M - 1);
	const size_t win = MSI_LAST + 1 - MSI_START;
	uint64_t mapped, skipped;
	uint8_t *w;

	w = mmap((void *)block, SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (w != (void *)block) {
		if (w != MAP_FAILED)
			munmap(w, SZ_2M);
		SKIP(return, "cannot map %#lx", (unsigned long)block);
	}
	if (madvise(w, SZ_2M, MADV_HUGEPAGE))
		SKIP(return, "no THP");
	memset(w, 0, SZ_2M);
	ASSERT_EQ(0, sva_prefault(self->t.fd, self->pasid, w, SZ_2M, true,
				  &mapped, &skipped));
	TH_LOG("2 MiB at %#lx (MSI window %#lx-%#lx): mapped %llu, skipped %llu",
	       (unsigned long)block, MSI_START, MSI_LAST,
	       (unsigned long long)mapped, (unsigned long long)skipped);
	ASSERT_EQ(win, skipped);
	ASSERT_EQ(SZ_2M - win, mapped);
	edu_write_ok(_metadata, self, (uint8_t *)MSI_LAST + 1, seed_next());
	ASSERT_EQ(0, munmap(w, SZ_2M));
}

/*
 * The header: after the last DISALLOW the IOASID keeps the page table,
 * idle and in sync, and a prefault maps into it; the next ALLOW finds the
 * mirror ready (a DMA works with no prefault of its own), and what the
 * process unmaps meanwhile is gone from it.
 */
TEST_F_TIMEOUT(edu, prefault_after_disallow_fills_idle_table, 60)
{
	uint8_t *m = map_anon(3 * PG);
	uint32_t seed = seed_next();
	uint64_t mapped, skipped, bytes, b0;
	long f0;

	ASSERT_NE(NULL, m);
	fill(m, 3 * PG, seed);
	ASSERT_EQ(0, vfio_edu_disallow(&self->e, self->pasid, 0));
	ioas_state(self->t.fd, self->pasid, &b0);
	ASSERT_EQ(0, sva_prefault(self->t.fd, self->pasid, m, 3 * PG, true,
				  &mapped, &skipped));
	ioas_state(self->t.fd, self->pasid, &bytes);
	ASSERT_EQ(3 * PG, mapped);
	ASSERT_EQ(0, skipped);
	ASSERT_EQ(b0 + 3 * PG, bytes);
	ASSERT_EQ(0, munmap(m + PG, PG));
	ioas_state(self->t.fd, self->pasid, &bytes);
	ASSERT_EQ(b0 + 2 * PG, bytes);
	ASSERT_EQ(0, vfio_edu_allow(&self->e, self->t.fd, self->pasid, 0));
	/* page 0 into the device and out to page 2, no prefault */
	ASSERT_EQ(0, vfio_edu_to_device(&self->e, (uintptr_t)m, 0, DMA_LEN));
	ASSERT_EQ(0, vfio_edu_to_ram(&self->e, 0, (uintptr_t)m + 2 * PG,
				     DMA_LEN));
	ASSERT_TRUE(same(m + 2 * PG, DMA_LEN, seed));
	/* the page unmapped while idle is not reachable */
	f0 = faults_now(_metadata);
	ASSERT_EQ(0, vfio_edu_to_ram(&self->e, 0, (uintptr_t)m + PG, DMA_LEN));
	/* The fault interrupt may come after the DMA's end: wait for it */
	EXPECT_LT(f0, edu_iommu_faults_after(f0, 3000));
}

/*
 * DEVICE_GET_INFO: an edu device runs SVA by mirror; the kernel's answer to
 * hardware SVA for it is an errno (Debian's 6.1 runs it on neither guest:
 * edu has no PASID, ATS or PRI capability either), which the module
 * passes on without ever binding one.
 */
TEST_F(edu, device_info_sva)
{
	struct ioasid_device_info info = { .size = sizeof(info) };

	ASSERT_EQ(0, vfio_edu_info(&self->e, &info));
	EXPECT_EQ(IOASID_DEVICE_SVA_MIRROR, info.out_sva);
	EXPECT_NE(0, info.out_sva_hw_errno);
	TH_LOG("hardware SVA for the edu device: %s",
	       strerror(info.out_sva_hw_errno));
}

/*
 * A second edu device ALLOWed after the prefault reaches what is mirrored
 * already (the mirror is replayed into, or shared with, its page table),
 * and loses it with the first device at the next invalidation.
 */
TEST_F_TIMEOUT(edu, second_device_replayed, 120)
{
	uint8_t *m = map_anon(4 * PG);
	uint32_t seed = seed_next();
	struct vfio_edu e2;
	long f0;
	int rc;

	ASSERT_NE(NULL, m);
	ASSERT_LE(2, nr_edu);
	fill(m, 4 * PG, seed);
	ASSERT_EQ(0, pf(self, m, 4 * PG, true));
	vfio_edu_init(&e2);
	rc = vfio_edu_open(&e2, edu_bdfs[1], EDU_DRIVER_IOASID,
			   IOASID_VFIO_IOMMU_TYPE);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, vfio_edu_allow(&e2, self->t.fd, self->pasid, 0));
	/* page 0 into the second device, out to page 2, no new prefault */
	ASSERT_EQ(0, vfio_edu_to_device(&e2, (uintptr_t)m, 0, DMA_LEN));
	ASSERT_EQ(0, vfio_edu_to_ram(&e2, 0, (uintptr_t)m + 2 * PG, DMA_LEN));
	ASSERT_TRUE(same(m + 2 * PG, DMA_LEN, seed));
	/* both lose page 2 at munmap */
	ASSERT_EQ(0, munmap(m + 2 * PG, PG));
	f0 = faults_now(_metadata);
	ASSERT_EQ(0, vfio_edu_to_ram(&e2, 0, (uintptr_t)m + 2 * PG, DMA_LEN));
	ASSERT_LT(f0, edu_iommu_faults_after(f0, 3000));
	edu_write_faults(_metadata, self, m + 2 * PG, NULL);
	/* a prefault now mirrors for both */
	ASSERT_EQ(0, pf(self, m + 3 * PG, PG, true));
	ASSERT_EQ(0, vfio_edu_to_ram(&e2, 0, (uintptr_t)m + 3 * PG, DMA_LEN));
	ASSERT_TRUE(same(m + 3 * PG, DMA_LEN, seed));
	edu_write_ok(_metadata, self, m + PG, seed_next());
	ASSERT_EQ(0, vfio_edu_disallow(&e2, self->pasid, 0));
	vfio_edu_close(&e2);
	/* the first device still has its mirror */
	edu_write_ok(_metadata, self, m + 3 * PG, seed_next());
}

/* DISALLOW, UNBIND, BIND, ALLOW: the mirror starts empty again. */
TEST_F_TIMEOUT(edu, rebind_and_destroy, 120)
{
	uint8_t *m = map_anon(2 * PG);
	uint64_t mapped, bytes;
	long f0;

	ASSERT_NE(NULL, m);
	memset(m, 1, 2 * PG);
	ASSERT_EQ(0, pf(self, m, 2 * PG, true));
	ASSERT_EQ(-EBUSY, sva_unbind(self->t.fd, self->pasid));
	ASSERT_EQ(0, vfio_edu_disallow(&self->e, self->pasid, 0));
	/* nothing attached: a prefault only faults in */
	ASSERT_EQ(0, sva_prefault(self->t.fd, self->pasid, m, 2 * PG, true,
				  &mapped, NULL));
	TH_LOG("prefault after DISALLOW: out_mapped %llu",
	       (unsigned long long)mapped);
	ASSERT_EQ(0, sva_unbind(self->t.fd, self->pasid));
	ASSERT_EQ(IOASID_MODE_NONE, ioas_state(self->t.fd, self->pasid, &bytes));
	ASSERT_EQ(0, bytes);
	ASSERT_EQ(0, sva_bind(self->t.fd, self->pasid, 0, -1));
	ASSERT_EQ(0, vfio_edu_allow(&self->e, self->t.fd, self->pasid, 0));
	ioas_state(self->t.fd, self->pasid, &bytes);
	ASSERT_EQ(0, bytes);
	edu_write_faults(_metadata, self, m, m);
	ASSERT_EQ(0, pf(self, m, 2 * PG, true));
	edu_write_ok(_metadata, self, m, seed_next());

	/* DESTROY while attached: faults at once, parked until DISALLOW */
	ASSERT_EQ(0, sw_destroy(self->t.fd, self->pasid));
	f0 = faults_now(_metadata);
	ASSERT_EQ(0, vfio_edu_to_ram(&self->e, 0, (uintptr_t)m + PG, DMA_LEN));
	ASSERT_LT(f0, edu_iommu_faults_after(f0, 3000));
	ASSERT_EQ(1, m[PG]);
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED] + 1,
		  test_counter(CNT_IOASIDS_PARKED));
	ASSERT_EQ(0, vfio_edu_disallow(&self->e, self->pasid, 0));
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED],
		  test_counter(CNT_IOASIDS_PARKED));
}

/* ------------------------------------------------------------------------
 * Foreign binds, and who may make them
 */

FIXTURE(fg) {
	struct ioasid_tctx t;
	int dev;
	struct kid k;
	uint32_t seed;
	int yama;	/* ptrace_scope to restore, or -1 */
};

static int yama_read(void)
{
	FILE *f = fopen(YAMA_SCOPE, "re");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int yama_write(int v)
{
	char b[8];
	int n = snprintf(b, sizeof(b), "%d\n", v);

	return edu_sysfs_write(YAMA_SCOPE, b) ? -1 : (n > 0 ? 0 : -1);
}

/* Restored at exit too, in case a test child died with it changed. */
static int yama_at_start = -1;

static void __attribute__((constructor)) yama_save(void)
{
	yama_at_start = yama_read();
}

static void __attribute__((destructor)) yama_restore(void)
{
	if (yama_at_start >= 0 && yama_read() != yama_at_start)
		yama_write(yama_at_start);
}

FIXTURE_SETUP(fg)
{
	self->yama = -1;
	tctx_setup(_metadata, &self->t);
	self->dev = sw_dev_create(20);
	ASSERT_LE(0, self->dev);
	self->seed = seed_next();
	ASSERT_EQ(0, kid_start(&self->k, self->seed));
	tctx_add_kid(&self->t, self->k.pid);
	ASSERT_EQ('y', kid_do(&self->k, 'p', 0, 0, 0));
}

FIXTURE_TEARDOWN(fg)
{
	if (self->yama >= 0)
		EXPECT_EQ(0, yama_write(self->yama));
	if (self->k.pid > 0)
		kid_kill(&self->k);
	tctx_teardown(_metadata, &self->t);
}

/* A new IOASID bound to the kid's mm through an fd of its mem. */
static uint32_t bind_kid(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fg) *self)
{
	uint32_t pasid = 0;
	int mfd = open_mem(self->k.pid, O_RDWR);

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, sw_alloc(self->t.fd, &pasid));
	ASSERT_EQ(0, sva_bind(self->t.fd, pasid, IOASID_SVA_BIND_FOREIGN, mfd));
	/* the binding holds the mm, not the fd */
	close(mfd);
	ASSERT_EQ(IOASID_MODE_SVA, ioas_state(self->t.fd, pasid, NULL));
	return pasid;
}

TEST_F(fg, foreign_dma_sw)
{
	uint32_t pasid = bind_kid(_metadata, self), s = seed_next();
	uint8_t data[2 * 4096];
	struct ioasid_test_dma d = {};

	ASSERT_EQ(0, sw_allow(self->dev, self->t.fd, pasid, IOASID_DEVICE_PASID, 1));
	/* a write lands in the kid's page, not in ours at the same address */
	fill(data, sizeof(data), s);
	ASSERT_EQ(0, sw_dma(self->dev, pasid, IOASID_TEST_DMA_WRITE,
			    (uintptr_t)self->k.buf + 2 * PG, data, 2 * PG, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_EQ('y', kid_do(&self->k, 'c', 2, s, 2 * PG));
	ASSERT_TRUE(same(self->k.buf + 2 * PG, PG, self->seed + 2));
	/* a read gets what the kid wrote */
	ASSERT_EQ('y', kid_do(&self->k, 'w', 5, s + 1, PG));
	ASSERT_EQ(0, sw_dma(self->dev, pasid, 0, (uintptr_t)self->k.buf + 5 * PG,
			    data, PG, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_TRUE(same(data, PG, s + 1));
	ASSERT_TRUE(same(self->k.buf + 5 * PG, PG, self->seed + 5));
	/* prefault of the kid's memory: faults it in there */
	ASSERT_EQ(0, sva_prefault(self->t.fd, pasid, self->k.buf, KID_PAGES * PG,
				  true, NULL, NULL));
	ASSERT_EQ(0, kid_stop(&self->k));
	/* exited: DMA faults, prefault and bind say ESRCH */
	ASSERT_EQ(0, sw_dma(self->dev, pasid, 0, (uintptr_t)self->k.buf, data,
			    PG, &d));
	ASSERT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	ASSERT_EQ(-ESRCH, sva_prefault(self->t.fd, pasid, self->k.buf, PG,
				       false, NULL, NULL));
}

TEST_F_TIMEOUT(fg, foreign_dma_edu, 120)
{
	uint32_t pasid = bind_kid(_metadata, self), s = seed_next();
	struct vfio_edu e;
	uint64_t mapped;
	long f0;
	int rc;

	vfio_edu_init(&e);
	if (!nr_edu)
		nr_edu = edu_find(edu_bdfs);
	ASSERT_LE(1, nr_edu);
	rc = vfio_edu_open(&e, edu_bdfs[0], EDU_DRIVER_IOASID,
			   IOASID_VFIO_IOMMU_TYPE);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, vfio_edu_allow(&e, self->t.fd, pasid, 0));
	ASSERT_EQ(0, sva_prefault(self->t.fd, pasid, self->k.buf,
				  KID_PAGES * PG, true, &mapped, NULL));
	ASSERT_EQ(KID_PAGES * PG, mapped);
	/* the kid's page 1 into the device, out to the kid's page 3 */
	ASSERT_EQ(0, vfio_edu_to_device(&e, (uintptr_t)self->k.buf + PG, 0,
					DMA_LEN));
	ASSERT_EQ(0, vfio_edu_to_ram(&e, 0, (uintptr_t)self->k.buf + 3 * PG,
				     DMA_LEN));
	ASSERT_EQ('y', kid_do(&self->k, 'c', 3, self->seed + 1, DMA_LEN));
	ASSERT_TRUE(same(self->k.buf + 3 * PG, PG, self->seed + 3));
	/* the kid writes its page 4 (COW in the kid): the mirror follows */
	ASSERT_EQ('y', kid_do(&self->k, 'w', 4, s, PG));
	ASSERT_EQ(0, sva_prefault(self->t.fd, pasid, self->k.buf + 4 * PG, PG,
				  false, NULL, NULL));
	ASSERT_EQ(0, vfio_edu_to_device(&e, (uintptr_t)self->k.buf + 4 * PG, 0,
					DMA_LEN));
	ASSERT_EQ(0, vfio_edu_to_ram(&e, 0, (uintptr_t)self->k.buf + 6 * PG,
				     DMA_LEN));
	ASSERT_EQ('y', kid_do(&self->k, 'c', 6, s, DMA_LEN));
	/* the kid exits: the mirror goes with its mm */
	kid_kill(&self->k);
	f0 = edu_iommu_faults();
	ASSERT_EQ(0, vfio_edu_to_ram(&e, 0, (uintptr_t)self->k.buf + 3 * PG,
				     DMA_LEN));
	ASSERT_LT(f0, edu_iommu_faults_after(f0, 3000));
	ASSERT_TRUE(same(self->k.buf + 3 * PG, PG, self->seed + 3));
	ASSERT_EQ(-ESRCH, sva_prefault(self->t.fd, pasid, self->k.buf, PG,
				       false, NULL, NULL));
	ASSERT_EQ(0, vfio_edu_disallow(&e, pasid, 0));
	vfio_edu_close(&e);
}

/*
 * exec: the bound mm goes (DMA faults, PREFAULT says ESRCH), and an fd of
 * /proc/PID/mem opened before the exec cannot bind the new image: the
 * check of the open was for the old one.
 */
TEST_F(fg, exec_drops_the_binding)
{
	uint32_t pasid = bind_kid(_metadata, self), fresh;
	struct ioasid_test_dma d = {};
	uint8_t data[64];
	long end;
	int before, after;

	ASSERT_EQ(0, sw_allow(self->dev, self->t.fd, pasid, IOASID_DEVICE_PASID, 1));
	fill(data, sizeof(data), self->seed + 9);
	ASSERT_EQ(0, sw_dma(self->dev, pasid, IOASID_TEST_DMA_WRITE,
			    (uintptr_t)self->k.buf, data, sizeof(data), &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	before = open_mem(self->k.pid, O_RDWR);
	ASSERT_LE(0, before);

	ASSERT_EQ('y', kid_do(&self->k, 'x', 0, 0, 0));
	end = now_ms() + 5000;
	do {
		ASSERT_EQ(0, sw_dma(self->dev, pasid, IOASID_TEST_DMA_WRITE,
				    (uintptr_t)self->k.buf, data, sizeof(data), &d));
		if (d.out_status == IOASID_TEST_DMA_FAULT)
			break;
		usleep(10000);
	} while (now_ms() < end);
	ASSERT_EQ(IOASID_TEST_DMA_FAULT, d.out_status);
	ASSERT_EQ(IOASID_FAULT_REASON_UNMAPPED, d.out_fault_reason);
	ASSERT_EQ(-ESRCH, sva_prefault(self->t.fd, pasid, self->k.buf, PG,
				       false, NULL, NULL));
	ASSERT_EQ(0, sw_alloc(self->t.fd, &fresh));
	ASSERT_EQ(-ESRCH, sva_bind(self->t.fd, fresh, IOASID_SVA_BIND_FOREIGN,
				   before));
	/* a new open is a new check, for the new image: it binds */
	after = open_mem(self->k.pid, O_RDWR);
	ASSERT_LE(0, after);
	ASSERT_EQ(0, sva_bind(self->t.fd, fresh, IOASID_SVA_BIND_FOREIGN, after));
	close(before);
	close(after);
	kid_kill(&self->k);
}

/* Two PASIDs, two processes, one device: each reaches its own mm only. */
TEST_F(fg, two_processes_isolated)
{
	uint32_t mine = 0, theirs = bind_kid(_metadata, self), s = seed_next();
	uint8_t data[4096];
	struct ioasid_test_dma d = {};
	int p[2], q[2], st;
	pid_t pid;

	ASSERT_EQ(0, sw_alloc(self->t.fd, &mine));
	ASSERT_EQ(0, sva_bind(self->t.fd, mine, 0, -1));
	ASSERT_EQ(0, sw_allow(self->dev, self->t.fd, mine, IOASID_DEVICE_PASID, 1));
	ASSERT_EQ(0, sw_allow(self->dev, self->t.fd, theirs, IOASID_DEVICE_PASID, 2));
	fill(data, PG, s);
	ASSERT_EQ(0, sw_dma(self->dev, mine, IOASID_TEST_DMA_WRITE,
			    (uintptr_t)self->k.buf, data, PG, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	fill(data, PG, s + 1);
	ASSERT_EQ(0, sw_dma(self->dev, theirs, IOASID_TEST_DMA_WRITE,
			    (uintptr_t)self->k.buf, data, PG, &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_TRUE(same(self->k.buf, PG, s));
	ASSERT_EQ('y', kid_do(&self->k, 'c', 0, s + 1, PG));

	/*
	 * A child binds its own mm through its own /dev/ioasid fd and device:
	 * its PASID is not ours to use, and its DMA stays in its memory.
	 */
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(q));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = ioasid_open(), dev = sw_dev_create(20);
		uint32_t cp;
		char r;

		if (fd < 0 || dev < 0 || sw_alloc(fd, &cp) ||
		    sva_bind(fd, cp, 0, -1) ||
		    sw_allow(dev, fd, cp, IOASID_DEVICE_PASID, 3))
			_exit(10);
		fill(data, PG, s + 2);
		if (sw_dma(dev, cp, IOASID_TEST_DMA_WRITE,
			   (uintptr_t)self->k.buf + PG, data, PG, &d) ||
		    d.out_status != IOASID_TEST_DMA_OK ||
		    !same(self->k.buf + PG, PG, s + 2))
			_exit(11);
		if (write(p[1], &cp, sizeof(cp)) != sizeof(cp))
			_exit(12);
		/* hold everything until the parent has tried our PASID */
		close(q[1]);
		while (read(q[0], &r, 1) > 0)
			;
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	{
		uint32_t cp = 0;

		ASSERT_EQ(sizeof(cp), read(p[0], &cp, sizeof(cp)));
		ASSERT_NE(0, cp);
		ASSERT_NE(mine, cp);
		ASSERT_EQ(-ENOENT, sw_allow(self->dev, self->t.fd, cp,
					    IOASID_DEVICE_PASID, 4));
		ASSERT_EQ(-ENOENT, sva_prefault(self->t.fd, cp, self->k.buf, PG,
						false, NULL, NULL));
		ASSERT_EQ(0, sw_dma(self->dev, cp, 0, (uintptr_t)self->k.buf,
				    data, PG, &d));
		ASSERT_EQ(IOASID_TEST_DMA_NO_ATTACH, d.out_status);
	}
	close(q[1]);
	st = wait_child(pid);
	ASSERT_EQ(0, st);
	close(p[0]);
	ASSERT_TRUE(same(self->k.buf + PG, PG, self->seed + 1));
	ASSERT_EQ('y', kid_do(&self->k, 'c', 1, self->seed + 1, PG));
}

/* Every BIND error of the header. */
TEST_F(fg, bind_errors)
{
	uint32_t pasid, other_pasid;
	int rd, wr, rw, nul, st, other;
	char path[64];
	struct kid gone = {};

	ASSERT_EQ(0, sw_alloc(self->t.fd, &pasid));
	/* EPERM: opened read-only; O_WRONLY is writing, so it is enough */
	rd = open_mem(self->k.pid, O_RDONLY);
	ASSERT_LE(0, rd);
	ASSERT_EQ(-EPERM, sva_bind(self->t.fd, pasid, IOASID_SVA_BIND_FOREIGN, rd));
	ASSERT_EQ(IOASID_MODE_NONE, ioas_state(self->t.fd, pasid, NULL));
	/* EINVAL: not a mem fd */
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nul);
	ASSERT_EQ(-EINVAL, sva_bind(self->t.fd, pasid, IOASID_SVA_BIND_FOREIGN, nul));
	snprintf(path, sizeof(path), "/proc/%d/status", self->k.pid);
	st = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, st);
	ASSERT_EQ(-EINVAL, sva_bind(self->t.fd, pasid, IOASID_SVA_BIND_FOREIGN, st));
	snprintf(path, sizeof(path), "/proc/%d/pagemap", self->k.pid);
	close(st);
	st = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, st);
	ASSERT_EQ(-EINVAL, sva_bind(self->t.fd, pasid, IOASID_SVA_BIND_FOREIGN, st));
	ASSERT_EQ(-EINVAL, sva_bind(self->t.fd, pasid, IOASID_SVA_BIND_FOREIGN,
				    self->t.fd));
	/* EINVAL: -1 missing for an own bind, an fd with UNBIND */
	rw = open_mem(self->k.pid, O_RDWR);
	ASSERT_LE(0, rw);
	ASSERT_EQ(-EINVAL, sva_bind(self->t.fd, pasid, 0, rw));
	ASSERT_EQ(-EINVAL, sva_bind(self->t.fd, pasid, 0, 0));
	ASSERT_EQ(-EINVAL, sva_bind(self->t.fd, pasid, IOASID_SVA_UNBIND, rw));
	ASSERT_EQ(-EINVAL, sva_bind(self->t.fd, pasid, IOASID_SVA_UNBIND |
				    IOASID_SVA_BIND_FOREIGN, -1));
	/* EBADF: closed, -1 with FOREIGN, out of range */
	ASSERT_EQ(-EBADF, sva_bind(self->t.fd, pasid, IOASID_SVA_BIND_FOREIGN, nul + 100));
	close(nul);
	ASSERT_EQ(-EBADF, sva_bind(self->t.fd, pasid, IOASID_SVA_BIND_FOREIGN, nul));
	ASSERT_EQ(-EBADF, sva_bind(self->t.fd, pasid, IOASID_SVA_BIND_FOREIGN, -1));
	ASSERT_EQ(-EBADF, sva_bind(self->t.fd, pasid, IOASID_SVA_BIND_FOREIGN, INT32_MAX));
	/* ENOENT: not ours */
	ASSERT_EQ(-ENOENT, sva_bind(self->t.fd, 0, 0, -1));
	ASSERT_EQ(-ENOENT, sva_bind(self->t.fd, IOASID_PASID_MAX, 0, -1));
	other = ioasid_open();
	ASSERT_LE(0, other);
	ASSERT_EQ(0, sw_alloc(other, &other_pasid));
	ASSERT_EQ(-ENOENT, sva_bind(self->t.fd, other_pasid, 0, -1));
	ASSERT_EQ(-ENOENT, sva_unbind(self->t.fd, other_pasid));
	close(other);
	/* EMEDIUMTYPE: UNBIND of a NONE IOASID; bind of a bound one */
	ASSERT_EQ(-EMEDIUMTYPE, sva_unbind(self->t.fd, pasid));
	wr = open_mem(self->k.pid, O_WRONLY);
	ASSERT_LE(0, wr);
	ASSERT_EQ(0, sva_bind(self->t.fd, pasid, IOASID_SVA_BIND_FOREIGN, wr));
	ASSERT_EQ(-EMEDIUMTYPE, sva_bind(self->t.fd, pasid, IOASID_SVA_BIND_FOREIGN, rw));
	ASSERT_EQ(-EMEDIUMTYPE, sva_bind(self->t.fd, pasid, 0, -1));
	/* EBUSY: attached (unbind, or bind of an attached NONE IOASID) */
	ASSERT_EQ(0, sw_allow(self->dev, self->t.fd, pasid, IOASID_DEVICE_PASID, 1));
	ASSERT_EQ(-EBUSY, sva_unbind(self->t.fd, pasid));
	ASSERT_EQ(0, sw_alloc(self->t.fd, &other_pasid));
	ASSERT_EQ(0, sw_allow(self->dev, self->t.fd, other_pasid, IOASID_DEVICE_PASID, 2));
	ASSERT_EQ(-EBUSY, sva_bind(self->t.fd, other_pasid, 0, -1));
	ASSERT_EQ(-EBUSY, sva_bind(self->t.fd, other_pasid, IOASID_SVA_BIND_FOREIGN, rw));
	ASSERT_EQ(IOASID_MODE_NONE, ioas_state(self->t.fd, other_pasid, NULL));
	ASSERT_EQ(0, sw_disallow(self->dev, other_pasid, IOASID_DEVICE_PASID));
	/* /proc/self/mem is our own mm, as a foreign bind */
	st = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, st);
	ASSERT_EQ(0, sva_bind(self->t.fd, other_pasid, IOASID_SVA_BIND_FOREIGN, st));
	close(st);
	/* a kernel thread's mem: no mm */
	st = open("/proc/2/mem", O_RDWR | O_CLOEXEC);
	if (st >= 0) {
		uint32_t k2;

		ASSERT_EQ(0, sw_alloc(self->t.fd, &k2));
		ASSERT_EQ(-EINVAL, sva_bind(self->t.fd, k2, IOASID_SVA_BIND_FOREIGN, st));
		close(st);
	}
	/* ESRCH: the fd outlives its process */
	ASSERT_EQ(0, kid_start(&gone, seed_next()));
	tctx_add_kid(&self->t, gone.pid);
	st = open_mem(gone.pid, O_RDWR);
	ASSERT_LE(0, st);
	kid_kill(&gone);
	ASSERT_EQ(0, sw_alloc(self->t.fd, &other_pasid));
	ASSERT_EQ(-ESRCH, sva_bind(self->t.fd, other_pasid, IOASID_SVA_BIND_FOREIGN, st));
	ASSERT_EQ(IOASID_MODE_NONE, ioas_state(self->t.fd, other_pasid, NULL));
	close(st);
	close(rd);
	close(rw);
	close(wr);
}

/* Runs @fn in a child with uid/gid set as asked; returns its exit status. */
static int as_user(uid_t ruid, uid_t euid, gid_t gid, int (*fn)(void *),
		   void *arg)
{
	pid_t pid = fork_child();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setresgid(gid, gid, gid) || setgroups(0, NULL) ||
		    setresuid(ruid, euid, euid))
			_exit(100);
		/* let processes of the same uid attach (setuid cleared it) */
		prctl(PR_SET_DUMPABLE, 1);
		_exit(fn(arg));
	}
	return wait_child(pid);
}

struct try_open {
	pid_t target;
	int flags;
	int ioasid_fd;		/* for binding, or -1 */
	int given_fd;		/* an fd opened by someone else, or -1 */
	uint32_t pasid;
};

/* Exit status: 0 opened (and bound, if asked), else the errno of the open. */
static int try_open_mem(void *arg)
{
	struct try_open *t = arg;
	int fd = open_mem(t->target, t->flags);

	if (fd < 0)
		return -fd;
	if (t->ioasid_fd >= 0 &&
	    sva_bind(t->ioasid_fd, t->pasid, IOASID_SVA_BIND_FOREIGN, fd))
		return 99;
	return 0;
}

/* Exit status: 0 when the given fd binds, 98 otherwise; the open's errno
 * when the child could open the mem itself (it must not): 97. */
static int try_bind_given(void *arg)
{
	struct try_open *t = arg;
	int fd = open_mem(t->target, O_RDWR);

	if (fd >= 0)
		return 97;
	if (fd != -EACCES)
		return 96;
	/* no fd: nothing names the target's mm */
	if (sva_bind(t->ioasid_fd, t->pasid, IOASID_SVA_BIND_FOREIGN, -1) != -EBADF)
		return 95;
	return sva_bind(t->ioasid_fd, t->pasid, IOASID_SVA_BIND_FOREIGN,
			t->given_fd) ? 98 : 0;
}

/* A process of another uid: the open is refused, and with it every bind. */
TEST_F(fg, other_uid_refused)
{
	struct try_open t = { .target = self->k.pid, .ioasid_fd = -1,
			      .given_fd = -1 };
	struct ioasid_test_dma d = {};
	uint8_t data[64];
	uint32_t pasid;

	t.flags = O_RDWR;
	ASSERT_EQ(EACCES, as_user(65534, 65534, 65534, try_open_mem, &t));
	t.flags = O_RDONLY;
	ASSERT_EQ(EACCES, as_user(65534, 65534, 65534, try_open_mem, &t));
	/* root's own parent, from an unprivileged child */
	t.target = getpid();
	t.flags = O_RDWR;
	ASSERT_EQ(EACCES, as_user(65534, 65534, 65534, try_open_mem, &t));

	/* the fd is the capability: opened by root, handed down, it binds */
	t.target = self->k.pid;
	t.given_fd = open_mem(self->k.pid, O_RDWR);
	ASSERT_LE(0, t.given_fd);
	ASSERT_EQ(0, fcntl(t.given_fd, F_SETFD, 0));
	t.ioasid_fd = self->t.fd;
	ASSERT_EQ(0, sw_alloc(self->t.fd, &pasid));
	t.pasid = pasid;
	ASSERT_EQ(0, as_user(65534, 65534, 65534, try_bind_given, &t));
	ASSERT_EQ(IOASID_MODE_SVA, ioas_state(self->t.fd, pasid, NULL));
	ASSERT_EQ(0, sw_allow(self->dev, self->t.fd, pasid, IOASID_DEVICE_PASID, 1));
	fill(data, sizeof(data), self->seed + 50);
	ASSERT_EQ(0, sw_dma(self->dev, pasid, IOASID_TEST_DMA_WRITE,
			    (uintptr_t)self->k.buf, data, sizeof(data), &d));
	ASSERT_EQ(IOASID_TEST_DMA_OK, d.out_status);
	ASSERT_EQ('y', kid_do(&self->k, 'c', 0, self->seed + 50, sizeof(data)));
	close(t.given_fd);
}

/* A target of uid 1000 that waits; exits when the pipe closes. */
static pid_t user_target(int *keep)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork_child();
	if (pid)
		goto out;
	close(p[1]);
	if (setresgid(1000, 1000, 1000) || setgroups(0, NULL) ||
	    setresuid(1000, 1000, 1000))
		_exit(100);
	prctl(PR_SET_DUMPABLE, 1);
	while (read(p[0], &c, 1) > 0)
		;
	_exit(0);
out:
	close(p[0]);
	*keep = p[1];
	usleep(200000);		/* let it drop its privileges */
	return pid;
}

/*
 * The check is PTRACE_MODE_FSCREDS: the opener's filesystem uid (its
 * effective uid) must match the target's uids, whatever its real uid.
 */
TEST_F(fg, fscreds_not_realcreds)
{
	struct try_open t = { .flags = O_RDWR, .ioasid_fd = -1, .given_fd = -1 };
	int keep;

	/* Yama's scope 1 would refuse every non-descendant */
	self->yama = yama_read();
	if (self->yama > 0)
		ASSERT_EQ(0, yama_write(0));
	t.target = user_target(&keep);
	ASSERT_LT(0, t.target);
	tctx_add_kid(&self->t, t.target);
	/* same uid: allowed */
	ASSERT_EQ(0, as_user(1000, 1000, 1000, try_open_mem, &t));
	/* real uid 2000, effective (so fs) uid 1000: allowed */
	ASSERT_EQ(0, as_user(2000, 1000, 1000, try_open_mem, &t));
	/* real uid 1000, effective uid 2000: refused */
	ASSERT_EQ(EACCES, as_user(1000, 2000, 1000, try_open_mem, &t));
	close(keep);
	waitpid(t.target, NULL, 0);
}

/* Yama's ptrace_scope 1: only descendants (or CAP_SYS_PTRACE). */
static int yama_child(void *arg)
{
	struct try_open *t = arg;
	pid_t kid;
	int fd, p[2];
	char c;

	/* our own descendant: allowed */
	if (pipe(p))
		return 90;
	kid = fork();
	if (!kid) {
		close(p[1]);
		if (read(p[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[0]);
	fd = open_mem(kid, O_RDWR);
	close(p[1]);
	waitpid(kid, NULL, 0);
	if (fd < 0)
		return 91;
	close(fd);
	/* not a descendant, same uid */
	fd = open_mem(t->target, O_RDWR);
	return fd < 0 ? -fd : 0;
}

TEST_F(fg, yama_ptrace_scope)
{
	struct try_open t = { .flags = O_RDWR, .ioasid_fd = -1, .given_fd = -1 };
	int keep, fd;

	self->yama = yama_read();
	if (self->yama < 0)
		SKIP(return, "no Yama (%s)", YAMA_SCOPE);
	t.target = user_target(&keep);
	ASSERT_LT(0, t.target);
	tctx_add_kid(&self->t, t.target);
	ASSERT_EQ(0, yama_write(0));
	ASSERT_EQ(0, as_user(1000, 1000, 1000, yama_child, &t));
	ASSERT_EQ(0, yama_write(1));
	ASSERT_EQ(EACCES, as_user(1000, 1000, 1000, yama_child, &t));
	/* root has CAP_SYS_PTRACE */
	fd = open_mem(t.target, O_RDWR);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, yama_write(self->yama));
	close(keep);
	waitpid(t.target, NULL, 0);
}

struct dma_job {
	int dev;
	uint32_t pasid;
	uint64_t va;
	uint64_t len;
	uint8_t *buf;
	struct ioasid_test_dma d;
	uint32_t seed;
	int rc;
};

static void *dma_thread(void *arg)
{
	struct dma_job *j = arg;

	memset(&j->d, 0, sizeof(j->d));
	j->d.delay_us = 10000;	/* 10 ms a page */
	j->rc = sw_dma(j->dev, j->pasid, IOASID_TEST_DMA_WRITE, j->va, j->buf,
		       j->len, &j->d);
	return NULL;
}

/* The bound process dies mid-DMA: a fault, no oops, the PASID comes back. */
TEST_F_TIMEOUT(fg, exit_mid_dma, 120)
{
	uint32_t pasid = bind_kid(_metadata, self);
	struct dma_job j = { .dev = self->dev, .pasid = pasid };
	pthread_t th;
	long end;
	int qfd;

	qfd = sw_fault_queue(self->t.fd, 16);
	ASSERT_LE(0, qfd);
	ASSERT_EQ(0, sw_route(self->t.fd, pasid, qfd));
	ASSERT_EQ(0, sw_allow(self->dev, self->t.fd, pasid, IOASID_DEVICE_PASID, 9));
	j.va = (uintptr_t)self->k.buf;
	j.len = KID_PAGES * PG;
	j.buf = calloc(1, j.len);
	ASSERT_NE(NULL, j.buf);
	j.seed = seed_next();
	fill(j.buf, j.len, j.seed);
	ASSERT_EQ(0, pthread_create(&th, NULL, dma_thread, &j));
	/* the first page is written: the DMA has 7 pages, 70 ms, to go */
	end = now_ms() + 5000;
	while (kid_do(&self->k, 'c', 0, j.seed, PG) != 'y' && now_ms() < end)
		usleep(1000);
	kid_kill(&self->k);
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(0, j.rc);
	TH_LOG("DMA ended with status %u after %llu bytes", j.d.out_status,
	       (unsigned long long)j.d.out_done);
	ASSERT_EQ(IOASID_TEST_DMA_FAULT, j.d.out_status);
	ASSERT_LT(j.d.out_done, j.len);
	ASSERT_EQ(IOASID_FAULT_REASON_UNMAPPED, j.d.out_fault_reason);
	/* destroyed while the device holds it: parked, then released */
	ASSERT_EQ(0, sw_destroy(self->t.fd, pasid));
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED] + 1,
		  test_counter(CNT_IOASIDS_PARKED));
	ASSERT_EQ(0, sw_disallow(self->dev, pasid, IOASID_DEVICE_PASID));
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED],
		  test_counter(CNT_IOASIDS_PARKED));
	ASSERT_EQ(self->t.base.v[CNT_PASIDS], test_counter(CNT_PASIDS));
	free(j.buf);
}

/* The same with edu: the DMA is in flight when the process goes. */
TEST_F_TIMEOUT(fg, exit_mid_dma_edu, 120)
{
	uint32_t pasid = bind_kid(_metadata, self);
	struct vfio_edu e;

	vfio_edu_init(&e);
	if (!nr_edu)
		nr_edu = edu_find(edu_bdfs);
	ASSERT_LE(1, nr_edu);
	ASSERT_EQ(0, vfio_edu_open(&e, edu_bdfs[0], EDU_DRIVER_IOASID,
				   IOASID_VFIO_IOMMU_TYPE));
	ASSERT_EQ(0, vfio_edu_allow(&e, self->t.fd, pasid, 0));
	ASSERT_EQ(0, sva_prefault(self->t.fd, pasid, self->k.buf, KID_PAGES * PG,
				  true, NULL, NULL));
	ASSERT_EQ(0, vfio_edu_dma_wait(&e, 5000));
	vfio_edu_write64(&e, EDU_REG_DMA_SRC, EDU_BUF);
	vfio_edu_write64(&e, EDU_REG_DMA_DST, (uintptr_t)self->k.buf + PG);
	vfio_edu_write64(&e, EDU_REG_DMA_COUNT, DMA_LEN);
	vfio_edu_write32(&e, EDU_REG_DMA_CMD, EDU_DMA_TO_RAM | EDU_DMA_START);
	kid_kill(&self->k);
	ASSERT_EQ(0, vfio_edu_dma_wait(&e, 10000));
	ASSERT_EQ(0, sw_destroy(self->t.fd, pasid));
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED] + 1,
		  test_counter(CNT_IOASIDS_PARKED));
	ASSERT_EQ(0, vfio_edu_disallow(&e, pasid, 0));
	ASSERT_EQ(self->t.base.v[CNT_IOASIDS_PARKED],
		  test_counter(CNT_IOASIDS_PARKED));
	vfio_edu_close(&e);
}

/* ------------------------------------------------------------------------
 * Stress: a thread changes the mm while DMA runs.  The target pages are
 * pages of a memfd, mapped at @tgt for the device and at @view for the
 * checks.  A page taken away from @tgt (munmap, or mprotect read-only) gets
 * a canary through @view, and the canary must survive until the page comes
 * back: no DMA write may land in a page the process does not map (writably)
 * there.
 */

#define ST_PAGES	8

struct stress {
	uint8_t *tgt, *view;
	int mfd;
	volatile int stop;
	volatile int out[ST_PAGES];	/* 1: unmapped, 2: read-only */
	unsigned long ops, forks, canary_broken, errors;
	char why[128];
};

static void *mutator(void *arg)
{
	struct stress *s = arg;
	unsigned int n = 0;

	while (!s->stop) {
		unsigned int i = (n * 5 + 3) % ST_PAGES, kind = n % 4;
		uint8_t *va = s->tgt + i * PG, *p;
		uint32_t canary = 0xc0de0000 + n;

		n++;
		if (kind == 3) {
			pid_t pid = fork();

			if (!pid)
				_exit(0);
			if (pid > 0) {
				waitpid(pid, NULL, 0);
				s->forks++;
			}
			continue;
		}
		if (kind == 2) {
			if (mprotect(va, PG, PROT_READ)) {
				s->errors++;
				continue;
			}
			s->out[i] = 2;
		} else {
			if (munmap(va, PG)) {
				s->errors++;
				continue;
			}
			s->out[i] = 1;
		}
		fill(s->view + i * PG, PG, canary);
		usleep(kind ? 3000 : 20000);
		if (!same(s->view + i * PG, PG, canary)) {
			s->canary_broken++;
			snprintf(s->why, sizeof(s->why),
				 "page %u (%s) written while away", i,
				 kind == 2 ? "read-only" : "unmapped");
		}
		if (kind == 2) {
			if (mprotect(va, PG, PROT_READ | PROT_WRITE))
				s->errors++;
		} else {
			p = mmap(va, PG, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED, s->mfd, i * PG);
			if (p != va)
				s->errors++;
		}
		s->out[i] = 0;
		s->ops++;
	}
	return NULL;
}

static void stress_start(struct __test_metadata *_metadata, struct stress *s,
			 pthread_t *th)
{
	memset(s, 0, sizeof(*s));
	s->mfd = memfd(ST_PAGES * PG);
	ASSERT_LE(0, s->mfd);
	s->tgt = mmap(NULL, ST_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		      s->mfd, 0);
	s->view = mmap(NULL, ST_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		       s->mfd, 0);
	ASSERT_NE(MAP_FAILED, s->tgt);
	ASSERT_NE(MAP_FAILED, s->view);
	memset(s->view, 0, ST_PAGES * PG);
	ASSERT_EQ(0, pthread_create(th, NULL, mutator, s));
}

static void stress_end(struct __test_metadata *_metadata, struct stress *s,
		       pthread_t th, unsigned long dmas, unsigned long ok)
{
	s->stop = 1;
	ASSERT_EQ(0, pthread_join(th, NULL));
	TH_LOG("%lu DMAs (%lu landed), %lu mm changes, %lu forks",
	       dmas, ok, s->ops, s->forks);
	ASSERT_EQ(0, s->errors);
	ASSERT_EQ(0, s->canary_broken) {
		TH_LOG("%s", s->why);
	}
	ASSERT_LT(0, s->ops);
	ASSERT_LT(0, ok);
	close(s->mfd);
}

TEST_F_TIMEOUT(sw, stress, 120)
{
	struct stress s;
	pthread_t th;
	uint8_t data[4096];
	unsigned long dmas = 0, ok = 0;
	long end;
	struct ioasid_test_dma d;

	ASSERT_EQ(0, sw_route(self->t.fd, self->pasid, -1));
	stress_start(_metadata, &s, &th);
	fill(data, PG, 0xd00d);
	end = now_ms() + 10000;
	while (now_ms() < end) {
		unsigned int i;

		for (i = 0; i < ST_PAGES; i++) {
			ASSERT_EQ(0, swd(self, true, s.tgt + i * PG, data, PG, &d));
			dmas++;
			ok += d.out_status == IOASID_TEST_DMA_OK;
		}
	}
	stress_end(_metadata, &s, th, dmas, ok);
}

TEST_F_TIMEOUT(edu, stress, 180)
{
	struct stress s;
	pthread_t th;
	unsigned long dmas = 0, ok = 0;
	long end;
	int i;

	/* loaded before the forks start: they invalidate the staging page */
	dev_load(_metadata, self, 0xd00d);
	stress_start(_metadata, &s, &th);
	end = now_ms() + 12000;
	while (now_ms() < end) {
		for (i = 0; i < ST_PAGES; i++) {
			uint8_t *va = s.tgt + i * PG;

			/* EFAULT while the page is away is expected */
			pf(self, va, PG, true);
			ASSERT_EQ(0, vfio_edu_to_ram(&self->e, 0, (uintptr_t)va,
						     DMA_LEN));
			dmas++;
			ok += same(s.view + i * PG, DMA_LEN, 0xd00d);
		}
	}
	stress_end(_metadata, &s, th, dmas, ok);
}

EDU_KERNEL_LOG_CLEAN_TEST("54_sva")

TEST_HARNESS_MAIN
