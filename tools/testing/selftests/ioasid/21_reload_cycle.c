// SPDX-License-Identifier: GPL-2.0
/*
 * One use cycle of /dev/ioasid, for the module reload test (20_reload.sh).
 *
 *   21_reload_cycle --cycle N    run one cycle quietly; exit 0 if it passed,
 *                                else 1 with "# why" lines on stdout
 *   21_reload_cycle              a TAP test of its own: one cycle, N = 32
 *
 * A cycle: ALLOC every PASID of [1, N] (all N must be free: a PASID leaked
 * by an earlier cycle or an earlier module instance shows up as ENOSPC),
 * MAP at a fixed and at a kernel-chosen IOVA, DESTROY some IOASIDs (one
 * with its mapping), close the fd with the rest still live and mapped,
 * check the debugfs counters drop to 0, then do it again in a fresh fd to
 * see that the close gave every PASID back.
 *
 *   21_reload_cycle --hold KIND  keep an object of KIND alive (see hold())
 *                                for 20_reload.sh's unload checks
 */
#include "ioasid_utils.h"
#include <linux/ioasidfd_test.h>

#define fail(fmt, ...) do {						\
	printf("# " fmt "\n", ##__VA_ARGS__);				\
	return -1;							\
} while (0)

static int wait_idle(const char *when)
{
	struct ioasid_counters c;
	char buf[512];

	if (counters_wait(NULL, &c, COUNTERS_SETTLE_MS))
		return 0;
	counters_format(&c, buf, sizeof(buf));
	fail("counters not 0 %s: %s", when, buf);
}

static int cycle(unsigned int n)
{
	size_t pg = page_size(), len = 8 * pg;
	struct ioasid_counters c;
	struct ioasid_caps caps;
	unsigned char *buf;
	__u32 *p, extra;
	unsigned int i, j, destroyed = 0;
	__u64 iova;
	int fd, pass;

	if (counters_available())
		fail("cannot read %s", IOASID_COUNTERS);
	if (wait_idle("before the cycle"))
		return -1;
	p = calloc(n, sizeof(*p));
	buf = mmap_aligned(2 * len, len);
	if (!p || !buf)
		fail("out of memory");

	for (pass = 0; pass < 2; pass++) {
		fd = ioasid_open();
		if (fd < 0)
			fail("open %s: %s", IOASID_DEV, strerror(errno));
		for (i = 0; i < n; i++) {
			if (_ioasid_alloc_range(fd, 1, n, &p[i]))
				fail("pass %d: ALLOC %u of [1, %u]: %s (a leaked PASID?)",
				     pass, i + 1, n, strerror(errno));
			if (p[i] < 1 || p[i] > n)
				fail("ALLOC in [1, %u] returned %u", n, p[i]);
			for (j = 0; j < i; j++)
				if (p[j] == p[i])
					fail("PASID %u returned twice", p[i]);
		}
		if (!_ioasid_alloc_range(fd, 1, n, &extra) || errno != ENOSPC)
			fail("ALLOC in a full [1, %u]: expected ENOSPC", n);
		if (pass)
			goto close;

		if (_ioasid_map_fixed(fd, p[0], buf, len, 0))
			fail("MAP fixed: %s", strerror(errno));
		if (_ioasid_map(fd, p[1], MAP_RW, buf + len, len, &iova))
			fail("MAP: %s", strerror(errno));
		if (_ioasid_map_fixed(fd, p[n - 1], buf, 2 * len, SZ_1M))
			fail("MAP fixed: %s", strerror(errno));
		if (_ioasid_destroy(fd, p[0]))
			fail("DESTROY of a mapped IOASID: %s", strerror(errno));
		destroyed++;
		for (i = 3; i < n - 1; i += 2, destroyed++)
			if (_ioasid_destroy(fd, p[i]))
				fail("DESTROY: %s", strerror(errno));
		if (_ioasid_info_pasid(fd, p[1], &caps) ||
		    caps.ioas.nr_mappings != 1 || caps.ioas.mapped_bytes != len)
			fail("GET_INFO of a mapped IOASID");
		if (counters_read(&c))
			fail("counters unreadable");
		if (c.v[CNT_PASIDS] != (long)(n - destroyed) ||
		    c.v[CNT_IOASIDS_LIVE] != (long)(n - destroyed) ||
		    c.v[CNT_CONTEXTS] != 1 || c.v[CNT_AREAS] != 2 ||
		    c.v[CNT_PINNED] != (long)(3 * len / pg))
			fail("counters with the fd open: pasids %ld live %ld contexts %ld areas %ld pinned %ld",
			     c.v[CNT_PASIDS], c.v[CNT_IOASIDS_LIVE],
			     c.v[CNT_CONTEXTS], c.v[CNT_AREAS], c.v[CNT_PINNED]);
close:
		if (close(fd))
			fail("close: %s", strerror(errno));
		if (wait_idle("after close"))
			return -1;
	}
	munmap(buf, 2 * len);
	free(p);
	return 0;
}

/*
 * --hold KIND: make something of KIND, say "ready" on stdout, and keep it
 * until killed (or stdin reaches its end):
 *   ioasid   a /dev/ioasid fd with a mapped IOASID
 *   faultq   a fault queue, its /dev/ioasid fd closed
 *   swdev    a software device attached to an IOASID whose fd is closed
 *            (parked)
 */
static int hold(const char *kind)
{
	size_t pg = page_size();
	unsigned char *buf = mmap_aligned(pg, pg);
	struct ioasid_fault_queue_alloc q = { .size = sizeof(q) };
	struct ioasid_test_device_create c = { .size = sizeof(c), .pasid_bits = 20 };
	int fd = ioasid_open(), tfd;
	__u32 pasid;
	char b;

	if (fd < 0 || !buf || _ioasid_alloc(fd, 0, 0, 0, &pasid) ||
	    _ioasid_map_fixed(fd, pasid, buf, pg, SZ_1M))
		fail("cannot set up: %s", strerror(errno));
	if (!strcmp(kind, "faultq")) {
		if (ioctl(fd, IOASID_FAULT_QUEUE_ALLOC, &q))
			fail("FAULT_QUEUE_ALLOC: %s", strerror(errno));
		close(fd);
	} else if (!strcmp(kind, "swdev")) {
		tfd = open("/dev/ioasid-test", O_RDWR | O_CLOEXEC);
		if (tfd < 0 || ioctl(tfd, IOASID_TEST_DEVICE_CREATE, &c) ||
		    _ioasid_device_allow(c.out_device_fd, fd, pasid,
					 IOASID_DEVICE_PASID, 0))
			fail("software device: %s", strerror(errno));
		close(tfd);
		close(fd);
	} else if (strcmp(kind, "ioasid")) {
		fail("--hold: unknown kind '%s'", kind);
	}
	printf("ready\n");
	fflush(stdout);
	while (read(0, &b, 1) > 0)
		;
	pause();
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int n = 32;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "--hold"))
		return hold(argv[2]) ? 1 : 0;
	if (argc == 3 && !strcmp(argv[1], "--cycle")) {
		n = strtoul(argv[2], NULL, 0);
		if (n < 4 || n > 4096) {
			printf("# --cycle N: N in [4, 4096]\n");
			return 2;
		}
		return cycle(n) ? 1 : 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--cycle N]\n", argv[0]);
		return 2;
	}
	printf("TAP version 13\n1..1\n");
	rc = cycle(n);
	printf("%sok 1 one ALLOC/MAP/DESTROY/close cycle in PASIDs [1, %u]\n",
	       rc ? "not " : "", n);
	return rc ? 1 : 0;
}
