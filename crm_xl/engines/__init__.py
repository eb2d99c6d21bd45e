"""The same scoring over Dask partitions when the data outgrows one machine (see partitions.py)."""
