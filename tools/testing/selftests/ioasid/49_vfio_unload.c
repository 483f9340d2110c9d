// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidfd_vfio.ko comes and goes cleanly: it cannot be unloaded while a
 * container uses its IOMMU backend or a device fd of its driver is open; it
 * can once they are closed, after which stock vfio-pci with the type1
 * backend drives the same device as if ioasidfd_vfio had never been there;
 * loaded again, it works again.
 *
 * The module is loaded again from IOASIDFD_VFIO_KO, or /modules/ as in the
 * test bed, and with the parameters it had; the teardown loads it even if a
 * check failed, so the tests after this one find it.
 */
#include "kselftest_harness.h"
#include "ioasid_utils.h"
#include "vfio_edu.h"

#define MODNAME		"ioasidfd_vfio"
#define PAGE		4096UL
#define IOVA_A		0x100000ULL

static char edu_bdfs[EDU_MAX_DEVICES][32];

static bool module_loaded(void)
{
	return !access("/sys/module/" MODNAME "/initstate", F_OK);
}

static const char *module_ko(void)
{
	const char *env = getenv("IOASIDFD_VFIO_KO");

	if (env)
		return access(env, R_OK) ? NULL : env;
	return access("/modules/" MODNAME ".ko", R_OK) ? NULL :
	       "/modules/" MODNAME ".ko";
}

static int module_unload(void)
{
	return syscall(SYS_delete_module, MODNAME, O_NONBLOCK) ? -errno : 0;
}

static int module_load(const char *ko, const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		rc = -errno;
	close(fd);
	return rc;
}

FIXTURE(unload) {
	struct ioasid_tctx t;
	struct vfio_edu e;
	const char *ko;
	char params[64];
	uint8_t *mem;
};

FIXTURE_SETUP(unload)
{
	char unsafe[8] = "N";

	vfio_edu_init(&self->e);
	tctx_setup(_metadata, &self->t);
	self->ko = module_ko();
	if (!self->ko)
		SKIP(return,
		     "cannot load %s again afterwards: no /modules/%s.ko and no IOASIDFD_VFIO_KO",
		     MODNAME, MODNAME);
	ASSERT_TRUE(module_loaded()) {
		TH_LOG("%s is not loaded", MODNAME);
	}
	edu_sysfs_read("/sys/module/" MODNAME "/parameters/allow_unsafe_interrupts",
		       unsafe, sizeof(unsafe));
	snprintf(self->params, sizeof(self->params),
		 "allow_unsafe_interrupts=%s", unsafe);
	ASSERT_LE(1, edu_find(edu_bdfs)) {
		TH_LOG("no edu device (1234:11e8): QEMU needs -device edu");
	}
	self->mem = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(unload)
{
	vfio_edu_close(&self->e);
	/* Whatever happened, leave the module loaded for the next tests. */
	if (self->ko && !module_loaded())
		EXPECT_EQ(0, module_load(self->ko, self->params));
	tctx_teardown(_metadata, &self->t);
}

/* Device -> RAM -> device round trip at IOVA_A (page 0 out, page 1 back). */
static void round_trip(struct __test_metadata *_metadata, struct vfio_edu *e,
		       uint8_t *mem)
{
	unsigned int i;

	for (i = 0; i < EDU_DMA_MAX; i++)
		mem[i] = (i * 7 + getpid()) | 1;
	ASSERT_EQ(0, vfio_edu_to_device(e, IOVA_A, 0, EDU_DMA_MAX));
	memset(mem + PAGE, 0, PAGE);
	ASSERT_EQ(0, vfio_edu_to_ram(e, 0, IOVA_A + PAGE, EDU_DMA_MAX));
	ASSERT_EQ(0, memcmp(mem, mem + PAGE, EDU_DMA_MAX));
}

TEST_F_TIMEOUT(unload, unload_then_stock_vfio_pci, 300)
{
	char drv[64];
	__u32 pasid;
	long before;

	/* Pinned by an open device fd of ioasidfd-vfio-pci */
	ASSERT_EQ(0, vfio_edu_open(&self->e, edu_bdfs[0], EDU_DRIVER_IOASID,
				   IOASID_VFIO_IOMMU_TYPE));
	test_ioasid_alloc(self->t.fd, &pasid);
	ASSERT_EQ(0, vfio_edu_allow(&self->e, self->t.fd, pasid, 0));
	ASSERT_EQ(-EAGAIN, module_unload());

	/* Pinned by a container set to its backend */
	vfio_edu_close_device(&self->e);
	ASSERT_EQ(-EAGAIN, module_unload());
	ASSERT_TRUE(module_loaded());

	/* Nothing open: it goes, and takes its driver off the device. */
	vfio_edu_close(&self->e);
	ASSERT_EQ(0, module_unload());
	ASSERT_FALSE(module_loaded());
	ASSERT_EQ(0, edu_driver(edu_bdfs[0], drv, sizeof(drv)));
	ASSERT_STREQ("", drv);
	ASSERT_EQ(self->t.base.v[CNT_DEVICES], test_counter(CNT_DEVICES));
	ASSERT_EQ(self->t.base.v[CNT_ATTACHMENTS], test_counter(CNT_ATTACHMENTS));
	ASSERT_EQ(self->t.base.v[CNT_GROUPS], test_counter(CNT_GROUPS));

	/* Stock vfio-pci and type1 on the same device */
	ASSERT_EQ(0, vfio_edu_open(&self->e, edu_bdfs[0], EDU_DRIVER_VFIO,
				   VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, vfio_edu_type1_map(&self->e, self->mem, IOVA_A, 2 * PAGE));
	round_trip(_metadata, &self->e, self->mem);
	ASSERT_EQ(0, vfio_edu_type1_unmap(&self->e, IOVA_A, 2 * PAGE));
	memset(self->mem + PAGE, 0x3c, PAGE);
	before = edu_iommu_faults();
	ASSERT_LE(0, before);
	ASSERT_EQ(0, vfio_edu_to_ram(&self->e, 0, IOVA_A + PAGE, EDU_DMA_MAX));
	ASSERT_LT(before, edu_iommu_faults_after(before, 3000));
	ASSERT_EQ(0x3c, self->mem[PAGE]);
	ASSERT_EQ(0x3c, self->mem[PAGE + EDU_DMA_MAX - 1]);
	vfio_edu_close(&self->e);

	/* Loaded again: back to ioasidfd-vfio-pci, and DMA through an IOASID */
	ASSERT_EQ(0, module_load(self->ko, self->params));
	ASSERT_EQ(0, vfio_edu_open(&self->e, edu_bdfs[0], EDU_DRIVER_IOASID,
				   IOASID_VFIO_IOMMU_TYPE));
	ASSERT_EQ(0, vfio_edu_allow(&self->e, self->t.fd, pasid, 0));
	test_ioasid_map_fixed(self->t.fd, pasid, self->mem, 2 * PAGE, IOVA_A);
	round_trip(_metadata, &self->e, self->mem);
	ASSERT_EQ(0, vfio_edu_disallow(&self->e, pasid, 0));
}

EDU_KERNEL_LOG_CLEAN_TEST("49_vfio_unload")

TEST_HARNESS_MAIN
