"""Opt-out without an account: signed links, the public opt-out pages, inbound SMS (RET/IPTAL), demo links."""
