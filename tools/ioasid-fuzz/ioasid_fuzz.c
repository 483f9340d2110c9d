// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid_fuzz: a coverage-guided fuzzer of every ioctl of /dev/ioasid.
 *
 * A program is a short list of calls (up to MAX_CALLS), each an operation
 * and six raw 64-bit arguments that the operation interprets when it runs:
 * which fd, IOASID, buffer or IOVA of the program's pools to use, flags,
 * lengths, struct sizes.  Arguments are drawn mostly valid (an object that
 * exists, a length that fits), sometimes at a boundary (0, 1, a page minus
 * one, the largest value, an unaligned address) and sometimes at random.
 * The operations cover every ioctl of every fd kind -- /dev/ioasid (SVA
 * binds of the caller's mm and of its /proc/self/mem, prefaults), fault
 * queues, software devices and the walker of /dev/ioasid-test, and, with
 * ioasidfd_vfio's type1_compat and an edu device, a VFIO type1 container
 * served by /dev/ioasid (MAP_DMA, UNMAP_DMA, GET_INFO) -- plus read() and
 * poll() of
 * fault queues, close(), dup(), fd passing over a socket (SCM_RIGHTS),
 * fork() (the child runs a few calls on the inherited fds), remapping a
 * buffer under its pins, wrong ioctl numbers and struct sizes, and, with
 * ioasidfd_test.ko's fail_nth, the failure of the Nth fault-injection point
 * of the next call.
 *
 * Several threads run programs at once on one fd table, and may hand each
 * other fds through a shared pool, so that closes, DESTROYs and DMA race.
 *
 * Coverage: with KCOV (the debug kernel) each thread traces the PCs of its
 * system calls (KCOV_INIT_TRACE, per task), keeps those in ioasidfd.ko's
 * text (its .text section and size, from /sys/module/ioasidfd), and a
 * program that reaches a PC or an edge (a pair of consecutive PCs) no
 * program reached before joins the corpus.  New programs are then mostly
 * mutations of corpus programs (an argument changed, a call inserted,
 * removed or copied from another program), as syzkaller does.  Without
 * KCOV every program is generated afresh: a plain random fuzzer.
 *
 * Everything random comes from the seed (-s), per thread and iteration:
 * the same seed generates the same programs (the interleaving of threads is
 * the kernel's).  A failing run prints its seed and the last programs; run
 * the same seed with -j 1 to replay.
 *
 * Failure: a problem report in the kernel log (WARN, BUG, KASAN, UBSAN,
 * lockdep, ... : tools/lib/ioasid/kmsg.h) or the module's object counters
 * not back to zero once everything is closed.  A crash of the kernel ends
 * the guest, whose log the test bed reports.  Output is TAP.
 *
 *   ioasid_fuzz [-s SEED] [-t SECONDS] [-n PROGRAMS] [-j THREADS] [-v]
 *
 * Defaults: a seed from the clock, 90 s with KCOV and 30 s without
 * (IOASID_FUZZ_SECONDS overrides), no limit of programs, 3 threads.
 */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "ioasid_raw.h"
#include "kmsg.h"
#include "nested_pt.h"
#include "vfio_edu.h"
#include <linux/ioasidfd_test.h>

/* ------------------------------------------------------------------------
 * Randomness: splitmix64, one stream per thread
 */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool one_in(struct rng *r, unsigned int n)
{
	return !rnd_below(r, n);
}

/* A "special" 64-bit value: boundaries that break arithmetic */
static uint64_t rnd_special(struct rng *r)
{
	static const uint64_t v[] = {
		0, 1, 2, 0xfff, 0x1000, 0x1001, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ULL, 0xfffff, 0x100000, 0x1fffff,
		0x200000, 0x40000000, 0xffffffffffffULL, 0x1000000000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL,
		0xfffffffffffff000ULL, ~0ULL,
	};

	return v[rnd_below(r, ARRAY_SIZE(v))];
}

/* ------------------------------------------------------------------------
 * Programs
 */

enum op {
	OP_OPEN, OP_CLOSE, OP_DUP, OP_ALLOC, OP_DESTROY, OP_MAP, OP_UNMAP,
	OP_INFO, OP_FQ_ALLOC, OP_SET_FQ, OP_RESPOND, OP_FQ_INFO, OP_FQ_READ,
	OP_DEV_CREATE, OP_DEV_INFO, OP_ALLOW, OP_DISALLOW, OP_DMA,
	OP_BIND, OP_INVALIDATE, OP_PLANT, OP_BAD_IOCTL, OP_FORK, OP_SCM,
	OP_REMAP, OP_FAIL_NTH, OP_SHARE, OP_TAKE, OP_SVA_BIND, OP_SVA_PREFAULT,
	OP_WALK_MM, OP_COMPAT,
	OP_NR,
};

static const char *const op_names[OP_NR] = {
	"open", "close", "dup", "alloc", "destroy", "map", "unmap", "info",
	"fq_alloc", "set_fq", "respond", "fq_info", "fq_read", "dev_create",
	"dev_info", "allow", "disallow", "dma", "bind", "invalidate", "plant",
	"bad_ioctl", "fork", "scm", "remap", "fail_nth", "share", "take",
	"sva_bind", "sva_prefault", "walk_mm", "compat",
};

/* How often each operation is generated, relative */
static const unsigned int op_weight[OP_NR] = {
	[OP_OPEN] = 4, [OP_CLOSE] = 3, [OP_DUP] = 1, [OP_ALLOC] = 10,
	[OP_DESTROY] = 5, [OP_MAP] = 10, [OP_UNMAP] = 6, [OP_INFO] = 5,
	[OP_FQ_ALLOC] = 3, [OP_SET_FQ] = 4, [OP_RESPOND] = 3, [OP_FQ_INFO] = 2,
	[OP_FQ_READ] = 3, [OP_DEV_CREATE] = 4, [OP_DEV_INFO] = 2,
	[OP_ALLOW] = 10, [OP_DISALLOW] = 6, [OP_DMA] = 10, [OP_BIND] = 6,
	[OP_INVALIDATE] = 5, [OP_PLANT] = 3, [OP_BAD_IOCTL] = 4, [OP_FORK] = 1,
	[OP_SCM] = 1, [OP_REMAP] = 1, [OP_FAIL_NTH] = 3, [OP_SHARE] = 2,
	[OP_TAKE] = 2, [OP_SVA_BIND] = 5, [OP_SVA_PREFAULT] = 4, [OP_WALK_MM] = 1,
	[OP_COMPAT] = 4,
};

#define MAX_CALLS	24
#define NARGS		6

struct call {
	uint8_t op;
	uint64_t a[NARGS];
};

struct prog {
	unsigned int n;
	struct call c[MAX_CALLS];
};

/* ------------------------------------------------------------------------
 * Memory the programs map, DMA to and build guest tables in
 */

#define NBUF		6
#define BUF_4K		0	/* 256 KiB, 4 KiB pages */
#define BUF_THP		1	/* 4 MiB, THP */
#define BUF_HUGE	2	/* 2 MiB hugetlb, if there is a pool */
#define BUF_RO		3	/* 64 KiB read-only */
#define BUF_MEMFD	4	/* 256 KiB of a memfd (shmem) */
#define BUF_GUEST	5	/* 1 MiB: guest memory for nested tables */

#define GWIN		0x40000000ULL	/* the guest-physical window */

static struct {
	uint8_t *p;
	size_t len;
} bufs[NBUF];
static pthread_mutex_t remap_lock = PTHREAD_MUTEX_INITIALIZER;

static void *map_buf(size_t len, size_t align, int flags, int fd, int prot)
{
	uint8_t *p = mmap(NULL, len + align, prot, flags, fd, 0), *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	return a;
}

static int bufs_init(void)
{
	int mfd;

	bufs[BUF_4K].len = 256 * 1024;
	bufs[BUF_4K].p = map_buf(bufs[BUF_4K].len, 4096, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, PROT_READ | PROT_WRITE);
	bufs[BUF_THP].len = 4 << 20;
	bufs[BUF_THP].p = map_buf(bufs[BUF_THP].len, 2 << 20,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1,
				  PROT_READ | PROT_WRITE);
	if (bufs[BUF_THP].p)
		madvise(bufs[BUF_THP].p, bufs[BUF_THP].len, MADV_HUGEPAGE);
	bufs[BUF_HUGE].len = 2 << 20;
	bufs[BUF_HUGE].p = mmap(NULL, bufs[BUF_HUGE].len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (bufs[BUF_HUGE].p == MAP_FAILED)
		bufs[BUF_HUGE].p = NULL;
	bufs[BUF_RO].len = 64 * 1024;
	bufs[BUF_RO].p = map_buf(bufs[BUF_RO].len, 4096, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, PROT_READ);
	bufs[BUF_MEMFD].len = 256 * 1024;
	mfd = memfd_create("ioasid-fuzz", 0);
	if (mfd >= 0 && !ftruncate(mfd, bufs[BUF_MEMFD].len))
		bufs[BUF_MEMFD].p = mmap(NULL, bufs[BUF_MEMFD].len,
					 PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (bufs[BUF_MEMFD].p == MAP_FAILED)
		bufs[BUF_MEMFD].p = NULL;
	if (mfd >= 0)
		close(mfd);
	bufs[BUF_GUEST].len = 1 << 20;
	bufs[BUF_GUEST].p = map_buf(bufs[BUF_GUEST].len, 4096,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1,
				    PROT_READ | PROT_WRITE);
	if (!bufs[BUF_4K].p || !bufs[BUF_THP].p || !bufs[BUF_RO].p ||
	    !bufs[BUF_GUEST].p)
		return -ENOMEM;
	memset(bufs[BUF_4K].p, 0x11, bufs[BUF_4K].len);
	memset(bufs[BUF_THP].p, 0x22, bufs[BUF_THP].len);
	if (bufs[BUF_HUGE].p)
		memset(bufs[BUF_HUGE].p, 0x33, bufs[BUF_HUGE].len);
	if (bufs[BUF_MEMFD].p)
		memset(bufs[BUF_MEMFD].p, 0x44, bufs[BUF_MEMFD].len);
	return 0;
}

/* ------------------------------------------------------------------------
 * Coverage
 */

#define KCOV_INIT_TRACE		_IOR('c', 1, unsigned long)
#define KCOV_ENABLE		_IO('c', 100)
#define KCOV_DISABLE		_IO('c', 101)
#define KCOV_TRACE_PC		0
#define COVER_WORDS		(256 * 1024)
#define EDGE_BITS		20

static uint64_t text_start, text_size;	/* ioasidfd.ko, canonical addresses */
static _Atomic uint64_t *pc_map;	/* a bit per text byte */
static _Atomic uint64_t *edge_map;	/* a bit per edge hash */
static atomic_ulong nr_pcs, nr_edges;
static bool have_kcov;

/* The KASLR offset KCOV subtracts from each PC: real _text - link address */
static uint64_t kaslr_offset(void)
{
#if defined(__x86_64__)
	const uint64_t link = 0xffffffff81000000ULL;
#elif defined(__aarch64__)
	const uint64_t link = 0xffff800008000000ULL;
#else
	const uint64_t link = 0;
#endif
	char line[256], name[128], type;
	unsigned long long addr;
	uint64_t off = 0;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %127s", &addr, &type, name) == 3 &&
		    !strcmp(name, "_text")) {
			off = addr - link;
			break;
		}
	}
	fclose(f);
	return off;
}

static unsigned long long read_hex_file(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%lli", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* ioasidfd.ko's text, from its sections and its core size */
static int coverage_init(void)
{
	const char *dir = "/sys/module/ioasidfd/sections";
	unsigned long long lo = ~0ULL, size;
	char path[512];
	struct dirent *d;
	DIR *dp;

	if (access("/sys/kernel/debug/kcov", R_OK | W_OK))
		return -ENOENT;
	dp = opendir(dir);
	if (!dp)
		return -errno;
	while ((d = readdir(dp))) {
		unsigned long long a;

		if (strncmp(d->d_name, ".text", 5))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		a = read_hex_file(path);
		if (a && a < lo)
			lo = a;
	}
	closedir(dp);
	size = read_hex_file("/sys/module/ioasidfd/coresize");
	if (lo == ~0ULL || !size)
		return -ENOENT;
	text_start = lo;
	text_size = size;
	pc_map = calloc(size / 64 + 1, sizeof(*pc_map));
	edge_map = calloc((1UL << EDGE_BITS) / 64, sizeof(*edge_map));
	if (!pc_map || !edge_map)
		return -ENOMEM;
	return 0;
}

struct kcov {
	int fd;
	unsigned long *cover;
};

static int kcov_open(struct kcov *k)
{
	k->fd = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	k->fd = fcntl(k->fd, F_DUPFD_CLOEXEC, 900);
	if (ioctl(k->fd, KCOV_INIT_TRACE, COVER_WORDS))
		return -errno;
	k->cover = mmap(NULL, COVER_WORDS * sizeof(unsigned long),
			PROT_READ | PROT_WRITE, MAP_SHARED, k->fd, 0);
	if (k->cover == MAP_FAILED)
		return -errno;
	if (ioctl(k->fd, KCOV_ENABLE, KCOV_TRACE_PC))
		return -errno;
	return 0;
}

static bool test_and_set(_Atomic uint64_t *map, uint64_t bit)
{
	uint64_t m = 1ULL << (bit % 64);

	if (atomic_load_explicit(&map[bit / 64], memory_order_relaxed) & m)
		return false;
	return !(atomic_fetch_or(&map[bit / 64], m) & m);
}

/*
 * KCOV records each PC less the kernel's KASLR offset.  A probe call (an
 * unknown ioctl of /dev/ioasid runs the dispatcher) tells which of the
 * candidate offsets puts its PCs into the module's text; 0 if no PC lands
 * there with either, and coverage is not used.
 */
static int kcov_probe(void)
{
	const uint64_t offs[2] = { kaslr_offset(), 0 };
	struct kcov k;
	unsigned long n, i;
	int fd, j;

	if (kcov_open(&k))
		return -ENOENT;
	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	__atomic_store_n(&k.cover[0], 0, __ATOMIC_RELAXED);
	ioctl(fd, _IO(IOASID_TYPE, 0x3f), NULL);
	n = __atomic_load_n(&k.cover[0], __ATOMIC_RELAXED);
	ioctl(k.fd, KCOV_DISABLE, 0);
	close(fd);
	for (j = 0; j < 2; j++)
		for (i = 0; i < n && i < COVER_WORDS - 1; i++)
			if (k.cover[i + 1] - (text_start - offs[j]) < text_size) {
				text_start -= offs[j];
				munmap(k.cover, COVER_WORDS * sizeof(unsigned long));
				close(k.fd);
				return 0;
			}
	munmap(k.cover, COVER_WORDS * sizeof(unsigned long));
	close(k.fd);
	return -ENOENT;
}

/* Folds the trace of the last call into the maps; true if anything was new. */
static bool kcov_collect(struct kcov *k, uint64_t *prev)
{
	unsigned long n = __atomic_load_n(&k->cover[0], __ATOMIC_RELAXED), i;
	bool fresh = false;

	if (n >= COVER_WORDS)
		n = COVER_WORDS - 1;
	for (i = 0; i < n; i++) {
		uint64_t pc = k->cover[i + 1] - text_start;
		uint64_t e;

		if (pc >= text_size)
			continue;
		if (test_and_set(pc_map, pc)) {
			atomic_fetch_add(&nr_pcs, 1);
			fresh = true;
		}
		e = ((pc * 0x9e3779b97f4a7c15ULL) ^ *prev) >> (64 - EDGE_BITS);
		if (test_and_set(edge_map, e)) {
			atomic_fetch_add(&nr_edges, 1);
			fresh = true;
		}
		*prev = pc * 0xff51afd7ed558ccdULL;
	}
	__atomic_store_n(&k->cover[0], 0, __ATOMIC_RELAXED);
	return fresh;
}

/* ------------------------------------------------------------------------
 * The corpus: programs that reached new code
 */

#define CORPUS_MAX	4096

static struct prog *corpus;
static atomic_uint corpus_n;
static pthread_mutex_t corpus_lock = PTHREAD_MUTEX_INITIALIZER;

static void corpus_add(const struct prog *p)
{
	pthread_mutex_lock(&corpus_lock);
	if (corpus_n < CORPUS_MAX) {
		corpus[corpus_n] = *p;
		atomic_fetch_add(&corpus_n, 1);
	}
	pthread_mutex_unlock(&corpus_lock);
}

static bool corpus_pick(struct rng *r, struct prog *out)
{
	unsigned int n = atomic_load(&corpus_n);

	if (!n)
		return false;
	pthread_mutex_lock(&corpus_lock);
	*out = corpus[rnd_below(r, n)];
	pthread_mutex_unlock(&corpus_lock);
	return true;
}

/* ------------------------------------------------------------------------
 * Generation and mutation
 */

static unsigned int op_total;

static uint8_t gen_op(struct rng *r)
{
	unsigned int x = rnd_below(r, op_total), i;

	for (i = 0; i < OP_NR; i++) {
		if (x < op_weight[i])
			return i;
		x -= op_weight[i];
	}
	return OP_ALLOC;
}

static void gen_call(struct rng *r, struct call *c)
{
	int i;

	c->op = gen_op(r);
	for (i = 0; i < NARGS; i++) {
		switch (rnd_below(r, 8)) {
		case 0:
			c->a[i] = rnd_special(r);
			break;
		case 1:
			c->a[i] = rnd(r);
			break;
		default:	/* small: an index, a choice, a size class */
			c->a[i] = rnd_below(r, 64);
			break;
		}
	}
}

static void gen_prog(struct rng *r, struct prog *p)
{
	unsigned int i;

	p->n = 2 + rnd_below(r, MAX_CALLS - 1);
	for (i = 0; i < p->n; i++)
		gen_call(r, &p->c[i]);
}

static void mutate(struct rng *r, struct prog *p)
{
	unsigned int i, rounds = 1 + rnd_below(r, 3);
	struct prog other;

	while (rounds--) {
		switch (rnd_below(r, 6)) {
		case 0:		/* an argument */
		case 1:
			if (!p->n)
				break;
			i = rnd_below(r, p->n);
			p->c[i].a[rnd_below(r, NARGS)] = one_in(r, 2) ? rnd_special(r) :
							  one_in(r, 2) ? rnd(r) :
							  rnd_below(r, 64);
			break;
		case 2:		/* insert a call */
			if (p->n >= MAX_CALLS)
				break;
			i = rnd_below(r, p->n + 1);
			memmove(&p->c[i + 1], &p->c[i], (p->n - i) * sizeof(p->c[0]));
			gen_call(r, &p->c[i]);
			p->n++;
			break;
		case 3:		/* remove one */
			if (p->n <= 1)
				break;
			i = rnd_below(r, p->n);
			memmove(&p->c[i], &p->c[i + 1], (p->n - i - 1) * sizeof(p->c[0]));
			p->n--;
			break;
		case 4:		/* splice another program's tail */
			if (!corpus_pick(r, &other) || !other.n)
				break;
			i = rnd_below(r, p->n + 1);
			while (i < MAX_CALLS && i - p->n < other.n && i < p->n + other.n) {
				p->c[i] = other.c[rnd_below(r, other.n)];
				i++;
			}
			if (i > p->n)
				p->n = i;
			break;
		default:	/* swap two calls */
			if (p->n < 2)
				break;
			i = rnd_below(r, p->n - 1);
			{
				struct call t = p->c[i];

				p->c[i] = p->c[i + 1];
				p->c[i + 1] = t;
			}
			break;
		}
	}
}

/* ------------------------------------------------------------------------
 * Execution
 */

#define NFD	6
#define NPASID	16
#define NIOVA	16

/* fds handed between threads; racy on purpose */
static _Atomic int shared_fds[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static int fail_nth_fd = -1;
static int proc_mem_fd = -1;		/* /proc/self/mem, for foreign SVA binds */
/* A VFIO type1 container served by /dev/ioasid (type1_compat), or -1 */
static int compat_container = -1, compat_group = -1;
static __thread bool fail_nth_armed;

struct state {
	int fd[NFD];		/* /dev/ioasid */
	int q[NFD];		/* fault queues */
	int dev[NFD];		/* software devices */
	uint32_t pasid[NPASID];
	unsigned int npasid;
	uint64_t iova[NIOVA];
	uint64_t len[NIOVA];
	unsigned int niova;
	uint32_t fault_id[8];
	unsigned int nfault;
	/* the last planted guest tables: bind data of each format */
	uint64_t vtd_pe[8], smmu_ste[2];
	uint64_t gva;
	bool planted;
	bool in_child;
};

static void state_init(struct state *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < NFD; i++)
		s->fd[i] = s->q[i] = s->dev[i] = -1;
}

static int pick_fd(const int *arr, uint64_t a)
{
	int i, n = 0, idx[NFD];

	for (i = 0; i < NFD; i++)
		if (arr[i] >= 0)
			idx[n++] = i;
	if (!n)
		return -1;
	/* now and then no fd at all (never a number that may be someone's) */
	if (a % 23 == 22)
		return a % 2 ? -1 : 0x7fffffff;
	return arr[idx[a % n]];
}

static int slot_of(int *arr)
{
	int i;

	for (i = 0; i < NFD; i++)
		if (arr[i] < 0)
			return i;
	return -1;
}

static void put_fd(struct state *s, int *arr, int fd)
{
	int i = slot_of(arr);

	if (fd < 0)
		return;
	if (i < 0) {
		close(fd);
		return;
	}
	arr[i] = fd;
	(void)s;
}

/* Any fd of the program, for the calls that take one of any kind */
static int any_fd(struct state *s, uint64_t a)
{
	switch (a % 3) {
	case 0: return pick_fd(s->fd, a / 3);
	case 1: return pick_fd(s->q, a / 3);
	default: return pick_fd(s->dev, a / 3);
	}
}

static uint32_t pick_pasid(struct state *s, uint64_t a)
{
	if (a % 13 == 12)
		return (uint32_t)(a >> 8);
	if (a % 13 == 11)
		return (uint32_t)rnd_special(&(struct rng){ a });
	return s->npasid ? s->pasid[(a / 13) % s->npasid] : (uint32_t)a;
}

static void add_pasid(struct state *s, uint32_t p)
{
	s->pasid[s->npasid < NPASID ? s->npasid++ : p % NPASID] = p;
}

/* The struct size to pass: mostly right, sometimes too small or too large */
static uint32_t pick_size(uint64_t a, uint32_t size, void *cmd, size_t room)
{
	switch (a % 16) {
	case 0:
		return size - 4;		/* below the first version */
	case 1:
		return 8;
	case 2:
		if (room > size) {		/* larger, non-zero tail: E2BIG */
			((uint8_t *)cmd)[size] = 1;
			return size + 8;
		}
		return size;
	case 3:
		return room;			/* larger, zero tail */
	case 4:
		return 1 << 20;
	default:
		return size;
	}
}

/* A user pointer: mostly a buffer, sometimes garbage */
static void *pick_uptr(uint64_t a, void *good)
{
	switch (a % 20) {
	case 0: return NULL;
	case 1: return (void *)0x1000;
	case 2: return (void *)(uintptr_t)0xffffffffffff0000ULL;
	case 3: return bufs[BUF_RO].p;
	default: return good;
	}
}

static void pick_buf(struct state *s, uint64_t a, uint64_t b, uint8_t **va,
		     uint64_t *len)
{
	unsigned int i = a % NBUF;
	size_t blen;

	(void)s;
	if (!bufs[i].p)
		i = BUF_4K;
	blen = bufs[i].len;
	switch (b % 8) {
	case 0:		/* whole */
		*va = bufs[i].p;
		*len = blen;
		break;
	case 1:		/* a random page range */
	case 2:
	case 3: {
		uint64_t pages = blen / 4096;
		uint64_t first = (b >> 3) % pages;
		uint64_t n = 1 + (b >> 20) % (pages - first);

		*va = bufs[i].p + first * 4096;
		*len = n * 4096;
		break;
	}
	case 4:		/* unaligned */
		*va = bufs[i].p + 1 + (b >> 3) % 4095;
		*len = 4096;
		break;
	case 5:		/* past the end of the buffer */
		*va = bufs[i].p + blen - 4096;
		*len = 8192;
		break;
	case 6:		/* boundary length */
		*va = bufs[i].p;
		*len = rnd_special(&(struct rng){ b });
		break;
	default:	/* not mapped at all */
		*va = (uint8_t *)(uintptr_t)(0x10000000000ULL + (b & ~0xfffULL));
		*len = 4096 << (b % 4);
		break;
	}
}

static uint64_t pick_iova(struct state *s, uint64_t a)
{
	static const uint64_t fixed[] = {
		0, 0x1000, 0x100000, 0x200000, GWIN, GWIN + 0x100000,
		0xfee00000, 0xffffffff000ULL, 0xfffffffff000ULL,
		0xfffffffffffff000ULL,
	};

	switch (a % 5) {
	case 0:
		if (s->niova)
			return s->iova[(a / 5) % s->niova];
		/* fall through */
	case 1:
		return fixed[(a / 5) % ARRAY_SIZE(fixed)];
	case 2:
		return GWIN + ((a / 5) % 256) * 4096;
	case 3:		/* a virtual address of ours: what SVA translates */
		if (bufs[(a / 5) % NBUF].p)
			return (uintptr_t)bufs[(a / 5) % NBUF].p +
			       ((a / 32) % (bufs[(a / 5) % NBUF].len / 4096)) * 4096;
		/* fall through */
	default:
		return a & ~0xfffULL;
	}
}

/* Sets the fail_nth of this thread to fail the Nth point of its next call */
static void arm_fail_nth(uint64_t a)
{
	char b[24];
	int n;

	if (fail_nth_fd < 0)
		return;
	n = snprintf(b, sizeof(b), "%u", (unsigned int)(1 + a % 12));
	fail_nth_armed = pwrite(fail_nth_fd, b, n, 0) == n;
}

static void disarm_fail_nth(void)
{
	if (fail_nth_armed && pwrite(fail_nth_fd, "0", 1, 0) == 1)
		fail_nth_armed = false;
}

/* Guest tables in BUF_GUEST (GPA GWIN) for the binds that follow */
static void plant(struct state *s, uint64_t a, uint64_t b)
{
	struct gmem g = {
		.host = bufs[BUF_GUEST].p, .gpa = GWIN,
		.size = bufs[BUF_GUEST].len, .limit = bufs[BUF_GUEST].len / 2,
	};
	uint64_t *leaf, data = GWIN + bufs[BUF_GUEST].len / 2 + (b % 128) * 4096;

	memset(g.host, (int)(b & 0xff) * (a % 5 == 0), g.limit);
	s->gva = ((a >> 4) & 0xffffffff) << 12;
	if (a & 1) {
		struct vtd_fs fs;
		struct vtd_pe_cfg pe = {
			.p = true, .pgtt = b % 7 ? VTD_PGTT_FS : (uint8_t)(b % 8),
			.did = (uint16_t)(b >> 8), .pwsnp = true,
			.fspm = (b >> 24) % 4 ? VTD_FSPM_4LVL : VTD_FSPM_5LVL,
			.sre = (b >> 30) & 1,
		};

		if (vtd_fs_init(&fs, &g, pe.fspm == VTD_FSPM_5LVL ? 5 : 4))
			return;
		pe.fsptptr = fs.root;
		leaf = vtd_fs_entry_ptr(&fs, s->gva, 1 + (b >> 40) % 2, true);
		if (leaf)
			*leaf = vtd_fs_entry(data, VTD_FS_P | VTD_FS_RW |
					     (b & 2 ? VTD_FS_US : 0));
		vtd_pe_encode(s->vtd_pe, &pe);
	} else {
		struct smmu_cdtab cdt;
		struct arm_s1 s1;
		struct smmu_cd_cfg cd = {
			.t0sz = 16 + (b % 4 == 0) * (b >> 8) % 24, .tg0 = SMMU_TG0_4K,
			.ir0 = SMMU_CACHE_WBRA, .or0 = SMMU_CACHE_WBRA,
			.sh0 = SMMU_SH_ISH, .epd1 = true, .v = true,
			.ips = smmu_ips_of(48), .aa64 = true, .r = true,
			.a = !(b & 0x10000), .aset = true,
			.asid = (uint16_t)(b >> 16), .mair = 0xff,
		};
		struct smmu_ste_cfg ste = {
			.v = true, .config = b % 9 ? SMMU_CONFIG_S1 : (uint8_t)(b % 8),
			.s1fmt = SMMU_S1FMT_LINEAR, .s1cdmax = (uint8_t)((b >> 4) % 6),
			.s1dss = (uint8_t)((b >> 12) % 3), .s1cir = SMMU_CACHE_WBRA,
			.s1cor = SMMU_CACHE_WBRA, .s1csh = SMMU_SH_ISH,
		};
		uint64_t *p;

		if (smmu_cdtab_init(&cdt, &g, SMMU_S1FMT_LINEAR, 4) ||
		    arm_s1_init(&s1, &g, 0x1000, 16))
			return;
		cd.ttb0 = s1.root;
		p = smmu_cdtab_cd(&cdt, 1);
		if (p)
			smmu_cd_encode(p, &cd);
		ste.s1ctxptr = cdt.base;
		leaf = arm_s1_entry_ptr(&s1, s->gva, 3, true);
		if (leaf)
			*leaf = arm_leaf_desc(3, data, ARM_LEAF_STD);
		smmu_ste_encode(s->smmu_ste, &ste);
	}
	s->planted = true;
}

static void run_calls(struct state *s, struct rng *r, const struct prog *p,
		      struct kcov *k, bool *fresh);

/* A child that runs a few calls on what it inherited, then exits */
static void do_fork(struct state *s, uint64_t a)
{
	struct rng r = { a };
	struct prog p;
	pid_t pid;
	int st, i;

	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		alarm(5);
		s->in_child = true;
		gen_prog(&r, &p);
		run_calls(s, &r, &p, NULL, NULL);
		_exit(0);
	}
	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

/* Passes an fd over a socket pair and keeps the copy that arrives */
static void do_scm(struct state *s, uint64_t a)
{
	int sv[2], fd = any_fd(s, a), got = -1;
	char c = 'x', ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *cm;

	if (fd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return;
	memset(ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sv[0], &m, 0) == 1) {
		/* sometimes the fd dies in flight, with the socket */
		if (a & 0x100) {
			memset(ctl, 0, sizeof(ctl));
			m.msg_controllen = sizeof(ctl);
			if (recvmsg(sv[1], &m, MSG_CMSG_CLOEXEC) == 1 &&
			    (cm = CMSG_FIRSTHDR(&m)) && cm->cmsg_type == SCM_RIGHTS)
				memcpy(&got, CMSG_DATA(cm), sizeof(int));
		}
	}
	close(sv[0]);
	close(sv[1]);
	if (got >= 0) {
		switch (a % 3) {
		case 0: put_fd(s, s->fd, got); break;
		case 1: put_fd(s, s->q, got); break;
		default: put_fd(s, s->dev, got); break;
		}
	}
}

/* Maps fresh pages over part of a buffer, under whatever pins it */
static void do_remap(uint64_t a)
{
	unsigned int i = a % 2 ? BUF_THP : BUF_4K;
	size_t off = ((a >> 4) % (bufs[i].len / 4096)) * 4096;
	void *p;

	pthread_mutex_lock(&remap_lock);
	p = mmap(bufs[i].p + off, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p != MAP_FAILED)
		memset(p, 0x55, 4096);
	pthread_mutex_unlock(&remap_lock);
}

static void close_slot(int *arr, uint64_t a)
{
	int i, n = 0, idx[NFD];

	for (i = 0; i < NFD; i++)
		if (arr[i] >= 0)
			idx[n++] = i;
	if (!n)
		return;
	i = idx[a % n];
	close(arr[i]);
	arr[i] = -1;
}

static void run_call(struct state *s, const struct call *c)
{
	const uint64_t *a = c->a;
	union {
		struct ioasid_info info;
		struct ioasid_alloc alloc;
		struct ioasid_destroy destroy;
		struct ioasid_map map;
		struct ioasid_unmap unmap;
		struct ioasid_fault_queue_alloc fqa;
		struct ioasid_set_fault_queue sfq;
		struct ioasid_fault_respond resp;
		struct ioasid_fault_queue_info fqi;
		struct ioasid_device_info dinfo;
		struct ioasid_device_allow allow;
		struct ioasid_device_disallow disallow;
		struct ioasid_nested_bind bind;
		struct ioasid_nested_invalidate inv;
		struct ioasid_test_device_create create;
		struct ioasid_test_dma dma;
		uint8_t raw[256];
	} u;
	static __thread uint8_t caps[8192];
	static __thread uint8_t dmabuf[16384];
	uint64_t bind_data[8], inv[64 * 4];
	int fd, rc, i;
	uint8_t *va;
	uint64_t len;

	memset(&u, 0, sizeof(u));
	switch (c->op) {
	case OP_OPEN:
		fd = open(a[0] % 17 ? "/dev/ioasid" : "/dev/ioasid-test",
			  O_RDWR | (a[1] & 1 ? O_CLOEXEC : 0));
		put_fd(s, s->fd, fd);
		break;
	case OP_CLOSE:
		switch (a[0] % 3) {
		case 0: close_slot(s->fd, a[1]); break;
		case 1: close_slot(s->q, a[1]); break;
		default: close_slot(s->dev, a[1]); break;
		}
		break;
	case OP_DUP:
		fd = any_fd(s, a[0]);
		if (fd >= 0) {
			fd = dup(fd);
			switch (a[0] % 3) {
			case 0: put_fd(s, s->fd, fd); break;
			case 1: put_fd(s, s->q, fd); break;
			default: put_fd(s, s->dev, fd); break;
			}
		}
		break;
	case OP_ALLOC:
		u.alloc.flags = a[1] % 4 == 0 ? IOASID_ALLOC_RANGE :
				a[1] % 4 == 1 ? (uint32_t)a[2] : 0;
		if (u.alloc.flags == IOASID_ALLOC_RANGE) {
			u.alloc.min_pasid = a[2] % 3 ? 1 + (uint32_t)(a[2] % 64) :
						       (uint32_t)rnd_special(&(struct rng){ a[2] });
			u.alloc.max_pasid = u.alloc.min_pasid + (uint32_t)(a[3] % 16);
		}
		u.alloc.size = pick_size(a[4], sizeof(u.alloc), &u, sizeof(u));
		for (i = 0; i < 1 + (int)(a[5] % 3); i++) {
			rc = ioctl(pick_fd(s->fd, a[0]), IOASID_ALLOC, &u);
			if (!rc)
				add_pasid(s, u.alloc.out_pasid);
		}
		break;
	case OP_DESTROY:
		u.destroy.size = pick_size(a[2], sizeof(u.destroy), &u, sizeof(u));
		u.destroy.pasid = pick_pasid(s, a[1]);
		ioctl(pick_fd(s->fd, a[0]), IOASID_DESTROY, &u);
		break;
	case OP_MAP:
		pick_buf(s, a[2], a[3], &va, &len);
		u.map.flags = a[4] % 8 == 0 ? (uint32_t)a[4] >> 3 :
			      (uint32_t)(1 + a[4] % 3) | (a[4] & 8 ? IOASID_MAP_FIXED_IOVA : 0);
		u.map.pasid = pick_pasid(s, a[1]);
		u.map.user_va = (uintptr_t)va;
		u.map.length = len;
		if (u.map.flags & IOASID_MAP_FIXED_IOVA)
			u.map.iova = pick_iova(s, a[5]);
		u.map.size = pick_size(a[5] >> 8, sizeof(u.map), &u, sizeof(u));
		rc = ioctl(pick_fd(s->fd, a[0]), IOASID_MAP, &u);
		if (!rc && s->niova < NIOVA) {
			s->len[s->niova] = len;
			s->iova[s->niova++] = u.map.iova;
		}
		break;
	case OP_UNMAP:
		u.unmap.flags = a[3] % 5 == 0 ? IOASID_UNMAP_ALL :
				a[3] % 5 == 1 ? (uint32_t)a[3] : 0;
		u.unmap.pasid = pick_pasid(s, a[1]);
		if (!(u.unmap.flags & IOASID_UNMAP_ALL)) {
			i = s->niova ? (int)(a[2] % s->niova) : 0;
			u.unmap.iova = a[4] % 3 || !s->niova ? pick_iova(s, a[2]) : s->iova[i];
			u.unmap.length = a[4] % 3 == 0 && s->niova ? s->len[i] :
					 a[4] % 3 == 1 ? rnd_special(&(struct rng){ a[5] }) :
					 4096 << (a[5] % 12);
		}
		u.unmap.size = pick_size(a[5] >> 8, sizeof(u.unmap), &u, sizeof(u));
		ioctl(pick_fd(s->fd, a[0]), IOASID_UNMAP, &u);
		break;
	case OP_INFO:
		u.info.flags = a[1] % 3 ? IOASID_INFO_PASID : (uint32_t)(a[1] % 4);
		u.info.pasid = u.info.flags & IOASID_INFO_PASID ? pick_pasid(s, a[2]) : 0;
		u.info.caps_len = a[3] % 4 == 0 ? (uint32_t)(a[3] >> 2) % 64 :
				  a[3] % 4 == 1 ? (uint32_t)rnd_special(&(struct rng){ a[3] }) :
				  sizeof(caps);
		if (u.info.caps_len > sizeof(caps) && a[4] % 2)
			u.info.caps_len = sizeof(caps);
		u.info.caps_uptr = (uintptr_t)pick_uptr(a[4], caps);
		u.info.size = pick_size(a[5], sizeof(u.info), &u, sizeof(u));
		ioctl(a[0] % 11 ? pick_fd(s->fd, a[0]) : any_fd(s, a[0]),
		      IOASID_GET_INFO, pick_uptr(a[5] >> 8, &u));
		break;
	case OP_FQ_ALLOC:
		u.fqa.depth = a[1] % 4 ? (uint32_t)(a[1] % 16) :
			      (uint32_t)rnd_special(&(struct rng){ a[1] });
		u.fqa.flags = a[2] % 9 == 0 ? (uint32_t)a[2] : 0;
		u.fqa.size = pick_size(a[3], sizeof(u.fqa), &u, sizeof(u));
		if (!ioctl(pick_fd(s->fd, a[0]), IOASID_FAULT_QUEUE_ALLOC, &u))
			put_fd(s, s->q, u.fqa.out_fault_fd);
		break;
	case OP_SET_FQ:
		u.sfq.pasid = pick_pasid(s, a[1]);
		u.sfq.fault_fd = a[2] % 5 == 0 ? -1 : a[2] % 5 == 1 ? any_fd(s, a[3]) :
				 pick_fd(s->q, a[3]);
		u.sfq.size = pick_size(a[4], sizeof(u.sfq), &u, sizeof(u));
		ioctl(pick_fd(s->fd, a[0]), IOASID_SET_FAULT_QUEUE, &u);
		break;
	case OP_RESPOND:
		u.resp.id = s->nfault && a[1] % 4 ? s->fault_id[a[1] % s->nfault] :
			    (uint32_t)a[1];
		u.resp.code = a[2] % 5 ? 1 + (uint32_t)(a[2] % 2) : (uint32_t)a[2];
		u.resp.size = pick_size(a[3], sizeof(u.resp), &u, sizeof(u));
		ioctl(pick_fd(s->q, a[0]), IOASID_FAULT_RESPOND, &u);
		break;
	case OP_FQ_INFO:
		u.fqi.size = pick_size(a[1], sizeof(u.fqi), &u, sizeof(u));
		ioctl(pick_fd(s->q, a[0]), IOASID_FAULT_QUEUE_INFO, &u);
		break;
	case OP_FQ_READ: {
		struct ioasid_fault recs[4];
		struct pollfd pfd;
		ssize_t n;

		fd = pick_fd(s->q, a[0]);
		if (fd < 3 || fd == 0x7fffffff)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(a[1] % 3)) <= 0 && a[1] % 2)
			break;
		fcntl(fd, F_SETFL, O_NONBLOCK);
		n = read(fd, a[2] % 9 ? (void *)recs : pick_uptr(a[2], recs),
			 a[3] % 5 ? sizeof(recs[0]) * (1 + a[3] % 4) : (size_t)(a[3] % 64));
		for (i = 0; n > 0 && i < n / (ssize_t)sizeof(recs[0]); i++)
			if (recs[i].flags & IOASID_FAULT_RECOVERABLE)
				s->fault_id[s->nfault++ % 8] = recs[i].id;
		if (s->nfault > 8)
			s->nfault = 8;
		break;
	}
	case OP_DEV_CREATE:
		fd = open("/dev/ioasid-test", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			break;
		u.create.pasid_bits = a[0] % 5 ? (uint32_t)(a[0] % 21) : (uint32_t)a[0];
		u.create.flags = a[1] % 11 == 0 ? (uint32_t)a[1] : 0;
		u.create.size = pick_size(a[2], sizeof(u.create), &u, sizeof(u));
		if (!ioctl(fd, IOASID_TEST_DEVICE_CREATE, &u))
			put_fd(s, s->dev, u.create.out_device_fd);
		close(fd);
		break;
	case OP_DEV_INFO:
		u.dinfo.size = pick_size(a[1], sizeof(u.dinfo), &u, sizeof(u));
		ioctl(pick_fd(s->dev, a[0]), IOASID_DEVICE_GET_INFO, &u);
		break;
	case OP_ALLOW:
		switch (a[1] % 6) {
		case 0: case 1: u.allow.flags = 0; break;
		case 2: case 3: u.allow.flags = IOASID_DEVICE_PASID; break;
		case 4: u.allow.flags = IOASID_DEVICE_PASID | IOASID_DEVICE_WIRE_PASID; break;
		default: u.allow.flags = (uint32_t)a[1]; break;
		}
		u.allow.ioasid_fd = a[2] % 9 ? pick_fd(s->fd, a[2]) : any_fd(s, a[2]);
		u.allow.pasid = pick_pasid(s, a[3]);
		u.allow.cookie = a[4];
		if (u.allow.flags & IOASID_DEVICE_WIRE_PASID)
			u.allow.wire_pasid = a[4] % 3 ? (uint32_t)(a[4] % 64) :
					     (uint32_t)rnd_special(&(struct rng){ a[4] });
		u.allow.size = pick_size(a[5], sizeof(u.allow), &u, sizeof(u));
		ioctl(pick_fd(s->dev, a[0]), IOASID_DEVICE_ALLOW, &u);
		break;
	case OP_DISALLOW:
		u.disallow.flags = a[1] % 7 == 6 ? (uint32_t)a[1] :
				   a[1] % 2 ? IOASID_DEVICE_PASID : 0;
		u.disallow.pasid = a[2] % 4 == 0 ? (uint32_t)(a[2] % 64) : pick_pasid(s, a[2]);
		u.disallow.size = pick_size(a[3], sizeof(u.disallow), &u, sizeof(u));
		ioctl(pick_fd(s->dev, a[0]), IOASID_DEVICE_DISALLOW, &u);
		break;
	case OP_DMA: {
		uint32_t f = (uint32_t)(a[1] % 16);

		u.dma.flags = a[1] % 13 == 0 ? (uint32_t)(a[1] >> 4) : f;
		if (u.dma.flags & IOASID_TEST_DMA_PASID)
			u.dma.pasid = a[2] % 3 == 0 ? (uint32_t)(a[2] % 64) :
				      a[2] % 3 == 1 && s->planted ? 1 : pick_pasid(s, a[2]);
		if (u.dma.flags & IOASID_TEST_DMA_RECOVERABLE)
			u.dma.timeout_ms = a[5] % 7 ? 1 + (uint32_t)(a[5] % 30) :
					   (uint32_t)a[5];
		u.dma.iova = a[3] % 4 == 0 && s->planted ? s->gva + (a[3] >> 2) % 8192 :
			     pick_iova(s, a[3]) + (a[3] % 7 == 1 ? a[3] % 4096 : 0);
		u.dma.length = a[4] % 5 ? 1 + a[4] % sizeof(dmabuf) :
			       rnd_special(&(struct rng){ a[4] });
		u.dma.buf_uptr = (uintptr_t)pick_uptr(a[5] >> 8, dmabuf);
		u.dma.delay_us = a[5] % 11 == 0 ? (uint32_t)(a[5] >> 16) % 200 : 0;
		u.dma.size = pick_size(a[5] >> 24, sizeof(u.dma), &u, sizeof(u));
		ioctl(pick_fd(s->dev, a[0]), IOASID_TEST_DMA, &u);
		break;
	}
	case OP_BIND:
		u.bind.flags = a[1] % 6 == 0 ? IOASID_NESTED_BIND_REPLACE :
			       a[1] % 6 == 1 ? IOASID_NESTED_UNBIND :
			       a[1] % 6 == 2 ? (uint32_t)a[1] : 0;
		u.bind.pasid = pick_pasid(s, a[2]);
		if (!(u.bind.flags & IOASID_NESTED_UNBIND) || a[1] % 12 == 1) {
			u.bind.parent_pasid = pick_pasid(s, a[3]);
			u.bind.format = a[4] % 7 ? 1 + (uint32_t)(a[4] % 2) : (uint32_t)a[4];
			u.bind.data_len = u.bind.format == IOASID_NESTED_FMT_VTD_FS ? 64 : 16;
			if (a[4] % 11 == 3)
				u.bind.data_len = (uint32_t)(a[4] >> 8);
			memset(bind_data, 0, sizeof(bind_data));
			if (s->planted && a[5] % 4)
				memcpy(bind_data, u.bind.format == IOASID_NESTED_FMT_VTD_FS ?
				       s->vtd_pe : s->smmu_ste,
				       u.bind.format == IOASID_NESTED_FMT_VTD_FS ? 64 : 16);
			else
				for (i = 0; i < 8; i++)
					bind_data[i] = rnd(&(struct rng){ a[5] + i });
			if (a[5] % 9 == 1)	/* one bit flipped */
				bind_data[(a[5] >> 4) % 8] ^= 1ULL << ((a[5] >> 8) % 64);
			u.bind.data_uptr = (uintptr_t)pick_uptr(a[5] >> 16, bind_data);
		}
		u.bind.size = pick_size(a[0] >> 8, sizeof(u.bind), &u, sizeof(u));
		ioctl(pick_fd(s->fd, a[0]), IOASID_NESTED_BIND, &u);
		break;
	case OP_INVALIDATE: {
		struct rng r = { a[4] };
		unsigned int n = 1 + a[3] % 8, len = a[2] % 2 ? 32 : 16;

		memset(inv, 0, sizeof(inv));
		for (i = 0; i < (int)n; i++) {
			uint64_t *e = inv + i * (len / 8);

			if (len == 32) {
				struct vtd_inv d;

				switch (rnd_below(&r, 8)) {
				case 0: d = vtd_inv_piotlb_pasid(rnd(&r) % 8, rnd(&r) % 64); break;
				case 1: d = vtd_inv_piotlb_page(rnd(&r) % 8, rnd(&r) % 64,
								rnd(&r) & ~0xfffULL,
								rnd(&r) % 21, rnd(&r) & 1); break;
				case 2: d = vtd_inv_pc(rnd(&r) % 4, rnd(&r) % 8, rnd(&r) % 64); break;
				case 3: d = vtd_inv_wait(0, 0, 0, 0, 0, 0); break;
				case 4: d = vtd_inv_iotlb_global(); break;
				case 5: d = vtd_inv_pdevtlb_all(rnd(&r), rnd(&r) % 64); break;
				default:
					for (unsigned int q = 0; q < 4; q++)
						d.qw[q] = rnd(&r);
					break;
				}
				memcpy(e, &d, sizeof(d));
			} else {
				struct smmu_cmd cmd;

				switch (rnd_below(&r, 8)) {
				case 0: cmd = smmu_cmd_tlbi_nh_all(0); break;
				case 1: cmd = smmu_cmd_tlbi_nh_asid(0, rnd(&r)); break;
				case 2: cmd = smmu_cmd_tlbi_nh_va(0, rnd(&r) % 8,
								  rnd(&r) & ~0xfffULL,
								  rnd(&r) & 1, NULL); break;
				case 3: cmd = smmu_cmd_cfgi_cd(0x10, rnd(&r) % 8, rnd(&r) & 1); break;
				case 4: cmd = smmu_cmd_cfgi_cd_all(0x10); break;
				case 5: cmd = smmu_cmd_sync(0); break;
				case 6: cmd = smmu_cmd_cfgi_ste(0x10, 1); break;
				default:
					cmd.dw[0] = rnd(&r);
					cmd.dw[1] = rnd(&r);
					break;
				}
				memcpy(e, &cmd, sizeof(cmd));
			}
		}
		u.inv.pasid = pick_pasid(s, a[1]);
		u.inv.entry_len = a[5] % 9 ? len : (uint32_t)(a[5] >> 4);
		u.inv.entry_num = a[5] % 13 ? n : (uint32_t)rnd_special(&r);
		u.inv.entries_uptr = (uintptr_t)pick_uptr(a[5] >> 8, inv);
		u.inv.flags = a[5] % 17 == 3 ? 1 : 0;
		u.inv.size = pick_size(a[0] >> 8, sizeof(u.inv), &u, sizeof(u));
		ioctl(pick_fd(s->fd, a[0]), IOASID_NESTED_INVALIDATE, &u);
		break;
	}
	case OP_PLANT:
		plant(s, a[0], a[1]);
		break;
	case OP_BAD_IOCTL: {
		static const unsigned int nrs[] = {
			0x0b, 0x3f, 0x43, 0x7f, 0x82, 0xbf, 0xc3, 0xff,
			0x00, 0x09, 0x0a, 0x40, 0x80, 0xc0, 0xc1, 0xc2,
		};
		unsigned int cmd = _IO(IOASID_TYPE, nrs[a[1] % ARRAY_SIZE(nrs)]);

		if (a[2] % 3 == 0)		/* direction and size bits set */
			cmd = _IOC(a[2] % 4, IOASID_TYPE, nrs[a[1] % ARRAY_SIZE(nrs)],
				   a[2] % 256);
		else if (a[2] % 3 == 1)
			cmd = (unsigned int)a[2];
		memset(&u, (int)(a[3] & 0xff), sizeof(u));
		u.info.size = pick_size(a[4], 16, &u, sizeof(u));
		ioctl(any_fd(s, a[0]), cmd, a[5] % 4 ? (void *)&u : pick_uptr(a[5], &u));
		break;
	}
	case OP_FORK:
		if (!s->in_child)
			do_fork(s, a[0]);
		break;
	case OP_SCM:
		do_scm(s, a[0]);
		break;
	case OP_REMAP:
		do_remap(a[0]);
		break;
	case OP_FAIL_NTH:
		arm_fail_nth(a[0]);
		break;
	case OP_SHARE:
		fd = any_fd(s, a[0]);
		if (fd >= 0) {
			fd = dup(fd);
			fd = atomic_exchange(&shared_fds[a[1] % 8], fd);
			if (fd >= 0)
				close(fd);
		}
		break;
	case OP_SVA_BIND: {
		struct ioasid_sva_bind b = { .size = sizeof(b) };

		b.flags = a[1] % 5 == 0 ? IOASID_SVA_BIND_FOREIGN :
			  a[1] % 5 == 1 ? IOASID_SVA_UNBIND :
			  a[1] % 11 == 2 ? (uint32_t)a[1] : 0;
		b.pasid = pick_pasid(s, a[2]);
		b.mm_fd = b.flags & IOASID_SVA_BIND_FOREIGN ?
			  (a[3] % 7 ? proc_mem_fd : any_fd(s, a[3])) :
			  a[3] % 13 == 0 ? (int)(a[3] >> 4) : -1;
		if (a[4] % 17 == 0)
			b.__reserved = a[4];
		b.size = pick_size(a[5], sizeof(b), &b, sizeof(b));
		memcpy(&u, &b, sizeof(b));
		ioctl(pick_fd(s->fd, a[0]), IOASID_SVA_BIND, &u);
		break;
	}
	case OP_SVA_PREFAULT: {
		struct ioasid_sva_prefault pf = { .size = sizeof(pf) };

		pick_buf(s, a[2], a[3], &va, &len);
		pf.flags = a[1] % 9 == 0 ? (uint32_t)a[1] : (uint32_t)(a[1] % 2);
		pf.pasid = pick_pasid(s, a[4]);
		pf.va = (uintptr_t)va;
		pf.length = len;
		pf.size = pick_size(a[5], sizeof(pf), &pf, sizeof(pf));
		memcpy(&u, &pf, sizeof(pf));
		ioctl(pick_fd(s->fd, a[0]), IOASID_SVA_PREFAULT, &u);
		break;
	}
	case OP_WALK_MM: {
		static __thread struct ioasid_test_walk_rec recs[64];
		struct ioasid_test_walk_mm w = { .size = sizeof(w) };

		fd = open("/dev/ioasid-test", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			break;
		pick_buf(s, a[1], a[2], &va, &len);
		w.va = a[3] % 5 ? (uintptr_t)va : rnd_special(&(struct rng){ a[3] });
		w.length = a[4] % 5 ? len : rnd_special(&(struct rng){ a[4] });
		w.max_recs = a[5] % 7 ? 1 + (uint32_t)(a[5] % 64) : (uint32_t)a[5];
		if (w.max_recs > 64 && a[5] % 2)
			w.max_recs = 64;
		w.recs_uptr = (uintptr_t)pick_uptr(a[5] >> 8, recs);
		w.size = pick_size(a[0], sizeof(w), &w, sizeof(w));
		memcpy(&u, &w, sizeof(w));
		ioctl(fd, IOASID_TEST_WALK_MM, &u);
		close(fd);
		break;
	}
	case OP_COMPAT: {
		union {
			struct vfio_iommu_type1_dma_map map;
			struct vfio_iommu_type1_dma_unmap unmap;
			struct vfio_iommu_type1_info info;
			uint8_t raw[512];
		} v;

		if (compat_container < 0)
			break;
		memset(&v, 0, sizeof(v));
		switch (a[0] % 4) {
		case 0:
		case 1:
			pick_buf(s, a[1], a[2], &va, &len);
			v.map.argsz = a[3] % 9 ? sizeof(v.map) : (uint32_t)a[3];
			v.map.flags = a[3] % 5 ? 3 : (uint32_t)(a[3] >> 4);
			v.map.vaddr = (uintptr_t)va;
			v.map.iova = pick_iova(s, a[4]);
			v.map.size = len;
			ioctl(compat_container, VFIO_IOMMU_MAP_DMA, &v);
			break;
		case 2:
			v.unmap.argsz = a[3] % 9 ? sizeof(v.unmap) : (uint32_t)a[3];
			v.unmap.flags = a[3] % 5 ? 0 : a[3] % 2 ? VFIO_DMA_UNMAP_FLAG_ALL :
					(uint32_t)(a[3] >> 4);
			if (!(v.unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL)) {
				v.unmap.iova = pick_iova(s, a[4]);
				v.unmap.size = 4096ULL << (a[5] % 14);
			}
			ioctl(compat_container, VFIO_IOMMU_UNMAP_DMA, &v);
			break;
		default:
			v.info.argsz = a[3] % 3 ? sizeof(v) : (uint32_t)(a[3] % 128);
			ioctl(compat_container, VFIO_IOMMU_GET_INFO,
			      a[4] % 9 ? (void *)&v : pick_uptr(a[4], &v));
			break;
		}
		break;
	}
	case OP_TAKE:
		fd = atomic_exchange(&shared_fds[a[1] % 8], -1);
		switch (a[0] % 3) {
		case 0: put_fd(s, s->fd, fd); break;
		case 1: put_fd(s, s->q, fd); break;
		default: put_fd(s, s->dev, fd); break;
		}
		break;
	}
	if (c->op != OP_FAIL_NTH)
		disarm_fail_nth();
}

static void state_close(struct state *s)
{
	int i;

	for (i = 0; i < NFD; i++) {
		if (s->dev[i] >= 0)
			close(s->dev[i]);
		if (s->q[i] >= 0)
			close(s->q[i]);
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	}
	state_init(s);
}

static void run_calls(struct state *s, struct rng *r, const struct prog *p,
		      struct kcov *k, bool *fresh)
{
	uint64_t prev = 0;
	unsigned int i;

	if (k)
		__atomic_store_n(&k->cover[0], 0, __ATOMIC_RELAXED);
	for (i = 0; i < p->n; i++) {
		run_call(s, &p->c[i]);
		if (k && kcov_collect(k, &prev) && fresh)
			*fresh = true;
	}
	(void)r;
}

/* ------------------------------------------------------------------------
 * Threads
 */

static uint64_t seed;
static long deadline_ms, max_progs;
static atomic_long progs_run, calls_run;
static atomic_bool stop;
static int verbose;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

#define HISTORY	4

struct worker {
	int id;
	pthread_t th;
	bool joined;
	struct prog hist[HISTORY];	/* the last programs, for the report */
	unsigned long iter;
};

#define COMPAT_PARAM	"/sys/module/ioasidfd_vfio/parameters/type1_compat"

static char compat_was[8], compat_bdf[32];

/*
 * The last edu device on vfio-pci in a type1 container that /dev/ioasid
 * serves (type1_compat on while the container is made).  Without edu
 * devices or ioasidfd_vfio, OP_COMPAT does nothing.
 */
static void compat_setup(void)
{
	char bdfs[EDU_MAX_DEVICES][32], path[64];
	int n, fd, group = -1, container = -1, gid;

	fd = open(COMPAT_PARAM, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, compat_was, sizeof(compat_was) - 1);
	compat_was[n > 0 ? n : 0] = 0;
	if (pwrite(fd, "1", 1, 0) != 1)
		goto out;
	n = edu_find(bdfs);
	if (n < 1 || edu_bind(bdfs[n - 1], EDU_DRIVER_VFIO))
		goto out;
	snprintf(compat_bdf, sizeof(compat_bdf), "%s", bdfs[n - 1]);
	gid = edu_iommu_group(compat_bdf);
	snprintf(path, sizeof(path), "/dev/vfio/%d", gid);
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	group = open(path, O_RDWR | O_CLOEXEC);
	if (container < 0 || group < 0 ||
	    ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		if (group >= 0)
			close(group);
		if (container >= 0)
			close(container);
		edu_unbind(compat_bdf);
		compat_bdf[0] = 0;
		goto out;
	}
	/* The container keeps the group while both fds are ours. */
	compat_container = fcntl(container, F_DUPFD_CLOEXEC, 900);
	compat_group = fcntl(group, F_DUPFD_CLOEXEC, 900);
	close(container);
	close(group);
out:
	if (pwrite(fd, compat_was, strcspn(compat_was, "\n"), 0) < 0)
		compat_was[0] = 0;
	close(fd);
}

static void compat_teardown(void)
{
	if (!compat_bdf[0])
		return;
	/* Closing both fds frees the container; then the device goes back. */
	close(compat_group);
	close(compat_container);
	compat_group = compat_container = -1;
	edu_unbind(compat_bdf);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void print_prog(const struct prog *p)
{
	unsigned int i, j;

	for (i = 0; i < p->n; i++) {
		printf("#   %-10s", op_names[p->c[i].op]);
		for (j = 0; j < NARGS; j++)
			printf(" %#llx", (unsigned long long)p->c[i].a[j]);
		printf("\n");
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct kcov kc = { -1, NULL }, *k = NULL;
	struct state s;

	if (have_kcov && !kcov_open(&kc))
		k = &kc;
	state_init(&s);
	while (!atomic_load(&stop)) {
		struct rng r = { seed ^ ((uint64_t)w->id << 56) ^ (w->iter * 0x2545f4914f6cdd1dULL) };
		struct prog p;
		bool fresh = false;

		if (max_progs && atomic_fetch_add(&progs_run, 1) >= max_progs)
			break;
		if (!max_progs)
			atomic_fetch_add(&progs_run, 1);
		if (now_ms() > deadline_ms)
			break;
		if (k && one_in(&r, 5) == false && corpus_pick(&r, &p))
			mutate(&r, &p);
		else
			gen_prog(&r, &p);
		w->hist[w->iter % HISTORY] = p;
		run_calls(&s, &r, &p, k, &fresh);
		atomic_fetch_add(&calls_run, p.n);
		if (fresh)
			corpus_add(&p);
		/* Programs keep their objects now and then, for the next one. */
		if (!one_in(&r, 4))
			state_close(&s);
		w->iter++;
	}
	state_close(&s);
	if (k) {
		ioctl(kc.fd, KCOV_DISABLE, 0);
		close(kc.fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long seconds = -1;
	int nthreads = 3, opt, i, kmsg, n, failed = 0;
	struct worker *w;
	char first[512];
	const char *env;
	long t0;

	seed = (uint64_t)time(NULL) * 2654435761ULL;
	while ((opt = getopt(argc, argv, "s:t:n:j:v")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': seconds = strtol(optarg, NULL, 0); break;
		case 'n': max_progs = strtol(optarg, NULL, 0); break;
		case 'j': nthreads = atoi(optarg); break;
		case 'v': verbose = 1; break;
		default:
			fprintf(stderr, "usage: %s [-s SEED] [-t SECONDS] [-n PROGRAMS] [-j THREADS] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	if (nthreads < 1 || nthreads > 16)
		nthreads = 3;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	/* The seed first: if the kernel dies, this line already left. */
	printf("# seed %#llx (replay: %s -s %#llx -j 1)\n", (unsigned long long)seed,
	       argv[0], (unsigned long long)seed);
	if (access("/dev/ioasid", F_OK)) {
		printf("1..0 # SKIP no /dev/ioasid\n");
		return 4;
	}
	if (access("/sys/kernel/debug/ioasidfd", F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	have_kcov = !coverage_init() && !kcov_probe();
	env = getenv("IOASID_FUZZ_SECONDS");
	if (seconds < 0)
		seconds = env ? atol(env) : have_kcov ? 90 : 30;
	fail_nth_fd = open("/sys/kernel/debug/ioasidfd_test/fail_nth", O_RDWR | O_CLOEXEC);
	if (fail_nth_fd >= 0)
		fail_nth_fd = fcntl(fail_nth_fd, F_DUPFD_CLOEXEC, 900);
	proc_mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (proc_mem_fd >= 0)
		proc_mem_fd = fcntl(proc_mem_fd, F_DUPFD_CLOEXEC, 900);
	compat_setup();
	printf("1..2\n");
	printf("# %s, %ld s, %d threads, fault injection %s, type1 compat %s\n",
	       have_kcov ? "coverage-guided (KCOV)" : "random (no KCOV)", seconds,
	       nthreads, fail_nth_fd >= 0 ? "on" : "off",
	       compat_container >= 0 ? compat_bdf : "off");
	if (have_kcov)
		printf("# ioasidfd.ko text at %#llx, %llu bytes\n",
		       (unsigned long long)text_start, (unsigned long long)text_size);
	for (i = 0; i < OP_NR; i++)
		op_total += op_weight[i];
	corpus = calloc(CORPUS_MAX, sizeof(*corpus));
	w = calloc(nthreads, sizeof(*w));
	if (!corpus || !w || bufs_init()) {
		printf("Bail out! out of memory\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	kmsg = kmsg_watch_begin();
	if (kmsg >= 0)
		kmsg = fcntl(kmsg, F_DUPFD_CLOEXEC, 900);

	t0 = now_ms();
	deadline_ms = t0 + seconds * 1000;
	for (i = 0; i < nthreads; i++) {
		w[i].id = i;
		pthread_create(&w[i].th, NULL, worker_main, &w[i]);
	}
	/* Watch the kernel log while they run. */
	while (!atomic_load(&stop)) {
		bool alive = false;

		usleep(200000);
		n = kmsg_problems(kmsg, first, sizeof(first));
		if (n > 0) {
			atomic_store(&stop, true);
			pthread_mutex_lock(&out_lock);
			printf("# kernel log problem after %.1f s: %s", (now_ms() - t0) / 1000.0,
			       first);
			printf("# seed %#llx; the last programs of each thread:\n",
			       (unsigned long long)seed);
			for (i = 0; i < nthreads; i++) {
				unsigned long it;

				for (it = w[i].iter > HISTORY ? w[i].iter - HISTORY : 0;
				     it <= w[i].iter; it++) {
					printf("# thread %d, program %lu:\n", i, it);
					print_prog(&w[i].hist[it % HISTORY]);
				}
			}
			pthread_mutex_unlock(&out_lock);
			failed = 1;
			break;
		}
		for (i = 0; i < nthreads; i++)
			if (!w[i].joined && pthread_tryjoin_np(w[i].th, NULL) == EBUSY)
				alive = true;
			else
				w[i].joined = true;
		if (!alive)
			break;
	}
	atomic_store(&stop, true);
	for (i = 0; i < nthreads; i++)
		if (!w[i].joined)
			pthread_join(w[i].th, NULL);
	for (i = 0; i < 8; i++) {
		int fd = atomic_exchange(&shared_fds[i], -1);

		if (fd >= 0)
			close(fd);
	}
	compat_teardown();
	printf("# %ld programs, %ld calls in %.1f s", (long)progs_run, (long)calls_run,
	       (now_ms() - t0) / 1000.0);
	if (have_kcov)
		printf("; %u inputs with new coverage, %lu PCs and %lu edges of ioasidfd.ko",
		       (unsigned int)corpus_n, (unsigned long)nr_pcs,
		       (unsigned long)nr_edges);
	printf("\n");
	if (!failed) {
		n = kmsg_problems(kmsg, first, sizeof(first));
		if (n > 0) {
			printf("# kernel log problem at the end: %s", first);
			failed = 1;
		}
	}
	printf("%sok 1 fuzzing, seed %#llx: no kernel problem\n", failed ? "not " : "",
	       (unsigned long long)seed);

	/* Everything is closed: the objects must be gone (RCU frees lag). */
	{
		char path[] = "/sys/kernel/debug/ioasidfd/counters", line[64];
		long deadline = now_ms() + 15000, v;
		bool idle = false;
		char left[512];

		while (!idle && now_ms() < deadline) {
			FILE *f = fopen(path, "re");
			size_t o = 0;

			idle = true;
			left[0] = 0;
			if (!f)
				break;
			while (fgets(line, sizeof(line), f)) {
				char name[48];

				if (sscanf(line, "%47s %ld", name, &v) == 2 && v &&
				    strcmp(name, "devices") && strcmp(name, "groups")) {
					idle = false;
					o += snprintf(left + o, sizeof(left) - o, " %s=%ld",
						      name, v);
				}
			}
			fclose(f);
			if (!idle)
				usleep(50000);
		}
		printf("%sok 2 every object freed once all fds are closed%s%s\n",
		       idle ? "" : "not ", idle ? "" : ":", idle ? "" : left);
		failed |= !idle;
	}
	return failed;
}
