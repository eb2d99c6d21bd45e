"""A VBA project rebuilt from a template's: project renamed, modules renamed, rewritten or added.

Parts of vbaProject.bin (MS-OVBA): `VBA/dir` (compressed records: project information,
references, one block per module with its name, stream name, type and source offset),
`PROJECT` (text: modules, project name), `PROJECTwm` (module names in two encodings),
`VBA/<module>` (cached p-code then the compressed source) and `VBA/_VBA_PROJECT`, whose version
0xFFFF marks the p-code cache invalid, so Excel compiles every module from its source. Rewritten
modules are stored as source only (offset 0). The file is written whole by addin.cfb.
"""
from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field

from crm_xl.addin import ovba
from crm_xl.addin.cfb import write_cfb

PROJECT_VERSION = 0x0009  # its size field says 4 but 6 bytes follow
MODULE_NAME, MODULE_NAME_UNICODE, STREAM_NAME, STREAM_NAME_UNICODE = 0x0019, 0x0047, 0x001A, 0x0032
MODULE_OFFSET, MODULE_COOKIE, MODULE_END, MODULE_COUNT, PROJECT_NAME = 0x0031, 0x002C, 0x002B, 0x000F, 0x0004


@dataclass
class Module:
    name: str
    records: list[tuple[int, bytes]]  # from MODULENAME to the module terminator
    stream: bytes  # the OLE stream: p-code cache, then the compressed source
    procedural: bool = True

    @property
    def offset(self) -> int:
        return struct.unpack("<I", dict(self.records)[MODULE_OFFSET])[0]

    def source(self) -> str:
        return ovba.decompress(self.stream[self.offset:])[0].decode("cp1252")


@dataclass
class VbaProject:
    head: list[tuple[int, bytes]]  # records before the modules (project information, references)
    modules: list[Module]
    tail: list[tuple[int, bytes]]  # the terminator
    project_text: str
    other_streams: dict[str, bytes] = field(default_factory=dict)  # _VBA_PROJECT and anything else

    @property
    def name(self) -> str:
        return dict(self.head)[PROJECT_NAME].decode("cp1252")

    def module(self, name: str) -> Module:
        return next(m for m in self.modules if m.name == name)


def _records(data: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos + 6 <= len(data):
        rec_id, size = struct.unpack("<HI", data[pos:pos + 6])
        if rec_id == PROJECT_VERSION:
            size = 6
        out.append((rec_id, data[pos + 6:pos + 6 + size]))
        pos += 6 + size
    return out


def _serialise(records: list[tuple[int, bytes]]) -> bytes:
    return b"".join(struct.pack("<HI", rec_id, 4 if rec_id == PROJECT_VERSION else len(body)) + body
                    for rec_id, body in records)


def read_project(vba_bin: bytes) -> VbaProject:
    import olefile  # the `addin` extra

    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    try:
        streams = {"/".join(p): ole.openstream(p).read() for p in ole.listdir()}
    finally:
        ole.close()
    records = _records(ovba.decompress(streams.pop("VBA/dir"))[0])
    count_at = next(i for i, (rec_id, _) in enumerate(records) if rec_id == MODULE_COUNT)
    head = records[:count_at + 2]  # the module count and the project cookie
    modules, current = [], []
    for rec_id, body in records[count_at + 2:]:
        current.append((rec_id, body))
        if rec_id == MODULE_END:
            name = dict(current)[MODULE_NAME].decode("cp1252")
            stream_name = dict(current)[STREAM_NAME].decode("cp1252")
            modules.append(Module(name, current, streams.pop(f"VBA/{stream_name}"),
                                  procedural=any(r == 0x0021 for r, _ in current)))
            current = []
    project_text = streams.pop("PROJECT").decode("cp1252")
    streams.pop("PROJECTwm", None)
    return VbaProject(head, modules, current, project_text, streams)


def rename_project(project: VbaProject, name: str) -> None:
    old = project.name
    project.head = [(r, name.encode("cp1252") if r == PROJECT_NAME else b) for r, b in project.head]
    project.project_text = project.project_text.replace(f'Name="{old}"', f'Name="{name}"')


def set_source(project: VbaProject, module: str, source: str, new_name: str | None = None) -> None:
    """Replace a module's source (stored alone, offset 0), renaming it when `new_name` is given."""
    m = project.module(module)
    name = new_name or module
    encoded, wide = name.encode("cp1252"), name.encode("utf-16-le")
    replace = {MODULE_NAME: encoded, MODULE_NAME_UNICODE: wide, STREAM_NAME: encoded, STREAM_NAME_UNICODE: wide,
               MODULE_OFFSET: struct.pack("<I", 0)}
    m.records = [(r, replace.get(r, b)) for r, b in m.records]
    m.stream = ovba.compress(source.encode("cp1252"))
    if name != module:
        kind = "Module" if m.procedural else "Class"
        text = project.project_text.replace(f"{kind}={module}\r\n", f"{kind}={name}\r\n")
        project.project_text = text.replace(f"\r\n{module}=", f"\r\n{name}=")
        m.name = name


def add_module(project: VbaProject, name: str, source: str, like: str) -> None:
    """A new standard module, its records shaped as those of the standard module `like`."""
    template = project.module(like)
    copy = Module(name, list(template.records), b"", True)
    project.modules.append(copy)
    set_source(project, name, source)
    copy.records = [(r, b"\xff\xff" if r == MODULE_COOKIE else b) for r, b in copy.records]
    text = project.project_text
    module_lines_end = text.index("Name=")
    project.project_text = text[:module_lines_end] + f"Module={name}\r\n" + text[module_lines_end:]
    project.project_text = project.project_text.replace("[Workspace]\r\n", f"[Workspace]\r\n{name}=0, 0, 0, 0, C\r\n")


def write_project(project: VbaProject) -> bytes:
    count = struct.pack("<H", len(project.modules))
    head = [(r, count if r == MODULE_COUNT else b) for r, b in project.head]
    records = head + [rec for m in project.modules for rec in m.records] + project.tail
    names = b"".join(m.name.encode("cp1252") + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in project.modules)
    streams = {"PROJECT": project.project_text.encode("cp1252"), "PROJECTwm": names + b"\0\0",
               "VBA/dir": ovba.compress(_serialise(records)), **project.other_streams}
    streams.update({f"VBA/{m.name}": m.stream for m in project.modules})
    return write_cfb(streams)
