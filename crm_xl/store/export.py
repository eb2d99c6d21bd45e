"""The master data back out as a workbook (numbers as numbers, codes as text)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from crm_xl import values
from crm_xl.fields import columns, label
from crm_xl.files import atomic_path
from crm_xl.model import ScoringModel, default_model
from crm_xl.scoring.classes import coded_fields, shown_as
from crm_xl.sheets.validation import Known
from crm_xl.store.db import aliases, customers, fingerprint_key, reviews, templates
from crm_xl.texts import page_footer, text
from crm_xl.xlsx.writing import new_workbook, write_table


def master_frame(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(select(customers).order_by(customers.c.customer_code)).mappings().all(),
                             columns=[c.name for c in customers.columns])
    for name, spec in columns().items():
        if name in frame.columns and spec.type == "number":
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
        elif name in frame.columns and spec.type == "date":  # datetime.date objects: 9999-12-31 included
            frame[name] = pd.Series(values.dates_as_objects(values.dates(frame[name]).values), index=frame.index,
                                    dtype=object)
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True).dt.tz_localize(None)
    return frame.dropna(axis=1, how="all").reindex(columns=[c for c in frame.columns if frame[c].notna().any()
                                                            or c == "customer_code"])


def pending_reviews(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(reviews).where(reviews.c.status == "pending").order_by(reviews.c.id))
        return [dict(r) for r in rows.mappings()]


def known(engine: Engine):
    """The template ids this master data issued and the customers it has."""
    with engine.connect() as conn:
        ids = frozenset(r[0] for r in conn.execute(select(templates.c.template_id)))
        codes = frozenset(r[0] for r in conn.execute(select(customers.c.customer_code)))
        codes |= frozenset(r[0] for r in conn.execute(select(aliases.c.alias_code)))  # old codes still land
    return Known(ids or None, codes, fingerprint_key(engine, create=False))


def record_template(engine: Engine, meta: dict) -> None:
    with engine.begin() as conn:
        conn.execute(insert(templates).values(template_id=str(meta["template_id"]), manager=meta.get("manager") or None,
                                              issued_at=dt.datetime.now(dt.timezone.utc),
                                              schema_version=str(meta.get("schema_version")),
                                              model=str(meta.get("model"))))


def export_master(engine: Engine, path: Path, lang: str | None = None, model: ScoringModel | None = None) -> Path:
    """The master data as a workbook. With `lang` (ko, zh, en) the headers and coded fields read in
    that language (편의점 for the stored code B); without, canonical names and codes, for scripts."""
    frame = master_frame(engine)
    if lang is not None:
        for name, options in coded_fields((model or default_model()).classification).items():
            if name in frame.columns:
                frame[name] = shown_as(frame[name].tolist(), options, lang)
    headers = [label(c, lang) if c in columns() else text(f"column.{c}", lang) for c in frame.columns] if lang else None
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        write_table(wb, "Customers", frame, headers=headers, footer=page_footer(lang or "en"))
        wb.close()
    return path
