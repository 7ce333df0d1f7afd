# GDB helpers for xrr replays.  `xrr replay` sources this file in the GDB
# it launches; with GDB started by hand, `source` it (installed in
# $(pkgdatadir), e.g. /usr/local/share/xrr/xrr-gdb.py).
#
#   xrr-diversion start|end|status
#                           start or end a diversion (docs/diversions.md)
#                           and make GDB reread registers and frames, so
#                           $xcr0, `info registers` and `bt` are the
#                           copy's (or the replay's again)
#   xrr-implant load PATH   load an implant into the diversion (one is
#                           started if needed) and add its symbols to GDB
#                           at the load address, so `call fn(...)` works
#   xrr-checksum EXPR LEN   XXH3-64 of LEN bytes at the address EXPR
#                           (monitor checksum, computed in the diversion)
import gdb


def _monitor(command):
    return gdb.execute("monitor " + command, to_string=True)


def _forget_target_state():
    """GDB caches registers and frames until the next stop; a diversion
    starting or ending is no stop, so drop them here."""
    # Also reinitialises the frame cache (GDB's registers_changed).
    gdb.execute("maint flush register-cache", to_string=True)
    try:
        gdb.execute("maint flush dcache", to_string=True)
    except gdb.error:
        pass  # older GDB: no stack cache command


_FLUSH_HINT = " (run 'maint flush register-cache' so GDB rereads registers)"


class XrrDiversion(gdb.Command):
    """xrr-diversion start|end|status: start or end a diversion of the
replay (a copy of the replayed process that runs for real), then make GDB
reread registers and frames.  status: what the diversion is doing."""

    def __init__(self):
        super().__init__("xrr-diversion", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) != 1 or argv[0] not in ("start", "end", "status"):
            raise gdb.GdbError("usage: xrr-diversion start|end|status")
        out = _monitor("diversion " + argv[0])
        # The flush is done: the stub's hint is for users without us.
        gdb.write(out.replace(_FLUSH_HINT, ""))
        if argv[0] != "status":
            _forget_target_state()


class XrrImplant(gdb.Command):
    """xrr-implant load PATH: load an implant and add its symbols."""

    def __init__(self):
        super().__init__("xrr-implant", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) != 2 or argv[0] != "load":
            raise gdb.GdbError("usage: xrr-implant load PATH")
        out = _monitor("implant load " + argv[1])
        gdb.write(out)
        commands = [line for line in out.splitlines()
                    if line.startswith("add-symbol-file ")]
        if not commands:
            raise gdb.GdbError("xrr-implant: the implant was not loaded")
        gdb.execute(commands[-1], from_tty=False)
        # Registers may have been cached from the replay before the
        # diversion started.
        _forget_target_state()


class XrrChecksum(gdb.Command):
    """xrr-checksum EXPR LEN: checksum LEN bytes at the address EXPR."""

    def __init__(self):
        super().__init__("xrr-checksum", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) != 2:
            raise gdb.GdbError("usage: xrr-checksum EXPR LEN")
        addr = int(gdb.parse_and_eval(argv[0]).cast(
            gdb.lookup_type("unsigned long")))
        length = int(gdb.parse_and_eval(argv[1]))
        gdb.write(_monitor("checksum 0x%x %d" % (addr, length)))


XrrDiversion()
XrrImplant()
XrrChecksum()
