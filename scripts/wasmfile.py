"""Reading and writing the parts of a wasm binary the build scripts need: LEB128 numbers and
the section list (scripts/postbuild.py, scripts/wasm-size.py)."""


def read_leb(data, pos):
    """The unsigned LEB128 number at `pos`, and the position after it."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def leb_u32(value):
    """`value` as unsigned LEB128 bytes."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def sections(data):
    """(id, body start, body end) of every section, in order."""
    pos, found = 8, []
    while pos < len(data):
        kind = data[pos]
        size, body = read_leb(data, pos + 1)
        found.append((kind, body, body + size))
        pos = body + size
    return found
