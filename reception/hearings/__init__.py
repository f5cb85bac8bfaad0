"""Holding receptions: bodies invited by competence, the day board, the case brief."""
