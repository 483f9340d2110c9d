// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: object counters in debugfs, for leak checks.
 *
 * /sys/kernel/debug/ioasidfd/counters has one "name value" line per counter.
 * They count live kernel objects of the module, so with every fd closed and
 * every device gone they must all read 0.  /sys/kernel/debug/ioasidfd/stats
 * has statistics that only grow (the software IOTLB's hits and misses of
 * nested IOASIDs).  /sys/kernel/debug/ioasidfd/ioasids has one line per
 * IOASID of every context, fds and kernel-owned ones (a VFIO type1
 * container served by ioasidfd_vfio), so that an operator sees who maps
 * what: PASID, owner, state, mode, mappings, pinned pages, attached devices.
 * (Test knobs live in the test module, ioasidfd_test.ko.)
 */
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
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

static const char *const ioasidfd_debugfs_modes[] = {
	[IOASID_MODE_NONE] = "none",
	[IOASID_MODE_IOVA] = "iova",
	[IOASID_MODE_NESTED] = "nested",
	[IOASID_MODE_SVA] = "sva",
};

/* One IOASID, referenced by the caller; takes its iopt lock. */
static void ioasidfd_ioasids_show_one(struct seq_file *m,
				      struct ioasidfd_ioas *ioas)
{
	struct ioasid_info_cap_ioas info = {};
	struct ioasidfd_attach *attach;
	u32 mode = IOASID_MODE_NONE;
	struct ioasidfd_iopt *iopt;

	/* Pairs with the cmpxchg() in ioasidfd_ioas_iopt(). */
	iopt = smp_load_acquire(&ioas->iopt);

	seq_printf(m, "pasid %u owner %s state %s", ioas->pasid,
		   ioas->ctx->label[0] ? ioas->ctx->label : "fd",
		   test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags) ?
		   "parked" : "live");
	if (iopt) {
		mutex_lock(&iopt->lock);
		mode = ioasidfd_iopt_mode(iopt);
		if (iopt->src && iopt->src->info)
			iopt->src->info(iopt, &info);
	}
	seq_printf(m, " mode %s mappings %u mapped_bytes %llu pinned_pages %llu devices",
		   mode < ARRAY_SIZE(ioasidfd_debugfs_modes) ?
		   ioasidfd_debugfs_modes[mode] : "?",
		   info.nr_mappings, info.mapped_bytes,
		   mode == IOASID_MODE_IOVA ? info.mapped_bytes >> PAGE_SHIFT : 0);
	if (iopt) {
		list_for_each_entry(attach, &iopt->attachments, item) {
			seq_printf(m, " %s", attach->idev->dev ?
				   dev_name(attach->idev->dev) : "software");
			if (attach->wire_pasid != IOASIDFD_PASID_RID)
				seq_printf(m, "@%u", attach->wire_pasid);
		}
		mutex_unlock(&iopt->lock);
	}
	seq_putc(m, '\n');
}

static int ioasidfd_ioasids_show(struct seq_file *m, void *unused)
{
	struct ioasidfd_ioas *ioas;
	unsigned long index = 0;

	/*
	 * Hold each IOASID by a reference while printing it (its iopt lock
	 * sleeps); the walk resumes by index after each.
	 */
	rcu_read_lock();
	while ((ioas = ioasidfd_pasid_next(&index))) {
		if (kref_get_unless_zero(&ioas->kref)) {
			rcu_read_unlock();
			ioasidfd_ioasids_show_one(m, ioas);
			ioasidfd_ioas_put(ioas);
			cond_resched();
			rcu_read_lock();
		}
		index++;
	}
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ioasidfd_ioasids);

void ioasidfd_debugfs_init(void)
{
	ioasidfd_debugfs = debugfs_create_dir("ioasidfd", NULL);
	debugfs_create_file("counters", 0444, ioasidfd_debugfs, NULL,
			    &ioasidfd_counters_fops);
	debugfs_create_file("stats", 0444, ioasidfd_debugfs, NULL,
			    &ioasidfd_stats_fops);
	debugfs_create_file("ioasids", 0400, ioasidfd_debugfs, NULL,
			    &ioasidfd_ioasids_fops);
}

void ioasidfd_debugfs_exit(void)
{
	debugfs_remove_recursive(ioasidfd_debugfs);
}
