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
