"""Previews: thumbnails rendered in the background and the preview a file's page shows.

Owns: rendering thumbnails with Pillow (thumbnails), the django-tasks task
that does it after an upload commits (tasks), what a page previews of a file
(preview), and the permission-checked thumbnail view (views).

Must not: decide access (views look files up through files.access) or know
how bytes are sent (files.delivery does).
"""
