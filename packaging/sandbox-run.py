#!/usr/bin/python3
"""Runs a command inside the sandbox a systemd unit's [Service] section describes, without a
running systemd, so that scripts/package-test.sh can check jlrec works in the hardening of
its units on a machine (or container) whose PID 1 is not systemd.

    sandbox-run.py UNIT_FILE -- COMMAND [ARG...]        (as root)

An emulation of what systemd 252 does, setting by setting, read from the unit: User=,
Group=, UMask=, NoNewPrivileges=, CapabilityBoundingSet=, ProtectSystem=strict,
ReadWritePaths=, PrivateTmp=, ProtectHome=, PrivateDevices=, PrivateIPC=, PrivateUsers=,
ProtectProc=, ProcSubset=, RestrictAddressFamilies=, RestrictNamespaces=, LockPersonality=,
MemoryDenyWriteExecute=, RestrictSUIDSGID=, SystemCallFilter= (the groups as
`systemd-analyze syscall-filter` lists them), SystemCallErrorNumber=; the seccomp filters
are built with libseccomp as systemd builds them (the syscall filter last). A setting it
does not know stops it (exit 2), so a unit cannot gain hardening this check ignores.
It is a check, not a sandbox to rely on: systemd itself runs the units.
"""
import ctypes
import ctypes.util
import errno
import os
import pwd
import grp
import subprocess
import sys

# Settings with no effect on a running program, or whose effect the others already give
# here: Protect{KernelTunables,ControlGroups} (/proc/sys, /sys read-only: all of / is),
# ProtectKernelModules, ProtectClock, ProtectHostname (their syscalls are in @privileged,
# which the units' filter refuses; init_module & co. are checked below), ProtectKernelLogs
# (no /dev/kmsg in the private /dev, no /proc/kmsg with ProcSubset=pid), RestrictRealtime
# (sched_setscheduler is in @resources), RemoveIPC (at stop), PrivateMounts (a mount
# namespace is made anyway), StateDirectory (the package makes it).
NOT_SANDBOX = {"Type", "ExecStart", "TimeoutStartSec", "TimeoutStopSec", "KillSignal", "KillMode",
               "Restart", "RestartSec", "SuccessExitStatus", "StateDirectory", "StateDirectoryMode",
               "RemoveIPC", "PrivateMounts", "AmbientCapabilities"}
COVERED = {"ProtectKernelTunables", "ProtectControlGroups", "ProtectKernelModules", "ProtectClock",
           "ProtectHostname", "ProtectKernelLogs", "RestrictRealtime", "SystemCallArchitectures"}
EMULATED = {"User", "Group", "UMask", "NoNewPrivileges", "CapabilityBoundingSet", "ProtectSystem",
            "ReadWritePaths", "PrivateTmp", "ProtectHome", "PrivateDevices", "PrivateIPC",
            "PrivateUsers", "ProtectProc", "ProcSubset", "RestrictAddressFamilies",
            "RestrictNamespaces", "LockPersonality", "MemoryDenyWriteExecute", "RestrictSUIDSGID",
            "SystemCallFilter", "SystemCallErrorNumber"}

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
seccomp = ctypes.CDLL("libseccomp.so.2", use_errno=True)


def die(message):
    print(f"sandbox-run: {message}", file=sys.stderr)
    sys.exit(2)


def check(rc, what):
    if rc != 0:
        e = ctypes.get_errno() or (-rc if rc < 0 else errno.EIO)
        die(f"{what}: {os.strerror(e)}")


def read_service(path):
    """The [Service] settings: name -> list of values (a setting may repeat)."""
    settings, section = {}, None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]":
                key, _, value = line.partition("=")
                settings.setdefault(key.strip(), []).append(value.strip())
    unknown = set(settings) - NOT_SANDBOX - COVERED - EMULATED
    if unknown:
        die(f"{path} sets {', '.join(sorted(unknown))}, which this check does not emulate: "
            "teach packaging/sandbox-run.py")
    return settings


def last(settings, key, default=""):
    return settings.get(key, [default])[-1]


def yes(settings, key):
    return last(settings, key).lower() in ("yes", "true", "1", "on")


# ---- seccomp
seccomp.seccomp_init.restype = ctypes.c_void_p
seccomp.seccomp_init.argtypes = [ctypes.c_uint32]
seccomp.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
seccomp.seccomp_load.argtypes = [ctypes.c_void_p]
seccomp.seccomp_release.argtypes = [ctypes.c_void_p]


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


seccomp.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(ArgCmp)]
ALLOW = 0x7FFF0000
LT, EQ, GT, MASKED_EQ = 2, 4, 6, 7


def ERRNO(e):
    return 0x00050000 | (e & 0xFFFF)


class Filter:
    def __init__(self, default):
        self.ctx = seccomp.seccomp_init(default)

    def rule(self, action, name, *cmps):
        nr = seccomp.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:
            return  # not a syscall of this architecture
        arr = (ArgCmp * max(1, len(cmps)))(*[ArgCmp(*c) for c in cmps])
        check(seccomp.seccomp_rule_add_array(self.ctx, action, nr, len(cmps), arr), f"rule {name}")

    def load(self, what):
        check(seccomp.seccomp_load(self.ctx), f"loading the {what} filter")
        seccomp.seccomp_release(self.ctx)


def syscall_groups():
    out = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True,
                         check=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = line.strip()
            groups[current] = []
        elif current and line.strip() and not line.strip().startswith("#"):
            groups[current].append(line.strip())
    return groups


def expand(groups, names):
    out = set()
    for name in names:
        out |= expand(groups, groups[name]) if name.startswith("@") else {name}
    return out


def syscall_allow_list(values):
    """SystemCallFilter= lines as systemd reads them: the first without ~ makes an allow list,
    each ~ line takes its members out of it."""
    groups = syscall_groups()
    allowed = None
    for value in values:
        deny = value.startswith("~")
        names = set(expand(groups, value.lstrip("~").split()))
        if deny:
            if allowed is None:
                die("a deny-only SystemCallFilter= is not emulated")
            allowed -= names
        else:
            allowed = names if allowed is None else allowed | names
    return allowed


def load_filters(s):
    PROT_WRITE, PROT_EXEC, SHM_EXEC = 2, 4, 0o100000
    if yes(s, "MemoryDenyWriteExecute"):
        f = Filter(ALLOW)
        f.rule(ERRNO(errno.EPERM), "mmap", (2, MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC))
        f.rule(ERRNO(errno.EPERM), "mprotect", (2, MASKED_EQ, PROT_EXEC, PROT_EXEC))
        f.rule(ERRNO(errno.EPERM), "pkey_mprotect", (2, MASKED_EQ, PROT_EXEC, PROT_EXEC))
        f.rule(ERRNO(errno.EPERM), "shmat", (2, MASKED_EQ, SHM_EXEC, SHM_EXEC))
        f.load("MemoryDenyWriteExecute")
    families = " ".join(s.get("RestrictAddressFamilies", [])).split()
    if families:
        numbers = {"AF_UNIX": 1, "AF_INET": 2, "AF_INET6": 10}
        if any(a not in numbers for a in families):
            die(f"RestrictAddressFamilies={' '.join(families)} is not emulated")
        keep = sorted(numbers[a] for a in families)
        f = Filter(ALLOW)
        for af in range(0, max(keep)):
            if af not in keep:
                f.rule(ERRNO(errno.EAFNOSUPPORT), "socket", (0, EQ, af, 0))
        f.rule(ERRNO(errno.EAFNOSUPPORT), "socket", (0, GT, max(keep), 0))
        f.load("RestrictAddressFamilies")
    if s.get("RestrictNamespaces"):
        if last(s, "RestrictNamespaces") != "yes":
            die("only RestrictNamespaces=yes is emulated")
        f = Filter(ALLOW)
        f.rule(ERRNO(errno.EPERM), "setns")
        f.rule(ERRNO(errno.EPERM), "unshare")
        for bit in (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                    0x40000000, 0x00000080):
            f.rule(ERRNO(errno.EPERM), "clone", (0, MASKED_EQ, bit, bit))
        f.rule(ERRNO(errno.ENOSYS), "clone3")  # flags out of reach: glibc falls back to clone
        f.load("RestrictNamespaces")
    if yes(s, "RestrictSUIDSGID"):
        O_CREAT = 0o100
        f = Filter(ALLOW)
        for bit in (0o4000, 0o2000):  # S_ISUID, S_ISGID
            for name, mode_arg in (("chmod", 1), ("fchmod", 1), ("fchmodat", 2), ("creat", 1)):
                f.rule(ERRNO(errno.EPERM), name, (mode_arg, MASKED_EQ, bit, bit))
            for name, flags_arg in (("open", 1), ("openat", 2)):
                f.rule(ERRNO(errno.EPERM), name, (flags_arg, MASKED_EQ, O_CREAT, O_CREAT),
                       (flags_arg + 1, MASKED_EQ, bit, bit))
        f.load("RestrictSUIDSGID")
    if s.get("SystemCallFilter"):
        error = last(s, "SystemCallErrorNumber")
        if error not in ("EPERM", ""):
            die(f"SystemCallErrorNumber={error} is not emulated")
        allowed = syscall_allow_list(s["SystemCallFilter"])
        f = Filter(ERRNO(errno.EPERM) if error else 0x00000000)
        for name in sorted(allowed):
            if name == "personality" and yes(s, "LockPersonality"):
                continue
            f.rule(ALLOW, name)
        if "personality" in allowed and yes(s, "LockPersonality"):
            f.rule(ALLOW, "personality", (0, EQ, 0, 0))             # PER_LINUX
            f.rule(ALLOW, "personality", (0, EQ, 0xFFFFFFFF, 0))    # a query
        f.load("SystemCallFilter")  # last: loading a filter is a syscall it refuses


# ---- namespaces
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x08000000, 0x10000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 8, 4096, 16384, 1 << 18
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
libc.syscall.restype = ctypes.c_long


def mount(src, dst, fstype, flags, data=None):
    enc = lambda v: v.encode() if v else None
    check(libc.mount(enc(src), dst.encode(), enc(fstype), flags, enc(data)), f"mount {dst}")


class MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def read_only(path, readonly, recursive):
    """mount_setattr(2): MOUNT_ATTR_RDONLY on or off, on one mount or a whole tree."""
    attr = MountAttr(1 if readonly else 0, 0 if readonly else 1, 0, 0)
    rc = libc.syscall(442, -100, path.encode(), 0x8000 if recursive else 0, ctypes.byref(attr),
                      ctypes.sizeof(attr))
    check(rc, f"mount_setattr {path}")


def filesystem(s):
    check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    writable = " ".join(s.get("ReadWritePaths", [])).split()
    for path in writable:
        mount(path, path, None, MS_BIND)
    scratch = []
    if yes(s, "PrivateTmp"):
        for tmp in ("/tmp", "/var/tmp"):
            mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
            scratch.append(tmp)
    if yes(s, "PrivateDevices"):
        # A /dev of the harmless nodes only, as systemd makes it: built in the private /tmp
        # (nothing is created on the host), then bound over /dev.
        if "/tmp" not in scratch:
            die("PrivateDevices= without PrivateTmp= is not emulated")
        dev = "/tmp/.sandbox-run-dev"
        os.mkdir(dev)
        mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755")
        for node in ("null", "zero", "full", "random", "urandom", "tty"):
            open(f"{dev}/{node}", "w").close()
            mount(f"/dev/{node}", f"{dev}/{node}", None, MS_BIND)
        for d in ("shm", "pts"):
            os.makedirs(f"{dev}/{d}")
        os.symlink("/proc/self/fd", f"{dev}/fd")
        mount(dev, "/dev", None, MS_BIND | MS_REC)
    if last(s, "ProtectHome") == "yes":
        for home in ("/home", "/root", "/run/user"):
            if os.path.isdir(home):
                mount("tmpfs", home, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=000")
    elif s.get("ProtectHome"):
        die(f"ProtectHome={last(s, 'ProtectHome')} is not emulated")
    if s.get("ProtectSystem"):
        if last(s, "ProtectSystem") != "strict":
            die("only ProtectSystem=strict is emulated")
        read_only("/", True, recursive=True)
        for path in writable + scratch:
            read_only(path, False, recursive=False)
    proc_options = []
    if s.get("ProtectProc"):
        proc_options.append(f"hidepid={last(s, 'ProtectProc')}")
    if s.get("ProcSubset"):
        proc_options.append(f"subset={last(s, 'ProcSubset')}")
    if proc_options:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, ",".join(proc_options))
    if yes(s, "PrivateIPC"):
        check(libc.unshare(CLONE_NEWIPC), "unshare(CLONE_NEWIPC)")


def private_users(uid, gid):
    """PrivateUsers=yes: a user namespace mapping root and the unit's user and group to
    themselves, everyone else to nobody; set up after the mounts, as systemd does for the
    system manager. The maps are written from outside, by a child still in the parent
    namespace."""
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    me = os.getpid()
    child = os.fork()
    if child == 0:
        os.read(ready_r, 1)
        with open(f"/proc/{me}/uid_map", "w") as f:
            f.write(f"0 0 1\n{uid} {uid} 1\n")
        with open(f"/proc/{me}/setgroups", "w") as f:
            f.write("deny")
        with open(f"/proc/{me}/gid_map", "w") as f:
            f.write(f"0 0 1\n{gid} {gid} 1\n")
        os.write(done_w, b"x")
        os._exit(0)
    check(libc.unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)")
    os.write(ready_w, b"x")
    os.read(done_r, 1)
    _, status = os.waitpid(child, 0)
    if status != 0:
        die("writing the user namespace maps failed")


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        die("usage: sandbox-run.py UNIT_FILE -- COMMAND [ARG...]")
    if os.geteuid() != 0:
        die("must run as root (it sets up namespaces, then drops to the unit's User=)")
    s = read_service(sys.argv[1])
    command = sys.argv[3:]
    user = pwd.getpwnam(last(s, "User", "root"))
    gid = grp.getgrnam(last(s, "Group")).gr_gid if s.get("Group") else user.pw_gid
    filesystem(s)
    if last(s, "CapabilityBoundingSet", None) == "":
        for cap in range(64):
            libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP (EINVAL past the last one)
    elif s.get("CapabilityBoundingSet"):
        die("only an empty CapabilityBoundingSet= is emulated")
    if yes(s, "PrivateUsers"):
        private_users(user.pw_uid, gid)
    else:
        os.setgroups([])
    os.setgid(gid)
    os.setuid(user.pw_uid)
    os.umask(int(last(s, "UMask", "0022"), 8))
    os.chdir("/")
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": user.pw_dir, "USER": user.pw_name,
           "LOGNAME": user.pw_name, "SHELL": user.pw_shell, "LANG": "C.UTF-8"}
    if yes(s, "NoNewPrivileges"):
        check(libc.prctl(38, 1, 0, 0, 0), "PR_SET_NO_NEW_PRIVS")
    load_filters(s)
    os.execve(command[0], command, env)


main()
