"""trancheflow.chain."""
