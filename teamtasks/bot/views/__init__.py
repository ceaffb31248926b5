"""Rendering: the texts and keyboards people see, one module per area of the product."""
