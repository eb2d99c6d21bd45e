"""Spreadsheet files as files: A1 references, the safety pre-check every untrusted xlsx passes
before a parser sees it, the fast typed column reader, and writers that keep text as text.

Knows nothing of customers; everything that reads or writes a workbook builds on it.
"""
