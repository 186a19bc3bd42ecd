"""trancheflow.deal."""
