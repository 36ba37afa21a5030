"""Citizen accounts and their verified addresses: see citizens/ services."""
