// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input for every /dev/ioasid ioctl, against the "General ioctl format"
 * DOC of include/uapi/linux/ioasidfd.h:
 *
 *   @size below the first version            EINVAL
 *   @size past the kernel's struct, non-zero  E2BIG
 *   @size past the kernel's struct, zeroes    as if the tail were not there
 *   unknown flag / non-zero __reserved        EOPNOTSUPP
 *   unreadable or unwritable struct           EFAULT
 *   unknown number, number with size or
 *   direction bits, wrong kind of fd          ENOTTY
 *
 * and "a call that fails changes nothing": after each failing call the
 * object counters, the quota use and the state of the test IOASID are as
 * before, and the caller's struct is not written.
 *
 * One fixture variant per ioctl; each variant knows how to build a call that
 * succeeds and how to check that it did.
 */
#include "kselftest_harness.h"
#include "ioasid_utils.h"

#include <sys/eventfd.h>

#define CMD_BUF		8192

FIXTURE(badinput) {
	struct ioasid_tctx t;
	size_t pg;
	__u32 pasid;		/* live, one mapping at 0 */
	__u32 victim;		/* for DESTROY */
	__u32 mapped_iova_pages;
	unsigned char *mem;	/* 16 pages to map */
	__u64 next_iova;
	__u64 unmap_iova;	/* for UNMAP */
	unsigned char *caps;	/* GET_INFO capability buffer, a page */
	unsigned char *area;	/* 4 pages: rw rw ro none */
	int fault_fd;		/* for SET_FAULT_QUEUE */
	__u32 sva;		/* for SVA_BIND / SVA_PREFAULT, made on demand */
	unsigned char cmd[CMD_BUF] __attribute__((aligned(8)));
};

FIXTURE_VARIANT(badinput) {
	unsigned long nr;
	size_t size;		/* the kernel's struct */
	size_t min_size;	/* the first published version */
	__u32 known_flags;
	size_t reserved_off;
	bool writes_output;
	void (*prepare)(struct __test_metadata *_metadata,
			FIXTURE_DATA(badinput) *self, void *cmd);
	void (*check_ok)(struct __test_metadata *_metadata,
			 FIXTURE_DATA(badinput) *self, const void *cmd);
};

/* ------------------------------------------------------------------------
 * Per-ioctl: a call that succeeds, and its effect
 */

static void prep_info(struct __test_metadata *_metadata,
		      FIXTURE_DATA(badinput) *self, void *cmd)
{
	struct ioasid_info *c = cmd;

	memset(self->caps, 0xa5, self->pg);
	c->size = sizeof(*c);
	c->flags = IOASID_INFO_PASID;
	c->pasid = self->pasid;
	c->caps_len = self->pg;
	c->caps_uptr = (uintptr_t)self->caps;
}

static void ok_info(struct __test_metadata *_metadata,
		    FIXTURE_DATA(badinput) *self, const void *cmd)
{
	const struct ioasid_info *c = cmd;
	struct ioasid_caps caps;

	ASSERT_LT(0, c->caps_len);
	ASSERT_EQ(c->caps_len, c->out_caps_written);
	ASSERT_EQ(0, ioasid_caps_parse(self->caps, c->out_caps_written, &caps)) {
		TH_LOG("chain: %s", caps.err);
	}
	ASSERT_TRUE(caps.has_ioas);
	ASSERT_EQ(self->pasid, caps.ioas.pasid);
}

static void prep_alloc(struct __test_metadata *_metadata,
		       FIXTURE_DATA(badinput) *self, void *cmd)
{
	struct ioasid_alloc *c = cmd;

	c->size = sizeof(*c);
	c->flags = IOASID_ALLOC_RANGE;
	c->min_pasid = IOASID_PASID_MIN;
	c->max_pasid = IOASID_PASID_MAX;
}

static void ok_alloc(struct __test_metadata *_metadata,
		     FIXTURE_DATA(badinput) *self, const void *cmd)
{
	const struct ioasid_alloc *c = cmd;
	struct ioasid_caps caps;

	ASSERT_LE(IOASID_PASID_MIN, c->out_pasid);
	ASSERT_GE(IOASID_PASID_MAX, c->out_pasid);
	test_ioasid_info_pasid(self->t.fd, c->out_pasid, &caps);
	ASSERT_EQ(3, caps.quota.nr_fd);
	/* back to the fixture's state, for callers that repeat */
	test_ioasid_destroy(self->t.fd, c->out_pasid);
}

static void prep_destroy(struct __test_metadata *_metadata,
			 FIXTURE_DATA(badinput) *self, void *cmd)
{
	struct ioasid_destroy *c = cmd;

	c->size = sizeof(*c);
	c->pasid = self->victim;
}

static void ok_destroy(struct __test_metadata *_metadata,
		       FIXTURE_DATA(badinput) *self, const void *cmd)
{
	test_err_ioasid_info_pasid(ENOENT, self->t.fd, self->victim);
	ASSERT_EQ(1, test_nr_fd(self->t.fd));
}

static void prep_map(struct __test_metadata *_metadata,
		     FIXTURE_DATA(badinput) *self, void *cmd)
{
	struct ioasid_map *c = cmd;

	c->size = sizeof(*c);
	c->flags = MAP_RW_FIXED;
	c->pasid = self->pasid;
	c->user_va = (uintptr_t)self->mem;
	c->length = 2 * self->pg;
	c->iova = self->next_iova;
	self->next_iova += SZ_1M;
}

static void ok_map(struct __test_metadata *_metadata,
		   FIXTURE_DATA(badinput) *self, const void *cmd)
{
	const struct ioasid_map *c = cmd;
	struct ioasid_caps caps;

	ASSERT_EQ(self->next_iova - SZ_1M, c->iova);
	test_ioasid_info_pasid(self->t.fd, self->pasid, &caps);
	ASSERT_EQ(2, caps.ioas.nr_mappings);
	ASSERT_EQ(3 * self->pg, caps.ioas.mapped_bytes);
	/* back to the fixture's state, for callers that repeat */
	test_ioasid_unmap(self->t.fd, self->pasid, c->iova, c->length, NULL);
}

static void prep_unmap(struct __test_metadata *_metadata,
		       FIXTURE_DATA(badinput) *self, void *cmd)
{
	struct ioasid_unmap *c = cmd;

	self->unmap_iova = self->next_iova;
	self->next_iova += SZ_1M;
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->mem, 4 * self->pg,
			      self->unmap_iova);
	c->size = sizeof(*c);
	c->pasid = self->pasid;
	c->iova = self->unmap_iova;
	c->length = 4 * self->pg;
}

static void ok_unmap(struct __test_metadata *_metadata,
		     FIXTURE_DATA(badinput) *self, const void *cmd)
{
	const struct ioasid_unmap *c = cmd;
	struct ioasid_caps caps;

	ASSERT_EQ(4 * self->pg, c->length);
	test_ioasid_info_pasid(self->t.fd, self->pasid, &caps);
	ASSERT_EQ(1, caps.ioas.nr_mappings);
	test_err_ioasid_unmap(ENOENT, self->t.fd, self->pasid, self->unmap_iova,
			      4 * self->pg);
}

static void prep_fqalloc(struct __test_metadata *_metadata,
			 FIXTURE_DATA(badinput) *self, void *cmd)
{
	struct ioasid_fault_queue_alloc *c = cmd;

	c->size = sizeof(*c);
	c->depth = 16;
}

static void ok_fqalloc(struct __test_metadata *_metadata,
		       FIXTURE_DATA(badinput) *self, const void *cmd)
{
	const struct ioasid_fault_queue_alloc *c = cmd;
	struct ioasid_fault_queue_info info = { .size = sizeof(info) };

	ASSERT_LE(0, c->out_fault_fd);
	ASSERT_EQ(0, ioctl(c->out_fault_fd, IOASID_FAULT_QUEUE_INFO, &info));
	ASSERT_EQ(16, info.out_depth);
	ASSERT_EQ(FD_CLOEXEC, fcntl(c->out_fault_fd, F_GETFD) & FD_CLOEXEC);
	close(c->out_fault_fd);
}

static void prep_setfq(struct __test_metadata *_metadata,
		       FIXTURE_DATA(badinput) *self, void *cmd)
{
	struct ioasid_fault_queue_alloc qa = { .size = sizeof(qa) };
	struct ioasid_set_fault_queue *c = cmd;

	if (self->fault_fd < 0) {
		ASSERT_EQ(0, ioctl(self->t.fd, IOASID_FAULT_QUEUE_ALLOC, &qa));
		self->fault_fd = qa.out_fault_fd;
	}
	c->size = sizeof(*c);
	c->pasid = self->pasid;
	c->fault_fd = self->fault_fd;
}

static void ok_setfq(struct __test_metadata *_metadata,
		     FIXTURE_DATA(badinput) *self, const void *cmd)
{
	struct ioasid_set_fault_queue unroute = {
		.size = sizeof(unroute),
		.pasid = self->pasid,
		.fault_fd = -1,
	};

	/* Routing holds the queue: it outlives its fd until unrouted. */
	ASSERT_EQ(0, close(self->fault_fd));
	self->fault_fd = -1;
	ASSERT_EQ(1, test_counter(CNT_FAULTQ));
	ASSERT_EQ(0, ioctl(self->t.fd, IOASID_SET_FAULT_QUEUE, &unroute));
	ASSERT_EQ(0, test_counter(CNT_FAULTQ));
}

/* The SVA commands' IOASID, made (and for PREFAULT bound) on first use. */
static void sva_ioasid(struct __test_metadata *_metadata,
		       FIXTURE_DATA(badinput) *self, bool bound)
{
	struct ioasid_sva_bind b = {
		.size = sizeof(b),
		.mm_fd = -1,
	};
	struct ioasid_caps caps;

	if (!self->sva)
		test_ioasid_alloc(self->t.fd, &self->sva);
	test_ioasid_info_pasid(self->t.fd, self->sva, &caps);
	if (bound && caps.ioas.mode != IOASID_MODE_SVA) {
		b.pasid = self->sva;
		ASSERT_EQ(0, ioctl(self->t.fd, IOASID_SVA_BIND, &b));
	}
}

static void prep_svabind(struct __test_metadata *_metadata,
			 FIXTURE_DATA(badinput) *self, void *cmd)
{
	struct ioasid_sva_bind *c = cmd;

	sva_ioasid(_metadata, self, false);
	c->size = sizeof(*c);
	c->pasid = self->sva;
	c->mm_fd = -1;
}

static void ok_svabind(struct __test_metadata *_metadata,
		       FIXTURE_DATA(badinput) *self, const void *cmd)
{
	struct ioasid_sva_bind unbind = {
		.size = sizeof(unbind),
		.flags = IOASID_SVA_UNBIND,
		.pasid = self->sva,
		.mm_fd = -1,
	};
	struct ioasid_caps caps;

	test_ioasid_info_pasid(self->t.fd, self->sva, &caps);
	ASSERT_EQ(IOASID_MODE_SVA, caps.ioas.mode);
	/* back to the fixture's state, for callers that repeat */
	ASSERT_EQ(0, ioctl(self->t.fd, IOASID_SVA_BIND, &unbind));
	test_ioasid_info_pasid(self->t.fd, self->sva, &caps);
	ASSERT_EQ(IOASID_MODE_NONE, caps.ioas.mode);
}

static void prep_svapf(struct __test_metadata *_metadata,
		       FIXTURE_DATA(badinput) *self, void *cmd)
{
	struct ioasid_sva_prefault *c = cmd;

	sva_ioasid(_metadata, self, true);
	c->size = sizeof(*c);
	c->flags = IOASID_SVA_PREFAULT_WRITE;
	c->pasid = self->sva;
	c->va = (uintptr_t)self->mem;
	c->length = 2 * self->pg;
}

static void ok_svapf(struct __test_metadata *_metadata,
		     FIXTURE_DATA(badinput) *self, const void *cmd)
{
	const struct ioasid_sva_prefault *c = cmd;

	/* no device: faulted in, nothing mirrored, nothing skipped */
	ASSERT_EQ(0, c->out_mapped);
	ASSERT_EQ(0, c->out_skipped);
}

#define CMD_VARIANT(_name, _nr, _struct, _last, _flags, _out)		\
	FIXTURE_VARIANT_ADD(badinput, _name) {				\
		.nr = _nr,						\
		.size = sizeof(_struct),				\
		.min_size = offsetof(_struct, _last) +			\
			    sizeof(((_struct *)0)->_last),		\
		.known_flags = _flags,					\
		.reserved_off = offsetof(_struct, __reserved),		\
		.writes_output = _out,					\
		.prepare = prep_##_name,				\
		.check_ok = ok_##_name,					\
	}

/* The first published versions end at these fields: the structs as they are. */
CMD_VARIANT(info, IOASID_GET_INFO, struct ioasid_info, out_caps_written,
	    IOASID_INFO_PASID, true);
CMD_VARIANT(alloc, IOASID_ALLOC, struct ioasid_alloc, __reserved,
	    IOASID_ALLOC_RANGE, true);
CMD_VARIANT(destroy, IOASID_DESTROY, struct ioasid_destroy, __reserved,
	    0, false);
CMD_VARIANT(map, IOASID_MAP, struct ioasid_map, iova,
	    IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA, true);
CMD_VARIANT(unmap, IOASID_UNMAP, struct ioasid_unmap, length,
	    IOASID_UNMAP_ALL, true);
CMD_VARIANT(fqalloc, IOASID_FAULT_QUEUE_ALLOC, struct ioasid_fault_queue_alloc,
	    __reserved, 0, true);
CMD_VARIANT(setfq, IOASID_SET_FAULT_QUEUE, struct ioasid_set_fault_queue,
	    __reserved, 0, false);
CMD_VARIANT(svabind, IOASID_SVA_BIND, struct ioasid_sva_bind, __reserved,
	    IOASID_SVA_BIND_FOREIGN | IOASID_SVA_UNBIND, false);
CMD_VARIANT(svapf, IOASID_SVA_PREFAULT, struct ioasid_sva_prefault,
	    out_skipped, IOASID_SVA_PREFAULT_WRITE, true);

FIXTURE_SETUP(badinput)
{
	tctx_setup(_metadata, &self->t);
	self->pg = page_size();
	self->mem = mmap_aligned(16 * self->pg, self->pg);
	ASSERT_NE(NULL, self->mem);
	self->caps = mmap_anon(self->pg, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->caps);
	self->area = mmap_anon(4 * self->pg, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->area);
	ASSERT_EQ(0, mprotect(self->area + 3 * self->pg, self->pg, PROT_NONE));
	test_ioasid_alloc(self->t.fd, &self->pasid);
	test_ioasid_alloc(self->t.fd, &self->victim);
	test_ioasid_map_fixed(self->t.fd, self->pasid, self->mem, self->pg, 0);
	self->next_iova = SZ_1M;
	self->fault_fd = -1;
	self->sva = 0;
}

FIXTURE_TEARDOWN(badinput)
{
	if (self->fault_fd >= 0)
		close(self->fault_fd);
	tctx_teardown(_metadata, &self->t);
}

/* ------------------------------------------------------------------------
 * "A call that fails changes nothing"
 */

struct state {
	struct ioasid_counters c;
	__u32 nr_fd, nr_user;
	struct ioasid_info_cap_ioas ioas;
	struct ioasid_info_cap_ioas sva;	/* zero if there is none */
	bool victim_live;
};

static void state_get(struct __test_metadata *_metadata,
		      FIXTURE_DATA(badinput) *self, struct state *s)
{
	struct ioasid_caps caps;

	memset(s, 0, sizeof(*s));
	ASSERT_EQ(0, counters_read(&s->c));
	test_ioasid_info_pasid(self->t.fd, self->pasid, &caps);
	s->nr_fd = caps.quota.nr_fd;
	s->nr_user = caps.quota.nr_user;
	s->ioas = caps.ioas;
	s->victim_live = !_ioasid_info_pasid(self->t.fd, self->victim, &caps);
	if (self->sva) {
		test_ioasid_info_pasid(self->t.fd, self->sva, &caps);
		s->sva = caps.ioas;
	}
}

static void state_same(struct __test_metadata *_metadata,
		       FIXTURE_DATA(badinput) *self, const struct state *before,
		       const char *what)
{
	struct state after;

	state_get(_metadata, self, &after);
	EXPECT_COUNTERS_EQ(&before->c);
	ASSERT_EQ(before->nr_fd, after.nr_fd) {
		TH_LOG("%s changed the quota use", what);
	}
	ASSERT_EQ(before->nr_user, after.nr_user);
	ASSERT_EQ(0, memcmp(&before->ioas, &after.ioas, sizeof(after.ioas))) {
		TH_LOG("%s changed the IOASID: mappings %u -> %u, bytes %llu -> %llu",
		       what, before->ioas.nr_mappings, after.ioas.nr_mappings,
		       (unsigned long long)before->ioas.mapped_bytes,
		       (unsigned long long)after.ioas.mapped_bytes);
	}
	ASSERT_EQ(before->victim_live, after.victim_live);
	ASSERT_EQ(0, memcmp(&before->sva, &after.sva, sizeof(after.sva))) {
		TH_LOG("%s changed the SVA IOASID: mode %u -> %u", what,
		       before->sva.mode, after.sva.mode);
	}
}

/* Issues @cmd (at @p, @len bytes to check) and expects @err, no change. */
static void expect_fail(struct __test_metadata *_metadata,
			FIXTURE_DATA(badinput) *self,
			const FIXTURE_VARIANT(badinput) *variant,
			void *p, size_t len, int err, const char *what)
{
	struct state before;
	unsigned char *copy = malloc(len);
	int rc;

	ASSERT_NE(NULL, copy);
	memcpy(copy, p, len);
	state_get(_metadata, self, &before);
	rc = ioctl(self->t.fd, variant->nr, p);
	ASSERT_EQ(-1, rc) {
		TH_LOG("%s: succeeded, expected %s", what, strerror(err));
	}
	ASSERT_EQ(err, errno) {
		TH_LOG("%s: got %s, expected %s", what, strerror(errno),
		       strerror(err));
	}
	ASSERT_EQ(0, memcmp(copy, p, len)) {
		TH_LOG("%s: the failing call wrote to the caller's struct", what);
	}
	free(copy);
	state_same(_metadata, self, &before, what);
}

static void fresh_cmd(struct __test_metadata *_metadata,
		      FIXTURE_DATA(badinput) *self,
		      const FIXTURE_VARIANT(badinput) *variant)
{
	memset(self->cmd, 0, sizeof(self->cmd));
	variant->prepare(_metadata, self, self->cmd);
}

/* ------------------------------------------------------------------------
 * The table
 */

TEST_F(badinput, normal_call_works)
{
	fresh_cmd(_metadata, self, variant);
	ASSERT_EQ(0, ioctl(self->t.fd, variant->nr, self->cmd));
	variant->check_ok(_metadata, self, self->cmd);
}

TEST_F(badinput, size_below_first_version)
{
	const size_t sizes[] = { 0, 1, 4, 7, 8, variant->min_size - 8,
				 variant->min_size - 1 };
	char what[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fresh_cmd(_metadata, self, variant);
		*(__u32 *)self->cmd = sizes[i];
		snprintf(what, sizeof(what), "size %zu", sizes[i]);
		expect_fail(_metadata, self, variant, self->cmd,
			    variant->size + 8, EINVAL, what);
	}
}

TEST_F(badinput, size_past_struct_nonzero_tail)
{
	const size_t extra[] = { 1, 4, 8, 64, 2048 };
	char what[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		size_t user = variant->size + extra[i];

		/* a non-zero byte first in the tail, then last */
		fresh_cmd(_metadata, self, variant);
		*(__u32 *)self->cmd = user;
		self->cmd[variant->size] = 1;
		snprintf(what, sizeof(what), "size +%zu, first tail byte set", extra[i]);
		expect_fail(_metadata, self, variant, self->cmd, user, E2BIG, what);

		fresh_cmd(_metadata, self, variant);
		*(__u32 *)self->cmd = user;
		self->cmd[user - 1] = 0x80;
		snprintf(what, sizeof(what), "size +%zu, last tail byte set", extra[i]);
		expect_fail(_metadata, self, variant, self->cmd, user, E2BIG, what);
	}
}

TEST_F(badinput, size_past_struct_zero_tail)
{
	const size_t extra[] = { 8, 4000 };
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		size_t user = variant->size + extra[i];

		fresh_cmd(_metadata, self, variant);
		*(__u32 *)self->cmd = user;
		memset(self->cmd + user, 0x77, 8);	/* past the user's size */
		ASSERT_EQ(0, ioctl(self->t.fd, variant->nr, self->cmd)) {
			TH_LOG("size +%zu with a zero tail: %s", extra[i],
			       strerror(errno));
		}
		variant->check_ok(_metadata, self, self->cmd);
		ASSERT_EQ(user, *(__u32 *)self->cmd);
		/* the kernel writes its own struct only */
		for (j = variant->size; j < user; j++)
			ASSERT_EQ(0, self->cmd[j]);
		for (j = user; j < user + 8; j++)
			ASSERT_EQ(0x77, self->cmd[j]);
		if (variant->nr == IOASID_DESTROY) {
			/* one victim per fixture: make another */
			test_ioasid_alloc(self->t.fd, &self->victim);
		}
	}
}

TEST_F(badinput, unknown_flags)
{
	char what[64];
	int bit;

	for (bit = 0; bit < 32; bit++) {
		if (variant->known_flags & (1U << bit))
			continue;
		fresh_cmd(_metadata, self, variant);
		((__u32 *)self->cmd)[1] |= 1U << bit;
		snprintf(what, sizeof(what), "flag bit %d", bit);
		expect_fail(_metadata, self, variant, self->cmd,
			    variant->size, EOPNOTSUPP, what);
	}
}

TEST_F(badinput, reserved_nonzero)
{
	const __u32 vals[] = { 1, 0x80000000, UINT32_MAX };
	char what[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vals); i++) {
		fresh_cmd(_metadata, self, variant);
		*(__u32 *)(self->cmd + variant->reserved_off) = vals[i];
		snprintf(what, sizeof(what), "__reserved = %#x", vals[i]);
		expect_fail(_metadata, self, variant, self->cmd,
			    variant->size, EOPNOTSUPP, what);
	}
}

TEST_F(badinput, bad_pointer)
{
	struct state before;
	unsigned char *straddle;
	void *hole;

	hole = unmapped_address(self->pg);
	ASSERT_NE(NULL, hole);
	state_get(_metadata, self, &before);

	ASSERT_EQ(-1, ioctl(self->t.fd, variant->nr, NULL));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->t.fd, variant->nr, hole));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->t.fd, variant->nr, 0xffff888000000000UL));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->t.fd, variant->nr, UINTPTR_MAX - 3));
	ASSERT_EQ(EFAULT, errno);
	state_same(_metadata, self, &before, "NULL / unmapped / kernel pointer");

	/* @size readable, the rest of the struct not */
	fresh_cmd(_metadata, self, variant);
	straddle = self->area + 3 * self->pg - 8;
	memcpy(straddle, self->cmd, 8);
	state_get(_metadata, self, &before);
	ASSERT_EQ(-1, ioctl(self->t.fd, variant->nr, straddle));
	ASSERT_EQ(EFAULT, errno);
	state_same(_metadata, self, &before, "struct straddling into a hole");

	/* a zero tail that runs into a hole */
	fresh_cmd(_metadata, self, variant);
	straddle = self->area + 3 * self->pg - variant->size;
	memcpy(straddle, self->cmd, variant->size);
	*(__u32 *)straddle = variant->size + 64;
	state_get(_metadata, self, &before);
	ASSERT_EQ(-1, ioctl(self->t.fd, variant->nr, straddle));
	ASSERT_EQ(EFAULT, errno);
	state_same(_metadata, self, &before, "zero tail into a hole");
}

/*
 * The struct is readable but not writable: the kernel cannot report the
 * outputs.  A command with outputs must fail with EFAULT and change nothing
 * (ALLOC must not leave an IOASID the caller cannot name, MAP a mapping at
 * an IOVA the caller does not know, UNMAP must not have unmapped); DESTROY,
 * which reports nothing, works.
 */
TEST_F(badinput, readonly_struct)
{
	unsigned char *ro = self->area + 2 * self->pg;

	fresh_cmd(_metadata, self, variant);
	memcpy(ro, self->cmd, variant->size);
	ASSERT_EQ(0, mprotect(ro, self->pg, PROT_READ));
	if (variant->writes_output) {
		expect_fail(_metadata, self, variant, ro, variant->size, EFAULT,
			    "read-only struct");
	} else {
		ASSERT_EQ(0, ioctl(self->t.fd, variant->nr, ro));
		variant->check_ok(_metadata, self, ro);
	}
}

TEST_F(badinput, wrong_fd_type)
{
	struct state before;
	int fds[5], p[2], k;

	fds[0] = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_EQ(0, pipe(p));
	fds[1] = p[0];
	fds[2] = p[1];
	fds[3] = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	fds[4] = eventfd(0, EFD_CLOEXEC);
	fresh_cmd(_metadata, self, variant);
	state_get(_metadata, self, &before);
	for (k = 0; k < 5; k++) {
		ASSERT_LE(0, fds[k]);
		ASSERT_EQ(-1, ioctl(fds[k], variant->nr, self->cmd));
		ASSERT_EQ(ENOTTY, errno) {
			TH_LOG("fd kind %d: %s", k, strerror(errno));
		}
		close(fds[k]);
	}
	state_same(_metadata, self, &before, "wrong fd type");
}

TEST_F(badinput, number_with_size_or_direction)
{
	const unsigned int nr = _IOC_NR(variant->nr);
	const unsigned long numbers[] = {
		_IOC(_IOC_READ, IOASID_TYPE, nr, variant->size),
		_IOC(_IOC_WRITE, IOASID_TYPE, nr, variant->size),
		_IOC(_IOC_READ | _IOC_WRITE, IOASID_TYPE, nr, variant->size),
		_IOC(_IOC_NONE, IOASID_TYPE, nr, variant->size),
		_IOC(_IOC_READ | _IOC_WRITE, IOASID_TYPE, nr, 0),
		_IOC(_IOC_NONE, IOASID_TYPE, nr, 1),
	};
	struct state before;
	size_t i;

	fresh_cmd(_metadata, self, variant);
	state_get(_metadata, self, &before);
	for (i = 0; i < ARRAY_SIZE(numbers); i++) {
		ASSERT_EQ(-1, ioctl(self->t.fd, numbers[i], self->cmd));
		ASSERT_EQ(ENOTTY, errno) {
			TH_LOG("ioctl %#lx: %s", numbers[i], strerror(errno));
		}
	}
	state_same(_metadata, self, &before, "number with size/direction bits");
}

/* ------------------------------------------------------------------------
 * Numbers that are not /dev/ioasid commands
 */

FIXTURE(numbers) {
	struct ioasid_tctx t;
};

FIXTURE_SETUP(numbers)
{
	tctx_setup(_metadata, &self->t);
}

FIXTURE_TEARDOWN(numbers)
{
	tctx_teardown(_metadata, &self->t);
}

TEST_F(numbers, unknown_numbers_are_enotty)
{
	unsigned char buf[256] = {};
	unsigned int nr;
	__u32 pasid;

	test_ioasid_alloc(self->t.fd, &pasid);
	*(__u32 *)buf = 64;
	/*
	 * the reserved /dev/ioasid range (past the nested and SVA commands,
	 * whose bad input 51_nested_vtd / 52_nested_smmu / 54_sva and the
	 * table above check), device-side range, and beyond
	 */
	for (nr = IOASID_CMD_SVA_PREFAULT + 1; nr <= 0xff; nr++) {
		ASSERT_EQ(-1, ioctl(self->t.fd, _IO(IOASID_TYPE, nr), buf));
		ASSERT_EQ(ENOTTY, errno) {
			TH_LOG("nr %#x: %s", nr, strerror(errno));
		}
	}
	/* another ioctl type with the numbers of real commands */
	for (nr = 0; nr <= IOASID_CMD_SET_FAULT_QUEUE; nr++) {
		ASSERT_EQ(-1, ioctl(self->t.fd, _IO(IOASID_TYPE + 1, nr), buf));
		ASSERT_EQ(ENOTTY, errno);
		ASSERT_EQ(-1, ioctl(self->t.fd, _IO(IOASID_TYPE - 1, nr), buf));
		ASSERT_EQ(ENOTTY, errno);
	}
	/* ... and some well-known ones */
	ASSERT_EQ(-1, ioctl(self->t.fd, FIONREAD, buf));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->t.fd, TCGETS, buf));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(1, test_nr_fd(self->t.fd));
}

TEST_F(numbers, device_ioctls_are_enotty)
{
	struct ioasid_device_info info = { .size = sizeof(info) };
	struct ioasid_device_allow allow = {
		.size = sizeof(allow),
		.ioasid_fd = self->t.fd,
	};
	struct ioasid_device_disallow disallow = { .size = sizeof(disallow) };
	struct ioasid_counters before;
	__u32 pasid;

	test_ioasid_alloc(self->t.fd, &pasid);
	allow.pasid = pasid;
	disallow.pasid = pasid;
	ASSERT_EQ(0, counters_read(&before));
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_DEVICE_GET_INFO, &info));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_DEVICE_ALLOW, &allow));
	ASSERT_EQ(ENOTTY, errno);
	allow.flags = IOASID_DEVICE_PASID;
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_DEVICE_ALLOW, &allow));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_DEVICE_DISALLOW, &disallow));
	ASSERT_EQ(ENOTTY, errno);
	EXPECT_COUNTERS_EQ(&before);
	/* nothing was written back */
	ASSERT_EQ(0, info.out_executor);
	ASSERT_EQ(0, info.out_pgsize_bitmap);
}

/*
 * The SVA commands on IOASIDs that are not the caller's, or not of the
 * right mode: ENOENT and EMEDIUMTYPE, and nothing changes.
 */
TEST_F(numbers, sva_foreign_pasids_and_wrong_modes)
{
	struct ioasid_sva_bind b = { .size = sizeof(b), .mm_fd = -1 };
	struct ioasid_sva_prefault pf = { .size = sizeof(pf) };
	struct ioasid_counters before;
	__u32 none, iova, sva, theirs;
	struct ioasid_caps caps;
	unsigned char *mem;
	int other;

	mem = mmap_aligned(4 * SZ_4K, SZ_4K);
	ASSERT_NE(NULL, mem);
	pf.va = (uintptr_t)mem;
	pf.length = 4 * SZ_4K;
	other = ioasid_open();
	ASSERT_LE(0, other);
	test_ioasid_alloc(other, &theirs);
	test_ioasid_alloc(self->t.fd, &none);
	test_ioasid_alloc(self->t.fd, &iova);
	test_ioasid_map_fixed(self->t.fd, iova, mem, SZ_4K, SZ_1M);
	test_ioasid_alloc(self->t.fd, &sva);
	b.pasid = sva;
	ASSERT_EQ(0, ioctl(self->t.fd, IOASID_SVA_BIND, &b));
	ASSERT_EQ(0, counters_read(&before));

	/* another fd's IOASID, a PASID nobody has, PASID 0 */
	b.pasid = theirs;
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_SVA_BIND, &b));
	ASSERT_EQ(ENOENT, errno);
	pf.pasid = theirs;
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_SVA_PREFAULT, &pf));
	ASSERT_EQ(ENOENT, errno);
	pf.pasid = sva;
	ASSERT_EQ(-1, ioctl(other, IOASID_SVA_PREFAULT, &pf));
	ASSERT_EQ(ENOENT, errno);
	b.pasid = 0;
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_SVA_BIND, &b));
	ASSERT_EQ(ENOENT, errno);
	b.pasid = IOASID_PASID_MAX;
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_SVA_BIND, &b));
	ASSERT_EQ(ENOENT, errno);
	/* wrong modes */
	b.pasid = iova;
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_SVA_BIND, &b));
	ASSERT_EQ(EMEDIUMTYPE, errno);
	b.pasid = sva;
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_SVA_BIND, &b));
	ASSERT_EQ(EMEDIUMTYPE, errno);
	b.flags = IOASID_SVA_UNBIND;
	b.pasid = none;
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_SVA_BIND, &b));
	ASSERT_EQ(EMEDIUMTYPE, errno);
	b.pasid = iova;
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_SVA_BIND, &b));
	ASSERT_EQ(EMEDIUMTYPE, errno);
	pf.pasid = none;
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_SVA_PREFAULT, &pf));
	ASSERT_EQ(EMEDIUMTYPE, errno);
	pf.pasid = iova;
	ASSERT_EQ(-1, ioctl(self->t.fd, IOASID_SVA_PREFAULT, &pf));
	ASSERT_EQ(EMEDIUMTYPE, errno);
	/* MAP into an SVA IOASID */
	test_err_ioasid_map_fixed(EMEDIUMTYPE, self->t.fd, sva, mem, SZ_4K, SZ_1M);

	EXPECT_COUNTERS_EQ(&before);
	test_ioasid_info_pasid(self->t.fd, none, &caps);
	ASSERT_EQ(IOASID_MODE_NONE, caps.ioas.mode);
	test_ioasid_info_pasid(self->t.fd, iova, &caps);
	ASSERT_EQ(IOASID_MODE_IOVA, caps.ioas.mode);
	ASSERT_EQ(1, caps.ioas.nr_mappings);
	test_ioasid_info_pasid(self->t.fd, sva, &caps);
	ASSERT_EQ(IOASID_MODE_SVA, caps.ioas.mode);
	test_ioasid_info_pasid(other, theirs, &caps);
	ASSERT_EQ(IOASID_MODE_NONE, caps.ioas.mode);
	close(other);
}

/* ------------------------------------------------------------------------
 * GET_INFO's capability buffer
 */

TEST_F(numbers, get_info_caps_buffer_too_small)
{
	unsigned char buf[4096];
	struct ioasid_info cmd;
	__u32 needed, pasid;
	size_t i;
	int pass;

	test_ioasid_alloc(self->t.fd, &pasid);
	for (pass = 0; pass < 2; pass++) {
		__u32 flags = pass ? IOASID_INFO_PASID : 0;
		__u32 p = pass ? pasid : 0;

		/* no buffer at all: the size needed, nothing written */
		ASSERT_EQ(0, _ioasid_get_info_raw(self->t.fd, flags, p, NULL, 0, &cmd));
		needed = cmd.caps_len;
		ASSERT_LT(0, needed);
		ASSERT_EQ(0, cmd.out_caps_written);
		/* a bad pointer with no room is never touched */
		ASSERT_EQ(0, _ioasid_get_info_raw(self->t.fd, flags, p,
						  (void *)0xffff888000000000UL, 0, &cmd));
		ASSERT_EQ(needed, cmd.caps_len);

		/* one byte short: nothing written at all */
		memset(buf, 0xa5, sizeof(buf));
		ASSERT_EQ(0, _ioasid_get_info_raw(self->t.fd, flags, p, buf,
						  needed - 1, &cmd));
		ASSERT_EQ(needed, cmd.caps_len);
		ASSERT_EQ(0, cmd.out_caps_written);
		for (i = 0; i < sizeof(buf); i++)
			ASSERT_EQ(0xa5, buf[i]);
		/* room for the first capability only: still nothing */
		ASSERT_EQ(0, _ioasid_get_info_raw(self->t.fd, flags, p, buf,
						  sizeof(struct ioasid_info_cap_pasid), &cmd));
		ASSERT_EQ(0, cmd.out_caps_written);
		for (i = 0; i < sizeof(buf); i++)
			ASSERT_EQ(0xa5, buf[i]);

		/* exactly enough */
		ASSERT_EQ(0, _ioasid_get_info_raw(self->t.fd, flags, p, buf,
						  needed, &cmd));
		ASSERT_EQ(needed, cmd.caps_len);
		ASSERT_EQ(needed, cmd.out_caps_written);
		for (i = needed; i < sizeof(buf); i++)
			ASSERT_EQ(0xa5, buf[i]);
	}
}

TEST_F(numbers, get_info_caps_bad_pointer)
{
	struct ioasid_info cmd;
	unsigned char *ro;
	void *hole;

	hole = unmapped_address(4096);
	ASSERT_NE(NULL, hole);
	ASSERT_EQ(-1, _ioasid_get_info_raw(self->t.fd, 0, 0, hole, 4096, &cmd));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, _ioasid_get_info_raw(self->t.fd, 0, 0, NULL, 4096, &cmd));
	ASSERT_EQ(EFAULT, errno);
	ro = mmap_anon(4096, PROT_READ);
	ASSERT_NE(NULL, ro);
	ASSERT_EQ(-1, _ioasid_get_info_raw(self->t.fd, 0, 0, ro, 4096, &cmd));
	ASSERT_EQ(EFAULT, errno);
	/* the outputs were not reported on failure */
	ASSERT_EQ(4096, cmd.caps_len);
	ASSERT_EQ(0, cmd.out_caps_written);
}

TEST_HARNESS_MAIN
