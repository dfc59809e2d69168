"""Retrieval: texts → sparse vectors, stored and searched in Qdrant."""
