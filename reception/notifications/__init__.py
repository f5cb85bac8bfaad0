"""Notifications: the transactional outbox, its dispatcher and the delivery channels."""
