"""Deployment helpers: the Apache/mod_wsgi config generator and the PostgreSQL roles.

- ``apache``: renders the templates in ``<checkout>/apache/`` for Linux (daemon mode)
  or Windows (embedded mode under mpm_winnt).
- ``database``: creates the owner role (runs migrations) and the least-privilege
  application role on PostgreSQL.
- ``commands``: the ``flask apache-config`` and ``flask create-db-roles`` commands.

docs/DEPLOY-LINUX.md and docs/DEPLOY-WINDOWS.md walk an admin through both.
"""
