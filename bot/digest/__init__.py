"""The manager's digest: what it holds (model), how it is read from storage (gather) and how it
is shown (render, which reads nothing)."""
