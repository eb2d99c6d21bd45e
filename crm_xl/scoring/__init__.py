"""Scoring: credit, tiers, classes, value segments, RFM and tags, vectorised over pandas."""
