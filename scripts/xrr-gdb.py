# GDB helpers for xrr replays: `source scripts/xrr-gdb.py` in GDB.
#
#   xrr-implant load PATH   load an implant into the diversion (one is
#                           started if needed) and add its symbols to GDB
#                           at the load address, so `call fn(...)` works
#   xrr-checksum EXPR LEN   XXH3-64 of LEN bytes at the address EXPR
#                           (monitor checksum, computed in the diversion)
import gdb


def _monitor(command):
    return gdb.execute("monitor " + command, to_string=True)


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
        gdb.execute("maint flush register-cache", to_string=True)


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


XrrImplant()
XrrChecksum()
