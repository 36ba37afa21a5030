"""Demo consents (filled in by the foundation)."""
from config.demo import DemoContext


def build(ctx: DemoContext) -> list[str]:
    return []
