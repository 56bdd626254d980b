"""The manager's digest: what it holds (model), how it is gathered (build) and shown (render)."""
