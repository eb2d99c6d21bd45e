"""Writing a compound file (MS-CFB version 3) from named streams: what a vbaProject.bin is.

olefile can only overwrite a stream with one of the same size; a VBA project whose modules are
renamed, rewritten or added needs the whole file written anew. Streams under 4,096 bytes live in
the mini stream (64-byte sectors), larger ones in 512-byte sectors; every sibling list is a
balanced tree ordered as the format requires (shorter names first, then by upper-case name).
"""
from __future__ import annotations

import struct

SECTOR, MINI_SECTOR, MINI_CUTOFF = 512, 64, 4096
FREE, END, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
STORAGE, STREAM, ROOT = 1, 2, 5


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b""):
        self.name, self.kind, self.data = name, kind, data
        self.children: dict[str, _Entry] = {}
        self.id = 0
        self.left = self.right = self.child = NO_STREAM
        self.start, self.size = END, 0


def _order(name: str) -> tuple[int, str]:
    return len(name.encode("utf-16-le")), name.upper()


def _tree(entries: list[_Entry]) -> int:
    """Link sorted siblings as a balanced binary tree; the id of its root."""
    if not entries:
        return NO_STREAM
    middle = len(entries) // 2
    root = entries[middle]
    root.left, root.right = _tree(entries[:middle]), _tree(entries[middle + 1:])
    return root.id


def write_cfb(streams: dict[str, bytes]) -> bytes:
    """A compound file holding `streams` ({"VBA/dir": bytes, "PROJECT": bytes, ...})."""
    root = _Entry("Root Entry", ROOT)
    for path, data in streams.items():
        *folders, name = path.split("/")
        node = root
        for folder in folders:
            node = node.children.setdefault(folder, _Entry(folder, STORAGE))
        node.children[name] = _Entry(name, STREAM, data)
    entries = [root]
    queue = [root]
    while queue:  # ids in breadth-first order, children sorted as the format compares names
        node = queue.pop(0)
        for child in sorted(node.children.values(), key=lambda e: _order(e.name)):
            child.id = len(entries)
            entries.append(child)
            queue.append(child)
    for node in entries:
        node.child = _tree(sorted(node.children.values(), key=lambda e: _order(e.name)))

    mini_fat: list[int] = []
    mini = bytearray()
    big = [e for e in entries if e.kind == STREAM and len(e.data) >= MINI_CUTOFF]
    for e in entries:
        e.size = len(e.data)
        if e.kind == STREAM and 0 < e.size < MINI_CUTOFF:
            count = -(-e.size // MINI_SECTOR)
            e.start = len(mini_fat)
            mini_fat += [e.start + i + 1 for i in range(count - 1)] + [END]
            mini += e.data.ljust(count * MINI_SECTOR, b"\0")

    def sectors(n_bytes: int) -> int:
        return -(-n_bytes // SECTOR)

    n_dir = sectors(len(entries) * 128)
    n_mini_fat = sectors(len(mini_fat) * 4)
    n_mini = sectors(len(mini))
    n_big = [sectors(len(e.data)) for e in big]
    n_fat = 1
    while n_fat * (SECTOR // 4) < n_fat + n_dir + n_mini_fat + n_mini + sum(n_big):
        n_fat += 1
    if n_fat > 109:
        raise ValueError("compound file too large for a header-only FAT")

    fat: list[int] = [FAT_SECTOR] * n_fat
    body = bytearray()

    def place(data: bytes, count: int) -> int:
        if count == 0:
            return END
        start = n_fat + len(body) // SECTOR
        fat.extend([start + i + 1 for i in range(count - 1)] + [END])
        body.extend(data.ljust(count * SECTOR, b"\0"))
        return start

    dir_start = len(fat)
    fat.extend([dir_start + i + 1 for i in range(n_dir - 1)] + [END])
    body.extend(b"\0" * n_dir * SECTOR)  # filled in below, once every start sector is known
    mini_fat_start = place(b"".join(struct.pack("<I", v) for v in mini_fat), n_mini_fat)
    root.start, root.size = place(bytes(mini), n_mini), len(mini)
    if not mini:
        root.start = END
    for e, count in zip(big, n_big):
        e.start = place(e.data, count)
    fat.extend([FREE] * (n_fat * (SECTOR // 4) - len(fat)))

    directory = b"".join(_dir_entry(e) for e in entries).ljust(n_dir * SECTOR, b"\0")
    directory = bytearray(directory)
    for i in range(len(entries), n_dir * (SECTOR // 128)):  # unused slots: empty, no siblings
        directory[i * 128 + 68:i * 128 + 80] = struct.pack("<III", NO_STREAM, NO_STREAM, NO_STREAM)
    body[0:n_dir * SECTOR] = directory

    header = bytearray(SECTOR)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x003E, 0x0003, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, n_fat, dir_start, 0, MINI_CUTOFF,
                     mini_fat_start if n_mini_fat else END, n_mini_fat, END, 0)
    difat = list(range(n_fat)) + [FREE] * (109 - n_fat)
    struct.pack_into("<109I", header, 76, *difat)
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    return bytes(header) + fat_bytes + bytes(body)


def _dir_entry(e: _Entry) -> bytes:
    name = e.name.encode("utf-16-le")
    if len(name) > 62:
        raise ValueError(f"stream name {e.name!r} is longer than 31 characters")
    out = bytearray(128)
    out[0:len(name)] = name
    struct.pack_into("<HBB", out, 64, len(name) + 2, e.kind, 1)  # every node black
    struct.pack_into("<III", out, 68, e.left, e.right, e.child)
    struct.pack_into("<II", out, 116, e.start if e.kind != STORAGE else 0, e.size if e.kind != STORAGE else 0)
    return bytes(out)
