"""trancheflow.analytics."""
