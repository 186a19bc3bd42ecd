"""trancheflow.ops."""
