"""Machine-learned behaviour models: loan-month panels, training, evaluation, compiled scorers.

Modules: :mod:`~trancheflow.models.features` (panel → desk features),
:mod:`~trancheflow.models.simulate` (ground-truth panels from known hazards),
:mod:`~trancheflow.models.hazard` (LightGBM and logistic monthly hazards),
:mod:`~trancheflow.models.evaluate` (out-of-time metrics and baselines),
:mod:`~trancheflow.models.registry` (saved models by name),
:mod:`~trancheflow.models.compiled` (tree ensembles as lookup tables for the kernels),
:mod:`~trancheflow.models.pricing` (ML-driven Monte Carlo projection and OAS).
"""
