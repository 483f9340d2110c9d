/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the /dev/ioasid core selftests (1x_*.c, 2x_*.c).
 *
 * Three forms per ioctl, as in the iommufd selftests:
 *
 *   _ioasid_xxx(...)               the raw call: 0, or -1 with errno set
 *   test_ioasid_xxx(...)           ASSERTs that it succeeds
 *   test_err_ioasid_xxx(E, ...)    ASSERTs that it fails with errno E
 *
 * plus readers for the debugfs object counters, the module parameters,
 * /proc/PID/fdinfo and the GET_INFO capability chain, and a kernel log
 * watcher that catches WARN()/BUG() splats triggered by a test.
 *
 * Include after kselftest_harness.h.  The test_* forms need _metadata in
 * scope (a TEST/TEST_F body or a function taking it).  Programs that do not
 * use the harness (2x_*.c helpers) get the raw forms and readers only.
 */
#ifndef __IOASID_UTILS_H
#define __IOASID_UTILS_H

#include "ioasid_raw.h"
#include "kmsg.h"

/* ------------------------------------------------------------------------
 * The GET_INFO capability chain
 */

#define IOASID_MAX_RANGES	64

struct ioasid_caps {
	bool has_pasid, has_quota, has_modes, has_ioas, has_ranges;
	bool has_nested, has_nested_ioas;
	struct ioasid_info_cap_nested nested;
	struct ioasid_info_cap_nested_ioas nested_ioas;
	struct ioasid_info_cap_pasid pasid;
	struct ioasid_info_cap_quota quota;
	struct ioasid_info_cap_modes modes;
	struct ioasid_info_cap_ioas ioas;
	__u32 nr_ranges;
	struct ioasid_iova_range ranges[IOASID_MAX_RANGES];
	unsigned int nr_caps;		/* all caps, known or not */
	unsigned int nr_unknown;
	__u32 caps_len;			/* as reported by the kernel */
	__u32 written;			/* out_caps_written */
	const char *err;		/* why the chain is malformed, or NULL */
};

static inline size_t ioasid_cap_min_size(__u16 id)
{
	switch (id) {
	case IOASID_INFO_CAP_PASID:
		return sizeof(struct ioasid_info_cap_pasid);
	case IOASID_INFO_CAP_QUOTA:
		return sizeof(struct ioasid_info_cap_quota);
	case IOASID_INFO_CAP_MODES:
		return sizeof(struct ioasid_info_cap_modes);
	case IOASID_INFO_CAP_IOAS:
		return sizeof(struct ioasid_info_cap_ioas);
	case IOASID_INFO_CAP_IOVA_RANGES:
		return sizeof(struct ioasid_info_cap_iova_ranges);
	case IOASID_INFO_CAP_NESTED:
		return sizeof(struct ioasid_info_cap_nested);
	case IOASID_INFO_CAP_NESTED_IOAS:
		return sizeof(struct ioasid_info_cap_nested_ioas);
	default:
		return sizeof(struct ioasid_info_cap_header);
	}
}

/*
 * Walks a chain of @len bytes and copies out the known capabilities.
 * Returns 0, or -1 with out->err saying what is wrong: misaligned or
 * out-of-bounds headers, overlapping or backwards @next links, a capability
 * that does not fit, a duplicate, an unexpected version, a bad range list.
 */
static inline int ioasid_caps_parse(const void *buf, size_t len,
				    struct ioasid_caps *out)
{
	const unsigned char *base = buf;
	size_t off = 0, end;
	unsigned int i;

	out->nr_caps = out->nr_unknown = 0;
	out->has_pasid = out->has_quota = out->has_modes = false;
	out->has_ioas = out->has_ranges = false;
	out->has_nested = out->has_nested_ioas = false;
	out->nr_ranges = 0;
	out->err = NULL;
	if (!len) {
		out->err = "empty chain";
		return -1;
	}
	for (;;) {
		const struct ioasid_info_cap_header *hdr;

		if (off % 8) {
			out->err = "capability not 8-byte aligned";
			return -1;
		}
		if (off + sizeof(*hdr) > len) {
			out->err = "capability header past the end of the chain";
			return -1;
		}
		hdr = (const void *)(base + off);
		end = off + ioasid_cap_min_size(hdr->id);
		if (end > len) {
			out->err = "capability past the end of the chain";
			return -1;
		}
		if (hdr->version < 1) {
			out->err = "capability version 0";
			return -1;
		}
		out->nr_caps++;
		switch (hdr->id) {
#define COPY_CAP(_id, _has, _field)					\
		case _id:						\
			if (out->_has) {				\
				out->err = "duplicate capability";	\
				return -1;				\
			}						\
			if (hdr->version != 1) {			\
				out->err = "unexpected version of a known capability"; \
				return -1;				\
			}						\
			out->_has = true;				\
			memcpy(&out->_field, hdr, sizeof(out->_field));	\
			break;
		COPY_CAP(IOASID_INFO_CAP_PASID, has_pasid, pasid)
		COPY_CAP(IOASID_INFO_CAP_QUOTA, has_quota, quota)
		COPY_CAP(IOASID_INFO_CAP_MODES, has_modes, modes)
		COPY_CAP(IOASID_INFO_CAP_IOAS, has_ioas, ioas)
		COPY_CAP(IOASID_INFO_CAP_NESTED, has_nested, nested)
		COPY_CAP(IOASID_INFO_CAP_NESTED_IOAS, has_nested_ioas, nested_ioas)
#undef COPY_CAP
		case IOASID_INFO_CAP_IOVA_RANGES: {
			const struct ioasid_info_cap_iova_ranges *r = (const void *)hdr;

			if (out->has_ranges) {
				out->err = "duplicate capability";
				return -1;
			}
			if (hdr->version != 1) {
				out->err = "unexpected version of a known capability";
				return -1;
			}
			end += (size_t)r->nr_ranges * sizeof(r->ranges[0]);
			if (end > len) {
				out->err = "IOVA ranges past the end of the chain";
				return -1;
			}
			if (r->nr_ranges > IOASID_MAX_RANGES) {
				out->err = "more IOVA ranges than the test handles";
				return -1;
			}
			for (i = 0; i < r->nr_ranges; i++) {
				if (r->ranges[i].start > r->ranges[i].last) {
					out->err = "IOVA range with start > last";
					return -1;
				}
				if (i && r->ranges[i].start <= r->ranges[i - 1].last) {
					out->err = "IOVA ranges not sorted and disjoint";
					return -1;
				}
				out->ranges[i] = r->ranges[i];
			}
			out->nr_ranges = r->nr_ranges;
			out->has_ranges = true;
			break;
		}
		default:
			out->nr_unknown++;
			break;
		}
		if (!hdr->next)
			return 0;
		if (hdr->next < end) {
			out->err = "next link overlaps or goes backwards";
			return -1;
		}
		off = hdr->next;
	}
}

/*
 * GET_INFO into *out.  @pasid_flag: pass IOASID_INFO_PASID to ask about
 * @pasid.  Returns 0, or -1 with errno (EBADMSG if the chain is malformed,
 * out->err says why).
 */
static inline int _ioasid_info(int fd, __u32 flags, __u32 pasid,
			       struct ioasid_caps *out)
{
	size_t len = 4096;
	struct ioasid_info cmd;
	void *buf;
	int rc;

	memset(out, 0, sizeof(*out));
	for (;;) {
		buf = calloc(1, len);
		if (!buf) {
			errno = ENOMEM;
			return -1;
		}
		rc = _ioasid_get_info_raw(fd, flags, pasid, buf, len, &cmd);
		if (rc) {
			int e = errno;

			free(buf);
			errno = e;
			return rc;
		}
		if (cmd.caps_len <= len)
			break;
		/* The chain grew: try again with room for it. */
		len = cmd.caps_len;
		free(buf);
	}
	out->caps_len = cmd.caps_len;
	out->written = cmd.out_caps_written;
	if (cmd.out_caps_written != cmd.caps_len) {
		out->err = "out_caps_written != caps_len with a large enough buffer";
		rc = -1;
	} else {
		rc = ioasid_caps_parse(buf, cmd.out_caps_written, out);
	}
	free(buf);
	if (rc)
		errno = EBADMSG;
	return rc;
}

static inline int _ioasid_info_pasid(int fd, __u32 pasid, struct ioasid_caps *out)
{
	return _ioasid_info(fd, IOASID_INFO_PASID, pasid, out);
}

/* ------------------------------------------------------------------------
 * Debugfs counters
 */

enum {
	CNT_CONTEXTS,
	CNT_IOASIDS_LIVE,
	CNT_IOASIDS_PARKED,
	CNT_PASIDS,
	CNT_IOPTS,
	CNT_AREAS,
	CNT_PINNED,
	CNT_HWPTS,
	CNT_DEVICES,
	CNT_ATTACHMENTS,
	CNT_GROUPS,
	CNT_FAULTQ,
	CNT_FAULT_RECORDS,
	CNT_NR,
};

static const char *const ioasid_cnt_names[CNT_NR] = {
	[CNT_CONTEXTS] = "contexts",
	[CNT_IOASIDS_LIVE] = "ioasids_live",
	[CNT_IOASIDS_PARKED] = "ioasids_parked",
	[CNT_PASIDS] = "pasids",
	[CNT_IOPTS] = "iopts",
	[CNT_AREAS] = "areas",
	[CNT_PINNED] = "pinned_pages",
	[CNT_HWPTS] = "hwpts",
	[CNT_DEVICES] = "devices",
	[CNT_ATTACHMENTS] = "attachments",
	[CNT_GROUPS] = "groups",
	[CNT_FAULTQ] = "fault_queues",
	[CNT_FAULT_RECORDS] = "fault_records",
};

struct ioasid_counters {
	long v[CNT_NR];
};

/* Mounts debugfs if it is not; returns 0 if the counters are readable. */
static inline int counters_available(void)
{
	if (!access(IOASID_COUNTERS, R_OK))
		return 0;
	mount("debugfs", IOASID_DEBUGFS, "debugfs", 0, NULL);
	return access(IOASID_COUNTERS, R_OK);
}

/* Returns 0, or -1 if the file cannot be read or lacks a counter. */
static inline int counters_read(struct ioasid_counters *c)
{
	bool seen[CNT_NR] = {};
	char name[64];
	long val;
	FILE *f;
	int i;

	f = fopen(IOASID_COUNTERS, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &val) == 2) {
		for (i = 0; i < CNT_NR; i++) {
			if (!strcmp(name, ioasid_cnt_names[i])) {
				c->v[i] = val;
				seen[i] = true;
			}
		}
	}
	fclose(f);
	for (i = 0; i < CNT_NR; i++)
		if (!seen[i])
			return -1;
	return 0;
}

static inline long counter_get(int which)
{
	struct ioasid_counters c;

	if (counters_read(&c))
		return -1;
	return c.v[which];
}

static inline void counters_format(const struct ioasid_counters *c, char *buf,
				   size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < CNT_NR && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s=%ld", i ? " " : "",
			      ioasid_cnt_names[i], c->v[i]);
}

/*
 * Counters owned by fds: everything except devices and groups, which exist
 * while devices are registered, whatever the fds do.
 */
static inline bool counters_fd_idle(const struct ioasid_counters *c)
{
	int i;

	for (i = 0; i < CNT_NR; i++) {
		if (i == CNT_DEVICES || i == CNT_GROUPS)
			continue;
		if (c->v[i])
			return false;
	}
	return true;
}

static inline bool counters_equal(const struct ioasid_counters *a,
				  const struct ioasid_counters *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static inline long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * The IOASID memory (and its iopt, counted in "iopts") is freed after an RCU
 * grace period, so a count can lag the close() that released it.  Poll up to
 * @timeout_ms for the counters to equal @want (or, with want == NULL, to be
 * idle).  Leaves the last reading in *last.  Returns true on success.
 */
static inline bool counters_wait(const struct ioasid_counters *want,
				 struct ioasid_counters *last, long timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	for (;;) {
		if (counters_read(last))
			return false;
		if (want ? counters_equal(want, last) : counters_fd_idle(last))
			return true;
		if (now_ms() > deadline)
			return false;
		usleep(10000);
	}
}

#define COUNTERS_SETTLE_MS	10000

/* ASSERTs that the fd-owned counters drop to 0 (what "every fd closed" means) */
#define ASSERT_COUNTERS_IDLE() do {					\
	struct ioasid_counters __c;					\
	char __buf[512];						\
									\
	if (!counters_wait(NULL, &__c, COUNTERS_SETTLE_MS)) {		\
		counters_format(&__c, __buf, sizeof(__buf));		\
		TH_LOG("counters not back to 0: %s", __buf);		\
		ASSERT_TRUE(counters_fd_idle(&__c));			\
	}								\
} while (0)

#define EXPECT_COUNTERS_EQ(_want) do {					\
	struct ioasid_counters __c;					\
	char __b1[512], __b2[512];					\
									\
	if (!counters_wait((_want), &__c, COUNTERS_SETTLE_MS)) {	\
		counters_format((_want), __b1, sizeof(__b1));		\
		counters_format(&__c, __b2, sizeof(__b2));		\
		TH_LOG("counters: want %s", __b1);			\
		TH_LOG("counters: have %s", __b2);			\
		EXPECT_TRUE(counters_equal((_want), &__c));		\
	}								\
} while (0)

/* ------------------------------------------------------------------------
 * Module parameters
 */

static inline int param_read(const char *name, unsigned int *val)
{
	char path[128];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), IOASID_PARAMS "%s", name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	rc = fscanf(f, "%u", val) == 1 ? 0 : -1;
	fclose(f);
	return rc;
}

static inline int param_write(const char *name, unsigned int val)
{
	char path[128], buf[32];
	int fd, n, rc;

	snprintf(path, sizeof(path), IOASID_PARAMS "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%u\n", val);
	rc = write(fd, buf, n) == n ? 0 : -1;
	close(fd);
	return rc;
}

/*
 * The quota parameters as found when the program started.  Fixtures that
 * change them restore them in their teardown; a destructor in the harness's
 * own process restores them again in case a test child was killed (timeout)
 * before its teardown ran.  Test children leave with _exit(), so only the
 * harness process runs the destructor.
 */
static unsigned int ioasid_saved_max_per_fd, ioasid_saved_max_per_user;
static bool ioasid_params_saved;

static void __attribute__((constructor)) ioasid_params_save(void)
{
	ioasid_params_saved = !param_read("max_per_fd", &ioasid_saved_max_per_fd) &&
			      !param_read("max_per_user", &ioasid_saved_max_per_user);
}

static inline int ioasid_params_restore(void)
{
	unsigned int v;
	int rc = 0;

	if (!ioasid_params_saved)
		return 0;
	if (param_read("max_per_fd", &v) || v != ioasid_saved_max_per_fd)
		rc |= param_write("max_per_fd", ioasid_saved_max_per_fd);
	if (param_read("max_per_user", &v) || v != ioasid_saved_max_per_user)
		rc |= param_write("max_per_user", ioasid_saved_max_per_user);
	return rc;
}

static void __attribute__((destructor)) ioasid_params_restore_at_exit(void)
{
	ioasid_params_restore();
}

/* ------------------------------------------------------------------------
 * fdinfo
 */

struct fdinfo_ioasid {
	unsigned int pasid;
	char state[16];
	char mode[16];
	unsigned int refs;
	unsigned int attach;
	unsigned long mappings;
};

struct fdinfo {
	long nr_ioasids;		/* the "ioasids:" line, -1 if absent */
	size_t n;			/* "ioasid:" lines */
	struct fdinfo_ioasid *ent;	/* malloc()ed, n entries */
	size_t bad_lines;		/* ioasid lines that did not parse */
};

static inline void fdinfo_free(struct fdinfo *fi)
{
	free(fi->ent);
	fi->ent = NULL;
	fi->n = 0;
}

/* Reads /proc/@pid/fdinfo/@fd (pid 0: self). Returns 0 or -1. */
static inline int fdinfo_read(pid_t pid, int fd, struct fdinfo *fi)
{
	char path[64], line[256];
	size_t alloc = 0;
	FILE *f;

	memset(fi, 0, sizeof(*fi));
	fi->nr_ioasids = -1;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	else
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct fdinfo_ioasid e = {};
		long v;

		if (sscanf(line, "ioasids:\t%ld", &v) == 1) {
			fi->nr_ioasids = v;
			continue;
		}
		if (strncmp(line, "ioasid:", 7))
			continue;
		if (sscanf(line,
			   "ioasid:\t%u state:%15s mode:%15s refs:%u attach:%u mappings:%lu",
			   &e.pasid, e.state, e.mode, &e.refs, &e.attach,
			   &e.mappings) != 6) {
			fi->bad_lines++;
			continue;
		}
		if (fi->n == alloc) {
			void *p;

			alloc = alloc ? 2 * alloc : 64;
			p = realloc(fi->ent, alloc * sizeof(e));
			if (!p) {
				fclose(f);
				fdinfo_free(fi);
				return -1;
			}
			fi->ent = p;
		}
		fi->ent[fi->n++] = e;
	}
	fclose(f);
	return 0;
}

static inline const struct fdinfo_ioasid *fdinfo_find(const struct fdinfo *fi,
						      unsigned int pasid)
{
	size_t i;

	for (i = 0; i < fi->n; i++)
		if (fi->ent[i].pasid == pasid)
			return &fi->ent[i];
	return NULL;
}

#define EXPECT_KMSG_CLEAN(_fd) do {					\
	char __first[512];						\
	int __n = kmsg_watch_end((_fd), __first, sizeof(__first));	\
									\
	if (__n > 0)							\
		TH_LOG("kernel log: %d splat line(s), first: %s", __n,	\
		       __first);					\
	EXPECT_EQ(0, __n);						\
} while (0)

/* ------------------------------------------------------------------------
 * Memory and capabilities
 */

static inline void *mmap_anon(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Anonymous memory aligned to @align, faulted in. */
static inline void *mmap_aligned(size_t len, size_t align)
{
	unsigned char *p, *a;

	p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (unsigned char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + len, p + len + align - (a + len));
	memset(a, 0x5a, len);
	return a;
}

/* An address range with nothing mapped: mmap()ed and unmapped again. */
static inline void *unmapped_address(size_t len)
{
	void *p = mmap_anon(len, PROT_NONE);

	if (p)
		munmap(p, len);
	return p;
}

/* Drops @cap from the effective, permitted and inheritable sets. */
static inline int drop_capability(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[cap / 32].effective &= ~(1U << (cap % 32));
	data[cap / 32].permitted &= ~(1U << (cap % 32));
	data[cap / 32].inheritable &= ~(1U << (cap % 32));
	return syscall(SYS_capset, &hdr, data);
}

/* fork() whose child dies with the test process. */
static inline pid_t fork_child(void)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
	}
	return pid;
}

/* Waits for @pid; returns its exit status, or 128 + signal. */
static inline int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

#ifdef __KSELFTEST_HARNESS_H
/* ------------------------------------------------------------------------
 * Per-test context shared by the fixtures: an fd, the counters as they were
 * before the test (the teardown checks the test left them so), the kernel
 * log watch, and children to reap.
 */

struct ioasid_tctx {
	int fd;
	int kmsg;
	struct ioasid_counters base;
	pid_t kids[16];
	int nr_kids;
};

static inline void tctx_setup(struct __test_metadata *_metadata,
			      struct ioasid_tctx *t)
{
	struct ioasid_counters c;
	char buf[512];

	t->fd = -1;
	t->kmsg = -1;
	/* The module must be there: a failed insmod is a failure, not a skip. */
	ASSERT_EQ(0, access(IOASID_DEV, F_OK)) {
		TH_LOG("%s is missing: is ioasidfd.ko loaded?", IOASID_DEV);
	}
	ASSERT_EQ(0, counters_available()) {
		TH_LOG("cannot read %s", IOASID_COUNTERS);
	}
	/* Let a previous test's RCU frees land; a leak stays in the baseline. */
	if (!counters_wait(NULL, &c, 3000)) {
		counters_format(&c, buf, sizeof(buf));
		TH_LOG("counters not idle before the test: %s", buf);
	}
	t->base = c;
	t->fd = ioasid_open();
	ASSERT_LE(0, t->fd);
	t->kmsg = kmsg_watch_begin();
}

static inline void tctx_add_kid(struct ioasid_tctx *t, pid_t pid)
{
	if (pid > 0 && t->nr_kids < (int)ARRAY_SIZE(t->kids))
		t->kids[t->nr_kids++] = pid;
}

static inline void tctx_teardown(struct __test_metadata *_metadata,
				 struct ioasid_tctx *t)
{
	int i;

	/* Children left by a failed test would hold fds open. */
	for (i = 0; i < t->nr_kids; i++) {
		kill(t->kids[i], SIGKILL);
		waitpid(t->kids[i], NULL, 0);
	}
	if (t->kmsg >= 0)
		EXPECT_KMSG_CLEAN(t->kmsg);
	t->kmsg = -1;
	/* Every fd the test opened, whatever path it took. */
	syscall(SYS_close_range, 3, ~0U, 0);
	t->fd = -1;
	EXPECT_COUNTERS_EQ(&t->base);
}
#endif /* __KSELFTEST_HARNESS_H */

/* ------------------------------------------------------------------------
 * Asserting forms
 */

#define test_ioasid_alloc(_fd, _pasid)					\
	ASSERT_EQ(0, _ioasid_alloc((_fd), 0, 0, 0, (_pasid)))

#define test_ioasid_alloc_range(_fd, _min, _max, _pasid)		\
	ASSERT_EQ(0, _ioasid_alloc_range((_fd), (_min), (_max), (_pasid)))

#define test_err_ioasid_alloc_range(_errno, _fd, _min, _max) ({		\
	__u32 __p = 0xdeadbeef;						\
	ASSERT_EQ(-1, _ioasid_alloc_range((_fd), (_min), (_max), &__p));\
	ASSERT_EQ(_errno, errno);					\
})

#define test_err_ioasid_alloc(_errno, _fd) ({				\
	ASSERT_EQ(-1, _ioasid_alloc((_fd), 0, 0, 0, NULL));		\
	ASSERT_EQ(_errno, errno);					\
})

#define test_ioasid_destroy(_fd, _pasid)				\
	ASSERT_EQ(0, _ioasid_destroy((_fd), (_pasid)))

#define test_err_ioasid_destroy(_errno, _fd, _pasid) ({			\
	ASSERT_EQ(-1, _ioasid_destroy((_fd), (_pasid)));		\
	ASSERT_EQ(_errno, errno);					\
})

#define test_ioasid_map_fixed(_fd, _pasid, _va, _len, _iova)		\
	ASSERT_EQ(0, _ioasid_map_fixed((_fd), (_pasid), (_va), (_len), (_iova)))

#define test_err_ioasid_map_fixed(_errno, _fd, _pasid, _va, _len, _iova) ({ \
	ASSERT_EQ(-1, _ioasid_map_fixed((_fd), (_pasid), (_va), (_len), (_iova))); \
	ASSERT_EQ(_errno, errno);					\
})

#define test_ioasid_map(_fd, _pasid, _flags, _va, _len, _iovap)	\
	ASSERT_EQ(0, _ioasid_map((_fd), (_pasid), (_flags), (_va), (_len), (_iovap)))

#define test_err_ioasid_map(_errno, _fd, _pasid, _flags, _va, _len, _iovap) ({ \
	ASSERT_EQ(-1, _ioasid_map((_fd), (_pasid), (_flags), (_va), (_len), (_iovap))); \
	ASSERT_EQ(_errno, errno);					\
})

#define test_ioasid_unmap(_fd, _pasid, _iova, _len, _unmappedp)		\
	ASSERT_EQ(0, _ioasid_unmap((_fd), (_pasid), 0, (_iova), (_len), (_unmappedp)))

#define test_err_ioasid_unmap(_errno, _fd, _pasid, _iova, _len) ({	\
	ASSERT_EQ(-1, _ioasid_unmap((_fd), (_pasid), 0, (_iova), (_len), NULL)); \
	ASSERT_EQ(_errno, errno);					\
})

#define test_ioasid_unmap_all(_fd, _pasid, _unmappedp)			\
	ASSERT_EQ(0, _ioasid_unmap_all((_fd), (_pasid), (_unmappedp)))

#define test_ioasid_info(_fd, _caps) ({					\
	int __rc = _ioasid_info((_fd), 0, 0, (_caps));			\
	if (__rc && (_caps)->err)					\
		TH_LOG("GET_INFO chain: %s", (_caps)->err);		\
	ASSERT_EQ(0, __rc);						\
})

#define test_ioasid_info_pasid(_fd, _pasid, _caps) ({			\
	int __rc = _ioasid_info_pasid((_fd), (_pasid), (_caps));	\
	if (__rc && (_caps)->err)					\
		TH_LOG("GET_INFO chain: %s", (_caps)->err);		\
	ASSERT_EQ(0, __rc);						\
	ASSERT_TRUE((_caps)->has_ioas);					\
	ASSERT_EQ((_pasid), (_caps)->ioas.pasid);			\
})

#define test_err_ioasid_info_pasid(_errno, _fd, _pasid) ({		\
	struct ioasid_caps __caps;					\
	ASSERT_EQ(-1, _ioasid_info_pasid((_fd), (_pasid), &__caps));	\
	ASSERT_EQ(_errno, errno);					\
})

/* PASIDs this fd holds, from the QUOTA capability */
#define test_nr_fd(_fd) ({						\
	struct ioasid_caps __caps;					\
	test_ioasid_info((_fd), &__caps);				\
	ASSERT_TRUE(__caps.has_quota);					\
	__caps.quota.nr_fd;						\
})

#define test_counter(_which) ({						\
	long __v = counter_get(_which);					\
	ASSERT_LE(0, __v);						\
	__v;								\
})

#endif /* __IOASID_UTILS_H */
