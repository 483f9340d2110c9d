// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid_bench: costs of the /dev/ioasid core object model.
 *
 * Build (static, into build/<amd64|arm64>/tools/ioasid_bench):
 *
 *   make -C tools/ioasid-bench              # amd64
 *   make -C tools/ioasid-bench ARCH=arm64   # arm64 (aarch64-linux-gnu-gcc)
 *
 * Run as root in a guest with ioasidfd.ko loaded, e.g.
 *
 *   scripts/vm run --arch amd64 -- build/amd64/tools/ioasid_bench
 *
 * This is a measurement, not a test: it never judges a timing, it prints
 * them next to the design goals.  Test beds are noisy (TCG guests sharing
 * host cores), so every timed comparison is run in rounds within one boot,
 * alternating which side goes first, and the table reports medians over the
 * rounds with their spread.
 *
 *  (a) ALLOC+DESTROY of one IOASID, as a ratio to a null ioctl on the same
 *      fd.  The null ioctl is an unknown command number (_IO(0xBA, 0x3f)):
 *      it goes through the syscall, the VFS and the module's dispatcher and
 *      fails with ENOTTY there.  Goal: a pair <= 3x a null ioctl.  ALLOC and
 *      DESTROY are also timed alone, in batches.
 *  (b) GET_INFO(IOASID_INFO_PASID) on a random live PASID of an fd holding
 *      1 IOASID and of an fd holding 100,000.  Goal: flat within 1.2x.
 *  (c) Kernel memory per idle IOASID: the growth of "Slab:" in
 *      /proc/meminfo (SReclaimable + SUnreclaim) over allocating 100,000
 *      IOASIDs in a fresh fd, divided by 100,000.  That figure is the one
 *      compared with the goal (<= 192 bytes) because it counts everything an
 *      IOASID costs in slab memory wherever it is allocated: the module's
 *      struct, the fd's xarray nodes, and on x86 the kernel PASID
 *      allocator's ioasid_data and xarray nodes, whole slab pages included.
 *      /proc/slabinfo is used as a cross-check (growth of active objects x
 *      object size, which leaves out slab slack) and to show which caches
 *      grew.
 *
 * The quota parameters are raised for (b) and (c) and restored on exit.
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
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include <linux/ioasidfd.h>

#define BENCH_NAME	"ioasid_bench"
#include "bench.h"

#define PARAMS		"/sys/module/ioasidfd/parameters/"
#define COUNTERS	"/sys/kernel/debug/ioasidfd/counters"
#define NULL_IOCTL	_IO(IOASID_TYPE, 0x3f)
#define MAX_CACHES	512

static int rounds = 7;
static long batch = 20000;
static long nr_big = 100000;

/* ------------------------------------------------------------------------
 * Helpers
 */

static int ioasid_open(void)
{
	int fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/ioasid: %s (is ioasidfd.ko loaded?)", strerror(errno));
	return fd;
}

static __u32 do_alloc(int fd)
{
	struct ioasid_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(fd, IOASID_ALLOC, &cmd))
		die("IOASID_ALLOC: %s", strerror(errno));
	return cmd.out_pasid;
}

static void do_destroy(int fd, __u32 pasid)
{
	struct ioasid_destroy cmd = { .size = sizeof(cmd), .pasid = pasid };

	if (ioctl(fd, IOASID_DESTROY, &cmd))
		die("IOASID_DESTROY %u: %s", pasid, strerror(errno));
}

/* ------------------------------------------------------------------------
 * Quotas
 */

static unsigned int saved_fd, saved_user;
static bool saved;

static int param_rw(const char *name, unsigned int *val, bool write)
{
	char path[128];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, write ? "we" : "re");
	if (!f)
		return -1;
	rc = write ? (fprintf(f, "%u\n", *val) > 0 ? 0 : -1)
		   : (fscanf(f, "%u", val) == 1 ? 0 : -1);
	if (fclose(f))
		rc = -1;
	return rc;
}

static void restore_quotas(void)
{
	if (!saved)
		return;
	param_rw("max_per_fd", &saved_fd, true);
	param_rw("max_per_user", &saved_user, true);
	saved = false;
}

static void on_signal(int sig)
{
	restore_quotas();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void raise_quotas(unsigned int need)
{
	unsigned int v;

	if (param_rw("max_per_fd", &saved_fd, false) ||
	    param_rw("max_per_user", &saved_user, false))
		die("cannot read the quota parameters in " PARAMS);
	saved = true;
	atexit(restore_quotas);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	v = saved_fd > need ? saved_fd : need;
	if (param_rw("max_per_fd", &v, true))
		die("cannot raise max_per_fd (run as root)");
	v = saved_user > 2 * need ? saved_user : 2 * need;
	if (param_rw("max_per_user", &v, true))
		die("cannot raise max_per_user (run as root)");
}

/*
 * One round of an A/B comparison: the batch is split into SUB sub-batches
 * per side, run A B B A A B ... so that a change of host load during the
 * round hits both sides alike.  Returns ns per call of each side.
 */
#define SUB	8

typedef double (*timed_fn)(void *arg, long calls);

static void ab_round(int r, timed_fn a, void *aa, timed_fn b, void *ba,
		     double *a_ns, double *b_ns)
{
	long calls = batch / SUB;
	double ta = 0, tb = 0;
	int i;

	for (i = 0; i < SUB; i++) {
		if ((i + r) % 2) {
			ta += a(aa, calls);
			tb += b(ba, calls);
		} else {
			tb += b(ba, calls);
			ta += a(aa, calls);
		}
	}
	*a_ns = ta / SUB;
	*b_ns = tb / SUB;
}

/* ------------------------------------------------------------------------
 * (a) ALLOC + DESTROY against a null ioctl
 */

static double time_null(void *arg, long calls)
{
	struct ioasid_destroy cmd = { .size = sizeof(cmd) };
	int fd = *(int *)arg;
	double t0 = now_ns();
	long i;

	for (i = 0; i < calls; i++)
		if (ioctl(fd, NULL_IOCTL, &cmd) != -1 || errno != ENOTTY)
			die("null ioctl did not fail with ENOTTY");
	return (now_ns() - t0) / calls;
}

static double time_pair(void *arg, long calls)
{
	int fd = *(int *)arg;
	double t0 = now_ns();
	long i;

	for (i = 0; i < calls; i++)
		do_destroy(fd, do_alloc(fd));
	return (now_ns() - t0) / calls;
}

/* ALLOC alone and DESTROY alone: a batch of each */
static void time_split(int fd, double *alloc, double *destroy)
{
	__u32 *p = malloc(batch * sizeof(*p));
	double t0;
	long i;

	if (!p)
		die("out of memory");
	t0 = now_ns();
	for (i = 0; i < batch; i++)
		p[i] = do_alloc(fd);
	*alloc = (now_ns() - t0) / batch;
	t0 = now_ns();
	for (i = 0; i < batch; i++)
		do_destroy(fd, p[i]);
	*destroy = (now_ns() - t0) / batch;
	free(p);
}

/* ------------------------------------------------------------------------
 * (b) GET_INFO lookups
 */

#define NR_IDX	65536

struct info_side {
	int fd;
	const __u32 *pasids;
	long nr;
	const unsigned int *idx;
	long pos;
};

static double time_info(void *arg, long calls)
{
	static unsigned char caps[4096];
	struct info_side *side = arg;
	struct ioasid_info cmd;
	double t0;
	long i;

	t0 = now_ns();
	for (i = 0; i < calls; i++) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.size = sizeof(cmd);
		cmd.flags = IOASID_INFO_PASID;
		cmd.pasid = side->pasids[side->idx[side->pos++ % NR_IDX] % side->nr];
		cmd.caps_len = sizeof(caps);
		cmd.caps_uptr = (uintptr_t)caps;
		if (ioctl(side->fd, IOASID_GET_INFO, &cmd))
			die("IOASID_GET_INFO %u: %s", cmd.pasid, strerror(errno));
	}
	return (now_ns() - t0) / calls;
}

/* ------------------------------------------------------------------------
 * (c) Slab memory
 */

struct cache {
	char name[64];
	long active, num, objsize;
};

struct slabinfo {
	int n;
	struct cache c[MAX_CACHES];
};

static bool read_slabinfo(struct slabinfo *s)
{
	char line[512];
	FILE *f;

	s->n = 0;
	f = fopen("/proc/slabinfo", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f) && s->n < MAX_CACHES) {
		struct cache *c = &s->c[s->n];

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %ld %ld %ld", c->name, &c->active,
			   &c->num, &c->objsize) == 4)
			s->n++;
	}
	fclose(f);
	return true;
}

static long counter(const char *name)
{
	char n[64];
	long v, r = -1;
	FILE *f = fopen(COUNTERS, "re");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", n, &v) == 2)
		if (!strcmp(n, name))
			r = v;
	fclose(f);
	return r;
}

/* After a close: the IOASIDs and their PASIDs go after RCU grace periods. */
static void settle(void)
{
	long slab, prev = -1;
	int stable = 0, i;

	for (i = 0; i < 200 && counter("pasids") > 0; i++)
		usleep(50000);
	for (i = 0; i < 50 && stable < 3; i++) {
		usleep(200000);
		slab = meminfo_kb("Slab");
		stable = slab == prev ? stable + 1 : 0;
		prev = slab;
	}
}

struct cache_delta {
	char name[64];
	double bytes;		/* growth of active objects x size, per IOASID */
};

/*
 * SLUB merges caches of like size and flags; /proc/slabinfo shows a merged
 * cache under one name.  List the caches in /sys/kernel/slab that are
 * aliases of the same one, so that "ip_fib_trie" reads as what it holds.
 */
static void slab_aliases(const char *name, char *out, size_t len)
{
	char path[320], target[256], t2[256];
	struct dirent *de;
	size_t n = 0;
	ssize_t l;
	DIR *d;

	out[0] = 0;
	snprintf(path, sizeof(path), "/sys/kernel/slab/%.200s", name);
	l = readlink(path, target, sizeof(target) - 1);
	if (l < 0)
		return;		/* not merged, or no sysfs */
	target[l] = 0;
	d = opendir("/sys/kernel/slab");
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == ':' || de->d_name[0] == '.' ||
		    !strcmp(de->d_name, name))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%.200s", de->d_name);
		l = readlink(path, t2, sizeof(t2) - 1);
		if (l < 0)
			continue;
		t2[l] = 0;
		if (strcmp(t2, target))
			continue;
		n += snprintf(out + n, n < len ? len - n : 0, "%s%s",
			      n ? ", " : "", de->d_name);
	}
	closedir(d);
}

static int cmp_delta(const void *a, const void *b)
{
	const struct cache_delta *x = a, *y = b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * main
 */

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-r ROUNDS] [-n CALLS] [-N IOASIDS]\n"
		"  -r  rounds per comparison, at least 5 (default 7)\n"
		"  -n  calls per timed batch (default 20000)\n"
		"  -N  IOASIDs in the big fd and for the memory figure (default 100000)\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	double null_ns[MAX_ROUNDS], pair_ns[MAX_ROUNDS], ratio_a[MAX_ROUNDS];
	double alloc_ns[MAX_ROUNDS], destroy_ns[MAX_ROUNDS];
	double null2_ns[MAX_ROUNDS], pair2_ns[MAX_ROUNDS], ratio_a2[MAX_ROUNDS];
	struct info_side small_side, big_side;
	char aliases[512];
	double small_ns[MAX_ROUNDS], big_ns[MAX_ROUNDS], ratio_b[MAX_ROUNDS];
	double slab_b[MAX_ROUNDS], active_b[MAX_ROUNDS];
	static struct slabinfo before, after;
	static struct cache_delta deltas[MAX_CACHES];
	struct ioasid_info info = { .size = sizeof(info) };
	unsigned char capbuf[4096];
	struct stat3 s, s2;
	struct utsname u;
	unsigned int *idx;
	__u32 *big_pasids, small_pasid;
	bool have_slabinfo = true, system_pasids = false;
	int fd, fd_small, fd_big, opt, r, i, j, ndeltas = 0;
	long k;

	while ((opt = getopt(argc, argv, "r:n:N:h")) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'n':
			batch = atol(optarg);
			break;
		case 'N':
			nr_big = atol(optarg);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (rounds < 5 || rounds > MAX_ROUNDS || batch < 100 || nr_big < 1000)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	fd = ioasid_open();
	info.caps_len = sizeof(capbuf);
	info.caps_uptr = (uintptr_t)capbuf;
	if (!ioctl(fd, IOASID_GET_INFO, &info)) {
		struct ioasid_info_cap_header *h = (void *)capbuf;

		for (;;) {
			if (h->id == IOASID_INFO_CAP_PASID)
				system_pasids = ((struct ioasid_info_cap_pasid *)h)->flags &
						IOASID_CAP_PASID_SYSTEM;
			if (!h->next || h->next >= info.out_caps_written)
				break;
			h = (void *)(capbuf + h->next);
		}
	}
	uname(&u);
	printf("ioasid_bench: Linux %s %s, %ld CPUs, PASIDs from the %s allocator\n",
	       u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN),
	       system_pasids ? "system (ioasid_alloc)" : "module's own");
	printf("%d rounds of %ld calls per side, each round interleaving the two sides\n"
	       "in %d sub-batches (ABBA...); figures are medians over the rounds\n"
	       "[min .. max]\n\n", rounds, batch, SUB);

	/* ---- (a) ---------------------------------------------------------- */
	time_null(&fd, batch);		/* warm up */
	time_pair(&fd, batch);
	for (r = 0; r < rounds; r++) {
		ab_round(r, time_null, &fd, time_pair, &fd, &null_ns[r], &pair_ns[r]);
		ratio_a[r] = pair_ns[r] / null_ns[r];
		time_split(fd, &alloc_ns[r], &destroy_ns[r]);
	}
	/*
	 * The same with one resident IOASID next to the churned one: the
	 * fd's xarray node (and on x86 the PASID allocator's) then stays, so
	 * this shows what the pair costs without node allocation and freeing.
	 */
	{
		__u32 resident = do_alloc(fd);

		for (r = 0; r < rounds; r++) {
			ab_round(r, time_null, &fd, time_pair, &fd,
				 &null2_ns[r], &pair2_ns[r]);
			ratio_a2[r] = pair2_ns[r] / null2_ns[r];
		}
		do_destroy(fd, resident);
	}

	/* ---- (b) ---------------------------------------------------------- */
	raise_quotas(nr_big + 16);
	idx = malloc(NR_IDX * sizeof(*idx));
	big_pasids = malloc(nr_big * sizeof(*big_pasids));
	if (!idx || !big_pasids)
		die("out of memory");
	srand(12345);
	for (i = 0; i < NR_IDX; i++)
		idx[i] = ((unsigned int)rand() << 16) ^ (unsigned int)rand();
	fd_small = ioasid_open();
	small_pasid = do_alloc(fd_small);
	fd_big = ioasid_open();
	for (k = 0; k < nr_big; k++)
		big_pasids[k] = do_alloc(fd_big);
	small_side = (struct info_side){ fd_small, &small_pasid, 1, idx, 0 };
	big_side = (struct info_side){ fd_big, big_pasids, nr_big, idx, 0 };
	time_info(&small_side, batch);	/* warm up */
	time_info(&big_side, batch);
	for (r = 0; r < rounds; r++) {
		ab_round(r, time_info, &small_side, time_info, &big_side,
			 &small_ns[r], &big_ns[r]);
		ratio_b[r] = big_ns[r] / small_ns[r];
	}
	close(fd_small);
	close(fd_big);
	close(fd);

	/* ---- (c) ---------------------------------------------------------- */
	settle();
	for (r = 0; r < rounds; r++) {
		long slab0, slab1;

		fd = ioasid_open();
		have_slabinfo = read_slabinfo(&before) && have_slabinfo;
		slab0 = meminfo_kb("Slab");
		for (k = 0; k < nr_big; k++)
			do_alloc(fd);
		slab1 = meminfo_kb("Slab");
		have_slabinfo = read_slabinfo(&after) && have_slabinfo;
		slab_b[r] = (slab1 - slab0) * 1024.0 / nr_big;
		active_b[r] = 0;
		for (i = 0; have_slabinfo && i < after.n; i++) {
			struct cache *a = &after.c[i];
			long prev = 0;
			double d;

			for (j = 0; j < before.n; j++)
				if (!strcmp(before.c[j].name, a->name))
					prev = before.c[j].active;
			d = (double)(a->active - prev) * a->objsize / nr_big;
			active_b[r] += d;
			if (r != rounds - 1 || d < 0.5)
				continue;
			snprintf(deltas[ndeltas].name, sizeof(deltas[0].name),
				 "%s", a->name);
			deltas[ndeltas++].bytes = d;
		}
		close(fd);
		settle();
	}
	restore_quotas();

	/* ---- the table ---------------------------------------------------- */
	printf("%-58s %10s   %s\n", "", "median", "[min .. max]");
	printf("(a) ALLOC+DESTROY against a null ioctl on the same fd\n");
	s = stats(null_ns, rounds);
	printf("    %-54s %7.0f ns   [%.0f .. %.0f]\n",
	       "null ioctl (unknown nr -> ENOTTY in the dispatcher)", s.med, s.min, s.max);
	s2 = stats(pair_ns, rounds);
	printf("    %-54s %7.0f ns   [%.0f .. %.0f]\n",
	       "ALLOC + DESTROY, one pair (two ioctls)", s2.med, s2.min, s2.max);
	s = stats(alloc_ns, rounds);
	printf("    %-54s %7.0f ns   [%.0f .. %.0f]\n",
	       "ALLOC alone (batch, fd growing to the batch size)", s.med, s.min, s.max);
	s = stats(destroy_ns, rounds);
	printf("    %-54s %7.0f ns   [%.0f .. %.0f]\n",
	       "DESTROY alone (batch)", s.med, s.min, s.max);
	s = stats(ratio_a, rounds);
	printf("    %-54s %7.2f x    [%.2f .. %.2f]   goal <= 3x\n",
	       "ratio pair / null (per round)", s.med, s.min, s.max);
	printf("    %-54s %7.2f x\n", "ratio pair / null (per-ioctl: pair / 2 / null)",
	       s.med / 2);
	s = stats(pair2_ns, rounds);
	printf("    %-54s %7.0f ns   [%.0f .. %.0f]\n",
	       "ALLOC + DESTROY with a resident IOASID in the fd", s.med, s.min, s.max);
	s = stats(ratio_a2, rounds);
	printf("    %-54s %7.2f x    [%.2f .. %.2f]   goal <= 3x\n",
	       "ratio pair / null, resident IOASID (per round)", s.med, s.min, s.max);

	printf("(b) GET_INFO(IOASID_INFO_PASID) on a random live PASID\n");
	s = stats(small_ns, rounds);
	printf("    %-54s %7.0f ns   [%.0f .. %.0f]\n", "fd with 1 IOASID",
	       s.med, s.min, s.max);
	s = stats(big_ns, rounds);
	printf("    %-54s %7.0f ns   [%.0f .. %.0f]\n",
	       nr_big == 100000 ? "fd with 100,000 IOASIDs" : "fd with N IOASIDs (-N)",
	       s.med, s.min, s.max);
	s = stats(ratio_b, rounds);
	printf("    %-54s %7.2f x    [%.2f .. %.2f]   goal <= 1.2x\n",
	       "ratio big / small (per round)", s.med, s.min, s.max);

	printf("(c) kernel memory per idle IOASID (%ld allocated in a fresh fd)\n",
	       nr_big);
	s = stats(slab_b, rounds);
	printf("    %-54s %7.1f B    [%.1f .. %.1f]   goal <= 192 B\n",
	       "/proc/meminfo Slab growth / IOASID  (the goal figure)",
	       s.med, s.min, s.max);
	if (have_slabinfo) {
		s = stats(active_b, rounds);
		printf("    %-54s %7.1f B    [%.1f .. %.1f]\n",
		       "/proc/slabinfo active objects x size / IOASID",
		       s.med, s.min, s.max);
		qsort(deltas, ndeltas, sizeof(deltas[0]), cmp_delta);
		printf("    caches that grew (last round, bytes per IOASID):\n");
		for (i = 0; i < ndeltas && i < 8; i++) {
			slab_aliases(deltas[i].name, aliases, sizeof(aliases));
			printf("      %-52s %7.1f B\n", deltas[i].name, deltas[i].bytes);
			if (aliases[0])
				printf("        (a merged cache, also: %.200s)\n", aliases);
		}
	} else {
		printf("    /proc/slabinfo unreadable: no per-cache breakdown\n");
	}
	return 0;
}
