"""Attachments: storing uploads, sniffing their type, and editing their flags.

Files live in ``ATTACHMENT_FOLDER`` under their SHA-256 (``ab/abcdef...``),
never under a name the user chose. The file and its row succeed or fail together:
the upload is streamed to a temporary file, the row is flushed, the file is
renamed into place, then the transaction commits; if anything fails the row is
rolled back and any file this upload created is removed.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

import puremagic
from flask import current_app
from sqlalchemy import update

from bugzot import permissions, visibility
from bugzot.exceptions import Forbidden, NotFound, ServiceError
from bugzot.extensions import db
from bugzot.fields import MAX_COMMENT
from bugzot.models import Attachment, Bug, BugChange, Comment, User
from bugzot.services import unit_of_work
from bugzot.services.commands import Upload
from bugzot.services.history import History, one_save

RASTER_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# What the browser may show inline (views.attachments): nothing that runs scripts.
INLINE_TYPES = RASTER_IMAGES | {"text/plain"}
CHUNK = 64 * 1024
STORE_FAILED = "The file could not be stored, so nothing was saved. Please try again later."


# -- content ------------------------------------------------------------------------
def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for trim in range(4):  # the sample may end inside a multi-byte character
        try:
            head[: len(head) - trim].decode("utf-8")
            return True
        except UnicodeDecodeError:
            continue
    return False


def sniff_content_type(head: bytes, is_patch: bool = False) -> str:
    """The MIME type of a file judged by its first bytes; the client's claim is ignored."""
    if _is_text(head):
        if is_patch:
            return "text/plain"
        start = head.lstrip()[:1024].lower()
        if b"<svg" in start:
            return "image/svg+xml"
        if start.startswith((b"<!doctype html", b"<html")) or b"<script" in start:
            return "text/html"
        if start.startswith(b"<?xml"):
            return "application/xml"
        return "text/plain"
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        matches = []
    mime = next((m.mime_type for m in matches if m.mime_type), "")
    if not mime or mime.startswith("text/"):
        return "application/octet-stream"
    return mime


def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """A display/download name: no directories, no control characters or quotes, and no
    bidirectional controls (``invoice\u202egpj.exe`` would read "invoiceexe.jpg")."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = re.sub(r'[\x00-\x1f\x7f"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]', "", name)
    return name.strip(" .")[:255] or fallback


def storage_path(sha256: str) -> str:
    """Where the file with this SHA-256 lives."""
    return os.path.join(current_app.config["ATTACHMENT_FOLDER"], sha256[:2], sha256)


def max_size() -> int:
    """The largest accepted attachment in bytes (``ATTACHMENT_MAX_SIZE``, default the request limit)."""
    cfg = current_app.config
    return int(cfg["ATTACHMENT_MAX_SIZE"] or cfg["MAX_CONTENT_LENGTH"])


# -- staging ------------------------------------------------------------------------
class _Staged:
    """An upload written to a temporary file, waiting to be moved into place."""

    def __init__(self, temp: str, sha256: str, size: int, head: bytes):
        self.temp, self.sha256, self.size, self.head = temp, sha256, size, head
        self.created: str | None = None  # the final path, if this upload created it

    def place(self) -> None:
        """Move the file to its SHA-256 name (same content stored once)."""
        final = storage_path(self.sha256)
        if os.path.exists(final):
            os.remove(self.temp)
            return
        os.makedirs(os.path.dirname(final), exist_ok=True)
        os.replace(self.temp, final)
        self.created = final

    def discard(self) -> None:
        for path in (self.temp, self.created):
            if path and os.path.exists(path):
                try:
                    os.remove(path)
                except OSError:
                    current_app.logger.exception("could not remove %s", path)


def _stage(stream: BinaryIO) -> _Staged:
    limit = max_size()
    folder = os.path.join(current_app.config["ATTACHMENT_FOLDER"], "tmp")
    digest, size, head, temp = hashlib.sha256(), 0, b"", None
    try:
        os.makedirs(folder, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix="upload-")
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ServiceError(
                        f"The file is too large: the limit is {limit / 1048576:g} MB.", "file")
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except (OSError, ServiceError) as exc:
        if temp and os.path.exists(temp):
            os.remove(temp)
        if isinstance(exc, ServiceError):
            raise
        current_app.logger.exception("storing an upload failed")
        raise ServiceError(STORE_FAILED, "file") from exc
    if size == 0:
        os.remove(temp)
        raise ServiceError("The file is empty.", "file")
    return _Staged(temp, digest.hexdigest(), size, head)


@contextmanager
def _staged_upload(stream: BinaryIO) -> Iterator[_Staged]:
    """Stage the bytes of ``stream``; remove what it wrote if the block (its transaction)
    fails."""
    staged = _stage(stream)
    try:
        yield staged
    except OSError as exc:
        staged.discard()
        current_app.logger.exception("storing attachment %s failed", staged.sha256)
        raise ServiceError(STORE_FAILED, "file") from exc
    except BaseException:
        staged.discard()
        raise


def _new_row(history: History, bug: Bug, upload: Upload, staged: _Staged,
             description: str) -> Attachment:
    """Flush the attachment row and its "Created attachment" comment, then place the file."""
    content_type = sniff_content_type(staged.head, upload.is_patch)
    if upload.is_patch and not _is_text(staged.head):
        raise ServiceError("A patch must be a text file.", "is_patch")
    attachment = Attachment(
        bug_id=bug.id, uploader_id=history.actor.id, filename=safe_filename(upload.filename),
        description=description, content_type=content_type, size=staged.size,
        sha256=staged.sha256, is_patch=upload.is_patch, is_private=upload.is_private,
        created_at=history.now)
    db.session.add(attachment)
    db.session.flush()
    history.attachment_added(bug, attachment, upload.comment)
    db.session.flush()
    staged.place()
    return attachment


def _check_description(description: str, filename: str | None) -> str:
    description = " ".join((description or "").split()) or safe_filename(filename)
    if len(description) > 255:
        raise ServiceError("The description is at most 255 characters.", "description")
    return description


def _check_upload(user: User, upload: Upload | None) -> str:
    if upload is None or not upload.filename:
        raise ServiceError("Choose a file to upload.", "file")
    if upload.is_private and not permissions.can(user, permissions.BUG_PRIVATE):
        raise Forbidden("You may not add private attachments.", "is_private")
    if len(upload.comment or "") > MAX_COMMENT:
        raise ServiceError(f"Comments are at most {MAX_COMMENT} characters.", "comment")
    return _check_description(upload.description, upload.filename)


# -- public -------------------------------------------------------------------------
def add_attachment(user: User, bug: Bug, upload: Upload | None) -> Attachment:
    """Attach an uploaded file to ``bug`` (with a comment announcing it)."""
    if not visibility.can_see_bug(user, bug):
        raise NotFound("There is no such bug.")
    if not user.is_authenticated or not permissions.can(user, permissions.BUG_ATTACH, bug):
        raise Forbidden("You may not attach files.")
    description = _check_upload(user, upload)
    with _staged_upload(upload.stream) as staged, one_save(bug.id):
        with unit_of_work():
            attachment = _new_row(History(user), bug, upload, staged, description)
    return attachment


def file_with_attachment(reporter: User, create: Callable[[History], Bug], upload: Upload) -> Bug:
    """File a bug (``create`` adds its rows) and its first attachment in one transaction."""
    if not permissions.can(reporter, permissions.BUG_ATTACH):
        raise Forbidden("You may not attach files.", "file")
    description = _check_upload(reporter, upload)
    with _staged_upload(upload.stream) as staged:
        with unit_of_work():
            history = History(reporter)
            bug = create(history)
            _new_row(history, bug, upload, staged, description)
    return bug


def update_attachment(user: User, attachment: Attachment, *, description: str, is_patch: bool,
                      is_obsolete: bool, is_private: bool) -> list[BugChange]:
    """Change an attachment's description and flags; one history row per change.

    Its uploader and holders of bug.edit may (the reporter of the bug may not edit other
    people's attachments); making it private hides its comment and history rows too."""
    bug = db.session.get(Bug, attachment.bug_id)
    if not visibility.can_see_attachment(user, attachment):
        raise NotFound("There is no such attachment.")
    if not getattr(user, "is_authenticated", False):
        raise Forbidden("Log in to edit attachments.")
    if attachment.uploader_id != user.id and not permissions.can(user, permissions.BUG_EDIT):
        raise Forbidden("You may not edit this attachment.")
    if is_private != attachment.is_private and not permissions.can(user, permissions.BUG_PRIVATE):
        raise Forbidden("You may not change whether attachments are private.", "is_private")
    description = _check_description(description, attachment.filename)
    if is_patch and not attachment.content_type.startswith("text/"):
        raise ServiceError("A patch must be a text file.", "is_patch")
    new = {"description": description, "is_patch": is_patch, "is_obsolete": is_obsolete,
           "is_private": is_private}
    show = {"description": str}
    rows = [(name, show.get(name, _flag)(getattr(attachment, name)), show.get(name, _flag)(value))
            for name, value in new.items()]
    if all(old == now for _, old, now in rows):
        return []
    was_private = attachment.is_private
    with one_save(bug.id), unit_of_work():
        for name, value in new.items():
            setattr(attachment, name, value)
        if is_private != was_private:
            _follow_privacy(attachment)
        changes = History(user).attachment_changed(bug, attachment, rows, was_private)
    return changes


def _flag(value: bool) -> str:
    return str(int(bool(value)))


def _follow_privacy(attachment: Attachment) -> None:
    """The attachment's own comment takes its privacy; once private, every history row
    about it stays private (their values may show what it was)."""
    db.session.execute(update(Comment).where(Comment.attachment_id == attachment.id)
                       .values(is_private=attachment.is_private))
    if attachment.is_private:
        db.session.execute(update(BugChange).where(BugChange.attachment_id == attachment.id)
                           .values(is_private=True))


def read_text(attachment: Attachment) -> str:
    """The attachment's content as text (patch view); undecodable bytes are replaced."""
    with open(storage_path(attachment.sha256), "rb") as fh:
        return fh.read().decode("utf-8", errors="replace")
