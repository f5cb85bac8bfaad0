"""Systemic issues: many appeals about one problem, a working group of bodies, a coordinator, a status."""
