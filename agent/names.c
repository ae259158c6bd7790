/* names: how functions, classes, vendors and actions are named (no pci.ids needed); below
 * the rules, the actors and the renderers alike. */
#include <stddef.h>

#include "vfiohost.h"

struct class_name {
	uint16_t code; /* class << 8 | subclass */
	const char *shortname;
	const char *name;
};

static const struct class_name classes[] = {
    {0x0100, "SCSI", "SCSI storage controller"},
    {0x0101, "IDE", "IDE interface"},
    {0x0104, "RAID", "RAID bus controller"},
    {0x0106, "SATA", "SATA controller"},
    {0x0107, "SAS", "Serial Attached SCSI controller"},
    {0x0108, "NVMe", "Non-Volatile memory controller"},
    {0x0180, "Storage", "Mass storage controller"},
    {0x0200, "Ethernet", "Ethernet controller"},
    {0x0207, "InfiniBand", "Infiniband controller"},
    {0x0280, "Network", "Network controller"},
    {0x0300, "VGA", "VGA compatible controller"},
    {0x0301, "XGA", "XGA compatible controller"},
    {0x0302, "3D", "3D controller"},
    {0x0380, "Display", "Display controller"},
    {0x0401, "Audio", "Multimedia audio controller"},
    {0x0403, "Audio", "Audio device"},
    {0x0480, "Multimedia", "Multimedia controller"},
    {0x0500, "RAM", "RAM memory"},
    {0x0580, "Memory", "Memory controller"},
    {0x0600, "Host bridge", "Host bridge"},
    {0x0601, "ISA bridge", "ISA bridge"},
    {0x0604, "PCI bridge", "PCI bridge"},
    {0x0680, "Bridge", "Bridge"},
    {0x0700, "Serial", "Serial controller"},
    {0x0780, "Communication", "Communication controller"},
    {0x0806, "IOMMU", "IOMMU"},
    {0x0880, "System", "System peripheral"},
    {0x0c03, "USB", "USB controller"},
    {0x0c05, "SMBus", "SMBus"},
    {0x0c80, "Serial bus", "Serial bus controller"},
    {0x1080, "Crypto", "Encryption controller"},
    {0x1101, "Signal", "Signal processing controller"},
    {0x1180, "Signal", "Signal processing controller"},
    {0x1200, "Accelerator", "Processing accelerators"},
    {0x1300, "Instrumentation", "Non-Essential Instrumentation"},
};

static const struct {
	uint16_t id;
	const char *name;
} vendors[] = {
    {0x1002, "AMD/ATI"},       {0x1022, "AMD"},
    {0x10de, "NVIDIA"},	       {0x8086, "Intel"},
    {0x1a03, "ASPEED"},	       {0x1234, "QEMU"},
    {0x1b36, "Red Hat"},       {0x1af4, "Red Hat (virtio)"},
    {0x15b3, "Mellanox"},      {0x144d, "Samsung"},
    {0x14e4, "Broadcom"},      {0x10ec, "Realtek"},
    {0x1b21, "ASMedia"},       {0x1cc1, "ADATA"},
    {0x1000, "Broadcom/LSI"},  {0x1d0f, "Amazon"},
    {0x1ed5, "Moore Threads"}, {0x1e3e, "Iluvatar"},
    {0x1da3, "Habana"},
};

static const struct class_name *find_class(uint32_t class)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (classes[i].code == (class >> 8))
			return &classes[i];
	return NULL;
}

const char *vh_class_short(uint32_t class)
{
	const struct class_name *c = find_class(class);

	return c ? c->shortname : "device";
}

const char *vh_class_name(uint32_t class)
{
	const struct class_name *c = find_class(class);

	return c ? c->name : "Device";
}

const char *vh_vendor_name(uint16_t vendor)
{
	for (size_t i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++)
		if (vendors[i].id == vendor)
			return vendors[i].name;
	return NULL;
}

/* Host and PCI bridges only: an NVSwitch (class 0680, "other bridge") is an endpoint that
 * a guest or the host's Fabric Manager owns, never something a group may hold for free. */
bool vh_is_bridge(uint32_t class)
{
	return (class >> 8) == 0x0600 || (class >> 8) == 0x0604;
}

bool vh_is_display(uint32_t class)
{
	return (class >> 16) == 0x03;
}

/* What the seed guide's script counts as a GPU. */
bool vh_is_gpu(uint32_t class)
{
	return (class >> 8) == 0x0300 || (class >> 8) == 0x0302;
}

/* An NVIDIA NVSwitch of an HGX baseboard: NVIDIA's vendor id and class 0680. */
bool vh_is_nvswitch(uint16_t vendor, uint32_t class)
{
	return vendor == 0x10de && (class >> 8) == 0x0680;
}

/* How messages name a function's kind: "NVSwitch" rather than its class's "Bridge". */
const char *vh_fn_kind(const struct vh_fn *fn)
{
	return vh_is_nvswitch(fn->vendor, fn->class) ? "NVSwitch" : vh_class_short(fn->class);
}

const char *vh_fn_kind_name(const struct vh_fn *fn)
{
	return vh_is_nvswitch(fn->vendor, fn->class) ? "NVSwitch" : vh_class_name(fn->class);
}

/* "0000:01:00.0 10de:2b85 VGA": how messages name a function. */
void vh_fn_label(const struct vh_fn *fn, char *buf, size_t size)
{
	vh_fmt(buf, size, "%s %04x:%04x %s", fn->bdf, fn->vendor, fn->device, vh_fn_kind(fn));
}

const char *vh_action_name(int action)
{
	static const char *const names[] = {"none", "bind", "keep", "skip", "refuse"};

	return action >= VH_NONE && action <= VH_REFUSE ? names[action] : "?";
}
