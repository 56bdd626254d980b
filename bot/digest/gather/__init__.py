"""A digest read from storage: the only part of the digest that queries the database."""
