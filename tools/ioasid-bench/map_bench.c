// SPDX-License-Identifier: GPL-2.0
/*
 * map_bench: device-side IOVA mapping costs of /dev/ioasid against VFIO
 * type1, on the same guest and the same IOMMU.
 *
 * Build (static, into build/<amd64|arm64>/tools/map_bench):
 *
 *   make -C tools/ioasid-bench              # amd64
 *   make -C tools/ioasid-bench ARCH=arm64   # arm64 (aarch64-linux-gnu-gcc)
 *
 * Run as root in a test-bed guest with three edu devices, e.g.
 *
 *   scripts/vm run --arch amd64 --mem 2048 -- build/amd64/tools/map_bench
 *
 * or let scripts/bench build and run it.  Like ioasid_bench this is a
 * measurement, not a test: it prints timings next to the design goals.
 *
 * The two sides, set up once and used alternately, never at the same time:
 *
 *   type1   edu #0 bound to vfio-pci, its group in a VFIO_TYPE1v2_IOMMU
 *           container: VFIO_IOMMU_MAP_DMA / VFIO_IOMMU_UNMAP_DMA;
 *   ioasid  edu #1 bound to ioasidfd-vfio-pci, its group in an
 *           IOASID_VFIO_IOMMU_TYPE container, an IOASID ALLOWed at RID:
 *           IOASID_MAP (IOASID_MAP_FIXED_IOVA) / IOASID_UNMAP.
 *
 * With -C (compat) the ioasid side is the type1 API as well: edu #1 on
 * plain vfio-pci, in a VFIO_TYPE1v2_IOMMU container set up while
 * ioasidfd_vfio's type1_compat was on, so that /dev/ioasid serves it (an
 * IOASID per container).  The same VFIO_IOMMU_MAP_DMA / UNMAP_DMA calls
 * then run against real type1 and against the compat mode, alternately, in
 * one boot; the ALLOW part (b) and its trace are left out.
 *
 * Both map into an unmanaged domain attached to their device's group, on
 * the guest's one VT-d unit (or SMMUv3), so each pays for real page tables
 * and real IOTLB invalidation.  A one-page DMA through each side proves
 * that the mapping is live.  A third, untimed-for-goals column, "pin only",
 * is IOASID_MAP/UNMAP on an IOASID no device is attached to: GUP, memlock
 * accounting and bookkeeping without any IOMMU work, which splits the
 * ioasid figure into its CPU-side and IOMMU-side parts.
 *
 * (a) MAP+UNMAP throughput: the same buffer, the same IOVA, on both sides,
 *     for each backing:
 *       4k       anonymous memory, MADV_NOHUGEPAGE, first touched in a random
 *                (shuffled) page order so that it is physically scattered;
 *       thp      anonymous memory, 2 MiB aligned, MADV_HUGEPAGE;
 *       hugetlb  MAP_HUGETLB 2 MiB pages (the pool is grown if need be).
 *     The physical layout is checked in /proc/self/pagemap (fraction of
 *     neighbouring pages that are physically contiguous, number of
 *     physically contiguous runs) and /proc/self/smaps (AnonHugePages).
 *     Each timing is REPS x (MAP, UNMAP) of one size, MAP and UNMAP timed
 *     separately; REPS = max(1, -b bytes / size).  Rounds alternate which
 *     side goes first; the table has medians [min .. max] over the rounds.
 *     Throughput = size / (MAP time + UNMAP time); ratio = ioasid / type1,
 *     computed per round.  Goals: >= 1.5x (4k) and >= 3x (thp) at every
 *     size.
 * (b) ALLOW+DISALLOW of an IOASID at RID, against a null ioctl on the same
 *     device fd: _IO(IOASID_TYPE, 0x43), a number of the reserved device
 *     command range, which goes through vfio's device fd ioctl, the
 *     ioasidfd-vfio-pci dispatcher, ioasidfd_device_ioctl() (-ENOIOCTLCMD)
 *     and vfio-pci-core's, which answers ENOTTY: everything ALLOW and
 *     DISALLOW go through before doing their work.  The /dev/ioasid null
 *     ioctl (_IO(IOASID_TYPE, 0x3f), as in ioasid_bench) is shown for
 *     reference.  Pairs are timed with nothing mapped, with 64 mappings of
 *     64 KiB (4k) and with one 16 MiB THP mapping, which the ALLOW replays
 *     into the new domain, and (issue 14) with one 4 KiB mapping and with
 *     4096 of them, 4 KiB apart: the page table is kept between pairs, so
 *     these are warm ALLOWs.  Goals: a pair <= 3x the device null ioctl;
 *     4096 mappings within 1.2x of one.
 * (c) The IOMMU page sizes each side reports, and the page sizes the IOMMU
 *     core really used (dynamic debug of __iommu_map_pages()) for one MAP of
 *     THP and of 4 KiB-backed memory on each side and for the replay of a
 *     THP mapping by an ALLOW.
 * (d) Where the time goes: the ftrace function_graph tracer, filtered to
 *     the interesting kernel functions (GUP, accounting, iommu_map*, IOTLB
 *     invalidation, domain alloc/attach ...), counts their calls and times
 *     them during one MAP and one UNMAP of 16 MiB (4k and thp) on each side,
 *     and one ALLOW and one DISALLOW.  Not part of the timings above.
 *
 * (e) The first ALLOW of a fresh IOASID holding N 4 KiB mappings (1, 64 and
 *     4096 adjacent in IOVA, 4096 with a page between each) against MAPping
 *     the same memory into an IOASID already ALLOWed: replay (first ALLOW
 *     with N - first ALLOW with none) / IOMMU part of MAP (N MAPs into the
 *     ALLOWed IOASID - N MAPs into one no device uses), per round, the
 *     four timings of a round in rotating order.  Goal: <= 1.2x.
 *
 * The program leaves the two edu devices unbound, with driver_override
 * cleared, the hugetlb pool and the tracer as they were.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
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
#include <sys/utsname.h>

#include <linux/ioasidfd.h>

#define BENCH_NAME	"map_bench"
#include "bench.h"
#include <linux/vfio.h>

#include "vfio_edu.h"

#define KiB		1024ULL
#define MiB		(1024 * KiB)
#define PAGE		4096ULL
#define HPAGE		(2 * MiB)

#define MAX_SIZES	16

/* All mappings start here: 2 MiB (and 1 GiB) aligned, above the MSI window. */
#define IOVA_BASE	0x100000000ULL

#define DEV_NULL_IOCTL		_IO(IOASID_TYPE, 0x43)
#define IOASID_NULL_IOCTL	_IO(IOASID_TYPE, 0x3f)

#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define FREE_HUGEPAGES	"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
#define DYNDBG		"/sys/kernel/debug/dynamic_debug/control"

static int rounds = 11;
static unsigned long long target_bytes = 256 * MiB;
static unsigned long long sizes[MAX_SIZES] = {
	64 * KiB, 256 * KiB, 1 * MiB, 2 * MiB, 4 * MiB, 16 * MiB, 64 * MiB,
	256 * MiB,
};

static int nr_sizes = 8;
static bool do_trace = true;
static unsigned int seed = 20240601;

/* ------------------------------------------------------------------------
 * Helpers
 */

/* xorshift32: a fixed seed gives the same shuffle on every run */
static unsigned int rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	return seed;
}

static const char *size_str(unsigned long long b)
{
	static char bufs[4][32];
	static int i;
	char *s = bufs[i++ % 4];

	if (b >= MiB && !(b % MiB))
		snprintf(s, 32, "%llu MiB", b / MiB);
	else if (b >= KiB && !(b % KiB))
		snprintf(s, 32, "%llu KiB", b / KiB);
	else
		snprintf(s, 32, "%llu B", b);
	return s;
}

static const char *pgsizes_str(unsigned long long bitmap)
{
	static char s[128];
	size_t n = 0;
	int bit;

	s[0] = 0;
	for (bit = 0; bit < 64; bit++)
		if (bitmap & (1ULL << bit))
			n += snprintf(s + n, sizeof(s) - n, "%s%s", n ? " " : "",
				      size_str(1ULL << bit));
	return n ? s : "none";
}

static int read_str(const char *path, char *buf, size_t size)
{
	return edu_sysfs_read(path, buf, size);
}

static long read_long(const char *path)
{
	char buf[64];

	if (read_str(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 0);
}

static int write_long(const char *path, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld\n", v);
	return edu_sysfs_write(path, buf);
}

/* ------------------------------------------------------------------------
 * Buffers
 */

enum backing { B_4K, B_THP, B_HUGETLB, NR_BACKINGS };

static const char *const backing_name[NR_BACKINGS] = {
	[B_4K] = "4k", [B_THP] = "thp", [B_HUGETLB] = "hugetlb",
};

static const char *const backing_long[NR_BACKINGS] = {
	[B_4K] = "4 KiB pages (MADV_NOHUGEPAGE, first touched in random order)",
	[B_THP] = "THP (2 MiB aligned, MADV_HUGEPAGE)",
	[B_HUGETLB] = "hugetlb (MAP_HUGETLB, 2 MiB pages)",
};

/**
 * struct buf - a benchmark buffer
 * @va: its start, 2 MiB aligned
 * @len: bytes usable at @va
 * @base: what mmap() returned, @base_len bytes
 * @pfn: the physical page of each 4 KiB page, read once after touching
 * @contig: neighbouring pages that are physically contiguous (pairs)
 * @thp_kb: AnonHugePages of the mapping, kB
 */
struct buf {
	enum backing kind;
	char *va;
	unsigned long long len;
	void *base;
	size_t base_len;
	uint64_t *pfn;
	unsigned long long contig;
	long thp_kb;
	bool ok;
	char why[128];
};

static struct buf bufs[NR_BACKINGS];

static long hugetlb_nr_saved = -1;

static void hugetlb_restore(void)
{
	if (hugetlb_nr_saved >= 0)
		write_long(NR_HUGEPAGES, hugetlb_nr_saved);
	hugetlb_nr_saved = -1;
}

/* Physical pages of [va, va + len), from /proc/self/pagemap (root only). */
static int read_pfns(struct buf *b)
{
	unsigned long long n = b->len / PAGE, i;
	ssize_t got;
	int fd;

	b->pfn = calloc(n, sizeof(*b->pfn));
	if (!b->pfn)
		return -ENOMEM;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = pread(fd, b->pfn, n * sizeof(*b->pfn),
		    (uintptr_t)b->va / PAGE * sizeof(*b->pfn));
	close(fd);
	if (got != (ssize_t)(n * sizeof(*b->pfn)))
		return -EIO;
	for (i = 0; i < n; i++) {
		if (!(b->pfn[i] >> 63))
			return -EFAULT;		/* not present */
		b->pfn[i] &= (1ULL << 55) - 1;
		if (!b->pfn[i])
			return -EPERM;		/* PFNs hidden: not root */
	}
	for (i = 1; i < n; i++)
		b->contig += b->pfn[i] == b->pfn[i - 1] + 1;
	return 0;
}

/* Physically contiguous runs in the first @len bytes of @b. */
static unsigned long long phys_runs(const struct buf *b, unsigned long long len)
{
	unsigned long long n = len / PAGE, runs = 1, i;

	for (i = 1; i < n; i++)
		runs += b->pfn[i] != b->pfn[i - 1] + 1;
	return runs;
}

/* AnonHugePages of the smaps entry that contains @va, in kB. */
static long smaps_thp_kb(const void *va)
{
	unsigned long lo, hi, addr = (uintptr_t)va;
	char line[512];
	bool in = false;
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') &&
		    strchr(line, ' ') > strchr(line, '-')) {
			in = addr >= lo && addr < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static void buf_touch_random(struct buf *b)
{
	unsigned long long n = b->len / PAGE, i, j, t;
	unsigned int *order = malloc(n * sizeof(*order));

	if (!order)
		die("out of memory");
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {		/* Fisher-Yates */
		j = rnd() % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++)
		b->va[(unsigned long long)order[i] * PAGE] = 1;
	free(order);
}

static void buf_alloc(struct buf *b, enum backing kind, unsigned long long len)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	unsigned long long i;
	char *p;
	int rc;

	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->len = len;
	b->thp_kb = -1;
	/* Room to align @va to 2 MiB; hugetlb mappings are aligned already. */
	b->base_len = len + (kind == B_HUGETLB ? 0 : HPAGE);
	if (kind == B_HUGETLB) {
		long need = len / HPAGE, nr = read_long(NR_HUGEPAGES);
		long avail = read_long(FREE_HUGEPAGES);

		if (nr < 0 || avail < 0) {
			snprintf(b->why, sizeof(b->why), "no hugetlb pool");
			return;
		}
		if (avail < need) {
			hugetlb_nr_saved = nr;
			write_long(NR_HUGEPAGES, nr + need - avail);
			avail = read_long(FREE_HUGEPAGES);
		}
		if (avail < need) {
			snprintf(b->why, sizeof(b->why),
				 "only %ld free 2 MiB hugetlb pages, %ld needed",
				 avail, need);
			hugetlb_restore();
			return;
		}
		flags |= MAP_HUGETLB;
	}
	p = mmap(NULL, b->base_len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(b->why, sizeof(b->why), "mmap: %s", strerror(errno));
		return;
	}
	b->base = p;
	b->va = (char *)(((uintptr_t)p + HPAGE - 1) & ~(HPAGE - 1));
	if (b->va + len > p + b->base_len)
		die("buffer %p + %s does not fit its mapping at %p", b->va,
		    size_str(len), p);
	if (kind == B_4K && madvise(p, b->base_len, MADV_NOHUGEPAGE))
		die("MADV_NOHUGEPAGE: %s", strerror(errno));
	if (kind == B_THP && madvise(b->va, len, MADV_HUGEPAGE))
		die("MADV_HUGEPAGE: %s", strerror(errno));

	if (kind == B_4K)
		buf_touch_random(b);
	else
		for (i = 0; i < len; i += PAGE)
			b->va[i] = 1;

	rc = read_pfns(b);
	if (rc) {
		snprintf(b->why, sizeof(b->why), "/proc/self/pagemap: %s",
			 strerror(-rc));
		return;
	}
	if (kind != B_HUGETLB)
		b->thp_kb = smaps_thp_kb(b->va);
	b->ok = true;
}

static void buf_free(struct buf *b)
{
	if (b->base)
		munmap(b->base, b->base_len);
	free(b->pfn);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------------------
 * The two sides
 */

enum side_kind { S_TYPE1, S_IOASID, S_PIN, NR_SIDES };

static const char *side_name[NR_SIDES] = {
	[S_TYPE1] = "type1", [S_IOASID] = "ioasid", [S_PIN] = "pin only",
};

/*
 * -C: the "ioasid" side is the type1 API too, served by the module's
 * compat mode: edu #1 on plain vfio-pci in a VFIO_TYPE1v2_IOMMU container
 * set up while ioasidfd_vfio's type1_compat was on.  Same calls, same
 * program, only the backend differs.
 */
static bool compat;
#define COMPAT_PARAM	"/sys/module/ioasidfd_vfio/parameters/type1_compat"
#define COMPAT_DEBUGFS	"/sys/kernel/debug/ioasidfd_vfio/type1"

static struct vfio_edu edu_t1, edu_io;
static int ioasid_fd = -1;
static __u32 pasid_bench, pasid_pin;
static char edu_bdfs[EDU_MAX_DEVICES][32];
static bool edu_used[2];

static int side_map(enum side_kind s, void *va, unsigned long long len,
		    unsigned long long iova)
{
	if (s == S_TYPE1)
		return vfio_edu_type1_map(&edu_t1, va, iova, len);
	if (s == S_IOASID && compat)
		return vfio_edu_type1_map(&edu_io, va, iova, len);
	return edu_ioasid_map(ioasid_fd, s == S_PIN ? pasid_pin : pasid_bench,
			      va, len, iova);
}

static int side_unmap(enum side_kind s, unsigned long long len,
		      unsigned long long iova)
{
	if (s == S_IOASID && compat)
		return vfio_edu_type1_unmap(&edu_io, iova, len);
	if (s != S_TYPE1)
		return edu_ioasid_unmap(ioasid_fd,
					s == S_PIN ? pasid_pin : pasid_bench,
					iova, len);
	return vfio_edu_type1_unmap(&edu_t1, iova, len);
}

static void must_map(enum side_kind s, void *va, unsigned long long len,
		     unsigned long long iova)
{
	int rc = side_map(s, va, len, iova);

	if (rc)
		die("%s MAP of %s at %#llx: %s", side_name[s], size_str(len),
		    iova, strerror(-rc));
}

static void must_unmap(enum side_kind s, unsigned long long len,
		       unsigned long long iova)
{
	int rc = side_unmap(s, len, iova);

	if (rc)
		die("%s UNMAP of %s at %#llx: %s", side_name[s], size_str(len),
		    iova, strerror(-rc));
}

/* @reps x (MAP, UNMAP) of @len bytes of @va; mean ns per MAP and per UNMAP */
static void time_side(enum side_kind s, void *va, unsigned long long len,
		      long reps, double *map_ns, double *unmap_ns)
{
	double t0, t1, t2, m = 0, u = 0;
	long i;

	for (i = 0; i < reps; i++) {
		t0 = now_ns();
		must_map(s, va, len, IOVA_BASE);
		t1 = now_ns();
		must_unmap(s, len, IOVA_BASE);
		t2 = now_ns();
		m += t1 - t0;
		u += t2 - t1;
	}
	*map_ns = m / reps;
	*unmap_ns = u / reps;
}

static void restore_edus(void)
{
	int i;

	vfio_edu_close(&edu_t1);
	vfio_edu_close(&edu_io);
	if (ioasid_fd >= 0)
		close(ioasid_fd);
	ioasid_fd = -1;
	/* Leave the devices as the guest's /init left them: unbound. */
	for (i = 0; i < 2; i++) {
		char path[PATH_MAX];

		if (!edu_used[i])
			continue;
		edu_unbind(edu_bdfs[i]);
		snprintf(path, sizeof(path), EDU_SYSFS_PCI "/devices/%s/driver_override",
			 edu_bdfs[i]);
		edu_sysfs_write(path, "\n");
		edu_used[i] = false;
	}
}

static void cleanup(void)
{
	restore_edus();
	hugetlb_restore();
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void setup_sides(void)
{
	int n, rc;

	n = edu_find(edu_bdfs);
	if (n < 2)
		die("need two edu devices (1234:11e8), found %d", n);
	vfio_edu_init(&edu_t1);
	vfio_edu_init(&edu_io);
	edu_used[0] = true;
	edu_used[1] = true;
	rc = vfio_edu_open(&edu_t1, edu_bdfs[0], EDU_DRIVER_VFIO,
			   VFIO_TYPE1v2_IOMMU);
	if (rc)
		die("%s through %s in a type1 container: %s", edu_bdfs[0],
		    EDU_DRIVER_VFIO, strerror(-rc));
	if (compat) {
		char was[8] = "N", line[256];
		bool served = false;
		FILE *f;

		/* The switch decides for new containers only: on for this one. */
		read_str(COMPAT_PARAM, was, sizeof(was));
		if (edu_sysfs_write(COMPAT_PARAM, "1"))
			die("-C: cannot set %s (ioasidfd_vfio loaded?)", COMPAT_PARAM);
		rc = vfio_edu_open(&edu_io, edu_bdfs[1], EDU_DRIVER_VFIO,
				   VFIO_TYPE1v2_IOMMU);
		edu_sysfs_write(COMPAT_PARAM, was);
		if (rc)
			die("%s through %s in a compat-mode type1 container: %s",
			    edu_bdfs[1], EDU_DRIVER_VFIO, strerror(-rc));
		f = fopen(COMPAT_DEBUGFS, "re");
		while (f && fgets(line, sizeof(line), f))
			served |= !strncmp(line, "container ", 10);
		if (f)
			fclose(f);
		if (!served)
			die("-C: the second container is not served by the compat mode (%s)",
			    COMPAT_DEBUGFS);
	} else {
		rc = vfio_edu_open(&edu_io, edu_bdfs[1], EDU_DRIVER_IOASID,
				   IOASID_VFIO_IOMMU_TYPE);
		if (rc)
			die("%s through %s: %s", edu_bdfs[1], EDU_DRIVER_IOASID,
			    strerror(-rc));
	}
	ioasid_fd = edu_ioasid_open();
	if (ioasid_fd < 0)
		die("open /dev/ioasid: %s", strerror(-ioasid_fd));
	if (edu_ioasid_alloc(ioasid_fd, &pasid_bench) ||
	    edu_ioasid_alloc(ioasid_fd, &pasid_pin))
		die("IOASID_ALLOC: %s", strerror(errno));
	if (compat)
		return;
	rc = vfio_edu_allow(&edu_io, ioasid_fd, pasid_bench, 0);
	if (rc)
		die("IOASID_DEVICE_ALLOW at RID: %s", strerror(-rc));
}

/*
 * One DMA round trip through each side's mapping of @b: proves that both
 * sides map into the domain their device really uses.
 */
static void dma_check(enum side_kind s, struct vfio_edu *e, struct buf *b)
{
	long faults = edu_iommu_faults();
	unsigned int i;
	int rc;

	must_map(s, b->va, 64 * KiB, IOVA_BASE);
	for (i = 0; i < 256; i++) {
		b->va[i] = (char)(i * 7 + s + 1);
		b->va[PAGE + i] = 0;
	}
	rc = vfio_edu_to_device(e, IOVA_BASE, 0, 256);
	if (!rc)
		rc = vfio_edu_to_ram(e, 0, IOVA_BASE + PAGE, 256);
	if (rc)
		die("%s: edu DMA: %s", side_name[s], strerror(-rc));
	if (memcmp(b->va, b->va + PAGE, 256))
		die("%s: the DMA round trip through the IOMMU lost the data",
		    side_name[s]);
	if (edu_iommu_faults_after(faults, 200) != faults)
		die("%s: the DMA round trip raised IOMMU faults", side_name[s]);
	must_unmap(s, 64 * KiB, IOVA_BASE);
	memset(b->va, 1, 2 * PAGE);
}

/* ------------------------------------------------------------------------
 * (a) MAP + UNMAP throughput
 */

struct cell {
	double map_ns[MAX_ROUNDS], unmap_ns[MAX_ROUNDS], mibs[MAX_ROUNDS];
};

struct result {
	bool done;
	long reps;
	unsigned long long runs;	/* physically contiguous runs */
	struct cell side[NR_SIDES];
	double ratio[MAX_ROUNDS];
};

static struct result results[NR_BACKINGS][MAX_SIZES];

static double mib_per_s(unsigned long long len, double map_ns, double unmap_ns)
{
	return (double)len / MiB / ((map_ns + unmap_ns) / 1e9);
}

static void bench_size(struct buf *b, int si)
{
	struct result *res = &results[b->kind][si];
	unsigned long long len = sizes[si];
	enum side_kind order[NR_SIDES];
	double m, u, t0 = now_ns();
	int r, k;

	res->reps = target_bytes / len ? target_bytes / len : 1;
	res->runs = phys_runs(b, len);
	/* Warm up: first-use allocations on every side (page-table pages...) */
	for (k = 0; k < NR_SIDES; k++)
		time_side(k, b->va, len, 1, &m, &u);

	for (r = 0; r < rounds; r++) {
		/* type1 and ioasid alternate who goes first; pin only last. */
		order[0] = r % 2 ? S_IOASID : S_TYPE1;
		order[1] = r % 2 ? S_TYPE1 : S_IOASID;
		order[2] = S_PIN;
		for (k = 0; k < NR_SIDES; k++) {
			struct cell *c = &res->side[order[k]];

			time_side(order[k], b->va, len, res->reps, &c->map_ns[r],
				  &c->unmap_ns[r]);
			c->mibs[r] = mib_per_s(len, c->map_ns[r], c->unmap_ns[r]);
		}
		res->ratio[r] = res->side[S_IOASID].mibs[r] /
				res->side[S_TYPE1].mibs[r];
	}
	res->done = true;
	fprintf(stderr, "map_bench: %-7s %-8s x%-5ld %d rounds in %.1f s\n",
		backing_name[b->kind], size_str(len), res->reps, rounds,
		(now_ns() - t0) / 1e9);
}

static void print_throughput(enum backing k)
{
	struct buf *b = &bufs[k];
	struct stat3 s;
	int si, j;

	printf("\n(a) MAP+UNMAP, %s\n", backing_long[k]);
	if (!b->ok) {
		printf("    skipped: %s\n", b->why);
		return;
	}
	printf("    buffer: %s; %.2f%% of neighbouring 4 KiB pages physically contiguous",
	       size_str(b->len), 100.0 * b->contig / (b->len / PAGE - 1));
	if (b->thp_kb >= 0)
		printf("; AnonHugePages %ld kB", b->thp_kb);
	printf("\n");
	printf("    %-8s %6s %8s | %-24s | %-24s | %-22s | %s\n", "size", "reps",
	       "phys", "type1 MiB/s", "ioasid MiB/s", "ratio ioasid/type1",
	       "pin only MiB/s");
	printf("    %-8s %6s %8s |\n", "", "", "runs");
	for (si = 0; si < nr_sizes; si++) {
		struct result *res = &results[k][si];
		char cols[3][64];

		if (!res->done)
			continue;
		for (j = 0; j < NR_SIDES; j++) {
			s = stats(res->side[j].mibs, rounds);
			snprintf(cols[j], sizeof(cols[j]), "%8.1f [%.1f .. %.1f]",
				 s.med, s.min, s.max);
		}
		s = stats(res->ratio, rounds);
		printf("    %-8s %6ld %8llu | %-24s | %-24s | %5.2fx [%.2f .. %.2f] | %s\n",
		       size_str(sizes[si]), res->reps, res->runs, cols[S_TYPE1],
		       cols[S_IOASID], s.med, s.min, s.max, cols[S_PIN]);
	}
	printf("    MAP and UNMAP alone, us per call: median [min .. max]\n");
	printf("    %-8s | %-20s %-20s | %-20s %-20s | %-18s %-18s\n", "size",
	       "type1 MAP", "type1 UNMAP", "ioasid MAP", "ioasid UNMAP",
	       "pin-only MAP", "pin-only UNMAP");
	for (si = 0; si < nr_sizes; si++) {
		struct result *res = &results[k][si];

		if (!res->done)
			continue;
		printf("    %-8s |", size_str(sizes[si]));
		for (j = 0; j < NR_SIDES; j++) {
			struct stat3 a = stats(res->side[j].map_ns, rounds);
			struct stat3 c = stats(res->side[j].unmap_ns, rounds);
			char x[2][48];

			snprintf(x[0], sizeof(x[0]), "%.0f [%.0f..%.0f]",
				 a.med / 1e3, a.min / 1e3, a.max / 1e3);
			snprintf(x[1], sizeof(x[1]), "%.0f [%.0f..%.0f]",
				 c.med / 1e3, c.min / 1e3, c.max / 1e3);
			printf(j == S_PIN ? " %-18s %-18s" : " %-20s %-20s |",
			       x[0], x[1]);
		}
		printf("\n");
	}
	printf("    MAP ratio / UNMAP ratio, ioasid vs type1 (time type1 / time ioasid, medians):");
	for (si = 0; si < nr_sizes; si++) {
		struct result *res = &results[k][si];

		if (!res->done)
			continue;
		printf(" %s %.2fx/%.2fx", size_str(sizes[si]),
		       stats(res->side[S_TYPE1].map_ns, rounds).med /
		       stats(res->side[S_IOASID].map_ns, rounds).med,
		       stats(res->side[S_TYPE1].unmap_ns, rounds).med /
		       stats(res->side[S_IOASID].unmap_ns, rounds).med);
	}
	printf("\n");
}

/* UNMAP per 4 KiB page at each size, and against the smallest size */
static void print_unmap_per_page(enum backing k)
{
	double first[NR_SIDES] = { 0 };
	int si, j;

	if (!bufs[k].ok)
		return;
	printf("\n    UNMAP per 4 KiB page, %s (medians, ns; x = / the smallest size)\n",
	       backing_name[k]);
	for (si = 0; si < nr_sizes; si++) {
		struct result *res = &results[k][si];

		if (!res->done)
			continue;
		printf("    %-8s", size_str(sizes[si]));
		for (j = 0; j < NR_SIDES; j++) {
			double ns = stats(res->side[j].unmap_ns, rounds).med /
				    (sizes[si] / PAGE);

			if (!first[j])
				first[j] = ns;
			printf(" | %s %7.1f ns %5.2fx", side_name[j], ns,
			       ns / first[j]);
		}
		printf("\n");
	}
}

static void print_raw(enum backing k)
{
	int si, r, j;

	if (!bufs[k].ok)
		return;
	printf("\n    raw rounds, %s: MAP us / UNMAP us / MiB/s per side, ratio\n",
	       backing_name[k]);
	for (si = 0; si < nr_sizes; si++) {
		struct result *res = &results[k][si];

		if (!res->done)
			continue;
		for (r = 0; r < rounds; r++) {
			printf("    %-7s %-8s r%-2d %s", backing_name[k],
			       size_str(sizes[si]), r, r % 2 ? "io-first" : "t1-first");
			for (j = 0; j < NR_SIDES; j++)
				printf(" | %s %.1f/%.1f/%.1f", side_name[j],
				       res->side[j].map_ns[r] / 1e3,
				       res->side[j].unmap_ns[r] / 1e3,
				       res->side[j].mibs[r]);
			printf(" | %.3fx\n", res->ratio[r]);
		}
	}
}

/* ------------------------------------------------------------------------
 * (b) ALLOW + DISALLOW against null ioctls
 */

#define SUB	8

struct allow_case {
	const char *name;
	__u32 pasid;
	long calls;
	double null_ns[MAX_ROUNDS], pair_ns[MAX_ROUNDS], ratio[MAX_ROUNDS];
	double allow_ns[MAX_ROUNDS], disallow_ns[MAX_ROUNDS];
};

static double time_dev_null(long calls)
{
	struct ioasid_device_disallow cmd = { .size = sizeof(cmd) };
	double t0 = now_ns();
	long i;

	for (i = 0; i < calls; i++)
		if (ioctl(edu_io.device, DEV_NULL_IOCTL, &cmd) != -1 ||
		    errno != ENOTTY)
			die("device null ioctl did not fail with ENOTTY");
	return (now_ns() - t0) / calls;
}

static double time_ioasid_null(long calls)
{
	struct ioasid_destroy cmd = { .size = sizeof(cmd) };
	double t0 = now_ns();
	long i;

	for (i = 0; i < calls; i++)
		if (ioctl(ioasid_fd, IOASID_NULL_IOCTL, &cmd) != -1 ||
		    errno != ENOTTY)
			die("/dev/ioasid null ioctl did not fail with ENOTTY");
	return (now_ns() - t0) / calls;
}

/* ALLOW + DISALLOW pairs; also the time of each half */
static double time_pairs(__u32 pasid, long calls, double *allow, double *disallow)
{
	double t0, t1, t2, a = 0, d = 0;
	long i;
	int rc;

	for (i = 0; i < calls; i++) {
		t0 = now_ns();
		rc = vfio_edu_allow(&edu_io, ioasid_fd, pasid, 0);
		if (rc)
			die("IOASID_DEVICE_ALLOW %u: %s", pasid, strerror(-rc));
		t1 = now_ns();
		rc = vfio_edu_disallow(&edu_io, pasid, 0);
		if (rc)
			die("IOASID_DEVICE_DISALLOW %u: %s", pasid, strerror(-rc));
		t2 = now_ns();
		a += t1 - t0;
		d += t2 - t1;
	}
	*allow = a / calls;
	*disallow = d / calls;
	return (a + d) / calls;
}

/* As many calls as take about @ms milliseconds, at least 5 */
static long calibrate(__u32 pasid, double ms)
{
	double a, d, ns = time_pairs(pasid, 5, &a, &d);
	long n = ms * 1e6 / ns;

	return n < 5 ? 5 : n;
}

static void allow_round(struct allow_case *c, int r)
{
	long calls = c->calls / SUB ? c->calls / SUB : 1;
	double tn = 0, tp = 0, ta = 0, td = 0, a, d;
	int i;

	for (i = 0; i < SUB; i++) {
		if ((i + r) % 2) {
			tn += time_dev_null(calls * 4);
			tp += time_pairs(c->pasid, calls, &a, &d);
		} else {
			tp += time_pairs(c->pasid, calls, &a, &d);
			tn += time_dev_null(calls * 4);
		}
		ta += a;
		td += d;
	}
	c->null_ns[r] = tn / SUB;
	c->pair_ns[r] = tp / SUB;
	c->allow_ns[r] = ta / SUB;
	c->disallow_ns[r] = td / SUB;
	c->ratio[r] = c->pair_ns[r] / c->null_ns[r];
}

#define NR_ALLOW_CASES	5
#define NR_SMALL	4096	/* 4 KiB mappings in the "many" cases */

static struct allow_case allow_cases[NR_ALLOW_CASES];
static double ioasid_null_ns[MAX_ROUNDS];
static bool allow_done;

static void bench_allow(void)
{
	__u32 pasid_many = 0, pasid_thp = 0, pasid_one = 0, pasid_small = 0;
	int rc, r, i;

	/* The device leaves the benchmark IOASID: it is ALLOWed and DISALLOWed below. */
	rc = vfio_edu_disallow(&edu_io, pasid_bench, 0);
	if (rc)
		die("IOASID_DEVICE_DISALLOW: %s", strerror(-rc));
	if (edu_ioasid_alloc(ioasid_fd, &pasid_many) ||
	    edu_ioasid_alloc(ioasid_fd, &pasid_thp) ||
	    edu_ioasid_alloc(ioasid_fd, &pasid_one) ||
	    edu_ioasid_alloc(ioasid_fd, &pasid_small))
		die("IOASID_ALLOC: %s", strerror(errno));
	/* One 4 KiB mapping, and NR_SMALL of them with a page between each */
	rc = edu_ioasid_map(ioasid_fd, pasid_one, bufs[B_4K].va, PAGE, IOVA_BASE);
	if (rc)
		die("IOASID_MAP: %s", strerror(-rc));
	for (i = 0; i < NR_SMALL && (i + 1) * PAGE <= bufs[B_4K].len; i++) {
		rc = edu_ioasid_map(ioasid_fd, pasid_small, bufs[B_4K].va + i * PAGE,
				    PAGE, IOVA_BASE + 2 * i * PAGE);
		if (rc)
			die("IOASID_MAP: %s", strerror(-rc));
	}
	for (i = 0; i < 64; i++) {
		rc = edu_ioasid_map(ioasid_fd, pasid_many,
				    bufs[B_4K].va + i * 64 * KiB, 64 * KiB,
				    IOVA_BASE + i * 128 * KiB);
		if (rc)
			die("IOASID_MAP: %s", strerror(-rc));
	}
	if (bufs[B_THP].ok && bufs[B_THP].len >= 16 * MiB) {
		rc = edu_ioasid_map(ioasid_fd, pasid_thp, bufs[B_THP].va,
				    16 * MiB, IOVA_BASE);
		if (rc)
			die("IOASID_MAP: %s", strerror(-rc));
	}

	allow_cases[0] = (struct allow_case){
		.name = "nothing mapped", .pasid = pasid_bench };
	allow_cases[1] = (struct allow_case){
		.name = "64 mappings of 64 KiB (4k, scattered)", .pasid = pasid_many };
	allow_cases[2] = (struct allow_case){
		.name = "one 16 MiB mapping (thp)", .pasid = pasid_thp };
	allow_cases[3] = (struct allow_case){
		.name = "one 4 KiB mapping", .pasid = pasid_one };
	allow_cases[4] = (struct allow_case){
		.name = "4096 mappings of 4 KiB, 4 KiB apart", .pasid = pasid_small };
	for (i = 0; i < NR_ALLOW_CASES; i++) {
		if (i == 2 && !(bufs[B_THP].ok && bufs[B_THP].len >= 16 * MiB))
			continue;
		allow_cases[i].calls = calibrate(allow_cases[i].pasid, 400);
		time_dev_null(allow_cases[i].calls);	/* warm up */
		for (r = 0; r < rounds; r++)
			allow_round(&allow_cases[i], r);
	}
	for (r = 0; r < rounds; r++) {
		time_dev_null(2000);
		ioasid_null_ns[r] = time_ioasid_null(20000);
	}
	allow_done = true;

	edu_ioasid_destroy(ioasid_fd, pasid_many);
	edu_ioasid_destroy(ioasid_fd, pasid_thp);
	edu_ioasid_destroy(ioasid_fd, pasid_one);
	edu_ioasid_destroy(ioasid_fd, pasid_small);
}

static void print_allow(void)
{
	struct stat3 s;
	int i;

	printf("\n(b) ALLOW+DISALLOW (at RID) against a null ioctl on the same device fd\n");
	if (!allow_done) {
		printf("    skipped\n");
		return;
	}
	s = stats(allow_cases[0].null_ns, rounds);
	printf("    %-56s %9.0f ns   [%.0f .. %.0f]\n",
	       "device null ioctl (_IO(0xBA, 0x43) -> ENOTTY)", s.med, s.min, s.max);
	s = stats(ioasid_null_ns, rounds);
	printf("    %-56s %9.0f ns   [%.0f .. %.0f]\n",
	       "/dev/ioasid null ioctl (_IO(0xBA, 0x3f) -> ENOTTY)", s.med, s.min,
	       s.max);
	for (i = 0; i < NR_ALLOW_CASES; i++) {
		struct allow_case *c = &allow_cases[i];
		char label[96];

		if (!c->calls)
			continue;
		printf("    IOASID with %s (%ld pairs per round)\n", c->name, c->calls);
		s = stats(c->pair_ns, rounds);
		printf("      %-54s %9.0f ns   [%.0f .. %.0f]\n", "ALLOW + DISALLOW",
		       s.med, s.min, s.max);
		s = stats(c->allow_ns, rounds);
		printf("      %-54s %9.0f ns   [%.0f .. %.0f]\n", "  ALLOW alone",
		       s.med, s.min, s.max);
		s = stats(c->disallow_ns, rounds);
		printf("      %-54s %9.0f ns   [%.0f .. %.0f]\n", "  DISALLOW alone",
		       s.med, s.min, s.max);
		s = stats(c->ratio, rounds);
		snprintf(label, sizeof(label), "ratio pair / device null (per round)");
		printf("      %-54s %9.2f x    [%.2f .. %.2f]   goal <= 3x\n", label,
		       s.med, s.min, s.max);
	}
	if (allow_cases[3].calls && allow_cases[4].calls) {
		double v[MAX_ROUNDS], w[MAX_ROUNDS];
		int r;

		for (r = 0; r < rounds; r++) {
			v[r] = allow_cases[4].pair_ns[r] / allow_cases[3].pair_ns[r];
			w[r] = (allow_cases[4].pair_ns[r] - allow_cases[3].pair_ns[r]) /
			       allow_cases[4].null_ns[r];
		}
		s = stats(v, rounds);
		printf("    %-56s %9.2f x    [%.2f .. %.2f]   goal <= 1.2x\n",
		       "pair, 4096 mappings / pair, one mapping (per round)",
		       s.med, s.min, s.max);
		s = stats(w, rounds);
		printf("    %-56s %9.2f      [%.2f .. %.2f]\n",
		       "  the difference, in device null ioctls", s.med, s.min, s.max);
	}
	printf("\n    raw rounds: device null ns / pair ns (ALLOW + DISALLOW) / ratio\n");
	for (i = 0; i < NR_ALLOW_CASES; i++) {
		struct allow_case *c = &allow_cases[i];
		int r;

		if (!c->calls)
			continue;
		printf("    %-40s", c->name);
		for (r = 0; r < rounds; r++)
			printf(" | %.0f/%.0f (%.0f+%.0f)/%.1fx", c->null_ns[r],
			       c->pair_ns[r], c->allow_ns[r], c->disallow_ns[r],
			       c->ratio[r]);
		printf("\n");
	}
}

/* ------------------------------------------------------------------------
 * (e) The first ALLOW of an IOASID with N mappings: its replay into the new
 *     domain against MAPping the same memory into an attached IOASID
 */

struct first_case {
	const char *name;
	int n;			/* 4 KiB mappings */
	unsigned long long gap;	/* bytes between two mappings' IOVAs */
	double first_ns[MAX_ROUNDS];	/* first ALLOW, N mappings */
	double empty_ns[MAX_ROUNDS];	/* first ALLOW, nothing mapped */
	double map_ns[MAX_ROUNDS];	/* N MAPs into an attached IOASID */
	double pin_ns[MAX_ROUNDS];	/* N MAPs into an unattached one */
	double ratio[MAX_ROUNDS];	/* replay / IOMMU part of MAP */
	bool done;
};

static struct first_case first_cases[] = {
	{ "1 mapping", 1, PAGE },
	{ "64 adjacent mappings", 64, PAGE },
	{ "4096 adjacent mappings", 4096, PAGE },
	{ "4096 mappings, 4 KiB apart", 4096, 2 * PAGE },
};

static void first_maps(__u32 pasid, const struct first_case *c)
{
	int i, rc;

	for (i = 0; i < c->n; i++) {
		rc = edu_ioasid_map(ioasid_fd, pasid, bufs[B_4K].va + i * PAGE,
				    PAGE, IOVA_BASE + i * c->gap);
		if (rc)
			die("IOASID_MAP: %s", strerror(-rc));
	}
}

static double first_allow(const struct first_case *c)
{
	double t0, t1;
	__u32 pasid = 0;
	int rc;

	if (edu_ioasid_alloc(ioasid_fd, &pasid))
		die("IOASID_ALLOC: %s", strerror(errno));
	if (c)
		first_maps(pasid, c);
	t0 = now_ns();
	rc = vfio_edu_allow(&edu_io, ioasid_fd, pasid, 0);
	t1 = now_ns();
	if (rc)
		die("IOASID_DEVICE_ALLOW: %s", strerror(-rc));
	if (vfio_edu_disallow(&edu_io, pasid, 0) ||
	    edu_ioasid_destroy(ioasid_fd, pasid))
		die("DISALLOW/DESTROY: %s", strerror(errno));
	return t1 - t0;
}

static double maps_into(const struct first_case *c, bool attached)
{
	double t0, t1;
	__u32 pasid = 0;

	if (edu_ioasid_alloc(ioasid_fd, &pasid))
		die("IOASID_ALLOC: %s", strerror(errno));
	if (attached && vfio_edu_allow(&edu_io, ioasid_fd, pasid, 0))
		die("IOASID_DEVICE_ALLOW: %s", strerror(errno));
	t0 = now_ns();
	first_maps(pasid, c);
	t1 = now_ns();
	if ((attached && vfio_edu_disallow(&edu_io, pasid, 0)) ||
	    edu_ioasid_destroy(ioasid_fd, pasid))
		die("DISALLOW/DESTROY: %s", strerror(errno));
	return t1 - t0;
}

static bool first_done;

static void bench_first_allow(void)
{
	size_t i;
	int r, k;

	/* The device leaves the benchmark IOASID for the time of this part. */
	if (vfio_edu_disallow(&edu_io, pasid_bench, 0))
		die("IOASID_DEVICE_DISALLOW: %s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(first_cases); i++) {
		struct first_case *c = &first_cases[i];

		if (c->n * PAGE > bufs[B_4K].len)
			continue;
		first_allow(c);	/* warm up */
		for (r = 0; r < rounds; r++) {
			for (k = 0; k < 4; k++) {
				switch ((k + r) % 4) {
				case 0:
					c->first_ns[r] = first_allow(c);
					break;
				case 1:
					c->empty_ns[r] = first_allow(NULL);
					break;
				case 2:
					c->map_ns[r] = maps_into(c, true);
					break;
				case 3:
					c->pin_ns[r] = maps_into(c, false);
					break;
				}
			}
			c->ratio[r] = (c->first_ns[r] - c->empty_ns[r]) /
				      (c->map_ns[r] - c->pin_ns[r]);
		}
		c->done = true;
	}
	if (vfio_edu_allow(&edu_io, ioasid_fd, pasid_bench, 0))
		die("IOASID_DEVICE_ALLOW: %s", strerror(errno));
	first_done = true;
}

static void print_first_allow(void)
{
	size_t i;

	printf("\n(e) First ALLOW of an IOASID holding N 4 KiB mappings (4k buffer), against\n"
	       "    MAPping the same N into an IOASID already ALLOWed; medians [min .. max] in us.\n"
	       "    replay = first ALLOW with N - first ALLOW with none; IOMMU part of MAP =\n"
	       "    N MAPs into the ALLOWed IOASID - N MAPs into one no device uses (pins only)\n");
	if (!first_done) {
		printf("    skipped\n");
		return;
	}
	printf("    %-28s | %-22s | %-22s | %-22s | %-22s | %s\n", "case",
	       "first ALLOW, N", "first ALLOW, none", "N MAPs, ALLOWed",
	       "N MAPs, pins only", "replay / IOMMU part (goal <= 1.2x)");
	for (i = 0; i < ARRAY_SIZE(first_cases); i++) {
		struct first_case *c = &first_cases[i];
		struct stat3 a, b, m, p, q;

		if (!c->done)
			continue;
		a = stats(c->first_ns, rounds);
		b = stats(c->empty_ns, rounds);
		m = stats(c->map_ns, rounds);
		p = stats(c->pin_ns, rounds);
		q = stats(c->ratio, rounds);
		printf("    %-28s | %8.1f [%.0f .. %.0f] | %8.1f [%.0f .. %.0f] | %8.1f [%.0f .. %.0f] | %8.1f [%.0f .. %.0f] | %.2fx [%.2f .. %.2f]\n",
		       c->name, a.med / 1e3, a.min / 1e3, a.max / 1e3,
		       b.med / 1e3, b.min / 1e3, b.max / 1e3,
		       m.med / 1e3, m.min / 1e3, m.max / 1e3,
		       p.med / 1e3, p.min / 1e3, p.max / 1e3,
		       q.med, q.min, q.max);
	}
}

/* ------------------------------------------------------------------------
 * (c) Evidence: page sizes and kernel call counts
 */

struct pgsize_use {
	unsigned long long bytes[64];	/* by log2(page size) */
	int lines;
};

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Sums the "mapping: ... pgsize 0x.. count .." lines of __iommu_map_pages() */
static void kmsg_pgsizes(int fd, struct pgsize_use *u)
{
	unsigned long long pgsize, count;
	char rec[1024], *p;
	ssize_t n;

	memset(u, 0, sizeof(*u));
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		p = strstr(rec, "pgsize 0x");
		if (!p || sscanf(p, "pgsize %llx count %llu", &pgsize, &count) != 2 ||
		    !pgsize)
			continue;
		u->bytes[__builtin_ctzll(pgsize)] += pgsize * count;
		u->lines++;
	}
}

static void print_pgsize_use(const char *what, const struct pgsize_use *u)
{
	int i;
	bool any = false;

	printf("      %-52s", what);
	for (i = 0; i < 64; i++) {
		if (!u->bytes[i])
			continue;
		printf(" %s in %s pages;", size_str(u->bytes[i]),
		       size_str(1ULL << i));
		any = true;
	}
	printf(any ? "\n" : " (no record)\n");
}

/* One MAP with __iommu_map_pages()'s dynamic debug on: the page sizes used */
static void evidence_map(int kfd, enum side_kind s, enum backing k,
			 unsigned long long len)
{
	struct pgsize_use u;
	char what[96];

	if (!bufs[k].ok || bufs[k].len < len)
		return;
	kmsg_pgsizes(kfd, &u);
	must_map(s, bufs[k].va, len, IOVA_BASE);
	kmsg_pgsizes(kfd, &u);
	must_unmap(s, len, IOVA_BASE);
	snprintf(what, sizeof(what), "%s MAP of %s of %s%s:", side_name[s],
		 size_str(len), backing_name[k],
		 s == S_IOASID ? " (device attached)" : "");
	print_pgsize_use(what, &u);
}

static void pgsize_evidence(void)
{
	struct vfio_iommu_type1_info t1 = { .argsz = sizeof(t1) };
	struct ioasid_device_info info;
	struct pgsize_use u;
	__u32 pasid;
	int kfd, rc;

	printf("\n(c) IOMMU page sizes\n");
	if (!ioctl(edu_t1.container, VFIO_IOMMU_GET_INFO, &t1))
		printf("    type1  VFIO_IOMMU_GET_INFO iova_pgsizes:          %#llx (%s)\n",
		       (unsigned long long)t1.iova_pgsizes,
		       pgsizes_str(t1.iova_pgsizes));
	memset(&t1, 0, sizeof(t1));
	t1.argsz = sizeof(t1);
	if (compat && !ioctl(edu_io.container, VFIO_IOMMU_GET_INFO, &t1))
		printf("    compat VFIO_IOMMU_GET_INFO iova_pgsizes:          %#llx (%s)\n",
		       (unsigned long long)t1.iova_pgsizes,
		       pgsizes_str(t1.iova_pgsizes));
	if (!compat && !vfio_edu_info(&edu_io, &info))
		printf("    ioasid IOASID_DEVICE_GET_INFO out_pgsize_bitmap: %#llx (%s)%s\n",
		       (unsigned long long)info.out_pgsize_bitmap,
		       pgsizes_str(info.out_pgsize_bitmap),
		       info.out_attach ? " (attached)" : "");

	kfd = kmsg_open();
	if (kfd < 0 || edu_sysfs_write(DYNDBG, "func __iommu_map_pages +p")) {
		printf("    page sizes used: no dynamic debug (%s)\n", DYNDBG);
		if (kfd >= 0)
			close(kfd);
		return;
	}
	printf("    page sizes the IOMMU core used (dynamic debug of __iommu_map_pages()):\n");
	evidence_map(kfd, S_TYPE1, B_4K, 64 * KiB);
	evidence_map(kfd, S_IOASID, B_4K, 64 * KiB);
	evidence_map(kfd, S_TYPE1, B_THP, 4 * MiB);
	evidence_map(kfd, S_IOASID, B_THP, 4 * MiB);
	evidence_map(kfd, S_TYPE1, B_HUGETLB, 4 * MiB);
	evidence_map(kfd, S_IOASID, B_HUGETLB, 4 * MiB);
	if (!compat && bufs[B_THP].ok && bufs[B_THP].len >= 4 * MiB) {
		void *va = bufs[B_THP].va;

		/* The replay of an ALLOW: mapped while detached, then attached */
		rc = edu_ioasid_alloc(ioasid_fd, &pasid);
		if (!rc)
			rc = edu_ioasid_map(ioasid_fd, pasid, va, 4 * MiB, IOVA_BASE);
		if (rc)
			die("IOASID_ALLOC/MAP: %s", strerror(-rc));
		vfio_edu_disallow(&edu_io, pasid_bench, 0);
		kmsg_pgsizes(kfd, &u);
		rc = vfio_edu_allow(&edu_io, ioasid_fd, pasid, 0);
		if (rc)
			die("IOASID_DEVICE_ALLOW: %s", strerror(-rc));
		kmsg_pgsizes(kfd, &u);
		print_pgsize_use("ioasid ALLOW replaying a 4 MiB thp mapping:", &u);
		if (!vfio_edu_info(&edu_io, &info))
			printf("      (out_pgsize_bitmap while attached: %#llx)\n",
			       (unsigned long long)info.out_pgsize_bitmap);
		vfio_edu_disallow(&edu_io, pasid, 0);
		edu_ioasid_destroy(ioasid_fd, pasid);
		rc = vfio_edu_allow(&edu_io, ioasid_fd, pasid_bench, 0);
		if (rc)
			die("IOASID_DEVICE_ALLOW: %s", strerror(-rc));
	}
	edu_sysfs_write(DYNDBG, "func __iommu_map_pages -p");
	close(kfd);
}

/*
 * Where the time goes, with the ftrace function_graph tracer filtered to a
 * few functions: how often each runs and how long it takes (its callees
 * included), per MAP, UNMAP, ALLOW and DISALLOW.  The tracer adds its own
 * overhead to every traced call (a few us under TCG), so the times are
 * inflated, most for functions called once per page; the counts are exact.
 */
static const char *const traced[] = {
	"vfio_device_fops_unl_ioctl",	/* a whole VFIO device fd ioctl */
	"ioasidfd_vfio_device_owned",	/* ALLOW: is the group in our container */
	"ioasidfd_ctx_fdget",		/* ALLOW: the /dev/ioasid fd */
	"vfio_pin_pages_remote",	/* type1: GUP + accounting, per run */
	"pin_user_pages_remote",	/* type1: GUP, 512 pages a call */
	"pin_user_pages_fast",		/* ioasid: GUP, 1024 pages a call */
	"vfio_lock_acct",		/* type1: accounting */
	"__account_locked_vm",		/* RLIMIT_MEMLOCK, under the mmap lock */
	"ioasidfd_iopt_usable",		/* ioasid MAP: usable IOVA ranges */
	"iommu_map",			/* type1: one per contiguous run */
	"iommu_map_sg",			/* ioasid: one per 8192 pages */
	"__iommu_map",			/* both: one per contiguous run */
	"iommu_unmap",			/* ioasid: one per mapping */
	"iommu_unmap_fast",		/* type1: one per contiguous run */
	"iommu_iova_to_phys",		/* type1 UNMAP: one per page */
	"qi_submit_sync",		/* VT-d: queued invalidation + wait */
	"unpin_user_pages_dirty_lock",	/* type1: per page; ioasid: per mapping */
	"kmalloc_trace",		/* kzalloc() of a fixed-size object */
	"iommu_domain_alloc",		/* ALLOW: a new domain */
	"ioasidfd_iopt_fill_hwpt",	/* ALLOW: replay of the mappings */
	"iommu_attach_group",
	"iommu_detach_group",		/* DISALLOW: back to the blocking domain */
	"iommu_domain_free",
};

#define NR_TRACED	ARRAY_SIZE(traced)

struct fstat {
	long calls;
	double us;
};

static char tracefs[64];
static bool trace_dump;		/* MAP_BENCH_TRACE_DUMP=1: raw trace to stderr */

static int tr_write(const char *file, const char *val, bool append)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tracefs, file);
	fd = open(path, O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -errno;
}

static bool tracing_setup(bool *have)
{
	char path[128];
	unsigned int i;
	bool any = false;

	if (!access("/sys/kernel/tracing/trace", F_OK) ||
	    !mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		snprintf(tracefs, sizeof(tracefs), "/sys/kernel/tracing");
	else if (!access("/sys/kernel/debug/tracing/trace", F_OK))
		snprintf(tracefs, sizeof(tracefs), "/sys/kernel/debug/tracing");
	else
		return false;
	snprintf(path, sizeof(path), "%s/trace", tracefs);
	if (access(path, W_OK))
		return false;
	tr_write("tracing_on", "0", false);
	tr_write("current_tracer", "nop", false);
	tr_write("set_ftrace_filter", "", false);
	tr_write("buffer_size_kb", "32768", false);
	for (i = 0; i < NR_TRACED; i++) {
		have[i] = !tr_write("set_ftrace_filter", traced[i], true);
		any |= have[i];
	}
	if (!any)
		return false;
	tr_write("options/funcgraph-tail", "1", false);
	tr_write("options/funcgraph-irqs", "0", false);
	tr_write("options/funcgraph-proc", "0", false);
	if (tr_write("current_tracer", "function_graph", false))
		return false;
	tr_write("trace", "", false);
	return true;
}

static void tracing_teardown(void)
{
	tr_write("tracing_on", "0", false);
	tr_write("current_tracer", "nop", false);
	tr_write("set_ftrace_filter", "", false);
	tr_write("trace", "", false);
	tr_write("options/funcgraph-tail", "0", false);
	tr_write("options/funcgraph-irqs", "1", false);
	tr_write("buffer_size_kb", "1408", false);
}

static int traced_index(const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < NR_TRACED; i++)
		if (strlen(traced[i]) == len && !strncmp(name, traced[i], len))
			return i;
	return -1;
}

/* Events lost in the ring buffer since the last clear, all CPUs */
static long trace_lost(void)
{
	char path[160], line[128];
	long lost = 0, v;
	int cpu;
	FILE *f;

	for (cpu = 0; cpu < 256; cpu++) {
		snprintf(path, sizeof(path), "%s/per_cpu/cpu%d/stats", tracefs, cpu);
		f = fopen(path, "re");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "overrun: %ld", &v) == 1 ||
			    sscanf(line, "dropped events: %ld", &v) == 1)
				lost += v;
		fclose(f);
	}
	return lost;
}

/*
 * Parses function_graph output: "CPU) DURATION us | name();" for a leaf,
 * "CPU) | name() {" on entry, "CPU) DURATION us | } /+ name +/" on exit
 * (funcgraph-tail; "+/" stands for the end of a C comment here).  Module
 * functions read "name [module]".  Adds calls and time per traced function,
 * then clears the buffer.
 */
static bool trace_collect(struct fstat *out)
{
	char path[128], line[512], *bar, *p, *q, *e;
	double dur;
	bool ok;
	FILE *f;
	int i;

	memset(out, 0, NR_TRACED * sizeof(*out));
	snprintf(path, sizeof(path), "%s/trace", tracefs);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (trace_dump)
			fputs(line, stderr);
		if (line[0] == '#')
			continue;
		bar = strchr(line, '|');
		if (!bar)
			continue;
		*bar = 0;
		dur = 0;
		p = strstr(line, " us");
		if (p) {
			for (q = p; q > line && ((q[-1] >= '0' && q[-1] <= '9') ||
						 q[-1] == '.'); q--)
				;
			dur = strtod(q, NULL);
		}
		for (p = bar + 1; *p == ' '; p++)
			;
		p[strcspn(p, "\n")] = 0;
		if (*p == '}') {
			/* "} /+ name +/", or "} /+ name [module] +/" */
			q = strstr(p, "/* ");
			if (!q)
				continue;
			i = traced_index(q + 3, strcspn(q + 3, " "));
			if (i >= 0)
				out[i].us += dur;
			continue;
		}
		/* "name();", "name() {", or with " [module]" before the "(" */
		e = strchr(p, '(');
		if (!e)
			continue;
		i = traced_index(p, strcspn(p, " ("));
		if (i < 0)
			continue;
		out[i].calls++;
		if (strstr(e, ");"))
			out[i].us += dur;	/* a leaf: no exit line */
	}
	fclose(f);
	ok = !trace_lost();
	tr_write("trace", "", false);
	return ok;
}

enum { OP_MAP, OP_UNMAP, OP_ALLOW, OP_DISALLOW, OP_NULL };

/* Runs one operation with tracing on; returns its wall time in us */
static double traced_op(int op, enum side_kind s, void *va,
			unsigned long long len, __u32 pasid, struct fstat *out,
			bool *ok)
{
	double t0, t;
	int rc = 0, arg = 0;

	tr_write("tracing_on", "1", false);
	t0 = now_ns();
	switch (op) {
	case OP_MAP:
		rc = side_map(s, va, len, IOVA_BASE);
		break;
	case OP_UNMAP:
		rc = side_unmap(s, len, IOVA_BASE);
		break;
	case OP_ALLOW:
		rc = vfio_edu_allow(&edu_io, ioasid_fd, pasid, 0);
		break;
	case OP_DISALLOW:
		rc = vfio_edu_disallow(&edu_io, pasid, 0);
		break;
	case OP_NULL:
		rc = ioctl(edu_io.device, DEV_NULL_IOCTL, &arg) ? -errno : -EIO;
		rc = rc == -ENOTTY ? 0 : rc;
		break;
	}
	t = (now_ns() - t0) / 1e3;
	tr_write("tracing_on", "0", false);
	if (rc)
		die("traced operation %d: %s", op, strerror(-rc));
	*ok &= trace_collect(out);
	return t;
}

#define MAX_COLS	7
#define TRACE_REPS	5

/* A column: one operation traced TRACE_REPS times; medians per function */
struct trace_col {
	const char *name;
	int reps;
	struct fstat f[TRACE_REPS][NR_TRACED];
	double wall_us[TRACE_REPS];
};

struct trace_table {
	const char *title;
	struct trace_col col[MAX_COLS];
	int ncols;
	bool done;
};

static double median_of(double *v, int n)
{
	return stats(v, n).med;
}

static void print_trace_table(struct trace_table *t, const bool *have,
			      bool in_ms)
{
	double scale = in_ms ? 1e3 : 1, v[TRACE_REPS];
	unsigned int i;
	int c, r;

	if (!t->done)
		return;
	printf("    %s: calls, total %s (medians of %d)\n", t->title,
	       in_ms ? "ms" : "us", t->col[0].reps);
	printf("      %-34s", "function");
	for (c = 0; c < t->ncols; c++)
		printf(" | %16s", t->col[c].name);
	printf("\n");
	for (i = 0; i < NR_TRACED; i++) {
		long any = 0;

		for (c = 0; c < t->ncols; c++)
			any += t->col[c].f[0][i].calls;
		if (!have[i] || !any)
			continue;
		printf("      %-34s", traced[i]);
		for (c = 0; c < t->ncols; c++) {
			struct trace_col *tc = &t->col[c];
			double calls;

			for (r = 0; r < tc->reps; r++)
				v[r] = tc->f[r][i].calls;
			calls = median_of(v, tc->reps);
			for (r = 0; r < tc->reps; r++)
				v[r] = tc->f[r][i].us;
			printf(" | %6.0f %9.*f", calls, in_ms ? 2 : 0,
			       median_of(v, tc->reps) / scale);
		}
		printf("\n");
	}
	printf("      %-34s", "(the ioctl, wall time, traced)");
	for (c = 0; c < t->ncols; c++)
		printf(" | %6s %9.*f", "", in_ms ? 2 : 0,
		       median_of(t->col[c].wall_us, t->col[c].reps) / scale);
	printf("\n");
}

static struct trace_col *new_col(struct trace_table *t, const char *name)
{
	struct trace_col *c = &t->col[t->ncols++];

	c->name = name;
	c->reps = 0;
	return c;
}

static void trace_map_case(struct trace_table *t, enum backing k,
			   unsigned long long len, int reps, bool *ok)
{
	static const char *const names[NR_SIDES][2] = {
		[S_TYPE1] = { "type1 MAP", "type1 UNMAP" },
		[S_IOASID] = { "ioasid MAP", "ioasid UNMAP" },
		[S_PIN] = { "pin-only MAP", "pin-only UNMAP" },
	};
	struct buf *b = &bufs[k];
	struct trace_col *m, *u;
	double x, y;
	int s, r;

	if (!b->ok || b->len < len)
		return;
	for (s = 0; s < NR_SIDES; s++) {
		/* Untraced first: the same page-table state as in the timings */
		time_side(s, b->va, len, 1, &x, &y);
		m = new_col(t, names[s][0]);
		u = new_col(t, names[s][1]);
		for (r = 0; r < reps; r++) {
			m->wall_us[r] = traced_op(OP_MAP, s, b->va, len, 0,
						  m->f[r], ok);
			m->reps++;
			u->wall_us[r] = traced_op(OP_UNMAP, s, b->va, len, 0,
						  u->f[r], ok);
			u->reps++;
		}
	}
	t->done = true;
}

static void trace_allow_pairs(struct trace_table *t, __u32 pasid,
			      const char *allow, const char *disallow, bool *ok)
{
	struct trace_col *a = new_col(t, allow), *d = new_col(t, disallow);
	double x, y;
	int r;

	/* Untraced first: code paths run once with the tracer's hooks in */
	time_pairs(pasid, 2, &x, &y);
	for (r = 0; r < TRACE_REPS; r++) {
		a->wall_us[r] = traced_op(OP_ALLOW, 0, NULL, 0, pasid, a->f[r], ok);
		a->reps++;
		d->wall_us[r] = traced_op(OP_DISALLOW, 0, NULL, 0, pasid, d->f[r], ok);
		d->reps++;
	}
}

static void trace_allow_case(struct trace_table *t, bool *ok)
{
	__u32 pasid_empty, pasid_many, pasid_thp = 0;
	struct trace_col *c;
	int rc, r, i;

	rc = vfio_edu_disallow(&edu_io, pasid_bench, 0);
	if (!rc)
		rc = edu_ioasid_alloc(ioasid_fd, &pasid_empty);
	if (!rc)
		rc = edu_ioasid_alloc(ioasid_fd, &pasid_many);
	for (i = 0; i < 64 && !rc; i++)
		rc = edu_ioasid_map(ioasid_fd, pasid_many,
				    bufs[B_4K].va + i * 64 * KiB, 64 * KiB,
				    IOVA_BASE + i * 128 * KiB);
	if (rc)
		die("DISALLOW/ALLOC/MAP: %s", strerror(-rc));
	if (bufs[B_THP].ok && bufs[B_THP].len >= 16 * MiB) {
		rc = edu_ioasid_alloc(ioasid_fd, &pasid_thp);
		if (!rc)
			rc = edu_ioasid_map(ioasid_fd, pasid_thp, bufs[B_THP].va,
					    16 * MiB, IOVA_BASE);
		if (rc)
			die("ALLOC/MAP: %s", strerror(-rc));
	}

	time_dev_null(10);
	c = new_col(t, "device null");
	for (r = 0; r < TRACE_REPS; r++) {
		c->wall_us[r] = traced_op(OP_NULL, 0, NULL, 0, 0, c->f[r], ok);
		c->reps++;
	}
	trace_allow_pairs(t, pasid_empty, "ALLOW (empty)", "DISALLOW (empty)", ok);
	trace_allow_pairs(t, pasid_many, "ALLOW (64 maps)", "DISALLOW (64)", ok);
	edu_ioasid_destroy(ioasid_fd, pasid_many);
	if (pasid_thp) {
		trace_allow_pairs(t, pasid_thp, "ALLOW (16M thp)", "DISALLOW (16M)",
				  ok);
		edu_ioasid_destroy(ioasid_fd, pasid_thp);
	}
	t->done = true;
	edu_ioasid_destroy(ioasid_fd, pasid_empty);
	rc = vfio_edu_allow(&edu_io, ioasid_fd, pasid_bench, 0);
	if (rc)
		die("IOASID_DEVICE_ALLOW: %s", strerror(-rc));
}

static struct trace_table trace_tables[3] = {
	{ .title = "16 MiB of 4k" },
	{ .title = "16 MiB of thp" },
	{ .title = "ALLOW / DISALLOW at RID" },
};

static void trace_counts(void)
{
	bool have[NR_TRACED], ok = true;
	unsigned int i;

	printf("\n(d) Where the time goes: ftrace function_graph, one operation each\n");
	if (!do_trace) {
		printf("    skipped (-T)\n");
		return;
	}
	trace_dump = getenv("MAP_BENCH_TRACE_DUMP");
	if (!tracing_setup(have)) {
		printf("    skipped: no usable tracefs or function_graph tracer\n");
		tracing_teardown();
		return;
	}
	trace_map_case(&trace_tables[0], B_4K, 16 * MiB, 3, &ok);
	trace_map_case(&trace_tables[1], B_THP, 16 * MiB, 3, &ok);
	if (!compat)
		trace_allow_case(&trace_tables[2], &ok);
	tracing_teardown();

	printf("    Call counts are exact.  Times include the traced callees and the\n"
	       "    tracer's own cost, a few us per traced call under TCG, which a\n"
	       "    parent also pays for each traced callee: orders of magnitude only.\n");
	print_trace_table(&trace_tables[0], have, true);
	printf("      (%llu physically contiguous runs)\n",
	       phys_runs(&bufs[B_4K], 16 * MiB));
	print_trace_table(&trace_tables[1], have, true);
	print_trace_table(&trace_tables[2], have, false);
	printf("    not traceable here:");
	for (i = 0; i < NR_TRACED; i++)
		if (!have[i])
			printf(" %s", traced[i]);
	printf("\n%s", ok ? "" : "    WARNING: the trace buffer overflowed, counts are low\n");
}

/* ------------------------------------------------------------------------
 * Summary
 */

/*
 * The goal holds if the median ratio reaches it at every measured size of
 * at least @min_size.
 */
static void goal_line(enum backing k, double goal, unsigned long long min_size)
{
	const char *what = k == B_4K ? "4 KiB-backed" : "THP-backed";
	double worst = 1e30, best = 0;
	int si, worst_si = -1;

	if (!bufs[k].ok) {
		printf("%s: not measured (%s), goal >= %.1fx type1\n", what,
		       bufs[k].why, goal);
		return;
	}
	for (si = 0; si < nr_sizes; si++) {
		double m;

		if (!results[k][si].done || sizes[si] < min_size)
			continue;
		m = stats(results[k][si].ratio, rounds).med;
		if (m < worst) {
			worst = m;
			worst_si = si;
		}
		if (m > best)
			best = m;
	}
	if (worst_si < 0)
		return;
	printf("%s%s: %.2fx type1 at worst (%s), %.2fx at best", what,
	       min_size ? ", sizes >= 2 MiB only" : "", worst,
	       size_str(sizes[worst_si]), best);
	printf(" (goal >= %.1fx%s): %s\n", goal,
	       min_size ? "" : " at every size",
	       worst >= goal ? "met" : "MISSED");
}

static void summary(void)
{
	struct stat3 s;
	int i;

	printf("\nSummary (medians over %d rounds)\n", rounds);
	goal_line(B_4K, 1.5, 0);
	goal_line(B_THP, 3.0, 0);
	/* Below 2 MiB, THP gives the IOMMU nothing a contiguous run does not */
	goal_line(B_THP, 3.0, HPAGE);
	if (!allow_done)
		return;
	for (i = 0; i < NR_ALLOW_CASES; i++) {
		if (!allow_cases[i].calls)
			continue;
		s = stats(allow_cases[i].ratio, rounds);
		printf("ALLOW+DISALLOW, %s: %.2fx a device null ioctl (goal <= 3x): %s\n",
		       allow_cases[i].name, s.med, s.med <= 3.0 ? "met" : "MISSED");
	}
}

/* ------------------------------------------------------------------------
 * main
 */

static void print_setup(void)
{
	char thp[128] = "?", cap[64] = "", path[128];
	struct utsname u;
	unsigned long long c;

	uname(&u);
	read_str(THP_ENABLED, thp, sizeof(thp));
	printf("map_bench: Linux %s %s, %ld CPUs, MemTotal %ld MiB, THP %s,\n",
	       u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN),
	       meminfo_kb("MemTotal") / 1024, thp);
	printf("  hugetlb 2 MiB pages: %ld (%ld free)\n", read_long(NR_HUGEPAGES),
	       read_long(FREE_HUGEPAGES));
	snprintf(path, sizeof(path), "/sys/class/iommu/dmar0/intel-iommu/cap");
	if (!read_str(path, cap, sizeof(cap))) {
		c = strtoull(cap, NULL, 16);
		printf("  IOMMU: VT-d dmar0, cap %s: caching mode %s, 2M/1G superpages %s/%s\n",
		       cap, c >> 7 & 1 ? "on" : "off", c >> 34 & 1 ? "yes" : "no",
		       c >> 35 & 1 ? "yes" : "no");
	}
	if (compat)
		printf("  -C: type1: %s (%s, group %d, vfio_iommu_type1); \"ioasid\" columns: %s\n"
		       "  (%s, group %d), the same VFIO_IOMMU_MAP_DMA/UNMAP_DMA on a\n"
		       "  VFIO_TYPE1v2_IOMMU container served by ioasidfd_vfio's type1_compat mode\n",
		       edu_t1.bdf, EDU_DRIVER_VFIO, edu_t1.group_id, edu_io.bdf,
		       EDU_DRIVER_VFIO, edu_io.group_id);
	else
		printf("  type1: %s (%s, group %d); ioasid: %s (%s, group %d, IOASID %u at RID)\n",
		       edu_t1.bdf, EDU_DRIVER_VFIO, edu_t1.group_id, edu_io.bdf,
		       EDU_DRIVER_IOASID, edu_io.group_id, pasid_bench);
	printf("  %d rounds, type1 and ioasid alternating who goes first; each timing is\n"
	       "  REPS x (MAP, UNMAP) with REPS = max(1, %s / size), all at IOVA %#llx;\n"
	       "  figures are medians over the rounds [min .. max]\n", rounds,
	       size_str(target_bytes), IOVA_BASE);
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-r ROUNDS] [-b BYTES] [-s SIZE,...] [-B BACKING,...] [-A] [-T] [-C]\n"
		"  -r  rounds, at least 5 (default 11)\n"
		"  -b  bytes mapped per timing: REPS = max(1, BYTES / size) (default 256M)\n"
		"  -s  sizes, with K/M suffixes (default 64K,256K,1M,2M,4M,16M,64M,256M)\n"
		"  -B  backings among 4k,thp,hugetlb (default all)\n"
		"  -A  skip the ALLOW+DISALLOW part\n"
		"  -T  skip the ftrace call counts\n"
		"  -C  compat: the \"ioasid\" side is type1's API too, on a container\n"
		"      served by ioasidfd_vfio's type1_compat mode (implies -A)\n",
		prog);
	exit(2);
}

static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*end == 'K' || *end == 'k')
		v *= KiB;
	else if (*end == 'M' || *end == 'm')
		v *= MiB;
	else if (*end == 'G' || *end == 'g')
		v *= 1024 * MiB;
	return v;
}

int main(int argc, char **argv)
{
	bool want[NR_BACKINGS] = { true, true, true }, do_allow = true;
	unsigned long long max_len = 0;
	char *tok, *save;
	int kmsg_fd;
	char first[512];
	int opt, k, si, splats;
	double t0 = now_ns();

	while ((opt = getopt(argc, argv, "r:b:s:B:ATCh")) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'b':
			target_bytes = parse_size(optarg);
			break;
		case 's':
			nr_sizes = 0;
			for (tok = strtok_r(optarg, ",", &save); tok && nr_sizes < MAX_SIZES;
			     tok = strtok_r(NULL, ",", &save))
				sizes[nr_sizes++] = parse_size(tok);
			break;
		case 'B':
			memset(want, 0, sizeof(want));
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				for (k = 0; k < NR_BACKINGS; k++)
					if (!strcmp(tok, backing_name[k]))
						want[k] = true;
			break;
		case 'A':
			do_allow = false;
			break;
		case 'T':
			do_trace = false;
			break;
		case 'C':
			compat = true;
			do_allow = false;
			side_name[S_IOASID] = "compat";
			break;
		default:
			usage(argv[0]);
		}
	}
	if (rounds < 5 || rounds > MAX_ROUNDS || !nr_sizes || !target_bytes)
		usage(argv[0]);
	for (si = 0; si < nr_sizes; si++) {
		if (!sizes[si] || sizes[si] % PAGE)
			usage(argv[0]);
		if (sizes[si] > max_len)
			max_len = sizes[si];
	}
	if (max_len < 16 * MiB)
		max_len = 16 * MiB;	/* the ALLOW and trace parts use 16 MiB */
	setvbuf(stdout, NULL, _IOLBF, 0);
	kmsg_fd = kmsg_watch_begin();

	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setup_sides();
	print_setup();

	/* Huge pages first, while physical memory is least fragmented. */
	buf_alloc(&bufs[B_THP], B_THP, max_len);
	if (want[B_HUGETLB])
		buf_alloc(&bufs[B_HUGETLB], B_HUGETLB, max_len);
	else
		snprintf(bufs[B_HUGETLB].why, sizeof(bufs[0].why), "not asked for (-B)");
	buf_alloc(&bufs[B_4K], B_4K, max_len);
	if (!bufs[B_4K].ok)
		die("4 KiB-backed buffer: %s", bufs[B_4K].why);

	dma_check(S_TYPE1, &edu_t1, &bufs[B_4K]);
	dma_check(S_IOASID, &edu_io, &bufs[B_4K]);
	printf("  DMA check: an edu DMA round trip through each side's mapping: ok\n");

	for (k = 0; k < NR_BACKINGS; k++) {
		if (!want[k] || !bufs[k].ok)
			continue;
		for (si = 0; si < nr_sizes; si++)
			bench_size(&bufs[k], si);
	}
	for (k = 0; k < NR_BACKINGS; k++)
		if (want[k]) {
			print_throughput(k);
			print_unmap_per_page(k);
		}

	if (do_allow)
		bench_allow();
	print_allow();
	if (allow_done) {
		int rc = vfio_edu_allow(&edu_io, ioasid_fd, pasid_bench, 0);

		if (rc)
			die("IOASID_DEVICE_ALLOW: %s", strerror(-rc));
		bench_first_allow();
	}
	print_first_allow();

	pgsize_evidence();
	trace_counts();

	for (k = 0; k < NR_BACKINGS; k++)
		if (want[k])
			print_raw(k);

	summary();

	splats = kmsg_problems(kmsg_fd, first, sizeof(first));
	if (splats > 0)
		printf("\nWARNING: %d kernel problem report(s) during the run, first: %s\n",
		       splats, first);
	printf("\nmap_bench: done in %.0f s\n", (now_ns() - t0) / 1e9);

	for (k = 0; k < NR_BACKINGS; k++)
		buf_free(&bufs[k]);
	return 0;
}
