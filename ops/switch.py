"""``ops switch``: the strangler switch at run time, one SSM parameter per feature.

The monolith reads each parameter through a short cache (``SWITCH_CACHE_SECONDS``, default 3 s),
so a flip reaches every process within that, with no restart. The parameters are created by
messaging.yaml with the stack's ``LikeMode``/``AdoptMode``; a later stack update sets them again
only when those values change.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from monolith.config import MODES
from mysfits_common.cli import CommandError, Exit
from ops.target import Target

__all__ = ["FEATURES", "current_modes", "set_mode"]

FEATURES = ("like", "adopt")


def _parameter(target: Target, feature: str) -> str:
    name = target.pipeline.mode_parameters.get(feature, "")
    if not name:
        raise CommandError(
            f"the messaging stack of {target.project} has no switch parameter for {feature}: "
            "update it (make run, or deploy)",
            Exit.MISSING_STACK,
        )
    return name


def current_modes(target: Target) -> dict[str, str | None]:
    """Each feature's mode as its parameter holds it (None: no parameter, so the monolith's LIKE_MODE/ADOPT_MODE)."""
    modes: dict[str, str | None] = {}
    for feature in FEATURES:
        name = target.pipeline.mode_parameters.get(feature, "")
        if not name:
            modes[feature] = None
            continue
        try:
            modes[feature] = str(target.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ParameterNotFound":
                raise
            modes[feature] = None
    return modes


def set_mode(target: Target, feature: str, mode: str) -> dict[str, str | None]:
    """Set ``feature``'s mode; return the modes now."""
    if feature not in FEATURES or mode not in MODES:
        raise CommandError(f"switch takes a feature of {FEATURES} and a mode of {MODES}", Exit.USAGE)
    target.client("ssm").put_parameter(Name=_parameter(target, feature), Value=mode, Type="String", Overwrite=True)
    return current_modes(target)
