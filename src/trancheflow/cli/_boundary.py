"""The CLI's error boundary: every exception becomes one line and an exit code.

Bad input (a :class:`~trancheflow.errors.TrancheflowError`, an unreadable or
unwritable file, a file that is not UTF-8 text, YAML that does not parse or
nests too deeply, a database that is not one, a host that does not answer)
exits with code 2 and a message that names the input and the rule. Anything
else is a bug: exit 1 with the exception's type and message and a pointer to
``TRANCHEFLOW_DEBUG=1``, which re-raises so the traceback is shown.

Examples
--------
>>> describe(FileNotFoundError(2, "No such file or directory", "out/x.csv"))
(2, "cannot use file 'out/x.csv': No such file or directory (does its folder exist?)")
>>> describe(RecursionError("maximum recursion depth exceeded"))[0]
2
"""

from __future__ import annotations

import os

from trancheflow.errors import TrancheflowError

__all__ = ["DEBUG_ENV", "describe"]

#: Set to 1 to see the traceback of an unexpected error.
DEBUG_ENV = "TRANCHEFLOW_DEBUG"

BAD_INPUT = 2
BUG = 1


def _module(exc: BaseException) -> str:
    return type(exc).__module__.split(".")[0]


def describe(exc: BaseException) -> tuple[int, str]:
    """Exit code and message for ``exc``.

    Returns
    -------
    (int, str)
        2 and a bad-input message, or 1 and a bug report line.
    """
    if isinstance(exc, TrancheflowError):
        return BAD_INPUT, str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return BAD_INPUT, (
            f"input is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "give a plain-text file (CSV/YAML), not a compressed or binary one"
        )
    if isinstance(exc, RecursionError):
        return (
            BAD_INPUT,
            "input is nested too deeply to read (a YAML/JSON document of lists "
            "inside lists?); flatten it",
        )
    if isinstance(exc, OSError) and exc.filename is not None:
        hint = ""
        if isinstance(exc, FileNotFoundError):
            hint = " (does its folder exist?)"
        return BAD_INPUT, f"cannot use file {str(exc.filename)!r}: {exc.strerror}{hint}"
    if isinstance(exc, ConnectionError | TimeoutError):
        return BAD_INPUT, f"cannot connect: {exc}"
    mod = _module(exc)
    if mod == "yaml":
        return BAD_INPUT, f"not valid YAML: {exc}"
    if mod == "pydantic" or mod == "pydantic_core":
        return BAD_INPUT, f"invalid input: {exc}"
    if mod == "sqlalchemy":
        orig = getattr(exc, "orig", None)
        return BAD_INPUT, f"database error: {orig or exc}".splitlines()[0]
    if mod in ("distributed", "dask") or "scheduler" in str(exc).lower():
        return BAD_INPUT, f"Dask scheduler: {exc}"
    if isinstance(exc, OSError):
        return BAD_INPUT, f"{type(exc).__name__}: {exc}"
    return BUG, (
        f"unexpected error {type(exc).__name__}: {exc} (this is a bug in trancheflow; "
        f"set {DEBUG_ENV}=1 to see the traceback)"
    )


def debug() -> bool:
    """True when the user asked for tracebacks."""
    return os.environ.get(DEBUG_ENV, "").strip() not in ("", "0")
