"""Models derived from another one: a workbook's own Model range, weights or grade bands.

Every derived model goes through the same checks as a model file, so a bad weight typed in a
sheet gets the same message as a bad weight in default.toml.
"""
from __future__ import annotations

import copy
from typing import Sequence

from crm_xl.findings import ModelError, finding
from crm_xl.model.schema import ScoringModel, parse_model
from crm_xl.model.sheet import rows_to_raw


def model_from_rows(rows: Sequence[Sequence], source: str = "Model range") -> ScoringModel:
    """A model from Key | Value rows, such as a range of the sheet `crm-xl model export` writes."""
    return parse_model(rows_to_raw([tuple(r) for r in rows], source), source)


def with_weights(model: ScoringModel, weights: Sequence, indicator_set: str | None = None) -> ScoringModel:
    """The model with new weights for the indicators of a set, in the set's order."""
    name = indicator_set or model.credit.default_set
    raw = copy.deepcopy(model.raw)
    keys = list(raw["credit"]["indicator_sets"][name])
    if len(weights) != len(keys):
        raise ModelError([finding("model-wrong-type", entry=f"credit.indicator_sets.{name}", value=list(weights),
                                  expected=f"{len(keys)} weights ({', '.join(keys)})")])
    raw["credit"]["indicator_sets"][name] = dict(zip(keys, weights))
    return parse_model(raw, f"{model.source} with weights")


def with_grade_bands(model: ScoringModel, bands: Sequence[Sequence]) -> ScoringModel:
    """The model with grade bands given as (lower edge, label) rows, lowest first.

    Limit factors, policies and colours carry over for labels the model already has; a new
    label gets no credit until the model defines it.
    """
    raw = copy.deepcopy(model.raw)
    known = {g["label"]: g for g in raw["credit"]["grades"]}
    grades = []
    for row in bands:
        edge, label = (list(row) + [None, None])[:2]
        base = known.get(label, {"limit_factor": 0.0, "policy": "Not defined in the model: no credit"})
        grades.append({**base, "label": label, "from": edge})
    raw["credit"]["grades"] = grades
    labels = {g["label"] for g in grades}
    raw["tags"] = [_keep_labels(rule, labels) for rule in raw.get("tags", [])]
    raw["tags"] = [rule for rule in raw["tags"] if rule is not None]
    return parse_model(raw, f"{model.source} with grade bands")


def _keep_labels(rule: dict, grades: set) -> dict | None:
    """A tag rule on grades keeps only grades that still exist; with none left it goes."""
    if rule.get("column") != "credit_grade" or "in" not in rule:
        return rule
    kept = [v for v in rule["in"] if v in grades]
    return {**rule, "in": kept} if kept else None
