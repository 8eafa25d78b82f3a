"""The accounts admin: credentials (``credentials.py``). The users' page shows what several apps
know of a user (invite, content, subscription), so it is ``members.admin``.

Staff act through the same services as the API (``user_soft_delete``, ``user_restore``,
``user_role_set``, ``api_key_revoke``), never by editing the rows those services keep
consistent. Importing the modules registers their ``ModelAdmin``s.
"""

from accounts.admin import credentials  # noqa: F401
