"""Scoring: credit, tiers, classes, value segments, RFM and tags, vectorised over pandas; scalar
and spreadsheet-column forms are calls of the same code. Imports no file or workbook code."""
