"""What a BugZot username and email address look like (accounts, directory and SSO).

Shared by ``services.accounts`` (local accounts) and ``services.external`` /
``services.sso`` (accounts the directory or Apache vouch for), which must not import
each other in a circle.
"""

import re

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
