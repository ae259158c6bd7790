// SPDX-License-Identifier: GPL-2.0
/*
 * TEST ONLY (tests/e2e; never installed): a VFIO PCI variant driver, as xe_vfio_pci or
 * mlx5_vfio_pci are, for QEMU's pci-testdev (1b36:0005), which no kernel driver claims.
 * It adds nothing to vfio-pci: every operation is vfio_pci_core's. What the boot tests
 * need is its shape:
 *
 * - its id table entry is a PCI_DRIVER_OVERRIDE_DEVICE_VFIO one, so depmod lists the
 *   alias "vfio_pci:v00001B36d00000005sv*sd*bc*sc*i*" for it and a plain udev modalias
 *   lookup ("pci:...") never loads it: the device reaches it only through
 *   driver_override;
 * - its driver name (e2e-vfio-pci) is not its module name (vfiohost_e2e_vfio_pci), so
 *   whoever writes driver_override must use the former and modprobe the latter.
 *
 * On each device it takes, it logs "vfiohost_e2e_vfio_pci BDF: e2e-vfio-pci bound (test
 * variant)".
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>
#include <linux/version.h>

#define E2E_DRIVER_NAME "e2e-vfio-pci"

static int e2e_vfio_pci_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static const struct vfio_device_ops e2e_vfio_pci_ops = {
	.name = E2E_DRIVER_NAME,
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = e2e_vfio_pci_open_device,
	.close_device = vfio_pci_core_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.mmap = vfio_pci_core_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
/*
 * The iommufd callbacks came with iommufd (6.2), detach_ioas with the VFIO device cdev
 * (6.6). Where CONFIG_IOMMUFD is set, 6.6 and later refuse to register a device whose
 * ops lack any of the four; where it is not, vfio.h defines the helpers as NULL.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
#endif
};

static int e2e_vfio_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	int ret;

	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev, &e2e_vfio_pci_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	dev_set_drvdata(&pdev->dev, vdev);
	ret = vfio_pci_core_register_device(vdev);
	if (ret) {
		vfio_put_device(&vdev->vdev);
		return ret;
	}
	pr_info("%s %s: %s bound (test variant)\n", KBUILD_MODNAME, pci_name(pdev),
		E2E_DRIVER_NAME);
	return 0;
}

static void e2e_vfio_pci_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

/* QEMU's pci-testdev, and only through driver_override (the "vfio_pci:" alias). */
static const struct pci_device_id e2e_vfio_pci_ids[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(0x1b36, 0x0005) },
	{ }
};
MODULE_DEVICE_TABLE(pci, e2e_vfio_pci_ids);

static struct pci_driver e2e_vfio_pci_driver = {
	.name = E2E_DRIVER_NAME,
	.id_table = e2e_vfio_pci_ids,
	.probe = e2e_vfio_pci_probe,
	.remove = e2e_vfio_pci_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	.driver_managed_dma = true,
};
module_pci_driver(e2e_vfio_pci_driver);

MODULE_DESCRIPTION("vfiohost e2e test: a VFIO PCI variant driver for QEMU's pci-testdev");
MODULE_LICENSE("GPL");
