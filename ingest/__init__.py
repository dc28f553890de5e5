"""Ingestion: load -> clean -> chunk -> index the documents of corpus/."""
