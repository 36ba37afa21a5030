"""Business portal pages of the providers app.

dashboard.py: provider switcher and dashboard; setup.py: brands, dealers/agencies, intermediaries.
"""
