"""A short, human label for the device behind a User-Agent ("iPhone · StudyMate 2.3",
"Chrome on macOS"), shown in the sign-ins list. A few rules cover the clients we serve: our
apps, the major browsers, and otherwise the first product token ("curl"). Not a full parser: a
label only has to let the learner recognise their own devices."""

from __future__ import annotations

import re
from typing import Final

LABEL_MAX_LENGTH: Final = 128

_APP = re.compile(r"StudyMate[/ ](?P<version>\d+(?:\.\d+)?)", re.IGNORECASE)
_ANDROID_MODEL = re.compile(r"Android[ /]?[\d.]*;\s*(?:[a-z]{2}[-_][a-z]{2};\s*)?(?P<model>[^;)]+)")
# (platform as the app label names it, operating system as a browser label names it)
_PLATFORMS: Final = (
    ("iPhone", "iPhone", "iOS"),
    ("iPad", "iPad", "iPadOS"),
    ("Android", "Android", "Android"),
    ("CrOS", "Chromebook", "ChromeOS"),
    ("Windows", "Windows", "Windows"),
    ("Macintosh", "Mac", "macOS"),
    ("Mac OS X", "Mac", "macOS"),
    ("Linux", "Linux", "Linux"),
)
# Order matters: Edge, Opera and Samsung Internet also say "Chrome", Chrome also says "Safari".
_BROWSERS: Final = (
    ("Edg", "Edge"),
    ("OPR", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Whale", "Whale"),
    ("CriOS", "Chrome"),
    ("Chrome", "Chrome"),
    ("FxiOS", "Firefox"),
    ("Firefox", "Firefox"),
    ("Version", "Safari"),  # Safari names its version "Version/x"
)
_PRODUCT = re.compile(r"^\s*(?P<name>[A-Za-z][\w.\-]*)")


def device_label(user_agent: str) -> str:
    """The label of the client that sent `user_agent`; "" when it says nothing usable."""
    user_agent = user_agent.strip()
    if not user_agent:
        return ""
    platform, system = _platform(user_agent)
    app = _APP.search(user_agent)
    if app:
        label = f"StudyMate {app['version']}"
        return _clip(f"{platform} · {label}" if platform else label)
    browser = _browser(user_agent)
    if browser:
        return _clip(f"{browser} on {system}" if system else browser)
    product = _PRODUCT.match(user_agent)
    return _clip(product["name"]) if product else ""


def _platform(user_agent: str) -> tuple[str, str]:
    for token, platform, system in _PLATFORMS:
        if token in user_agent:
            if platform == "Android":
                model = _ANDROID_MODEL.search(user_agent)
                name = model["model"].split(" Build/")[0].strip() if model else ""
                if name and name.lower() not in {"mobile", "wv", "k"}:
                    platform = name
            return platform, system
    return "", ""


def _browser(user_agent: str) -> str:
    if "Mozilla/" not in user_agent:
        return ""
    for token, name in _BROWSERS:
        if f"{token}/" in user_agent:
            return name
    return ""


def _clip(label: str) -> str:
    return label[:LABEL_MAX_LENGTH]
