"""How people's words and numbers are read and written: languages and catalogs, dates,
numbers, a text's items and cutting a text short."""
