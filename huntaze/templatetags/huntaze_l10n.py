"""Template filters for figures in the active language (``huntaze.l10n``):
``{{ value|number }}``, ``{{ rate|percent }}``, ``{{ amount|usd }}``."""

from __future__ import annotations

from django import template

from huntaze import l10n

register = template.Library()


@register.filter
def number(value, decimals=0):
    return l10n.number(value, int(decimals))


@register.filter
def percent(value, decimals=1):
    return l10n.percent(value, int(decimals))


@register.filter
def usd(value, decimals=2):
    return l10n.usd(value, int(decimals))
