"""Request and response shapes of the İYS API (names and fields as İYS spells them)."""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from ninja import Schema
from pydantic import ConfigDict, Field

ChannelT = Literal["ARAMA", "MESAJ", "EPOSTA"]
RecipientTypeT = Literal["BIREYSEL", "TACIR"]
StatusT = Literal["ONAY", "RET"]
SourceT = Literal[
    "HS_FIZIKSEL_ORTAM",
    "HS_ISLAK_IMZA",
    "HS_WEB",
    "HS_CAGRI_MERKEZI",
    "HS_SOSYAL_MEDYA",
    "HS_EPOSTA",
    "HS_MESAJ",
    "HS_MOBIL",
    "HS_EORTAM",
    "HS_ETKINLIK",
    "HS_2015",
    "HS_ATM",
    "HS_KARAR",
]


class Lenient(Schema):
    # İYS ignores fields it does not know; so do we (clients send extra bookkeeping fields).
    model_config = ConfigDict(extra="ignore")


def _one_of(values: object) -> dict:
    return {"enum": list(getattr(values, "__args__", ()))}


class ConsentIn(Schema):
    """One consent movement, as İYS takes it.

    Unknown fields are refused (H118). The enumerated fields are typed as text and checked by
    consents.rules with the rest of the movement, so one answer lists every error of the item as İYS
    does (a Literal would stop at the first); the OpenAPI document still shows their values.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"required": ["recipient", "type", "source", "status", "consentDate"]},
    )

    recipient: str | None = Field(None, max_length=1000, description="Telefon (+905XXXXXXXXX) ya da e-posta adresi.")
    type: str | None = Field(None, max_length=100, json_schema_extra=_one_of(ChannelT))
    source: str | None = Field(
        None, max_length=100, description="TACIR ilk kaydında boş bırakılabilir.", json_schema_extra=_one_of(SourceT)
    )
    status: str | None = Field(None, max_length=100, json_schema_extra=_one_of(StatusT))
    consentDate: str | None = Field(
        None, max_length=40, description="yyyy-mm-dd hh:mm:ss (Türkiye saati); başka biçim H158."
    )
    recipientType: str | None = Field(
        "BIREYSEL", max_length=100, description="Varsayılan değer: BIREYSEL.", json_schema_extra=_one_of(RecipientTypeT)
    )
    retailerCode: int | None = Field(None, ge=0, le=99_999_999)
    retailerAccess: list[int] | None = Field(None, max_length=3000)


class AddConsentOut(Schema):
    transactionId: str
    creationDate: str


class SubRequestOut(Schema):
    subRequestId: str
    recipient: str
    recipientType: str
    type: str
    status: str
    source: Optional[str] = None
    consentDate: Optional[str] = None
    creationDate: str


class BatchOut(Schema):
    requestId: str
    subRequests: list[SubRequestOut]


class ConsentQuery(Lenient):
    recipient: str = Field(..., max_length=1000)
    recipientType: RecipientTypeT
    type: ChannelT


class ConsentDetailOut(Schema):
    consentDate: Optional[str] = None
    creationDate: str
    source: Optional[str] = None
    recipient: str
    recipientType: str
    status: str
    type: str
    retailerCode: Optional[int] = None
    retailerTitle: Optional[str] = None
    retailerAccessCount: int = 0
    transactionId: str


class RecipientsIn(Lenient):
    recipients: list[str] = Field(..., max_length=1000)


class MultiStatusOut(Schema):
    requestId: str
    list: list[str]


class HistoryItem(Schema):
    consentDate: Optional[str] = None
    source: Optional[str] = None
    recipient: str
    recipientType: str
    status: str
    type: str
    creationDate: str
    transactionId: str


class Pagination(Schema):
    totalCount: int
    pageSize: int
    offset: int


class HistoryOut(Schema):
    list: list[HistoryItem]
    pagination: Pagination


class ChangeItem(HistoryItem):
    pass


class ChangesOut(Schema):
    after: str
    list: list[ChangeItem]


class BrandCounts(Schema):
    approval: int
    rejection: int
    total: int


class RetailerCount(Schema):
    total: int


class BrandStatsOut(Schema):
    consents: BrandCounts
    retailers: RetailerCount


class BrandOut(Schema):
    brandCode: int
    name: str
    master: bool
    stats: BrandStatsOut


class CodeName(Lenient):
    code: Optional[Union[str, int]] = None
    name: Optional[str] = Field(None, max_length=64)


class RetailerIn(Lenient):
    # Required by İYS; optional here so that every missing field is reported at once (H214, H215, ...).
    title: Optional[str] = Field(None, max_length=255)
    mersis: Optional[Union[str, int]] = Field(None, description="İYS örneklerinde sayı olarak da gelir.")
    alias: Optional[str] = Field(None, max_length=255)
    name: Optional[str] = Field(None, max_length=255)
    tckn: Optional[Union[str, int]] = Field(None, description="Bayi yetkilisinin TC kimlik numarası.")
    mobile: Optional[str] = Field(None, max_length=32)
    tin: Optional[Union[str, int]] = None
    city: Optional[CodeName] = None
    town: Optional[CodeName] = None
    status: Optional[Literal["active", "passive", "suspended"]] = "active"
    kind: Optional[Literal["BAYI", "ACENTE", "OZEL_YETKILI"]] = Field(None, description="ileti: bayi türü.")


class RetailerCreatedOut(Schema):
    retailerCode: int


class RetailerOut(Schema):
    retailerCode: int
    title: str
    alias: Optional[str] = None
    name: Optional[str] = None
    tin: Optional[str] = None
    mobile: Optional[str] = None
    city: Optional[dict] = None
    town: Optional[dict] = None
    status: str = "active"
    retailerAccessCount: int = 0


class PaginationPage(Pagination):
    currentPage: int


class RetailerListOut(Schema):
    pagination: PaginationPage
    list: list[RetailerOut]


class RetailerAccessIn(Lenient):
    type: ChannelT
    recipientType: RecipientTypeT
    recipient: str = Field(..., max_length=1000)
    retailerAccess: list[int] = Field(..., max_length=100)


class RetailerAccessManyIn(Lenient):
    type: ChannelT
    recipientType: RecipientTypeT
    recipients: list[str] = Field(..., max_length=100)
    retailerAccess: list[int] = Field(..., max_length=100)


class RetailerAccessRemoveAllIn(Lenient):
    type: ChannelT
    recipientType: RecipientTypeT
    recipients: list[str] = Field(..., max_length=100)


class TransactionOut(Schema):
    transactionId: str
    creationDate: str


class RetailerOfConsentOut(Schema):
    retailerCode: int
    title: str
    mobile: Optional[str] = None
    city: Optional[dict] = None
    town: Optional[dict] = None


class RetailersOfConsentOut(Schema):
    pagination: Pagination
    list: list[RetailerOfConsentOut]


class PushConnectionIn(Lenient):
    url: str = Field(..., max_length=500)
    type: ChannelT
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=255)


class PushRegistrationIn(Lenient):
    connection: list[PushConnectionIn] = Field(..., min_length=1, max_length=3)


class MessageOut(Schema):
    message: str


class PushStatusOut(Schema):
    url: str
    type: str
    status: str
    registerTime: str


class TokenOut(Schema):
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    token_type: str


class OAuthErrorOut(Schema):
    error: str
    error_description: str


class ErrorItem(Schema):
    code: str
    message: str
    location: Optional[list] = None
    value: Optional[object] = None
    index: Optional[int] = None


class ErrorsOut(Schema):
    errors: list[ErrorItem]


class CityOut(Schema):
    code: int
    name: str


class TownOut(Schema):
    name: str
    code: int
    city_code: int


class AgreementOut(Schema):
    processStatus: Optional[str] = None
    hashValue: Optional[str] = None
    hashMethod: Optional[str] = None
    agreementStatus: Optional[bool] = None
    agreementCaptured: Optional[bool] = None
    movementCount: Optional[int] = Field(None, description="ileti: günün hareket sayısı.")
    chainHead: Optional[str] = Field(None, description="ileti: günün bağlandığı geçmiş zincirinin başı.")
    chainSeq: Optional[int] = None
    seal: Optional[str] = Field(None, description="ileti: SHA-384(hashValue + '|' + chainHead).")


class AgreementIn(Lenient):
    # Any JSON value: anything but `true` is İYS's H512, not a validation error of another code.
    agreementStatus: Optional[Any] = None


class ChangeCounts(Schema):
    source: str
    approval: int
    rejection: int
    pending: int
    total: int


class ChangeStat(Schema):
    type: str
    consents: list[ChangeCounts]


class ChangeSummaryOut(Schema):
    changeStats: list[ChangeStat]
