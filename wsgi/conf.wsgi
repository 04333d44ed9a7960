"""WSGI entry point for Apache mod_wsgi: exposes ``application``.

Nothing here is specific to one machine. The project root is the directory above
this file; the instance folder (config.py with SECRET_KEY and the database URL,
the attachments) is ``<root>/instance`` unless the Apache process's environment
sets ``BUGZOT_INSTANCE_PATH`` (tests, or a second instance on one server).
Apache's ``SetEnv`` does not reach ``os.environ``, so configuration is read from
files, never from SetEnv.

Touch this file to make mod_wsgi daemon processes reload the code (Linux); on
Windows restart the Apache service instead.
"""

import os
import site
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

if os.name == "nt" and sys.prefix == sys.base_prefix:
    # Windows: WSGIPythonHome is the base Python, because a virtualenv as Python home
    # fails there ("No module named 'encodings'"). Add the project's virtualenv
    # packages ourselves, ahead of the base install's, as the venv would.
    for venv in (".venv", "venv"):
        site_packages = os.path.join(ROOT, venv, "Lib", "site-packages")
        if os.path.isdir(site_packages):
            before = list(sys.path)
            site.addsitedir(site_packages)
            sys.path[:] = [p for p in sys.path if p not in before] + before
            break

from bugzot import create_app  # noqa: E402  (needs the sys.path set-up above)

application = create_app(
    instance_path=os.environ.get("BUGZOT_INSTANCE_PATH") or os.path.join(ROOT, "instance")
)
