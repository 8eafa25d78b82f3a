"""Breadcrumbs that follow the admin index (``huntaze/admin_site.py``): ``{% section_link opts %}``
is the link to the section that lists the model, where Django's templates named its app."""

from __future__ import annotations

from django import template
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def section_link(opts) -> str:
    key, title = admin.site.section_of(opts.app_label, opts.object_name)
    return format_html(
        '<a href="{}" class="section-crumb">{}</a>',
        reverse("admin:section", kwargs={"key": key}),
        title,
    )
