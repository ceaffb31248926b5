"""Callback data of inline buttons, one module per area of the product."""
