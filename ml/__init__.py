"""Shared core: typed configuration, data contracts, indicator catalog, IO (store and importers)."""
