"""Reading source bytes as text and writing text back as the same bytes.

A file keeps its encoding (PEP 263 cookie or BOM) and its line endings: nanlint
decodes once, edits the text, and encodes with exactly what it decoded with.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import re
import stat
import tempfile
import tokenize
from dataclasses import dataclass

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


class SourceError(Exception):
    """The bytes are not text nanlint can read (the message is one line; ``line`` and
    ``column``, 1-based, say where when a place is to blame)."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    bom: bool

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data


def decode(data: bytes) -> Decoded:
    """Decode Python source bytes the way the interpreter would."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SourceError("UTF-16 source is not supported by Python; save the file as UTF-8")
    if b"\x00" in data:
        raise SourceError("file contains NUL bytes (binary file?)", *_place(data, data.index(b"\x00")))
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8):] if bom else data
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # an unknown encoding, or first lines that are not UTF-8
        not_utf8 = str(exc).startswith("invalid or missing encoding declaration")
        raise (not_utf8 and _undecodable(body, "utf-8")) or SourceError(str(exc)) from None
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    if not _ascii_compatible(encoding):
        raise SourceError(f"encoding {encoding} is not supported by Python for source files; save the file as UTF-8")
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        raise _undecodable(body, encoding) from None
    return Decoded(text=text, encoding=encoding, bom=bom)


def _place(data: bytes, offset: int) -> tuple[int, int]:
    """The 1-based line (counted as Python counts them) and column of byte ``offset``."""
    breaks = _LINE_BREAK.findall(data, 0, offset)
    start = data.rfind(breaks[-1], 0, offset) + len(breaks[-1]) if breaks else 0
    return len(breaks) + 1, len(data[start:offset].decode("utf-8", errors="replace")) + 1


def _undecodable(body: bytes, encoding: str) -> SourceError | None:
    try:
        body.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-8":
            what, remedy = "UTF-8", "save the file as UTF-8, or declare its encoding in a PEP 263 coding comment"
        else:
            what, remedy = f"{encoding}, the encoding it declares", "correct its coding comment"
        return SourceError(f"not valid {what}: byte 0x{body[exc.start]:02x} cannot be decoded ({remedy})",
                           *_place(body, exc.start))
    return None


def _ascii_compatible(encoding: str) -> bool:
    """Python reads a coding comment only in an encoding that spells ASCII as ASCII."""
    try:
        return b"# x = 1\n".decode(encoding) == "# x = 1\n"
    except (UnicodeDecodeError, LookupError):
        return False


def atomic_write(path: str, data: bytes, expected: bytes | None = None) -> bool:
    """Replace ``path`` by ``data`` through a temporary file in the same folder, so that
    the file is whole at every moment, keeping its permission bits (and its owner, where
    that is allowed). With ``expected``, the file is replaced only if it still holds
    exactly those bytes, compared once the new content is on disk, just before the
    replace; returns whether it was replaced. A read-only file raises ``PermissionError``:
    replacing it would get round its mode."""
    status = os.stat(path)
    if not status.st_mode & 0o222:
        raise PermissionError(errno.EACCES, "the file is read-only", path)
    handle, temp = tempfile.mkstemp(prefix=".nanlint-", suffix=".tmp", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if hasattr(os, "chown"):
            with contextlib.suppress(OSError):  # only root may give a file away
                os.chown(temp, status.st_uid, status.st_gid)
        os.chmod(temp, stat.S_IMODE(status.st_mode))
        if expected is not None and read(path) != expected:
            os.unlink(temp)
            return False
        os.replace(temp, path)
        return True
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def read(path: str) -> bytes:
    """The bytes of the regular file ``path``. Anything else (a FIFO, a device, a folder)
    raises ``OSError``: reading it could block forever or never end."""
    # Non-blocking, so that opening a FIFO returns at once instead of waiting for a writer.
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(handle, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        return file.read()
