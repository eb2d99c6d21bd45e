"""MS-OVBA's compression (section 2.4.1), which the dir stream and every module's source use.

The xlwings add-in template declares its VBA performance cache invalid (_VBA_PROJECT version
0xFFFF), so Excel compiles every module from its source on load: a module rewritten by
addin.vbaproject needs only its compressed source, no compiled p-code.
"""
from __future__ import annotations

import struct

CHUNK = 4096


def compress(data: bytes) -> bytes:
    """A CompressedContainer (MS-OVBA 2.4.1.3): LZ77 copy tokens within each 4096-byte chunk."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        chunk = data[start:start + CHUNK]
        body = _compress_chunk(chunk)
        if len(body) > CHUNK:  # incompressible: stored raw, which must be exactly 4096 bytes
            out += struct.pack("<H", 0x3FFF) + chunk.ljust(CHUNK, b"\x00")
        else:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    body, pos = bytearray(), 0
    while pos < len(chunk):
        flag_at, flags = len(body), 0
        body.append(0)
        for bit in range(8):
            if pos >= len(chunk):
                break
            offset, length = _longest_match(chunk, pos)
            if length >= 3:
                offset_bits = max((pos - 1).bit_length(), 4)
                token = ((offset - 1) << (16 - offset_bits)) | (length - 3)
                body += struct.pack("<H", token)
                flags |= 1 << bit
                pos += length
            else:
                body.append(chunk[pos])
                pos += 1
        body[flag_at] = flags
    return bytes(body)


def _longest_match(chunk: bytes, pos: int) -> tuple[int, int]:
    """(offset, length) of the longest earlier match in the chunk, as a copy token can encode it."""
    if pos == 0:
        return 0, 0
    offset_bits = max((pos - 1).bit_length(), 4)
    max_length = (0xFFFF >> offset_bits) + 3
    best_offset, best_length = 0, 0
    for candidate in range(pos - 1, -1, -1):
        length = 0
        while (length < max_length and pos + length < len(chunk)
               and chunk[candidate + length] == chunk[pos + length]):
            length += 1
        if length > best_length:
            best_offset, best_length = pos - candidate, length
    return best_offset, best_length


def decompress(container: bytes) -> tuple[bytes, dict[int, int]]:
    """The data, and for every byte that was stored as a literal, where it sits in the container."""
    if not container or container[0] != 0x01:
        raise ValueError("not a compressed VBA container")
    out = bytearray()
    literal_at: dict[int, int] = {}
    pos = 1
    while pos < len(container):
        header = struct.unpack("<H", container[pos:pos + 2])[0]
        size = (header & 0x0FFF) + 3
        end = min(pos + size, len(container))
        chunk_start = len(out)
        pos += 2
        if not header & 0x8000:  # stored raw
            for i in range(pos, end):
                literal_at[len(out)] = i
                out.append(container[i])
            pos = end
            continue
        while pos < end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= end:
                    break
                if not flags >> bit & 1:
                    literal_at[len(out)] = pos
                    out.append(container[pos])
                    pos += 1
                    continue
                token = struct.unpack("<H", container[pos:pos + 2])[0]
                pos += 2
                offset_bits = max((len(out) - chunk_start - 1).bit_length(), 4)  # ceil(log2(distance))
                length = (token & (0xFFFF >> offset_bits)) + 3
                offset = (token >> (16 - offset_bits)) + 1
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out), literal_at
