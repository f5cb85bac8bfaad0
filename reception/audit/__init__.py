"""The audit log: every change to cases and every view of a citizen's personal data by staff."""
