"""The İYS-compatible integration API (django-ninja), mounted at /api/ by config/urls.py."""
