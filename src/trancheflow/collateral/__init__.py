"""trancheflow.collateral."""
