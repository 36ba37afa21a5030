"""The consents app's models, one module per capability, imported here by name so Django registers them.

`consent` is the registry core (the consent record, its history, declaration periods); `api`, `uploads` and
`review` hold the tables of those capabilities. Models import nothing above them: no services, tasks or views.
"""
from .api import (
    ApiBatchItem,
    ApiBatchRequest,
    ApiIdempotencyRecord,
    ApiToken,
    ApiTokenKind,
    ApiUser,
    ApiUserKind,
    BatchItemStatus,
    BatchState,
    DeliveryState,
    IntegratorAlert,
    PushDelivery,
    PushRegistration,
    PushState,
)
from .consent import (
    PROVIDER_SOURCES,
    REGISTRY_SOURCES,
    ActorKind,
    Consent,
    ConsentEvent,
    DeclarationPeriod,
    EventAction,
    LateRejection,
    LateRejectionManager,
    RecipientType,
    RetailerAccess,
    Source,
    Status,
    Via,
    new_transaction_id,
)
from .counts import ConsentCount, MovementCount
from .ledger import ChainHead, DailyReconciliation, HistoryLink, ProcessStatus, SealState
from .outbox import TaskOutbox
from .precheck import CampaignCheck, CheckState
from .review import NotificationKind, NotificationState, ReviewNotification
from .uploads import Upload, UploadRefusal, UploadShard, UploadState

__all__ = [
    "PROVIDER_SOURCES",
    "REGISTRY_SOURCES",
    "ActorKind",
    "ApiBatchItem",
    "ConsentCount",
    "MovementCount",
    "ApiBatchRequest",
    "ApiIdempotencyRecord",
    "ApiToken",
    "ApiTokenKind",
    "ApiUser",
    "ApiUserKind",
    "BatchItemStatus",
    "BatchState",
    "CampaignCheck",
    "CheckState",
    "TaskOutbox",
    "ChainHead",
    "Consent",
    "ConsentEvent",
    "DailyReconciliation",
    "DeclarationPeriod",
    "DeliveryState",
    "EventAction",
    "HistoryLink",
    "IntegratorAlert",
    "LateRejection",
    "LateRejectionManager",
    "NotificationKind",
    "NotificationState",
    "PushDelivery",
    "PushRegistration",
    "ProcessStatus",
    "PushState",
    "RecipientType",
    "RetailerAccess",
    "ReviewNotification",
    "SealState",
    "Source",
    "Status",
    "Upload",
    "UploadRefusal",
    "UploadShard",
    "UploadState",
    "Via",
    "new_transaction_id",
]
