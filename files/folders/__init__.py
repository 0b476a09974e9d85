"""Folders: the tree of one owner's folders, and the pages that change it.

Owns: creating, renaming, moving and deleting folders and moving files
between them, cycles and names (tree), the forms that offer where to move
(forms), the folder action views (views), and how a search of a folder's
subtree is read (search).

Must not: decide who may change what (files.access does; tree asks it), or
store bytes (files.uploads does).
"""
