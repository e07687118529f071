"""Publishing: staged data committed atomically as versions of Delta Lake tables."""
