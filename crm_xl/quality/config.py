"""The quality settings (quality.toml): mapping thresholds, blocking, comparison weights, cluster bands."""
from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from crm_xl.findings import InputError, finding


def load_config(path: str | Path | None = None) -> dict:
    """The shipped settings, or a user's copy of quality.toml checked for what matching needs."""
    if path is None:
        return tomllib.loads(resources.files("crm_xl.quality").joinpath("quality.toml").read_text("utf-8"))
    path = Path(path)
    try:
        config = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError([finding("file-not-found", file=path)]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([finding("model-unreadable", source=path, detail=str(exc))]) from None
    problems = []
    for section in ("mapping", "blocking", "clusters", "compare"):
        if section not in config:
            problems.append(finding("model-missing-entry", entry=f"{path}: [{section}]"))
    for name, spec in config.get("compare", {}).items():
        sizes = {len(spec.get(k, ())) for k in ("levels", "at", "m", "u")}
        if len(sizes) != 1:
            problems.append(finding("model-wrong-type", entry=f"compare.{name}", value=sizes,
                                    expected="levels, at, m and u of one length"))
            continue
        for key in ("m", "u"):
            if any(not 0 < float(v) < 1 for v in spec[key]):
                problems.append(finding("model-out-of-range", entry=f"compare.{name}.{key}", value=spec[key], low=0, high=1))
    if problems:
        raise InputError(problems)
    return config
