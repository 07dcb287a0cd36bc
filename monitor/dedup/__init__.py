"""dedup: assigns every new item to a story (same GUID/URL, or a near-identical headline)."""
