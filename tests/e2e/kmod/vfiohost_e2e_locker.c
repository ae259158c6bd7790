// SPDX-License-Identifier: GPL-2.0
/*
 * TEST ONLY (tests/e2e; never installed): a PCI driver whose probe of one device hangs,
 * as a GPU that fell off the bus or a firmware load that never ends would. The driver
 * core holds the device lock across a probe, so while this one sleeps every
 * driver_override read or write of that device (driver_set_override() and
 * driver_override_show() take the lock) waits too. The probe is asynchronous: load the
 * module with async_probe, and insmod returns at once while the lock stays held.
 *
 *   insmod vfiohost_e2e_locker.ko async_probe bdf=0000:02:00.0 hold_ms=60000
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/pci.h>

static char *bdf = "";
module_param(bdf, charp, 0444);
MODULE_PARM_DESC(bdf, "the PCI function whose probe holds its device lock");

static unsigned int hold_ms = 60000;
module_param(hold_ms, uint, 0444);
MODULE_PARM_DESC(hold_ms, "how long the probe holds the lock, in ms");

static int locker_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	if (strcmp(pci_name(pdev), bdf) != 0)
		return -ENODEV;
	pr_info("vfiohost-e2e-locker: %s: probe holds the device lock for %u ms\n",
		pci_name(pdev), hold_ms);
	msleep(hold_ms);
	pr_info("vfiohost-e2e-locker: %s: probe lets the device lock go\n", pci_name(pdev));
	return -ENODEV;
}

/* The QEMU std VGA; no MODULE_DEVICE_TABLE, so nothing loads this module but the test. */
static const struct pci_device_id locker_ids[] = {
	{ PCI_DEVICE(0x1234, 0x1111) },
	{ }
};

static struct pci_driver locker_driver = {
	.name = "vfiohost-e2e-locker",
	.id_table = locker_ids,
	.probe = locker_probe,
	.driver.probe_type = PROBE_PREFER_ASYNCHRONOUS,
};
module_pci_driver(locker_driver);

MODULE_DESCRIPTION("vfiohost e2e test: a probe that holds one device's lock");
MODULE_LICENSE("GPL");
