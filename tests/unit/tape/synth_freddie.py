"""Write large synthetic Freddie Mac file pairs line by line, for the streaming tests and bench.

The content is synthetic (every loan current, paying on schedule, 1% prepaying
each month); only the layout follows the published files. Lines are written
as they are made, so writing takes no memory in the file's size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

_ORIG = (
    "{fico}|201903|N|204902||000|1|P|{ltv}|{dti}|{upb}|{ltv}|{rate:.3f}|R|N|FRM|CA|SF|90200|{id}|P|"
    "360|02|Other sellers|JPMORGAN CHASE BANK, N.A.|||9||9|N|7\n"
)


def write_pair(
    directory: Path, loans: int, months: int, seed: int = 0, prepay: float = 0.01
) -> tuple[Path, Path, int]:
    """Write ``loans`` origination lines and up to ``months`` (<= 360) performance lines per loan.

    Each month a loan prepays with probability ``prepay`` (0: every loan reports
    all ``months`` months, so the file has exactly ``loans * months`` lines).

    Returns (origination path, performance path, performance line count).
    """
    if months > 360:
        raise ValueError("a 30-year loan reports at most 360 months")
    rng = np.random.default_rng(seed)
    orig, perf = directory / "synth_orig.txt", directory / "synth_svcg.txt"
    fico = rng.integers(620, 830, loans)
    ltv = rng.integers(40, 97, loans)
    dti = rng.integers(10, 50, loans)
    upb = rng.integers(60, 700, loans) * 1000
    rate = rng.choice([3.5, 3.875, 4.125, 4.5, 4.875], loans)
    life = (
        np.minimum(rng.geometric(prepay, loans), months) if prepay > 0 else np.full(loans, months)
    )
    n = 0
    with orig.open("w") as fo, perf.open("w") as fp:
        for i in range(loans):
            lid = f"F19Q1{i:07d}"
            fo.write(_ORIG.format(fico=fico[i], ltv=ltv[i], dti=dti[i], upb=upb[i], rate=rate[i],
                                  id=lid))  # fmt: skip
            r = rate[i] / 1200
            k = np.arange(life[i])
            bal = upb[i] * ((1 + r) ** 360 - (1 + r) ** k) / ((1 + r) ** 360 - 1)
            rows = []
            for a in range(life[i]):
                m = 2019 * 12 + 1 + a
                per = f"{m // 12}{m % 12 + 1:02d}"
                end = a == life[i] - 1 and life[i] < months
                zbc, zbd = ("01", per) if end else ("", "")
                b = 0.0 if end else bal[a]
                rows.append(f"{lid}|{per}|{b:.2f}|0|{a:03d}|{360 - a}|||{zbc}|{zbd}|{rate[i]:.3f}"
                            f"|0.00||||||||||||||{ltv[i]}||||||{b:.2f}\n")  # fmt: skip
            fp.writelines(rows)
            n += len(rows)
    return orig, perf, n
