"""The accounts admin: users (``users.py``) and credentials (``credentials.py``).

Staff act through the same services as the API (``user_soft_delete``, ``user_restore``,
``user_role_set``, ``api_key_revoke``), never by editing the rows those services keep
consistent. Importing the modules registers their ``ModelAdmin``s.
"""

from accounts.admin import credentials, users  # noqa: F401
