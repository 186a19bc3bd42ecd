"""trancheflow.tape."""
