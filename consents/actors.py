"""Who performs a movement: recorded on every history row."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .models import ActorKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from providers.models import Retailer


@dataclass(frozen=True)
class Actor:
    kind: str
    user: AbstractBaseUser | None = None
    retailer: Retailer | None = None
    ref: str = ""
    label: str = field(default="")

    @classmethod
    def provider_user(cls, user: AbstractBaseUser, *, label: str = "") -> Actor:
        return cls(ActorKind.PROVIDER, user=user, ref=str(user.pk), label=label or user.get_username())

    @classmethod
    def api_user(cls, api_user_id: int, label: str) -> Actor:
        return cls(ActorKind.PROVIDER, ref=f"api:{api_user_id}", label=label)

    @classmethod
    def for_retailer(cls, retailer: Retailer, *, user: AbstractBaseUser | None = None) -> Actor:
        label = f"{retailer.name} ({retailer.code})"
        if user is not None:
            label += f" / {user.get_username()}"
        return cls(ActorKind.RETAILER, user=user, retailer=retailer, ref=str(retailer.code), label=label)

    @classmethod
    def citizen(cls, citizen_id: int | None, label: str) -> Actor:
        return cls(ActorKind.CITIZEN, ref="" if citizen_id is None else str(citizen_id), label=label)

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(ActorKind.SYSTEM, ref=name, label=name)

    @classmethod
    def operator(cls, user: AbstractBaseUser) -> Actor:
        return cls(ActorKind.OPERATOR, user=user, ref=str(user.pk), label=user.get_username())
