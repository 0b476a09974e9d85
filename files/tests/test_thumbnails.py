"""Thumbnails: rendered after the upload commits, upright, without EXIF, deleted with the file."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from PIL import Image
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import User
from files.models import UploadedFile
from files.previews import tasks, thumbnails
from files.tests.conftest import MakeFile
from files.tests.utils import image_bytes, photo_bytes, stored_path, stored_paths


@pytest.fixture
def upload_image(
    make_file: MakeFile, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> MakeFile:
    """Stores a file and runs what its commit queued: the thumbnail task (immediate in tests)."""

    def make(owner: User, name: str = "photo.jpg", content: bytes = b"") -> UploadedFile:
        with django_capture_on_commit_callbacks(execute=True):
            stored = make_file(owner, name, content or photo_bytes())
        stored.refresh_from_db()
        return stored

    return make


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_an_uploaded_photo_gets_a_webp_thumbnail_beside_it(
    alice: User, upload_image: MakeFile
) -> None:
    upload = upload_image(alice, "photo.jpg", photo_bytes((1200, 800)))
    assert upload.thumbnail.name == f"{upload.file.name}.thumb.webp"
    thumbnail = opened(stored_path(upload.thumbnail.name).read_bytes())
    assert thumbnail.format == "WEBP"
    # Upright (orientation 6): 800 x 1200, fitted into the 256 px box.
    assert thumbnail.size == (171, 256)


def test_it_turns_the_photo_upright(alice: User, upload_image: MakeFile) -> None:
    upload = upload_image(alice, "sideways.jpg", photo_bytes((40, 20), orientation=6))
    thumbnail = opened(stored_path(upload.thumbnail.name).read_bytes()).convert("RGB")
    assert thumbnail.size == (20, 40)  # never enlarged
    top, bottom = thumbnail.getpixel((10, 5)), thumbnail.getpixel((10, 35))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60  # red on top
    assert bottom[2] > 200 and bottom[0] < 60  # blue below


def test_it_keeps_no_exif_and_no_gps_position(alice: User, upload_image: MakeFile) -> None:
    original = photo_bytes()
    assert opened(original).getexif().get_ifd(0x8825)  # the photo has a position
    upload = upload_image(alice, "paris.jpg", original)
    data = stored_path(upload.thumbnail.name).read_bytes()
    thumbnail = opened(data)
    assert "exif" not in thumbnail.info
    assert "xmp" not in thumbnail.info
    assert dict(thumbnail.getexif()) == {}
    assert b"PortalCam" not in data
    assert b"EXIF" not in data  # WebP's metadata chunk


@pytest.mark.parametrize(
    ("name", "image_format"), [("a.png", "PNG"), ("a.gif", "GIF"), ("a.webp", "WEBP")]
)
def test_png_gif_and_webp_get_one_too(
    alice: User, upload_image: MakeFile, name: str, image_format: str
) -> None:
    upload = upload_image(alice, name, image_bytes(image_format, (600, 300)))
    assert opened(stored_path(upload.thumbnail.name).read_bytes()).size == (256, 128)


def test_a_transparent_gif_stays_transparent(alice: User, upload_image: MakeFile) -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(buffer, format="GIF")
    upload = upload_image(alice, "clear.gif", buffer.getvalue())
    thumbnail = opened(stored_path(upload.thumbnail.name).read_bytes())
    assert thumbnail.mode == "RGBA"
    assert thumbnail.getpixel((10, 10)) == (0, 0, 0, 0)


def test_other_files_get_none_and_no_task(
    alice: User,
    make_file: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        upload = make_file(alice, "notes.txt", b"hello")
    assert callbacks == []
    assert thumbnails.thumbnail_url(upload) == ""


def test_nothing_is_queued_before_the_upload_commits(
    alice: User,
    make_file: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        upload = make_file(alice, "photo.jpg", photo_bytes())
    assert len(callbacks) == 1
    upload.refresh_from_db()
    assert not upload.thumbnail
    callbacks[0]()
    upload.refresh_from_db()
    assert upload.thumbnail


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_decompression_bomb_gets_no_thumbnail(
    alice: User,
    make_file: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        warned = make_file(alice, "warned.png", image_bytes("PNG", (150, 100)))
        refused = make_file(alice, "refused.png", image_bytes("PNG", (300, 300)))
    # Above MAX_IMAGE_PIXELS we refuse (Pillow warns); at twice it Pillow refuses.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    for callback in callbacks:
        callback()
    for upload in (warned, refused):
        upload.refresh_from_db()
        assert upload.thumbnail.name == ""
        assert thumbnails.thumbnail_url(upload) == ""
    assert len(stored_paths()) == 2  # the two files, no thumbnail


def test_a_real_bomb_is_refused_before_decoding() -> None:
    """30,000 x 30,000 pixels: 900 megapixels from a few bytes of PNG header."""
    header = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 2, 0, 0, 0)
    chunks = [(b"IHDR", header), (b"IDAT", zlib.compress(b"\0" * 1000)), (b"IEND", b"")]
    png = b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in chunks
    )
    with pytest.raises(thumbnails.NotAnImage, match="DecompressionBomb"):
        thumbnails.render(io.BytesIO(png), "image/png")


def test_a_truncated_image_gets_no_thumbnail(alice: User, upload_image: MakeFile) -> None:
    whole = photo_bytes((800, 600))
    upload = upload_image(alice, "cut.jpg", whole[: len(whole) // 2])
    assert upload.content_type == "image/jpeg"  # its header is fine: the task ran
    assert upload.thumbnail.name == ""


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (image_bytes("PNG")[:40] + b"\0" * 200, "image/png"),
        (b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8, "image/jpeg"),
        (b"GIF89a" + b"\xff" * 100, "image/gif"),
        (b"not an image at all", "image/webp"),
        (image_bytes("PNG"), "image/jpeg"),  # a decoder other than the recorded one
    ],
)
def test_corrupt_bytes_are_not_an_image(content: bytes, content_type: str) -> None:
    with pytest.raises(thumbnails.NotAnImage):
        thumbnails.render(io.BytesIO(content), content_type)


def test_a_corrupt_recorded_image_gets_none(alice: User, make_file: MakeFile) -> None:
    # As if the bytes had changed in storage after the upload checked them.
    upload = make_file(alice, "pic.png", image_bytes("PNG"))
    stored_path(upload.file.name).write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    assert thumbnails.generate(upload) is False
    upload.refresh_from_db()
    assert upload.thumbnail.name == ""


def test_a_second_run_replaces_the_thumbnail(alice: User, upload_image: MakeFile) -> None:
    upload = upload_image(alice)
    assert thumbnails.generate(upload) is True
    upload.refresh_from_db()
    assert upload.thumbnail.name == f"{upload.file.name}.thumb.webp"
    assert len(stored_paths()) == 2


def test_the_task_skips_a_file_deleted_before_it_ran(alice: User, make_file: MakeFile) -> None:
    upload = make_file(alice, "photo.jpg", photo_bytes())
    file_id = str(upload.pk)
    UploadedFile.objects.filter(pk=file_id).delete()
    assert tasks.make_thumbnail.call(file_id) is False


def test_a_thumbnail_rendered_for_a_deleted_file_is_removed(
    alice: User, make_file: MakeFile, django_capture_on_commit_callbacks
) -> None:
    upload = make_file(alice, "photo.jpg", photo_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        UploadedFile.objects.filter(pk=upload.pk).delete()
    # The worker had loaded the row just before the delete.
    upload.file.storage.save(upload.file.name, ContentFile(photo_bytes()))
    assert thumbnails.generate(upload) is False
    assert stored_paths() == [stored_path(upload.file.name)]


def test_the_thumbnail_goes_with_the_file_after_commit(
    alice: User,
    upload_image: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    upload = upload_image(alice)
    assert len(stored_paths()) == 2
    with django_capture_on_commit_callbacks() as callbacks:
        upload.delete()
    assert len(stored_paths()) == 2  # not before the commit
    for callback in callbacks:
        callback()
    assert stored_paths() == []


def test_a_thumbnail_unknown_to_the_deleted_row_goes_too(
    alice: User,
    upload_image: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    upload = upload_image(alice)
    stale = UploadedFile.objects.get(pk=upload.pk)
    stale.thumbnail.name = ""  # loaded before the task recorded its thumbnail
    with django_capture_on_commit_callbacks(execute=True):
        stale.delete()
    assert stored_paths() == []


def test_deleting_the_owner_deletes_every_thumbnail(
    alice: User,
    upload_image: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    upload_image(alice, "one.jpg")
    upload_image(alice, "two.png", image_bytes("PNG"))
    assert len(stored_paths()) == 4
    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()
    assert stored_paths() == []


def test_queue_thumbnails_catches_up_on_older_images(
    alice: User, make_file: MakeFile, upload_image: MakeFile
) -> None:
    older = make_file(alice, "older.jpg", photo_bytes())  # its task never ran
    make_file(alice, "notes.txt", b"hello")
    done = upload_image(alice, "done.png", image_bytes("PNG"))
    out = io.StringIO()
    call_command("queue_thumbnails", stdout=out)
    assert out.getvalue() == "Queued 1 thumbnail.\n"
    older.refresh_from_db()
    assert older.thumbnail.name == f"{older.file.name}.thumb.webp"
    call_command("queue_thumbnails", "--all", stdout=out)
    assert out.getvalue().endswith("Queued 2 thumbnails.\n")
    assert done.thumbnail
