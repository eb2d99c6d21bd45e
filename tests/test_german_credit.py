"""Real data: the default 5C credit level separates good from bad customers of UCI German Credit.

The attributes are mapped to the five Cs by credit judgement alone (written down below, never
fitted to the good/bad labels), each mapped to 1-10, then scored with the shipped model.
"""
import numpy as np
import pandas as pd

from crm_xl.scoring.customers import score_customers
from tests.conftest import DATA

# Character: repayment record and other credit commitments.
CREDIT_HISTORY = {"no credits taken/ all credits paid back duly": 6, "all credits at this bank paid back duly": 8,
                  "existing credits paid back duly till now": 7, "delay in paying off in the past": 3,
                  "critical account/ other credits existing (not at this bank)": 4}
OTHER_PLANS = {"none": 8, "stores": 5, "bank": 4}
# Capacity: repayment burden, job and its stability, loan length.
INSTALMENT_RATE = {1: 9, 2: 7, 3: 5, 4: 3}
EMPLOYMENT = {"unemployed": 2, "... < 1 year": 4, "1 <= ... < 4 years": 6, "4 <= ... < 7 years": 8,
              "... >= 7 years": 9}
JOB = {"unemployed/ unskilled - non-resident": 2, "unskilled - resident": 5, "skilled employee / official": 7,
       "management/ self-employed/ highly qualified employee/ officer": 8}
# Capital: money at hand.
CHECKING = {"... < 0 DM": 2, "0 <= ... < 200 DM": 5, "... >= 200 DM / salary assignments for at least 1 year": 8,
            "no checking account": 6}
SAVINGS = {"... < 100 DM": 3, "100 <= ... < 500 DM": 5, "500 <= ... < 1000 DM": 7, "... >= 1000 DM": 9,
           "unknown/ no savings account": 4}
# Collateral: what secures the loan.
PROPERTY = {"real estate": 9, "building society savings agreement/ life insurance": 7,
            "car or other, not in attribute Savings account/bonds": 5, "unknown / no property": 2}
GUARANTORS = {"guarantor": 8, "co-applicant": 6, "none": 4}
# Conditions: housing and what the money is for.
HOUSING = {"own": 8, "for free": 6, "rent": 4}
PURPOSE = {"car (used)": 7, "car (new)": 5, "radio/television": 6, "furniture/equipment": 5, "business": 5,
           "education": 4, "repairs": 5, "domestic appliances": 5, "retraining": 6, "others": 5}


def five_cs(g: pd.DataFrame) -> pd.DataFrame:
    duration = np.select([g.duration_in_month <= 12, g.duration_in_month <= 24, g.duration_in_month <= 36], [8, 6, 4], 2)
    return pd.DataFrame({
        "customer_code": g.index.astype(str),
        "score_character": (g.credit_history.map(CREDIT_HISTORY) + g.other_installment_plans.map(OTHER_PLANS)) / 2,
        "score_capacity": (g.installment_rate_in_percentage_of_disposable_income.map(INSTALMENT_RATE)
                           + g.present_employment_since.map(EMPLOYMENT) + g.job.map(JOB) + duration) / 4,
        "score_capital": (g.status_of_existing_checking_account.map(CHECKING) + g.savings_account_and_bonds.map(SAVINGS)) / 2,
        "score_collateral": (g.property.map(PROPERTY) + g.other_debtors_or_guarantors.map(GUARANTORS)) / 2,
        "score_conditions": (g.housing.map(HOUSING) + g.purpose.map(PURPOSE)) / 2,
    })


def roc_auc(score: np.ndarray, good: np.ndarray) -> float:
    """Mann-Whitney: the chance a random good customer outscores a random bad one (ties count half)."""
    ranks = pd.Series(score).rank(method="average").to_numpy()
    n_good, n_bad = good.sum(), (~good).sum()
    return (ranks[good].sum() - n_good * (n_good + 1) / 2) / (n_good * n_bad)


def test_default_credit_level_separates_good_from_bad(model):
    german = pd.read_csv(DATA / "germancredit.csv")
    assert len(german) == 1000 and (german.creditability == "good").sum() == 700
    scored = score_customers(five_cs(german), model)
    level = scored.computed.credit_level.to_numpy()
    assert not np.isnan(level).any()
    good = (german.creditability == "good").to_numpy()
    auc = roc_auc(level, good)
    print(f"German credit: ROC AUC of the default 5C credit level = {auc:.3f}")
    assert auc >= 0.70  # measured 0.703 (deterministic: no fitting, no randomness)

    # grades are ordered by risk: the bad rate falls from grade C to the top grade
    bad_rate = pd.Series(~good).groupby(scored.computed.credit_grade.to_numpy()).mean()
    grades = [g for g in ["C", "B", "A", "AA", "AAA"] if g in bad_rate.index]
    rates = bad_rate[grades].to_numpy()
    print("bad rate by grade:", dict(zip(grades, np.round(rates, 3))))
    assert (np.diff(rates) < 0).all()  # measured C 0.379, B 0.135, A 0.0
    assert rates[0] > (~good).mean()
