"""Data for trying and measuring BugZot (CLI code, outside the services):

* ``demo``     a few products, one user per role and some bugs (``flask seed-demo``);
* ``bulk``     any number of synthetic bugs, fast (``flask seed``, benchmarks);
* ``texts``, ``storage``: the bulk seed's text pools and its writer.
"""
