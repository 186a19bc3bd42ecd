"""Saved hazard models by name, in a models directory.

The directory is, in order: the ``directory`` argument, the
``TRANCHEFLOW_MODELS`` environment variable, or ``~/.trancheflow/models``.
Each model is a sub-directory ``<name>/`` holding one LightGBM text file per
risk and ``meta.json`` (features, category levels, training window, metrics,
the training panel's SHA-256), written by
:meth:`~trancheflow.models.model.HazardModel.save`.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     list_models(d)
[]
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from trancheflow.errors import ModelError

from .model import HazardModel

__all__ = ["list_models", "load_model", "models_dir", "save_model"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def models_dir(directory: str | Path | None = None) -> Path:
    """The models directory (see the module docstring); not created here."""
    if directory is not None:
        return Path(directory)
    env = os.environ.get("TRANCHEFLOW_MODELS")
    if env:
        return Path(env)
    return Path.home() / ".trancheflow" / "models"


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise ModelError(
            f"model name {name!r} must be 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def save_model(
    model: HazardModel, name: str, *, directory: str | Path | None = None, overwrite: bool = False
) -> Path:
    """Save ``model`` as ``name``; refuses to replace an existing model unless ``overwrite``."""
    d = models_dir(directory) / _check_name(name)
    if (d / "meta.json").exists() and not overwrite:
        raise ModelError(f"model {name!r} already exists in {d.parent} (use overwrite)")
    model.meta["name"] = name
    return model.save(d)


def load_model(name: str, *, directory: str | Path | None = None) -> HazardModel:
    """Load the model saved as ``name``."""
    root = models_dir(directory)
    d = root / _check_name(name)
    if not (d / "meta.json").exists():
        known = ", ".join(m["name"] for m in list_models(root)) or "none"
        raise ModelError(f"no model {name!r} in {root} (saved models: {known})")
    return HazardModel.load(d)


def list_models(directory: str | Path | None = None) -> list[dict[str, Any]]:
    """Name, training window, test start and data hash of every saved model, by name."""
    root = models_dir(directory)
    out = []
    if root.is_dir():
        for d in sorted(root.iterdir()):
            meta_file = d / "meta.json"
            if not meta_file.is_file():
                continue
            try:
                meta = json.loads(meta_file.read_text())
            except (OSError, json.JSONDecodeError):
                continue
            out.append(
                {
                    "name": d.name,
                    "train_window": meta.get("train_window"),
                    "test_from": meta.get("test_from"),
                    "risks": meta.get("risks"),
                    "data_hash": meta.get("data_hash", "")[:12],
                    "metrics": meta.get("metrics", {}),
                }
            )
    return out
