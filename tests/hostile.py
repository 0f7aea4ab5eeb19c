"""Hostile bodies shared by the unit and functional tests (issue 26)."""

from __future__ import annotations


def nested_multipart(levels: int = 1000, size: int = 64 * 1024) -> tuple[str, bytes]:
    """The attack round's body: multipart parts each holding another multipart, `levels` deep,
    padded to `size` bytes. Returns (Content-Type, body)."""
    head, tail = [], []
    for i in range(levels):
        head.append(f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode())
        tail.append(f"\r\n--b{i}--".encode())
    body = b"".join(head) + b"x" + b"".join(reversed(tail))
    return "multipart/form-data; boundary=b0", body + b" " * max(0, size - len(body))


def _pdf(objects: list[bytes], trailer: bytes, xref_stream: bytes | None = None) -> bytes:
    """A PDF of `objects` (numbered from 1) with a classic xref table and `trailer`'s extra keys."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(out)
    if xref_stream is not None:
        return bytes(out + xref_stream.replace(b"START", b"%d" % start))
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer.replace(b"START", b"%d" % start)
    return bytes(out + b" >>\nstartxref\n%d\n%%%%EOF\n" % start)


def pdf_xref_loop() -> bytes:
    """A PDF whose trailer's /Prev points back at its own xref section."""
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"], b"/Prev START")


def pdf_deep_nesting(depth: int = 20000) -> bytes:
    """A catalog whose /AcroForm /Fields is an array nested `depth` deep (a recursive parser's stack)."""
    fields = b"[" * depth + b"]" * depth
    catalog = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields " + fields + b" >> >>"
    return _pdf([catalog, b"<< /Type /Pages /Kids [] /Count 0 >>"], b"")


def pdf_decompression_bomb(megabytes: int = 768) -> bytes:
    """A PDF whose cross-reference stream inflates from well under a megabyte to `megabytes` MB."""
    import zlib

    # One megabyte of zeros deflated, flushed so that the next block needs no history: repeating that
    # block's bytes repeats the megabyte (the checksum at the end is wrong; inflating comes first).
    packer = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    first = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    packed = first + block * (megabytes - 1) + packer.flush()
    xref = b"3 0 obj\n<< /Type /XRef /Size 4 /W [1 2 1] /Root 1 0 R /Filter /FlateDecode /Length %d >>\nstream\n" % len(
        packed
    )
    xref += packed + b"\nendstream\nendobj\nstartxref\nSTART\n%%EOF\n"
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"], b"", xref)
