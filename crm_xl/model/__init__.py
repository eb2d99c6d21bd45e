"""The scoring model: every band, weight and label, loaded from TOML or a Model sheet and checked on load."""
from crm_xl.model.loading import MODEL_SHEET, default_model, load_model
from crm_xl.model.schema import Bands, ScoringModel, parse_model

__all__ = ["MODEL_SHEET", "Bands", "ScoringModel", "default_model", "load_model", "parse_model"]
