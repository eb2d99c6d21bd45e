"""The Excel add-in as a file: builds workbooks/crm_xl.xlam (ribbon, VBA callbacks), proves it
without Excel, installs it, and writes the xlwings Server / Lite package. The functions and
scripts it exposes live in udfs/; the rules they run live in the rest of crm_xl."""
