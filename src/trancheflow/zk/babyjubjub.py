"""Baby Jubjub: the twisted Edwards curve over the BN254 scalar field (EIP-2494).

Written from EIP-2494 ("Baby Jubjub Elliptic Curve", Barry WhiteHat, Marta
Bellés, Jordi Baylina): ``a x^2 + y^2 = 1 + d x^2 y^2`` over ``F_p`` with
``p`` the BN254 scalar field modulus (:data:`trancheflow.zk.poseidon.FIELD_MODULUS`),
``a = 168700``, ``d = 168696``; the curve order is ``8 l`` with ``l``
(:data:`SUBORDER`) prime, and ``B8`` (:data:`BASE8`) generates the order-``l``
subgroup. circomlib's ``BabyAdd`` / ``EscalarMulFix`` use the same formulas;
the tests compare this module with ``circomlibjs``.

Points are affine ``(x, y)`` tuples of field elements; the identity is ``(0, 1)``.

Examples
--------
>>> on_curve(BASE8)
True
>>> mul(BASE8, SUBORDER)
(0, 1)
"""

from __future__ import annotations

from trancheflow.errors import ZkError
from trancheflow.zk.poseidon import FIELD_MODULUS

__all__ = [
    "BASE8",
    "GENERATOR",
    "ORDER",
    "SUBORDER",
    "A",
    "D",
    "Point",
    "add",
    "check_point",
    "mul",
    "on_curve",
]

Point = tuple[int, int]

P = FIELD_MODULUS
A = 168700
D = 168696
#: The curve order (EIP-2494).
ORDER = 21888242871839275222246405745257275088614511777268538073601725287587578984328
#: The prime order of the subgroup B8 generates: ``ORDER / 8``.
SUBORDER = ORDER >> 3
#: EIP-2494's generator G (order ``ORDER``).
GENERATOR: Point = (
    995203441582195749578291179787384436505546430278305826713579947235728471134,
    5472060717959818805561601436314318772137091100104008585924551046643952123905,
)
#: EIP-2494's base point B8 = 8 G (order :data:`SUBORDER`); circomlib's ``BASE8``.
BASE8: Point = (
    5299619240641551281634865583518297030282874472190772894086521144482721001553,
    16950150798460657717958625567821834550301663161624707787222815936182638968203,
)
IDENTITY: Point = (0, 1)


def on_curve(point: Point) -> bool:
    """Whether ``point`` has canonical coordinates and satisfies the curve equation.

    Examples
    --------
    >>> on_curve((1, 2))
    False
    """
    x, y = point
    if not (0 <= x < P and 0 <= y < P):
        return False
    x2, y2 = x * x % P, y * y % P
    return (A * x2 + y2) % P == (1 + D * x2 * y2) % P


def check_point(point: object, name: str) -> Point:
    """``point`` as a curve point, or a :class:`~trancheflow.errors.ZkError` naming ``name``.

    Examples
    --------
    >>> check_point([1, 2], "key")
    Traceback (most recent call last):
    ...
    trancheflow.errors.ZkError: key: (1, 2) is not a Baby Jubjub point
    """
    try:
        x, y = (int(v) for v in point)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ZkError(f"{name}: expected two integer coordinates [x, y]") from None
    if not on_curve((x, y)):
        raise ZkError(f"{name}: ({x}, {y}) is not a Baby Jubjub point")
    return x, y


def add(p1: Point, p2: Point) -> Point:
    """The sum of two points (the complete twisted Edwards addition law).

    Examples
    --------
    >>> add(BASE8, IDENTITY) == BASE8
    True
    """
    x1, y1 = p1
    x2, y2 = p2
    t = D * x1 * x2 % P * y1 * y2 % P
    x3 = (x1 * y2 + y1 * x2) * pow(1 + t, -1, P) % P
    y3 = (y1 * y2 - A * x1 * x2) * pow(1 - t, -1, P) % P
    return x3, y3


def mul(point: Point, scalar: int) -> Point:
    """``scalar * point`` by double-and-add (``scalar >= 0``).

    Examples
    --------
    >>> mul(GENERATOR, 8) == BASE8
    True
    """
    if scalar < 0:
        raise ZkError(f"scalar {scalar}: must be non-negative")
    result, addend = IDENTITY, point
    while scalar:
        if scalar & 1:
            result = add(result, addend)
        addend = add(addend, addend)
        scalar >>= 1
    return result
