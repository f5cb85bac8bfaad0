"""Legal review: cases flagged for independent legal consultants, their opinions, free consultations."""
