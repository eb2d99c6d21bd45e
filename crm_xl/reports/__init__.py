"""The monthly report: figures computed from scored customers and orders, rendered into a
restylable workbook template, an HTML summary for e-mail and an optional PDF."""
