"""Portal pages of the bulk upload (/isletme/yuklemeler/). Thin: scoping, forms, services."""
from __future__ import annotations


from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.body_limit import body_limit, declared_length
from consents.models import Upload
from consents.spreadsheets import XLSX_CONTENT_TYPE
from providers.context import own_brands, provider_required

from . import samples
from .forms import UploadForm
from .parsing import UploadFileError, too_large
from .report import FileView, person_report_lines, refusal_messages
from .services import refusal_preview, upload_apply_checked, upload_create, upload_seconds_left


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
    context = _new_page(UploadForm(brands=brands), brands)
    context["too_large"] = too_large(declared_length(request)).message
    return render(request, "portal/uploads/new.html", context, status=413)


def _new_page(form: UploadForm, brands: list) -> dict:
    return {
        "form": form, "has_brands": bool(brands), "example_header": samples.HEADER,
        "example_rows": samples.example_rows(), "help": samples.HELP, "help_note": samples.NOTE,
    }


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
            # Its task was recorded with it (consents/outbox.py) and is queued after the commit.
            return redirect("portal:upload_detail", pk=upload.pk)
    return render(request, "portal/uploads/new.html", _new_page(form, brands))


@provider_required()
def upload_template(request: HttpRequest, kind: str) -> HttpResponse:
    """The file to fill in: Turkish headers, example rows accepted today; the .xlsx has a help sheet."""
    if kind == "csv":
        response = HttpResponse(samples.template_csv(), content_type="text/csv; charset=utf-8")
    elif kind == "xlsx":
        response = HttpResponse(content_type=XLSX_CONTENT_TYPE)
        samples.write_template_xlsx(response)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="izin-yukleme-sablonu.{kind}"'
    response["Cache-Control"] = "no-store"
    return response


def _progress_text(upload: Upload) -> str:
    """“%17 · 50.000 / ~295.640 satır · yaklaşık 2 dk kaldı”: numbers grouped as the language writes them."""
    text = _("%%%(percent)s · %(done)s / ~%(total)s satır") % {
        "percent": upload.percent, "done": intcomma(upload.rows_processed),
        "total": intcomma(max(upload.rows_estimated, upload.rows_processed)),
    }
    left = upload_seconds_left(upload)
    if left is not None:
        if left < 60:
            text += " · " + _("yaklaşık %(n)s sn kaldı") % {"n": left}
        else:
            text += " · " + _("yaklaşık %(n)s dk kaldı") % {"n": intcomma((left + 59) // 60)}
    return text


def _status(upload: Upload) -> dict:
    return {
        "progress_text": _progress_text(upload),
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
        "error": upload.error_text,
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


@require_POST
@provider_required("can_write_consents")
def upload_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """“Apply this file” on a finished dry run: the stored file is applied, nothing is chosen again."""
    dry_run = _upload_or_404(request, pk)
    try:
        upload, _created = upload_apply_checked(dry_run=dry_run, user=request.user)
    except ValueError:
        return redirect("portal:upload_detail", pk=dry_run.pk)
    return redirect("portal:upload_detail", pk=upload.pk)


@provider_required()
def upload_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(_status(_upload_or_404(request, pk)))


@provider_required()
def upload_report(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The report in the visitor's language, streamed from the refusals once the stored report exists."""
    upload = _upload_or_404(request, pk)
    if not upload.report:
        raise Http404
    response = StreamingHttpResponse(person_report_lines(upload), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="yukleme-{upload.pk}-rapor.csv"'
    return response


@provider_required()
def upload_original(request: HttpRequest, pk: int) -> FileResponse:
    upload = _upload_or_404(request, pk)
    return FileResponse(
        upload.original.open("rb"), as_attachment=True, filename=upload.original_name,
        content_type="text/csv",
    )
