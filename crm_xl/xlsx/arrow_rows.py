"""sheetdata's rows, assembled by Arrow's string kernels: the same bytes for under half the CPU.

Why: sheetdata.rows_xml makes a Python string of every cell (three concatenations, a comparison)
and then joins some four million of them for a 100,000 x 40 table: 2.3 s of CPU for the scored
workbook. Here each column's cell texts stay in one Arrow array, and the cells and rows are joined
in C++ (1.0 s in all). What a cell says comes from sheetdata's own code (each distinct text escaped
once by `text_tails`, whole numbers by `whole_numbers`, the rest by `repr_texts`), so the two paths
cannot drift apart; tests/test_sheetdata.py holds them to the same bytes. Arrow formats a number
itself only where it is known to write what repr writes (_ARROW_AS_REPR).

Used when pyarrow is installed (the `fast` extra); an install without it (xlwings Lite) builds the
rows with sheetdata.rows_xml.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_xl.xlsx import sheetdata
from crm_xl.xlsx.refs import letter

_STR = pa.large_string()  # 64-bit offsets: 10,000 rows of long texts can pass 2 GB
# Non-whole numbers from 1e-4 up to 1e9 are written by Arrow's cast exactly as repr writes them
# (checked over ten million values); outside, it switches to exponents at other points than repr.
_ARROW_AS_REPR = (1e-4, 1e9)


def rows_bytes(table: sheetdata.TableRows, start: int) -> bytes:
    """sheetdata.rows_xml(table, start), encoded as UTF-8."""
    part = table.frame.iloc[start:start + sheetdata.CHUNK]
    first = table.first_row + start
    numbers = pc.cast(pa.array(np.arange(first, first + len(part), dtype=np.int64)), _STR)
    cells = []
    for j in range(len(part.columns)):
        tails = _styled_tails(part.iloc[:, j], table.styles[j])
        for local, styles in table.overrides_in(j, start, len(part)):
            mask = np.zeros(len(part), bool)
            mask[local] = True
            tails = pc.replace_with_mask(tails, pa.array(mask), _styled_tails(part.iloc[local, j], styles))
        # null where the tail is (an empty cell): the row's join below leaves it out
        cells.append(pc.binary_join_element_wise(_text(f'<c r="{letter(j)}'), numbers, _text('"'), tails, _text("")))
    rows = pc.binary_join_element_wise(_text('<row r="'), numbers, _text('">'), *cells, _text("</row>"), _text(""),
                                       null_handling="skip")
    return _concatenated(rows)


def _styled_tails(series: pd.Series, style: sheetdata.CellStyles) -> pa.Array:
    tails = column_tails(series, style)
    return pc.fill_null(tails, _text(style.blank + "/>")) if style.blank is not None else tails


def column_tails(series: pd.Series, style: sheetdata.CellStyles) -> pa.Array:
    """sheetdata.column_tails as an Arrow array, null where the cell stays empty."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = column_tails(pd.Series(dtype.categories.to_numpy(dtype=object), dtype=object), style)
        return categories.take(_codes(series.cat.codes.to_numpy()))
    if pd.api.types.is_bool_dtype(dtype):
        return _from_tails(sheetdata.column_tails(series, style))
    if pd.api.types.is_numeric_dtype(dtype):
        return _numbers(series.to_numpy(dtype=np.float64, na_value=np.nan), style.number)
    if pd.api.types.is_datetime64_dtype(dtype):
        return _numbers(sheetdata._serials(series.to_numpy()), style.date)
    values = series.to_numpy(dtype=object)
    kinds = sheetdata._kinds(values)
    if not np.isin(kinds, (sheetdata._TEXT, sheetdata._MISSING)).all():  # numbers or dates among text: rare
        return _from_tails(sheetdata._mixed(values, style))
    codes, tails = sheetdata.text_tails(np.where(kinds == sheetdata._TEXT, values, None), style.text)
    return pa.array(tails, _STR).take(_codes(codes))


def _numbers(values: np.ndarray, style: str) -> pa.Array:
    """Tails of number cells (null where not finite), as sheetdata._numbers writes them."""
    finite = np.isfinite(values)
    values = np.where(finite, values, 0.0)
    whole = sheetdata.whole_numbers(values)
    texts = pc.cast(pa.array(np.where(whole, values, 0.0).astype(np.int64), mask=~finite), _STR)
    if not whole[finite].all():
        texts = pc.if_else(pa.array(whole), texts, pc.cast(pa.array(values, mask=~finite), _STR))
        size = np.abs(values)
        by_repr = finite & ~whole & ((size < _ARROW_AS_REPR[0]) | (size >= _ARROW_AS_REPR[1]))
        if by_repr.any():
            texts = pc.replace_with_mask(texts, pa.array(by_repr),
                                         pa.array(sheetdata.repr_texts(values[by_repr]), _STR))
    return pc.binary_join_element_wise(_text(f"{style}><v>"), texts, _text("</v></c>"), _text(""))


def _from_tails(tails: np.ndarray) -> pa.Array:
    return pa.array(tails, _STR, mask=tails == "")


def _codes(codes: np.ndarray) -> pa.Array:
    return pa.array(codes, mask=codes < 0)


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, _STR)


def _concatenated(strings: pa.Array) -> bytes:
    """All the strings of an array as one bytes object: its data buffer between its first and last offset."""
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64)[strings.offset:strings.offset + len(strings) + 1]
    return strings.buffers()[2][int(offsets[0]):int(offsets[-1])].to_pybytes()
