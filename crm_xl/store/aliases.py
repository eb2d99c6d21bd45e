"""Old customer codes that now mean another customer (absorbed by a duplicate merge)."""
from __future__ import annotations

from sqlalchemy import select

from crm_xl.findings import finding
from crm_xl.store.db import aliases


def alias_map(conn, codes) -> dict[str, str]:
    """Each of `codes` that is an alias, to the code of the customer it became."""
    codes = sorted(set(codes))
    found = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        rows = conn.execute(select(aliases.c.alias_code, aliases.c.customer_code).where(aliases.c.alias_code.in_(chunk)))
        found.update({a: c for a, c in rows})
    return found


def resolve(conn, uploads: list, held_back: list) -> list:
    """Upload rows with alias codes moved onto their survivor. A row whose survivor is also in the
    same file is held back (two rows would change one customer), and said so."""
    mapping = alias_map(conn, (code for _, rows in uploads for code, _ in rows))
    if not mapping:
        return uploads
    out = []
    for digest, rows in uploads:
        present = {code for code, _ in rows}
        kept = []
        for code, values in rows:
            target = mapping.get(code)
            if target is None:
                kept.append((code, values))
            elif target in present:
                held_back.append(finding("merged-code-with-survivor", column="customer_code", value=code,
                                         survivor=target))
            else:
                kept.append((target, values))
        out.append((digest, kept))
    return out
