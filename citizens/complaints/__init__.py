"""Complaints about messages received without consent: services, citizen pages, forms and admin.

The models live in citizens/models/complaints.py (models never import capability code).
"""
