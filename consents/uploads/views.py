"""Portal pages of the bulk upload (/isletme/yuklemeler/). Thin: scoping, forms, services."""
from __future__ import annotations

from functools import partial

from django.conf import settings
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from config.body_limit import body_limit, declared_length
from consents.models import Upload
from providers.context import own_brands, provider_required

from .forms import UploadForm
from .parsing import UploadFileError, too_large
from .report import FileView, refusal_messages
from .services import refusal_preview, upload_create
from .tasks import process_upload


def _upload_or_404(request: HttpRequest, pk: int) -> Upload:
    upload = (
        Upload.objects.filter(provider=request.provider, pk=pk)
        .select_related("brand", "uploaded_by")
        .first()
    )
    if upload is None:
        raise Http404
    return upload


@provider_required()
def upload_list(request: HttpRequest) -> HttpResponse:
    uploads = Upload.objects.filter(provider=request.provider).select_related("brand", "uploaded_by")
    page = Paginator(uploads, 50).get_page(request.GET.get("page"))
    return render(request, "portal/uploads/list.html", {"page": page, "uploads": page.object_list})


# Room for the form's other fields and the multipart framing around the file.
FORM_OVERHEAD_BYTES = 1024 * 1024


def _upload_max_body() -> int:
    return settings.UPLOAD_MAX_BYTES + FORM_OVERHEAD_BYTES


@provider_required("can_write_consents")
def _upload_too_large(request: HttpRequest) -> HttpResponse:
    """The upload page with "Dosya çok büyük", answered from the Content-Length alone (body never read)."""
    brands = list(own_brands(request.provider).order_by("-is_master", "name"))
    context = {
        "form": UploadForm(brands=brands),
        "has_brands": bool(brands),
        "too_large": too_large(declared_length(request)).message,
    }
    return render(request, "portal/uploads/new.html", context, status=413)


@body_limit(_upload_max_body, too_large=_upload_too_large)
@provider_required("can_write_consents")
def upload_new(request: HttpRequest) -> HttpResponse:
    brands = list(own_brands(request.provider).order_by("-is_master", "name"))
    form = UploadForm(request.POST or None, request.FILES or None, brands=brands)
    if request.method == "POST" and form.is_valid():
        try:
            upload = upload_create(
                provider=request.provider,
                brand=form.cleaned_data["brand"],
                user=request.user,
                file=form.cleaned_data["file"],
                dry_run=form.cleaned_data["mode"] == UploadForm.MODE_DRY_RUN,
            )
        except UploadFileError as error:
            form.add_error("file", error.message)
        else:
            # After the commit: the task's own connections must see the upload row.
            transaction.on_commit(partial(process_upload.delay, upload.pk))
            return redirect("portal:upload_detail", pk=upload.pk)
    return render(request, "portal/uploads/new.html", {"form": form, "has_brands": bool(brands)})


def _status(upload: Upload) -> dict:
    return {
        "id": upload.pk,
        "state": upload.state,
        "state_label": str(upload.get_state_display()),
        "finished": upload.finished,
        "percent": upload.percent,
        "rows_processed": upload.rows_processed,
        "rows_estimated": upload.rows_estimated,
        "inserted": upload.inserted,
        "updated": upload.updated,
        "unchanged": upload.unchanged,
        "refused": upload.refused,
        "refusals_by_code": upload.refusals_by_code,
        "error": upload.error_message,
        "report_url": reverse("portal:upload_report", args=[upload.pk]) if upload.report else None,
    }


@provider_required()
def upload_detail(request: HttpRequest, pk: int) -> HttpResponse:
    upload = _upload_or_404(request, pk)
    codes = [
        (code, count, refusal_messages(code, None)[0])
        for code, count in sorted((upload.refusals_by_code or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    view = FileView(upload)
    preview = [
        (r, view.column(r.field), refusal_messages(r.code, r.params, r.value)[0])
        for r in view.typed(refusal_preview(upload))
    ]
    return render(
        request,
        "portal/uploads/detail.html",
        {"upload": upload, "codes": codes, "preview": preview, "status": _status(upload)},
    )


@provider_required()
def upload_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(_status(_upload_or_404(request, pk)))


@provider_required()
def upload_report(request: HttpRequest, pk: int) -> FileResponse:
    upload = _upload_or_404(request, pk)
    if not upload.report:
        raise Http404
    return FileResponse(
        upload.report.open("rb"), as_attachment=True, filename=f"yukleme-{upload.pk}-rapor.csv",
        content_type="text/csv; charset=utf-8",
    )


@provider_required()
def upload_original(request: HttpRequest, pk: int) -> FileResponse:
    upload = _upload_or_404(request, pk)
    return FileResponse(
        upload.original.open("rb"), as_attachment=True, filename=upload.original_name,
        content_type="text/csv",
    )
