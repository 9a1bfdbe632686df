"""``{% passkeys_usable as usable %}``: whether this installation's RP ID is a domain name."""

from __future__ import annotations

from django import template

from ..ceremonies import rp_is_usable

register = template.Library()


@register.simple_tag
def passkeys_usable() -> bool:
    return rp_is_usable()
