"""trancheflow.rates."""
