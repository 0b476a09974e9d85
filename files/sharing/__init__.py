"""Sharing: shares with people, public links, drop boxes, and the download trail.

Owns: granting and revoking shares and links, finding a link by its token,
whether a link is still open (grants), the owner's sharing pages (views,
forms), the anonymous `/s/` surface in one module (public), and the audit
trail of downloads (audit).

Must not: decide access itself (files.access says what a share or a link
shows), store files itself (a drop goes through files.uploads.intake), or
send bytes itself (files.delivery does).
"""
