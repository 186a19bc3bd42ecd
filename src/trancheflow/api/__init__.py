"""trancheflow.api."""
