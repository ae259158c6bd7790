#!/usr/bin/env python3
"""measure: the figures of `make bench` (see bench/README.md).

usage: measure.py BUILD

Expects the hosts built by bench/genhosts.py in BUILD/bench and the agent in
BUILD/vfiohost. Prints the decision checks and the tables, writes BUILD/bench/results.csv,
BUILD/bench/scaling.dat, BUILD/bench/scaling.gp and BUILD/bench/scaling.png.

Environment: SEED_SCRIPT=FILE the seed guide's check script and GUIDE=FILE the guide it was
taken from (bench/run.sh sets both; the project does not carry them); BENCH_FULL=1 runs every slow reference to the end instead of capping it
(the seed check on the 30,000-function host then takes tens of minutes); BENCH_CAP=S
sets the cap of a capped run (default 20 seconds).
"""

import json
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FULL = os.environ.get("BENCH_FULL") == "1"
CAP = float(os.environ.get("BENCH_CAP", "20"))
HOSTS = ["desktop", "server", "sriov", "extreme"]
SEED_GUIDE = os.environ.get("GUIDE", "")
SEED_SCRIPT = os.environ.get("SEED_SCRIPT", "")

# Repetitions per host: plan, shell (read), shell (cat), check, seed, and `vfiohost
# --version` (nop: the cost of starting a process, the floor under every figure). 0: not
# run (extrapolated); "cap": one run stopped after CAP seconds and extrapolated.
REPS = {
    "desktop": dict(plan=41, sh=41, shcat=11, check=41, seed=7, nop=41),
    "server": dict(plan=41, sh=41, shcat=5, check=41, seed=5, nop=41),
    "sriov": dict(plan=21, sh=21, shcat=3, check=21, seed="cap", nop=21),
    "extreme": dict(plan=7, sh=7, shcat=0, check=7, seed="cap", nop=7),
}
if FULL:
    REPS["sriov"].update(seed=1)
    REPS["extreme"].update(shcat=1, seed=1)

LABEL = {
    "plan": "vfiohost plan",
    "sh": "shell bind (read)",
    "shcat": "shell bind (cat)",
    "check": "vfiohost check",
    "seed": "seed check",
    "nop": "vfiohost --version",
    "boot": "vfiohost boot",
    "shw": "shell bind, writing",
}


CSV_NAME = {"nop": "vfiohost_version", "plan": "vfiohost_plan", "sh": "shell_bind_read",
            "shcat": "shell_bind_cat", "check": "vfiohost_check", "seed": "seed_check",
            "boot": "vfiohost_boot", "shw": "shell_bind_write"}


def say(text=""):
    print(text, flush=True)


# --- running a command ---------------------------------------------------------------------

class Run:
    """One finished run: wall ms, exit status, and whether the cap stopped it."""

    def __init__(self, ms, status, capped):
        self.ms, self.status, self.capped = ms, status, capped


def run(argv, out_path, cap=None, env=None):
    """Spawn argv with stdout to out_path (stderr to out_path.err) in a session of its own,
    wait with wait4, and kill the session after cap seconds if cap is given."""
    out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(out_path + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    fa = [(os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2),
          (os.POSIX_SPAWN_CLOSE, out), (os.POSIX_SPAWN_CLOSE, err)]
    killed = []
    t0 = time.perf_counter_ns()
    pid = os.posix_spawnp(argv[0], argv, env or os.environ, file_actions=fa, setsid=True)
    timer = None
    if cap:
        def kill():
            killed.append(time.perf_counter_ns())
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        timer = threading.Timer(cap, kill)
        timer.start()
    _, status = os.waitpid(pid, 0)
    t1 = time.perf_counter_ns()
    if timer:
        timer.cancel()
    os.close(out)
    os.close(err)
    if killed:
        t1 = killed[0]
    return Run((t1 - t0) / 1e6, status, bool(killed))


def maxrss(helper, argv, cap):
    """Peak RSS in KiB of one run of argv, through the small helper bench/maxrss.c."""
    out = subprocess.run([helper, str(int(cap))] + argv, capture_output=True, text=True)
    return int(out.stdout) if out.stdout.strip().isdigit() else None


def interleave(cmds, reps, outdir):
    """Runs every command reps[name] times, round-robin (the order rotating each round), so
    that a burst of load on the shared machine hits every command alike. cmds: name -> argv;
    reps: name -> count or "cap". Returns name -> list of Run."""
    names = [n for n in cmds if reps.get(n)]
    rounds = max(1 if reps[n] == "cap" else reps[n] for n in names)
    res = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            want = 1 if reps[n] == "cap" else reps[n]
            if r >= want:
                continue
            cap = CAP if reps[n] == "cap" else None
            res[n].append(run(cmds[n], os.path.join(outdir, n + ".out"), cap))
    return res


def median_ms(runs):
    return statistics.median(x.ms for x in runs) if runs else None


# --- decisions: both ways must decide the same -----------------------------------------------

def plan_decisions(vh, root):
    out = subprocess.run([vh, "--root", root, "plan", "--json"], capture_output=True,
                         text=True)
    return sorted(f'{f["action"]} {f["bdf"]}' for f in json.loads(out.stdout)["functions"])


def shell_decisions(root, cat):
    argv = ["busybox", "sh", os.path.join(HERE, "bind-vfio.sh"), "-n"] + (["-c"] if cat else [])
    out = subprocess.run(argv + [root], capture_output=True, text=True)
    return sorted(line for line in out.stdout.splitlines() if line)


def summary(decisions):
    counts = {}
    for d in decisions:
        a = d.split()[0]
        counts[a] = counts.get(a, 0) + 1
    return ", ".join(f"{counts[a]} {a}" for a in ("bind", "keep", "skip", "refuse") if a in counts)


def short_bdf(bdf):
    return bdf[5:] if bdf.startswith("0000:") else bdf


def parse_seed(text):
    """The seed script's verdicts: group count, active, GPU groups with their functions,
    groups warned for other devices, groups with several GPUs."""
    s = {"groups": None, "active": None, "gpu_groups": {}, "others": set(), "multi": set()}
    current = None
    for line in text.splitlines():
        m = re.match(r"IOMMU group count : (\d+)", line)
        if m:
            s["groups"] = int(m.group(1))
        m = re.match(r"IOMMU ACTIVE\? : (\w+)", line)
        if m:
            s["active"] = m.group(1) == "yes"
        m = re.match(r"IOMMU Group (\d+):$", line)
        if m:
            current = int(m.group(1))
            s["gpu_groups"][current] = []
            continue
        m = re.match(r"WARN: Group (\d+) contains non-GPU", line)
        if m:
            s["others"].add(int(m.group(1)))
        m = re.match(r"WARN: Multiple GPUs share these IOMMU groups: ([\d ]+) \(", line)
        if m:
            s["multi"] |= {int(x) for x in m.group(1).split()}
        if current is not None:
            if line.strip() == "" or line.startswith("WARN"):
                current = None
            else:
                s["gpu_groups"][current].append(short_bdf(line.split()[0]))
    return s


def check_verdicts(vh, root):
    out = subprocess.run([vh, "--root", root, "check", "--json"], capture_output=True,
                         text=True)
    j = json.loads(out.stdout)
    return {
        "groups": j["iommu"]["groups"], "active": j["iommu"]["active"],
        "gpu_groups": {g["group"]: [short_bdf(f["bdf"]) for f in g["functions"]]
                       for g in j["gpu_groups"]},
        "others": {g["group"] for g in j["gpu_groups"] if g["others"]},
        "multi": {g["group"] for g in j["gpu_groups"] if g["gpus"] > 1},
    }


def group_order(root):
    """(group, members) in the order the seed script's glob visits them (LC_ALL=C)."""
    gdir = os.path.join(root, "sys/kernel/iommu_groups")
    return [(int(g), len(os.listdir(os.path.join(gdir, g, "devices"))))
            for g in sorted(os.listdir(gdir))]


def compare_seed(seed, vh, root, calls=None):
    """'' when they agree; else what differs. calls: lspci calls started by a capped run
    (only the groups it finished are compared, and the warnings it never reached are not)."""
    diffs = []
    if seed["groups"] != vh["groups"] or seed["active"] != vh["active"]:
        diffs.append(f"groups {seed['groups']}/{vh['groups']}, active "
                     f"{seed['active']}/{vh['active']}")
    want = vh["gpu_groups"]
    if calls is not None:
        done, lo, hi = 0, set(), set()
        for g, n in group_order(root):
            done += n
            if done <= calls - 1:
                lo.add(g)
            if done <= calls:
                hi.add(g)
        got = set(seed["gpu_groups"])
        if not ({g for g in want if g in lo} <= got <= {g for g in want if g in hi}):
            diffs.append(f"GPU groups {sorted(got)} vs {sorted(g for g in want if g in lo)}")
        want = {g: want[g] for g in got if g in want}
    elif set(seed["gpu_groups"]) != set(want):
        diffs.append(f"GPU groups {sorted(seed['gpu_groups'])} vs {sorted(want)}")
    for g in want:
        if g in seed["gpu_groups"] and sorted(seed["gpu_groups"][g]) != sorted(want[g]):
            diffs.append(f"group {g}: {seed['gpu_groups'][g]} vs {want[g]}")
    if calls is None:
        for key in ("others", "multi"):
            if seed[key] != vh[key]:
                diffs.append(f"{key}: {sorted(seed[key])} vs {sorted(vh[key])}")
    return "; ".join(diffs)


# --- system calls and instructions -----------------------------------------------------------

def strace_counts(argv, out):
    """Calls per system call of argv and its children (strace -c -f)."""
    log = out + ".strace"
    subprocess.run(["strace", "-f", "-c", "-o", log] + argv, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    counts = {}
    with open(log) as f:
        for line in f:
            p = line.split()
            if len(p) >= 5 and re.match(r"[\d.]+$", p[0]) and p[-1] != "total":
                counts[p[-1]] = int(p[3])
    return counts


def instructions(argv):
    """User-space instructions of argv (valgrind --tool=callgrind), or None."""
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] +
                         argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    m = re.search(r"Collected : (\d+)", out.stderr)
    return int(m.group(1)) if m else None


# --- sizes: binary, initramfs, boot report ---------------------------------------------------

def elf_stripped(path):
    """True when the ELF file has no .symtab section."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return None
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    names_off = struct.unpack_from("<Q", data, shoff + shstrndx * shentsize + 0x18)[0]
    for i in range(shnum):
        name, kind = struct.unpack_from("<II", data, shoff + i * shentsize)
        end = data.index(b"\0", names_off + name)
        if data[names_off + name:end] == b".symtab" or kind == 2:
            return False
    return True


DECOMPRESS = [(b"\x28\xb5\x2f\xfd", ["zstd", "-dcq"]), (b"\x1f\x8b", ["gzip", "-dc"]),
              (b"\xfd7zXZ", ["xz", "-dc"]), (b"\x02\x21\x4c\x18", ["lz4", "-dc"])]


def cpio_members(data):
    """(name, size) of each member of concatenated newc archives, decompressing a
    compressed tail as the kernel does; raises OSError when a tool is missing."""
    members, pos = [], 0
    while pos < len(data):
        if data[pos:pos + 6] in (b"070701", b"070702"):
            namesize = int(data[pos + 94:pos + 102], 16)
            size = int(data[pos + 54:pos + 62], 16)
            name = data[pos + 110:pos + 110 + namesize - 1].decode(errors="replace")
            pos = (pos + 110 + namesize + 3) & ~3
            pos = (pos + size + 3) & ~3
            if name == "TRAILER!!!":
                while pos < len(data) and data[pos] == 0:
                    pos += 1
                continue
            members.append((name, size))
            continue
        for magic, tool in DECOMPRESS:
            if data[pos:pos + len(magic)] == magic:
                out = subprocess.run(tool, input=data[pos:], capture_output=True)
                if out.returncode != 0 and not out.stdout:
                    raise OSError(f"{tool[0]} failed")
                return members + cpio_members(out.stdout)
        break
    return members


def initramfs_report(build):
    base = os.path.join(build, "e2e")
    imgs = []
    for d, dirs, files in os.walk(base):
        dirs[:] = [x for x in dirs if x != "tmp"]  # images being built right now
        for f in files:
            p = os.path.join(d, f)
            if f.endswith(".img") and os.path.getsize(p) > 0:
                imgs.append(p)
    rows = []
    for p in sorted(imgs):
        row = {"image": os.path.relpath(p, build), "bytes": os.path.getsize(p)}
        try:
            with open(p, "rb") as f:
                members = cpio_members(f.read())
        except (OSError, ValueError) as e:
            row["error"] = str(e)
            rows.append(row)
            continue
        ours = [(n, s) for n, s in members
                if "vfiohost" in n and "e2e" not in n and s > 0]
        vfio = [(n, s) for n, s in members
                if re.search(r"/drivers/vfio/|/irqbypass\.ko", n) and s > 0]
        test = [(n, s) for n, s in members if "e2e" in n and s > 0]
        row.update(total_unpacked=sum(s for _, s in members),
                   ours=sum(s for _, s in ours), ours_files=[n for n, _ in ours],
                   vfio=sum(s for _, s in vfio), test=sum(s for _, s in test))
        rows.append(row)
    return rows


def boot_reports(build):
    """Phase times of boot reports found under BUILD/e2e (report.json files, or the
    '--- report.json' section of the guests' log/NAME.report)."""
    found = []
    for d, _, files in os.walk(os.path.join(build, "e2e")):
        for f in sorted(files):
            p = os.path.join(d, f)
            text = None
            if f == "report.json":
                with open(p, errors="replace") as fh:
                    text = fh.read()
            elif f.endswith(".report"):
                with open(p, errors="replace") as fh:
                    lines = fh.read().replace("\r", "").splitlines()
                if "--- report.json" in lines:
                    i = lines.index("--- report.json") + 1
                    j = i
                    while j < len(lines) and not lines[j].startswith("--- "):
                        j += 1
                    text = "\n".join(lines[i:j])  # the pretty-printed report, up to the next section
            if not text or "phases_us" not in text:
                continue
            try:
                j = json.loads(text)
            except ValueError:
                continue
            found.append((os.path.relpath(p, build), j.get("phases_us"), j.get("mode")))
    return found


# --- the benchmark ---------------------------------------------------------------------------

def nfunctions(root):
    return len(os.listdir(os.path.join(root, "sys/bus/pci/devices")))


def fmt_ms(v, extrap=False):
    if v is None:
        return "-"
    s = f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 1000 else f"{v:,.0f}"
    return ("~" if extrap else "") + s


def fmt_x(a, b, extrap=False):
    if a is None or b is None or b == 0:
        return "-"
    r = a / b
    s = f"{r:.1f}x" if r < 100 else f"{r:,.0f}x"
    return ("~" if extrap else "") + s


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    build = argv[1]
    bench = os.path.join(build, "bench")
    vh = os.path.abspath(os.path.join(build, "vfiohost"))
    work = os.path.join(bench, "out")
    os.makedirs(work, exist_ok=True)
    bind_sh = os.path.join(HERE, "bind-vfio.sh")
    helper = os.path.join(bench, "maxrss")
    seed_sh = os.path.join(HERE, "seed-run.sh")
    t_start = time.time()

    if not SEED_SCRIPT or not os.path.isfile(SEED_SCRIPT):
        print("measure.py: SEED_SCRIPT= does not name the seed guide's check script "
              "(bench/run.sh takes it from GUIDE=)", file=sys.stderr)
        return 2
    say(f"seed check script: {SEED_SCRIPT}, the script of {SEED_GUIDE or 'the seed guide'} "
        "section 2, byte for byte")
    mode = "ns" if subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                                  stderr=subprocess.DEVNULL).returncode == 0 else "sed"
    say(f"seed check wrapper: bench/seed-run.sh -m {mode} ("
        + ("ROOT/sys bind-mounted on /sys in a private mount namespace"
           if mode == "ns" else "paths rewritten to ROOT, lspci shim") + ")")
    say(f"caps: {'none (BENCH_FULL=1)' if FULL else f'{CAP:g} s per capped run'}")
    say()

    results = {}  # host -> dict
    for host in HOSTS:
        root = os.path.abspath(os.path.join(bench, host))
        n = nfunctions(root)
        out = os.path.join(work, host)
        os.makedirs(out, exist_ok=True)
        r = results[host] = {"n": n, "root": root, "extrap": {}, "notes": {}}
        say(f"== {host}: {n} PCI functions ({root})")

        # Decisions first: a comparison of two ways that decide differently means nothing.
        want = plan_decisions(vh, root)
        got = shell_decisions(root, False)
        ok = got == want
        line = f"   decisions: vfiohost plan {summary(want)}; shell bind (read) "
        line += "SAME" if ok else "DIFFERENT:\n     " + "\n     ".join(
            sorted(set(got) ^ set(want)))
        if REPS[host]["shcat"]:
            gotc = shell_decisions(root, True)
            okc = gotc == want
            line += "; shell bind (cat) " + ("SAME" if okc else "DIFFERENT")
            ok = ok and okc
        say(line)
        r["same_bind"] = ok

        cmds = {
            "plan": [vh, "--root", root, "--config", "/etc/vfiohost.conf", "plan"],
            "sh": ["busybox", "sh", bind_sh, "-n", root],
            "shcat": ["busybox", "sh", bind_sh, "-n", "-c", root],
            "check": [vh, "--root", root, "check"],
            "seed": ["sh", seed_sh, "-m", mode, root],
            "nop": [vh, "--version"],
        }
        reps = dict(REPS[host])
        count_file = os.path.join(out, "seed.calls")
        if reps["seed"] == "cap":
            cmds["seed"] = ["sh", seed_sh, "-m", mode, "-k", count_file, root]
            open(count_file, "w").close()
        runs = interleave(cmds, reps, out)
        r["runs"] = runs
        for k, v in runs.items():
            r[k] = median_ms(v)
            r[k + "_n"] = len(v)
        # Peak RSS, one uncapped run each (a killed run loses its descendants' figures).
        for k in ("plan", "sh", "shcat", "check", "seed"):
            if reps[k] and reps[k] != "cap":
                r[k + "_rss"] = maxrss(helper, cmds[k], 0)

        # The seed check's verdicts against vfiohost check's.
        with open(os.path.join(out, "seed.out"), errors="replace") as f:
            seed = parse_seed(f.read())
        calls = None
        if reps["seed"] == "cap" and runs["seed"][0].capped:
            with open(count_file) as f:
                calls = sum(1 for _ in f)
            members = sum(m for _, m in group_order(root))
            took = runs["seed"][0].ms
            r["seed"] = took * members / max(calls, 1)
            r["extrap"]["seed"] = True
            r["notes"]["seed"] = (f"stopped after {took / 1000:.0f} s, {calls} of {members} "
                                  f"lspci calls done; extrapolated linearly")
        diff = compare_seed(seed, check_verdicts(vh, root), root, calls)
        r["same_check"] = diff == ""
        say("   check verdicts (GPU groups, their functions, warnings): seed check "
            + ("SAME" if not diff else "DIFFERENT: " + diff)
            + (f" (over the {len(seed['gpu_groups'])} GPU groups it reached before the cap)"
               if calls is not None else ""))
        if not reps["shcat"]:
            src = results["sriov"]
            r["shcat"] = src["shcat"] * n / src["n"]
            r["extrap"]["shcat"] = True
            r["notes"]["shcat"] = "not run; extrapolated linearly from the sriov host"
        for k, note in r["notes"].items():
            say(f"   {LABEL[k]}: {note}")

        # System calls (strace -c -f), once per command.
        r["sys"] = {}
        for k in ("plan", "check", "sh", "shcat", "seed"):
            if k == "shcat" and host not in ("desktop", "server") and not FULL:
                continue
            if k == "seed" and host != "desktop" and not FULL:
                continue
            argv = [c for c in cmds[k] if c not in ("-k", count_file)]
            r["sys"][k] = strace_counts(argv, os.path.join(out, k))
        # Instructions (callgrind): repeatable where wall time is not.
        r["ir"] = {k: instructions(cmds[k]) for k in ("plan", "check")}
        if host in ("desktop", "server"):
            r["ir"]["sh"] = instructions(cmds["sh"])
        say(f"   done at {time.time() - t_start:.0f} s")

    # Linear growth: the 300- and the 30,000-function hosts interleaved with each other (the
    # per-host figures above were taken minutes apart, under whatever load there was).
    sv, ex = results["server"]["root"], results["extreme"]["root"]
    cmds = {"plan300": [vh, "--root", sv, "plan"], "plan30k": [vh, "--root", ex, "plan"],
            "check300": [vh, "--root", sv, "check"], "check30k": [vh, "--root", ex, "check"]}
    n = 11 if not FULL else 21
    runs = interleave(cmds, dict.fromkeys(cmds, n), work)
    scaling = {k: median_ms(v) for k, v in runs.items()}
    scaling.update({k + "_min": min(x.ms for x in v) for k, v in runs.items()})
    scaling["runs"] = n

    # `boot` against the shell script that writes, on the trees as the initramfs sees them.
    boot = {}
    for host in ("desktop", "server"):
        src = os.path.join(bench, host + "-boot")
        dst = os.path.join(work, host + "-boot")
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst, symlinks=True)
        dst = os.path.abspath(dst)
        for line in plan_decisions(vh, dst):
            action, bdf = line.split()
            if action == "bind":
                link = os.readlink(os.path.join(dst, "sys/bus/pci/devices", bdf, "iommu_group"))
                open(os.path.join(dst, "dev/vfio", os.path.basename(link)), "w").close()
        cmds = {"boot": [vh, "--root", dst, "boot"], "shw": ["busybox", "sh", bind_sh, dst]}
        runs = interleave(cmds, {"boot": 21, "shw": 21}, os.path.join(work, host))
        with open(os.path.join(dst, "run/vfiohost/report.json")) as f:
            rep = json.load(f)
        boot[host] = {k: median_ms(v) for k, v in runs.items()}
        boot[host]["phases"] = rep.get("phases_us")
        boot[host]["results"] = sorted({f.get("result", "") for f in rep["functions"]})
        boot[host]["sys"] = {k: strace_counts(cmds[k], os.path.join(work, host, k + "-w"))
                             for k in cmds}

    report(build, bench, vh, results, boot, scaling, t_start)
    return 0


def total(counts):
    return sum(counts.values()) if counts else None


def report(build, bench, vh, results, boot, scaling, t_start):
    say()
    say("== wall time: median ms over interleaved runs (runs), ratio to vfiohost")
    say("   spawn = vfiohost --version: starting a process, in every figure; ~ = extrapolated")
    hdr = (f"{'host':8} {'fns':>6} | {'spawn':>5} | {'plan':>8} {'sh(read)':>9} {'ratio':>7} "
           f"{'sh(cat)':>9} {'ratio':>8} | {'check':>8} {'seed check':>11} {'ratio':>9}")
    say(hdr)
    say("-" * len(hdr))
    for h, r in results.items():
        e = r["extrap"]
        say(f"{h:8} {r['n']:>6} | {fmt_ms(r['nop']):>5} | {fmt_ms(r['plan']):>8} {fmt_ms(r['sh']):>9} "
            f"{fmt_x(r['sh'], r['plan']):>7} {fmt_ms(r['shcat'], e.get('shcat')):>9} "
            f"{fmt_x(r['shcat'], r['plan'], e.get('shcat')):>8} | {fmt_ms(r['check']):>8} "
            f"{fmt_ms(r['seed'], e.get('seed')):>11} {fmt_x(r['seed'], r['check'], e.get('seed')):>9}")
    say("   runs: " + "; ".join(f"{h} " + "/".join(str(r.get(k + "_n", 0)) for k in
                                                 ("nop", "plan", "sh", "shcat", "check",
                                                  "seed"))
                                 for h, r in results.items())
        + " (spawn/plan/sh/cat/check/seed)")
    a, b = results["server"], results["extreme"]
    say(f"   growth, server ({a['n']}) and extreme ({b['n']}) interleaved with each other, "
        f"{scaling['runs']} runs each: plan {fmt_ms(scaling['plan300'])} -> "
        f"{fmt_ms(scaling['plan30k'])} ms ({fmt_x(scaling['plan30k'], scaling['plan300'])}), "
        f"check {fmt_ms(scaling['check300'])} -> {fmt_ms(scaling['check30k'])} ms "
        f"({fmt_x(scaling['check30k'], scaling['check300'])}); fastest runs: plan "
        f"{fmt_x(scaling['plan30k_min'], scaling['plan300_min'])}, check "
        f"{fmt_x(scaling['check30k_min'], scaling['check300_min'])}")

    say()
    say("== system calls per PCI function (strace -c -f; total / functions)")
    hdr = (f"{'host':8} {'fns':>6} | {'plan':>6} {'check':>6} {'sh(read)':>9} {'sh(cat)':>8} "
           f"{'seed':>7}")
    say(hdr)
    say("-" * len(hdr))
    for h, r in results.items():
        cells = []
        for k in ("plan", "check", "sh", "shcat", "seed"):
            t = total(r["sys"].get(k))
            cells.append("-" if t is None else f"{t / r['n']:.1f}")
        say(f"{h:8} {r['n']:>6} | {cells[0]:>6} {cells[1]:>6} {cells[2]:>9} {cells[3]:>8} "
            f"{cells[4]:>7}")
    a, b = results["sriov"], results["extreme"]
    marg = {}
    for k in ("plan", "check"):
        if not a["sys"].get(k) or not b["sys"].get(k):
            say(f"   strace gave no counts for vfiohost {k}")
            continue
        keys = set(a["sys"][k]) | set(b["sys"][k])
        marg[k] = {s: (b["sys"][k].get(s, 0) - a["sys"][k].get(s, 0)) / (b["n"] - a["n"])
                   for s in keys}
        marg[k] = {s: v for s, v in marg[k].items() if abs(v) >= 0.005}
    say("   the floor: 1 read (uevent: class, ids, driver) + 1 readlink (iommu_group) per")
    say("   function = 2, or 4 counting the open and close a read needs")
    for k in marg:
        parts = ", ".join(f"{s} {v:.2f}" for s, v in sorted(marg[k].items(), key=lambda x: -x[1]))
        say(f"   vfiohost {k}, per added function (sriov -> extreme): "
            f"{sum(marg[k].values()):.2f} = {parts}")

    say()
    say("== peak RSS, KiB (one run each through bench/maxrss.c: the largest process of the")
    say("   command and its descendants; '-': only capped runs, not measured)")
    say(f"{'host':8} | {'plan':>7} {'sh(read)':>9} {'sh(cat)':>8} {'check':>7} {'seed':>7}")
    for h, r in results.items():
        say(f"{h:8} | " + " ".join(f"{r.get(k + '_rss', '-'):>{w}}" for k, w in
                                   (("plan", 7), ("sh", 9), ("shcat", 8), ("check", 7),
                                    ("seed", 7))))

    say()
    say("== user-space instructions (valgrind --tool=callgrind; repeatable)")
    say(f"{'host':8} {'fns':>6} | {'plan':>13} {'per fn':>7} | {'check':>13} {'per fn':>7} | "
        f"{'sh(read)':>13}")
    for h, r in results.items():
        ir = r["ir"]
        say(f"{h:8} {r['n']:>6} | {ir['plan']:>13,} {ir['plan'] // r['n']:>7,} | "
            f"{ir['check']:>13,} {ir['check'] // r['n']:>7,} | "
            + (f"{ir['sh']:>13,}" if ir.get("sh") else f"{'-':>13}"))

    say()
    say("== boot (trees as before udev, dev/vfio/N present; the runs write into copies)")
    for h, b in boot.items():
        say(f"{h:8}: vfiohost boot {fmt_ms(b['boot'])} ms, shell bind writing "
            f"{fmt_ms(b['shw'])} ms ({fmt_x(b['shw'], b['boot'])}); syscalls "
            f"{total(b['sys']['boot'])} vs {total(b['sys']['shw'])}; "
            f"phases_us {json.dumps(b['phases'])}")
        say(f"          results in the fake tree: {', '.join(b['results'])}")
    say("   in a fake tree no driver takes the function after drivers_probe, so boot's")
    say("   results say so and it never waits for /dev/vfio/N; its writes and children run.")

    size = os.path.getsize(vh)
    stripped = elf_stripped(vh)
    say()
    say(f"== binary: {vh}: {size:,} bytes = {size / 1024:.1f} KiB"
        f" ({'stripped' if stripped else 'NOT stripped' if stripped is False else '?'})")

    say()
    say("== initramfs (images under build/e2e, made by make test)")
    imgs = initramfs_report(build)
    if not imgs:
        say("   no images under build/e2e: run make test first")
    for row in imgs:
        if "error" in row:
            say(f"   {row['image']}: {row['bytes']:,} bytes; cannot list it: {row['error']}")
            continue
        say(f"   {row['image']}: {row['bytes']:,} bytes compressed, {row['total_unpacked']:,} "
            f"unpacked; vfiohost's files {row['ours']:,} bytes unpacked "
            f"({len(row['ours_files'])} files), vfio modules {row['vfio']:,}, test-only "
            f"files {row['test']:,}")
    if imgs:
        say("   without vfiohost the image lacks vfiohost's files: the growth is their size "
            "(before compression; an upper bound)")

    say()
    say("== the agent's phase times in a real boot (phases_us of /run/vfiohost/report.json)")
    reps = boot_reports(build)
    if not reps:
        say("   no boot report with phases_us under build/e2e yet: they come from the QEMU "
            "boots of make test (tests/e2e prints the guest's /run/vfiohost/report.json "
            "into build/e2e/log/NAME.report, section '--- report.json')")
    for path, ph, mode in reps:
        say(f"   {path}: {json.dumps(ph)} (mode {mode})")

    goals(results, scaling, size, imgs)
    write_csv(bench, results, boot)
    plot(bench, results)
    say()
    say(f"measured in {time.time() - t_start:.0f} s")


def goals(results, scaling, size, imgs):
    s, x = results["server"], results["extreme"]
    say()
    say("== the goals of issue 6 (measured here, not asserted)")
    rows = []
    ratio = s["sh"] / s["plan"]
    rows.append((ratio >= 50, f"plan on the 8-GPU server >= 50x faster than the shell binding "
                 f"script: {ratio:.1f}x (read builtin), {s['shcat'] / s['plan']:.0f}x ($(cat) "
                 f"per attribute)"))
    rows.append((s["plan"] < 2, f"plan on the 8-GPU server < 2 ms: {s['plan']:.2f} ms wall, "
                 f"of which {s['nop']:.2f} ms is starting a process (vfiohost --version)"))
    parts, below = [], []
    for h, r in results.items():
        ratio = r["seed"] / r["check"]
        extrap = bool(r["extrap"].get("seed"))
        if ratio < 1000 and not extrap:
            below.append(h)
        parts.append(f"{h} {'~' if extrap else ''}{ratio:,.0f}x")
    ok = not below or ("server" not in below and "partly")
    rows.append((ok, "check >= 1000x faster than the seed check: " + ", ".join(parts)
                 + " (~ extrapolated)" + (f"; below on {', '.join(below)}" if below else "")))
    ratio = scaling["plan30k"] / scaling["plan300"]
    rc = scaling["check30k"] / scaling["check300"]
    ir = x["ir"]["plan"] / s["ir"]["plan"]
    irc = x["ir"]["check"] / s["ir"]["check"]
    rows.append((ratio <= 120, f"30,000-function host <= 120x the 300-function host "
                 f"({x['n'] / s['n']:.0f}x the functions): plan {ratio:.0f}x wall "
                 f"({scaling['plan30k']:.0f} / {scaling['plan300']:.2f} ms, {scaling['runs']} "
                 f"interleaved runs each; fastest runs "
                 f"{scaling['plan30k_min'] / scaling['plan300_min']:.0f}x), {ir:.0f}x "
                 f"instructions; check {rc:.0f}x wall, {irc:.0f}x instructions"))
    if total(x["sys"]["plan"]) and total(x["sys"]["check"]):
        per = total(x["sys"]["plan"]) / x["n"]
        rows.append((per <= 6, f"<= 6 system calls per PCI function for discovery: plan "
                     f"{per:.2f}, check {total(x['sys']['check']) / x['n']:.2f} (30,000 "
                     "functions)"))
    else:
        rows.append((None, "<= 6 system calls per PCI function: strace gave no counts"))
    rows.append((size < 150 * 1024, f"binary < 150 KiB stripped: {size / 1024:.1f} KiB"))
    grown = [r for r in imgs if "ours" in r]
    if grown:
        worst = max(r["ours"] for r in grown)
        rows.append((worst < 300 * 1024, f"initramfs growth < 300 KiB beyond the vfio "
                     f"modules: {worst / 1024:.1f} KiB of vfiohost files (unpacked)"))
    else:
        rows.append((None, "initramfs growth < 300 KiB: no images (run make test first)"))
    for ok, text in rows:
        status = {True: "met", False: "NOT met", None: "?"}.get(ok, "partly met")
        say(f"   [{status}] {text}")


def write_csv(bench, results, boot):
    path = os.path.join(bench, "results.csv")
    with open(path, "w") as f:
        f.write("host,functions,command,median_ms,runs,ratio,extrapolated,syscalls,"
                "syscalls_per_function,peak_rss_kib,instructions\n")
        for h, r in results.items():
            for k in ("nop", "plan", "sh", "shcat", "check", "seed"):
                base = r["check"] if k in ("check", "seed") else r["plan"]
                sysc = total(r["sys"].get(k))
                f.write(",".join(str(v) for v in (
                    h, r["n"], CSV_NAME[k], f"{r[k]:.3f}", r.get(k + "_n", 0),
                    f"{r[k] / base:.2f}", int(bool(r["extrap"].get(k))),
                    sysc if sysc is not None else "",
                    f"{sysc / r['n']:.2f}" if sysc is not None else "",
                    r.get(k + "_rss", ""), r["ir"].get(k) or "")) + "\n")
        for h, b in boot.items():
            for k in ("boot", "shw"):
                f.write(",".join(str(v) for v in (
                    h + "-boot", results[h]["n"], CSV_NAME[k],
                    f"{b[k]:.3f}", 21, f"{b[k] / b['boot']:.2f}", 0, total(b["sys"][k]),
                    f"{total(b['sys'][k]) / results[h]['n']:.2f}", "", "")) + "\n")
    say(f"csv: {path}")


def plot(bench, results):
    dat = os.path.join(bench, "scaling.dat")
    keys = ("plan", "sh", "shcat", "check", "seed", "nop")
    with open(dat, "w") as f:
        f.write("# functions " + " ".join(keys) + " (ms; measured, then extrapolated)\n")
        for h, r in results.items():
            meas = [("NaN" if r["extrap"].get(k) else f"{r[k]:.4f}") for k in keys]
            ext = [(f"{r[k]:.4f}" if r["extrap"].get(k) else "NaN") for k in keys]
            f.write(f"{r['n']} " + " ".join(meas + ext) + "\n")
    gp = os.path.join(bench, "scaling.gp")
    png = os.path.join(bench, "scaling.png")
    colors = ("#1f5fbf", "#e07b00", "#c0202a", "#1e9e3a", "#8a3fbf", "#808080")
    series = []
    for i, k in enumerate(keys):
        series.append(f"'{dat}' using 1:{i + 2} with linespoints lw 2 lc rgb '{colors[i]}' "
                      f"pt 7 title '{LABEL[k]}'")
        series.append(f"'{dat}' using 1:{i + 2 + len(keys)} with points lc rgb '{colors[i]}' "
                      "pt 6 ps 2 notitle")
    with open(gp, "w") as f:
        f.write(f"""set terminal pngcairo size 900,600 noenhanced
set output '{png}'
set title 'vfiohost against the shell way: wall time vs PCI functions (open circles: extrapolated)'
set logscale xy
set xlabel 'PCI functions'
set ylabel 'median wall time, ms'
set key top left
set grid
set datafile missing 'NaN'
plot {", ".join(series)}
""")
    out = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if out.returncode != 0 or not os.path.exists(png):
        with open(gp) as f:
            text = f.read().replace("pngcairo size 900,600", "png size 900,600")
        with open(gp, "w") as f:
            f.write(text)
        out = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    say(f"plot: {png}" if out.returncode == 0 else f"plot: gnuplot failed: {out.stderr.strip()}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
