// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid: devices, and their attachments to IOASIDs.
 *
 * A device is attached at RID granularity (requests without PASID) or at the
 * PASID of an IOASID.  Each attachment holds a reference on the IOASID and
 * one use of a page table (hwpt) of it, shared by all the devices whose
 * executor can use the same one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/slab.h>

#include "ioasidfd_private.h"
#include "inject.h"

const struct ioasidfd_family ioasidfd_families[] = {
	[IOASID_FAMILY_OTHER] = {
		.family = IOASID_FAMILY_OTHER,
		.name = "other",
	},
	/*
	 * Linux 6.1 exports no PASID attach and no nested-domain API, and its
	 * iommu_sva_bind_device() fails on x86; SVA through the SMMUv3 needs
	 * CONFIG_ARM_SMMU_V3_SVA, which Debian's arm64 kernel lacks.
	 */
	/*
	 * Nesting by shadow paging does not depend on the host's format: both
	 * guest formats run over either IOMMU.
	 */
	[IOASID_FAMILY_VTD] = {
		.family = IOASID_FAMILY_VTD,
		.name = "vt-d",
		.nested_formats = BIT(IOASID_NESTED_FMT_VTD_FS) |
				  BIT(IOASID_NESTED_FMT_SMMUV3),
	},
	[IOASID_FAMILY_SMMUV3] = {
		.family = IOASID_FAMILY_SMMUV3,
		.name = "smmuv3",
		.nested_formats = BIT(IOASID_NESTED_FMT_VTD_FS) |
				  BIT(IOASID_NESTED_FMT_SMMUV3),
	},
	/* The software IOMMU walks both nested formats itself. */
	[IOASID_FAMILY_SOFTWARE] = {
		.family = IOASID_FAMILY_SOFTWARE,
		.name = "software",
		.nested_formats = BIT(IOASID_NESTED_FMT_VTD_FS) |
				  BIT(IOASID_NESTED_FMT_SMMUV3),
	},
};

/* All executors built into the module. */
static const struct ioasidfd_exec_ops *const ioasidfd_executors[] = {
	&ioasidfd_exec_iommu,
	&ioasidfd_exec_sw,
};

u32 ioasidfd_supported_modes(void)
{
	u32 modes = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(ioasidfd_executors); i++)
		modes |= ioasidfd_executors[i]->modes;
	return modes;
}

u32 ioasidfd_supported_executors(void)
{
	u32 execs = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(ioasidfd_executors); i++)
		execs |= BIT(ioasidfd_executors[i]->executor);
	return execs;
}

/* Nested formats some device of this kernel can run. */
u32 ioasidfd_nested_formats(void)
{
	u32 formats = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(ioasidfd_families); i++)
		formats |= ioasidfd_families[i].nested_formats;
	return formats;
}

/* iommu_group_id() -> struct ioasidfd_group */
static DEFINE_XARRAY(ioasidfd_groups);
static DEFINE_MUTEX(ioasidfd_groups_lock);

/**
 * ioasidfd_group_get() - the group object of an IOMMU group
 * @iommu_group: the IOMMU group; the caller's reference is consumed
 *
 * Return: the group with a reference held, or an ERR_PTR.
 */
struct ioasidfd_group *ioasidfd_group_get(struct iommu_group *iommu_group)
{
	int id = iommu_group_id(iommu_group);
	struct ioasidfd_group *group;
	int rc;

	mutex_lock(&ioasidfd_groups_lock);
	group = xa_load(&ioasidfd_groups, id);
	if (group) {
		refcount_inc(&group->refs);
		iommu_group_put(iommu_group);
		goto out;
	}
	group = kzalloc(sizeof(*group), GFP_KERNEL);
	ioasidfd_inject_alloc(group, kfree);
	if (!group) {
		group = ERR_PTR(-ENOMEM);
		goto err_put;
	}
	refcount_set(&group->refs, 1);
	group->id = id;
	group->iommu_group = iommu_group;
	mutex_init(&group->lock);
	rc = xa_err(xa_store(&ioasidfd_groups, id, group, GFP_KERNEL));
	ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, !rc, xa_erase(&ioasidfd_groups, id); rc = -ENOMEM);
	if (rc) {
		kfree(group);
		group = ERR_PTR(rc);
		goto err_put;
	}
	ioasidfd_count(IOASIDFD_CNT_GROUP, 1);
	goto out;

err_put:
	iommu_group_put(iommu_group);
out:
	mutex_unlock(&ioasidfd_groups_lock);
	return group;
}

void ioasidfd_group_put(struct ioasidfd_group *group)
{
	mutex_lock(&ioasidfd_groups_lock);
	if (refcount_dec_and_test(&group->refs)) {
		WARN_ON(group->nr_rid);
		xa_erase(&ioasidfd_groups, group->id);
		iommu_group_put(group->iommu_group);
		mutex_destroy(&group->lock);
		kfree(group);
		ioasidfd_count(IOASIDFD_CNT_GROUP, -1);
	}
	mutex_unlock(&ioasidfd_groups_lock);
}

struct ioasidfd_device *ioasidfd_device_alloc(struct device *dev,
					      const struct ioasidfd_exec_ops *exec,
					      u32 pasid_bits)
{
	struct ioasidfd_device *idev;
	int rc;

	idev = kzalloc(sizeof(*idev), GFP_KERNEL);
	ioasidfd_inject_alloc(idev, kfree);
	if (!idev)
		return ERR_PTR(-ENOMEM);
	mutex_init(&idev->lock);
	xa_init(&idev->pasids);
	idev->dev = get_device(dev);
	idev->exec = exec;
	idev->pasid_bits = pasid_bits;
	rc = exec->probe(idev);
	if (rc) {
		put_device(dev);
		mutex_destroy(&idev->lock);
		kfree(idev);
		return ERR_PTR(rc);
	}
	ioasidfd_count(IOASIDFD_CNT_DEVICE, 1);
	return idev;
}

/**
 * ioasidfd_device_create() - make a device attachable to IOASIDs
 * @dev: a device behind an IOMMU, whose DMA ownership the caller holds (for
 *       PCI devices under VFIO: the group is in a container of type
 *       IOASID_VFIO_IOMMU_TYPE)
 *
 * The device's translation is run by the kernel IOMMU API, at RID
 * granularity.  Destroy it with ioasidfd_device_destroy().
 *
 * Return: the device, or ERR_PTR(-ENODEV) if @dev has no IOMMU group, or
 * another ERR_PTR.
 */
struct ioasidfd_device *ioasidfd_device_create(struct device *dev)
{
	return ioasidfd_device_alloc(dev, &ioasidfd_exec_iommu, 0);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_device_create, IOASIDFD);

/**
 * __ioasidfd_device_attach() - authorise a device to DMA through an IOASID
 * @idev: the device
 * @ioas: the IOASID, referenced by the caller
 * @wire_pasid: the PASID the requests carry, or IOASIDFD_PASID_RID to attach
 *              at RID (requests without PASID)
 * @cookie: reported in fault records for this attachment
 *
 * On success the attachment holds its own reference on @ioas and the
 * device's IOMMU translates through it.  Undo with ioasidfd_device_detach().
 *
 * Return: 0, -ERANGE if the device cannot issue the PASID or the IOASID
 * translates IOVAs the device's IOMMU cannot reach, -EBUSY if the device (or
 * its group, at RID) is attached there already, -ENOENT if @ioas was
 * destroyed, -EMEDIUMTYPE if the device's executor cannot run the IOASID's
 * translation, or -ENOMEM.
 */
static int __ioasidfd_device_attach(struct ioasidfd_device *idev,
				    struct ioasidfd_ioas *ioas, u32 wire_pasid,
				    u64 cookie)
{
	bool at_pasid = wire_pasid != IOASIDFD_PASID_RID;
	struct ioasidfd_group *group = at_pasid ? NULL : idev->group;
	struct ioasidfd_attach *attach;
	struct ioasidfd_iopt *iopt;
	int rc;

	if (at_pasid && (!idev->pasid_bits ||
			 wire_pasid >= (1ULL << idev->pasid_bits)))
		return -ERANGE;

	iopt = ioasidfd_ioas_iopt(ioas);
	attach = kzalloc(sizeof(*attach), GFP_KERNEL_ACCOUNT);
	ioasidfd_inject_alloc(attach, kfree);
	if (!iopt || !attach) {
		kfree(attach);
		return -ENOMEM;
	}
	attach->idev = idev;
	attach->ioas = ioas;
	attach->wire_pasid = wire_pasid;
	attach->cookie = cookie;

	mutex_lock(&idev->lock);
	if (at_pasid) {
		/* Reserve the slot so that recording the attachment cannot fail. */
		rc = xa_insert(&idev->pasids, wire_pasid, NULL, GFP_KERNEL);
		ioasidfd_inject_undo(IOASIDFD_INJ_ALLOC, !rc,
				     xa_release(&idev->pasids, wire_pasid); rc = -ENOMEM);
		if (rc)
			goto err_unlock_dev;
	} else if (idev->rid) {
		rc = -EBUSY;
		goto err_unlock_dev;
	}
	if (group) {
		mutex_lock(&group->lock);
		if (group->nr_rid && group->rid_ioas != ioas) {
			rc = -EBUSY;
			goto err_unlock_group;
		}
	}

	mutex_lock(&iopt->lock);
	if (test_bit(IOASIDFD_IOAS_DESTROYED, &ioas->flags)) {
		rc = -ENOENT;
		goto err_unlock_iopt;
	}
	rc = ioasidfd_iopt_check_attach(iopt, idev, wire_pasid);
	if (rc)
		goto err_unlock_iopt;

	if (group && group->nr_rid) {
		/* Another device of the group already made the attachment. */
		attach->hwpt = group->rid_hwpt;
		attach->hwpt->users++;
	} else {
		rc = ioasidfd_hwpt_get(iopt, attach);
		if (rc)
			goto err_unlock_iopt;
	}
	kref_get(&ioas->kref);
	list_add_tail(&attach->item, &iopt->attachments);
	iopt->nr_attach++;
	mutex_unlock(&iopt->lock);

	if (group) {
		group->rid_ioas = ioas;
		group->rid_hwpt = attach->hwpt;
		group->nr_rid++;
		mutex_unlock(&group->lock);
	}
	if (at_pasid) {
		xa_store(&idev->pasids, wire_pasid, attach, 0);
		idev->nr_pasids++;
	} else {
		idev->rid = attach;
	}
	mutex_unlock(&idev->lock);
	ioasidfd_count(IOASIDFD_CNT_ATTACH, 1);
	return 0;

err_unlock_iopt:
	mutex_unlock(&iopt->lock);
err_unlock_group:
	if (group)
		mutex_unlock(&group->lock);
	if (at_pasid)
		xa_release(&idev->pasids, wire_pasid);
err_unlock_dev:
	mutex_unlock(&idev->lock);
	kfree(attach);
	return rc;
}

/**
 * ioasidfd_device_attach() - authorise a device to DMA through an IOASID
 * @idev: the device
 * @ioas: the IOASID, referenced by the caller
 * @flags: IOASID_DEVICE_PASID to attach at the IOASID's PASID, 0 for RID
 * @cookie: reported in fault records for this attachment
 *
 * See ioasidfd_device_attach_pasid() to attach at another wire PASID.
 *
 * Return: 0, -EOPNOTSUPP for unknown @flags, or an error of
 * ioasidfd_device_attach_pasid().
 */
int ioasidfd_device_attach(struct ioasidfd_device *idev,
			   struct ioasidfd_ioas *ioas, u32 flags, u64 cookie)
{
	if (flags & ~IOASID_DEVICE_PASID)
		return -EOPNOTSUPP;
	return __ioasidfd_device_attach(idev, ioas,
					flags & IOASID_DEVICE_PASID ?
					ioas->pasid : IOASIDFD_PASID_RID,
					cookie);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_device_attach, IOASIDFD);

/**
 * ioasidfd_device_attach_pasid() - authorise a device's requests at a PASID
 * @idev: the device
 * @ioas: the IOASID, referenced by the caller
 * @wire_pasid: the PASID the requests carry (IOASIDFD_PASID_RID: at RID)
 * @cookie: reported in fault records for this attachment
 *
 * The wire PASID need not be the IOASID's own: a VMM attaches a guest's
 * PASID to the IOASID that serves it.  On success the attachment holds its
 * own reference on @ioas and the device's IOMMU translates through it.
 *
 * Return: 0, -ERANGE if the device cannot issue @wire_pasid or the IOASID
 * translates IOVAs its IOMMU cannot reach, -EBUSY if the device (or its
 * group, at RID) is attached there already, -ENOENT if @ioas was destroyed,
 * -EMEDIUMTYPE if the device's executor cannot run the IOASID's translation
 * there, or -ENOMEM.
 */
int ioasidfd_device_attach_pasid(struct ioasidfd_device *idev,
				 struct ioasidfd_ioas *ioas, u32 wire_pasid,
				 u64 cookie)
{
	return __ioasidfd_device_attach(idev, ioas, wire_pasid, cookie);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_device_attach_pasid, IOASIDFD);

/* Undoes an attachment; called with the device lock held. */
static void ioasidfd_attach_drop(struct ioasidfd_device *idev,
				 struct ioasidfd_attach *attach)
{
	struct ioasidfd_group *group = attach->wire_pasid == IOASIDFD_PASID_RID ?
				       idev->group : NULL;
	struct ioasidfd_iopt *iopt = attach->ioas->iopt;
	bool last = true;

	lockdep_assert_held(&idev->lock);
	if (group) {
		mutex_lock(&group->lock);
		last = !--group->nr_rid;
	}
	mutex_lock(&iopt->lock);
	/* The group stays attached while one of its devices still is. */
	if (last)
		idev->exec->detach(attach);
	list_del(&attach->item);
	iopt->nr_attach--;
	ioasidfd_hwpt_put(attach->hwpt);
	mutex_unlock(&iopt->lock);
	if (group) {
		if (last) {
			group->rid_ioas = NULL;
			group->rid_hwpt = NULL;
		}
		mutex_unlock(&group->lock);
	}

	if (attach->wire_pasid == IOASIDFD_PASID_RID) {
		idev->rid = NULL;
	} else {
		xa_erase(&idev->pasids, attach->wire_pasid);
		idev->nr_pasids--;
	}
	/* May free the IOASID and return its PASID: no iopt lock held. */
	ioasidfd_ioas_put(attach->ioas);
	kfree(attach);
	ioasidfd_count(IOASIDFD_CNT_ATTACH, -1);
}

/**
 * ioasidfd_device_detach() - end a device's authorisation on an IOASID
 * @idev: the device
 * @pasid: with IOASID_DEVICE_PASID the wire PASID of the attachment, else
 *         the PASID of the IOASID attached at RID
 * @flags: IOASID_DEVICE_PASID for the attachment at wire PASID @pasid, 0 for
 *         the RID attachment (which must be to the IOASID @pasid)
 *
 * DMA through the attachment is blocked on return, and the attachment's
 * reference on the IOASID is dropped.  Works on destroyed IOASIDs too.
 *
 * Return: 0, -EOPNOTSUPP for unknown @flags, or -ENOENT if there is no such
 * attachment.
 */
int ioasidfd_device_detach(struct ioasidfd_device *idev, u32 pasid, u32 flags)
{
	struct ioasidfd_attach *attach;
	int rc = 0;

	if (flags & ~IOASID_DEVICE_PASID)
		return -EOPNOTSUPP;
	mutex_lock(&idev->lock);
	if (flags & IOASID_DEVICE_PASID)
		attach = pasid == IOASIDFD_PASID_RID ? NULL :
			 xa_load(&idev->pasids, pasid);
	else
		attach = idev->rid && idev->rid->ioas->pasid == pasid ?
			 idev->rid : NULL;
	if (attach)
		ioasidfd_attach_drop(idev, attach);
	else
		rc = -ENOENT;
	mutex_unlock(&idev->lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_device_detach, IOASIDFD);

/**
 * ioasidfd_device_destroy() - detach a device from everything and free it
 * @idev: from ioasidfd_device_create()
 *
 * For use when the device fd closes or the driver unbinds: on return the
 * device's DMA is blocked and it holds no IOASID.
 */
void ioasidfd_device_destroy(struct ioasidfd_device *idev)
{
	struct ioasidfd_attach *attach;
	unsigned long index;

	mutex_lock(&idev->lock);
	if (idev->rid)
		ioasidfd_attach_drop(idev, idev->rid);
	xa_for_each(&idev->pasids, index, attach)
		ioasidfd_attach_drop(idev, attach);
	mutex_unlock(&idev->lock);

	idev->exec->remove(idev);
	xa_destroy(&idev->pasids);
	mutex_destroy(&idev->lock);
	put_device(idev->dev);
	kfree(idev);
	ioasidfd_count(IOASIDFD_CNT_DEVICE, -1);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_device_destroy, IOASIDFD);

/**
 * ioasidfd_device_msi_translated() - does the IOMMU translate the device's MSIs?
 * @idev: the device
 *
 * Where it does (SMMUv3 with a GICv3 ITS: a software MSI window), the MSI
 * doorbell is mapped into the domain the device is in when its MSIs are set
 * up, so MSIs set up before an attachment do not reach the CPU after it.
 *
 * Return: true if so; constant for the device's life.
 */
bool ioasidfd_device_msi_translated(struct ioasidfd_device *idev)
{
	return idev->msi_translated;
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_device_msi_translated, IOASIDFD);

/**
 * ioasidfd_device_report_fault() - report an unrecoverable fault of a device
 * @idev: the device
 * @pasid: the PASID the faulting request carried, or IOASIDFD_PASID_RID
 * @fault: the record; the caller fills in @flags, @reason and @addr, this
 *         fills in @cookie and @pasid from the attachment
 *
 * For executors that learn of faults from the IOMMU driver.  The report is
 * made under the device lock, through the attachment's own reference: a
 * DISALLOW (or DESTROY of the device) waits for a report in flight, so that
 * when it returns nothing of the fault path still holds the IOASID and its
 * PASID is free if that was its last user.  Never for recoverable faults:
 * their wait for a response must not hold the device lock.
 *
 * Return: 0, or -ENODEV if nothing is attached there.
 */
int ioasidfd_device_report_fault(struct ioasidfd_device *idev, u32 pasid,
				 struct ioasid_fault *fault)
{
	struct ioasidfd_attach *attach;
	int rc = -ENODEV;

	mutex_lock(&idev->lock);
	attach = pasid == IOASIDFD_PASID_RID ? idev->rid :
		 xa_load(&idev->pasids, pasid);
	if (attach) {
		ioasidfd_test_fault_report_hook();
		fault->cookie = attach->cookie;
		fault->pasid = attach->ioas->pasid;
		if (fault->flags & IOASID_FAULT_PASID_VALID)
			fault->wire_pasid = pasid;
		if (attach->hwpt && attach->hwpt->iopt)
			ioasidfd_iopt_explain_fault(attach->hwpt->iopt, fault);
		ioasidfd_fault_report(attach->ioas, fault, 0);
		rc = 0;
	}
	mutex_unlock(&idev->lock);
	return rc;
}

static int ioasidfd_device_info(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_device_info *cmd = ucmd->cmd;
	struct ioasidfd_device *idev = ucmd->idev;

	if (cmd->flags)
		return -EOPNOTSUPP;
	mutex_lock(&idev->lock);
	cmd->out_executor = idev->exec->executor;
	cmd->out_family = idev->family->family;
	cmd->out_pasid_bits = idev->pasid_bits;
	cmd->out_modes = idev->exec->modes;
	cmd->out_nested_formats = idev->family->nested_formats;
	cmd->out_attach = idev->rid ? IOASID_DEVICE_ATTACHED_RID : 0;
	cmd->out_pgsize_bitmap = idev->pgsize_bitmap;
	cmd->out_aperture_start = idev->aperture.start;
	cmd->out_aperture_last = idev->aperture.last;
	cmd->out_rid_pasid = idev->rid ? idev->rid->ioas->pasid : 0;
	cmd->out_nr_pasid_attach = idev->nr_pasids;
	cmd->out_sva = 0;
	if (idev->exec->modes & BIT(IOASID_MODE_SVA))
		cmd->out_sva = idev->exec->walks ? IOASID_DEVICE_SVA_WALK :
				IOASID_DEVICE_SVA_MIRROR;
	cmd->out_sva_hw_errno = idev->sva_hw_errno;
	mutex_unlock(&idev->lock);
	return ioasidfd_ucmd_respond(ucmd);
}

static int ioasidfd_device_allow(struct ioasidfd_ucmd *ucmd)
{
	const u32 valid = IOASID_DEVICE_PASID | IOASID_DEVICE_WIRE_PASID;
	struct ioasid_device_allow *cmd = ucmd->cmd;
	struct ioasidfd_ctx *ctx;
	struct ioasidfd_ioas *ioas;
	u32 wire;
	int rc;

	if (cmd->flags & ~valid || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->flags & IOASID_DEVICE_WIRE_PASID) {
		if (!(cmd->flags & IOASID_DEVICE_PASID))
			return -EINVAL;
		if (cmd->wire_pasid > IOASID_PASID_MAX)
			return -ERANGE;
	} else if (cmd->wire_pasid) {
		return -EINVAL;
	}
	ctx = ioasidfd_ctx_fdget(cmd->ioasid_fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	ioas = ioasidfd_ioas_lookup(ctx, cmd->pasid);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out_ctx;
	}
	if (cmd->flags & IOASID_DEVICE_WIRE_PASID)
		wire = cmd->wire_pasid;
	else if (cmd->flags & IOASID_DEVICE_PASID)
		wire = ioas->pasid;
	else
		wire = IOASIDFD_PASID_RID;
	rc = __ioasidfd_device_attach(ucmd->idev, ioas, wire, cmd->cookie);
	ioasidfd_ioas_put(ioas);
out_ctx:
	ioasidfd_ctx_put(ctx);
	return rc;
}

static int ioasidfd_device_disallow(struct ioasidfd_ucmd *ucmd)
{
	struct ioasid_device_disallow *cmd = ucmd->cmd;

	if (cmd->flags & ~IOASID_DEVICE_PASID || cmd->__reserved)
		return -EOPNOTSUPP;
	return ioasidfd_device_detach(ucmd->idev, cmd->pasid, cmd->flags);
}

#define IOASIDFD_DEV_OP(_nr, _fn, _struct, _last) \
	IOASIDFD_OP(IOASID_CMD_DEVICE_GET_INFO, _nr, _fn, _struct, _last)

static const struct ioasidfd_op ioasidfd_device_ops[] = {
	IOASIDFD_DEV_OP(IOASID_CMD_DEVICE_GET_INFO, ioasidfd_device_info,
			struct ioasid_device_info, out_nr_pasid_attach),
	IOASIDFD_DEV_OP(IOASID_CMD_DEVICE_ALLOW, ioasidfd_device_allow,
			struct ioasid_device_allow, cookie),
	IOASIDFD_DEV_OP(IOASID_CMD_DEVICE_DISALLOW, ioasidfd_device_disallow,
			struct ioasid_device_disallow, __reserved),
};

/**
 * ioasidfd_device_ioctl() - the IOASID_DEVICE_* ioctls of a device fd
 * @idev: the device behind the fd
 * @cmd: the ioctl number
 * @arg: the user pointer
 *
 * Device drivers call this from their fd's ioctl handler and handle the
 * -ENOIOCTLCMD it returns for commands that are not IOASID_DEVICE_*.
 *
 * Return: 0, a negative errno of the uAPI contract, or -ENOIOCTLCMD.
 */
long ioasidfd_device_ioctl(struct ioasidfd_device *idev, unsigned int cmd,
			   unsigned long arg)
{
	struct ioasidfd_ucmd ucmd = { .idev = idev };

	return ioasidfd_dispatch(ioasidfd_device_ops, IOASID_CMD_DEVICE_GET_INFO,
				 ARRAY_SIZE(ioasidfd_device_ops), &ucmd, cmd, arg);
}
EXPORT_SYMBOL_NS_GPL(ioasidfd_device_ioctl, IOASIDFD);
