"""Poseidon over the BN254 scalar field with circomlib's parameters.

The permutation is the one of Grassi, Khovratovich, Rechberger, Roy and
Schofnegger, "Poseidon: A New Hash Function for Zero-Knowledge Proof Systems"
(USENIX Security 2021): S-box ``x^5``, ``R_F = 8`` full rounds and the partial
round counts circomlib uses for widths ``t = 2 .. 17``. The round constants
and the MDS (Cauchy) matrix are not copied: they are regenerated here from the
paper's Grain LFSR construction (field ``GF(p)``, 254-bit elements, rejection
sampling for round constants, ``M[i][j] = 1 / (x_i + y_j)``). The test suite
checks the result against ``circomlibjs`` on the same inputs.

``poseidon(inputs)`` follows circomlib's ``Poseidon(n)``: the state is
``[0, *inputs]`` (width ``t = n + 1``) and the output is ``state[0]`` after
the permutation.

Examples
--------
>>> hex(poseidon([1, 2]))
'0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache

from trancheflow.errors import ZkError

__all__ = ["FIELD_MODULUS", "MAX_INPUTS", "poseidon", "poseidon_params"]

#: The BN254 (alt_bn128) scalar field modulus: circom's default prime.
FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617

#: Partial rounds per width ``t = 2 .. 17`` (circomlib's table, from the paper's security
#: analysis at 128 bits for alpha = 5).
_PARTIAL_ROUNDS = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
_FULL_ROUNDS = 8
_FIELD_BITS = 254

#: Most inputs one Poseidon call takes (width 17).
MAX_INPUTS = len(_PARTIAL_ROUNDS)


def _grain_bits(t: int, rounds_f: int, rounds_p: int) -> Iterator[int]:
    """The paper's Grain LFSR, self-shrinking output, for a prime field and x^alpha."""
    seed = (
        "01"  # field: GF(p)
        + "0000"  # S-box: x^alpha
        + format(_FIELD_BITS, "012b")
        + format(t, "012b")
        + format(rounds_f, "010b")
        + format(rounds_p, "010b")
        + "1" * 30
    )
    # The 80-bit register as an int: bit i of the register is bit (79 - i) of `state`,
    # so the register's element 0 is the most significant bit.
    state = int(seed, 2)
    mask = (1 << 80) - 1

    def step() -> int:
        nonlocal state
        new = (
            (state >> (79 - 62))
            ^ (state >> (79 - 51))
            ^ (state >> (79 - 38))
            ^ (state >> (79 - 23))
            ^ (state >> (79 - 13))
            ^ (state >> 79)
        ) & 1
        state = ((state << 1) | new) & mask
        return new

    for _ in range(160):
        step()
    while True:
        first = step()
        second = step()
        if first:
            yield second


def _field_elements(bits: Iterator[int], reject: bool) -> Iterator[int]:
    while True:
        value = 0
        for _ in range(_FIELD_BITS):
            value = (value << 1) | next(bits)
        if not reject:
            yield value % FIELD_MODULUS
        elif value < FIELD_MODULUS:
            yield value


@cache
def poseidon_params(t: int) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...], int]:
    """Round constants, MDS matrix and partial-round count for width ``t``.

    Parameters
    ----------
    t : int
        State width, ``2 <= t <= 17`` (inputs + 1).

    Returns
    -------
    tuple
        ``(constants, matrix, rounds_p)``: ``(8 + rounds_p) * t`` round
        constants in order, the ``t x t`` matrix as rows, and ``rounds_p``.

    Examples
    --------
    >>> constants, matrix, rounds_p = poseidon_params(3)
    >>> len(constants), len(matrix), rounds_p
    (195, 3, 57)
    """
    if not 2 <= t <= MAX_INPUTS + 1:
        raise ZkError(f"Poseidon width t={t}: must be between 2 and {MAX_INPUTS + 1}")
    rounds_p = _PARTIAL_ROUNDS[t - 2]
    bits = _grain_bits(t, _FULL_ROUNDS, rounds_p)
    strict = _field_elements(bits, reject=True)
    constants = tuple(next(strict) for _ in range((_FULL_ROUNDS + rounds_p) * t))
    loose = _field_elements(bits, reject=False)
    while True:
        sample = [next(loose) for _ in range(2 * t)]
        if len(set(sample)) != 2 * t:
            continue
        xs, ys = sample[:t], sample[t:]
        if any((x + y) % FIELD_MODULUS == 0 for x in xs for y in ys):
            continue
        matrix = tuple(tuple(pow(x + y, FIELD_MODULUS - 2, FIELD_MODULUS) for y in ys) for x in xs)
        return constants, matrix, rounds_p


def poseidon(inputs: Sequence[int]) -> int:
    """circomlib's ``Poseidon(len(inputs))`` of field elements.

    Parameters
    ----------
    inputs : sequence of int
        1 to 16 integers, each ``0 <= x < FIELD_MODULUS``.

    Returns
    -------
    int
        The hash, a field element.

    Raises
    ------
    ZkError
        When there are no inputs or more than 16, or an input is outside the field.

    Examples
    --------
    >>> poseidon([1]) == poseidon([1])
    True
    >>> try:
    ...     poseidon([FIELD_MODULUS])
    ... except ZkError as exc:
    ...     print(str(exc)[-34:])
    0 <= x < the BN254 scalar modulus)
    """
    n = len(inputs)
    if not 1 <= n <= MAX_INPUTS:
        raise ZkError(f"Poseidon of {n} inputs: must take between 1 and {MAX_INPUTS}")
    for i, x in enumerate(inputs):
        if not 0 <= x < FIELD_MODULUS:
            raise ZkError(
                f"Poseidon input {i} = {x}: must be a field element "
                "(0 <= x < the BN254 scalar modulus)"
            )
    t = n + 1
    constants, matrix, rounds_p = poseidon_params(t)
    p = FIELD_MODULUS
    state = [0, *inputs]
    half = _FULL_ROUNDS // 2
    k = 0
    for r in range(_FULL_ROUNDS + rounds_p):
        state = [(s + constants[k + i]) % p for i, s in enumerate(state)]
        k += t
        if r < half or r >= half + rounds_p:
            state = [pow(s, 5, p) for s in state]
        else:
            state[0] = pow(state[0], 5, p)
        state = [sum(m * s for m, s in zip(row, state, strict=True)) % p for row in matrix]
    return state[0]
