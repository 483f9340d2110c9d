// SPDX-License-Identifier: GPL-2.0
/*
 * sva_bench: what shared virtual addressing (IOASID_MODE_SVA) costs, on the
 * test-bed guests.
 *
 * Build (static, into build/<amd64|arm64>/tools/sva_bench):
 *
 *   make -C tools/ioasid-bench              # amd64
 *   make -C tools/ioasid-bench ARCH=arm64   # arm64
 *
 * Run as root in a guest with an edu device and ioasidfd_test loaded, e.g.
 *
 *   scripts/vm run --arch amd64 --mem 2048 -- build/amd64/tools/sva_bench
 *
 * Options: -r ROUNDS (default 7, at least 5), -m MiB (the buffer of (a),
 * default 256; scaled down to a third of MemAvailable), -s (skip (a)).
 * A measurement, not a test.  Rounds alternate which side goes first; every
 * ratio is computed within a round and the tables give medians [min .. max]
 * over the rounds.
 *
 * (a) Making memory reachable by a device at RID (edu #0 through
 *     ioasidfd-vfio-pci): IOASID_SVA_BIND + IOASID_SVA_PREFAULT (write) of a
 *     buffer, against IOASID_MAP of the same buffer at IOVA = VA on an IOVA
 *     IOASID with the same device attached.  The buffer is populated before
 *     either side runs (both then cost what they cost for memory the
 *     process uses already), 4 KiB pages (MADV_NOHUGEPAGE) or THP (2 MiB
 *     aligned, MADV_HUGEPAGE).  One DMA through each side proves it.  The
 *     teardown is timed too: DISALLOW + DESTROY (the mirror and the MMU
 *     notifier go) against UNMAP (unpin).  Figures are ms per GiB.
 * (b) What the MMU notifier adds to munmap() and mprotect(PROT_READ) of N
 *     pages (N = 1, 64, 512, 4096): of a range mirrored into the edu
 *     device's domain, of a range not mirrored in a bound mm (the notifier
 *     runs, finds nothing), and in the same process with no binding at all
 *     (no notifier).  Each munmap is of a fresh, populated mapping; each
 *     mprotect is undone (untimed) and the range prefaulted again before
 *     the next.  Figures are us per call.
 * (c) Software-executor I/O page faults: a 64-byte device write (software
 *     device, PASID attachment to an IOASID bound to our mm) to each page of
 *     a never-touched region (first touch: get_user_pages_remote() faults
 *     the page in), then again to the same pages (present), against the
 *     same write through an IOVA IOASID mapping of pinned memory and the
 *     CPU's own first touch of a page.  Figures are us per access.
 */
#define BENCH_NAME "sva_bench"
#include "bench.h"
#include "vfio_edu.h"

#include <getopt.h>
#include <linux/ioasidfd_test.h>

#define PG		4096UL
#define MiB		(1024UL * 1024)
#define GiB		(1024UL * MiB)

static int rounds = 7;
static int ioasid_fd;
static struct vfio_edu edu;

/* --- calls ------------------------------------------------------------------ */

static uint32_t ioas_alloc(void)
{
	uint32_t pasid = 0;
	int rc = edu_ioasid_alloc(ioasid_fd, &pasid);

	if (rc)
		die("ALLOC: %s", strerror(-rc));
	return pasid;
}

static void ioas_destroy(uint32_t pasid)
{
	int rc = edu_ioasid_destroy(ioasid_fd, pasid);

	if (rc)
		die("DESTROY: %s", strerror(-rc));
}

static void sva_bind(uint32_t pasid)
{
	struct ioasid_sva_bind c = {
		.size = sizeof(c), .pasid = pasid, .mm_fd = -1,
	};

	if (ioctl(ioasid_fd, IOASID_SVA_BIND, &c))
		die("SVA_BIND: %s", strerror(errno));
}

static uint64_t prefault(uint32_t pasid, void *va, uint64_t len)
{
	struct ioasid_sva_prefault c = {
		.size = sizeof(c), .flags = IOASID_SVA_PREFAULT_WRITE,
		.pasid = pasid, .va = (uintptr_t)va, .length = len,
	};

	if (ioctl(ioasid_fd, IOASID_SVA_PREFAULT, &c))
		die("SVA_PREFAULT %p+%#llx: %s", va, (unsigned long long)len,
		    strerror(errno));
	return c.out_mapped;
}

static void allow_edu(uint32_t pasid)
{
	int rc = vfio_edu_allow(&edu, ioasid_fd, pasid, 0);

	if (rc)
		die("ALLOW: %s", strerror(-rc));
}

static void disallow_edu(uint32_t pasid)
{
	int rc = vfio_edu_disallow(&edu, pasid, 0);

	if (rc)
		die("DISALLOW: %s", strerror(-rc));
}

/* A round trip through the device: @va's first page to its second. */
static void dma_check(uint8_t *va, uint64_t iova)
{
	int i;

	for (i = 0; i < 256; i++)
		va[i] = (uint8_t)(i * 7 + 1);
	memset(va + PG, 0, 256);
	if (vfio_edu_to_device(&edu, iova, 0, 256) ||
	    vfio_edu_to_ram(&edu, 0, iova + PG, 256) ||
	    memcmp(va, va + PG, 256))
		die("DMA through %#llx did not arrive", (unsigned long long)iova);
}

/* Populated anonymous memory, 2 MiB aligned, THP or not. */
static uint8_t *buffer(size_t len, bool thp)
{
	uint8_t *p = mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *a;

	if (p == MAP_FAILED)
		die("mmap %zu: %s", len, strerror(errno));
	a = (uint8_t *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));
	if (madvise(a, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("madvise: %s", strerror(errno));
	memset(a, 0x5a, len);
	return a;
}

static void print_stat(const char *fmt, const double *v, int n)
{
	struct stat3 s = stats(v, n);
	char b[96];

	snprintf(b, sizeof(b), fmt, s.med, s.min, s.max);
	printf(" %-28s", b);
}

/* --- (a) -------------------------------------------------------------------- */

static void bench_reach(size_t len, bool thp)
{
	double sva[MAX_ROUNDS], map[MAX_ROUNDS], ratio[MAX_ROUNDS];
	double sva_down[MAX_ROUNDS], map_down[MAX_ROUNDS];
	const double per_gib = (double)GiB / len / 1e6;	/* ns -> ms/GiB */
	long thp0 = meminfo_kb("AnonHugePages");
	uint8_t *buf = buffer(len, thp);
	long thp_kb = meminfo_kb("AnonHugePages") - thp0;
	int r, side;

	for (r = 0; r < rounds; r++) {
		for (side = 0; side < 2; side++) {
			bool do_sva = (side == 0) == (r % 2 == 0);
			uint32_t pasid = ioas_alloc();
			double t0, t1, t2, t3, t4;

			if (do_sva) {
				t0 = now_ns();
				sva_bind(pasid);
				t1 = now_ns();
				allow_edu(pasid);
				t2 = now_ns();
				if (prefault(pasid, buf, len) != len)
					die("prefault mirrored less than asked");
				t3 = now_ns();
				dma_check(buf, (uintptr_t)buf);
				t4 = now_ns();
				disallow_edu(pasid);
				ioas_destroy(pasid);
				sva_down[r] = (now_ns() - t4) * per_gib;
				sva[r] = ((t1 - t0) + (t3 - t2)) * per_gib;
			} else {
				allow_edu(pasid);
				t0 = now_ns();
				if (edu_ioasid_map(ioasid_fd, pasid, buf, len,
						   (uintptr_t)buf))
					die("MAP: %s", strerror(errno));
				t1 = now_ns();
				dma_check(buf, (uintptr_t)buf);
				t2 = now_ns();
				if (edu_ioasid_unmap(ioasid_fd, pasid,
						     (uintptr_t)buf, len))
					die("UNMAP: %s", strerror(errno));
				map_down[r] = (now_ns() - t2) * per_gib;
				map[r] = (t1 - t0) * per_gib;
				disallow_edu(pasid);
				ioas_destroy(pasid);
			}
		}
		ratio[r] = sva[r] / map[r];
	}
	printf("    %-5s %4zu MiB (AnonHugePages +%ld kB) |", thp ? "thp" : "4k",
	       len / MiB, thp_kb);
	print_stat("%.1f [%.1f .. %.1f]", sva, rounds);
	print_stat("%.1f [%.1f .. %.1f]", map, rounds);
	print_stat("%.2fx [%.2f .. %.2f]", ratio, rounds);
	printf("|");
	print_stat("%.1f [%.1f .. %.1f]", sva_down, rounds);
	print_stat("%.1f [%.1f .. %.1f]", map_down, rounds);
	printf("\n");
	munmap(buf, len);
}

/* --- (b) -------------------------------------------------------------------- */

enum { B_MIRRORED, B_BOUND, B_UNBOUND, B_NR };

/* us per munmap() of a fresh populated mapping of @n pages */
static double time_munmap(size_t n, int reps, uint32_t mirror_pasid)
{
	double total = 0, t0;
	int i;

	for (i = 0; i < reps; i++) {
		uint8_t *p = mmap(NULL, n * PG, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		madvise(p, n * PG, MADV_NOHUGEPAGE);
		memset(p, 1, n * PG);
		if (mirror_pasid && prefault(mirror_pasid, p, n * PG) != n * PG)
			die("prefault of %zu pages mirrored less", n);
		t0 = now_ns();
		if (munmap(p, n * PG))
			die("munmap: %s", strerror(errno));
		total += now_ns() - t0;
	}
	return total / reps / 1e3;
}

/* us per mprotect(PROT_READ) of @n populated (and maybe mirrored) pages */
static double time_mprotect(size_t n, int reps, uint32_t mirror_pasid)
{
	uint8_t *p = mmap(NULL, n * PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double total = 0, t0;
	int i;

	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	madvise(p, n * PG, MADV_NOHUGEPAGE);
	memset(p, 1, n * PG);
	for (i = 0; i < reps; i++) {
		if (mirror_pasid && prefault(mirror_pasid, p, n * PG) != n * PG)
			die("prefault of %zu pages mirrored less", n);
		t0 = now_ns();
		if (mprotect(p, n * PG, PROT_READ))
			die("mprotect: %s", strerror(errno));
		total += now_ns() - t0;
		if (mprotect(p, n * PG, PROT_READ | PROT_WRITE))
			die("mprotect: %s", strerror(errno));
	}
	munmap(p, n * PG);
	return total / reps / 1e3;
}

static void bench_notifier(void)
{
	static const size_t ns[] = { 1, 64, 512, 4096 };
	static const int reps[] = { 200, 50, 12, 3 };
	double v[2][4][B_NR][MAX_ROUNDS], rm[MAX_ROUNDS], rb[MAX_ROUNDS];
	unsigned int op, k;
	int r, phase, j;

	for (r = 0; r < rounds; r++) {
		for (phase = 0; phase < 2; phase++) {
			bool bound = (phase == 0) == (r % 2 == 0);
			uint32_t pasid = 0;

			if (bound) {
				pasid = ioas_alloc();
				sva_bind(pasid);
				allow_edu(pasid);
			}
			for (k = 0; k < 4; k++) {
				if (bound) {
					v[0][k][B_MIRRORED][r] = time_munmap(ns[k], reps[k], pasid);
					v[0][k][B_BOUND][r] = time_munmap(ns[k], reps[k], 0);
					v[1][k][B_MIRRORED][r] = time_mprotect(ns[k], reps[k], pasid);
					v[1][k][B_BOUND][r] = time_mprotect(ns[k], reps[k], 0);
				} else {
					v[0][k][B_UNBOUND][r] = time_munmap(ns[k], reps[k], 0);
					v[1][k][B_UNBOUND][r] = time_mprotect(ns[k], reps[k], 0);
				}
			}
			if (bound) {
				disallow_edu(pasid);
				ioas_destroy(pasid);
			}
		}
	}
	printf("\n(b) munmap / mprotect(PROT_READ) of N pages, us per call: median [min .. max]\n");
	printf("    %-9s %5s | %-26s | %-26s | %-26s | %-22s | %s\n", "call", "N",
	       "mirrored (edu attached)", "bound, not mirrored",
	       "no binding", "mirrored / no binding",
	       "bound unmirrored / no binding");
	for (op = 0; op < 2; op++) {
		for (k = 0; k < 4; k++) {
			for (j = 0; j < rounds; j++) {
				rm[j] = v[op][k][B_MIRRORED][j] / v[op][k][B_UNBOUND][j];
				rb[j] = v[op][k][B_BOUND][j] / v[op][k][B_UNBOUND][j];
			}
			printf("    %-9s %5zu |", op ? "mprotect" : "munmap", ns[k]);
			print_stat("%.1f [%.1f .. %.1f]", v[op][k][B_MIRRORED], rounds);
			print_stat("%.1f [%.1f .. %.1f]", v[op][k][B_BOUND], rounds);
			print_stat("%.1f [%.1f .. %.1f]", v[op][k][B_UNBOUND], rounds);
			print_stat("%.2fx [%.2f .. %.2f]", rm, rounds);
			print_stat("%.2fx [%.2f .. %.2f]", rb, rounds);
			printf("\n");
		}
	}
}

/* --- (c) -------------------------------------------------------------------- */

static int sw_create(void)
{
	struct ioasid_test_device_create c = { .size = sizeof(c), .pasid_bits = 20 };
	int tfd = open("/dev/ioasid-test", O_RDWR | O_CLOEXEC);

	if (tfd < 0)
		die("/dev/ioasid-test: %s (is ioasidfd_test loaded?)", strerror(errno));
	if (ioctl(tfd, IOASID_TEST_DEVICE_CREATE, &c))
		die("IOASID_TEST_DEVICE_CREATE: %s", strerror(errno));
	close(tfd);
	return c.out_device_fd;
}

/* us per 64-byte device write, one to each of @n pages from @va (or @iova) */
static double sw_writes(int dev, uint32_t pasid, uint64_t iova, size_t n)
{
	uint8_t data[64];
	double t0 = now_ns();
	size_t i;

	memset(data, 0x77, sizeof(data));
	for (i = 0; i < n; i++) {
		struct ioasid_test_dma c = {
			.size = sizeof(c),
			.flags = IOASID_TEST_DMA_WRITE | IOASID_TEST_DMA_PASID,
			.pasid = pasid,
			.iova = iova + i * PG,
			.length = sizeof(data),
			.buf_uptr = (uintptr_t)data,
		};

		if (ioctl(dev, IOASID_TEST_DMA, &c) ||
		    c.out_status != IOASID_TEST_DMA_OK)
			die("software DMA to %#llx: %s / status %u",
			    (unsigned long long)c.iova, strerror(errno),
			    c.out_status);
	}
	return (now_ns() - t0) / n / 1e3;
}

static void bench_iopf(void)
{
	const size_t n = 1024;
	double first[MAX_ROUNDS], present[MAX_ROUNDS], iova[MAX_ROUNDS];
	double cpu[MAX_ROUNDS], ratio[MAX_ROUNDS];
	int dev = sw_create(), r;
	uint32_t sva = ioas_alloc(), io = ioas_alloc();

	sva_bind(sva);
	if (_ioasid_device_allow(dev, ioasid_fd, sva, IOASID_DEVICE_PASID, 0) ||
	    _ioasid_device_allow(dev, ioasid_fd, io, IOASID_DEVICE_PASID, 0))
		die("ALLOW (software device): %s", strerror(errno));
	for (r = 0; r < rounds; r++) {
		uint8_t *p = mmap(NULL, n * PG, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint8_t *q = buffer(n * PG, false);
		double t0;
		size_t i;

		if (p == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		madvise(p, n * PG, MADV_NOHUGEPAGE);
		if (r % 2) {
			/* the CPU's first touch first, on a region of its own */
			uint8_t *c = mmap(NULL, n * PG, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			madvise(c, n * PG, MADV_NOHUGEPAGE);
			t0 = now_ns();
			for (i = 0; i < n; i++)
				c[i * PG] = 1;
			cpu[r] = (now_ns() - t0) / n / 1e3;
			munmap(c, n * PG);
		}
		first[r] = sw_writes(dev, sva, (uintptr_t)p, n);
		present[r] = sw_writes(dev, sva, (uintptr_t)p, n);
		if (edu_ioasid_map(ioasid_fd, io, q, n * PG, 1ULL << 32))
			die("MAP: %s", strerror(errno));
		iova[r] = sw_writes(dev, io, 1ULL << 32, n);
		if (edu_ioasid_unmap(ioasid_fd, io, 1ULL << 32, n * PG))
			die("UNMAP: %s", strerror(errno));
		if (!(r % 2)) {
			uint8_t *c = mmap(NULL, n * PG, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			madvise(c, n * PG, MADV_NOHUGEPAGE);
			t0 = now_ns();
			for (i = 0; i < n; i++)
				c[i * PG] = 1;
			cpu[r] = (now_ns() - t0) / n / 1e3;
			munmap(c, n * PG);
		}
		if (p[0] != 0x77 || p[(n - 1) * PG + 63] != 0x77)
			die("the software DMA did not land");
		ratio[r] = first[r] / present[r];
		munmap(p, n * PG);
		munmap(q, n * PG);
	}
	printf("\n(c) software executor, 64-byte device write per page (%zu pages), us per access\n", n);
	printf("    %-26s | %-26s | %-22s | %-26s | %s\n", "SVA, first touch (IOPF)",
	       "SVA, page present", "first / present", "IOVA mapping (pinned)",
	       "CPU first touch");
	printf("   ");
	print_stat("%.2f [%.2f .. %.2f]", first, rounds);
	printf("|");
	print_stat("%.2f [%.2f .. %.2f]", present, rounds);
	printf("|");
	print_stat("%.2fx [%.2f .. %.2f]", ratio, rounds);
	printf("|");
	print_stat("%.2f [%.2f .. %.2f]", iova, rounds);
	printf("|");
	print_stat("%.2f [%.2f .. %.2f]", cpu, rounds);
	printf("\n");
	close(dev);
	ioas_destroy(sva);
	ioas_destroy(io);
}

int main(int argc, char **argv)
{
	char bdfs[EDU_MAX_DEVICES][32];
	size_t len = 256 * MiB;
	long avail;
	bool skip_a = false;
	int opt, rc;

	while ((opt = getopt(argc, argv, "r:m:sh")) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'm':
			len = strtoul(optarg, NULL, 0) * MiB;
			break;
		case 's':
			skip_a = true;
			break;
		default:
			fprintf(stderr, "usage: sva_bench [-r ROUNDS] [-m MiB] [-s]\n");
			return 2;
		}
	}
	if (rounds < 5 || rounds > MAX_ROUNDS)
		die("-r takes 5 to %d rounds", MAX_ROUNDS);
	avail = meminfo_kb("MemAvailable");
	if (avail > 0 && len > (size_t)avail * 1024 / 3)
		len = ((size_t)avail * 1024 / 3) & ~(SZ_2M * 8 - 1);
	if (len < 16 * MiB)
		die("not enough memory (MemAvailable %ld kB)", avail);

	ioasid_fd = edu_ioasid_open();
	if (ioasid_fd < 0)
		die("/dev/ioasid: %s", strerror(-ioasid_fd));
	if (edu_find(bdfs) < 1)
		die("no edu device");
	vfio_edu_init(&edu);
	rc = vfio_edu_open(&edu, bdfs[0], EDU_DRIVER_IOASID, IOASID_VFIO_IOMMU_TYPE);
	if (rc)
		die("opening %s: %s", bdfs[0], strerror(-rc));

	printf("sva_bench: %d rounds, edu %s, MemAvailable %ld kB\n", rounds,
	       bdfs[0], avail);
	if (!skip_a) {
		printf("\n(a) making populated memory reachable at RID, ms per GiB: median [min .. max]\n");
		printf("    %-37s | %-28s %-28s %-28s| %-28s %s\n", "buffer",
		       "SVA_BIND + SVA_PREFAULT", "IOASID_MAP", "SVA / MAP",
		       "DISALLOW + DESTROY (SVA)", "UNMAP (IOVA)");
		bench_reach(len, false);
		bench_reach(len, true);
	}
	bench_notifier();
	bench_iopf();
	vfio_edu_close(&edu);
	close(ioasid_fd);
	return 0;
}
