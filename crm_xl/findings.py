"""The catalogue of everything crm_xl reports about bad input: one place defines each code.

Terminal messages, `--json` output, the `scoring_issues` column and the README's table of
codes are all rendered from these entries, so they cannot disagree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    scope: str  # model, file, column or cell: what the finding is about
    title: str
    template: str  # message, with {named} fields
    hint: str  # how to fix it, with the same fields

    def message(self, **fields: Any) -> str:
        return self.template.format_map(_Lenient(fields))

    def fix(self, **fields: Any) -> str:
        return self.hint.format_map(_Lenient(fields))


class _Lenient(dict):
    """A missing field renders as `?` rather than failing: a message must never crash."""

    def __missing__(self, key: str) -> str:
        return "?"


_CODES = [
    # The scoring model
    Code("model-unreadable", ERROR, "model", "Model cannot be read",
         "{source}: {detail}", "Fix the file syntax, or start again from `crm-xl model export`."),
    Code("model-missing-entry", ERROR, "model", "Required model entry missing",
         "{entry}: required entry is missing", "Add {entry} (see the shipped default model)."),
    Code("model-wrong-type", ERROR, "model", "Model entry has the wrong type",
         "{entry}: {value!r} is not {expected}", "Give {entry} as {expected}."),
    Code("model-not-positive", ERROR, "model", "Weight or factor not positive",
         "{entry}: {value} is not above 0", "Use a number above 0, or remove the entry."),
    Code("model-out-of-range", ERROR, "model", "Model value out of range",
         "{entry}: {value} is outside {low}–{high}", "Use a value from {low} to {high}."),
    Code("model-band-order", ERROR, "model", "Bands not strictly ordered",
         "{entry}: lower edge {value} is not above {previous}",
         "List bands from the lowest to the highest lower edge, each edge above the one before."),
    Code("model-duplicate", ERROR, "model", "Label or code used twice",
         "{entry}: {value!r} is already used by {other}", "Give every entry its own label."),
    Code("model-unknown-reference", ERROR, "model", "Model refers to something undefined",
         "{entry}: {value!r} is not defined in {where}", "Use one of: {choices}."),
    Code("model-grid-coverage", ERROR, "model", "RFM grid not covered exactly once",
         "rfm.segments: cell R{r} F{f} is covered {count} times",
         "Make the segments' r and f ranges cover every cell of the 5 x 5 grid exactly once."),
    Code("model-sheet-missing", ERROR, "model", "Workbook has no model sheet",
         "{source}: no sheet named {sheet!r} (sheets: {sheets})",
         "Export a model sheet with `crm-xl model export FILE.xlsx` and edit that."),
    Code("model-bad-key", ERROR, "model", "Model sheet key not understood",
         "{source} {cell}: key {value!r} {detail}",
         "Keys look like credit.grades[2].from; keep the keys as exported."),
    # Input files
    Code("file-not-found", ERROR, "file", "File not found",
         "{file}: no such file", "Check the path."),
    Code("file-unreadable", ERROR, "file", "File cannot be read",
         "{file}: {detail}", "Save the file as .xlsx or UTF-8 .csv and try again."),
    Code("sheet-missing", ERROR, "file", "Sheet not found",
         "{file}: no sheet named {sheet!r} (sheets: {sheets})", "Name one of the sheets that exist."),
    Code("no-header", ERROR, "file", "No header row found",
         "{file} [{sheet}]: no row in the first {rows} rows has the customer_code column",
         "Put the column headers (e.g. customer_code / 고객코드 / 客户编码) in one row above the data."),
    Code("duplicate-column", ERROR, "file", "Two columns mean the same field",
         "{file} [{sheet}] {cell}: {header!r} is {column} again (first at {first})",
         "Delete or rename one of the two columns."),
    Code("column-missing", WARNING, "column", "Input column absent",
         "{file} [{sheet}]: {affects} cannot be computed: no column for {column}",
         "Add the column(s); accepted headers include {aliases}."),
    Code("would-drop-drawings", ERROR, "file", "Charts or images would be lost",
         "{file}: has {count} charts or images, which a headless save cannot keep",
         "Write the result to another file with -o OTHER.xlsx, or use the button in Excel."),
    Code("unsupported-output", ERROR, "file", "Output type not supported",
         "{file}: cannot write {suffix!r} files", "Name an output ending in {allowed}."),
    # Values in cells
    Code("missing-value", WARNING, "cell", "Value missing",
         "{column} is empty", "Fill in {column}."),
    Code("required-missing", ERROR, "cell", "Required value missing",
         "{column} is required but empty", "Fill in {column}: every row needs it."),
    Code("not-a-number", ERROR, "cell", "Not a number",
         "{column}: {value!r} is not a number", "Type a plain number, e.g. 1234.5."),
    Code("not-a-date", ERROR, "cell", "Not a date",
         "{column}: {value!r} is not a date", "Type a date as YYYY-MM-DD."),
    Code("out-of-range", ERROR, "cell", "Value out of range",
         "{column}: {value} is outside {low}–{high}", "Use a value from {low} to {high}."),
    Code("unknown-code", ERROR, "cell", "Unknown code",
         "{column}: {value!r} is not a known {kind}", "Use one of: {choices}."),
    Code("below-bands", ERROR, "cell", "Value below the lowest band",
         "{column}: {value} is below the lowest band ({low})", "Check the value; bands start at {low}."),
    Code("needs-population", WARNING, "cell", "Rank needs more customers",
         "{column}: {method} scoring needs at least {needed} customers, got {count}",
         "Score the whole customer list at once, or use fixed bands in the model."),
    Code("bad-pattern", ERROR, "cell", "Value does not have the expected form",
         "{column}: {value!r} is not a valid {column}", "Use {hint}."),
    Code("duplicate-key", ERROR, "cell", "Customer appears twice",
         "{column}: {value!r} appears again (first at {first})", "Keep one row per customer."),
    Code("duplicate-across-files", WARNING, "cell", "Customer also in another file of the batch",
         "{column}: {value!r} is also in {first}", "Nothing to do if both agree; fields they change differently are not merged."),
    Code("text-too-long", ERROR, "cell", "Text too long for a cell",
         "{column}: the text is longer than the {limit:,} characters a spreadsheet cell holds",
         "Shorten it to at most {limit:,} characters (put long notes elsewhere)."),
    Code("bad-characters", ERROR, "cell", "Characters a workbook cannot store",
         "{column}: {value!r} holds control characters that a workbook cannot store",
         "Retype the text, or paste it as plain text, without the invisible characters."),
    Code("unknown-column", WARNING, "column", "Column not recognised",
         "{file} [{sheet}] {cell}: header {header!r} is not a field crm_xl knows, so its values are neither "
         "checked nor merged", "Rename it to a known header (see crm_xl/fields.toml), or delete the column."),
    Code("formula-cell", ERROR, "cell", "Formula where a value belongs",
         "{column}: the cell holds a formula, not a typed value", "Replace the formula by its value (Paste Values)."),
    Code("formula-text", WARNING, "cell", "Text that would run as a formula",
         "{column}: {value!r} starts like a formula", "Start the text with a quote (') or remove the leading {first}."),
    Code("wrong-schema-version", ERROR, "file", "Template of another schema version",
         "{file}: made from a schema {found} template; this version reads schema {expected}",
         "Download a new template with crm-xl template and copy your changes into it."),
    Code("unknown-template", ERROR, "file", "Template not issued by this master data",
         "{file}: template {template!r} was not issued from this master data",
         "Download a template with crm-xl template --from-store and copy your changes into it."),
    Code("unknown-customer", ERROR, "cell", "Pre-filled customer not in the master data",
         "{column}: {value!r} was pre-filled but is not in the master data", "Check the code; new customers go in the empty rows."),
    Code("locked-field-changed", ERROR, "cell", "Locked field changed",
         "{column}: a locked field of customer {value!r} differs from the downloaded template",
         "Undo the change to the grey (locked) cells of this row, or download a new template."),
    Code("macro-enabled", ERROR, "file", "Macro-enabled workbook",
         "{file}: is a macro-enabled workbook", "Save it as .xlsx (Excel Workbook) and upload that."),
    # Merging into the master data
    Code("file-held-back", ERROR, "file", "Upload not merged",
         "{file}: nothing of this file was merged: {reason}",
         "Fix what the message names, then merge the file again: {reason_fix}"),
    Code("row-held-back", ERROR, "cell", "Row not merged",
         "{file} row {row}: not merged: {reason}",
         "Fix the cell, then merge the file again: {reason_fix}"),
    Code("batch-held-back", ERROR, "file", "Batch not merged (all or nothing)",
         "nothing was merged: {count} rows of the batch have errors and --all-or-nothing was given",
         "Fix the rows listed above, or merge without --all-or-nothing to take the valid rows."),
    Code("field-not-owned", WARNING, "cell", "Field not the uploader's to change",
         "{value}: {column} is a {kind} field, which {role} may not change; not applied",
         "Leave it as it is, or ask a role that owns {kind} fields ({owners}) to upload the change."),
    Code("merge-conflict", WARNING, "cell", "Two uploads change one field differently",
         "{value}: {column} is changed to different values by two uploads of this batch; neither applied",
         "Agree on one value and upload it in one file."),
    Code("review-queued", INFO, "cell", "Change waits for review",
         "{value}: the change of sensitive field {column} waits for a reviewer",
         "A reviewer decides it with crm-xl review approve ID (or reject ID)."),
    Code("missing-extra", ERROR, "file", "Optional package not installed",
         "this command needs {package}, which is not installed", "Install it with: pip install 'crm-xl[{extra}]'."),
    Code("bad-option", ERROR, "file", "Option value not usable",
         "{option}: {value!r} {problem}", "Give a usable value. {hint}"),
    # Migration mapping and duplicate review (crm_xl.quality)
    Code("mapping-unsure", ERROR, "file", "Columns need a person to map them",
         "{file}: {count} column(s) could not be mapped with confidence: {columns}",
         "Edit {mapping}: replace each \"?\" by a field name (or \"\" to leave the column out), then run again with --mapping {mapping}."),
    Code("mapping-bad-field", ERROR, "file", "Mapping names an unknown field",
         "{mapping}: {header!r} is mapped to {field!r}, which is not a customer field",
         "Use a canonical name from crm_xl/fields.toml (e.g. store_name, phone), or \"\" to leave the column out."),
    Code("mapping-no-key", ERROR, "file", "No column for the customer code",
         "{file} [{sheet}]: no column is mapped to customer_code",
         "Map the column holding the customer codes to customer_code in {mapping}."),
    Code("review-bad-layout", ERROR, "file", "Not a duplicates review workbook",
         "{file}: missing {columns}", "Use the workbook crm-xl duplicates -o wrote, with its columns as they were."),
    Code("review-bad-choice", ERROR, "cell", "Choice not offered for this cluster",
         "{column}: {value!r} is not one of the cluster's values", "Pick one of: {choices}."),
    Code("review-undecided", INFO, "cell", "Cluster still to be reviewed",
         "cluster {cluster} is marked review, so it was not applied",
         "Set its decision to merge or keep apart, then apply again."),
    Code("merged-code-with-survivor", ERROR, "cell", "Old code and its survivor in one file",
         "{value}: was merged into {survivor}, which this file also has; the {value} row was not merged",
         "Keep one row for {survivor}: the old code {value} now means the same customer."),
    Code("review-stale", WARNING, "cell", "Master data changed since the review",
         "cluster {cluster} not applied: {detail}",
         "Run crm-xl duplicates again for a current review workbook."),
    # Credit management
    Code("credit-unknown-customer", ERROR, "cell", "Order for a customer not in the master data",
         "{column}: {value!r} is not in the master data, so the order is held",
         "Correct the customer code, or merge the customer into the master data first."),
    Code("percent-not-money", ERROR, "cell", "A percentage where an amount of money belongs",
         "{column}: {value!r} is a percentage, not an amount of money",
         "Type the amount itself (e.g. 1,000 or 1,000원), without %."),
    Code("duplicate-order", ERROR, "cell", "Order number appears twice in the file",
         "{column}: {value!r} appears again (first at {first}), so this row is not checked",
         "Give each order its own number, or delete the repeated row."),
    Code("order-in-future", ERROR, "cell", "Past order dated in the future",
         "{column}: {value} is more than {days} days after today; an order in the history cannot be",
         "Correct the date; the order is left out until then (it would move every customer's recency)."),
    Code("date-far-future", WARNING, "cell", "Date far in the future",
         "{column}: {value} is more than {days} days after today",
         "Check the date; nothing to fix if the order really is for then."),
    Code("credit-not-allowed", ERROR, "role", "Role may not decide credit",
         "{role!r} may not {action} (allowed: {roles})",
         "Ask someone with one of these roles: {roles}; the roles are set in the model ({entry})."),
    Code("review-not-pending", ERROR, "review", "Review or hold is not waiting for a decision",
         "{what} {id} is {status}, not pending; nothing was decided",
         "List what waits with `crm-xl credit review list` (or `crm-xl credit holds list`) and name those ids."),
    Code("no-limits-in-force", ERROR, "file", "No credit limit in force",
         "{file}: no credit limit is in force in the master data, so no order can be checked",
         "Take a monthly snapshot first: `crm-xl snapshot --month YYYY-MM --db URL` puts each customer's limit in force."),
    Code("snapshot-missing", WARNING, "file", "No snapshot for a month",
         "no snapshot for {month} in the master data: {affects}",
         "Take it with `crm-xl snapshot --month {month} --db URL` (taking a month again replaces it)."),
    Code("no-orders", INFO, "cell", "No orders in the window",
         "no orders in the last {months} months, so there is no RFM score",
         "Nothing to fix unless the customer did order: then check the transactions file."),
    # The Excel face
    Code("error-value", ERROR, "cell", "Excel error in an input cell",
         "{column}: the cell holds the error {value}",
         "Fix what makes the input cell show {value} (its formula or what it refers to)."),
    Code("not-a-server-project", ERROR, "file", "Not an xlwings Server project",
         "{file}: is not an xlwings Server project (no {missing})",
         "Make one with `xlwings-server init DIR` (pip install xlwings-server), then run the command on DIR."),
    # The world around the command: disks, folders, the database
    Code("cannot-write", ERROR, "file", "Output cannot be written",
         "{file}: could not be written: {detail}",
         "Free disk space, or write to a folder you may write to; nothing was changed, run the command again."),
    Code("database-unavailable", ERROR, "file", "Database cannot be used",
         "{url}: {detail}",
         "Check that the database is running and that --db (or CRM_XL_DB) is a URL such as sqlite:///crm.db or "
         "postgresql+psycopg://user@host/db; nothing was changed."),
    Code("database-conflict", ERROR, "file", "Another merge wrote the same customers",
         "{url}: another merge added or changed the same customers at the same time ({detail}); nothing of this "
         "merge was written", "Run the merge again: it now sees the other merge's customers and updates them."),
    Code("template-metadata-missing", ERROR, "file", "Template metadata removed",
         "{file}: was made by crm-xl template ({marks}) but its hidden metadata sheet was removed, so its "
         "locked fields cannot be checked", "Download a new template and copy your changes into it."),
    Code("prefilled-code-changed", ERROR, "cell", "Customer code of a pre-filled row changed",
         "{column}: {value!r} replaces the pre-filled customer {expected!r} (customer codes of pre-filled rows "
         "are locked)", "Put {expected} back; add a new customer in the empty rows below the pre-filled ones."),
    Code("unknown-review", ERROR, "file", "No such pending change",
         "review {value}: no pending change has this id", "List the pending changes with crm-xl review list and "
         "use their ids; nothing was decided."),
]

CATALOGUE: dict[str, Code] = {c.code: c for c in _CODES}


def code(name: str) -> Code:
    return CATALOGUE[name]


def markdown_table() -> str:
    """The table of codes for the README (a test keeps the README in step with this)."""
    rows = ["| code | severity | about | what it means | how to fix |", "|---|---|---|---|---|"]
    for c in _CODES:
        hint = c.hint.replace("|", "\\|")
        rows.append(f"| `{c.code}` | {c.severity} | {c.scope} | {c.title} | {hint} |")
    return "\n".join(rows)


@dataclass(frozen=True)
class Finding:
    """One reported problem: a catalogue code, where it is, and the fields its message needs.

    `row` is the row number the sheet shows (None for a whole file or column); `column` the
    canonical field and `cell` the reference (e.g. E8) live in `fields`, as messages use them.
    """

    code: str
    fields: dict
    row: int | None = None

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:  # checked when made, never first discovered when printed
            raise KeyError(f"{self.code} is not in the findings catalogue")

    @property
    def severity(self) -> str:
        return CATALOGUE[self.code].severity

    @property
    def column(self) -> str | None:
        return self.fields.get("column")

    @property
    def cell(self) -> str | None:
        return self.fields.get("cell")

    @property
    def file(self) -> str | None:
        file = self.fields.get("file")
        return None if file is None else str(file)

    @property
    def message(self) -> str:
        return CATALOGUE[self.code].message(row=self.row, **self.fields)

    @property
    def fix(self) -> str:
        return CATALOGUE[self.code].fix(row=self.row, **self.fields)

    def as_dict(self) -> dict:
        plain = {k: _plain(v) for k, v in self.fields.items()}
        return {"code": self.code, "severity": self.severity, "message": self.message, "fix": self.fix,
                "row": self.row, **plain}


def finding(name: str, row: int | None = None, **fields: Any) -> Finding:
    """A finding of catalogue code `name` at sheet row `row` (if any), with its message fields."""
    return Finding(name, fields, None if row is None else int(row))


def _plain(value: Any) -> Any:
    """JSON-friendly value (numpy scalars, paths and dates become plain types)."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class CrmError(Exception):
    """Bad input that stops a command: carries every finding, never a traceback."""

    def __init__(self, findings: list[Finding]):
        self.findings = list(findings)
        super().__init__("\n".join(f.message for f in self.findings))


class ModelError(CrmError):
    """The scoring model failed its checks; one finding per problem."""


class InputError(CrmError):
    """An input file cannot be used."""
