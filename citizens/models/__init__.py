"""The citizens app's models, one module per concern, imported here by name so Django finds them.

- citizen.py: citizens, their verified addresses, claim history, one-time codes, the dev outbox;
- complaints.py: complaints about messages received without consent (used by citizens/complaints/);
- notices.py: telling a citizen that a business recorded ONAY over their own rejection (citizens/notices.py).

Models stay in the "citizens" app (same app_label, same tables); model modules import only other apps'
models, never services, views or tasks.
"""
from .citizen import (
    AddressClaimAction,
    AddressClaimEvent,
    AddressKind,
    Citizen,
    CitizenAddress,
    DevMessage,
    OneTimeCode,
    OtpPurpose,
)
from .complaints import Complaint, ComplaintEvent, ComplaintStatus, SnapshotStatus
from .notices import OverrideNoticeState, RejectionOverrideNotice

__all__ = [
    "AddressClaimAction",
    "AddressClaimEvent",
    "AddressKind",
    "Citizen",
    "CitizenAddress",
    "Complaint",
    "ComplaintEvent",
    "ComplaintStatus",
    "DevMessage",
    "OneTimeCode",
    "OtpPurpose",
    "OverrideNoticeState",
    "RejectionOverrideNotice",
    "SnapshotStatus",
]
