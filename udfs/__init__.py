"""The Excel face of crm_xl: custom functions and ribbon scripts, thin wrappers over the library."""
