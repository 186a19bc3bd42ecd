"""Servicer remittances: loan-level monthly records to the deal's on-chain report.

* :mod:`~trancheflow.servicer.schema`: the remittance record and its columns;
* :mod:`~trancheflow.servicer.read`: CSV/Parquet files to exact records;
* :mod:`~trancheflow.servicer.freddie`: Freddie Mac monthly performance lines
  as one period's records;
* :mod:`~trancheflow.servicer.reconcile`: per-loan roll-forward against the
  previous period (the :class:`LoanBook`);
* :mod:`~trancheflow.servicer.report`: the aggregate report and loan root;
* :mod:`~trancheflow.servicer.period`: the whole pipeline plus the checks
  against the deployed deal;
* :mod:`~trancheflow.servicer.books`: period-end loan books on disk (the
  leaves of each loan root) for audits, ``auction mark`` and the keeper;
* :mod:`~trancheflow.servicer.simulate`: SIMULATION ONLY, remittance files
  drawn from the model for demos and tests.
"""

from __future__ import annotations

from .period import PreparedPeriod, check_deployment, check_previous_on_chain, prepare_period
from .read import read_remittance
from .reconcile import LoanBook, Reconciled, reconcile
from .report import build_report
from .schema import COLUMNS, STATUSES, RemittanceRecord

__all__ = [
    "COLUMNS",
    "STATUSES",
    "LoanBook",
    "PreparedPeriod",
    "Reconciled",
    "RemittanceRecord",
    "build_report",
    "check_deployment",
    "check_previous_on_chain",
    "prepare_period",
    "read_remittance",
    "reconcile",
]
