"""Realistic demo data: retail customers with Korean and Chinese store names, and a year of orders."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from crm_xl.files import atomic_path, make_folder
from crm_xl.xlsx.writing import new_workbook, write_table

KO_PREFIX = ["행복", "한빛", "우리", "새봄", "푸른", "동네", "세종", "다온", "미소", "해오름", "별빛", "청솔"]
ZH_PREFIX = ["金福", "老王", "红星", "万家", "好运", "平安", "兴隆", "鑫鑫", "百姓", "佳佳", "华联", "顺发"]
FORMATS = {  # business format as staff type it, by language, with its share of stores
    "Z": (["식료품점", "食杂店", "grocery"], 0.34), "B": (["편의점", "便利店", "convenience"], 0.22),
    "S": (["슈퍼마켓", "超市", "supermarket"], 0.14), "N": (["백화점", "商场", "department store"], 0.03),
    "Y": (["담배주류점", "烟酒商店", "tobacco & liquor"], 0.15),
    "F": (["유흥서비스", "娱乐服务类", "entertainment/service"], 0.07), "Q": (["기타", "其他", "other"], 0.05),
}
MARKETS = {"C": ["도시", "城镇", "urban"], "X": ["농촌", "乡村", "rural"]}
MANAGERS = ["김민준", "이서연", "박지훈", "王伟", "李娜", "张磊", "Alex Kim"]
ROUTES = ["R01", "R02", "R03", "R04", "R05", "R06"]
PRICE_PER_UNIT = 52_000  # won per carton, before the store's own price mix


@dataclass
class DemoData:
    customers: pd.DataFrame
    transactions: pd.DataFrame
    as_of: pd.Timestamp


def make_demo(n_customers: int = 3000, seed: int = 7, as_of: str = "2026-11-01") -> DemoData:
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(as_of)
    n = n_customers
    quality = rng.normal(size=n)  # one latent "good customer" factor drives scores and buying
    size = rng.lognormal(mean=1.7, sigma=0.8, size=n)  # cartons a month
    lang = rng.choice(3, size=n, p=[0.5, 0.4, 0.1])  # ko, zh, en
    fmt_codes = rng.choice(list(FORMATS), size=n, p=[v[1] for v in FORMATS.values()])
    market = rng.choice(["C", "X"], size=n, p=[0.65, 0.35])
    names = np.where(lang == 1, rng.choice(ZH_PREFIX, n), rng.choice(KO_PREFIX, n))
    fmt_text = np.array([FORMATS[f][0][l] for f, l in zip(fmt_codes, lang)], dtype=object)
    store = np.char.add(names.astype(str), np.array([FORMATS[f][0][min(l, 1)] for f, l in zip(fmt_codes, lang)]))

    def five(shift):
        return np.clip(np.round(6.9 + 1.5 * quality + shift + rng.normal(0, 1.0, n)), 1, 10)

    customers = pd.DataFrame({
        "customer_code": [f"C{i:06d}" for i in range(1, n + 1)],
        "store_name": store,
        "business_format": fmt_text,
        "market_type": [MARKETS[m][l] for m, l in zip(market, lang)],
        "account_manager": rng.choice(MANAGERS, n),
        "delivery_route": rng.choice(ROUTES, n),
        "phone": [f"010-{a:04d}-{b:04d}" for a, b in rng.integers(0, 10_000, (n, 2))],
        "terms_days": rng.choice([7, 15, 30, 45], n, p=[0.2, 0.3, 0.4, 0.1]).astype(float),
        "net_worth": np.round(rng.lognormal(17.5, 1.0, n), -4),
        "score_character": five(0.3), "score_capacity": five(0.0), "score_capital": five(-0.2),
        "score_collateral": five(-0.5), "score_conditions": five(0.1),
        "value_contribution": np.clip(np.round(20 * np.log1p(size) + 8 * quality + rng.normal(0, 8, n)), 0, 100),
        "value_support": np.clip(np.round(55 + 15 * quality + rng.normal(0, 15, n)), 0, 100),
        "value_credit": np.clip(np.round(55 + 18 * quality + rng.normal(0, 10, n)), 0, 100),
        "value_growth": np.clip(np.round(rng.normal(50, 20, n)), 0, 100),
        "value_influence": np.clip(np.round(rng.normal(45, 18, n) + 5 * (fmt_codes == "S")), 0, 100),
        "brand_count": np.clip(np.round(size * 2 + rng.normal(8, 4, n)), 1, 80),
        "high_price_share": np.round(np.clip(rng.beta(2, 5, n) + 0.05 * quality, 0, 1), 3),
    })
    customers.loc[rng.random(n) < 0.3, "net_worth"] = np.nan  # often unknown
    _typical_mistakes(customers, rng)
    return DemoData(customers, _transactions(customers["customer_code"].to_numpy(), size, quality, end, rng), end)


def _typical_mistakes(customers: pd.DataFrame, rng: np.random.Generator) -> None:
    """A few errors people really make, so the demo shows per-row reasons."""
    n = len(customers)
    picks = rng.choice(n, size=max(6, n // 400), replace=False)
    mistakes = [("score_capacity", 12.0), ("score_character", "높음"), ("score_capital", np.nan),
                ("business_format", "편의"), ("value_growth", 140.0), ("market_type", "")]
    for i, row in enumerate(picks):
        column, value = mistakes[i % len(mistakes)]
        if isinstance(value, str):
            customers[column] = customers[column].astype(object)
        customers.loc[row, column] = value


def _transactions(codes: np.ndarray, size: np.ndarray, quality: np.ndarray, end: pd.Timestamp,
                  rng: np.random.Generator) -> pd.DataFrame:
    """About a year of orders; some customers stopped ordering months ago (churn)."""
    n = len(codes)
    orders = rng.poisson(np.clip(1.5 + 2.5 * np.log1p(size) + 2 * quality, 0.3, None))
    active_days = np.where(rng.random(n) < 0.15, rng.integers(30, 300, n), 365)  # churned customers
    cust = np.repeat(np.arange(n), orders)
    day = rng.integers(0, 365, len(cust))
    day = np.minimum(day, active_days[cust] - 1)
    qty = np.maximum(1, rng.poisson(np.maximum(size[cust] * 12 / np.maximum(orders[cust], 1), 0.5)))
    price = PRICE_PER_UNIT * rng.lognormal(0, 0.15, len(cust))
    frame = pd.DataFrame({
        "customer_code": codes[cust],
        "date": end - pd.to_timedelta(365 - day, unit="D"),
        "quantity": qty,
        "amount": np.round(qty * price, -2),
    })
    return frame.sort_values(["date", "customer_code"], ignore_index=True)


def write_demo(data: DemoData, folder: Path) -> tuple[Path, Path]:
    make_folder(folder)
    customers, transactions = folder / "customers.xlsx", folder / "transactions.csv"
    with atomic_path(customers) as tmp:
        wb = new_workbook(tmp)
        write_table(wb, "Customers", data.customers)
        wb.close()
    with atomic_path(transactions) as tmp:
        data.transactions.to_csv(tmp, index=False, date_format="%Y-%m-%d")
    return customers, transactions


def make_credit_demo(data: DemoData, model, seed: int = 7) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Collection data at each of the 12 month ends before `as_of` (customers with lower credit
    levels are late more often) and the orders of the first working day after it."""
    from crm_xl.scoring.credit import levels
    from crm_xl.scoring.problems import Problems

    rng = np.random.default_rng(seed + 1)
    customers = data.customers
    n = len(customers)
    level = np.nan_to_num(levels(customers, model.credit, Problems(n)), nan=0.6)
    codes = customers["customer_code"].astype(str).to_numpy()
    monthly = (data.transactions.groupby("customer_code")["amount"].sum() / 12).reindex(codes).fillna(0).to_numpy()
    p_late = np.clip(0.55 - 0.6 * level, 0.02, 0.45)
    terms = customers["terms_days"].fillna(model.credit.default_terms_days).to_numpy(float)
    balances = {}
    for month_end in pd.date_range(end=data.as_of - pd.Timedelta(days=1), periods=12, freq="ME"):
        late = rng.random(n) < p_late
        days = np.where(late, rng.integers(1, 150, n), 0)
        balances[month_end.strftime("%Y-%m-%d")] = pd.DataFrame({
            "customer_code": codes, "outstanding": np.round(monthly * terms / 30 * np.where(level >= 0.7, 1, 0.4) * rng.uniform(0.05, 0.7, n), -2),
            "overdue_days": days})
    weight = level**6  # orders on credit come mostly from customers with credit
    buyers = rng.choice(n, size=min(n, max(10, n // 4)), replace=False, p=weight / weight.sum())
    count = rng.integers(1, 5, len(buyers))
    who = np.repeat(buyers, count)
    size = np.maximum(monthly[who] * rng.lognormal(-2.0, 0.7, len(who)), 20_000)
    orders = pd.DataFrame({"order_no": [f"SO-{i:06d}" for i in range(1, len(who) + 1)], "customer_code": codes[who],
                           "date": (data.as_of + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
                           "amount": np.round(size, -2)})
    orders = orders.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # the day's orders, as they came in
    orders["order_no"] = [f"SO-{i:06d}" for i in range(1, len(orders) + 1)]
    orders.loc[len(orders)] = ["SO-999998", "C999999", orders.date[0], 120_000.0]  # a code typed wrong
    orders["amount"] = orders["amount"].astype("int64")
    return balances, orders


def write_credit_demo(balances: dict[str, pd.DataFrame], orders: pd.DataFrame, folder: Path) -> tuple[Path, Path]:
    make_folder(folder / "balances")
    for day, frame in balances.items():
        with atomic_path(folder / "balances" / f"{day}.csv") as tmp:
            frame.to_csv(tmp, index=False)
    path = folder / f"orders-{orders.date[0]}.csv"
    with atomic_path(path) as tmp:
        orders.to_csv(tmp, index=False)
    return folder / "balances", path
