"""Uploaded images: what they may be (images) and where their bytes live (stores)."""
