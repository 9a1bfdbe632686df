"""``{% oidc_login_button next %}``: the provider's button, only when one is configured."""

from __future__ import annotations

from typing import Any

from django import template

from telegarde.accounts.oidc.config import oidc_settings

register = template.Library()


@register.inclusion_tag("oidc/_login_button.html")
def oidc_login_button(next_url: str = "") -> dict[str, Any]:
    config = oidc_settings()
    return {"provider": config.display_name if config else "", "next": next_url}
