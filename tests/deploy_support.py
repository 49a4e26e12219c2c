"""What the compose and Kubernetes tests share: the settings a deployment may name."""

from __future__ import annotations

import re

# Settings whose value is a credential: a deployment passes them as files (`<VAR>_FILE`).
CREDENTIAL = re.compile(r"SECRET|PASSWORD|API_KEY|ACCESS_KEY|REST_KEY")
# A URL setting is one when it carries a password (``scheme://user:password@host``).
URL_WITH_PASSWORD = re.compile(r"^[a-z+]+://[^/@]*:[^/@]*@")


def misnamed_settings(variables: dict[str, str]) -> list[str]:
    """The ``MOCHEONG_*`` variables that are no setting, or a credential given in clear."""
    from entrypoints.bootstrap.settings import settings_table

    known = {name for name, _default, _meaning in settings_table()}
    wrong = []
    for name in variables:
        if not name.startswith("MOCHEONG_"):
            continue
        setting = name.removesuffix("_FILE")
        in_clear = name == setting and (
            CREDENTIAL.search(name) or URL_WITH_PASSWORD.match(variables[name])
        )
        if setting not in known or in_clear:
            wrong.append(name)
    return wrong
