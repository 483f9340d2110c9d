// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: object counters in debugfs, for leak checks.
 *
 * /sys/kernel/debug/ioasidfd/counters has one "name value" line per counter.
 * They count live kernel objects of the module, so with every fd closed and
 * every device gone they must all read 0.  /sys/kernel/debug/ioasidfd/stats
 * has statistics that only grow (the software IOTLB's hits and misses of
 * nested IOASIDs).  (Test knobs live in the test module, ioasidfd_test.ko.)
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "ioasidfd_private.h"

static const char *const ioasidfd_counter_names[IOASIDFD_CNT_NR] = {
	[IOASIDFD_CNT_CTX] = "contexts",
	[IOASIDFD_CNT_IOAS] = "ioasids_live",
	[IOASIDFD_CNT_PARKED] = "ioasids_parked",
	[IOASIDFD_CNT_PASID] = "pasids",
	[IOASIDFD_CNT_IOPT] = "iopts",
	[IOASIDFD_CNT_AREA] = "areas",
	[IOASIDFD_CNT_PINNED] = "pinned_pages",
	[IOASIDFD_CNT_HWPT] = "hwpts",
	[IOASIDFD_CNT_DEVICE] = "devices",
	[IOASIDFD_CNT_ATTACH] = "attachments",
	[IOASIDFD_CNT_GROUP] = "groups",
	[IOASIDFD_CNT_FAULTQ] = "fault_queues",
	[IOASIDFD_CNT_FAULT_REC] = "fault_records",
};

static struct dentry *ioasidfd_debugfs;

static int ioasidfd_counters_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < IOASIDFD_CNT_NR; i++)
		seq_printf(m, "%s %ld\n", ioasidfd_counter_names[i],
			   atomic_long_read(&ioasidfd_counters[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ioasidfd_counters);

/* Statistics, monotonic: not objects, so not in the counters. */
static int ioasidfd_stats_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "nested_iotlb_hits %lld\n",
		   atomic64_read(&ioasidfd_nested_hits));
	seq_printf(m, "nested_iotlb_misses %lld\n",
		   atomic64_read(&ioasidfd_nested_misses));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ioasidfd_stats);

void ioasidfd_debugfs_init(void)
{
	ioasidfd_debugfs = debugfs_create_dir("ioasidfd", NULL);
	debugfs_create_file("counters", 0444, ioasidfd_debugfs, NULL,
			    &ioasidfd_counters_fops);
	debugfs_create_file("stats", 0444, ioasidfd_debugfs, NULL,
			    &ioasidfd_stats_fops);
}

void ioasidfd_debugfs_exit(void)
{
	debugfs_remove_recursive(ioasidfd_debugfs);
}
