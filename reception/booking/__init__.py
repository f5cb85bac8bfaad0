"""Booking: appointments, requests and screening, waitlist, talons, resource reservations."""
