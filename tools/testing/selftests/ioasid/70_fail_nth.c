// SPDX-License-Identifier: GPL-2.0
/*
 * fail-nth: every error path of every ioctl, one failure at a time.
 *
 * A sequence is a list of steps (an ioctl or two, a read, an open) that
 * together use every ioctl of /dev/ioasid, of fault queues and of software
 * devices.  For each step k and each N = 1, 2, ... a fresh world runs steps
 * 0 .. k-1, arms the calling thread so that the Nth injection point it
 * reaches fails, runs step k, disarms, and checks:
 *
 *   - the step failed, with the errno of the kind of call that was made to
 *     fail (ENOMEM for an allocation, a pin, the memlock charge, a PASID
 *     claim, an IOMMU call; EFAULT for a user copy; EMFILE or ENOMEM for a
 *     new fd) -- or, for the few steps that absorb a failure by design (a
 *     DMA whose fault record cannot be allocated), that it succeeded;
 *   - nothing changed: the module's object counters, VmLck (locked_vm),
 *     the PASID counts (counters, GET_INFO quota), every IOASID's mode,
 *     mappings and attachments, every device's attachments and every fault
 *     queue's counts are what they were before the step (the lazily made
 *     translation state, "iopts", excepted: an IOASID's first use makes it);
 *   - the step then succeeds unarmed, and so does the rest of the sequence;
 *   - once everything is closed, the counters and VmLck are back to where
 *     they were before the world was made, and the kernel log is clean.
 *
 * When step k runs to the end without its Nth point failing, it has fewer
 * than N points: the next step starts at N = 1.
 *
 * Two injectors:
 *   module  the core's own points (drivers/ioasidfd/inject.h), armed through
 *           /sys/kernel/debug/ioasidfd_test/fail_nth: any kernel;
 *   kernel  the kernel's fail-nth (/proc/self/task/<tid>/fail-nth) with
 *           failslab, on a kernel that has it (the debug kernel): every
 *           slab allocation of the thread, the module's and the kernel's
 *           (VFS, xarray, IOMMU driver, VFIO, mm), fails in turn.
 *
 * An edu device through VFIO (bound to ioasidfd-vfio-pci, its group in a
 * container of the module's backend) adds the kernel IOMMU API executor:
 * the device fd's open, ALLOW (a domain made, attached, filled), MAP into
 * it, an ALLOW that reuses the idle domain.  Without edu devices or
 * ioasidfd_vfio.ko that sequence is skipped.
 *
 * One TAP result per injector and sequence; the number of (sequence, N)
 * pairs run is a diagnostic.  Options: -s NAME runs the sequences whose
 * name contains NAME, -m module|kernel one injector, -v prints every pair,
 * -K lets failslab dump the stack of each failure (to find one; the dumps
 * are problem reports, so the run fails).
 */
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "swdev.h"
#include "nested_pt.h"
#include "vfio_edu.h"

/* ------------------------------------------------------------------------
 * Output
 */

static int verbose;
static char why[512];		/* the first problem of the current pair */
static bool step_armed;		/* the step running is the armed one */

#define fail(fmt, ...) do {						\
	if (!why[0])							\
		snprintf(why, sizeof(why), fmt, ##__VA_ARGS__);		\
} while (0)

/* ------------------------------------------------------------------------
 * The world of one (sequence, N) pair
 */

#define NP		4	/* IOASIDs */
#define ND		2	/* software devices */
#define BUF_LEN		(64 * SZ_4K)
#define THP_LEN		SZ_2M
#define IOVA_A		0x100000ULL
#define IOVA_B		0x400000ULL
#define IOVA_THP	0x40000000ULL
#define WIRE_PASID	0x77
#define COOKIE		0xfa11ULL
#define GPA		0x40000000ULL
#define GMEM_SIZE	(1 * SZ_1M)
#define GVA		0x10000000000ULL

struct env {
	int fd;				/* /dev/ioasid */
	uint32_t p[NP];			/* IOASIDs, 0 when not allocated */
	int dev[ND];			/* software devices */
	int qfd;			/* fault queue */
	uint64_t iova_auto;		/* where the kernel put a MAP */
	bool degraded;			/* a step absorbed an injected failure */
	struct ioasid_fault rec;	/* the last fault record read */
	/* a recoverable DMA in a thread of its own */
	pthread_t helper;
	bool helper_running;
	int helper_rc;
	struct ioasid_test_dma helper_dma;
	/* nested */
	uint32_t format;
	struct gmem g;
	struct vtd_fs fs;
	struct vtd_pe_cfg pe;
	struct smmu_ste_cfg ste;
	struct smmu_cdtab cdt;
	struct arm_s1 s1;
	/* the VFIO device (the edu's group stays open across worlds) */
	int vdev;
	bool vallowed;
	/* SVA: /proc/self/mem */
	int memfd;
	/* type1 compat: a container and a group of vfio-pci's edu */
	int container, group;
};

/* The edu device whose group the VFIO sequence uses, once set up */
static struct vfio_edu edu = { .container = -1, .group = -1, .device = -1 };
static bool edu_ready;

/* Memory shared by every world: 4K-backed, THP, and the DMA buffer. */
static uint8_t *buf4k, *thp, *dmabuf;

static void env_init(struct env *e)
{
	int i;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->qfd = -1;
	e->vdev = -1;
	e->memfd = -1;
	e->container = -1;
	e->group = -1;
	for (i = 0; i < ND; i++)
		e->dev[i] = -1;
}

static void *helper_main(void *arg)
{
	struct env *e = arg;

	e->helper_rc = sw_dma(e->dev[0], e->p[0], IOASID_TEST_DMA_RECOVERABLE,
			      IOVA_B, dmabuf, 64, &e->helper_dma);
	return NULL;
}

static void env_fini(struct env *e)
{
	int i;

	/* Closing the queue aborts the helper's wait. */
	if (e->qfd >= 0)
		close(e->qfd);
	if (e->helper_running)
		pthread_join(e->helper, NULL);
	for (i = 0; i < ND; i++)
		if (e->dev[i] >= 0)
			close(e->dev[i]);
	/* Closing the VFIO device detaches it from everything. */
	if (e->vdev >= 0)
		close(e->vdev);
	if (e->group >= 0)
		close(e->group);
	if (e->container >= 0)
		close(e->container);
	if (e->memfd >= 0)
		close(e->memfd);
	if (e->fd >= 0)
		close(e->fd);
	gmem_free(&e->g);
	env_init(e);
}

/* ------------------------------------------------------------------------
 * Steps: 0 or -errno
 */

struct step {
	const char *name;
	int (*fn)(struct env *e);
	unsigned int flags;
};

/*
 * Its failure may be absorbed at the test's level (vfio's fallback to
 * another backend); the module's own absorbing points are in absorbing[].
 */
#define ST_ABSORB	(1U << 0)
/* It has effects even when it fails (a DMA moved bytes): no state check. */
#define ST_EFFECTS	(1U << 1)
/*
 * Not armed under the kernel's injector, where a failed allocation in 6.1's
 * own code is a problem report of the kernel's:
 * - VFIO_GROUP_GET_DEVICE_FD enables the PCI device, which evaluates the
 *   ACPI _PRT method, and ACPICA fails with "Could not update object
 *   reference count" (utdelete.c), then a KASAN use-after-free in
 *   acpi_ns_get_attached_object() at the device's next disable;
 * - a detach (DISALLOW; the probe's trial attach in the same device open)
 *   re-attaches the group's blocking domain, which the VT-d driver
 *   allocates for, and a failure there is the kernel's own WARN in
 *   __iommu_group_set_core_domain(): iommu_detach_group() cannot fail
 *   (the type1-compatible SET_IOMMU probes the group's devices the same
 *   way);
 * - a step whose armed task only clones (the recoverable DMA runs in a
 *   helper thread): a failed allocation in clone's vmalloc of the new
 *   stack is a warn_alloc() stack dump, and no module code runs there.
 * That is the kernel's code; the module's own points in the same steps
 * still run under the module's injector.
 */
#define ST_NOKERN	(1U << 2)

static int st_open(struct env *e)
{
	e->fd = ioasid_open();
	return e->fd < 0 ? -errno : 0;
}

static int alloc_into(struct env *e, int i, uint32_t min, uint32_t max)
{
	return sw_alloc_range(e->fd, min, max, &e->p[i]);
}

static int st_alloc0(struct env *e) { return alloc_into(e, 0, 0, 0); }
static int st_alloc1(struct env *e) { return alloc_into(e, 1, 0, 0); }
static int st_alloc_range(struct env *e) { return alloc_into(e, 2, 100, 200); }

static int destroy(struct env *e, int i)
{
	int rc = sw_destroy(e->fd, e->p[i]);

	if (!rc)
		e->p[i] = 0;
	return rc;
}

static int st_destroy0(struct env *e) { return destroy(e, 0); }

/* DESTROY that keeps the PASID: the attachments that park it name it */
static int st_destroy0_park(struct env *e)
{
	return sw_destroy(e->fd, e->p[0]);
}
static int st_destroy1(struct env *e) { return destroy(e, 1); }
static int st_destroy2(struct env *e) { return destroy(e, 2); }

/* DESTROY of a stage-2 parent with a nested child: EBUSY, changing nothing */
static int st_destroy0_busy(struct env *e)
{
	int rc = sw_destroy(e->fd, e->p[0]);

	return rc == -EBUSY ? 0 : rc ? rc : -EPROTO;
}

static int st_info(struct env *e)
{
	struct ioasid_caps c;

	return _ioasid_info(e->fd, 0, 0, &c) ? -errno : 0;
}

static int st_info0(struct env *e)
{
	struct ioasid_caps c;

	return _ioasid_info_pasid(e->fd, e->p[0], &c) ? -errno : 0;
}

static int st_info1(struct env *e)
{
	struct ioasid_caps c;

	return _ioasid_info_pasid(e->fd, e->p[1], &c) ? -errno : 0;
}

static int st_map_4k(struct env *e)
{
	return sw_map(e->fd, e->p[0], buf4k, BUF_LEN / 2, IOVA_A, MAP_RW);
}

static int st_map_4k_b(struct env *e)
{
	return sw_map(e->fd, e->p[0], buf4k + BUF_LEN / 2, BUF_LEN / 2, IOVA_B,
		      MAP_RW);
}

static int st_map_auto(struct env *e)
{
	__u64 iova = 0;
	int rc;

	rc = sw_ret(_ioasid_map(e->fd, e->p[0], MAP_RW, buf4k + BUF_LEN / 2,
				BUF_LEN / 2, &iova));
	if (!rc)
		e->iova_auto = iova;
	return rc;
}

static int st_map_thp(struct env *e)
{
	return sw_map(e->fd, e->p[0], thp, THP_LEN, IOVA_THP, MAP_RW);
}

static int st_map_thp_auto(struct env *e)
{
	__u64 iova = 0;

	return sw_ret(_ioasid_map(e->fd, e->p[0], MAP_RW, thp, THP_LEN, &iova));
}

static int st_unmap_a(struct env *e)
{
	return sw_unmap(e->fd, e->p[0], IOVA_A, BUF_LEN / 2);
}

static int st_unmap_thp(struct env *e)
{
	return sw_unmap(e->fd, e->p[0], IOVA_THP, THP_LEN);
}

static int st_unmap_all(struct env *e)
{
	return sw_ret(_ioasid_unmap_all(e->fd, e->p[0], NULL));
}

static int st_fq_alloc(struct env *e)
{
	int q = sw_fault_queue(e->fd, 16);

	if (q < 0)
		return q;
	e->qfd = q;
	return 0;
}

static int st_route0(struct env *e) { return sw_route(e->fd, e->p[0], e->qfd); }
static int st_route1(struct env *e) { return sw_route(e->fd, e->p[1], e->qfd); }
static int st_unroute0(struct env *e) { return sw_route(e->fd, e->p[0], -1); }

static int st_fq_info(struct env *e)
{
	struct ioasid_fault_queue_info info;

	return sw_queue_info(e->qfd, &info);
}

static int dev_create(struct env *e, int i, uint32_t bits)
{
	int dev = sw_dev_create(bits);

	if (dev < 0)
		return dev;
	e->dev[i] = dev;
	return 0;
}

static int st_dev0_rid(struct env *e) { return dev_create(e, 0, 0); }
static int st_dev0(struct env *e) { return dev_create(e, 0, 20); }
static int st_dev1(struct env *e) { return dev_create(e, 1, 20); }

static int st_dev_info(struct env *e)
{
	struct ioasid_device_info info = { .size = sizeof(info) };

	return sw_ret(ioctl(e->dev[0], IOASID_DEVICE_GET_INFO, &info));
}

static int st_allow_rid(struct env *e)
{
	return sw_allow(e->dev[0], e->fd, e->p[0], 0, COOKIE);
}

static int st_allow1_rid(struct env *e)
{
	return sw_allow(e->dev[1], e->fd, e->p[0], 0, COOKIE);
}

static int st_allow_pasid(struct env *e)
{
	return sw_allow(e->dev[0], e->fd, e->p[0], IOASID_DEVICE_PASID, COOKIE);
}

static int st_allow_nested_pasid(struct env *e)
{
	return sw_allow(e->dev[0], e->fd, e->p[1], IOASID_DEVICE_PASID, COOKIE);
}

static int st_allow_nested_rid(struct env *e)
{
	return sw_allow(e->dev[0], e->fd, e->p[1], 0, COOKIE);
}

static int st_allow_wire(struct env *e)
{
	struct ioasid_device_allow cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_DEVICE_PASID | IOASID_DEVICE_WIRE_PASID,
		.ioasid_fd = e->fd,
		.pasid = e->p[1],
		.cookie = COOKIE,
		.wire_pasid = WIRE_PASID,
	};

	return sw_ret(ioctl(e->dev[0], IOASID_DEVICE_ALLOW, &cmd));
}

static int st_disallow_rid(struct env *e) { return sw_disallow(e->dev[0], e->p[0], 0); }
static int st_disallow1_rid(struct env *e) { return sw_disallow(e->dev[1], e->p[0], 0); }

static int st_disallow_pasid(struct env *e)
{
	return sw_disallow(e->dev[0], e->p[0], IOASID_DEVICE_PASID);
}

static int st_disallow_wire(struct env *e)
{
	return sw_disallow(e->dev[0], WIRE_PASID, IOASID_DEVICE_PASID);
}

static int st_disallow_nested_pasid(struct env *e)
{
	return sw_disallow(e->dev[0], e->p[1], IOASID_DEVICE_PASID);
}

static int st_disallow_nested_rid(struct env *e)
{
	return sw_disallow(e->dev[0], e->p[1], 0);
}

/* A DMA that must move every byte (or fault, after an absorbed failure) */
static int dma(struct env *e, int64_t pasid, uint32_t flags, uint64_t iova,
	       uint64_t len, uint32_t want)
{
	struct ioasid_test_dma d = {};
	int rc;

	rc = sw_dma(e->dev[0], pasid, flags, iova, dmabuf, len, &d);
	if (rc)
		return rc;
	if (d.out_status != want)
		return -EPROTO;
	return 0;
}

static int st_dma_write_rid(struct env *e)
{
	return dma(e, -1, IOASID_TEST_DMA_WRITE, IOVA_A, 2 * SZ_4K,
		   IOASID_TEST_DMA_OK);
}

static int st_dma_read_rid(struct env *e)
{
	return dma(e, -1, 0, IOVA_A, 2 * SZ_4K, IOASID_TEST_DMA_OK);
}

static int st_dma_pasid(struct env *e)
{
	return dma(e, e->p[0], IOASID_TEST_DMA_WRITE, IOVA_A, SZ_4K,
		   IOASID_TEST_DMA_OK);
}

static int st_dma_wire(struct env *e)
{
	/* p[1] maps nothing: a fault, reported nowhere */
	return dma(e, WIRE_PASID, 0, IOVA_A, 64, IOASID_TEST_DMA_FAULT);
}

/* A DMA at an address p[0] does not map: one fault record in the queue */
static int st_dma_fault(struct env *e)
{
	return dma(e, e->p[0], 0, IOVA_B, 64, IOASID_TEST_DMA_FAULT);
}

/* Reads one fault record (of a recoverable fault with @recoverable) */
static int read_record(struct env *e, bool recoverable)
{
	struct pollfd pfd = { .fd = e->qfd, .events = POLLIN };
	struct ioasid_fault_queue_info info;
	ssize_t n;

	/*
	 * The record an absorbed failure did not queue is not coming; the
	 * queue must say that a fault was lost.
	 */
	/*
	 * (A failure absorbed elsewhere, say in kmemleak's own bookkeeping
	 * under the kernel's injector, may have lost nothing: a record that
	 * is there is read.)
	 */
	if (e->degraded && poll(&pfd, 1, 0) <= 0) {
		if (sw_queue_info(e->qfd, &info) || !info.out_overflow)
			return -ENODATA;
		return 0;
	}
	for (;;) {
		if (poll(&pfd, 1, 5000) <= 0)
			return -ETIMEDOUT;
		n = read(e->qfd, &e->rec, sizeof(e->rec));
		if (n < 0)
			return -errno;
		if (n != sizeof(e->rec))
			return -EPROTO;
		/* (A DMA done again after it failed faulted twice.) */
		if (!recoverable || e->rec.flags & IOASID_FAULT_RECOVERABLE)
			return 0;
	}
}

static int st_read_record(struct env *e) { return read_record(e, false); }
static int st_read_recoverable(struct env *e) { return read_record(e, true); }

/* A recoverable DMA fault in a thread of its own, waiting for an answer */
static int st_dma_recoverable(struct env *e)
{
	struct pollfd pfd = { .fd = e->qfd, .events = POLLIN };

	e->helper_dma = (struct ioasid_test_dma){ .timeout_ms = 10000 };
	e->helper_rc = -EINPROGRESS;
	if (pthread_create(&e->helper, NULL, helper_main, e))
		return -EAGAIN;
	e->helper_running = true;
	/*
	 * Until its record is queued (poll: no injection point), so that the
	 * next step's world is still.
	 */
	return poll(&pfd, 1, 5000) == 1 ? 0 : -ETIMEDOUT;
}

static int st_respond(struct env *e)
{
	return sw_respond(e->qfd, e->rec.id, IOASID_FAULT_RESP_ABORT);
}

static int st_join(struct env *e)
{
	pthread_join(e->helper, NULL);
	e->helper_running = false;
	if (e->helper_rc)
		return e->helper_rc;
	return e->helper_dma.out_status == IOASID_TEST_DMA_FAULT ? 0 : -EPROTO;
}

/* ---- nested ---- */

static int nested_world(struct env *e, uint32_t format)
{
	uint64_t *leaf;
	int rc;

	e->format = format;
	rc = gmem_init(&e->g, GPA, GMEM_SIZE, GMEM_SIZE / 2);
	if (rc)
		return rc;
	if (format == IOASID_NESTED_FMT_VTD_FS) {
		if (vtd_fs_init(&e->fs, &e->g, 4))
			return -ENOMEM;
		e->pe.p = true;
		e->pe.pgtt = VTD_PGTT_FS;
		e->pe.did = 5;
		e->pe.pwsnp = true;
		e->pe.fspm = VTD_FSPM_4LVL;
		e->pe.fsptptr = e->fs.root;
		leaf = vtd_fs_entry_ptr(&e->fs, GVA, 1, true);
		if (!leaf)
			return -ENOMEM;
		*leaf = vtd_fs_entry(GPA + GMEM_SIZE / 2,
				     VTD_FS_P | VTD_FS_RW | VTD_FS_US);
	} else {
		struct smmu_cd_cfg cd = {
			.t0sz = 16, .tg0 = SMMU_TG0_4K, .ir0 = SMMU_CACHE_WBRA,
			.or0 = SMMU_CACHE_WBRA, .sh0 = SMMU_SH_ISH, .epd1 = true,
			.v = true, .ips = smmu_ips_of(48), .aa64 = true, .r = true,
			.a = true, .aset = true, .asid = 1, .mair = 0xff,
		};
		uint64_t *p;

		if (smmu_cdtab_init(&e->cdt, &e->g, SMMU_S1FMT_LINEAR, 4) ||
		    arm_s1_init(&e->s1, &e->g, 0x1000, 16))
			return -ENOMEM;
		cd.ttb0 = e->s1.root;
		p = smmu_cdtab_cd(&e->cdt, 1);
		if (!p)
			return -ENOMEM;
		smmu_cd_encode(p, &cd);
		e->ste.v = true;
		e->ste.config = SMMU_CONFIG_S1;
		e->ste.s1fmt = SMMU_S1FMT_LINEAR;
		e->ste.s1ctxptr = e->cdt.base;
		e->ste.s1cdmax = 4;
		e->ste.s1dss = SMMU_S1DSS_SSID0;
		e->ste.s1cir = SMMU_CACHE_WBRA;
		e->ste.s1cor = SMMU_CACHE_WBRA;
		e->ste.s1csh = SMMU_SH_ISH;
		leaf = arm_s1_entry_ptr(&e->s1, GVA, 3, true);
		if (!leaf)
			return -ENOMEM;
		*leaf = arm_leaf_desc(3, GPA + GMEM_SIZE / 2, ARM_LEAF_STD);
	}
	return 0;
}

static int st_world_vtd(struct env *e)
{
	return nested_world(e, IOASID_NESTED_FMT_VTD_FS);
}

static int st_world_smmu(struct env *e)
{
	return nested_world(e, IOASID_NESTED_FMT_SMMUV3);
}

static int st_map_gmem(struct env *e)
{
	return gmem_map(e->fd, e->p[0], &e->g, NULL, 0);
}

static int bind(struct env *e, uint32_t flags)
{
	uint64_t data[8] = {};
	uint32_t len;

	if (e->format == IOASID_NESTED_FMT_VTD_FS) {
		vtd_pe_encode(data, &e->pe);
		len = sizeof(struct ioasid_nested_vtd);
	} else {
		smmu_ste_encode(data, &e->ste);
		len = sizeof(struct ioasid_nested_smmuv3);
	}
	return nested_bind(e->fd, e->p[1], e->p[0], e->format, data, len, flags);
}

static int st_bind(struct env *e) { return bind(e, 0); }
static int st_bind_replace(struct env *e) { return bind(e, IOASID_NESTED_BIND_REPLACE); }
static int st_unbind(struct env *e) { return nested_unbind(e->fd, e->p[1]); }

static int st_dma_nested(struct env *e)
{
	int64_t pasid = e->format == IOASID_NESTED_FMT_VTD_FS ? e->p[1] : 1;
	struct ioasid_test_dma d = {};
	int rc;

	rc = sw_dma(e->dev[0], pasid, IOASID_TEST_DMA_WRITE, GVA, dmabuf, 256, &d);
	if (rc)
		return rc;
	return d.out_status == IOASID_TEST_DMA_OK ? 0 : -EPROTO;
}

static int st_invalidate(struct env *e)
{
	struct vtd_inv vtd[2];
	struct smmu_cmd smmu[2];

	if (e->format == IOASID_NESTED_FMT_VTD_FS) {
		vtd[0] = vtd_inv_piotlb_page(e->pe.did, e->p[1], GVA, 0, false);
		vtd[1] = vtd_inv_wait(false, false, false, false, 0, 0);
		return nested_invalidate(e->fd, e->p[1], vtd, sizeof(vtd[0]), 2,
					 NULL, NULL);
	}
	smmu[0] = smmu_cmd_tlbi_nh_va(0, 1, GVA, false, NULL);
	smmu[1] = smmu_cmd_sync(0);
	return nested_invalidate(e->fd, e->p[1], smmu, sizeof(smmu[0]), 2,
				 NULL, NULL);
}

/* ---- VFIO: the kernel IOMMU API executor ---- */

static int st_vfio_open(struct env *e)
{
	int fd = ioctl(edu.group, VFIO_GROUP_GET_DEVICE_FD, edu.bdf);

	if (fd < 0)
		return -errno;
	e->vdev = fd;
	return 0;
}

static int st_vfio_allow(struct env *e)
{
	return sw_allow(e->vdev, e->fd, e->p[0], 0, COOKIE);
}

static int st_vfio_disallow(struct env *e)
{
	return sw_disallow(e->vdev, e->p[0], 0);
}

static int st_vfio_allow_nested(struct env *e)
{
	return sw_allow(e->vdev, e->fd, e->p[1], 0, COOKIE);
}

static int st_vfio_disallow_nested(struct env *e)
{
	return sw_disallow(e->vdev, e->p[1], 0);
}

static int st_vfio_info(struct env *e)
{
	struct ioasid_device_info info = { .size = sizeof(info) };

	return sw_ret(ioctl(e->vdev, IOASID_DEVICE_GET_INFO, &info));
}

/* ---- SVA ---- */

static int sva_bind(struct env *e, uint32_t flags, int mm_fd)
{
	struct ioasid_sva_bind cmd = {
		.size = sizeof(cmd), .flags = flags, .pasid = e->p[0], .mm_fd = mm_fd,
	};

	return sw_ret(ioctl(e->fd, IOASID_SVA_BIND, &cmd));
}

static int st_sva_bind(struct env *e) { return sva_bind(e, 0, -1); }
static int st_sva_unbind(struct env *e) { return sva_bind(e, IOASID_SVA_UNBIND, -1); }

static int st_open_mem(struct env *e)
{
	e->memfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	return e->memfd < 0 ? -errno : 0;
}

static int st_sva_bind_foreign(struct env *e)
{
	return sva_bind(e, IOASID_SVA_BIND_FOREIGN, e->memfd);
}

static int st_sva_prefault(struct env *e)
{
	struct ioasid_sva_prefault cmd = {
		.size = sizeof(cmd), .flags = IOASID_SVA_PREFAULT_WRITE,
		.pasid = e->p[0], .va = (uintptr_t)buf4k, .length = BUF_LEN / 4,
	};

	return sw_ret(ioctl(e->fd, IOASID_SVA_PREFAULT, &cmd));
}

/*
 * A DMA through the process's own address space (device address = VA).
 * When the fault-in of a page fails (its point, armed), the DMA stops with
 * a fault of reason OTHER: the I/O page fault could not be resolved.
 */
static int st_dma_sva(struct env *e)
{
	struct ioasid_test_dma d = {};
	int rc;

	rc = sw_dma(e->dev[0], e->p[0], IOASID_TEST_DMA_WRITE,
		    (uintptr_t)buf4k + SZ_4K, dmabuf, 2 * SZ_4K, &d);
	if (rc)
		return rc;
	if (d.out_status == IOASID_TEST_DMA_OK ||
	    (step_armed && d.out_status == IOASID_TEST_DMA_FAULT &&
	     d.out_fault_reason == IOASID_FAULT_REASON_OTHER))
		return 0;
	return -EPROTO;
}

/* ---- VFIO type1 compatibility (ioasidfd_vfio type1_compat=1) ---- */

#define COMPAT_PARAM	"/sys/module/ioasidfd_vfio/parameters/type1_compat"

static struct { char bdf[32]; int group_id; bool ready; char was[8]; } compat;

static int st_c_container(struct env *e)
{
	e->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	return e->container < 0 ? -errno : 0;
}

static int st_c_group(struct env *e)
{
	char path[64];

	int rc;

	snprintf(path, sizeof(path), "/dev/vfio/%d", compat.group_id);
	e->group = open(path, O_RDWR | O_CLOEXEC);
	if (e->group < 0)
		return -errno;
	rc = sw_ret(ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->container));
	if (rc) {
		/* A VFIO group opens once: the step again must find it closed. */
		close(e->group);
		e->group = -1;
	}
	return rc;
}

static int st_c_set_iommu(struct env *e)
{
	return sw_ret(ioctl(e->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
}

static int st_c_info(struct env *e)
{
	union {
		struct vfio_iommu_type1_info info;
		uint8_t raw[1024];
	} u = { .info = { .argsz = sizeof(u) } };

	return sw_ret(ioctl(e->container, VFIO_IOMMU_GET_INFO, &u));
}

static int st_c_map(struct env *e)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf4k, .iova = IOVA_A, .size = BUF_LEN / 2,
	};

	return sw_ret(ioctl(e->container, VFIO_IOMMU_MAP_DMA, &map));
}

static int st_c_unmap(struct env *e)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = IOVA_A, .size = BUF_LEN / 2,
	};

	return sw_ret(ioctl(e->container, VFIO_IOMMU_UNMAP_DMA, &unmap));
}

/* ------------------------------------------------------------------------
 * Sequences
 */

struct seq {
	const char *name;
	const struct step *steps;
	bool vfio;		/* needs the edu device */
	bool compat;		/* needs an edu device for vfio-pci, type1 compat */
};

#define S(fn, ...)	{ #fn + 3, fn, ##__VA_ARGS__ }
#define END		{ NULL, NULL, 0 }

static const struct step seq_alloc[] = {
	S(st_open), S(st_info), S(st_alloc0), S(st_alloc_range), S(st_info0),
	S(st_destroy0), S(st_destroy2), END
};

static const struct step seq_map_4k[] = {
	S(st_open), S(st_alloc0), S(st_map_4k), S(st_map_auto), S(st_info0),
	S(st_unmap_a), S(st_unmap_all), S(st_map_4k), S(st_destroy0), END
};

static const struct step seq_map_thp[] = {
	S(st_open), S(st_alloc0), S(st_map_thp), S(st_unmap_thp),
	S(st_map_thp_auto), S(st_destroy0), END
};

static const struct step seq_fault_queue[] = {
	S(st_open), S(st_alloc0), S(st_fq_alloc), S(st_route0), S(st_fq_info),
	S(st_unroute0), S(st_route0), S(st_destroy0), END
};

static const struct step seq_swdev_rid[] = {
	S(st_open), S(st_dev0_rid), S(st_alloc0), S(st_map_4k), S(st_dev_info),
	S(st_allow_rid), S(st_dma_write_rid, ST_EFFECTS),
	S(st_dma_read_rid, ST_EFFECTS), S(st_map_4k_b), S(st_unmap_a),
	S(st_disallow_rid), S(st_destroy0), END
};

static const struct step seq_swdev_pasid[] = {
	S(st_open), S(st_dev0), S(st_alloc0), S(st_alloc1), S(st_map_4k),
	S(st_allow_pasid), S(st_allow_wire), S(st_allow_rid),
	S(st_dma_pasid, ST_EFFECTS), S(st_dma_wire, ST_EFFECTS),
	S(st_disallow_pasid), S(st_disallow_wire), S(st_disallow_rid),
	S(st_destroy1), S(st_destroy0), END
};

/* Two devices share one IOASID; DESTROY parks it, the last DISALLOW frees it */
static const struct step seq_swdev_parked[] = {
	S(st_open), S(st_dev0), S(st_dev1), S(st_alloc0), S(st_map_4k),
	S(st_allow_rid), S(st_allow1_rid), S(st_destroy0_park),
	S(st_disallow_rid), S(st_disallow1_rid), END
};

static const struct step seq_fault_dma[] = {
	S(st_open), S(st_dev0), S(st_alloc0), S(st_map_4k), S(st_fq_alloc),
	S(st_route0), S(st_allow_pasid),
	S(st_dma_fault, ST_EFFECTS), S(st_read_record),
	S(st_fq_info), S(st_dma_recoverable, ST_NOKERN), S(st_read_recoverable),
	S(st_respond), S(st_join, ST_EFFECTS), S(st_destroy0), END
};

static const struct step seq_nested_vtd[] = {
	S(st_open), S(st_world_vtd), S(st_dev0), S(st_alloc0), S(st_alloc1),
	S(st_fq_alloc), S(st_route1), S(st_map_gmem), S(st_bind),
	S(st_allow_nested_pasid), S(st_destroy0_busy),
	S(st_dma_nested, ST_EFFECTS), S(st_info1),
	S(st_invalidate), S(st_bind_replace),
	S(st_dma_nested, ST_EFFECTS), S(st_disallow_nested_pasid),
	S(st_unbind), S(st_destroy1), S(st_destroy0), END
};

static const struct step seq_nested_smmu[] = {
	S(st_open), S(st_world_smmu), S(st_dev0), S(st_alloc0), S(st_alloc1),
	S(st_map_gmem), S(st_bind), S(st_allow_nested_rid),
	S(st_dma_nested, ST_EFFECTS), S(st_info1),
	S(st_invalidate), S(st_bind_replace),
	S(st_dma_nested, ST_EFFECTS), S(st_disallow_nested_rid),
	S(st_unbind), S(st_destroy1), S(st_destroy0), END
};

/* A bind over a parent that never mapped: the bind makes it an IOVA map */
static const struct step seq_nested_empty_parent[] = {
	S(st_open), S(st_world_vtd), S(st_alloc0), S(st_alloc1), S(st_bind),
	S(st_map_gmem), S(st_unbind), S(st_destroy0), S(st_destroy1), END
};

/* Mapped before the first ALLOW (replayed into the new domain), and after */
static const struct step seq_vfio[] = {
	S(st_open), S(st_alloc0), S(st_map_4k), S(st_vfio_open, ST_NOKERN), S(st_vfio_info),
	S(st_vfio_allow), S(st_map_4k_b), S(st_vfio_disallow, ST_NOKERN), S(st_vfio_allow),
	S(st_unmap_a), S(st_vfio_disallow, ST_NOKERN), S(st_destroy0), END
};

/* A nested IOASID on the real IOMMU: shadow paging (shadow.c) */
static const struct step seq_shadow[] = {
	S(st_open), S(st_world_vtd), S(st_alloc0), S(st_alloc1), S(st_map_gmem),
	S(st_bind), S(st_vfio_open, ST_NOKERN), S(st_vfio_allow_nested), S(st_info1),
	S(st_invalidate), S(st_bind_replace), S(st_invalidate),
	S(st_vfio_disallow_nested, ST_NOKERN), S(st_unbind), S(st_destroy1), S(st_destroy0),
	END
};

/* SVA: the caller's own mm, then another's through /proc/PID/mem */
static const struct step seq_sva[] = {
	S(st_open), S(st_dev0), S(st_alloc0), S(st_sva_bind), S(st_info0),
	S(st_allow_pasid), S(st_dma_sva, ST_EFFECTS),
	S(st_sva_prefault, ST_EFFECTS), S(st_disallow_pasid), S(st_sva_unbind),
	S(st_open_mem), S(st_sva_bind_foreign), S(st_allow_pasid),
	S(st_dma_sva, ST_EFFECTS),
	S(st_disallow_pasid), S(st_destroy0), END
};

/*
 * SVA mirrored into an IOMMU domain: the notifier, prefault's mirror.  A
 * prefault is a hint, like a CPU prefault: what it mirrored before it
 * failed stays mirrored (not pinned, not charged), hence ST_EFFECTS.
 */
static const struct step seq_sva_vfio[] = {
	S(st_open), S(st_alloc0), S(st_sva_bind), S(st_vfio_open, ST_NOKERN),
	S(st_vfio_allow), S(st_sva_prefault, ST_EFFECTS), S(st_vfio_disallow, ST_NOKERN),
	S(st_sva_unbind), S(st_destroy0), END
};

/*
 * Type1 on /dev/ioasid.  (VFIO_SET_IOMMU falls back to vfio_iommu_type1
 * when our backend's open fails: that failure is absorbed by design.)
 */
static const struct step seq_compat[] = {
	S(st_c_container), S(st_c_group), S(st_c_set_iommu, ST_ABSORB | ST_NOKERN),
	S(st_c_info), S(st_c_map), S(st_c_info), S(st_c_unmap), END
};

static const struct seq seqs[] = {
	{ "alloc-destroy", seq_alloc },
	{ "map-4k", seq_map_4k },
	{ "map-thp", seq_map_thp },
	{ "fault-queue", seq_fault_queue },
	{ "swdev-rid", seq_swdev_rid },
	{ "swdev-pasid-wire", seq_swdev_pasid },
	{ "swdev-parked", seq_swdev_parked },
	{ "fault-dma-respond", seq_fault_dma },
	{ "nested-vtd", seq_nested_vtd },
	{ "nested-smmu", seq_nested_smmu },
	{ "nested-empty-parent", seq_nested_empty_parent },
	{ "vfio-edu", seq_vfio, true },
	{ "nested-shadow-vfio", seq_shadow, true },
	{ "sva", seq_sva },
	{ "sva-vfio", seq_sva_vfio, true },
	{ "type1-compat", seq_compat, false, true },
	/* Later ioctls get their sequences here. */
};

/* ------------------------------------------------------------------------
 * Injectors
 */

struct injector {
	const char *name;
	int fd;				/* the arming file */
	int (*open)(struct injector *in);
	int (*arm)(struct injector *in, unsigned int n);
	/* disarms; returns 1 if the armed point failed (*site: its kind), 0 if not */
	int (*disarm)(struct injector *in, int *site);
};

#define MOD_FAIL_NTH	IOASID_DEBUGFS "/ioasidfd_test/fail_nth"

static int mod_open(struct injector *in)
{
	in->fd = open(MOD_FAIL_NTH, O_RDWR | O_CLOEXEC);
	return in->fd < 0 ? -errno : 0;
}

static int write_num(int fd, unsigned int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%u", n);

	return pwrite(fd, b, len, 0) == len ? 0 : -errno;
}

static int mod_arm(struct injector *in, unsigned int n)
{
	return write_num(in->fd, n);
}

static const char *const site_names[] = {
	"alloc", "pin", "memlock", "pasid", "iommu", "user", "file",
};
#define NR_SITES	ARRAY_SIZE(site_names)
#define SITE_USER	5
#define SITE_FILE	6

/* Where the last point that failed is (the module injector says) */
static char where[128];

static int mod_disarm(struct injector *in, int *site)
{
	char b[192] = "", kind[16] = "";
	unsigned int seen;
	size_t i;
	int fired;

	where[0] = 0;
	if (pread(in->fd, b, sizeof(b) - 1, 0) <= 0 ||
	    sscanf(b, "%u %d %15s %127s", &seen, &fired, kind, where) < 3)
		return -EIO;
	if (write_num(in->fd, 0))
		return -EIO;
	*site = -1;
	for (i = 0; i < NR_SITES; i++)
		if (!strcmp(kind, site_names[i]))
			*site = i;
	return fired;
}

/*
 * The kernel's fail-nth on every slab allocation of the task, sleeping ones
 * too, quietly (no stack dump per failure: that would be a problem report
 * in the log).  Page allocations are left out (fail_page_alloc's min-order
 * above every order): the page allocator answers a failure it was not told
 * to keep quiet about with warn_alloc()'s stack dump, which the log checks
 * must keep treating as a problem.  The module's own points cover the page
 * allocations that matter to it (the IOMMU's page tables fail as map calls).
 */
static const struct { const char *file, *value; } kern_knobs[] = {
	{ "failslab/ignore-gfp-wait", "N" },
	{ "failslab/verbose", "0" },
	{ "fail_page_alloc/min-order", "11" },
	{ "fail_page_alloc/verbose", "0" },
};
static char kern_saved[ARRAY_SIZE(kern_knobs)][32];
static bool kern_verbose;

static int knob_rw(const char *file, char *old, size_t len, const char *val)
{
	char path[128];
	ssize_t n;
	int fd, rc;

	snprintf(path, sizeof(path), IOASID_DEBUGFS "/%s", file);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (old) {
		n = read(fd, old, len - 1);
		old[n > 0 ? n : 0] = 0;
		old[strcspn(old, "\n")] = 0;
	}
	/*
	 * write(), not pwrite(): the numeric knobs are simple attributes,
	 * opened non-seekable, where pwrite() fails with ESPIPE.
	 */
	n = write(fd, val, strlen(val));
	rc = n == (ssize_t)strlen(val) ? 0 : n < 0 ? -errno : -EIO;
	close(fd);
	return rc;
}

static void kern_restore(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kern_knobs); i++)
		if (kern_saved[i][0])
			knob_rw(kern_knobs[i].file, NULL, 0, kern_saved[i]);
}

static int kern_open(struct injector *in)
{
	char path[64];
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	in->fd = open(path, O_RDWR | O_CLOEXEC);
	if (in->fd < 0)
		return -errno;
	for (i = 0; i < ARRAY_SIZE(kern_knobs); i++) {
		const char *val = kern_knobs[i].value;

		/* -K: failslab's stack dump of each failure, to find it */
		if (kern_verbose && strstr(kern_knobs[i].file, "verbose"))
			val = "2";
		rc = knob_rw(kern_knobs[i].file, kern_saved[i],
			     sizeof(kern_saved[i]), val);
		if (rc) {
			kern_restore();
			close(in->fd);
			return rc;
		}
	}
	return 0;
}

static int kern_arm(struct injector *in, unsigned int n)
{
	return write_num(in->fd, n);
}

static int kern_disarm(struct injector *in, int *site)
{
	char b[32] = "";
	unsigned int left;

	/* Reading does not allocate; 0 left means the Nth has failed. */
	if (pread(in->fd, b, sizeof(b) - 1, 0) <= 0 || sscanf(b, "%u", &left) != 1)
		return -EIO;
	if (write_num(in->fd, 0))
		return -EIO;
	*site = -1;
	return left == 0;
}

static struct injector injectors[] = {
	{ "module", -1, mod_open, mod_arm, mod_disarm },
	{ "kernel", -1, kern_open, kern_arm, kern_disarm },
};

/* The errno a failed point of each kind gives (module injector) */
static bool errno_fits(int site, int err)
{
	switch (site) {
	case SITE_USER:
		return err == EFAULT;
	case SITE_FILE:
		return err == EMFILE || err == ENOMEM;
	default:		/* allocations, pins, memlock, PASID, IOMMU */
		return err == ENOMEM;
	}
}

/*
 * Points whose failure the module absorbs by design: a cache that is not
 * filled (the nested IOTLB, PASID-entry and CD caches: the next access
 * walks again), a fault record that cannot be allocated (counted as lost),
 * a waiter that cannot be (the fault is delivered as unrecoverable), an I/O
 * page fault of SVA that cannot be resolved (the DMA faults, reason OTHER).
 * Any other point that fails must fail its call.
 */
static const char *const absorbing[] = {
	"ioasidfd_nested_vtd_ctx+", "ioasidfd_nested_tlb_add+",
	"ioasidfd_nested_cd+", "ioasidfd_fault_deliver+",
	"ioasidfd_sva_access+",
	/* where the compiler inlines the above */
	"ioasidfd_nested_s1+", "ioasidfd_nested_lookup+", "ioasidfd_fault_report+",
};

static bool absorbs(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(absorbing); i++)
		if (!strncmp(where, absorbing[i], strlen(absorbing[i])))
			return true;
	return false;
}

/* "alloc at ioasidfd_x+0x12/0x40 [ioasidfd]", or the kind alone */
static const char *site_name(int site)
{
	static char b[192];

	snprintf(b, sizeof(b), "%s%s%s",
		 site >= 0 && site < (int)NR_SITES ? site_names[site] : "-",
		 where[0] ? " at " : "", where);
	return b;
}

/* ------------------------------------------------------------------------
 * State snapshots
 */

struct snap {
	struct ioasid_counters c;
	long vmlck;
	bool has_info[NP];
	struct ioasid_info_cap_ioas ioas[NP];
	struct ioasid_info_cap_quota quota;
	struct ioasid_device_info dev[ND];
	struct ioasid_fault_queue_info q;
};

static long vmlck_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void snap_take(struct env *e, struct snap *s)
{
	struct ioasid_caps caps;
	int i;

	memset(s, 0, sizeof(*s));
	counters_read(&s->c);
	s->vmlck = vmlck_kb();
	if (e->fd < 0)
		return;
	if (!_ioasid_info(e->fd, 0, 0, &caps))
		s->quota = caps.quota;
	if (e->vdev >= 0) {
		s->dev[ND - 1].size = sizeof(s->dev[ND - 1]);
		ioctl(e->vdev, IOASID_DEVICE_GET_INFO, &s->dev[ND - 1]);
	}
	for (i = 0; i < NP; i++) {
		if (!e->p[i] || _ioasid_info_pasid(e->fd, e->p[i], &caps))
			continue;
		s->has_info[i] = true;
		s->ioas[i] = caps.ioas;
	}
	for (i = 0; i < ND; i++) {
		if (e->dev[i] < 0 || (i == ND - 1 && e->vdev >= 0))
			continue;
		s->dev[i].size = sizeof(s->dev[i]);
		ioctl(e->dev[i], IOASID_DEVICE_GET_INFO, &s->dev[i]);
	}
	if (e->qfd >= 0)
		sw_queue_info(e->qfd, &s->q);
}

/* Compares all but the iopts; the counters may lag by an RCU grace period. */
static void snap_check(struct env *e, const struct snap *before)
{
	struct snap now;
	char b1[512], b2[512];
	long deadline = now_ms() + 2000;
	int i;

	for (;;) {
		snap_take(e, &now);
		now.c.v[CNT_IOPTS] = before->c.v[CNT_IOPTS];
		if (!memcmp(&now.c, &before->c, sizeof(now.c)) || now_ms() > deadline)
			break;
		usleep(2000);
	}
	if (memcmp(&now.c, &before->c, sizeof(now.c))) {
		counters_format(&before->c, b1, sizeof(b1));
		counters_format(&now.c, b2, sizeof(b2));
		fail("counters changed by the failed call: before %s, after %s", b1, b2);
	}
	if (now.vmlck != before->vmlck)
		fail("VmLck %ld kB before the failed call, %ld kB after",
		     before->vmlck, now.vmlck);
	if (now.quota.nr_fd != before->quota.nr_fd ||
	    now.quota.nr_user != before->quota.nr_user)
		fail("PASIDs of the fd / user %u / %u before the failed call, %u / %u after",
		     before->quota.nr_fd, before->quota.nr_user, now.quota.nr_fd,
		     now.quota.nr_user);
	for (i = 0; i < NP; i++) {
		const struct ioasid_info_cap_ioas *a = &before->ioas[i], *b = &now.ioas[i];

		if (before->has_info[i] != now.has_info[i])
			fail("IOASID %d %s by the failed call", i,
			     now.has_info[i] ? "appeared" : "disappeared");
		else if (a->mode != b->mode || a->nr_attach != b->nr_attach ||
			 a->nr_mappings != b->nr_mappings ||
			 a->mapped_bytes != b->mapped_bytes)
			fail("IOASID %u changed by the failed call: mode %u -> %u, attach %u -> %u, mappings %u -> %u",
			     a->pasid, a->mode, b->mode, a->nr_attach, b->nr_attach,
			     a->nr_mappings, b->nr_mappings);
	}
	for (i = 0; i < ND; i++)
		if (before->dev[i].out_attach != now.dev[i].out_attach ||
		    before->dev[i].out_nr_pasid_attach != now.dev[i].out_nr_pasid_attach)
			fail("device %d's attachments changed by the failed call", i);
	if (before->q.out_queued != now.q.out_queued ||
	    before->q.out_waiting != now.q.out_waiting ||
	    before->q.out_total != now.q.out_total ||
	    before->q.out_overflow != now.q.out_overflow)
		fail("the fault queue changed by the failed call");
}

/* ------------------------------------------------------------------------
 * Running a sequence
 */

struct stats {
	unsigned long pairs;		/* (sequence, N) pairs run */
	unsigned long failed_calls;	/* an injected failure failed the call */
	unsigned long absorbed;		/* ... or was absorbed by design */
	unsigned long unarmed;		/* steps left unarmed (ST_NOKERN) */
	unsigned long by_site[NR_SITES];
};

static int kmsg_fd = -1;

/* Runs steps [from, to) unarmed; returns the index of the one that failed, or @to. */
static int run_plain(struct env *e, const struct step *st, int from, int to, int *err)
{
	int k, rc;

	for (k = from; k < to; k++) {
		rc = st[k].fn(e);
		/* An absorbed failure matters to the step after it only. */
		e->degraded = false;
		if (rc) {
			*err = rc;
			return k;
		}
	}
	return to;
}

static int nsteps(const struct step *st)
{
	int n = 0;

	while (st[n].fn)
		n++;
	return n;
}

/*
 * One (sequence, step k, N) pair.  Returns 1 if the Nth point of step k
 * failed (a pair that counts), 0 if step k has fewer than N points, -1 on a
 * problem (in why).
 */
static int run_pair(struct injector *in, const struct seq *sq, int k,
		    unsigned int n, const struct ioasid_counters *base,
		    long base_vmlck, struct stats *stats)
{
	const struct step *st = sq->steps;
	int total = nsteps(st), at, rc, err = 0, fired, site = -1;
	struct ioasid_counters c;
	struct snap before;
	char first[512], b1[512], b2[512];
	struct env e;

	env_init(&e);
	at = run_plain(&e, st, 0, k, &err);
	if (at < k) {
		fail("step %s fails unarmed: %s", st[at].name, strerror(-err));
		goto out;
	}
	snap_take(&e, &before);
	if (in->arm(in, n)) {
		fail("cannot arm the %s injector", in->name);
		goto out;
	}
	step_armed = true;
	rc = st[k].fn(&e);
	step_armed = false;
	fired = in->disarm(in, &site);
	if (fired < 0) {
		fail("cannot read the %s injector", in->name);
		goto out;
	}
	if (!fired) {
		if (rc)
			fail("step %s failed (%s) with nothing injected", st[k].name,
			     strerror(-rc));
		goto out;
	}
	stats->pairs++;
	if (site >= 0 && site < (int)NR_SITES)
		stats->by_site[site]++;
	if (verbose)
		printf("# %s %s: step %s, N %u (%s): %s\n", in->name, sq->name,
		       st[k].name, n, site_name(site),
		       rc ? strerror(-rc) : "succeeded");
	if (!rc) {
		/* The kernel's injector may hit allocations that may fail. */
		if (!(st[k].flags & ST_ABSORB) && in->disarm == mod_disarm &&
		    !absorbs())
			fail("step %s succeeded although its point %u (%s) failed",
			     st[k].name, n, site_name(site));
		stats->absorbed++;
		e.degraded = true;
	} else {
		stats->failed_calls++;
		if (in->disarm == mod_disarm && !errno_fits(site, -rc))
			fail("step %s: point %u (%s) failed it with %s", st[k].name,
			     n, site_name(site), strerror(-rc));
		if (!(st[k].flags & ST_EFFECTS))
			snap_check(&e, &before);
		/* Unarmed, the step works now. */
		rc = st[k].fn(&e);
		if (rc)
			fail("step %s fails again unarmed after point %u failed it: %s",
			     st[k].name, n, strerror(-rc));
	}
	if (!why[0]) {
		at = run_plain(&e, st, k + 1, total, &err);
		if (at < total)
			fail("after point %u of step %s, step %s fails: %s", n,
			     st[k].name, st[at].name, strerror(-err));
	}
	rc = 1;
	goto done;
out:
	rc = why[0] ? -1 : 0;
done:
	env_fini(&e);
	if (!counters_wait(base, &c, COUNTERS_SETTLE_MS)) {
		counters_format(base, b1, sizeof(b1));
		counters_format(&c, b2, sizeof(b2));
		fail("after point %u of step %s and closing everything: counters %s, were %s",
		     n, st[k].name, b2, b1);
	}
	if (vmlck_kb() != base_vmlck)
		fail("after point %u of step %s and closing everything: VmLck %ld kB, was %ld kB",
		     n, st[k].name, vmlck_kb(), base_vmlck);
	if (kmsg_problems(kmsg_fd, first, sizeof(first)) > 0)
		fail("kernel log after point %u of step %s: %s", n, st[k].name, first);
	return why[0] ? -1 : rc;
}

/* Every step, every N of it; returns 0 or -1 (why says what). */
static int run_seq(struct injector *in, const struct seq *sq, struct stats *stats)
{
	int total = nsteps(sq->steps), k, rc;
	struct ioasid_counters base;
	long base_vmlck;
	unsigned int n;

	why[0] = 0;
	if (!counters_wait(NULL, &base, COUNTERS_SETTLE_MS)) {
		fail("counters not idle before the sequence");
		return -1;
	}
	base_vmlck = vmlck_kb();
	for (k = 0; k < total; k++) {
		if (sq->steps[k].flags & ST_NOKERN && in->disarm == kern_disarm) {
			stats->unarmed++;
			continue;
		}
		for (n = 1;; n++) {
			rc = run_pair(in, sq, k, n, &base, base_vmlck, stats);
			if (rc < 0)
				return -1;
			if (!rc)
				break;
			if (n > 10000) {
				fail("step %s: more than 10000 points?", sq->steps[k].name);
				return -1;
			}
		}
	}
	return 0;
}

/* The first edu device, bound to ioasidfd-vfio-pci, its group in our container */
static int edu_setup(void)
{
	char bdfs[EDU_MAX_DEVICES][32];
	int n, rc;

	if (edu_ready)
		return 0;
	if (access("/sys/bus/pci/drivers/" EDU_DRIVER_IOASID, F_OK))
		return -ENODEV;
	n = edu_find(bdfs);
	if (n <= 0)
		return n ? n : -ENODEV;
	rc = edu_bind(bdfs[0], EDU_DRIVER_IOASID);
	if (!rc)
		rc = vfio_edu_open_group(&edu, bdfs[0], IOASID_VFIO_IOMMU_TYPE);
	if (rc) {
		edu_unbind(bdfs[0]);
		return rc;
	}
	edu_ready = true;
	return 0;
}

/* The second edu device on vfio-pci, and type1_compat on (restored after) */
static int compat_setup(void)
{
	char bdfs[EDU_MAX_DEVICES][32];
	int n, rc, fd;

	if (compat.ready)
		return 0;
	fd = open(COMPAT_PARAM, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, compat.was, sizeof(compat.was) - 1);
	compat.was[n > 0 ? n : 0] = 0;
	rc = pwrite(fd, "1", 1, 0) == 1 ? 0 : -errno;
	close(fd);
	if (rc)
		return rc;
	n = edu_find(bdfs);
	if (n < 2)
		return -ENODEV;
	snprintf(compat.bdf, sizeof(compat.bdf), "%s", bdfs[1]);
	rc = edu_bind(compat.bdf, EDU_DRIVER_VFIO);
	if (rc)
		return rc;
	compat.group_id = edu_iommu_group(compat.bdf);
	if (compat.group_id < 0) {
		edu_unbind(compat.bdf);
		return compat.group_id;
	}
	compat.ready = true;
	return 0;
}

static void compat_teardown(void)
{
	int fd;

	if (compat.ready)
		edu_unbind(compat.bdf);
	compat.ready = false;
	fd = open(COMPAT_PARAM, O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && compat.was[0]) {
		if (pwrite(fd, compat.was, strcspn(compat.was, "\n"), 0) < 0)
			perror(COMPAT_PARAM);
	}
	if (fd >= 0)
		close(fd);
}

/* Leaves the edu device as the test bed had it: unbound */
static void edu_teardown(void)
{
	char bdf[32];

	if (!edu_ready)
		return;
	snprintf(bdf, sizeof(bdf), "%s", edu.bdf);
	vfio_edu_close(&edu);
	edu_unbind(bdf);
	edu_ready = false;
}

static void *mmap_thp(size_t len)
{
	uint8_t *p = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (uint8_t *)(((uintptr_t)p + len - 1) & ~(uintptr_t)(len - 1));
	madvise(a, len, MADV_HUGEPAGE);
	memset(a, 0x5a, len);
	return a;
}

int main(int argc, char **argv)
{
	const char *only_seq = NULL, *only_inj = NULL;
	unsigned long total_pairs = 0;
	int opt, failed = 0, nr = 0, tn = 0;
	unsigned int pool_was = ~0U;
	size_t i, j;

	while ((opt = getopt(argc, argv, "s:m:vK")) != -1) {
		switch (opt) {
		case 's': only_seq = optarg; break;
		case 'm': only_inj = optarg; break;
		case 'v': verbose = 1; break;
		case 'K': kern_verbose = true; break;
		default:
			fprintf(stderr, "usage: %s [-s SEQ] [-m module|kernel] [-v] [-K]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	if (access(IOASID_DEV, F_OK) || counters_available()) {
		printf("1..0 # SKIP needs ioasidfd.ko and debugfs\n");
		return 4;
	}
	buf4k = mmap_aligned(BUF_LEN, SZ_64K);
	madvise(buf4k, BUF_LEN, MADV_NOHUGEPAGE);
	thp = mmap_thp(THP_LEN);
	dmabuf = mmap_aligned(SZ_64K, SZ_4K);
	if (!buf4k || !thp || !dmabuf) {
		printf("1..0 # SKIP out of memory\n");
		return 4;
	}
	kmsg_fd = kmsg_watch_begin();
	/*
	 * No PASID pool: every ALLOC claims its PASID, so the claim's points
	 * are reached every time (pooled PASIDs take none).
	 */
	if (!param_read("pasid_pool", &pool_was))
		param_write("pasid_pool", 0);

	for (i = 0; i < ARRAY_SIZE(injectors); i++)
		for (j = 0; j < ARRAY_SIZE(seqs); j++)
			if ((!only_inj || !strcmp(only_inj, injectors[i].name)) &&
			    (!only_seq || strstr(seqs[j].name, only_seq)))
				nr++;
	printf("1..%d\n", nr);

	for (i = 0; i < ARRAY_SIZE(injectors); i++) {
		struct injector *in = &injectors[i];
		struct stats stats = {};
		int rc;
		size_t s;

		if (only_inj && strcmp(only_inj, in->name))
			continue;
		rc = in->open(in);
		for (j = 0; j < ARRAY_SIZE(seqs); j++) {
			long t0 = now_ms();
			unsigned long before = stats.pairs;

			if (only_seq && !strstr(seqs[j].name, only_seq))
				continue;
			if (rc) {
				printf("ok %d %s: %s # SKIP no %s injector here (%s)\n",
				       ++tn, in->name, seqs[j].name, in->name,
				       strerror(-rc));
				continue;
			}
			if (seqs[j].compat && compat_setup()) {
				printf("ok %d %s: %s # SKIP no type1 compat (ioasidfd_vfio) or no second edu device\n",
				       ++tn, in->name, seqs[j].name);
				continue;
			}
			if (seqs[j].vfio && edu_setup()) {
				printf("ok %d %s: %s # SKIP no edu device for ioasidfd-vfio-pci\n",
				       ++tn, in->name, seqs[j].name);
				continue;
			}
			if (run_seq(in, &seqs[j], &stats)) {
				printf("not ok %d %s: %s\n# %s\n", ++tn, in->name,
				       seqs[j].name, why);
				failed++;
			} else {
				printf("ok %d %s: %s, %lu (step, N) pairs in %.1f s\n",
				       ++tn, in->name, seqs[j].name,
				       stats.pairs - before, (now_ms() - t0) / 1000.0);
			}
		}
		if (rc)
			continue;
		if (in->disarm == kern_disarm)
			kern_restore();
		close(in->fd);
		total_pairs += stats.pairs;
		printf("# %s injector: %lu (sequence, N) pairs: %lu failed the call, %lu absorbed by design",
		       in->name, stats.pairs, stats.failed_calls, stats.absorbed);
		if (in->disarm == mod_disarm)
			for (s = 0; s < NR_SITES; s++)
				printf("%s %s %lu", s ? "," : "; by kind:", site_names[s],
				       stats.by_site[s]);
		if (stats.unarmed)
			printf("; %lu step%s left unarmed (see ST_NOKERN)",
			       stats.unarmed, stats.unarmed == 1 ? "" : "s");
		printf("\n");
	}
	edu_teardown();
	compat_teardown();
	if (pool_was != ~0U)
		param_write("pasid_pool", pool_was);
	printf("# (sequence, N) pairs run: %lu\n", total_pairs);
	return failed ? 1 : 0;
}
