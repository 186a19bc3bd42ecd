"""trancheflow.api: the HTTP API and dashboard over the indexer database.

See :func:`trancheflow.api.app.create_app`.
"""

from trancheflow.api.app import create_app

__all__ = ["create_app"]
