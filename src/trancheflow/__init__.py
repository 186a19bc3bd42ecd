"""trancheflow: tokenized mortgage-backed securities from one deal spec.

Collateral projection (:mod:`trancheflow.collateral`), loan tapes
(:mod:`trancheflow.tape`), the deal waterfall (:mod:`trancheflow.deal`),
analytics (:mod:`trancheflow.analytics`), rates (:mod:`trancheflow.rates`) and
on-chain execution (:mod:`trancheflow.chain`).
"""

__version__ = "0.1.0"
