"""A corpus of hostile and broken input files, made at test time (no binaries in the repository).

Each kind is a function writing one file into a folder, with the outcome every reading command
must give: `reject` (a file-level finding of that code, nothing read), `flag` (read, with a
finding of that code at that cell) or `accept` (read without errors). A kind is small: the
dangerous part is the shape (a lying zip size, a cell at XFD1048576), not the bulk.
"""
from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import xlsxwriter

SHEET = "xl/worksheets/sheet1.xml"
SST = "xl/sharedStrings.xml"
HEADERS = ["customer_code", "store_name", "business_format", "market_type", "score_character", "issue_date"]
ROWS = [["C001", "Store one", "Z", "C", 7, 45000], ["C002", "Store two", "B", "X", 5, 45100],
        ["C003", "Store three", "S", "C", 9, 45200]]


@dataclass(frozen=True)
class Kind:
    name: str
    make: Callable[[Path], Path]
    outcome: str  # reject, flag or accept
    code: str | None = None  # the finding's code (reject, flag)
    cell: str | None = None  # where (flag)


KINDS: list[Kind] = []


def kind(outcome: str, code: str | None = None, cell: str | None = None):
    def register(make):
        KINDS.append(Kind(make.__name__, make, outcome, code, cell))
        return make
    return register


# --- building blocks ------------------------------------------------------------------------------

def workbook(path: Path, rows=ROWS, headers=HEADERS, strings: bool = True) -> Path:
    """A plain customer workbook (xlsxwriter: shared strings, r on every cell, a dimension)."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet("Customers")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, headers)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if headers[j] == "issue_date" and isinstance(value, (int, float)):
                ws.write_number(i, j, value, date)
            elif isinstance(value, str):
                ws.write_string(i, j, value) if strings else ws.write_string(i, j, value)
            elif value is not None:
                ws.write_number(i, j, value)
    wb.close()
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def rezip(path: Path, contents: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in contents.items():
            z.writestr(name, data)
    return path


def altered(path: Path, part: str, change: Callable[[bytes], bytes]) -> Path:
    """The plain workbook with one part changed."""
    workbook(path)
    contents = parts(path)
    contents[part] = change(contents[part])
    return rezip(path, contents)


def sheet_change(old: bytes, new: bytes, count: int = 1):
    def change(xml: bytes) -> bytes:
        assert old in xml, old
        return xml.replace(old, new, count)
    return change


def add_rows(extra: bytes):
    return sheet_change(b"</sheetData>", extra + b"</sheetData>")


def patch_sizes(path: Path, part: str, size: int | None = None, crc: int | None = None) -> Path:
    """Overwrite what the zip's local header and central directory say about one part."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    at = 0
    while (at := data.find(name, at)) >= 0:
        if data[at - 30:at - 26] == b"PK\x03\x04":
            header, crc_at, size_at = at - 30, 14, 22
        elif data[at - 46:at - 42] == b"PK\x01\x02":
            header, crc_at, size_at = at - 46, 16, 24
        else:
            at += 1
            continue
        if size is not None:
            struct.pack_into("<I", data, header + size_at, size)
        if crc is not None:
            struct.pack_into("<I", data, header + crc_at, crc)
        at += 1
    path.write_bytes(bytes(data))
    return path


def template_upload(path: Path, change=None, store_key: bytes | None = None) -> Path:
    """A pre-filled template (crm-xl template) as staff would send it back, optionally changed."""
    import openpyxl
    import pandas as pd

    from crm_xl.model import default_model
    from crm_xl.sheets.template import write_template

    customers = pd.DataFrame([dict(zip(HEADERS[:5], row[:5])) for row in ROWS])
    write_template(path, default_model(), customers, lang="en")
    if change is not None:
        wb = openpyxl.load_workbook(path)
        change(wb)
        wb.save(path)
    return path


# --- the zip container ----------------------------------------------------------------------------

@kind("reject", "file-unreadable")
def not_a_zip(d):
    (d / "not_a_zip.xlsx").write_text("customer_code,store_name\nC1,x\n")
    return d / "not_a_zip.xlsx"


@kind("reject", "file-unreadable")
def empty_file(d):
    (d / "empty_file.xlsx").write_bytes(b"")
    return d / "empty_file.xlsx"


@kind("reject", "file-unreadable")
def legacy_ole(d):
    (d / "legacy_ole.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000)
    return d / "legacy_ole.xlsx"


@kind("reject", "file-unreadable")
def truncated_zip(d):
    path = workbook(d / "truncated_zip.xlsx")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


@kind("reject", "file-unreadable")
def zip_without_workbook(d):
    return rezip(d / "zip_without_workbook.xlsx", {"readme.txt": b"hello"})


@kind("reject", "file-unreadable")
def bad_crc_in_a_small_part(d):
    path = workbook(d / "bad_crc_in_a_small_part.xlsx")
    return patch_sizes(path, "xl/workbook.xml", crc=0x12345678)


@kind("reject", "file-unreadable")
def bad_crc_in_the_sheet(d):
    path = workbook(d / "bad_crc_in_the_sheet.xlsx")
    return patch_sizes(path, SHEET, crc=0xDEADBEEF)


@kind("reject", "file-unreadable")
def deflate_stream_damaged(d):
    """The sheet's compressed data begins with an invalid block type (zlib and ISA-L both refuse it)."""
    path = workbook(d / "deflate_stream_damaged.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        at = z.getinfo(SHEET).header_offset
    name_len, extra_len = struct.unpack("<HH", data[at + 26:at + 30])
    data[at + 30 + name_len + extra_len] = 0x07  # final block, type 3: reserved
    path.write_bytes(bytes(data))
    return path


@kind("reject", "file-unreadable")
def sheet_bigger_than_it_says(d):
    path = altered(d / "sheet_bigger_than_it_says.xlsx", SHEET, add_rows(b"".join(
        b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i) for i in range(5, 30_000))))
    return patch_sizes(path, SHEET, size=900)


@kind("reject", "file-unreadable")
def shared_strings_bigger_than_they_say(d):
    path = altered(d / "shared_strings_bigger_than_they_say.xlsx", SST,
                   sheet_change(b"</sst>", b"<si><t>pad</t></si>" * 20_000 + b"</sst>"))
    return patch_sizes(path, SST, size=300)


@kind("reject", "file-unreadable")
def zip_bomb_by_ratio(d):
    return altered(d / "zip_bomb_by_ratio.xlsx", SHEET, sheet_change(b"<sheetData>", b"<sheetData>" + b" " * 40_000_000))


@kind("reject", "file-unreadable")
def duplicate_part_names(d):
    path = workbook(d / "duplicate_part_names.xlsx")
    with zipfile.ZipFile(path, "a") as z, __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        z.writestr(SHEET, b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                          b'spreadsheetml/2006/main"><sheetData/></worksheet>')
    return path


@kind("reject", "file-unreadable")
def encrypted_part(d):
    path = workbook(d / "encrypted_part.xlsx")
    data = bytearray(path.read_bytes())
    name = SHEET.encode()
    at = data.find(b"PK\x01\x02" + b"", 0)
    while at >= 0:  # set the "encrypted" flag of the sheet's central directory entry
        if data[at + 46:at + 46 + len(name)] == name:
            struct.pack_into("<H", data, at + 8, struct.unpack_from("<H", data, at + 8)[0] | 1)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path


@kind("reject", "file-unreadable")
def unknown_compression_method(d):
    path = workbook(d / "unknown_compression_method.xlsx")
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        struct.pack_into("<H", data, at + 10, 99)  # AES / unknown
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path


@kind("reject", "macro-enabled")
def macro_code_in_an_xlsx(d):
    path = workbook(d / "macro_code_in_an_xlsx.xlsx")
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 512)
    return path


@kind("reject", "macro-enabled")
def macro_enabled_by_name(d):
    return workbook(d / "macro_enabled_by_name.xlsm")


@kind("accept")
def stored_without_compression(d):
    path = workbook(d / "stored_without_compression.xlsx")
    return rezip(path, parts(path), zipfile.ZIP_STORED)


# --- sheet size and cell positions ----------------------------------------------------------------

@kind("reject", "file-unreadable")
def declared_dimension_bomb(d):
    return altered(d / "declared_dimension_bomb.xlsx", SHEET, lambda x: re.sub(rb'<dimension ref="[^"]*"/>',
                                                                             b'<dimension ref="A1:XFD1048576"/>', x))


@kind("reject", "file-unreadable")
def single_quoted_dimension_bomb(d):
    return altered(d / "single_quoted_dimension_bomb.xlsx", SHEET, lambda x: re.sub(
        rb'<dimension ref="[^"]*"/>', b"<dimension ref='A1:XFD1048576'/>", x))


@kind("reject", "file-unreadable")
def cell_far_beyond_the_dimension(d):
    return altered(d / "cell_far_beyond_the_dimension.xlsx", SHEET,
                   add_rows(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))


@kind("reject", "file-unreadable")
def single_quoted_far_cell(d):
    return altered(d / "single_quoted_far_cell.xlsx", SHEET,
                   add_rows(b"<row r='1048576'><c r='XFD1048576'><v>1</v></c></row>"))


@kind("reject", "file-unreadable")
def far_cell_without_a_dimension(d):
    def change(x):
        x = re.sub(rb"<dimension [^>]*/>", b"", x)
        return add_rows(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')(x)
    return altered(d / "far_cell_without_a_dimension.xlsx", SHEET, change)


@kind("reject", "file-unreadable")
def cells_without_references(d):
    return altered(d / "cells_without_references.xlsx", SHEET, lambda x: re.sub(rb' r="[A-Z]+\d+"', b"", x))


@kind("reject", "file-unreadable")
def formula_cell_without_a_reference(d):
    return altered(d / "formula_cell_without_a_reference.xlsx", SHEET,
                   add_rows(b'<row r="5"><c r="A5" t="s"><v>0</v></c><c t="str"><f>1+1</f><v>2</v></c></row>'))


@kind("reject", "file-unreadable")
def reference_not_first_and_missing(d):
    return altered(d / "reference_not_first_and_missing.xlsx", SHEET,
                   add_rows(b'<row r="5"><c r="A5" t="s"><v>0</v></c><c s="0"><v>2</v></c></row>'))


@kind("accept")
def reference_after_other_attributes(d):
    return altered(d / "reference_after_other_attributes.xlsx", SHEET, lambda x: x.replace(
        b'<c r="E2">', b'<c s="0" r="E2">'))


@kind("accept")
def rows_without_references(d):
    return altered(d / "rows_without_references.xlsx", SHEET, lambda x: re.sub(rb'<row r="\d+"', b"<row", x))


@kind("accept")
def cell_in_a_far_column_within_limits(d):
    return altered(d / "cell_in_a_far_column_within_limits.xlsx", SHEET, sheet_change(
        b"</row></sheetData>", b'<c r="AAA4"><v>1</v></c></row></sheetData>'))


@kind("reject", "file-unreadable")
def dimension_with_dollar_signs(d):
    return altered(d / "dimension_with_dollar_signs.xlsx", SHEET, lambda x: re.sub(
        rb'<dimension ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"/>', rb'<dimension ref="$\1$\2:$\3$\4"/>', x))


# --- shared strings -------------------------------------------------------------------------------

@kind("reject", "file-unreadable")
def huge_declared_unique_count(d):
    return altered(d / "huge_declared_unique_count.xlsx", SST,
                   lambda x: re.sub(rb'uniqueCount="\d+"', b'uniqueCount="4000000000"', x))


@kind("reject", "file-unreadable")
def huge_declared_count(d):
    return altered(d / "huge_declared_count.xlsx", SST, lambda x: re.sub(rb' count="\d+"', b' count="3999999999"', x))


@kind("reject", "file-unreadable")
def single_quoted_huge_count(d):
    return altered(d / "single_quoted_huge_count.xlsx", SST,
                   lambda x: re.sub(rb'uniqueCount="\d+"', b"uniqueCount='4000000000'", x))


@kind("reject", "file-unreadable")
def shared_string_index_out_of_range(d):
    return altered(d / "shared_string_index_out_of_range.xlsx", SHEET,
                   add_rows(b'<row r="5"><c r="A5" t="s"><v>999999</v></c></row>'))


@kind("accept")
def rich_text_shared_strings(d):
    return altered(d / "rich_text_shared_strings.xlsx", SST, sheet_change(
        b"<si><t>Store one</t></si>", b"<si><r><t>Store </t></r><r><rPr><b/></rPr><t>one</t></r></si>"))


@kind("accept")
def inline_strings(d):
    return altered(d / "inline_strings.xlsx", SHEET, lambda x: re.sub(
        rb'<c r="B2" t="s"><v>\d+</v></c>', b'<c r="B2" t="inlineStr"><is><t>Inline store</t></is></c>', x))


# --- XML that is not what workbooks hold ----------------------------------------------------------

@kind("reject", "file-unreadable")
def entities_in_the_sheet(d):
    return altered(d / "entities_in_the_sheet.xlsx", SHEET, sheet_change(
        b"?>", b'?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'))


@kind("reject", "file-unreadable")
def entities_in_shared_strings(d):
    return altered(d / "entities_in_shared_strings.xlsx", SST, sheet_change(
        b"?>", b'?><!DOCTYPE sst [<!ENTITY a "haha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'))


@kind("reject", "file-unreadable")
def external_entity_in_the_workbook(d):
    return altered(d / "external_entity_in_the_workbook.xlsx", "xl/workbook.xml", sheet_change(
        b"?>", b'?><!DOCTYPE wb [<!ENTITY x SYSTEM "file:///etc/passwd">]>'))


@kind("reject", "file-unreadable")
def nul_byte_in_shared_strings(d):
    return altered(d / "nul_byte_in_shared_strings.xlsx", SST, sheet_change(b"Store one", b"Store\x00one"))


@kind("reject", "file-unreadable")
def nul_character_reference(d):
    return altered(d / "nul_character_reference.xlsx", SST, sheet_change(b"Store one", b"Store&#0;one"))


@kind("reject", "file-unreadable")
def nul_byte_in_the_sheet(d):
    return altered(d / "nul_byte_in_the_sheet.xlsx", SHEET, add_rows(
        b'<row r="5"><c r="A5" t="inlineStr"><is><t>C\x00005</t></is></c></row>'))


@kind("accept")
def utf16_parts_with_bom(d):
    path = workbook(d / "utf16_parts_with_bom.xlsx")
    contents = parts(path)
    for name in (SHEET, SST):
        contents[name] = contents[name].decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    return rezip(path, contents)


@kind("accept")
def utf16_big_endian_parts(d):
    path = workbook(d / "utf16_big_endian_parts.xlsx")
    contents = parts(path)
    for name in (SHEET, SST):
        text = contents[name].decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
        contents[name] = b"\xfe\xff" + text.encode("utf-16-be")
    return rezip(path, contents)


@kind("accept")
def namespace_prefixed_sheet(d):
    def change(x):
        x = x.replace(b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                      b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
        return re.sub(rb"<(/?)(?!\?)([a-zA-Z]+)", rb"<\1x:\2", x)
    return altered(d / "namespace_prefixed_sheet.xlsx", SHEET, change)


@kind("reject", "file-unreadable")
def sheet_cut_mid_tag(d):
    return altered(d / "sheet_cut_mid_tag.xlsx", SHEET, lambda x: x[: len(x) // 2])


@kind("reject", "file-unreadable")
def shared_strings_cut_mid_tag(d):
    return altered(d / "shared_strings_cut_mid_tag.xlsx", SST, lambda x: x[: len(x) // 2])


@kind("reject", "sheet-missing")
def workbook_part_missing(d):
    path = workbook(d / "workbook_part_missing.xlsx")
    contents = parts(path)
    del contents["xl/workbook.xml"]
    return rezip(path, contents)


@kind("reject", "file-unreadable")
def sheet_part_missing(d):
    path = workbook(d / "sheet_part_missing.xlsx")
    contents = parts(path)
    del contents[SHEET]
    return rezip(path, contents)


@kind("reject", "file-unreadable")
def relationship_leaving_the_package(d):
    path = workbook(d / "relationship_leaving_the_package.xlsx")
    contents = parts(path)
    contents["xl/_rels/workbook.xml.rels"] = contents["xl/_rels/workbook.xml.rels"].replace(
        b'Target="worksheets/sheet1.xml"', b'Target="../../../../etc/passwd"')
    return rezip(path, contents)


# --- tables that are not customer tables ----------------------------------------------------------

@kind("reject", "no-header")
def no_customer_code_header(d):
    return workbook(d / "no_customer_code_header.xlsx", headers=["name", "store", "format", "market", "score", "date"])


@kind("reject", "no-header")
def empty_sheet(d):
    return workbook(d / "empty_sheet.xlsx", rows=[], headers=[])


@kind("reject", "duplicate-column")
def two_columns_for_one_field(d):
    return workbook(d / "two_columns_for_one_field.xlsx", headers=["customer_code", "store_name", "고객코드",
                                                                  "market_type", "score_character", "issue_date"])


@kind("accept")
def header_under_a_title(d):
    return workbook(d / "header_under_a_title.xlsx", rows=[HEADERS] + ROWS, headers=["Customer list 2026-10"] + [""] * 5)


@kind("accept")
def many_blank_rows_before_data(d):
    return workbook(d / "many_blank_rows_before_data.xlsx", rows=[[None] * 6] * 2000 + ROWS)


# --- cells that are not what their column holds ---------------------------------------------------

@kind("flag", "not-a-date", "F2")
def date_serial_far_beyond_9999(d):
    return altered(d / "date_serial_far_beyond_9999.xlsx", SHEET, sheet_change(b"<v>45000</v>", b"<v>1e15</v>"))


@kind("flag", "not-a-date", "F2")
def date_serial_huge_exponent(d):
    return altered(d / "date_serial_huge_exponent.xlsx", SHEET, sheet_change(b"<v>45000</v>", b"<v>1e300</v>"))


@kind("flag", "not-a-date", "F2")
def date_serial_negative(d):
    return altered(d / "date_serial_negative.xlsx", SHEET, sheet_change(b"<v>45000</v>", b"<v>-5</v>"))


@kind("flag", "formula-cell", "E2")
def formula_in_a_value_column(d):
    return altered(d / "formula_in_a_value_column.xlsx", SHEET, sheet_change(
        b'<c r="E2"><v>7</v></c>', b'<c r="E2"><f>3+4</f><v>7</v></c>'))


@kind("flag", "formula-cell", "E2")
def single_quoted_formula_cell(d):
    return altered(d / "single_quoted_formula_cell.xlsx", SHEET, sheet_change(
        b'<c r="E2"><v>7</v></c>', b"<c r='E2'><f>3+4</f><v>7</v></c>"))


@kind("flag", "not-a-number", "E2")
def boolean_in_a_number_column(d):
    return altered(d / "boolean_in_a_number_column.xlsx", SHEET, sheet_change(
        b'<c r="E2"><v>7</v></c>', b'<c r="E2" t="b"><v>1</v></c>'))


@kind("flag", "not-a-number", "E2")
def single_quoted_boolean(d):
    return altered(d / "single_quoted_boolean.xlsx", SHEET, sheet_change(
        b'<c r="E2"><v>7</v></c>', b"<c r='E2' t='b'><v>1</v></c>"))


@kind("flag", "error-value", "E2")
def error_value_in_a_number_column(d):
    return altered(d / "error_value_in_a_number_column.xlsx", SHEET, sheet_change(
        b'<c r="E2"><v>7</v></c>', b'<c r="E2" t="e"><v>#DIV/0!</v></c>'))


@kind("flag", "not-a-number", "E2")
def text_in_a_number_column(d):
    return workbook(d / "text_in_a_number_column.xlsx", rows=[["C001", "Store one", "Z", "C", "seven", 45000]] + ROWS[1:])


@kind("flag", "out-of-range", "E2")
def score_out_of_range(d):
    return workbook(d / "score_out_of_range.xlsx", rows=[["C001", "Store one", "Z", "C", 11, 45000]] + ROWS[1:])


@kind("flag", "required-missing", "A3")
def customer_code_missing(d):
    return workbook(d / "customer_code_missing.xlsx", rows=[ROWS[0], [None, "Store two", "B", "X", 5, 45100], ROWS[2]])


@kind("flag", "duplicate-key", "A3")
def customer_twice(d):
    return workbook(d / "customer_twice.xlsx", rows=[ROWS[0], ["C001"] + ROWS[1][1:], ROWS[2]])


@kind("flag", "unknown-code", "C2")
def unknown_business_format(d):
    return workbook(d / "unknown_business_format.xlsx", rows=[["C001", "Store one", "??", "C", 7, 45000]] + ROWS[1:])


@kind("flag", "text-too-long", "B2")
def text_longer_than_a_cell(d):  # written into the XML: writers cut text at 32,767 characters
    return altered(d / "text_longer_than_a_cell.xlsx", SST, sheet_change(b"Store one", b"x" * 40_000))


@kind("flag", "formula-text", "B2")
def text_that_would_run_as_a_formula(d):
    return workbook(d / "text_that_would_run_as_a_formula.xlsx",
                    rows=[["C001", "=cmd|' /C calc'!A0", "Z", "C", 7, 45000]] + ROWS[1:])


@kind("flag", "formula-text", "B2")
def hyperlink_text(d):
    return workbook(d / "hyperlink_text.xlsx",
                    rows=[["C001", '=HYPERLINK("http://evil.example","x")', "Z", "C", 7, 45000]] + ROWS[1:])


# --- templates --------------------------------------------------------------------------------------

@kind("accept")
def template_as_downloaded(d):
    return template_upload(d / "template_as_downloaded.xlsx")


@kind("reject", "wrong-schema-version")
def template_of_another_schema(d):
    def change(wb):
        wb["_crm_meta"]["B2"] = "0"
    return template_upload(d / "template_of_another_schema.xlsx", change)


@kind("flag", "locked-field-changed", "A2")
def template_locked_field_changed(d):
    def change(wb):
        ws = wb["Customers"]
        orders = next(c.column for c in ws[1] if c.value == "orders 12m")  # locked: comes from the orders
        ws.cell(2, orders, 99)
    return template_upload(d / "template_locked_field_changed.xlsx", change)


@kind("reject", "wrong-schema-version")
def template_metadata_damaged(d):
    def change(wb):
        ws = wb["_crm_meta"]
        ws.delete_cols(1, 2)
    return template_upload(d / "template_metadata_damaged.xlsx", change)


@kind("reject", "template-metadata-missing")
def template_metadata_sheet_removed(d):
    def change(wb):
        del wb["_crm_meta"]
    return template_upload(d / "template_metadata_sheet_removed.xlsx", change)


@kind("flag", "prefilled-code-changed", "A2")
def template_prefilled_code_changed(d):
    def change(wb):
        wb["Customers"]["A2"].value = "C999"  # was C001: today it would become a new customer
    return template_upload(d / "template_prefilled_code_changed.xlsx", change)


# --- text files -------------------------------------------------------------------------------------

def _text(d: Path, name: str, data: bytes) -> Path:
    (d / name).write_bytes(data)
    return d / name


@kind("accept")
def csv_plain(d):
    return _text(d, "csv_plain.csv", b"customer_code,store_name,score_character\nC001,One,7\nC002,Two,5\n")


@kind("accept")
def csv_korean_cp949(d):
    return _text(d, "csv_korean_cp949.csv", "고객코드,상호,점수_성격\nC001,가게,7\n".encode("cp949"))


@kind("reject", "file-unreadable")
def csv_empty(d):
    return _text(d, "csv_empty.csv", b"")


@kind("reject", "file-unreadable")
def csv_binary_garbage(d):
    return _text(d, "csv_binary_garbage.csv", bytes(range(1, 256)) * 20)


@kind("reject", "file-unreadable")
def csv_ragged_quotes(d):
    return _text(d, "csv_ragged_quotes.csv", b'customer_code,store_name\n"C001,"unterminated\nC002,x,y,z\n')


@kind("reject", "file-unreadable")
def csv_with_nul_bytes(d):
    return _text(d, "csv_with_nul_bytes.csv", b"customer_code,store_name\nC001,One\x00Two\n")


@kind("reject", "file-unreadable")
def spreadsheet_of_another_format(d):
    return _text(d, "spreadsheet_of_another_format.ods", b"PK\x03\x04" + b"\0" * 100)


@kind("reject", "file-not-found")
def folder_instead_of_a_file(d):
    (d / "folder_instead_of_a_file.xlsx").mkdir()
    return d / "folder_instead_of_a_file.xlsx"


def make_all(folder: Path) -> dict[str, tuple[Kind, Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    return {k.name: (k, k.make(folder)) for k in KINDS}


def crc_of(data: bytes) -> int:
    return zlib.crc32(data)
