/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/ioasid: PASID-centric I/O address space management.
 */
#ifndef _UAPI_LINUX_IOASIDFD_H
#define _UAPI_LINUX_IOASIDFD_H

#include <linux/types.h>
#include <linux/ioctl.h>

/**
 * DOC: General ioctl format
 *
 * Every ioctl on /dev/ioasid, and every device-side ioctl below, takes a
 * pointer to a struct whose first __u32 is @size and whose second __u32 is
 * @flags.  @size is sizeof() the struct as userspace knows it.  The kernel
 * reads @size bytes:
 *
 *  - @size smaller than the first published version of the struct: EINVAL;
 *  - @size larger than the kernel's struct: the extra bytes must be zero,
 *    otherwise E2BIG (a newer field the kernel does not know was used);
 *  - @size larger than the page size: E2BIG;
 *  - flag bits the kernel does not know, or a non-zero __reserved field:
 *    EOPNOTSUPP.
 *
 * Outputs are written back for min(@size, kernel struct size) bytes.  A call
 * that fails changes nothing.
 *
 * The ioctl numbers carry no size or direction (_IO); the size travels in the
 * struct.  There is no version or check-extension ioctl: a new field shows up
 * as E2BIG on old kernels, a new flag as EOPNOTSUPP.
 *
 * Errno contract, common to all ioctls (an ioctl may document a more precise
 * meaning at its struct):
 *
 * ============  ===============================================================
 * ENOTTY        unknown ioctl number for this kind of fd
 * EINVAL        @size too small, or a malformed value (min > max, zero or
 *               unaligned length or address, fd of the wrong kind)
 * E2BIG         non-zero bytes past the end of the struct the kernel knows
 * EOPNOTSUPP    unknown flag, or a non-zero __reserved field
 * EFAULT        a user pointer cannot be read or written
 * EBADF         an fd field is not an open file
 * ENOENT        the PASID is not an IOASID of this fd (never allocated, already
 *               destroyed, or owned by another fd); no mapping or attachment
 *               matches the request
 * EEXIST        the request overlaps an existing mapping
 * EBUSY         the device, its IOMMU group or the PASID slot is in use
 * ERANGE        a PASID or address outside what the PASID space, the device or
 *               its IOMMU can use
 * EMEDIUMTYPE   the device's IOMMU cannot execute this IOASID's translation
 * EDQUOT        a per-fd or per-user IOASID quota would be exceeded
 * ENOSPC        no free PASID (or IOVA) in the requested range
 * ENOMEM        out of memory, or pinning would exceed RLIMIT_MEMLOCK
 * EOVERFLOW     address + length wraps around
 * ============  ===============================================================
 */

#define IOASID_TYPE	0xBA

enum {
	IOASID_CMD_GET_INFO = 0x00,
	IOASID_CMD_ALLOC = 0x01,
	IOASID_CMD_DESTROY = 0x02,
	IOASID_CMD_MAP = 0x03,
	IOASID_CMD_UNMAP = 0x04,
	IOASID_CMD_FAULT_QUEUE_ALLOC = 0x05,
	IOASID_CMD_SET_FAULT_QUEUE = 0x06,
	IOASID_CMD_NESTED_BIND = 0x07,
	IOASID_CMD_NESTED_INVALIDATE = 0x08,
	IOASID_CMD_SVA_BIND = 0x09,
	IOASID_CMD_SVA_PREFAULT = 0x0a,
	/* 0x0b - 0x3f: reserved for /dev/ioasid commands */
	IOASID_CMD_DEVICE_GET_INFO = 0x40,
	IOASID_CMD_DEVICE_ALLOW = 0x41,
	IOASID_CMD_DEVICE_DISALLOW = 0x42,
	/* 0x43 - 0x7f: reserved for device-side commands */
	IOASID_CMD_FAULT_RESPOND = 0x80,
	IOASID_CMD_FAULT_QUEUE_INFO = 0x81,
	/* 0x82 - 0xbf: reserved for fault queue fd commands */
	/* 0xc0 - 0xff: test-only commands, see ioasidfd_test.h */
};

/* The system PASID space (PCIe: 20 bits).  PASID 0 is never handed out. */
#define IOASID_PASID_BITS	20
#define IOASID_PASID_MIN	1U
#define IOASID_PASID_MAX	((1U << IOASID_PASID_BITS) - 1)

/**
 * struct ioasid_info_cap_header - header of one capability in a GET_INFO chain
 * @id: IOASID_INFO_CAP_*
 * @version: version of the capability layout, starting at 1
 * @next: offset of the next capability from the start of the capability
 *        buffer, or 0 for the last one
 *
 * Capabilities are 8-byte aligned.  A reader skips ids it does not know.
 */
struct ioasid_info_cap_header {
	__u16 id;
	__u16 version;
	__u32 next;
};

/**
 * struct ioasid_info - IOASID_GET_INFO
 * @size: sizeof(struct ioasid_info)
 * @flags: IOASID_INFO_PASID: also report on the IOASID named by @pasid
 * @pasid: in: the IOASID to report on, with IOASID_INFO_PASID; else 0
 * @caps_len: in: bytes available at @caps_uptr; out: bytes the whole
 *            capability chain needs
 * @caps_uptr: user buffer that receives the capability chain
 * @__reserved: must be 0
 * @out_caps_written: bytes of the chain actually written (0 when @caps_len
 *                    was too small for it: call again with a larger buffer)
 *
 * Everything GET_INFO reports is a capability, so later versions can add to
 * it.  The chain is VFIO-style (struct ioasid_info_cap_header, @next offsets)
 * but lives in its own buffer, so that the fixed struct keeps the
 * size/E2BIG rules of every other ioctl.
 *
 * Capabilities always present: IOASID_INFO_CAP_PASID, IOASID_INFO_CAP_QUOTA,
 * IOASID_INFO_CAP_MODES.  With IOASID_INFO_PASID also IOASID_INFO_CAP_IOAS
 * and IOASID_INFO_CAP_IOVA_RANGES.  ENOENT if @pasid is not an IOASID of this
 * fd.
 */
struct ioasid_info {
	__u32 size;
	__u32 flags;
#define IOASID_INFO_PASID		(1U << 0)
	__u32 pasid;
	__u32 caps_len;
	__aligned_u64 caps_uptr;
	__u32 __reserved;
	__u32 out_caps_written;
};

#define IOASID_GET_INFO		_IO(IOASID_TYPE, IOASID_CMD_GET_INFO)

#define IOASID_INFO_CAP_PASID		1
#define IOASID_INFO_CAP_QUOTA		2
#define IOASID_INFO_CAP_MODES		3
#define IOASID_INFO_CAP_IOAS		4
#define IOASID_INFO_CAP_IOVA_RANGES	5
#define IOASID_INFO_CAP_NESTED		6
#define IOASID_INFO_CAP_NESTED_IOAS	7

/**
 * struct ioasid_info_cap_pasid - the PASID space this fd allocates from
 * @header: id IOASID_INFO_CAP_PASID, version 1
 * @pasid_bits: width of the system PASID space
 * @pasid_min: lowest PASID ALLOC can return
 * @pasid_max: highest PASID ALLOC can return
 * @flags: IOASID_CAP_PASID_SYSTEM: PASIDs come from the kernel's own
 *         allocator (shared with SVA); otherwise the kernel has no PASID
 *         allocator and the module keeps the space itself
 */
struct ioasid_info_cap_pasid {
	struct ioasid_info_cap_header header;
	__u32 pasid_bits;
	__u32 pasid_min;
	__u32 pasid_max;
	__u32 flags;
#define IOASID_CAP_PASID_SYSTEM		(1U << 0)
};

/**
 * struct ioasid_info_cap_quota - IOASID quotas and current use
 * @header: id IOASID_INFO_CAP_QUOTA, version 1
 * @max_per_fd: most PASIDs one fd may hold (live and parked)
 * @max_per_user: most PASIDs all fds of one user may hold
 * @nr_fd: PASIDs this fd holds now, parked ones included
 * @nr_user: PASIDs the calling fd's user holds now
 */
struct ioasid_info_cap_quota {
	struct ioasid_info_cap_header header;
	__u32 max_per_fd;
	__u32 max_per_user;
	__u32 nr_fd;
	__u32 nr_user;
};

/* Translation modes of an IOASID */
#define IOASID_MODE_NONE	0	/* allocated, translates nothing */
#define IOASID_MODE_IOVA	1	/* IOVA map of pinned user memory */
#define IOASID_MODE_NESTED	2	/* guest stage-1 over a stage-2 parent */
#define IOASID_MODE_SVA		3	/* a process address space */

/* Executors: what runs a device's translation */
#define IOASID_EXEC_IOMMU_API	1	/* kernel IOMMU API, RID granularity */
#define IOASID_EXEC_SOFTWARE	2	/* the module's software IOMMU */

/* IOMMU families */
#define IOASID_FAMILY_OTHER	0
#define IOASID_FAMILY_VTD	1
#define IOASID_FAMILY_SMMUV3	2
#define IOASID_FAMILY_SOFTWARE	3

/* Nested stage-1 formats (bit numbers of the nested_formats bitmaps) */
#define IOASID_NESTED_FMT_VTD_FS	1	/* Intel VT-d first stage */
#define IOASID_NESTED_FMT_SMMUV3	2	/* Arm SMMUv3 stage 1 (CD table) */

/**
 * struct ioasid_info_cap_modes - what this kernel and module can do
 * @header: id IOASID_INFO_CAP_MODES, version 1
 * @modes: bitmap of (1 << IOASID_MODE_*) an IOASID can be given
 * @executors: bitmap of (1 << IOASID_EXEC_*) available
 * @nested_formats: bitmap of nested stage-1 formats accepted (0: none)
 * @__reserved: 0
 *
 * A device may support less; IOASID_DEVICE_GET_INFO tells per device.
 */
struct ioasid_info_cap_modes {
	struct ioasid_info_cap_header header;
	__u32 modes;
	__u32 executors;
	__u32 nested_formats;
	__u32 __reserved;
};

/* struct ioasid_info_cap_nested::vtd_flags */
#define IOASID_NESTED_VTD_5LVL		(1U << 0)	/* FSPM 01b: 5-level (CAP.FL5LP) */
#define IOASID_NESTED_VTD_1G		(1U << 1)	/* 1 GiB first-stage pages (CAP.FL1GP) */
#define IOASID_NESTED_VTD_SRS		(1U << 2)	/* SRE may be set (ECAP.SRS) */
#define IOASID_NESTED_VTD_EAFS		(1U << 3)	/* EAFE may be set (ECAP.EAFS) */
#define IOASID_NESTED_VTD_PT		(1U << 4)	/* PGTT 100b: pass-through (ECAP.PT) */

/* struct ioasid_info_cap_nested::smmu_flags */
#define IOASID_NESTED_SMMU_CD2L		(1U << 0)	/* 2-level CD tables (IDR0.CD2L) */
#define IOASID_NESTED_SMMU_RIL		(1U << 1)	/* range invalidation (IDR3.RIL) */
#define IOASID_NESTED_SMMU_ASID16	(1U << 2)	/* 16-bit ASIDs (IDR0.ASID16) */
#define IOASID_NESTED_SMMU_HA		(1U << 3)	/* CD.HA: hardware access flag */
#define IOASID_NESTED_SMMU_HD		(1U << 4)	/* CD.HD: hardware dirty state */

/* struct ioasid_info_cap_nested::smmu_granules */
#define IOASID_NESTED_SMMU_GRAN_4K	(1U << 0)
#define IOASID_NESTED_SMMU_GRAN_16K	(1U << 1)
#define IOASID_NESTED_SMMU_GRAN_64K	(1U << 2)

/**
 * struct ioasid_info_cap_nested - what nested binds this module accepts
 * @header: id IOASID_INFO_CAP_NESTED, version 1
 * @formats: bitmap of (1 << IOASID_NESTED_FMT_*) that IOASID_NESTED_BIND takes
 * @vtd_flags: IOASID_NESTED_VTD_*: PASID-entry features a guest may use
 * @vtd_haw: width of the guest-physical addresses in VT-d entries (FSPTPTR,
 *           paging entries); bits above are reserved
 * @vtd_mamv: largest address mask (AM) of a page-selective P_IOTLB
 * @smmu_ssid_bits: SSIDSIZE: the largest STE.S1CDMax accepted
 * @smmu_ias: input (IPA) size of S1ContextPtr, L1CD and CD TTBx, in bits
 * @smmu_oas: largest CD.IPS, as an address width in bits
 * @__reserved: 0
 * @smmu_flags: IOASID_NESTED_SMMU_*
 * @smmu_granules: IOASID_NESTED_SMMU_GRAN_* a CD may select
 *
 * These are the module's widest capabilities.  A device's executor may run
 * less: IOASID_DEVICE_GET_INFO tells which formats, and ALLOW refuses an
 * IOASID whose bound entry needs more with EMEDIUMTYPE.
 */
struct ioasid_info_cap_nested {
	struct ioasid_info_cap_header header;
	__u32 formats;
	__u32 vtd_flags;
	__u8 vtd_haw;
	__u8 vtd_mamv;
	__u8 smmu_ssid_bits;
	__u8 smmu_ias;
	__u8 smmu_oas;
	__u8 __reserved[3];
	__u32 smmu_flags;
	__u32 smmu_granules;
};

/**
 * struct ioasid_info_cap_nested_ioas - a nested IOASID (with IOASID_INFO_PASID)
 * @header: id IOASID_INFO_CAP_NESTED_IOAS, version 1
 * @parent_pasid: the stage-2 IOASID
 * @format: IOASID_NESTED_FMT_*
 * @iotlb_hits: software IOTLB lookups that hit (software executor)
 * @iotlb_misses: lookups that walked the guest tables
 * @iotlb_entries: translations cached now
 * @ctx_entries: PASID-entry / CD cache entries now
 * @shadow_runs: shadow paging (kernel IOMMU API executor): runs of guest
 *               translations mapped into the IOMMU's page tables, as the
 *               reverse map records them (0 without such a device)
 * @shadow_tables: guest table pages the shadow's reverse map records
 * @shadow_bytes: input bytes the shadow maps
 * @shadow_huge_2m: 2 MiB-aligned chunks of the shadow that are physically
 *                  contiguous: the IOMMU maps them with 2 MiB pages
 * @shadow_skipped_s2: guest pages not shadowed: their guest-physical page
 *                     is outside stage 2 (a device access there faults)
 * @shadow_skipped_range: guest pages not shadowed: outside the usable IOVA
 *                        ranges (the aperture, reserved regions)
 * @shadow_skipped_access: guest pages not shadowed: no right left with both
 *                         stages together, or the leaf faults every access
 * @shadow_skipped_limit: guest pages not shadowed: the record bound
 *                        (module parameter shadow_max_records) or memory
 * @shadow_skipped_tables: guest table pages outside stage 2
 * @shadow_mem: bytes of kernel memory the shadow's reverse map takes
 *
 * Present only for an IOASID in IOASID_MODE_NESTED.  The skipped counts add
 * up over every walk of the shadow since the bind.
 */
struct ioasid_info_cap_nested_ioas {
	struct ioasid_info_cap_header header;
	__u32 parent_pasid;
	__u32 format;
	__aligned_u64 iotlb_hits;
	__aligned_u64 iotlb_misses;
	__u32 iotlb_entries;
	__u32 ctx_entries;
	__aligned_u64 shadow_runs;
	__aligned_u64 shadow_tables;
	__aligned_u64 shadow_bytes;
	__aligned_u64 shadow_huge_2m;
	__aligned_u64 shadow_skipped_s2;
	__aligned_u64 shadow_skipped_range;
	__aligned_u64 shadow_skipped_access;
	__aligned_u64 shadow_skipped_limit;
	__aligned_u64 shadow_skipped_tables;
	__aligned_u64 shadow_mem;
};

/* IOASID states */
#define IOASID_STATE_LIVE	1	/* usable through this fd */

/**
 * struct ioasid_info_cap_ioas - one IOASID
 * @header: id IOASID_INFO_CAP_IOAS, version 1
 * @pasid: the IOASID's PASID
 * @state: IOASID_STATE_*
 * @mode: IOASID_MODE_*
 * @nr_attach: device attachments holding the IOASID
 * @nr_mappings: IOVA mappings (IOASID_MODE_IOVA)
 * @__reserved: 0
 * @mapped_bytes: bytes of IOVA space mapped
 */
struct ioasid_info_cap_ioas {
	struct ioasid_info_cap_header header;
	__u32 pasid;
	__u32 state;
	__u32 mode;
	__u32 nr_attach;
	__u32 nr_mappings;
	__u32 __reserved;
	__aligned_u64 mapped_bytes;
};

/**
 * struct ioasid_iova_range - an inclusive IOVA range
 * @start: first usable IOVA
 * @last: last usable IOVA
 */
struct ioasid_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct ioasid_info_cap_iova_ranges - IOVAs an IOASID can map now
 * @header: id IOASID_INFO_CAP_IOVA_RANGES, version 1
 * @nr_ranges: entries in @ranges
 * @__reserved: 0
 * @ranges: sorted, disjoint usable ranges: the intersection of the apertures
 *          of the attached devices' IOMMUs, minus their groups' reserved
 *          regions (for example the x86 MSI window 0xfee00000-0xfeefffff).
 *          With nothing attached, the whole 64-bit space.
 */
struct ioasid_info_cap_iova_ranges {
	struct ioasid_info_cap_header header;
	__u32 nr_ranges;
	__u32 __reserved;
	struct ioasid_iova_range ranges[];
};

/**
 * struct ioasid_alloc - IOASID_ALLOC
 * @size: sizeof(struct ioasid_alloc)
 * @flags: IOASID_ALLOC_RANGE: allocate within [@min_pasid, @max_pasid]
 * @min_pasid: lowest acceptable PASID (IOASID_ALLOC_RANGE), else 0
 * @max_pasid: highest acceptable PASID (IOASID_ALLOC_RANGE), else 0
 * @out_pasid: the new IOASID's PASID
 * @__reserved: must be 0
 *
 * Allocates a PASID for the caller from the system PASID allocator and
 * creates an IOASID for it in this fd, in IOASID_MODE_NONE.  Use a range when
 * the devices that will use it issue fewer than 20 PASID bits.
 *
 * Errors: EINVAL if @min_pasid > @max_pasid; ERANGE if the range leaves
 * [IOASID_PASID_MIN, IOASID_PASID_MAX]; EDQUOT if the fd or the user is at
 * its quota; ENOSPC if every PASID in the range is taken.
 */
struct ioasid_alloc {
	__u32 size;
	__u32 flags;
#define IOASID_ALLOC_RANGE		(1U << 0)
	__u32 min_pasid;
	__u32 max_pasid;
	__u32 out_pasid;
	__u32 __reserved;
};

#define IOASID_ALLOC		_IO(IOASID_TYPE, IOASID_CMD_ALLOC)

/**
 * struct ioasid_destroy - IOASID_DESTROY
 * @size: sizeof(struct ioasid_destroy)
 * @flags: must be 0
 * @pasid: the IOASID to destroy
 * @__reserved: must be 0
 *
 * Removes the IOASID from this fd and wipes its translation before
 * returning: every mapping is removed and unpinned, and DMA of devices still
 * attached to it faults from then on.  The PASID stays parked (not handed out
 * again) until every device attachment has been dropped, then it returns to
 * the allocator.  ENOENT if @pasid is not an IOASID of this fd.
 */
struct ioasid_destroy {
	__u32 size;
	__u32 flags;
	__u32 pasid;
	__u32 __reserved;
};

#define IOASID_DESTROY		_IO(IOASID_TYPE, IOASID_CMD_DESTROY)

/**
 * struct ioasid_map - IOASID_MAP
 * @size: sizeof(struct ioasid_map)
 * @flags: IOASID_MAP_READ, IOASID_MAP_WRITE (device access rights; at least
 *         one), IOASID_MAP_FIXED_IOVA (use @iova; else the kernel picks one)
 * @pasid: the IOASID
 * @__reserved: must be 0
 * @user_va: start of the user memory, page aligned
 * @length: bytes, a non-zero multiple of the page size
 * @iova: in: the IOVA with IOASID_MAP_FIXED_IOVA, else 0; out: the IOVA
 *        used.  The kernel picks the lowest free IOVA aligned like @user_va
 *        (up to 1 GiB, so huge pages stay huge), never 0
 *
 * Pins the memory, charges it to RLIMIT_MEMLOCK of the caller's mm (ENOMEM
 * past the limit, unless the caller has CAP_IPC_LOCK) and maps it into every
 * IOMMU domain the IOASID uses.  Physically contiguous runs are mapped with
 * the largest page sizes the IOMMU allows.  The IOASID becomes
 * IOASID_MODE_IOVA.  Errors: EEXIST if the IOVA range overlaps a mapping;
 * ERANGE if it is not inside the usable IOVA ranges (see
 * IOASID_INFO_CAP_IOVA_RANGES); ENOSPC if the kernel finds no free IOVA;
 * EMEDIUMTYPE if the IOASID already has another mode; EINVAL for a length
 * over 2^28 pages (1 TiB with 4 KiB pages: map more in several calls).
 */
struct ioasid_map {
	__u32 size;
	__u32 flags;
#define IOASID_MAP_READ			(1U << 0)
#define IOASID_MAP_WRITE		(1U << 1)
#define IOASID_MAP_FIXED_IOVA		(1U << 2)
	__u32 pasid;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOASID_MAP		_IO(IOASID_TYPE, IOASID_CMD_MAP)

/**
 * struct ioasid_unmap - IOASID_UNMAP
 * @size: sizeof(struct ioasid_unmap)
 * @flags: IOASID_UNMAP_ALL: unmap everything (@iova and @length must be 0)
 * @pasid: the IOASID
 * @__reserved: must be 0
 * @iova: start of the range
 * @length: in: bytes of the range; out: bytes unmapped
 *
 * Unmaps every mapping inside [@iova, @iova + @length) and unpins its memory.
 * Mappings are never split: a range that cuts through a mapping is refused
 * with EINVAL and nothing is unmapped.  ENOENT if the range holds no mapping,
 * except with IOASID_UNMAP_ALL, which succeeds with @length 0.
 */
struct ioasid_unmap {
	__u32 size;
	__u32 flags;
#define IOASID_UNMAP_ALL		(1U << 0)
	__u32 pasid;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
};

#define IOASID_UNMAP		_IO(IOASID_TYPE, IOASID_CMD_UNMAP)

/**
 * DOC: Nested translation
 *
 * A nested IOASID translates in two stages, like an IOMMU that nests: stage 1
 * is a guest's own I/O page table, in a hardware format, whose table pointers
 * and output addresses are guest-physical (GPA); stage 2 is an IOVA-mode
 * IOASID of the same fd, the *parent*, whose IOVA space is the guest-physical
 * space (IOASID_MAP of the guest's memory at its GPAs).  Every stage-1 table
 * read and every stage-1 output goes through stage 2; the rights of a page
 * are those of both stages together.
 *
 * IOASID_NESTED_BIND gives an IOASID in IOASID_MODE_NONE its stage 1 in the
 * hardware's own encoding, exactly as the guest wrote it:
 *
 *  - IOASID_NESTED_FMT_VTD_FS: one scalable-mode PASID-table entry (512 bits,
 *    VT-d 5.10 §9.6), struct ioasid_nested_vtd.  Devices attached to the
 *    IOASID at a PASID translate the requests carrying that PASID through
 *    it; a RID attachment translates requests without PASID (the entry the
 *    context entry's RID_PASID selects).
 *  - IOASID_NESTED_FMT_SMMUV3: the dwords 0-1 of one Stream Table Entry
 *    (SMMUv3 §5.2), struct ioasid_nested_smmuv3.  Its CD table lives in guest
 *    memory and is read through stage 2 when a request needs it.  Devices
 *    attach to it at RID (one STE is one stream); requests carrying a PASID
 *    use it as their SubstreamID.
 *
 * The entry is validated the way the hardware does (see
 * Documentation/userspace-api/ioasid.rst for every rule and its section):
 * reserved bits, reserved encodings and features that
 * IOASID_INFO_CAP_NESTED does not advertise are EINVAL.
 *
 * The guest's cache invalidations reach the kernel through
 * IOASID_NESTED_INVALIDATE, again in the hardware's encoding.  A change the
 * guest makes to its tables (or CDs) is guaranteed to be seen only after the
 * invalidation the hardware requires for it.
 */

/**
 * struct ioasid_nested_vtd - IOASID_NESTED_FMT_VTD_FS bind data
 * @pasid_entry: the guest's scalable-mode PASID-table entry, little-endian
 *               64-bit words, bit N of the entry in word N / 64
 */
struct ioasid_nested_vtd {
	__aligned_u64 pasid_entry[8];
};

/**
 * struct ioasid_nested_smmuv3 - IOASID_NESTED_FMT_SMMUV3 bind data
 * @ste: dwords 0 and 1 of the guest's Stream Table Entry, little-endian
 */
struct ioasid_nested_smmuv3 {
	__aligned_u64 ste[2];
};

/**
 * struct ioasid_nested_bind - IOASID_NESTED_BIND
 * @size: sizeof(struct ioasid_nested_bind)
 * @flags: IOASID_NESTED_BIND_REPLACE: the IOASID is nested already, over
 *         @parent_pasid in @format: replace its entry, atomically for devices
 *         attached to it (the VMM relays a guest's change of the PASID entry
 *         or STE); IOASID_NESTED_UNBIND: make a nested IOASID without
 *         attachments IOASID_MODE_NONE again (every other field 0)
 * @pasid: the IOASID
 * @parent_pasid: an IOASID of the same fd in IOASID_MODE_IOVA (or NONE, it
 *                becomes IOVA): stage 2
 * @format: IOASID_NESTED_FMT_*
 * @data_len: sizeof the format's struct
 * @data_uptr: the format's struct (struct ioasid_nested_vtd, ...)
 *
 * Errors: ENOENT if @pasid or @parent_pasid is not an IOASID of this fd;
 * EINVAL if the parent is the IOASID itself or is nested, if @data_len is
 * not the format's size, or if the entry is not valid (the rules of
 * Documentation/userspace-api/ioasid.rst); EOPNOTSUPP for an unknown
 * @format; EMEDIUMTYPE if the IOASID has another mode (or, with REPLACE,
 * another parent or format); EBUSY to UNBIND an IOASID devices are
 * attached to, or to bind an IOASID that is attached (bind first, then
 * ALLOW).  While an IOASID has nested children, IOASID_DESTROY of it is EBUSY.
 */
struct ioasid_nested_bind {
	__u32 size;
	__u32 flags;
#define IOASID_NESTED_BIND_REPLACE	(1U << 0)
#define IOASID_NESTED_UNBIND		(1U << 1)
	__u32 pasid;
	__u32 parent_pasid;
	__u32 format;
	__u32 data_len;
	__aligned_u64 data_uptr;
};

#define IOASID_NESTED_BIND	_IO(IOASID_TYPE, IOASID_CMD_NESTED_BIND)

/* struct ioasid_nested_invalidate::out_error */
/*
 * ILLEGAL: a command a guest may not issue, or an unknown one (like SMMUv3's
 * CERROR_ILL or VT-d's invalidation queue error); MALFORMED: a reserved
 * field or encoding is set.
 */
#define IOASID_INV_ERROR_NONE		0
#define IOASID_INV_ERROR_ILLEGAL	1
#define IOASID_INV_ERROR_MALFORMED	2

/* Most entries in one IOASID_NESTED_INVALIDATE */
#define IOASID_NESTED_INV_MAX		4096

/**
 * struct ioasid_nested_invalidate - IOASID_NESTED_INVALIDATE
 * @size: sizeof(struct ioasid_nested_invalidate)
 * @flags: must be 0
 * @pasid: a nested IOASID
 * @entry_len: bytes per entry: 32 for IOASID_NESTED_FMT_VTD_FS (a 256-bit
 *             queued-invalidation descriptor; a 128-bit one zero-extended),
 *             16 for IOASID_NESTED_FMT_SMMUV3 (one command-queue command)
 * @entry_num: entries at @entries_uptr, 1 to IOASID_NESTED_INV_MAX
 * @entries_uptr: the guest's descriptors or commands, as the guest wrote them
 * @out_done: entries applied
 * @out_error: IOASID_INV_ERROR_* of entry @out_done when the call fails
 * @__reserved: must be 0
 *
 * Applies the entries in order, each completely before the next, like the
 * hardware's queue: when the call returns, every translation the applied
 * entries removed is gone from every cache of the IOASID.  At the first
 * entry that is malformed or that a guest may not issue, the call stops
 * and fails with EINVAL: entries before it stay applied, nothing at or
 * after it is, and @out_done and @out_error say where and why (unlike other
 * ioctls, these outputs are written back on that failure).  Which commands
 * are accepted, and what each does, is in
 * Documentation/userspace-api/ioasid.rst.  Other errors (ENOENT, EINVAL for
 * @entry_len or @entry_num, EFAULT) change nothing.
 */
struct ioasid_nested_invalidate {
	__u32 size;
	__u32 flags;
	__u32 pasid;
	__u32 entry_len;
	__u32 entry_num;
	__u32 out_done;
	__aligned_u64 entries_uptr;
	__u32 out_error;
	__u32 __reserved;
};

#define IOASID_NESTED_INVALIDATE _IO(IOASID_TYPE, IOASID_CMD_NESTED_INVALIDATE)

/**
 * DOC: Shared virtual addressing (SVA)
 *
 * An IOASID in IOASID_MODE_SVA translates with a process address space (an
 * mm): device addresses are the process's virtual addresses, and what a
 * device reaches is what the process maps there, with the process's rights.
 * The mm is the caller's own, or another process's that the caller may
 * ptrace-attach to: the caller passes an fd of /proc/PID/mem that it opened
 * for reading and writing (the kernel opens it only under its
 * PTRACE_MODE_ATTACH check with the opener's filesystem credentials, LSMs
 * included; whoever holds the fd may bind).  The binding holds the mm, not
 * the task: when the process exits (or execs) DMA stops.
 *
 * Executors:
 *  - the software IOMMU walks the mm per access; a missing page or a write
 *    to a read-only one is an I/O page fault resolved the way the CPU
 *    resolves it (the page is faulted in, copy-on-write is broken, VMA
 *    rights, mlock and userfaultfd apply), and an access the process could
 *    not make itself faults (a fault record);
 *  - the kernel IOMMU API executor mirrors the mm into the device's domain
 *    at IOVA = VA: IOASID_SVA_PREFAULT maps what the process maps now, an
 *    MMU notifier unmaps (IOTLB flushed) before the CPU's mapping goes away
 *    or loses a right.  Mirrored pages are not pinned (nothing is charged
 *    to RLIMIT_MEMLOCK): after an invalidation (munmap, mprotect, COW,
 *    migration, reclaim, madvise(DONTNEED), ...) the device faults there
 *    until the next prefault.  Virtual addresses outside the usable IOVA
 *    ranges (the MSI window, beyond the aperture) cannot be reached;
 *  - hardware SVA (iommu_sva_bind_device()) is never used: Debian's 6.1
 *    refuses it on x86 and its arm64 kernel lacks SMMUv3 SVA.
 */

/**
 * struct ioasid_sva_bind - IOASID_SVA_BIND
 * @size: sizeof(struct ioasid_sva_bind)
 * @flags: IOASID_SVA_BIND_FOREIGN: bind the mm of @mm_fd (else the
 *         caller's own, and @mm_fd must be -1); IOASID_SVA_UNBIND: end the
 *         binding of an IOASID no device is attached to (@mm_fd -1, no
 *         range)
 * @pasid: an IOASID in IOASID_MODE_NONE
 * @mm_fd: with IOASID_SVA_BIND_FOREIGN, an fd of /proc/PID/mem opened
 *         O_RDWR; else -1
 * @__reserved: must be 0
 *
 * Errors: EBADF if @mm_fd is not open; EINVAL if it is not a /proc/PID/mem
 * fd (or -1 is missing); EPERM if it was not opened for writing; ESRCH if
 * the process has exited; EMEDIUMTYPE if the IOASID has another mode (or,
 * to unbind, is not SVA); EBUSY if devices are attached (bind first, then
 * ALLOW; unbind after DISALLOW).
 */
struct ioasid_sva_bind {
	__u32 size;
	__u32 flags;
#define IOASID_SVA_BIND_FOREIGN		(1U << 0)
#define IOASID_SVA_UNBIND		(1U << 1)
	__u32 pasid;
	__s32 mm_fd;
	__aligned_u64 __reserved;
};

#define IOASID_SVA_BIND		_IO(IOASID_TYPE, IOASID_CMD_SVA_BIND)

/**
 * struct ioasid_sva_prefault - IOASID_SVA_PREFAULT
 * @size: sizeof(struct ioasid_sva_prefault)
 * @flags: IOASID_SVA_PREFAULT_WRITE: fault the pages in for writing
 *         (copy-on-write broken, the device may write), else for reading
 * @pasid: an IOASID in IOASID_MODE_SVA
 * @__reserved: must be 0
 * @va: first virtual address, page aligned
 * @length: bytes, a non-zero multiple of the page size
 * @out_mapped: bytes now mirrored into the IOASID's IOMMU domains
 * @out_skipped: bytes not mirrored because they are outside the usable
 *               IOVA ranges
 *
 * Faults the range in, the way the CPU would for the process (EFAULT if a
 * page cannot be: not mapped, or not writable for a write prefault), and
 * mirrors it into the IOMMU domains the IOASID holds for the kernel IOMMU
 * API executor: those of the devices attached through it, and one kept
 * idle after the last such DISALLOW (kept in sync, for the next ALLOW).
 * Before any such device was attached, only the faulting is done.
 * Errors: EINVAL for an unaligned or empty range; EOVERFLOW if it
 * wraps; ENOENT for an unknown IOASID; EMEDIUMTYPE if it is not SVA;
 * ESRCH if the process has exited; ENOMEM.
 */
struct ioasid_sva_prefault {
	__u32 size;
	__u32 flags;
#define IOASID_SVA_PREFAULT_WRITE	(1U << 0)
	__u32 pasid;
	__u32 __reserved;
	__aligned_u64 va;
	__aligned_u64 length;
	__aligned_u64 out_mapped;
	__aligned_u64 out_skipped;
};

#define IOASID_SVA_PREFAULT	_IO(IOASID_TYPE, IOASID_CMD_SVA_PREFAULT)

/**
 * DOC: I/O fault queues
 *
 * A fault queue is an fd, allocated from a /dev/ioasid fd, that delivers a
 * record (struct ioasid_fault) for each translation fault of device DMA
 * through the IOASIDs routed to it (IOASID_SET_FAULT_QUEUE).  read(2) returns
 * whole records, blocking unless the fd is O_NONBLOCK; poll(2) reports
 * EPOLLIN while records are queued.  A buffer smaller than one record gets
 * EINVAL.
 *
 * A recoverable fault (the device can wait, as with PCIe PRI or an SMMU
 * stall) carries IOASID_FAULT_RECOVERABLE and an @id: the faulting access
 * waits until IOASID_FAULT_RESPOND answers it with IOASID_FAULT_RESP_RETRY
 * (translate again, e.g. after a MAP) or IOASID_FAULT_RESP_ABORT, or until
 * its timeout expires, or the queue is closed: both of which abort it.
 *
 * The queue holds at most @depth records.  A fault arriving at a full queue
 * is not queued: the overflow count grows, and a recoverable fault is aborted
 * at once.  The faulting path never waits for room.  A fault whose record
 * cannot be allocated is lost the same way.
 *
 * Which faults reach a queue: the software executor reports every fault.  On
 * the kernel IOMMU API executor, Linux 6.1's SMMUv3 driver reports
 * unrecoverable translation, permission and access faults to the module; its
 * VT-d driver only logs DMA faults, so none reach a queue on x86.
 */

/**
 * struct ioasid_fault_queue_alloc - IOASID_FAULT_QUEUE_ALLOC
 * @size: sizeof(struct ioasid_fault_queue_alloc)
 * @flags: must be 0
 * @depth: most records queued at once; 0 for the default (256), at most 4096
 *         (ERANGE above)
 * @out_fault_fd: the new fault queue fd (close-on-exec)
 * @__reserved: must be 0
 */
struct ioasid_fault_queue_alloc {
	__u32 size;
	__u32 flags;
	__u32 depth;
	__s32 out_fault_fd;
	__u32 __reserved;
};

#define IOASID_FAULT_QUEUE_ALLOC _IO(IOASID_TYPE, IOASID_CMD_FAULT_QUEUE_ALLOC)

/**
 * struct ioasid_set_fault_queue - IOASID_SET_FAULT_QUEUE
 * @size: sizeof(struct ioasid_set_fault_queue)
 * @flags: must be 0
 * @pasid: the IOASID
 * @fault_fd: a fault queue fd allocated from the same /dev/ioasid fd, or -1
 *            to stop routing the IOASID's faults anywhere
 * @__reserved: must be 0
 *
 * Errors: EBADF if @fault_fd is not open; EINVAL if it is not a fault queue
 * of this /dev/ioasid fd; ENOENT for an unknown @pasid.
 */
struct ioasid_set_fault_queue {
	__u32 size;
	__u32 flags;
	__u32 pasid;
	__s32 fault_fd;
	__u32 __reserved;
};

#define IOASID_SET_FAULT_QUEUE	_IO(IOASID_TYPE, IOASID_CMD_SET_FAULT_QUEUE)

/* struct ioasid_fault::reason */
#define IOASID_FAULT_REASON_UNMAPPED	1	/* no translation for the address */
#define IOASID_FAULT_REASON_PERMISSION	2	/* translation lacks the access */
#define IOASID_FAULT_REASON_OTHER	3	/* reported by the IOMMU, other */
#define IOASID_FAULT_REASON_ACCESS_FLAG	4	/* SMMU: access flag clear (F_ACCESS) */
#define IOASID_FAULT_REASON_ADDR_SIZE	5	/* an address beyond the output size */
#define IOASID_FAULT_REASON_NON_CANONICAL 6	/* input outside the table's range */
#define IOASID_FAULT_REASON_RESERVED	7	/* a reserved bit set in a paging entry */
#define IOASID_FAULT_REASON_BAD_CONTEXT	8	/* VT-d PASID entry / SMMU STE or CD not valid */
#define IOASID_FAULT_REASON_BAD_SUBSTREAM 9	/* SMMU C_BAD_SUBSTREAMID */
#define IOASID_FAULT_REASON_STREAM_DISABLED 10	/* SMMU F_STREAM_DISABLED */

/**
 * struct ioasid_fault - a fault record, read(2) from a fault queue fd
 * @size: sizeof(struct ioasid_fault) of the kernel writing it
 * @flags: IOASID_FAULT_RECOVERABLE: the access waits for a response;
 *         IOASID_FAULT_PASID_VALID: the request carried a PASID (else it was
 *         a request without PASID, translated by a RID attachment);
 *         IOASID_FAULT_READ / IOASID_FAULT_WRITE: the access attempted
 * @pasid: PASID of the IOASID that translated (and faulted)
 * @reason: IOASID_FAULT_REASON_*
 * @id: with IOASID_FAULT_RECOVERABLE, the handle to respond to; else 0
 * @seq: sequence number of the fault in this queue, from 0; a gap means
 *       records were lost to overflow
 * @cookie: the cookie given to IOASID_DEVICE_ALLOW for the attachment
 * @addr: the faulting address (the page of it for the software executor)
 * @wire_pasid: with IOASID_FAULT_PASID_VALID, the PASID (SubstreamID) the
 *              request carried, which is not @pasid when the device was
 *              allowed at another wire PASID or for an SMMUv3-format nested
 *              IOASID; else 0
 * @stage: 0 for an IOASID that is not nested; else the stage that faulted,
 *         1 (the guest's table) or 2 (the parent)
 * @level: with @stage, the table level of the entry that faulted (the
 *         format's own numbering: VT-d 5 (PML5) .. 1 (PT), SMMU 0 .. 3)
 * @__reserved: 0
 * @stage2_addr: with @stage 2, the guest-physical address that stage 2
 *               could not translate (with IOASID_FAULT_TABLE_WALK, the
 *               address of the stage-1 table entry, CD or L1CD being read)
 */
struct ioasid_fault {
	__u32 size;
	__u32 flags;
#define IOASID_FAULT_RECOVERABLE	(1U << 0)
#define IOASID_FAULT_PASID_VALID	(1U << 1)
#define IOASID_FAULT_READ		(1U << 2)
#define IOASID_FAULT_WRITE		(1U << 3)
#define IOASID_FAULT_PRIV		(1U << 4)	/* a privileged (supervisor) request */
#define IOASID_FAULT_TABLE_WALK		(1U << 5)	/* stage 2, on a stage-1 table */
	__u32 pasid;
	__u32 reason;
	__u32 id;
	__u32 seq;
	__aligned_u64 cookie;
	__aligned_u64 addr;
	__u32 wire_pasid;
	__u8 stage;
	__u8 level;
	__u16 __reserved;
	__aligned_u64 stage2_addr;
};

/**
 * struct ioasid_fault_respond - IOASID_FAULT_RESPOND, on a fault queue fd
 * @size: sizeof(struct ioasid_fault_respond)
 * @flags: must be 0
 * @id: the @id of a recoverable fault record
 * @code: IOASID_FAULT_RESP_RETRY or IOASID_FAULT_RESP_ABORT
 *
 * ENOENT if @id is not waiting (never was, already answered, or timed out);
 * EINVAL for an unknown @code.
 */
struct ioasid_fault_respond {
	__u32 size;
	__u32 flags;
	__u32 id;
	__u32 code;
#define IOASID_FAULT_RESP_RETRY		1
#define IOASID_FAULT_RESP_ABORT		2
};

#define IOASID_FAULT_RESPOND	_IO(IOASID_TYPE, IOASID_CMD_FAULT_RESPOND)

/**
 * struct ioasid_fault_queue_info - IOASID_FAULT_QUEUE_INFO, on a fault queue fd
 * @size: sizeof(struct ioasid_fault_queue_info)
 * @flags: must be 0
 * @out_depth: the queue's capacity in records
 * @out_queued: records waiting to be read
 * @out_waiting: recoverable faults waiting for a response
 * @__reserved: 0
 * @out_overflow: faults lost because the queue was full (or the kernel had
 *                no memory for their record)
 * @out_total: faults delivered to the queue since it was allocated
 */
struct ioasid_fault_queue_info {
	__u32 size;
	__u32 flags;
	__u32 out_depth;
	__u32 out_queued;
	__u32 out_waiting;
	__u32 __reserved;
	__aligned_u64 out_overflow;
	__aligned_u64 out_total;
};

#define IOASID_FAULT_QUEUE_INFO	_IO(IOASID_TYPE, IOASID_CMD_FAULT_QUEUE_INFO)

/*
 * Device-side ioctls.  They are issued on a device fd (a VFIO device fd bound
 * to the ioasidfd-vfio-pci driver, or a software test device), never on
 * /dev/ioasid, which answers them with ENOTTY.
 */

/**
 * struct ioasid_device_info - IOASID_DEVICE_GET_INFO
 * @size: sizeof(struct ioasid_device_info)
 * @flags: must be 0
 * @out_executor: IOASID_EXEC_* that runs this device's translation
 * @out_family: IOASID_FAMILY_* of the device's IOMMU
 * @out_pasid_bits: PASID bits the device can be attached at (0: RID only)
 * @out_modes: bitmap of (1 << IOASID_MODE_*) this device can execute
 * @out_nested_formats: nested stage-1 formats this device can execute
 * @out_attach: IOASID_DEVICE_ATTACHED_RID if attached at RID now
 * @out_pgsize_bitmap: page sizes the device's IOMMU maps with
 * @out_aperture_start: lowest IOVA the IOMMU translates
 * @out_aperture_last: highest IOVA the IOMMU translates
 * @out_rid_pasid: PASID of the IOASID attached at RID (valid with
 *                 IOASID_DEVICE_ATTACHED_RID)
 * @out_nr_pasid_attach: number of PASID attachments
 * @out_sva: how the device can run an IOASID_MODE_SVA IOASID:
 *           IOASID_DEVICE_SVA_WALK (the software IOMMU walks the mm per
 *           access, faulting pages in), IOASID_DEVICE_SVA_MIRROR (at RID, a
 *           mirror of the mm in the device's IOMMU domain, filled by
 *           IOASID_SVA_PREFAULT)
 * @out_sva_hw_errno: the kernel's answer, at the device's registration, to
 *                    enabling hardware SVA for it (IOPF then SVA,
 *                    iommu_dev_enable_feature()): 0 if it would run, else
 *                    the positive errno (ENODEV for a software device,
 *                    which has no IOMMU).  The module never uses hardware
 *                    SVA (no kernel it targets runs it: Debian's 6.1 x86
 *                    refuses it, its arm64 kernel lacks SMMUv3 SVA), so
 *                    this is the reason, device by device
 */
struct ioasid_device_info {
	__u32 size;
	__u32 flags;
	__u32 out_executor;
	__u32 out_family;
	__u32 out_pasid_bits;
	__u32 out_modes;
	__u32 out_nested_formats;
	__u32 out_attach;
#define IOASID_DEVICE_ATTACHED_RID	(1U << 0)
	__aligned_u64 out_pgsize_bitmap;
	__aligned_u64 out_aperture_start;
	__aligned_u64 out_aperture_last;
	__u32 out_rid_pasid;
	__u32 out_nr_pasid_attach;
	__u32 out_sva;
#define IOASID_DEVICE_SVA_WALK		(1U << 0)
#define IOASID_DEVICE_SVA_MIRROR	(1U << 1)
	__u32 out_sva_hw_errno;
};

#define IOASID_DEVICE_GET_INFO	_IO(IOASID_TYPE, IOASID_CMD_DEVICE_GET_INFO)

/**
 * struct ioasid_device_allow - IOASID_DEVICE_ALLOW
 * @size: sizeof(struct ioasid_device_allow)
 * @flags: IOASID_DEVICE_PASID: attach at the IOASID's PASID (requests
 *         tagged with that PASID); otherwise attach at RID granularity
 *         (requests without PASID).  IOASID_DEVICE_WIRE_PASID (with
 *         IOASID_DEVICE_PASID): attach at @wire_pasid instead, the PASID
 *         the device's requests carry (a guest's PASID, for instance)
 * @ioasid_fd: an open /dev/ioasid fd
 * @pasid: an IOASID of @ioasid_fd
 * @cookie: reported in fault records for DMA through this attachment
 * @wire_pasid: with IOASID_DEVICE_WIRE_PASID, else 0
 * @__reserved: must be 0
 *
 * Authorises the device to DMA through the IOASID: the attachment takes a
 * reference on the IOASID and the device's IOMMU is programmed before the
 * call returns.  Errors: EBADF / EINVAL if @ioasid_fd is not an open
 * /dev/ioasid fd; ENOENT if @pasid is not an IOASID of it; EBUSY if the device
 * (or, at RID, its IOMMU group) is already attached at that granularity;
 * ERANGE if the device cannot issue @pasid (including devices without PASID
 * support), or if existing mappings fall outside what the device's IOMMU can
 * translate; EMEDIUMTYPE if the device's IOMMU cannot execute the IOASID's
 * translation.
 */
struct ioasid_device_allow {
	__u32 size;
	__u32 flags;
#define IOASID_DEVICE_PASID		(1U << 0)
#define IOASID_DEVICE_WIRE_PASID	(1U << 1)
	__s32 ioasid_fd;
	__u32 pasid;
	__aligned_u64 cookie;
	__u32 wire_pasid;
	__u32 __reserved;
};

#define IOASID_DEVICE_ALLOW	_IO(IOASID_TYPE, IOASID_CMD_DEVICE_ALLOW)

/**
 * struct ioasid_device_disallow - IOASID_DEVICE_DISALLOW
 * @size: sizeof(struct ioasid_device_disallow)
 * @flags: IOASID_DEVICE_PASID: the attachment at wire PASID @pasid (the
 *         IOASID's own PASID unless it was allowed with
 *         IOASID_DEVICE_WIRE_PASID); otherwise the RID attachment, which
 *         must be to the IOASID @pasid
 * @pasid: the wire PASID, or for the RID attachment the IOASID's PASID
 * @__reserved: must be 0
 *
 * Detaches and drops the attachment's reference.  DMA through it faults from
 * then on.  PASIDs are unique in the system, so no /dev/ioasid fd is needed:
 * this also works after the IOASID was destroyed or its fd closed, which is
 * how a parked PASID is released.  ENOENT if there is no such attachment.
 */
struct ioasid_device_disallow {
	__u32 size;
	__u32 flags;
	__u32 pasid;
	__u32 __reserved;
};

#define IOASID_DEVICE_DISALLOW	_IO(IOASID_TYPE, IOASID_CMD_DEVICE_DISALLOW)

/*
 * The VFIO IOMMU backend type that /dev/vfio/vfio containers select with
 * VFIO_SET_IOMMU to let /dev/ioasid drive their groups' IOMMU domains.
 */
#define IOASID_VFIO_IOMMU_TYPE	0x10A5

#endif /* _UAPI_LINUX_IOASIDFD_H */
