"""axe-core over every page, in light and dark mode, at desktop and phone sizes: no violations.

axe-core comes from the PyPI package axe-playwright-python (a dev
dependency); nothing is downloaded at test time. The rules are WCAG 2.1 A
and AA. A failure lists each rule, its help text and the offending markup.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from files.folders import tree
from files.history import trash
from files.models import Link
from files.sharing import grants
from files.tests.utils import image_bytes
from files.uploads import intake
from tests.e2e.test_folders_and_uploads import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
WCAG_21_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def furnish() -> dict[str, str]:
    """dora's account with something on every page; returns {page name: path}."""
    dora = User.objects.create_user("dora", "dora@example.org", "dora's passphrase")
    ellen = User.objects.create_user("ellen", "ellen@example.org", "ellen's passphrase")
    folder = tree.create_folder(dora, None, "Holiday photos")
    tree.create_folder(dora, folder, "Day one")
    incoming = SimpleUploadedFile("notes.txt", b"plain words\n" * 20)
    [stored] = intake.store_uploads(dora, [intake.accept_incoming(incoming)], folder)
    share = grants.share(folder, ellen)
    link, folder_link = grants.create_link(
        folder, label="For the family", expires=timezone.now() + timedelta(days=3)
    )
    photo = SimpleUploadedFile("beach.png", image_bytes(size=(64, 48)))
    [image] = intake.store_uploads(dora, [intake.accept_incoming(photo)], folder)
    _, file_link = grants.create_link(stored)
    _, drop_link = grants.create_link(folder, kind=Link.Kind.DROP)
    # The trash with an entry, and a file page with a version.
    intake.replace_file(stored, SimpleUploadedFile("notes.txt", b"newer words\n"))
    gone = SimpleUploadedFile("old.txt", b"old\n")
    [old] = intake.store_uploads(dora, [intake.accept_incoming(gone)], folder)
    trash.trash_file(old, by=dora)
    return {
        "files": "/files/",
        "folder": folder.get_absolute_url(),
        "grid": f"{folder.get_absolute_url()}?view=grid",
        "search": "/files/?q=notes",
        "file": stored.get_absolute_url(),
        "upload": f"/files/folders/{folder.pk}/upload/",
        "new-folder": "/files/folders/new/",
        "rename-folder": f"/files/folders/{folder.pk}/rename/",
        "move-folder": f"/files/folders/{folder.pk}/move/",
        "delete-folder": f"/files/folders/{folder.pk}/delete/",
        "delete-file": f"/files/{stored.pk}/delete/",
        "file-sharing": f"/files/{stored.pk}/sharing/",
        "folder-sharing": f"/files/folders/{folder.pk}/sharing/",
        "shared": "/files/shared/",
        "profile": "/accounts/profile/",
        "password": "/accounts/password/",
        "tokens": "/accounts/tokens/",
        "trash": "/files/trash/",
        "link-file": f"/s/{file_link}/",
        "link-drop": f"/s/{drop_link}/",
        "link-folder": f"/s/{folder_link}/",
        "link-image": f"/s/{folder_link}/file/{image.pk}/",
        "revoke-link": f"/files/links/{link.pk}/revoke/",
        "remove-share": f"/files/shares/{share.pk}/revoke/",
    }


def violations_on(page, axe: Axe, path: str | None) -> list[str]:
    """On `path`, or on the page as it is now (None: a state reached by clicking)."""
    if path is not None:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
    path = path or page.url
    results = axe.run(page, options=WCAG_21_AA)
    return [
        f"{path}: {violation['id']} ({violation['help']}): "
        + "; ".join(node["html"][:120] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
    ]


@pytest.mark.parametrize(
    ("scheme", "viewport"),
    [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE), ("dark", PHONE)],
    ids=["light-desktop", "dark-desktop", "light-phone", "dark-phone"],
)
def test_no_page_has_an_accessibility_violation(browser, live_server, scheme, viewport) -> None:
    paths = furnish()
    axe = Axe()
    context = browser.new_context(base_url=live_server.url, viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        found: list[str] = []
        for path in ("/accounts/login/", "/accounts/signup/"):
            found += violations_on(page, axe, path)
        log_in(page, "dora", "dora's passphrase")
        for path in paths.values():
            found += violations_on(page, axe, path)
        # A new link's address, Copy button and QR code are shown once, after the form.
        page.goto(paths["folder-sharing"])
        page.click("summary:has-text('New link…')")
        page.click("button:has-text('Create link')")
        page.locator("figure.qr svg").wait_for()
        found += violations_on(page, axe, None)
        assert found == [], "\n".join(found)
    finally:
        context.close()
