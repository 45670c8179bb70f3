"""The token names a company's leads carry (``/api/v1/tokens``)."""
