// SPDX-License-Identifier: GPL-2.0
/*
 * What an unprivileged user can and cannot do, for
 * Documentation/security/ioasid-review.rst.
 *
 * A child drops to uid/gid 65534 without capabilities and checks:
 *   - /dev/ioasid opens and works, within RLIMIT_MEMLOCK;
 *   - /dev/ioasid-test (software devices: DMA on demand) does not open;
 *   - the debugfs files (counters, the test module's knobs) are out of
 *     reach, and so are the module parameters (the quotas);
 * and the test knobs do nothing to a task that did not arm itself: a task
 * armed through fail_nth fails its own Nth point, never another task's.
 */
#include <grp.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "swdev.h"

#define CHILD_CHECK(_n, _cond) do { if (!(_cond)) _exit(_n); } while (0)

#define NOBODY		65534
#define FAIL_NTH	IOASID_DEBUGFS "/ioasidfd_test/fail_nth"

FIXTURE(priv) {
	struct ioasid_tctx t;
	void *buf;
	size_t pg;
};

FIXTURE_SETUP(priv)
{
	tctx_setup(_metadata, &self->t);
	self->pg = page_size();
	self->buf = mmap_aligned(32 * self->pg, self->pg);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(priv)
{
	munmap(self->buf, 32 * self->pg);
	tctx_teardown(_metadata, &self->t);
}

/* Become uid/gid 65534 with no capability at all; 0 or the step that failed */
static int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return 1;
	if (getuid() != NOBODY || geteuid() != NOBODY)
		return 2;
	/* setuid() from root clears the capability sets: check it did. */
	if (!drop_capability(CAP_IPC_LOCK) && !access("/proc/self/status", R_OK)) {
		FILE *f = fopen("/proc/self/status", "re");
		char line[128];
		unsigned long long eff = ~0ULL;

		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "CapEff: %llx", &eff) == 1)
				break;
		if (f)
			fclose(f);
		if (eff)
			return 3;
	}
	return 0;
}

static int open_errno(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno;
}

/* /dev/ioasid is for everyone; what it pins is charged to RLIMIT_MEMLOCK. */
TEST_F(priv, unprivileged_use_within_memlock)
{
	size_t pg = self->pg;
	pid_t pid;
	int st;

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct rlimit rl = { 8 * pg, 8 * pg };
		__u32 pasid;
		int fd;

		CHILD_CHECK(10, !setrlimit(RLIMIT_MEMLOCK, &rl));
		CHILD_CHECK(11, !drop_to_nobody());
		fd = ioasid_open();
		CHILD_CHECK(12, fd >= 0);
		CHILD_CHECK(13, !_ioasid_alloc(fd, 0, 0, 0, &pasid));
		CHILD_CHECK(14, !_ioasid_map_fixed(fd, pasid, self->buf, 8 * pg, SZ_1M));
		/* Past the limit: ENOMEM, and nothing mapped */
		CHILD_CHECK(15, _ioasid_map_fixed(fd, pasid, (char *)self->buf + 8 * pg,
						  pg, 2 * SZ_1M) && errno == ENOMEM);
		CHILD_CHECK(16, !_ioasid_unmap_all(fd, pasid, NULL));
		CHILD_CHECK(17, !_ioasid_map_fixed(fd, pasid, self->buf, 8 * pg, SZ_1M));
		CHILD_CHECK(18, !_ioasid_destroy(fd, pasid));
		close(fd);
		_exit(0);
	}
	tctx_add_kid(&self->t, pid);
	st = wait_child(pid);
	self->t.nr_kids = 0;
	ASSERT_EQ(0, st) {
		TH_LOG("unprivileged child failed at step %d", st);
	}
}

/* The test module's device node, debugfs and the quotas are root's. */
TEST_F(priv, unprivileged_cannot_reach_test_knobs)
{
	pid_t pid;
	int st;

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (!pid) {
		CHILD_CHECK(10, !drop_to_nobody());
		if (!access("/dev/ioasid-test", F_OK))
			CHILD_CHECK(11, open_errno("/dev/ioasid-test", O_RDWR) == EACCES);
		CHILD_CHECK(12, open_errno(IOASID_COUNTERS, O_RDONLY) == EACCES);
		CHILD_CHECK(13, open_errno(FAIL_NTH, O_RDWR) == EACCES);
		CHILD_CHECK(14, open_errno(IOASID_DEBUGFS "/ioasidfd_test/fault_report_delay_ms",
					   O_RDWR) == EACCES);
		CHILD_CHECK(15, open_errno(IOASID_PARAMS "max_per_user", O_WRONLY) == EACCES);
		CHILD_CHECK(16, open_errno(IOASID_PARAMS "max_per_fd", O_WRONLY) == EACCES);
		/* but the quotas can be read, as GET_INFO reports them anyway */
		CHILD_CHECK(17, open_errno(IOASID_PARAMS "max_per_user", O_RDONLY) == 0);
		_exit(0);
	}
	tctx_add_kid(&self->t, pid);
	st = wait_child(pid);
	self->t.nr_kids = 0;
	ASSERT_EQ(0, st) {
		TH_LOG("unprivileged child failed at step %d", st);
	}
}

static int arm(int fd, unsigned int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%u", n);

	return pwrite(fd, b, len, 0) == len ? 0 : -1;
}

struct other_task {
	int fd;
	int rc;
};

static void *other_alloc(void *arg)
{
	struct other_task *o = arg;
	__u32 p;
	int i;

	o->rc = 0;
	for (i = 0; i < 20 && !o->rc; i++)
		o->rc = _ioasid_alloc(o->fd, 0, 0, 0, &p) ? errno : 0;
	return NULL;
}

/* A task armed through fail_nth fails its own point; others never do. */
TEST_F(priv, fail_nth_is_per_task)
{
	struct other_task o = { .fd = self->t.fd };
	char b[64] = "";
	pthread_t th;
	pid_t pid;
	int kfd;
	__u32 p;

	kfd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	if (kfd < 0)
		SKIP(return, "no %s (is ioasidfd_test loaded?)", FAIL_NTH);
	/* Armed for its first point, this thread's next ALLOC fails ... */
	ASSERT_EQ(0, arm(kfd, 1));
	/* ... but not another thread's, nor a child's, meanwhile */
	ASSERT_EQ(0, pthread_create(&th, NULL, other_alloc, &o));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, o.rc);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(_ioasid_alloc(self->t.fd, 0, 0, 0, &p) ? 1 : 0);
	tctx_add_kid(&self->t, pid);
	EXPECT_EQ(0, wait_child(pid));
	self->t.nr_kids = 0;
	EXPECT_EQ(-1, _ioasid_alloc(self->t.fd, 0, 0, 0, &p));
	EXPECT_EQ(EFAULT, errno);	/* the first point: the copy of the struct */
	ASSERT_LT(0, pread(kfd, b, sizeof(b) - 1, 0));
	EXPECT_EQ(0, strncmp(b, "1 1 user", 8)) {
		TH_LOG("fail_nth reads '%s'", b);
	}
	/* Fired once: the next call works; disarmed, nothing is counted. */
	EXPECT_EQ(0, _ioasid_alloc(self->t.fd, 0, 0, 0, &p));
	ASSERT_EQ(0, arm(kfd, 0));
	EXPECT_EQ(0, _ioasid_alloc(self->t.fd, 0, 0, 0, &p));
	memset(b, 0, sizeof(b));
	ASSERT_LT(0, pread(kfd, b, sizeof(b) - 1, 0));
	EXPECT_EQ(0, strncmp(b, "0 0 -", 5));
	close(kfd);
}

TEST_HARNESS_MAIN
