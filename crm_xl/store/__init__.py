"""The master customer data: one database (SQLite or any SQLAlchemy URL) with the change log and
the review queue; uploads merge into it in one transaction, and it exports back to a workbook."""
