// SPDX-License-Identifier: GPL-2.0
/*
 * The nested walkers against a page-table builder nobody here wrote: the
 * kernel's own mm.  x86-64's CPU page tables are VT-d first-stage tables,
 * arm64's are VMSAv8-64 stage-1 tables, so the module's walker for that
 * format (IOASID_TEST_WALK_MM walks the caller's own tables, stage 2 the
 * identity) must find, for every page of a mapping, what /proc/self/pagemap
 * says the CPU maps there, with the rights the process has: present pages
 * at their physical address, holes as holes, read-only mappings and
 * copy-on-write pages without write, 2 MiB THP blocks as one leaf.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "swdev.h"

#define NPAGES		64
#define MAX_RECS	4096

FIXTURE(walk) {
	int tfd;
	int pagemap;
	struct ioasid_test_walk_rec *recs;
	unsigned int nr;
	__u32 format;
};

FIXTURE_SETUP(walk)
{
	self->tfd = open("/dev/ioasid-test", O_RDWR);
	ASSERT_LE(0, self->tfd);
	self->pagemap = open("/proc/self/pagemap", O_RDONLY);
	ASSERT_LE(0, self->pagemap);
	self->recs = calloc(MAX_RECS, sizeof(*self->recs));
	ASSERT_NE(NULL, self->recs);
}

FIXTURE_TEARDOWN(walk)
{
	free(self->recs);
	close(self->pagemap);
	close(self->tfd);
}

static int walk(FIXTURE_DATA(walk) *self, const void *va, size_t len)
{
	struct ioasid_test_walk_mm cmd = {
		.size = sizeof(cmd),
		.va = (uintptr_t)va,
		.length = len,
		.recs_uptr = (uintptr_t)self->recs,
		.max_recs = MAX_RECS,
	};

	if (ioctl(self->tfd, IOASID_TEST_WALK_MM, &cmd))
		return -errno;
	self->nr = cmd.out_nr;
	self->format = cmd.out_format;
	return 0;
}

/* The CPU's frame of @va per /proc/self/pagemap, or 0 if not present. */
static uint64_t pagemap_pfn(FIXTURE_DATA(walk) *self, uintptr_t va)
{
	uint64_t e;

	if (pread(self->pagemap, &e, sizeof(e), (va / SW_PAGE) * sizeof(e)) !=
	    sizeof(e))
		return 0;
	return e >> 63 ? e & ((1ULL << 55) - 1) : 0;
}

/* The record covering @va, or NULL. */
static const struct ioasid_test_walk_rec *rec_of(FIXTURE_DATA(walk) *self,
						 uintptr_t va)
{
	unsigned int i;

	for (i = 0; i < self->nr; i++)
		if (va >= self->recs[i].va &&
		    va - self->recs[i].va < self->recs[i].size)
			return &self->recs[i];
	return NULL;
}

/*
 * Every page of [p, p + n pages): the walker agrees with pagemap on
 * presence and frame, and grants @perm (IOASID_TEST_WALK_*) where present.
 * Returns the number of present pages, or -1 after reporting a mismatch.
 */
static int check_pages(struct __test_metadata *_metadata,
		       FIXTURE_DATA(walk) *self, const void *p, size_t n,
		       __u32 perm)
{
	const struct ioasid_test_walk_rec *r;
	int present = 0;
	size_t i;

	if (walk(self, p, n * SW_PAGE))
		return -1;
	for (i = 0; i < n; i++) {
		uintptr_t va = (uintptr_t)p + i * SW_PAGE;
		uint64_t pfn = pagemap_pfn(self, va);

		r = rec_of(self, va);
		if (!pfn) {
			EXPECT_EQ(NULL, r) {
				TH_LOG("page %zu: a leaf where the CPU maps nothing", i);
			}
			continue;
		}
		present++;
		EXPECT_NE(NULL, r) {
			TH_LOG("page %zu (pfn %#llx): no leaf", i,
			       (unsigned long long)pfn);
		}
		if (!r)
			return -1;
		EXPECT_EQ(pfn, (r->pa + (va - r->va)) / SW_PAGE) {
			TH_LOG("page %zu: walker pa %#llx, pagemap pfn %#llx", i,
			       (unsigned long long)(r->pa + (va - r->va)),
			       (unsigned long long)pfn);
		}
		EXPECT_EQ(perm, r->perm) {
			TH_LOG("page %zu: rights %#x, expected %#x", i, r->perm,
			       perm);
		}
	}
	return present;
}

#define RW	(IOASID_TEST_WALK_READ | IOASID_TEST_WALK_WRITE)
#define RO	IOASID_TEST_WALK_READ

TEST_F(walk, format_is_the_cpus)
{
	char *p = mmap_anon(SW_PAGE, PROT_READ | PROT_WRITE);

	ASSERT_NE(NULL, p);
	p[0] = 1;
	ASSERT_EQ(0, walk(self, p, SW_PAGE));
#if defined(__x86_64__)
	EXPECT_EQ(IOASID_NESTED_FMT_VTD_FS, self->format);
#elif defined(__aarch64__)
	EXPECT_EQ(IOASID_NESTED_FMT_SMMUV3, self->format);
#endif
	ASSERT_EQ(1, self->nr);
	EXPECT_EQ(SW_PAGE, self->recs[0].size);
	/* the last level: VT-d PT is level 1, VMSAv8-64 4K pages level 3 */
	EXPECT_EQ(self->format == IOASID_NESTED_FMT_VTD_FS ? 1 : 3,
		  self->recs[0].level);
	munmap(p, SW_PAGE);
}

/* Touched and untouched pages, 4 KiB, not THP: present exactly where written */
TEST_F(walk, anonymous_pages)
{
	char *p = mmap_anon(NPAGES * SW_PAGE, PROT_READ | PROT_WRITE);
	int i;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, madvise(p, NPAGES * SW_PAGE, MADV_NOHUGEPAGE));
	for (i = 0; i < NPAGES; i += 3)
		p[i * SW_PAGE] = i;
	EXPECT_EQ((NPAGES + 2) / 3, check_pages(_metadata, self, p, NPAGES, RW));
	munmap(p, NPAGES * SW_PAGE);
}

/* mprotect(PROT_READ): the leaves stay, without write */
TEST_F(walk, read_only)
{
	char *p = mmap_anon(NPAGES * SW_PAGE, PROT_READ | PROT_WRITE);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, madvise(p, NPAGES * SW_PAGE, MADV_NOHUGEPAGE));
	memset(p, 7, NPAGES * SW_PAGE);
	ASSERT_EQ(0, mprotect(p, NPAGES * SW_PAGE, PROT_READ));
	EXPECT_EQ(NPAGES, check_pages(_metadata, self, p, NPAGES, RO));
	ASSERT_EQ(0, mprotect(p, NPAGES * SW_PAGE, PROT_READ | PROT_WRITE));
	p[0] = 8;	/* a write fault makes the first page writable again */
	ASSERT_EQ(0, walk(self, p, SW_PAGE));
	ASSERT_EQ(1, self->nr);
	EXPECT_EQ(RW, self->recs[0].perm);
	munmap(p, NPAGES * SW_PAGE);
}

/* fork(): the parent's private pages are write-protected for copy-on-write */
TEST_F(walk, copy_on_write)
{
	char *p = mmap_anon(NPAGES * SW_PAGE, PROT_READ | PROT_WRITE);
	uint64_t before, after;
	pid_t pid;
	int status;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, madvise(p, NPAGES * SW_PAGE, MADV_NOHUGEPAGE));
	memset(p, 9, NPAGES * SW_PAGE);
	before = pagemap_pfn(self, (uintptr_t)p);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pause();
		_exit(0);
	}
	EXPECT_EQ(NPAGES, check_pages(_metadata, self, p, NPAGES, RO));
	/* the parent writes: its own copy, writable */
	p[0] = 10;
	after = pagemap_pfn(self, (uintptr_t)p);
	ASSERT_EQ(0, walk(self, p, SW_PAGE));
	ASSERT_EQ(1, self->nr);
	EXPECT_EQ(RW, self->recs[0].perm);
	EXPECT_EQ(after, self->recs[0].pa / SW_PAGE);
	EXPECT_NE(before, after);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	munmap(p, NPAGES * SW_PAGE);
}

/* A shared file mapping, and a read-only one of the same file */
TEST_F(walk, file_mappings)
{
	int fd = memfd_create("walk", 0);
	char *w, *r;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, NPAGES * SW_PAGE));
	w = mmap(NULL, NPAGES * SW_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	r = mmap(NULL, NPAGES * SW_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, w);
	ASSERT_NE(MAP_FAILED, r);
	memset(w, 3, NPAGES * SW_PAGE);
	EXPECT_EQ(NPAGES, check_pages(_metadata, self, w, NPAGES, RW));
	/*
	 * The read-only view: present once read (with the pages around them
	 * that the kernel's fault-around maps too), never writable
	 */
	EXPECT_EQ(3, ((volatile char *)r)[0]);
	EXPECT_EQ(3, ((volatile char *)r)[40 * SW_PAGE]);
	EXPECT_LE(2, check_pages(_metadata, self, r, NPAGES, RO));
	EXPECT_NE(NULL, rec_of(self, (uintptr_t)r + 40 * SW_PAGE));
	munmap(w, NPAGES * SW_PAGE);
	munmap(r, NPAGES * SW_PAGE);
	close(fd);
}

/* A 2 MiB THP block is one leaf of the level above the last */
TEST_F(walk, transparent_huge_page)
{
	const size_t len = 2 * SZ_2M;
	const struct ioasid_test_walk_rec *rec;
	char *m, *p;

	/* Untouched until MADV_HUGEPAGE, so the first fault takes a THP */
	m = mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	p = (char *)(((uintptr_t)m + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1));
	ASSERT_EQ(0, madvise(p, len, MADV_HUGEPAGE));
	memset(p, 5, len);
	ASSERT_EQ(0, walk(self, p, len));
	rec = rec_of(self, (uintptr_t)p);
	ASSERT_NE(NULL, rec);
	/* The guests run with transparent_hugepage=madvise and free memory */
	ASSERT_EQ(SZ_2M, rec->size);
	/* VT-d: a PD entry is level 2; VMSAv8-64 4K: a level-2 block */
	EXPECT_EQ(2, rec->level);
	EXPECT_EQ(0, rec->pa % SZ_2M);
	EXPECT_EQ(512, check_pages(_metadata, self, p, 512, RW));
	munmap(m, len + SZ_2M);
}

/* munmap(): the leaves are gone */
TEST_F(walk, unmapped)
{
	char *p = mmap_anon(NPAGES * SW_PAGE, PROT_READ | PROT_WRITE);

	ASSERT_NE(NULL, p);
	memset(p, 1, NPAGES * SW_PAGE);
	ASSERT_EQ(0, munmap(p, NPAGES * SW_PAGE));
	ASSERT_EQ(0, walk(self, p, NPAGES * SW_PAGE));
	EXPECT_EQ(0, self->nr);
}

TEST_F(walk, bad_input)
{
	struct ioasid_test_walk_mm cmd = {
		.size = sizeof(cmd),
		.va = 0x10000,
		.length = SW_PAGE,
		.recs_uptr = (uintptr_t)self->recs,
		.max_recs = MAX_RECS,
	};

	cmd.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, sw_ret(ioctl(self->tfd, IOASID_TEST_WALK_MM, &cmd)));
	cmd.flags = 0;
	cmd.max_recs = 0;
	EXPECT_EQ(-EINVAL, sw_ret(ioctl(self->tfd, IOASID_TEST_WALK_MM, &cmd)));
	cmd.max_recs = IOASID_TEST_WALK_MAX + 1;
	EXPECT_EQ(-EINVAL, sw_ret(ioctl(self->tfd, IOASID_TEST_WALK_MM, &cmd)));
	cmd.max_recs = MAX_RECS;
	cmd.va = ~0ULL - 10;
	EXPECT_EQ(-EOVERFLOW, sw_ret(ioctl(self->tfd, IOASID_TEST_WALK_MM, &cmd)));
}

TEST_HARNESS_MAIN
