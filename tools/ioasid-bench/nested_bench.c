// SPDX-License-Identifier: GPL-2.0
/*
 * nested_bench: costs of nested IOASIDs, on the software walker and on the
 * real IOMMU by shadow paging.
 *
 * Build (static, into build/<amd64|arm64>/tools/nested_bench):
 *
 *   make -C tools/ioasid-bench              # amd64
 *
 * Run as root in the amd64 (VT-d) test-bed guest, with 2 GiB:
 *
 *   scripts/vm run --arch amd64 --mem 2048 -- build/amd64/tools/nested_bench
 *
 * or scripts/bench --only nested_bench.  A measurement, not a test: it
 * prints the figures next to the goals and judges nothing.
 *
 * The guest structures (VT-d PASID entry and first-stage tables, SMMUv3
 * STE, CD and stage-1 tables, invalidation descriptors and commands) come
 * from the selftests' nested_pt.h; guest memory is mapped into a parent
 * IOASID at IOVA = GPA.
 *
 * (a) issue 9, the software walker: software devices (/dev/ioasid-test)
 *     doing IOASID_TEST_DMA reads through a nested IOASID allowed at RID,
 *     for VT-d 4-level and 5-level first-stage tables and SMMUv3 4 KiB
 *     granule tables, 4 KiB and 2 MiB leaves:
 *       stream  one DMA of 4 MiB (1024 pages) per call: ns per page;
 *       sparse  DMAs of 64 bytes, one per leaf (256 leaves): ns per DMA;
 *     each as an IOTLB hit (translations cached by an earlier pass), a
 *     miss (everything invalidated before each call, untimed) and the
 *     same DMA through a plain IOVA IOASID of the same memory at a PASID
 *     of the same device (stage 2 only: the reference).  Walk cost =
 *     miss - hit, per round.  The nested IOASID's IOTLB counters are
 *     checked to have hit or missed as meant.
 *     Then the invalidation cost: IOASID_NESTED_INVALIDATE of N
 *     page-selective entries (P_IOTLB / TLBI_NH_VA) against a null ioctl
 *     on /dev/ioasid, with the IOTLB empty and full (4096 entries, the
 *     entries invalidating pages that are not cached so it stays full):
 *     (call - null) / N per entry.
 * (b) issue 10, shadow paging: an edu device (ioasidfd-vfio-pci, kernel
 *     IOMMU API executor) allowed at RID; only the ioctl is timed:
 *     (b1) a guest invalidation that changes N pages: N 4 KiB PTEs
 *          rewritten to other pages, then one range invalidation of them
 *          (P_IOTLB AM=log2 N / a range TLBI) and a sync; against a plain
 *          IOASID_UNMAP + IOASID_MAP of the same N pages on an IOVA IOASID
 *          with the same edu device attached (the device is moved between
 *          the two before each timing, untimed: both keep their page
 *          tables).  Two guest layouts: contiguous (GVA page i on GPA page
 *          i or i + 1: the shadow merges them in runs of up to 512) and
 *          scattered (GVA page i on page 3i or 3i + 3 mod M: one run per
 *          page).  Goal: <= 2x.
 *     (b2) shadow build at ALLOW: the first ALLOW of a nested IOASID whose
 *          stage 1 maps M bytes (4 KiB or 2 MiB leaves over 4 KiB- or
 *          THP-backed stage 2), against the ALLOW of an IOVA IOASID with
 *          the same M bytes mapped (its replay); per GiB.
 *     (b3) stage-2 UNMAP of one mapping of S bytes when its IOASID is the
 *          parent of a nested IOASID whose shadow maps all of it (the edu
 *          device on the child), against the UNMAP of the same mapping on
 *          an IOVA IOASID the device is attached to.
 *
 * Rounds alternate which side goes first; figures are medians over the
 * rounds [min .. max], ratios are computed per round.  The program leaves
 * the edu device unbound, driver_override cleared.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#define BENCH_NAME	"nested_bench"
#include "bench.h"
#include "vfio_edu.h"
#include "nested_pt.h"

#define KiB		1024ULL
#define MiB		(1024 * KiB)
#define GiB		(1024 * MiB)
#define PAGE		4096ULL

#define IOASID_NULL_IOCTL	_IO(IOASID_TYPE, 0x3f)

#define DID		5
#define ASID		1
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

static int rounds = 5;
static int ioasid_fd = -1;

/* ------------------------------------------------------------------------
 * Small helpers
 */

static void must(int rc, const char *what)
{
	if (rc)
		die("%s: %s", what, strerror(rc < 0 ? -rc : rc));
}

static uint32_t alloc_ioasid(void)
{
	uint32_t p = 0;

	must(edu_ioasid_alloc(ioasid_fd, &p), "IOASID_ALLOC");
	return p;
}

static void destroy_ioasid(uint32_t p)
{
	must(edu_ioasid_destroy(ioasid_fd, p), "IOASID_DESTROY");
}

static int map_rw(uint32_t pasid, void *va, uint64_t len, uint64_t iova)
{
	return edu_ioasid_map(ioasid_fd, pasid, va, len, iova);
}

static const char *size_str(unsigned long long b)
{
	static char bufs[8][32];
	static int i;
	char *s = bufs[i++ % 8];

	if (b >= GiB && !(b % GiB))
		snprintf(s, 32, "%llu GiB", b / GiB);
	else if (b >= MiB && !(b % MiB))
		snprintf(s, 32, "%llu MiB", b / MiB);
	else if (b >= KiB && !(b % KiB))
		snprintf(s, 32, "%llu KiB", b / KiB);
	else
		snprintf(s, 32, "%llu B", b);
	return s;
}

static struct ioasid_info_cap_nested_ioas nested_info(uint32_t pasid)
{
	struct ioasid_info_cap_nested_ioas c;

	must(nested_ioas_cap(ioasid_fd, pasid, &c), "GET_INFO nested");
	return c;
}

/* "med [min .. max]" of @v, scaled by @k, into a static buffer */
static const char *fmt3(const double *v, double k, const char *f)
{
	static char bufs[16][80];
	static int i;
	char *s = bufs[i++ % 16], a[24], b[24], c[24];
	struct stat3 st = stats(v, rounds);

	snprintf(a, sizeof(a), f, st.med * k);
	snprintf(b, sizeof(b), f, st.min * k);
	snprintf(c, sizeof(c), f, st.max * k);
	snprintf(s, 80, "%s [%s .. %s]", a, b, c);
	return s;
}

/* ------------------------------------------------------------------------
 * Guest memory: 4 KiB pages (the default of transparent_hugepage=madvise)
 * or THP (2 MiB aligned, MADV_HUGEPAGE), zeroed and faulted in
 */

struct gbuf {
	struct gmem g;
	void *base;
	size_t base_len;
	long thp_kb;
	uint64_t phys_runs;	/* physically contiguous runs of 4 KiB pages */
};

static unsigned int rnd_state = 20240601;

static unsigned int rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Physically contiguous runs in [@va, @va + @len) (root: PFNs visible) */
static uint64_t count_phys_runs(const void *va, uint64_t len)
{
	uint64_t n = len / PAGE, i, runs = 0, prev = 0, *pfn;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	pfn = malloc(n * sizeof(*pfn));
	if (fd < 0 || !pfn)
		die("pagemap: %s", strerror(errno));
	if (pread(fd, pfn, n * sizeof(*pfn), (uintptr_t)va / PAGE * sizeof(*pfn)) !=
	    (ssize_t)(n * sizeof(*pfn)))
		die("pagemap: short read");
	close(fd);
	for (i = 0; i < n; i++) {
		uint64_t p = pfn[i] & ((1ULL << 55) - 1);

		if (!(pfn[i] >> 63) || !p)
			die("pagemap: page %llu not present or PFN hidden",
			    (unsigned long long)i);
		runs += !i || p != prev + 1;
		prev = p;
	}
	free(pfn);
	return runs;
}

static long smaps_thp_kb(const void *va)
{
	unsigned long lo, hi, at = (uintptr_t)va;
	char line[512];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		int n = 0;

		if (sscanf(line, "%lx-%lx %n", &lo, &hi, &n) == 2 && n) {
			in = at >= lo && at < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static void gbuf_init(struct gbuf *b, uint64_t gpa, uint64_t size,
		      uint64_t alloc_size, bool thp)
{
	uint8_t *p, *al;

	memset(b, 0, sizeof(*b));
	b->base_len = size + NPT_2M;
	p = mmap(NULL, b->base_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		die("mmap of %s: %s", size_str(size), strerror(errno));
	b->base = p;
	al = (uint8_t *)(((uintptr_t)p + NPT_2M - 1) & ~(uintptr_t)(NPT_2M - 1));
	if (madvise(p, b->base_len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("madvise: %s", strerror(errno));
	if (!thp) {
		/* first touched in a shuffled order: physically scattered */
		uint64_t n = size / PAGE, i, j;
		uint32_t *order = malloc(n * sizeof(*order)), t;

		if (!order)
			die("out of memory");
		for (i = 0; i < n; i++)
			order[i] = i;
		for (i = n - 1; i > 0; i--) {
			j = rnd() % (i + 1);
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (i = 0; i < n; i++)
			al[(uint64_t)order[i] * PAGE] = 0;
		free(order);
	}
	memset(al, 0, size);
	b->phys_runs = count_phys_runs(al, size);
	b->g.host = al;
	b->g.gpa = gpa;
	b->g.size = size;
	b->g.limit = alloc_size;
	b->thp_kb = smaps_thp_kb(al);
}

static void gbuf_free(struct gbuf *b)
{
	if (b->base)
		munmap(b->base, b->base_len);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------------------
 * A guest stage 1, either format
 */

enum fmt { F_VTD4, F_VTD5, F_SMMU, NR_FMTS };

static const char *const fmt_name[NR_FMTS] = {
	[F_VTD4] = "VT-d 4-level", [F_VTD5] = "VT-d 5-level",
	[F_SMMU] = "SMMUv3 4K granule",
};

static const char *const fmt_short[NR_FMTS] = {
	[F_VTD4] = "vtd4", [F_VTD5] = "vtd5", [F_SMMU] = "smmu",
};

struct guest {
	enum fmt fmt;
	struct gmem *g;
	uint32_t parent, nested;
	struct vtd_fs fs;
	struct vtd_pe_cfg pe;
	struct smmu_cdtab cdt;
	struct arm_s1 s1;
	struct smmu_cd_cfg cd;
	struct smmu_ste_cfg ste;
};

static bool gvtd(const struct guest *gu)
{
	return gu->fmt != F_SMMU;
}

/* Tables from @g's allocator; nothing bound yet */
static void guest_init(struct guest *gu, enum fmt fmt, struct gmem *g,
		       uint32_t parent)
{
	memset(gu, 0, sizeof(*gu));
	gu->fmt = fmt;
	gu->g = g;
	gu->parent = parent;
	if (gvtd(gu)) {
		if (vtd_fs_init(&gu->fs, g, fmt == F_VTD5 ? 5 : 4))
			die("guest memory: no room for a root table");
		gu->pe.p = true;
		gu->pe.pgtt = VTD_PGTT_FS;
		gu->pe.did = DID;
		gu->pe.fspm = fmt == F_VTD5 ? VTD_FSPM_5LVL : VTD_FSPM_4LVL;
		gu->pe.fsptptr = gu->fs.root;
		return;
	}
	if (smmu_cdtab_init(&gu->cdt, g, SMMU_S1FMT_LINEAR, 0) ||
	    arm_s1_init(&gu->s1, g, 0x1000, 16))
		die("guest memory: no room for a CD and a root table");
	gu->cd.t0sz = 16;
	gu->cd.tg0 = SMMU_TG0_4K;
	gu->cd.ir0 = SMMU_CACHE_WBRA;
	gu->cd.or0 = SMMU_CACHE_WBRA;
	gu->cd.sh0 = SMMU_SH_ISH;
	gu->cd.epd1 = true;
	gu->cd.v = true;
	gu->cd.ips = smmu_ips_of(48);
	gu->cd.aa64 = true;
	gu->cd.r = true;
	gu->cd.a = true;
	gu->cd.aset = true;
	gu->cd.asid = ASID;
	gu->cd.ttb0 = gu->s1.root;
	gu->cd.mair = 0xff;
	gu->ste.v = true;
	gu->ste.config = SMMU_CONFIG_S1;
	gu->ste.s1fmt = SMMU_S1FMT_LINEAR;
	gu->ste.s1ctxptr = gu->cdt.base;
	gu->ste.s1cir = SMMU_CACHE_WBRA;
	gu->ste.s1cor = SMMU_CACHE_WBRA;
	gu->ste.s1csh = SMMU_SH_ISH;
}

static uint64_t guest_leaf(const struct guest *gu, uint64_t gpa, bool block)
{
	if (gvtd(gu))
		return vtd_fs_entry(gpa, VTD_FS_P | VTD_FS_RW | VTD_FS_US |
				    (block ? VTD_FS_PS : 0));
	return arm_leaf_desc(block ? 2 : 3, gpa, ARM_LEAF_STD);
}

static uint64_t *guest_map(struct guest *gu, uint64_t va, uint64_t gpa, bool block)
{
	uint64_t *e;

	if (gvtd(gu))
		e = vtd_fs_entry_ptr(&gu->fs, va, block ? 2 : 1, true);
	else
		e = arm_s1_entry_ptr(&gu->s1, va, block ? 2 : 3, true);
	if (!e)
		die("guest memory exhausted mapping %#llx", (unsigned long long)va);
	*e = guest_leaf(gu, gpa, block);
	return e;
}

/* Binds @gu->nested (allocated here) over its parent */
static void guest_bind(struct guest *gu)
{
	uint64_t data[8];

	gu->nested = alloc_ioasid();
	if (gvtd(gu)) {
		vtd_pe_encode(data, &gu->pe);
	} else {
		smmu_cd_encode(gmem_ptr(gu->g, gu->cdt.base), &gu->cd);
		smmu_ste_encode(data, &gu->ste);
	}
	must(nested_bind(ioasid_fd, gu->nested, gu->parent,
			 gvtd(gu) ? IOASID_NESTED_FMT_VTD_FS : IOASID_NESTED_FMT_SMMUV3,
			 data, gvtd(gu) ? sizeof(struct ioasid_nested_vtd) :
					  sizeof(struct ioasid_nested_smmuv3), 0),
	     "IOASID_NESTED_BIND");
}

static void guest_unbind(struct guest *gu)
{
	must(nested_unbind(ioasid_fd, gu->nested), "IOASID_NESTED_BIND unbind");
}

static void guest_rebind(struct guest *gu)
{
	uint64_t data[8];

	if (gvtd(gu))
		vtd_pe_encode(data, &gu->pe);
	else
		smmu_ste_encode(data, &gu->ste);
	must(nested_bind(ioasid_fd, gu->nested, gu->parent,
			 gvtd(gu) ? IOASID_NESTED_FMT_VTD_FS : IOASID_NESTED_FMT_SMMUV3,
			 data, gvtd(gu) ? sizeof(struct ioasid_nested_vtd) :
					  sizeof(struct ioasid_nested_smmuv3), 0),
	     "IOASID_NESTED_BIND");
}

/* An invalidation batch: up to 4096 entries and a sync */
struct inv {
	uint32_t len, n;
	union {
		struct vtd_inv vtd[IOASID_NESTED_INV_MAX + 1];
		struct smmu_cmd smmu[IOASID_NESTED_INV_MAX + 1];
	};
};

static void inv_init(struct inv *b, const struct guest *gu)
{
	b->len = gvtd(gu) ? sizeof(struct vtd_inv) : sizeof(struct smmu_cmd);
	b->n = 0;
}

static void inv_add_page_range(struct inv *b, const struct guest *gu,
			       uint64_t va, unsigned int order)
{
	if (gvtd(gu)) {
		b->vtd[b->n++] = vtd_inv_piotlb_page(gu->pe.did, 0, va, order, false);
	} else {
		struct smmu_tlbi_range r = {
			.tg = SMMU_TLBI_TG_4K,
			.num = order < 5 ? (1U << order) - 1 : 31,
			.scale = order < 5 ? 0 : order - 5,
		};

		b->smmu[b->n++] = smmu_cmd_tlbi_nh_va(0, gu->cd.asid, va, false,
						      order ? &r : NULL);
	}
}

static void inv_add_all(struct inv *b, const struct guest *gu)
{
	if (gvtd(gu))
		b->vtd[b->n++] = vtd_inv_piotlb_pasid(gu->pe.did, 0);
	else
		b->smmu[b->n++] = smmu_cmd_tlbi_nh_all(0);
}

static void inv_add_sync(struct inv *b, const struct guest *gu)
{
	if (gvtd(gu))
		b->vtd[b->n++] = vtd_inv_wait(false, false, false, false, 0, 0);
	else
		b->smmu[b->n++] = smmu_cmd_sync(0);
}

static int inv_run(const struct inv *b, const struct guest *gu)
{
	uint32_t done, err;
	int rc = nested_invalidate(ioasid_fd, gu->nested, b->vtd, b->len, b->n,
				   &done, &err);

	if (rc)
		die("IOASID_NESTED_INVALIDATE of %u entries: %s (done %u, error %u)",
		    b->n, strerror(-rc), done, err);
	return 0;
}

static struct inv inv_buf;

static void guest_inv_all(const struct guest *gu)
{
	inv_init(&inv_buf, gu);
	inv_add_all(&inv_buf, gu);
	inv_add_sync(&inv_buf, gu);
	inv_run(&inv_buf, gu);
}

/* ------------------------------------------------------------------------
 * Software devices
 */

static int sw_create(uint32_t pasid_bits)
{
	struct ioasid_test_device_create cmd = {
		.size = sizeof(cmd),
		.pasid_bits = pasid_bits,
	};
	int tfd = open("/dev/ioasid-test", O_RDWR | O_CLOEXEC);

	if (tfd < 0)
		die("/dev/ioasid-test: %s (is ioasidfd_test loaded?)", strerror(errno));
	if (ioctl(tfd, IOASID_TEST_DEVICE_CREATE, &cmd))
		die("IOASID_TEST_DEVICE_CREATE: %s", strerror(errno));
	close(tfd);
	return cmd.out_device_fd;
}

/* A DMA read of @len bytes at @iova; @pasid < 0: without PASID */
static void sw_read(int dev, int64_t pasid, uint64_t iova, void *buf, uint64_t len)
{
	struct ioasid_test_dma cmd = {
		.size = sizeof(cmd),
		.flags = pasid >= 0 ? IOASID_TEST_DMA_PASID : 0,
		.pasid = pasid >= 0 ? (uint32_t)pasid : 0,
		.iova = iova,
		.length = len,
		.buf_uptr = (uintptr_t)buf,
	};

	if (ioctl(dev, IOASID_TEST_DMA, &cmd))
		die("IOASID_TEST_DMA: %s", strerror(errno));
	if (cmd.out_status != IOASID_TEST_DMA_OK || cmd.out_done != len)
		die("IOASID_TEST_DMA at %#llx: status %u, reason %u at %#llx",
		    (unsigned long long)iova, cmd.out_status, cmd.out_fault_reason,
		    (unsigned long long)cmd.out_fault_addr);
}

/* ------------------------------------------------------------------------
 * (a) the software walker
 */

#define A_GPA		0x40000000ULL
#define A_TABLES	(16 * MiB)
#define A_DATA		(32 * MiB)	/* at A_GPA + A_TABLES */
#define A_SIZE		(A_TABLES + A_DATA)
#define A_VA_4K		0x100000000ULL	/* 4096 leaves of 4 KiB */
#define A_VA_2M		0x200000000ULL	/* 256 leaves of 2 MiB */
#define A_VA_COLD	0x300000000ULL	/* never mapped: invalidated */
#define A_NR_4K		4096
#define A_NR_2M		256
#define STREAM		(4 * MiB)
#define STREAM_REPS	6
#define SPARSE		256
#define SPARSE_PASSES	4

enum amode { M_IOVA, M_HIT, M_MISS, NR_AMODES };

static const char *const amode_name[NR_AMODES] = {
	[M_IOVA] = "IOVA (stage 2 only)", [M_HIT] = "nested, IOTLB hit",
	[M_MISS] = "nested, IOTLB miss",
};

struct acell {
	double stream_ns[MAX_ROUNDS];	/* per page */
	double sparse_ns[MAX_ROUNDS];	/* per DMA */
	uint64_t misses_stream, misses_sparse;	/* last round, nested */
};

struct aresult {
	struct acell c[2][NR_AMODES];	/* [leaf 4K/2M][mode] */
	double walk_stream[2][MAX_ROUNDS], walk_sparse[2][MAX_ROUNDS];
	bool done;
};

static struct aresult ares[NR_FMTS];

struct inv_result {
	double null_ns[MAX_ROUNDS];
	double call_ns[2][4][MAX_ROUNDS];	/* [empty/full][N idx] */
	double per_entry_ns[2][4][MAX_ROUNDS];
	unsigned int entries_full;
	bool done;
};

static const unsigned int inv_ns_list[4] = { 1, 16, 256, 4096 };
static struct inv_result ires[NR_FMTS];

struct aworld {
	struct gbuf mem;
	uint32_t parent, iova;
	struct guest gu[NR_FMTS];
	int dev[NR_FMTS];
	void *buf;
};

static struct aworld aw;

static void a_setup(bool want[NR_FMTS])
{
	struct ioasid_info_cap_nested cap;
	int f;
	unsigned int i;

	if (nested_cap(ioasid_fd, &cap))
		die("GET_INFO: no IOASID_INFO_CAP_NESTED");
	if (!(cap.vtd_flags & IOASID_NESTED_VTD_5LVL))
		want[F_VTD5] = false;
	gbuf_init(&aw.mem, A_GPA, A_SIZE, A_TABLES, false);
	aw.parent = alloc_ioasid();
	aw.iova = alloc_ioasid();
	must(map_rw(aw.parent, aw.mem.g.host, A_SIZE, A_GPA), "IOASID_MAP parent");
	must(map_rw(aw.iova, aw.mem.g.host + A_TABLES, A_DATA, A_GPA + A_TABLES),
	     "IOASID_MAP iova");
	aw.buf = mmap(NULL, 16 * MiB, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (aw.buf == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	for (f = 0; f < NR_FMTS; f++) {
		struct guest *gu = &aw.gu[f];

		if (!want[f])
			continue;
		guest_init(gu, f, &aw.mem.g, aw.parent);
		for (i = 0; i < A_NR_4K; i++)
			guest_map(gu, A_VA_4K + i * PAGE,
				  A_GPA + A_TABLES + (i % (A_DATA / PAGE)) * PAGE, false);
		for (i = 0; i < A_NR_2M; i++)
			guest_map(gu, A_VA_2M + i * NPT_2M,
				  A_GPA + A_TABLES + (i % (A_DATA / NPT_2M)) * NPT_2M, true);
		guest_bind(gu);
		aw.dev[f] = sw_create(20);
		must(_ioasid_device_allow(aw.dev[f], ioasid_fd, gu->nested, 0, 0) ? -errno : 0,
		     "ALLOW of a software device at RID");
		must(_ioasid_device_allow(aw.dev[f], ioasid_fd, aw.iova,
					  IOASID_DEVICE_PASID, 0) ? -errno : 0,
		     "ALLOW of a software device at a PASID");
		/* a first pass through everything: the walks work */
		sw_read(aw.dev[f], -1, A_VA_4K, aw.buf, A_NR_4K * PAGE);
		for (i = 0; i < A_NR_2M; i++)
			sw_read(aw.dev[f], -1, A_VA_2M + i * NPT_2M, aw.buf, 64);
	}
}

static void a_teardown(void)
{
	int f;

	for (f = 0; f < NR_FMTS; f++) {
		if (!aw.gu[f].nested)
			continue;
		close(aw.dev[f]);
		destroy_ioasid(aw.gu[f].nested);
	}
	destroy_ioasid(aw.iova);
	destroy_ioasid(aw.parent);
	munmap(aw.buf, 16 * MiB);
	gbuf_free(&aw.mem);
	memset(&aw, 0, sizeof(aw));
}

/* One stream DMA (4 MiB) of @mode, timed; a miss invalidates first */
static double a_stream(enum fmt f, int leaf, enum amode mode)
{
	struct guest *gu = &aw.gu[f];
	uint64_t base = mode == M_IOVA ? A_GPA + A_TABLES : leaf ? A_VA_2M : A_VA_4K;
	double t0;

	if (mode == M_MISS)
		guest_inv_all(gu);
	t0 = now_ns();
	sw_read(aw.dev[f], mode == M_IOVA ? aw.iova : -1, base, aw.buf, STREAM);
	return now_ns() - t0;
}

/* One sparse pass (a 64-byte DMA per leaf) of @mode, timed */
static double a_sparse(enum fmt f, int leaf, enum amode mode)
{
	struct guest *gu = &aw.gu[f];
	int64_t pasid = mode == M_IOVA ? aw.iova : -1;
	uint64_t base = mode == M_IOVA ? A_GPA + A_TABLES : leaf ? A_VA_2M : A_VA_4K;
	uint64_t stride = mode != M_IOVA && leaf ? NPT_2M : PAGE;
	double t0;
	int i;

	if (mode == M_MISS)
		guest_inv_all(gu);
	t0 = now_ns();
	for (i = 0; i < SPARSE; i++)
		sw_read(aw.dev[f], pasid, base + i * stride, aw.buf, 64);
	return now_ns() - t0;
}

/*
 * One round of (@f, @leaf): the three modes interleaved call by call (the
 * order rotating), so that the host's load hits them alike.  Hits: the
 * working set is cached before, and every miss call invalidates it all,
 * so the hit calls run on an IOTLB that a miss call just emptied: they
 * walk again first, untimed.
 */
static void a_round(enum fmt f, int leaf, int r)
{
	struct guest *gu = &aw.gu[f];
	double st[NR_AMODES] = {}, sp[NR_AMODES] = {};
	uint64_t m0, m_hit = 0, m_miss = 0, m1;
	int i, k, mode;

	for (i = 0; i < STREAM_REPS; i++)
		for (k = 0; k < NR_AMODES; k++) {
			mode = (k + i + r) % NR_AMODES;
			if (mode == M_HIT)	/* warm, untimed */
				a_stream(f, leaf, M_HIT);
			m0 = nested_info(gu->nested).iotlb_misses;
			st[mode] += a_stream(f, leaf, mode);
			m1 = nested_info(gu->nested).iotlb_misses - m0;
			if (mode == M_HIT)
				m_hit += m1;
			else if (mode == M_MISS)
				m_miss += m1;
		}
	for (k = 0; k < NR_AMODES; k++)
		ares[f].c[leaf][k].stream_ns[r] = st[k] / (STREAM_REPS * (STREAM / PAGE));
	ares[f].c[leaf][M_HIT].misses_stream = m_hit;
	ares[f].c[leaf][M_MISS].misses_stream = m_miss;

	m_hit = m_miss = 0;
	for (i = 0; i < SPARSE_PASSES; i++)
		for (k = 0; k < NR_AMODES; k++) {
			mode = (k + i + r) % NR_AMODES;
			if (mode == M_HIT)
				a_sparse(f, leaf, M_HIT);
			m0 = nested_info(gu->nested).iotlb_misses;
			sp[mode] += a_sparse(f, leaf, mode);
			m1 = nested_info(gu->nested).iotlb_misses - m0;
			if (mode == M_HIT)
				m_hit += m1;
			else if (mode == M_MISS)
				m_miss += m1;
		}
	for (k = 0; k < NR_AMODES; k++)
		ares[f].c[leaf][k].sparse_ns[r] = sp[k] / (SPARSE_PASSES * SPARSE);
	ares[f].c[leaf][M_HIT].misses_sparse = m_hit;
	ares[f].c[leaf][M_MISS].misses_sparse = m_miss;
}

static double time_null(long calls)
{
	struct ioasid_destroy cmd = { .size = sizeof(cmd) };
	double t0 = now_ns();
	long i;

	for (i = 0; i < calls; i++)
		if (ioctl(ioasid_fd, IOASID_NULL_IOCTL, &cmd) != -1 || errno != ENOTTY)
			die("/dev/ioasid null ioctl did not fail with ENOTTY");
	return (now_ns() - t0) / calls;
}

/* IOASID_NESTED_INVALIDATE of @n page-selective entries of uncached pages */
static double time_inv(const struct guest *gu, unsigned int n, long calls)
{
	double t0;
	unsigned int i;
	long k;

	inv_init(&inv_buf, gu);
	for (i = 0; i < n; i++)
		inv_add_page_range(&inv_buf, gu, A_VA_COLD + i * PAGE, 0);
	t0 = now_ns();
	for (k = 0; k < calls; k++)
		inv_run(&inv_buf, gu);
	return (now_ns() - t0) / calls;
}

static void a_inv_round(enum fmt f, int r)
{
	struct guest *gu = &aw.gu[f];
	struct inv_result *ir = &ires[f];
	int st, j;

	double null_sum = 0;

	time_null(2000);	/* warm up */
	for (st = 0; st < 2; st++) {
		guest_inv_all(gu);
		if (st) {	/* 4096 entries: 16 MiB of 4 KiB leaves */
			sw_read(aw.dev[f], -1, A_VA_4K, aw.buf, A_NR_4K * PAGE);
			ir->entries_full = nested_info(gu->nested).iotlb_entries;
		}
		for (j = 0; j < 4; j++) {
			unsigned int n = inv_ns_list[j];
			long calls = st ? (n >= 4096 ? 1 : n >= 256 ? 4 : n >= 16 ? 20 : 100) :
					  (n >= 4096 ? 16 : n >= 256 ? 64 : 400);
			double tn, t_null;

			/* the null ioctl next to each timing, alternating order */
			if ((r + j + st) % 2) {
				t_null = time_null(400);
				tn = time_inv(gu, n, calls);
			} else {
				tn = time_inv(gu, n, calls);
				t_null = time_null(400);
			}
			null_sum += t_null;
			ir->call_ns[st][j][r] = tn;
			ir->per_entry_ns[st][j][r] = (tn - t_null) / n;
		}
		if (st && nested_info(gu->nested).iotlb_entries != ir->entries_full)
			die("the IOTLB lost entries to invalidations of uncached pages");
	}
	ir->null_ns[r] = null_sum / 8;
	/* the walker timings start from an empty IOTLB */
	guest_inv_all(gu);
	ir->done = true;
}

static void bench_a(bool want[NR_FMTS])
{
	double t0 = now_ns();
	int f, leaf, r;

	a_setup(want);
	for (r = 0; r < rounds; r++) {
		for (f = 0; f < NR_FMTS; f++) {
			if (!aw.gu[f].nested)
				continue;
			for (leaf = 0; leaf < 2; leaf++) {
				a_round(f, leaf, r);
				ares[f].walk_stream[leaf][r] =
					ares[f].c[leaf][M_MISS].stream_ns[r] -
					ares[f].c[leaf][M_HIT].stream_ns[r];
				ares[f].walk_sparse[leaf][r] =
					ares[f].c[leaf][M_MISS].sparse_ns[r] -
					ares[f].c[leaf][M_HIT].sparse_ns[r];
			}
			ares[f].done = true;
			if (f != F_VTD5)
				a_inv_round(f, r);
		}
		fprintf(stderr, "nested_bench: (a) round %d done at %.1f s\n", r,
			(now_ns() - t0) / 1e9);
	}
	a_teardown();
}

static void print_a(void)
{
	static const char *const leaf_name[2] = { "4 KiB leaves", "2 MiB leaves" };
	int f, leaf, m, j, st;

	printf("\n(a) issue 9: the software walker (IOASID_TEST_DMA reads, software device)\n");
	printf("    stream: one 4 MiB DMA (1024 pages) per call, %d calls per timing: ns per page\n"
	       "    sparse: 64-byte DMAs, one per leaf, %d leaves x %d passes: ns per DMA\n"
	       "    miss: everything invalidated (untimed) before each call; hit: cached by an\n"
	       "    earlier pass; IOVA: the same memory through a plain IOASID at a PASID\n",
	       STREAM_REPS, SPARSE, SPARSE_PASSES);
	for (f = 0; f < NR_FMTS; f++) {
		struct aresult *a = &ares[f];

		if (!a->done)
			continue;
		for (leaf = 0; leaf < 2; leaf++) {
			printf("\n    %s, %s\n", fmt_name[f], leaf_name[leaf]);
			printf("      %-22s | %-32s %-12s | %-32s %s\n", "",
			       "stream ns/page", "Mpages/s", "sparse ns/DMA",
			       "IOTLB misses (stream/sparse)");
			for (m = 0; m < NR_AMODES; m++) {
				struct acell *c = &a->c[leaf][m];
				char miss[48] = "";

				if (m != M_IOVA)
					snprintf(miss, sizeof(miss), "%llu/%llu",
						 (unsigned long long)c->misses_stream,
						 (unsigned long long)c->misses_sparse);
				printf("      %-22s | %-32s %-12.2f | %-32s %s\n",
				       amode_name[m], fmt3(c->stream_ns, 1, "%.0f"),
				       1e3 / stats(c->stream_ns, rounds).med,
				       fmt3(c->sparse_ns, 1, "%.0f"), miss);
			}
			printf("      %-22s | %-32s %-12s | %-32s\n", "walk = miss - hit",
			       fmt3(a->walk_stream[leaf], 1, "%.0f"), "",
			       fmt3(a->walk_sparse[leaf], 1, "%.0f"));
		}
	}
	printf("\n    IOASID_NESTED_INVALIDATE of N page-selective entries (pages not cached)\n");
	for (f = 0; f < NR_FMTS; f++) {
		struct inv_result *ir = &ires[f];

		if (!ir->done)
			continue;
		printf("    %s: /dev/ioasid null ioctl %s ns\n", fmt_name[f],
		       fmt3(ir->null_ns, 1, "%.0f"));
		for (st = 0; st < 2; st++) {
			printf("      IOTLB %s\n", st ? "full" : "empty");
			if (st)
				printf("        (%u entries cached)\n", ir->entries_full);
			for (j = 0; j < 4; j++)
				printf("        N = %-5u  call %-30s us   per entry %-26s ns\n",
				       inv_ns_list[j],
				       fmt3(ir->call_ns[st][j], 1e-3, "%.1f"),
				       fmt3(ir->per_entry_ns[st][j], 1, "%.0f"));
		}
	}
}

/* ------------------------------------------------------------------------
 * (b) shadow paging with the edu device
 */

static struct vfio_edu edu;
static char edu_bdfs[EDU_MAX_DEVICES][32];
static bool edu_used;

static void edu_cleanup(void)
{
	char path[PATH_MAX];

	vfio_edu_close(&edu);
	if (ioasid_fd >= 0)
		close(ioasid_fd);
	ioasid_fd = -1;
	if (!edu_used)
		return;
	edu_unbind(edu_bdfs[0]);
	snprintf(path, sizeof(path), EDU_SYSFS_PCI "/devices/%s/driver_override",
		 edu_bdfs[0]);
	edu_sysfs_write(path, "\n");
	edu_used = false;
}

static void on_signal(int sig)
{
	edu_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void edu_setup(void)
{
	int n = edu_find(edu_bdfs), rc;

	if (n < 1)
		die("no edu device (1234:11e8)");
	vfio_edu_init(&edu);
	edu_used = true;
	rc = vfio_edu_open(&edu, edu_bdfs[0], EDU_DRIVER_IOASID,
			   IOASID_VFIO_IOMMU_TYPE);
	if (rc)
		die("%s through %s: %s", edu_bdfs[0], EDU_DRIVER_IOASID,
		    strerror(-rc));
}

static uint32_t edu_at;	/* the IOASID the edu device is allowed on, 0: none */

static void edu_attach(uint32_t pasid)
{
	int rc;

	if (edu_at == pasid)
		return;
	if (edu_at)
		must(vfio_edu_disallow(&edu, edu_at, 0), "IOASID_DEVICE_DISALLOW");
	edu_at = 0;
	rc = vfio_edu_allow(&edu, ioasid_fd, pasid, 0);
	if (rc)
		die("IOASID_DEVICE_ALLOW of the edu device on %u: %s", pasid,
		    strerror(-rc));
	edu_at = pasid;
}

static void edu_detach(void)
{
	if (edu_at)
		must(vfio_edu_disallow(&edu, edu_at, 0), "IOASID_DEVICE_DISALLOW");
	edu_at = 0;
}

/*
 * A DMA check: the device writes 64 bytes at @addr, which must land at
 * @host (and the IOMMU must not fault).
 */
static void edu_check(uint64_t addr, uint8_t *host, const char *what)
{
	static uint8_t seed;
	long f0 = edu_iommu_faults();
	unsigned int i;
	uint8_t *src;

	/* load the device buffer through the same translation, then store */
	seed += 37;
	for (i = 0; i < 64; i++)
		host[i] = (uint8_t)(seed + i * 3) | 1;
	if (vfio_edu_to_device(&edu, addr, 0, 64))
		die("%s: edu DMA failed", what);
	memset(host, 0, 64);
	if (vfio_edu_to_ram(&edu, 0, addr, 64))
		die("%s: edu DMA failed", what);
	src = host;
	for (i = 0; i < 64; i++)
		if (src[i] != ((uint8_t)(seed + i * 3) | 1))
			die("%s: the edu round trip at %#llx lost the data", what,
			    (unsigned long long)addr);
	if (edu_iommu_faults_after(f0, 100) != f0)
		die("%s: the edu round trip raised IOMMU faults", what);
}

/* --- (b1) invalidation of N changed pages against UNMAP + MAP ----------- */

#define B_GPA		0x40000000ULL
#define B_TABLES	(8 * MiB)
#define B_VA		0x8000000000ULL		/* 512 GiB: 1 GiB aligned */
#define B_IOVA		0x100000000ULL		/* the IOVA side, 4 GiB */
#define MAX_NS		8

enum layout { L_CONTIG, L_SCATTER, L_ONE_IN_RUN, NR_LAYOUTS };

static const char *const layout_name[NR_LAYOUTS] = {
	[L_CONTIG] = "contiguous (GVA page i -> GPA page i + s, s = 0/1 alternately)",
	[L_SCATTER] = "scattered (GVA page i -> GPA page 3(i + s) mod M)",
	[L_ONE_IN_RUN] = "one PTE of a 512-page contiguous mapping (one run, re-merged untimed each round)",
};

struct b1cell {
	uint64_t n;
	double inv_ns[MAX_ROUNDS], unmap_ns[MAX_ROUNDS], map_ns[MAX_ROUNDS];
	double ratio[MAX_ROUNDS];
	uint64_t runs, tables, mem, phys, pages;
	bool done;
};

static uint64_t b1_ns[MAX_NS] = { 1, 64, 512, 4096, 262144 };
static int nr_b1_ns = 5;
static uint64_t scatter_max = 262144;
static struct b1cell b1[2][NR_LAYOUTS][MAX_NS];	/* [vtd/smmu][layout][n] */

static uint64_t b1_modulus(uint64_t n)
{
	uint64_t m = n + 1;

	while (m % 3 == 0)
		m++;
	return m;
}

/* The data page GVA page @i uses in state @s */
static uint64_t b1_page(enum layout l, uint64_t i, int s, uint64_t m)
{
	if (l == L_SCATTER)
		return (3 * (i + s)) % m;
	return i + s;
}

static void b1_case(enum fmt f, enum layout l, int ni)
{
	struct b1cell *c = &b1[f == F_SMMU][l][ni];
	uint64_t n = l == L_ONE_IN_RUN ? 512 : b1_ns[ni];
	uint64_t changed = l == L_ONE_IN_RUN ? 1 : n;
	uint64_t m = l == L_SCATTER ? b1_modulus(n) : n + 1;
	uint64_t data_gpa = B_GPA + B_TABLES, i;
	unsigned int order = __builtin_ctzll(changed);
	struct ioasid_info_cap_nested_ioas ci;
	struct gbuf mem;
	struct guest gu;
	uint64_t **leaf;
	uint32_t parent, iova;
	int s = 0, si = 0, r, k;
	double t0, t1, t2;
	bool first;

	c->n = changed;
	gbuf_init(&mem, B_GPA, B_TABLES + m * PAGE, B_TABLES, false);
	c->phys = count_phys_runs(mem.g.host + B_TABLES, m * PAGE);
	c->pages = m;
	parent = alloc_ioasid();
	must(map_rw(parent, mem.g.host, mem.g.size, B_GPA), "IOASID_MAP parent");
	guest_init(&gu, f, &mem.g, parent);
	leaf = calloc(n, sizeof(*leaf));
	if (!leaf)
		die("out of memory");
	for (i = 0; i < n; i++)
		leaf[i] = guest_map(&gu, B_VA + i * PAGE,
				    data_gpa + b1_page(l, i, 0, m) * PAGE, false);
	guest_bind(&gu);
	iova = alloc_ioasid();
	must(map_rw(iova, mem.g.host + B_TABLES, changed * PAGE, B_IOVA),
	     "IOASID_MAP iova");

	edu_attach(gu.nested);		/* the shadow is built here */
	ci = nested_info(gu.nested);
	c->runs = ci.shadow_runs;
	c->tables = ci.shadow_tables;
	c->mem = ci.shadow_mem;
	if (ci.shadow_bytes != n * PAGE)
		die("%s: the shadow maps %llu bytes, not %llu", fmt_name[f],
		    (unsigned long long)ci.shadow_bytes,
		    (unsigned long long)(n * PAGE));
	edu_check(B_VA, mem.g.host + B_TABLES + b1_page(l, 0, 0, m) * PAGE,
		  "nested, before");
	edu_attach(iova);
	edu_check(B_IOVA, mem.g.host + B_TABLES, "iova, before");

	for (r = 0; r < rounds; r++) {
		for (k = 0; k < 2; k++) {
			first = (k == 0) == (r % 2 == 0);
			if (first) {
				edu_attach(gu.nested);
				if (l == L_ONE_IN_RUN) {
					/* untimed: one run of 512 pages again */
					*leaf[0] = guest_leaf(&gu, data_gpa, false);
					inv_init(&inv_buf, &gu);
					inv_add_page_range(&inv_buf, &gu, B_VA, 9);
					inv_add_sync(&inv_buf, &gu);
					inv_run(&inv_buf, &gu);
					if (nested_info(gu.nested).shadow_runs != 1)
						die("(b1): 512 contiguous pages are not one run");
					/* then page 0 on the spare page 512 */
					s = 0;
					*leaf[0] = guest_leaf(&gu, data_gpa + n * PAGE,
							      false);
				} else {
					s ^= 1;
					for (i = 0; i < changed; i++)
						*leaf[i] = guest_leaf(&gu, data_gpa +
							b1_page(l, i, s, m) * PAGE,
							false);
				}
				inv_init(&inv_buf, &gu);
				inv_add_page_range(&inv_buf, &gu, B_VA, order);
				inv_add_sync(&inv_buf, &gu);
				t0 = now_ns();
				inv_run(&inv_buf, &gu);
				c->inv_ns[r] = now_ns() - t0;
			} else {
				edu_attach(iova);
				si ^= 1;
				t0 = now_ns();
				must(edu_ioasid_unmap(ioasid_fd, iova, B_IOVA,
						      changed * PAGE), "IOASID_UNMAP");
				t1 = now_ns();
				must(map_rw(iova, mem.g.host + B_TABLES + si * PAGE,
					    changed * PAGE, B_IOVA), "IOASID_MAP");
				t2 = now_ns();
				c->unmap_ns[r] = t1 - t0;
				c->map_ns[r] = t2 - t1;
			}
		}
		c->ratio[r] = c->inv_ns[r] / (c->unmap_ns[r] + c->map_ns[r]);
	}
	/* the new state is what the device sees */
	edu_attach(gu.nested);
	edu_check(B_VA, mem.g.host + B_TABLES + (l == L_ONE_IN_RUN ? n :
		  b1_page(l, 0, s, m)) * PAGE, "nested, after");
	if (nested_info(gu.nested).shadow_bytes != n * PAGE)
		die("%s: the shadow lost pages", fmt_name[f]);
	edu_attach(iova);
	edu_check(B_IOVA, mem.g.host + B_TABLES + si * PAGE, "iova, after");
	edu_detach();
	c->done = true;
	fprintf(stderr, "nested_bench: (b1) %s, %s, N = %llu: %d rounds\n",
		fmt_short[f], l == L_CONTIG ? "contig" : l == L_SCATTER ?
		"scatter" : "1-in-512", (unsigned long long)changed, rounds);

	destroy_ioasid(gu.nested);
	destroy_ioasid(iova);
	destroy_ioasid(parent);
	free(leaf);
	gbuf_free(&mem);
}

static void print_b1(void)
{
	int fi, l, ni;

	printf("\n(b1) issue 10: a guest invalidation changing N pages (the ioctl timed)\n"
	       "     vs IOASID_UNMAP + IOASID_MAP of N pages on an IOVA IOASID; the same edu\n"
	       "     device is allowed on the side being timed; goal: ratio <= 2x\n");
	for (fi = 0; fi < 2; fi++)
		for (l = 0; l < NR_LAYOUTS; l++) {
			bool any = false;

			for (ni = 0; ni < MAX_NS; ni++)
				any |= b1[fi][l][ni].done;
			if (!any)
				continue;
			printf("\n     %s, %s\n", fi ? fmt_name[F_SMMU] : fmt_name[F_VTD4],
			       layout_name[l]);
			printf("     %-7s | %-28s | %-26s %-26s | %-24s | %s\n", "N",
			       "invalidation ms", "UNMAP ms", "MAP ms",
			       "ratio inv/(UNMAP+MAP)",
			       "shadow runs/tables/mem bytes; data pages/phys runs");
			for (ni = 0; ni < MAX_NS; ni++) {
				struct b1cell *c = &b1[fi][l][ni];

				if (!c->done)
					continue;
				printf("     %-7llu | %-28s | %-26s %-26s | %-24s | %llu/%llu/%llu; %llu/%llu\n",
				       (unsigned long long)c->n,
				       fmt3(c->inv_ns, 1e-6, "%.3f"),
				       fmt3(c->unmap_ns, 1e-6, "%.3f"),
				       fmt3(c->map_ns, 1e-6, "%.3f"),
				       fmt3(c->ratio, 1, "%.2fx"),
				       (unsigned long long)c->runs,
				       (unsigned long long)c->tables,
				       (unsigned long long)c->mem,
				       (unsigned long long)c->pages,
				       (unsigned long long)c->phys);
			}
		}
}

/* --- (b2) shadow build at ALLOW -------------------------------------------- */

#define C_TABLES_GPA	0x40000000ULL
#define C_DATA_GPA	0x80000000ULL
#define C_VA		0x8000000000ULL

static uint64_t b2_bytes = 256 * MiB;

struct b2cell {
	const char *name;
	bool block, thp;
	double nested_ns[MAX_ROUNDS], iova_ns[MAX_ROUNDS], ratio[MAX_ROUNDS];
	uint64_t runs, huge, mem, phys;
	long thp_kb;
	bool done;
};

static struct b2cell b2[2][4] = {
	[0 ... 1] = {
		{ "4 KiB leaves over 4 KiB pages", false, false },
		{ "4 KiB leaves over THP", false, true },
		{ "2 MiB leaves over THP", true, true },
		{ "2 MiB leaves over 4 KiB pages", true, false },
	},
};

static void b2_case(enum fmt f, struct b2cell *c)
{
	uint64_t n = c->block ? b2_bytes / NPT_2M : b2_bytes / PAGE, i;
	struct ioasid_info_cap_nested_ioas ci;
	struct gbuf tab, data;
	uint32_t parent, iova = 0;
	struct guest gu;
	double t0;
	int r, k;

	gbuf_init(&data, C_DATA_GPA, b2_bytes, 0, c->thp);
	c->thp_kb = data.thp_kb;
	c->phys = data.phys_runs;
	gbuf_init(&tab, C_TABLES_GPA, 4 * MiB, 4 * MiB, false);
	parent = alloc_ioasid();
	must(map_rw(parent, tab.g.host, tab.g.size, C_TABLES_GPA), "IOASID_MAP");
	must(map_rw(parent, data.g.host, b2_bytes, C_DATA_GPA), "IOASID_MAP");
	guest_init(&gu, f, &tab.g, parent);
	for (i = 0; i < n; i++)
		guest_map(&gu, C_VA + i * (c->block ? NPT_2M : PAGE),
			  C_DATA_GPA + i * (c->block ? NPT_2M : PAGE), c->block);
	guest_bind(&gu);

	for (r = 0; r < rounds; r++) {
		for (k = 0; k < 2; k++) {
			if ((k == 0) == (r % 2 == 0)) {
				/* a fresh bind: no shadow, no page table kept */
				if (r) {
					guest_unbind(&gu);
					guest_rebind(&gu);
				}
				t0 = now_ns();
				edu_attach(gu.nested);
				c->nested_ns[r] = now_ns() - t0;
				if (!r) {
					ci = nested_info(gu.nested);
					c->runs = ci.shadow_runs;
					c->huge = ci.shadow_huge_2m;
					c->mem = ci.shadow_mem;
					if (ci.shadow_bytes != b2_bytes)
						die("(b2): the shadow maps %llu bytes",
						    (unsigned long long)ci.shadow_bytes);
					edu_check(C_VA + b2_bytes - PAGE,
						  data.g.host + b2_bytes - PAGE,
						  "(b2) nested");
				}
				edu_detach();
			} else {
				if (iova)
					destroy_ioasid(iova);
				iova = alloc_ioasid();
				must(map_rw(iova, data.g.host, b2_bytes, C_DATA_GPA),
				     "IOASID_MAP");
				t0 = now_ns();
				edu_attach(iova);
				c->iova_ns[r] = now_ns() - t0;
				if (!r)
					edu_check(C_DATA_GPA, data.g.host, "(b2) iova");
				edu_detach();
			}
		}
		c->ratio[r] = c->nested_ns[r] / c->iova_ns[r];
	}
	c->done = true;
	fprintf(stderr, "nested_bench: (b2) %s, %s: %d rounds\n", fmt_short[f],
		c->name, rounds);
	destroy_ioasid(iova);
	destroy_ioasid(gu.nested);
	destroy_ioasid(parent);
	gbuf_free(&tab);
	gbuf_free(&data);
}

static void print_b2(void)
{
	int fi, k;
	double per = (double)GiB / b2_bytes;

	printf("\n(b2) shadow build at the first ALLOW of a nested IOASID whose stage 1 maps %s,\n"
	       "     vs ALLOW of an IOVA IOASID with the same %s mapped (its replay)\n",
	       size_str(b2_bytes), size_str(b2_bytes));
	for (fi = 0; fi < 2; fi++) {
		bool any = false;

		for (k = 0; k < 4; k++)
			any |= b2[fi][k].done;
		if (!any)
			continue;
		printf("\n     %s\n", fi ? fmt_name[F_SMMU] : fmt_name[F_VTD4]);
		printf("     %-31s | %-26s %-26s | %-26s %-26s | %-22s | %s\n", "",
		       "nested ALLOW ms", "ms per GiB", "IOVA ALLOW ms", "ms per GiB",
		       "ratio nested/IOVA", "runs/huge_2m/mem; phys runs, AnonHugePages");
		for (k = 0; k < 4; k++) {
			struct b2cell *c = &b2[fi][k];

			if (!c->done)
				continue;
			printf("     %-31s | %-26s %-26s | %-26s %-26s | %-22s | %llu/%llu/%llu; %llu, %ld kB\n",
			       c->name, fmt3(c->nested_ns, 1e-6, "%.1f"),
			       fmt3(c->nested_ns, 1e-6 * per, "%.0f"),
			       fmt3(c->iova_ns, 1e-6, "%.1f"),
			       fmt3(c->iova_ns, 1e-6 * per, "%.0f"),
			       fmt3(c->ratio, 1, "%.2fx"),
			       (unsigned long long)c->runs,
			       (unsigned long long)c->huge, (unsigned long long)c->mem,
			       (unsigned long long)c->phys, c->thp_kb);
		}
	}
}

/* --- (b3) stage-2 UNMAP with and without a nested child ------------------- */

#define D_TABLES_GPA	0x40000000ULL
#define D_DATA_GPA	0x80000000ULL
#define D_VA		0x8000000000ULL
#define MAX_B3		8

struct b3cell {
	uint64_t size;
	bool block;
	double child_ns[MAX_ROUNDS], plain_ns[MAX_ROUNDS], ratio[MAX_ROUNDS];
	uint64_t phys;
	bool done;
};

static struct b3cell b3[2][MAX_B3] = {
	[0 ... 1] = {
		{ 4 * KiB, false }, { 2 * MiB, false }, { 64 * MiB, false },
		{ 256 * MiB, false },
		{ 2 * MiB, true }, { 64 * MiB, true }, { 256 * MiB, true },
	},
};

static void b3_case(enum fmt f, struct b3cell *c)
{
	uint64_t step = c->block ? NPT_2M : PAGE, n = c->size / step, i;
	struct gbuf tab, data;
	uint32_t parent, plain;
	struct guest gu;
	double t0;
	int r, k;

	gbuf_init(&data, D_DATA_GPA, c->size < NPT_2M ? NPT_2M : c->size, 0,
		  c->block);
	c->phys = count_phys_runs(data.g.host, c->size);
	gbuf_init(&tab, D_TABLES_GPA, 4 * MiB, 4 * MiB, false);
	parent = alloc_ioasid();
	plain = alloc_ioasid();
	must(map_rw(parent, tab.g.host, tab.g.size, D_TABLES_GPA), "IOASID_MAP");
	guest_init(&gu, f, &tab.g, parent);
	for (i = 0; i < n; i++)
		guest_map(&gu, D_VA + i * step, D_DATA_GPA + i * step, c->block);
	guest_bind(&gu);

	for (r = 0; r < rounds; r++) {
		for (k = 0; k < 2; k++) {
			if ((k == 0) == (r % 2 == 0)) {
				edu_attach(gu.nested);
				must(map_rw(parent, data.g.host, c->size, D_DATA_GPA),
				     "IOASID_MAP parent");
				/* stage-2 additions reach the shadow at an invalidation */
				guest_inv_all(&gu);
				if (nested_info(gu.nested).shadow_bytes != c->size)
					die("(b3): the shadow maps %llu bytes",
					    (unsigned long long)nested_info(gu.nested).shadow_bytes);
				if (!r)
					edu_check(D_VA, data.g.host, "(b3) child");
				t0 = now_ns();
				must(edu_ioasid_unmap(ioasid_fd, parent, D_DATA_GPA,
						      c->size), "IOASID_UNMAP parent");
				c->child_ns[r] = now_ns() - t0;
				if (nested_info(gu.nested).shadow_bytes)
					die("(b3): the shadow kept pages after UNMAP");
			} else {
				edu_attach(plain);
				must(map_rw(plain, data.g.host, c->size, D_DATA_GPA),
				     "IOASID_MAP");
				if (!r)
					edu_check(D_DATA_GPA, data.g.host, "(b3) plain");
				t0 = now_ns();
				must(edu_ioasid_unmap(ioasid_fd, plain, D_DATA_GPA,
						      c->size), "IOASID_UNMAP");
				c->plain_ns[r] = now_ns() - t0;
			}
		}
		c->ratio[r] = c->child_ns[r] / c->plain_ns[r];
	}
	edu_detach();
	c->done = true;
	fprintf(stderr, "nested_bench: (b3) %s, %s%s: %d rounds\n", fmt_short[f],
		size_str(c->size), c->block ? " (2 MiB leaves)" : "", rounds);
	destroy_ioasid(gu.nested);
	destroy_ioasid(parent);
	destroy_ioasid(plain);
	gbuf_free(&tab);
	gbuf_free(&data);
}

static void print_b3(void)
{
	int fi, k;

	printf("\n(b3) stage-2 IOASID_UNMAP of one mapping: parent of a nested IOASID whose\n"
	       "     shadow maps all of it (edu on the child) vs an IOVA IOASID with the edu\n"
	       "     device attached\n");
	for (fi = 0; fi < 2; fi++) {
		bool any = false;

		for (k = 0; k < MAX_B3; k++)
			any |= b3[fi][k].done;
		if (!any)
			continue;
		printf("\n     %s\n", fi ? fmt_name[F_SMMU] : fmt_name[F_VTD4]);
		printf("     %-34s | %-28s | %-28s | %-24s | %s\n", "mapping",
		       "with child, ms", "plain, ms", "ratio child/plain",
		       "phys runs");
		for (k = 0; k < MAX_B3; k++) {
			struct b3cell *c = &b3[fi][k];
			char name[64];

			if (!c->done)
				continue;
			snprintf(name, sizeof(name), "%s, %s", size_str(c->size),
				 c->block ? "THP, 2 MiB leaves" : "4 KiB pages and leaves");
			printf("     %-34s | %-28s | %-28s | %-24s | %llu\n", name,
			       fmt3(c->child_ns, 1e-6, "%.3f"),
			       fmt3(c->plain_ns, 1e-6, "%.3f"),
			       fmt3(c->ratio, 1, "%.2fx"),
			       (unsigned long long)c->phys);
		}
	}
}

/* ------------------------------------------------------------------------
 * Raw rounds and summary
 */

static void print_raw(void)
{
	int fi, l, ni, r, k;

	printf("\nraw rounds\n");
	for (fi = 0; fi < 2; fi++)
		for (l = 0; l < NR_LAYOUTS; l++)
			for (ni = 0; ni < MAX_NS; ni++) {
				struct b1cell *c = &b1[fi][l][ni];

				if (!c->done)
					continue;
				printf("  (b1) %s %-8s N=%-7llu", fi ? "smmu" : "vtd4",
				       l == L_CONTIG ? "contig" : l == L_SCATTER ?
				       "scatter" : "1-in-512", (unsigned long long)c->n);
				for (r = 0; r < rounds; r++)
					printf(" | inv %.3f unmap %.3f map %.3f ms %.2fx",
					       c->inv_ns[r] / 1e6, c->unmap_ns[r] / 1e6,
					       c->map_ns[r] / 1e6, c->ratio[r]);
				printf("\n");
			}
	for (fi = 0; fi < 2; fi++)
		for (k = 0; k < 4; k++) {
			struct b2cell *c = &b2[fi][k];

			if (!c->done)
				continue;
			printf("  (b2) %s %-31s", fi ? "smmu" : "vtd4", c->name);
			for (r = 0; r < rounds; r++)
				printf(" | %.1f/%.1f ms %.2fx", c->nested_ns[r] / 1e6,
				       c->iova_ns[r] / 1e6, c->ratio[r]);
			printf("\n");
		}
	for (fi = 0; fi < 2; fi++)
		for (k = 0; k < MAX_B3; k++) {
			struct b3cell *c = &b3[fi][k];

			if (!c->done)
				continue;
			printf("  (b3) %s %-8s %s", fi ? "smmu" : "vtd4",
			       size_str(c->size), c->block ? "2M" : "4K");
			for (r = 0; r < rounds; r++)
				printf(" | %.3f/%.3f ms %.2fx", c->child_ns[r] / 1e6,
				       c->plain_ns[r] / 1e6, c->ratio[r]);
			printf("\n");
		}
}

static void summary(void)
{
	int fi, l, ni;

	printf("\nSummary (medians over %d rounds)\n", rounds);
	for (fi = 0; fi < 2; fi++)
		for (l = 0; l < NR_LAYOUTS; l++) {
			double worst = 0;
			uint64_t worst_n = 0;
			bool any = false;

			for (ni = 0; ni < MAX_NS; ni++) {
				struct b1cell *c = &b1[fi][l][ni];
				double m;

				if (!c->done)
					continue;
				any = true;
				m = stats(c->ratio, rounds).med;
				if (m > worst) {
					worst = m;
					worst_n = c->n;
				}
			}
			if (!any)
				continue;
			printf("(b1) %s, %s: worst %.2fx UNMAP+MAP (N = %llu), goal <= 2x: %s\n",
			       fi ? "SMMUv3" : "VT-d", l == L_CONTIG ? "contiguous" :
			       l == L_SCATTER ? "scattered" : "1 PTE in a 512-page run",
			       worst, (unsigned long long)worst_n,
			       worst <= 2.0 ? "met" : "MISSED");
		}
}

/* ------------------------------------------------------------------------
 * main
 */

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-r ROUNDS] [-p PARTS] [-F FORMATS] [-N N,...] [-S MAX] [-M BYTES]\n"
		"  -r  rounds, 5 to %d (default 5)\n"
		"  -p  parts among a,b1,b2,b3 (default all)\n"
		"  -F  formats of (b) among vtd,smmu (default both)\n"
		"  -N  page counts of (b1) (default 1,64,512,4096,262144)\n"
		"  -S  largest N of the scattered layout (default 262144)\n"
		"  -M  bytes of guest mappings of (b2), with K/M/G (default 256M)\n",
		prog, MAX_ROUNDS);
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
		v *= GiB;
	return v;
}

int main(int argc, char **argv)
{
	bool part_a = true, part_b1 = true, part_b2 = true, part_b3 = true;
	bool want_a[NR_FMTS] = { true, true, true }, fmt_b[2] = { true, true };
	char *tok, *save, thp[128] = "?", first[512];
	int opt, fi, l, ni, k, kmsg_fd, splats;
	double t0 = now_ns();
	struct utsname u;

	while ((opt = getopt(argc, argv, "r:p:F:N:S:M:h")) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'p':
			part_a = part_b1 = part_b2 = part_b3 = false;
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				part_a |= !strcmp(tok, "a");
				part_b1 |= !strcmp(tok, "b1");
				part_b2 |= !strcmp(tok, "b2");
				part_b3 |= !strcmp(tok, "b3");
			}
			break;
		case 'F':
			fmt_b[0] = fmt_b[1] = false;
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				fmt_b[0] |= !strcmp(tok, "vtd");
				fmt_b[1] |= !strcmp(tok, "smmu");
			}
			break;
		case 'N':
			nr_b1_ns = 0;
			for (tok = strtok_r(optarg, ",", &save); tok && nr_b1_ns < MAX_NS;
			     tok = strtok_r(NULL, ",", &save))
				b1_ns[nr_b1_ns++] = strtoull(tok, NULL, 0);
			break;
		case 'S':
			scatter_max = strtoull(optarg, NULL, 0);
			break;
		case 'M':
			b2_bytes = parse_size(optarg);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (rounds < 5 || rounds > MAX_ROUNDS || !b2_bytes || b2_bytes % NPT_2M)
		usage(argv[0]);
	for (ni = 0; ni < nr_b1_ns; ni++)
		if (!b1_ns[ni] || (b1_ns[ni] & (b1_ns[ni] - 1)) || b1_ns[ni] > (1ULL << 20))
			die("-N: page counts are powers of 2 up to 2^20");
	for (ni = nr_b1_ns; ni < MAX_NS; ni++)
		b1_ns[ni] = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	kmsg_fd = kmsg_watch_begin();

	ioasid_fd = edu_ioasid_open();
	if (ioasid_fd < 0)
		die("open /dev/ioasid: %s", strerror(-ioasid_fd));
	atexit(edu_cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	uname(&u);
	edu_sysfs_read(THP_ENABLED, thp, sizeof(thp));
	printf("nested_bench: Linux %s %s, %ld CPUs, MemTotal %ld MiB, MemAvailable %ld MiB, THP %s\n",
	       u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN),
	       meminfo_kb("MemTotal") / 1024, meminfo_kb("MemAvailable") / 1024, thp);
	printf("  %d rounds, the sides alternating who goes first; medians [min .. max]\n",
	       rounds);

	if (part_a)
		bench_a(want_a);
	if (part_b1 || part_b2 || part_b3) {
		edu_setup();
		printf("  edu device %s (%s, IOMMU group %d)\n", edu.bdf,
		       EDU_DRIVER_IOASID, edu.group_id);
	}
	for (fi = 0; fi < 2; fi++) {
		enum fmt f = fi ? F_SMMU : F_VTD4;

		if (!fmt_b[fi])
			continue;
		if (part_b1)
			for (l = 0; l < NR_LAYOUTS; l++)
				for (ni = 0; ni < MAX_NS; ni++) {
					if (l == L_ONE_IN_RUN ? ni : !b1_ns[ni])
						continue;
					if (l == L_SCATTER && b1_ns[ni] > scatter_max)
						continue;
					b1_case(f, l, ni);
				}
		if (part_b2)
			for (k = 0; k < 4; k++)
				b2_case(f, &b2[fi][k]);
		if (part_b3)
			for (k = 0; k < MAX_B3; k++)
				if (b3[fi][k].size)
					b3_case(f, &b3[fi][k]);
	}

	if (part_a)
		print_a();
	print_b1();
	print_b2();
	print_b3();
	print_raw();
	summary();

	splats = kmsg_problems(kmsg_fd, first, sizeof(first));
	if (splats > 0)
		printf("\nWARNING: %d kernel problem report(s) during the run, first: %s\n",
		       splats, first);
	printf("\nnested_bench: done in %.0f s\n", (now_ns() - t0) / 1e9);
	return 0;
}
