"""Score a whole customer table: every computed column in one vectorised pass."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_xl.fields import COMPUTED_COLUMNS
from crm_xl.model.schema import ScoringModel
from crm_xl.scoring import classes, credit, reasons, rfm, tags, tiers, value
from crm_xl.scoring.inputs import numbers
from crm_xl.scoring.population import Population
from crm_xl.scoring.problems import Problems


@dataclass
class ScoredCustomers:
    computed: pd.DataFrame  # COMPUTED_COLUMNS, same index as the input
    problems: Problems
    as_of: pd.Timestamp
    inputs: pd.DataFrame  # the input with system columns filled from transactions, if given
    transaction_problems: Problems  # bad cells of the transactions table (its own row numbers)

    def table(self) -> pd.DataFrame:
        """Input columns followed by the computed ones."""
        return pd.concat([self.inputs, self.computed], axis=1)


def score_customers(frame: pd.DataFrame, model: ScoringModel, *, indicator_set: str | None = None,
                    tier_preset: str | None = None, transactions: pd.DataFrame | rfm.Transactions | None = None,
                    as_of: pd.Timestamp | None = None, issue_texts: bool = True,
                    language: str | None = None, population: Population | None = None) -> ScoredCustomers:
    """Every computed column for every row; bad inputs give per-row problems, never an exception.

    `language` (ko, zh, en; default the model's) is the language of the credit_reasons texts.
    Without `issue_texts` the scoring_issues column stays empty (a caller that reads `problems`
    itself need not pay for rendering every message). With `population` the rows are one part of
    it (crm_xl.engines): quintiles and means are the whole population's, as_of is its.
    """
    if population is not None:
        as_of = population.as_of
    frame = frame.drop(columns=[c for c in COMPUTED_COLUMNS if c in frame.columns])  # stale results of a past run
    problems = Problems(len(frame))
    tx_problems = Problems(0 if transactions is None else len(transactions))  # rows of the transactions
    if transactions is not None:
        frame, as_of = _with_transactions(frame, transactions, model, as_of, tx_problems)
    out = pd.DataFrame(index=frame.index)

    level = credit.levels(frame, model.credit, problems, indicator_set)
    grade_idx = credit.grade_positions(level, model.credit, problems)
    out["credit_level"] = level
    out["credit_grade"] = credit.grades(grade_idx, model.credit)
    out["credit_limit"] = credit.limits(
        grade_idx, numbers(frame, "avg_monthly_amount", problems), numbers(frame, "terms_days", problems),
        numbers(frame, "net_worth", problems), model.credit, problems,
        report_missing="avg_monthly_amount" in frame.columns)
    out["credit_policy"] = credit.policies(grade_idx, model.credit)
    # its own problems: the indicator cells were checked (and reported) for the level already
    keys, scores, lost = reasons.points_lost(frame, model.credit, Problems(len(frame)), indicator_set)
    out["credit_reasons"] = reasons.reason_texts(keys, scores, lost, model.credit, language=language)
    out["customer_tier"] = tiers.tiers(frame, model.tiers[tier_preset or model.default_tier_preset], problems,
                                       population.tiers if population is not None else None)
    out["class_code"] = classes.classes(frame, model.classification, problems)
    out["value_segment"] = value.segments(frame, model.value, problems,
                                          population.value_means if population is not None else None)

    behaviour, as_of = rfm.from_customers(frame, model.rfm, as_of, problems,
                                          population.rfm if population is not None else None)
    for name, scores in (("rfm_r", behaviour.r), ("rfm_f", behaviour.f), ("rfm_m", behaviour.m)):
        column = pd.array(scores, dtype="Int8")
        column[scores == 0] = pd.NA  # 0 means unscored
        out[name] = column
    out["rfm_segment"] = behaviour.segment
    out["tags"] = tags.tags(pd.concat([frame, out], axis=1), model.tags)
    out["scoring_issues"] = problems.per_row() if issue_texts else np.full(len(frame), None, dtype=object)
    assert list(out.columns) == list(COMPUTED_COLUMNS)
    return ScoredCustomers(out, problems, as_of, frame, tx_problems)


def _with_transactions(frame, transactions, model, as_of, tx_problems):
    """Fill the system-generated columns from transactions (they are the source of truth)."""
    summary, as_of = rfm.summarise_transactions(transactions, as_of, model.rfm.window_months, tx_problems)
    return with_system_columns(frame, summary), as_of


def with_system_columns(frame: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """The frame with its system-generated columns taken from a per-code transaction summary."""
    keys = frame["customer_code"].astype(str).str.strip()
    filled = frame.copy()
    aligned = summary.reindex(keys.to_numpy())  # NaN / NaT for customers without transactions
    for name in rfm.SYSTEM_COLUMNS:
        column = aligned[name].to_numpy()
        if name != "last_order_date":
            column = np.nan_to_num(column.astype(float))  # a customer with no transactions bought nothing
        filled[name] = column
    return filled
