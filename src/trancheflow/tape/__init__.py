"""Loan tapes: schema, CSV/Parquet/Freddie Mac readers and writers, validation, generator.

Examples
--------
>>> from trancheflow.tape import generate_tape, validate_tape
>>> tape = validate_tape(generate_tape(10, seed=0))
>>> len(tape)
10
"""

from .freddie import read_freddie
from .freddie_write import write_freddie
from .generate import generate_tape
from .io import read_tape, write_tape
from .schema import COLUMNS
from .validate import validate_tape

__all__ = [
    "COLUMNS",
    "generate_tape",
    "read_freddie",
    "read_tape",
    "validate_tape",
    "write_freddie",
    "write_tape",
]
