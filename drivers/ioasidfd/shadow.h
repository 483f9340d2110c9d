/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/ioasid: shadow paging of nested IOASIDs (shadow.c), for nested.c.
 */
#ifndef __IOASIDFD_SHADOW_H
#define __IOASIDFD_SHADOW_H

#include <linux/types.h>

struct ioasidfd_device;
struct ioasidfd_hwpt;
struct ioasidfd_iopt;
struct ioasidfd_ranges;
struct ioasidfd_s1_cfg;
struct ioasidfd_s2_walk;
struct ioasidfd_shadow;

/**
 * struct ioasidfd_shadow_stats - what a shadow holds and what it left out
 * @runs: shadowed runs (reverse-map records)
 * @tables: guest table pages recorded
 * @mapped_bytes: input bytes mapped into the page tables
 * @huge_2m: 2 MiB-aligned chunks of the runs now whose host pages are
 *           physically contiguous and aligned: what the IOMMU can map with
 *           2 MiB pages
 * @skipped_s2: guest pages left unmapped: their guest-physical page is
 *              outside stage 2
 * @skipped_range: guest pages left unmapped: outside the usable IOVA
 *                 ranges (aperture, reserved regions)
 * @skipped_access: guest pages left unmapped: no right left (both stages
 *                  together), or the leaf faults every access (SMMU access
 *                  flag, a stage-2 fault setting accessed/dirty state)
 * @skipped_limit: guest pages left unmapped by the record bound, or when
 *                 memory ran out
 * @skipped_tables: guest table pages the walks could not read (outside
 *                  stage 2): everything below them is unmapped
 * @bytes: memory of the reverse maps
 *
 * The skipped_* counts add up over every walk since the IOASID was bound.
 */
struct ioasidfd_shadow_stats {
	u64 runs;
	u64 tables;
	u64 mapped_bytes;
	u64 huge_2m;
	u64 skipped_s2;
	u64 skipped_range;
	u64 skipped_access;
	u64 skipped_limit;
	u64 skipped_tables;
	u64 bytes;
};

/* struct ioasidfd_shadow_src::kind */
enum {
	IOASIDFD_SHADOW_NONE,	/* nothing translates: nothing is mapped */
	IOASIDFD_SHADOW_BYPASS,	/* stage 1 bypassed: stage 2 as it is */
	IOASIDFD_SHADOW_S1,	/* the guest's stage 1 over stage 2 */
};

/**
 * struct ioasidfd_shadow_src - what requests without PASID translate with
 * @kind: IOASIDFD_SHADOW_*
 * @cfg: the guest's stage-1 walk, for IOASIDFD_SHADOW_S1
 * @s2: stage 2 for the walk's table reads
 * @ctx_gpa: guest-physical addresses of the context the walk depends on
 *           beyond its tables (an SMMUv3 CD and its L1CD): a stage-2
 *           removal of one of their pages removes the whole shadow
 * @nr_ctx: entries of @ctx_gpa
 */
struct ioasidfd_shadow_src {
	u8 kind;
	const struct ioasidfd_s1_cfg *cfg;
	const struct ioasidfd_s2_walk *s2;
	u64 ctx_gpa[2];
	unsigned int nr_ctx;
};

extern unsigned int ioasidfd_shadow_max_records;

struct ioasidfd_shadow *ioasidfd_shadow_alloc(void);
void ioasidfd_shadow_free(struct ioasidfd_shadow *sh);
int ioasidfd_shadow_sync(struct ioasidfd_iopt *iopt, struct ioasidfd_shadow *sh,
			 const struct ioasidfd_shadow_src *src,
			 const struct ioasidfd_ranges *usable, u64 start,
			 u64 last);
int ioasidfd_shadow_replay(struct ioasidfd_iopt *iopt,
			   struct ioasidfd_shadow *sh,
			   struct ioasidfd_hwpt *hwpt);
int ioasidfd_shadow_check(struct ioasidfd_shadow *sh,
			  struct ioasidfd_device *idev);
int ioasidfd_shadow_prepare(struct ioasidfd_shadow *sh, u64 start, u64 last);
void ioasidfd_shadow_parent_zap(struct ioasidfd_iopt *iopt,
				struct ioasidfd_shadow *sh, u64 start, u64 last);
void ioasidfd_shadow_zap_all(struct ioasidfd_iopt *iopt,
			     struct ioasidfd_shadow *sh);
void ioasidfd_shadow_get_stats(struct ioasidfd_shadow *sh,
			       struct ioasidfd_shadow_stats *stats);

#endif /* __IOASIDFD_SHADOW_H */
