"""crm_xl: customer scoring, grading and checking for people who live in Excel."""
__version__ = "0.1.0"
