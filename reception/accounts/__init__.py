"""Accounts: users, roles, registration, login and password reset."""
