"""Bulk CSV upload of consents: streaming parser, per-row rules, set-based apply (SPEC §5)."""
