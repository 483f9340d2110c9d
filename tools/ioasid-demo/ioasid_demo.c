// SPDX-License-Identifier: GPL-2.0
/*
 * A short tour of /dev/ioasid, as a userspace driver would use it, with
 * QEMU's edu device behind a real (emulated) IOMMU:
 *
 *   allocate an IOASID (a system PASID) -> map memory into it -> authorise
 *   the device (ALLOW) -> the device DMAs through it -> DESTROY while the
 *   device still holds it (DMA stops, the PASID stays parked) -> DISALLOW
 *   (the PASID is released).
 *
 * Run as root in a test guest: scripts/vm run --arch amd64 -- ./ioasid_demo
 * Exit status 0 if every step did what it says.
 */
#include <stdarg.h>
#include <sys/mman.h>

#include "vfio_edu.h"

static int failures;

static void step(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("  [%s] ", ok ? " ok " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failures++;
}

static void show_fdinfo(int fd)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "ioasid", 6))
			printf("        %s", line);
	fclose(f);
}

/* Walks a GET_INFO capability chain and prints what it says. */
static void show_info(int fd, uint32_t pasid)
{
	uint8_t caps[4096];
	struct ioasid_info info = {
		.size = sizeof(info),
		.flags = pasid ? IOASID_INFO_PASID : 0,
		.pasid = pasid,
		.caps_len = sizeof(caps),
		.caps_uptr = (uintptr_t)caps,
	};
	uint32_t off = 0;

	if (ioctl(fd, IOASID_GET_INFO, &info) || !info.out_caps_written) {
		step(0, "IOASID_GET_INFO: %s", strerror(errno));
		return;
	}
	do {
		struct ioasid_info_cap_header *h = (void *)(caps + off);

		switch (h->id) {
		case IOASID_INFO_CAP_PASID: {
			struct ioasid_info_cap_pasid *c = (void *)h;

			printf("        PASID space: %u bits, [%u, %u], from the %s allocator\n",
			       c->pasid_bits, c->pasid_min, c->pasid_max,
			       c->flags & IOASID_CAP_PASID_SYSTEM ?
			       "kernel's (shared with SVA)" : "module's own");
			break;
		}
		case IOASID_INFO_CAP_QUOTA: {
			struct ioasid_info_cap_quota *c = (void *)h;

			printf("        quotas: %u per fd (%u used), %u per user (%u used)\n",
			       c->max_per_fd, c->nr_fd, c->max_per_user, c->nr_user);
			break;
		}
		case IOASID_INFO_CAP_IOVA_RANGES: {
			struct ioasid_info_cap_iova_ranges *c = (void *)h;
			uint32_t i;

			printf("        usable IOVA ranges of PASID %u:", pasid);
			for (i = 0; i < c->nr_ranges; i++)
				printf(" [0x%llx-0x%llx]",
				       (unsigned long long)c->ranges[i].start,
				       (unsigned long long)c->ranges[i].last);
			printf("\n");
			break;
		}
		}
		off = h->next;
	} while (off);
}

int main(void)
{
	static const char family[][8] = { "other", "VT-d", "SMMUv3", "soft" };
	char bdfs[EDU_MAX_DEVICES][32], msg[64], back[64];
	struct ioasid_device_info dinfo;
	struct ioasid_alloc alloc = { .size = sizeof(alloc) };
	struct ioasid_map map = { .size = sizeof(map) };
	struct ioasid_destroy destroy = { .size = sizeof(destroy) };
	struct vfio_edu edu;
	long faults;
	uint8_t *buf;
	int fd, n;

	printf("/dev/ioasid demo\n\n1. Open /dev/ioasid and look at what it offers\n");
	fd = edu_ioasid_open();
	if (fd < 0) {
		step(0, "open /dev/ioasid: %s (is ioasidfd.ko loaded?)", strerror(-fd));
		return 1;
	}
	show_info(fd, 0);

	printf("\n2. Allocate an IOASID: its name is a system PASID\n");
	if (ioctl(fd, IOASID_ALLOC, &alloc)) {
		step(0, "IOASID_ALLOC: %s", strerror(errno));
		return 1;
	}
	step(1, "IOASID_ALLOC -> PASID %u", alloc.out_pasid);

	printf("\n3. Map 16 KiB of this process's memory; the kernel picks the IOVA\n");
	buf = mmap(NULL, 4 * EDU_BUF_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	memset(buf, 0, 4 * EDU_BUF_SIZE);
	map.flags = IOASID_MAP_READ | IOASID_MAP_WRITE;
	map.pasid = alloc.out_pasid;
	map.user_va = (uintptr_t)buf;
	map.length = 4 * EDU_BUF_SIZE;
	n = ioctl(fd, IOASID_MAP, &map);
	step(!n, "IOASID_MAP -> IOVA 0x%llx (pinned, charged to RLIMIT_MEMLOCK)",
	     (unsigned long long)map.iova);

	printf("\n4. Take an edu device through VFIO and ALLOW the IOASID on it\n");
	n = edu_find(bdfs);
	vfio_edu_init(&edu);
	if (n <= 0 || vfio_edu_open(&edu, bdfs[0], EDU_DRIVER_IOASID,
				    IOASID_VFIO_IOMMU_TYPE)) {
		step(0, "no edu device could be opened through ioasidfd-vfio-pci");
		return 1;
	}
	if (!vfio_edu_info(&edu, &dinfo))
		printf("        %s: IOMMU group %d, %s, page sizes 0x%llx, aperture [0x%llx-0x%llx]\n",
		       bdfs[0], edu.group_id, family[dinfo.out_family & 3],
		       (unsigned long long)dinfo.out_pgsize_bitmap,
		       (unsigned long long)dinfo.out_aperture_start,
		       (unsigned long long)dinfo.out_aperture_last);
	step(!vfio_edu_allow(&edu, fd, alloc.out_pasid, 0),
	     "IOASID_DEVICE_ALLOW at RID: the IOMMU now translates through PASID %u",
	     alloc.out_pasid);
	show_info(fd, alloc.out_pasid);

	printf("\n5. The device DMAs: RAM -> device -> RAM, through the IOASID\n");
	snprintf(msg, sizeof(msg), "hello from PASID %u", alloc.out_pasid);
	memcpy(buf, msg, sizeof(msg));
	step(!vfio_edu_to_device(&edu, map.iova, 0, sizeof(msg)) &&
	     !vfio_edu_to_ram(&edu, 0, map.iova + EDU_BUF_SIZE, sizeof(msg)) &&
	     !memcmp(buf + EDU_BUF_SIZE, msg, sizeof(msg)),
	     "edu read \"%s\" at IOVA 0x%llx and wrote it back at 0x%llx", msg,
	     (unsigned long long)map.iova,
	     (unsigned long long)map.iova + EDU_BUF_SIZE);
	show_fdinfo(fd);

	printf("\n6. DESTROY while the device still holds the IOASID\n");
	destroy.pasid = alloc.out_pasid;
	step(!ioctl(fd, IOASID_DESTROY, &destroy),
	     "IOASID_DESTROY: the translation is wiped now, the PASID stays parked");
	show_fdinfo(fd);
	faults = edu_iommu_faults();
	memset(back, 0x5a, sizeof(back));
	memcpy(buf + 2 * EDU_BUF_SIZE, back, sizeof(back));
	vfio_edu_to_ram(&edu, 0, map.iova + 2 * EDU_BUF_SIZE, sizeof(msg));
	step(!memcmp(buf + 2 * EDU_BUF_SIZE, back, sizeof(back)) &&
	     edu_iommu_faults_after(faults, 2000) > faults,
	     "a DMA now faults in the IOMMU and memory is unchanged");
	alloc.flags = IOASID_ALLOC_RANGE;
	alloc.min_pasid = alloc.max_pasid = destroy.pasid;
	step(ioctl(fd, IOASID_ALLOC, &alloc) && errno == ENOSPC,
	     "PASID %u cannot be handed out again while parked (ENOSPC)",
	     destroy.pasid);

	printf("\n7. DISALLOW: the device lets go, and the PASID is released\n");
	step(!vfio_edu_disallow(&edu, destroy.pasid, 0),
	     "IOASID_DEVICE_DISALLOW (by PASID: no /dev/ioasid fd needed)");
	step(!ioctl(fd, IOASID_ALLOC, &alloc) && alloc.out_pasid == destroy.pasid,
	     "PASID %u is allocatable again", destroy.pasid);

	vfio_edu_close(&edu);
	close(fd);
	printf("\n%s\n", failures ? "Something did not work: see FAIL above." :
	       "Every step did what it says.");
	return failures ? 1 : 0;
}
