from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def open_alerts(user: Any, organisation: Any) -> list[tuple[str, str, int]]:
    """Open alerts by severity for the home page's security section."""
    from telegarde.security.detection.access import alerts_for
    from telegarde.security.detection.health import open_by_severity

    return open_by_severity(alerts_for(user, organisation))
