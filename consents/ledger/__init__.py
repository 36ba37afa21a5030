"""Tamper-evident history (the per-brand hash chain) and İYS's daily reconciliation (mutabakat).

`chain` seals history rows into their brand's chain and verifies it; `daily` builds each brand's day (file,
SHA-384, counts, the chain head it commits to); `tasks` runs both from beat; `views` is the portal's page.
See docs/ledger.md for the canonical forms a business or an auditor recomputes.
"""
