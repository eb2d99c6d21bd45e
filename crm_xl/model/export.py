"""The model for people: an editable workbook sheet and a readable text description."""
from __future__ import annotations

from pathlib import Path

from crm_xl.files import atomic_path
from crm_xl.findings import InputError, finding
from crm_xl.model.schema import ScoringModel
from crm_xl.model.sheet import write_model_sheet
from crm_xl.xlsx.writing import new_workbook


def export_model(model: ScoringModel, path: str | Path) -> Path:
    """Write `model` as the Model sheet of a new workbook at `path`."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError([finding("unsupported-output", file=path, suffix=path.suffix, allowed=".xlsx")])
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        write_model_sheet(wb, model)
        wb.close()
    return path


def describe(model: ScoringModel) -> str:
    c = model.credit
    lines = [f"{model.title}  ({model.source})", model.description, "", "Credit indicator sets (weight):"]
    for name, weights in c.sets.items():
        mark = " (default)" if name == c.default_set else ""
        lines.append(f"  {name}{mark}: " + ", ".join(f"{k} {w:g}" for k, w in weights.items()))
    lines.append("Credit grades (level from, limit factor, policy):")
    for g in reversed(c.grades):
        lines.append(f"  {g.label:4} ≥ {g.lower:.2f}  k={g.limit_factor:g}  {g.policy}")
    lines.append(f"Credit limit: purchases × terms/30 × k, at most {c.net_worth_cap:.0%} of net worth; "
                 f"default terms {c.default_terms_days:g} days")
    check, review = c.check, c.review
    lines.append("Order check: approved up to the limit plus the grade's tolerance ("
                 + ", ".join(f"{g.label} {g.tolerance:.0%}" for g in reversed(c.grades))
                 + f"); held when overdue over {check.hold_overdue_days:g} days, rejected over "
                 f"{check.reject_overdue_days:g}; holds released by {', '.join(check.release_roles)}")
    lines.append(f"Review: a limit rising over {review.limit_rise_share:.0%} or a grade moving {review.grade_steps} "
                 f"steps waits for {', '.join(review.approver_roles)}; reason texts in {', '.join(c.texts)}")
    lines.append("Customer tier presets:")
    for p in model.tiers.values():
        mark = " (default)" if p.name == model.default_tier_preset else ""
        if p.bands is not None:
            bands = ", ".join(f"{l} ≥ {_n(e)}" for e, l in zip(p.bands.edges, p.bands.labels))
            lines.append(f"  {p.name}{mark}: {p.measure}: {bands}")
        else:
            lines.append(f"  {p.name}{mark}: {p.levels} equal-frequency levels over "
                         + ", ".join(f"{k} {w:g}" for k, w in p.composite.items()))
    cls = model.classification
    lines.append(f"Classification: {len(cls.class_codes)} classes = market ({'/'.join(m.code for m in cls.markets)})"
                 f" × format ({'/'.join(f.code for f in cls.formats)}) × scale "
                 f"({', '.join(f'{s.code} ≥ {_n(e)}' for s, e in zip(cls.scales, cls.scale_bands.edges))} {cls.scale_measure})")
    v = model.value
    weights = [", ".join(f"{k} {w:g}" for k, w in part.items()) for part in (v.current, v.potential)]
    lines.append(f"Value segments: current = {weights[0]}; potential = {weights[1]}; high from {v.split}")
    lines.append("RFM segments: " + ", ".join(model.rfm.segment_labels))
    lines.append("Tags: " + ", ".join(t.label for t in model.tags))
    return "\n".join(lines)


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"
