"""Where the RPPS number is found in the user info."""

from __future__ import annotations

import pytest

from telegarde.accounts.oidc.flow import rpps_from
from telegarde.accounts.oidc.provider import OidcFailure


def test_it_reads_pro_sante_connect_s_national_identifier() -> None:
    assert rpps_from({"SubjectNameID": "810001234567"}, "SubjectNameID") == "10001234567"


def test_it_follows_a_dotted_path() -> None:
    info = {"SubjectRefPro": {"exercices": [{"rpps": "10001234567"}]}}
    assert rpps_from(info, "SubjectRefPro.exercices.0.rpps") == "10001234567"


@pytest.mark.parametrize("value", [None, "", "010001234567", "1234", "8abcdefghijk", ["x"]])
def test_it_refuses_anything_else(value: object) -> None:
    with pytest.raises(OidcFailure) as refused:
        rpps_from({"SubjectNameID": value}, "SubjectNameID")
    assert refused.value.reason == "missing_rpps"
