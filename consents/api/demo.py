"""Demo API users: one for the first provider, one for the demo intermediary; prints how to call the API."""

from __future__ import annotations

from config.demo import DemoContext

from .users import api_user_create

PROVIDER_USER = ("api-demo", "api-demo-parola-2026")
INTERMEDIARY_USER = ("araci-demo", "araci-demo-parola-2026")


def build(ctx: DemoContext) -> list[str]:
    providers = ctx.objects.get("providers") or []
    intermediary = ctx.objects.get("intermediary")
    brands = ctx.objects.get("brands") or []
    lines = [
        "Integration API   http://127.0.0.1:8000/api/docs  (İYS paths; base URL http://127.0.0.1:8000/api)"
    ]
    if providers:
        provider = providers[0]
        api_user_create(
            username=PROVIDER_USER[0], password=PROVIDER_USER[1], provider=provider, label="Demo entegrasyonu"
        )
        brand = next((b for b in brands if b.provider_id == provider.pk), None)
        lines.append(
            f"  {PROVIDER_USER[0]} / {PROVIDER_USER[1]}   provider {provider.name} (iysCode {provider.iys_code}"
            + (f", brandCode {brand.brand_code})" if brand else ")")
        )
    if intermediary is not None:
        api_user_create(
            username=INTERMEDIARY_USER[0],
            password=INTERMEDIARY_USER[1],
            intermediary=intermediary,
            label="Demo SMS platformu",
        )
        lines.append(
            f"  {INTERMEDIARY_USER[0]} / {INTERMEDIARY_USER[1]}   intermediary {intermediary.name} "
            f"(integratorCode {intermediary.code}; status queries only)"
        )
    lines.append(
        "  curl -d grant_type=password -d username=api-demo -d password=api-demo-parola-2026 "
        "http://127.0.0.1:8000/api/oauth2/token"
    )
    return lines
