"""Customer workbooks: reading a customer table from an upload (headers matched to fields),
validating it cell by cell, the template staff fill in, the annotated copy, the scored
workbook, and regrading a sheet open in Excel (the ribbon buttons) through the SheetLike protocol."""
