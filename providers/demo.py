"""Demo providers, brands, staff, dealers and an intermediary (filled in by the foundation)."""
from config.demo import DemoContext


def build(ctx: DemoContext) -> list[str]:
    return []
