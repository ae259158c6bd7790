#!/usr/bin/env python3
"""genhosts: write the benchmark hosts (tests/hosts format) and build them with tests/mkhost.

usage: genhosts.py OUTDIR [NAME...]

Writes OUTDIR/hosts/NAME.host for each host (all by default) and builds the fake
root OUTDIR/NAME with tests/mkhost, plus the benchmark policy in OUTDIR/NAME/etc/vfiohost.conf.
A tree is rebuilt only when its description, the policy or tests/mkhost changed (a
digest in OUTDIR/NAME.stamp), so a second `make bench` starts at once.

The hosts (functions counted by the generator, printed on stdout as NAME COUNT):
  desktop   ~45: an AMD desktop; boot display an RTX 4090 (skip), an RTX 2080 Ti with
            its USB-C and UCSI functions (bind, companions), a GT 1030 in the chipset
            group beside the NIC, Wi-Fi and SATA (refuse).
  server    ~300: a two-socket HGX H100 box: 8 H100 (one already on vfio-pci: keep),
            4 NVSwitches, 8 ConnectX-7, 2 BlueField-3, 10 NVMe, PCIe switches, the uncore and
            root-complex functions a Sapphire Rapids socket shows; ASPEED boot display.
  sriov     ~3,000: the server's platform plus 12 dual-port NICs with 116 VFs per port,
            each VF alone in its group; 4 L40S (bind) and an A2 behind a switch without
            ACS sharing its group with an X710 NIC (refuse).
  extreme   ~30,000: the same platform, 116 NICs with 255 VFs each (one bus each, in
            PCI domain 0001), 8 L40S.
  desktop-boot, server-boot: the desktop and the server as the initramfs sees them
            before udev (no driver bound yet), for timing `boot` against the shell script
            writing driver_override (the timed runs write into these trees).
"""

import hashlib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MKHOST = os.path.join(REPO, "tests", "mkhost")
POLICY = os.path.join(HERE, "policy.conf")

INTEL_CMDLINE = ("BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=UUID=5b1f0c7e-2d1e-4c3b-9a55-"
                 "0d7c4f8e21a6 ro quiet intel_iommu=on iommu=pt")
AMD_CMDLINE = ("BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=UUID=0e3c9a51-7b2d-4f1e-8c6a-"
               "3d9b2e7f1a40 ro quiet amd_iommu=on iommu=pt")


class Host:
    """Lines of one host description, with a group counter."""

    def __init__(self, name, note, headers, preudev=False):
        self.name = name
        self.preudev = preudev  # as the initramfs sees it before udev: no driver bound yet
        if preudev:
            note += "; as before udev: no driver bound yet"
        self.lines = [f"# note: {note}", "# source: bench/genhosts.py (invented)"]
        self.lines += [f"# {k}: {v}" for k, v in headers]
        self.count = 0
        self.next_group = 0

    def group(self):
        """A new IOMMU group number."""
        self.next_group += 1
        return self.next_group - 1

    def fn(self, dom, bus, slot, func, cls, ident, group, desc, **attrs):
        """One function line; attrs are further mkhost attributes (driver, numa, ...)."""
        if self.preudev:
            attrs.pop("driver", None)
        extra = "".join(f" {k}={v}" for k, v in attrs.items() if v is not None)
        self.lines.append(f"{dom:04x}:{bus:02x}:{slot:02x}.{func} group={group} class={cls} "
                          f"id={ident}{extra} desc=\"{desc}\"")
        self.count += 1

    def text(self):
        return "\n".join(self.lines) + "\n"


# --- the platform of one Sapphire Rapids socket -------------------------------------------

def socket_platform(h, sock):
    """Root-complex and uncore functions of one socket (~150), the PCH on socket 0."""
    numa = sock
    base = 0x80 * sock
    # Six root buses, each with its host bridge and three RAS/IIO functions (one group).
    for rb in (0x00, 0x70, 0x72, 0x74, 0x76, 0x78):
        bus = base + rb
        g = h.group()
        h.fn(0, bus, 0, 0, "0600", "8086:09a2", g, "Ice Lake Memory Map/VT-d", numa=numa)
        for f, dev in ((1, "09a4"), (2, "09a3"), (4, "0998")):
            h.fn(0, bus, 0, f, "0880", "8086:" + dev, g, "Ice Lake RAS/IEH", numa=numa)
    # Uncore buses: CHA, M2M, M3, UPI, PCU, memory controller functions (class 0880).
    for ub in (0x7e, 0x7f):
        bus = base + ub
        g = h.group()
        for slot in range(0, 9):
            for func in range(0, 5):
                h.fn(0, bus, slot, func, "0880", "8086:%04x" % (0x3250 + slot * 8 + func), g,
                     "Sapphire Rapids uncore", numa=numa)
    if sock == 0:
        g = h.group()
        for func, cls, ident, drv, desc in ((0, "0601", "8086:1b81", None, "C741 eSPI"),
                                            (3, "0403", "8086:1bc8", "snd_hda_intel", "HD Audio"),
                                            (4, "0c05", "8086:1bc9", "i801_smbus", "SMBus"),
                                            (5, "0c80", "8086:1bca", None, "SPI")):
            h.fn(0, 0, 0x1f, func, cls, ident, g, desc, driver=drv, numa=0)
        h.fn(0, 0, 0x14, 0, "0c03", "8086:1bcd", h.group(), "USB 3.2 xHCI", driver="xhci_hcd",
             numa=0)
        h.fn(0, 0, 0x17, 0, "0106", "8086:1bd2", h.group(), "SATA AHCI", driver="ahci", numa=0)
        g = h.group()
        h.fn(0, 0x01, 0, 0, "0604", "1a03:1150", g, "AST1150 PCI-to-PCI Bridge", numa=0)
        h.fn(0, 0x02, 0, 0, "0300", "1a03:2000", g, "ASPEED Graphics Family", driver="ast",
             boot_vga=1, numa=0)
        h.fn(0, 0x03, 0, 0, "0200", "8086:1533", h.group(), "I210 Gigabit", driver="igb",
             numa=0)


def root_port(h, bus, numa, dom=0):
    h.fn(dom, bus, 1, 0, "0604", "8086:352a", h.group(), "PCIe Root Port",
         driver="pcieport", numa=numa)


def pex_switch(h, sock, first_bus, endpoints):
    """A PEX890xx switch: upstream port, one downstream port per endpoint, each its own
    group (ACS on); endpoints: list of callables (bus) -> None adding the endpoint."""
    numa = sock
    h.fn(0, first_bus, 0, 0, "0604", "1000:c030", h.group(), "PEX890xx upstream",
         driver="pcieport", numa=numa)
    for i, add in enumerate(endpoints):
        h.fn(0, first_bus + 1, i, 0, "0604", "1000:c030", h.group(), "PEX890xx downstream",
             driver="pcieport", numa=numa)
        add(first_bus + 2 + i)
    return first_bus + 2 + len(endpoints)


# --- the hosts ----------------------------------------------------------------------------

def desktop(preudev=False):
    h = Host("desktop", "AMD X570 desktop: boot display RTX 4090, RTX 2080 Ti with USB-C and "
             "UCSI for the VM, GT 1030 in the chipset group (refused)",
             [("memtotal_kib", 64 * 1024 * 1024), ("cpu_vendor", "AuthenticAMD"),
              ("cmdline", AMD_CMDLINE), ("kmsg", "AMD-Vi: Interrupt remapping enabled")],
             preudev)
    g = h.group()
    h.fn(0, 0, 0, 0, "0600", "1022:1480", g, "Starship/Matisse Root Complex")
    h.fn(0, 0, 0, 2, "0806", "1022:1481", h.group(), "Starship/Matisse IOMMU")
    for slot in (1, 2, 3, 4, 5, 7, 8):
        g = h.group()
        h.fn(0, 0, slot, 0, "0600", "1022:1482", g, "PCIe Dummy Host Bridge")
        if slot in (1, 3):
            for f in (1, 2):
                h.fn(0, 0, slot, f, "0604", "1022:1483", g, "GPP Bridge", driver="pcieport")
        if slot in (7, 8):
            h.fn(0, 0, slot, 1, "0604", "1022:1484", g, "Internal PCIe GPP Bridge",
                 driver="pcieport")
    g = h.group()
    h.fn(0, 0, 0x14, 0, "0c05", "1022:790b", g, "FCH SMBus", driver="piix4_smbus")
    h.fn(0, 0, 0x14, 3, "0601", "1022:790e", g, "FCH LPC Bridge")
    g = h.group()
    for f in range(8):
        h.fn(0, 0, 0x18, f, "0600", "1022:%04x" % (0x1440 + f), g, "Matisse Data Fabric")
    # 01: RTX 4090 in the first x16 slot, the boot display.
    g = h.group()
    h.fn(0, 1, 0, 0, "0300", "10de:2684", g, "AD102 [GeForce RTX 4090]", driver="nouveau",
         boot_vga=1)
    h.fn(0, 1, 0, 1, "0403", "10de:22ba", g, "AD102 HD Audio", driver="snd_hda_intel")
    h.fn(0, 2, 0, 0, "0108", "144d:a80a", h.group(), "980 PRO NVMe", driver="nvme")
    # 03-08: the chipset (no ACS below it: one group), with a GT 1030 in a chipset slot.
    g = h.group()
    h.fn(0, 3, 0, 0, "0604", "1022:57ad", g, "Matisse Switch Upstream", driver="pcieport")
    for s in (1, 3, 5, 8, 9):
        h.fn(0, 4, s, 0, "0604", "1022:57a3", g, "Matisse PCIe GPP Bridge", driver="pcieport")
    h.fn(0, 5, 0, 0, "0200", "8086:1539", g, "I211 Gigabit", driver="igb")
    h.fn(0, 6, 0, 0, "0280", "8086:2723", g, "Wi-Fi 6 AX200", driver="iwlwifi")
    h.fn(0, 7, 0, 0, "0300", "10de:1d01", g, "GP108 [GeForce GT 1030]", driver="nouveau")
    h.fn(0, 7, 0, 1, "0403", "10de:0fb8", g, "GP108 HD Audio", driver="snd_hda_intel")
    h.fn(0, 8, 0, 0, "0c03", "1022:149c", g, "Matisse USB 3.0", driver="xhci_hcd")
    h.fn(0, 9, 0, 0, "0106", "1022:7901", g, "FCH SATA", driver="ahci")
    # 0a: RTX 2080 Ti with VirtualLink: VGA, audio, USB-C, UCSI (one group).
    g = h.group()
    for f, cls, dev, drv, desc in ((0, "0300", "1e07", "nouveau", "TU102 [RTX 2080 Ti]"),
                                   (1, "0403", "10f7", "snd_hda_intel", "TU102 HD Audio"),
                                   (2, "0c03", "1ad6", "xhci_hcd", "TU102 USB 3.1"),
                                   (3, "0c80", "1ad7", "nvidia-gpu", "TU102 UCSI")):
        h.fn(0, 0x0a, 0, f, cls, "10de:" + dev, g, desc, driver=drv)
    # 0b, 0c: the CPU's own functions.
    g = h.group()
    h.fn(0, 0x0b, 0, 0, "1300", "1022:148a", g, "Starship/Matisse PCIe Dummy Function")
    g = h.group()
    h.fn(0, 0x0c, 0, 0, "1300", "1022:1485", g, "Starship/Matisse Reserved SPP")
    h.fn(0, 0x0c, 0, 1, "1080", "1022:1486", g, "Starship/Matisse Cryptographic Coprocessor",
         driver="ccp")
    h.fn(0, 0x0c, 0, 3, "0c03", "1022:149c", g, "Matisse USB 3.0", driver="xhci_hcd")
    h.fn(0, 0x0c, 0, 4, "0403", "1022:1487", g, "Starship/Matisse HD Audio",
         driver="snd_hda_intel")
    return h


def server_gpu_block(h, sock, bus, gpu_ids, keep_first=False):
    """Two PEX switches per socket, each with 2 GPUs, a ConnectX-7 and an NVMe."""
    for sw in range(2):
        eps = []
        for k in range(2):
            drv = "vfio-pci" if keep_first and sw == 0 and k == 0 else "nvidia"
            eps.append(lambda b, drv=drv: h.fn(0, b, 0, 0, "0302", gpu_ids, h.group(),
                                               "GH100 [H100 SXM5 80GB]", driver=drv,
                                               numa=sock, subsys="10de:16c1", rev="a1"))
        eps.append(lambda b: h.fn(0, b, 0, 0, "0200", "15b3:1021", h.group(),
                                  "MT2910 [ConnectX-7]", driver="mlx5_core", numa=sock))
        eps.append(lambda b: h.fn(0, b, 0, 0, "0108", "144d:a824", h.group(), "PM1743 NVMe",
                                  driver="nvme", numa=sock))
        root_port(h, bus, sock)
        bus = pex_switch(h, sock, bus + 1, eps)
    return bus


def server_common(h, gpus=True):
    for sock in range(2):
        socket_platform(h, sock)
    if gpus:
        server_gpu_block(h, 0, 0x10, "10de:2330", keep_first=True)
        server_gpu_block(h, 1, 0x90, "10de:2330")
        # NVSwitches on socket 0, two BlueField-3 storage NICs, two boot NVMe drives.
        for i in range(4):
            root_port(h, 0x30 + 2 * i, 0)
            h.fn(0, 0x31 + 2 * i, 0, 0, "0680", "10de:22a3", h.group(), "GH100 [H100 NVSwitch]",
                 numa=0, rev="a1")
        for i, sock in enumerate((0, 1)):
            bus = 0x40 + 0x80 * sock
            root_port(h, bus, sock)
            g = h.group()
            for f in range(2):
                h.fn(0, bus + 1, 0, f, "0200", "15b3:a2dc", g, "BlueField-3", driver="mlx5_core",
                     numa=sock)
            root_port(h, bus + 2, sock)
            h.fn(0, bus + 3, 0, 0, "0108", "144d:a80a", h.group(), "PM9A3 NVMe", driver="nvme",
                 numa=sock)


def server(preudev=False):
    h = Host("server", "two-socket HGX H100: 8 H100 (one already on vfio-pci), 4 NVSwitches, "
             "8 ConnectX-7 and 2 BlueField-3, 10 NVMe, PEX switches, Sapphire Rapids "
             "uncore; ASPEED boot display",
             [("memtotal_kib", 2147483648), ("numa_nodes", 2), ("cmdline", INTEL_CMDLINE),
              ("kmsg", "DMAR: IOMMU enabled"),
              ("kmsg", "DMAR-IR: Enabled IRQ remapping in x2apic mode")], preudev)
    server_common(h)
    return h


def nic_with_vfs(h, dom, bus, numa, ports, vfs_per_port, ident_pf, ident_vf, desc):
    """A NIC on one bus: ports PFs at functions 0..ports-1, then the VFs (ARI routing IDs,
    shown as slot = rid >> 3, function = rid & 7), every function in its own group."""
    rid = 0
    for p in range(ports):
        h.fn(dom, bus, rid >> 3, rid & 7, "0200", ident_pf, h.group(), desc + " PF",
             driver="mlx5_core", numa=numa)
        rid += 1
    for p in range(ports):
        for v in range(vfs_per_port):
            h.fn(dom, bus, rid >> 3, rid & 7, "0200", ident_vf, h.group(), desc + " VF",
                 driver="mlx5_core", numa=numa)
            rid += 1


def l40s(h, dom, bus, numa):
    root_port(h, bus, numa, dom)
    h.fn(dom, bus + 1, 0, 0, "0302", "10de:26b9", h.group(), "AD102GL [L40S]", driver="nvidia",
         numa=numa, rev="a1")


def sriov():
    h = Host("sriov", "SR-IOV host: 12 dual-port ConnectX-6 Dx with 116 VFs per port (each "
             "in its own group), 4 L40S, an A2 sharing a group with an X710 (refused)",
             [("memtotal_kib", 1073741824), ("numa_nodes", 2), ("cmdline", INTEL_CMDLINE),
              ("kmsg", "DMAR: IOMMU enabled")])
    server_common(h, gpus=False)
    for i in range(4):
        l40s(h, 0, 0x10 + 2 * i, 0)
    # An A2 and an X710 below a switch without ACS: one group.
    g = h.group()
    h.fn(0, 0x20, 0, 0, "0604", "10b5:8747", g, "PEX 8747 upstream", driver="pcieport", numa=0)
    for s in (8, 9):
        h.fn(0, 0x21, s, 0, "0604", "10b5:8747", g, "PEX 8747 downstream", driver="pcieport",
             numa=0)
    h.fn(0, 0x22, 0, 0, "0302", "10de:25b6", g, "GA107GL [A2]", driver="nvidia", numa=0)
    h.fn(0, 0x23, 0, 0, "0200", "8086:1572", g, "Ethernet Controller X710", driver="i40e", numa=0)
    for n in range(12):
        sock = n // 6
        nic_with_vfs(h, 0, 0x50 + 0x80 * sock + n % 6, sock, 2, 116, "15b3:101d", "15b3:101e",
                     "MT2892 [ConnectX-6 Dx]")
    return h


def extreme():
    h = Host("extreme", "extreme SR-IOV host: 116 ConnectX-6 Dx with 255 VFs each (a bus "
             "each, in PCI domain 0001), every VF in its own group, 8 L40S",
             [("memtotal_kib", 4294967296), ("numa_nodes", 2), ("cmdline", INTEL_CMDLINE),
              ("kmsg", "DMAR: IOMMU enabled")])
    # The GPUs first, so that their groups (1, 3, ...) come early in the glob order of
    # /sys/kernel/iommu_groups/* and a capped run of the seed check reaches some of them.
    for i in range(8):
        l40s(h, 0, 0x10 + 2 * i + (0x80 if i >= 4 else 0), i // 4)
    server_common(h, gpus=False)
    for bus in range(1, 117):  # domain 0001, a bus per NIC
        nic_with_vfs(h, 1, bus, 0 if bus < 0x3b else 1, 1, 255, "15b3:101d", "15b3:101e",
                     "MT2892 [ConnectX-6 Dx]")
    return h


HOSTS = {"desktop": desktop, "server": server, "sriov": sriov, "extreme": extreme,
         "desktop-boot": lambda: desktop(True), "server-boot": lambda: server(True)}


def digest(text):
    d = hashlib.sha256(text.encode())
    for path in (MKHOST, POLICY):
        with open(path, "rb") as f:
            d.update(f.read())
    return d.hexdigest()


def build(outdir, name):
    h = HOSTS[name]()
    text = h.text()
    hostfile = os.path.join(outdir, "hosts", name + ".host")
    root = os.path.join(outdir, name)
    stamp = root + ".stamp"
    os.makedirs(os.path.dirname(hostfile), exist_ok=True)
    with open(hostfile, "w") as f:
        f.write(text)
    want = digest(text)
    try:
        with open(stamp) as f:
            if f.read().strip() == want and os.path.isdir(root):
                return h.count, False
    except OSError:
        pass
    if os.path.exists(stamp):
        os.unlink(stamp)
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run([sys.executable, MKHOST, hostfile, root], check=True)
    shutil.copyfile(POLICY, os.path.join(root, "etc", "vfiohost.conf"))
    os.makedirs(os.path.join(root, "dev", "vfio"), exist_ok=True)
    with open(stamp, "w") as f:
        f.write(want + "\n")
    return h.count, True


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    outdir = argv[1]
    names = argv[2:] or list(HOSTS)
    for name in names:
        if name not in HOSTS:
            print(f"genhosts: unknown host '{name}' ({', '.join(HOSTS)})", file=sys.stderr)
            return 2
        count, built = build(outdir, name)
        print(f"{name} {count} {'built' if built else 'cached'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
